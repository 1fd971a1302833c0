/* wl_pipeline: the async channel pipeline workload (docs/workloads.md). The workload task is the
 * source: each round it sends a word drawn from the seed into a chain of three stage tasks
 * joined by bounded async channels (capacity 4, so senders block and wake). Stages 1 and 2
 * transform each word; stage 3, the sink, folds what arrives, in order, into the digest it
 * returns. Closing a stage's input ends it once the input is drained, and it closes its output. */
#include <keel/cell.h>
#include <keel/channel.h>
#include "workloads/wl.h"

#define STAGES   3
#define CAPACITY 4

struct stage_arg {
    struct channel *in, *out; /* out NULL: the sink */
    uint64_t step;            /* 1..STAGES */
};

struct sink_ret {
    uint64_t digest, items;
};

/* The first stage's salt, read from memory (rodata) each time: a fault injected into it changes
 * the digest and nothing else — silent data corruption, known by construction
 * (tests/qemu/recovery_tests.py). */
static const volatile uint64_t pipe_salt = 0x5851f42d4c957f2dull;

static uint64_t transform(uint64_t step, uint64_t w)
{
    return step == 1 ? wl_mix(w) ^ pipe_salt : (w << 13 | w >> 51) + step;
}

static int stage_main(const void *arg, void *ret)
{
    const struct stage_arg *s = arg;
    struct sink_ret *sink = ret;
    int r;
    for (;;) {
        struct channel_msg m;
        r = channel_recv(s->in, &m);
        if (r)
            break;
        if (!s->out) {
            sink->digest = wl_fold(sink->digest, m.word);
            sink->items++;
            continue;
        }
        m.word = transform(s->step, m.word);
        r = channel_send(s->out, &m);
        if (r)
            break;
    }
    if (s->out)
        channel_close(s->out);
    return r == KE_CLOSED ? 0 : r;
}

static int pipeline_body(const struct wl_args *a, uint64_t *digest, char *why, size_t why_size)
{
    struct wl_rng rng = wl_rng_for(a->seed, 0x70697065ull /* "pipe" */);
    struct channel *ch[STAGES] = {0};
    task_id_t ids[STAGES] = {0};
    int r = 0;
    for (unsigned i = 0; !r && i < STAGES; i++)
        r = channel_create(CHANNEL_ASYNC, CAPACITY, &ch[i]);
    for (unsigned i = 0; !r && i < STAGES; i++) {
        struct stage_arg sa = {
            .in = ch[i], .out = i + 1 < STAGES ? ch[i + 1] : NULL, .step = i + 1};
        struct task_spec spec = {.name = "wl_pipeline.stage",
                                 .entry = stage_main,
                                 .arg = &sa,
                                 .arg_size = sizeof(sa),
                                 .ret_size = i + 1 < STAGES ? 0 : sizeof(struct sink_ret)};
        r = task_spawn(&spec, &ids[i]);
    }
    if (r)
        ksnprintf(why, why_size, "setting up: %s", keel_strerror(r));
    for (uint32_t round = 0; !r && round < a->rounds; round++) {
        task_heartbeat(); /* a round is progress (the watchdog, docs/workloads.md) */
        struct channel_msg m = {.word = wl_next(&rng), .block = NULL};
        r = channel_send(ch[0], &m);
        if (r)
            ksnprintf(why, why_size, "round %u: %s", round, keel_strerror(r));
    }
    /* Closing the first channel drains and ends the chain stage by stage; if setting up failed,
     * close them all so that every stage started ends. */
    for (unsigned i = 0; i < STAGES; i++)
        if (ch[i] && (i == 0 || r))
            channel_close(ch[i]);
    for (unsigned i = 0; i < STAGES; i++) {
        if (!ids[i])
            continue;
        struct task_result res;
        int j = task_join(ids[i], &res);
        if (j) {
            if (!r) {
                ksnprintf(why, why_size, "join: %s", keel_strerror(j));
                r = j;
            }
            continue;
        }
        if (!r && (res.how != TASK_RETURNED || res.status != 0)) {
            ksnprintf(why, why_size, "stage %u ended badly (how %d, status %d)", i + 1, res.how,
                      res.status);
            r = WL_FAILED;
        }
        if (!r && i + 1 == STAGES) {
            const struct sink_ret *s = res.ret;
            if (!s || s->items != a->rounds) {
                ksnprintf(why, why_size, "the sink saw %llu items of %u",
                          s ? (unsigned long long)s->items : 0ull, a->rounds);
                r = WL_FAILED;
            } else {
                *digest = s->digest;
            }
        }
        kfree(res.ret);
    }
    for (unsigned i = 0; i < STAGES; i++)
        if (ch[i])
            channel_destroy(ch[i]);
    return r;
}

int wl_pipeline_main(const void *arg, void *ret)
{
    return wl_run(arg, ret, pipeline_body);
}

/* The whole ladder: a fault that a restart does not cure reloads the cell, then its dependents,
 * then gives it up (docs/fault-injection.md, "The recovery ladder"). */
KEEL_CELL(.name = "wl_pipeline", .version = KEEL_CELL_VERSION, .recovery_top = KEEL_RUNG_GIVE_UP);
