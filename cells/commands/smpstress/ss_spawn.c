/* Spawners: each round starts SS_SPAWN_WIDTH short children — half of them pinned to a CPU drawn
 * from the seed, the others free to run and move anywhere — and joins them in spawn order, with
 * task_join, task_join_timeout or task_try_join in turn. A child folds its argument words into
 * one value (in a heap buffer of its own, sometimes), may yield or sleep in the middle, and says
 * on which CPUs it started and ended; the spawner checks the value and that a pinned child never
 * left its CPU. With spawners on every CPU at once, spawns, starts, ends and joins of tasks cross
 * between CPUs all the time. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include "commands/smpstress/ss.h"

#define CHILD_WORDS 8

enum { CHILD_ALLOC = 1u, CHILD_YIELD = 2u, CHILD_SLEEP = 4u };

struct child_arg {
    uint64_t words[CHILD_WORDS];
    uint32_t pin;  /* CPU or SS_ANY_CPU */
    uint32_t what; /* CHILD_* */
};

struct child_ret {
    uint64_t value;
    uint32_t cpu_start, cpu_end;
};

/* The value a child must return for its argument (the spawner computes it too). */
static uint64_t child_value(const struct child_arg *a)
{
    uint64_t v = a->what;
    for (unsigned i = 0; i < CHILD_WORDS; i++)
        v = ss_mix(v ^ a->words[i]) + i;
    return v;
}

static int child_main(const void *arg, void *ret)
{
    const struct child_arg *a = arg;
    struct child_ret *out = ret;
    out->cpu_start = cpu_self();
    if (a->what & CHILD_ALLOC) {
        /* The same fold through memory of the child's own: freed by hand here, and by the core
         * anyway if the child died first. */
        uint64_t *w = kmalloc(sizeof(a->words));
        if (!w)
            return KE_NOMEM;
        memcpy(w, a->words, sizeof(a->words));
        uint64_t v = a->what;
        for (unsigned i = 0; i < CHILD_WORDS; i++)
            v = ss_mix(v ^ w[i]) + i;
        kfree(w);
        out->value = v;
    } else {
        out->value = child_value(a);
    }
    if (a->what & CHILD_YIELD)
        task_yield();
    if (a->what & CHILD_SLEEP)
        task_sleep_ns(20 * 1000);
    out->cpu_end = cpu_self();
    return 0;
}

/* Join ids[i] in the i-th of three ways. KE_KILLED passes through. */
static int join_one(task_id_t id, unsigned way, struct task_result *res)
{
    if (way == 0)
        return task_join(id, res);
    if (way == 1)
        return task_join_timeout(id, 60ull * 1000 * 1000 * 1000, res);
    for (;;) {
        int r = task_try_join(id, res);
        if (r != KE_AGAIN)
            return r;
        task_yield();
    }
}

/* Check one joined child against what it was given. */
static void check_child(struct ss_ret *r, const struct child_arg *a, const struct task_result *res,
                        unsigned spawner_cpu)
{
    const struct child_ret *cr = res->ret;
    r->c.joined++;
    if (res->how != TASK_RETURNED || res->status != 0 || !cr) {
        r->c.child_bad++;
        ss_fail(r, SS_WRONG, "a child ended badly (how %d, status %d)", res->how, res->status);
        return;
    }
    if (cr->value != child_value(a)) {
        r->c.child_bad++;
        ss_fail(r, SS_WRONG, "a child returned %llx, not %llx", (unsigned long long)cr->value,
                (unsigned long long)child_value(a));
    }
    if (a->pin != SS_ANY_CPU && (cr->cpu_start != a->pin || cr->cpu_end != a->pin)) {
        r->c.affinity_bad++;
        ss_fail(r, SS_WRONG, "a child pinned to CPU %u ran on CPUs %u and %u", a->pin,
                cr->cpu_start, cr->cpu_end);
    }
    r->c.elsewhere += cr->cpu_start != spawner_cpu;
    r->c.moved += cr->cpu_start != cr->cpu_end;
}

/* After a kill: the children started are killed and left to be reaped (a killed task cannot
 * wait for them). */
static void abandon(const task_id_t *ids, unsigned from, unsigned n)
{
    for (unsigned i = from; i < n; i++) {
        task_kill(ids[i]);
        task_detach(ids[i]);
    }
}

int smpstress_spawner(const void *arg, void *ret)
{
    const struct ss_job *job = arg;
    struct ss_ret *r = ret;
    struct ss_rng rng = ss_rng_of(job);
    unsigned ncpus = job->ncpus < SS_CPUS ? job->ncpus : SS_CPUS;
    struct child_arg args[SS_SPAWN_WIDTH];
    task_id_t ids[SS_SPAWN_WIDTH];
    for (r->rounds = 0; ss_more(job, r->rounds); r->rounds++) {
        unsigned started = 0, here = cpu_self();
        for (; started < SS_SPAWN_WIDTH; started++) {
            struct child_arg *a = &args[started];
            for (unsigned i = 0; i < CHILD_WORDS; i++)
                a->words[i] = ss_next(&rng);
            uint64_t x = ss_next(&rng);
            a->pin = x & 1 ? (uint32_t)((x >> 8) % ncpus) : SS_ANY_CPU;
            a->what = (uint32_t)(x >> 32) & 7u;
            struct task_spec spec = {.name = "ss_child",
                                     .entry = child_main,
                                     .arg = a,
                                     .arg_size = sizeof(*a),
                                     .ret_size = sizeof(struct child_ret),
                                     .cpus = a->pin == SS_ANY_CPU ? 0 : 1u << a->pin};
            int e = task_spawn(&spec, &ids[started]);
            if (e) {
                r->c.refused++;
                ss_fail(r, e, "spawn: %s", keel_strerror(e));
                break;
            }
            r->c.spawned++;
        }
        for (unsigned i = 0; i < started; i++) {
            struct task_result res;
            int e = join_one(ids[i], (unsigned)(r->rounds + i) % 3, &res);
            if (e == KE_KILLED) {
                abandon(ids, i, started);
                return ss_fail(r, e, "killed");
            }
            if (e) {
                ss_fail(r, e, "join: %s", keel_strerror(e));
                continue;
            }
            check_child(r, &args[i], &res, here);
            kfree(res.ret);
        }
        if (r->status)
            return r->status;
    }
    return 0;
}
