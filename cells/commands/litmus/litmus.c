/* litmus [--iterations N] [--json] [TEST...]: run x86 memory-model litmus tests on real CPUs and
 * check every outcome seen against x86-TSO (docs/litmus.md, docs/shell/litmus.md). */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include "commands/litmus/litmus_args.h"
#include "commands/litmus/litmus_run.h"

#define TEXT_MAX 128

struct totals {
    unsigned passed, failed, skipped;
};

static void help(void)
{
    kprintf("usage: " KEEL_COMMAND_USAGE "\n"
            "Run x86 memory-model litmus tests across CPUs and check each outcome seen against\n"
            "what x86-TSO allows; a forbidden outcome fails the test.\n"
            "  --iterations N  runs per test, 1 to %u (default %u)\n"
            "  --json          the results as one JSON object\n"
            "  -h, --help      this help\n"
            "Tests (default: all; one needing more CPUs than are online is skipped):\n",
            LITMUS_MAX_ITERATIONS, LITMUS_DEFAULT_ITERATIONS);
    for (unsigned i = 0; i < litmus_ntests; i++) {
        char prog[TEXT_MAX];
        litmus_program_text(&litmus_tests[i], prog, sizeof(prog));
        kprintf("  %-10s %s\n  %-10s %s\n", litmus_tests[i].name, prog, "", litmus_tests[i].what);
    }
    kprintf("Exit status 0 when every test run saw only allowed outcomes, 1 otherwise, 2 for bad\n"
            "arguments. docs/litmus.md explains the tests and how to read the results.\n");
}

/* A JSON string of ours (names, labels, messages): quotes and backslashes escaped, control
 * characters dropped. */
static void json_str(const char *s)
{
    kprintf("\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            kprintf("\\%c", *s);
        else if ((unsigned char)*s >= 0x20)
            kprintf("%c", *s);
    }
    kprintf("\"");
}

static void json_test_start(const struct litmus_test *t, bool first)
{
    char prog[TEXT_MAX];
    litmus_program_text(t, prog, sizeof(prog));
    kprintf("%s\n  {\"name\": ", first ? "" : ",");
    json_str(t->name);
    kprintf(", \"program\": ");
    json_str(prog);
    kprintf(", \"threads\": %u, ", t->nthreads);
}

static void json_result(const struct litmus_test *t, const struct litmus_result *r,
                        enum litmus_verdict v)
{
    kprintf("\"status\": \"%s\", \"verdict\": ", v == LITMUS_PASS ? "ok" : "fail");
    json_str(litmus_verdict_name(v));
    kprintf(", \"runs\": %llu, \"forbidden\": %llu, \"invalid\": %llu, \"elapsed_ms\": %llu, "
            "\"outcomes\": [",
            (unsigned long long)r->tally.runs,
            (unsigned long long)litmus_forbidden_seen(&r->tally, t),
            (unsigned long long)r->tally.invalid, (unsigned long long)(r->elapsed_ns / 1000000));
    for (unsigned o = 0; o < litmus_outcomes(t); o++) {
        char label[TEXT_MAX];
        litmus_outcome_label(t, o, label, sizeof(label));
        kprintf("%s\n    {\"outcome\": ", o ? "," : "");
        json_str(label);
        kprintf(", \"allowed\": %s, \"relaxed\": %s, \"count\": %llu}",
                litmus_allowed(t, o) ? "true" : "false", o == t->relaxed ? "true" : "false",
                (unsigned long long)r->tally.count[o]);
    }
    kprintf("]}");
}

static void text_result(const struct litmus_test *t, const struct litmus_result *r,
                        enum litmus_verdict v)
{
    char label[TEXT_MAX];
    kprintf("  %-18s %10s  %s\n", "OUTCOME", "COUNT", "x86-TSO");
    for (unsigned o = 0; o < litmus_outcomes(t); o++) {
        litmus_outcome_label(t, o, label, sizeof(label));
        const char *tso = litmus_allowed(t, o) ? "allowed" : "forbidden";
        if (o == t->relaxed)
            kprintf("  %-18s %10llu  %-9s  <- relaxed\n", label,
                    (unsigned long long)r->tally.count[o], tso);
        else
            kprintf("  %-18s %10llu  %s\n", label, (unsigned long long)r->tally.count[o], tso);
    }
    if (r->tally.invalid)
        kprintf("  %-18s %10llu  never\n", "invalid", (unsigned long long)r->tally.invalid);
    litmus_outcome_label(t, t->relaxed, label, sizeof(label));
    if (v == LITMUS_PASS)
        kprintf("  %s: ok: %llu runs, no forbidden outcome; relaxed %s seen %llu times, %llu ms\n",
                t->name, (unsigned long long)r->tally.runs, label,
                (unsigned long long)r->tally.count[t->relaxed],
                (unsigned long long)(r->elapsed_ns / 1000000));
    else
        kprintf("  %s: FAIL: %s: %llu forbidden, %llu invalid, %llu runs\n", t->name,
                litmus_verdict_name(v), (unsigned long long)litmus_forbidden_seen(&r->tally, t),
                (unsigned long long)r->tally.invalid, (unsigned long long)r->tally.runs);
}

/* Run one test and report it. False when the whole command should stop (interrupted, or
 * another run holds the CPUs). */
static bool one(const struct litmus_args *a, const struct litmus_test *t, bool first,
                struct totals *tot, struct litmus_result *r)
{
    unsigned cpus = cpu_count();
    if (a->json) {
        json_test_start(t, first);
    } else {
        char prog[TEXT_MAX];
        litmus_program_text(t, prog, sizeof(prog));
        kprintf("%s: %s\n", t->name, prog);
    }
    if (cpus < t->nthreads) {
        tot->skipped++;
        if (a->json)
            kprintf("\"status\": \"skipped\", \"reason\": \"needs %u CPUs\"}", t->nthreads);
        else
            kprintf("  %s: skipped: needs %u CPUs (%u online)\n", t->name, t->nthreads, cpus);
        return true;
    }
    int e = litmus_run(t, a->iterations, r);
    if (e) {
        tot->failed++;
        if (a->json) {
            kprintf("\"status\": \"error\", \"reason\": ");
            json_str(r->why);
            kprintf("}");
        } else {
            kprintf("litmus: %s: %s\n", t->name, r->why);
        }
        return e != KE_KILLED && e != KE_AGAIN;
    }
    enum litmus_verdict v = litmus_verdict(&r->tally, t, a->iterations);
    if (v == LITMUS_PASS)
        tot->passed++;
    else
        tot->failed++;
    if (a->json)
        json_result(t, r, v);
    else
        text_result(t, r, v);
    return true;
}

int cmd_litmus_main(const void *arg, void *ret)
{
    (void)ret;
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc < 1) {
        kprintf("litmus: bad argument block\nusage: " KEEL_COMMAND_USAGE "\n");
        return 2;
    }
    struct litmus_args a;
    char msg[160];
    if (litmus_args_parse(argc, argv, &a, msg, sizeof(msg))) {
        kprintf("litmus: %s\nusage: " KEEL_COMMAND_USAGE "\n", msg);
        return 2;
    }
    if (a.help) {
        help();
        return 0;
    }
    struct totals tot = {0, 0, 0};
    struct litmus_result result;
    unsigned cpus = cpu_count();
    if (a.json)
        kprintf("{\"cpus\": %u, \"iterations\": %llu, \"tests\": [", cpus,
                (unsigned long long)a.iterations);
    else
        kprintf("litmus: %u CPU%s online, %llu runs per test, outcomes checked against x86-TSO\n",
                cpus, cpus == 1 ? "" : "s", (unsigned long long)a.iterations);
    for (unsigned i = 0; i < a.ntests; i++)
        if (!one(&a, a.tests[i], i == 0, &tot, &result))
            break;
    if (a.json)
        kprintf("\n], \"passed\": %u, \"failed\": %u, \"skipped\": %u}\n", tot.passed, tot.failed,
                tot.skipped);
    else
        kprintf("litmus: %u ok, %u failed, %u skipped\n", tot.passed, tot.failed, tot.skipped);
    return tot.failed ? 1 : 0;
}

KEEL_COMMAND_CELL("litmus");
