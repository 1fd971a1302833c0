/* The litmus tests' memory and their thread bodies (litmus_mem.h). Each body is the test's
 * program for one thread written as the exact instructions x86-TSO speaks of — plain mov stores
 * and loads, and mfence — in one asm statement, so the compiler can neither reorder, merge nor
 * split them; its "memory" clobber keeps the stores of the results after it. */
#include <keel/string.h>
#include "commands/litmus/litmus_mem.h"

#define UNWRITTEN 0xffffffffu

/* One location of one run, alone on its cache line: runs and locations never share a line, so
 * no false sharing couples two runs or x with y. */
struct line {
    uint32_t v;
} __attribute__((aligned(64)));

static struct line loc[LITMUS_NLOCS][LITMUS_BATCH];
/* obs[k][i]: observation k of run i. Each array is written by one thread only, and starts on a
 * cache line of its own (LITMUS_BATCH * 4 is a multiple of 64). */
static uint32_t obs[LITMUS_MAX_OBS][LITMUS_BATCH] __attribute__((aligned(64)));

#define X(i) (loc[0][i].v)
#define Y(i) (loc[1][i].v)

/* One store: T: loc = val. */
#define STORE1(name, L, val)                                                                       \
    static void name(uint32_t i)                                                                   \
    {                                                                                              \
        __asm__ volatile("movl $" #val ", %0" : "=m"(L(i)) : : "memory");                          \
    }

/* Two stores: T: L1 = v1; L2 = v2. */
#define STORE2(name, L1, v1, L2, v2)                                                               \
    static void name(uint32_t i)                                                                   \
    {                                                                                              \
        __asm__ volatile("movl $" #v1 ", %0\n\t"                                                   \
                         "movl $" #v2 ", %1"                                                       \
                         : "=m"(L1(i)), "=m"(L2(i))                                                \
                         :                                                                         \
                         : "memory");                                                              \
    }

/* Two loads: T: r<k1> = L1; r<k2> = L2. */
#define LOAD2(name, k1, L1, k2, L2)                                                                \
    static void name(uint32_t i)                                                                   \
    {                                                                                              \
        uint32_t a, b;                                                                             \
        __asm__ volatile("movl %2, %0\n\t"                                                         \
                         "movl %3, %1"                                                             \
                         : "=&r"(a), "=&r"(b)                                                      \
                         : "m"(L1(i)), "m"(L2(i))                                                  \
                         : "memory");                                                              \
        obs[k1][i] = a;                                                                            \
        obs[k2][i] = b;                                                                            \
    }

/* A store, then a load: T: S = 1; [mfence;] r<k> = L. */
#define STORE_LOAD(name, S, k, L, fence)                                                           \
    static void name(uint32_t i)                                                                   \
    {                                                                                              \
        uint32_t a;                                                                                \
        __asm__ volatile("movl $1, %1\n\t" fence "movl %2, %0"                                     \
                         : "=&r"(a), "=m"(S(i))                                                    \
                         : "m"(L(i))                                                               \
                         : "memory");                                                              \
        obs[k][i] = a;                                                                             \
    }

/* A load, then a store: T: r<k> = L; S = 1. */
#define LOAD_STORE(name, k, L, S)                                                                  \
    static void name(uint32_t i)                                                                   \
    {                                                                                              \
        uint32_t a;                                                                                \
        __asm__ volatile("movl %2, %0\n\t"                                                         \
                         "movl $1, %1"                                                             \
                         : "=&r"(a), "=m"(S(i))                                                    \
                         : "m"(L(i))                                                               \
                         : "memory");                                                              \
        obs[k][i] = a;                                                                             \
    }

/* The programs of litmus_model.c, thread by thread. */
STORE2(mp_t0, X, 1, Y, 1)
LOAD2(mp_t1, 0, Y, 1, X)
STORE_LOAD(sb_t0, X, 0, Y, "")
STORE_LOAD(sb_t1, Y, 1, X, "")
STORE_LOAD(sbf_t0, X, 0, Y, "mfence\n\t")
STORE_LOAD(sbf_t1, Y, 1, X, "mfence\n\t")
LOAD_STORE(lb_t0, 0, X, Y)
LOAD_STORE(lb_t1, 1, Y, X)
STORE1(corr_t0, X, 1)
LOAD2(corr_t1, 0, X, 1, X)
STORE2(w22_t0, X, 1, Y, 2)
STORE2(w22_t1, Y, 1, X, 2)
STORE1(iriw_t0, X, 1)
STORE1(iriw_t1, Y, 1)
LOAD2(iriw_t2, 0, X, 1, Y)
LOAD2(iriw_t3, 2, Y, 3, X)

static const struct {
    const char *test;
    litmus_body_fn threads[LITMUS_MAX_THREADS];
} bodies[] = {
    {"MP", {mp_t0, mp_t1}},
    {"SB", {sb_t0, sb_t1}},
    {"SB+mfence", {sbf_t0, sbf_t1}},
    {"LB", {lb_t0, lb_t1}},
    {"CoRR", {corr_t0, corr_t1}},
    {"2+2W", {w22_t0, w22_t1}},
    {"IRIW", {iriw_t0, iriw_t1, iriw_t2, iriw_t3}},
};

litmus_body_fn litmus_mem_body(const struct litmus_test *t, unsigned thread)
{
    if (thread >= t->nthreads || thread >= LITMUS_MAX_THREADS)
        return NULL;
    for (unsigned j = 0; j < sizeof(bodies) / sizeof(bodies[0]); j++)
        if (strcmp(bodies[j].test, t->name) == 0)
            return bodies[j].threads[thread];
    return NULL;
}

void litmus_mem_reset(uint32_t n)
{
    for (uint32_t i = 0; i < n && i < LITMUS_BATCH; i++) {
        for (unsigned l = 0; l < LITMUS_NLOCS; l++)
            loc[l][i].v = 0;
        for (unsigned k = 0; k < LITMUS_MAX_OBS; k++)
            obs[k][i] = UNWRITTEN;
    }
}

void litmus_mem_values(const struct litmus_test *t, uint32_t i, uint32_t *values)
{
    for (unsigned k = 0; k < t->nobs; k++)
        values[k] = t->obs[k].kind == LITMUS_OBS_FINAL ? loc[t->obs[k].loc][i].v : obs[k][i];
}

uint32_t *litmus_mem_loc(unsigned l, uint32_t i)
{
    return l < LITMUS_NLOCS && i < LITMUS_BATCH ? &loc[l][i].v : NULL;
}
