/* workload list | workload run <name> [--seed N] [--rounds N] [--fail-stop]: start one of the
 * workload cells (cells/workloads, docs/workloads.md) as a restartable task, wait for it and
 * print its digest, a function of (workload, seed, rounds) only. --fail-stop: an error the
 * workload detects is a fault of its task (the recovery ladder restarts it) instead of a failed
 * run. The cells it needs are loaded from the ramfs if
 * they are not loaded yet, and stay loaded (as `run` leaves them). */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/task.h>
#include "commands/load/cellobj.h"
#include "workloads/wl.h"

#define DEFAULT_SEED 1u

struct workload {
    const char *name, *cell;
    uint32_t rounds;     /* the default */
    const char *deps[2]; /* objects loaded first if their cells are missing */
    const char *what;
    uint32_t heartbeat_ms; /* the workload task's heartbeat (0: none; the cell beats) */
};

static const struct workload workloads[] = {
    {"storm",
     "wl_storm",
     32,
     {0},
     "spawn/join storm: 1-4 tasks a round, argument and return blocks",
     1000},
    {"pingpong",
     "wl_pingpong",
     256,
     {0},
     "two tasks over rendezvous channels, one exchange a round",
     1000},
    {"pipeline",
     "wl_pipeline",
     256,
     {0},
     "three stage tasks over async channels, one word a round",
     1000},
    {"ramfs", "wl_ramfs", 16, {0}, "write one ramfs file a round, read back, verify, remove",
     1000},
    {"demo",
     "wl_demo",
     64,
     {"counter@1.o", "salute@1.o"},
     "client of the counter and salute demo cells, one call of each a round",
     1000},
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

/* A const char * from usage errors below: print it, the usage, and return 2. */
static int usage(const char *fmt, const char *arg)
{
    kprintf("workload: ");
    kprintf(fmt, arg);
    kprintf("\nusage: " KEEL_COMMAND_USAGE "\n");
    return 2;
}

static const struct workload *find(const char *name)
{
    for (size_t i = 0; i < NWORKLOADS; i++)
        if (strcmp(workloads[i].name, name) == 0)
            return &workloads[i];
    return NULL;
}

/* Decimal or 0x-hexadecimal, all of s, fitting 64 bits. */
static bool parse_u64(const char *s, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

/* The cell called by obj's name loaded, from the ramfs if need be: 0, or 1 after printing why
 * not. */
static int ensure_loaded(const char *obj)
{
    struct cellobj o;
    if (cellobj_parse(obj, &o) != 0) {
        kprintf("workload: bad object name '%s'\n", obj);
        return 1;
    }
    struct loader *ld = cells_loader();
    if (!ld) {
        kprintf("workload: no loader in this kernel\n");
        return 1;
    }
    cells_lock();
    bool loaded = loader_find(ld, o.cell) != NULL;
    cells_unlock();
    if (loaded)
        return 0;
    if (cellobj_open(&o) != 0) {
        kprintf("workload: %s is not loaded and the ramfs has no %s\n", o.cell,
                o.exact ? o.object : "object of it");
        return 1;
    }
    struct loader_error err = {0};
    int r = cells_load(o.file.data, o.file.size, o.object, NULL, &err);
    ramfs_close(&o.file);
    if (r) {
        kprintf("workload: %s\n", err.msg[0] ? err.msg : keel_strerror(r));
        return 1;
    }
    return 0;
}

/* Start <cell>_main as a restartable task: 0 and *id, or 1 after printing why not. Looked up and
 * spawned under the cells lock, so the cell cannot go before the task pins it. */
static int spawn(const struct workload *w, const struct wl_args *a, task_id_t *id)
{
    char main_name[KEEL_CELL_NAME_MAX + 8];
    ksnprintf(main_name, sizeof(main_name), "%s_main", w->cell);
    struct loader *ld = cells_loader();
    struct loader_symbol_info si;
    const struct loaded_cell *owner = NULL;
    cells_lock();
    if (loader_symbol_lookup(ld, main_name, &owner, &si) != 0 ||
        owner != loader_find(ld, w->cell) || si.kind != LOADER_SYM_FUNC) {
        cells_unlock();
        kprintf("workload: %s has no function %s\n", w->cell, main_name);
        return 1;
    }
    struct task_spec spec = {.name = w->cell,
                             .entry = (task_entry_fn)(uintptr_t)si.addr,
                             .arg = a,
                             .arg_size = sizeof(*a),
                             .ret_size = sizeof(struct wl_result),
                             .flags = TASK_RESTARTABLE,
                             .heartbeat_ns = w->heartbeat_ms * 1000000ull};
    int r = task_spawn(&spec, id);
    cells_unlock();
    if (r) {
        kprintf("workload: cannot start %s: %s\n", main_name, keel_strerror(r));
        return 1;
    }
    return 0;
}

/* Wait for the workload task and report: 0 with the digest line, or 1. */
static int wait_for(const struct workload *w, const struct wl_args *a, task_id_t id)
{
    struct task_result res;
    int r = task_join(id, &res);
    if (r == KE_KILLED) { /* Ctrl-C: take the workload with us, reaped when it ends */
        task_kill(id);
        task_detach(id);
        return 1;
    }
    if (r) {
        kprintf("workload %s: waiting: %s\n", w->name, keel_strerror(r));
        return 1;
    }
    int status = 0;
    if (res.restarts)
        kprintf("workload %s: restarted %u time%s\n", w->name, res.restarts,
                res.restarts == 1 ? "" : "s");
    const struct wl_result *out = res.ret;
    if (res.how == TASK_FAULTED && res.fault.kind == FAULT_KIND_HANG) {
        kprintf("workload %s: hung (%s limit %llu us) at %s (gave up after %u restarts)\n", w->name,
                res.fault.hang_by == HANG_HEARTBEAT ? "heartbeat" : "CPU budget",
                (unsigned long long)(res.fault.hang_limit_ns / 1000),
                res.fault.where[0] ? res.fault.where : "a blocking call", res.restarts);
        status = 1;
    } else if (res.how == TASK_FAULTED && res.fault.kind == FAULT_KIND_EVICTED) {
        kprintf("workload %s: evicted by a reload of cell %s (gave up after %u restarts)\n",
                w->name, res.fault.cell, res.restarts);
        status = 1;
    } else if (res.how == TASK_FAULTED) {
        kprintf("workload %s: faulted at %s (gave up after %u restarts)\n", w->name,
                res.fault.where[0] ? res.fault.where : "an unknown address", res.restarts);
        status = 1;
    } else if (res.how == TASK_KILLED) {
        kprintf("workload %s: killed\n", w->name);
        status = 1;
    } else if (!out || res.status != 0 || out->status != 0) {
        int code = out && out->status ? out->status : res.status;
        kprintf("workload %s: failed: %s\n", w->name,
                out && out->why[0] ? out->why : keel_strerror(code));
        status = 1;
    }
    if (out && out->leaked) {
        kprintf("workload %s: left %llu bytes on the heap\n", w->name,
                (unsigned long long)out->leaked);
        status = 1;
    }
    if (!status)
        kprintf("workload %s seed %llu rounds %u: digest %016llx\n", w->name,
                (unsigned long long)a->seed, a->rounds, (unsigned long long)out->digest);
    kfree(res.ret);
    return status;
}

static int list(void)
{
    kprintf("%-10s %-12s %6s  %s\n", "NAME", "CELL", "ROUNDS", "WHAT");
    for (size_t i = 0; i < NWORKLOADS; i++)
        kprintf("%-10s %-12s %6u  %s\n", workloads[i].name, workloads[i].cell, workloads[i].rounds,
                workloads[i].what);
    return 0;
}

static int run(int argc, const char **argv)
{
    if (argc < 3)
        return usage("which workload? (%s)", "workload list names them");
    const struct workload *w = find(argv[2]);
    if (!w)
        return usage("no workload '%s' (workload list names them)", argv[2]);
    struct wl_args a = {.seed = DEFAULT_SEED, .rounds = w->rounds};
    for (int i = 3; i < argc; i += 2) {
        if (strcmp(argv[i], "--fail-stop") == 0) { /* a flag: no value */
            a.flags |= WL_FAIL_STOP;
            i--;
            continue;
        }
        bool seed = strcmp(argv[i], "--seed") == 0;
        if (!seed && strcmp(argv[i], "--rounds") != 0)
            return usage("unknown option '%s'", argv[i]);
        if (i + 1 >= argc)
            return usage("%s needs a number", argv[i]);
        uint64_t v;
        if (!parse_u64(argv[i + 1], &v))
            return usage(seed ? "seed '%s' is not a number (decimal or 0x hex, 64 bits)"
                              : "rounds '%s' is not a number",
                         argv[i + 1]);
        if (seed) {
            a.seed = v;
        } else if (v < 1 || v > WL_ROUNDS_MAX) {
            kprintf("workload: rounds must be 1..%u, not %s\nusage: " KEEL_COMMAND_USAGE "\n",
                    WL_ROUNDS_MAX, argv[i + 1]);
            return 2;
        } else {
            a.rounds = (uint32_t)v;
        }
    }
    for (size_t d = 0; d < 2 && w->deps[d]; d++)
        if (ensure_loaded(w->deps[d]))
            return 1;
    if (ensure_loaded(w->cell))
        return 1;
    task_id_t id;
    if (spawn(w, &a, &id))
        return 1;
    return wait_for(w, &a, id);
}

int cmd_workload_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc < 1)
        return usage("%s", "bad argument block");
    if (argc < 2)
        return usage("%s", "list or run?");
    if (strcmp(argv[1], "list") == 0) {
        if (argc > 2)
            return usage("%s", "list takes no arguments");
        return list();
    }
    if (strcmp(argv[1], "run") == 0)
        return run(argc, argv);
    return usage("unknown subcommand '%s' (list or run)", argv[1]);
}

KEEL_COMMAND_CELL("workload");
