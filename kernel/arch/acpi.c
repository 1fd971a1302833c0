/* ACPI, just enough to power off and find the CPUs: RSDP -> RSDT/XSDT -> FADT (PM1 control
 * ports) -> DSDT (_S5_), and any other table by its signature (the MADT for SMP bring-up).
 * Every table is checksummed and bounds-checked against the page tables before use. */
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/paging.h>
#include <keel/power.h>
#include <keel/string.h>
#include <keel/export.h>
#include <keel/core/x86.h>
#include "arch/acpi.h"

struct sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem[6];
    char oem_table[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __attribute__((packed));

#define ACPI_MAX_TABLE (16u << 20)

static uint16_t pm1a_cnt, pm1b_cnt;
static uint8_t s5_typa, s5_typb;
static int acpi_ready;
static const uint8_t *acpi_rsdp; /* NULL until acpi_init found one */
static uint32_t acpi_rsdp_len;

static uint8_t sum_bytes(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* Map-check, length-check and checksum a table at a physical address; NULL if unusable. */
static const struct sdt_header *table_at(uint64_t pa, const char *sig)
{
    const struct sdt_header *h = phys_to_virt(pa);
    if (!pa || !paging_range_mapped((uint64_t)(uintptr_t)h, sizeof(*h), false))
        return 0;
    if (h->length < sizeof(*h) || h->length > ACPI_MAX_TABLE ||
        !paging_range_mapped((uint64_t)(uintptr_t)h, h->length, false))
        return 0;
    if (sig && memcmp(h->signature, sig, 4) != 0)
        return 0;
    if (sum_bytes((const uint8_t *)h, h->length) != 0)
        return 0;
    return h;
}

static const uint8_t *find_rsdp_in_bios(void)
{
    for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16) {
        const uint8_t *p = phys_to_virt(pa);
        if (!paging_range_mapped((uint64_t)(uintptr_t)p, 20, false))
            continue;
        if (memcmp(p, "RSD PTR ", 8) == 0 && sum_bytes(p, 20) == 0)
            return p;
    }
    return 0;
}

/* The first table with signature sig listed by the XSDT (ACPI 2+) or else the RSDT. */
static const struct sdt_header *find_table(const uint8_t *rsdp, uint32_t rsdp_len, const char *sig)
{
    uint8_t revision = rsdp[15];
    if (revision >= 2 && rsdp_len >= 36) {
        uint64_t xsdt_pa;
        memcpy(&xsdt_pa, rsdp + 24, 8);
        const struct sdt_header *x = table_at(xsdt_pa, "XSDT");
        if (x) {
            size_t n = (x->length - sizeof(*x)) / 8;
            for (size_t i = 0; i < n; i++) {
                uint64_t pa;
                memcpy(&pa, (const uint8_t *)(x + 1) + i * 8, 8);
                const struct sdt_header *t = table_at(pa, sig);
                if (t)
                    return t;
            }
        }
    }
    uint32_t rsdt_pa;
    memcpy(&rsdt_pa, rsdp + 16, 4);
    const struct sdt_header *r = table_at(rsdt_pa, "RSDT");
    if (!r)
        return 0;
    size_t n = (r->length - sizeof(*r)) / 4;
    for (size_t i = 0; i < n; i++) {
        uint32_t pa;
        memcpy(&pa, (const uint8_t *)(r + 1) + i * 4, 4);
        const struct sdt_header *t = table_at(pa, sig);
        if (t)
            return t;
    }
    return 0;
}

int acpi_init(const void *rsdp_copy, uint32_t rsdp_len)
{
    const uint8_t *rsdp = rsdp_copy;
    if (!rsdp || rsdp_len < 20) {
        rsdp = find_rsdp_in_bios();
        rsdp_len = 20;
    }
    if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) != 0) {
        log_warn("acpi: no RSDP; power-off will halt instead");
        return KE_NOENT;
    }
    acpi_rsdp = rsdp;
    acpi_rsdp_len = rsdp_len;
    const struct sdt_header *fadt = find_table(rsdp, rsdp_len, "FACP");
    if (!fadt || fadt->length < 72) {
        log_warn("acpi: no valid FADT; power-off will halt instead");
        return KE_NOEXEC;
    }
    const uint8_t *f = (const uint8_t *)fadt;
    uint32_t dsdt32, cnt_a, cnt_b;
    uint64_t dsdt_pa = 0;
    memcpy(&dsdt32, f + 40, 4);
    memcpy(&cnt_a, f + 64, 4);
    memcpy(&cnt_b, f + 68, 4);
    if (fadt->length >= 148)
        memcpy(&dsdt_pa, f + 140, 8);
    if (!dsdt_pa)
        dsdt_pa = dsdt32;
    const struct sdt_header *dsdt = table_at(dsdt_pa, "DSDT");
    if (!dsdt || !cnt_a || cnt_a > 0xffff || cnt_b > 0xffff) {
        log_warn("acpi: FADT has no usable DSDT or PM1 control port");
        return KE_NOEXEC;
    }
    uint8_t a, b;
    int err = acpi_aml_find_s5((const uint8_t *)(dsdt + 1), dsdt->length - sizeof(*dsdt), &a, &b);
    if (err) {
        log_warn("acpi: DSDT has no usable \\_S5_ object (%s)", keel_strerror(err));
        return err;
    }
    pm1a_cnt = (uint16_t)cnt_a;
    pm1b_cnt = (uint16_t)cnt_b;
    s5_typa = a;
    s5_typb = b;
    acpi_ready = 1;
    log_info("acpi: power-off via PM1a 0x%x (S5 type %u)", pm1a_cnt, s5_typa);
    return 0;
}

const void *acpi_table(const char *sig, size_t *len)
{
    const struct sdt_header *t = acpi_rsdp ? find_table(acpi_rsdp, acpi_rsdp_len, sig) : 0;
    if (t && len)
        *len = t->length;
    return t;
}

int acpi_poweroff(void)
{
    if (!acpi_ready)
        return KE_NOTSUP;
    cli();
    outw(pm1a_cnt, (uint16_t)((s5_typa & 7) << 10 | (1u << 13)));
    if (pm1b_cnt)
        outw(pm1b_cnt, (uint16_t)((s5_typb & 7) << 10 | (1u << 13)));
    /* Power-off is asynchronous on some chipsets; give it a moment before reporting failure. */
    for (volatile uint32_t i = 0; i < 10000000u; i++)
        cpu_relax();
    return KE_TIMEDOUT;
}

KEEL_EXPORT_FUNC(acpi_poweroff);
