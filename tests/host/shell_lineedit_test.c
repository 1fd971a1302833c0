/* Host tests of the shell's line editor (cells/shell/lineedit.c): every key's effect on the
 * line, the cursor and the history, and — through a terminal model — that what the editor
 * writes leaves the screen showing exactly the prompt, the line and the cursor. */
#include <keel/errno.h>
#include "check.h"
#include "shell/lineedit.h"
#include "shell_term.h"

#define P "keel> "

static struct lineedit le;
static struct term term;

static void start(void)
{
    term_reset(&term);
    lineedit_begin(&le, P);
}

/* Feed keys; returns the last event other than LINEEDIT_NONE (or NONE). */
static enum lineedit_event keys(const char *s)
{
    enum lineedit_event last = LINEEDIT_NONE;
    for (; *s; s++) {
        enum lineedit_event ev = lineedit_feed(&le, *s);
        if (ev != LINEEDIT_NONE)
            last = ev;
    }
    return last;
}

/* The line, the cursor, and the screen agree. */
#define CHECK_LINE(text, cursor)                                                                   \
    do {                                                                                           \
        CHECK_EQ_STR(lineedit_text(&le), text);                                                    \
        CHECK_EQ_INT(lineedit_cursor(&le), cursor);                                                \
        CHECK_EQ_INT(lineedit_length(&le), strlen(text));                                          \
        CHECK(term_shows(&term, P, text, cursor));                                                 \
    } while (0)

#define LEFT  "\x1b[D"
#define RIGHT "\x1b[C"
#define UP    "\x1b[A"
#define DOWN  "\x1b[B"
#define HOME  "\x1b[H"
#define END   "\x1b[F"
#define DEL   "\x1b[3~"

static void test_typing(void)
{
    start();
    CHECK_LINE("", 0);
    CHECK_EQ_STR(term.line, P);
    CHECK_EQ_INT(keys("echo hi"), LINEEDIT_NONE);
    CHECK_LINE("echo hi", 7);
    /* Typing at the end echoes plain characters: a transcript reads like the line. */
    CHECK_EQ_STR(term.out, P "echo hi");
    CHECK_EQ_INT(term.escapes, 0);
}

static void test_fix_typo(void)
{
    start();
    keys("ehco");
    keys(LEFT LEFT LEFT);
    CHECK_LINE("ehco", 1);
    keys(RIGHT);
    CHECK_LINE("ehco", 2);
    keys("\x7f");
    CHECK_LINE("eco", 1);
    keys(RIGHT "h");
    CHECK_LINE("echo", 3);
    keys(END " x");
    CHECK_LINE("echo x", 6);
}

static void test_insert_middle(void)
{
    start();
    keys("ac" LEFT "b");
    CHECK_LINE("abc", 2);
    keys(LEFT LEFT LEFT LEFT); /* past the start: stays at 0 */
    CHECK_LINE("abc", 0);
    keys(">");
    CHECK_LINE(">abc", 1);
    keys(RIGHT RIGHT RIGHT RIGHT RIGHT);
    CHECK_LINE(">abc", 4);
}

static void test_home_end(void)
{
    start();
    keys("hello world");
    keys(HOME);
    CHECK_LINE("hello world", 0);
    keys(END);
    CHECK_LINE("hello world", 11);
    keys("\x01"); /* Ctrl-A */
    CHECK_LINE("hello world", 0);
    keys("\x05"); /* Ctrl-E */
    CHECK_LINE("hello world", 11);
    keys("\x1bOH");
    CHECK_LINE("hello world", 0);
    keys("\x1bOF");
    CHECK_LINE("hello world", 11);
    keys("\x1b[1~");
    CHECK_LINE("hello world", 0);
    keys("\x1b[4~");
    CHECK_LINE("hello world", 11);
    keys("\x1b[7~");
    CHECK_LINE("hello world", 0);
    keys("\x1b[8~");
    CHECK_LINE("hello world", 11);
    keys("\x02\x02"); /* Ctrl-B */
    CHECK_LINE("hello world", 9);
    keys("\x06"); /* Ctrl-F */
    CHECK_LINE("hello world", 10);
    keys("\x1b[1;5D"); /* modifiers are ignored: a plain Left */
    CHECK_LINE("hello world", 9);
}

static void test_kills(void)
{
    start();
    keys("abc def" HOME RIGHT RIGHT RIGHT RIGHT);
    keys("\x15"); /* Ctrl-U */
    CHECK_LINE("def", 0);
    keys("\x15"); /* at the start: nothing */
    CHECK_LINE("def", 0);
    keys(RIGHT "\x0b"); /* Ctrl-K */
    CHECK_LINE("d", 1);

    start();
    keys("echo hello  world");
    keys("\x17"); /* Ctrl-W */
    CHECK_LINE("echo hello  ", 12);
    keys("\x17");
    CHECK_LINE("echo ", 5);
    keys("\x17");
    CHECK_LINE("", 0);
    keys("\x17");
    CHECK_LINE("", 0);

    start();
    keys("one two three" LEFT LEFT LEFT LEFT LEFT); /* before "three" */
    keys("\x17");
    CHECK_LINE("one three", 4);
}

static void test_backspace_delete(void)
{
    start();
    keys("abcd");
    keys("\x7f");
    CHECK_LINE("abc", 3);
    keys("\x08");
    CHECK_LINE("ab", 2);
    keys(HOME "\x7f"); /* at the start: nothing */
    CHECK_LINE("ab", 0);
    keys(DEL);
    CHECK_LINE("b", 0);
    keys(END DEL); /* at the end: nothing */
    CHECK_LINE("b", 1);
    keys("cde" LEFT LEFT DEL);
    CHECK_LINE("bce", 2);
    CHECK(term.escapes > 0);
}

static void test_enter(void)
{
    start();
    keys("ls");
    CHECK_EQ_INT(lineedit_feed(&le, '\r'), LINEEDIT_LINE);
    CHECK_EQ_STR(lineedit_text(&le), "ls");
    CHECK_EQ_STR(term.prev, P "ls");
    CHECK_EQ_INT(term.newlines, 1);
    /* The "\n" of "\r\n" is part of the same Enter. */
    start();
    CHECK_EQ_INT(lineedit_feed(&le, '\n'), LINEEDIT_NONE);
    CHECK_EQ_INT(term.newlines, 0);
    /* A lone "\n" is an Enter of its own, even for an empty line. */
    CHECK_EQ_INT(lineedit_feed(&le, '\n'), LINEEDIT_LINE);
    CHECK_EQ_STR(lineedit_text(&le), "");
    CHECK_EQ_INT(term.newlines, 1);
    /* Enter with the cursor inside the line takes all of it and leaves the cursor at its end. */
    start();
    keys("cat file" HOME);
    CHECK_EQ_INT(keys("\r"), LINEEDIT_LINE);
    CHECK_EQ_STR(lineedit_text(&le), "cat file");
    CHECK_EQ_STR(term.prev, P "cat file");
    CHECK(!term.bad);
}

static void test_ctrl_c(void)
{
    size_t before = lineedit_history_count(&le);
    start();
    keys("abandoned" LEFT LEFT);
    CHECK_EQ_INT(keys("\x03"), LINEEDIT_INTERRUPT);
    CHECK_EQ_STR(term.prev, P "abandoned^C");
    CHECK_LINE("", 0); /* a fresh prompt on the next line */
    CHECK_EQ_INT(term.newlines, 1);
    CHECK_EQ_INT(lineedit_history_count(&le), before);
    keys("next");
    CHECK_LINE("next", 4);
}

static void test_history(void)
{
    lineedit_init(&le, term_write, &term);
    start();
    CHECK_EQ_INT(keys("first\r"), LINEEDIT_LINE);
    start();
    keys("second\r");
    start();
    keys("second\r"); /* a repeat of the latest entry is not stored again */
    start();
    keys("   \r"); /* nor is a blank line */
    CHECK_EQ_INT(lineedit_history_count(&le), 2);
    CHECK_EQ_STR(lineedit_history_at(&le, 0), "first");
    CHECK_EQ_STR(lineedit_history_at(&le, 1), "second");
    CHECK(lineedit_history_at(&le, 2) == NULL);

    start();
    keys("draft");
    keys(UP);
    CHECK_LINE("second", 6);
    keys(UP);
    CHECK_LINE("first", 5);
    keys(UP); /* the oldest: stays */
    CHECK_LINE("first", 5);
    keys(DOWN);
    CHECK_LINE("second", 6);
    keys(DOWN); /* back to the line being typed */
    CHECK_LINE("draft", 5);
    keys(DOWN);
    CHECK_LINE("draft", 5);
    keys("\x10"); /* Ctrl-P */
    CHECK_LINE("second", 6);
    keys("\x0e"); /* Ctrl-N */
    CHECK_LINE("draft", 5);
    /* A recalled line can be edited and entered. */
    keys(UP UP " x");
    CHECK_EQ_INT(keys("\r"), LINEEDIT_LINE);
    CHECK_EQ_STR(lineedit_text(&le), "first x");
    CHECK_EQ_INT(lineedit_history_count(&le), 3);
    /* Browsing restarts from the newest after a line. */
    start();
    keys(UP);
    CHECK_LINE("first x", 7);

    /* The oldest entries go once the history is full. */
    char line[16];
    for (int i = 0; i < LINEEDIT_HISTORY + 5; i++) {
        snprintf(line, sizeof(line), "cmd%d", i);
        CHECK_EQ_INT(lineedit_history_add(&le, line), 1);
    }
    CHECK_EQ_INT(lineedit_history_count(&le), LINEEDIT_HISTORY);
    CHECK_EQ_STR(lineedit_history_at(&le, 0), "cmd5");
    snprintf(line, sizeof(line), "cmd%d", LINEEDIT_HISTORY + 4);
    CHECK_EQ_STR(lineedit_history_at(&le, LINEEDIT_HISTORY - 1), line);
    start();
    for (int i = 0; i < LINEEDIT_HISTORY + 3; i++)
        keys(UP);
    CHECK_LINE("cmd5", 4);

    CHECK_EQ_INT(lineedit_history_add(&le, NULL), KE_INVAL);
    char big[LINEEDIT_MAX + 1];
    memset(big, 'x', LINEEDIT_MAX);
    big[LINEEDIT_MAX] = 0;
    CHECK_EQ_INT(lineedit_history_add(&le, big), KE_RANGE);
    CHECK_EQ_INT(lineedit_history_count(&le), LINEEDIT_HISTORY);
}

static void test_history_shorter_line_erased(void)
{
    lineedit_init(&le, term_write, &term);
    lineedit_history_add(&le, "a much longer command line");
    lineedit_history_add(&le, "ps");
    start();
    keys(UP UP);
    CHECK_LINE("a much longer command line", 26);
    keys(DOWN); /* the screen must not keep the tail of the longer line */
    CHECK_LINE("ps", 2);
}

static void test_tab_and_insert(void)
{
    start();
    keys("ec");
    CHECK_EQ_INT(lineedit_feed(&le, '\t'), LINEEDIT_TAB);
    CHECK_EQ_INT(lineedit_tabs(&le), 1);
    CHECK_LINE("ec", 2); /* the editor itself inserts nothing */
    CHECK_EQ_INT(lineedit_feed(&le, '\t'), LINEEDIT_TAB);
    CHECK_EQ_INT(lineedit_tabs(&le), 2);
    keys("x");
    CHECK_EQ_INT(lineedit_tabs(&le), 0);
    keys("\x7f");
    CHECK_EQ_INT(lineedit_insert(&le, "ho ", 3), 0);
    CHECK_LINE("echo ", 5);
    keys(HOME);
    CHECK_EQ_INT(lineedit_insert(&le, ">", 1), 0);
    CHECK_LINE(">echo ", 1);
    CHECK_EQ_INT(lineedit_insert(&le, "a\tb", 3), KE_INVAL);
    CHECK_EQ_INT(lineedit_insert(&le, NULL, 1), KE_INVAL);
    CHECK_EQ_INT(lineedit_insert(&le, NULL, 0), 0);
    CHECK_LINE(">echo ", 1);
    char big[LINEEDIT_MAX];
    memset(big, 'y', sizeof(big));
    CHECK_EQ_INT(lineedit_insert(&le, big, LINEEDIT_MAX - 1 - 6 + 1), KE_RANGE);
    CHECK_LINE(">echo ", 1);
    CHECK_EQ_INT(lineedit_insert(&le, big, LINEEDIT_MAX - 1 - 6), 0);
    CHECK_EQ_INT(lineedit_length(&le), LINEEDIT_MAX - 1);
    /* A full line refuses more typing with a bell. */
    unsigned bells = term.bells;
    keys("z");
    CHECK_EQ_INT(lineedit_length(&le), LINEEDIT_MAX - 1);
    CHECK_EQ_INT(term.bells, bells + 1);
    CHECK(strchr(lineedit_text(&le), 'z') == NULL);
}

static void test_redraw(void)
{
    start();
    keys("cat fi" LEFT);
    term_write(&term, "\nfile1  file2\n", 14); /* what a completion listing prints */
    lineedit_redraw(&le);
    CHECK_EQ_STR(term.prev, "file1  file2");
    CHECK_LINE("cat fi", 5);
    keys("X");
    CHECK_LINE("cat fXi", 6);
}

static void test_ignored_bytes(void)
{
    start();
    keys("a\x1b[Z\x1b[5~\x1b[99~b"); /* unknown sequences */
    CHECK_LINE("ab", 2);
    keys("\x1bx"); /* ESC + an ordinary key: the key counts */
    CHECK_LINE("abx", 3);
    keys("\x80\xff\x01\x04\x07"); /* non-ASCII and unused control keys; Ctrl-A is Home */
    CHECK_LINE("abx", 0);
    keys("\x1b\x1b[F"); /* a doubled ESC still starts the sequence */
    CHECK_LINE("abx", 3);
    keys("\x1b[\r"); /* a sequence cut short by Enter: the Enter counts */
    CHECK_EQ_STR(term.prev, P "abx");
}

int main(void)
{
    lineedit_init(&le, term_write, &term);
    test_typing();
    test_fix_typo();
    test_insert_middle();
    test_home_end();
    test_kills();
    test_backspace_delete();
    test_enter();
    test_ctrl_c();
    test_history();
    test_history_shorter_line_erased();
    test_tab_and_insert();
    test_redraw();
    test_ignored_bytes();
    return check_report("shell_lineedit_test");
}
