/* The boot manifest: which cell objects (boot modules) to load at boot, and in what order. One
 * batch per line; the cells on one line are linked together, so they may depend on each other.
 *
 *   # comment
 *   hello@1.o
 *   ping@1.o pong@1.o      <- mutually dependent: one batch
 */
#ifndef KEEL_MANIFEST_H
#define KEEL_MANIFEST_H
#include <stddef.h>

#define MANIFEST_MAX_BATCH 16
#define MANIFEST_NAME_MAX  63

struct manifest_batch {
    unsigned line; /* 1-based line number, for messages */
    size_t count;
    struct {
        const char *name; /* points into the manifest text, not NUL-terminated */
        size_t len;
    } items[MANIFEST_MAX_BATCH];
};

/* Parse the next non-empty line of [*cursor, end). Returns 1 with *out filled, 0 at the end, or
 * KE_NOEXEC for a malformed line (a name with characters outside [A-Za-z0-9@._+-], longer than
 * MANIFEST_NAME_MAX, a NUL byte outside a comment, or more than MANIFEST_MAX_BATCH names; a
 * comment runs from '#' to the end of the line, whatever bytes it holds); out->line then says
 * which line, and *cursor has moved past it so the caller can report it and carry on.
 * Line numbers count from out->line: zero *out before the first call and reuse it. */
int manifest_next(const char **cursor, const char *end, struct manifest_batch *out);

#endif
