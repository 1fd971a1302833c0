/* cling: three tasks that keep pointers into the demo cells salute and counter while they are
 * swapped again and again (the retired-versions soak, docs/live-swap.md): each takes a pointer
 * into the running version, keeps using it for a while — calling the version it points into,
 * retired or not — then takes a fresh one.
 *
 *   run cling start   start the three tasks
 *   run cling stop    stop them and wait until they have ended; prints how many calls they made
 *
 * Task 1 keeps &salute_text in a stack slot, task 2 &counter_value in a register, task 3
 * &salute_text in a heap block. (counter_value only reads: the workload's checksum counts on being
 * the only caller of counter_next.) */
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/task.h>
#include "demo/counter/counter.h"
#include "demo/salute/salute.h"

#define TASKS 3
#define KEEP  50 /* calls through one pointer before a fresh one is taken */

typedef void (*salute_fn)(char *, unsigned long, const char *);

static struct {
    volatile int stop;
    task_id_t task[TASKS];
    volatile uint64_t calls[TASKS];
    volatile uint64_t mismatches; /* a stale pointer answered with another version's words */
} c;

/* A call through a kept pointer must answer as the version it was taken from did: if that
 * version had been freed and its addresses reused by a newer one, the words would change. */
static void call_and_check(salute_fn fn, char *expect, char *buf, size_t n)
{
    fn(buf, n, "cling");
    if (!expect[0])
        memcpy(expect, buf, n);
    else if (strcmp(expect, buf) != 0)
        c.mismatches++;
}

static void nap(void)
{
    task_sleep_ns(200 * 1000);
}

static int stack_main(const void *arg, void *ret)
{
    char buf[48], expect[48];
    while (!c.stop) {
        salute_fn volatile slot = salute_text;
        expect[0] = 0;
        for (int i = 0; i < KEEP && !c.stop; i++, c.calls[0]++) {
            call_and_check(slot, expect, buf, sizeof(buf));
            nap();
        }
    }
    return 0;
}

static int reg_main(const void *arg, void *ret)
{
    while (!c.stop) {
        uint64_t (*fn)(void) = counter_value;
        for (int i = 0; i < KEEP && !c.stop; i++, c.calls[1]++) {
            __asm__ volatile("" : "+r"(fn)); /* the compiler cannot see where it points */
            fn();
            task_yield();
        }
    }
    return 0;
}

static int heap_main(const void *arg, void *ret)
{
    salute_fn *block = kmalloc(sizeof(*block));
    if (!block)
        return 1;
    char buf[48], expect[48];
    while (!c.stop) {
        *block = salute_text;
        expect[0] = 0;
        for (int i = 0; i < KEEP && !c.stop; i++, c.calls[2]++) {
            call_and_check(*block, expect, buf, sizeof(buf));
            nap();
        }
    }
    kfree(block);
    return 0;
}

static task_entry_fn const entries[TASKS] = {stack_main, reg_main, heap_main};

static int start(void)
{
    if (c.task[0]) {
        kprintf("cling: already running\n");
        return 1;
    }
    c.stop = 0;
    c.mismatches = 0;
    for (int k = 0; k < TASKS; k++) {
        c.calls[k] = 0;
        struct task_spec spec = {.name = "cling", .entry = entries[k]};
        int r = task_spawn(&spec, &c.task[k]);
        if (r) {
            kprintf("cling: cannot start task %d: %s\n", k + 1, keel_strerror(r));
            c.stop = 1;
            return 1; /* the ones started end at their next check; stop joins them */
        }
    }
    kprintf("cling: tasks %llu %llu %llu\n", (unsigned long long)c.task[0],
            (unsigned long long)c.task[1], (unsigned long long)c.task[2]);
    return 0;
}

static int stop(void)
{
    c.stop = 1;
    int bad = 0;
    for (int k = 0; k < TASKS; k++) {
        if (!c.task[k])
            continue;
        struct task_result res;
        if (task_join(c.task[k], &res) == 0) {
            bad |= res.how != TASK_RETURNED || res.status != 0;
            kfree(res.ret);
        } else {
            bad = 1;
        }
        c.task[k] = 0;
    }
    kprintf("cling: stopped after %llu + %llu + %llu calls, %llu answered by another version%s\n",
            (unsigned long long)c.calls[0], (unsigned long long)c.calls[1],
            (unsigned long long)c.calls[2], (unsigned long long)c.mismatches,
            bad ? " (a task did not end cleanly)" : "");
    return bad || c.mismatches;
}

int cling_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc == 2 && strcmp(argv[1], "start") == 0)
        return start();
    if (argc == 2 && strcmp(argv[1], "stop") == 0)
        return stop();
    kprintf("usage: run cling start|stop\n");
    return 2;
}

KEEL_CELL(.name = "cling", .version = KEEL_CELL_VERSION);
