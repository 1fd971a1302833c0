/* swap [options] <cell> <version|object> ...: replace running cells by other versions, as one
 * transaction (keel/swap.h). -n shows the plan and changes nothing; -r N swaps back and forth N
 * times (a soak and a benchmark: it prints the distribution of the swap times and checks that
 * the heap and the free memory come back to where they were). */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/memory.h>
#include <keel/string.h>
#include <keel/reclaim.h>
#include <keel/swap.h>
#include "commands/swap/swapargs.h"
#include "ramfs/ramfs.h"

/* add_command's usage line, then what the options do. */
#define USAGE                                                                                      \
    KEEL_COMMAND_USAGE                                                                             \
    "\n"                                                                                           \
    "  -n           dry run: show what would be rewired and what state carried\n"                  \
    "  -v           also show the plan when swapping\n"                                            \
    "  -t ms        how long the swap may stay pending (default 5000)\n"                           \
    "  -r count     swap count times, alternating with the running version (soak, "                \
    "benchmark)\n"                                                                                 \
    "  --json       also print the report as one JSON line\n"                                      \
    "  --status     (alone, or with --json) the swap pending now, if any, and how far it is\n"     \
    "  --fail-at s  test hook: fail at link, check, quiesce, transfer or rewrite"

static const char *step_name(int s)
{
    return s >= SWAP_STEP_LINK && s <= SWAP_STEP_REWRITE ? swap_step_name((enum swap_step)s) : NULL;
}

/* A dry run's plan (keel/swap.h), indented; then frees it. */
static void print_plan(char *plan)
{
    if (!plan)
        kprintf("  (no memory to show the plan)\n");
    for (const char *line = plan; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        kprintf("  %.*s\n", (int)n, line);
        line += n + (end ? 1 : 0);
    }
    kfree(plan);
}

/* The object for target in the ramfs, exact name or with ".o" added, held in *file (the caller
 * closes it once the swap is done: a concurrent rm then frees nothing under the swap). */
static int find_object(const char *cell, const char *target, char *name, size_t size,
                       struct ramfs_hold *file, struct swap_item *it)
{
    for (int with_o = 0; with_o < 2; with_o++) {
        if (swapargs_object_name(cell, target, with_o, name, size))
            continue;
        if (ramfs_open(name, file) == 0) {
            *it = (struct swap_item){cell, file->data, file->size, name};
            return 0;
        }
    }
    kprintf("swap: no object '%s' in the ramfs (ls lists its files)\n", name);
    return 1;
}

static void close_all(struct ramfs_hold *files, size_t n)
{
    for (size_t k = 0; k < n; k++)
        ramfs_close(&files[k]);
}

static void to_console(void *ctx, const char *s, size_t n)
{
    console_write(s, n);
}

static void print_report(const struct swap_report *r, enum swap_outcome how, bool json)
{
    swap_report_text(r, how, to_console, NULL);
    if (json) {
        kprintf("{\"swap\": {");
        swap_report_json(r, to_console, NULL);
        kprintf("}}\n");
    }
}

static void sort_u64(uint64_t *a, size_t n)
{
    for (size_t gap = n / 2; gap; gap /= 2) /* shellsort: no recursion, fine for 1e6 */
        for (size_t i = gap; i < n; i++)
            for (size_t j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
                uint64_t t = a[j];
                a[j] = a[j - gap];
                a[j - gap] = t;
            }
}

static void print_dist(const char *what, uint64_t *v, size_t n, bool json, const char *key)
{
    sort_u64(v, n);
    uint64_t p99 = v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
    if (what) { /* microseconds with one decimal, as in every swap report */
        const uint64_t q[4] = {v[0], v[n / 2], p99, v[n - 1]};
        static const char *const label[4] = {"min", "median", "p99", "max"};
        kprintf("  %s:", what);
        for (int i = 0; i < 4; i++)
            kprintf("%s %s %llu.%llu us", i ? "," : "", label[i], (unsigned long long)(q[i] / 1000),
                    (unsigned long long)(q[i] % 1000 / 100));
        kprintf("\n");
    }
    if (json)
        kprintf("{\"swap_repeat\":{\"what\":\"%s\",\"n\":%zu,\"min_ns\":%llu,\"median_ns\":%llu,"
                "\"p99_ns\":%llu,\"max_ns\":%llu}}\n",
                key, n, (unsigned long long)v[0], (unsigned long long)v[n / 2],
                (unsigned long long)p99, (unsigned long long)v[n - 1]);
}

/* -r: alternate between the targets and the versions running now, whose objects are held in
 * back_files. */
static int repeat_held(struct swap_request *rq, const struct swapargs *a,
                       char names[][RAMFS_NAME_MAX], struct ramfs_hold *back_files)
{
    struct swap_request back = *rq;
    char back_names[SWAPARGS_MAX_PAIRS][RAMFS_NAME_MAX];
    struct loader *ld = cells_loader();
    for (size_t k = 0; k < rq->n; k++) {
        struct loader_cell_info ci;
        cells_lock();
        const struct loaded_cell *c = loader_find(ld, rq->items[k].cell);
        loader_cell_info(c, &ci);
        cells_unlock();
        if (!c) {
            kprintf("swap: no cell named '%s' is loaded\n", rq->items[k].cell);
            return 1;
        }
        char ver[16];
        ksnprintf(ver, sizeof(ver), "%u", ci.version);
        if (find_object(rq->items[k].cell, ver, back_names[k], RAMFS_NAME_MAX, &back_files[k],
                        &back.items[k]))
            return 1;
    }
    /* A warm-up pair first (there and back, not counted): the first use of a part of the cell
     * area allocates page tables, which are kept, and would look like a leak. */
    struct swap_report rep;
    struct loader_error err;
    for (int i = 0; i < 2; i++)
        if (swap_cells(i ? &back : rq, &rep, &err)) {
            kprintf("swap: warm-up swap %d failed: %s\n", i + 1, err.msg);
            return 1;
        }
    enum { TOTAL, STW, LINK, CHECK, QUIESCE, TRANSFER, REWRITE, COMMIT, FREE, SERIES };
    static const char *const key[SERIES] = {"total",    "stw",     "link",   "check", "quiesce",
                                            "transfer", "rewrite", "commit", "retire"};
    uint64_t *v = kmalloc(SERIES * sizeof(uint64_t) * a->repeat);
    if (!v) {
        kprintf("swap: out of memory for %u measurements\n", a->repeat);
        return 1;
    }
    size_t heap0, pages0, owners0, heap1, pages1, owners1;
    struct memory_stats m0, m1;
    /* Old versions are retired and freed once nothing points into them: reclaim before each
     * reading, so that both count only what is still referenced. */
    struct reclaim_result rc0, rc1;
    reclaim_now(&rc0);
    kheap_totals(&heap0, &pages0, &owners0);
    memory_stats(&m0);
    uint32_t done = 0;
    for (; done < a->repeat; done++) {
        int r = swap_cells(done % 2 ? &back : rq, &rep, &err);
        if (r) {
            kprintf("swap: swap %u of %u failed: %s\n", done + 1, a->repeat, err.msg);
            break;
        }
        const uint64_t m[SERIES] = {rep.total_ns,   rep.stw_ns,     rep.link_ns,
                                    rep.check_ns,   rep.quiesce_ns, rep.transfer_ns,
                                    rep.rewrite_ns, rep.commit_ns,  rep.retire_ns};
        for (int i = 0; i < SERIES; i++)
            v[(size_t)i * a->repeat + done] = m[i];
    }
    kprintf("swap: %u swaps of %s between %s and %s\n", done, rq->items[0].cell, names[0],
            back_names[0]);
    if (done) {
        print_dist("whole swap", v, done, a->json, key[TOTAL]);
        print_dist("stop-the-world", v + a->repeat, done, a->json, key[STW]);
        kprintf("  median per step:");
        for (int i = LINK; i < SERIES; i++) {
            uint64_t *series = v + (size_t)i * a->repeat;
            sort_u64(series, done);
            uint64_t med = series[done / 2];
            kprintf(" %s %llu.%llu", key[i], (unsigned long long)(med / 1000),
                    (unsigned long long)(med % 1000 / 100));
        }
        kprintf(" (us)\n");
        if (a->json)
            for (int i = LINK; i < SERIES; i++)
                print_dist(NULL, v + (size_t)i * a->repeat, done, true, key[i]);
    }
    /* Both readings with the measurement array allocated. */
    reclaim_now(&rc1);
    kheap_totals(&heap1, &pages1, &owners1);
    memory_stats(&m1);
    kfree(v);
    if (rc0.kept || rc1.kept) {
        /* Which versions a running task keeps changes from one reading to the other. */
        kprintf("  leak check: not comparable: %zu retired versions still referenced before, %zu "
                "after (see cells)\n",
                rc0.kept, rc1.kept);
        return done == a->repeat ? 0 : 1;
    }
    bool leak = heap1 != heap0 || m1.free_bytes != m0.free_bytes;
    kprintf("  leak check: heap %zu -> %zu bytes, free memory %llu -> %llu KiB: %s\n", heap0, heap1,
            (unsigned long long)(m0.free_bytes / 1024), (unsigned long long)(m1.free_bytes / 1024),
            leak ? "LEAK" : "no leak");
    return done == a->repeat && !leak ? 0 : 1;
}

static int repeat(struct swap_request *rq, const struct swapargs *a, char names[][RAMFS_NAME_MAX])
{
    struct ramfs_hold back_files[SWAPARGS_MAX_PAIRS] = {0};
    int r = repeat_held(rq, a, names, back_files);
    close_all(back_files, SWAPARGS_MAX_PAIRS);
    return r;
}

static int swap_held(const char **argv, int argc, struct ramfs_hold *files);

/* swap --status: the swap pending now, if any, and how far it is. Mostly for a swap started by
 * keelctl (keelctl query swap shows the same from the host); a command typed here while a swap
 * is pending starts only once that swap ends, as starting it needs the cells lock. */
static int print_status(bool json)
{
    struct swap_status st;
    swap_status(&st);
    /* Since boot (the benchmark reads it before and after a series of swaps). */
    swap_status_totals_text(&st, to_console, NULL);
    swap_status_text(&st, to_console, NULL);
    if (json) {
        kprintf("{\"swap_status\": {");
        swap_status_json(&st, to_console, NULL);
        kprintf("}}\n");
    }
    return 0;
}

/* A single swap's progress while it is pending: after 200 ms, then once a second. */
static void show_progress(const struct swap_status *st, void *ctx)
{
    swap_status_text(st, to_console, NULL);
    if (*(const bool *)ctx) {
        kprintf("{\"swap_pending\": {");
        swap_status_json(st, to_console, NULL);
        kprintf("}}\n");
    }
}

int cmd_swap_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    struct ramfs_hold files[SWAPARGS_MAX_PAIRS] = {0};
    int r = swap_held(argv, argc, files);
    close_all(files, SWAPARGS_MAX_PAIRS);
    return r;
}

/* The command, with the objects it swaps in held in files. */
static int swap_held(const char **argv, int argc, struct ramfs_hold *files)
{
    struct swapargs a;
    char msg[128];
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        kprintf("usage: " USAGE "\n");
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--status") == 0) {
        bool json = argc == 3 && strcmp(argv[2], "--json") == 0;
        if (argc > 3 || (argc == 3 && !json)) {
            kprintf("swap: --status takes only --json\nusage: " USAGE "\n");
            return 2;
        }
        return print_status(json);
    }
    if (swapargs_parse(argc, argv, &a, msg, sizeof(msg), step_name)) {
        kprintf("swap: %s\nusage: " USAGE "\n", msg);
        return 2;
    }
    struct swap_request rq = {.n = a.npairs,
                              .dry_run = a.dry_run,
                              .deadline_ns = a.deadline_ms * 1000000ull,
                              .fail_at = (enum swap_step)a.fail_at};
    char names[SWAPARGS_MAX_PAIRS][RAMFS_NAME_MAX];
    for (unsigned k = 0; k < a.npairs; k++)
        if (find_object(a.cell[k], a.target[k], names[k], sizeof(names[k]), &files[k],
                        &rq.items[k]))
            return 1;
    if (a.dry_run || a.verbose) {
        kprintf("swap: plan%s\n", a.dry_run ? " (dry run)" : "");
        if (!a.dry_run) {
            struct swap_request plan = rq;
            plan.dry_run = true;
            struct swap_report rep;
            struct loader_error err;
            if (swap_cells(&plan, &rep, &err)) {
                kprintf("swap: %s\n", err.msg);
                return 1;
            }
            print_plan(rep.plan);
        }
    }
    if (a.repeat)
        return repeat(&rq, &a, names);
    bool json = a.json;
    rq.progress = show_progress;
    rq.progress_ctx = &json;
    struct swap_report rep;
    struct loader_error err;
    int r = swap_cells(&rq, &rep, &err);
    if (r) {
        kprintf("swap: %s\n", err.msg[0] ? err.msg : keel_strerror(r));
        if (rep.failed_at)
            print_report(&rep, SWAP_REFUSED, a.json);
        return 1;
    }
    if (a.dry_run)
        print_plan(rep.plan);
    print_report(&rep, a.dry_run ? SWAP_PLANNED : SWAP_DONE, a.json);
    return 0;
}

KEEL_COMMAND_CELL("swap");
