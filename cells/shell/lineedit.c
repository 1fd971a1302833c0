/* The line editor (lineedit.h). Every edit changes the buffer first, then brings the terminal in
 * line with it by rewriting only the tail that changed: move to the first changed column, write
 * the rest of the line, erase what is left of the old one, move back to the cursor. */
#include <keel/errno.h>
#include <keel/string.h>
#include "lineedit.h"

#define CTRL(c) ((char)((c)&0x1f))

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

static void out(struct lineedit *le, const char *s, size_t n)
{
    if (n)
        le->write(le->ctx, s, n);
}

static void out_str(struct lineedit *le, const char *s)
{
    out(le, s, strlen(s));
}

/* ESC [ n <final>: a relative cursor move. */
static void out_move(struct lineedit *le, size_t n, char final)
{
    char seq[24];
    char digits[20];
    size_t d = 0, k = 0;
    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    seq[k++] = 0x1b;
    seq[k++] = '[';
    while (d)
        seq[k++] = digits[--d];
    seq[k++] = final;
    out(le, seq, k);
}

/* Move the terminal cursor to column pos of the line (pos <= drawn). */
static void move_to(struct lineedit *le, size_t pos)
{
    if (pos < le->shown)
        out_move(le, le->shown - pos, 'D');
    else if (pos > le->shown)
        out_move(le, pos - le->shown, 'C');
    le->shown = pos;
}

/* The buffer changed from column `from` on (the screen is still right before it): rewrite the
 * tail, erase leftovers of a longer old line, put the cursor back. */
static void refresh(struct lineedit *le, size_t from)
{
    if (from > le->drawn)
        from = le->drawn;
    move_to(le, from);
    out(le, le->buf + from, le->len - from);
    le->shown = le->len;
    if (le->drawn > le->len)
        out_str(le, "\x1b[K");
    le->drawn = le->len;
    move_to(le, le->cur);
}

static void set_line(struct lineedit *le, const char *s)
{
    size_t n = strnlen(s, LINEEDIT_MAX - 1);
    memcpy(le->buf, s, n);
    le->buf[n] = 0;
    le->len = le->cur = n;
    refresh(le, 0);
}

static void delete_range(struct lineedit *le, size_t a, size_t b)
{
    if (a >= b)
        return;
    memmove(le->buf + a, le->buf + b, le->len - b + 1);
    le->len -= b - a;
    le->cur = a;
    refresh(le, a);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_printable(char c)
{
    return c >= 0x20 && c < 0x7f;
}

void lineedit_init(struct lineedit *le, lineedit_write_fn write, void *ctx)
{
    memset(le, 0, sizeof(*le));
    le->write = write;
    le->ctx = ctx;
}

void lineedit_begin(struct lineedit *le, const char *prompt)
{
    /* A copy, not a pointer: the editor's state holds no pointer into read-only data, so it can
     * be carried across a live swap of the shell (docs/live-swap.md). */
    if (prompt != le->prompt) {
        size_t n = prompt ? strnlen(prompt, LINEEDIT_PROMPT_MAX - 1) : 0;
        memmove(le->prompt, prompt ? prompt : "", n);
        le->prompt[n] = 0;
    }
    le->buf[0] = 0;
    le->len = le->cur = le->shown = le->drawn = 0;
    le->esc = ESC_NONE;
    le->tabs = 0;
    le->browse = 0;
    out_str(le, le->prompt);
}

const char *lineedit_text(const struct lineedit *le)
{
    return le->buf;
}

size_t lineedit_length(const struct lineedit *le)
{
    return le->len;
}

size_t lineedit_cursor(const struct lineedit *le)
{
    return le->cur;
}

unsigned lineedit_tabs(const struct lineedit *le)
{
    return le->tabs;
}

int lineedit_insert(struct lineedit *le, const char *s, size_t n)
{
    if (!s && n)
        return KE_INVAL;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_printable(s[i]))
            return KE_INVAL;
    if (n > LINEEDIT_MAX - 1 - le->len)
        return KE_RANGE;
    size_t at = le->cur;
    memmove(le->buf + at + n, le->buf + at, le->len - at + 1);
    memcpy(le->buf + at, s, n);
    le->len += n;
    le->cur += n;
    refresh(le, at);
    return 0;
}

void lineedit_redraw(struct lineedit *le)
{
    out_str(le, le->prompt);
    out(le, le->buf, le->len);
    le->shown = le->drawn = le->len;
    move_to(le, le->cur);
}

/* ---- history ---------------------------------------------------------------------------- */

size_t lineedit_history_count(const struct lineedit *le)
{
    return le->hist_count;
}

const char *lineedit_history_at(const struct lineedit *le, size_t i)
{
    if (i >= le->hist_count)
        return NULL;
    return le->hist[(le->hist_head + i) % LINEEDIT_HISTORY];
}

int lineedit_history_add(struct lineedit *le, const char *line)
{
    if (!line)
        return KE_INVAL;
    size_t n = strnlen(line, LINEEDIT_MAX);
    if (n >= LINEEDIT_MAX)
        return KE_RANGE;
    size_t i = 0;
    while (i < n && is_blank(line[i]))
        i++;
    if (i == n)
        return 0;
    if (le->hist_count && strcmp(lineedit_history_at(le, le->hist_count - 1), line) == 0)
        return 0;
    char *slot;
    if (le->hist_count < LINEEDIT_HISTORY) {
        slot = le->hist[(le->hist_head + le->hist_count) % LINEEDIT_HISTORY];
        le->hist_count++;
    } else {
        slot = le->hist[le->hist_head];
        le->hist_head = (le->hist_head + 1) % LINEEDIT_HISTORY;
    }
    memcpy(slot, line, n + 1);
    return 1;
}

static void history_move(struct lineedit *le, bool older)
{
    if (older) {
        if (le->browse >= le->hist_count)
            return;
        if (le->browse == 0)
            memcpy(le->saved, le->buf, le->len + 1);
        le->browse++;
    } else {
        if (le->browse == 0)
            return;
        le->browse--;
    }
    set_line(le, le->browse ? lineedit_history_at(le, le->hist_count - le->browse) : le->saved);
}

/* ---- keys ------------------------------------------------------------------------------- */

enum key { KEY_UP = 1, KEY_DOWN, KEY_RIGHT, KEY_LEFT, KEY_HOME, KEY_END, KEY_DELETE };

static void do_key(struct lineedit *le, enum key k)
{
    switch (k) {
    case KEY_UP:
    case KEY_DOWN:
        history_move(le, k == KEY_UP);
        break;
    case KEY_LEFT:
        if (le->cur > 0)
            move_to(le, --le->cur);
        break;
    case KEY_RIGHT:
        if (le->cur < le->len)
            move_to(le, ++le->cur);
        break;
    case KEY_HOME:
        move_to(le, le->cur = 0);
        break;
    case KEY_END:
        move_to(le, le->cur = le->len);
        break;
    case KEY_DELETE:
        delete_range(le, le->cur, le->cur < le->len ? le->cur + 1 : le->cur);
        break;
    }
}

static enum lineedit_event enter(struct lineedit *le)
{
    move_to(le, le->len);
    out_str(le, "\n");
    lineedit_history_add(le, le->buf);
    le->browse = 0;
    return LINEEDIT_LINE;
}

static enum lineedit_event interrupt(struct lineedit *le)
{
    move_to(le, le->len);
    out_str(le, "^C\n");
    lineedit_begin(le, le->prompt);
    return LINEEDIT_INTERRUPT;
}

static void word_rubout(struct lineedit *le)
{
    size_t a = le->cur;
    while (a > 0 && is_blank(le->buf[a - 1]))
        a--;
    while (a > 0 && !is_blank(le->buf[a - 1]))
        a--;
    delete_range(le, a, le->cur);
}

/* A byte inside an escape sequence; returns false if it ended the sequence without being part
 * of it (the caller then treats it as an ordinary byte). */
static bool escape_byte(struct lineedit *le, char c)
{
    switch (le->esc) {
    case ESC_START:
        if (c == '[') {
            le->esc = ESC_CSI;
            le->esc_arg = 0;
            return true;
        }
        if (c == 'O') {
            le->esc = ESC_SS3;
            return true;
        }
        if (c == 0x1b)
            return true;
        le->esc = ESC_NONE;
        return false;
    case ESC_CSI:
        if (c >= '0' && c <= '9') {
            if (le->esc_arg < 1000)
                le->esc_arg = le->esc_arg * 10 + (unsigned)(c - '0');
            return true;
        }
        if (c == ';')
            return true; /* modifiers (e.g. ESC[1;5C) are ignored */
        break;
    case ESC_SS3:
        break;
    }
    le->esc = ESC_NONE;
    if (c < 0x40 || c > 0x7e)
        return false; /* not a final byte: the sequence was cut short */
    switch (c) {
    case 'A':
        do_key(le, KEY_UP);
        break;
    case 'B':
        do_key(le, KEY_DOWN);
        break;
    case 'C':
        do_key(le, KEY_RIGHT);
        break;
    case 'D':
        do_key(le, KEY_LEFT);
        break;
    case 'H':
        do_key(le, KEY_HOME);
        break;
    case 'F':
        do_key(le, KEY_END);
        break;
    case '~':
        if (le->esc_arg == 1 || le->esc_arg == 7)
            do_key(le, KEY_HOME);
        else if (le->esc_arg == 4 || le->esc_arg == 8)
            do_key(le, KEY_END);
        else if (le->esc_arg == 3)
            do_key(le, KEY_DELETE);
        break;
    default:
        break; /* an unknown key */
    }
    return true;
}

enum lineedit_event lineedit_feed(struct lineedit *le, char c)
{
    bool after_cr = le->after_cr;
    le->after_cr = false;
    if (le->esc != ESC_NONE && escape_byte(le, c)) {
        le->tabs = 0;
        return LINEEDIT_NONE;
    }
    if (c == '\t') {
        le->tabs++;
        return LINEEDIT_TAB;
    }
    le->tabs = 0;
    if (is_printable(c)) {
        if (lineedit_insert(le, &c, 1) != 0)
            out_str(le, "\a"); /* the line is full */
        return LINEEDIT_NONE;
    }
    switch (c) {
    case '\r':
        le->after_cr = true;
        return enter(le);
    case '\n':
        return after_cr ? LINEEDIT_NONE : enter(le);
    case 0x1b:
        le->esc = ESC_START;
        break;
    case CTRL('C'):
        return interrupt(le);
    case CTRL('A'):
        do_key(le, KEY_HOME);
        break;
    case CTRL('E'):
        do_key(le, KEY_END);
        break;
    case CTRL('B'):
        do_key(le, KEY_LEFT);
        break;
    case CTRL('F'):
        do_key(le, KEY_RIGHT);
        break;
    case CTRL('P'):
        do_key(le, KEY_UP);
        break;
    case CTRL('N'):
        do_key(le, KEY_DOWN);
        break;
    case CTRL('U'):
        delete_range(le, 0, le->cur);
        break;
    case CTRL('K'):
        delete_range(le, le->cur, le->len);
        break;
    case CTRL('W'):
        word_rubout(le);
        break;
    case CTRL('H'):
    case 0x7f:
        if (le->cur > 0)
            delete_range(le, le->cur - 1, le->cur);
        break;
    default:
        break; /* other control bytes and non-ASCII are ignored */
    }
    return LINEEDIT_NONE;
}
