/* Command-line words (tokenize.h). One scanner runs twice: first to validate and measure
 * without writing anything, then to write the words. */
#include <stdbool.h>
#include <keel/errno.h>
#include "tokenize.h"

struct scan {
    size_t words; /* words found */
    size_t bytes; /* bytes of out needed, NULs included */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Scan line; when out is non-NULL, also write the words and fill argv. */
static int scan(const char *line, char *out, char **argv, struct scan *s)
{
    const char *p = line;
    s->words = s->bytes = 0;
    for (;;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            return 0;
        if (out)
            argv[s->words] = out + s->bytes;
        s->words++;
        while (*p && !is_blank(*p)) {
            char c = *p++;
            if (c == '\'') {
                while (*p && *p != '\'') {
                    if (out)
                        out[s->bytes] = *p;
                    s->bytes++;
                    p++;
                }
                if (!*p)
                    return KE_INVAL;
                p++;
                continue;
            }
            if (c == '"') {
                while (*p && *p != '"') {
                    char d = *p++;
                    if (d == '\\' && (*p == '"' || *p == '\\'))
                        d = *p++;
                    if (out)
                        out[s->bytes] = d;
                    s->bytes++;
                }
                if (!*p)
                    return KE_INVAL;
                p++;
                continue;
            }
            if (c == '\\' && *p)
                c = *p++;
            if (out)
                out[s->bytes] = c;
            s->bytes++;
        }
        if (out)
            out[s->bytes] = 0;
        s->bytes++;
    }
}

int tokenize(const char *line, char *out, size_t outsize, char **argv, size_t max_args)
{
    if (!line || !out || !argv)
        return KE_INVAL;
    struct scan s;
    int r = scan(line, NULL, NULL, &s);
    if (r)
        return r;
    if (s.words > max_args)
        return KE_RANGE;
    if (s.bytes > outsize)
        return KE_NOSPC;
    scan(line, out, argv, &s);
    if (s.words < max_args)
        argv[s.words] = NULL;
    return (int)s.words;
}
