/* Kernel command line options, e.g. `selftest=pagefault panic=exit loglevel=debug quiet`.
 *
 * Grammar: options are separated by whitespace (space, tab, CR, LF). An option is `key` (a bare
 * word) or `key=value`. The key runs to the first '=' or whitespace and is matched as a whole
 * word: `panic` matches neither `panicky=1` nor `xpanic`. A value that starts with '"' runs to the
 * next '"' (or to the end of the line if the quote is never closed) and may contain whitespace;
 * the quotes are not part of the value, and the option ends at the closing quote. Other values run
 * to the next whitespace. When a key appears several times, the last occurrence wins.
 *
 * A NULL command line is treated as an empty one (the boot loader may not pass any). Nothing here
 * allocates or modifies the command line. */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One option as spans into the command line (not NUL-terminated). */
struct cmdline_opt {
    const char *key;
    size_t key_len;    /* may be 0 for a stray `=value` */
    const char *value; /* NULL for a bare word; otherwise the value without its quotes */
    size_t value_len;
    bool has_value; /* `key=...` (possibly empty) rather than a bare `key` */
};

/* Yields the option at *cursor and advances *cursor past it. Returns 1 with *opt filled, 0 at the
 * end (or if *cursor is NULL), KE_INVAL if cursor or opt is NULL. Start with *cursor = cmdline. */
int cmdline_next(const char **cursor, struct cmdline_opt *opt);

/* True if key appears as a bare word or as key=value. False for a NULL/empty key. */
bool cmdline_has(const char *cmdline, const char *key);

/* Copies the value of the last occurrence of key, NUL-terminated, into buf. A bare word has the
 * empty value. Returns the value's length, KE_NOENT if key is absent, KE_RANGE if the value and
 * its NUL do not fit in bufsize (buf unchanged), KE_INVAL for a NULL/empty key or a NULL buf. */
int cmdline_get(const char *cmdline, const char *key, char *buf, size_t bufsize);

/* Parses the value of the last occurrence of key as an unsigned decimal or 0x-prefixed hex
 * number into *out. Returns 0, KE_NOENT if absent, KE_INVAL for an empty, bare, signed, non-digit
 * or overflowing value, or for NULL arguments (*out unchanged on failure). */
int cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out);

#endif
