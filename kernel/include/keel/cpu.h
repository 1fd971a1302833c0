/* The CPUs Keel runs on: how many, which one this is, and running a short function on another
 * one. CPU 0 is the boot CPU; the others (application processors) are numbered in the order the
 * ACPI MADT lists them. docs/smp.md tells the whole story. */
#ifndef KEEL_CPU_H
#define KEEL_CPU_H
#include <stdbool.h>
#include <stdint.h>

#define CPU_MAX 16

/* CPUs online (1 until the others are started, and on a machine or `cpus=` with one). */
unsigned cpu_count(void);
/* This CPU's index, 0..cpu_count()-1. A task may move between CPUs: for a value that must stay
 * true, read it with interrupts off. */
unsigned cpu_self(void);
/* The local APIC id of CPU `cpu` (UINT32_MAX for no such CPU). */
uint32_t cpu_apic_id(unsigned cpu);

/* What the `cpus` command shows of one CPU. */
struct cpu_info {
    uint32_t apic_id;
    bool online;
    uint64_t ticks; /* its own timer's ticks since it started */
    uint64_t calls; /* cpu_call functions it has run */
};
/* 0 and *out filled, or KE_RANGE for no such CPU. */
int cpu_info(unsigned cpu, struct cpu_info *out);

/* Run fn(arg) on another CPU, in its interrupt context (interrupts off, outside any task), as
 * soon as it takes the call's IPI. One call at a time per target CPU. Returns 0 once the call is
 * posted; KE_RANGE for no such CPU, KE_INVAL for this CPU or a NULL fn, KE_BUSY while an earlier
 * call to that CPU has not finished. For short work and tests (self-tests, rendezvous):
 * the target CPU does nothing else while fn runs. */
int cpu_call(unsigned cpu, void (*fn)(void *), void *arg);
/* Whether the last call posted to `cpu` has returned (true also when none was posted). */
bool cpu_call_done(unsigned cpu);
/* Wait for it, at most timeout_ns: 0 when it returned, KE_TIMEDOUT when not yet. */
int cpu_call_wait(unsigned cpu, uint64_t timeout_ns);

/* A benchmark (`cpus --stop N`): stop the world and resume it `rounds` times, 100 us apart;
 * ns[i] is the i-th round trip, world_stop's call to world_resume's return (TSC). A stop that
 * times out (some CPU not stopped within 50 ms) is retried and counted in *timeouts; the round
 * is the stop that succeeded. Call from a task with interrupts on. 0, KE_INVAL (no rounds, ns
 * or timeouts), or KE_TIMEDOUT after 10 timeouts in a row. */
int world_stop_bench(unsigned rounds, uint64_t *ns, unsigned *timeouts);

#endif
