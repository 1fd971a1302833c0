/* injtarget: a cell for the fault injector's tests (tests/qemu/inject_tests.py). `run injtarget`
 * calls injtarget_live once, which reads injtarget_limit and takes one conditional jump whose
 * inversion is harmless (it only prints a line more or less); injtarget_dead is never called
 * (a fault there is never activated); injtarget_flat has no conditional jump. `run injtarget
 * hold` keeps a 64-byte heap block and a 64-byte stack array filled with 0x5a, prints where, and
 * sleeps until killed (Ctrl-C); then it says which bytes changed (a heap or stack fault). */
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/task.h>

volatile int injtarget_limit = 3;

__attribute__((noinline)) int injtarget_live(int n)
{
    if (n > 1000)
        kprintf("injtarget: big\n");
    return n * 2;
}

__attribute__((noinline)) int injtarget_dead(int n)
{
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += i & 1 ? i : -i;
    return sum;
}

__attribute__((noinline)) long injtarget_flat(long a, long b)
{
    return a * 7 + b;
}

static void report(const char *what, const volatile uint8_t *b)
{
    for (unsigned i = 0; i < 64; i++)
        if (b[i] != 0x5a)
            kprintf("injtarget: %s +%u changed: %02x\n", what, i, b[i]);
}

static int hold(void)
{
    volatile uint8_t *block = kmalloc(64);
    volatile uint8_t stack[64];
    if (!block) {
        kprintf("injtarget: no memory\n");
        return 1;
    }
    for (unsigned i = 0; i < 64; i++)
        block[i] = stack[i] = 0x5a;
    kprintf("injtarget: hold heap 0x%016llx stack 0x%016llx\n",
            (unsigned long long)(uintptr_t)block, (unsigned long long)(uintptr_t)stack);
    while (task_sleep_ns(3600000000000ull) == 0) /* an hour: until killed */
        ;
    report("heap", block);
    report("stack", stack);
    kprintf("injtarget: hold done\n");
    kfree((void *)block);
    return 0;
}

int injtarget_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[3];
    int argc = argv_from_arg(arg, argv, 3);
    if (argc == 2 && strcmp(argv[1], "hold") == 0)
        return hold();
    kprintf("injtarget: live %d\n", injtarget_live(injtarget_limit));
    return 0;
}

KEEL_CELL(.name = "injtarget", .version = KEEL_CELL_VERSION);
