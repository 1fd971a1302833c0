/* How an IPC fault is shown (`inject ipc`, its status and restore; docs/fault-injection.md, "IPC
 * faults"), by the shell's inject and by `keelctl inject` in the same words. Header-only, static
 * functions (see injprint.h). */
#ifndef CMD_INJECT_INJPRINT_IPC_H
#define CMD_INJECT_INJPRINT_IPC_H
#include <keel/ipc_pick.h>
#include "commands/inject/injprint.h"

static inline void injprint_ipc_spec(const struct ipc_fault_record *r, injprint_out out, void *ctx)
{
    const struct ipc_fault_spec *s = &r->spec;
    injprint_f(out, ctx, "inject: ipc %s on cell %s, %s, message %llu, seed %llu",
               ipc_fault_kind_name(s->kind), s->cell[0] ? s->cell : "any",
               s->side == IPC_SIDE_SEND ? "send" : "recv", (unsigned long long)s->nth,
               (unsigned long long)s->seed);
    if (s->kind == IPC_FAULT_DELAY)
        injprint_f(out, ctx, ", delay %llu us", (unsigned long long)(s->delay_ns / 1000));
    injprint_f(out, ctx, "\n");
}

static inline void injprint_ipc_armed(const struct ipc_fault_record *r, injprint_out out, void *ctx)
{
    injprint_ipc_spec(r, out, ctx);
    injprint_f(out, ctx, "  armed: the hook counts matching calls from now on\n");
}

static inline void injprint_ipc_status(const struct ipc_fault_record *r, injprint_out out,
                                       void *ctx)
{
    injprint_ipc_spec(r, out, ctx);
    injprint_f(out, ctx, "  calls counted: %llu\n", (unsigned long long)r->seen);
    if (!r->activated) {
        injprint_f(out, ctx, "  not activated\n");
        return;
    }
    injprint_f(out, ctx, "  activated at %llu ns by task %llu '%s', channel 0x%016llx\n",
               (unsigned long long)r->activated_ns, (unsigned long long)r->task, r->task_name,
               (unsigned long long)r->channel);
    if (r->spec.kind == IPC_FAULT_CORRUPT)
        injprint_f(out, ctx, "  word 0x%016llx -> 0x%016llx (bit %u)\n",
                   (unsigned long long)r->old_word, (unsigned long long)r->new_word, r->bit);
    else if (r->spec.kind != IPC_FAULT_BADPTR)
        injprint_f(out, ctx, "  word 0x%016llx\n", (unsigned long long)r->old_word);
}

static inline void injprint_ipc_restore(const struct ipc_fault_record *r, injprint_out out,
                                        void *ctx)
{
    injprint_f(out, ctx, "inject: disarmed ipc %s on cell %s (%s)\n",
               ipc_fault_kind_name(r->spec.kind), r->spec.cell[0] ? r->spec.cell : "any",
               r->activated ? "activated" : "not activated");
}

#endif
