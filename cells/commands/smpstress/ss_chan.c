/* Channel pairs: a sender pinned to one CPU and its receiver pinned to the next, over a channel
 * of their own (asynchronous with a small ring, or rendezvous, by pair). Each message carries its
 * sequence number in the word and, most of the time, a heap block that moves from the sender to
 * the receiver: a header (the sequence number again, the length, a checksum) and a payload both
 * sides derive from the pair's seed and the sequence number. The receiver checks the order, the
 * header, every payload byte and the checksum, and frees the block; both sides sum the messages'
 * checksums so that the command can compare what went in with what came out. The sender closes
 * the channel after its last message; the receiver drains it to KE_CLOSED. */
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "commands/smpstress/ss.h"

#define PAYLOAD_MAX 480

struct msg_block {
    uint64_t seq, len, sum;
    uint8_t payload[];
};

/* The payload byte i of message seq of a pair (seed: the pair's, the same on both sides). */
static uint8_t payload_byte(uint64_t key, uint64_t i)
{
    return (uint8_t)(ss_mix(key + (i >> 3)) >> ((i & 7) * 8));
}

static uint64_t msg_key(uint64_t pair_seed, uint64_t seq)
{
    return ss_mix(pair_seed ^ (seq * 0x9e3779b97f4a7c15ull));
}

/* The checksum of a message: its sequence number, length and payload folded. */
static uint64_t msg_sum(uint64_t seq, const uint8_t *p, uint64_t len)
{
    uint64_t s = ss_mix(seq) ^ len;
    for (uint64_t i = 0; i < len; i++)
        s = (s << 5 | s >> 59) ^ p[i];
    return s;
}

/* The plan gives both sides of a pair the same job seed (ss_plan.c). */
static uint64_t pair_seed(const struct ss_job *job)
{
    return ss_mix(job->seed ^ 0x6368616eull /* "chan" */);
}

int smpstress_sender(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    struct ss_rng rng = ss_rng_of(job);
    uint64_t seed = pair_seed(job), seq = 0;
    for (r->rounds = 0; ss_more(job, r->rounds) && !r->status; r->rounds++) {
        for (unsigned m = 0; m < SS_MSGS_PER_ROUND; m++, seq++) {
            uint64_t x = ss_next(&rng);
            struct channel_msg msg = {.word = seq, .block = NULL};
            uint64_t sum = ss_mix(seq); /* a message without a block: its word alone */
            if (x & 3) {
                uint64_t len = (x >> 8) % (PAYLOAD_MAX + 1), key = msg_key(seed, seq);
                struct msg_block *b = kmalloc(sizeof(*b) + len);
                if (!b) {
                    r->c.refused++;
                    ss_fail(r, KE_NOMEM, "no memory for a %llu-byte message",
                            (unsigned long long)len);
                    break;
                }
                for (uint64_t i = 0; i < len; i++)
                    b->payload[i] = payload_byte(key, i);
                b->seq = seq;
                b->len = len;
                b->sum = sum = msg_sum(seq, b->payload, len);
                msg.block = b;
            }
            /* Now and then a try first: the path that fails fast when the ring is full or no
             * receiver waits. */
            int e = (x >> 40) % 4 == 0 ? channel_try_send(job->ch, &msg) : KE_AGAIN;
            if (e == KE_AGAIN)
                e = channel_send(job->ch, &msg);
            if (e) {
                kfree(msg.block); /* a failed send leaves the block with the sender */
                ss_fail(r, e, "send %llu: %s", (unsigned long long)seq, keel_strerror(e));
                break;
            }
            r->c.sent++;
            r->c.sent_sum += sum;
        }
    }
    /* The receiver drains what is queued, then sees KE_CLOSED: the end of the stream. */
    channel_close(job->ch);
    return r->status;
}

/* Check one received message; frees its block. */
static void check_msg(struct ss_ret *r, uint64_t seed, uint64_t want, const struct channel_msg *m)
{
    uint64_t sum = ss_mix(m->word);
    if (m->word != want) {
        r->c.seq_bad++;
        ss_fail(r, SS_WRONG, "message %llu arrived where %llu was due", (unsigned long long)m->word,
                (unsigned long long)want);
    }
    struct msg_block *b = m->block;
    if (b) {
        uint64_t key = msg_key(seed, m->word);
        bool ok = b->seq == m->word && b->len <= PAYLOAD_MAX &&
                  b->sum == msg_sum(b->seq, b->payload, b->len);
        for (uint64_t i = 0; ok && i < b->len; i++)
            ok = b->payload[i] == payload_byte(key, i);
        if (!ok) {
            r->c.sum_bad++;
            ss_fail(r, SS_WRONG, "message %llu: its block does not check (seq %llu, length %llu)",
                    (unsigned long long)m->word, (unsigned long long)b->seq,
                    (unsigned long long)b->len);
        }
        sum = b->sum;
        r->c.msg_bytes += b->len <= PAYLOAD_MAX ? b->len : 0;
        kfree(b);
    }
    r->c.recv_sum += sum;
}

int smpstress_receiver(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    struct ss_rng rng = ss_rng_of(job);
    uint64_t seed = pair_seed(job);
    for (;;) {
        struct channel_msg m;
        int e = ss_next(&rng) % 4 == 0 ? channel_try_recv(job->ch, &m) : KE_AGAIN;
        if (e == KE_AGAIN)
            e = channel_recv(job->ch, &m);
        if (e == KE_CLOSED)
            break;
        if (e) {
            channel_close(job->ch); /* the sender must not wait for room that never comes */
            return ss_fail(r, e, "receive: %s", keel_strerror(e));
        }
        check_msg(r, seed, r->c.received, &m);
        r->c.received++;
    }
    r->rounds = r->c.received;
    return r->status;
}
