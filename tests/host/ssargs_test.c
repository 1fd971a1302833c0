/* The smpstress command's argument parser (cells/commands/smpstress/ssargs.c): the defaults,
 * every option and its range, and every refusal with its message. */
#include "check.h"

#include <stdint.h>
#include <string.h>
#include "commands/smpstress/ssargs.h"

static char msg[160];
static struct ssargs a;

/* Parses "smpstress" followed by the NULL-terminated words. */
static int parse_v(const char *const *words)
{
    const char *argv[40] = {"smpstress"};
    int argc = 1;
    while (words[argc - 1])
        argv[argc] = words[argc - 1], argc++;
    memset(msg, 0x5a, sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = 0;
    memset(&a, 0x5a, sizeof(a)); /* the parser must set every field */
    return ssargs_parse(argc, argv, &a, msg, sizeof(msg));
}
#define PARSE(...) parse_v((const char *const[]){__VA_ARGS__, NULL})

#define CHECK_REFUSED(expected_msg, ...)                                                           \
    do {                                                                                           \
        CHECK_EQ_INT(PARSE(__VA_ARGS__), 2);                                                       \
        CHECK_EQ_STR(msg, expected_msg);                                                           \
    } while (0)

static void test_defaults(void)
{
    const char *argv[1] = {"smpstress"};
    memset(&a, 0x5a, sizeof(a));
    CHECK_EQ_INT(ssargs_parse(1, argv, &a, msg, sizeof(msg)), 0);
    CHECK_EQ_INT(a.seconds, SSARGS_SECONDS_DEFAULT);
    CHECK_EQ_INT(a.rounds, 0);
    CHECK_EQ_U64(a.seed, SSARGS_SEED_DEFAULT);
    CHECK(!a.json && !a.no_swap && !a.help);
    CHECK_EQ_STR(msg, "");
}

static void test_options(void)
{
    CHECK_EQ_INT(PARSE("--rounds", "100"), 0);
    CHECK(a.rounds == 100 && a.seconds == 0);
    CHECK_EQ_INT(PARSE("--rounds", "1"), 0);
    CHECK_EQ_INT(a.rounds, 1);
    CHECK_EQ_INT(PARSE("--rounds", "100000"), 0);
    CHECK_EQ_INT(a.rounds, SSARGS_ROUNDS_MAX);
    CHECK_EQ_INT(PARSE("--seconds", "1"), 0);
    CHECK(a.seconds == 1 && a.rounds == 0);
    CHECK_EQ_INT(PARSE("--seconds", "3600"), 0);
    CHECK_EQ_INT(a.seconds, SSARGS_SECONDS_MAX);
    CHECK_EQ_INT(PARSE("--seed", "0"), 0);
    CHECK_EQ_U64(a.seed, 0);
    CHECK_EQ_INT(PARSE("--seed", "18446744073709551615"), 0);
    CHECK_EQ_U64(a.seed, UINT64_MAX);
    CHECK_EQ_INT(PARSE("--seed", "0xdeadBEEF"), 0);
    CHECK_EQ_U64(a.seed, 0xdeadbeefu);
    CHECK_EQ_INT(PARSE("--seed", "0xffffffffffffffff"), 0);
    CHECK_EQ_U64(a.seed, UINT64_MAX);
    CHECK_EQ_INT(PARSE("--json", "--no-swap", "--rounds", "7", "--seed", "42"), 0);
    CHECK(a.json && a.no_swap && !a.help && a.rounds == 7 && a.seed == 42 && a.seconds == 0);
    CHECK_EQ_INT(PARSE("--help"), 0);
    CHECK(a.help);
    CHECK_EQ_INT(PARSE("-h"), 0);
    CHECK(a.help);
}

static void test_refusals(void)
{
    CHECK_REFUSED("--rounds needs a value", "--rounds");
    CHECK_REFUSED("--seconds needs a value", "--seconds");
    CHECK_REFUSED("--seed needs a value", "--json", "--seed");
    CHECK_REFUSED("bad rounds '0' (a whole number, 1..100000)", "--rounds", "0");
    CHECK_REFUSED("bad rounds '100001' (a whole number, 1..100000)", "--rounds", "100001");
    CHECK_REFUSED("bad rounds '' (a whole number, 1..100000)", "--rounds", "");
    CHECK_REFUSED("bad rounds '-5' (a whole number, 1..100000)", "--rounds", "-5");
    CHECK_REFUSED("bad rounds '5x' (a whole number, 1..100000)", "--rounds", "5x");
    CHECK_REFUSED("bad rounds '99999999999999999999999' (a whole number, 1..100000)", "--rounds",
                  "99999999999999999999999");
    CHECK_REFUSED("bad seconds '0' (a whole number, 1..3600)", "--seconds", "0");
    CHECK_REFUSED("bad seconds '3601' (a whole number, 1..3600)", "--seconds", "3601");
    CHECK_REFUSED("bad seconds 'ten' (a whole number, 1..3600)", "--seconds", "ten");
    CHECK_REFUSED("bad seed 'x' (a decimal or 0x-hex number below 2^64)", "--seed", "x");
    CHECK_REFUSED("bad seed '0x' (a decimal or 0x-hex number below 2^64)", "--seed", "0x");
    CHECK_REFUSED("bad seed '0x1g' (a decimal or 0x-hex number below 2^64)", "--seed", "0x1g");
    CHECK_REFUSED("bad seed '18446744073709551616' (a decimal or 0x-hex number below 2^64)",
                  "--seed", "18446744073709551616");
    CHECK_REFUSED("bad seed '0x10000000000000000' (a decimal or 0x-hex number below 2^64)",
                  "--seed", "0x10000000000000000");
    CHECK_REFUSED("--seconds and --rounds exclude each other", "--seconds", "2", "--rounds", "3");
    CHECK_REFUSED("--rounds given twice", "--rounds", "2", "--rounds", "3");
    CHECK_REFUSED("--seconds given twice", "--seconds", "2", "--seconds", "3");
    CHECK_REFUSED("--seed given twice", "--seed", "2", "--seed", "3");
    CHECK_REFUSED("unknown option '--bogus'", "--bogus");
    CHECK_REFUSED("unknown option '-r'", "-r", "5");
    CHECK_REFUSED("unexpected argument '5'", "5");
    CHECK_REFUSED("unexpected argument 'now'", "--json", "now");
    /* A message cut to the buffer, NUL-terminated. */
    const char *argv[2] = {"smpstress", "--bogus"};
    char small[8];
    CHECK_EQ_INT(ssargs_parse(2, argv, &a, small, sizeof(small)), 2);
    CHECK_EQ_STR(small, "unknown");
}

int main(void)
{
    test_defaults();
    test_options();
    test_refusals();
    return check_report("ssargs_test");
}
