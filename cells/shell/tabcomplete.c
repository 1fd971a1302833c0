/* Tab completion in the shell: the word before the cursor is completed from the command names
 * (the first word, and the argument of help: the boot index and pushed command cells) or from
 * the loaded cells and the ramfs files (other words). One match completes it and adds a space;
 * several complete their common prefix, and a second Tab lists them. */
#include <stdbool.h>
#include <keel/cells.h>
#include <keel/string.h>
#include "ramfs/ramfs.h"
#include "cmdfile.h"
#include "cmdindex.h"
#include "complete.h"
#include "shell.h"

static struct completion comp; /* only the shell task completes; too big for its stack */

static int offer_file(void *ctx, const char *name, const void *data, size_t size)
{
    completion_offer(ctx, name, strlen(name));
    return 0;
}

static int offer_pushed(void *ctx, const struct cmdfile *f)
{
    if (f->ok) /* one with a bad record is not offered: it would not run */
        completion_offer(ctx, f->name, strlen(f->name));
    return 0;
}

/* The boot index's commands and those pushed at run time (cmdfile.h). */
static void offer_commands(struct completion *c)
{
    static struct cmdfile_walk walk; /* only the shell task completes */
    const char *index = NULL;
    size_t size = 0, pos = 0;
    struct cmdindex_entry e;
    if (shell_command_index(&index, &size) == 0)
        while (cmdindex_next(index, size, &pos, &e))
            completion_offer(c, e.name, e.name_len);
    cmdfile_for_each(index, size, offer_pushed, c, &walk);
}

static void offer_cells(struct completion *c)
{
    struct loader *ld = cells_loader();
    if (!ld)
        return;
    cells_lock();
    struct loaded_cell *cell;
    for (size_t i = 0; (cell = loader_cell_at(ld, i)) != NULL; i++) {
        struct loader_cell_info info;
        loader_cell_info(cell, &info);
        completion_offer(c, info.name, strlen(info.name));
    }
    cells_unlock();
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Is the word starting at start the first argument of help ("help sw<Tab>")? */
static bool help_argument(const char *line, size_t start)
{
    size_t i = 0;
    while (i < start && blank(line[i]))
        i++;
    size_t word = i;
    while (i < start && !blank(line[i]))
        i++;
    size_t len = i - word;
    while (i < start && blank(line[i]))
        i++;
    return i == start && len == 4 && memcmp(line + word, "help", 4) == 0;
}

void shell_complete(struct lineedit *le)
{
    const char *line = lineedit_text(le);
    size_t cur = lineedit_cursor(le);
    size_t start = cur;
    while (start > 0 && !blank(line[start - 1]))
        start--;
    size_t before = start;
    while (before > 0 && blank(line[before - 1]))
        before--;
    if (completion_begin(&comp, line + start, cur - start))
        return;
    if (before == 0 || help_argument(line, start)) {
        offer_commands(&comp);
    } else {
        offer_cells(&comp);
        ramfs_for_each(offer_file, &comp);
    }
    size_t count = completion_count(&comp);
    const char *ext;
    size_t n = completion_extension(&comp, &ext);
    if (count == 0) {
        shell_write(NULL, "\a", 1);
    } else if (count == 1) {
        lineedit_insert(le, ext, n);
        lineedit_insert(le, " ", 1);
    } else if (n > 0) {
        lineedit_insert(le, ext, n);
    } else if (lineedit_tabs(le) >= 2) {
        shell_write(NULL, "\n", 1);
        completion_list(&comp, 80, shell_write, NULL);
        lineedit_redraw(le);
    }
}
