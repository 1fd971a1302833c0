/* What a run must give back (ss_mem.c): heap bytes, frames and tasks, read before and after. */
#ifndef CMD_SMPSTRESS_SS_MEM_H
#define CMD_SMPSTRESS_SS_MEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ss_mem {
    uint64_t heap;    /* heap bytes in use */
    uint64_t arenas;  /* bytes the heap holds from pages (its arenas) */
    uint64_t outside; /* bytes of frames in use outside the heap: stacks, page tables, cells */
    uint64_t free;    /* free frames, in bytes */
    uint64_t tasks;   /* tasks that exist */
    uint64_t kept;    /* retired cell versions something still points into */
};

/* Free what retired cell versions can be freed, then read. */
void smpstress_mem_read(struct ss_mem *m);
/* Whether a and b show the same heap, frames outside the heap, tasks and no kept version. */
bool smpstress_mem_same(const struct ss_mem *a, const struct ss_mem *b);
/* Read into *after until it is the same as *before, at most `looks` times a few milliseconds
 * apart (a background task — the reclaimer — may hold a block for a moment): the number of
 * looks it took, or 0 if it never was. */
unsigned smpstress_mem_settle(const struct ss_mem *before, struct ss_mem *after, unsigned looks);

#endif
