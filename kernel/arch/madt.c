/* The ACPI MADT parser: see arch/madt.h. One pass into a local copy, so that a table found bad
 * half-way leaves the caller's struct untouched. Fields are read with memcpy: entries are byte
 * packed, so nothing in the table is aligned. */
#include <stdarg.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include <keel/unaligned.h>
#include "arch/madt.h"

#define MADT_HEADER_SIZE  44 /* the 36-byte SDT header, local APIC address u32, flags u32 */
#define MADT_OFF_LENGTH   4
#define MADT_OFF_CHECKSUM 9
#define MADT_OFF_LAPIC    36
#define MADT_OFF_FLAGS    40

enum madt_type {
    MADT_LAPIC = 0,
    MADT_IOAPIC = 1,
    MADT_LAPIC_OVERRIDE = 5,
    MADT_X2APIC = 9,
};

#define LAPIC_ENABLED        (1u << 0)
#define LAPIC_ONLINE_CAPABLE (1u << 1)

/* The size of a known entry type, 0 for a type we skip. */
static size_t entry_size(uint8_t type)
{
    switch (type) {
    case MADT_LAPIC:
        return 8;
    case MADT_IOAPIC:
    case MADT_LAPIC_OVERRIDE:
        return 12;
    case MADT_X2APIC:
        return 16;
    default:
        return 0;
    }
}

__attribute__((format(printf, 3, 4))) static int malformed(char *why, size_t why_size,
                                                           const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return KE_NOEXEC;
}

/* Keeps a usable CPU. An x2APIC id below 255 names the same APIC as the equal xAPIC id, so
 * both entry types share one id space for the duplicate check. */
static void add_cpu(struct madt_info *m, uint32_t apic_id, uint32_t uid, uint32_t flags,
                    bool x2apic)
{
    bool enabled = flags & LAPIC_ENABLED;
    bool online_capable = flags & LAPIC_ONLINE_CAPABLE;
    if (!enabled && !online_capable) {
        m->disabled++;
        return;
    }
    for (unsigned i = 0; i < m->ncpus; i++) {
        if (m->cpus[i].apic_id == apic_id) {
            m->dropped++;
            return;
        }
    }
    if (m->ncpus == MADT_MAX_CPUS) {
        m->dropped++;
        return;
    }
    m->cpus[m->ncpus++] = (struct madt_cpu){.apic_id = apic_id,
                                            .acpi_uid = uid,
                                            .enabled = enabled,
                                            .online_capable = online_capable,
                                            .x2apic = x2apic};
}

static int check_header(const uint8_t *t, size_t len, char *why, size_t why_size)
{
    if (len < MADT_HEADER_SIZE)
        return malformed(why, why_size,
                         "offset 0: %zu bytes is shorter than the %d-byte MADT header", len,
                         MADT_HEADER_SIZE);
    if (memcmp(t, "APIC", 4) != 0)
        return malformed(why, why_size, "offset 0: signature %02x %02x %02x %02x is not \"APIC\"",
                         t[0], t[1], t[2], t[3]);
    uint32_t hlen = ld32(t + MADT_OFF_LENGTH);
    if (hlen > len)
        return malformed(why, why_size,
                         "offset %d: header length %u is beyond the %zu readable bytes",
                         MADT_OFF_LENGTH, hlen, len);
    if (hlen < MADT_HEADER_SIZE)
        return malformed(why, why_size,
                         "offset %d: header length %u is below the %d-byte MADT header",
                         MADT_OFF_LENGTH, hlen, MADT_HEADER_SIZE);
    uint8_t sum = 0;
    for (uint32_t i = 0; i < hlen; i++)
        sum += t[i];
    if (sum != 0)
        return malformed(why, why_size,
                         "offset %d: checksum byte 0x%02x leaves the sum over %u bytes at "
                         "0x%02x, not 0",
                         MADT_OFF_CHECKSUM, t[MADT_OFF_CHECKSUM], hlen, sum);
    return 0;
}

int madt_parse(const void *table, size_t len, struct madt_info *out, char *why_buf, size_t why_size)
{
    if (!table || !out) {
        if (why_buf && why_size)
            ksnprintf(why_buf, why_size, "no table or no place for the result");
        return KE_INVAL;
    }
    const uint8_t *t = table;
    int rc = check_header(t, len, why_buf, why_size);
    if (rc)
        return rc;

    struct madt_info m;
    memset(&m, 0, sizeof(m));
    m.lapic_base = ld32(t + MADT_OFF_LAPIC);
    m.flags = ld32(t + MADT_OFF_FLAGS);

    /* Only the header's length is the table: what follows in the mapping is not ours. */
    size_t end = ld32(t + MADT_OFF_LENGTH);
    for (size_t off = MADT_HEADER_SIZE; off < end;) {
        const uint8_t *e = t + off;
        if (end - off < 2)
            return malformed(why_buf, why_size,
                             "entry at offset %zu: 1 byte left, an entry header needs 2", off);
        uint8_t type = e[0];
        uint8_t elen = e[1];
        if (elen < 2)
            return malformed(why_buf, why_size, "entry at offset %zu: length %u is below 2", off,
                             (unsigned)elen);
        if (elen > end - off)
            return malformed(why_buf, why_size,
                             "entry at offset %zu: length %u runs past the table's end at %zu", off,
                             (unsigned)elen, end);
        size_t need = entry_size(type);
        if (elen < need)
            return malformed(why_buf, why_size,
                             "entry at offset %zu: type %u has length %u, below its size %zu", off,
                             (unsigned)type, (unsigned)elen, need);
        switch (type) {
        case MADT_LAPIC:
            add_cpu(&m, e[3], e[2], ld32(e + 4), false);
            break;
        case MADT_IOAPIC:
            m.ioapics++;
            break;
        case MADT_LAPIC_OVERRIDE:
            m.lapic_base = ld64(e + 4);
            break;
        case MADT_X2APIC:
            add_cpu(&m, ld32(e + 4), ld32(e + 12), ld32(e + 8), true);
            break;
        default:
            break; /* other interrupt controllers: skipped by their length */
        }
        off += elen;
    }
    *out = m;
    return 0;
}
