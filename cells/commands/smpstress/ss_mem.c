/* The leak check's readings. The heap must come back to the byte; frames are compared outside
 * the heap's arenas, because the heap keeps an arena as long as one block in it lives (a block
 * another task allocated during the run, say), which is placement, not a leak. What the run
 * itself allocates once and keeps (page tables for stacks and for the cell area) is allocated by
 * the command's warm-up before the first reading. */
#include <keel/kmalloc.h>
#include <keel/memory.h>
#include <keel/reclaim.h>
#include <keel/task.h>
#include "commands/smpstress/ss_mem.h"

#define SETTLE_PAUSE_NS (5ull * 1000 * 1000)

void smpstress_mem_read(struct ss_mem *m)
{
    struct reclaim_result rr = {0};
    reclaim_now(&rr);
    size_t in_use = 0, from_pages = 0, owners = 0;
    kheap_totals(&in_use, &from_pages, &owners);
    struct memory_stats ms;
    memory_stats(&ms);
    m->heap = in_use;
    m->arenas = from_pages;
    m->free = ms.free_bytes;
    m->outside = ms.usable_bytes - ms.free_bytes - from_pages;
    m->tasks = task_count();
    m->kept = rr.kept;
}

bool smpstress_mem_same(const struct ss_mem *a, const struct ss_mem *b)
{
    return a->heap == b->heap && a->outside == b->outside && a->tasks == b->tasks && !a->kept &&
           !b->kept;
}

unsigned smpstress_mem_settle(const struct ss_mem *before, struct ss_mem *after, unsigned looks)
{
    for (unsigned i = 1; i <= looks; i++) {
        smpstress_mem_read(after);
        if (smpstress_mem_same(before, after))
            return i;
        if (i < looks && task_sleep_ns(SETTLE_PAUSE_NS))
            break; /* killed */
    }
    return 0;
}
