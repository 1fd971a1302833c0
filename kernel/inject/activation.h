/* Activation of an injected fault, observed with debug register 0 (kernel/inject/activation.c):
 * an execute breakpoint on faulted text, a read/write watchpoint on faulted data; the #DB
 * handler records the first hit and disarms. */
#ifndef KEEL_INJECT_ACTIVATION_H
#define KEEL_INJECT_ACTIVATION_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/core/trap.h>
#include <keel/inject_pick.h>
#include <keel/task.h>

struct inject_hit {
    bool hit;
    uint64_t ns;
    task_id_t task;
    char task_name[TASK_NAME_MAX];
    uint64_t rip;
};

/* Arm DR0 on addr: execute (len must be 1) or read/write of len 1, 2, 4 or 8 bytes, addr
 * aligned to len (KE_INVAL otherwise). Clears the previous hit. */
int inject_watch_arm(uint64_t addr, unsigned len, bool execute);
/* Disarm DR0 (harmless when not armed). */
void inject_watch_disarm(void);
/* The first hit since the last arm (hit false if none). */
void inject_watch_hit(struct inject_hit *out);
/* The #DB handler (trap_dispatch, vector 1): true if the exception was DR0's, recorded and
 * disarmed (resume with f as modified), false if it is no injector's. */
bool inject_debug_trap(struct trap_frame *f);
/* Load this CPU's debug registers if they changed since it last did (every tick, the catch-up
 * IPI). Interrupts off. */
void inject_dr_catch_up(void);

/* A fault written later, by a trigger (keel/inject.h: INJECT_AFTER_CALLS / _US). Everything the
 * write needs is worked out beforehand, in task context: the writable direct-map alias of each
 * byte (so the #DB handler writes without walking page tables or taking a lock), the bytes, and
 * the activation watch to arm once written. */
struct inject_deferred {
    uint64_t addr; /* the first faulted byte, in the cell's own mapping (read back there) */
    uint8_t len;
    uint8_t old_bytes[INJECT_MAX_BYTES], new_bytes[INJECT_MAX_BYTES];
    volatile uint8_t *alias[INJECT_MAX_BYTES];
    uint64_t watch_addr;
    uint8_t watch_len;
    bool watch_execute;
};

/* What became of the deferred fault. */
struct inject_trigger_state {
    bool waiting; /* armed, not applied */
    bool applied; /* written (and read back equal) */
    bool failed;  /* written, read back different: the old bytes were put back */
    bool watch_armed;
    uint64_t applied_ns;
    uint64_t calls;
    uint8_t read_back[INJECT_MAX_BYTES];
};

/* Arm the trigger: an execute breakpoint on entry with DR1, the fault written at the nth hit
 * (from the #DB handler); or a core task that sleeps us µs, then writes it. KE_BUSY if a trigger
 * is armed, KE_NOMEM if the task cannot be made. */
int inject_trigger_calls(const struct inject_deferred *d, uint64_t entry, uint64_t n);
int inject_trigger_delay(const struct inject_deferred *d, uint64_t us);
void inject_trigger_get(struct inject_trigger_state *out);
/* Disarm: after it returns nothing more is written. The state as it was in *out (may be NULL). */
void inject_trigger_cancel(struct inject_trigger_state *out);

#endif
