/* Kernel-facing (not for cells). A pending live swap (docs/live-swap.md, "Pending swaps"): once
 * a swap is linked and checked but a task is still inside an old version, the swap holds every
 * task that would enter the old code (the gate, kernel/swap/gate.c) or that leaves it (the
 * return barrier, here) until the swap is decided, and commits the moment nobody is inside.
 * Functions marked "world stopped" run with world_stop's scheduler lock held. */
#ifndef KEEL_CORE_SWAP_PENDING_H
#define KEEL_CORE_SWAP_PENDING_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/task.h>

struct loader_swap;

/* The hold: from swap_hold_begin (world stopped) to swap_hold_end, swap_hold_wait parks the
 * calling task; swap_hold_end wakes them all. swap_hold_wait returns 0, or KE_KILLED for a
 * task asked to end while it waited (its caller ends it: task_exit). */
void swap_hold_begin(void);
void swap_hold_end(void);
int swap_hold_wait(void);
unsigned swap_hold_parked(void); /* tasks parked now */

/* World stopped. Give every task inside an old version that has none a return barrier on its
 * outermost frame there: *placed counts the barriers set now. Returns the tasks inside that
 * could not be given one now (interrupted in a function without a frame, in a prologue or an
 * epilogue; a return address that does not follow a call; a broken frame chain): they leave
 * soon, or are tried again. A service task is not counted (the commit re-spawns it where it
 * blocks), nor is one waiting on a lock inside (only the deadline ends that). */
unsigned swap_barriers_place(const struct loader_swap *sw, unsigned *placed);
/* World stopped: every barrier not yet reached is taken away (the return address it replaced
 * back in its slot). */
void swap_barriers_remove(void);
/* Barriers set and not yet reached (a task that ends while carrying one drops it). */
unsigned swap_barriers_live(void);

/* Events: a barrier reached or dropped, a task held at the gate (swap_pending_event). The
 * swapping task takes the count (world stopped), then waits until it moves (at once if it
 * already has), or until deadline_ns (clock_ns); KE_KILLED if it is asked to end, else 0. */
unsigned swap_pending_events(void);
void swap_pending_event(void);
int swap_pending_wait(unsigned seen, uint64_t deadline_ns);

/* World stopped: is some task other than the caller stopped at an instruction in [lo, hi)? */
bool swap_tasks_stopped_in(uint64_t lo, uint64_t hi);

/* For backtraces: the return address a frame really has, given the slot it was read from (a
 * slot a barrier took over reads as the barrier's trampoline). */
uint64_t swap_barrier_fixup(uint64_t slot, uint64_t ret);

#endif
