/* What a live swap needs from tasking (swap_tasks.c). The check and the commit run with the
 * scheduler lock held (sched_lock(): the world is stopped). */
#ifndef KEEL_TASKING_SWAP_TASKS_H
#define KEEL_TASKING_SWAP_TASKS_H
#include <stdbool.h>
#include <stddef.h>
#include <keel/loader.h>
#include <keel/waitq.h>

struct swap_tasks_scan {
    const struct loader_swap *sw;
    size_t service; /* out: parked service tasks that the commit will re-spawn */
    char why[192];  /* out: why not (the first task found inside an old version) */
};
/* 0: quiescent. KE_BUSY: a task is inside an old version (retry later). KE_NOENT: a task of an
 * old version runs a function the new version lacks (a refusal). */
int swap_tasks_check(struct swap_tasks_scan *s);
/* Move the tasks of the old versions to the new ones: re-spawn the parked service tasks,
 * re-point the entries of the others. Returns how many were re-spawned. Call before
 * loader_swap_commit (it uses the old versions' symbols). */
size_t swap_tasks_commit(const struct loader_swap *sw);
/* For a dry run: the tasks of the old versions and what the swap would do with them. Takes the
 * scheduler lock itself. */
void swap_tasks_describe(const struct loader_swap *sw, void (*emit)(void *ctx, const char *line),
                         void *ctx);

/* Has the running task been killed? (task.c) The swap then stops waiting and undoes itself
 * before it reaches a safe point where the kill would end it with the swap half done. */
bool task_kill_pending(void);

#endif
