/* Exhaustive SC / TSO / PSO machines for litmus programs (litmus_tso.h). The programs have at
 * most 4 threads of at most 3 operations, so a plain depth-first walk over every interleaving of
 * operations and buffer flushes is small (a few thousand paths). */
#include <string.h>
#include "litmus_tso.h"

#define INVALID_BIT (1u << 31)

struct state {
    unsigned pc[LITMUS_MAX_THREADS];
    struct {
        uint8_t loc, val;
    } sb[LITMUS_MAX_THREADS][LITMUS_MAX_OPS]; /* oldest first */
    unsigned nsb[LITMUS_MAX_THREADS];
    uint32_t mem[LITMUS_NLOCS];
    uint32_t reg[LITMUS_MAX_OBS];
};

static void finish(const struct litmus_test *t, const struct state *s, uint32_t *set)
{
    uint32_t values[LITMUS_MAX_OBS];
    for (unsigned k = 0; k < t->nobs; k++)
        values[k] = t->obs[k].kind == LITMUS_OBS_FINAL ? s->mem[t->obs[k].loc] : s->reg[k];
    int o = litmus_outcome_of(t, values);
    *set |= o < 0 ? INVALID_BIT : 1u << o;
}

/* Flush entry e of thread i's buffer to memory. */
static void flush(struct state *s, unsigned i, unsigned e)
{
    s->mem[s->sb[i][e].loc] = s->sb[i][e].val;
    memmove(&s->sb[i][e], &s->sb[i][e + 1], (s->nsb[i] - e - 1) * sizeof(s->sb[i][0]));
    s->nsb[i]--;
}

/* Whether thread i may execute its next operation now; if so, do it. */
static int execute(const struct litmus_test *t, struct state *s, unsigned i, enum litmus_machine m)
{
    const struct litmus_op *op = &t->threads[i].ops[s->pc[i]];
    switch (op->kind) {
    case LITMUS_STORE:
        if (m == MACHINE_SC) {
            s->mem[op->loc] = op->val;
        } else {
            s->sb[i][s->nsb[i]].loc = op->loc;
            s->sb[i][s->nsb[i]].val = op->val;
            s->nsb[i]++;
        }
        break;
    case LITMUS_LOAD: {
        uint32_t v = s->mem[op->loc];
        for (unsigned e = 0; e < s->nsb[i]; e++) /* the newest buffered store to it wins */
            if (s->sb[i][e].loc == op->loc)
                v = s->sb[i][e].val;
        s->reg[op->reg] = v;
        break;
    }
    case LITMUS_MFENCE:
        if (s->nsb[i])
            return 0;
        break;
    default:
        return 0;
    }
    s->pc[i]++;
    return 1;
}

static void walk(const struct litmus_test *t, const struct state *s, enum litmus_machine m,
                 uint32_t *set)
{
    int moved = 0;
    for (unsigned i = 0; i < t->nthreads; i++) {
        if (s->pc[i] < t->threads[i].nops) {
            struct state n = *s;
            if (execute(t, &n, i, m)) {
                moved = 1;
                walk(t, &n, m, set);
            }
        }
        for (unsigned e = 0; e < s->nsb[i]; e++) {
            /* TSO flushes the oldest entry only; PSO any entry with no older one to its
             * location. */
            int ok = e == 0;
            if (m == MACHINE_PSO) {
                ok = 1;
                for (unsigned f = 0; f < e; f++)
                    if (s->sb[i][f].loc == s->sb[i][e].loc)
                        ok = 0;
            }
            if (!ok)
                continue;
            struct state n = *s;
            flush(&n, i, e);
            moved = 1;
            walk(t, &n, m, set);
        }
    }
    if (!moved)
        finish(t, s, set);
}

uint32_t litmus_reachable(const struct litmus_test *t, enum litmus_machine m)
{
    struct state s;
    memset(&s, 0, sizeof(s));
    for (unsigned k = 0; k < LITMUS_MAX_OBS; k++)
        s.reg[k] = 0xffffffffu; /* a register no load wrote fits no outcome */
    uint32_t set = 0;
    walk(t, &s, m, &set);
    return set;
}

int litmus_serial_outcome(const struct litmus_test *t, const unsigned *order)
{
    struct state s;
    memset(&s, 0, sizeof(s));
    for (unsigned k = 0; k < LITMUS_MAX_OBS; k++)
        s.reg[k] = 0xffffffffu;
    for (unsigned j = 0; j < t->nthreads; j++)
        while (s.pc[order[j]] < t->threads[order[j]].nops)
            if (!execute(t, &s, order[j], MACHINE_SC))
                return -1;
    uint32_t set = 0;
    finish(t, &s, &set);
    for (int o = 0; o < 31; o++)
        if (set == 1u << o)
            return o;
    return -1;
}
