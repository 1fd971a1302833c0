/* Scancode set 1 translation for the ps2kbd cell; see kbd.h. */
#include "ps2kbd/kbd.h"

/* Scancodes 0x00..0x39 of the main block, unshifted and shifted (0: not a character key). */
static const char plain[] = "\0\x1b"
                            "1234567890-=\x7f\t"
                            "qwertyuiop[]\r\0"
                            "asdfghjkl;'`\0\\"
                            "zxcvbnm,./\0*\0 ";
static const char shifted[] = "\0\x1b"
                              "!@#$%^&*()_+\x7f\t"
                              "QWERTYUIOP{}\r\0"
                              "ASDFGHJKL:\"~\0|"
                              "ZXCVBNM<>?\0*\0 ";
#define MAIN_KEYS (sizeof(plain) - 1)

/* The keypad, 0x47..0x53, with Num Lock on. */
static const char keypad[] = "789-456+1230.";

enum {
    SC_LCTRL = 0x1d,
    SC_LSHIFT = 0x2a,
    SC_RSHIFT = 0x36,
    SC_LALT = 0x38,
    SC_CAPS = 0x3a,
    SC_NUMLOCK = 0x45,
    SC_HOME = 0x47,
    SC_UP = 0x48,
    SC_LEFT = 0x4b,
    SC_RIGHT = 0x4d,
    SC_END = 0x4f,
    SC_DOWN = 0x50,
    SC_DELETE = 0x53,
    SC_KP_ENTER = 0x1c, /* with E0 */
    SC_KP_SLASH = 0x35, /* with E0 */
};

void kbd_init(struct kbd *k)
{
    *k = (struct kbd){0};
}

static size_t emit(char *out, const char *s)
{
    size_t n = 0;
    while (s[n] && n < KBD_OUT_MAX) {
        out[n] = s[n];
        n++;
    }
    return n;
}

/* Cursor and editing keys: E0-prefixed, or the keypad with Num Lock off. */
static size_t nav_key(uint8_t key, char *out)
{
    switch (key) {
    case SC_UP:
        return emit(out, "\x1b[A");
    case SC_DOWN:
        return emit(out, "\x1b[B");
    case SC_RIGHT:
        return emit(out, "\x1b[C");
    case SC_LEFT:
        return emit(out, "\x1b[D");
    case SC_HOME:
        return emit(out, "\x1b[H");
    case SC_END:
        return emit(out, "\x1b[F");
    case SC_DELETE:
        return emit(out, "\x1b[3~");
    default:
        return 0;
    }
}

static char control_code(char c)
{
    if (c >= 'a' && c <= 'z')
        return (char)(c - 'a' + 1);
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 1);
    switch (c) {
    case ' ':
    case '@':
    case '2':
        return 0;
    case '[':
        return 0x1b;
    case '\\':
        return 0x1c;
    case ']':
        return 0x1d;
    case '^':
    case '6':
        return 0x1e;
    case '_':
    case '-':
        return 0x1f;
    default:
        return c;
    }
}

/* Press or release of a modifier; returns 1 if key was one. */
static int modifier(struct kbd *k, uint8_t key, int e0, int down)
{
    switch (key) {
    case SC_LSHIFT:
    case SC_RSHIFT:
        if (e0) /* the "fake shifts" some keys send around E0 codes */
            return 1;
        if (key == SC_LSHIFT)
            k->lshift = (uint8_t)down;
        else
            k->rshift = (uint8_t)down;
        return 1;
    case SC_LCTRL:
        if (e0)
            k->rctrl = (uint8_t)down;
        else
            k->lctrl = (uint8_t)down;
        return 1;
    case SC_LALT:
        if (e0)
            k->ralt = (uint8_t)down;
        else
            k->lalt = (uint8_t)down;
        return 1;
    case SC_CAPS: /* toggles on the first make only: a held key repeats its make code */
        if (down && !k->caps_down)
            k->caps ^= 1;
        k->caps_down = (uint8_t)down;
        return 1;
    case SC_NUMLOCK:
        if (e0)
            return 0;
        if (down && !k->num_down)
            k->num ^= 1;
        k->num_down = (uint8_t)down;
        return 1;
    default:
        return 0;
    }
}

size_t kbd_feed(struct kbd *k, uint8_t sc, char *out)
{
    if (k->e1_skip) {
        k->e1_skip--;
        return 0;
    }
    if (sc == 0xe0) {
        k->e0 = 1;
        return 0;
    }
    if (sc == 0xe1) {
        k->e1_skip = 2;
        k->e0 = 0;
        return 0;
    }
    int e0 = k->e0, down = !(sc & 0x80);
    uint8_t key = sc & 0x7f;
    k->e0 = 0;
    if (modifier(k, key, e0, down) || !down)
        return 0;

    char c = 0;
    if (e0) {
        if (key == SC_KP_ENTER)
            c = '\r';
        else if (key == SC_KP_SLASH)
            c = '/';
        else
            return nav_key(key, out);
    } else if (key >= SC_HOME && key <= SC_DELETE) {
        if (!k->num && key != 0x4a && key != 0x4e) /* keypad - and + ignore Num Lock */
            return nav_key(key, out);
        c = keypad[key - SC_HOME];
    } else if (key < MAIN_KEYS) {
        int shift = k->lshift || k->rshift;
        char base = plain[key];
        if (base >= 'a' && base <= 'z')
            shift ^= k->caps;
        c = shift ? shifted[key] : base;
    }
    if (!c)
        return 0;
    size_t n = 0;
    if (k->lalt || k->ralt)
        out[n++] = 0x1b;
    out[n++] = (k->lctrl || k->rctrl) ? control_code(c) : c;
    return n;
}
