/* mem: physical memory (frame allocator), the kernel heap overall and per owner, retired
 * cell versions, and the ramfs's use of its quota. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/cells.h>
#include <keel/kmalloc.h>
#include <keel/reclaim.h>
#include <keel/memory.h>
#include <keel/task.h>
#include "ramfs/ramfs.h"

/* Weak: without a ramfs cell, mem still runs and leaves its line out. */
extern void ramfs_stats(struct ramfs_stats *out) __attribute__((weak));

struct owner_row {
    owner_t owner;
    struct heap_owner_stats st;
};

struct collect {
    struct owner_row *rows;
    size_t n, max;
    bool have_totals;
    size_t in_use, from_pages, owners;
};

static int collect_one(void *ctx, owner_t owner, const struct heap_owner_stats *st)
{
    struct collect *c = ctx;
    if (!c->have_totals) {
        /* The totals as of the owner snapshot (whose buffer the core holds until the walk
         * ends), so the rows add up to them. */
        kheap_totals(&c->in_use, &c->from_pages, &c->owners);
        c->have_totals = true;
    }
    if (c->n < c->max) {
        size_t i = c->n++;
        /* Insertion by owner id: the core first, then tasks in id order. */
        while (i > 0 && c->rows[i - 1].owner > owner) {
            c->rows[i] = c->rows[i - 1];
            i--;
        }
        c->rows[i].owner = owner;
        c->rows[i].st = *st;
    }
    return 0;
}

/* "ramfs: 41 files (38 boot modules in place, 3 added of 60 KiB); 84 KiB in use of its quota of
 * 16 MiB": the files, and the heap bytes charged to the ramfs (added files, the index, the boot
 * modules' records) against its quota. */
static void print_ramfs(void)
{
    if (!ramfs_stats)
        return;
    struct ramfs_stats st;
    ramfs_stats(&st);
    char added[32], used[32], quota[32];
    format_size(added, sizeof(added), st.added_bytes);
    format_size(used, sizeof(used), st.charged);
    if (st.quota)
        format_size(quota, sizeof(quota), st.quota);
    kprintf("ramfs: %zu files (%zu boot modules in place, %zu added of %s); %s in use of %s%s\n",
            st.files, st.boot_files, st.files - st.boot_files, added, used,
            st.quota ? "its quota of " : "no quota", st.quota ? quota : "");
}

/* "core", "ramfs", "task <id> <name>" for a live task, "task <id> (ended)", or the raw owner id.
 * Returns whether the owner is the core or a live task. */
static bool owner_name(owner_t owner, char *buf, size_t n)
{
    if (owner == OWNER_CORE) {
        ksnprintf(buf, n, "core");
        return true;
    }
    if (owner == OWNER_LOADER) {
        ksnprintf(buf, n, "loader");
        return true;
    }
    if (owner == OWNER_RAMFS) {
        ksnprintf(buf, n, "ramfs");
        return true;
    }
    if (owner & OWNER_TASK_BIT) {
        task_id_t id = owner & OWNER_TASK_ID_MASK;
        struct task_info ti;
        if (task_info(id, &ti) == 0 && ti.state != TASK_DEAD) {
            ksnprintf(buf, n, "task %llu %.*s", (unsigned long long)id, (int)sizeof(ti.name),
                      ti.name);
            return true;
        }
        ksnprintf(buf, n, "task %llu (ended)", (unsigned long long)id);
        return false;
    }
    ksnprintf(buf, n, "owner 0x%08x", owner);
    return false;
}

int cmd_mem_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("mem: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 1) {
        kprintf("mem: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    struct collect c = {.max = HEAP_MAX_OWNERS};
    c.rows = kmalloc(c.max * sizeof(*c.rows));
    if (!c.rows) {
        kprintf("mem: out of memory\n");
        return 1;
    }
    struct memory_stats ms;
    memory_stats(&ms);
    int r = kheap_for_each_owner(collect_one, &c);
    if (!c.have_totals)
        kheap_totals(&c.in_use, &c.from_pages, &c.owners);

    char a[32], b[32], q[32], name[64];
    format_size(a, sizeof(a), ms.usable_bytes);
    format_size(b, sizeof(b), ms.free_bytes);
    kprintf("physical: %s total, %s free\n", a, b);
    format_size(a, sizeof(a), c.in_use);
    format_size(b, sizeof(b), c.from_pages);
    kprintf("heap: %s in use, %s from pages, %zu owners\n", a, b, c.owners);
    /* Exact figures, for leak checks that must see a single block (the allocation sweep). */
    size_t blocks = 0;
    for (size_t i = 0; i < c.n; i++)
        blocks += c.rows[i].st.allocations;
    if (!r)
        kprintf("heap exact: %zu bytes in %zu blocks\n", c.in_use, blocks);
    struct reclaim_stats rs;
    cells_lock();
    reclaim_get_stats(&rs);
    cells_unlock();
    format_size(a, sizeof(a), rs.retired_bytes);
    kprintf("retired cell versions: %zu, holding %s (freed once nothing points into them)\n",
            rs.retired, a);
    print_ramfs();
    if (r) {
        kprintf("mem: cannot list the heap owners: %s\nusage: %s\n", keel_strerror(r),
                KEEL_COMMAND_USAGE);
        kfree(c.rows);
        return 1;
    }
    /* Shown: owners holding memory or a quota, and live tasks; records of ended tasks that hold
     * nothing are left out. */
    int name_w = 5;
    for (size_t i = 0; i < c.n; i++) {
        owner_name(c.rows[i].owner, name, sizeof(name));
        int len = (int)strlen(name);
        if (len > name_w)
            name_w = len;
    }
    kprintf("%-*s  %10s  %10s  %10s  %8s  %6s\n", name_w, "OWNER", "IN-USE", "PEAK", "QUOTA",
            "ALLOCS", "FAILED");
    for (size_t i = 0; i < c.n; i++) {
        const struct heap_owner_stats *st = &c.rows[i].st;
        bool live = owner_name(c.rows[i].owner, name, sizeof(name));
        if (!live && !st->bytes_in_use && !st->quota)
            continue;
        format_size(a, sizeof(a), st->bytes_in_use);
        format_size(b, sizeof(b), st->peak_bytes);
        if (st->quota)
            format_size(q, sizeof(q), st->quota);
        else
            ksnprintf(q, sizeof(q), "none");
        kprintf("%-*s  %10s  %10s  %10s  %8llu  %6llu\n", name_w, name, a, b, q,
                (unsigned long long)st->total_allocs, (unsigned long long)st->failed_allocs);
    }
    kfree(c.rows);
    return 0;
}

KEEL_COMMAND_CELL("mem");
