/* What one inject line did (the shell's `inject` and the control channel's INJECT): which fault
 * family's record it holds, and how it is shown — the same words in the shell and in `keelctl
 * inject`. Header-only, static functions (see injprint.h); the guest fills it (injdo.h), keelctl
 * reads it off the wire (ctl/inject_wire.h). */
#ifndef CMD_INJECT_INJRESULT_H
#define CMD_INJECT_INJRESULT_H
#include "commands/inject/injargs.h"
#include "commands/inject/injprint.h"
#include "commands/inject/injprint_alloc.h"
#include "commands/inject/injprint_ipc.h"

/* The record that came back: none (status with no fault in place), a code fault's, an allocation
 * fault's or an IPC fault's. The values go on the wire. */
enum injfamily { INJFAMILY_NONE, INJFAMILY_CODE, INJFAMILY_ALLOC, INJFAMILY_IPC };
#define INJFAMILY_LAST INJFAMILY_IPC

struct injresult {
    enum injargs_action action;
    enum injfamily family;
    union {
        struct inject_record code;
        struct inject_alloc_record alloc;
        struct ipc_fault_record ipc;
    } u;
};

static inline void injresult_print(const struct injresult *r, injprint_out out, void *ctx)
{
    switch (r->family) {
    case INJFAMILY_NONE:
        injprint_f(out, ctx, "inject: no fault in place\n");
        break;
    case INJFAMILY_CODE:
        if (r->action == INJARGS_STATUS)
            injprint_status(&r->u.code, out, ctx);
        else if (r->action == INJARGS_RESTORE)
            injprint_restore(&r->u.code, out, ctx);
        else
            injprint_proof(&r->u.code, out, ctx);
        break;
    case INJFAMILY_ALLOC:
        if (r->action == INJARGS_RESTORE) {
            injprint_alloc_restore(&r->u.alloc, out, ctx);
            break;
        }
        injprint_alloc_armed(&r->u.alloc, out, ctx);
        if (r->action == INJARGS_STATUS)
            injprint_alloc_state(&r->u.alloc, out, ctx);
        break;
    case INJFAMILY_IPC:
        if (r->action == INJARGS_STATUS)
            injprint_ipc_status(&r->u.ipc, out, ctx);
        else if (r->action == INJARGS_RESTORE)
            injprint_ipc_restore(&r->u.ipc, out, ctx);
        else
            injprint_ipc_armed(&r->u.ipc, out, ctx);
        break;
    }
}

#endif
