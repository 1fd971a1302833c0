/* tasktest: fault containment. Each victim faults in this cell's code; only its task may die:
 * the joiner sees TASK_FAULTED with the vector and a "tasktest:<symbol>+0x.." location, the fault
 * log has it, a healthy task still runs afterwards, and every byte the victim held is freed. */
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "tt.h"

/* Volatile, so the compiler can neither see the fault coming nor rewrite it. */
static volatile uintptr_t null_address;
static volatile uintptr_t noncanonical_address = 0x8000000000000000ull;
static volatile uint64_t zero_divisor;
static volatile unsigned depth_limit = 1u << 30;
const uint32_t tasktest_ro_word = 0x600dcafeu;
static volatile uint32_t *volatile ro_pointer = (uint32_t *)&tasktest_ro_word;
static volatile uintptr_t stack_mark;
static volatile int victim_reached;

__attribute__((noinline)) int tasktest_null_read(void)
{
    return *(volatile int *)null_address;
}

/* What every victim does first: hold some memory (must be reclaimed) and say it ran. */
__attribute__((noinline)) static void victim_start(void)
{
    uint8_t *p = kmalloc(1000);
    if (p)
        memset(p, 0xee, 1000);
    victim_reached = 1;
}

__attribute__((noinline)) int tasktest_fault_null(const void *arg, void *ret)
{
    victim_start();
    return *(volatile int *)null_address;
}

__attribute__((noinline)) int tasktest_fault_divide(const void *arg, void *ret)
{
    victim_start();
    uint64_t lo = 1, hi = 0, d = zero_divisor;
    __asm__ volatile("divq %2" : "+a"(lo), "+d"(hi) : "r"(d));
    return (int)lo;
}

__attribute__((noinline)) int tasktest_fault_ud2(const void *arg, void *ret)
{
    victim_start();
    __asm__ volatile("ud2");
    return 0;
}

__attribute__((noinline)) int tasktest_fault_gp(const void *arg, void *ret)
{
    victim_start();
    return (int)*(volatile uint64_t *)noncanonical_address;
}

__attribute__((noinline)) unsigned tasktest_recurse(unsigned n)
{
    volatile uint8_t pad[256];
    pad[0] = (uint8_t)n;
    pad[255] = (uint8_t)(n >> 8);
    if (n >= depth_limit)
        return pad[0];
    return tasktest_recurse(n + 1) + pad[255]; /* not a tail call */
}

__attribute__((noinline)) int tasktest_fault_stack(const void *arg, void *ret)
{
    volatile int here = 0;
    stack_mark = (uintptr_t)&here;
    victim_start();
    return (int)tasktest_recurse(0) + here;
}

__attribute__((noinline)) int tasktest_fault_rodata(const void *arg, void *ret)
{
    victim_start();
    *ro_pointer = 0xbadbad;
    return 0;
}

__attribute__((noinline)) int tasktest_fault_text(const void *arg, void *ret)
{
    victim_start();
    volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)tasktest_fault_text;
    *code = 0xcc;
    return 0;
}

static int entry_healthy(const void *arg, void *ret)
{
    void *p = kmalloc(64);
    kfree(p);
    return p ? 99 : KE_NOMEM;
}

/* The faults made by the fault tests, for the fault_log test. */
#define MAX_FAULTS 8
static struct {
    task_id_t id;
    unsigned vector;
} faults[MAX_FAULTS];
static unsigned nfaults;

static struct task_fault_record log_buf[32];

/* Runs one victim and the checks every fault shares; *out gets the result (zeroed on error). */
static void fault_case(const char *name, task_entry_fn fn, unsigned vector, const char *sym,
                       struct task_result *out)
{
    memset(out, 0, sizeof(*out));
    size_t heap0 = tasktest_heap_in_use(), n0 = task_count();
    struct task_fault_record last;
    size_t logged0 = task_fault_log(&last, 1);
    uint64_t seq0 = logged0 ? last.seq : 0;
    uint8_t arg[48];
    memset(arg, 0x42, sizeof(arg));
    victim_reached = 0;
    task_id_t id;
    int e = tasktest_spawn(name, fn, arg, sizeof(arg), 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    struct task_result r;
    e = tasktest_join(id, &r);
    REQUIRE(e == 0, "join of the faulting task: %s", tasktest_err(e));
    *out = r;
    CHECK(victim_reached, "the victim never ran");
    CHECK(r.how == TASK_FAULTED && r.status == KE_FAULT, "the victim ended %s, status %d",
          tasktest_how(r.how), r.status);
    CHECK(r.fault.vector == vector, "vector %u, expected %u", r.fault.vector, vector);
    CHECK(strncmp(r.fault.where, "tasktest:", 9) == 0 && tasktest_contains(r.fault.where, sym),
          "fault.where '%s' does not name tasktest:%s", r.fault.where, sym);
    CHECK(!r.ret && !r.ret_size, "a return block appeared (%zu bytes)", r.ret_size);
    if (nfaults < MAX_FAULTS) {
        faults[nfaults].id = id;
        faults[nfaults].vector = vector;
        nfaults++;
    }

    /* The fault log's newest record is this fault. */
    size_t n = task_fault_log(&last, 1);
    CHECK(n == 1 && last.seq == seq0 + 1, "the fault log has %zu new records (seq %llu -> %llu)", n,
          (unsigned long long)seq0, (unsigned long long)last.seq);
    CHECK(last.task == id && last.fault.vector == vector &&
              strcmp(last.fault.where, r.fault.where) == 0 &&
              strncmp(last.task_name, name, TASK_NAME_MAX - 1) == 0,
          "the fault log's last record is task %llu '%s' vector %u at %s",
          (unsigned long long)last.task, last.task_name, last.fault.vector, last.fault.where);

    /* The system goes on. */
    e = tasktest_spawn("tt_healthy", entry_healthy, 0, 0, 0, 0, 0, &id);
    CHECK(e == 0, "spawn of a healthy task after the fault: %s", tasktest_err(e));
    if (e == 0) {
        e = tasktest_join(id, &r);
        CHECK(e == 0 && r.how == TASK_RETURNED && r.status == 99,
              "a healthy task after the fault: join %s, %s, status %d", tasktest_err(e),
              tasktest_how(r.how), r.status);
    }
    CHECK(tasktest_heap_in_use() == heap0, "heap bytes in use %zu after the fault, %zu before",
          tasktest_heap_in_use(), heap0);
    CHECK(task_count() == n0, "task_count %zu after the fault, %zu before", task_count(), n0);
}

void tasktest_t_fault_null(void)
{
    struct task_result r;
    fault_case("tt_f_null", tasktest_fault_null, 14, "tasktest_fault_null+", &r);
    CHECK(r.fault.cr2 == 0, "cr2 0x%llx, expected 0", (unsigned long long)r.fault.cr2);
    CHECK(!(r.fault.error & 1) && !(r.fault.error & 2),
          "error 0x%llx: not a read of an "
          "unmapped page",
          (unsigned long long)r.fault.error);
}

void tasktest_t_fault_divide(void)
{
    struct task_result r;
    fault_case("tt_f_div", tasktest_fault_divide, 0, "tasktest_fault_divide+", &r);
}

void tasktest_t_fault_ud2(void)
{
    struct task_result r;
    fault_case("tt_f_ud2", tasktest_fault_ud2, 6, "tasktest_fault_ud2+", &r);
}

void tasktest_t_fault_gp(void)
{
    struct task_result r;
    fault_case("tt_f_gp", tasktest_fault_gp, 13, "tasktest_fault_gp+", &r);
}

void tasktest_t_fault_stack_overflow(void)
{
    struct task_result r;
    stack_mark = 0;
    /* A push into the guard page cannot deliver the #PF on the same stack: #DF on its IST. */
    fault_case("tt_f_stack", tasktest_fault_stack, 8, "tasktest_recurse+", &r);
    uint64_t mark = stack_mark, cr2 = r.fault.cr2;
    /* The guard page lies below the task's 4 default pages; the mark is near their top. */
    CHECK(cr2 < mark && mark - cr2 > 3 * 4096 && mark - cr2 <= 6 * 4096,
          "cr2 0x%llx is not in the guard page below the stack (mark 0x%llx)",
          (unsigned long long)cr2, (unsigned long long)mark);
}

void tasktest_t_fault_write_rodata(void)
{
    struct task_result r;
    fault_case("tt_f_rodata", tasktest_fault_rodata, 14, "tasktest_fault_rodata+", &r);
    CHECK(r.fault.cr2 == (uintptr_t)&tasktest_ro_word, "cr2 0x%llx, the word is at %p",
          (unsigned long long)r.fault.cr2, (const void *)&tasktest_ro_word);
    CHECK((r.fault.error & 3) == 3, "error 0x%llx: not a write to a present page",
          (unsigned long long)r.fault.error);
    CHECK(*(volatile const uint32_t *)&tasktest_ro_word == 0x600dcafeu,
          "the read-only word changed");
}

void tasktest_t_fault_write_text(void)
{
    struct task_result r;
    uint8_t first = *(volatile const uint8_t *)(uintptr_t)tasktest_fault_text;
    fault_case("tt_f_text", tasktest_fault_text, 14, "tasktest_fault_text+", &r);
    CHECK(r.fault.cr2 == (uintptr_t)tasktest_fault_text, "cr2 0x%llx, the code is at 0x%llx",
          (unsigned long long)r.fault.cr2, (unsigned long long)(uintptr_t)tasktest_fault_text);
    CHECK((r.fault.error & 3) == 3, "error 0x%llx: not a write to a present page",
          (unsigned long long)r.fault.error);
    CHECK(*(volatile const uint8_t *)(uintptr_t)tasktest_fault_text == first, "the code changed");
}

void tasktest_t_fault_log(void)
{
    REQUIRE(nfaults == 7, "only %u of the 7 fault tests recorded a fault", nfaults);
    size_t n = task_fault_log(log_buf, 32);
    CHECK(n >= nfaults, "the fault log holds %zu records, %u faults were made", n, nfaults);
    /* Oldest first: the fault tests' records appear in the order they happened. */
    size_t at = 0;
    for (unsigned i = 0; i < nfaults; i++) {
        while (at < n && log_buf[at].task != faults[i].id)
            at++;
        CHECK(at < n, "fault %u (task %llu) is missing from the log, or out of order", i,
              (unsigned long long)faults[i].id);
        if (at >= n)
            break;
        CHECK(log_buf[at].fault.vector == faults[i].vector &&
                  strncmp(log_buf[at].fault.where, "tasktest:", 9) == 0,
              "record of task %llu: vector %u at %s", (unsigned long long)faults[i].id,
              log_buf[at].fault.vector, log_buf[at].fault.where);
        CHECK(at == 0 || log_buf[at].seq > log_buf[at - 1].seq, "sequence numbers not rising");
    }
    for (size_t i = 1; i < n; i++)
        CHECK(log_buf[i].seq == log_buf[i - 1].seq + 1 &&
                  log_buf[i].time_ns >= log_buf[i - 1].time_ns,
              "records %zu and %zu: seq %llu then %llu", i - 1, i,
              (unsigned long long)log_buf[i - 1].seq, (unsigned long long)log_buf[i].seq);
}
