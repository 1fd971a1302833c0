/* Parsing byte counts such as "16M" (size.h). */
#include <stdbool.h>
#include <stdint.h>
#include <keel/errno.h>
#include <keel/string.h>
#include "ramfs/size.h"

int ramfs_parse_size(const char *s, size_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return KE_INVAL;
    size_t v = 0;
    bool big = false;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (SIZE_MAX - d) / 10)
            big = true;
        else
            v = v * 10 + d;
    }
    unsigned shift = 0;
    if (*s == 'K' || *s == 'k')
        shift = 10;
    else if (*s == 'M' || *s == 'm')
        shift = 20;
    else if (*s == 'G' || *s == 'g')
        shift = 30;
    if (shift) {
        s++;
        if (strcmp(s, "iB") == 0)
            s += 2;
    }
    if (*s)
        return KE_INVAL;
    if (big || v > (SIZE_MAX >> shift))
        return KE_RANGE;
    *out = v << shift;
    return 0;
}
