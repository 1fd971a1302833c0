/* Physical frame allocator (4 KiB frames) over [0, limit), built on the bitmap allocator.
 * Setup: frames_init, then frames_add_usable for each usable memory-map region and
 * frames_reserve for what must never be handed out (first MiB, kernel image, modules, boot
 * info), in any order: a reservation wins over any usable region, before or after it. The first
 * frames_alloc ends setup; later setup calls are refused with KE_BUSY, because the bitmap cannot
 * tell an allocated frame from one that was never usable. Frame 0 is always reserved, so 0 is
 * never a valid allocation. Not thread-safe: callers lock. */
#ifndef KEEL_FRAMES_H
#define KEEL_FRAMES_H
#include <keel/bitalloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_SIZE          4096u
#define FRAMES_MAX_RESERVED 64

/* Bitmap words frames_init needs for a given physical limit. */
#define FRAMES_WORDS(phys_limit) BITALLOC_WORDS((phys_limit) / FRAME_SIZE)

struct frames_range {
    uint64_t start, end; /* page-aligned, [start, end) */
};

struct frames {
    struct bitalloc map; /* one unit per frame, unit n = physical address n * FRAME_SIZE */
    uint64_t limit;      /* page-aligned; nothing at or above it is managed */
    size_t usable;       /* frames usable and not reserved */
    bool setup_done;     /* set by the first successful frames_alloc */
    size_t nreserved;
    struct frames_range reserved[FRAMES_MAX_RESERVED]; /* sorted, disjoint, not adjacent */
};

/* Manages [0, phys_limit rounded down to a page) with words[0..nwords) as the bitmap (needs
 * FRAMES_WORDS(phys_limit)). No frame is usable yet. KE_INVAL if the limit is below one page
 * or the storage is missing or too small. */
int frames_init(struct frames *f, uint64_t *words, size_t nwords, uint64_t phys_limit);

/* Makes the whole pages inside [start, end) free, except reserved ones; the part at or above
 * the limit is ignored. Overlapping or repeated regions are fine. KE_INVAL if start > end,
 * KE_BUSY after setup. */
int frames_add_usable(struct frames *f, uint64_t start, uint64_t end);

/* Reserves every page touching [start, end) (the part below the limit) for good. Adjacent and
 * overlapping reservations merge. KE_INVAL if start > end, KE_BUSY after setup, KE_NOSPC if the
 * reservation table (FRAMES_MAX_RESERVED disjoint ranges) is full. */
int frames_reserve(struct frames *f, uint64_t start, uint64_t end);

/* Allocates count contiguous frames, the first aligned to align_pages frames (a power of two),
 * lowest address first; stores the physical address in *phys_out. KE_INVAL for count 0 or a bad
 * alignment, KE_NOSPC if no run fits. */
int frames_alloc(struct frames *f, size_t count, size_t align_pages, uint64_t *phys_out);

/* Frees count frames at phys. KE_INVAL (changing nothing) if phys is not page-aligned, the
 * range is empty, beyond the limit, touches a reserved frame, or any frame is already free. */
int frames_free(struct frames *f, uint64_t phys, size_t count);

/* True if the frame containing phys is free. */
bool frames_is_free(const struct frames *f, uint64_t phys);

/* Free frames now; frames usable and not reserved (free plus allocated). */
size_t frames_free_count(const struct frames *f);
size_t frames_total_usable(const struct frames *f);

#endif
