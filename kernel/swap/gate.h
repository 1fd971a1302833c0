/* A pending swap's gate (gate.c), private to kernel/swap. World stopped for all but
 * gate_users. */
#ifndef KEEL_SWAP_GATE_H
#define KEEL_SWAP_GATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loader_swap;

/* Can the stubs be given to a new swap? (No task between a stub and swap_gate_enter, none in
 * it.) */
bool gate_free(void);
/* Point the call sites into the old versions at the stubs: the sites gated. */
size_t gate_open(struct loader_swap *sw);
/* Put every gated site back (before the rewrite, or when the swap is given up). */
void gate_close(struct loader_swap *sw);
/* Where the tasks held at the gate go once released: the new functions (committed) or the old
 * ones. Before swap_hold_end. */
void gate_decide(bool committed);
/* Tasks between a stub and the target it is sent to. */
unsigned gate_users(void);
/* Since boot: calls that went through a gate, and their time there. */
void gate_totals(uint64_t *calls, uint64_t *ns);

#endif
