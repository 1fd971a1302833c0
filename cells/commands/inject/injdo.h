/* Carrying out a parsed inject line (injargs.h) in the guest, for the shell's inject and the
 * control channel's INJECT alike: arm a code, allocation or IPC fault, or show or restore the one
 * in place — one fault at a time across the three (keel/inject.h, keel/inject_alloc.h), so
 * `status` and `restore` find whichever it is. Header-only, static functions (see injargs.h). */
#ifndef CMD_INJECT_INJDO_H
#define CMD_INJECT_INJDO_H
#include <keel/inject.h>
#include <keel/inject_alloc.h>
#include "commands/inject/injresult.h"

/* 0 with *r filled; else the injector's negative KE_* code, its message in *err, nothing
 * changed. Restoring with nothing in place is KE_NOENT. */
static inline int injdo(const struct injargs *a, struct injresult *r, struct loader_error *err)
{
    memset(r, 0, sizeof(*r));
    r->action = a->action;
    int rc = 0;
    switch (a->action) {
    case INJARGS_FAULT:
        r->family = INJFAMILY_CODE;
        return inject_fault(&a->spec, &r->u.code, err);
    case INJARGS_ALLOC:
        r->family = INJFAMILY_ALLOC;
        return inject_alloc_arm(&a->alloc, &r->u.alloc, err);
    case INJARGS_IPC:
        r->family = INJFAMILY_IPC;
        return inject_ipc(&a->ipc, &r->u.ipc, err);
    case INJARGS_STATUS:
        if (inject_alloc_in_place()) {
            inject_alloc_last(&r->u.alloc);
            if (r->u.alloc.valid) {
                r->family = INJFAMILY_ALLOC;
                return 0;
            }
        }
        inject_last(&r->u.code);
        if (r->u.code.valid) {
            r->family = INJFAMILY_CODE;
            return 0;
        }
        inject_ipc_last(&r->u.ipc);
        r->family = r->u.ipc.valid ? INJFAMILY_IPC : INJFAMILY_NONE;
        return 0;
    case INJARGS_RESTORE:
        if (inject_alloc_in_place()) {
            r->family = INJFAMILY_ALLOC;
            return inject_alloc_restore(&r->u.alloc, err);
        }
        if (inject_ipc_restore(&r->u.ipc, err) == 0) {
            r->family = INJFAMILY_IPC;
            return 0;
        }
        r->family = INJFAMILY_CODE;
        rc = inject_restore(&r->u.code, err);
        break;
    }
    return rc;
}

#endif
