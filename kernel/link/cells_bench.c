/* bench=loader[:ROUNDS]: load+link and unload each benchmark cell many times with a private
 * loader (so nothing clashes with the boot cells), measured with the TSC clock. Prints a line
 * per cell and one machine-readable line, "BENCH_JSON {...}", that tools/bench/loader.py reads. */
#include <keel/noscan.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/log.h>
#include <keel/paging.h>
#include <keel/string.h>
#include "boot/bootinfo.h"
#include "link/cells.h"

#define BENCH_MAX_ROUNDS 256

static const char *const bench_cells[] = {"bench_small@1.o", "bench_large@1.o", "hello@1.o"};

static void sort_u64(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

/* One cell: returns 0 and fills the medians/minimums (ns), or an error. */
static int bench_one(const struct mb2_module *m, unsigned rounds, uint64_t *load, uint64_t *unload,
                     uint64_t *relocs)
{
    /* A private loader whose cells nobody else can reach: an unload frees at once. */
    struct loader_platform pf = kernel_loader_platform;
    pf.retired = NULL;
    struct loader *ld = loader_create(&pf);
    if (!ld)
        return KE_NOMEM;
    struct loader_object obj = {phys_to_virt(m->start), (size_t)(m->end - m->start), m->cmdline};
    int err = 0;
    for (unsigned r = 0; r < rounds && !err; r++) {
        struct loaded_cell *cell;
        struct loader_error le;
        uint64_t t0 = clock_tsc();
        err = loader_load(ld, &obj, 1, &cell, &le);
        uint64_t t1 = clock_tsc();
        if (err) {
            log_err("bench: %s: %s", m->cmdline, le.msg);
            break;
        }
        struct loader_stats st;
        loader_last_stats(ld, &st);
        *relocs = st.relocations;
        err = loader_unload(ld, cell, &le);
        uint64_t t2 = clock_tsc();
        if (err)
            log_err("bench: %s: %s", m->cmdline, le.msg);
        load[r] = clock_tsc_to_ns(t1 - t0);
        unload[r] = clock_tsc_to_ns(t2 - t1);
    }
    loader_destroy(ld);
    return err;
}

void cells_bench(unsigned rounds)
{
    static uint64_t load[BENCH_MAX_ROUNDS] KEEL_NOSCAN, unload[BENCH_MAX_ROUNDS] KEEL_NOSCAN;
    if (rounds == 0 || rounds > BENCH_MAX_ROUNDS) {
        log_err("bench: rounds must be 1..%d", BENCH_MAX_ROUNDS);
        return;
    }
    char json[1280];
    size_t used = (size_t)ksnprintf(
        json, sizeof(json), "{\"benchmark\": \"loader\", \"rounds\": %u, \"cells\": [", rounds);
    unsigned done = 0;
    for (unsigned c = 0; c < sizeof(bench_cells) / sizeof(bench_cells[0]); c++) {
        const struct mb2_module *m = boot_module_find(bench_cells[c], strlen(bench_cells[c]));
        uint64_t relocs = 0;
        if (!m) {
            log_warn("bench: no boot module %s; skipped", bench_cells[c]);
            continue;
        }
        if (bench_one(m, rounds, load, unload, &relocs))
            continue;
        sort_u64(load, rounds);
        sort_u64(unload, rounds);
        uint64_t lmed = load[rounds / 2], umed = unload[rounds / 2];
        uint64_t lp99 = load[rounds * 99 / 100], up99 = unload[rounds * 99 / 100];
        uint64_t rate = lmed ? relocs * 1000000000ull / lmed : 0;
        kprintf(
            "bench loader: %-16s %5llu relocations  load median %6llu.%03llu us (min %llu.%03llu)"
            "  unload median %4llu.%03llu us  %llu relocations/s\n",
            bench_cells[c], (unsigned long long)relocs, (unsigned long long)(lmed / 1000),
            (unsigned long long)(lmed % 1000), (unsigned long long)(load[0] / 1000),
            (unsigned long long)(load[0] % 1000), (unsigned long long)(umed / 1000),
            (unsigned long long)(umed % 1000), (unsigned long long)rate);
        if (used < sizeof(json))
            used += (size_t)ksnprintf(
                json + used, sizeof(json) - used,
                "%s{\"cell\": \"%s\", \"relocations\": %llu, \"load_ns_median\": %llu, "
                "\"load_ns_p99\": %llu, \"load_ns_min\": %llu, \"unload_ns_median\": %llu, "
                "\"unload_ns_p99\": %llu, \"unload_ns_min\": %llu, \"relocations_per_s\": %llu}",
                done ? ", " : "", bench_cells[c], (unsigned long long)relocs,
                (unsigned long long)lmed, (unsigned long long)lp99, (unsigned long long)load[0],
                (unsigned long long)umed, (unsigned long long)up99, (unsigned long long)unload[0],
                (unsigned long long)rate);
        done++;
    }
    if (used < sizeof(json))
        ksnprintf(json + used, sizeof(json) - used, "]}");
    kprintf("BENCH_JSON %s\n", json);
}
