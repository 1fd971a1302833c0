/* A pending swap's gate (docs/live-swap.md, "Pending swaps"): while a swap waits for the tasks
 * inside an old version to leave, no other task may enter it. The loader points each call site
 * into an old version at one of 256 stubs in the core's text (gate.S), one per old function
 * called; a task that reaches one parks in the swap's hold and, once released, continues into
 * the new version of that function — or into the old one if the swap was given up. */
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/string.h>
#include <keel/task.h>
#include <keel/loader.h>
#include <keel/noscan.h>
#include <keel/core/swap_pending.h>
#include "swap/gate.h"

#define GATE_MAX  256 /* gate.S: GATE_STUBS */
#define STUB_SIZE 16

extern const char swap_gate_text[], swap_gate_text_end[];
uint64_t swap_gate_users; /* gate.S */

/* Not a root of the reclaimer's scan: the old functions named here are only where a held
 * task goes if the swap is given up, and must not keep a retired version alive. */
static struct gate {
    uint64_t old_fn, new_fn, to;
} gates[GATE_MAX] KEEL_NOSCAN;
static size_t ngates;

uint64_t swap_gate_enter(uint64_t i);
static uint64_t held_calls, held_ns; /* since boot */

void gate_totals(uint64_t *calls, uint64_t *ns)
{
    *calls = __atomic_load_n(&held_calls, __ATOMIC_RELAXED);
    *ns = __atomic_load_n(&held_ns, __ATOMIC_RELAXED);
}

uint64_t swap_gate_enter(uint64_t i)
{
    uint64_t t0 = clock_ns();
    swap_pending_event(); /* a task that was outside stays outside: worth a check */
    int r = swap_hold_wait();
    __atomic_add_fetch(&held_calls, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&held_ns, clock_ns() - t0, __ATOMIC_RELAXED);
    if (r == KE_KILLED) {
        __atomic_sub_fetch(&swap_gate_users, 1, __ATOMIC_RELEASE); /* it never gets back */
        task_exit(KE_KILLED); /* ends as killed (the kill is pending) */
    }
    return gates[i].to;
}

unsigned gate_users(void)
{
    return (unsigned)__atomic_load_n(&swap_gate_users, __ATOMIC_RELAXED);
}

/* Set when a gate opens; cleared once a check (world stopped, the sites closed again) finds
 * nobody in the stubs: from then on nobody can get in until the next gate opens, so an idle
 * swap's check skips the walk over the tasks. */
static bool gate_used;

bool gate_free(void)
{
    if (!gate_used)
        return true;
    if (gate_users() || swap_tasks_stopped_in((uint64_t)(uintptr_t)swap_gate_text,
                                              (uint64_t)(uintptr_t)swap_gate_text_end))
        return false;
    gate_used = false;
    return true;
}

static uint64_t stub_for(void *ctx, uint64_t old_fn, uint64_t new_fn)
{
    (void)ctx;
    size_t i = 0;
    while (i < ngates && gates[i].old_fn != old_fn)
        i++;
    if (i == ngates) {
        if (ngates == GATE_MAX)
            return 0; /* that site stays: a task entering there is caught on its way out */
        gates[ngates++] = (struct gate){old_fn, new_fn, old_fn};
    }
    return (uint64_t)(uintptr_t)swap_gate_text + i * STUB_SIZE;
}

size_t gate_open(struct loader_swap *sw)
{
    ngates = 0;
    gate_used = true;
    return loader_swap_gate(sw, stub_for, NULL);
}

void gate_close(struct loader_swap *sw)
{
    loader_swap_ungate(sw);
}

void gate_decide(bool committed)
{
    for (size_t i = 0; i < ngates; i++)
        __atomic_store_n(&gates[i].to, committed ? gates[i].new_fn : gates[i].old_fn,
                         __ATOMIC_RELEASE);
}
