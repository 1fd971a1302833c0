/* Judging a run and saying what it did. Every count that the run's shape fixes is compared
 * exactly: in --rounds mode with the number of workers times the rounds times the work per
 * round, in --seconds mode with the rounds the workers say they did; what went in must have come
 * out (messages, items, checksums, increments, counter calls); the things that must never happen
 * must have happened zero times; and the heap, the frames outside it and the task count must be
 * back where they were. */
#include <stdarg.h>
#include <keel/console.h>
#include <keel/format.h>
#include "commands/smpstress/ss_report.h"

static __attribute__((format(printf, 2, 3))) void fail(struct ss_outcome *o, const char *fmt, ...)
{
    if (o->nreasons < SS_REASONS) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(o->reasons[o->nreasons], SS_REASON_SIZE, fmt, ap);
        va_end(ap);
    }
    o->nreasons++;
}

/* The exact count a kind's workers must reach with per units of work a round. */
static uint64_t expect(const struct ss_outcome *o, enum ss_kind k, uint64_t per)
{
    if (o->args->rounds)
        return (uint64_t)o->run->plan.of_kind[k] * o->args->rounds * per;
    return o->rounds_of[k] * per;
}

static void check_eq(struct ss_outcome *o, const char *what, uint64_t got, uint64_t want)
{
    if (got != want)
        fail(o, "%s: %llu, expected %llu", what, (unsigned long long)got, (unsigned long long)want);
}

static void check_zero(struct ss_outcome *o, const char *what, uint64_t n)
{
    if (n)
        fail(o, "%llu %s", (unsigned long long)n, what);
}

static void sum_workers(struct ss_outcome *o)
{
    const struct ss_plan *p = &o->run->plan;
    for (unsigned i = 0; i < p->n; i++) {
        const struct ss_worker *w = &p->w[i];
        if (!w->joined)
            continue;
        smpstress_counts_add(&o->total, &w->ret.c);
        o->rounds_of[w->job.kind] += w->ret.rounds;
        if (w->job.kind == SS_YIELDER && w->job.cpu < SS_CPUS) {
            o->yields_on[w->job.cpu] += w->ret.c.yields;
            o->no_handover_on[w->job.cpu] += w->ret.c.no_handover;
        }
    }
}

static void check_rounds(struct ss_outcome *o)
{
    static const enum ss_kind kinds[] = {SS_SPAWNER,  SS_SENDER,  SS_HEAP,    SS_LOCKER,
                                         SS_PRODUCER, SS_YIELDER, SS_SLEEPER, SS_CALLER};
    if (!o->args->rounds)
        return;
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char what[48];
        ksnprintf(what, sizeof(what), "rounds of the %ss", smpstress_kind_name(kinds[i]));
        check_eq(o, what, o->rounds_of[kinds[i]], expect(o, kinds[i], 1));
    }
}

static void check_counts(struct ss_outcome *o)
{
    const struct ss_counts *t = &o->total;
    check_eq(o, "children spawned", t->spawned, expect(o, SS_SPAWNER, SS_SPAWN_WIDTH));
    check_eq(o, "children joined", t->joined, t->spawned);
    check_eq(o, "messages sent", t->sent, expect(o, SS_SENDER, SS_MSGS_PER_ROUND));
    check_eq(o, "messages received", t->received, t->sent);
    check_eq(o, "checksum of the messages received", t->recv_sum, t->sent_sum);
    check_eq(o, "heap operations", t->heap_ops, expect(o, SS_HEAP, SS_HEAP_OPS));
    check_eq(o, "blocks freed", t->frees, t->allocs);
    check_eq(o, "increments", t->incs, expect(o, SS_LOCKER, SS_INCS_PER_ROUND));
    check_eq(o, "the mutex-protected counter", o->lock_counter, t->incs);
    check_eq(o, "items put", t->put, expect(o, SS_PRODUCER, SS_ITEMS_PER_ROUND));
    check_eq(o, "items taken", t->got, t->put);
    check_eq(o, "sum of the items taken", t->got_sum, t->put_sum);
    check_eq(o, "sleeps", t->sleeps, expect(o, SS_SLEEPER, 1));
    if (o->swaps) {
        check_eq(o, "counter calls", t->calls, expect(o, SS_CALLER, SS_CALLS_PER_ROUND));
        check_eq(o, "the counter's growth", o->counter_after - o->counter_before, t->calls);
        if (t->swaps < 2 || t->swaps % 2)
            fail(o, "%llu swaps, expected an even number, at least 2",
                 (unsigned long long)t->swaps);
    }
    if (t->no_handover) {
        char where[96] = "";
        size_t at = 0;
        for (unsigned c = 0; c < SS_CPUS && at < sizeof(where); c++)
            if (o->no_handover_on[c])
                at +=
                    (size_t)ksnprintf(where + at, sizeof(where) - at, "%sCPU %u: %llu",
                                      at ? ", " : "", c, (unsigned long long)o->no_handover_on[c]);
        fail(o, "%llu yields without a handover (%s)", (unsigned long long)t->no_handover, where);
    }
    check_zero(o, "children ended badly or returned a wrong value", t->child_bad);
    check_zero(o, "pinned children ran off their CPU", t->affinity_bad);
    check_zero(o, "messages out of sequence", t->seq_bad);
    check_zero(o, "messages with a bad checksum or payload", t->sum_bad);
    check_zero(o, "heap blocks corrupted", t->corrupt);
    check_zero(o, "allocations, spawns or messages refused", t->refused);
    check_zero(o, "mutexes reported a dead owner", t->ownerdead);
    check_zero(o, "sleeps returned early", t->early);
    check_zero(o, "times the semaphore let too many in", t->gate_bad);
    check_zero(o, "counter values out of order", t->out_of_order);
}

static void check_workers(struct ss_outcome *o)
{
    const struct ss_plan *p = &o->run->plan;
    if (o->run->spawn_failed)
        fail(o, "%u workers not spawned: %s", o->run->spawn_failed, o->run->spawn_why);
    for (unsigned i = 0; i < p->n; i++) {
        const struct ss_worker *w = &p->w[i];
        if (!w->id || (w->joined && !w->ret.status))
            continue;
        char cpu[16];
        if (w->job.cpu == SS_ANY_CPU)
            ksnprintf(cpu, sizeof(cpu), "any CPU");
        else
            ksnprintf(cpu, sizeof(cpu), "CPU %u", w->job.cpu);
        fail(o, "%s %u (%s): %s", smpstress_kind_name(w->job.kind), w->job.index, cpu,
             w->joined ? w->ret.why : "not joined");
    }
}

static void check_leak(struct ss_outcome *o)
{
    if (o->settle_looks)
        return;
    const struct ss_mem *a = &o->before, *b = &o->after;
    if (a->kept || b->kept) {
        fail(o, "leak check not comparable: %llu retired versions referenced before, %llu after",
             (unsigned long long)a->kept, (unsigned long long)b->kept);
        return;
    }
    fail(o,
         "leak: heap %llu -> %llu bytes, frames outside the heap %llu -> %llu KiB, tasks "
         "%llu -> %llu",
         (unsigned long long)a->heap, (unsigned long long)b->heap,
         (unsigned long long)(a->outside / 1024), (unsigned long long)(b->outside / 1024),
         (unsigned long long)a->tasks, (unsigned long long)b->tasks);
}

bool smpstress_judge(struct ss_outcome *o)
{
    sum_workers(o);
    check_rounds(o);
    check_counts(o);
    check_workers(o);
    check_leak(o);
    return o->nreasons == 0;
}

/* ---- the summary ---- */

static void print_text(const struct ss_outcome *o)
{
    const struct ss_counts *t = &o->total;
    const struct ss_plan *p = &o->run->plan;
    uint64_t ms = o->elapsed_ns / 1000000;
    kprintf("  spawn:    %llu tasks spawned and joined by %u spawners; %llu started off their "
            "spawner's CPU, %llu moved while running\n",
            (unsigned long long)t->joined, p->of_kind[SS_SPAWNER], (unsigned long long)t->elsewhere,
            (unsigned long long)t->moved);
    kprintf("  channels: %llu messages over %u pair%s (%llu bytes of payload), %llu out of "
            "sequence, %llu bad\n",
            (unsigned long long)t->received, p->of_kind[SS_SENDER],
            p->of_kind[SS_SENDER] == 1 ? "" : "s", (unsigned long long)t->msg_bytes,
            (unsigned long long)t->seq_bad, (unsigned long long)t->sum_bad);
    kprintf("  heap:     %llu operations, %llu blocks (%llu bytes) allocated and freed, %llu "
            "corrupted\n",
            (unsigned long long)t->heap_ops, (unsigned long long)t->allocs,
            (unsigned long long)t->heap_bytes, (unsigned long long)t->corrupt);
    kprintf("  mutex:    counter %llu after %llu increments by %u lockers\n",
            (unsigned long long)o->lock_counter, (unsigned long long)t->incs,
            p->of_kind[SS_LOCKER]);
    kprintf("  buffer:   %llu items put, %llu taken, sums %s\n", (unsigned long long)t->put,
            (unsigned long long)t->got, t->put_sum == t->got_sum ? "equal" : "DIFFER");
    kprintf("  yield:    %llu yields checked, %llu without a handover (",
            (unsigned long long)t->yields, (unsigned long long)t->no_handover);
    for (unsigned c = 0; c < p->pinned_cpus; c++)
        kprintf("%sCPU %u: %llu of %llu", c ? ", " : "", c,
                (unsigned long long)o->no_handover_on[c], (unsigned long long)o->yields_on[c]);
    kprintf(")\n");
    kprintf("  sleep:    %llu sleeps, %llu early; at most %llu of %u inside the semaphore\n",
            (unsigned long long)t->sleeps, (unsigned long long)t->early,
            (unsigned long long)t->gate_max, smpstress_sleep_gate());
    if (o->swaps) {
        kprintf("  counter:  %llu calls by %u callers, counter %llu -> %llu, %llu out of order\n",
                (unsigned long long)t->calls, p->of_kind[SS_CALLER],
                (unsigned long long)o->counter_before, (unsigned long long)o->counter_after,
                (unsigned long long)t->out_of_order);
        kprintf("  swaps:    %llu swaps of counter (%llu refused and retried); longest %llu us, "
                "stop-the-world %llu us\n",
                (unsigned long long)t->swaps, (unsigned long long)t->swap_refused,
                (unsigned long long)(t->swap_max_ns / 1000),
                (unsigned long long)(t->stw_max_ns / 1000));
    } else {
        kprintf("  swaps:    none (%s)\n", o->swap_note[0] ? o->swap_note : "--no-swap");
    }
    kprintf("  leak check: heap %llu -> %llu bytes, frames outside the heap %llu -> %llu KiB, "
            "tasks %llu -> %llu: %s\n",
            (unsigned long long)o->before.heap, (unsigned long long)o->after.heap,
            (unsigned long long)(o->before.outside / 1024),
            (unsigned long long)(o->after.outside / 1024), (unsigned long long)o->before.tasks,
            (unsigned long long)o->after.tasks, o->settle_looks ? "no leak" : "LEAK");
    kprintf("  time:     %llu.%03llu s\n", (unsigned long long)(ms / 1000),
            (unsigned long long)(ms % 1000));
}

/* One member of the counts object: "name": value, after a comma unless it is the first. */
static void json_count(bool *first, const char *name, uint64_t value)
{
    kprintf("%s\"%s\": %llu", *first ? "" : ", ", name, (unsigned long long)value);
    *first = false;
}

static void print_json(const struct ss_outcome *o, bool pass)
{
    const struct ss_counts *t = &o->total;
    const struct ss_plan *p = &o->run->plan;
    kprintf("{\"smpstress\": {\"cpus\": %u, \"pinned_cpus\": %u, \"workers\": %u, \"seed\": %llu, "
            "\"rounds\": %u, \"seconds\": %u, \"swaps_on\": %s, \"elapsed_ns\": %llu, ",
            o->ncpus, p->pinned_cpus, p->n, (unsigned long long)o->args->seed, o->args->rounds,
            o->args->seconds, o->swaps ? "true" : "false", (unsigned long long)o->elapsed_ns);
    kprintf("\"of_kind\": {");
    for (unsigned k = 0; k < SS_KINDS; k++)
        kprintf("%s\"%s\": %u", k ? ", " : "", smpstress_kind_name((enum ss_kind)k), p->of_kind[k]);
    kprintf("}, \"rounds_of\": {");
    for (unsigned k = 0; k < SS_KINDS; k++)
        kprintf("%s\"%s\": %llu", k ? ", " : "", smpstress_kind_name((enum ss_kind)k),
                (unsigned long long)o->rounds_of[k]);
    kprintf("}, \"counts\": {");
#define SS_JSON(name, how) json_count(&first, #name, t->name);
    bool first = true;
    SS_COUNTS(SS_JSON)
#undef SS_JSON
    kprintf("}, \"no_handover_on\": [");
    for (unsigned c = 0; c < p->pinned_cpus; c++)
        kprintf("%s%llu", c ? ", " : "", (unsigned long long)o->no_handover_on[c]);
    kprintf("], \"lock_counter\": %llu, \"counter_before\": %llu, \"counter_after\": %llu, ",
            (unsigned long long)o->lock_counter, (unsigned long long)o->counter_before,
            (unsigned long long)o->counter_after);
    kprintf("\"leak\": {\"heap_before\": %llu, \"heap_after\": %llu, \"outside_before\": %llu, "
            "\"outside_after\": %llu, \"tasks_before\": %llu, \"tasks_after\": %llu, \"kept\": "
            "%llu, \"leak\": %s}, ",
            (unsigned long long)o->before.heap, (unsigned long long)o->after.heap,
            (unsigned long long)o->before.outside, (unsigned long long)o->after.outside,
            (unsigned long long)o->before.tasks, (unsigned long long)o->after.tasks,
            (unsigned long long)(o->before.kept + o->after.kept),
            o->settle_looks ? "false" : "true");
    kprintf("\"pass\": %s, \"failures\": %u}}\n", pass ? "true" : "false", o->nreasons);
}

void smpstress_report(const struct ss_outcome *o)
{
    bool pass = o->nreasons == 0;
    print_text(o);
    for (unsigned i = 0; i < o->nreasons && i < SS_REASONS; i++)
        kprintf("  FAIL: %s\n", o->reasons[i]);
    if (o->nreasons > SS_REASONS)
        kprintf("  FAIL: ... and %u more\n", o->nreasons - SS_REASONS);
    if (o->args->json)
        print_json(o, pass);
    if (pass)
        kprintf("smpstress: PASS\n");
    else
        kprintf("smpstress: FAIL: %s\n", o->reasons[0]);
}
