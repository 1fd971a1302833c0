/* The terminal logic of the VGA console cell; see vt.h. */
#include <keel/errno.h>
#include "vgacon/vt.h"

enum { VT_GROUND, VT_ESC, VT_CSI };

#define VT_PARAM_MAX 9999u

static uint16_t blank(const struct vt *vt)
{
    return (uint16_t)((unsigned)vt->attr << 8 | ' ');
}

static void update_attr(struct vt *vt)
{
    uint8_t fg = vt->fg, bg = vt->bg;
    if (vt->bold)
        fg |= 0x08;
    vt->attr = vt->reverse ? (uint8_t)((fg & 0x0f) << 4 | (bg & 0x0f))
                           : (uint8_t)((bg & 0x0f) << 4 | (fg & 0x0f));
}

static void fill(struct vt *vt, unsigned from, unsigned to)
{
    uint16_t b = blank(vt);
    for (unsigned i = from; i < to; i++)
        vt->buf[i] = b;
}

int vt_init(struct vt *vt, volatile uint16_t *buf, unsigned cols, unsigned rows)
{
    if (!vt || !buf || cols == 0 || rows == 0 || cols > 256 || rows > 256)
        return KE_INVAL;
    *vt = (struct vt){.buf = buf, .cols = cols, .rows = rows, .fg = VT_ATTR_DEFAULT};
    update_attr(vt);
    fill(vt, 0, cols * rows);
    return 0;
}

unsigned vt_cursor(const struct vt *vt)
{
    return vt->y * vt->cols + vt->x;
}

static void scroll_up(struct vt *vt)
{
    unsigned n = (vt->rows - 1) * vt->cols;
    for (unsigned i = 0; i < n; i++)
        vt->buf[i] = vt->buf[i + vt->cols];
    fill(vt, n, n + vt->cols);
}

static void line_feed(struct vt *vt)
{
    vt->x = 0;
    vt->wrap_pending = 0;
    if (vt->y + 1 < vt->rows)
        vt->y++;
    else
        scroll_up(vt);
}

static void put_glyph(struct vt *vt, uint8_t g)
{
    if (vt->wrap_pending)
        line_feed(vt);
    vt->buf[vt_cursor(vt)] = (uint16_t)((unsigned)vt->attr << 8 | g);
    if (vt->x + 1 < vt->cols)
        vt->x++;
    else
        vt->wrap_pending = 1;
}

/* Code page 437 glyph for a non-ASCII code point, '?' if it has none. */
static uint8_t cp437(uint32_t cp)
{
    static const struct {
        uint16_t cp;
        uint8_t glyph;
    } map[] = {
        {0x00b0, 0xf8}, {0x00b1, 0xf1}, {0x00b5, 0xe6}, {0x00b7, 0xfa}, {0x2013, '-'},
        {0x2014, '-'},  {0x2018, '\''}, {0x2019, '\''}, {0x201c, '"'},  {0x201d, '"'},
        {0x2022, 0x07}, {0x2026, '.'},  {0x2190, 0x1b}, {0x2192, 0x1a}, {0x2500, 0xc4},
        {0x2502, 0xb3}, {0x250c, 0xda}, {0x2510, 0xbf}, {0x2514, 0xc0}, {0x2518, 0xd9},
        {0x251c, 0xc3}, {0x2524, 0xb4}, {0x252c, 0xc2}, {0x2534, 0xc1}, {0x253c, 0xc5},
        {0x2588, 0xdb},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].cp == cp)
            return map[i].glyph;
    return '?';
}

static unsigned param(const struct vt *vt, unsigned i, unsigned dflt)
{
    unsigned v = i <= vt->nparams && i < VT_MAX_PARAMS ? vt->params[i] : 0;
    return v ? v : dflt;
}

static void sgr(struct vt *vt)
{
    static const uint8_t ansi_to_vga[8] = {0, 4, 2, 6, 1, 5, 3, 7};
    unsigned n = vt->nparams + 1 < VT_MAX_PARAMS ? vt->nparams + 1u : VT_MAX_PARAMS;
    for (unsigned i = 0; i < n; i++) {
        unsigned p = vt->params[i];
        if (p == 0) {
            vt->fg = VT_ATTR_DEFAULT;
            vt->bg = 0;
            vt->bold = vt->reverse = 0;
        } else if (p == 1) {
            vt->bold = 1;
        } else if (p == 7) {
            vt->reverse = 1;
        } else if (p == 22) {
            vt->bold = 0;
        } else if (p == 27) {
            vt->reverse = 0;
        } else if (p >= 30 && p <= 37) {
            vt->fg = ansi_to_vga[p - 30];
        } else if (p == 39) {
            vt->fg = VT_ATTR_DEFAULT;
        } else if (p >= 40 && p <= 47) {
            vt->bg = ansi_to_vga[p - 40];
        } else if (p == 49) {
            vt->bg = 0;
        } else if (p >= 90 && p <= 97) {
            vt->fg = (uint8_t)(ansi_to_vga[p - 90] | 0x08);
        } else if (p >= 100 && p <= 107) {
            vt->bg = (uint8_t)(ansi_to_vga[p - 100] | 0x08);
        }
    }
    update_attr(vt);
}

static void csi_dispatch(struct vt *vt, char final)
{
    unsigned n = param(vt, 0, 1), here = vt_cursor(vt), end = vt->cols * vt->rows;
    unsigned line = vt->y * vt->cols;
    if (vt->private_)
        return;
    if (final != 'm')
        vt->wrap_pending = 0;
    switch (final) {
    case 'A':
        vt->y = n > vt->y ? 0 : vt->y - n;
        break;
    case 'B':
        vt->y = n >= vt->rows - vt->y ? vt->rows - 1 : vt->y + n;
        break;
    case 'C':
        vt->x = n >= vt->cols - vt->x ? vt->cols - 1 : vt->x + n;
        break;
    case 'D':
        vt->x = n > vt->x ? 0 : vt->x - n;
        break;
    case 'H':
    case 'f': {
        unsigned r = param(vt, 0, 1), c = param(vt, 1, 1);
        vt->y = (r > vt->rows ? vt->rows : r) - 1;
        vt->x = (c > vt->cols ? vt->cols : c) - 1;
        break;
    }
    case 'J':
        switch (param(vt, 0, 0)) {
        case 0:
            fill(vt, here, end);
            break;
        case 1:
            fill(vt, 0, here + 1);
            break;
        case 2:
        case 3:
            fill(vt, 0, end);
            break;
        }
        break;
    case 'K':
        switch (param(vt, 0, 0)) {
        case 0:
            fill(vt, here, line + vt->cols);
            break;
        case 1:
            fill(vt, line, here + 1);
            break;
        case 2:
            fill(vt, line, line + vt->cols);
            break;
        }
        break;
    case 'm':
        sgr(vt);
        break;
    default: /* unknown: ignored */
        break;
    }
}

/* Control characters act in every parser state (as on a VT100); returns 1 if c was one. */
static int control(struct vt *vt, unsigned char c)
{
    switch (c) {
    case '\n':
    case '\v':
    case '\f':
        line_feed(vt);
        return 1;
    case '\r':
        vt->x = 0;
        vt->wrap_pending = 0;
        return 1;
    case '\b': /* from a pending wrap too, as xterm and Linux do */
        vt->wrap_pending = 0;
        if (vt->x > 0)
            vt->x--;
        return 1;
    case '\t':
        vt->wrap_pending = 0;
        vt->x = (vt->x | 7) + 1 < vt->cols ? (vt->x | 7) + 1 : vt->cols - 1;
        return 1;
    case 0x18: /* CAN and SUB abort a sequence */
    case 0x1a:
        vt->state = VT_GROUND;
        return 1;
    case 0x1b:
        vt->state = VT_ESC;
        return 1;
    default:
        return c < 0x20 || c == 0x7f; /* other C0 codes and DEL: nothing */
    }
}

static void csi_byte(struct vt *vt, unsigned char c)
{
    if (c >= '0' && c <= '9') {
        if (vt->nparams < VT_MAX_PARAMS) {
            unsigned *p = &vt->params[vt->nparams];
            *p = *p * 10 + (c - '0');
            if (*p > VT_PARAM_MAX)
                *p = VT_PARAM_MAX;
        }
    } else if (c == ';') {
        if (vt->nparams < VT_MAX_PARAMS)
            vt->nparams++;
    } else if (c >= 0x3c && c <= 0x3f) {
        vt->private_ = 1; /* "?25h" and friends */
    } else if (c >= 0x20 && c <= 0x2f) {
        vt->private_ = 1; /* intermediates: nothing we implement */
    } else if (c >= 0x40 && c <= 0x7e) {
        csi_dispatch(vt, (char)c);
        vt->state = VT_GROUND;
    } else {
        vt->state = VT_GROUND; /* malformed: drop the sequence */
    }
}

static void utf8_byte(struct vt *vt, unsigned char c)
{
    if (vt->utf8_left && (c & 0xc0) == 0x80) {
        vt->utf8_cp = vt->utf8_cp << 6 | (c & 0x3f);
        if (--vt->utf8_left == 0)
            put_glyph(vt, cp437(vt->utf8_cp));
        return;
    }
    if (vt->utf8_left) /* a truncated sequence */
        put_glyph(vt, '?');
    vt->utf8_left = 0;
    if (c >= 0xc2 && c <= 0xdf) {
        vt->utf8_left = 1;
        vt->utf8_cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        vt->utf8_left = 2;
        vt->utf8_cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        vt->utf8_left = 3;
        vt->utf8_cp = c & 0x07;
    } else {
        put_glyph(vt, '?');
    }
}

void vt_write(struct vt *vt, const char *s, size_t n)
{
    if (!vt || !vt->buf || !s)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80 && vt->utf8_left) {
            vt->utf8_left = 0;
            put_glyph(vt, '?');
        }
        if (control(vt, c)) {
            if (c == 0x1b) {
                vt->nparams = 0;
                vt->private_ = 0;
                for (unsigned k = 0; k < VT_MAX_PARAMS; k++)
                    vt->params[k] = 0;
            }
            continue;
        }
        switch (vt->state) {
        case VT_ESC:
            if (c == '[')
                vt->state = VT_CSI;
            else if (c < 0x20 || c > 0x2f) /* ESC x: a final byte ends it; ignored */
                vt->state = VT_GROUND;
            break;
        case VT_CSI:
            csi_byte(vt, c);
            break;
        default:
            if (c >= 0x80)
                utf8_byte(vt, c);
            else
                put_glyph(vt, c);
            break;
        }
    }
}
