/* printf engine: parses one conversion spec at a time and emits literal runs, padding and
 * digits as pieces through the caller's emit function, so it needs no buffer of its own beyond
 * one number's digits. Behaviour follows glibc so the host's snprintf can serve as the oracle. */
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include <stdbool.h>

#define FMT_INT_MAX ((size_t)__INT_MAX__)

struct out {
    format_emit_fn emit;
    void *ctx;
    size_t count;
    bool overflow;
};

static bool room(struct out *o, size_t n)
{
    if (o->overflow || n > FMT_INT_MAX - o->count) {
        o->overflow = true;
        return false;
    }
    return true;
}

static void put(struct out *o, const char *s, size_t n)
{
    if (n == 0 || !room(o, n))
        return;
    o->emit(o->ctx, s, n);
    o->count += n;
}

static void pad(struct out *o, char c, size_t n)
{
    static const char spaces[16] = "                ";
    static const char zeros[16] = "0000000000000000";
    if (n == 0 || !room(o, n))
        return;
    while (n > 0) {
        size_t chunk = n < sizeof(spaces) ? n : sizeof(spaces);
        put(o, c == '0' ? zeros : spaces, chunk);
        n -= chunk;
    }
}

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct spec {
    bool minus, plus, space, zero, alt;
    bool has_prec;
    size_t width, prec;
    enum length len;
};

/* Pads str (n chars) to the width: strings and characters pad with spaces only, as in glibc. */
static void put_padded(struct out *o, const struct spec *sp, const char *str, size_t n)
{
    size_t fill = sp->width > n ? sp->width - n : 0;
    if (!room(o, n + fill))
        return; /* refuse the whole field rather than emit part of it */
    if (!sp->minus)
        pad(o, ' ', fill);
    put(o, str, n);
    if (sp->minus)
        pad(o, ' ', fill);
}

static void put_number(struct out *o, const struct spec *sp, uintmax_t mag, char sign,
                       unsigned base, bool upper, bool prefix_0x)
{
    const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[24]; /* 64 bits in octal: 22 digits */
    size_t nd = 0;
    if (!(sp->has_prec && sp->prec == 0 && mag == 0)) {
        do {
            digits[sizeof(digits) - 1 - nd++] = digit_chars[mag % base];
            mag /= base;
        } while (mag);
    }
    const char *first = digits + sizeof(digits) - nd;

    char prefix[3];
    size_t np = 0;
    if (sign)
        prefix[np++] = sign;
    if (prefix_0x) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    }
    size_t zeros = sp->has_prec && sp->prec > nd ? sp->prec - nd : 0;
    if (base == 8 && sp->alt && zeros == 0 && (nd == 0 || first[0] != '0'))
        zeros = 1; /* %#o: the first digit is always 0 */

    size_t len = np + zeros + nd;
    size_t fill = sp->width > len ? sp->width - len : 0;
    if (!room(o, len + fill))
        return;
    if (!sp->minus && !(sp->zero && !sp->has_prec))
        pad(o, ' ', fill);
    put(o, prefix, np);
    if (!sp->minus && sp->zero && !sp->has_prec)
        pad(o, '0', fill);
    pad(o, '0', zeros);
    put(o, first, nd);
    if (sp->minus)
        pad(o, ' ', fill);
}

static intmax_t arg_signed(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_HH:
        return (signed char)va_arg(*ap, int);
    case LEN_H:
        return (short)va_arg(*ap, int);
    case LEN_L:
        return va_arg(*ap, long);
    case LEN_LL:
        return va_arg(*ap, long long);
    case LEN_Z:
    case LEN_T:
        return va_arg(*ap, ptrdiff_t); /* the signed type of size_t's width */
    case LEN_J:
        return va_arg(*ap, intmax_t);
    default:
        return va_arg(*ap, int);
    }
}

static uintmax_t arg_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_HH:
        return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H:
        return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L:
        return va_arg(*ap, unsigned long);
    case LEN_LL:
        return va_arg(*ap, unsigned long long);
    case LEN_Z:
    case LEN_T:
        return va_arg(*ap, size_t);
    case LEN_J:
        return va_arg(*ap, uintmax_t);
    default:
        return va_arg(*ap, unsigned int);
    }
}

/* Reads decimal digits, saturating at INT_MAX (the output then overflows with KE_OVERFLOW). */
static size_t parse_num(const char **p)
{
    size_t v = 0;
    while (**p >= '0' && **p <= '9') {
        v = v * 10 + (size_t)(**p - '0');
        if (v > FMT_INT_MAX)
            v = FMT_INT_MAX + 1;
        (*p)++;
    }
    return v;
}

/* Handles the conversion spec after '%' at *pp; returns false if it is not one we support. */
static bool convert(struct out *o, const char **pp, va_list *ap)
{
    const char *p = *pp;
    struct spec sp = {0};
    for (;; p++) {
        if (*p == '-')
            sp.minus = true;
        else if (*p == '+')
            sp.plus = true;
        else if (*p == ' ')
            sp.space = true;
        else if (*p == '0')
            sp.zero = true;
        else if (*p == '#')
            sp.alt = true;
        else
            break;
    }
    if (*p == '*') {
        int w = va_arg(*ap, int);
        if (w < 0) {
            sp.minus = true;
            sp.width = (size_t)0 - (size_t)(intmax_t)w;
        } else {
            sp.width = (size_t)w;
        }
        p++;
    } else {
        sp.width = parse_num(&p);
    }
    if (*p == '.') {
        p++;
        sp.has_prec = true;
        if (*p == '*') {
            int pr = va_arg(*ap, int);
            sp.has_prec = pr >= 0; /* a negative precision is taken as omitted */
            sp.prec = pr >= 0 ? (size_t)pr : 0;
            p++;
        } else {
            sp.prec = parse_num(&p);
        }
    }
    if (*p == 'h') {
        sp.len = p[1] == 'h' ? LEN_HH : LEN_H;
        p += sp.len == LEN_HH ? 2 : 1;
    } else if (*p == 'l') {
        sp.len = p[1] == 'l' ? LEN_LL : LEN_L;
        p += sp.len == LEN_LL ? 2 : 1;
    } else if (*p == 'z') {
        sp.len = LEN_Z;
        p++;
    } else if (*p == 't') {
        sp.len = LEN_T;
        p++;
    } else if (*p == 'j') {
        sp.len = LEN_J;
        p++;
    }

    char c = *p;
    switch (c) {
    case 'd':
    case 'i': {
        intmax_t v = arg_signed(ap, sp.len);
        uintmax_t mag = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
        char sign = v < 0 ? '-' : sp.plus ? '+' : sp.space ? ' ' : 0;
        put_number(o, &sp, mag, sign, 10, false, false);
        break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
        uintmax_t v = arg_unsigned(ap, sp.len);
        unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
        put_number(o, &sp, v, 0, base, c == 'X', base == 16 && sp.alt && v != 0);
        break;
    }
    case 'c': {
        if (sp.len != LEN_NONE)
            return false;
        char ch = (char)(unsigned char)va_arg(*ap, int);
        put_padded(o, &sp, &ch, 1);
        break;
    }
    case 's': {
        if (sp.len != LEN_NONE)
            return false;
        const char *s = va_arg(*ap, const char *);
        if (!s) /* glibc: "(null)" only if the precision lets it show whole */
            s = sp.has_prec && sp.prec < 6 ? "" : "(null)";
        size_t n = sp.has_prec ? strnlen(s, sp.prec) : strlen(s);
        put_padded(o, &sp, s, n);
        break;
    }
    case 'p': {
        if (sp.len != LEN_NONE)
            return false;
        const void *ptr = va_arg(*ap, const void *);
        if (!ptr) {
            put_padded(o, &sp, "(nil)", 5);
            break;
        }
        char sign = sp.plus ? '+' : sp.space ? ' ' : 0;
        put_number(o, &sp, (uintptr_t)ptr, sign, 16, false, true);
        break;
    }
    case '%':
        put(o, "%", 1);
        break;
    default:
        return false;
    }
    *pp = p + 1;
    return true;
}

int kvformat(format_emit_fn emit, void *ctx, const char *fmt, va_list ap)
{
    if (!emit || !fmt)
        return KE_INVAL;
    struct out o = {emit, ctx, 0, false};
    va_list args;
    va_copy(args, ap); /* a va_list parameter cannot be passed on by address portably */
    const char *p = fmt;
    while (*p && !o.overflow) {
        const char *lit = p;
        while (*p && *p != '%')
            p++;
        put(&o, lit, (size_t)(p - lit));
        if (!*p)
            break;
        const char *spec = p++;
        if (!convert(&o, &p, &args)) {
            /* Print the unknown sequence through its offending character (or the end). */
            p = spec + 1;
            while (*p && !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && *p != '%')
                p++;
            while (*p == 'h' || *p == 'l' || *p == 'z' || *p == 't' || *p == 'j')
                p++;
            if (*p)
                p++;
            put(&o, spec, (size_t)(p - spec));
        }
    }
    va_end(args);
    return o.overflow ? KE_OVERFLOW : (int)o.count;
}

int kformat(format_emit_fn emit, void *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvformat(emit, ctx, fmt, ap);
    va_end(ap);
    return r;
}

struct sbuf {
    char *buf;
    size_t size; /* > 0: room for size-1 characters and the NUL */
    size_t pos;
};

static void sbuf_emit(void *ctx, const char *s, size_t n)
{
    struct sbuf *sb = ctx;
    size_t left = sb->size - 1 - sb->pos;
    size_t take = n < left ? n : left;
    memcpy(sb->buf + sb->pos, s, take);
    sb->pos += take;
}

static void discard_emit(void *ctx, const char *s, size_t n) {}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    if ((!buf && size > 0) || !fmt)
        return KE_INVAL;
    if (size == 0)
        return kvformat(discard_emit, NULL, fmt, ap);
    struct sbuf sb = {buf, size, 0};
    int r = kvformat(sbuf_emit, &sb, fmt, ap);
    buf[sb.pos] = '\0';
    return r;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

int format_size(char *buf, size_t n, uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;
    while (bytes != 0 && u + 1 < sizeof(units) / sizeof(units[0]) && (bytes & 1023) == 0) {
        bytes >>= 10;
        u++;
    }
    return ksnprintf(buf, n, "%llu %s", (unsigned long long)bytes, units[u]);
}
