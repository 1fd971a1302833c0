/* wl_pingpong: the rendezvous ping-pong workload (docs/workloads.md). The workload task and a
 * partner task share two rendezvous channels; each round the workload sends a word drawn from
 * the seed on "ping", the partner answers on "pong" with a function of it, and the digest folds
 * the answers. Closing "ping" ends the partner.
 *
 * Both ends check every message (the IPC faults of docs/fault-injection.md): the position in
 * the stream is the sequence number and the seed's stream the checksum — the partner draws the
 * same words, so a word equal to the previous one is a duplicate, the next one a loss, any other
 * a corruption; the workload checks each answer against the one it expects. A mismatch closes
 * both channels (the other end wakes with KE_CLOSED), and the workload task, once its partner is
 * joined and the channels are gone, faults on purpose (ud2) so that its restart runs the
 * workload again: a detected error is recovered, never folded into the digest.
 *
 * The workload task has a heartbeat (the workload command declares it): it beats on every
 * message, so a message that never comes (a lost one) is a hang the watchdog ends; its blocking
 * call returns KE_KILLED, it closes the channels (the partner ends), leaves the run to the next
 * start as stale, and the restart runs the workload again. */
#include <keel/cell.h>
#include <keel/channel.h>
#include <keel/log.h>
#include "workloads/wl.h"

struct pair {
    struct channel *ping, *pong;
    uint64_t seed;
};

#define WL_DETECTED (-1001) /* a lost, duplicated or corrupted message was seen */

/* The run a dead incarnation of the workload task left (it faulted inside a channel call): its
 * channels and partner, cleaned up by the next start. One pingpong run at a time. */
static struct pair stale;
static task_id_t stale_partner;

static void end_pair(struct pair *p)
{
    channel_close(p->ping);
    channel_close(p->pong);
}

static void clean_stale(void)
{
    if (!stale.ping)
        return;
    end_pair(&stale);
    struct task_result res;
    if (stale_partner) {
        task_kill(stale_partner); /* its work is moot; a partner stuck in cell code ends too */
        if (task_join(stale_partner, &res) == 0)
            kfree(res.ret);
    }
    channel_destroy(stale.pong);
    channel_destroy(stale.ping);
    stale.ping = stale.pong = NULL;
    stale_partner = 0;
}

static int partner_main(const void *arg, void *ret)
{
    const struct pair *p = arg;
    struct wl_rng rng = wl_rng_for(p->seed, 0x70696e67ull /* "ping" */);
    uint64_t answered = 0, prev = 0, want = wl_next(&rng);
    for (;;) {
        struct channel_msg m;
        int r = channel_recv(p->ping, &m);
        if (r == KE_CLOSED)
            break;
        if (r)
            return r;
        if (m.word != want) {
            struct wl_rng ahead = rng;
            const char *what = answered && m.word == prev  ? "duplicate"
                               : m.word == wl_next(&ahead) ? "lost"
                                                           : "corrupt";
            log_warn("wl_pingpong: message %llu %s", (unsigned long long)answered + 1, what);
            end_pair((struct pair *)p);
            return WL_DETECTED;
        }
        prev = want;
        want = wl_next(&rng);
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
    clean_stale();
    struct pair p = {.seed = a->seed};
    bool detected = false;
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
    if (!r) {
        stale = p;
        stale_partner = partner;
    }
    if (r)
        ksnprintf(why, why_size, "setting up: %s", keel_strerror(r));
    for (uint32_t round = 0; !r && round < a->rounds; round++) {
        uint64_t word = wl_next(&rng);
        struct channel_msg m = {.word = word, .block = NULL};
        r = channel_send(p.ping, &m);
        task_heartbeat();
        if (!r)
            r = channel_recv(p.pong, &m);
        task_heartbeat();
        if (!r && m.word != wl_mix(word) + round) {
            log_warn("wl_pingpong: answer %u corrupt or out of order", round + 1);
            end_pair(&p);
            r = WL_DETECTED;
            detected = true;
        }
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
        if (j == KE_KILLED)
            return r; /* ended (killed, or hung): the next start joins the partner (stale) */
        if (!j) {
            detected = detected || (res.how == TASK_RETURNED && res.status == WL_DETECTED);
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
    stale.ping = stale.pong = NULL;
    stale_partner = 0;
    if (detected)
        __builtin_trap(); /* everything is released: the restart runs the workload again */
    return r;
}

int wl_pingpong_main(const void *arg, void *ret)
{
    return wl_run(arg, ret, pingpong_body);
}

/* The whole ladder: a fault that a restart does not cure reloads the cell, then its dependents,
 * then gives it up (docs/fault-injection.md, "The recovery ladder"). */
KEEL_CELL(.name = "wl_pingpong", .version = KEEL_CELL_VERSION, .recovery_top = KEEL_RUNG_GIVE_UP);
