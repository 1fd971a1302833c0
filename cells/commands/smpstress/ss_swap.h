/* The command's side of the live swaps (ss_swap.c): getting counter and stress_client loaded
 * and the two counter objects held, the warm-up swaps, spawning the callers, stopping the
 * swapper. */
#ifndef CMD_SMPSTRESS_SS_SWAP_H
#define CMD_SMPSTRESS_SS_SWAP_H
#include <stddef.h>
#include "commands/smpstress/ss.h"

#define SS_SKIP 1 /* swaps are left out, for the reason given (not an error) */

/* Load counter (counter@1.o) and stress_client if they are not loaded, and hold the objects of
 * counter 1 and 2: 0; SS_SKIP (counter runs another version); or a negative KE_* code. Either
 * of the last two with a message in why. */
int smpstress_swap_prepare(char *why, size_t n);
/* Let go of the objects (after the swapper has ended). */
void smpstress_swap_finish(void);
/* Swap there and back once: 0, or a KE_* code with a message in why. */
int smpstress_swap_warm(char *why, size_t n);
/* Spawn stress_client_main for job (a caller; 0 rounds only reads the counter). */
int smpstress_spawn_caller(const struct ss_job *job, task_id_t *id);
/* Ask the swapper to end (after an even number of swaps, at least two). */
void smpstress_swap_stop(void);

#endif
