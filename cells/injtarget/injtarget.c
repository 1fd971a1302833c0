/* injtarget: a cell for the fault injector's tests (tests/qemu/inject_tests.py). `run injtarget`
 * calls injtarget_live once, which reads injtarget_limit and takes one conditional jump whose
 * inversion is harmless (it only prints a line more or less); injtarget_dead is never called
 * (a fault there is never activated); injtarget_flat has no conditional jump. */
#include <keel/cell.h>
#include <keel/console.h>

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

int injtarget_main(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    kprintf("injtarget: live %d\n", injtarget_live(injtarget_limit));
    return 0;
}

KEEL_CELL(.name = "injtarget", .version = KEEL_CELL_VERSION);
