/* The litmus tests as data, and what x86-TSO allows of each: the programs (for the report and
 * for the host test's exhaustive TSO machine), the outcomes, tallying and the verdict.
 * Freestanding and host-tested (tests/host/litmus_test.c); the runner that executes the
 * programs on real CPUs is litmus_run.c. docs/litmus.md explains the tests. */
#ifndef CMD_LITMUS_MODEL_H
#define CMD_LITMUS_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LITMUS_MAX_THREADS  4
#define LITMUS_MAX_OPS      3 /* per thread */
#define LITMUS_MAX_OBS      4 /* observed values per run */
#define LITMUS_MAX_OUTCOMES (1u << LITMUS_MAX_OBS)
#define LITMUS_NLOCS        2 /* x and y; both start at 0 in every run */

enum litmus_op_kind {
    LITMUS_STORE = 1, /* loc = val (a plain mov to memory) */
    LITMUS_LOAD,      /* r<reg> = loc (a plain mov from memory) */
    LITMUS_MFENCE,
};

struct litmus_op {
    uint8_t kind; /* enum litmus_op_kind */
    uint8_t loc;  /* 0: x, 1: y */
    uint8_t val;  /* STORE: the value written (1 or 2) */
    uint8_t reg;  /* LOAD: the observation it fills (obs index) */
};

struct litmus_thread {
    unsigned nops;
    struct litmus_op ops[LITMUS_MAX_OPS];
};

/* What one run observes: a register a load filled, or (2+2W) a location's final value. Each
 * observation takes one of two values. An outcome is numbered as a binary number whose digits
 * are the observations in order, the first the most significant: digit k is 1 when observation k
 * took values[1]. So outcomes in numeric order read like a truth table ("r0=0 r1=0",
 * "r0=0 r1=1", "r0=1 r1=0", ...). */
enum litmus_obs_kind { LITMUS_OBS_REG = 1, LITMUS_OBS_FINAL };
struct litmus_obs {
    uint8_t kind; /* enum litmus_obs_kind */
    uint8_t loc;  /* LITMUS_OBS_FINAL: which location */
    const char *name;
    uint8_t values[2];
};

struct litmus_test {
    const char *name; /* as typed: "MP", "SB", "SB+mfence", ... (matched ignoring case) */
    const char *what; /* one line: what it checks */
    unsigned nthreads;
    struct litmus_thread threads[LITMUS_MAX_THREADS];
    unsigned nobs;
    struct litmus_obs obs[LITMUS_MAX_OBS];
    /* Bit o set: outcome o is allowed by x86-TSO (Owens, Sarkar, Sewell: "A better x86 memory
     * model: x86-TSO"). Written out by hand; the host test derives it again from the programs
     * with an exhaustive store-buffer machine and requires the same set. */
    uint32_t tso_allowed;
    /* The outcome the test is about (its relaxed, non-SC result): forbidden by TSO for every
     * test but SB, where it is allowed and the point is to see it. */
    unsigned relaxed;
};

extern const struct litmus_test litmus_tests[];
extern const unsigned litmus_ntests;

/* The test of that name, ignoring case; NULL if none. */
const struct litmus_test *litmus_find(const char *name);
static inline unsigned litmus_outcomes(const struct litmus_test *t)
{
    return 1u << t->nobs;
}
/* The bit of observation k in an outcome number. */
static inline unsigned litmus_obs_bit(const struct litmus_test *t, unsigned k)
{
    return t->nobs - 1 - k;
}
static inline bool litmus_allowed(const struct litmus_test *t, unsigned outcome)
{
    return outcome < litmus_outcomes(t) && (t->tso_allowed >> outcome & 1u);
}

/* The outcome index of one run's observed values (values[k] for observation k); -1 when a value
 * is neither of the observation's two (a torn or unwritten result: never right). */
int litmus_outcome_of(const struct litmus_test *t, const uint32_t *values);

/* "r0=1 r1=0" / "x=1 y=2" for an outcome; the program "T0: x=1; y=1 | T1: r0=y; r1=x".
 * As ksnprintf: the length the full text would have. */
int litmus_outcome_label(const struct litmus_test *t, unsigned outcome, char *buf, size_t size);
int litmus_program_text(const struct litmus_test *t, char *buf, size_t size);

/* Counts of one test's runs. */
struct litmus_tally {
    uint64_t count[LITMUS_MAX_OUTCOMES];
    uint64_t invalid; /* runs whose values fit no outcome */
    uint64_t runs;    /* every run added, invalid ones included */
};

void litmus_tally_init(struct litmus_tally *tl);
/* Add one run; returns its outcome index, or -1 (counted as invalid). */
int litmus_tally_add(struct litmus_tally *tl, const struct litmus_test *t, const uint32_t *values);
/* Runs whose outcome TSO forbids. */
uint64_t litmus_forbidden_seen(const struct litmus_tally *tl, const struct litmus_test *t);

enum litmus_verdict {
    LITMUS_PASS = 0,
    LITMUS_FAIL_FORBIDDEN, /* an outcome TSO forbids was observed */
    LITMUS_FAIL_INVALID,   /* a run's values fit no outcome */
    LITMUS_FAIL_COUNT,     /* the counts do not add up to the runs asked for */
};
/* The verdict of a tally meant to hold `iterations` runs (the first failure in the order of the
 * enum after PASS). */
enum litmus_verdict litmus_verdict(const struct litmus_tally *tl, const struct litmus_test *t,
                                   uint64_t iterations);
/* "ok", "forbidden outcome observed", "invalid result", "runs missing". */
const char *litmus_verdict_name(enum litmus_verdict v);

#endif
