/* A tiny terminal model for the shell's line-editor tests and fuzzer: it interprets exactly the
 * output the editor may produce (printable ASCII, "\n", "\r", BEL, ESC[K, ESC[nD, ESC[nC) on an
 * unbounded line and flags anything else, or a cursor moved outside the text, as bad. */
#ifndef SHELL_TERM_H
#define SHELL_TERM_H
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define TERM_COLS 2048

struct term {
    char line[TERM_COLS + 1]; /* the current screen line */
    size_t len, col;
    char prev[TERM_COLS + 1]; /* the line before the last newline */
    unsigned newlines, bells, escapes;
    int esc; /* 0: none, 1: ESC seen, 2: in ESC [ */
    size_t arg;
    bool bad;
    char out[8192]; /* everything written, for substring checks (truncated) */
    size_t out_len;
};

static inline void term_reset(struct term *t)
{
    memset(t, 0, sizeof(*t));
}

static inline void term_byte(struct term *t, char c)
{
    if (t->esc == 1) {
        t->esc = c == '[' ? 2 : 0;
        t->arg = 0;
        t->bad |= c != '[';
        return;
    }
    if (t->esc == 2) {
        if (c >= '0' && c <= '9') {
            t->arg = t->arg * 10 + (size_t)(c - '0');
            t->bad |= t->arg > TERM_COLS;
            return;
        }
        t->esc = 0;
        t->escapes++;
        if (c == 'K') {
            t->bad |= t->arg != 0;
            t->len = t->col;
        } else if (c == 'D') {
            t->bad |= t->arg == 0 || t->arg > t->col;
            t->col -= t->arg <= t->col ? t->arg : t->col;
        } else if (c == 'C') {
            t->bad |= t->arg == 0 || t->col + t->arg > t->len;
            t->col += t->arg;
            if (t->col > t->len)
                t->col = t->len;
        } else {
            t->bad = true;
        }
        return;
    }
    if (c == 0x1b) {
        t->esc = 1;
    } else if (c == '\n') {
        t->line[t->len] = 0;
        memcpy(t->prev, t->line, t->len + 1);
        t->len = t->col = 0;
        t->newlines++;
    } else if (c == '\r') {
        t->col = 0;
    } else if (c == '\a') {
        t->bells++;
    } else if (c >= 0x20 && c < 0x7f && t->col < TERM_COLS) {
        t->line[t->col++] = c;
        if (t->col > t->len)
            t->len = t->col;
    } else {
        t->bad = true;
    }
    t->line[t->len] = 0;
}

/* A lineedit_write_fn. */
static inline void term_write(void *ctx, const char *s, size_t n)
{
    struct term *t = ctx;
    for (size_t i = 0; i < n; i++) {
        term_byte(t, s[i]);
        if (t->out_len < sizeof(t->out) - 1)
            t->out[t->out_len++] = s[i];
    }
    t->out[t->out_len] = 0;
}

/* Does the screen line show prompt + text with the cursor at column cursor of the text? */
static inline bool term_shows(const struct term *t, const char *prompt, const char *text,
                              size_t cursor)
{
    size_t p = strlen(prompt), n = strlen(text);
    return !t->bad && t->esc == 0 && t->len == p + n && memcmp(t->line, prompt, p) == 0 &&
           memcmp(t->line + p, text, n) == 0 && t->col == p + cursor;
}

#endif
