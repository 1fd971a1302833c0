/* keel/cells.h: the locked service layer over the loader, and the boot modules. */
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/paging.h>
#include <keel/reclaim.h>
#include <keel/string.h>
#include <keel/format.h>
#include <keel/sync.h>
#include <keel/task.h>
#include <keel/waitq.h>
#include "boot/bootinfo.h"
#include "link/cells.h"

static struct mutex cells_mutex = MUTEX_INIT;
static struct waitq ready_waiters = WAITQ_INIT;
static int ready_flag; /* under the scheduler lock */

void cells_lock(void)
{
    /* Owner-dead is fine here: the loader's state is only changed by complete calls. A task
     * killed while it waits must not go on without the lock: it ends at the yield, a safe point
     * where it holds nothing of the loader's. */
    while (mutex_lock(&cells_mutex) == KE_KILLED)
        task_yield();
}

int cells_lock_killable(void)
{
    return mutex_lock(&cells_mutex) == KE_KILLED ? KE_KILLED : 0;
}

void cells_unlock(void)
{
    mutex_unlock(&cells_mutex);
}

int cells_load(const void *data, size_t size, const char *origin, struct loaded_cell **out,
               struct loader_error *err)
{
    struct loader *ld = cells_loader();
    if (!ld)
        return KE_NOTSUP;
    struct loader_object obj = {data, size, origin};
    struct loaded_cell *cell;
    cells_lock();
    int r = loader_load(ld, &obj, 1, &cell, err);
    cells_unlock();
    if (!r && out)
        *out = cell;
    return r;
}

int cells_unload(const char *name, struct loader_error *err)
{
    struct loader *ld = cells_loader();
    if (!ld || !name)
        return KE_INVAL;
    cells_lock();
    struct loaded_cell *c = loader_find(ld, name);
    int r;
    if (!c) {
        r = KE_NOENT;
        if (err) {
            err->code = r;
            ksnprintf(err->msg, sizeof(err->msg), "no cell named '%.32s' is loaded", name);
        }
    } else {
        r = loader_unload(ld, c, err);
        /* The cell is retired: freed now if nothing points into it, else by the reclaimer once
         * nothing does. */
        if (!r)
            (void)reclaim_now_locked(NULL);
    }
    cells_unlock();
    return r;
}

size_t boot_module_count(void)
{
    return boot_info()->module_count;
}

int boot_module_get(size_t index, const char **name, const void **data, size_t *size)
{
    const struct mb2_info *bi = boot_info();
    if (index >= bi->module_count)
        return KE_NOENT;
    const struct mb2_module *m = &bi->modules[index];
    *name = m->cmdline;
    *data = phys_to_virt(m->start);
    *size = (size_t)(m->end - m->start);
    return 0;
}

/* Called by the boot task right after the ready line. */
void boot_signal_ready(void)
{
    int irq = sched_lock();
    ready_flag = 1;
    waitq_wake_all(&ready_waiters);
    sched_unlock(irq);
}

void boot_wait_ready(void)
{
    int irq = sched_lock();
    while (!ready_flag && waitq_wait(&ready_waiters, 0) == 0)
        ;
    sched_unlock(irq);
}

KEEL_EXPORT_FUNC(cells_loader);
KEEL_EXPORT_FUNC(cells_lock);
KEEL_EXPORT_FUNC(cells_lock_killable);
KEEL_EXPORT_FUNC(cells_unlock);
KEEL_EXPORT_FUNC(cells_load);
KEEL_EXPORT_FUNC(cells_unload);
KEEL_EXPORT_FUNC(boot_module_count);
KEEL_EXPORT_FUNC(boot_module_get);
KEEL_EXPORT_FUNC(boot_wait_ready);
