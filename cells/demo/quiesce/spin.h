/* The quiescence fixtures (catcher.c): a flag a spinning task polls, and the spinners of cells
 * caught and bare. Every spinner is naked (no frame of its own): where its return address lies
 * is exactly what the test needs, and the frame-pointer chain does not show it. */
#ifndef CELLS_DEMO_QUIESCE_SPIN_H
#define CELLS_DEMO_QUIESCE_SPIN_H
#include <stddef.h>
#include <stdint.h>

/* The spinners read and write it at fixed offsets (their asm): stop at 0, spins at 8. */
struct spin_flag {
    volatile uint8_t stop;   /* set to end the spin */
    volatile uint64_t spins; /* turns of the loop so far: > 0 once the task is in it */
};
_Static_assert(offsetof(struct spin_flag, stop) == 0, "the spinners' asm reads stop at 0");
_Static_assert(offsetof(struct spin_flag, spins) == 8, "the spinners' asm counts at 8");

/* caught (swapped): caught_spin spins in caught's own code, called by caught_enter; the other
 * two call bare's spinners from a normal frame of caught. Each returns the version of caught
 * whose code it returned through. */
void caught_spin(struct spin_flag *f);
int caught_enter(struct spin_flag *f);
int caught_call_bare(struct spin_flag *f);
int caught_call_pushed(struct spin_flag *f);

/* bare (never swapped): bare_spin leaves its return address at [rsp]; bare_spin_pushed first
 * pushes rbp, as a function caught in its prologue has, so it lies at [rsp+8]. */
void bare_spin(struct spin_flag *f);
void bare_spin_pushed(struct spin_flag *f);

#endif
