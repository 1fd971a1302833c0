/* Stopping the world: every CPU but this one parked in an interrupt handler with interrupts off,
 * and the scheduler lock held here, so that no task anywhere runs until world_resume. Live swap
 * uses it for its quiescence check and commit. docs/smp.md tells how it works. */
#ifndef KEEL_CORE_WORLD_H
#define KEEL_CORE_WORLD_H
#include <stdint.h>

/* Stop the world within timeout_ns (from the call): 0 with *irq_state for world_resume, or
 * KE_TIMEDOUT when some CPU did not stop in time (it had interrupts off all along, e.g. a long
 * cpu_call): then *late_cpu names the first such CPU and the world runs on as before. Call
 * with interrupts on, from a task; one stopper at a time (others wait their turn). */
int world_stop(uint64_t timeout_ns, int *irq_state, unsigned *late_cpu);
void world_resume(int irq_state);

/* The default bound on how long the other CPUs may take to stop. */
#define WORLD_STOP_TIMEOUT_NS (50ull * 1000 * 1000)

#endif
