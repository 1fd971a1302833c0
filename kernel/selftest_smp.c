/* Boot-time self-tests of the other CPUs (selftest=cpucall, selftest=apfault; selftest.c runs
 * them): cpu_call on every CPU and its refusals, and a fault in the nano-core on CPU 1, whose
 * panic report must name CPU 1 and stop the others. */
#include <keel/atomic.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/memory.h>
#include <keel/paging.h>
#include <keel/core/cpu_local.h>
#include <keel/core/x86.h>
#include <keel/core/world.h>
#include <keel/task.h>
#include "selftest.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            kprintf("selftest: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            failed++;                                                                              \
        }                                                                                          \
    } while (0)

static unsigned ran_on[CPU_MAX];
static atomic_u32 release_spinner;

static void record_cpu(void *arg)
{
    unsigned *slot = arg;
    *slot = cpu_self() + 1;
}

static atomic_u32 spinning;

static void spin_until_released(void *arg)
{
    (void)arg;
    atomic_store_u32(&spinning, 1, MO_RELEASE);
    while (!atomic_load_u32(&release_spinner, MO_ACQUIRE))
        __asm__ volatile("pause");
}

unsigned selftest_cpu_call(void)
{
    unsigned failed = 0, n = cpu_count();
    kprintf("selftest: %u CPUs online\n", n);
    CHECK(task_set_cpus(1u << 0) == 0); /* stay on CPU 0: the others are called */
    CHECK(cpu_self() == 0);
    CHECK(task_set_cpus(1u << n) == (n < 32 ? KE_RANGE : 0));
    for (unsigned i = 1; i < n; i++) {
        struct cpu_info before, after;
        CHECK(cpu_info(i, &before) == 0 && before.online);
        CHECK(cpu_call(i, record_cpu, &ran_on[i]) == 0);
        CHECK(cpu_call_wait(i, 1000000000ull) == 0);
        CHECK(ran_on[i] == i + 1); /* it ran there, and only there */
        CHECK(cpu_info(i, &after) == 0 && after.calls == before.calls + 1);
    }
    CHECK(cpu_call(cpu_self(), record_cpu, &ran_on[0]) == KE_INVAL);
    CHECK(cpu_call(n, record_cpu, &ran_on[0]) == KE_RANGE);
    CHECK(cpu_call(n > 1 ? 1 : 0, 0, 0) == KE_INVAL);
    CHECK(cpu_info(n, &(struct cpu_info){0}) == KE_RANGE);
    CHECK(cpu_call_done(n)); /* no such CPU: nothing pending */
    if (n > 1) {
        /* One call at a time per CPU: a second one is refused while the first runs. */
        atomic_store_u32(&release_spinner, 0, MO_RELAXED);
        CHECK(cpu_call(1, spin_until_released, 0) == 0);
        CHECK(cpu_call(1, record_cpu, &ran_on[1]) == KE_BUSY);
        CHECK(cpu_call_wait(1, 1000000ull) == KE_TIMEDOUT);
        atomic_store_u32(&release_spinner, 1, MO_RELEASE);
        CHECK(cpu_call_wait(1, 1000000000ull) == 0);
        CHECK(cpu_call_done(1));
    }
    CHECK(task_set_cpus(0) == 0);
    return failed;
}

static void read_null(void *arg)
{
    (void)arg;
    kprintf("selftest: CPU %u reads address 0x8\n", cpu_self());
    (void)*(volatile uint64_t *)(uintptr_t)8;
}

void selftest_ap_fault(void)
{
    if (cpu_count() < 2) {
        kprintf("selftest: needs 2 CPUs, %u online\n", cpu_count());
        return;
    }
    task_set_cpus(1u << 0);
    if (cpu_call(1, read_null, 0) == 0)
        cpu_call_wait(1, 5000000000ull);
}

/* Every other CPU parked while the world is stopped, and a CPU that keeps interrupts off makes
 * the stop fail in time, naming it; the next stop works again. */
unsigned selftest_world_stop(void)
{
    unsigned failed = 0, n = cpu_count(), late = 99;
    int irq;
    CHECK(task_set_cpus(1u << 0) == 0);
    for (unsigned round = 0; round < 100; round++) {
        CHECK(world_stop(WORLD_STOP_TIMEOUT_NS, &irq, &late) == 0);
        for (unsigned i = 0; i < n; i++) {
            struct cpu_local *c = cpu_local_of(i);
            CHECK(i == cpu_self() || (c && c->stopped_frame));
        }
        world_resume(irq);
    }
    if (n > 1) {
        atomic_store_u32(&release_spinner, 0, MO_RELAXED);
        atomic_store_u32(&spinning, 0, MO_RELAXED);
        CHECK(cpu_call(n - 1, spin_until_released, 0) == 0);
        /* Spinning with interrupts off before the stop is asked (the stop IPI has the higher
         * priority: sent together, it would be taken first). */
        while (!atomic_load_u32(&spinning, MO_ACQUIRE))
            __asm__ volatile("pause");
        uint64_t t0 = clock_ns();
        int r = world_stop(5 * 1000 * 1000, &irq, &late);
        CHECK(r == KE_TIMEDOUT);
        if (r == 0)
            world_resume(irq);
        uint64_t waited = clock_ns() - t0;
        CHECK(waited >= 5 * 1000 * 1000);
        /* It names a CPU that did not stop: the spinner, or (more vCPUs than host cores) one
         * whose host thread was not scheduled within the 5 ms either. */
        CHECK(late < n && late != cpu_self());
        atomic_store_u32(&release_spinner, 1, MO_RELEASE);
        CHECK(cpu_call_wait(n - 1, 1000000000ull) == 0);
        CHECK(world_stop(WORLD_STOP_TIMEOUT_NS, &irq, &late) == 0);
        world_resume(irq);
    }
    CHECK(task_set_cpus(0) == 0);
    kprintf("selftest: 100 stops of %u CPUs, a busy CPU refused in time\n", n);
    return failed;
}

/* A page mapped again on a CPU that still holds the old translation: CPU 1 reads a page (its TLB
 * keeps the translation), CPU 0 unmaps it with interrupts off (no shootdown wait, as the
 * scheduler frees a dead task's stack) and hands CPU 1 a new frame, which CPU 1 maps at the same
 * address and reads — with interrupts off all along, so nothing else flushes its TLB. It must
 * read the new frame (how a CPU writing a new task's first frame on a reused stack range once
 * wrote into the old one). */
#define TLB_OLD 0x01d01d01d01d01d0ull
#define TLB_NEW 0x0e90e90e90e90e90ull

static struct {
    uint64_t va, new_pa;
    atomic_u32 phase; /* 1: CPU 1 read the old page; 2: va unmapped, new_pa ready; 3: done */
    uint64_t seen_before, seen_after;
    int map_err;
} tlb;

static void tlb_reader(void *arg)
{
    (void)arg;
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)tlb.va;
    tlb.seen_before = *p;
    atomic_store_u32(&tlb.phase, 1, MO_RELEASE);
    uint64_t start = clock_tsc(), limit = clock_tsc_hz(); /* 1 s: CPU 0 may be slow */
    while (atomic_load_u32(&tlb.phase, MO_ACQUIRE) != 2 && clock_tsc() - start < limit)
        __asm__ volatile("pause");
    if (atomic_load_u32(&tlb.phase, MO_ACQUIRE) != 2)
        return;
    tlb.map_err = paging_map(tlb.va, tlb.new_pa, MAP_W);
    if (!tlb.map_err)
        tlb.seen_after = *p;
    atomic_store_u32(&tlb.phase, 3, MO_RELEASE);
}

unsigned selftest_tlb_remap(void)
{
    unsigned failed = 0;
    if (cpu_count() < 2) {
        kprintf("selftest: needs 2 CPUs, %u online\n", cpu_count());
        return 1;
    }
    CHECK(task_set_cpus(1u << 0) == 0);
    struct kstack s;
    uint64_t new_pa, old_pa = 0;
    if (kstack_alloc(1, &s) != 0 || frame_alloc(1, 1, &new_pa) != 0) {
        kprintf("selftest: out of memory\n");
        return 1;
    }
    tlb.va = s.base;
    tlb.new_pa = new_pa;
    atomic_store_u32(&tlb.phase, 0, MO_RELAXED);
    *(volatile uint64_t *)(uintptr_t)s.base = TLB_OLD;
    *(volatile uint64_t *)phys_to_virt(new_pa) = TLB_NEW;
    CHECK(cpu_call(1, tlb_reader, 0) == 0);
    uint64_t start = clock_tsc(), limit = clock_tsc_hz();
    while (atomic_load_u32(&tlb.phase, MO_ACQUIRE) != 1 && clock_tsc() - start < limit)
        __asm__ volatile("pause");
    if (atomic_load_u32(&tlb.phase, MO_ACQUIRE) != 1) {
        kprintf("selftest: CPU 1 did not take the call\n");
        return 1; /* the page stays mapped: the call may still run */
    }
    uint64_t fl = read_rflags();
    cli();
    CHECK(paging_unmap(s.base, &old_pa) == 0);
    atomic_store_u32(&tlb.phase, 2, MO_RELEASE);
    if (fl & (1u << 9))
        sti();
    CHECK(cpu_call_wait(1, 2000000000ull) == 0);
    CHECK(atomic_load_u32(&tlb.phase, MO_ACQUIRE) == 3);
    CHECK(tlb.map_err == 0);
    CHECK(tlb.seen_before == TLB_OLD);
    CHECK(tlb.seen_after == TLB_NEW);
    kprintf("selftest: CPU 1 read %#llx before and %#llx after the page was mapped again\n",
            (unsigned long long)tlb.seen_before, (unsigned long long)tlb.seen_after);
    if (tlb.map_err)
        frame_free(new_pa, 1);
    kstack_free(&s); /* unmaps new_pa (when CPU 1 mapped it) and frees it */
    if (old_pa)
        frame_free(old_pa, 1);
    CHECK(task_set_cpus(0) == 0);
    return failed;
}
