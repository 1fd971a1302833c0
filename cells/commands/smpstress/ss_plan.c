/* The workers of a run. Most kinds have one worker pinned to each CPU (pairs to a CPU and the
 * next) and one or two left free to run anywhere, so that the scheduler both keeps tasks where
 * they are told and moves the others between CPUs. */
#include <keel/string.h>
#include "commands/smpstress/ss_plan.h"

static const char *const names[SS_KINDS] = {
    [SS_SPAWNER] = "spawner",   [SS_SENDER] = "sender",   [SS_RECEIVER] = "receiver",
    [SS_HEAP] = "heap",         [SS_LOCKER] = "locker",   [SS_PRODUCER] = "producer",
    [SS_CONSUMER] = "consumer", [SS_YIELDER] = "yielder", [SS_SLEEPER] = "sleeper",
    [SS_CALLER] = "caller",     [SS_SWAPPER] = "swapper",
};

const char *smpstress_kind_name(enum ss_kind k)
{
    return k < SS_KINDS ? names[k] : "?";
}

static void add(struct ss_plan *p, enum ss_kind kind, uint32_t cpu, uint32_t peer, uint32_t rounds,
                uint64_t seed)
{
    if (p->n >= SS_WORKERS_MAX)
        return; /* cannot happen: SS_WORKERS_MAX counts the most add() calls */
    struct ss_worker *w = &p->w[p->n++];
    memset(w, 0, sizeof(*w));
    unsigned index = p->of_kind[kind]++;
    /* A channel pair shares one seed: the receiver recomputes what its sender sent. */
    unsigned key = kind == SS_RECEIVER ? SS_SENDER : kind;
    w->job = (struct ss_job){.kind = kind,
                             .index = index,
                             .cpu = cpu,
                             .peer = peer,
                             .rounds = rounds,
                             .seed = ss_mix(seed ^ ((uint64_t)key << 32) ^ index)};
}

void smpstress_plan(struct ss_plan *p, unsigned ncpus, uint32_t rounds, uint64_t seed, bool swaps)
{
    unsigned n = ncpus < SS_CPUS ? ncpus : SS_CPUS;
    p->n = 0;
    p->pinned_cpus = n;
    memset(p->of_kind, 0, sizeof(p->of_kind));
    for (unsigned c = 0; c < n; c++) {
        unsigned next = (c + 1) % n;
        add(p, SS_SPAWNER, c, 0, rounds, seed);
        add(p, SS_RECEIVER, next, 0, rounds, seed); /* pair c: receiver first, then sender */
        add(p, SS_SENDER, c, next, rounds, seed);
        add(p, SS_HEAP, c, 0, rounds, seed);
        add(p, SS_LOCKER, c, 0, rounds, seed);
        add(p, SS_LOCKER, c, 0, rounds, seed);
        add(p, SS_CONSUMER, next, 0, rounds, seed);
        add(p, SS_PRODUCER, c, 0, rounds, seed);
        add(p, SS_YIELDER, c, 0, rounds, seed);
        add(p, SS_YIELDER, c, 0, rounds, seed);
        add(p, SS_SLEEPER, c, 0, rounds, seed);
        if (swaps)
            add(p, SS_CALLER, c, 0, rounds, seed);
    }
    add(p, SS_SPAWNER, SS_ANY_CPU, 0, rounds, seed);
    add(p, SS_HEAP, SS_ANY_CPU, 0, rounds, seed);
    add(p, SS_LOCKER, SS_ANY_CPU, 0, rounds, seed);
    add(p, SS_LOCKER, SS_ANY_CPU, 0, rounds, seed);
    add(p, SS_SLEEPER, SS_ANY_CPU, 0, rounds, seed);
    if (swaps) {
        add(p, SS_CALLER, SS_ANY_CPU, 0, rounds, seed);
        add(p, SS_SWAPPER, SS_ANY_CPU, 0, rounds, seed);
    }
    for (unsigned i = 0; i < p->n; i++)
        p->w[i].job.ncpus = ncpus;
    p->peak_tasks = p->n + p->of_kind[SS_SPAWNER] * SS_SPAWN_WIDTH;
}
