/* Running a command: split the line, look the name up in the command index, load the command's
 * cell from the ramfs if it is not loaded yet, spawn its entry cmd_<name>_main as a task with
 * the packed argv, wait for it while watching the keyboard for Ctrl-C, report how it ended. */
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

/* Make sure the command's cell is loaded; 0, or an error already reported. */
static int ensure_loaded(const char *name, const struct cmdindex_entry *e, const char *cell)
{
    struct loader *ld = cells_loader();
    if (!ld) {
        kprintf("keel: %s: no cell loader\n", name);
        return KE_NOTSUP;
    }
    cells_lock();
    int loaded = loader_find(ld, cell) != NULL;
    cells_unlock();
    if (loaded)
        return 0;
    char object[RAMFS_NAME_MAX];
    if (e->object_len >= sizeof(object)) {
        kprintf("keel: %s: object name too long\n", name);
        return KE_RANGE;
    }
    memcpy(object, e->object, e->object_len);
    object[e->object_len] = 0;
    const void *data;
    size_t size;
    if (ramfs_find(object, &data, &size)) {
        kprintf("keel: %s: no file '%s' for the command\n", name, object);
        return KE_NOENT;
    }
    struct loader_error err = {0};
    int r = cells_load(data, size, object, NULL, &err);
    if (r && r != KE_EXIST) {
        kprintf("keel: %s: cannot load %s: %s\n", name, object,
                err.msg[0] ? err.msg : keel_strerror(r));
        return r;
    }
    return 0;
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
    const char *index;
    size_t index_size;
    struct cmdindex_entry e;
    if (shell_command_index(&index, &index_size) || cmdindex_find(index, index_size, name, &e)) {
        kprintf("keel: unknown command '%s' (type help)\n", name);
        return 0;
    }
    char cell[CMDINDEX_CELL_MAX];
    if (cmdindex_cell(&e, cell, sizeof(cell)) < 0 || strlen(name) > SYM_MAX - 10) {
        kprintf("keel: %s: bad entry in the command index\n", name);
        return 0;
    }
    int size = argv_pack(argc, (const char *const *)argv, block, sizeof(block));
    if (size < 0) {
        kprintf("keel: %s: arguments too long (at most %d bytes packed)\n", name, ARGV_MAX_SIZE);
        return 0;
    }
    if (ensure_loaded(name, &e, cell))
        return 0;
    task_id_t id;
    if (spawn(name, cell, block, (size_t)size, &id))
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
