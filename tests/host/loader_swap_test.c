/* Live-swap host test: links real clang-built cells (tests/cells/ls_*.c, several versions of
 * each) with the loader, swaps them with the loader_swap_* steps the kernel's orchestrator runs,
 * and executes the linked code before and after: call sites of a dependent rewritten, edges
 * retargeted, the registry switched, old memory freed; the state block (verbatim, migrated,
 * fresh, refused), variables carried by name and the pointers they hold; compatibility
 * refusals that leave nothing changed; data sites translated from their current value; a
 * failing patch at every site undone; multi-cell transactions; every allocation failing in
 * turn; the plan; a pending swap's gate (call sites to a stub and back, byte for byte). The
 * platform mimics the kernel's: low mmap'd regions (loader_testlib.c), a patch hook that writes
 * through a temporary writable mapping (and can fail at call N), a run_migrate hook. */
#define _GNU_SOURCE
#include "check.h"
#include "loader_testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <keel/errno.h>

#define CHECK_MSG(err, sub)                                                                        \
    do {                                                                                           \
        int found_ = strstr((err).msg, (sub)) != NULL;                                             \
        CHECK(found_);                                                                             \
        if (!found_)                                                                               \
            fprintf(stderr, "    message: \"%s\"\n    wanted: \"%s\"\n", (err).msg, (sub));        \
    } while (0)

#define FN(type, ld, name) ((type)(uintptr_t)tp_sym((ld), (name)))

/* ---- Platform: the test library's, plus the swap hooks ----------------------------------- */

static struct loader_platform pf;
static void (*base_region_free)(void *ctx, void *addr, size_t size);

static struct {
    struct loader *ld;  /* whose cells a patch may target */
    long patch_calls;   /* every call, failed or not */
    long patch_fail_at; /* > 0: this call (1-based) fails with KE_FAULT */
    long patch_outside; /* patches of memory that is not a loaded cell's region */
    long region_frees;
    long migrate_calls;
    const struct loaded_cell *mig_cell;
    uint32_t mig_old_version;
    const void *mig_old_state;
    uint64_t mig_old_size;
    void *mig_new_state;
} hk;

static void reset(void)
{
    tp_reset();
    memset(&hk, 0, sizeof(hk));
}

static int prot_of_region(int r)
{
    return r == CELL_REGION_TEXT     ? PROT_READ | PROT_EXEC
           : r == CELL_REGION_RODATA ? PROT_READ
                                     : PROT_READ | PROT_WRITE;
}

/* Like the kernel's (a writable alias of the frame): the site's pages become writable for the
 * store and get their region's protection back. */
static int h_patch(void *ctx, void *where, const void *bytes, size_t len)
{
    hk.patch_calls++;
    if (hk.patch_fail_at && hk.patch_calls == hk.patch_fail_at)
        return KE_FAULT;
    uint64_t a = (uint64_t)(uintptr_t)where;
    const struct loaded_cell *c = NULL;
    struct loader_cell_info info;
    int region = 0;
    if (hk.ld && loader_addr_lookup(hk.ld, a, &c, NULL, NULL) == 0) {
        loader_cell_info(c, &info);
        for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++)
            if (info.size[r] && a >= info.base[r] && a + len <= info.base[r] + info.size[r])
                region = r;
    }
    if (!region) {
        hk.patch_outside++;
        return KE_FAULT;
    }
    uintptr_t lo = (uintptr_t)a & ~(uintptr_t)4095,
              hi = ((uintptr_t)a + len + 4095) & ~(uintptr_t)4095;
    if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE) != 0)
        abort();
    memcpy(where, bytes, len);
    if (mprotect((void *)lo, hi - lo, prot_of_region(region)) != 0)
        abort();
    return 0;
}

static int h_run_migrate(void *ctx, const struct loaded_cell *cell,
                         int (*migrate)(uint32_t, const void *, uint64_t, void *),
                         uint32_t old_version, const void *old_state, uint64_t old_size,
                         void *new_state)
{
    hk.migrate_calls++;
    hk.mig_cell = cell;
    hk.mig_old_version = old_version;
    hk.mig_old_state = old_state;
    hk.mig_old_size = old_size;
    hk.mig_new_state = new_state;
    return migrate(old_version, old_state, old_size, new_state);
}

static void h_region_free(void *ctx, void *addr, size_t size)
{
    hk.region_frees++;
    base_region_free(ctx, addr, size);
}

/* ---- Objects: <name>@<version>.o, read once ---------------------------------------------- */

static struct {
    char key[48];
    void *data;
    size_t size;
} files[48];
static int nfiles;

static struct loader_object obj(const char *name, int version)
{
    char key[48];
    snprintf(key, sizeof(key), "%s@%d", name, version);
    for (int i = 0; i < nfiles; i++)
        if (strcmp(files[i].key, key) == 0)
            return (struct loader_object){files[i].data, files[i].size, files[i].key};
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.o", LT_CELL_DIR, key);
    FILE *f = fopen(path, "rb");
    if (!f || nfiles == 48) {
        fprintf(stderr, "cannot open %s\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    snprintf(files[nfiles].key, sizeof(files[nfiles].key), "%s", key);
    files[nfiles].data = buf;
    files[nfiles].size = (size_t)n;
    nfiles++;
    return (struct loader_object){buf, (size_t)n, files[nfiles - 1].key};
}

static struct loaded_cell *load(struct loader *ld, const char *name, int version)
{
    struct loader_object o = obj(name, version);
    struct loaded_cell *c = NULL;
    struct loader_error err;
    if (loader_load(ld, &o, 1, &c, &err) != 0) {
        fprintf(stderr, "cannot load %s: %s\n", o.origin, err.msg);
        abort();
    }
    return c;
}

static struct loader *new_loader(void)
{
    struct loader *ld = loader_create(&pf);
    if (!ld)
        abort();
    hk.ld = ld;
    return ld;
}

/* ---- Observations ------------------------------------------------------------------------- */

/* A copy of every region of a cell, to prove that a refused swap changed no byte of it. */
struct snap {
    void *copy[4];
    uint64_t base[4], size[4];
};

static void snap_take(const struct loaded_cell *c, struct snap *s)
{
    struct loader_cell_info info;
    loader_cell_info(c, &info);
    memset(s, 0, sizeof(*s));
    for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++) {
        s->base[r] = info.base[r];
        s->size[r] = info.size[r];
        if (info.size[r]) {
            s->copy[r] = malloc(info.size[r]);
            memcpy(s->copy[r], (const void *)(uintptr_t)info.base[r], info.size[r]);
        }
    }
}

static bool snap_same(const struct snap *s)
{
    for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++)
        if (s->size[r] && memcmp(s->copy[r], (const void *)(uintptr_t)s->base[r], s->size[r]))
            return false;
    return true;
}

static void snap_free(struct snap *s)
{
    for (int r = 0; r < 4; r++)
        free(s->copy[r]);
}

/* The registry as "name@version name@version ...", in load order. */
static const char *registry(const struct loader *ld, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < loader_cell_count(ld) && at < size; i++) {
        struct loader_cell_info info;
        loader_cell_info(loader_cell_at(ld, i), &info);
        at +=
            (size_t)snprintf(buf + at, size - at, "%s%s@%u", i ? " " : "", info.name, info.version);
    }
    return buf;
}

static int region_count(const struct loaded_cell *c)
{
    struct loader_cell_info info;
    loader_cell_info(c, &info);
    int n = 0;
    for (int r = CELL_REGION_TEXT; r <= CELL_REGION_DATA; r++)
        n += info.size[r] != 0;
    return n;
}

struct edges {
    int n;
    const struct loaded_cell *target_of[64];
    char symbol[64][32];
};

static int collect_edge(void *ctx, const struct loader_edge *e)
{
    struct edges *es = ctx;
    if (es->n < 64) {
        es->target_of[es->n] = e->target;
        snprintf(es->symbol[es->n], sizeof(es->symbol[0]), "%s", e->symbol);
        es->n++;
    }
    return 0;
}

static int count_edges(const struct loader *ld, const struct loaded_cell *site,
                       const struct loaded_cell *target)
{
    struct edges es = {0};
    loader_for_each_edge(ld, site, target, NULL, collect_edge, &es);
    return es.n;
}

struct lines {
    int n;
    char line[64][160];
};

static void collect_line(void *ctx, const char *line)
{
    struct lines *ls = ctx;
    if (ls->n < 64)
        snprintf(ls->line[ls->n++], sizeof(ls->line[0]), "%s", line);
}

/* The first plan line containing every one of the (up to 3) pieces, or -1. */
static int find_line(const struct lines *ls, const char *a, const char *b, const char *c)
{
    for (int i = 0; i < ls->n; i++)
        if (strstr(ls->line[i], a) && (!b || strstr(ls->line[i], b)) &&
            (!c || strstr(ls->line[i], c)))
            return i;
    return -1;
}

static void dump_lines(const struct lines *ls)
{
    for (int i = 0; i < ls->n; i++)
        fprintf(stderr, "    plan: %s\n", ls->line[i]);
}

/* Runs a whole swap of olds[k] by objs[k]; 0 or the first failing step's code. */
static int swap_all(struct loader *ld, struct loaded_cell *const *olds,
                    const struct loader_object *objs, size_t n, struct loader_error *err)
{
    struct loader_swap *sw = NULL;
    int rc = loader_swap_link(ld, olds, objs, n, &sw, err);
    if (!rc)
        rc = loader_swap_check(sw, err);
    if (!rc)
        rc = loader_swap_transfer(sw, err);
    if (!rc)
        rc = loader_swap_rewrite(sw, err);
    if (rc) {
        loader_swap_abort(sw);
        return rc;
    }
    loader_swap_commit(sw);
    loader_swap_finish(sw);
    return 0;
}

static int swap1(struct loader *ld, const char *name, int version, struct loader_error *err)
{
    struct loaded_cell *old = loader_find(ld, name);
    struct loader_object o = obj(name, version);
    return swap_all(ld, &old, &o, 1, err);
}

/* ---- Tests -------------------------------------------------------------------------------- */

typedef int (*fn_i_i)(int);
typedef int (*fn_i)(void);
typedef long (*fn_l)(void);
typedef void (*fn_v)(void);
typedef void (*fn_v_i)(int);
typedef unsigned (*fn_u)(void);

/* ls_lib 1 -> 2 under ls_app: everything a successful swap changes, step by step. */
static void test_swap_used_cell(void)
{
    reset();
    struct loader *ld = new_loader();
    struct loader_error err;
    struct loaded_cell *lib = load(ld, "ls_lib", 1);
    struct loaded_cell *app = load(ld, "ls_app", 1);
    load(ld, "ls_lit", 1);
    fn_i_i app_call = FN(fn_i_i, ld, "app_call");
    fn_i app_version = FN(fn_i, ld, "app_version"), app_via_cb = FN(fn_i, ld, "app_via_cb");
    fn_i_i app_table = FN(fn_i_i, ld, "app_table");
    fn_i app_calls = FN(fn_i, ld, "app_calls");
    fn_u app_narrow_get = FN(fn_u, ld, "app_narrow_get");
    CHECK_EQ_INT(app_call(1), 2);
    CHECK_EQ_INT(app_version(), 1);
    CHECK_EQ_INT(app_via_cb(), 101);
    CHECK_EQ_INT(app_table(0), 11);
    CHECK_EQ_INT(app_calls(), 1 * 1000 + 11);
    CHECK_EQ_U64(app_narrow_get(), (uint32_t)tp_sym(ld, "lib_table"));
    CHECK(tp_note_index("ls_lib init 1") >= 0);
    loader_cell_pin(ld, lib);

    char before[256], after[256];
    registry(ld, before, sizeof(before));
    CHECK_EQ_STR(before, "ls_lib@1 ls_app@1 ls_lit@1");
    struct loader_stats st0, st1;
    loader_last_stats(ld, &st0);
    int old_regions = region_count(lib);
    int app_edges_to_lib = count_edges(ld, app, lib);
    CHECK(app_edges_to_lib >= 9);
    uint64_t old_table = tp_sym(ld, "lib_table");
    long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
    int notes0 = tp.nnotes;

    struct loader_swap *sw = NULL;
    struct loader_object o2 = obj("ls_lib", 2);
    CHECK_EQ_INT(loader_swap_link(ld, &lib, &o2, 1, &sw, &err), 0);
    if (!sw) {
        fprintf(stderr, "    %s\n", err.msg);
        loader_destroy(ld);
        return;
    }
    loader_last_stats(ld, &st1);
    CHECK_EQ_U64(st1.relocations, st0.relocations); /* a swap is not a load */
    CHECK_EQ_INT(loader_swap_count(sw), 1);
    CHECK(loader_swap_old(sw, 0) == lib);
    struct loaded_cell *neu = loader_swap_new(sw, 0);
    CHECK(neu != NULL && neu != lib);
    CHECK(loader_swap_old(sw, 1) == NULL && loader_swap_new(sw, 1) == NULL);
    /* Invisible until the commit. */
    CHECK(loader_find(ld, "ls_lib") == lib);
    CHECK_EQ_U64(tp_sym(ld, "lib_table"), old_table);
    CHECK_EQ_INT(loader_cell_count(ld), 3);

    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_sites(sw), app_edges_to_lib);
    struct loader_swap_cell_stats ss;
    loader_swap_stats(sw, 0, &ss);
    CHECK_EQ_STR(ss.name, "ls_lib");
    CHECK_EQ_INT(ss.old_version, 1);
    CHECK_EQ_INT(ss.new_version, 2);
    CHECK_EQ_STR(ss.state, "verbatim");
    CHECK_EQ_U64(ss.state_bytes, 8);
    CHECK_EQ_INT(ss.variables, 2); /* lib_counter, lib_table */
    CHECK_EQ_U64(ss.variable_bytes, 4 + 16);
    CHECK(ss.relocations > 0);

    struct lines plan = {0};
    loader_swap_describe(sw, collect_line, &plan);
    CHECK(find_line(&plan, "ls_lib: version 1 -> 2 (", "relocations linked)", NULL) == 0);
    CHECK(find_line(&plan, "state block: carried verbatim, 8 bytes (layout 1)", NULL, NULL) > 0);
    CHECK(find_line(&plan, "carry variable 'lib_counter' (4 bytes)", NULL, NULL) > 0);
    CHECK(find_line(&plan, "carry variable 'lib_table' (16 bytes)", NULL, NULL) > 0);
    CHECK(find_line(&plan, "rewire ls_app .text.app_call+0x", "(R_X86_64_PLT32) -> ls_lib:lib_call",
                    NULL) > 0);
    CHECK(find_line(&plan, "rewire ls_app .data.app_cb+0x0 (R_X86_64_64) -> ls_lib:lib_cb",
                    "(data: translated at the swap)", NULL) > 0);
    CHECK(find_line(&plan, "rewire ls_app .data.app_narrow+0x0 (R_X86_64_32)",
                    "ls_lib:lib_table (data", NULL) > 0);
    int rewires = 0;
    for (int i = 0; i < plan.n; i++)
        rewires += strncmp(plan.line[i], "rewire ", 7) == 0;
    CHECK_EQ_INT(rewires, app_edges_to_lib);
    if (check_failed_count)
        dump_lines(&plan);

    CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
    CHECK_EQ_INT(app_version(), 1); /* nothing rewritten yet */
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), 0);
    CHECK_EQ_INT(hk.patch_calls, app_edges_to_lib);
    CHECK_EQ_INT(hk.patch_outside, 0);
    CHECK_EQ_INT(app_version(), 2); /* the call site now reaches the new version */
    CHECK(loader_find(ld, "ls_lib") == lib);

    loader_swap_commit(sw);
    CHECK(loader_find(ld, "ls_lib") == neu);
    struct loader_cell_info info;
    loader_cell_info(neu, &info);
    CHECK_EQ_INT(info.version, 2);
    CHECK_EQ_INT(info.dependents, 1);
    registry(ld, after, sizeof(after));
    CHECK_EQ_STR(after, "ls_lib@2 ls_app@1 ls_lit@1");
    CHECK(loader_cell_at(ld, 0) == neu);
    CHECK_EQ_INT(loader_cell_pins(neu), 1);
    struct edges es = {0};
    loader_for_each_edge(ld, app, NULL, NULL, collect_edge, &es);
    int to_new = 0, to_old = 0;
    for (int i = 0; i < es.n; i++) {
        to_new += es.target_of[i] == neu;
        to_old += es.target_of[i] == lib;
    }
    CHECK_EQ_INT(to_new, app_edges_to_lib);
    CHECK_EQ_INT(to_old, 0);
    CHECK_EQ_INT(count_edges(ld, NULL, neu), app_edges_to_lib);

    CHECK_EQ_INT(hk.region_frees, 0);
    loader_swap_finish(sw);
    CHECK_EQ_INT(hk.region_frees, old_regions);
    CHECK_EQ_INT(tp.live_regions, regions0);
    CHECK_EQ_INT(tp.live_allocs, allocs0);
    CHECK_EQ_INT(tp.nnotes, notes0); /* neither the new init nor the old exit ran */

    /* The new behaviour through the user's unchanged code, with the state carried. */
    CHECK_EQ_INT(app_call(1), 2001);
    CHECK_EQ_INT(app_calls(), 2 * 1000 + 12); /* state.calls and lib_counter went on */
    CHECK_EQ_INT(app_via_cb(), 201);
    CHECK_EQ_INT(FN(fn_i, ld, "lib_tag")(), 0x5eed); /* init's value, carried verbatim */
    uint64_t new_table = tp_sym(ld, "lib_table");
    CHECK(new_table != old_table && new_table != 0);
    CHECK_EQ_INT(app_table(0), 11); /* lib_table carried by name: v1's values */
    ((int *)(uintptr_t)new_table)[1] = 4242;
    CHECK_EQ_INT(app_table(1), 4242); /* read through the rewritten address */
    CHECK_EQ_U64(app_narrow_get(), (uint32_t)new_table);
    loader_cell_unpin(ld, neu);
    loader_destroy(ld);
    CHECK(tp_note_index("ls_lib exit") >= 0); /* the new version inherited "initialized" */
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

/* A site in ls_app's data is translated from what it holds at the rewrite. */
static void test_data_sites(void)
{
    for (int variant = 0; variant < 3; variant++) {
        reset();
        struct loader *ld = new_loader();
        struct loader_error err;
        load(ld, "ls_lib", 1);
        load(ld, "ls_app", 1);
        fn_i app_via_cb = FN(fn_i, ld, "app_via_cb");
        fn_v_i app_set_cb = FN(fn_v_i, ld, "app_set_cb"), app_narrow_set;
        app_narrow_set = FN(fn_v_i, ld, "app_narrow_set");
        fn_u app_narrow_get = FN(fn_u, ld, "app_narrow_get");
        uint64_t own_value = tp_sym(ld, "app_own_value");
        if (variant == 0) {
            app_set_cb(1); /* another function of the old version: translated */
            CHECK_EQ_INT(app_via_cb(), 102);
            app_narrow_set(1); /* a 32-bit field pointed outside the old version: left alone */
        } else if (variant == 1) {
            app_set_cb(2); /* a function of ls_app itself: left alone */
            CHECK_EQ_INT(app_via_cb(), 7);
        } else {
            /* A 32-bit field pointed elsewhere in the old version (lib_table[1]): like a 64-bit
             * pointer, it must follow to the new version, not dangle into freed memory. */
            app_narrow_set(2);
            CHECK_EQ_U64(app_narrow_get(), (uint32_t)(tp_sym(ld, "lib_table") + 4));
        }
        uint64_t cb_before;
        memcpy(&cb_before, (void *)(uintptr_t)tp_sym(ld, "app_cb"), 8);
        CHECK_EQ_INT(swap1(ld, "ls_lib", 2, &err), 0);
        uint64_t cb_after;
        memcpy(&cb_after, (void *)(uintptr_t)tp_sym(ld, "app_cb"), 8);
        if (variant == 0) {
            CHECK_EQ_INT(app_via_cb(), 202);
            CHECK_EQ_U64(cb_after, tp_sym(ld, "lib_other"));
            CHECK_EQ_U64(app_narrow_get(), (uint32_t)own_value);
        } else if (variant == 1) {
            CHECK_EQ_INT(app_via_cb(), 7);
            CHECK_EQ_U64(cb_after, cb_before);
            CHECK_EQ_U64(app_narrow_get(), (uint32_t)tp_sym(ld, "lib_table"));
        } else {
            CHECK_EQ_INT(app_via_cb(), 201);
            CHECK_EQ_U64(app_narrow_get(), (uint32_t)(tp_sym(ld, "lib_table") + 4));
        }
        loader_destroy(ld);
        CHECK_EQ_INT(tp.live_allocs, 0);
        CHECK_EQ_INT(tp.live_regions, 0);
    }

    /* A data site holding a pointer with no counterpart (the middle of lib_cb): the rewrite is
     * refused naming the site, and the sites rewritten before it are put back. */
    reset();
    struct loader *ld = new_loader();
    struct loader_error err;
    struct loaded_cell *lib = load(ld, "ls_lib", 1);
    struct loaded_cell *app = load(ld, "ls_app", 1);
    FN(fn_v_i, ld, "app_set_cb")(3);
    struct snap s;
    snap_take(app, &s);
    long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
    struct loader_object o = obj("ls_lib", 2);
    struct loader_swap *sw = NULL;
    CHECK_EQ_INT(loader_swap_link(ld, &lib, &o, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), KE_NOENT);
    CHECK_MSG(err, "cell 'ls_app': .data.app_cb+0x0 holds a pointer to ls_lib:lib_cb+0x1, which "
                   "has no counterpart in the new version");
    CHECK(snap_same(&s));
    loader_swap_abort(sw);
    CHECK(snap_same(&s));
    CHECK_EQ_INT(tp.live_allocs, allocs0);
    CHECK_EQ_INT(tp.live_regions, regions0);
    CHECK_EQ_INT(FN(fn_i, ld, "app_version")(), 1);
    snap_free(&s);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
}

/* A refused swap leaves the registry, every byte of the dependent and the memory as they were. */
static void refused_check(int version, int code, const char *msg)
{
    reset();
    struct loader *ld = new_loader();
    struct loader_error err;
    struct loaded_cell *lib = load(ld, "ls_lib", 1);
    struct loaded_cell *app = load(ld, "ls_app", 1);
    fn_i app_version = FN(fn_i, ld, "app_version");
    char before[256], after[256];
    registry(ld, before, sizeof(before));
    struct snap s;
    snap_take(app, &s);
    long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
    struct loader_swap *sw = NULL;
    struct loader_object o = obj("ls_lib", version);
    CHECK_EQ_INT(loader_swap_link(ld, &lib, &o, 1, &sw, &err), 0);
    CHECK(tp.live_regions > regions0);
    int rc = loader_swap_check(sw, &err);
    CHECK_EQ_INT(rc, code);
    CHECK_EQ_INT(err.code, code);
    CHECK_MSG(err, msg);
    CHECK_MSG(err, "cell 'ls_lib': ");
    loader_swap_abort(sw);
    CHECK_EQ_INT(tp.live_allocs, allocs0);
    CHECK_EQ_INT(tp.live_regions, regions0);
    CHECK_EQ_STR(registry(ld, after, sizeof(after)), before);
    CHECK(loader_find(ld, "ls_lib") == lib);
    CHECK(snap_same(&s));
    CHECK_EQ_INT(hk.patch_calls, 0);
    CHECK_EQ_INT(hk.region_frees, 3);
    CHECK_EQ_INT(count_edges(ld, app, lib), count_edges(ld, NULL, lib));
    CHECK_EQ_INT(app_version(), 1);
    snap_free(&s);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
}

static void test_compatibility_refusals(void)
{
    refused_check(3, KE_NOENT,
                  "version 3 cannot replace version 1: cell 'ls_app' uses 'lib_cb', which "
                  "version 3 does not export");
    refused_check(4, KE_INVAL,
                  "version 4 cannot replace version 1: 'lib_call' (used by cell 'ls_app') is a "
                  "function in version 1 but an object in version 4");
    refused_check(5, KE_INVAL,
                  "version 5 cannot replace version 1: object 'lib_table' (used by cell "
                  "'ls_app') shrinks from 16 to 8 bytes");
}

/* ls_state 1 -> version, after state_bump: a = 12, b = 22. Returns the check's result. */
static int state_swap(struct loader *ld, int version, struct loader_error *err, struct lines *plan,
                      struct loader_swap_cell_stats *ss)
{
    struct loaded_cell *old = loader_find(ld, "ls_state");
    struct loader_object o = obj("ls_state", version);
    struct loader_swap *sw = NULL;
    int rc = loader_swap_link(ld, &old, &o, 1, &sw, err);
    if (rc)
        return rc;
    rc = loader_swap_check(sw, err);
    if (!rc) {
        if (plan)
            loader_swap_describe(sw, collect_line, plan);
        if (ss)
            loader_swap_stats(sw, 0, ss);
        rc = loader_swap_transfer(sw, err);
    }
    if (!rc)
        rc = loader_swap_rewrite(sw, err);
    if (rc) {
        loader_swap_abort(sw);
        return rc;
    }
    loader_swap_commit(sw);
    loader_swap_finish(sw);
    return 0;
}

static struct loader *state_setup(void)
{
    reset();
    struct loader *ld = new_loader();
    load(ld, "ls_state", 1);
    FN(fn_v, ld, "state_bump")();
    CHECK_EQ_INT(FN(fn_l, ld, "state_a")(), 12);
    return ld;
}

static void state_refused(int version, int step_code, bool at_transfer, const char *msg)
{
    struct loader *ld = state_setup();
    struct loader_error err;
    struct loaded_cell *old = loader_find(ld, "ls_state");
    long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
    struct loader_object o = obj("ls_state", version);
    struct loader_swap *sw = NULL;
    CHECK_EQ_INT(loader_swap_link(ld, &old, &o, 1, &sw, &err), 0);
    int rc = loader_swap_check(sw, &err);
    if (at_transfer) {
        CHECK_EQ_INT(rc, 0);
        rc = loader_swap_transfer(sw, &err);
    }
    CHECK_EQ_INT(rc, step_code);
    CHECK_MSG(err, msg);
    loader_swap_abort(sw);
    CHECK_EQ_INT(tp.live_allocs, allocs0);
    CHECK_EQ_INT(tp.live_regions, regions0);
    CHECK(loader_find(ld, "ls_state") == old);
    CHECK_EQ_INT(FN(fn_l, ld, "state_a")(), 12);
    CHECK_EQ_INT(FN(fn_i, ld, "state_version")(), 1);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
}

static void test_state_block(void)
{
    struct loader_error err;
    struct loader_swap_cell_stats ss;
    /* Verbatim: same layout and size. */
    struct loader *ld = state_setup();
    struct lines plan = {0};
    CHECK_EQ_INT(state_swap(ld, 2, &err, &plan, &ss), 0);
    CHECK_EQ_STR(ss.state, "verbatim");
    CHECK_EQ_U64(ss.state_bytes, 8);
    CHECK_EQ_INT(ss.variables, 0);
    CHECK(find_line(&plan, "state block: carried verbatim, 8 bytes (layout 1)", NULL, NULL) > 0);
    CHECK(find_line(&plan, "no sites in other cells point into the old version", NULL, NULL) > 0);
    CHECK(find_line(&plan, "carry variable", NULL, NULL) < 0);
    CHECK_EQ_INT(FN(fn_i, ld, "state_version")(), 2);
    CHECK_EQ_INT(FN(fn_l, ld, "state_a")(), 12);
    CHECK_EQ_INT(FN(fn_l, ld, "state_b")(), 22);
    CHECK_EQ_INT(hk.migrate_calls, 0);
    loader_destroy(ld);

    /* Migrated: layout 1 -> 2 through version 3's hook, called via run_migrate. */
    ld = state_setup();
    struct loader_cell_info oi;
    loader_cell_info(loader_find(ld, "ls_state"), &oi);
    const void *old_block = oi.descriptor->state;
    memset(&plan, 0, sizeof(plan));
    CHECK_EQ_INT(state_swap(ld, 3, &err, &plan, &ss), 0);
    CHECK_EQ_STR(ss.state, "migrated");
    CHECK_EQ_U64(ss.state_bytes, 8);
    CHECK(find_line(&plan,
                    "state block: migrated by version 3's hook, layout 1 -> 2, 8 -> 24 bytes", NULL,
                    NULL) > 0);
    CHECK_EQ_INT(hk.migrate_calls, 1);
    CHECK_EQ_INT(hk.mig_old_version, 1);
    CHECK_EQ_U64(hk.mig_old_size, 8);
    CHECK(hk.mig_old_state == old_block);
    struct loaded_cell *nc = loader_find(ld, "ls_state");
    struct loader_cell_info ni;
    loader_cell_info(nc, &ni);
    CHECK(hk.mig_cell == nc);
    CHECK(hk.mig_new_state == ni.descriptor->state);
    CHECK_EQ_INT(ni.version, 3);
    CHECK_EQ_INT(FN(fn_l, ld, "state_a")(), 12);
    CHECK_EQ_INT(FN(fn_l, ld, "state_b")(), 22);
    CHECK_EQ_INT(FN(fn_l, ld, "state_c")(), 333);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);

    state_refused(4, KE_INVAL, false,
                  "state layout 1 in both versions, but the block is 8 bytes in version 1 and 12 "
                  "in version 4");
    state_refused(5, KE_INVAL, false,
                  "state layout changes (1 -> 2) and version 5 has no migrate hook");
    state_refused(6, KE_INVAL, false,
                  "version 6 declares no state block: version 1's 8 bytes of state would be lost");
    /* The hook's own (negative) code is passed on. */
    state_refused(7, -7, true,
                  "version 7's migrate hook failed on layout 1 with KE_FAULT (it faulted, or "
                  "returned that code)");

    /* Fresh: only the new version declares a block; it keeps its initial value. */
    reset();
    ld = new_loader();
    load(ld, "ls_fresh", 1);
    CHECK_EQ_INT(FN(fn_i, ld, "fresh_get")(), -1);
    struct loaded_cell *old = loader_find(ld, "ls_fresh");
    struct loader_object o = obj("ls_fresh", 2);
    struct loader_swap *sw = NULL;
    CHECK_EQ_INT(loader_swap_link(ld, &old, &o, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    loader_swap_stats(sw, 0, &ss);
    CHECK_EQ_STR(ss.state, "fresh");
    CHECK_EQ_U64(ss.state_bytes, 0);
    memset(&plan, 0, sizeof(plan));
    loader_swap_describe(sw, collect_line, &plan);
    CHECK(find_line(&plan, "state block: new (4 bytes, starts from its initial value)", NULL,
                    NULL) > 0);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), 0);
    loader_swap_commit(sw);
    loader_swap_finish(sw);
    CHECK_EQ_INT(FN(fn_i, ld, "fresh_get")(), 77);

    /* None: neither declares one (the same version again). */
    load(ld, "ls_ren", 1);
    old = loader_find(ld, "ls_ren");
    o = obj("ls_ren", 1);
    CHECK_EQ_INT(loader_swap_link(ld, &old, &o, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    loader_swap_stats(sw, 0, &ss);
    CHECK_EQ_STR(ss.state, "none");
    memset(&plan, 0, sizeof(plan));
    loader_swap_describe(sw, collect_line, &plan);
    CHECK(find_line(&plan, "ls_ren: version 1 -> 1", NULL, NULL) == 0);
    CHECK(find_line(&plan, "state block: none", NULL, NULL) == 1);
    loader_swap_abort(sw);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

/* Variables outside the state block, carried by name, and the pointers they hold. */
static void test_variables(void)
{
    reset();
    struct loader *ld = new_loader();
    struct loader_error err;
    struct loaded_cell *old = load(ld, "ls_vars", 1);
    FN(fn_v, ld, "vars_set")();
    CHECK_EQ_INT(FN(fn_i, ld, "vars_call_hook")(), 12);
    CHECK_EQ_INT(FN(fn_l, ld, "vars_cursor_index")(), 2);
    CHECK_EQ_INT(FN(fn_i_i, ld, "vars_op")(0), 11);
    uint64_t old_f1 = tp_sym(ld, "vars_f1"), old_count = tp_sym(ld, "vars_count");

    struct loader_object o = obj("ls_vars", 2);
    struct loader_swap *sw = NULL;
    CHECK_EQ_INT(loader_swap_link(ld, &old, &o, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    struct loader_swap_cell_stats ss;
    loader_swap_stats(sw, 0, &ss);
    CHECK_EQ_STR(ss.state, "verbatim");
    CHECK_EQ_INT(ss.variables, 4); /* vars_count, vars_total, vars_hook, vars_cursor */
    CHECK_EQ_U64(ss.variable_bytes, 4 + 8 + 8 + 8);
    struct lines plan = {0};
    loader_swap_describe(sw, collect_line, &plan);
    CHECK(find_line(&plan, "carry variable 'vars_count' (4 bytes)", NULL, NULL) > 0);
    CHECK(find_line(&plan, "carry variable 'vars_total' (8 bytes)", NULL, NULL) > 0);
    CHECK(find_line(&plan, "carry variable 'vars_hook' (8 bytes)", NULL, NULL) > 0);
    CHECK(find_line(&plan, "carry variable 'vars_cursor' (8 bytes)", NULL, NULL) > 0);
    CHECK(find_line(&plan, "vars_ops", NULL, NULL) < 0);   /* .data.rel.ro: not carried */
    CHECK(find_line(&plan, "vstate", NULL, NULL) < 0);     /* the state block itself */
    CHECK(find_line(&plan, "descriptor", NULL, NULL) < 0); /* nor the descriptor */

    /* Translation, by the rules: functions at their start, objects up to their end. */
    struct loaded_cell *nc = loader_swap_new(sw, 0);
    struct loader_cell_info ni;
    loader_cell_info(nc, &ni);
    uint64_t to = 0;
    char why[96];
    CHECK(loader_swap_in_old(sw, old_f1));
    CHECK(!loader_swap_in_old(sw, ni.base[CELL_REGION_TEXT]));
    CHECK(!loader_swap_in_old(sw, (uint64_t)(uintptr_t)&tp));
    CHECK_EQ_INT(loader_swap_translate(sw, old_f1, &to, why, sizeof(why)), 0);
    CHECK(to >= ni.base[CELL_REGION_TEXT] && to < ni.base[CELL_REGION_TEXT] + 4096);
    int (*new_f1)(void) = (int (*)(void))(uintptr_t)to;
    CHECK_EQ_INT(new_f1(), 21);
    CHECK_EQ_INT(loader_swap_translate(sw, old_f1 + 1, &to, why, sizeof(why)), KE_NOENT);
    CHECK_EQ_STR(why, "ls_vars:vars_f1+0x1");
    CHECK_EQ_INT(loader_swap_translate(sw, old_count + 2, &to, why, sizeof(why)), 0);
    uint64_t new_count = to - 2;
    CHECK(new_count >= ni.base[CELL_REGION_DATA] && new_count < ni.base[CELL_REGION_DATA] + 4096);
    /* Just past the object: not taken as the object's (it may be an unnamed literal's start). */
    CHECK_EQ_INT(loader_swap_translate(sw, old_count + 4, &to, why, sizeof(why)), KE_NOENT);
    CHECK_EQ_INT(loader_swap_translate(sw, (uint64_t)(uintptr_t)&tp, &to, why, sizeof(why)),
                 KE_NOENT);
    CHECK_EQ_INT(loader_swap_translate(sw, old_f1, NULL, NULL, 0), KE_INVAL);

    CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), 0);
    loader_swap_commit(sw);
    loader_swap_finish(sw);
    CHECK_EQ_INT(FN(fn_i, ld, "vars_version")(), 2);
    CHECK_EQ_U64(tp_sym(ld, "vars_count"), new_count);
    CHECK_EQ_INT(FN(fn_l, ld, "vars_get_count")(), 99);
    CHECK_EQ_INT(FN(fn_l, ld, "vars_get_total")(), 123456789);
    /* The carried function pointer now names version 2's vars_f2. */
    uint64_t hook;
    memcpy(&hook, (void *)(uintptr_t)tp_sym(ld, "vars_hook"), 8);
    CHECK_EQ_U64(hook, tp_sym(ld, "vars_f2"));
    CHECK_EQ_INT(FN(fn_i, ld, "vars_call_hook")(), 22);
    /* The carried pointer into the state block points into the new block. */
    CHECK_EQ_INT(FN(fn_l, ld, "vars_cursor_index")(), 2);
    CHECK_EQ_INT(FN(fn_i, ld, "vars_cursor_value")(), 55);
    /* The const table is version 2's own: {f2, f1}. */
    CHECK_EQ_INT(FN(fn_i_i, ld, "vars_op")(0), 22);
    CHECK_EQ_INT(FN(fn_i_i, ld, "vars_op")(1), 21);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);

    /* Refusals: a variable lost, a variable resized. */
    for (int v = 3; v <= 4; v++) {
        reset();
        ld = new_loader();
        load(ld, "ls_vars", 1);
        long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
        CHECK_EQ_INT(swap1(ld, "ls_vars", v, &err), KE_INVAL);
        if (v == 3)
            CHECK_MSG(err, "variable 'vars_count' (4 bytes) of version 1 has no counterpart in "
                           "version 3: its value would be lost");
        else
            CHECK_MSG(err, "variable 'vars_count' changes size (4 -> 8 bytes) and is not in the "
                           "state block: it cannot be carried");
        CHECK_EQ_INT(tp.live_allocs, allocs0);
        CHECK_EQ_INT(tp.live_regions, regions0);
        CHECK_EQ_INT(FN(fn_i, ld, "vars_version")(), 1);
        loader_destroy(ld);
    }

    /* A pointer to an unnamed string literal has no counterpart: the transfer is refused. */
    reset();
    ld = new_loader();
    load(ld, "ls_lit", 1);
    long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
    old = loader_find(ld, "ls_lit");
    o = obj("ls_lit", 2);
    CHECK_EQ_INT(loader_swap_link(ld, &old, &o, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), KE_NOENT);
    CHECK_MSG(err, "cell 'ls_lit': variable 'lit_msg' holds a pointer to ls_lit rodata+0x");
    CHECK_MSG(err, "(no symbol there) (at offset 0), which has no counterpart in version 2");
    loader_swap_abort(sw);
    CHECK_EQ_INT(tp.live_allocs, allocs0);
    CHECK_EQ_INT(tp.live_regions, regions0);
    const char *(*lit_get)(void) = FN(const char *(*)(void), ld, "lit_get");
    CHECK_EQ_STR(lit_get(), "an unnamed string literal");
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);

    /* The same literal right after a named constant (lit_name, 8 bytes): the pointer is also
     * "the end of lit_name", but it points to the literal, which has no counterpart. Translated
     * as lit_name+8, it would point into version 4's longer lit_name. */
    reset();
    ld = new_loader();
    load(ld, "ls_lit", 3);
    lit_get = FN(const char *(*)(void), ld, "lit_get");
    CHECK_EQ_U64((uint64_t)(uintptr_t)lit_get(), tp_sym(ld, "lit_name") + 8); /* the premise */
    int rc = swap1(ld, "ls_lit", 4, &err);
    CHECK_EQ_INT(rc, KE_NOENT);
    CHECK_MSG(err, "variable 'lit_msg' holds a pointer to ");
    lit_get = FN(const char *(*)(void), ld, "lit_get");
    CHECK_EQ_STR(lit_get(), "an unnamed string literal");
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
}

/* The patch failing at each site in turn: every site gets its old bytes back. */
static void test_rewrite_failures(void)
{
    reset();
    struct loader *ld = new_loader();
    struct loader_error err;
    struct loaded_cell *lib = load(ld, "ls_lib", 1);
    struct loaded_cell *app = load(ld, "ls_app", 1);
    fn_v_i app_set_cb = FN(fn_v_i, ld, "app_set_cb");
    app_set_cb(1); /* a data site that is translated, not just relinked */
    fn_i app_version = FN(fn_i, ld, "app_version"), app_via_cb = FN(fn_i, ld, "app_via_cb");
    struct loader_object o = obj("ls_lib", 2);
    struct loader_swap *sw = NULL;
    CHECK_EQ_INT(loader_swap_link(ld, &lib, &o, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
    long n = (long)loader_swap_sites(sw);
    CHECK(n >= 9);
    struct snap s;
    snap_take(app, &s);
    for (long at = 1; at <= n; at++) {
        hk.patch_calls = 0;
        hk.patch_fail_at = at;
        int rc = loader_swap_rewrite(sw, &err);
        CHECK_EQ_INT(rc, KE_FAULT);
        CHECK_MSG(err, "cell 'ls_app': cannot rewrite .");
        CHECK_EQ_INT(hk.patch_calls, at + (at - 1)); /* the sites before it, undone */
        CHECK(snap_same(&s));
        CHECK_EQ_INT(app_version(), 1);
        CHECK_EQ_INT(app_via_cb(), 102);
    }
    hk.patch_fail_at = 0;
    hk.patch_calls = 0;
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), 0);
    CHECK_EQ_INT(hk.patch_calls, n);
    CHECK(!snap_same(&s));
    CHECK_EQ_INT(app_version(), 2);
    CHECK_EQ_INT(app_via_cb(), 202);
    /* Out of order: a second rewrite without an undo is refused. */
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), KE_INVAL);
    loader_swap_abort_rewrite(sw);
    CHECK(snap_same(&s));
    CHECK_EQ_INT(app_version(), 1);
    CHECK_EQ_INT(app_via_cb(), 102);
    /* And once more, to the end. */
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), 0);
    loader_swap_commit(sw);
    loader_swap_abort_rewrite(sw); /* after the commit: nothing to undo */
    loader_swap_finish(sw);
    CHECK_EQ_INT(app_version(), 2);
    CHECK_EQ_INT(app_via_cb(), 202);
    snap_free(&s);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

/* Two cells that can only be swapped together, and the refusals of malformed transactions. */
static void test_transactions(void)
{
    reset();
    struct loader *ld = new_loader();
    struct loader_error err;
    struct loaded_cell *ren = load(ld, "ls_ren", 1);
    struct loaded_cell *user = load(ld, "ls_renuser", 1);
    CHECK_EQ_INT(FN(fn_i, ld, "renuser_get")(), 10);
    char before[256], after[256];
    registry(ld, before, sizeof(before));
    long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
    struct loader_object ren2 = obj("ls_ren", 2), user2 = obj("ls_renuser", 2);
    struct loader_swap *sw = NULL;

    /* Alone, neither works. */
    CHECK_EQ_INT(swap1(ld, "ls_ren", 2, &err), KE_NOENT);
    CHECK_MSG(err, "version 2 cannot replace version 1: cell 'ls_renuser' uses 'ren_old_name', "
                   "which version 2 does not export");
    CHECK_EQ_INT(swap1(ld, "ls_renuser", 2, &err), KE_NOENT);
    CHECK_MSG(err, "cell 'ls_renuser': undefined symbol 'ren_new_name'");
    CHECK_EQ_INT(tp.live_allocs, allocs0);
    CHECK_EQ_INT(tp.live_regions, regions0);

    /* Named twice; an object of another cell; a cell that is not loaded. */
    struct loaded_cell *twice[2] = {ren, ren};
    struct loader_object two[2] = {ren2, ren2};
    CHECK_EQ_INT(loader_swap_link(ld, twice, two, 2, &sw, &err), KE_INVAL);
    CHECK_MSG(err, "cell 'ls_ren': cannot swap: named twice in one swap");
    CHECK(sw == NULL);
    CHECK_EQ_INT(loader_swap_link(ld, &ren, &user2, 1, &sw, &err), KE_INVAL);
    CHECK_MSG(err, "object 'ls_renuser@2' is cell 'ls_renuser', not 'ls_ren'");
    CHECK(sw == NULL);
    struct loaded_cell *none = NULL;
    CHECK_EQ_INT(loader_swap_link(ld, &none, &ren2, 1, &sw, &err), KE_INVAL);
    CHECK_MSG(err, "the cell to replace is not loaded");
    struct loaded_cell *pair_swapped[2] = {user, ren};
    struct loader_object pair_wrong[2] = {ren2, user2}; /* objects in the wrong order */
    CHECK_EQ_INT(loader_swap_link(ld, pair_swapped, pair_wrong, 2, &sw, &err), KE_INVAL);
    CHECK_MSG(err, "object 'ls_ren@2' is cell 'ls_ren', not 'ls_renuser'");
    CHECK_EQ_INT(loader_swap_link(ld, &ren, &ren2, 0, &sw, &err), KE_INVAL);
    CHECK_EQ_INT(loader_swap_link(ld, &ren, &ren2, 9, &sw, &err), KE_INVAL);
    CHECK_EQ_INT(tp.live_allocs, allocs0);
    CHECK_EQ_INT(tp.live_regions, regions0);
    CHECK_EQ_STR(registry(ld, after, sizeof(after)), before);
    CHECK_EQ_INT(FN(fn_i, ld, "renuser_get")(), 10);

    /* Together. */
    hk.region_frees = 0;
    int old_regions = region_count(ren) + region_count(user);
    struct loaded_cell *pair[2] = {ren, user};
    struct loader_object objs[2] = {ren2, user2};
    CHECK_EQ_INT(loader_swap_link(ld, pair, objs, 2, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_sites(sw), 0);
    struct lines plan = {0};
    loader_swap_describe(sw, collect_line, &plan);
    CHECK(find_line(&plan, "ls_ren: version 1 -> 2", NULL, NULL) == 0);
    CHECK(find_line(&plan, "ls_renuser: version 1 -> 2", NULL, NULL) > 0);
    CHECK(find_line(&plan, "no sites in other cells point into the old versions", NULL, NULL) > 0);
    struct loaded_cell *nren = loader_swap_new(sw, 0), *nuser = loader_swap_new(sw, 1);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), 0);
    loader_swap_commit(sw);
    loader_swap_finish(sw);
    CHECK_EQ_INT(hk.region_frees, old_regions);
    CHECK_EQ_STR(registry(ld, after, sizeof(after)), "ls_ren@2 ls_renuser@2");
    CHECK(loader_find(ld, "ls_ren") == nren && loader_find(ld, "ls_renuser") == nuser);
    CHECK_EQ_INT(FN(fn_i, ld, "renuser_get")(), 200);
    struct edges es = {0};
    loader_for_each_edge(ld, nuser, NULL, "ren_new_name", collect_edge, &es);
    CHECK_EQ_INT(es.n, 1);
    CHECK(es.target_of[0] == nren);
    CHECK_EQ_INT(tp.live_regions, regions0);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

/* Every allocation of loader_swap_link and loader_swap_check failing in turn. */
static long oom_sweep(bool pair)
{
    long failures = 0;
    for (long nth = 1; nth < 10000; nth++) {
        reset();
        struct loader *ld = new_loader();
        struct loader_error err;
        struct loaded_cell *olds[2];
        struct loader_object objs[2];
        fn_i probe;
        if (pair) {
            olds[0] = load(ld, "ls_ren", 1);
            olds[1] = load(ld, "ls_renuser", 1);
            objs[0] = obj("ls_ren", 2);
            objs[1] = obj("ls_renuser", 2);
            probe = FN(fn_i, ld, "renuser_get");
        } else {
            olds[0] = load(ld, "ls_lib", 1);
            load(ld, "ls_app", 1);
            objs[0] = obj("ls_lib", 2);
            probe = FN(fn_i, ld, "app_version");
        }
        size_t n = pair ? 2 : 1;
        int before = probe();
        long allocs0 = tp.live_allocs, regions0 = tp.live_regions;
        struct loader_swap *sw = NULL;
        tp_fail_nth(nth);
        int rc = loader_swap_link(ld, olds, objs, n, &sw, &err);
        if (!rc)
            rc = loader_swap_check(sw, &err);
        tp_fail_nth(0);
        if (rc) {
            failures++;
            CHECK_EQ_INT(tp.failed, 1);
            CHECK_EQ_INT(rc, KE_NOMEM);
            CHECK(strstr(err.msg, "out of memory") || strstr(err.msg, "cannot allocate"));
            loader_swap_abort(sw);
            CHECK_EQ_INT(tp.live_allocs, allocs0);
            CHECK_EQ_INT(tp.live_regions, regions0);
            CHECK(loader_find(ld, pair ? "ls_renuser" : "ls_lib") == olds[pair ? 1 : 0]);
            CHECK_EQ_INT(probe(), before);
            loader_destroy(ld);
            CHECK_EQ_INT(tp.live_allocs, 0);
            continue;
        }
        CHECK_EQ_INT(tp.failed, 0);
        CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
        CHECK_EQ_INT(loader_swap_rewrite(sw, &err), 0);
        loader_swap_commit(sw);
        loader_swap_finish(sw);
        probe = FN(fn_i, ld, pair ? "renuser_get" : "app_version");
        CHECK_EQ_INT(probe(), pair ? 200 : 2);
        loader_destroy(ld);
        CHECK_EQ_INT(tp.live_allocs, 0);
        CHECK_EQ_INT(tp.live_regions, 0);
        break;
    }
    return failures;
}

static void test_out_of_memory(void)
{
    CHECK(oom_sweep(false) >= 15);
    CHECK(oom_sweep(true) >= 20);
}

/* A check that failed for lack of memory can be tried again ("a failing call changes no
 * state"). Run in a child: if the retry overruns memory, ASan ends the child, not the test. */
static void test_check_retry(void)
{
    for (long nth = 1; nth <= 2; nth++) {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
            reset();
            struct loader *ld = new_loader();
            struct loader_error err;
            struct loaded_cell *lib = load(ld, "ls_lib", 1);
            load(ld, "ls_app", 1);
            struct loader_object o = obj("ls_lib", 2);
            struct loader_swap *sw = NULL;
            int bad = loader_swap_link(ld, &lib, &o, 1, &sw, &err) != 0;
            tp_fail_nth(nth); /* 1: the sites, 2: the variables to carry */
            bad |= loader_swap_check(sw, &err) != KE_NOMEM;
            tp_fail_nth(0);
            bad |= loader_swap_check(sw, &err) != 0;
            bad |= loader_swap_transfer(sw, &err) != 0;
            bad |= loader_swap_rewrite(sw, &err) != 0;
            loader_swap_commit(sw);
            loader_swap_finish(sw);
            bad |= FN(fn_i, ld, "app_version")() != 2;
            loader_destroy(ld);
            bad |= tp.live_allocs != 0;
            _exit(bad ? 1 : 0);
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "    check retried after allocation %ld failed: child %s %d\n", nth,
                    WIFEXITED(status) ? "exited" : "killed by signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
}

/* ---- The gate of a pending swap (loader_swap_gate / loader_swap_ungate) ------------------ */

static struct {
    struct loader_swap *sw;
    uint64_t lib_call, lib_calls; /* the old version's functions */
    uint64_t new_lo, new_hi;      /* the new version's text */
    int stubs, bad_targets, gate_calls;
} gt;

/* This test's stand-in for the kernel's stub in front of lib_call: no parking, an answer of
 * its own, so that a call through a gated site shows. */
static int gate_lib_call(int x)
{
    gt.gate_calls++;
    return 5000 + x;
}

/* lib_call: to gate_lib_call; lib_calls: left alone (0); any other: straight to the new
 * version's function, as the kernel's stub goes on once the swap commits. */
static uint64_t h_stub(void *ctx, uint64_t old_target, uint64_t new_target)
{
    (void)ctx;
    gt.stubs++;
    if (!loader_swap_in_old(gt.sw, old_target) || new_target < gt.new_lo || new_target >= gt.new_hi)
        gt.bad_targets++;
    if (old_target == gt.lib_call)
        return (uint64_t)(uintptr_t)gate_lib_call;
    return old_target == gt.lib_calls ? 0 : new_target;
}

static void text_of(struct loaded_cell *c, uint8_t **at, size_t *n)
{
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    *at = (uint8_t *)(uintptr_t)ci.base[CELL_REGION_TEXT];
    *n = ci.size[CELL_REGION_TEXT];
}

/* Gated call sites go to the stub (or straight on, or stay, as the stub says), the rewrite is
 * refused while gated, and ungating — after a patch that failed half-way too — and aborting
 * put every byte of the caller's code back; a swap gated and ungated then commits as usual. */
static void test_gate(void)
{
    reset();
    struct loader *ld = new_loader();
    hk.ld = ld;
    struct loader_error err;
    struct loaded_cell *lib = load(ld, "ls_lib", 1);
    struct loaded_cell *app = load(ld, "ls_app", 1);
    fn_i_i app_call = FN(fn_i_i, ld, "app_call");
    fn_i app_version = FN(fn_i, ld, "app_version"), app_calls = FN(fn_i, ld, "app_calls");
    CHECK_EQ_INT(app_call(1), 2);
    CHECK_EQ_INT(app_version(), 1);
    uint8_t *text;
    size_t text_size;
    text_of(app, &text, &text_size);
    uint8_t *linked = malloc(text_size), *gated = malloc(text_size);
    CHECK(linked && gated);
    if (!linked || !gated) {
        free(linked);
        free(gated);
        loader_destroy(ld);
        return;
    }
    memcpy(linked, text, text_size);

    struct loader_object o2 = obj("ls_lib", 2);
    struct loader_swap *sw = NULL;
    CHECK_EQ_INT(loader_swap_gate(NULL, h_stub, NULL), 0);
    CHECK_EQ_INT(loader_swap_link(ld, &lib, &o2, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_gate(sw, h_stub, NULL), 0); /* before the check: nothing */
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    memset(&gt, 0, sizeof(gt));
    gt.sw = sw;
    gt.lib_call = tp_sym(ld, "lib_call");
    gt.lib_calls = tp_sym(ld, "lib_calls");
    uint8_t *ntext;
    size_t nsize;
    text_of(loader_swap_new(sw, 0), &ntext, &nsize);
    gt.new_lo = (uint64_t)(uintptr_t)ntext;
    gt.new_hi = gt.new_lo + nsize;

    long patches0 = hk.patch_calls;
    size_t n = loader_swap_gate(sw, h_stub, NULL);
    CHECK(n >= 2); /* app_call's and app_version's sites at least */
    CHECK_EQ_INT(gt.bad_targets, 0);
    CHECK_EQ_INT(hk.patch_calls - patches0, (long)n);
    CHECK_EQ_INT(hk.patch_outside, 0);
    CHECK(memcmp(linked, text, text_size) != 0);
    CHECK_EQ_INT(app_call(1), 5001); /* through the stub */
    CHECK_EQ_INT(gt.gate_calls, 1);
    CHECK_EQ_INT(app_version(), 2);                         /* straight on to the new version */
    CHECK_EQ_INT(app_calls(), FN(fn_i, ld, "lib_calls")()); /* left alone: still version 1 */
    CHECK_EQ_INT(loader_swap_gate(sw, h_stub, NULL), 0);    /* gated already */
    memcpy(gated, text, text_size);
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), KE_INVAL); /* refused while gated */
    CHECK(memcmp(gated, text, text_size) == 0);

    loader_swap_ungate(sw);
    CHECK(memcmp(linked, text, text_size) == 0);
    CHECK_EQ_INT(app_call(1), 2);
    CHECK_EQ_INT(app_version(), 1);
    loader_swap_ungate(sw); /* twice: nothing more */
    loader_swap_ungate(NULL);
    CHECK(memcmp(linked, text, text_size) == 0);

    /* A patch that fails half-way: that site stays as linked, the others are gated, and
     * ungating restores those exactly. */
    hk.patch_fail_at = hk.patch_calls + 2;
    size_t m = loader_swap_gate(sw, h_stub, NULL);
    hk.patch_fail_at = 0;
    CHECK_EQ_INT(m, n - 1);
    loader_swap_ungate(sw);
    CHECK(memcmp(linked, text, text_size) == 0);

    /* Gated, then committed the way the kernel does it: ungate, rewrite, commit. */
    CHECK_EQ_INT(loader_swap_gate(sw, h_stub, NULL), n);
    loader_swap_ungate(sw);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), 0);
    loader_swap_commit(sw);
    loader_swap_finish(sw);
    CHECK_EQ_INT(app_call(1), 2001);
    CHECK_EQ_INT(app_version(), 2);
    memcpy(linked, text, text_size);

    /* Gated, then given up (back to version 1): loader_swap_abort ungates. */
    lib = loader_find(ld, "ls_lib");
    struct loader_object o3 = obj("ls_lib", 1);
    sw = NULL;
    CHECK_EQ_INT(loader_swap_link(ld, &lib, &o3, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    gt.sw = sw;
    gt.lib_call = tp_sym(ld, "lib_call");
    gt.lib_calls = tp_sym(ld, "lib_calls");
    text_of(loader_swap_new(sw, 0), &ntext, &nsize);
    gt.new_lo = (uint64_t)(uintptr_t)ntext;
    gt.new_hi = gt.new_lo + nsize;
    CHECK(loader_swap_gate(sw, h_stub, NULL) >= 2);
    CHECK(memcmp(linked, text, text_size) != 0);
    loader_swap_abort(sw);
    CHECK(memcmp(linked, text, text_size) == 0);
    CHECK_EQ_INT(app_version(), 2);
    CHECK_EQ_INT(gt.bad_targets, 0);
    free(linked);
    free(gated);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

/* Calls out of order or without a swap are refused, not crashes. */
static void test_misuse(void)
{
    reset();
    struct loader *ld = new_loader();
    struct loader_error err;
    struct loaded_cell *lib = load(ld, "ls_lib", 1);
    struct loader_object o = obj("ls_lib", 2);
    struct loader_swap *sw = NULL;
    CHECK_EQ_INT(loader_swap_link(NULL, &lib, &o, 1, &sw, &err), KE_INVAL);
    CHECK_EQ_INT(loader_swap_link(ld, &lib, &o, 1, NULL, &err), KE_INVAL);
    CHECK_EQ_INT(loader_swap_check(NULL, &err), KE_INVAL);
    CHECK_EQ_INT(loader_swap_transfer(NULL, &err), KE_INVAL);
    CHECK_EQ_INT(loader_swap_rewrite(NULL, &err), KE_INVAL);
    CHECK_EQ_INT(loader_swap_link(ld, &lib, &o, 1, &sw, &err), 0);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), KE_INVAL); /* before the check */
    CHECK_EQ_INT(loader_swap_rewrite(sw, &err), KE_INVAL);
    struct lines plan = {0};
    loader_swap_describe(sw, collect_line, &plan);
    CHECK_EQ_INT(plan.n, 0);
    loader_swap_commit(sw); /* ignored before the check */
    CHECK(loader_find(ld, "ls_lib") == lib);
    CHECK_EQ_INT(loader_swap_check(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_check(sw, &err), KE_INVAL);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), 0);
    CHECK_EQ_INT(loader_swap_transfer(sw, &err), KE_INVAL);
    struct loader_swap_cell_stats ss;
    loader_swap_stats(sw, 5, &ss);
    CHECK(ss.name == NULL);
    loader_swap_abort(sw);
    loader_swap_abort(NULL);
    loader_swap_finish(NULL);
    CHECK_EQ_INT(loader_swap_count(NULL), 0);
    CHECK_EQ_INT(loader_swap_sites(NULL), 0);
    CHECK(!loader_swap_in_old(NULL, 0));
    CHECK(loader_find(ld, "ls_lib") == lib);
    CHECK_EQ_INT(FN(fn_i, ld, "lib_version")(), 1);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
}

int main(void)
{
    tp_reset();
    pf = tp_platform();
    base_region_free = pf.region_free;
    pf.region_free = h_region_free;
    pf.patch = h_patch;
    pf.run_migrate = h_run_migrate;
    test_swap_used_cell();
    test_data_sites();
    test_compatibility_refusals();
    test_state_block();
    test_variables();
    test_rewrite_failures();
    test_transactions();
    test_out_of_memory();
    test_misuse();
    test_gate();
    test_check_retry();
    for (int i = 0; i < nfiles; i++)
        free(files[i].data);
    return check_report("loader_swap_test");
}
