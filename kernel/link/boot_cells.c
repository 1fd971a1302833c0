/* Loading the boot cells: the manifest module names the cell objects (other boot modules) to
 * link, one batch per line. A refused cell is reported and the boot carries on without it. */
#include <keel/clock.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/manifest.h>
#include <keel/paging.h>
#include <keel/string.h>
#include "boot/bootinfo.h"
#include "cells/commands/cells/cellrow.h"
#include "link/cells.h"

static struct loader *the_loader;

struct loader *cells_loader(void)
{
    return the_loader;
}

int cells_init(void)
{
    the_loader = loader_create(&kernel_loader_platform);
    return the_loader ? 0 : KE_NOMEM;
}

const struct mb2_module *boot_module_find(const char *name, size_t len)
{
    const struct mb2_info *bi = boot_info();
    for (size_t i = 0; i < bi->module_count; i++) {
        const struct mb2_module *m = &bi->modules[i];
        if (m->cmdline_len == len && memcmp(m->cmdline, name, len) == 0)
            return m;
    }
    return NULL;
}

static void module_object(const struct mb2_module *m, struct loader_object *o)
{
    o->data = phys_to_virt(m->start);
    o->size = (size_t)(m->end - m->start);
    o->origin = m->cmdline;
}

struct line {
    char text[160];
    size_t len;
};

static void to_line(void *ctx, const char *s, size_t n)
{
    struct line *l = ctx;
    for (size_t i = 0; i < n && l->len + 1 < sizeof(l->text); i++)
        if (s[i] != '\n')
            l->text[l->len++] = s[i];
    l->text[l->len] = 0;
}

/* The line load and keelctl load print too (cells/commands/cells/cellrow.h). */
static void report_cell(const struct loaded_cell *c)
{
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    struct cell_row row;
    cell_row_of_info(&ci, 0, &row);
    struct line l = {.len = 0};
    cell_loaded_line(&row, ci.origin ? ci.origin : "?", to_line, &l);
    log_info("%s", l.text);
}

void cells_load_boot(void)
{
    char manifest[MANIFEST_NAME_MAX + 1] = "boot.manifest";
    if (cmdline_get(boot_cmdline(), "cells", manifest, sizeof(manifest)) == KE_RANGE)
        log_err("cells: cells= names a module longer than %d characters", MANIFEST_NAME_MAX);
    const struct mb2_module *mm = boot_module_find(manifest, strlen(manifest));
    if (!the_loader || !mm) {
        log_info("cells: no manifest module '%s'; no cells loaded at boot", manifest);
        return;
    }
    const char *cur = phys_to_virt(mm->start), *end = cur + (mm->end - mm->start);
    struct manifest_batch b = {0};
    unsigned cells = 0, refused = 0;
    uint64_t relocs = 0, ns = 0;
    int r;
    while ((r = manifest_next(&cur, end, &b)) != 0) {
        if (r < 0) {
            log_err("cells: %s line %u: malformed (names are [A-Za-z0-9@._+-], at most %d a line)",
                    manifest, b.line, MANIFEST_MAX_BATCH);
            refused++;
            continue;
        }
        struct loader_object objs[MANIFEST_MAX_BATCH];
        struct loaded_cell *handles[MANIFEST_MAX_BATCH];
        size_t n = 0;
        for (size_t i = 0; i < b.count; i++) {
            const struct mb2_module *m = boot_module_find(b.items[i].name, b.items[i].len);
            if (!m) {
                log_err("cells: %s line %u: no boot module named '%.*s'", manifest, b.line,
                        (int)b.items[i].len, b.items[i].name);
                n = 0;
                break;
            }
            module_object(m, &objs[n++]);
        }
        if (n == 0) {
            refused += (unsigned)b.count;
            continue;
        }
        struct loader_error err;
        uint64_t t0 = clock_ns();
        int e = loader_load(the_loader, objs, n, handles, &err);
        uint64_t t1 = clock_ns();
        if (e) {
            log_err("cells: refused %s line %u: %s", manifest, b.line, err.msg);
            refused += (unsigned)n;
            continue;
        }
        struct loader_stats st;
        loader_last_stats(the_loader, &st);
        for (size_t i = 0; i < n; i++)
            report_cell(handles[i]);
        cells += (unsigned)n;
        relocs += st.relocations;
        ns += t1 - t0;
    }
    log_info("cells: %u cells, %llu relocations, %llu us%s", cells, (unsigned long long)relocs,
             (unsigned long long)(ns / 1000), refused ? " (some refused; see above)" : "");
}
