/* The swap command's argument parser (cells/commands/swap/swapargs.c): every option and its
 * values, the <cell> <version|object> pairs, every refusal with its message, and the ramfs
 * object names. */
#include "check.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "commands/swap/swapargs.h"

/* The kernel's steps that --fail-at accepts (kernel/swap/swap.c: 1..5). */
static const char *step_name(int s)
{
    static const char *const names[] = {"link", "check", "quiesce", "transfer", "rewrite"};
    return s >= 1 && s <= 5 ? names[s - 1] : NULL;
}

static char msg[160];
static struct swapargs a;

/* Parses "swap" followed by the NULL-terminated words. */
static int parse_v(const char *const *words)
{
    const char *argv[40] = {"swap"};
    int argc = 1;
    while (words[argc - 1])
        argv[argc] = words[argc - 1], argc++;
    memset(msg, 0, sizeof(msg));
    memset(&a, 0x5a, sizeof(a)); /* the parser must set every field */
    return swapargs_parse(argc, argv, &a, msg, sizeof(msg), step_name);
}
#define PARSE(...) parse_v((const char *const[]){__VA_ARGS__, NULL})

#define CHECK_REFUSED(expected_msg, ...)                                                           \
    do {                                                                                           \
        CHECK_EQ_INT(PARSE(__VA_ARGS__), 2);                                                       \
        CHECK_EQ_STR(msg, expected_msg);                                                           \
    } while (0)

static void test_pairs(void)
{
    CHECK_EQ_INT(PARSE("counter", "2"), 0);
    CHECK(!a.dry_run && !a.verbose && !a.json);
    CHECK_EQ_U64(a.deadline_ms, 0);
    CHECK_EQ_INT(a.repeat, 0);
    CHECK_EQ_INT(a.fail_at, 0);
    CHECK_EQ_INT(a.npairs, 1);
    CHECK_EQ_STR(a.cell[0], "counter");
    CHECK_EQ_STR(a.target[0], "2");
    CHECK_EQ_STR(msg, "");

    CHECK_EQ_INT(PARSE("a", "2", "b", "b@3.o", "c", "build/x.o"), 0);
    CHECK_EQ_INT(a.npairs, 3);
    CHECK_EQ_STR(a.cell[1], "b");
    CHECK_EQ_STR(a.target[1], "b@3.o");
    CHECK_EQ_STR(a.cell[2], "c");
    CHECK_EQ_STR(a.target[2], "build/x.o");

    /* Eight pairs is the limit. */
    CHECK_EQ_INT(PARSE("c1", "1", "c2", "1", "c3", "1", "c4", "1", "c5", "1", "c6", "1", "c7", "1",
                       "c8", "1"),
                 0);
    CHECK_EQ_INT(a.npairs, SWAPARGS_MAX_PAIRS);
    CHECK_EQ_STR(a.cell[7], "c8");
    CHECK_REFUSED("at most 8 cells in one swap", "c1", "1", "c2", "1", "c3", "1", "c4", "1", "c5",
                  "1", "c6", "1", "c7", "1", "c8", "1", "c9", "1");

    CHECK_REFUSED("which cell, and which version?", "-n");
    CHECK_EQ_INT(parse_v((const char *const[]){NULL}), 2);
    CHECK_EQ_STR(msg, "which cell, and which version?");
    CHECK_REFUSED("'counter' needs a version or object after it", "counter");
    CHECK_REFUSED("'c' needs a version or object after it", "a", "1", "c");
    CHECK_REFUSED("cell 'a' named twice", "a", "1", "b", "2", "a", "3");
    /* The version of one pair may look like a cell name: pairs are positional. */
    CHECK_EQ_INT(PARSE("a", "b", "b", "a"), 0);
    CHECK_EQ_INT(a.npairs, 2);
}

static void test_options(void)
{
    CHECK_EQ_INT(PARSE("-n", "-v", "--json", "counter", "2"), 0);
    CHECK(a.dry_run && a.verbose && a.json);
    CHECK_EQ_INT(a.npairs, 1);
    CHECK_EQ_INT(PARSE("--dry-run", "counter", "2"), 0);
    CHECK(a.dry_run && !a.verbose && !a.json);

    CHECK_EQ_INT(PARSE("-t", "250", "counter", "2"), 0);
    CHECK_EQ_U64(a.deadline_ms, 250);
    CHECK_EQ_INT(PARSE("-t", "1", "counter", "2"), 0);
    CHECK_EQ_U64(a.deadline_ms, 1);
    CHECK_EQ_INT(PARSE("-t", "60000", "counter", "2"), 0);
    CHECK_EQ_U64(a.deadline_ms, 60000);
    CHECK_EQ_INT(PARSE("-t", "007", "counter", "2"), 0);
    CHECK_EQ_U64(a.deadline_ms, 7);
    CHECK_EQ_INT(PARSE("-t", "5", "-t", "9", "counter", "2"), 0); /* the last one counts */
    CHECK_EQ_U64(a.deadline_ms, 9);

    CHECK_EQ_INT(PARSE("-r", "1000", "counter", "2"), 0);
    CHECK_EQ_INT(a.repeat, 1000);
    CHECK_EQ_INT(PARSE("-r", "1000000", "counter", "2"), 0);
    CHECK_EQ_INT(a.repeat, SWAPARGS_MAX_REPEAT);
    CHECK_EQ_INT(PARSE("-r", "1", "-v", "--json", "counter", "2"), 0);
    CHECK(a.repeat == 1 && a.verbose && a.json && !a.dry_run);

    const char *steps[] = {"link", "check", "quiesce", "transfer", "rewrite"};
    for (int s = 0; s < 5; s++) {
        CHECK_EQ_INT(PARSE("--fail-at", steps[s], "counter", "2"), 0);
        CHECK_EQ_INT(a.fail_at, s + 1);
    }

    /* "--" ends the options: what follows is a pair even if it starts with '-'. */
    CHECK_EQ_INT(PARSE("-v", "--", "-n", "2"), 0);
    CHECK(a.verbose && !a.dry_run);
    CHECK_EQ_STR(a.cell[0], "-n");
    CHECK_EQ_STR(a.target[0], "2");
    CHECK_REFUSED("which cell, and which version?", "--");
    /* A lone "-" is not an option. */
    CHECK_EQ_INT(PARSE("-", "2"), 0);
    CHECK_EQ_STR(a.cell[0], "-");
    /* Options come first: after the first pair word, "-n" is a word like any other. */
    CHECK_EQ_INT(PARSE("counter", "-n"), 0);
    CHECK(!a.dry_run);
    CHECK_EQ_STR(a.target[0], "-n");
}

static void test_bad_values(void)
{
    CHECK_REFUSED("-t needs a value", "-t");
    CHECK_REFUSED("-r needs a value", "-r");
    CHECK_REFUSED("--fail-at needs a value", "--fail-at");
    CHECK_REFUSED("bad deadline '0' (milliseconds, 1..60000)", "-t", "0", "c", "2");
    CHECK_REFUSED("bad deadline '60001' (milliseconds, 1..60000)", "-t", "60001", "c", "2");
    CHECK_REFUSED("bad deadline '' (milliseconds, 1..60000)", "-t", "", "c", "2");
    CHECK_REFUSED("bad deadline '-5' (milliseconds, 1..60000)", "-t", "-5", "c", "2");
    CHECK_REFUSED("bad deadline '+5' (milliseconds, 1..60000)", "-t", "+5", "c", "2");
    CHECK_REFUSED("bad deadline '5ms' (milliseconds, 1..60000)", "-t", "5ms", "c", "2");
    CHECK_REFUSED("bad deadline ' 5' (milliseconds, 1..60000)", "-t", " 5", "c", "2");
    CHECK_REFUSED("bad deadline '00000000001' (milliseconds, 1..60000)", "-t", "00000000001", "c",
                  "2"); /* more than 10 digits */
    CHECK_REFUSED("bad deadline '99999999999999999999' (milliseconds, 1..60000)", "-t",
                  "99999999999999999999", "c", "2");
    CHECK_REFUSED("bad count '0' (1..1000000)", "-r", "0", "c", "2");
    CHECK_REFUSED("bad count '1000001' (1..1000000)", "-r", "1000001", "c", "2");
    CHECK_REFUSED("bad count '4294967297' (1..1000000)", "-r", "4294967297", "c", "2");
    CHECK_REFUSED("bad count 'x' (1..1000000)", "-r", "x", "c", "2");
    CHECK_REFUSED("unknown step 'commit' (link, check, quiesce, transfer, rewrite)", "--fail-at",
                  "commit", "c", "2");
    CHECK_REFUSED("unknown step 'none' (link, check, quiesce, transfer, rewrite)", "--fail-at",
                  "none", "c", "2");
    CHECK_REFUSED("unknown step 'LINK' (link, check, quiesce, transfer, rewrite)", "--fail-at",
                  "LINK", "c", "2");
    CHECK_REFUSED("unknown option '-x'", "-x", "c", "2");
    CHECK_REFUSED("unknown option '--dry'", "--dry", "c", "2");
    CHECK_REFUSED("unknown option '-nv'", "-nv", "c", "2");
    CHECK_REFUSED("-n and -r do not go together", "-n", "-r", "3", "c", "2");
    CHECK_REFUSED("-n and -r do not go together", "-r", "3", "--dry-run", "c", "2");
    /* An option error is reported before the pairs are looked at. */
    CHECK_REFUSED("unknown option '-q'", "-q", "lonely");

    /* A short message buffer gets a truncated, terminated message. */
    const char *argv[] = {"swap", "-x", "c", "2"};
    char small[8];
    memset(small, 'Z', sizeof(small));
    CHECK_EQ_INT(swapargs_parse(4, argv, &a, small, sizeof(small), step_name), 2);
    CHECK_EQ_STR(small, "unknown");
}

/* argc == 0 (no argv[0]) is refused like a missing pair, without reading before argv. Run in a
 * child: an out-of-bounds read ends the child under ASan, not the test. */
static void test_no_argv0(void)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        const char *argv[1] = {NULL};
        char m[64] = "";
        struct swapargs sa;
        int rc = swapargs_parse(0, argv, &sa, m, sizeof(m), step_name);
        _exit(rc == 2 && strcmp(m, "which cell, and which version?") == 0 ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_object_name(void)
{
    char out[64];
    CHECK_EQ_INT(swapargs_object_name("counter", "2", false, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "counter@2.o");
    CHECK_EQ_INT(swapargs_object_name("counter", "12", true, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "counter@12.o");
    CHECK_EQ_INT(swapargs_object_name("counter", "counter@2.o", false, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "counter@2.o");
    CHECK_EQ_INT(swapargs_object_name("counter", "counter@2.o", true, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "counter@2.o");
    CHECK_EQ_INT(swapargs_object_name("counter", "counter@2", false, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "counter@2");
    CHECK_EQ_INT(swapargs_object_name("counter", "counter@2", true, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "counter@2.o");
    CHECK_EQ_INT(swapargs_object_name("counter", "v2", true, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "v2.o");
    CHECK_EQ_INT(swapargs_object_name("counter", "2x", false, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "2x");
    CHECK_EQ_INT(swapargs_object_name("counter", ".o", true, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, ".o");
    CHECK_EQ_INT(swapargs_object_name("counter", "o", true, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "o.o");
    /* Exactly fitting, one short. */
    CHECK_EQ_INT(swapargs_object_name("c", "2", false, out, 6), 0);
    CHECK_EQ_STR(out, "c@2.o");
    CHECK_EQ_INT(swapargs_object_name("c", "2", false, out, 5), -1);
    CHECK_EQ_INT(swapargs_object_name("c", "x", true, out, 4), 0);
    CHECK_EQ_STR(out, "x.o");
    CHECK_EQ_INT(swapargs_object_name("c", "x", true, out, 3), -1);
    CHECK_EQ_INT(swapargs_object_name("c", "xy.o", false, out, 5), 0);
    CHECK_EQ_INT(swapargs_object_name("c", "xy.o", false, out, 4), -1);
    char tiny[1] = {'Z'};
    CHECK_EQ_INT(swapargs_object_name("c", "x", false, tiny, 1), -1);
    CHECK_EQ_INT(tiny[0], 0);
}

int main(void)
{
    test_pairs();
    test_options();
    test_bad_values();
    test_object_name();
    test_no_argv0();
    return check_report("swapargs_test");
}
