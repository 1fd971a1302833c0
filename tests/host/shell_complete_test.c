/* Host tests of the shell's completion (cells/shell/complete.c) and command index parser
 * (cells/shell/cmdindex.c). */
#include <keel/errno.h>
#include "check.h"
#include "shell/cmdindex.h"
#include "shell/complete.h"

static struct completion c;

static void offer(const char *name)
{
    completion_offer(&c, name, strlen(name));
}

static char listing[4096];
static size_t listing_len;

static void collect(void *ctx, const char *s, size_t n)
{
    CHECK(ctx == &listing);
    if (listing_len + n < sizeof(listing)) {
        memcpy(listing + listing_len, s, n);
        listing_len += n;
        listing[listing_len] = 0;
    }
}

static void list(size_t width, size_t want_lines)
{
    listing_len = 0;
    listing[0] = 0;
    CHECK_EQ_INT(completion_list(&c, width, collect, &listing), want_lines);
}

static void test_unique(void)
{
    const char *ext;
    CHECK_EQ_INT(completion_begin(&c, "ec", 2), 0);
    offer("cat");
    offer("echo");
    offer("cells");
    CHECK_EQ_INT(completion_count(&c), 1);
    size_t n = completion_extension(&c, &ext);
    CHECK_EQ_INT(n, 2);
    CHECK(strncmp(ext, "ho", 2) == 0);
    CHECK_EQ_STR(completion_match(&c, 0), "echo");
    CHECK(completion_match(&c, 1) == NULL);
}

static void test_ambiguous(void)
{
    const char *ext;
    CHECK_EQ_INT(completion_begin(&c, "c", 1), 0);
    offer("crash");
    offer("cat");
    offer("echo");
    offer("cells");
    offer("cat"); /* duplicates count once */
    CHECK_EQ_INT(completion_count(&c), 3);
    CHECK_EQ_INT(completion_extension(&c, &ext), 0);
    CHECK_EQ_STR(completion_match(&c, 0), "cat");
    CHECK_EQ_STR(completion_match(&c, 1), "cells");
    CHECK_EQ_STR(completion_match(&c, 2), "crash");
    list(80, 1);
    CHECK_EQ_STR(listing, "cat    cells  crash\n");
    list(14, 2); /* two columns of 7 */
    CHECK_EQ_STR(listing, "cat    cells\ncrash\n");
    list(3, 3); /* narrower than a column: one per line */
    CHECK_EQ_STR(listing, "cat\ncells\ncrash\n");

    /* A common prefix longer than the word. */
    CHECK_EQ_INT(completion_begin(&c, "u", 1), 0);
    offer("unload");
    offer("uptime");
    offer("unlink");
    CHECK_EQ_INT(completion_count(&c), 3);
    CHECK_EQ_INT(completion_extension(&c, &ext), 0);
    CHECK_EQ_INT(completion_begin(&c, "un", 2), 0);
    offer("unload");
    offer("unlink");
    offer("uptime");
    CHECK_EQ_INT(completion_count(&c), 2);
    size_t n = completion_extension(&c, &ext);
    CHECK_EQ_INT(n, 1);
    CHECK(strncmp(ext, "l", 1) == 0);
    /* One match being a prefix of another. */
    CHECK_EQ_INT(completion_begin(&c, "he", 2), 0);
    offer("hello");
    offer("hello@1.o");
    CHECK_EQ_INT(completion_count(&c), 2);
    n = completion_extension(&c, &ext);
    CHECK_EQ_INT(n, 3);
    CHECK(strncmp(ext, "llo", 3) == 0);
}

static void test_rejects(void)
{
    const char *ext;
    CHECK_EQ_INT(completion_begin(&c, "", 0), 0);
    CHECK_EQ_INT(completion_offer(&c, "a b", 3), 0);
    CHECK_EQ_INT(completion_offer(&c, "tab\t", 4), 0);
    CHECK_EQ_INT(completion_offer(&c, "nu\0l", 4), 0);
    CHECK_EQ_INT(completion_offer(&c, "", 0), 0);
    CHECK_EQ_INT(completion_offer(&c, NULL, 3), 0);
    char big[COMPLETE_NAME_MAX + 1];
    memset(big, 'a', sizeof(big));
    CHECK_EQ_INT(completion_offer(&c, big, COMPLETE_NAME_MAX), 0);
    CHECK_EQ_INT(completion_offer(&c, big, COMPLETE_NAME_MAX - 1), 1);
    CHECK_EQ_INT(completion_offer(&c, "ok", 2), 1);
    CHECK_EQ_INT(completion_offer(&c, "okay", 2), 0); /* the counted length rules: "ok" again */
    CHECK_EQ_INT(completion_count(&c), 2);
    CHECK_EQ_INT(completion_extension(&c, &ext), 0);
    CHECK_EQ_INT(completion_begin(&c, big, COMPLETE_NAME_MAX), KE_RANGE);
    CHECK_EQ_INT(completion_begin(&c, NULL, 1), KE_INVAL);
    CHECK_EQ_INT(completion_begin(&c, "none", 4), 0);
    offer("other");
    CHECK_EQ_INT(completion_count(&c), 0);
    CHECK_EQ_INT(completion_extension(&c, &ext), 0);
    list(80, 0);
    CHECK_EQ_STR(listing, "");
}

static void test_overflow(void)
{
    const char *ext;
    CHECK_EQ_INT(completion_begin(&c, "f", 1), 0);
    char name[16];
    for (int i = COMPLETE_MAX_MATCHES + 9; i >= 0; i--) {
        snprintf(name, sizeof(name), "file%03d", i);
        CHECK_EQ_INT(completion_offer(&c, name, strlen(name)), 1);
    }
    CHECK_EQ_INT(completion_count(&c), COMPLETE_MAX_MATCHES + 10);
    CHECK(completion_match(&c, COMPLETE_MAX_MATCHES) == NULL);
    CHECK(completion_match(&c, COMPLETE_MAX_MATCHES - 1) != NULL);
    /* Sorted although offered in reverse. */
    for (size_t i = 1; i < COMPLETE_MAX_MATCHES; i++)
        CHECK(strcmp(completion_match(&c, i - 1), completion_match(&c, i)) < 0);
    CHECK_EQ_INT(completion_extension(&c, &ext), 3); /* "file" */
    offer("fx");                                     /* not kept, still narrows the prefix */
    CHECK_EQ_INT(completion_extension(&c, &ext), 0);
    list(80, 17); /* 128 names of 7 bytes, 8 a line, and the "more" line */
    CHECK(strstr(listing, "... and 11 more\n") != NULL);
    CHECK(strstr(listing, "file010") != NULL);
}

static const char index_text[] = "echo\techo [args...]\tprint the arguments\tcmd_echo@1.o\n"
                                 "bad line without tabs\n"
                                 "three\tfields\tonly\n"
                                 "five\ta\tb\tcmd_five@1.o\textra\n"
                                 "\tno name\tx\tcmd_x@1.o\n"
                                 "sp ace\tu\ts\tcmd_sp@1.o\n"
                                 "noobj\tu\ts\tcmd_noobj\n"
                                 "atonly\tu\ts\t@1.o\n"
                                 "\n"
                                 "crlf\tcrlf\tline ends\tcmd_crlf@2.o\r\n"
                                 "plain\tplain\tno version\tcmd_plain.o";

static void test_cmdindex(void)
{
    size_t size = sizeof(index_text) - 1, pos = 0;
    struct cmdindex_entry e;
    const char *names[8];
    int n = 0;
    while (n < 8 && cmdindex_next(index_text, size, &pos, &e))
        names[n++] = e.name;
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(pos, size);
    CHECK_EQ_INT(cmdindex_next(index_text, size, &pos, &e), 0);

    CHECK_EQ_INT(cmdindex_find(index_text, size, "echo", &e), 0);
    CHECK(e.name_len == 4 && strncmp(e.name, "echo", 4) == 0);
    CHECK(e.usage_len == 14 && strncmp(e.usage, "echo [args...]", 14) == 0);
    CHECK(e.summary_len == 19 && strncmp(e.summary, "print the arguments", 19) == 0);
    CHECK(e.object_len == 12 && strncmp(e.object, "cmd_echo@1.o", 12) == 0);
    char cell[CMDINDEX_CELL_MAX];
    CHECK_EQ_INT(cmdindex_cell(&e, cell, sizeof(cell)), 8);
    CHECK_EQ_STR(cell, "cmd_echo");
    CHECK_EQ_INT(cmdindex_cell(&e, cell, 8), KE_RANGE);
    CHECK_EQ_INT(cmdindex_cell(&e, cell, 9), 8);

    CHECK_EQ_INT(cmdindex_find(index_text, size, "crlf", &e), 0);
    CHECK(e.object_len == 12 && strncmp(e.object, "cmd_crlf@2.o", 12) == 0);
    CHECK_EQ_INT(cmdindex_find(index_text, size, "plain", &e), 0);
    CHECK_EQ_INT(cmdindex_cell(&e, cell, sizeof(cell)), 9);
    CHECK_EQ_STR(cell, "cmd_plain");

    CHECK_EQ_INT(cmdindex_find(index_text, size, "ech", &e), KE_NOENT);
    CHECK_EQ_INT(cmdindex_find(index_text, size, "echo2", &e), KE_NOENT);
    CHECK_EQ_INT(cmdindex_find(index_text, size, "five", &e), KE_NOENT);
    CHECK_EQ_INT(cmdindex_find(index_text, size, "three", &e), KE_NOENT);
    CHECK_EQ_INT(cmdindex_find(index_text, size, "noobj", &e), KE_NOENT);
    CHECK_EQ_INT(cmdindex_find(index_text, size, "atonly", &e), KE_NOENT);
    CHECK_EQ_INT(cmdindex_find(index_text, size, "", &e), KE_NOENT);
    CHECK_EQ_INT(cmdindex_find(NULL, size, "echo", &e), KE_INVAL);
    CHECK_EQ_INT(cmdindex_find(index_text, 0, "echo", &e), KE_NOENT);
    /* A truncated index: the cut line is malformed, the ones before still count. */
    CHECK_EQ_INT(cmdindex_find(index_text, 30, "echo", &e), KE_NOENT);
    CHECK_EQ_INT(cmdindex_find(index_text, 53, "echo", &e), 0);
}

int main(void)
{
    test_unique();
    test_ambiguous();
    test_rejects();
    test_overflow();
    test_cmdindex();
    return check_report("shell_complete_test");
}
