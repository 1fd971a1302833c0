/* IPC faults from the injector (keel/inject.h; docs/fault-injection.md, "IPC faults"): validate
 * the spec, keep the rule of one fault in place with the code injector (inject.c), and arm the
 * channel hook (tasking/chan_fault.c), which does the rest when the Nth message comes. */
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/inject.h>
#include <keel/inject_alloc.h>
#include <keel/core/chan_fault.h>
#include "inject/ipc.h"
#include "link/cells.h"

static uint64_t next_seq = 1;

int inject_ipc(const struct ipc_fault_spec *spec, struct ipc_fault_record *out,
               struct loader_error *err)
{
    loader_error_clear(err);
    if (!spec || spec->kind < IPC_FAULT_DROP || spec->kind > IPC_FAULT_KIND_LAST)
        return loader_fail(err, KE_INVAL, "unknown IPC fault kind");
    if (spec->side != IPC_SIDE_SEND && spec->side != IPC_SIDE_RECV)
        return loader_fail(err, KE_INVAL, "unknown side (send or recv)");
    if (spec->nth == 0)
        return loader_fail(err, KE_INVAL, "--nth counts from 1");
    if (spec->kind == IPC_FAULT_DELAY &&
        (spec->delay_ns == 0 || spec->delay_ns > IPC_FAULT_DELAY_MAX_NS))
        return loader_fail(err, KE_INVAL, "delay wants --delay-us 1..%llu",
                           (unsigned long long)(IPC_FAULT_DELAY_MAX_NS / 1000));
    if (spec->kind != IPC_FAULT_DELAY && spec->delay_ns)
        return loader_fail(err, KE_INVAL, "--delay-us is for delay faults only");
    bool named = false;
    for (unsigned i = 0; i < sizeof(spec->cell); i++)
        if (!spec->cell[i]) {
            named = true;
            break;
        }
    if (!named)
        return loader_fail(err, KE_INVAL, "cell name too long");
    cells_lock();
    int rc = 0;
    struct loader *ld = cells_loader();
    if (inject_code_in_place() || inject_alloc_in_place()) {
        rc = loader_fail(err, KE_BUSY, "a fault is in place: restore it first (inject restore)");
    } else if (spec->cell[0] && !(ld && loader_find(ld, spec->cell))) {
        rc = loader_fail(err, KE_NOENT, "no cell '%s' is loaded", spec->cell);
    } else if (chan_fault_arm(spec, next_seq)) {
        rc = loader_fail(err, KE_BUSY, "an IPC fault is armed: restore it first (inject restore)");
    } else {
        next_seq++;
        if (out)
            chan_fault_last(out);
    }
    cells_unlock();
    return rc;
}

void inject_ipc_last(struct ipc_fault_record *out)
{
    chan_fault_last(out);
}

int inject_ipc_restore(struct ipc_fault_record *out, struct loader_error *err)
{
    loader_error_clear(err);
    if (chan_fault_disarm(out))
        return loader_fail(err, KE_NOENT, "no fault in place");
    return 0;
}

KEEL_EXPORT_FUNC(inject_ipc);
KEEL_EXPORT_FUNC(inject_ipc_last);
KEEL_EXPORT_FUNC(inject_ipc_restore);
/* The words of keel/ipc_pick.h, for the inject command (inject/ipc_pick.c is freestanding). */
KEEL_EXPORT_FUNC(ipc_fault_kind_name);
KEEL_EXPORT_FUNC(ipc_fault_kind_parse);
