/* The litmus command's freestanding parts (cells/commands/litmus/): the tests' x86-TSO outcome
 * sets against exhaustive SC/TSO/PSO machines (litmus_tso.c), each thread body's instructions
 * against its program (run serially on this x86-64 host), outcome labels and program text,
 * tallying and the verdict (a forbidden, an invalid or a missing run fails), and the argument
 * parser with every refusal. */
#include "check.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "commands/litmus/litmus_args.h"
#include "commands/litmus/litmus_mem.h"
#include "commands/litmus/litmus_model.h"
#include "litmus_tso.h"

static const struct litmus_test *get(const char *name)
{
    const struct litmus_test *t = litmus_find(name);
    CHECK(t != NULL);
    if (!t) {
        fprintf(stderr, "    no test '%s'\n", name);
        exit(check_report("litmus_test"));
    }
    return t;
}

/* Every test's table entry is well formed: sizes, each register filled by exactly one load, the
 * relaxed outcome in range. */
static void test_table(void)
{
    CHECK_EQ_INT(litmus_ntests, 7);
    for (unsigned i = 0; i < litmus_ntests; i++) {
        const struct litmus_test *t = &litmus_tests[i];
        CHECK(t->nthreads >= 2 && t->nthreads <= LITMUS_MAX_THREADS);
        CHECK(t->nobs >= 1 && t->nobs <= LITMUS_MAX_OBS);
        CHECK(t->relaxed < litmus_outcomes(t));
        CHECK((t->tso_allowed >> litmus_outcomes(t)) == 0);
        unsigned fills[LITMUS_MAX_OBS] = {0};
        for (unsigned th = 0; th < t->nthreads; th++) {
            CHECK(t->threads[th].nops >= 1 && t->threads[th].nops <= LITMUS_MAX_OPS);
            for (unsigned j = 0; j < t->threads[th].nops; j++) {
                const struct litmus_op *op = &t->threads[th].ops[j];
                CHECK(op->kind >= LITMUS_STORE && op->kind <= LITMUS_MFENCE);
                CHECK(op->loc < LITMUS_NLOCS);
                if (op->kind == LITMUS_LOAD && op->reg < LITMUS_MAX_OBS)
                    fills[op->reg]++;
            }
        }
        for (unsigned k = 0; k < t->nobs; k++)
            CHECK_EQ_INT(fills[k], t->obs[k].kind == LITMUS_OBS_REG ? 1 : 0);
        CHECK(litmus_find(t->name) == t);
    }
}

/* The hand-written sets are exactly what the TSO machine reaches; the relaxed outcome is never
 * SC; it is forbidden by TSO except in SB; PSO reaches MP's and 2+2W's. */
static void test_allowed_sets(void)
{
    for (unsigned i = 0; i < litmus_ntests; i++) {
        const struct litmus_test *t = &litmus_tests[i];
        uint32_t tso = litmus_reachable(t, MACHINE_TSO);
        uint32_t sc = litmus_reachable(t, MACHINE_SC);
        CHECK_EQ_U64(tso, t->tso_allowed);
        CHECK_EQ_U64(sc & ~tso, 0); /* SC is stronger than TSO */
        CHECK(!(sc >> t->relaxed & 1u));
        bool sb = strcmp(t->name, "SB") == 0;
        CHECK_EQ_INT(litmus_allowed(t, t->relaxed), sb);
        if (tso != t->tso_allowed)
            fprintf(stderr, "    %s: TSO machine 0x%x, table 0x%x\n", t->name, tso, t->tso_allowed);
    }
    CHECK_EQ_U64(litmus_reachable(get("SB"), MACHINE_SC), 0xeu);
    /* The walk can reach a forbidden outcome: a weaker machine does. */
    const struct litmus_test *mp = get("MP"), *w22 = get("2+2W");
    CHECK(litmus_reachable(mp, MACHINE_PSO) >> mp->relaxed & 1u);
    CHECK(litmus_reachable(w22, MACHINE_PSO) >> w22->relaxed & 1u);
    CHECK(!(litmus_reachable(get("SB+mfence"), MACHINE_PSO) & 1u));
}

/* Run thread bodies one after another on this CPU, in every order, and compare with the
 * program's serial outcome: each body executes its program (right locations, values and
 * registers). The bodies are the guest's own code, x86-64 inline assembly. */
static void permute(const struct litmus_test *t, unsigned *order, unsigned n, unsigned *tried)
{
    if (n == t->nthreads) {
        litmus_mem_reset(1);
        for (unsigned j = 0; j < t->nthreads; j++)
            litmus_mem_body(t, order[j])(0);
        uint32_t values[LITMUS_MAX_OBS];
        litmus_mem_values(t, 0, values);
        int want = litmus_serial_outcome(t, order);
        CHECK(want >= 0);
        CHECK_EQ_INT(litmus_outcome_of(t, values), want);
        (*tried)++;
        return;
    }
    for (unsigned th = 0; th < t->nthreads; th++) {
        bool used = false;
        for (unsigned j = 0; j < n; j++)
            used = used || order[j] == th;
        if (!used) {
            order[n] = th;
            permute(t, order, n + 1, tried);
        }
    }
}

/* Each body alone, from memory values no store writes (5..8): the locations it ends with and the
 * registers it fills are those of its program, interpreted op by op. */
static void body_alone(const struct litmus_test *t, unsigned th, uint32_t x0, uint32_t y0)
{
    litmus_mem_reset(1);
    *litmus_mem_loc(0, 0) = x0;
    *litmus_mem_loc(1, 0) = y0;
    litmus_mem_body(t, th)(0);
    uint32_t mem[LITMUS_NLOCS] = {x0, y0}, reg[LITMUS_MAX_OBS];
    bool filled[LITMUS_MAX_OBS] = {false};
    for (unsigned j = 0; j < t->threads[th].nops; j++) {
        const struct litmus_op *op = &t->threads[th].ops[j];
        if (op->kind == LITMUS_STORE)
            mem[op->loc] = op->val;
        else if (op->kind == LITMUS_LOAD)
            reg[op->reg] = mem[op->loc], filled[op->reg] = true;
    }
    CHECK_EQ_U64(*litmus_mem_loc(0, 0), mem[0]);
    CHECK_EQ_U64(*litmus_mem_loc(1, 0), mem[1]);
    uint32_t values[LITMUS_MAX_OBS];
    litmus_mem_values(t, 0, values);
    for (unsigned k = 0; k < t->nobs; k++)
        if (t->obs[k].kind == LITMUS_OBS_REG)
            CHECK_EQ_U64(values[k], filled[k] ? reg[k] : 0xffffffffu);
}

static void test_bodies(void)
{
    for (unsigned i = 0; i < litmus_ntests; i++) {
        const struct litmus_test *t = &litmus_tests[i];
        bool all = true;
        for (unsigned th = 0; th < t->nthreads; th++)
            all = all && litmus_mem_body(t, th) != NULL;
        CHECK(all);
        CHECK(litmus_mem_body(t, t->nthreads) == NULL);
        if (!all)
            continue;
        for (unsigned th = 0; th < t->nthreads; th++) {
            body_alone(t, th, 5, 6);
            body_alone(t, th, 8, 7);
        }
        unsigned order[LITMUS_MAX_THREADS], tried = 0;
        permute(t, order, 0, &tried);
        CHECK_EQ_INT(tried, t->nthreads == 4 ? 24 : 2);
    }
    /* Reset marks every register unwritten: an instance no thread ran is invalid. */
    const struct litmus_test *mp = get("MP");
    litmus_mem_reset(LITMUS_BATCH);
    uint32_t values[LITMUS_MAX_OBS];
    litmus_mem_values(mp, LITMUS_BATCH - 1, values);
    CHECK_EQ_INT(litmus_outcome_of(mp, values), -1);
    CHECK(litmus_mem_loc(LITMUS_NLOCS, 0) == NULL && litmus_mem_loc(0, LITMUS_BATCH) == NULL);
}

static void test_text(void)
{
    char buf[128];
    const struct litmus_test *mp = get("MP");
    CHECK_EQ_INT(litmus_program_text(mp, buf, sizeof(buf)), 29);
    CHECK_EQ_STR(buf, "T0: x=1; y=1 | T1: r0=y; r1=x");
    litmus_program_text(get("sb+MFENCE"), buf, sizeof(buf));
    CHECK_EQ_STR(buf, "T0: x=1; mfence; r0=y | T1: y=1; mfence; r1=x");
    litmus_program_text(get("iriw"), buf, sizeof(buf));
    CHECK_EQ_STR(buf, "T0: x=1 | T1: y=1 | T2: r0=x; r1=y | T3: r2=y; r3=x");
    CHECK_EQ_INT(litmus_outcome_label(mp, 2, buf, sizeof(buf)), 9);
    CHECK_EQ_STR(buf, "r0=1 r1=0");
    litmus_outcome_label(mp, 1, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "r0=0 r1=1");
    litmus_outcome_label(get("2+2W"), 0, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "x=1 y=1");
    const struct litmus_test *iriw = get("IRIW");
    litmus_outcome_label(iriw, iriw->relaxed, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "r0=1 r1=0 r2=1 r3=0");
    /* Truncated as ksnprintf would: size-1 bytes and a NUL, the full length returned. */
    CHECK_EQ_INT(litmus_outcome_label(mp, 3, buf, 5), 9);
    CHECK_EQ_STR(buf, "r0=1");
    CHECK_EQ_INT(litmus_program_text(mp, NULL, 0), 29);
    CHECK(litmus_find("nope") == NULL);
    CHECK(litmus_find("") == NULL);
    CHECK(litmus_find("SB+") == NULL);
    CHECK(litmus_find("sb") == get("SB"));
}

static void add(struct litmus_tally *tl, const struct litmus_test *t, uint32_t a, uint32_t b,
                uint64_t times)
{
    uint32_t values[LITMUS_MAX_OBS] = {a, b};
    for (uint64_t i = 0; i < times; i++)
        litmus_tally_add(tl, t, values);
}

static void test_tally_verdict(void)
{
    const struct litmus_test *mp = get("MP"), *sb = get("SB"), *w22 = get("2+2W");
    struct litmus_tally tl;
    litmus_tally_init(&tl);
    add(&tl, mp, 0, 0, 5);
    add(&tl, mp, 0, 1, 3);
    add(&tl, mp, 1, 1, 2);
    CHECK_EQ_U64(tl.count[0], 5);
    CHECK_EQ_U64(tl.count[1], 3);
    CHECK_EQ_U64(tl.count[3], 2);
    CHECK_EQ_U64(tl.runs, 10);
    CHECK_EQ_INT(litmus_verdict(&tl, mp, 10), LITMUS_PASS);
    CHECK_EQ_INT(litmus_verdict(&tl, mp, 11), LITMUS_FAIL_COUNT); /* a run missing */
    CHECK_EQ_U64(litmus_forbidden_seen(&tl, mp), 0);

    add(&tl, mp, 1, 0, 1); /* the flag without the data: forbidden on TSO */
    CHECK_EQ_U64(tl.count[2], 1);
    CHECK_EQ_U64(litmus_forbidden_seen(&tl, mp), 1);
    CHECK_EQ_INT(litmus_verdict(&tl, mp, 11), LITMUS_FAIL_FORBIDDEN);
    CHECK_EQ_STR(litmus_verdict_name(litmus_verdict(&tl, mp, 11)), "forbidden outcome observed");

    /* The same counts are fine for SB, where every outcome is allowed. */
    CHECK_EQ_INT(litmus_verdict(&tl, sb, 11), LITMUS_PASS);

    litmus_tally_init(&tl);
    add(&tl, mp, 0, 2, 1); /* a value a load cannot have read */
    CHECK_EQ_U64(tl.invalid, 1);
    CHECK_EQ_U64(tl.runs, 1);
    CHECK_EQ_INT(litmus_verdict(&tl, mp, 1), LITMUS_FAIL_INVALID);

    /* 2+2W observes final values 1 and 2; 0 (a run no thread wrote) is invalid. */
    litmus_tally_init(&tl);
    add(&tl, w22, 2, 1, 4);
    add(&tl, w22, 1, 2, 4);
    add(&tl, w22, 2, 2, 2);
    CHECK_EQ_INT(litmus_verdict(&tl, w22, 10), LITMUS_PASS);
    add(&tl, w22, 0, 2, 1);
    CHECK_EQ_INT(litmus_verdict(&tl, w22, 11), LITMUS_FAIL_INVALID);
    add(&tl, w22, 1, 1, 1);
    CHECK_EQ_INT(litmus_verdict(&tl, w22, 12), LITMUS_FAIL_FORBIDDEN);
    CHECK_EQ_STR(litmus_verdict_name(LITMUS_PASS), "ok");
    CHECK_EQ_STR(litmus_verdict_name(LITMUS_FAIL_COUNT), "runs missing");
}

static char msg[160];
static struct litmus_args a;

static int parse_v(const char *const *words)
{
    const char *argv[40] = {"litmus"};
    int argc = 1;
    while (words[argc - 1])
        argv[argc] = words[argc - 1], argc++;
    memset(msg, 0x5a, sizeof(msg));
    msg[sizeof(msg) - 1] = 0;
    memset(&a, 0x5a, sizeof(a)); /* the parser must set every field */
    return litmus_args_parse(argc, argv, &a, msg, sizeof(msg));
}
#define PARSE(...) parse_v((const char *const[]){__VA_ARGS__, NULL})
#define PARSE0()   parse_v((const char *const[]){NULL})

#define CHECK_REFUSED(expected_msg, ...)                                                           \
    do {                                                                                           \
        CHECK_EQ_INT(PARSE(__VA_ARGS__), 2);                                                       \
        CHECK_EQ_STR(msg, expected_msg);                                                           \
    } while (0)

static void test_args(void)
{
    CHECK_EQ_INT(PARSE0(), 0);
    CHECK(!a.help && !a.json);
    CHECK_EQ_U64(a.iterations, LITMUS_DEFAULT_ITERATIONS);
    CHECK_EQ_INT(a.ntests, litmus_ntests);
    for (unsigned i = 0; i < a.ntests; i++)
        CHECK(a.tests[i] == &litmus_tests[i]);
    CHECK_EQ_STR(msg, "");

    CHECK_EQ_INT(PARSE("--json", "--iterations", "5", "sb+mfence", "MP"), 0);
    CHECK(a.json && !a.help);
    CHECK_EQ_U64(a.iterations, 5);
    CHECK_EQ_INT(a.ntests, 2);
    CHECK(a.tests[0] == get("SB+mfence") && a.tests[1] == get("MP"));

    CHECK_EQ_INT(PARSE("--iterations=100000000", "IRIW"), 0);
    CHECK_EQ_U64(a.iterations, 100000000);
    CHECK(a.ntests == 1 && a.tests[0] == get("IRIW") && !a.json);

    CHECK_EQ_INT(PARSE("-h"), 0);
    CHECK(a.help);
    CHECK_EQ_INT(PARSE("MP", "--help", "--bogus"), 0);
    CHECK(a.help);

    CHECK_REFUSED("--iterations needs a number", "--iterations");
    CHECK_REFUSED("bad --iterations '0': a number from 1 to 100000000", "--iterations", "0");
    CHECK_REFUSED("bad --iterations '100000001': a number from 1 to 100000000", "--iterations",
                  "100000001");
    CHECK_REFUSED("bad --iterations '12345678901': a number from 1 to 100000000",
                  "--iterations=12345678901");
    CHECK_REFUSED("bad --iterations 'ten': a number from 1 to 100000000", "--iterations", "ten");
    CHECK_REFUSED("bad --iterations '-5': a number from 1 to 100000000", "--iterations", "-5");
    CHECK_REFUSED("bad --iterations '': a number from 1 to 100000000", "--iterations=");
    CHECK_REFUSED("bad --iterations '5x': a number from 1 to 100000000", "--iterations", "5x");
    CHECK_REFUSED("unknown option '--fast'", "--fast");
    CHECK_REFUSED("unknown option '-n'", "-n", "5");
    CHECK_REFUSED("no test 'XY' (tests: MP SB SB+mfence LB CoRR 2+2W IRIW)", "XY");
    CHECK_REFUSED("test 'SB' named twice", "SB", "sb");
    CHECK_REFUSED("unknown option '--iterationsX'", "--iterationsX");
}

int main(void)
{
    test_table();
    test_allowed_sets();
    test_bodies();
    test_text();
    test_tally_verdict();
    test_args();
    return check_report("litmus_test");
}
