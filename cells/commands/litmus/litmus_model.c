/* The litmus tests and their x86-TSO outcome sets (litmus_model.h). */
#include "commands/litmus/litmus_model.h"

#define ST(l, v)                                                                                   \
    {                                                                                              \
        .kind = LITMUS_STORE, .loc = (l), .val = (v)                                               \
    }
#define LD(l, r)                                                                                   \
    {                                                                                              \
        .kind = LITMUS_LOAD, .loc = (l), .reg = (r)                                                \
    }
#define MFENCE                                                                                     \
    {                                                                                              \
        .kind = LITMUS_MFENCE                                                                      \
    }
#define REG(n)                                                                                     \
    {                                                                                              \
        .kind = LITMUS_OBS_REG, .name = (n), .values = { 0, 1 }                                    \
    }
#define X 0
#define Y 1

/* Outcome numbers read as binary with r0 (or x) the most significant digit: for two
 * observations 0 is "r0=0 r1=0", 1 "r0=0 r1=1", 2 "r0=1 r1=0", 3 "r0=1 r1=1". Each tso_allowed
 * below has every outcome but the forbidden one, the test's `relaxed` (SB: all of them). */
const struct litmus_test litmus_tests[] = {
    {.name = "MP",
     .what = "message passing: a flag seen set implies the data written before it is seen",
     .nthreads = 2,
     .threads = {{2, {ST(X, 1), ST(Y, 1)}}, {2, {LD(Y, 0), LD(X, 1)}}},
     .nobs = 2,
     .obs = {REG("r0"), REG("r1")},
     .tso_allowed = 0xfu & ~(1u << 2), /* r0=1 r1=0: the flag without the data */
     .relaxed = 2},
    {.name = "SB",
     .what = "store buffering: each CPU's load may pass its own earlier store",
     .nthreads = 2,
     .threads = {{2, {ST(X, 1), LD(Y, 0)}}, {2, {ST(Y, 1), LD(X, 1)}}},
     .nobs = 2,
     .obs = {REG("r0"), REG("r1")},
     .tso_allowed = 0xfu, /* r0=0 r1=0 too: both loads ran while both stores were buffered */
     .relaxed = 0},
    {.name = "SB+mfence",
     .what = "store buffering with MFENCE between store and load: both zero is forbidden",
     .nthreads = 2,
     .threads = {{3, {ST(X, 1), MFENCE, LD(Y, 0)}}, {3, {ST(Y, 1), MFENCE, LD(X, 1)}}},
     .nobs = 2,
     .obs = {REG("r0"), REG("r1")},
     .tso_allowed = 0xfu & ~(1u << 0), /* r0=0 r1=0 */
     .relaxed = 0},
    {.name = "LB",
     .what = "load buffering: a store never becomes visible before an earlier load reads",
     .nthreads = 2,
     .threads = {{2, {LD(X, 0), ST(Y, 1)}}, {2, {LD(Y, 1), ST(X, 1)}}},
     .nobs = 2,
     .obs = {REG("r0"), REG("r1")},
     .tso_allowed = 0xfu & ~(1u << 3), /* r0=1 r1=1: each load saw the other's later store */
     .relaxed = 3},
    {.name = "CoRR",
     .what = "read-read coherence: two loads of one location never see it go back in time",
     .nthreads = 2,
     .threads = {{1, {ST(X, 1)}}, {2, {LD(X, 0), LD(X, 1)}}},
     .nobs = 2,
     .obs = {REG("r0"), REG("r1")},
     .tso_allowed = 0xfu & ~(1u << 2), /* r0=1 r1=0 */
     .relaxed = 2},
    {.name = "2+2W",
     .what = "two writers: stores leave each CPU in program order, so no cycle of overwrites",
     .nthreads = 2,
     .threads = {{2, {ST(X, 1), ST(Y, 2)}}, {2, {ST(Y, 1), ST(X, 2)}}},
     .nobs = 2,
     .obs = {{.kind = LITMUS_OBS_FINAL, .loc = X, .name = "x", .values = {1, 2}},
             {.kind = LITMUS_OBS_FINAL, .loc = Y, .name = "y", .values = {1, 2}}},
     .tso_allowed = 0xfu & ~(1u << 0), /* x=1 y=1: each thread's first store came last */
     .relaxed = 0},
    {.name = "IRIW",
     .what = "independent reads of independent writes: all CPUs see the two stores in one order",
     .nthreads = 4,
     .threads =
         {{1, {ST(X, 1)}}, {1, {ST(Y, 1)}}, {2, {LD(X, 0), LD(Y, 1)}}, {2, {LD(Y, 2), LD(X, 3)}}},
     .nobs = 4,
     .obs = {REG("r0"), REG("r1"), REG("r2"), REG("r3")},
     /* r0=1 r1=0 r2=1 r3=0: T2 saw x before y, T3 y before x */
     .tso_allowed = 0xffffu & ~(1u << 10), /* 0b1010 */
     .relaxed = 10},
};
const unsigned litmus_ntests = sizeof(litmus_tests) / sizeof(litmus_tests[0]);

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

const struct litmus_test *litmus_find(const char *name)
{
    for (unsigned i = 0; i < litmus_ntests; i++) {
        const char *a = litmus_tests[i].name, *b = name;
        while (*a && lower(*a) == lower(*b)) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return &litmus_tests[i];
    }
    return NULL;
}

int litmus_outcome_of(const struct litmus_test *t, const uint32_t *values)
{
    unsigned outcome = 0;
    for (unsigned k = 0; k < t->nobs; k++) {
        if (values[k] == t->obs[k].values[1])
            outcome |= 1u << litmus_obs_bit(t, k);
        else if (values[k] != t->obs[k].values[0])
            return -1;
    }
    return (int)outcome;
}

/* Text built piece by piece as ksnprintf would: at most size-1 bytes and a NUL, len counting
 * what the whole text needs. */
struct text {
    char *buf;
    size_t size;
    int len;
};

static void text_char(struct text *tx, char c)
{
    if (tx->buf && (size_t)tx->len + 1 < tx->size) {
        tx->buf[tx->len] = c;
        tx->buf[tx->len + 1] = 0;
    }
    tx->len++;
}

static void text_str(struct text *tx, const char *s)
{
    while (*s)
        text_char(tx, *s++);
}

static void text_uint(struct text *tx, unsigned v)
{
    char digits[10];
    unsigned n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        text_char(tx, digits[--n]);
}

static struct text text_start(char *buf, size_t size)
{
    if (buf && size)
        buf[0] = 0;
    return (struct text){buf, size, 0};
}

int litmus_outcome_label(const struct litmus_test *t, unsigned outcome, char *buf, size_t size)
{
    struct text tx = text_start(buf, size);
    for (unsigned k = 0; k < t->nobs; k++) {
        if (k)
            text_char(&tx, ' ');
        text_str(&tx, t->obs[k].name);
        text_char(&tx, '=');
        text_uint(&tx, t->obs[k].values[outcome >> litmus_obs_bit(t, k) & 1u]);
    }
    return tx.len;
}

int litmus_program_text(const struct litmus_test *t, char *buf, size_t size)
{
    static const char *const locs[LITMUS_NLOCS] = {"x", "y"};
    struct text tx = text_start(buf, size);
    for (unsigned i = 0; i < t->nthreads; i++) {
        text_str(&tx, i ? " | T" : "T");
        text_uint(&tx, i);
        text_char(&tx, ':');
        for (unsigned j = 0; j < t->threads[i].nops; j++) {
            const struct litmus_op *op = &t->threads[i].ops[j];
            text_str(&tx, j ? "; " : " ");
            if (op->kind == LITMUS_STORE) {
                text_str(&tx, locs[op->loc]);
                text_char(&tx, '=');
                text_uint(&tx, op->val);
            } else if (op->kind == LITMUS_LOAD) {
                text_char(&tx, 'r');
                text_uint(&tx, op->reg);
                text_char(&tx, '=');
                text_str(&tx, locs[op->loc]);
            } else {
                text_str(&tx, "mfence");
            }
        }
    }
    return tx.len;
}

void litmus_tally_init(struct litmus_tally *tl)
{
    for (unsigned o = 0; o < LITMUS_MAX_OUTCOMES; o++)
        tl->count[o] = 0;
    tl->invalid = 0;
    tl->runs = 0;
}

int litmus_tally_add(struct litmus_tally *tl, const struct litmus_test *t, const uint32_t *values)
{
    int o = litmus_outcome_of(t, values);
    tl->runs++;
    if (o < 0)
        tl->invalid++;
    else
        tl->count[o]++;
    return o;
}

uint64_t litmus_forbidden_seen(const struct litmus_tally *tl, const struct litmus_test *t)
{
    uint64_t n = 0;
    for (unsigned o = 0; o < litmus_outcomes(t); o++)
        if (!litmus_allowed(t, o))
            n += tl->count[o];
    return n;
}

enum litmus_verdict litmus_verdict(const struct litmus_tally *tl, const struct litmus_test *t,
                                   uint64_t iterations)
{
    if (litmus_forbidden_seen(tl, t))
        return LITMUS_FAIL_FORBIDDEN;
    if (tl->invalid)
        return LITMUS_FAIL_INVALID;
    uint64_t sum = 0;
    for (unsigned o = 0; o < litmus_outcomes(t); o++)
        sum += tl->count[o];
    if (sum != tl->runs || tl->runs != iterations)
        return LITMUS_FAIL_COUNT;
    return LITMUS_PASS;
}

const char *litmus_verdict_name(enum litmus_verdict v)
{
    switch (v) {
    case LITMUS_PASS:
        return "ok";
    case LITMUS_FAIL_FORBIDDEN:
        return "forbidden outcome observed";
    case LITMUS_FAIL_INVALID:
        return "invalid result";
    case LITMUS_FAIL_COUNT:
        return "runs missing";
    }
    return "?";
}
