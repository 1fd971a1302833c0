/* The boot manifest parser (freestanding, fuzzed): see keel/manifest.h. */
#include <keel/errno.h>
#include <keel/manifest.h>

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' ||
           c == '.' || c == '_' || c == '+' || c == '-';
}

static int space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int manifest_next(const char **cursor, const char *end, struct manifest_batch *out)
{
    if (!cursor || !*cursor || !end || !out || *cursor > end)
        return KE_INVAL;
    const char *p = *cursor;
    unsigned line = out->line;
    for (;;) {
        if (p >= end) {
            *cursor = p;
            return 0;
        }
        const char *eol = p;
        while (eol < end && *eol != '\n')
            eol++;
        const char *next = eol < end ? eol + 1 : eol;
        line++;
        /* Comments run to the end of the line. */
        const char *stop = p;
        while (stop < eol && *stop != '#')
            stop++;
        out->line = line;
        out->count = 0;
        int bad = 0;
        const char *q = p;
        while (q < stop) {
            while (q < stop && space(*q))
                q++;
            if (q >= stop)
                break;
            const char *s = q;
            while (q < stop && !space(*q)) {
                if (!name_char(*q))
                    bad = 1;
                q++;
            }
            size_t len = (size_t)(q - s);
            if (len > MANIFEST_NAME_MAX || out->count == MANIFEST_MAX_BATCH)
                bad = 1;
            else if (!bad) {
                out->items[out->count].name = s;
                out->items[out->count].len = len;
                out->count++;
            }
        }
        p = next;
        if (bad) {
            *cursor = p;
            out->count = 0;
            return KE_NOEXEC;
        }
        if (out->count) {
            *cursor = p;
            return 1;
        }
    }
}
