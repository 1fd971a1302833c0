/* Retired cell versions and the conservative scan that frees them (docs/live-swap.md, "Retire,
 * then free"). A version replaced by a live swap, or a cell unloaded, is *retired*: still
 * mapped, invisible to resolution, and freed the first time a full scan finds no word pointing
 * into any of its regions in: every task's live stack (saved registers and interrupt frame
 * included), every heap block in use (except the loader's own metadata), every loaded cell's
 * writable data, and the core's data (its registries) — never in retired versions themselves.
 * The scan runs in a background task in bounded slices, outside any stop-the-world window,
 * and on demand. */
#ifndef KEEL_RECLAIM_H
#define KEEL_RECLAIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/noscan.h>

#define RECLAIM_KEPT_MAX 96
/* Retired versions at which a swap reclaims before it links (swap_report.reclaim_ns). */
#define RECLAIM_CROWDED 16

struct reclaim_retired_info {
    char name[32];
    uint32_t version;
    uint64_t bytes;                 /* the regions it holds (text + rodata + data) */
    uint64_t age_ns;                /* since it was retired */
    char kept_by[RECLAIM_KEPT_MAX]; /* the last scan's first reference to it ("" if none seen
                                       yet), e.g. "task 17 'worker' stack rsp+0x58" */
};

struct reclaim_stats {
    size_t retired;           /* versions retired and not yet freed */
    uint64_t retired_bytes;   /* bytes of regions they hold */
    uint64_t retired_total;   /* versions ever retired */
    uint64_t freed_total;     /* versions freed */
    uint64_t passes;          /* scan passes run (concurrent and stopped) */
    uint64_t disturbed;       /* concurrent passes another task ran during (not proof) */
    uint64_t stopped;         /* passes run with the world stopped (to confirm) */
    uint64_t bytes_scanned;   /* by all passes */
    uint64_t scan_ns;         /* time of all passes */
    uint64_t last_pass_bytes; /* the last pass that scanned everything */
    uint64_t last_pass_ns;
    uint64_t last_free_delay_ns; /* retire (the swap's commit) to free, of the last version */
    uint64_t max_stopped_ns;     /* longest stopped pass */
};

/* A version was retired (the loader's retire hook; cells lock held). */
struct loaded_cell;
void reclaim_note_retired(struct loaded_cell *cell);
/* Start the background reclaimer task (once tasking runs). */
int reclaim_start(void);

/* Scan now and free every retired version nothing points into. out (may be NULL) gets how many
 * were freed and how many are still kept. Takes the cells lock; the _locked form is for callers
 * holding it (a swap reclaiming before it links when many versions are retired). */
struct reclaim_result {
    size_t freed, kept;
    uint64_t freed_bytes;
    uint64_t bytes_scanned, ns;
    unsigned passes;
};
int reclaim_now(struct reclaim_result *out);
int reclaim_now_locked(struct reclaim_result *out);
/* Under pressure (RECLAIM_CROWDED versions retired): reclaim_now_locked and true, else false. */
bool reclaim_if_crowded_locked(void);

/* The figures and the retired versions (oldest first; how many were written, at most max).
 * Call with the cells lock held (cells_lock()), like the loader's queries. */
void reclaim_get_stats(struct reclaim_stats *out);
size_t reclaim_list(struct reclaim_retired_info *out, size_t max);

#endif
