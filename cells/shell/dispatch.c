/* Running a command: split the line, find the command (the boot index, or a command cell pushed
 * into the ramfs: cmdfile.h), load the command's cell from the ramfs if it is not loaded yet,
 * spawn its entry cmd_<name>_main as a task with the packed argv, wait for it while watching
 * the keyboard for Ctrl-C, report how it ended. */
#include <stdbool.h>
#include <keel/argv.h>
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/task.h>
#include "ramfs/ramfs.h"
#include "cmdfile.h"
#include "cmdindex.h"
#include "shell.h"
#include "tokenize.h"

#define POLL_NS 10000000ull /* how often a waiting shell checks whether the command ended */
#define SYM_MAX 64

/* The core's names for CPU exceptions, when it exports them (weak: optional). */
extern const char *exception_name(unsigned vector) __attribute__((weak));

/* Only the shell task runs commands: these are its scratch buffers, off its stack. */
static char words[LINEEDIT_MAX];
static char *argv[ARGV_MAX_ARGS + 1];
static unsigned char block[ARGV_MAX_SIZE];

/* What a command name runs: its cell, and the object (and version) to load it from. */
struct target {
    char cell[CMDINDEX_CELL_MAX];
    char object[RAMFS_NAME_MAX];
    unsigned version; /* from the object's name (0: the name has none) */
};

/* Find what name runs: the boot index's entry, unless a higher version cmd_<name>@<v>.o was
 * added to the ramfs (a command pushed at run time, or a newer version of a boot one: then its
 * record must be good). 0, or an error already reported. */
static int find_command(const char *name, struct target *t)
{
    static struct cmdfile pushed; /* only the shell task runs commands; off its stack */
    const char *index = NULL;
    size_t size = 0;
    struct cmdindex_entry e;
    bool indexed =
        shell_command_index(&index, &size) == 0 && cmdindex_find(index, size, name, &e) == 0;
    if (indexed) {
        if (cmdindex_cell(&e, t->cell, sizeof(t->cell)) < 0 || e.object_len >= sizeof(t->object)) {
            kprintf("keel: %s: bad entry in the command index\n", name);
            return KE_INVAL;
        }
        memcpy(t->object, e.object, e.object_len);
        t->object[e.object_len] = 0;
        char scratch[CMDFILE_NAME_MAX];
        t->version = cmdfile_parse_name(t->object, scratch);
    }
    if (cmdfile_highest(name, &pushed) == 0 && (!indexed || pushed.version > t->version)) {
        cmdfile_find(name, &pushed);
        if (!pushed.ok) {
            kprintf("keel: %s: %s\n", name, pushed.why);
            return KE_INVAL;
        }
        ksnprintf(t->cell, sizeof(t->cell), "cmd_%s", name);
        memcpy(t->object, pushed.object, sizeof(t->object));
        t->version = pushed.version;
        return 0;
    }
    if (!indexed) {
        kprintf("keel: unknown command '%s' (type help)\n", name);
        return KE_NOENT;
    }
    return 0;
}

/* Make sure the command's cell is loaded, in t's version or a later one (an older version is
 * replaced: the highest version in the ramfs runs); 0, or an error already reported. */
static int ensure_loaded(const char *name, const struct target *t)
{
    struct loader *ld = cells_loader();
    if (!ld) {
        kprintf("keel: %s: no cell loader\n", name);
        return KE_NOTSUP;
    }
    cells_lock();
    const struct loaded_cell *c = loader_find(ld, t->cell);
    struct loader_cell_info ci;
    if (c)
        loader_cell_info(c, &ci);
    cells_unlock();
    if (c && ci.version >= t->version)
        return 0;
    struct ramfs_hold file = {0};
    if (ramfs_open(t->object, &file)) {
        kprintf("keel: %s: no file '%s' for the command\n", name, t->object);
        return KE_NOENT;
    }
    struct loader_error err = {0};
    int r = 0;
    if (c) {
        r = cells_unload(t->cell, &err);
        if (r)
            kprintf("keel: %s: cannot replace %s@%u by %s: %s\n", name, t->cell, ci.version,
                    t->object, err.msg[0] ? err.msg : keel_strerror(r));
        else
            kprintf("keel: %s: replaced %s@%u by %s, the highest version in the ramfs\n", name,
                    t->cell, ci.version, t->object);
    }
    if (!r) {
        r = cells_load(file.data, file.size, t->object, NULL, &err);
        if (r == KE_EXIST)
            r = 0; /* loaded meanwhile */
        else if (r)
            kprintf("keel: %s: cannot load %s: %s\n", name, t->object,
                    err.msg[0] ? err.msg : keel_strerror(r));
    }
    ramfs_close(&file); /* the loader keeps no pointer into the object */
    return r;
}

/* Find the entry and spawn the task, under the cells lock so the cell cannot be unloaded
 * between the lookup and the task's pin on it. */
static int spawn(const char *name, const char *cell, const void *arg, size_t arg_size,
                 task_id_t *id)
{
    char sym[SYM_MAX];
    ksnprintf(sym, sizeof(sym), "cmd_%s_main", name);
    struct loader *ld = cells_loader();
    cells_lock();
    const struct loaded_cell *owner = NULL;
    struct loader_symbol_info info;
    int r = loader_symbol_lookup(ld, sym, &owner, &info);
    if (r || owner != loader_find(ld, cell) || info.kind != LOADER_SYM_FUNC) {
        cells_unlock();
        kprintf("keel: %s: cell %s does not export %s\n", name, cell, sym);
        return KE_NOEXEC;
    }
    struct task_spec spec = {
        .name = name,
        .entry = (task_entry_fn)(uintptr_t)info.addr,
        .arg = arg,
        .arg_size = arg_size,
    };
    r = task_spawn(&spec, id);
    cells_unlock();
    if (r)
        kprintf("keel: %s: cannot start: %s\n", name, keel_strerror(r));
    return r;
}

/* Wait for the command while reading the keyboard: Ctrl-C kills it, other bytes are kept for
 * the next prompt. KE_KILLED if the shell itself was killed: the command runs on, and the
 * shell's successor goes on waiting for it (shell.c).
 * The "^C" is echoed once the command has ended, so none of its output can follow it. */
static int wait_for(task_id_t id, struct shell_input *in, struct task_result *res)
{
    bool interrupted = shell_input_take_interrupt(in);
    if (interrupted)
        task_kill(id);
    for (;;) {
        int r = task_try_join(id, res);
        if (r != KE_AGAIN) {
            if (interrupted)
                console_write("^C\n", 3);
            return r;
        }
        char buf[32];
        int n = console_read(buf, sizeof(buf), POLL_NS);
        if (n == KE_KILLED)
            return KE_KILLED;
        for (int i = 0; i < n; i++) {
            if (buf[i] == 0x03) {
                interrupted = true;
                task_kill(id); /* again is harmless: the task may have ended meanwhile */
            } else {
                shell_input_push(in, buf[i]);
            }
        }
    }
}

static void report(const char *name, const struct task_result *res)
{
    switch (res->how) {
    case TASK_RETURNED:
    case TASK_EXITED:
        if (res->status != 0)
            kprintf("keel: %s: exit status %d\n", name, res->status);
        break;
    case TASK_KILLED:
        kprintf("keel: %s interrupted\n", name);
        break;
    case TASK_FAULTED: {
        if (res->fault.kind == FAULT_KIND_HANG) { /* the watchdog (docs/fault-injection.md) */
            kprintf("keel: %s hung: %s limit %llu us, ended at %s\n", name,
                    res->fault.hang_by == HANG_HEARTBEAT ? "heartbeat" : "CPU budget",
                    (unsigned long long)(res->fault.hang_limit_ns / 1000),
                    res->fault.where[0] ? res->fault.where : "a blocking call");
            break;
        }
        if (res->fault.kind == FAULT_KIND_EVICTED) { /* a reload of its cell ended it */
            kprintf("keel: %s evicted: the recovery ladder reloaded cell %s\n", name,
                    res->fault.cell);
            break;
        }
        char vec[32];
        const char *what = exception_name ? exception_name(res->fault.vector) : NULL;
        if (!what) {
            ksnprintf(vec, sizeof(vec), "CPU exception %u", res->fault.vector);
            what = vec;
        }
        kprintf("keel: %s faulted: %s at %s\n", name, what,
                res->fault.where[0] ? res->fault.where : "an unknown address");
        break;
    }
    }
}

int shell_run_line(const char *line, struct shell_input *in)
{
    int argc = tokenize(line, words, sizeof(words), argv, ARGV_MAX_ARGS);
    if (argc == KE_INVAL) {
        kprintf("keel: unterminated quote\n");
        return 0;
    }
    if (argc == KE_RANGE) {
        kprintf("keel: too many arguments (at most %d)\n", ARGV_MAX_ARGS);
        return 0;
    }
    if (argc <= 0)
        return 0;
    const char *name = argv[0];
    if (strlen(name) > SYM_MAX - 10) {
        kprintf("keel: unknown command '%s' (type help)\n", name);
        return 0;
    }
    static struct target t; /* only the shell task runs commands */
    if (find_command(name, &t))
        return 0;
    int size = argv_pack(argc, (const char *const *)argv, block, sizeof(block));
    if (size < 0) {
        kprintf("keel: %s: arguments too long (at most %d bytes packed)\n", name, ARGV_MAX_SIZE);
        return 0;
    }
    if (ensure_loaded(name, &t))
        return 0;
    task_id_t id;
    if (spawn(name, t.cell, block, (size_t)size, &id))
        return 0;
    in->running = id;
    size_t n = strnlen(name, sizeof(in->running_name) - 1);
    memcpy(in->running_name, name, n);
    in->running_name[n] = 0;
    return shell_resume_command(in);
}

int shell_resume_command(struct shell_input *in)
{
    if (!in->running)
        return 0;
    struct task_result res;
    int r = wait_for(in->running, in, &res);
    if (r == KE_KILLED)
        return r; /* in->running stays: the next shell task waits for it */
    in->running = 0;
    if (r) {
        kprintf("keel: %s: lost the command task: %s\n", in->running_name, keel_strerror(r));
        return 0;
    }
    report(in->running_name, &res);
    if (res.ret)
        kfree(res.ret);
    return 0;
}
