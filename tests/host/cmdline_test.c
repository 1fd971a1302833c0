/* Host tests for kernel command line parsing: iteration, whole-word matching, quoting, overrides,
 * buffer overflow handling and number parsing. */
#include "check.h"

#include <keel/cmdline.h>
#include <keel/errno.h>

static int span_eq(const char *p, size_t n, const char *s)
{
    return p && strlen(s) == n && memcmp(p, s, n) == 0;
}

static void test_next(void)
{
    const char *line = "  selftest=pagefault\tpanic=exit  quiet msg=\"hello  world\" empty= "
                       "=stray last\n";
    const char *cur = line;
    struct cmdline_opt o;

    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "selftest"));
    CHECK(o.has_value);
    CHECK(span_eq(o.value, o.value_len, "pagefault"));

    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "panic"));
    CHECK(span_eq(o.value, o.value_len, "exit"));

    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "quiet"));
    CHECK(!o.has_value);
    CHECK(o.value == NULL);
    CHECK_EQ_U64(o.value_len, 0);

    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "msg"));
    CHECK(span_eq(o.value, o.value_len, "hello  world"));

    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "empty"));
    CHECK(o.has_value);
    CHECK_EQ_U64(o.value_len, 0);

    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK_EQ_U64(o.key_len, 0);
    CHECK(span_eq(o.value, o.value_len, "stray"));

    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "last"));
    CHECK(!o.has_value);

    CHECK_EQ_INT(cmdline_next(&cur, &o), 0);
    CHECK_EQ_INT(cmdline_next(&cur, &o), 0); /* stays at the end */
    CHECK(*cur == 0);

    /* Empty and whitespace-only lines, NULL handling. */
    cur = "";
    CHECK_EQ_INT(cmdline_next(&cur, &o), 0);
    cur = " \t \n";
    CHECK_EQ_INT(cmdline_next(&cur, &o), 0);
    cur = NULL;
    CHECK_EQ_INT(cmdline_next(&cur, &o), 0);
    CHECK_EQ_INT(cmdline_next(NULL, &o), KE_INVAL);
    cur = "a";
    CHECK_EQ_INT(cmdline_next(&cur, NULL), KE_INVAL);

    /* A quoted value ends at its closing quote; what follows is the next option. An unclosed
     * quote runs to the end of the line. */
    cur = "a=\"x y\"b=1 c=\"open ended";
    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.value, o.value_len, "x y"));
    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "b"));
    CHECK(span_eq(o.value, o.value_len, "1"));
    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "c"));
    CHECK(span_eq(o.value, o.value_len, "open ended"));
    CHECK_EQ_INT(cmdline_next(&cur, &o), 0);

    /* Only the first '=' separates key and value. */
    cur = "root=LABEL=keel";
    CHECK_EQ_INT(cmdline_next(&cur, &o), 1);
    CHECK(span_eq(o.key, o.key_len, "root"));
    CHECK(span_eq(o.value, o.value_len, "LABEL=keel"));
}

static void test_has(void)
{
    const char *line = "selftest=pagefault panic=exit loglevel=debug quiet";
    CHECK(cmdline_has(line, "selftest"));
    CHECK(cmdline_has(line, "panic"));
    CHECK(cmdline_has(line, "quiet"));
    CHECK(cmdline_has(line, "loglevel"));
    CHECK(!cmdline_has(line, "debug")); /* a value is not a key */
    CHECK(!cmdline_has(line, "pagefault"));
    CHECK(!cmdline_has(line, "quie"));
    CHECK(!cmdline_has(line, "quiet2"));
    CHECK(!cmdline_has(line, "self"));
    CHECK(!cmdline_has(line, ""));
    CHECK(!cmdline_has(line, NULL));
    CHECK(!cmdline_has(NULL, "quiet"));
    CHECK(!cmdline_has("", "quiet"));

    /* Whole words only. */
    CHECK(!cmdline_has("panicky=1 xpanic panic_on_oops", "panic"));
    CHECK(cmdline_has("panicky=1 xpanic panic", "panic"));
    CHECK(!cmdline_has("msg=\"panic now\"", "panic")); /* inside a quoted value */
    CHECK(!cmdline_has("a=b", "a=b"));
}

static void test_get(void)
{
    char buf[32];
    const char *line = "selftest=pagefault panic=exit loglevel=debug quiet loglevel=warn "
                       "msg=\"two words\" empty=";
    CHECK_EQ_INT(cmdline_get(line, "selftest", buf, sizeof(buf)), 9);
    CHECK_EQ_STR(buf, "pagefault");
    CHECK_EQ_INT(cmdline_get(line, "panic", buf, sizeof(buf)), 4);
    CHECK_EQ_STR(buf, "exit");
    /* Later occurrences override earlier ones. */
    CHECK_EQ_INT(cmdline_get(line, "loglevel", buf, sizeof(buf)), 4);
    CHECK_EQ_STR(buf, "warn");
    CHECK_EQ_INT(cmdline_get(line, "msg", buf, sizeof(buf)), 9);
    CHECK_EQ_STR(buf, "two words");
    /* Bare words and empty values read as "". */
    strcpy(buf, "junk");
    CHECK_EQ_INT(cmdline_get(line, "quiet", buf, sizeof(buf)), 0);
    CHECK_EQ_STR(buf, "");
    strcpy(buf, "junk");
    CHECK_EQ_INT(cmdline_get(line, "empty", buf, sizeof(buf)), 0);
    CHECK_EQ_STR(buf, "");
    /* Override by a bare word, and by a later value. */
    CHECK_EQ_INT(cmdline_get("x=1 x", "x", buf, sizeof(buf)), 0);
    CHECK_EQ_INT(cmdline_get("x x=1", "x", buf, sizeof(buf)), 1);
    CHECK_EQ_STR(buf, "1");

    /* Missing keys and whole-word matching. */
    strcpy(buf, "keep");
    CHECK_EQ_INT(cmdline_get(line, "missing", buf, sizeof(buf)), KE_NOENT);
    CHECK_EQ_INT(cmdline_get("panicky=1 xpanic=2", "panic", buf, sizeof(buf)), KE_NOENT);
    CHECK_EQ_INT(cmdline_get(NULL, "panic", buf, sizeof(buf)), KE_NOENT);
    CHECK_EQ_STR(buf, "keep");

    /* Overflow: the value plus its NUL must fit; the buffer is untouched otherwise. */
    CHECK_EQ_INT(cmdline_get(line, "selftest", buf, 9), KE_RANGE);
    CHECK_EQ_STR(buf, "keep");
    CHECK_EQ_INT(cmdline_get(line, "selftest", buf, 10), 9);
    CHECK_EQ_STR(buf, "pagefault");
    strcpy(buf, "keep");
    CHECK_EQ_INT(cmdline_get(line, "quiet", buf, 0), KE_RANGE);
    CHECK_EQ_STR(buf, "keep");
    CHECK_EQ_INT(cmdline_get(line, "quiet", buf, 1), 0);
    CHECK_EQ_STR(buf, "");

    CHECK_EQ_INT(cmdline_get(line, NULL, buf, sizeof(buf)), KE_INVAL);
    CHECK_EQ_INT(cmdline_get(line, "", buf, sizeof(buf)), KE_INVAL);
    CHECK_EQ_INT(cmdline_get(line, "panic", NULL, 0), KE_INVAL);
}

static void test_get_u64(void)
{
    uint64_t v = 0;
    CHECK_EQ_INT(cmdline_get_u64("n=0", "n", &v), 0);
    CHECK_EQ_U64(v, 0);
    CHECK_EQ_INT(cmdline_get_u64("n=12345", "n", &v), 0);
    CHECK_EQ_U64(v, 12345);
    CHECK_EQ_INT(cmdline_get_u64("n=0x1F", "n", &v), 0);
    CHECK_EQ_U64(v, 0x1f);
    CHECK_EQ_INT(cmdline_get_u64("n=0XdeadBEEF", "n", &v), 0);
    CHECK_EQ_U64(v, 0xdeadbeef);
    CHECK_EQ_INT(cmdline_get_u64("n=007", "n", &v), 0); /* decimal, not octal */
    CHECK_EQ_U64(v, 7);
    CHECK_EQ_INT(cmdline_get_u64("n=18446744073709551615", "n", &v), 0);
    CHECK_EQ_U64(v, UINT64_MAX);
    CHECK_EQ_INT(cmdline_get_u64("n=0xffffffffffffffff", "n", &v), 0);
    CHECK_EQ_U64(v, UINT64_MAX);
    CHECK_EQ_INT(cmdline_get_u64("n=\"42\"", "n", &v), 0);
    CHECK_EQ_U64(v, 42);
    CHECK_EQ_INT(cmdline_get_u64("n=1 n=2", "n", &v), 0);
    CHECK_EQ_U64(v, 2);

    /* Junk and overflow leave *out unchanged. */
    v = 99;
    const char *bad[] = {"n=18446744073709551616",
                         "n=0x10000000000000000",
                         "n=99999999999999999999",
                         "n=",
                         "n",
                         "n=0x",
                         "n=-1",
                         "n=+1",
                         "n=12a",
                         "n=0x12g",
                         "n= 1",
                         "n=1.5",
                         "n=0b101",
                         "n=\"\"",
                         "n=abc"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = cmdline_get_u64(bad[i], "n", &v);
        CHECK_EQ_INT(rc, KE_INVAL);
        if (rc != KE_INVAL)
            fprintf(stderr, "    input: %s\n", bad[i]);
    }
    CHECK_EQ_U64(v, 99);
    CHECK_EQ_INT(cmdline_get_u64("m=1", "n", &v), KE_NOENT);
    CHECK_EQ_INT(cmdline_get_u64("nn=1", "n", &v), KE_NOENT);
    CHECK_EQ_INT(cmdline_get_u64("n=1", "n", NULL), KE_INVAL);
    CHECK_EQ_INT(cmdline_get_u64("n=1", NULL, &v), KE_INVAL);
    CHECK_EQ_U64(v, 99);
    /* The last occurrence decides, even if an earlier one was valid. */
    CHECK_EQ_INT(cmdline_get_u64("n=1 n=x", "n", &v), KE_INVAL);
}

int main(void)
{
    test_next();
    test_has();
    test_get();
    test_get_u64();
    return check_report("cmdline_test");
}
