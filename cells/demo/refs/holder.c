/* holder: keeps pointers into cell lit (lit.c) of every kind that lives outside lit, so a test
 * can swap lit while they are live and then use them (docs/live-swap.md, "Retire, then free"):
 *
 *   run holder hold KIND   take a reference; returns once it is live
 *   run holder use KIND    use it (task kinds: the task reads through it and ends)
 *   run holder drop KIND   drop it without using it
 *
 * KIND: reg    a task spinning in holder's code with the pointer only in a register: preempted
 *              by the timer, it is in the task's interrupt frame;
 *       core   a core routine (task_for_each, reached by a tail call from lit) holds the
 *              pointer while it calls back into holder, which sleeps;
 *       spin   the same, but holder's callback spins: preempted by the timer, the pointer the
 *              core routine keeps in a callee-saved register is in the interrupt frame;
 *       stack  a task's stack slot, across sleeps;
 *       heap   a heap block the task allocated;
 *       var    one of holder's variables (set at run time: not a relocation site);
 *       func   a function pointer into lit's code in one of holder's variables: calling it after
 *              the swap runs the old version's code;
 *       linked a function pointer to caller_call (cell caller, looked up at run time: holder is
 *              not linked against caller), whose code calls lit: a retired caller that stays
 *              keeps the lit it was linked against. */
#include <keel/argv.h>
#include <keel/cells.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/task.h>
#include "demo/refs/lit.h"

enum kind { REG, CORE, SPIN, STACK, HEAP, VAR, FUNC, LINKED, NKINDS };
static const char *const kind_names[NKINDS] = {"reg",  "core", "spin", "stack",
                                               "heap", "var",  "func", "linked"};

#define SEEN_MAX 48

static struct {
    volatile int release[NKINDS], ready[NKINDS];
    task_id_t task[NKINDS];
    char seen[NKINDS][SEEN_MAX]; /* what a task read through its pointer after the release */
} h;
static const char *volatile held_var;
static int (*volatile held_fn)(void);
static int (*volatile held_linked)(void);

static void copy_text(char *dst, const char *src)
{
    size_t n = strnlen(src, SEEN_MAX - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void nap(void)
{
    task_sleep_ns(1000 * 1000);
}

static int reg_main(const void *arg, void *ret)
{
    const char *p = lit_string();
    h.ready[REG] = 1;
    /* No call in the loop: p stays in a register, and the timer preempts the task here. */
    while (!h.release[REG])
        __asm__ volatile("pause" ::"r"(p) : "memory");
    copy_text(h.seen[REG], p);
    return 0;
}

static int core_cb(void *ctx, const struct task_info *ti)
{
    (void)ti;
    if (!h.ready[CORE]) {
        /* First call: leave ctx alone, so only the core routine holds it while we sleep. */
        h.ready[CORE] = 1;
        while (!h.release[CORE])
            nap();
        return 0; /* go on: the next call hands us ctx again */
    }
    copy_text(h.seen[CORE], ctx);
    return 1;
}

static int core_main(const void *arg, void *ret)
{
    lit_walk(core_cb);
    return 0;
}

static int spin_cb(void *ctx, const struct task_info *ti)
{
    (void)ti;
    if (!h.ready[SPIN]) {
        h.ready[SPIN] = 1;
        while (!h.release[SPIN]) /* no call: the callee-saved registers stay as they are */
            __asm__ volatile("pause" ::: "memory");
        return 0;
    }
    copy_text(h.seen[SPIN], ctx);
    return 1;
}

static int spin_main(const void *arg, void *ret)
{
    lit_walk(spin_cb);
    return 0;
}

static int stack_main(const void *arg, void *ret)
{
    const char *volatile slot = lit_string();
    h.ready[STACK] = 1;
    while (!h.release[STACK])
        nap();
    copy_text(h.seen[STACK], slot);
    return 0;
}

/* Not inlined: the pointer goes straight into the block and no register of heap_main holds it. */
static __attribute__((noinline)) void put(const char **block)
{
    block[0] = lit_string();
}

static int heap_main(const void *arg, void *ret)
{
    const char **block = kmalloc(4 * sizeof(*block));
    if (!block) {
        copy_text(h.seen[HEAP], "(no memory)");
        h.ready[HEAP] = 1;
        return 1;
    }
    put(block);
    h.ready[HEAP] = 1;
    while (!h.release[HEAP])
        nap();
    copy_text(h.seen[HEAP], block[0]);
    kfree(block);
    return 0;
}

static task_entry_fn const entries[NKINDS] = {reg_main, core_main, spin_main, stack_main,
                                              heap_main};

static int kind_of(const char *name)
{
    for (int k = 0; k < NKINDS; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

static int hold(int k)
{
    if (k == VAR) {
        held_var = lit_string();
        kprintf("holder: holding var -> '%s'\n", held_var);
        return 0;
    }
    if (k == FUNC) {
        held_fn = lit_value;
        kprintf("holder: holding func -> lit_value() = %d\n", held_fn());
        return 0;
    }
    if (k == LINKED) {
        struct loader_symbol_info si;
        cells_lock();
        int r = loader_symbol_lookup(cells_loader(), "caller_call", NULL, &si);
        cells_unlock();
        if (r || si.kind != LOADER_SYM_FUNC) {
            kprintf("holder: cell caller is not loaded\n");
            return 1;
        }
        held_linked = (int (*)(void))(uintptr_t)si.addr;
        kprintf("holder: holding linked -> caller_call() = %d\n", held_linked());
        return 0;
    }
    if (h.task[k]) {
        kprintf("holder: already holding %s (task %llu)\n", kind_names[k],
                (unsigned long long)h.task[k]);
        return 1;
    }
    h.release[k] = h.ready[k] = 0;
    h.seen[k][0] = 0;
    struct task_spec spec = {.name = "holder", .entry = entries[k]};
    int r = task_spawn(&spec, &h.task[k]);
    if (r) {
        kprintf("holder: cannot start a task: %s\n", keel_strerror(r));
        h.task[k] = 0;
        return 1;
    }
    for (int i = 0; i < 5000 && !h.ready[k]; i++) /* the reference is live when we return */
        nap();
    kprintf("holder: holding %s in task %llu%s\n", kind_names[k], (unsigned long long)h.task[k],
            h.ready[k] ? "" : " (not ready yet)");
    return h.ready[k] ? 0 : 1;
}

/* Release task kind k, wait for it to end; it has read through its pointer. */
static int finish(int k)
{
    if (!h.task[k]) {
        kprintf("holder: not holding %s\n", kind_names[k]);
        return 1;
    }
    h.release[k] = 1;
    struct task_result res;
    int r = task_join(h.task[k], &res);
    h.task[k] = 0;
    if (r) {
        kprintf("holder: cannot join the %s task: %s\n", kind_names[k], keel_strerror(r));
        return 1;
    }
    kfree(res.ret);
    if (res.how != TASK_RETURNED) {
        kprintf("holder: the %s task did not return (how %d)\n", kind_names[k], (int)res.how);
        return 1;
    }
    return 0;
}

static int use(int k)
{
    if (k == VAR) {
        if (!held_var)
            return kprintf("holder: not holding var\n"), 1;
        kprintf("holder: var reads '%s'\n", held_var);
        return 0;
    }
    if (k == FUNC) {
        if (!held_fn)
            return kprintf("holder: not holding func\n"), 1;
        kprintf("holder: func returns %d\n", held_fn());
        return 0;
    }
    if (k == LINKED) {
        if (!held_linked)
            return kprintf("holder: not holding linked\n"), 1;
        kprintf("holder: linked returns %d\n", held_linked());
        return 0;
    }
    if (finish(k))
        return 1;
    kprintf("holder: %s read '%s'\n", kind_names[k], h.seen[k]);
    return 0;
}

static int drop(int k)
{
    if (k == VAR)
        held_var = NULL;
    else if (k == FUNC)
        held_fn = NULL;
    else if (k == LINKED)
        held_linked = NULL;
    else if (finish(k))
        return 1;
    kprintf("holder: dropped %s\n", kind_names[k]);
    return 0;
}

int holder_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    int k = argc == 3 ? kind_of(argv[2]) : -1;
    if (k < 0 || (strcmp(argv[1], "hold") && strcmp(argv[1], "use") && strcmp(argv[1], "drop"))) {
        kprintf("usage: run holder hold|use|drop reg|core|spin|stack|heap|var|func|linked\n");
        return 2;
    }
    if (strcmp(argv[1], "hold") == 0)
        return hold(k);
    return strcmp(argv[1], "use") == 0 ? use(k) : drop(k);
}

KEEL_CELL(.name = "holder", .version = KEEL_CELL_VERSION);
