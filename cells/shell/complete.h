/* Completion over a list of candidates (freestanding): start with the word typed so far, offer
 * every candidate name, then ask for the matches, the text all of them share beyond the word,
 * or a listing in columns. */
#ifndef SHELL_COMPLETE_H
#define SHELL_COMPLETE_H
#include <stddef.h>
#include <stdint.h>

#define COMPLETE_NAME_MAX    128  /* longest name offered, its NUL included */
#define COMPLETE_MAX_MATCHES 128  /* matches kept for listing */
#define COMPLETE_BUF         4096 /* bytes of match names kept */

struct completion {
    char prefix[COMPLETE_NAME_MAX];
    size_t prefix_len;
    char names[COMPLETE_BUF]; /* the kept matches, NUL-terminated one after the other */
    size_t used;
    uint16_t sorted[COMPLETE_MAX_MATCHES]; /* offsets into names, in strcmp order */
    size_t kept;
    size_t total;      /* distinct matches offered, kept or not */
    size_t common_len; /* length of the text every match starts with */
};

typedef void (*complete_write_fn)(void *ctx, const char *s, size_t n);

/* Start a completion of the len bytes at prefix: 0, KE_INVAL (NULL), KE_RANGE (too long). */
int completion_begin(struct completion *c, const char *prefix, size_t len);
/* Offer a candidate of len bytes (not necessarily NUL-terminated): 1 if it is a new match, 0 if
 * it does not match, is empty, contains a NUL or a blank, is too long or was already offered.
 * Matches that do not fit the tables still count (total, common prefix) but are not listed (nor
 * recognised as duplicates). */
int completion_offer(struct completion *c, const char *name, size_t len);
/* Number of distinct matches. */
size_t completion_count(const struct completion *c);
/* Kept match i (sorted), NULL past the kept ones. */
const char *completion_match(const struct completion *c, size_t i);
/* The text every match has beyond the prefix: *ext points at it (NUL-terminated only for a
 * single match); returns its length, 0 when there are no matches. */
size_t completion_extension(const struct completion *c, const char **ext);
/* Write the kept matches in columns for a terminal width (0: 80), each line ending with "\n",
 * and a line "... and N more" if some did not fit. Returns the number of lines. */
size_t completion_list(const struct completion *c, size_t width, complete_write_fn write,
                       void *ctx);

#endif
