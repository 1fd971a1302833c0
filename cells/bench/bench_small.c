/* bench_small: the loader benchmark's "hello-world module": an init, an exit and one export. */
#include <keel/cell.h>
#include <keel/console.h>

static unsigned calls;

void bench_small_hello(void)
{
    calls++;
    kprintf("bench_small: hello (%u)\n", calls);
}

static int bench_small_init(void)
{
    return 0;
}

static void bench_small_exit(void) {}

KEEL_CELL(.name = "bench_small", .version = KEEL_CELL_VERSION, .init = bench_small_init,
          .exit = bench_small_exit);
