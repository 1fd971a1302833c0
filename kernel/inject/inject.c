/* The fault injector's core (keel/inject.h): find the location from the spec and the seed, work
 * out the new bytes (inject/inject_pick.c), write them through the loader platform's patch path
 * (the direct map's writable alias: a cell's text and rodata stay write-protected), read them
 * back as the proof, and arm the activation watch (activation.c). */
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/core/world.h>
#include <keel/core/x86.h>
#include <keel/paging.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/inject.h>
#include <keel/inject_alloc.h>
#include <keel/insn.h>
#include <keel/string.h>
#include "inject/activation.h"
#include "inject/places.h"
#include "inject/ipc.h"
#include "link/cells.h"
#include <keel/core/chan_fault.h>

static struct inject_record last; /* the last injection; valid while its bytes are in place */
static uint64_t next_seq = 1;

static const char *region_name(enum cell_region r)
{
    return r == CELL_REGION_TEXT ? "text" : r == CELL_REGION_RODATA ? "rodata" : "data";
}

static void copy_name(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < size; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/* Where a fault goes: the span it may be chosen in and the address it starts from. */
struct place {
    uint64_t region_base, region_size;
    uint64_t span_base, span_size; /* the symbol (or the whole region) */
    bool fixed;                    /* --at sym+off or --offset: addr is given */
    uint64_t addr;
};

/* The start of the instruction walk that reaches addr: the covering symbol's start, or the
 * region's when no symbol covers it. */
static uint64_t walk_start(const struct loader *ld, uint64_t addr, const struct place *p)
{
    const char *sym;
    uint64_t off;
    if (loader_addr_lookup(ld, addr, NULL, &sym, &off) == 0 && addr - off >= p->region_base)
        return addr - off;
    return p->region_base;
}

static int locate(const struct loader *ld, const struct loaded_cell *cell,
                  const struct inject_spec *s, struct place *p, enum cell_region *region,
                  struct loader_error *err)
{
    struct loader_cell_info info;
    loader_cell_info(cell, &info);
    enum cell_region r = s->region ? s->region : CELL_REGION_TEXT;
    if (s->symbol) {
        struct loader_symbol_info si;
        if (loader_cell_symbol(cell, s->symbol, &si))
            return loader_fail(err, KE_NOENT, "no symbol '%s' in cell '%s'", s->symbol, s->cell);
        enum cell_region in = CELL_REGION_NONE;
        for (int k = CELL_REGION_TEXT; k <= CELL_REGION_DATA; k++)
            if (info.size[k] && si.addr - info.base[k] < info.size[k])
                in = (enum cell_region)k;
        if (s->region && in != s->region)
            return loader_fail(err, KE_INVAL, "symbol '%s' is not in the %s of cell '%s'",
                               s->symbol, region_name(s->region), s->cell);
        r = in;
        p->region_base = info.base[r];
        p->region_size = info.size[r];
        p->span_base = si.addr;
        p->span_size = si.size ? si.size : info.base[r] + info.size[r] - si.addr;
        if (s->symbol_offset >= p->span_size)
            return loader_fail(err, KE_RANGE, "offset 0x%llx out of range: '%s' has %llu bytes",
                               (unsigned long long)s->symbol_offset, s->symbol,
                               (unsigned long long)p->span_size);
        p->fixed = s->has_offset; /* --at sym+off; plain --at sym lets the seed choose inside */
        p->addr = si.addr + s->symbol_offset;
    } else {
        if (!info.size[r] || !info.base[r])
            return loader_fail(err, KE_NOENT, "cell '%s' has no %s", s->cell, region_name(r));
        p->region_base = p->span_base = info.base[r];
        p->region_size = p->span_size = info.size[r];
        /* A seed chooses among the bytes the cell's symbols cover, not the page's padding. */
        uint64_t used = loader_cell_region_used(cell, r);
        if (used)
            p->span_size = used;
        if (s->has_offset && s->offset >= info.size[r])
            return loader_fail(err, KE_RANGE,
                               "offset 0x%llx out of range: the %s of '%s' has %llu bytes",
                               (unsigned long long)s->offset, region_name(r), s->cell,
                               (unsigned long long)info.size[r]);
        p->fixed = s->has_offset;
        p->addr = info.base[r] + s->offset;
    }
    static const char *const code_models[] = {[INJECT_NOP] = "nop",
                                              [INJECT_BRANCH] = "branch",
                                              [INJECT_EXCEPTION] = "exception",
                                              [INJECT_LOOP] = "loop"};
    if (s->model >= INJECT_NOP && r != CELL_REGION_TEXT)
        return loader_fail(err, KE_INVAL, "%s needs code: the location is in %s",
                           code_models[s->model], region_name(r));
    if ((s->model == INJECT_EXCEPTION || s->model == INJECT_LOOP) && (!s->symbol || s->has_offset))
        return loader_fail(err, KE_INVAL, "%s needs --at <function> (its entry)",
                           code_models[s->model]);
    *region = r;
    return 0;
}

/* The new bytes: patch->offset is from the region's start. */
static int choose(const struct loader *ld, const struct inject_spec *s, struct place *p,
                  struct inject_patch *patch, struct loader_error *err)
{
    struct inject_rng rng;
    inject_rng_seed(&rng, s->seed);
    const uint8_t *region = (const uint8_t *)(uintptr_t)p->region_base;
    if (!p->fixed && s->model != INJECT_BRANCH && s->model != INJECT_EXCEPTION &&
        s->model != INJECT_LOOP)
        p->addr = p->span_base + inject_rng_below(&rng, p->span_size);
    uint64_t off = p->addr - p->region_base;
    switch (s->model) {
    case INJECT_BITFLIP:
        inject_bitflip(region, off, &rng, patch);
        return 0;
    case INJECT_WORD:
        if (inject_word(region, p->region_size, off, s->value ? s->value : INJECT_VALUE_RANDOM,
                        &rng, patch))
            return loader_fail(err, KE_RANGE, "no whole 8-byte word at 0x%llx in the region",
                               (unsigned long long)p->addr);
        return 0;
    case INJECT_NOP: {
        uint64_t start = walk_start(ld, p->addr, p);
        uint64_t base = start - p->region_base;
        int rc = inject_nop_at(region + base, p->region_size - base, off - base, patch);
        if (rc)
            return loader_fail(err, KE_INVAL, "no instruction decodes at 0x%llx",
                               (unsigned long long)p->addr);
        patch->offset += base;
        return 0;
    }
    case INJECT_BRANCH: {
        uint64_t start = p->fixed ? walk_start(ld, p->addr, p) : p->span_base;
        uint64_t base = start - p->region_base;
        uint64_t end = p->fixed ? p->region_size : p->span_base + p->span_size - p->region_base;
        int rc = inject_branch(region + base, end - base, p->fixed, off - base, &rng, patch);
        if (rc)
            return p->fixed ? loader_fail(err, KE_NOENT, "no conditional jump at 0x%llx",
                                          (unsigned long long)p->addr)
                            : loader_fail(err, KE_NOENT, "no conditional jump in %s of '%s'",
                                          s->symbol ? s->symbol : "the text", s->cell);
        patch->offset += base;
        return 0;
    }
    case INJECT_EXCEPTION:
    case INJECT_LOOP:
        if (inject_stub(region + off, p->region_size - off, s->model, patch))
            return loader_fail(err, KE_RANGE, "'%s' is shorter than 2 bytes", s->symbol);
        patch->offset += off;
        return 0;
    }
    return loader_fail(err, KE_INVAL, "unknown fault model %d", (int)s->model);
}

/* What the debug register watches: for code, the start of the instruction that holds the first
 * faulted byte (an execute breakpoint fires only there); for data, the faulted bytes (1 or 8,
 * aligned). */
static void choose_watch(const struct loader *ld, const struct place *p, enum cell_region r,
                         struct inject_record *rec)
{
    rec->watch_execute = r == CELL_REGION_TEXT;
    if (!rec->watch_execute) {
        rec->watch_addr = rec->addr;
        rec->watch_len = rec->len;
        return;
    }
    rec->watch_len = 1;
    rec->watch_addr = rec->addr;
    uint64_t at = walk_start(ld, rec->addr, p);
    while (at <= rec->addr) {
        struct insn in;
        /* The original bytes: decode the old instruction stream, not the corrupted one. */
        uint8_t buf[INSN_MAX_LENGTH];
        for (unsigned i = 0; i < INSN_MAX_LENGTH; i++) {
            uint64_t a = at + i;
            buf[i] = a >= rec->addr && a < rec->addr + rec->len ? rec->old_bytes[a - rec->addr]
                                                                : *(const uint8_t *)(uintptr_t)a;
            if (a + 1 >= p->region_base + p->region_size)
                break;
        }
        uint64_t avail = p->region_base + p->region_size - at;
        if (insn_decode(buf, avail < INSN_MAX_LENGTH ? avail : INSN_MAX_LENGTH, &in))
            return; /* undecodable: watch the faulted byte itself */
        if (rec->addr < at + in.length) {
            rec->watch_addr = at;
            return;
        }
        at += in.length;
    }
}

static void fill_where(const struct loader *ld, struct inject_record *rec, enum cell_region r,
                       uint64_t region_base)
{
    const char *sym = NULL;
    uint64_t off = rec->addr - region_base;
    (void)loader_addr_lookup(ld, rec->addr, NULL, &sym, &off);
    copy_name(rec->where_symbol, sizeof(rec->where_symbol), sym ? sym : "");
    rec->where_offset = off;
    rec->spec.region = r;
}

/* --of: the function whose calls are counted, in the cell's text. */
static int trigger_entry(const struct loaded_cell *cell, const struct inject_spec *s,
                         uint64_t *entry, struct loader_error *err)
{
    if (s->trigger != INJECT_AFTER_CALLS)
        return 0;
    struct loader_symbol_info si;
    struct loader_cell_info info;
    loader_cell_info(cell, &info);
    if (loader_cell_symbol(cell, s->trigger_symbol, &si))
        return loader_fail(err, KE_NOENT, "no symbol '%s' in cell '%s'", s->trigger_symbol,
                           s->cell);
    if (si.addr - info.base[CELL_REGION_TEXT] >= info.size[CELL_REGION_TEXT])
        return loader_fail(err, KE_INVAL, "--of '%s' is not a function: not in the text of '%s'",
                           s->trigger_symbol, s->cell);
    *entry = si.addr;
    return 0;
}

/* Work out everything the trigger's write needs now (the direct-map alias of every byte: the
 * #DB handler must not walk page tables) and arm it. */
static int arm_trigger(const struct inject_record *rec, struct loader_error *err)
{
    struct inject_deferred d = {.addr = rec->addr,
                                .len = rec->len,
                                .watch_addr = rec->watch_addr,
                                .watch_len = rec->watch_len,
                                .watch_execute = rec->watch_execute};
    memcpy(d.old_bytes, rec->old_bytes, rec->len);
    memcpy(d.new_bytes, rec->new_bytes, rec->len);
    for (unsigned i = 0; i < rec->len; i++) {
        uint64_t pa;
        if (paging_translate(rec->addr + i, &pa, NULL))
            return loader_fail(err, KE_FAULT, "cannot write 0x%llx",
                               (unsigned long long)(rec->addr + i));
        d.alias[i] = (volatile uint8_t *)phys_to_virt(pa);
    }
    int rc = rec->spec.trigger == INJECT_AFTER_CALLS
                 ? inject_trigger_calls(&d, rec->trigger_addr, rec->spec.trigger_n)
                 : inject_trigger_delay(&d, rec->spec.trigger_n);
    if (rc)
        return loader_fail(err, rc, "cannot arm the trigger");
    return 0;
}

/* A record's spec names its strings in the record itself: a copy must point into the copy. */
static void copy_record(struct inject_record *dst, const struct inject_record *src)
{
    *dst = *src;
    dst->spec.symbol = src->spec.symbol ? dst->symbol_name : NULL;
    dst->spec.trigger_symbol = src->spec.trigger_symbol ? dst->trigger_name : NULL;
    dst->spec.task = src->spec.task ? dst->task_arg : NULL;
}

/* A heap block or a stack word (places.c): written at once, watched for read/write. */
static int inject_elsewhere(const struct inject_spec *spec, struct inject_record *rec,
                            struct loader_error *err)
{
    const char *where = spec->place == INJECT_IN_HEAP ? "heap" : "stack";
    if (spec->model != INJECT_BITFLIP && spec->model != INJECT_WORD)
        return loader_fail(err, KE_INVAL, "the %s takes bitflip or word faults", where);
    if (spec->trigger != INJECT_NOW)
        return loader_fail(err, KE_INVAL,
                           "a %s fault takes no trigger (its place may be gone by then)", where);
    if (spec->symbol || spec->has_offset)
        return loader_fail(err, KE_INVAL, "the %s place is chosen by the seed: no --at/--offset",
                           where);
    if ((spec->place == INJECT_IN_STACK) != (spec->task != NULL))
        return loader_fail(err, KE_INVAL, "--task goes with --region stack");
    rec->valid = true;
    rec->spec = *spec;
    rec->spec.symbol = NULL;
    rec->spec.trigger_symbol = NULL;
    copy_name(rec->task_arg, sizeof(rec->task_arg), spec->task);
    rec->spec.task = spec->task ? rec->task_arg : NULL;
    /* places.c writes under the heap's or the scheduler's lock: the owner cannot run. */
    int rc =
        spec->place == INJECT_IN_HEAP ? inject_heap(spec, rec, err) : inject_stack(spec, rec, err);
    if (rc)
        return rc;
    rec->applied = true;
    rec->applied_ns = clock_ns();
    if (memcmp(rec->new_bytes, rec->old_bytes, rec->len) == 0)
        return loader_fail(err, KE_FAULT, "read back of 0x%llx shows no change",
                           (unsigned long long)rec->addr);
    rec->seq = next_seq++;
    rec->armed = inject_watch_arm(rec->watch_addr, rec->watch_len, false) == 0;
    return 0;
}
/* Write code bytes with the world stopped: no task on any CPU runs half-written bytes (a
 * jmp . or a ud2 is two), and each CPU resumes through an iret, which serializes, so none
 * executes stale bytes. KE_TIMEDOUT (err says which CPU) when a CPU would not stop. */
static int patch_stopped(uint64_t addr, const void *bytes, size_t len, struct loader_error *err)
{
    int irq;
    unsigned late = 0;
    if (world_stop(WORLD_STOP_TIMEOUT_NS, &irq, &late))
        return loader_fail(err, KE_TIMEDOUT, "CPU %u did not stop within %llu ms; nothing written",
                           late, (unsigned long long)(WORLD_STOP_TIMEOUT_NS / 1000000));
    int rc = kernel_loader_platform.patch(NULL, (void *)(uintptr_t)addr, bytes, len);
    world_resume(irq);
    return rc;
}

int inject_fault(const struct inject_spec *spec, struct inject_record *out,
                 struct loader_error *err)
{
    loader_error_clear(err);
    if (!spec || spec->model < INJECT_BITFLIP || spec->model > INJECT_LOOP)
        return loader_fail(err, KE_INVAL, "unknown fault model");
    if (spec->region > CELL_REGION_DATA)
        return loader_fail(err, KE_INVAL, "unknown region");
    if (spec->trigger > INJECT_AFTER_US ||
        (spec->trigger == INJECT_AFTER_CALLS &&
         (!spec->trigger_symbol || !spec->trigger_n || spec->trigger_n > INJECT_AFTER_CALLS_MAX)) ||
        (spec->trigger == INJECT_AFTER_US && spec->trigger_n > INJECT_AFTER_US_MAX))
        return loader_fail(err, KE_INVAL, "bad trigger");
    cells_lock();
    int rc = 0;
    struct loader *ld = cells_loader();
    struct loaded_cell *cell = ld ? loader_find(ld, spec->cell) : NULL;
    struct place p = {0};
    enum cell_region r = CELL_REGION_NONE;
    struct inject_patch patch = {0};
    struct inject_record rec = {0};
    if (inject_alloc_in_place()) {
        rc = loader_fail(err, KE_BUSY,
                         "an allocation fault is in place: restore it first "
                         "(inject restore)");
        goto out;
    }
    if (chan_fault_armed()) { /* one fault in place: an IPC fault counts */
        rc = loader_fail(err, KE_BUSY, "an IPC fault is armed: restore it first (inject restore)");
        goto out;
    }
    if (last.valid) {
        rc = loader_fail(err, KE_BUSY,
                         "a fault is in place at 0x%llx: restore it first (inject restore)",
                         (unsigned long long)last.addr);
        goto out;
    }
    if (!cell) {
        rc = loader_fail(err, KE_NOENT, "no cell '%s' is loaded", spec->cell);
        goto out;
    }
    if (spec->place != INJECT_IN_CELL) {
        if ((rc = inject_elsewhere(spec, &rec, err)))
            goto out;
        copy_record(&last, &rec);
        if (out)
            copy_record(out, &rec);
        goto out;
    }
    if ((rc = locate(ld, cell, spec, &p, &r, err)) || (rc = choose(ld, spec, &p, &patch, err)) ||
        (rc = trigger_entry(cell, spec, &rec.trigger_addr, err)))
        goto out;
    rec.valid = true;
    rec.spec = *spec;
    copy_name(rec.symbol_name, sizeof(rec.symbol_name), spec->symbol);
    rec.spec.symbol = spec->symbol ? rec.symbol_name : NULL;
    rec.addr = p.region_base + patch.offset;
    rec.len = patch.len;
    memcpy(rec.old_bytes, patch.old_bytes, patch.len);
    fill_where(ld, &rec, r, p.region_base);
    choose_watch(ld, &p, r, &rec);
    copy_name(rec.trigger_name, sizeof(rec.trigger_name), spec->trigger_symbol);
    rec.spec.trigger_symbol = spec->trigger_symbol ? rec.trigger_name : NULL;
    if (spec->trigger != INJECT_NOW) {
        /* Armed, not applied: new_bytes are what the trigger will write. */
        memcpy(rec.new_bytes, patch.new_bytes, patch.len);
        if ((rc = arm_trigger(&rec, err)))
            goto out;
        rec.seq = next_seq++;
        copy_record(&last, &rec);
        if (out)
            copy_record(out, &rec);
        goto out;
    }
    rc = patch_stopped(rec.addr, patch.new_bytes, patch.len, err);
    if (rc == KE_TIMEDOUT)
        goto out;
    if (rc) {
        rc = loader_fail(err, rc, "cannot write 0x%llx", (unsigned long long)rec.addr);
        goto out;
    }
    rec.applied = true;
    rec.applied_ns = clock_ns();
    /* The proof: what the location holds now, read through the cell's own mapping. */
    memcpy(rec.new_bytes, (const void *)(uintptr_t)rec.addr, patch.len);
    if (memcmp(rec.new_bytes, patch.new_bytes, patch.len) != 0) {
        (void)kernel_loader_platform.patch(NULL, (void *)(uintptr_t)rec.addr, patch.old_bytes,
                                           patch.len);
        rc = loader_fail(err, KE_FAULT, "read back of 0x%llx differs from what was written",
                         (unsigned long long)rec.addr);
        goto out;
    }
    rec.seq = next_seq++;
    rec.armed = inject_watch_arm(rec.watch_addr, rec.watch_len, rec.watch_execute) == 0;
    copy_record(&last, &rec);
    if (out)
        copy_record(out, &rec);
out:
    cells_unlock();
    return rc;
}

bool inject_code_in_place(void)
{
    return last.valid; /* cells lock held by the caller */
}

void inject_last(struct inject_record *out)
{
    cells_lock();
    copy_record(out, &last);
    if (last.valid && last.spec.trigger != INJECT_NOW) {
        struct inject_trigger_state t;
        inject_trigger_get(&t);
        out->applied = t.applied;
        out->applied_ns = t.applied_ns;
        out->calls = t.calls;
        out->armed = t.watch_armed;
        if (t.applied)
            memcpy(out->new_bytes, t.read_back, last.len);
    }
    struct inject_hit hit;
    inject_watch_hit(&hit);
    if (last.valid && out->armed && hit.hit) {
        out->activated = true;
        out->activated_ns = hit.ns;
        out->task = hit.task;
        copy_name(out->task_name, sizeof(out->task_name), hit.task_name);
        out->rip = hit.rip;
    }
    cells_unlock();
}

int inject_restore(struct inject_record *out, struct loader_error *err)
{
    loader_error_clear(err);
    struct inject_record rec;
    inject_last(&rec);
    cells_lock();
    int rc = 0;
    if (!last.valid) {
        rc = loader_fail(err, KE_NOENT, "no fault in place");
        goto out;
    }
    struct inject_trigger_state t = {0};
    if (last.spec.trigger != INJECT_NOW) {
        inject_trigger_cancel(&t); /* from here on nothing more is written */
        last.applied = t.applied;
    }
    inject_watch_disarm();
    if (last.spec.place != INJECT_IN_CELL) {
        rc = inject_place_restore(&rec, err);
        last.valid = false; /* restored, or its place is gone: either way nothing is in place */
        if (!rc && out)
            copy_record(out, &rec);
        goto out;
    }
    if (!last.applied) { /* a trigger that never fired: nothing was written */
        memcpy(rec.new_bytes, (const void *)(uintptr_t)last.addr, last.len);
        rec.applied = false;
        last.valid = false;
        if (out)
            copy_record(out, &rec);
        goto out;
    }
    /* The cell must still be the one faulted: same name, same region (an unloaded or replaced
     * cell's memory is no longer its). */
    struct loader *ld = cells_loader();
    struct loaded_cell *cell = ld ? loader_find(ld, last.spec.cell) : NULL;
    struct loader_cell_info info = {0};
    if (cell)
        loader_cell_info(cell, &info);
    enum cell_region r = last.spec.region;
    if (!cell || last.addr - info.base[r] >= info.size[r]) {
        last.valid = false;
        rc = loader_fail(err, KE_NOENT, "cell '%s' was unloaded or replaced: nothing restored",
                         last.spec.cell);
        goto out;
    }
    rc = patch_stopped(last.addr, last.old_bytes, last.len, err);
    if (rc == KE_TIMEDOUT)
        goto out;
    if (rc) {
        rc = loader_fail(err, rc, "cannot write 0x%llx", (unsigned long long)last.addr);
        goto out;
    }
    memcpy(rec.new_bytes, (const void *)(uintptr_t)last.addr, last.len); /* read back */
    last.valid = false;
    if (out)
        copy_record(out, &rec);
out:
    cells_unlock();
    return rc;
}

KEEL_EXPORT_FUNC(inject_fault);
KEEL_EXPORT_FUNC(inject_last);
KEEL_EXPORT_FUNC(inject_restore);
