/* Kernel command line parsing (see keel/cmdline.h). Everything works on spans of the original
 * string, so no copy of the command line is ever made. */
#include <keel/cmdline.h>
#include <keel/errno.h>
#include <keel/string.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_next(const char **cursor, struct cmdline_opt *opt)
{
    if (!cursor || !opt)
        return KE_INVAL;
    const char *p = *cursor;
    if (!p)
        return 0;
    while (is_space(*p))
        p++;
    if (!*p) {
        *cursor = p;
        return 0;
    }
    struct cmdline_opt o = {.key = p};
    while (*p && !is_space(*p) && *p != '=')
        p++;
    o.key_len = (size_t)(p - o.key);
    if (*p == '=') {
        p++;
        o.has_value = true;
        if (*p == '"') {
            o.value = ++p;
            while (*p && *p != '"')
                p++;
            o.value_len = (size_t)(p - o.value);
            if (*p == '"')
                p++;
        } else {
            o.value = p;
            while (*p && !is_space(*p))
                p++;
            o.value_len = (size_t)(p - o.value);
        }
    }
    *opt = o;
    *cursor = p;
    return 1;
}

/* Finds the last occurrence of key; returns false if there is none. */
static bool find_last(const char *cmdline, const char *key, struct cmdline_opt *found)
{
    size_t klen = strlen(key);
    bool any = false;
    struct cmdline_opt o;
    const char *cur = cmdline;
    while (cmdline_next(&cur, &o) == 1) {
        if (o.key_len == klen && memcmp(o.key, key, klen) == 0) {
            *found = o;
            any = true;
        }
    }
    return any;
}

bool cmdline_has(const char *cmdline, const char *key)
{
    struct cmdline_opt o;
    if (!key || !*key)
        return false;
    return find_last(cmdline, key, &o);
}

int cmdline_get(const char *cmdline, const char *key, char *buf, size_t bufsize)
{
    struct cmdline_opt o;
    if (!key || !*key || !buf)
        return KE_INVAL;
    if (!find_last(cmdline, key, &o))
        return KE_NOENT;
    if (o.value_len >= bufsize || o.value_len > INT32_MAX)
        return KE_RANGE;
    if (o.value_len)
        memcpy(buf, o.value, o.value_len);
    buf[o.value_len] = 0;
    return (int)o.value_len;
}

static int digit_value(char c, unsigned base)
{
    unsigned d;
    if (c >= '0' && c <= '9')
        d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
        d = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
        d = (unsigned)(c - 'A' + 10);
    else
        return -1;
    return d < base ? (int)d : -1;
}

int cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out)
{
    struct cmdline_opt o;
    if (!key || !*key || !out)
        return KE_INVAL;
    if (!find_last(cmdline, key, &o))
        return KE_NOENT;
    const char *s = o.value;
    size_t n = o.value_len;
    unsigned base = 10;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        n -= 2;
    }
    if (n == 0)
        return KE_INVAL; /* bare word, empty value or a lone "0x" */
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digit_value(s[i], base);
        if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
            return KE_INVAL;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}
