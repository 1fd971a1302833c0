/* PS/2 keyboard scancode set 1 (what the 8042 delivers with translation on, QEMU's default) to
 * the bytes a terminal would send, US layout. Pure logic, unit-tested on the host.
 *
 * Letters, digits and punctuation with Shift and Caps Lock; Enter (and keypad Enter) -> "\r",
 * Backspace -> 0x7f, Tab, Esc; Ctrl+letter -> 0x01..0x1a (Ctrl+@/space 0x00, Ctrl+[ \ ] ^ _
 * 0x1b..0x1f); Alt+key -> ESC then the key; arrows -> ESC [ A/B/C/D, Home/End -> ESC [ H / ESC [ F,
 * Delete -> ESC [ 3 ~ (E0-prefixed keys, or the keypad with Num Lock off); the keypad gives digits
 * with Num Lock on. Key releases only update the modifiers; function keys, Page Up/Down, Insert,
 * Pause and the Windows keys send nothing. */
#ifndef KEEL_PS2KBD_KBD_H
#define KEEL_PS2KBD_KBD_H
#include <stddef.h>
#include <stdint.h>

#define KBD_OUT_MAX 8 /* the longest translation: ESC + ESC [ 3 ~ fits */

struct kbd {
    uint8_t lshift, rshift, lctrl, rctrl, lalt, ralt;
    uint8_t caps, caps_down, num, num_down;
    uint8_t e0;      /* the previous byte was the 0xE0 prefix */
    uint8_t e1_skip; /* bytes of a Pause (0xE1) sequence still to swallow */
};

/* Start with no key down, Caps Lock and Num Lock off. */
void kbd_init(struct kbd *k);
/* Feed one byte from the controller; writes up to KBD_OUT_MAX bytes to out and returns their
 * count (0 for prefixes, releases, modifiers and keys without a translation). */
size_t kbd_feed(struct kbd *k, uint8_t scancode, char *out);

#endif
