/* tasktest: the task API — spawn, argument and return blocks, join, detach, kill, restart. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/sync.h>
#include "tt.h"

/* ---- helpers: small task entries ---- */

static int entry_return_arg(const void *arg, void *ret)
{
    return arg ? *(const int *)arg : 0;
}

static struct semaphore gate = SEMAPHORE_INIT(0);

/* Waits at the gate, then returns 0 (or the error of the wait). */
static int entry_wait_gate(const void *arg, void *ret)
{
    return semaphore_down(&gate);
}

static bool pattern_ok(const uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seed + i * 7))
            return false;
    return true;
}

static void pattern_fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

/* ---- spawn argument checks ---- */

void tasktest_t_spawn_validation(void)
{
    size_t heap0 = tasktest_heap_in_use(), n0 = task_count();
    uint8_t buf[16] = {0};
    task_id_t id = 0;
    struct task_spec s = {.name = "tt_bad", .entry = 0, .cpus = tasktest_cpus};
    CHECK(task_spawn(0, &id) == KE_INVAL, "task_spawn(NULL) accepted");
    CHECK(task_spawn(&s, &id) == KE_INVAL, "a NULL entry was accepted");
    s.entry = entry_return_arg;
    s.priority = TASK_PRIO_MAX + 1;
    CHECK(task_spawn(&s, &id) == KE_RANGE, "priority %u accepted", s.priority);
    s.priority = 0;
    s.arg = buf;
    s.arg_size = TASK_ARG_MAX + 1;
    CHECK(task_spawn(&s, &id) == KE_INVAL, "arg_size TASK_ARG_MAX+1 accepted");
    s.arg = 0;
    s.arg_size = 4;
    CHECK(task_spawn(&s, &id) == KE_INVAL, "arg NULL with arg_size 4 accepted");
    s.arg_size = 0;
    s.ret_size = TASK_RET_MAX + 1;
    CHECK(task_spawn(&s, &id) == KE_INVAL, "ret_size TASK_RET_MAX+1 accepted");
    s.ret_size = 0;
    s.flags = 1u << 7;
    CHECK(task_spawn(&s, &id) == KE_INVAL, "unknown flag accepted");
    s.flags = 0;
    s.stack_pages = 65;
    CHECK(task_spawn(&s, &id) == KE_RANGE, "65 stack pages accepted");
    CHECK(id == 0, "a refused spawn wrote id %llu", (unsigned long long)id);
    CHECK(task_count() == n0 && tasktest_heap_in_use() == heap0,
          "a refused spawn changed state: tasks %zu -> %zu, heap %zu -> %zu", n0, task_count(),
          heap0, tasktest_heap_in_use());

    /* Defaults, the copied (truncated) name and the cell holding the entry. */
    s.stack_pages = 0;
    s.name = "tt_a_name_that_is_much_longer_than_the_limit";
    s.entry = entry_wait_gate;
    uint64_t tick0 = timer_ticks();
    REQUIRE(task_spawn(&s, &id) == 0 && id != 0, "a valid spawn failed");
    struct task_info ti;
    int e = task_info(id, &ti);
    /* A tick in between may have given the new task (same priority as the suite) its slice, in
     * which it blocks on the gate: only without a tick must it still be READY. */
    bool ticked = timer_ticks() != tick0;
    CHECK(e == 0, "task_info: %s", tasktest_err(e));
    CHECK(ti.priority == TASK_PRIO_DEFAULT, "priority 0 gave %u, not the default", ti.priority);
    CHECK(strlen(ti.name) == TASK_NAME_MAX - 1 && strncmp(ti.name, s.name, TASK_NAME_MAX - 1) == 0,
          "name '%s' is not the truncated spec name", ti.name);
    CHECK(strcmp(ti.cell, "tasktest") == 0, "the task's cell is '%s', not tasktest", ti.cell);
    CHECK(ti.state == TASK_READY || (ticked && ti.state == TASK_BLOCKED),
          "a new lower-or-equal priority task is in state %d, not READY (%s)", ti.state,
          ticked ? "a tick passed" : "no tick passed: it ran within task_spawn");
    semaphore_up(&gate);
    struct task_result r;
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.how == TASK_RETURNED && r.status == 0, "join: %s, how %s, status %d",
          tasktest_err(e), tasktest_how(r.how), r.status);
}

/* ---- argument isolation ---- */

struct iso_arg {
    const void *spawner_copy;
    uint32_t magic;
    uint8_t bytes[200];
};
struct iso_ret {
    int gate;
    int arg_is_spawners;
    uint32_t magic;
    uint8_t bytes[200];
    size_t my_bytes;
};

static int entry_iso(const void *arg, void *ret)
{
    const struct iso_arg *a = arg;
    struct iso_ret *out = ret;
    out->gate = semaphore_down(&gate); /* the spawner scribbles over its copy meanwhile */
    out->arg_is_spawners = arg == a->spawner_copy;
    out->magic = a->magic;
    memcpy(out->bytes, a->bytes, sizeof(out->bytes));
    out->my_bytes = tasktest_my_bytes();
    return 0;
}

void tasktest_t_arg_isolation(void)
{
    struct iso_arg a;
    a.spawner_copy = &a;
    a.magic = 0x15015015u;
    pattern_fill(a.bytes, sizeof(a.bytes), 11);
    task_id_t id;
    int e = tasktest_spawn("tt_iso", entry_iso, &a, sizeof(a), sizeof(struct iso_ret), 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    memset(&a, 0x5a, sizeof(a)); /* after the spawn: the task must not see this */
    a.magic = 0xdeadu;
    semaphore_up(&gate);
    struct task_result r;
    e = tasktest_join(id, &r);
    REQUIRE(e == 0, "join: %s", tasktest_err(e));
    const struct iso_ret *out = r.ret;
    REQUIRE(out && r.ret_size == sizeof(*out), "no return block (%zu bytes)", r.ret_size);
    CHECK(r.how == TASK_RETURNED, "ended %s", tasktest_how(r.how));
    CHECK(out->gate == 0, "semaphore_down: %s", tasktest_err(out->gate));
    CHECK(!out->arg_is_spawners, "the task was handed the spawner's own argument block");
    CHECK(out->magic == 0x15015015u, "the task saw magic 0x%x, not the original", out->magic);
    CHECK(pattern_ok(out->bytes, sizeof(out->bytes), 11),
          "the task saw the spawner's later changes to its argument");
    CHECK(out->my_bytes >= TT_ROUND16(sizeof(struct iso_arg)),
          "the task owns %zu heap bytes, less than its argument copy", out->my_bytes);
    kfree(r.ret);
}

/* ---- the return block ---- */

#define RET_SIZE 1000

static int entry_ret(const void *arg, void *ret)
{
    uint8_t *p = ret;
    for (size_t i = 0; i < RET_SIZE; i++)
        if (p[i])
            return -1; /* the block must start zeroed */
    pattern_fill(p, RET_SIZE, 0xa5);
    return 17;
}

void tasktest_t_return_block(void)
{
    task_id_t id;
    struct task_result r;
    size_t mine0 = tasktest_my_bytes();
    int e = tasktest_spawn("tt_ret", entry_ret, 0, 0, RET_SIZE, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    REQUIRE(e == 0, "join: %s", tasktest_err(e));
    size_t mine1 = tasktest_my_bytes();
    CHECK(r.how == TASK_RETURNED && r.status == 17, "ended %s with status %d (-1: not zeroed)",
          tasktest_how(r.how), r.status);
    CHECK(r.id == id, "result id %llu, spawned %llu", (unsigned long long)r.id,
          (unsigned long long)id);
    REQUIRE(r.ret && r.ret_size == RET_SIZE, "return block %p, %zu bytes", r.ret, r.ret_size);
    CHECK(pattern_ok(r.ret, RET_SIZE, 0xa5), "the return block lost the task's contents");
    CHECK(mine1 - mine0 == TT_ROUND16(RET_SIZE),
          "the joiner's heap charge grew by %zu bytes, not by the return block's %zu",
          mine1 - mine0, TT_ROUND16(RET_SIZE));
    kfree(r.ret);
    CHECK(tasktest_my_bytes() == mine0, "freeing the return block left %zu bytes charged",
          tasktest_my_bytes() - mine0);
    struct task_result r2;
    e = task_join(id, &r2);
    CHECK(e == KE_NOENT, "a second join gave %s, not KE_NOENT", tasktest_err(e));
    e = task_try_join(id, &r2);
    CHECK(e == KE_NOENT, "a try_join after the join gave %s", tasktest_err(e));
    e = task_detach(id);
    CHECK(e == KE_NOENT, "detach after the join gave %s", tasktest_err(e));
    e = task_info(id, &(struct task_info){0});
    CHECK(e == KE_NOENT, "task_info of a joined task gave %s", tasktest_err(e));

    /* No return block asked: none handed over. */
    int v = 5;
    e = tasktest_spawn("tt_noret", entry_return_arg, &v, sizeof(v), 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.status == 5 && r.ret == 0 && r.ret_size == 0,
          "ret_size 0: join %s, status %d, ret %p", tasktest_err(e), r.status, r.ret);
}

/* ---- join variants: self, try, timeout ---- */

static int entry_join_self(const void *arg, void *ret)
{
    struct task_result r;
    return task_join(task_self(), &r);
}

void tasktest_t_join_variants(void)
{
    task_id_t id;
    struct task_result r;
    int e = tasktest_spawn("tt_joinself", entry_join_self, 0, 0, 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.status == KE_BUSY, "joining yourself gave %s, not KE_BUSY",
          tasktest_err(r.status));
    e = task_join(id, 0);
    CHECK(e == KE_INVAL, "task_join with a NULL result gave %s", tasktest_err(e));

    e = tasktest_spawn("tt_gate", entry_wait_gate, 0, 0, 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = task_try_join(id, &r);
    CHECK(e == KE_AGAIN, "try_join of a live task gave %s", tasktest_err(e));
    uint64_t t0 = clock_ns();
    e = task_join_timeout(id, TT_MS(30), &r);
    uint64_t dt = clock_ns() - t0;
    CHECK(e == KE_TIMEDOUT, "join_timeout of a blocked task gave %s", tasktest_err(e));
    CHECK(dt >= TT_MS(30), "join_timeout(30 ms) gave up after %llu us",
          (unsigned long long)(dt / 1000));
    semaphore_up(&gate);
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.how == TASK_RETURNED && r.status == 0, "join after a timed-out join: %s, %s",
          tasktest_err(e), tasktest_how(r.how));
}

/* ---- detach ---- */

static bool wait_reaped(task_id_t id)
{
    uint64_t end = clock_ns() + TT_MS(2000);
    struct task_info ti;
    while (clock_ns() < end) {
        if (task_info(id, &ti) == KE_NOENT)
            return true;
        task_sleep_ns(TT_MS(1));
    }
    return false;
}

void tasktest_t_detach_running(void)
{
    size_t heap0 = tasktest_heap_in_use(), n0 = task_count();
    task_id_t id;
    struct task_result r;
    int e = tasktest_spawn("tt_detach", entry_wait_gate, 0, 0, 64, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    CHECK(task_count() == n0 + 1, "task_count %zu after a spawn, was %zu", task_count(), n0);
    REQUIRE(tasktest_wait_blocked(id), "the task never blocked at the gate");
    e = task_detach(id);
    CHECK(e == 0, "detach: %s", tasktest_err(e));
    e = task_join(id, &r);
    CHECK(e == KE_INVAL, "join of a detached task gave %s, not KE_INVAL", tasktest_err(e));
    e = task_try_join(id, &r);
    CHECK(e == KE_INVAL, "try_join of a detached task gave %s", tasktest_err(e));
    e = task_detach(id);
    CHECK(e == KE_INVAL, "a second detach gave %s", tasktest_err(e));
    semaphore_up(&gate);
    CHECK(wait_reaped(id), "the detached task was not reaped after it ended");
    CHECK(task_count() == n0, "task_count %zu after the reap, was %zu", task_count(), n0);
    CHECK(tasktest_heap_in_use() == heap0, "heap %zu after the reap, was %zu",
          tasktest_heap_in_use(), heap0);
}

void tasktest_t_detach_flag(void)
{
    size_t heap0 = tasktest_heap_in_use(), n0 = task_count();
    task_id_t id;
    struct task_result r;
    int e = tasktest_spawn("tt_detflag", entry_wait_gate, 0, 0, 64, 0, TASK_DETACHED, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = task_join(id, &r);
    CHECK(e == KE_INVAL, "join of a TASK_DETACHED task gave %s, not KE_INVAL", tasktest_err(e));
    CHECK(task_count() == n0 + 1, "task_count %zu, was %zu", task_count(), n0);
    semaphore_up(&gate);
    CHECK(wait_reaped(id), "the TASK_DETACHED task was not reaped after it ended");
    CHECK(task_count() == n0, "task_count %zu after the reap, was %zu", task_count(), n0);
    CHECK(tasktest_heap_in_use() == heap0, "heap %zu after the reap, was %zu",
          tasktest_heap_in_use(), heap0);
}

void tasktest_t_detach_dead(void)
{
    size_t heap0 = tasktest_heap_in_use(), n0 = task_count();
    task_id_t id;
    int v = 3;
    int e = tasktest_spawn("tt_detdead", entry_return_arg, &v, sizeof(v), 128, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    REQUIRE(tasktest_wait_state(id, TASK_DEAD), "the task did not end");
    CHECK(task_count() == n0 + 1, "an unjoined dead task is no longer counted");
    e = task_detach(id);
    CHECK(e == 0, "detach of a dead task: %s", tasktest_err(e));
    e = task_info(id, &(struct task_info){0});
    CHECK(e == KE_NOENT, "task_info right after detaching a dead task gave %s", tasktest_err(e));
    CHECK(task_count() == n0, "task_count %zu after detaching a dead task, was %zu", task_count(),
          n0);
    CHECK(tasktest_heap_in_use() == heap0, "heap %zu after the reap, was %zu",
          tasktest_heap_in_use(), heap0);
}

/* ---- kill ---- */

static volatile int kill_result; /* what the blocking call returned, if the entry went on */
static volatile int kill_went_on;
static volatile int busy_started;
static volatile uint64_t busy_count;
static struct semaphore kill_sem = SEMAPHORE_INIT(0);

static int entry_kill_sleep(const void *arg, void *ret)
{
    void *p = kmalloc(500);
    (void)p; /* freed with the task */
    kill_result = task_sleep_ns(TT_MS(30000));
    kill_went_on = 1;
    return 1;
}

static int entry_kill_sem(const void *arg, void *ret)
{
    void *p = kmalloc(500);
    (void)p;
    kill_result = semaphore_down(&kill_sem);
    kill_went_on = 1;
    return 2;
}

static int entry_kill_busy(const void *arg, void *ret)
{
    void *p = kmalloc(500);
    (void)p;
    busy_started = 1;
    for (;;)
        busy_count++;
    return 0;
}

static int entry_kill_self(const void *arg, void *ret)
{
    void *p = kmalloc(300);
    (void)p;
    kill_result = task_kill(task_self());
    kill_went_on = 1;
    return 3;
}

/* Spawns entry, waits for it to block (or for busy_started), kills it and joins. */
static void kill_case(const char *name, task_entry_fn entry, bool busy)
{
    size_t heap0 = tasktest_heap_in_use();
    kill_result = 12345;
    kill_went_on = 0;
    busy_started = 0;
    busy_count = 0;
    task_id_t id;
    struct task_result r;
    int e = tasktest_spawn(name, entry, 0, 0, 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    if (busy)
        REQUIRE(tasktest_wait_flag(&busy_started, 1), "the busy task never ran");
    else
        REQUIRE(tasktest_wait_blocked(id), "the task never blocked");
    e = task_kill(id);
    CHECK(e == 0, "task_kill: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    REQUIRE(e == 0, "join after the kill: %s", tasktest_err(e));
    /* The documented contract (keel/task.h, docs/tasks.md): a kill takes effect at the victim's
     * next safe point, a blocking call being one; the call may return KE_KILLED, but the task
     * ends killed, so its joiner learns that it was killed. */
    CHECK(r.how == TASK_KILLED && r.status == KE_KILLED,
          "killed while %s, it ended %s with status %d (the blocking call %s%s)",
          busy ? "busy" : "blocked", tasktest_how(r.how), r.status,
          kill_result == 12345 ? "never returned" : "returned ",
          kill_result == 12345 ? "" : tasktest_err(kill_result));
    CHECK(kill_result == 12345 || kill_result == KE_KILLED,
          "the interrupted blocking call returned %s, not KE_KILLED", tasktest_err(kill_result));
    if (busy)
        CHECK(busy_count > 0, "the busy loop never counted");
    e = task_kill(id);
    CHECK(e == KE_NOENT, "killing a joined task gave %s", tasktest_err(e));
    CHECK(tasktest_heap_in_use() == heap0,
          "heap %zu after the kill, was %zu: the victim's "
          "memory was not reclaimed",
          tasktest_heap_in_use(), heap0);
}

void tasktest_t_kill_sleeping(void)
{
    kill_case("tt_kill_sleep", entry_kill_sleep, false);
}

void tasktest_t_kill_semaphore(void)
{
    kill_case("tt_kill_sem", entry_kill_sem, false);
    /* The killed waiter must not have consumed anything: a later up is still there. */
    semaphore_up(&kill_sem);
    CHECK(semaphore_try_down(&kill_sem) == 0, "an up after the killed waiter was lost");
    CHECK(semaphore_try_down(&kill_sem) == KE_AGAIN, "the semaphore count is off");
}

void tasktest_t_kill_busy(void)
{
    kill_case("tt_kill_busy", entry_kill_busy, true);
}

void tasktest_t_kill_self(void)
{
    size_t heap0 = tasktest_heap_in_use();
    kill_result = 12345;
    kill_went_on = 0;
    task_id_t id;
    struct task_result r;
    int e = tasktest_spawn("tt_kill_self", entry_kill_self, 0, 0, 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    REQUIRE(e == 0, "join: %s", tasktest_err(e));
    CHECK(r.how == TASK_KILLED && r.status == KE_KILLED, "self-kill: ended %s, status %d",
          tasktest_how(r.how), r.status);
    CHECK(!kill_went_on, "task_kill(self) returned (%s)", tasktest_err(kill_result));
    CHECK(tasktest_heap_in_use() == heap0, "heap %zu after the self-kill, was %zu",
          tasktest_heap_in_use(), heap0);
}

static int find_idle(void *ctx, const struct task_info *ti)
{
    if (ti->priority == TASK_PRIO_IDLE && strcmp(ti->name, "idle") == 0) {
        *(task_id_t *)ctx = ti->id;
        return 1;
    }
    return 0;
}

void tasktest_t_kill_errors(void)
{
    task_id_t idle = 0;
    task_for_each(find_idle, &idle);
    REQUIRE(idle != 0, "task_for_each did not list the idle task");
    int e = task_kill(idle);
    CHECK(e == KE_PERM, "killing the idle task gave %s, not KE_PERM", tasktest_err(e));
    e = task_kill((task_id_t)1 << 40);
    CHECK(e == KE_NOENT, "killing a task that never existed gave %s", tasktest_err(e));
    /* A task that has ended but is not joined yet cannot be killed any more. */
    task_id_t id;
    int v = 8;
    e = tasktest_spawn("tt_dead", entry_return_arg, &v, sizeof(v), 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    REQUIRE(tasktest_wait_state(id, TASK_DEAD), "the task did not end");
    e = task_kill(id);
    CHECK(e == KE_NOENT, "killing a dead task gave %s", tasktest_err(e));
    struct task_result r;
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.how == TASK_RETURNED && r.status == 8,
          "a kill after the end changed the result: %s, status %d", tasktest_how(r.how), r.status);
}

/* ---- restartable tasks ---- */

#define RS_MAGIC 0x7e57a27u
struct rs_arg {
    uint32_t magic;
    uint32_t scribble;
    uint8_t pattern[64];
    int faults; /* how many incarnations fault */
};

static volatile int rs_attempts, rs_bad_args;
static uint64_t rs_start[8], rs_fault_at[8];
static task_id_t rs_ids[8];

static int entry_restart(const void *arg, void *ret)
{
    struct rs_arg *a = (struct rs_arg *)arg; /* the task's own copy: it may scribble on it */
    int n = rs_attempts++;
    if (n < 8) {
        rs_start[n] = clock_ns();
        rs_ids[n] = task_self();
    }
    if (a->magic != RS_MAGIC || a->scribble || !pattern_ok(a->pattern, sizeof(a->pattern), 3))
        rs_bad_args++;
    a->scribble = 0xbad;
    memset(a->pattern, 0, sizeof(a->pattern));
    (void)kmalloc(200); /* reclaimed with each incarnation */
    if (n < a->faults) {
        if (n < 8)
            rs_fault_at[n] = clock_ns();
        return tasktest_null_read();
    }
    return 42;
}

static int spawn_restartable(int faults, uint64_t backoff_ns, unsigned max_restarts, task_id_t *id)
{
    struct rs_arg a = {.magic = RS_MAGIC, .faults = faults};
    pattern_fill(a.pattern, sizeof(a.pattern), 3);
    rs_attempts = 0;
    rs_bad_args = 0;
    struct task_spec s = {.name = "tt_restart",
                          .entry = entry_restart,
                          .arg = &a,
                          .arg_size = sizeof(a),
                          .flags = TASK_RESTARTABLE,
                          .max_restarts = max_restarts,
                          .backoff_ns = backoff_ns,
                          .cpus = tasktest_cpus};
    return task_spawn(&s, id);
}

void tasktest_t_restart(void)
{
    const uint64_t base = TT_MS(30);
    size_t heap0 = tasktest_heap_in_use();
    task_id_t id;
    struct task_result r;
    uint64_t t0 = clock_ns();
    int e = spawn_restartable(2, base, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    uint64_t dt = clock_ns() - t0;
    REQUIRE(e == 0, "join: %s", tasktest_err(e));
    CHECK(r.how == TASK_RETURNED && r.status == 42, "the final incarnation ended %s, status %d",
          tasktest_how(r.how), r.status);
    CHECK(r.restarts == 2, "restarts %u, expected 2", r.restarts);
    CHECK(rs_attempts == 3, "the entry ran %d times, expected 3", rs_attempts);
    CHECK(rs_bad_args == 0, "%d incarnations got a scribbled-on argument, not a pristine copy",
          rs_bad_args);
    CHECK(rs_ids[0] == id && rs_ids[1] != id && rs_ids[2] != rs_ids[1] && rs_ids[2] != id,
          "incarnations ran as tasks %llu, %llu, %llu (spawned %llu): not new tasks",
          (unsigned long long)rs_ids[0], (unsigned long long)rs_ids[1],
          (unsigned long long)rs_ids[2], (unsigned long long)id);
    CHECK(r.id == rs_ids[2], "the result names task %llu, the last incarnation was %llu",
          (unsigned long long)r.id, (unsigned long long)rs_ids[2]);
    CHECK(rs_start[1] - rs_fault_at[0] >= base, "restart 1 after %llu us, back-off is %llu us",
          (unsigned long long)((rs_start[1] - rs_fault_at[0]) / 1000),
          (unsigned long long)(base / 1000));
    CHECK(rs_start[2] - rs_fault_at[1] >= 2 * base, "restart 2 after %llu us, back-off is %llu us",
          (unsigned long long)((rs_start[2] - rs_fault_at[1]) / 1000),
          (unsigned long long)(2 * base / 1000));
    CHECK(dt >= 3 * base, "spawn to join took %llu us, less than base + 2*base",
          (unsigned long long)(dt / 1000));
    for (int i = 0; i < 3; i++)
        CHECK(task_info(rs_ids[i], &(struct task_info){0}) == KE_NOENT,
              "incarnation %d (task %llu) still exists after the join", i,
              (unsigned long long)rs_ids[i]);
    CHECK(tasktest_heap_in_use() == heap0, "heap %zu after the restarts, was %zu",
          tasktest_heap_in_use(), heap0);
}

void tasktest_t_restart_limit(void)
{
    size_t heap0 = tasktest_heap_in_use(), n0 = task_count();
    task_id_t id;
    struct task_result r;
    int e = spawn_restartable(100, TT_MS(1), 2, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    REQUIRE(e == 0, "join: %s", tasktest_err(e));
    CHECK(r.how == TASK_FAULTED && r.status == KE_FAULT && r.fault.vector == 14,
          "after max_restarts it ended %s, status %d, vector %u", tasktest_how(r.how), r.status,
          r.fault.vector);
    CHECK(r.restarts == 2, "restarts %u, max_restarts was 2", r.restarts);
    CHECK(rs_attempts == 3, "the entry ran %d times, expected 1 + 2 restarts", rs_attempts);
    CHECK(rs_bad_args == 0, "%d incarnations got a scribbled-on argument", rs_bad_args);
    CHECK(task_count() == n0, "task_count %zu after the join, was %zu", task_count(), n0);
    CHECK(tasktest_heap_in_use() == heap0, "heap %zu after the restarts, was %zu",
          tasktest_heap_in_use(), heap0);
}

/* try_join/timeout joins of a task that is being restarted must not lose it; a second joiner is
 * refused while one waits; a kill through the original id reaches the latest incarnation. */
static int entry_join_blocked(const void *arg, void *ret)
{
    const task_id_t *id = arg;
    struct task_result r;
    return task_join(*id, &r) == KE_BUSY ? 0 : 1;
}

void tasktest_t_restart_chain(void)
{
    size_t heap0 = tasktest_heap_in_use(), n0 = task_count();
    task_id_t id;
    struct task_result r;
    /* Faults once, then runs to completion (long back-off so we can poll meanwhile). */
    int e = spawn_restartable(1, TT_MS(60), 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    int again = 0;
    for (int i = 0; i < 200; i++) {
        e = task_try_join(id, &r);
        if (e != KE_AGAIN)
            break;
        again++;
        e = task_join_timeout(id, TT_MS(2), &r);
        CHECK(e == KE_TIMEDOUT || e == 0, "join_timeout during the restart: %s", tasktest_err(e));
        if (e == 0)
            break;
    }
    REQUIRE(e == 0, "the chain was lost: try_join/timeout ended with %s", tasktest_err(e));
    CHECK(again > 0, "try_join never saw the task still running (the test proves nothing)");
    CHECK(r.how == TASK_RETURNED && r.status == 42 && r.restarts == 1,
          "ended %s status %d restarts %u", tasktest_how(r.how), r.status, r.restarts);
    CHECK(task_try_join(id, &r) == KE_NOENT, "a second join of the chain succeeded");

    /* A concurrent joiner is refused while one waits. */
    e = spawn_restartable(1, TT_MS(60), 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    task_id_t j;
    struct task_spec js = {.name = "tt_join2",
                           .entry = entry_join_blocked,
                           .arg = &id,
                           .arg_size = sizeof(id),
                           .priority = TASK_PRIO_MIN,
                           .cpus = tasktest_cpus};
    struct task_result wr;
    /* The second joiner has the lowest priority: it runs only once we wait in our join, and
     * must then be refused with KE_BUSY. */
    e = task_spawn(&js, &j);
    REQUIRE(e == 0, "spawn joiner: %s", tasktest_err(e));
    e = task_join(id, &r);
    CHECK(e == 0 && r.status == 42, "join: %s, status %d", tasktest_err(e), r.status);
    e = tasktest_join(j, &wr);
    CHECK(e == 0 && wr.how == TASK_RETURNED && wr.status == 0,
          "the second joiner was not refused with KE_BUSY (ended %s, status %d)",
          tasktest_how(wr.how), wr.status);

    /* Kill through the original id after a restart. */
    e = spawn_restartable(1, TT_MS(1), 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    while (rs_attempts < 2)
        task_sleep_ns(TT_MS(1));
    e = task_kill(id);
    CHECK(e == 0 || e == KE_NOENT, "kill through the original id: %s", tasktest_err(e));
    e = tasktest_join(id, &r);
    CHECK(e == 0, "join after the kill: %s", tasktest_err(e));
    CHECK(task_count() == n0, "task_count %zu, was %zu", task_count(), n0);
    CHECK(tasktest_heap_in_use() == heap0, "heap %zu, was %zu", tasktest_heap_in_use(), heap0);
}
