/* tasktest: allocation failures and quotas in the guest — task_spawn and channel_create under
 * failslab's fail_nth (every failure a clean KE_NOMEM that leaves no byte and no task behind),
 * a task's heap quota (it gets NULL, the others keep allocating) and a channel receive that
 * would put the receiver over its quota (refused, the message stays queued). */
#include <keel/channel.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "tt.h"

#define NTH_MAX 64 /* far more allocations than a spawn or a channel makes */

static void failslab_nth(uint32_t n)
{
    struct heap_failslab fs = {.fail_nth = n};
    kheap_failslab_set(&fs);
}

static void failslab_off(void)
{
    struct heap_failslab off = {0};
    kheap_failslab_set(&off);
}

static int seven(const void *arg, void *ret)
{
    const uint64_t *in = arg;
    *(uint64_t *)ret = *in + 7;
    return 0;
}

/* fail_nth = 1, 2, ... until the spawn gets through: each failure is KE_NOMEM with the heap and
 * the task count where they were. */
void tasktest_t_alloc_failslab_spawn(void)
{
    uint64_t in = 35;
    unsigned failures = 0;
    for (uint32_t n = 1; n <= NTH_MAX; n++) {
        size_t heap0 = tasktest_heap_in_use(), tasks0 = task_count();
        task_id_t id;
        failslab_nth(n);
        int e = tasktest_spawn("seven", seven, &in, sizeof(in), sizeof(uint64_t), 0, 0, &id);
        failslab_off();
        if (e == 0) {
            struct task_result r;
            e = tasktest_join(id, &r);
            REQUIRE(e == 0, "join: %s", tasktest_err(e));
            CHECK(r.ret && *(uint64_t *)r.ret == 42, "the spawned task's result is wrong");
            kfree(r.ret);
            CHECK(failures >= 3, "only %u allocations of task_spawn failed before it got through",
                  failures);
            return;
        }
        failures++;
        CHECK(e == KE_NOMEM, "fail_nth %u: task_spawn gave %s, want KE_NOMEM", n, tasktest_err(e));
        CHECK(tasktest_heap_in_use() == heap0, "fail_nth %u: task_spawn failed and left %ld bytes",
              n, (long)(tasktest_heap_in_use() - heap0));
        CHECK(task_count() == tasks0, "fail_nth %u: a failed task_spawn left a task", n);
    }
    CHECK(0, "task_spawn failed for every fail_nth up to %u", NTH_MAX);
}

/* The same for channel_create, then a message with a block through the channel. */
void tasktest_t_alloc_failslab_channel(void)
{
    unsigned failures = 0;
    for (uint32_t n = 1; n <= NTH_MAX; n++) {
        size_t heap0 = tasktest_heap_in_use();
        struct channel *c = NULL;
        failslab_nth(n);
        int e = channel_create(CHANNEL_ASYNC, 8, &c);
        failslab_off();
        if (e == 0) {
            struct channel_msg m = {.word = 1, .block = kmalloc(64)}, out;
            REQUIRE(m.block, "no memory for a 64-byte block");
            CHECK(channel_send(c, &m) == 0 && channel_recv(c, &out) == 0 && out.block == m.block,
                  "the channel made after %u failures does not carry a message", failures);
            kfree(out.block);
            channel_destroy(c);
            CHECK(failures >= 1, "channel_create never failed");
            return;
        }
        failures++;
        CHECK(e == KE_NOMEM, "fail_nth %u: channel_create gave %s, want KE_NOMEM", n,
              tasktest_err(e));
        CHECK(!c, "a failed channel_create handed out a channel");
        CHECK(tasktest_heap_in_use() == heap0,
              "fail_nth %u: channel_create failed and left %ld bytes", n,
              (long)(tasktest_heap_in_use() - heap0));
    }
    CHECK(0, "channel_create failed for every fail_nth up to %u", NTH_MAX);
}

#define QUOTA  8192
#define BLOCKS 32 /* of 1 KiB: four times the quota */

static volatile int greedy_full, greedy_go;
static volatile size_t greedy_got, greedy_peak;

/* Sets its own quota and allocates past it: NULL once the quota is reached; holds what it got
 * until told to let go. */
static int greedy(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    void *blocks[BLOCKS];
    size_t got = 0;
    if (kheap_set_quota(kheap_current_owner(), QUOTA))
        return 1;
    while (got < BLOCKS && (blocks[got] = kmalloc(1024)) != NULL)
        got++;
    greedy_got = got;
    greedy_peak = tasktest_my_bytes();
    greedy_full = 1;
    tasktest_wait_flag(&greedy_go, 1);
    for (size_t i = 0; i < got; i++)
        kfree(blocks[i]);
    return 0;
}

void tasktest_t_alloc_task_quota(void)
{
    greedy_full = greedy_go = 0;
    task_id_t id;
    int e = tasktest_spawn("greedy", greedy, NULL, 0, 0, 0, 0, &id);
    REQUIRE(e == 0, "spawn: %s", tasktest_err(e));
    CHECK(tasktest_wait_flag(&greedy_full, 1), "the greedy task never reached its quota");
    /* While it sits at its quota, another task allocates as much as it likes. */
    void *mine = kmalloc(4 * QUOTA);
    CHECK(mine, "a task was refused 32 KiB while another sat at its quota");
    kfree(mine);
    struct heap_owner_stats st = {0};
    kheap_owner_stats(0x40000000u | (owner_t)id, &st);
    greedy_go = 1;
    struct task_result r;
    e = tasktest_join(id, &r);
    REQUIRE(e == 0 && r.status == 0, "greedy: %s, status %d", tasktest_err(e), r.status);
    CHECK(greedy_got > 0 && greedy_got < BLOCKS,
          "the greedy task got %zu of %u 1-KiB blocks under a quota of %u bytes", greedy_got,
          BLOCKS, QUOTA);
    CHECK(greedy_peak <= QUOTA, "the greedy task holds %zu bytes, its quota is %u", greedy_peak,
          QUOTA);
    CHECK(st.quota_denials >= 1, "the heap counted no quota denial for the greedy task");
}

static struct channel *qch;
static volatile int first_err, first_queued, second_err;

/* Receives with a quota smaller than the queued block, then without a quota. */
static int small_receiver(const void *arg, void *ret)
{
    (void)arg;
    (void)ret;
    struct channel_msg m = {0};
    kheap_set_quota(kheap_current_owner(), 1024);
    first_err = channel_try_recv(qch, &m);
    first_queued = (int)channel_queued(qch);
    kheap_set_quota(kheap_current_owner(), 0);
    second_err = channel_try_recv(qch, &m);
    if (second_err == 0) {
        if (tasktest_my_bytes() < 4096)
            second_err = KE_FAULT; /* the block was not charged to the receiver */
        kfree(m.block);
    }
    return 0;
}

void tasktest_t_alloc_chan_quota(void)
{
    int e = channel_create(CHANNEL_ASYNC, 2, &qch);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    struct channel_msg m = {.word = 5, .block = kmalloc(4096)};
    if (!m.block) {
        channel_destroy(qch);
        REQUIRE(0, "no memory for a 4 KiB block");
    }
    e = channel_send(qch, &m);
    CHECK(e == 0, "send: %s", tasktest_err(e));
    first_err = first_queued = second_err = 1;
    task_id_t id;
    e = tasktest_spawn("small", small_receiver, NULL, 0, 0, 0, 0, &id);
    if (e == 0) {
        struct task_result r;
        tasktest_join(id, &r);
    }
    CHECK(e == 0, "spawn: %s", tasktest_err(e));
    CHECK(first_err == KE_QUOTA, "a receive over the receiver's quota gave %s, want KE_QUOTA",
          tasktest_err(first_err));
    CHECK(first_queued == 1, "after the refused receive %d messages are queued, want 1",
          first_queued);
    CHECK(second_err == 0, "the receive within the quota gave %s", tasktest_err(second_err));
    channel_destroy(qch);
    qch = NULL;
}
