/* The arithmetic of hang detection (freestanding; unit-tested on the host): when a heartbeat is
 * overdue, which CPU budget judges a task, and when it is spent. */
#ifndef KEEL_TASKING_HANG_CALC_H
#define KEEL_TASKING_HANG_CALC_H
#include <stdbool.h>
#include <stdint.h>

/* A task that last beat at `since` (or starts then) with a heartbeat of `limit` ns is overdue at
 * `now` when more than `limit` ns have passed. No heartbeat (limit 0) is never overdue, and a
 * `since` in the future (a restart's planned start, after its back-off) has not begun. */
bool hang_heartbeat_overdue(uint64_t now, uint64_t since, uint64_t limit);
/* The budget a task is judged by: its own, else the global one (0: none). */
uint64_t hang_budget(uint64_t own, uint64_t global);
/* `run` ns of CPU since it last blocked against a budget (0: none): spent when more. */
bool hang_budget_spent(uint64_t run, uint64_t budget);

#endif
