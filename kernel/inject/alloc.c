/* Allocation failure as an injected fault (keel/inject_alloc.h): the heap's failslab countdown
 * (fail_nth) restricted by a caller filter to the allocations whose call chain returns into one
 * cell's text. The filter and the activation record run inside the heap (heap_failslab_should_fail,
 * under the heap lock, interrupts off): they walk frame pointers and copy words, nothing more.
 * The heap asks the filter only while something is armed, so a disarmed injector costs nothing
 * here. */
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/core/tasking.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/inject.h>
#include <keel/inject_alloc.h>
#include <keel/core/chan_fault.h>
#include <keel/kmalloc.h>
#include <keel/panic.h>
#include <keel/string.h>

/* Frames between the filter and kmalloc's caller: match, heap_failslab_should_fail, heap_alloc,
 * kmalloc_owned, kmalloc (some may be inlined: walking a few more costs nothing). */
#define CORE_FRAMES 6u

/* What the filter and the fired hook share; written under the heap lock. */
struct alloc_hook {
    uint64_t base, size; /* the cell's text */
    uint64_t site;       /* the last matching allocation's innermost call site in the cell */
    /* The activation, written once by fired() (one CPU: a reader cannot interleave with it). */
    bool fired;
    uint64_t ns;
    task_id_t task;
    char task_name[TASK_NAME_MAX];
    uint64_t caller;
};

static struct alloc_hook hook;
static struct inject_alloc_record cur; /* valid while armed; the cells lock guards it */
static uint64_t next_seq = 1;

static bool match(void *ctx)
{
    struct alloc_hook *h = ctx;
    uint64_t sites[CORE_FRAMES + INJECT_ALLOC_DEPTH];
    unsigned n = backtrace_call_sites((uint64_t)(uintptr_t)__builtin_frame_address(0), sites,
                                      CORE_FRAMES + INJECT_ALLOC_DEPTH);
    for (unsigned i = 0; i < n; i++)
        if (sites[i] - h->base < h->size) {
            h->site = sites[i];
            return true;
        }
    return false;
}

static void fired(void *ctx)
{
    struct alloc_hook *h = ctx;
    if (h->fired)
        return;
    h->ns = clock_ns();
    h->task = task_self();
    const char *name = task_current_name();
    size_t i = 0;
    for (; name && name[i] && i + 1 < sizeof(h->task_name); i++)
        h->task_name[i] = name[i];
    h->task_name[i] = 0;
    h->caller = h->site;
    __asm__ volatile("" ::: "memory");
    h->fired = true;
}

static bool ours(const struct heap_failslab *fs)
{
    return fs->match == match && fs->hook_ctx == &hook;
}

/* cur as of now: countdown and count from the heap, activation from the hook. Cells lock held. */
static void snapshot(struct inject_alloc_record *out)
{
    *out = cur;
    if (!cur.valid)
        return;
    struct heap_failslab fs;
    kheap_failslab_get(&fs);
    if (ours(&fs)) {
        out->left = fs.fail_nth;
        out->seen = fs.seen;
    } else {
        out->displaced = true;
        out->left = 0;
    }
    if (hook.fired) {
        out->activated = true;
        out->activated_ns = hook.ns;
        out->task = hook.task;
        memcpy(out->task_name, hook.task_name, sizeof(out->task_name));
        out->caller = hook.caller;
        const char *sym = NULL;
        uint64_t off = hook.caller - cur.text_base;
        struct loader *ld = cells_loader();
        if (ld)
            (void)loader_addr_lookup(ld, hook.caller, NULL, &sym, &off);
        size_t len = sym ? strlen(sym) : 0;
        if (len >= sizeof(out->caller_symbol))
            len = sizeof(out->caller_symbol) - 1;
        memcpy(out->caller_symbol, sym ? sym : "", len);
        out->caller_symbol[len] = 0;
        out->caller_offset = off;
    }
}

static uint32_t nth_from_seed(uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return 1 + (uint32_t)((z ^ (z >> 31)) % INJECT_ALLOC_SEED_SPAN);
}

int inject_alloc_arm(const struct inject_alloc_spec *spec, struct inject_alloc_record *out,
                     struct loader_error *err)
{
    loader_error_clear(err);
    if (!spec || !spec->cell[0] || !memchr(spec->cell, 0, sizeof(spec->cell)))
        return loader_fail(err, KE_INVAL, "want a cell name");
    struct inject_record code;
    inject_last(&code);
    if (code.valid)
        return loader_fail(err, KE_BUSY,
                           "a fault is in place at 0x%llx: restore it first (inject restore)",
                           (unsigned long long)code.addr);
    cells_lock();
    int rc = 0;
    struct heap_failslab fs;
    kheap_failslab_get(&fs);
    struct loader *ld = cells_loader();
    struct loaded_cell *cell = ld ? loader_find(ld, spec->cell) : NULL;
    struct loader_cell_info info = {0};
    if (cell)
        loader_cell_info(cell, &info);
    if (cur.valid) {
        rc = loader_fail(err, KE_BUSY,
                         "an allocation fault is in place for cell %s: restore it first "
                         "(inject restore)",
                         cur.spec.cell);
    } else if (chan_fault_armed()) { /* one fault in place: an IPC fault counts */
        rc = loader_fail(err, KE_BUSY, "an IPC fault is armed: restore it first (inject restore)");
    } else if (fs.fail_nth || (fs.probability && fs.times)) {
        rc = loader_fail(err, KE_BUSY, "failslab is armed: turn it off first (failslab off)");
    } else if (!cell) {
        rc = loader_fail(err, KE_NOENT, "no cell '%s' is loaded", spec->cell);
    } else if (!info.size[CELL_REGION_TEXT]) {
        rc = loader_fail(err, KE_NOENT, "cell '%s' has no text", spec->cell);
    }
    if (rc)
        goto out;
    struct inject_alloc_record rec = {.valid = true, .spec = *spec};
    if (!rec.spec.nth)
        rec.spec.nth = nth_from_seed(spec->seed);
    rec.text_base = info.base[CELL_REGION_TEXT];
    rec.text_size = info.size[CELL_REGION_TEXT];
    hook = (struct alloc_hook){.base = rec.text_base, .size = rec.text_size};
    struct heap_failslab cfg = {
        .fail_nth = rec.spec.nth, .match = match, .fired = fired, .hook_ctx = &hook};
    if ((rc = kheap_failslab_set(&cfg))) {
        rc = loader_fail(err, rc, "the heap refused the settings");
        goto out;
    }
    rec.seq = next_seq++;
    rec.left = rec.spec.nth;
    cur = rec;
    if (out)
        *out = rec;
out:
    cells_unlock();
    return rc;
}

void inject_alloc_last(struct inject_alloc_record *out)
{
    cells_lock();
    snapshot(out);
    cells_unlock();
}

int inject_alloc_restore(struct inject_alloc_record *out, struct loader_error *err)
{
    loader_error_clear(err);
    cells_lock();
    int rc = 0;
    if (!cur.valid) {
        rc = loader_fail(err, KE_NOENT, "no allocation fault in place");
        goto out;
    }
    struct inject_alloc_record rec;
    snapshot(&rec);
    struct heap_failslab fs;
    kheap_failslab_get(&fs);
    if (ours(&fs)) {
        static const struct heap_failslab off = {0};
        (void)kheap_failslab_set(&off);
    }
    cur.valid = false;
    if (out)
        *out = rec;
out:
    cells_unlock();
    return rc;
}

bool inject_alloc_in_place(void)
{
    return cur.valid;
}

KEEL_EXPORT_FUNC(inject_alloc_arm);
KEEL_EXPORT_FUNC(inject_alloc_last);
KEEL_EXPORT_FUNC(inject_alloc_restore);
KEEL_EXPORT_FUNC(inject_alloc_in_place);
