/* run <cell> [args]: make sure a cell is loaded (from the ramfs: the highest version, or the
 * exact object named), then, if it exports "<cell>_main" with the task-entry signature, run that
 * as a task with the arguments (argv[0] = the cell name) and wait for it. A cell without that
 * function is an error; if run loaded it, run unloads it again (a refused run leaves nothing). */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/task.h>
#include "commands/load/cellobj.h"

/* A core export (kernel/arch/exceptions.c) without a public header: "#PF page fault". */
const char *exception_name(unsigned vector);

/* The loaded cell called o->cell, loading it from the ramfs if need be: 0 and *version (and
 * *loaded_now: run loaded it), or 1 after printing why not. */
static int ensure_loaded(struct cellobj *o, unsigned *version, bool *loaded_now)
{
    struct loader *ld = cells_loader();
    if (!ld) {
        kprintf("run: no loader in this kernel\n");
        return 1;
    }
    cells_lock();
    const struct loaded_cell *c = loader_find(ld, o->cell);
    struct loader_cell_info ci;
    if (c)
        loader_cell_info(c, &ci);
    cells_unlock();
    if (c) {
        if (o->exact && ci.version != o->version) {
            kprintf("run: %s@%u is loaded, not version %u (unload it first)\n", o->cell, ci.version,
                    o->version);
            return 1;
        }
        *version = ci.version;
        return 0;
    }
    if (cellobj_open(o) != 0) {
        if (o->exact)
            kprintf("run: no object named '%s' in the ramfs\n", o->object);
        else
            kprintf("run: '%s' is not loaded and there is no %s@<version>.o in the ramfs\n",
                    o->cell, o->cell);
        return 1;
    }
    struct loader_error err = {0};
    int r = cells_load(o->file.data, o->file.size, o->object, NULL, &err);
    ramfs_close(&o->file); /* the loader keeps no pointer into the object */
    if (r) {
        kprintf("run: %s\n", err.msg[0] ? err.msg : keel_strerror(r));
        return 1;
    }
    *version = o->version;
    *loaded_now = true;
    return 0;
}

/* The cell has no <cell>_main: say what run needs, and take out again what run loaded. */
static int no_main(const char *cell, unsigned version, bool loaded_now)
{
    kprintf("run: %s@%u has no %s_main: nothing to run (run needs the cell to export "
            "int %s_main(const void *arg, void *ret))\n",
            cell, version, cell, cell);
    if (!loaded_now)
        return 1;
    struct loader_error err = {0};
    int r = cells_unload(cell, &err);
    if (r)
        kprintf("run: %s@%u stays loaded: %s\n", cell, version,
                err.msg[0] ? err.msg : keel_strerror(r));
    else
        kprintf("run: unloaded %s@%u again (use load to keep a cell loaded)\n", cell, version);
    return 1;
}

/* Start <cell>_main as a task with block as its argument: 0 and *id, 1 after printing why not,
 * or -1 if the cell has no such function. The lookup and the spawn happen under the cells lock,
 * so the cell cannot go away before the task pins it. */
static int spawn_main(const char *cell, const void *block, size_t size, task_id_t *id)
{
    char main_name[KEEL_CELL_NAME_MAX + 8];
    ksnprintf(main_name, sizeof(main_name), "%s_main", cell);
    struct loader *ld = cells_loader();
    struct loader_symbol_info si;
    const struct loaded_cell *owner = NULL;
    cells_lock();
    /* Only the cell's own function counts: another cell could export a global of that name. */
    if (loader_symbol_lookup(ld, main_name, &owner, &si) != 0 || owner != loader_find(ld, cell) ||
        si.kind != LOADER_SYM_FUNC) {
        cells_unlock();
        return -1;
    }
    struct task_spec spec = {
        .name = cell, .entry = (task_entry_fn)(uintptr_t)si.addr, .arg = block, .arg_size = size};
    int r = task_spawn(&spec, id);
    cells_unlock();
    if (r) {
        kprintf("run: cannot start %s: %s\n", main_name, keel_strerror(r));
        return 1;
    }
    return 0;
}

/* Wait for the task and report how it ended, as the shell does for commands: 0, or 1. */
static int wait_for(const char *cell, task_id_t id)
{
    struct task_result res;
    int r = task_join(id, &res);
    if (r == KE_KILLED) {
        /* The shell killed us (Ctrl-C): take the task we started with us. We cannot wait any
         * more (a killed task's blocking calls fail), so let it be reaped when it ends. */
        task_kill(id);
        task_detach(id);
        return 1;
    }
    if (r) {
        kprintf("run: waiting for %s: %s\n", cell, keel_strerror(r));
        return 1;
    }
    kfree(res.ret);
    switch (res.how) {
    case TASK_FAULTED:
        if (res.fault.kind == FAULT_KIND_HANG) {
            kprintf("run: %s hung: %s limit %llu us, ended at %s\n", cell,
                    res.fault.hang_by == HANG_HEARTBEAT ? "heartbeat" : "CPU budget",
                    (unsigned long long)(res.fault.hang_limit_ns / 1000),
                    res.fault.where[0] ? res.fault.where : "a blocking call");
            return 1;
        }
        if (res.fault.kind == FAULT_KIND_EVICTED) {
            kprintf("run: %s evicted: the recovery ladder reloaded cell %s\n", cell,
                    res.fault.cell);
            return 1;
        }
        kprintf("run: %s faulted: %s at %s\n", cell, exception_name(res.fault.vector),
                res.fault.where[0] ? res.fault.where : "an unknown address");
        return 1;
    case TASK_KILLED:
        kprintf("run: %s interrupted\n", cell);
        return 1;
    default:
        if (res.status != 0) {
            kprintf("run: %s: exit status %d\n", cell, res.status);
            return 1;
        }
        return 0;
    }
}

int cmd_run_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc < 2) {
        kprintf("run: which cell? (a cell name, or an object like "
                "hello@1.o)\nusage: " KEEL_COMMAND_USAGE "\n");
        return 2;
    }
    struct cellobj o;
    if (cellobj_parse(argv[1], &o) != 0) {
        kprintf("run: '%s' is not a cell or object name\nusage: " KEEL_COMMAND_USAGE "\n", argv[1]);
        return 2;
    }
    unsigned version;
    bool loaded_now = false;
    if (ensure_loaded(&o, &version, &loaded_now))
        return 1;
    /* The task's argv: the cell name, then our arguments after it. */
    argv[1] = o.cell;
    void *block = kmalloc(ARGV_MAX_SIZE);
    if (!block) {
        kprintf("run: %s\n", keel_strerror(KE_NOMEM));
        return 1;
    }
    int packed = argv_pack(argc - 1, argv + 1, block, ARGV_MAX_SIZE);
    task_id_t id;
    int r = packed < 0 ? 1 : spawn_main(o.cell, block, (size_t)packed, &id);
    kfree(block); /* task_spawn copied it */
    if (packed < 0)
        kprintf("run: arguments too long\n");
    if (r < 0)
        return no_main(o.cell, version, loaded_now);
    if (r)
        return 1;
    return wait_for(o.cell, id);
}

KEEL_COMMAND_CELL("run");
