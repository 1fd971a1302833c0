/* The fault injector's core (keel/inject.h): find the location from the spec and the seed, work
 * out the new bytes (inject/inject_pick.c), write them through the loader platform's patch path
 * (the direct map's writable alias: a cell's text and rodata stay write-protected), read them
 * back as the proof, and arm the activation watch (activation.c). */
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/inject.h>
#include <keel/insn.h>
#include <keel/string.h>
#include "inject/activation.h"
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
    if ((s->model == INJECT_NOP || s->model == INJECT_BRANCH) && r != CELL_REGION_TEXT)
        return loader_fail(err, KE_INVAL, "%s needs code: the location is in %s",
                           s->model == INJECT_NOP ? "nop" : "branch", region_name(r));
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
    if (!p->fixed && s->model != INJECT_BRANCH)
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

int inject_fault(const struct inject_spec *spec, struct inject_record *out,
                 struct loader_error *err)
{
    loader_error_clear(err);
    if (!spec || spec->model < INJECT_BITFLIP || spec->model > INJECT_BRANCH)
        return loader_fail(err, KE_INVAL, "unknown fault model");
    if (spec->region > CELL_REGION_DATA)
        return loader_fail(err, KE_INVAL, "unknown region");
    cells_lock();
    int rc = 0;
    struct loader *ld = cells_loader();
    struct loaded_cell *cell = ld ? loader_find(ld, spec->cell) : NULL;
    struct place p = {0};
    enum cell_region r = CELL_REGION_NONE;
    struct inject_patch patch = {0};
    struct inject_record rec = {0};
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
    if ((rc = locate(ld, cell, spec, &p, &r, err)) || (rc = choose(ld, spec, &p, &patch, err)))
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
    if ((rc = kernel_loader_platform.patch(NULL, (void *)(uintptr_t)rec.addr, patch.new_bytes,
                                           patch.len))) {
        rc = loader_fail(err, rc, "cannot write 0x%llx", (unsigned long long)rec.addr);
        goto out;
    }
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
    last = rec;
    if (out)
        *out = rec;
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
    *out = last;
    out->spec.symbol = last.spec.symbol ? out->symbol_name : NULL;
    struct inject_hit hit;
    inject_watch_hit(&hit);
    if (last.valid && last.armed && hit.hit) {
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
    inject_watch_disarm();
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
    if ((rc = kernel_loader_platform.patch(NULL, (void *)(uintptr_t)last.addr, last.old_bytes,
                                           last.len))) {
        rc = loader_fail(err, rc, "cannot write 0x%llx", (unsigned long long)last.addr);
        goto out;
    }
    memcpy(rec.new_bytes, (const void *)(uintptr_t)last.addr, last.len); /* read back */
    last.valid = false;
    if (out)
        *out = rec;
out:
    cells_unlock();
    return rc;
}

KEEL_EXPORT_FUNC(inject_fault);
KEEL_EXPORT_FUNC(inject_last);
KEEL_EXPORT_FUNC(inject_restore);
