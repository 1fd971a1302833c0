/* Host tests of the VGA console's terminal: text, wrapping, scrolling, control characters, the
 * escape sequences the shell's line editor uses, colours, UTF-8 and malformed input. */
#include <stdint.h>
#include <string.h>
#include <keel/errno.h>
#include "check.h"
#include "vgacon/vt.h"

#define COLS 10
#define ROWS 4

static uint16_t screen[COLS * ROWS + 1]; /* one guard cell after the screen */
static struct vt vt;

static void reset(void)
{
    screen[COLS * ROWS] = 0xdead;
    CHECK_EQ_INT(vt_init(&vt, screen, COLS, ROWS), 0);
}

static void put(const char *s)
{
    vt_write(&vt, s, strlen(s));
}

/* Row r as text, trailing blanks removed. */
static const char *row(unsigned r)
{
    static char line[COLS + 1];
    for (unsigned i = 0; i < COLS; i++)
        line[i] = (char)(screen[r * COLS + i] & 0xff);
    line[COLS] = 0;
    for (int i = COLS - 1; i >= 0 && line[i] == ' '; i--)
        line[i] = 0;
    return line;
}

static void test_init(void)
{
    CHECK_EQ_INT(vt_init(&vt, screen, 0, 25), KE_INVAL);
    CHECK_EQ_INT(vt_init(&vt, screen, 80, 257), KE_INVAL);
    CHECK_EQ_INT(vt_init(&vt, NULL, 80, 25), KE_INVAL);
    CHECK_EQ_INT(vt_init(NULL, screen, 80, 25), KE_INVAL);
    memset(screen, 0x41, sizeof(screen));
    reset();
    for (unsigned i = 0; i < COLS * ROWS; i++)
        CHECK_EQ_INT(screen[i], 0x0720);
    CHECK_EQ_INT(vt_cursor(&vt), 0);
}

static void test_text_and_newlines(void)
{
    reset();
    put("ab\ncd");
    CHECK_EQ_STR(row(0), "ab");
    CHECK_EQ_STR(row(1), "cd");
    CHECK_EQ_INT(screen[COLS], 0x0763); /* 'c', light grey on black */
    put("\rX");
    CHECK_EQ_STR(row(1), "Xd");
    CHECK_EQ_INT(vt_cursor(&vt), COLS + 1);
    put("\r\n");
    CHECK_EQ_INT(vt_cursor(&vt), 2 * COLS);
    put("\b\b"); /* no reverse wrap */
    CHECK_EQ_INT(vt_cursor(&vt), 2 * COLS);
    put("abc\bZ");
    CHECK_EQ_STR(row(2), "abZ");
    put("\r\t*\t+");
    CHECK_EQ_STR(row(2), "abZ     *+"); /* the second tab stops at the last column */
}

static void test_wrap_and_scroll(void)
{
    reset();
    put("0123456789");
    CHECK_EQ_STR(row(0), "0123456789");
    CHECK_EQ_INT(vt_cursor(&vt), COLS - 1); /* wrap deferred */
    put("\b");
    CHECK_EQ_INT(vt_cursor(&vt), COLS - 2); /* like xterm: BS from a pending wrap moves left */
    put("89A");
    CHECK_EQ_STR(row(0), "0123456789");
    CHECK_EQ_STR(row(1), "A");
    reset();
    put("0123456789\n"); /* a full line then a newline: one line feed, not two */
    CHECK_EQ_INT(vt_cursor(&vt), COLS);
    reset();
    put("l1\nl2\nl3\nl4\nl5");
    CHECK_EQ_STR(row(0), "l2");
    CHECK_EQ_STR(row(3), "l5");
    CHECK_EQ_INT(vt_cursor(&vt), 3 * COLS + 2);
    put("\n");
    CHECK_EQ_STR(row(3), "");
    CHECK_EQ_STR(row(0), "l3");
    CHECK_EQ_INT(screen[COLS * ROWS], 0xdead);
}

static void test_line_editing_sequences(void)
{
    reset();
    /* What a line editor sends for "keel> ecx", Backspace, "ho Hi". */
    put("keel> ecx");
    put("\b\x1b[K");
    CHECK_EQ_STR(row(0), "keel> ec");
    put("ho Hi");
    CHECK_EQ_STR(row(0), "keel> echo");
    CHECK_EQ_STR(row(1), " Hi");
    reset();
    put("abcdef\x1b[3D");
    CHECK_EQ_INT(vt_cursor(&vt), 3);
    put("\x1b[K");
    CHECK_EQ_STR(row(0), "abc");
    put("\x1b[D\x1b[C\x1b[C"); /* default count 1 */
    CHECK_EQ_INT(vt_cursor(&vt), 4);
    put("\x1b[99C");
    CHECK_EQ_INT(vt_cursor(&vt), COLS - 1);
    put("\x1b[99D");
    CHECK_EQ_INT(vt_cursor(&vt), 0);
    put("\x1b[0K");
    CHECK_EQ_STR(row(0), "");
    put("xyz\x1b[2DQ\x1b[D\x1b[1K");
    CHECK_EQ_STR(row(0), "  z");
    put("\x1b[2K");
    CHECK_EQ_STR(row(0), "");
    put("\x1b[3;4HM\x1b[H\x1bH");
    CHECK_EQ_STR(row(2), "   M");
    CHECK_EQ_INT(vt_cursor(&vt), 0);
    put("\x1b[99;99H");
    CHECK_EQ_INT(vt_cursor(&vt), COLS * ROWS - 1);
    put("\x1b[2A\x1b[A\x1b[9B");
    CHECK_EQ_INT(vt_cursor(&vt), COLS * ROWS - 1);
    put("\x1b[2J");
    for (unsigned r = 0; r < ROWS; r++)
        CHECK_EQ_STR(row(r), "");
    CHECK_EQ_INT(vt_cursor(&vt), COLS * ROWS - 1); /* ESC[2J does not move the cursor */
    put("\x1b[Hone\ntwo\x1b[1;2H\x1b[J");
    CHECK_EQ_STR(row(0), "o");
    CHECK_EQ_STR(row(1), "");
}

static void test_colours(void)
{
    reset();
    put("\x1b[31mR\x1b[1;44mB\x1b[0mN\x1b[7mI\x1b[27;92mG\x1b[39;49m.");
    CHECK_EQ_INT(screen[0], 0x0400 | 'R'); /* ANSI red = VGA 4 */
    CHECK_EQ_INT(screen[1], 0x1c00 | 'B'); /* bright red on blue */
    CHECK_EQ_INT(screen[2], 0x0700 | 'N');
    CHECK_EQ_INT(screen[3], 0x7000 | 'I');
    CHECK_EQ_INT(screen[4], 0x0a00 | 'G');
    CHECK_EQ_INT(screen[5], 0x0700 | '.');
}

static void test_ignored_and_malformed(void)
{
    reset();
    put("a\x1b[?25lb\x1b[?25hc\x1b[6nd\x1b(Be\x1b[1;2;3;4;5;6;7mf\x1b[99999999999Dg\x1b[");
    put("5"); /* a sequence split across writes */
    put("Ch");
    CHECK_EQ_STR(row(0), "gbcdefh"); /* the huge count is clamped: g lands in column 0 */
    CHECK_EQ_INT(vt_cursor(&vt), 7);
    reset();
    put("x\x1b[1\x18y\x1b\x1b[Cz\x7f\x01w");
    CHECK_EQ_STR(row(0), "xy zw");
    put("\x1b[1\n2D"); /* a control character inside a sequence still acts */
    CHECK_EQ_INT(vt_cursor(&vt), COLS);
    CHECK_EQ_STR(row(1), "");
}

static void test_utf8(void)
{
    reset();
    put("a\xe2\x80\x94"
        "b\xc2\xb5\xe2\x94\x80\xf0\x9f\x98\x80\xff\xe2\x80z");
    CHECK_EQ_INT(screen[0] & 0xff, 'a');
    CHECK_EQ_INT(screen[1] & 0xff, '-'); /* em dash */
    CHECK_EQ_INT(screen[2] & 0xff, 'b');
    CHECK_EQ_INT(screen[3] & 0xff, 0xe6); /* micro sign */
    CHECK_EQ_INT(screen[4] & 0xff, 0xc4); /* box drawing horizontal */
    CHECK_EQ_INT(screen[5] & 0xff, '?');  /* no glyph */
    CHECK_EQ_INT(screen[6] & 0xff, '?');  /* invalid byte */
    CHECK_EQ_INT(screen[7] & 0xff, '?');  /* truncated sequence */
    CHECK_EQ_INT(screen[8] & 0xff, 'z');
}

static void test_fuzz_bounds(void)
{
    /* Random bytes never write outside the screen nor move the cursor off it. */
    uint32_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        reset();
        char buf[257];
        for (size_t i = 0; i < sizeof(buf); i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned v = seed >> 16;
            buf[i] = (char)(v % 5 == 0 ? "\x1b[;0123456789ABCDHJKm\n\r\b\t"[v % 26] : v);
        }
        vt_write(&vt, buf, sizeof(buf));
        CHECK(vt.x < COLS && vt.y < ROWS);
        CHECK_EQ_INT(screen[COLS * ROWS], 0xdead);
    }
}

int main(void)
{
    test_init();
    test_text_and_newlines();
    test_wrap_and_scroll();
    test_line_editing_sequences();
    test_colours();
    test_ignored_and_malformed();
    test_utf8();
    test_fuzz_bounds();
    return check_report("vgacon_vt_test");
}
