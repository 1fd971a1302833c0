/* The command index (cmdindex.h). */
#include <stdbool.h>
#include <keel/errno.h>
#include <keel/string.h>
#include "cmdindex.h"

/* Length of the cell-name part of an object name, or 0 if it is not "<cell>[@<v>].o". */
static size_t object_cell_len(const char *obj, size_t len)
{
    if (len < 3 || obj[len - 2] != '.' || obj[len - 1] != 'o')
        return 0;
    size_t n = 0;
    while (n < len - 2 && obj[n] != '@')
        n++;
    return n;
}

static bool valid_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == 0)
            return false;
    return true;
}

/* Split one line (without its newline) into the four fields. */
static bool parse_line(const char *line, size_t len, struct cmdindex_entry *e)
{
    const char *field[4];
    size_t flen[4];
    size_t f = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != '\t')
            continue;
        if (f == 4)
            return false; /* a fifth field */
        field[f] = line + start;
        flen[f] = i - start;
        f++;
        start = i + 1;
    }
    if (f != 4)
        return false;
    if (flen[3] && field[3][flen[3] - 1] == '\r')
        flen[3]--; /* an index written with CRLF line ends */
    if (!valid_name(field[0], flen[0]) || !valid_name(field[3], flen[3]) ||
        object_cell_len(field[3], flen[3]) == 0)
        return false;
    *e = (struct cmdindex_entry){field[0], field[1], field[2], field[3],
                                 flen[0],  flen[1],  flen[2],  flen[3]};
    return true;
}

int cmdindex_next(const char *data, size_t size, size_t *pos, struct cmdindex_entry *e)
{
    if (!data || !pos || !e)
        return 0;
    while (*pos < size) {
        const char *line = data + *pos;
        const char *nl = memchr(line, '\n', size - *pos);
        size_t len = nl ? (size_t)(nl - line) : size - *pos;
        *pos += len + (nl ? 1 : 0);
        if (parse_line(line, len, e))
            return 1;
    }
    return 0;
}

int cmdindex_find(const char *data, size_t size, const char *name, struct cmdindex_entry *e)
{
    if (!data || !name || !e)
        return KE_INVAL;
    size_t n = strlen(name);
    size_t pos = 0;
    struct cmdindex_entry cur;
    while (cmdindex_next(data, size, &pos, &cur)) {
        if (cur.name_len == n && memcmp(cur.name, name, n) == 0) {
            *e = cur;
            return 0;
        }
    }
    return KE_NOENT;
}

int cmdindex_cell(const struct cmdindex_entry *e, char *buf, size_t size)
{
    if (!e || !buf)
        return KE_INVAL;
    size_t n = object_cell_len(e->object, e->object_len);
    if (n == 0)
        return KE_INVAL;
    if (n + 1 > size)
        return KE_RANGE;
    memcpy(buf, e->object, n);
    buf[n] = 0;
    return (int)n;
}
