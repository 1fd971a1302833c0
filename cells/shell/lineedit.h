/* A freestanding line editor: feed it the bytes typed on a terminal, one at a time; it keeps the
 * line, the cursor and the history, and writes what the terminal must show through a callback
 * (plain characters, "\n", and the VT100 sequences ESC[K, ESC[nD, ESC[nC only — the prompt is
 * never reprinted while a line is being edited, so a transcript stays readable).
 *
 * Keys: printable ASCII inserts at the cursor; Left/Right (ESC[D/C, Ctrl-B/F), Home/End (ESC[H/F,
 * ESC[1~/4~, ESC[7~/8~, ESC O H/F, Ctrl-A/E), Backspace (0x7f, 0x08), Delete (ESC[3~), Ctrl-U
 * (kill to start), Ctrl-K (kill to end), Ctrl-W (delete the word before the cursor), Up/Down
 * (ESC[A/B, Ctrl-P/N: history), Enter ("\r", "\n" or "\r\n": one line), Ctrl-C (abandon the
 * line), Tab (reported to the caller, which completes). Other bytes are ignored. */
#ifndef SHELL_LINEEDIT_H
#define SHELL_LINEEDIT_H
#include <stdbool.h>
#include <stddef.h>

#define LINEEDIT_MAX        256 /* bytes of a line, including its NUL */
#define LINEEDIT_HISTORY    32  /* history entries kept */
#define LINEEDIT_PROMPT_MAX 32  /* including the NUL */

typedef void (*lineedit_write_fn)(void *ctx, const char *s, size_t n);

enum lineedit_event {
    LINEEDIT_NONE = 0,  /* keep feeding */
    LINEEDIT_LINE,      /* Enter: lineedit_text() is the line; the terminal is on a new line */
    LINEEDIT_INTERRUPT, /* Ctrl-C: the line was abandoned; "^C" and a new prompt were written */
    LINEEDIT_TAB,       /* Tab: the caller may complete (lineedit_insert / lineedit_redraw) */
};

struct lineedit {
    lineedit_write_fn write;
    void *ctx;
    char prompt[LINEEDIT_PROMPT_MAX]; /* a copy (longer prompts are cut) */
    char buf[LINEEDIT_MAX];
    size_t len, cur;       /* line length and cursor (0..len) */
    size_t shown, drawn;   /* terminal cursor and characters on screen, after the prompt */
    unsigned esc, esc_arg; /* escape-sequence parser */
    bool after_cr;         /* swallow the "\n" of "\r\n" */
    unsigned tabs;         /* consecutive Tab presses, this one included */
    char hist[LINEEDIT_HISTORY][LINEEDIT_MAX];
    size_t hist_count, hist_head; /* a ring: the oldest entry is hist[hist_head] */
    size_t browse;                /* 0: the new line; k: the k-th most recent entry */
    char saved[LINEEDIT_MAX];     /* the new line while browsing */
};

/* Set up an editor with an empty history; write receives all terminal output. */
void lineedit_init(struct lineedit *le, lineedit_write_fn write, void *ctx);
/* Start a new line: write the prompt (kept; it must stay valid) and empty the line. */
void lineedit_begin(struct lineedit *le, const char *prompt);
/* Process one typed byte; returns what happened (enum lineedit_event). */
enum lineedit_event lineedit_feed(struct lineedit *le, char c);

/* The current line (NUL-terminated), its length and the cursor. After LINEEDIT_LINE it is the
 * entered line until the next lineedit_begin. */
const char *lineedit_text(const struct lineedit *le);
size_t lineedit_length(const struct lineedit *le);
size_t lineedit_cursor(const struct lineedit *le);
/* How many Tabs were pressed in a row, the last one included (0 after any other key). */
unsigned lineedit_tabs(const struct lineedit *le);

/* Insert printable text at the cursor and show it: 0, KE_INVAL (NULL or a non-printable byte)
 * or KE_RANGE (the line would not fit); nothing changes on failure. */
int lineedit_insert(struct lineedit *le, const char *s, size_t n);
/* Write the prompt and the line again, cursor in place: after the caller printed something
 * (ending with a newline) below the line, e.g. a list of completions. */
void lineedit_redraw(struct lineedit *le);

/* Add a line to the history (Enter does this itself): 1 if added, 0 if skipped (blank, or the
 * same as the most recent entry), KE_INVAL (NULL), KE_RANGE (too long). The oldest entry goes
 * when the history is full. */
int lineedit_history_add(struct lineedit *le, const char *line);
size_t lineedit_history_count(const struct lineedit *le);
/* History entry i, 0 being the oldest; NULL past the end. */
const char *lineedit_history_at(const struct lineedit *le, size_t i);

#endif
