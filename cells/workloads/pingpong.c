/* wl_pingpong: the rendezvous ping-pong workload (docs/workloads.md). The workload task and a
 * partner task share two rendezvous channels; each round the workload sends a word drawn from
 * the seed on "ping", the partner answers on "pong" with a function of it, and the digest folds
 * the answers. Closing "ping" ends the partner. */
#include <keel/cell.h>
#include <keel/channel.h>
#include "workloads/wl.h"

struct pair {
    struct channel *ping, *pong;
};

static int partner_main(const void *arg, void *ret)
{
    const struct pair *p = arg;
    uint64_t answered = 0;
    for (;;) {
        struct channel_msg m;
        int r = channel_recv(p->ping, &m);
        if (r == KE_CLOSED)
            break;
        if (r)
            return r;
        struct channel_msg reply = {.word = wl_mix(m.word) + answered, .block = NULL};
        r = channel_send(p->pong, &reply);
        if (r)
            return r;
        answered++;
    }
    *(uint64_t *)ret = answered;
    return 0;
}

static int pingpong_body(const struct wl_args *a, uint64_t *digest, char *why, size_t why_size)
{
    struct wl_rng rng = wl_rng_for(a->seed, 0x70696e67ull /* "ping" */);
    struct pair p = {0};
    int r = channel_create(CHANNEL_RENDEZVOUS, 0, &p.ping);
    if (!r)
        r = channel_create(CHANNEL_RENDEZVOUS, 0, &p.pong);
    task_id_t partner = 0;
    if (!r) {
        struct task_spec spec = {.name = "wl_pingpong.partner",
                                 .entry = partner_main,
                                 .arg = &p,
                                 .arg_size = sizeof(p),
                                 .ret_size = sizeof(uint64_t)};
        r = task_spawn(&spec, &partner);
    }
    if (r)
        ksnprintf(why, why_size, "setting up: %s", keel_strerror(r));
    for (uint32_t round = 0; !r && round < a->rounds; round++) {
        struct channel_msg m = {.word = wl_next(&rng), .block = NULL};
        r = channel_send(p.ping, &m);
        if (!r)
            r = channel_recv(p.pong, &m);
        if (r)
            ksnprintf(why, why_size, "round %u: %s", round, keel_strerror(r));
        else
            *digest = wl_fold(*digest, m.word);
    }
    if (p.ping)
        channel_close(p.ping); /* the partner's recv returns KE_CLOSED */
    if (partner) {
        struct task_result res;
        int j = task_join(partner, &res);
        if (!j) {
            if (!r && (res.how != TASK_RETURNED || res.status != 0 || !res.ret ||
                       *(uint64_t *)res.ret != a->rounds)) {
                ksnprintf(why, why_size, "the partner ended badly (how %d, status %d)", res.how,
                          res.status);
                r = WL_FAILED;
            }
            kfree(res.ret);
        } else if (!r) {
            ksnprintf(why, why_size, "join: %s", keel_strerror(j));
            r = j;
        }
    }
    if (p.pong)
        channel_destroy(p.pong);
    if (p.ping)
        channel_destroy(p.ping);
    return r;
}

int wl_pingpong_main(const void *arg, void *ret)
{
    return wl_run(arg, ret, pingpong_body);
}

KEEL_CELL(.name = "wl_pingpong", .version = KEEL_CELL_VERSION);
