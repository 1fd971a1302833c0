/* Fuzz the MADT parser (firmware input): it must never read out of bounds, answers only 0 or
 * KE_NOEXEC, writes *out only on success and a message only on failure. Each input is parsed
 * twice: as given (mostly refused by the header checks), and with signature, length and
 * checksum fixed up so that the entry walk is reached. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include "arch/madt.h"

static void parse_one(const uint8_t *table, size_t size)
{
    /* An exact-size heap copy so ASan sees any over-read. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return;
    memcpy(copy, table, size);
    static struct madt_info out, poison;
    memset(&out, 0xaa, sizeof(out));
    memset(&poison, 0xaa, sizeof(poison));
    char why[96];
    memset(why, 0x55, sizeof(why));
    int rc = madt_parse(copy, size, &out, why, sizeof(why));
    if (rc == 0) {
        if (out.ncpus > MADT_MAX_CPUS || why[0] != 0x55)
            abort();
        for (unsigned i = 0; i < out.ncpus; i++) {
            if (!out.cpus[i].enabled && !out.cpus[i].online_capable)
                abort();
            for (unsigned j = 0; j < i; j++)
                if (out.cpus[j].apic_id == out.cpus[i].apic_id)
                    abort();
        }
    } else if (rc == KE_NOEXEC) {
        /* Untouched, and a terminated message that names an offset. */
        if (memcmp(&out, &poison, sizeof(out)) != 0 || !memchr(why, 0, sizeof(why)) ||
            !strstr(why, "offset "))
            abort();
    } else {
        abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_one(data, size);
    if (size < 44 || size > UINT32_MAX)
        return 0;
    uint8_t *fixed = malloc(size);
    if (!fixed)
        return 0;
    memcpy(fixed, data, size);
    memcpy(fixed, "APIC", 4);
    uint32_t len = (uint32_t)size;
    memcpy(fixed + 4, &len, sizeof(len));
    fixed[9] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < size; i++)
        sum += fixed[i];
    fixed[9] = (uint8_t)-sum;
    parse_one(fixed, size);
    free(fixed);
    return 0;
}
