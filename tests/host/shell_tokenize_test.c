/* Host tests of the shell's word splitting (cells/shell/tokenize.c): blanks, both quotes,
 * backslashes, adjacency, empty words, and the errors (which must leave the outputs alone). */
#include <keel/errno.h>
#include "check.h"
#include "shell/tokenize.h"

static char out[256];
static char *argv[16];

/* Tokenize line and compare with the expected words (a NULL-terminated list). */
static void expect_words(const char *line, const char *const *want)
{
    int n = 0;
    while (want[n])
        n++;
    int argc = tokenize(line, out, sizeof(out), argv, 16);
    CHECK_EQ_INT(argc, n);
    for (int i = 0; i < n && i < argc; i++)
        CHECK_EQ_STR(argv[i], want[i]);
    if (argc >= 0 && argc < 16)
        CHECK(argv[argc] == NULL);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_plain(void)
{
    expect_words("echo hello world", WORDS("echo", "hello", "world"));
    expect_words("  ls\t \t-l  ", WORDS("ls", "-l"));
    expect_words("x", WORDS("x"));
    expect_words("", (const char *const[]){NULL});
    expect_words(" \t ", (const char *const[]){NULL});
}

static void test_quotes(void)
{
    expect_words("echo \"a  b\" 'c  d'", WORDS("echo", "a  b", "c  d"));
    expect_words("echo 'it''s'", WORDS("echo", "its"));
    expect_words("echo \"it's\" 'say \"hi\"'", WORDS("echo", "it's", "say \"hi\""));
    expect_words("a\"b c\"d", WORDS("ab cd"));
    expect_words("echo \"\" ''", WORDS("echo", "", ""));
    expect_words("\"\"", WORDS(""));
    expect_words("'a\\b'", WORDS("a\\b")); /* no escapes inside single quotes */
}

static void test_backslashes(void)
{
    expect_words("a\\ b", WORDS("a b"));
    expect_words("\\\"x\\'", WORDS("\"x'"));
    expect_words("\"q\\\"q\" \"b\\\\s\"", WORDS("q\"q", "b\\s"));
    expect_words("\"c:\\dir\"", WORDS("c:\\dir")); /* other backslashes in "" stay */
    expect_words("end\\", WORDS("end\\"));         /* a trailing backslash stays */
    expect_words("\\\\", WORDS("\\"));
}

static void test_errors(void)
{
    memset(out, '#', sizeof(out));
    argv[0] = (char *)"sentinel";
    CHECK_EQ_INT(tokenize("echo \"unterminated", out, sizeof(out), argv, 16), KE_INVAL);
    CHECK_EQ_INT(tokenize("echo 'unterminated", out, sizeof(out), argv, 16), KE_INVAL);
    CHECK_EQ_INT(tokenize("'", out, sizeof(out), argv, 16), KE_INVAL);
    CHECK_EQ_INT(tokenize("\"a\\\"", out, sizeof(out), argv, 16), KE_INVAL);
    CHECK_EQ_INT(tokenize("a b c", out, sizeof(out), argv, 2), KE_RANGE);
    CHECK_EQ_INT(tokenize("abcdef", out, 6, argv, 16), KE_NOSPC);
    CHECK_EQ_INT(tokenize(NULL, out, sizeof(out), argv, 16), KE_INVAL);
    CHECK_EQ_INT(tokenize("a", NULL, sizeof(out), argv, 16), KE_INVAL);
    CHECK_EQ_INT(tokenize("a", out, sizeof(out), NULL, 16), KE_INVAL);
    CHECK_EQ_STR(argv[0], "sentinel");
    CHECK_EQ_INT(out[0], '#');
    CHECK_EQ_INT(out[sizeof(out) - 1], '#');
}

static void test_limits(void)
{
    /* Exactly the room needed: the words and their NULs. */
    CHECK_EQ_INT(tokenize("abcdef", out, 7, argv, 16), 1);
    CHECK_EQ_STR(argv[0], "abcdef");
    CHECK_EQ_INT(tokenize("a 'b c'", out, 6, argv, 16), 2);
    /* Exactly max_args words: no room for the NULL, none written past the array. */
    char *two[3] = {NULL, NULL, (char *)"guard"};
    CHECK_EQ_INT(tokenize("x y", out, sizeof(out), two, 2), 2);
    CHECK_EQ_STR(two[0], "x");
    CHECK_EQ_STR(two[1], "y");
    CHECK_EQ_STR(two[2], "guard");
    CHECK_EQ_INT(tokenize("", out, 1, argv, 0), 0);
}

int main(void)
{
    test_plain();
    test_quotes();
    test_backslashes();
    test_errors();
    test_limits();
    return check_report("shell_tokenize_test");
}
