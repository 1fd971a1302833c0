/* The cost of stopping the world, for `cpus --stop N` (docs/benchmarking.md): world_stop +
 * world_resume round trips timed with the TSC. A round starts before world_stop sends the stop
 * IPIs and ends when world_resume has released every other CPU: the floor of a live swap's
 * stop-the-world window, which adds its own work in between. */
#include <keel/clock.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/core/world.h>
#include <keel/core/x86.h>

/* A stop that times out (a CPU kept interrupts off, or its host thread was not scheduled for
 * 50 ms) is retried, as a swap retries it; this many in a row end the benchmark. */
#define WORLD_BENCH_TRIES 10

/* Between two rounds, as a swap's link step separates its stops: the other CPUs are back in
 * their tasks (or halted) when the next stop comes, not still spinning in the last one. */
#define WORLD_BENCH_GAP_NS (100ull * 1000)

int world_stop_bench(unsigned rounds, uint64_t *ns, unsigned *timeouts)
{
    if (!rounds || !ns || !timeouts)
        return KE_INVAL;
    *timeouts = 0;
    for (unsigned r = 0; r < rounds; r++) {
        int irq = 0, err = KE_TIMEDOUT;
        uint64_t t0 = 0;
        for (unsigned tries = 0; err == KE_TIMEDOUT && tries < WORLD_BENCH_TRIES; tries++) {
            unsigned late = 0;
            t0 = clock_tsc(); /* the round is the stop that succeeds, as in a swap's window */
            err = world_stop(WORLD_STOP_TIMEOUT_NS, &irq, &late);
            *timeouts += err == KE_TIMEDOUT;
        }
        if (err)
            return err;
        world_resume(irq);
        uint64_t t1 = clock_tsc();
        ns[r] = clock_tsc_to_ns(t1 - t0);
        for (uint64_t end = clock_ns() + WORLD_BENCH_GAP_NS; clock_ns() < end;)
            cpu_relax();
    }
    return 0;
}
KEEL_EXPORT_FUNC(world_stop_bench);
