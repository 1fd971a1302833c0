/* A small terminal on a text-mode cell buffer (16-bit cells: attribute << 8 | character): the
 * VT100 subset the kernel and the shell emit. Pure logic (no ports, no allocation), so it runs
 * under the console lock and is unit-tested on the host.
 *
 * Understood: printable ASCII, \r \n (line feed also returns the carriage, as the console is
 * written with bare "\n"), \b (left, no erase), \t (to the next multiple of 8), and CSI sequences
 * ESC [ n A/B/C/D (cursor up/down/right/left), ESC [ r;c H / f (position; ESC [ H = home),
 * ESC [ n J (0: to end of screen, 1: to start, 2/3: whole screen), ESC [ n K (0: to end of line,
 * 1: to start, 2: whole line) and ESC [ ... m (colours: 0, 1, 7, 22, 27, 30-37, 39, 40-47, 49,
 * 90-97, 100-107). Any other escape or CSI sequence is consumed and ignored. UTF-8 is decoded;
 * a few code points the kernel prints have a code page 437 glyph (dashes, box drawing, µ, °),
 * the rest show as '?'. Writing in the last
 * column defers the wrap to the next printable character, like xterm, so a line editor's cursor
 * arithmetic holds at the right margin. */
#ifndef KEEL_VGACON_VT_H
#define KEEL_VGACON_VT_H
#include <stddef.h>
#include <stdint.h>

#define VT_MAX_PARAMS   4
#define VT_ATTR_DEFAULT 0x07 /* light grey on black */

struct vt {
    volatile uint16_t *buf;
    unsigned cols, rows;
    unsigned x, y;    /* cursor; x < cols, y < rows */
    int wrap_pending; /* a character was written in the last column */
    uint8_t attr, fg, bg, bold, reverse;
    uint8_t state;    /* parser: VT_GROUND, VT_ESC, VT_CSI */
    uint8_t nparams;  /* parameters seen so far in a CSI sequence */
    uint8_t private_; /* the CSI had a '?' (or other) prefix: ignore it */
    unsigned params[VT_MAX_PARAMS];
    uint8_t utf8_left; /* continuation bytes still expected */
    uint32_t utf8_cp;  /* code point being decoded */
};

/* Attach to a buffer of cols x rows cells (1..256 each) and clear it. KE_INVAL otherwise. */
int vt_init(struct vt *vt, volatile uint16_t *buf, unsigned cols, unsigned rows);
/* Interpret n bytes of output. */
void vt_write(struct vt *vt, const char *s, size_t n);
/* Cursor position as a cell index (y * cols + x), for the hardware cursor. */
unsigned vt_cursor(const struct vt *vt);

#endif
