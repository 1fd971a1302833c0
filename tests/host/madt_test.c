/* The MADT parser: QEMU-like and x2APIC tables, the CPU bookkeeping (disabled, online-capable,
 * dropped beyond MADT_MAX_CPUS or as duplicates), and every malformation refused with its offset
 * and the caller's struct left untouched. Tables are built here, checksum included. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include "arch/madt.h"
#include "check.h"

/* A table under construction: the header is written by tb_init, tb_finish sets length and
 * checksum. */
struct tb {
    uint8_t buf[4096];
    size_t len;
};

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

static void tb_init(struct tb *b, uint32_t lapic, uint32_t flags)
{
    memset(b, 0, sizeof(*b));
    memcpy(b->buf, "APIC", 4);
    b->buf[8] = 5; /* revision */
    memcpy(b->buf + 10, "KEELTS", 6);
    memcpy(b->buf + 16, "MADTTEST", 8);
    put32(b->buf + 36, lapic);
    put32(b->buf + 40, flags);
    b->len = 44;
}

static uint8_t *tb_entry(struct tb *b, uint8_t type, uint8_t len)
{
    uint8_t *e = b->buf + b->len;
    e[0] = type;
    e[1] = len;
    b->len += len;
    return e;
}

static void tb_lapic(struct tb *b, uint8_t uid, uint8_t apic_id, uint32_t flags)
{
    uint8_t *e = tb_entry(b, 0, 8);
    e[2] = uid;
    e[3] = apic_id;
    put32(e + 4, flags);
}

static void tb_ioapic(struct tb *b, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    uint8_t *e = tb_entry(b, 1, 12);
    e[2] = id;
    put32(e + 4, addr);
    put32(e + 8, gsi_base);
}

/* Interrupt source override (type 2): not parsed, skipped by its length. */
static void tb_iso(struct tb *b, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    uint8_t *e = tb_entry(b, 2, 10);
    e[3] = irq;
    put32(e + 4, gsi);
    memcpy(e + 8, &flags, 2);
}

/* Local APIC NMI (type 4): skipped. */
static void tb_nmi(struct tb *b, uint8_t uid, uint8_t lint)
{
    uint8_t *e = tb_entry(b, 4, 6);
    e[2] = uid;
    e[5] = lint;
}

static void tb_override(struct tb *b, uint64_t addr)
{
    uint8_t *e = tb_entry(b, 5, 12);
    put64(e + 4, addr);
}

static void tb_x2apic(struct tb *b, uint32_t apic_id, uint32_t flags, uint32_t uid)
{
    uint8_t *e = tb_entry(b, 9, 16);
    put32(e + 4, apic_id);
    put32(e + 8, flags);
    put32(e + 12, uid);
}

static void tb_checksum(struct tb *b, size_t hlen)
{
    b->buf[9] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < hlen; i++)
        sum += b->buf[i];
    b->buf[9] = (uint8_t)-sum;
}

static size_t tb_finish(struct tb *b)
{
    put32(b->buf + 4, (uint32_t)b->len);
    tb_checksum(b, b->len);
    return b->len;
}

/* QEMU's MADT for -smp n (q35/pc): the LAPICs, one I/O APIC, the ISA overrides and a LINT1 NMI. */
static size_t tb_qemu(struct tb *b, unsigned n)
{
    tb_init(b, 0xfee00000, 1);
    for (unsigned i = 0; i < n; i++)
        tb_lapic(b, (uint8_t)i, (uint8_t)i, 1);
    tb_ioapic(b, 0, 0xfec00000, 0);
    tb_iso(b, 0, 2, 0);
    tb_iso(b, 5, 5, 0xd);
    tb_iso(b, 9, 9, 0xd);
    tb_iso(b, 10, 10, 0xd);
    tb_iso(b, 11, 11, 0xd);
    tb_nmi(b, 0xff, 1);
    return tb_finish(b);
}

static char why[160];

/* Parses an exact-size heap copy (so ASan sees any over-read), at an odd address when asked
 * (so UBSan sees any misaligned access). */
static int parse_at(const struct tb *b, size_t len, struct madt_info *out, size_t misalign)
{
    uint8_t *copy = malloc(len + misalign + 1);
    if (!copy)
        abort();
    memcpy(copy + misalign, b->buf, len);
    strcpy(why, "(untouched)");
    int rc = madt_parse(copy + misalign, len, out, why, sizeof(why));
    free(copy);
    return rc;
}

static int parse(const struct tb *b, size_t len, struct madt_info *out)
{
    return parse_at(b, len, out, 0);
}

/* A malformed table: the code, the offset in the message, and *out untouched. */
static void refused(const struct tb *b, size_t len, int code, const char *offset_text, int line)
{
    struct madt_info out, poison;
    memset(&out, 0xaa, sizeof(out));
    memset(&poison, 0xaa, sizeof(poison));
    int rc = parse(b, len, &out);
    CHECK_EQ_INT(rc, code);
    CHECK(memcmp(&out, &poison, sizeof(out)) == 0);
    if (!strstr(why, offset_text)) {
        fprintf(stderr, "line %d: message \"%s\" does not name \"%s\"\n", line, why, offset_text);
        CHECK(strstr(why, offset_text) != NULL);
    }
}
#define REFUSED(b, len, code, text) refused(b, len, code, text, __LINE__)

static void test_qemu(void)
{
    static const unsigned counts[] = {1, 2, 4};
    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        struct tb b;
        struct madt_info m;
        size_t len = tb_qemu(&b, counts[c]);
        for (size_t mis = 0; mis < 2; mis++) {
            CHECK_EQ_INT(parse_at(&b, len, &m, mis), 0);
            CHECK_EQ_STR(why, "(untouched)");
            CHECK_EQ_U64(m.lapic_base, 0xfee00000);
            CHECK_EQ_INT(m.flags, 1);
            CHECK_EQ_INT(m.ncpus, counts[c]);
            CHECK_EQ_INT(m.disabled, 0);
            CHECK_EQ_INT(m.dropped, 0);
            CHECK_EQ_INT(m.ioapics, 1);
            for (unsigned i = 0; i < m.ncpus; i++) {
                CHECK_EQ_INT(m.cpus[i].apic_id, i);
                CHECK_EQ_INT(m.cpus[i].acpi_uid, i);
                CHECK(m.cpus[i].enabled);
                CHECK(!m.cpus[i].online_capable);
                CHECK(!m.cpus[i].x2apic);
            }
        }
    }
}

static void test_flags(void)
{
    /* -smp 2,maxcpus=4: two present, one hot-pluggable (online-capable), one absent. */
    struct tb b;
    struct madt_info m;
    tb_init(&b, 0xfee00000, 0);
    tb_lapic(&b, 0, 0, 1);
    tb_lapic(&b, 1, 1, 1);
    tb_lapic(&b, 2, 2, 2);
    tb_lapic(&b, 3, 3, 0);
    tb_lapic(&b, 4, 4, 0xfffffffc); /* reserved bits only: still neither */
    size_t len = tb_finish(&b);
    CHECK_EQ_INT(parse(&b, len, &m), 0);
    CHECK_EQ_INT(m.flags, 0);
    CHECK_EQ_INT(m.ncpus, 3);
    CHECK_EQ_INT(m.disabled, 2);
    CHECK_EQ_INT(m.dropped, 0);
    CHECK_EQ_INT(m.ioapics, 0);
    CHECK(m.cpus[1].enabled && !m.cpus[1].online_capable);
    CHECK(!m.cpus[2].enabled && m.cpus[2].online_capable);
    CHECK_EQ_INT(m.cpus[2].apic_id, 2);

    /* An empty table (no entries) is valid: no CPUs. */
    tb_init(&b, 0xfee00000, 1);
    len = tb_finish(&b);
    CHECK_EQ_INT(parse(&b, len, &m), 0);
    CHECK_EQ_INT(m.ncpus, 0);
}

static void test_x2apic_and_override(void)
{
    struct tb b;
    struct madt_info m;
    tb_init(&b, 0xfee00000, 1);
    tb_lapic(&b, 0, 0, 1);
    tb_x2apic(&b, 0x100, 1, 1000);
    tb_x2apic(&b, 0xabcdef01, 2, 0xffffffff);
    tb_x2apic(&b, 7, 0, 7); /* disabled */
    tb_override(&b, 0x123456789000ull);
    tb_ioapic(&b, 1, 0xfec00000, 0);
    tb_ioapic(&b, 2, 0xfec01000, 24);
    size_t len = tb_finish(&b);
    CHECK_EQ_INT(parse_at(&b, len, &m, 1), 0);
    CHECK_EQ_U64(m.lapic_base, 0x123456789000ull);
    CHECK_EQ_INT(m.ncpus, 3);
    CHECK_EQ_INT(m.disabled, 1);
    CHECK_EQ_INT(m.ioapics, 2);
    CHECK(!m.cpus[0].x2apic);
    CHECK(m.cpus[1].x2apic);
    CHECK_EQ_U64(m.cpus[1].apic_id, 0x100);
    CHECK_EQ_U64(m.cpus[1].acpi_uid, 1000);
    CHECK(m.cpus[1].enabled && !m.cpus[1].online_capable);
    CHECK_EQ_U64(m.cpus[2].apic_id, 0xabcdef01);
    CHECK_EQ_U64(m.cpus[2].acpi_uid, 0xffffffff);
    CHECK(!m.cpus[2].enabled && m.cpus[2].online_capable);

    /* Longer entries than we know (a later revision's fields) are fine; the last override wins;
     * bytes past the header's length are not the table's. */
    tb_init(&b, 0xfee00000, 1);
    uint8_t *e = tb_entry(&b, 0, 12);
    e[2] = 9;
    e[3] = 3;
    e[4] = 1;
    tb_override(&b, 0xaaaa000);
    tb_override(&b, 0xbbbb000);
    len = tb_finish(&b);
    memset(b.buf + len, 0xff, 8); /* an entry of length 0xff beyond the header's length */
    CHECK_EQ_INT(parse(&b, len + 8, &m), 0);
    CHECK_EQ_INT(m.ncpus, 1);
    CHECK_EQ_INT(m.cpus[0].apic_id, 3);
    CHECK_EQ_INT(m.cpus[0].acpi_uid, 9);
    CHECK_EQ_U64(m.lapic_base, 0xbbbb000);
}

static void test_dropped(void)
{
    /* More CPUs than fit: the first MADT_MAX_CPUS in table order are kept. */
    struct tb b;
    struct madt_info m;
    tb_init(&b, 0xfee00000, 1);
    for (unsigned i = 0; i < MADT_MAX_CPUS + 6; i++)
        tb_lapic(&b, (uint8_t)i, (uint8_t)i, 1);
    tb_lapic(&b, 200, 200, 0); /* disabled entries are counted as such, not dropped */
    size_t len = tb_finish(&b);
    CHECK_EQ_INT(parse(&b, len, &m), 0);
    CHECK_EQ_INT(m.ncpus, MADT_MAX_CPUS);
    CHECK_EQ_INT(m.dropped, 6);
    CHECK_EQ_INT(m.disabled, 1);
    CHECK_EQ_INT(m.cpus[MADT_MAX_CPUS - 1].apic_id, MADT_MAX_CPUS - 1);

    /* Same with x2APIC entries beyond 255. */
    tb_init(&b, 0xfee00000, 1);
    for (unsigned i = 0; i < MADT_MAX_CPUS + 1; i++)
        tb_x2apic(&b, 1000 + i, 1, i);
    len = tb_finish(&b);
    CHECK_EQ_INT(parse(&b, len, &m), 0);
    CHECK_EQ_INT(m.ncpus, MADT_MAX_CPUS);
    CHECK_EQ_INT(m.dropped, 1);

    /* Duplicate APIC ids: the first is kept, across entry types too; a disabled entry does not
     * claim its id. */
    tb_init(&b, 0xfee00000, 1);
    tb_lapic(&b, 0, 1, 1);
    tb_lapic(&b, 1, 1, 1);
    tb_x2apic(&b, 1, 1, 2);
    tb_lapic(&b, 3, 2, 0);
    tb_lapic(&b, 4, 2, 2);
    tb_lapic(&b, 5, 2, 1);
    len = tb_finish(&b);
    CHECK_EQ_INT(parse(&b, len, &m), 0);
    CHECK_EQ_INT(m.ncpus, 2);
    CHECK_EQ_INT(m.dropped, 3);
    CHECK_EQ_INT(m.disabled, 1);
    CHECK_EQ_INT(m.cpus[0].acpi_uid, 0);
    CHECK_EQ_INT(m.cpus[1].apic_id, 2);
    CHECK_EQ_INT(m.cpus[1].acpi_uid, 4);
    CHECK(m.cpus[1].online_capable);
}

static void test_header_malformed(void)
{
    struct tb b;
    size_t len = tb_qemu(&b, 2);
    REFUSED(&b, 0, KE_NOEXEC, "offset 0");
    REFUSED(&b, 43, KE_NOEXEC, "offset 0");
    CHECK_EQ_STR(why, "offset 0: 43 bytes is shorter than the 44-byte MADT header");

    b.buf[0] = 'F';
    REFUSED(&b, len, KE_NOEXEC, "offset 0");
    CHECK_EQ_STR(why, "offset 0: signature 46 50 49 43 is not \"APIC\"");
    b.buf[0] = 'A';

    b.buf[20] ^= 1; /* any byte: the checksum covers the whole table */
    REFUSED(&b, len, KE_NOEXEC, "offset 9");
    b.buf[20] ^= 1;
    b.buf[9]++;
    REFUSED(&b, len, KE_NOEXEC, "offset 9");
    b.buf[9]--;
    CHECK_EQ_INT(parse(&b, len, &(struct madt_info){0}), 0);

    /* Header length beyond what is readable, and below the header. */
    REFUSED(&b, len - 1, KE_NOEXEC, "offset 4");
    CHECK(strstr(why, "header length") != NULL);
    put32(b.buf + 4, 0xffffffff);
    tb_checksum(&b, len);
    REFUSED(&b, len, KE_NOEXEC, "offset 4");
    put32(b.buf + 4, 43);
    tb_checksum(&b, 43);
    REFUSED(&b, len, KE_NOEXEC, "offset 4");
    put32(b.buf + 4, 0);
    REFUSED(&b, len, KE_NOEXEC, "offset 4");

    /* NULL arguments; a NULL or tiny message buffer. */
    len = tb_qemu(&b, 1);
    struct madt_info m;
    CHECK_EQ_INT(madt_parse(NULL, len, &m, why, sizeof(why)), KE_INVAL);
    CHECK_EQ_INT(madt_parse(b.buf, len, NULL, NULL, 0), KE_INVAL);
    CHECK_EQ_INT(madt_parse(b.buf, 10, &m, NULL, 0), KE_NOEXEC);
    CHECK_EQ_INT(madt_parse(b.buf, 10, &m, NULL, 50), KE_NOEXEC);
    char tiny[8];
    memset(tiny, 'x', sizeof(tiny));
    CHECK_EQ_INT(madt_parse(b.buf, 10, &m, tiny, sizeof(tiny)), KE_NOEXEC);
    CHECK_EQ_STR(tiny, "offset ");
    CHECK_EQ_INT(madt_parse(b.buf, len, &m, NULL, 0), 0);
}

static void test_entry_malformed(void)
{
    struct tb b;
    size_t len;

    /* Length 0 and 1: no progress possible. The bad entry is the second, at 44 + 8 = 52. */
    for (uint8_t elen = 0; elen < 2; elen++) {
        tb_init(&b, 0xfee00000, 1);
        tb_lapic(&b, 0, 0, 1);
        tb_entry(&b, 2, 2);
        b.buf[53] = elen;
        tb_lapic(&b, 1, 1, 1);
        len = tb_finish(&b);
        REFUSED(&b, len, KE_NOEXEC, "entry at offset 52");
    }
    CHECK_EQ_STR(why, "entry at offset 52: length 1 is below 2");

    /* An entry crossing the end of the table (header length), though the bytes are readable. */
    tb_init(&b, 0xfee00000, 1);
    tb_lapic(&b, 0, 0, 1);
    tb_lapic(&b, 1, 1, 1);
    len = tb_finish(&b);
    b.buf[53] = 9;
    tb_checksum(&b, len);
    REFUSED(&b, len, KE_NOEXEC, "entry at offset 52");
    CHECK_EQ_STR(why, "entry at offset 52: length 9 runs past the table's end at 60");
    REFUSED(&b, len + 1, KE_NOEXEC, "entry at offset 52");
    b.buf[53] = 255;
    tb_checksum(&b, len);
    REFUSED(&b, len, KE_NOEXEC, "entry at offset 52");

    /* One stray byte at the end: not even an entry header. */
    tb_init(&b, 0xfee00000, 1);
    tb_lapic(&b, 0, 0, 1);
    b.len++;
    len = tb_finish(&b);
    REFUSED(&b, len, KE_NOEXEC, "entry at offset 52");

    /* Each known type one byte below its size (the unknown type 2 of length 2 is fine). */
    static const struct {
        uint8_t type, size;
    } known[] = {{0, 8}, {1, 12}, {5, 12}, {9, 16}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        for (uint8_t elen = 2; elen < known[i].size; elen++) {
            tb_init(&b, 0xfee00000, 1);
            tb_lapic(&b, 0, 0, 1);
            tb_entry(&b, 2, 2);
            tb_entry(&b, known[i].type, elen);
            len = tb_finish(&b);
            REFUSED(&b, len, KE_NOEXEC, "entry at offset 54");
        }
        /* At its size, it parses. */
        tb_init(&b, 0xfee00000, 1);
        tb_entry(&b, known[i].type, known[i].size);
        len = tb_finish(&b);
        struct madt_info m;
        CHECK_EQ_INT(parse(&b, len, &m), 0);
    }
    CHECK_EQ_STR(why, "(untouched)");
    tb_init(&b, 0xfee00000, 1);
    tb_entry(&b, 9, 12);
    len = tb_finish(&b);
    REFUSED(&b, len, KE_NOEXEC, "entry at offset 44");
    CHECK_EQ_STR(why, "entry at offset 44: type 9 has length 12, below its size 16");

    /* A bad entry after good ones: nothing of the good ones leaks into *out. */
    len = tb_qemu(&b, 4);
    b.buf[len - 5] = 1; /* the NMI entry (last, 6 bytes) */
    tb_checksum(&b, len);
    REFUSED(&b, len, KE_NOEXEC, "entry at offset");
}

int main(void)
{
    test_qemu();
    test_flags();
    test_x2apic_and_override();
    test_dropped();
    test_header_malformed();
    test_entry_malformed();
    return check_report("madt_test");
}
