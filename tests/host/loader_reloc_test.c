/* The loader's relocation table (loader/relocate.c), alone: every psABI number is named as
 * elf64.h numbers it, exactly the documented types are applied, and the shared arithmetic
 * agrees with the psABI's formula for each applied type written out here on its own: the same
 * value, the same overflow decisions at the edges of each field, and a stored field reads back
 * (as the live swap's rewrite reads it) to S + A. Also the loader's error helpers. */
#include "check.h"

#include <stdint.h>
#include <string.h>
#include <keel/errno.h>
#include "elf64.h"
#include "internal.h"

#define NAMED(t)                                                                                   \
    {                                                                                              \
        t, #t                                                                                      \
    }
static const struct {
    uint32_t type;
    const char *name;
} named[] = {
    NAMED(R_X86_64_NONE),
    NAMED(R_X86_64_64),
    NAMED(R_X86_64_PC32),
    NAMED(R_X86_64_GOT32),
    NAMED(R_X86_64_PLT32),
    NAMED(R_X86_64_COPY),
    NAMED(R_X86_64_GLOB_DAT),
    NAMED(R_X86_64_JUMP_SLOT),
    NAMED(R_X86_64_RELATIVE),
    NAMED(R_X86_64_GOTPCREL),
    NAMED(R_X86_64_32),
    NAMED(R_X86_64_32S),
    NAMED(R_X86_64_16),
    NAMED(R_X86_64_PC16),
    NAMED(R_X86_64_8),
    NAMED(R_X86_64_PC8),
    NAMED(R_X86_64_DTPMOD64),
    NAMED(R_X86_64_DTPOFF64),
    NAMED(R_X86_64_TPOFF64),
    NAMED(R_X86_64_TLSGD),
    NAMED(R_X86_64_TLSLD),
    NAMED(R_X86_64_DTPOFF32),
    NAMED(R_X86_64_GOTTPOFF),
    NAMED(R_X86_64_TPOFF32),
    NAMED(R_X86_64_PC64),
    NAMED(R_X86_64_GOTOFF64),
    NAMED(R_X86_64_GOTPC32),
    NAMED(R_X86_64_GOT64),
    NAMED(R_X86_64_GOTPCREL64),
    NAMED(R_X86_64_GOTPC64),
    NAMED(R_X86_64_GOTPLT64),
    NAMED(R_X86_64_PLTOFF64),
    NAMED(R_X86_64_SIZE32),
    NAMED(R_X86_64_SIZE64),
    NAMED(R_X86_64_GOTPC32_TLSDESC),
    NAMED(R_X86_64_TLSDESC_CALL),
    NAMED(R_X86_64_TLSDESC),
    NAMED(R_X86_64_IRELATIVE),
    NAMED(R_X86_64_RELATIVE64),
    NAMED(R_X86_64_GOTPCRELX),
    NAMED(R_X86_64_REX_GOTPCRELX),
};

static void test_names(void)
{
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        const struct loader_reloc_type *t = loader_reloc_type(named[i].type);
        CHECK(t != NULL);
        if (t && strcmp(t->name, named[i].name) != 0) {
            fprintf(stderr, "  type %u: '%s', expected '%s'\n", named[i].type, t->name,
                    named[i].name);
            CHECK(!"named as in elf64.h");
        }
    }
    CHECK(loader_reloc_type(39) == NULL); /* numbers the psABI leaves unnamed */
    CHECK(loader_reloc_type(40) == NULL);
    CHECK(loader_reloc_type(43) == NULL);
    CHECK(loader_reloc_type(UINT32_MAX) == NULL);
    /* loader_reloc_name: applied and ignored types only (exported to cells). */
    CHECK(strcmp(loader_reloc_name(R_X86_64_NONE), "R_X86_64_NONE") == 0);
    CHECK(strcmp(loader_reloc_name(R_X86_64_PLT32), "R_X86_64_PLT32") == 0);
    CHECK(loader_reloc_name(R_X86_64_GOTPCREL) == NULL);
    CHECK(loader_reloc_name(R_X86_64_16) == NULL);
}

static void test_classes(void)
{
    static const uint32_t applied[] = {R_X86_64_64, R_X86_64_PC32, R_X86_64_PLT32,
                                       R_X86_64_32, R_X86_64_32S,  R_X86_64_PC64};
    size_t napplied = 0;
    for (uint32_t type = 0; type < 64; type++) {
        const struct loader_reloc_type *t = loader_reloc_type(type);
        if (!t)
            continue;
        bool expect = false;
        for (size_t i = 0; i < sizeof(applied) / sizeof(applied[0]); i++)
            expect |= applied[i] == type;
        CHECK_EQ_INT(t->class == LOADER_RELOC_SUPPORTED, expect);
        CHECK_EQ_INT(t->width != 0, expect);
        napplied += t->class == LOADER_RELOC_SUPPORTED;
    }
    CHECK_EQ_INT(napplied, 6);
    CHECK_EQ_INT(loader_reloc_type(R_X86_64_NONE)->class, LOADER_RELOC_IGNORED);
    CHECK_EQ_INT(loader_reloc_type(R_X86_64_REX_GOTPCRELX)->class, LOADER_RELOC_GOT);
    CHECK_EQ_INT(loader_reloc_type(R_X86_64_TPOFF32)->class, LOADER_RELOC_TLS);
    CHECK_EQ_INT(loader_reloc_type(R_X86_64_16)->class, LOADER_RELOC_UNKNOWN);
    CHECK_EQ_INT(loader_reloc_type(R_X86_64_SIZE64)->class, LOADER_RELOC_UNKNOWN);
}

/* The psABI's formula for one applied type, written out: 0 and *value, or KE_RANGE. */
static int reference(uint32_t type, uint64_t s, int64_t a, uint64_t p, uint64_t *value)
{
    __int128 ss = (int64_t)s, v;
    switch (type) {
    case R_X86_64_64:
        *value = s + (uint64_t)a;
        return 0;
    case R_X86_64_PC64:
        *value = s + (uint64_t)a - p;
        return 0;
    case R_X86_64_32: /* word32, zero-extended: S + A as an unsigned number */
        v = (__int128)s + a;
        if (v < 0 || v > UINT32_MAX)
            return KE_RANGE;
        break;
    case R_X86_64_32S: /* word32, sign-extended */
        v = ss + a;
        if (v < INT32_MIN || v > INT32_MAX)
            return KE_RANGE;
        break;
    default: /* PC32, PLT32: S + A - P, sign-extended */
        v = ss + a - (int64_t)p;
        if (v < INT32_MIN || v > INT32_MAX)
            return KE_RANGE;
        break;
    }
    *value = (uint64_t)v & 0xffffffffu;
    return 0;
}

static void test_arithmetic(void)
{
    static const uint32_t types[] = {R_X86_64_64, R_X86_64_PC32, R_X86_64_PLT32,
                                     R_X86_64_32, R_X86_64_32S,  R_X86_64_PC64};
    /* Low (user, host test) and high (kernel) addresses, and the edges of 32-bit fields. */
    static const uint64_t addrs[] = {0,
                                     0x1000,
                                     0x7fffffff,
                                     0x80000000,
                                     0xffffffff,
                                     0x100000000ull,
                                     0x7fffffffffffffffull,
                                     0x8000000000000000ull,
                                     0xffffffff80000000ull,
                                     0xffffffff7fffffffull,
                                     0xffffffffc0001000ull,
                                     UINT64_MAX};
    static const int64_t addends[] = {0, -4, 4, 12, INT32_MAX, INT32_MIN, -1, INT64_MAX, INT64_MIN};
    long fits = 0, overflows = 0;
    for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
        uint32_t type = types[ti];
        const struct loader_reloc_type *t = loader_reloc_type(type);
        for (size_t si = 0; si < sizeof(addrs) / sizeof(addrs[0]); si++)
            for (size_t pi = 0; pi < sizeof(addrs) / sizeof(addrs[0]); pi++)
                for (size_t ai = 0; ai < sizeof(addends) / sizeof(addends[0]); ai++) {
                    uint64_t s = addrs[si], p = addrs[pi], want = 0, got = 0;
                    int64_t a = addends[ai];
                    int rw = reference(type, s, a, p, &want);
                    int rg = loader_reloc_value(type, s, a, p, &got);
                    CHECK_EQ_INT(rg, rw);
                    if (rg != rw || rg) {
                        overflows += rg != 0;
                        continue;
                    }
                    fits++;
                    CHECK_EQ_U64(got, want);
                    /* Stored and read back as the swap reads a site: S + A. */
                    uint8_t field[8];
                    memset(field, 0xee, sizeof(field));
                    loader_reloc_store(field, type, got);
                    CHECK(t->width == 8 || field[t->width] == 0xee); /* no byte beyond */
                    uint64_t raw = 0;
                    memcpy(&raw, field, t->width);
                    CHECK_EQ_U64(loader_reloc_target(type, raw, p), s + (uint64_t)a);
                }
    }
    CHECK(fits > 100 && overflows > 100); /* both sides of every edge were tried */
    uint64_t v;
    CHECK_EQ_INT(loader_reloc_value(R_X86_64_GOTPCREL, 0, 0, 0, &v), KE_NOTSUP);
    CHECK_EQ_INT(loader_reloc_value(R_X86_64_NONE, 0, 0, 0, &v), KE_NOTSUP);
    CHECK_EQ_INT(loader_reloc_value(4242, 0, 0, 0, &v), KE_NOTSUP);
}

static void test_errors(void)
{
    struct loader_error err;
    memset(&err, 'x', sizeof(err));
    loader_error_clear(&err);
    CHECK_EQ_INT(err.code, 0);
    CHECK_EQ_INT(err.msg[0], 0);
    loader_error_clear(NULL);
    CHECK_EQ_INT(loader_fail(&err, KE_NOENT, "no cell named '%s'", "demo"), KE_NOENT);
    CHECK_EQ_INT(err.code, KE_NOENT);
    CHECK_EQ_STR(err.msg, "no cell named 'demo'");
    CHECK_EQ_INT(loader_fail(NULL, KE_INVAL, "ignored %d", 1), KE_INVAL);
    CHECK_EQ_INT(loader_cell_fail(&err, KE_NOEXEC, "demo", "bad %s", "thing"), KE_NOEXEC);
    CHECK_EQ_STR(err.msg, "cell 'demo': bad thing");
    CHECK_EQ_INT(loader_cell_fail(&err, KE_NOEXEC, NULL, "x"), KE_NOEXEC);
    CHECK_EQ_STR(err.msg, "cell '?': x");
    char longer[LOADER_MSG_MAX * 2];
    memset(longer, 'y', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = 0;
    loader_fail(&err, KE_INVAL, "%s", longer);
    CHECK_EQ_INT(strlen(err.msg), LOADER_MSG_MAX - 1); /* cut, terminated */
}

int main(void)
{
    test_names();
    test_classes();
    test_arithmetic();
    test_errors();
    return check_report("loader_reloc_test");
}
