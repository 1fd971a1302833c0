/* TEMPORARY stand-in */
#include <keel/string.h>
#include "arch/madt.h"
int madt_parse(const void *table, size_t len, struct madt_info *out, char *why_buf, size_t why_size)
{
    (void)why_buf; (void)why_size;
    const uint8_t *t = table;
    memset(out, 0, sizeof(*out));
    for (size_t off = 44; off + 2 <= len;) {
        uint8_t type = t[off], l = t[off + 1];
        if (l < 2) return -2;
        if (type == 0 && out->ncpus < MADT_MAX_CPUS) {
            uint32_t fl; memcpy(&fl, t + off + 4, 4);
            out->cpus[out->ncpus].apic_id = t[off + 3];
            out->cpus[out->ncpus].enabled = fl & 1;
            out->ncpus++;
        }
        off += l;
    }
    return 0;
}
