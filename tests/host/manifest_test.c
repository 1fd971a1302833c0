/* The boot manifest parser: batches, comments, line numbers, every refusal, carrying on. */
#include <keel/errno.h>
#include <keel/manifest.h>
#include "check.h"

static int item_is(const struct manifest_batch *b, size_t i, const char *name)
{
    return i < b->count && b->items[i].len == strlen(name) &&
           memcmp(b->items[i].name, name, b->items[i].len) == 0;
}

int main(void)
{
    const char *text = "# boot cells\n"
                       "\n"
                       "hello@1.o\n"
                       "  ping@1.o\tpong@1.o   # a batch\r\n"
                       "bad/name.o\n"
                       "greeter@1.o";
    const char *cur = text, *end = text + strlen(text);
    struct manifest_batch b = {0};

    CHECK_EQ_INT(manifest_next(&cur, end, &b), 1);
    CHECK_EQ_INT(b.line, 3);
    CHECK_EQ_INT(b.count, 1);
    CHECK(item_is(&b, 0, "hello@1.o"));

    CHECK_EQ_INT(manifest_next(&cur, end, &b), 1);
    CHECK_EQ_INT(b.line, 4);
    CHECK_EQ_INT(b.count, 2);
    CHECK(item_is(&b, 0, "ping@1.o") && item_is(&b, 1, "pong@1.o"));

    CHECK_EQ_INT(manifest_next(&cur, end, &b), KE_NOEXEC);
    CHECK_EQ_INT(b.line, 5);
    CHECK_EQ_INT(b.count, 0);

    CHECK_EQ_INT(manifest_next(&cur, end, &b), 1); /* carries on after the bad line */
    CHECK_EQ_INT(b.line, 6);
    CHECK(item_is(&b, 0, "greeter@1.o"));
    CHECK_EQ_INT(manifest_next(&cur, end, &b), 0);
    CHECK_EQ_INT(manifest_next(&cur, end, &b), 0);

    /* Too many names on a line, a name too long, a NUL byte. */
    char many[1024] = "";
    for (int i = 0; i <= MANIFEST_MAX_BATCH; i++)
        strcat(many, "a.o ");
    struct manifest_batch m = {0};
    cur = many;
    CHECK_EQ_INT(manifest_next(&cur, many + strlen(many), &m), KE_NOEXEC);
    char longname[MANIFEST_NAME_MAX + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    struct manifest_batch l = {0};
    cur = longname;
    CHECK_EQ_INT(manifest_next(&cur, longname + strlen(longname), &l), KE_NOEXEC);
    longname[MANIFEST_NAME_MAX] = 0; /* exactly the limit is fine */
    l.line = 0;
    cur = longname;
    CHECK_EQ_INT(manifest_next(&cur, longname + strlen(longname), &l), 1);
    const char nul[] = "a.o\0b.o\n";
    struct manifest_batch z = {0};
    cur = nul;
    CHECK_EQ_INT(manifest_next(&cur, nul + sizeof(nul) - 1, &z), KE_NOEXEC);

    /* Empty input, and bad arguments. */
    struct manifest_batch e = {0};
    cur = text;
    CHECK_EQ_INT(manifest_next(&cur, text, &e), 0);
    CHECK_EQ_INT(manifest_next(NULL, end, &e), KE_INVAL);
    cur = end;
    CHECK_EQ_INT(manifest_next(&cur, text, &e), KE_INVAL);
    return check_report("manifest_test");
}
