/* Activation of an injected fault, observed with debug register 0 (kernel/inject/activation.c):
 * an execute breakpoint on faulted text, a read/write watchpoint on faulted data; the #DB
 * handler records the first hit and disarms. */
#ifndef KEEL_INJECT_ACTIVATION_H
#define KEEL_INJECT_ACTIVATION_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/core/trap.h>
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

#endif
