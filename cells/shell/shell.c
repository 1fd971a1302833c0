/* The shell cell: its init starts a service task that waits for the end of the boot, prints a
 * banner and runs the read-edit-dispatch loop on the console. A shell task that is killed
 * (`kill <its id>`) starts its successor before it ends, so the console never goes dead. */
#include <keel/cell.h>
#include <keel/cells.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/string.h>
#include <keel/task.h>
#include "ramfs/ramfs.h"
#include "shell.h"

/* The shell task's state, declared as the cell's state block: a live swap of the shell carries
 * it (history, typed-ahead bytes, the command being waited for) to the new version, whose
 * re-spawned task picks up from it. Only the shell task touches it; a static keeps the (large)
 * history off its stack. */
static struct shell_state {
    struct lineedit le;
    struct shell_input in;
    int started;     /* the banner was printed: a re-spawned shell goes on where it was */
    uint64_t killed; /* the task id of a killed shell whose successor has not yet said so */
} sh;

static int shell_start(void);

void shell_write(void *ctx, const char *s, size_t n)
{
    console_write(s, n);
}

void shell_input_push(struct shell_input *in, char c)
{
    if (in->len == sizeof(in->buf) && in->pos) {
        memmove(in->buf, in->buf + in->pos, in->len - in->pos);
        in->len -= in->pos;
        in->pos = 0;
    }
    if (in->len < sizeof(in->buf))
        in->buf[in->len++] = c;
}

int shell_input_take_interrupt(struct shell_input *in)
{
    size_t kept = in->pos;
    int found = 0;
    for (size_t i = in->pos; i < in->len; i++) {
        if (in->buf[i] == 0x03)
            found = 1;
        else
            in->buf[kept++] = in->buf[i];
    }
    in->len = kept;
    return found;
}

int shell_command_index(const char **data, size_t *size)
{
    const void *d;
    int r = ramfs_find("commands.index", &d, size);
    if (r == 0)
        *data = d;
    return r;
}

/* The next typed byte: queued ones first, else wait for the console. KE_KILLED ends the shell. */
static int next_byte(char *c)
{
    struct shell_input *in = &sh.in;
    while (in->pos == in->len) {
        int n = console_read(in->buf, sizeof(in->buf), 0);
        if (n == KE_KILLED)
            return n;
        if (n > 0) {
            in->pos = 0;
            in->len = (size_t)n;
        }
    }
    *c = in->buf[in->pos++];
    return 0;
}

/* This shell task was killed: start the next one (it goes on waiting for the command this one
 * waited for, sh.in.running) and end. Returns the entry's status. */
static int shell_killed(void)
{
    sh.killed = task_self();
    if (shell_start() == 0)
        return 0;
    /* No successor: nobody will wait for the command any more, so it goes too. */
    sh.killed = 0;
    if (sh.in.running) {
        task_kill(sh.in.running);
        task_detach(sh.in.running);
        sh.in.running = 0;
    }
    return 0;
}

static int shell_main(const void *arg, void *ret)
{
    boot_wait_ready();
    if (!sh.started) {
        kprintf("Keel shell \xe2\x80\x94 type help for commands\n");
        lineedit_init(&sh.le, shell_write, NULL);
        sh.started = 1;
    } else if (sh.killed) {
        kprintf("keel: the shell (task %llu) was killed; a new shell runs as task %llu\n",
                (unsigned long long)sh.killed, (unsigned long long)task_self());
        sh.killed = 0;
        if (shell_resume_command(&sh.in) == KE_KILLED)
            return shell_killed();
    } else {
        /* Re-spawned by a live swap: the history and typed-ahead input came along. */
        if (shell_resume_command(&sh.in) == KE_KILLED)
            return shell_killed();
        kprintf("keel: shell version %d running (history kept: %zu lines)\n", KEEL_CELL_VERSION,
                lineedit_history_count(&sh.le));
    }
    lineedit_begin(&sh.le, SHELL_PROMPT);
    for (;;) {
        char c;
        if (next_byte(&c))
            return shell_killed();
        switch (lineedit_feed(&sh.le, c)) {
        case LINEEDIT_TAB:
            shell_complete(&sh.le);
            break;
        case LINEEDIT_LINE:
            if (shell_run_line(lineedit_text(&sh.le), &sh.in) == KE_KILLED)
                return shell_killed();
            lineedit_begin(&sh.le, SHELL_PROMPT);
            break;
        default:
            break;
        }
    }
}

static int shell_start(void)
{
    /* One above the default, so Ctrl-C gets through even while a command keeps the CPU busy. */
    struct task_spec spec = {
        .name = "shell",
        .entry = shell_main,
        .priority = TASK_PRIO_DEFAULT + 1,
        .flags = TASK_DETACHED | TASK_SERVICE,
        .stack_pages = 8,
    };
    int r = task_spawn(&spec, NULL);
    if (r)
        kprintf("shell: cannot start the shell task: %s\n", keel_strerror(r));
    return r;
}

static int shell_init(void)
{
    return shell_start();
}

KEEL_CELL(.name = "shell", .version = KEEL_CELL_VERSION, .init = shell_init, .state = &sh,
          .state_size = sizeof(sh), .state_version = 1);
