/* Completion (complete.h). The kept matches live in one byte buffer with a sorted index, so
 * duplicates (a name both a cell and a file, say) are found with a binary search. */
#include <stdbool.h>
#include <keel/errno.h>
#include <keel/string.h>
#include "complete.h"

int completion_begin(struct completion *c, const char *prefix, size_t len)
{
    if (!c || (!prefix && len))
        return KE_INVAL;
    if (len >= COMPLETE_NAME_MAX)
        return KE_RANGE;
    memcpy(c->prefix, prefix, len);
    c->prefix[len] = 0;
    c->prefix_len = len;
    c->used = c->kept = c->total = c->common_len = 0;
    return 0;
}

/* Compare a counted name with a kept (NUL-terminated) one, strcmp order. */
static int compare(const char *name, size_t len, const char *kept)
{
    size_t i = 0;
    for (; i < len && kept[i]; i++)
        if (name[i] != kept[i])
            return (unsigned char)name[i] < (unsigned char)kept[i] ? -1 : 1;
    if (i < len)
        return 1;
    return kept[i] ? -1 : 0;
}

int completion_offer(struct completion *c, const char *name, size_t len)
{
    if (!c || !name || len == 0 || len >= COMPLETE_NAME_MAX || len < c->prefix_len ||
        memcmp(name, c->prefix, c->prefix_len) != 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] == 0 || name[i] == ' ' || name[i] == '\t')
            return 0;
    /* Where it goes in the sorted index (and whether it is already there). */
    size_t lo = 0, hi = c->kept;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int d = compare(name, len, c->names + c->sorted[mid]);
        if (d == 0)
            return 0;
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (c->total == 0) {
        c->common_len = len;
    } else {
        /* Every kept match shares the common prefix; the first kept one stands for them all. */
        const char *ref = c->names + c->sorted[0];
        size_t n = 0;
        while (n < c->common_len && n < len && name[n] == ref[n])
            n++;
        c->common_len = n;
    }
    c->total++;
    if (c->kept < COMPLETE_MAX_MATCHES && len + 1 <= COMPLETE_BUF - c->used) {
        memmove(c->sorted + lo + 1, c->sorted + lo, (c->kept - lo) * sizeof(c->sorted[0]));
        c->sorted[lo] = (uint16_t)c->used;
        memcpy(c->names + c->used, name, len);
        c->names[c->used + len] = 0;
        c->used += len + 1;
        c->kept++;
    }
    return 1;
}

size_t completion_count(const struct completion *c)
{
    return c->total;
}

const char *completion_match(const struct completion *c, size_t i)
{
    return i < c->kept ? c->names + c->sorted[i] : NULL;
}

size_t completion_extension(const struct completion *c, const char **ext)
{
    if (c->total == 0) {
        *ext = c->names;
        return 0;
    }
    *ext = c->names + c->sorted[0] + c->prefix_len;
    return c->common_len - c->prefix_len;
}

static size_t decimal(char *buf, size_t v)
{
    char tmp[20];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf[k++] = tmp[--n];
    return k;
}

size_t completion_list(const struct completion *c, size_t width, complete_write_fn write, void *ctx)
{
    static const char spaces[16] = "                ";
    if (width == 0)
        width = 80;
    size_t widest = 0;
    for (size_t i = 0; i < c->kept; i++) {
        size_t n = strlen(completion_match(c, i));
        if (n > widest)
            widest = n;
    }
    size_t colw = widest + 2;
    size_t cols = width / colw ? width / colw : 1;
    size_t lines = 0;
    for (size_t i = 0; i < c->kept; i++) {
        const char *m = completion_match(c, i);
        size_t n = strlen(m);
        write(ctx, m, n);
        bool last_in_row = (i + 1) % cols == 0 || i + 1 == c->kept;
        if (last_in_row) {
            write(ctx, "\n", 1);
            lines++;
            continue;
        }
        for (size_t pad = colw - n; pad;) {
            size_t k = pad < sizeof(spaces) ? pad : sizeof(spaces);
            write(ctx, spaces, k);
            pad -= k;
        }
    }
    if (c->total > c->kept) {
        char buf[48] = "... and ";
        size_t k = 8 + decimal(buf + 8, c->total - c->kept);
        memcpy(buf + k, " more\n", 6);
        write(ctx, buf, k + 6);
        lines++;
    }
    return lines;
}
