/* Self-tests: fault provokers (each ends in a panic report, by design) and in-guest checks of the
 * heap and the address-space calls (each prints "selftest <name>: ok" or the failed checks). */
#include <stdint.h>
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/kmalloc.h>
#include <keel/memory.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/task.h>
#include <keel/core/x86.h>
#include "selftest.h"

/* volatile: the compiler must not reason about these addresses. */
static volatile uintptr_t bad_address = 0x18;
static volatile uint8_t not_code[16] = {0xc3};
static volatile int zero;
static unsigned failures;

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            kprintf("selftest: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                                          \
    } while (0)

__attribute__((noinline)) void selftest_page_fault(void)
{
    kprintf("selftest: reading address 0x%lx\n", (unsigned long)bad_address);
    (void)*(volatile uint64_t *)bad_address;
}

__attribute__((noinline)) void selftest_write_text(void)
{
    volatile uint8_t *text = (volatile uint8_t *)(uintptr_t)&selftest_page_fault;
    kprintf("selftest: writing to kernel text at %p\n", (void *)text);
    *text = 0xcc;
}

__attribute__((noinline)) void selftest_exec_data(void)
{
    void (*fn)(void) = (void (*)(void))(uintptr_t)not_code;
    kprintf("selftest: calling data at %p\n", (void *)not_code);
    fn();
}

__attribute__((noinline)) static int selftest_recurse(int depth)
{
    volatile char frame[256];
    frame[0] = (char)depth;
    if (depth > 100000000)
        return 0;
    return selftest_recurse(depth + 1) + frame[0];
}

__attribute__((noinline)) void selftest_stack_overflow(void)
{
    kprintf("selftest: recursing until the stack guard page\n");
    selftest_recurse(0);
}

__attribute__((noinline)) void selftest_divide_by_zero(void)
{
    kprintf("selftest: dividing by zero\n");
    /* In assembly: the compiler may rewrite a C division by a variable into compares. */
    uint32_t quotient, divisor = (uint32_t)zero;
    __asm__ volatile("xor %%edx, %%edx\n\tdivl %1"
                     : "=a"(quotient)
                     : "r"(divisor), "a"(1u)
                     : "rdx");
    (void)quotient;
}

__attribute__((noinline)) void selftest_invalid_opcode(void)
{
    kprintf("selftest: executing ud2\n");
    __builtin_trap();
}

/* Containment of faults in core code (tasking/fault.c): a task of the core's own reads a bad
 * address in core code. Holding nothing, only the task dies (corefault); holding a spinlock or
 * the cells mutex, or with interrupts off, the core's state may be half changed: a panic whose
 * report says why (corespin, coremutex, coreirq). */
enum core_fault_hold { HOLD_NOTHING, HOLD_SPINLOCK, HOLD_CELLS_MUTEX, HOLD_IRQS_OFF };
static volatile uintptr_t wild_address = 0x28;
static struct spinlock selftest_lock = SPINLOCK_INIT;

__attribute__((noinline)) int selftest_read_wild(void)
{
    return *(volatile int *)wild_address;
}

static int core_fault_task(const void *arg, void *ret)
{
    enum core_fault_hold hold = *(const enum core_fault_hold *)arg;
    kprintf("selftest: a task reads address 0x%lx in core code%s\n", (unsigned long)wild_address,
            hold == HOLD_SPINLOCK      ? " holding a spinlock"
            : hold == HOLD_CELLS_MUTEX ? " holding the cells mutex"
            : hold == HOLD_IRQS_OFF    ? " with interrupts off"
                                       : "");
    if (hold == HOLD_SPINLOCK)
        spin_lock(&selftest_lock);
    else if (hold == HOLD_CELLS_MUTEX)
        cells_lock();
    else if (hold == HOLD_IRQS_OFF)
        cli();
    return selftest_read_wild();
}

static void core_fault(enum core_fault_hold hold)
{
    struct task_spec spec = {
        .name = "selftest", .entry = core_fault_task, .arg = &hold, .arg_size = sizeof(hold)};
    task_id_t id;
    struct task_result r;
    EXPECT(task_spawn(&spec, &id) == 0);
    EXPECT(task_join(id, &r) == 0);
    EXPECT(r.how == TASK_FAULTED && r.fault.vector == 14 && r.fault.cr2 == 0x28);
    EXPECT(strncmp(r.fault.where, "selftest_read_wild+", 19) == 0);
    EXPECT(r.fault.caller[0] == 0); /* no cell on the way */
    struct task_fault_record rec;
    EXPECT(task_fault_log(&rec, 1) == 1 && rec.task == id && rec.fault.cr2 == 0x28);
}

static void selftest_core_fault(void)
{
    core_fault(HOLD_NOTHING);
}

static void selftest_core_spin(void)
{
    core_fault(HOLD_SPINLOCK);
}

static void selftest_core_mutex(void)
{
    core_fault(HOLD_CELLS_MUTEX);
}

static void selftest_core_irq(void)
{
    core_fault(HOLD_IRQS_OFF);
}

static void selftest_heap(void)
{
    size_t in_use0, pages0, owners0;
    struct memory_stats m0, m1;
    memory_stats(&m0);
    kheap_totals(&in_use0, &pages0, &owners0);

    /* Alignment and contents for every power of two up to a page. */
    void *blocks[13];
    for (unsigned i = 0; i <= 12; i++) {
        size_t align = (size_t)1 << i;
        blocks[i] = kmalloc_aligned(100 + i * 37, align);
        EXPECT(blocks[i] != NULL);
        if (blocks[i]) {
            EXPECT(((uintptr_t)blocks[i] & (align - 1)) == 0);
            memset(blocks[i], (int)i, 100 + i * 37);
        }
    }
    for (unsigned i = 0; i <= 12; i++) {
        const uint8_t *b = blocks[i];
        if (b)
            EXPECT(b[0] == i && b[99 + i * 37] == i);
        kfree(blocks[i]);
    }

    /* Quota: a greedy owner gets NULL, the core keeps allocating. */
    const owner_t greedy = 4242;
    EXPECT(kheap_set_quota(greedy, 8192) == 0);
    unsigned got = 0;
    while (kmalloc_owned(1024, 0, greedy) && got < 100)
        got++;
    EXPECT(got == 8); /* charges are requests rounded to 16 bytes */
    void *core = kmalloc(4096);
    EXPECT(core != NULL);
    kfree(core);
    struct heap_owner_stats st;
    EXPECT(kheap_owner_stats(greedy, &st) == 0 && st.quota_denials >= 1);
    EXPECT(kheap_free_owner(greedy) == got);
    EXPECT(kheap_set_quota(greedy, 0) == 0);

    /* Failure injection: the next allocation fails, then everything is normal again. */
    struct heap_failslab fs = {0};
    fs.fail_nth = 1;
    EXPECT(kheap_failslab_set(&fs) == 0);
    void *p = kmalloc(64);
    EXPECT(p == NULL);
    p = kmalloc(64);
    EXPECT(p != NULL);
    kfree(p);
    struct heap_failslab off = {0};
    EXPECT(kheap_failslab_set(&off) == 0);

    /* krealloc keeps contents. */
    char *s = kmalloc(16);
    EXPECT(s != NULL);
    if (s) {
        memcpy(s, "keel", 5);
        char *t = krealloc(s, 5000);
        EXPECT(t != NULL);
        if (t) {
            EXPECT(memcmp(t, "keel", 5) == 0);
            s = t;
        }
        kfree(s);
    }

    EXPECT(kheap_check() == 0);
    size_t in_use1, pages1, owners1;
    kheap_totals(&in_use1, &pages1, &owners1);
    EXPECT(in_use1 == in_use0);
    memory_stats(&m1);
    EXPECT(m1.free_bytes == m0.free_bytes);
}

static void selftest_vm(void)
{
    uint64_t va, pa;
    unsigned flags;
    EXPECT(cell_area_reserve(3 * PAGE_SIZE, PAGE_SIZE, &va) == 0);
    EXPECT(va >= CELL_AREA_BASE && va + 3 * PAGE_SIZE <= CELL_AREA_BASE + CELL_AREA_SIZE);
    EXPECT(frame_alloc(1, 1, &pa) == 0);
    EXPECT(paging_map(va, pa, MAP_W | MAP_X) == KE_PERM); /* W^X */
    EXPECT(paging_map(va, pa, MAP_W) == 0);
    EXPECT(paging_map(va, pa, MAP_W) == KE_EXIST);
    *(volatile uint64_t *)(uintptr_t)va = 0x6b65656c;
    EXPECT(*(volatile uint64_t *)phys_to_virt(pa) == 0x6b65656c);
    EXPECT(paging_protect(va, MAP_X) == 0);
    EXPECT(paging_translate(va, &pa, &flags) == 0 && flags == MAP_X);
    EXPECT(paging_range_mapped(va, 8, false) && !paging_range_mapped(va, 8, true));
    EXPECT(!paging_range_mapped(va + PAGE_SIZE, 8, false));
    EXPECT(paging_unmap(va, &pa) == 0);
    EXPECT(paging_unmap(va, NULL) == KE_NOENT);
    EXPECT(frame_free(pa, 1) == 0);
    EXPECT(frame_free(pa, 1) == KE_INVAL); /* double free refused */
    EXPECT(cell_area_release(va, 3 * PAGE_SIZE) == 0);
    EXPECT(!paging_range_mapped(0, 8, false)); /* the NULL page */

    struct kstack s;
    EXPECT(kstack_alloc(2, &s) == 0);
    EXPECT(kstack_is_guard(s.guard) && !kstack_is_guard(s.base));
    EXPECT(paging_range_mapped(s.base, s.top - s.base, true));
    kstack_free(&s);
}

static void selftest_clock(void)
{
    EXPECT(clock_tsc_hz() > 0);
    uint64_t t0 = clock_ns(), ticks0 = timer_ticks();
    clock_delay_ns(30 * 1000 * 1000); /* 3 ticks at the default 100 Hz */
    uint64_t t1 = clock_ns(), ticks1 = timer_ticks();
    EXPECT(t1 - t0 >= 30 * 1000 * 1000);
    /* Only "the timer ticks": under TCG the host may stall the guest for a while. */
    EXPECT(ticks1 > ticks0);
    uint64_t prev = clock_ns();
    for (int i = 0; i < 1000; i++) {
        uint64_t now = clock_ns();
        EXPECT(now >= prev);
        prev = now;
    }
    /* One second of TSC ticks is one second, to 1 ppm (the multiplier rounds down). */
    uint64_t one_second = clock_tsc_to_ns(clock_tsc_hz());
    EXPECT(one_second <= 1000000000ull && one_second >= 1000000000ull - 1000);
}

static void selftest_exports(void)
{
    unsigned n;
    const struct kexport *table = kexport_table(&n), *e;
    EXPECT(n >= 20);
    /* Every entry is found by name, and only exported names are found. */
    for (unsigned i = 0; i < n; i++)
        EXPECT(kexport_find(table[i].name, &e) == 0 && e == &table[i]);
    EXPECT(kexport_find("kprintf", &e) == 0 && e->addr == (const void *)&kprintf &&
           e->kind == KEXPORT_FUNC);
    EXPECT(kexport_find("selftest_run", &e) == KE_NOENT); /* a core symbol, not exported */
    EXPECT(kexport_find("", &e) == KE_NOENT);
}

static void selftest_cpucall(void)
{
    failures += selftest_cpu_call();
}

static void selftest_tlbremap(void)
{
    failures += selftest_tlb_remap();
}

static void selftest_worldstop(void)
{
    failures += selftest_world_stop();
}

struct selftest {
    const char *name;
    void (*run)(void);
    int fatal; /* ends in a panic report by design */
    const char *what;
};

static const struct selftest tests[] = {
    {"pagefault", selftest_page_fault, 1, "read from the NULL page"},
    {"wx", selftest_write_text, 1, "write to kernel text (W^X)"},
    {"nx", selftest_exec_data, 1, "execute kernel data (NX)"},
    {"stackoverflow", selftest_stack_overflow, 1, "overflow the kernel stack into its guard page"},
    {"divzero", selftest_divide_by_zero, 1, "divide by zero"},
    {"ud", selftest_invalid_opcode, 1, "invalid opcode"},
    {"corespin", selftest_core_spin, 1, "a task faults in core code holding a spinlock"},
    {"coremutex", selftest_core_mutex, 1, "a task faults in core code holding the cells mutex"},
    {"coreirq", selftest_core_irq, 1, "a task faults in core code with interrupts off"},
    {"corefault", selftest_core_fault, 0, "a task faults in core code holding nothing: it dies"},
    {"heap", selftest_heap, 0, "kmalloc alignment, quota, failure injection, no leaks"},
    {"vm", selftest_vm, 0, "page mapping, W^X refusal, cell area, guarded stacks"},
    {"exports", selftest_exports, 0, "the core export table: every export found, nothing else"},
    {"cpucall", selftest_cpucall, 0, "cpu_call on every other CPU, and its refusals"},
    {"worldstop", selftest_worldstop, 0, "stop the world on every CPU; a busy CPU refuses in time"},
    {"tlbremap", selftest_tlbremap, 0, "a page mapped again on a CPU with a stale translation"},
    {"apfault", selftest_ap_fault, 1, "a fault in core code on CPU 1: its report, all CPUs stop"},
    {"clock", selftest_clock, 0, "TSC clock is monotonic and calibrated, the APIC timer ticks"},
};

void selftest_run(const char *name)
{
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if (strcmp(tests[i].name, name) != 0)
            continue;
        kprintf("selftest %s: %s\n", name, tests[i].what);
        failures = 0;
        tests[i].run();
        if (tests[i].fatal)
            kprintf("selftest %s: FAILED: survived a fault that should have been reported\n", name);
        else if (failures)
            kprintf("selftest %s: FAILED (%u checks)\n", name, failures);
        else
            kprintf("selftest %s: ok\n", name);
        return;
    }
    kprintf("selftest: unknown test '%s'; known:", name);
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
        kprintf(" %s", tests[i].name);
    kprintf("\n");
}
