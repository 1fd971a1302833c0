/* libFuzzer target for the command line API. The input is split at its first 0xff byte into a
 * command line and a key (both made NUL-terminated copies of exact size, so ASan sees any read
 * past the terminator). Checks that iteration terminates with spans inside the line, and that
 * has/get/get_u64 agree with each other. */
#include <keel/cmdline.h>
#include <keel/errno.h>
#include <keel/string.h>

#include <stdlib.h>

static char *dup_span(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static void inside(const char *p, size_t n, const char *line, size_t len)
{
    if (p < line || p + n > line + len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t split = 0;
    while (split < size && data[split] != 0xff)
        split++;
    char *line = dup_span(data, split);
    char *key =
        dup_span(data + (split < size ? split + 1 : size), split < size ? size - split - 1 : 0);
    size_t len = strlen(line); /* an embedded NUL ends the line early, as in C */

    /* Iteration: every option makes progress and stays within the line. */
    const char *cur = line;
    struct cmdline_opt o;
    size_t count = 0;
    int r;
    while ((r = cmdline_next(&cur, &o)) == 1) {
        inside(o.key, o.key_len, line, len);
        if (o.has_value)
            inside(o.value, o.value_len, line, len);
        else if (o.value || o.value_len)
            abort();
        if (++count > len)
            abort(); /* more options than bytes: no progress */
    }
    if (r != 0 || cur != line + len)
        abort(); /* iteration ends only with 0, at the end of the line */

    /* has/get/get_u64 agree. */
    char buf[64];
    bool has = cmdline_has(line, key);
    int got = cmdline_get(line, key, buf, sizeof(buf));
    uint64_t v;
    int num = cmdline_get_u64(line, key, &v);
    if (*key) {
        if (has != (got != KE_NOENT) || has != (num != KE_NOENT))
            abort();
        if (got >= 0 && (size_t)got != strlen(buf))
            abort();
        if (got != KE_NOENT && got != KE_RANGE && got < 0)
            abort();
        if (num != 0 && num != KE_NOENT && num != KE_INVAL)
            abort();
    } else if (has || got != KE_INVAL || num != KE_INVAL) {
        abort();
    }
    free(line);
    free(key);
    return 0;
}
