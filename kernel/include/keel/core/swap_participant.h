/* Core registries that hold pointers into cells (the tasks' entries, the console's sinks, ...)
 * take part in every live swap as participants: kernel/swap/swap.c walks the swap's steps and,
 * at the quiesce and commit steps, every registered participant. A registry added later
 * registers itself with SWAP_PARTICIPANT beside its own code (a table the linker gathers, like
 * the export table): swap.c does not change. Kernel-facing: not for cells. */
#ifndef KEEL_CORE_SWAP_PARTICIPANT_H
#define KEEL_CORE_SWAP_PARTICIPANT_H
#include <stddef.h>
#include <stdint.h>

struct loader_swap;
struct swap_report;

struct swap_participant {
    const char *name; /* for messages: "tasks", "console sinks" */
    /* The world is stopped (scheduler lock held). 0: this registry is ready for the swap;
     * KE_BUSY: not yet (the swap lets the others run and checks again until its deadline); any
     * other KE_* code refuses the swap. why (why_size bytes) says why, for the user. */
    int (*check)(const struct loader_swap *sw, char *why, size_t why_size);
    /* The commit point, the world still stopped: move the registry's pointers to the new
     * versions. Cannot fail (check promised it); may add to the report. Runs in registration
     * order, before the loader's symbols switch (the old versions' symbols are still there). */
    void (*commit)(const struct loader_swap *sw, struct swap_report *rep);
    /* Optional: the swap is abandoned after check passed (a later participant or step failed):
     * undo what check prepared. World stopped. */
    void (*undo)(const struct loader_swap *sw);
    /* Optional, for a dry run's plan: one line at a time, without a newline. Not called with
     * the world stopped; may take the registry's own locks. */
    void (*describe)(const struct loader_swap *sw, void (*emit)(void *ctx, const char *line),
                     void *ctx);
};

/* Register a participant (check and commit required) for every swap: a const entry in the
 * kernel image's .swap_participants table. Participants are walked in link order and must not
 * depend on one another. */
#define SWAP_PARTICIPANT(id, ...)                                                                  \
    __attribute__((section(".swap_participants"), used,                                            \
                   aligned(8))) static const struct swap_participant swap_participant_##id = {     \
        __VA_ARGS__}

/* The table (kernel/linker.ld). */
extern const struct swap_participant __swap_participants_start[], __swap_participants_end[];

/* Where a pointer goes in a swap under way: 1 when from lies in no old version (nothing to do),
 * 0 and *to its counterpart in the new version, KE_NOENT when the new version has none. */
int swap_translate(const struct loader_swap *sw, uint64_t from, uint64_t *to);

#endif
