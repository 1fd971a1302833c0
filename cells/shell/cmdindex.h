/* The command index (the boot module "commands.index", written by the build from add_command):
 * one line per command, "name<TAB>usage<TAB>summary<TAB>object", e.g.
 * "echo<TAB>echo [text...]<TAB>print its arguments<TAB>cmd_echo@1.o". Freestanding: the data is
 * input, so every line is checked; malformed lines are skipped. */
#ifndef SHELL_CMDINDEX_H
#define SHELL_CMDINDEX_H
#include <stddef.h>

#define CMDINDEX_CELL_MAX 32 /* a cell name, its NUL included */

struct cmdindex_entry {
    const char *name, *usage, *summary, *object; /* into the index; not NUL-terminated */
    size_t name_len, usage_len, summary_len, object_len;
};

/* The entry after *pos (start with *pos = 0): 1 and *e, or 0 at the end (or for bad
 * arguments). A line is used only with four fields, a non-empty name without blanks and an
 * object "<cell>[@<version>].o". */
int cmdindex_next(const char *data, size_t size, size_t *pos, struct cmdindex_entry *e);
/* The entry for a command name: 0 and *e, KE_NOENT, or KE_INVAL (NULL arguments). */
int cmdindex_find(const char *data, size_t size, const char *name, struct cmdindex_entry *e);
/* The cell an entry's object holds ("cmd_echo" for "cmd_echo@1.o"), NUL-terminated into buf:
 * its length, or KE_RANGE if it does not fit. */
int cmdindex_cell(const struct cmdindex_entry *e, char *buf, size_t size);

#endif
