/* Loader host test: links real clang-built cells (tests/cells/) into low memory and executes
 * them — every relocation type, function-pointer tables, jump tables, merged strings, page
 * alignment, a 1 MiB .bss, weak undefined symbols, calls into core exports, batches of mutually
 * dependent cells, the dependency graph, unload refusal, address lookup, init failure — and
 * checks after every refusal that no allocation and no region is left behind. */
#define _GNU_SOURCE /* memmem */
#include "check.h"
#include "loader_testlib.h"

#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>

static struct loader_platform pf;

struct obj {
    const char *name;
    void *data;
    size_t size;
};
static struct obj objs[] = {{"lt_basic", NULL, 0}, {"lt_relocs", NULL, 0}, {"lt_ping", NULL, 0},
                            {"lt_pong", NULL, 0},  {"lt_user", NULL, 0},   {"lt_failer", NULL, 0},
                            {"lt_far", NULL, 0},   {"lt_dup", NULL, 0},    {"lt_empty", NULL, 0}};

static struct loader_object object(const char *name)
{
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
        if (strcmp(objs[i].name, name) == 0)
            return (struct loader_object){objs[i].data, objs[i].size, objs[i].name};
    abort();
}

static int load1(struct loader *ld, const char *name, struct loaded_cell **out,
                 struct loader_error *err)
{
    struct loader_object o = object(name);
    return loader_load(ld, &o, 1, out, err);
}

#define CHECK_MSG(err, sub)                                                                        \
    do {                                                                                           \
        int found_ = strstr((err).msg, (sub)) != NULL;                                             \
        CHECK(found_);                                                                             \
        if (!found_)                                                                               \
            fprintf(stderr, "    message: \"%s\"\n    wanted: \"%s\"\n", (err).msg, (sub));        \
    } while (0)

/* After a refused load: the registry is as before, and nothing is allocated but the loader. */
static void check_nothing_left(struct loader *ld, size_t cells, long allocs, long regions)
{
    CHECK_EQ_INT(loader_cell_count(ld), cells);
    CHECK_EQ_INT(tp.live_allocs, allocs);
    CHECK_EQ_INT(tp.live_regions, regions);
}

static void test_relocation_types(void)
{
    struct loader *ld = loader_create(&pf);
    struct loader_error err;
    struct loaded_cell *c = NULL;
    CHECK(ld != NULL);
    CHECK_EQ_INT(load1(ld, "lt_relocs", &c, &err), 0);
    if (!c) {
        fprintf(stderr, "    %s\n", err.msg);
        loader_destroy(ld);
        return;
    }
    uint64_t target = tp_sym(ld, "rt_target");
    const uint8_t *table = (const uint8_t *)(uintptr_t)tp_sym(ld, "rt_table");
    CHECK(target != 0 && table != NULL);
    uint64_t q0, q1;
    uint32_t l16, l20;
    memcpy(&q0, table, 8);
    memcpy(&q1, table + 8, 8);
    memcpy(&l16, table + 16, 4);
    memcpy(&l20, table + 20, 4);
    CHECK_EQ_U64(q0, target);                                               /* R_X86_64_64 */
    CHECK_EQ_U64(q1 + (uint64_t)(uintptr_t)(table + 8), target + 8);        /* R_X86_64_PC64 */
    CHECK_EQ_U64(l16, target + 4);                                          /* R_X86_64_32 */
    CHECK_EQ_U64((uint64_t)(uintptr_t)(table + 20) + (int32_t)l20, target); /* R_X86_64_PC32 */
    uint64_t (*abs32s)(void) = (uint64_t(*)(void))(uintptr_t)tp_sym(ld, "rt_abs32s");
    uint64_t (*pc32)(void) = (uint64_t(*)(void))(uintptr_t)tp_sym(ld, "rt_pc32");
    int (*plt32)(int) = (int (*)(int))(uintptr_t)tp_sym(ld, "rt_plt32");
    int (*core_plt32)(int, int) = (int (*)(int, int))(uintptr_t)tp_sym(ld, "rt_core_plt32");
    CHECK_EQ_U64(abs32s(), target + 12); /* R_X86_64_32S */
    CHECK_EQ_U64(pc32(), target);        /* R_X86_64_PC32 */
    CHECK_EQ_INT(plt32(6), 43);          /* R_X86_64_PLT32 within the cell */
    CHECK_EQ_INT(core_plt32(40, 2), 42); /* R_X86_64_PLT32 into the core */
    const int *values = (const int *)(uintptr_t)target;
    CHECK_EQ_INT(values[3], 44);

    struct loader_stats st;
    loader_last_stats(ld, &st);
    CHECK(st.relocations >= 8);
    CHECK(st.parse_ns > 0 || st.link_ns > 0);
    struct loader_cell_info info;
    loader_cell_info(c, &info);
    CHECK_EQ_STR(info.name, "lt_relocs");
    CHECK_EQ_INT(info.version, 1);
    CHECK_EQ_U64(info.relocations, st.relocations);
    CHECK(info.descriptor && info.descriptor->init == NULL && info.descriptor->exit == NULL);
    CHECK(info.base[CELL_REGION_TEXT] % 4096 == 0 && info.size[CELL_REGION_TEXT] == 4096);
    /* Regions were protected by kind. */
    int seen = 0;
    for (int i = 0; i < tp.nprotect; i++) {
        for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++) {
            if ((uint64_t)(uintptr_t)tp.protects[i].addr != info.base[r])
                continue;
            unsigned want = r == CELL_REGION_TEXT     ? LOADER_PROT_RX
                            : r == CELL_REGION_RODATA ? LOADER_PROT_R
                                                      : LOADER_PROT_RW;
            CHECK_EQ_INT(tp.protects[i].prot, want);
            CHECK_EQ_U64(tp.protects[i].size, info.size[r]);
            seen++;
        }
    }
    CHECK_EQ_INT(seen, 3);
    CHECK_EQ_INT(loader_unload(ld, c, &err), 0);
    CHECK_EQ_INT(tp.live_regions, 0);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
}

struct edge_count {
    int n, core, fn_calls;
    const char *symbol;
};

static int count_edge(void *ctx, const struct loader_edge *e)
{
    struct edge_count *ec = ctx;
    ec->n++;
    if (!e->target)
        ec->core++;
    if (ec->symbol && strcmp(e->symbol, ec->symbol) != 0)
        return 99; /* the filter failed */
    return 0;
}

static int stop_edge(void *ctx, const struct loader_edge *e)
{
    (*(int *)ctx)++;
    return 7;
}

static int expect_switch(int x, int y)
{
    switch (x) {
    case 0:
        return y + 1;
    case 1:
        return y * 3;
    case 2:
        return y - 7;
    case 3:
        return y << 2;
    case 4:
        return y ^ 0x55;
    case 5:
        return y + 1000;
    case 6:
        return y / 3;
    case 7:
        return y % 5;
    case 8:
        return -y;
    case 9:
        return y | 0x100;
    default:
        return 12345;
    }
}

static void test_basic_cell(void)
{
    tp_reset();
    struct loader *ld = loader_create(&pf);
    struct loader_error err;
    struct loaded_cell *c = NULL;
    CHECK_EQ_INT(load1(ld, "lt_basic", &c, &err), 0);
    if (!c) {
        fprintf(stderr, "    %s\n", err.msg);
        loader_destroy(ld);
        return;
    }
    CHECK_EQ_INT(tp_note_index("lt_basic: init"), 0);
    CHECK(loader_find(ld, "lt_basic") == c);
    CHECK(loader_cell_at(ld, 0) == c && loader_cell_at(ld, 1) == NULL);

    int (*apply)(int, int, int) = (int (*)(int, int, int))(uintptr_t)tp_sym(ld, "basic_apply");
    int (*apply_rw)(int, int, int) =
        (int (*)(int, int, int))(uintptr_t)tp_sym(ld, "basic_apply_rw");
    int (*sw)(int, int) = (int (*)(int, int))(uintptr_t)tp_sym(ld, "basic_switch");
    const char *(*greeting)(int) = (const char *(*)(int))(uintptr_t)tp_sym(ld, "basic_greeting");
    int (*weak)(void) = (int (*)(void))(uintptr_t)tp_sym(ld, "basic_weak_check");
    int (*core_value)(void) = (int (*)(void))(uintptr_t)tp_sym(ld, "basic_core_value");
    int (*inits)(void) = (int (*)(void))(uintptr_t)tp_sym(ld, "basic_state_inits");
    /* function-pointer table in rodata (R_X86_64_64), including a call into the core */
    CHECK_EQ_INT(apply(0, 5, 3), 8);
    CHECK_EQ_INT(apply(1, 5, 3), 2);
    CHECK_EQ_INT(apply(2, 5, 3), 15);
    CHECK_EQ_INT(apply(3, 5, 3), 8);
    CHECK_EQ_INT(apply(4, 5, 3), -1);
    CHECK_EQ_INT(apply_rw(0, 6, 7), 42); /* table in .data */
    CHECK_EQ_INT(apply_rw(1, 6, 7), 13);
    for (int x = -1; x <= 11; x++) /* jump table */
        CHECK_EQ_INT(sw(x, 77), expect_switch(x, 77));
    CHECK_EQ_STR(greeting(0), "hello"); /* merged strings */
    CHECK_EQ_STR(greeting(1), "cell");
    CHECK_EQ_STR(greeting(2), "world");
    CHECK_EQ_STR(greeting(3), "none");
    CHECK_EQ_INT(weak(), 3);                     /* weak undefined function and object are 0 */
    CHECK_EQ_INT(core_value(), test_core_value); /* a core data export */
    test_core_value = 99;
    CHECK_EQ_INT(core_value(), 99);
    CHECK_EQ_INT(inits(), 1);

    /* Page alignment, .bss zeroed and writable, exports with kinds and sizes. */
    struct loader_symbol_info si;
    const struct loaded_cell *owner = NULL;
    CHECK_EQ_INT(loader_symbol_lookup(ld, "basic_aligned", &owner, &si), 0);
    CHECK(owner == c);
    CHECK_EQ_U64(si.addr % 4096, 0);
    CHECK_EQ_U64(si.size, 16);
    CHECK_EQ_INT(si.kind, LOADER_SYM_OBJECT);
    CHECK_EQ_INT(((const int *)(uintptr_t)si.addr)[2], 9);
    CHECK_EQ_INT(loader_symbol_lookup(ld, "basic_bss", NULL, &si), 0);
    CHECK_EQ_U64(si.size, 1 << 20);
    const char *bss = (const char *)(uintptr_t)si.addr;
    CHECK_EQ_INT(bss[(1 << 20) - 1], 1); /* written by init */
    CHECK_EQ_INT(bss[12345], 0);
    CHECK_EQ_INT(loader_symbol_lookup(ld, "basic_switch", NULL, &si), 0);
    CHECK_EQ_INT(si.kind, LOADER_SYM_FUNC);
    CHECK(si.size > 0);
    CHECK_EQ_INT(loader_symbol_lookup(ld, "basic_init", NULL, &si), KE_NOENT); /* static */
    CHECK_EQ_INT(loader_symbol_lookup(ld, "test_core_add", NULL, &si), KE_NOENT);

    /* The linked descriptor: final pointers into the cell. */
    struct loader_cell_info info;
    loader_cell_info(c, &info);
    CHECK(info.descriptor != NULL);
    CHECK_EQ_STR(info.descriptor->name, "lt_basic");
    CHECK_EQ_U64(info.descriptor->state_size, 8);
    uint64_t state = (uint64_t)(uintptr_t)info.descriptor->state;
    CHECK(state >= info.base[CELL_REGION_DATA] &&
          state < info.base[CELL_REGION_DATA] + info.size[CELL_REGION_DATA]);
    CHECK_EQ_INT(*(const int *)info.descriptor->state, 1); /* state.inits */
    CHECK(info.size[CELL_REGION_DATA] >= (1 << 20) + 4096);
    CHECK(info.writable_bytes >= (1 << 20) + 16);
    CHECK_EQ_INT(info.dependents, 0);
    uint64_t d = (uint64_t)(uintptr_t)info.descriptor;
    CHECK(d >= info.base[CELL_REGION_RODATA] &&
          d < info.base[CELL_REGION_RODATA] + info.size[CELL_REGION_RODATA]);

    /* Address to symbol, for locals too. */
    const struct loaded_cell *lc = NULL;
    const char *sym = NULL;
    uint64_t off = 0;
    uint64_t swa = tp_sym(ld, "basic_switch");
    CHECK_EQ_INT(loader_addr_lookup(ld, swa + 5, &lc, &sym, &off), 0);
    CHECK(lc == c);
    CHECK_EQ_STR(sym, "basic_switch");
    CHECK_EQ_U64(off, 5);
    int (*const *rw)(int, int) = (int (*const *)(int, int))(uintptr_t)tp_sym(ld, "basic_ops_rw");
    CHECK_EQ_INT(loader_addr_lookup(ld, (uint64_t)(uintptr_t)rw[1], &lc, &sym, &off), 0);
    CHECK_EQ_STR(sym, "op_add"); /* a static function */
    CHECK_EQ_U64(off, 0);
    CHECK_EQ_INT(loader_addr_lookup(ld, tp_sym(ld, "basic_value") + 2, &lc, &sym, &off), 0);
    CHECK_EQ_STR(sym, "basic_value");
    CHECK_EQ_U64(off, 2);
    CHECK_EQ_INT(loader_addr_lookup(ld, (uint64_t)(uintptr_t)&test_core_value, &lc, &sym, &off),
                 KE_NOENT);
    /* Past the end of the last text symbol but inside the text region: no symbol. */
    uint64_t text_end = info.base[CELL_REGION_TEXT] + info.size[CELL_REGION_TEXT] - 1;
    CHECK_EQ_INT(loader_addr_lookup(ld, text_end, &lc, &sym, &off), 0);
    CHECK(sym == NULL);
    CHECK_EQ_U64(off, info.size[CELL_REGION_TEXT] - 1);

    /* Edges: every call of the core is recorded with target NULL. */
    struct edge_count ec = {0};
    CHECK_EQ_INT(loader_for_each_edge(ld, c, NULL, NULL, count_edge, &ec), 0);
    CHECK_EQ_INT(ec.n, 5); /* test_core_add x2, test_core_note x2, test_core_value */
    CHECK_EQ_INT(ec.core, 5);
    ec = (struct edge_count){.symbol = "test_core_note"};
    CHECK_EQ_INT(loader_for_each_edge(ld, NULL, NULL, "test_core_note", count_edge, &ec), 0);
    CHECK_EQ_INT(ec.n, 2);
    int stops = 0;
    CHECK_EQ_INT(loader_for_each_edge(ld, NULL, NULL, NULL, stop_edge, &stops), 7);
    CHECK_EQ_INT(stops, 1);

    /* The same cell twice: refused, nothing changes. */
    long allocs = tp.live_allocs, regions = tp.live_regions;
    CHECK_EQ_INT(load1(ld, "lt_basic", NULL, &err), KE_EXIST);
    CHECK_MSG(err, "cell 'lt_basic': already loaded (version 1)");
    check_nothing_left(ld, 1, allocs, regions);

    CHECK_EQ_INT(loader_unload(ld, c, &err), 0);
    CHECK(tp_note_index("lt_basic: exit") == 1);
    CHECK_EQ_INT(loader_cell_count(ld), 0);
    CHECK_EQ_INT(tp.live_regions, 0);
    CHECK_EQ_INT(loader_unload(ld, c, &err), KE_NOENT);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    test_core_value = 4711;
}

static void test_batch_and_graph(void)
{
    tp_reset();
    struct loader *ld = loader_create(&pf);
    struct loader_error err;
    long base_allocs = tp.live_allocs;

    /* Mutually dependent cells cannot load alone... */
    CHECK_EQ_INT(load1(ld, "lt_ping", NULL, &err), KE_NOENT);
    CHECK_MSG(err, "cell 'lt_ping': undefined symbol 'pong_value'");
    check_nothing_left(ld, 0, base_allocs, 0);
    /* ...but as one batch. */
    struct loader_object pp[2] = {object("lt_ping"), object("lt_pong")};
    struct loaded_cell *out[2] = {0};
    CHECK_EQ_INT(loader_load(ld, pp, 2, out, &err), 0);
    CHECK(out[0] == loader_find(ld, "lt_ping") && out[1] == loader_find(ld, "lt_pong"));
    int (*ping)(int) = (int (*)(int))(uintptr_t)tp_sym(ld, "ping_value");
    CHECK(ping != NULL);
    if (ping)
        CHECK_EQ_INT(ping(3), 212);
    struct edge_count ec = {0};
    loader_for_each_edge(ld, out[0], out[1], NULL, count_edge, &ec);
    CHECK_EQ_INT(ec.n, 1);
    CHECK_EQ_INT(ec.core, 0);
    CHECK_EQ_INT(loader_unload(ld, out[0], &err), KE_BUSY);
    CHECK_MSG(err, "cell 'lt_ping': in use by 1 cell: 'lt_pong'");
    CHECK_EQ_INT(loader_cell_count(ld), 2);

    /* A dependent on lt_basic pins it. */
    struct loaded_cell *basic = NULL, *user = NULL;
    long allocs = tp.live_allocs, regions = tp.live_regions;
    CHECK_EQ_INT(load1(ld, "lt_user", NULL, &err), KE_NOENT);
    CHECK_MSG(err, "cell 'lt_user': undefined symbol 'basic_");
    check_nothing_left(ld, 2, allocs, regions);
    CHECK_EQ_INT(load1(ld, "lt_basic", &basic, &err), 0);
    CHECK_EQ_INT(load1(ld, "lt_user", &user, &err), 0);
    int (*compute)(void) = (int (*)(void))(uintptr_t)tp_sym(ld, "user_compute");
    CHECK(compute != NULL);
    if (compute)
        CHECK_EQ_INT(compute(), 84);
    ec = (struct edge_count){0};
    CHECK_EQ_INT(loader_for_each_edge(ld, NULL, basic, NULL, count_edge, &ec), 0);
    CHECK_EQ_INT(ec.n, 2); /* basic_apply (PLT32), basic_value (PC32) */
    struct loader_cell_info info;
    loader_cell_info(basic, &info);
    CHECK_EQ_INT(info.dependents, 1);
    CHECK_EQ_INT(loader_unload(ld, basic, &err), KE_BUSY);
    CHECK_MSG(err, "cell 'lt_basic': in use by 1 cell: 'lt_user'");
    CHECK(tp_note_index("lt_basic: exit") < 0); /* exit did not run */
    CHECK_EQ_INT(loader_unload(ld, user, &err), 0);
    loader_cell_info(basic, &info);
    CHECK_EQ_INT(info.dependents, 0);
    CHECK_EQ_INT(loader_unload(ld, basic, &err), 0);
    CHECK(tp_note_index("lt_basic: exit") >= 0);
    CHECK_EQ_INT(loader_cell_count(ld), 2);
    loader_destroy(ld); /* ping and pong: only together */
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

static void test_init_failure(void)
{
    tp_reset();
    struct loader *ld = loader_create(&pf);
    struct loader_error err;
    struct loaded_cell *relocs = NULL;
    CHECK_EQ_INT(load1(ld, "lt_relocs", &relocs, &err), 0);
    long allocs = tp.live_allocs, regions = tp.live_regions;
    tp.should_fail = 1;
    struct loader_object b[2] = {object("lt_basic"), object("lt_failer")};
    CHECK_EQ_INT(loader_load(ld, b, 2, NULL, &err), KE_INVAL);
    CHECK_MSG(err, "cell 'lt_failer': init failed (returned -2)");
    CHECK_EQ_INT(tp_note_index("lt_basic: init"), 0);
    CHECK_EQ_INT(tp_note_index("lt_failer: init"), 1);
    CHECK_EQ_INT(tp_note_index("lt_basic: exit"), 2); /* undone in reverse */
    CHECK_EQ_INT(tp_note_index("lt_failer: exit"), -1);
    CHECK(loader_find(ld, "lt_basic") == NULL && loader_find(ld, "lt_failer") == NULL);
    CHECK_EQ_INT(loader_symbol_lookup(ld, "basic_value", NULL, NULL), KE_NOENT);
    check_nothing_left(ld, 1, allocs, regions);
    tp.should_fail = 0;
    tp.nnotes = 0;
    CHECK_EQ_INT(loader_load(ld, b, 2, NULL, &err), 0);
    CHECK_EQ_INT(loader_cell_count(ld), 3);
    loader_destroy(ld); /* exits in reverse load order */
    CHECK_EQ_INT(tp_note_index("lt_failer: exit"), 2);
    CHECK_EQ_INT(tp_note_index("lt_basic: exit"), 3);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

static void test_link_refusals(void)
{
    tp_reset();
    struct loader *ld = loader_create(&pf);
    struct loader_error err;
    long allocs = tp.live_allocs;

    /* Duplicate exports: with the core, with a loaded cell, inside one batch. */
    tp.core_clash = true;
    CHECK_EQ_INT(load1(ld, "lt_dup", NULL, &err), KE_EXIST);
    CHECK_MSG(err, "cell 'lt_dup': duplicate export 'core_clash': also exported by the core");
    check_nothing_left(ld, 0, allocs, 0);
    tp.core_clash = false;
    struct loaded_cell *basic = NULL;
    CHECK_EQ_INT(load1(ld, "lt_basic", &basic, &err), 0);
    long allocs1 = tp.live_allocs, regions1 = tp.live_regions;
    CHECK_EQ_INT(load1(ld, "lt_dup", NULL, &err), KE_EXIST);
    CHECK_MSG(err, "cell 'lt_dup': duplicate export 'basic_value': also exported by cell "
                   "'lt_basic'");
    check_nothing_left(ld, 1, allocs1, regions1);
    CHECK_EQ_INT(loader_unload(ld, basic, &err), 0);
    struct loader_object b[2] = {object("lt_basic"), object("lt_dup")};
    CHECK_EQ_INT(loader_load(ld, b, 2, NULL, &err), KE_EXIST);
    CHECK_MSG(err, "duplicate export 'basic_value': also exported by cell '");
    CHECK(strstr(err.msg, "lt_basic") && strstr(err.msg, "lt_dup"));
    check_nothing_left(ld, 0, allocs, 0);
    struct loader_object twice[2] = {object("lt_ping"), object("lt_ping")};
    CHECK_EQ_INT(loader_load(ld, twice, 2, NULL, &err), KE_EXIST);
    CHECK_MSG(err, "twice in one batch");
    check_nothing_left(ld, 0, allocs, 0);

    /* Relocation overflow: the core places far_a / far_b out of reach. */
    tp.far_a = 0x100000000000ull; /* > 2 GiB from everything: 32S overflows */
    CHECK_EQ_INT(load1(ld, "lt_far", NULL, &err), KE_RANGE);
    CHECK_MSG(err, "cell 'lt_far': relocation overflow in .text.far_addr_a at offset 0x");
    CHECK_MSG(err, "R_X86_64_32S against 'far_a'");
    check_nothing_left(ld, 0, allocs, 0);
    tp.far_a = (uint64_t)-0x1000; /* negative: fits 32S */
    tp.far_b = 0x100000000ull;    /* 4 GiB: does not fit unsigned 32 */
    CHECK_EQ_INT(load1(ld, "lt_far", NULL, &err), KE_RANGE);
    CHECK_MSG(err, "relocation overflow in .data.far_table at offset 0x0: R_X86_64_32 against "
                   "'far_b'");
    check_nothing_left(ld, 0, allocs, 0);
    tp.far_b = (uint64_t)-4; /* negative: does not fit unsigned 32 either */
    CHECK_EQ_INT(load1(ld, "lt_far", NULL, &err), KE_RANGE);
    check_nothing_left(ld, 0, allocs, 0);
    tp.far_b = 0xfffffff0u; /* just below 4 GiB: fits unsigned 32 */
    struct loaded_cell *far = NULL;
    CHECK_EQ_INT(load1(ld, "lt_far", &far, &err), 0);
    if (far) {
        void *(*addr_a)(void) = (void *(*)(void))(uintptr_t)tp_sym(ld, "far_addr_a");
        CHECK_EQ_U64((uint64_t)(uintptr_t)addr_a(), (uint64_t)-0x1000);
        uint32_t v;
        memcpy(&v, (const void *)(uintptr_t)tp_sym(ld, "far_table"), 4);
        CHECK_EQ_U64(v, 0xfffffff0u);
    }
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

/* Many cells: the registry grows (twice), keeps load order, and unloads from the middle. */
static void test_many_cells(void)
{
    tp_reset();
    struct loader *ld = loader_create(&pf);
    struct loader_error err;
    struct loader_object e = object("lt_empty");
    enum { N = 20 };
    static uint8_t copies[N][1 << 16];
    CHECK(e.size <= sizeof(copies[0]));
    struct loaded_cell *cells[N] = {0};
    for (int i = 0; i < N; i++) {
        memcpy(copies[i], e.data, e.size);
        /* rename the copy in its descriptor: lt_empty -> lt_emp00 .. lt_emp19 */
        uint8_t *at = memmem(copies[i], e.size, "lt_empty", 9);
        CHECK(at != NULL);
        if (!at)
            break;
        at[6] = (uint8_t)('0' + i / 10);
        at[7] = (uint8_t)('0' + i % 10);
        struct loader_object o = {copies[i], e.size, "copy"};
        CHECK_EQ_INT(loader_load(ld, &o, 1, &cells[i], &err), 0);
    }
    CHECK_EQ_INT(loader_cell_count(ld), N);
    CHECK(loader_cell_at(ld, 13) == cells[13]);
    CHECK(loader_find(ld, "lt_emp07") == cells[7]);
    CHECK_EQ_INT(loader_unload(ld, cells[7], &err), 0);
    CHECK(loader_find(ld, "lt_emp07") == NULL);
    CHECK(loader_cell_at(ld, 7) == cells[8]);
    CHECK_EQ_INT(loader_cell_count(ld), N - 1);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

static void test_arguments(void)
{
    tp_reset();
    struct loader_error err;
    CHECK(loader_create(NULL) == NULL);
    struct loader_platform bad = pf;
    bad.region_alloc = NULL;
    CHECK(loader_create(&bad) == NULL);
    struct loader *ld = loader_create(&pf);
    CHECK_EQ_INT(loader_load(ld, NULL, 1, NULL, &err), KE_INVAL);
    struct loader_object o = object("lt_basic");
    CHECK_EQ_INT(loader_load(ld, &o, 0, NULL, &err), KE_INVAL);
    CHECK_EQ_INT(loader_load(NULL, &o, 1, NULL, &err), KE_INVAL);
    CHECK_EQ_INT(loader_load(ld, &o, 1, NULL, NULL), 0); /* err is optional */
    CHECK_EQ_INT(loader_unload(ld, NULL, &err), KE_INVAL);
    CHECK(loader_find(ld, NULL) == NULL);
    CHECK_EQ_INT(loader_for_each_edge(ld, NULL, NULL, NULL, NULL, NULL), KE_INVAL);
    CHECK(loader_reloc_name(2) && strcmp(loader_reloc_name(2), "R_X86_64_PC32") == 0);
    CHECK(loader_reloc_name(9) == NULL);  /* GOTPCREL: not supported */
    CHECK(loader_reloc_name(77) == NULL); /* unknown */
    loader_destroy(ld);
    loader_destroy(NULL);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

/* A platform that retires (the kernel's): an unloaded cell leaves the registry and resolution at
 * once but keeps its regions, stays findable by address, and is freed by loader_retired_free or
 * loader_destroy. */
static struct loaded_cell *retired_seen[4];
static int nretired_seen;

static void on_retired(void *ctx, struct loaded_cell *cell)
{
    (void)ctx;
    if (nretired_seen < 4)
        retired_seen[nretired_seen] = cell;
    nretired_seen++;
}

static void test_retired(void)
{
    struct loader_platform rpf = pf;
    rpf.retired = on_retired;
    struct loader *ld = loader_create(&rpf);
    CHECK(ld != NULL);
    long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
    struct loader_error err;
    struct loaded_cell *c, *c2;
    CHECK_EQ_INT(load1(ld, "lt_basic", &c, &err), 0);
    long regions = tp.live_regions;
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    CHECK(strcmp(ci.origin, "lt_basic") == 0);
    CHECK(!ci.retired);
    uint64_t text = ci.base[CELL_REGION_TEXT];
    CHECK_EQ_INT(loader_unload(ld, c, &err), 0);
    CHECK_EQ_INT(nretired_seen, 1);
    CHECK(retired_seen[0] == c);
    CHECK_EQ_INT(loader_cell_count(ld), 0);
    CHECK(loader_find(ld, "lt_basic") == NULL);
    CHECK_EQ_INT(loader_retired_count(ld), 1);
    CHECK(loader_retired_at(ld, 0) == c);
    CHECK(loader_retired_at(ld, 1) == NULL);
    CHECK_EQ_INT(tp.live_regions, regions); /* still mapped */
    loader_cell_info(c, &ci);
    CHECK(ci.retired);
    const struct loaded_cell *at = NULL;
    CHECK_EQ_INT(loader_addr_lookup(ld, text, &at, NULL, NULL), 0);
    CHECK(at == c);
    /* Its name and exports are free again: the same object loads beside the retired one. */
    CHECK_EQ_INT(load1(ld, "lt_basic", &c2, &err), 0);
    CHECK(c2 != c);
    CHECK_EQ_INT(loader_unload(ld, c2, &err), 0);
    CHECK_EQ_INT(loader_retired_count(ld), 2);
    CHECK_EQ_INT(loader_retired_free(ld, c), 0);
    CHECK_EQ_INT(loader_retired_free(ld, c), KE_NOENT);
    CHECK_EQ_INT(loader_retired_free(ld, NULL), KE_INVAL);
    CHECK_EQ_INT(loader_retired_count(ld), 1);
    CHECK(loader_retired_at(ld, 0) == c2);
    CHECK_EQ_INT(tp.live_regions, regions);
    CHECK_EQ_INT(loader_retired_free(ld, c2), 0);
    CHECK_EQ_INT(tp.live_regions, regions0);
    CHECK_EQ_INT(tp.live_allocs, allocs0);
    /* loader_destroy frees what is still retired. */
    CHECK_EQ_INT(load1(ld, "lt_basic", &c, &err), 0);
    CHECK_EQ_INT(loader_unload(ld, c, &err), 0);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

int main(void)
{
    tp_reset();
    pf = tp_platform();
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
        objs[i].data = tp_read_cell(objs[i].name, &objs[i].size);
    test_relocation_types();
    test_basic_cell();
    test_batch_and_graph();
    test_init_failure();
    test_link_refusals();
    test_many_cells();
    test_arguments();
    test_retired();
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
        free(objs[i].data);
    return check_report("loader_test");
}
