/* tasktest: channels — FIFO order, blocking when full, rendezvous, close and drain, and the
 * ownership of message blocks (sender -> core while queued -> receiver). */
#include <keel/channel.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "tt.h"

static struct channel *ch; /* the channel under test; tasks find it here */

static void *pattern_block(size_t n, uint8_t seed)
{
    uint8_t *p = kmalloc(n);
    if (p)
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)(seed ^ i);
    return p;
}

static bool block_ok(const void *b, size_t n, uint8_t seed)
{
    const uint8_t *p = b;
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seed ^ i))
            return false;
    return true;
}

void tasktest_t_chan_async_fifo(void)
{
    struct channel *c;
    CHECK(channel_create(CHANNEL_ASYNC, 0, &c) == KE_INVAL, "ASYNC capacity 0 accepted");
    CHECK(channel_create(CHANNEL_RENDEZVOUS, 1, &c) == KE_INVAL, "RENDEZVOUS capacity 1 accepted");
    CHECK(channel_create(CHANNEL_ASYNC, 4097, &c) == KE_INVAL, "ASYNC capacity 4097 accepted");
    int e = channel_create(CHANNEL_ASYNC, 4, &c);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    struct channel_msg m = {0}, out;
    e = channel_try_recv(c, &out);
    CHECK(e == KE_AGAIN, "try_recv of an empty channel gave %s", tasktest_err(e));
    for (uint64_t i = 1; i <= 4; i++) {
        m.word = 100 + i;
        e = channel_try_send(c, &m);
        CHECK(e == 0, "try_send %llu: %s", (unsigned long long)i, tasktest_err(e));
    }
    CHECK(channel_queued(c) == 4, "%zu queued, expected 4", channel_queued(c));
    m.word = 999;
    e = channel_try_send(c, &m);
    CHECK(e == KE_AGAIN, "try_send to a full channel gave %s", tasktest_err(e));
    for (uint64_t i = 1; i <= 4; i++) {
        e = channel_recv(c, &out);
        CHECK(e == 0 && out.word == 100 + i && !out.block, "recv %llu: %s, word %llu",
              (unsigned long long)i, tasktest_err(e), (unsigned long long)out.word);
    }
    CHECK(channel_queued(c) == 0, "%zu still queued", channel_queued(c));
    channel_destroy(c);
}

/* Sends 1, 2, 3 on a capacity-2 channel: the third send must wait for room. */
static volatile int full_sent;

static int entry_full_sender(const void *arg, void *ret)
{
    for (uint64_t i = 1; i <= 3; i++) {
        struct channel_msg m = {i, 0};
        int e = channel_send(ch, &m);
        if (e)
            return e;
        full_sent = (int)i;
    }
    return 0;
}

void tasktest_t_chan_async_full(void)
{
    int e = channel_create(CHANNEL_ASYNC, 2, &ch);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    full_sent = 0;
    task_id_t id;
    struct task_result r;
    e = tasktest_spawn("tt_full", entry_full_sender, 0, 0, 0, 0, 0, &id);
    if (e) {
        channel_destroy(ch);
        REQUIRE(0, "spawn: %s", tasktest_err(e));
    }
    CHECK(tasktest_wait_blocked(id), "the sender never blocked");
    CHECK(full_sent == 2, "%d sends completed on a capacity-2 channel before anyone received",
          full_sent);
    CHECK(channel_queued(ch) == 2, "%zu queued", channel_queued(ch));
    struct channel_msg out;
    e = channel_recv(ch, &out);
    CHECK(e == 0 && out.word == 1, "first recv: %s, word %llu", tasktest_err(e),
          (unsigned long long)out.word);
    e = tasktest_join(id, &r);
    CHECK(e == 0 && r.how == TASK_RETURNED && r.status == 0,
          "the blocked sender after room was made: %s, %s, %s", tasktest_err(e),
          tasktest_how(r.how), tasktest_err(r.status));
    CHECK(full_sent == 3, "the third send did not complete");
    for (uint64_t w = 2; w <= 3; w++) {
        e = channel_recv(ch, &out);
        CHECK(e == 0 && out.word == w, "recv: %s, word %llu, expected %llu", tasktest_err(e),
              (unsigned long long)out.word, (unsigned long long)w);
    }
    channel_destroy(ch);
}

/* ---- rendezvous ---- */

#define RV_BLOCK 128
struct rv_ret {
    int send;
    size_t bytes_with_block, bytes_after_send;
};
static volatile int rv_returned;

static int entry_rv_sender(const void *arg, void *ret)
{
    struct rv_ret *o = ret;
    struct channel_msg m = {77, pattern_block(RV_BLOCK, 0x3c)};
    if (!m.block)
        return KE_NOMEM;
    o->bytes_with_block = tasktest_my_bytes();
    o->send = channel_send(ch, &m);
    rv_returned = 1;
    o->bytes_after_send = tasktest_my_bytes();
    if (o->send)
        kfree(m.block); /* a failed send gives the block back */
    return 0;
}

void tasktest_t_chan_rendezvous(void)
{
    int e = channel_create(CHANNEL_RENDEZVOUS, 0, &ch);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    struct channel_msg m = {5, 0}, out;
    e = channel_try_send(ch, &m);
    CHECK(e == KE_AGAIN, "try_send with no receiver waiting gave %s", tasktest_err(e));
    CHECK(channel_try_recv(ch, &out) == KE_AGAIN, "try_recv of an empty rendezvous channel");
    rv_returned = 0;
    task_id_t id;
    struct task_result r;
    e = tasktest_spawn("tt_rv", entry_rv_sender, 0, 0, sizeof(struct rv_ret), 0, 0, &id);
    if (e) {
        channel_destroy(ch);
        REQUIRE(0, "spawn: %s", tasktest_err(e));
    }
    CHECK(tasktest_wait_blocked(id), "the rendezvous sender never blocked");
    CHECK(!rv_returned, "channel_send returned before anyone received");
    CHECK(channel_queued(ch) == 1, "%zu queued (the slot)", channel_queued(ch));
    task_sleep_ns(TT_MS(20));
    CHECK(!rv_returned, "channel_send returned, 20 ms later, with nobody receiving");
    size_t mine0 = tasktest_my_bytes();
    e = channel_recv(ch, &out);
    CHECK(e == 0 && out.word == 77 && out.block, "recv: %s, word %llu", tasktest_err(e),
          (unsigned long long)out.word);
    CHECK(tasktest_my_bytes() - mine0 == TT_ROUND16(RV_BLOCK),
          "the receiver's charge grew by %zu, not by the block", tasktest_my_bytes() - mine0);
    CHECK(!out.block || block_ok(out.block, RV_BLOCK, 0x3c), "the block's contents changed");
    e = tasktest_join(id, &r);
    if (e == 0 && r.ret) {
        const struct rv_ret *o = r.ret;
        CHECK(r.status == 0 && o->send == 0, "the sender: status %s, send %s",
              tasktest_err(r.status), tasktest_err(o->send));
        CHECK(o->bytes_with_block - o->bytes_after_send == TT_ROUND16(RV_BLOCK),
              "the sender's charge fell by %zu after the send, not by the block",
              o->bytes_with_block - o->bytes_after_send);
        kfree(r.ret);
    } else {
        CHECK(0, "join of the sender: %s", tasktest_err(e));
    }
    CHECK(rv_returned, "the send never returned");
    kfree(out.block);
    channel_destroy(ch);
}

/* ---- close ---- */

void tasktest_t_chan_close_drain(void)
{
    int e = channel_create(CHANNEL_ASYNC, 4, &ch);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    struct channel_msg m1 = {1, pattern_block(64, 1)}, m2 = {2, 0}, out;
    REQUIRE(m1.block, "out of memory");
    CHECK(channel_send(ch, &m1) == 0 && channel_send(ch, &m2) == 0, "sends failed");
    channel_close(ch);
    channel_close(ch); /* harmless */
    e = channel_send(ch, &m2);
    CHECK(e == KE_CLOSED, "send after close gave %s", tasktest_err(e));
    e = channel_try_send(ch, &m2);
    CHECK(e == KE_CLOSED, "try_send after close gave %s", tasktest_err(e));
    e = channel_recv(ch, &out);
    CHECK(e == 0 && out.word == 1 && out.block && block_ok(out.block, 64, 1),
          "drain 1: %s, word %llu", tasktest_err(e), (unsigned long long)out.word);
    if (e == 0)
        kfree(out.block);
    e = channel_recv(ch, &out);
    CHECK(e == 0 && out.word == 2, "drain 2: %s, word %llu", tasktest_err(e),
          (unsigned long long)out.word);
    e = channel_recv(ch, &out);
    CHECK(e == KE_CLOSED, "recv of a closed, drained channel gave %s", tasktest_err(e));
    e = channel_try_recv(ch, &out);
    CHECK(e == KE_CLOSED, "try_recv of a closed, drained channel gave %s", tasktest_err(e));
    channel_destroy(ch);
}

static int entry_receiver(const void *arg, void *ret)
{
    struct channel_msg out;
    int e = channel_recv(ch, &out);
    if (e == 0)
        kfree(out.block);
    return e;
}

void tasktest_t_chan_close_wakes(void)
{
    /* A receiver blocked on an empty channel gets KE_CLOSED. */
    int e = channel_create(CHANNEL_ASYNC, 2, &ch);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    task_id_t id;
    struct task_result r;
    e = tasktest_spawn("tt_recv", entry_receiver, 0, 0, 0, 0, 0, &id);
    if (e == 0) {
        CHECK(tasktest_wait_blocked(id), "the receiver never blocked");
        channel_close(ch);
        e = tasktest_join(id, &r);
        CHECK(e == 0 && r.status == KE_CLOSED, "the blocked receiver got %s, not KE_CLOSED",
              tasktest_err(r.status));
    } else {
        CHECK(0, "spawn: %s", tasktest_err(e));
    }
    channel_destroy(ch);

    /* A rendezvous sender waiting for the take gets KE_CLOSED and its block back. */
    e = channel_create(CHANNEL_RENDEZVOUS, 0, &ch);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    rv_returned = 0;
    e = tasktest_spawn("tt_rv_closed", entry_rv_sender, 0, 0, sizeof(struct rv_ret), 0, 0, &id);
    if (e) {
        channel_destroy(ch);
        REQUIRE(0, "spawn: %s", tasktest_err(e));
    }
    CHECK(tasktest_wait_blocked(id), "the rendezvous sender never blocked");
    channel_close(ch);
    e = tasktest_join(id, &r);
    if (e == 0 && r.ret) {
        const struct rv_ret *o = r.ret;
        CHECK(o->send == KE_CLOSED, "the waiting sender got %s, not KE_CLOSED",
              tasktest_err(o->send));
        CHECK(o->bytes_after_send == o->bytes_with_block,
              "after the failed send the sender owns %zu bytes, %zu before: the block did not "
              "come back",
              o->bytes_after_send, o->bytes_with_block);
        kfree(r.ret);
    } else {
        CHECK(0, "join of the sender: %s", tasktest_err(e));
    }
    struct channel_msg out;
    e = channel_try_recv(ch, &out);
    CHECK(e == KE_CLOSED, "the retracted message could still be received (%s)", tasktest_err(e));
    channel_destroy(ch);
}

/* ---- ownership: sender -> core -> receiver ---- */

#define OWN_BLOCK 200
struct own_ret {
    int recv;
    uint64_t word;
    int contents_ok;
    size_t before, after, after_free;
};

static int entry_own_receiver(const void *arg, void *ret)
{
    struct own_ret *o = ret;
    struct channel_msg out = {0};
    o->before = tasktest_my_bytes();
    o->recv = channel_recv(ch, &out);
    o->after = tasktest_my_bytes();
    o->word = out.word;
    o->contents_ok = out.block && block_ok(out.block, OWN_BLOCK, 0x77);
    kfree(out.block);
    o->after_free = tasktest_my_bytes();
    return 0;
}

void tasktest_t_chan_ownership(void)
{
    int e = channel_create(CHANNEL_ASYNC, 4, &ch);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    size_t mine0 = tasktest_my_bytes();
    void *b = pattern_block(OWN_BLOCK, 0x77);
    if (!b) {
        channel_destroy(ch);
        REQUIRE(0, "out of memory");
    }
    size_t mine1 = tasktest_my_bytes(), core1 = tasktest_owner_bytes(OWNER_CORE);
    CHECK(mine1 - mine0 == TT_ROUND16(OWN_BLOCK), "kmalloc charged %zu bytes to the sender",
          mine1 - mine0);
    struct channel_msg m = {9, b};
    e = channel_send(ch, &m);
    size_t mine2 = tasktest_my_bytes(), core2 = tasktest_owner_bytes(OWNER_CORE);
    CHECK(e == 0, "send: %s", tasktest_err(e));
    CHECK(mine2 == mine0, "after the send the sender still owns %zu bytes of it", mine2 - mine0);
    CHECK(core2 - core1 == TT_ROUND16(OWN_BLOCK),
          "the core's charge grew by %zu, not by the "
          "queued block",
          core2 - core1);
    task_id_t id;
    struct task_result r;
    e = tasktest_spawn("tt_own", entry_own_receiver, 0, 0, sizeof(struct own_ret), 0, 0, &id);
    if (e) {
        channel_destroy(ch);
        REQUIRE(0, "spawn: %s", tasktest_err(e));
    }
    e = tasktest_join(id, &r);
    if (e == 0 && r.ret) {
        const struct own_ret *o = r.ret;
        CHECK(o->recv == 0 && o->word == 9, "recv: %s, word %llu", tasktest_err(o->recv),
              (unsigned long long)o->word);
        CHECK(o->contents_ok, "the receiver saw other contents");
        CHECK(o->after - o->before == TT_ROUND16(OWN_BLOCK),
              "the receiver's charge grew by %zu, not by the block", o->after - o->before);
        CHECK(o->after_free == o->before, "the receiver's kfree left %zu bytes",
              o->after_free - o->before);
        kfree(r.ret);
    } else {
        CHECK(0, "join: %s", tasktest_err(e));
    }
    CHECK(tasktest_owner_bytes(OWNER_CORE) == core1,
          "the core holds %zu bytes, %zu before the "
          "send",
          tasktest_owner_bytes(OWNER_CORE), core1);
    channel_destroy(ch);
}

void tasktest_t_chan_destroy_frees(void)
{
    size_t heap0 = tasktest_heap_in_use();
    int e = channel_create(CHANNEL_ASYNC, 8, &ch);
    REQUIRE(e == 0, "create: %s", tasktest_err(e));
    int sent = 0;
    for (int i = 0; i < 3; i++) {
        struct channel_msg m = {(uint64_t)i, pattern_block(300, (uint8_t)i)};
        if (m.block && channel_send(ch, &m) == 0)
            sent++;
        else
            kfree(m.block);
    }
    CHECK(sent == 3, "only %d of 3 sends succeeded", sent);
    CHECK(tasktest_heap_in_use() > heap0, "the queued blocks are not on the heap");
    channel_destroy(ch);
    CHECK(tasktest_heap_in_use() == heap0,
          "heap %zu after destroying a channel with 3 blocks "
          "queued, %zu before it was created",
          tasktest_heap_in_use(), heap0);
}
