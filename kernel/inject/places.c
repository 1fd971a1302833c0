/* Heap and stack faults (places.h). "Owned by a cell" for the heap: blocks charged to a task
 * whose entry is in the cell (the owner the heap records for every allocation of that task;
 * memory the cell's code allocates on another task's behalf is that task's). */
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/task.h>
#include "inject/places.h"

#define MAX_OWNERS 16
#define STALE      1 /* put_back: the location holds something else now */

static void copy_name(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < size; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/* The fault's bytes at offset off of bytes[0..size): a bit flip (1 byte) or a word (8, aligned
 * down), as inject_pick decides from the rng. */
static int make_patch(const struct inject_spec *s, const uint8_t *bytes, uint64_t size,
                      uint64_t off, struct inject_rng *rng, struct inject_patch *patch)
{
    if (s->model == INJECT_BITFLIP) {
        inject_bitflip(bytes, off, rng, patch);
        return 0;
    }
    return inject_word(bytes, size, off, s->value ? s->value : INJECT_VALUE_RANDOM, rng, patch);
}

/* Write patch at base + patch->offset and read it back into rec. Interrupts are off. */
static void write_and_prove(uint64_t base, const struct inject_patch *patch,
                            struct inject_record *rec)
{
    volatile uint8_t *at = (volatile uint8_t *)(uintptr_t)(base + patch->offset);
    for (unsigned i = 0; i < patch->len; i++)
        at[i] = patch->new_bytes[i];
    rec->addr = base + patch->offset;
    rec->len = patch->len;
    memcpy(rec->old_bytes, patch->old_bytes, patch->len);
    for (unsigned i = 0; i < patch->len; i++)
        rec->new_bytes[i] = at[i];
    rec->watch_addr = rec->addr;
    rec->watch_len = patch->len;
    rec->watch_execute = false;
}

/* ---- heap ---- */

struct owners {
    const char *cell;
    unsigned n;
    uint32_t owner[MAX_OWNERS];
    task_id_t task[MAX_OWNERS];
    char name[MAX_OWNERS][TASK_NAME_MAX];
};

static int find_owner_task(void *ctx, const struct task_info *ti)
{
    struct owners *o = ctx;
    uint32_t owner;
    if (ti->state == TASK_DEAD || strcmp(ti->cell, o->cell) != 0 || o->n == MAX_OWNERS ||
        task_heap_owner(ti->id, &owner))
        return 0;
    o->owner[o->n] = owner;
    o->task[o->n] = ti->id;
    copy_name(o->name[o->n], TASK_NAME_MAX, ti->name);
    o->n++;
    return 0;
}

static int owner_index(const struct owners *o, uint32_t owner)
{
    for (unsigned i = 0; i < o->n; i++)
        if (o->owner[i] == owner)
            return (int)i;
    return -1;
}

struct heap_walk {
    const struct owners *owners;
    uint64_t count;  /* candidates seen */
    uint64_t target; /* the one to fault (pass 2) */
    bool write;
    /* pass 2 */
    const struct inject_spec *spec;
    struct inject_rng *rng;
    struct inject_record *rec;
    int rc;
    bool done;
};

static bool big_enough(const struct inject_spec *s, size_t n)
{
    return s->model == INJECT_BITFLIP ? n >= 1 : n >= 8;
}

static void heap_visit(void *ctx, const void *p, size_t n, owner_t owner)
{
    struct heap_walk *w = ctx;
    int k = owner_index(w->owners, owner);
    if (k < 0 || !big_enough(w->spec, n))
        return;
    if (w->write && !w->done && w->count == w->target) {
        struct inject_patch patch;
        uint64_t off = inject_rng_below(w->rng, n);
        w->rc = make_patch(w->spec, p, n, off, w->rng, &patch);
        if (!w->rc) {
            write_and_prove((uint64_t)(uintptr_t)p, &patch, w->rec);
            w->rec->block = (uint64_t)(uintptr_t)p;
            w->rec->block_size = n;
            w->rec->owner = owner;
            w->rec->target = w->owners->task[k];
            copy_name(w->rec->target_name, TASK_NAME_MAX, w->owners->name[k]);
            w->rec->where_offset = w->rec->addr - w->rec->block;
        }
        w->done = true;
    }
    w->count++;
}

int inject_heap(const struct inject_spec *s, struct inject_record *rec, struct loader_error *err)
{
    struct owners o = {.cell = s->cell};
    (void)task_for_each(find_owner_task, &o);
    if (!o.n)
        return loader_fail(err, KE_NOENT, "no task of cell '%s' runs: no heap block it owns",
                           s->cell);
    struct heap_walk w = {.owners = &o, .spec = s};
    uintptr_t cursor = 0;
    (void)kheap_walk_used(&cursor, SIZE_MAX, heap_visit, &w); /* one slice: the whole heap */
    if (!w.count)
        return loader_fail(err, KE_NOENT, "the tasks of cell '%s' own no heap block%s", s->cell,
                           s->model == INJECT_WORD ? " of 8 bytes or more" : "");
    struct inject_rng rng;
    inject_rng_seed(&rng, s->seed);
    w.target = inject_rng_below(&rng, w.count);
    w.count = 0;
    w.write = true;
    w.rng = &rng;
    w.rec = rec;
    cursor = 0;
    (void)kheap_walk_used(&cursor, SIZE_MAX, heap_visit, &w);
    if (!w.done)
        return loader_fail(err, KE_AGAIN, "the heap changed while choosing a block: try again");
    if (w.rc)
        return loader_fail(err, w.rc, "no whole 8-byte word in the block");
    return 0;
}

/* ---- stack ---- */

struct task_pick {
    const char *want; /* a name */
    task_id_t id;
    char name[TASK_NAME_MAX];
};

static int find_task(void *ctx, const struct task_info *ti)
{
    struct task_pick *t = ctx;
    if (ti->state == TASK_DEAD || strcmp(ti->name, t->want) != 0)
        return 0;
    t->id = ti->id; /* the lowest id of that name: task_for_each goes in id order */
    copy_name(t->name, sizeof(t->name), ti->name);
    return 1;
}

static int resolve_task(const char *arg, task_id_t *id, char *name, struct loader_error *err)
{
    uint64_t v = 0;
    bool digits = arg[0] != 0;
    for (const char *c = arg; *c; c++) {
        if (*c < '0' || *c > '9' || v > UINT64_MAX / 10) {
            digits = false;
            break;
        }
        v = v * 10 + (uint64_t)(*c - '0');
    }
    struct task_info ti;
    if (digits) {
        if (task_info((task_id_t)v, &ti) || ti.state == TASK_DEAD)
            return loader_fail(err, KE_NOENT, "no task %s", arg);
        *id = ti.id;
        copy_name(name, TASK_NAME_MAX, ti.name);
        return 0;
    }
    struct task_pick t = {.want = arg};
    if (task_for_each(find_task, &t) != 1)
        return loader_fail(err, KE_NOENT, "no task named '%s'", arg);
    *id = t.id;
    copy_name(name, TASK_NAME_MAX, t.name);
    return 0;
}

struct stack_job {
    const struct inject_spec *spec;
    struct inject_record *rec;
};

static int stack_fault(void *ctx, uint64_t rsp, uint64_t top)
{
    struct stack_job *j = ctx;
    uint64_t size = top - rsp;
    if (!big_enough(j->spec, size))
        return KE_RANGE;
    struct inject_rng rng;
    inject_rng_seed(&rng, j->spec->seed);
    struct inject_patch patch;
    /* A word at offset rounded down to 8: rsp is 8-aligned when a task is switched out. */
    uint64_t off = inject_rng_below(&rng, size);
    int rc = make_patch(j->spec, (const uint8_t *)(uintptr_t)rsp, size, off, &rng, &patch);
    if (rc)
        return rc;
    write_and_prove(rsp, &patch, j->rec);
    j->rec->where_offset = j->rec->addr - rsp;
    j->rec->block = rsp;
    j->rec->block_size = size;
    return 0;
}

int inject_stack(const struct inject_spec *s, struct inject_record *rec, struct loader_error *err)
{
    int rc = resolve_task(s->task, &rec->target, rec->target_name, err);
    if (rc)
        return rc;
    struct task_info ti;
    if (task_info(rec->target, &ti))
        return loader_fail(err, KE_NOENT, "no task %s", s->task);
    if (strcmp(ti.cell, s->cell) != 0)
        return loader_fail(err, KE_INVAL,
                           "task %llu '%s' is not a task of cell '%s' (its entry "
                           "is in '%s')",
                           (unsigned long long)ti.id, ti.name, s->cell, ti.cell);
    struct stack_job j = {s, rec};
    rc = task_with_stack(rec->target, stack_fault, &j);
    if (rc == KE_BUSY)
        return loader_fail(err, rc, "task %llu is the one injecting: its stack is in use",
                           (unsigned long long)rec->target);
    if (rc == KE_NOENT)
        return loader_fail(err, rc, "task %llu has no live stack (ended, or never ran)",
                           (unsigned long long)rec->target);
    if (rc)
        return loader_fail(err, rc, "no whole 8-byte word in the live stack of task %llu",
                           (unsigned long long)rec->target);
    return 0;
}

/* ---- restore ---- */

/* Put the old bytes back if the location still holds the fault's. Interrupts are off. */
static int put_back(struct inject_record *rec)
{
    volatile uint8_t *at = (volatile uint8_t *)(uintptr_t)rec->addr;
    for (unsigned i = 0; i < rec->len; i++)
        if (at[i] != rec->new_bytes[i])
            return STALE;
    for (unsigned i = 0; i < rec->len; i++)
        at[i] = rec->old_bytes[i];
    for (unsigned i = 0; i < rec->len; i++)
        rec->new_bytes[i] = at[i];
    return 0;
}

struct heap_back {
    struct inject_record *rec;
    int rc;
};

static void heap_back_visit(void *ctx, const void *p, size_t n, owner_t owner)
{
    struct heap_back *b = ctx;
    if ((uint64_t)(uintptr_t)p == b->rec->block && n == b->rec->block_size &&
        owner == b->rec->owner)
        b->rc = put_back(b->rec);
}

static int stack_back(void *ctx, uint64_t rsp, uint64_t top)
{
    struct inject_record *rec = ctx;
    if (rec->addr < rsp || rec->addr + rec->len > top)
        return KE_NOENT;
    return put_back(rec);
}

int inject_place_restore(struct inject_record *rec, struct loader_error *err)
{
    int rc;
    if (rec->spec.place == INJECT_IN_HEAP) {
        struct heap_back b = {rec, KE_NOENT};
        uintptr_t cursor = 0;
        (void)kheap_walk_used(&cursor, SIZE_MAX, heap_back_visit, &b);
        rc = b.rc;
        if (rc == KE_NOENT)
            return loader_fail(err, rc, "the heap block 0x%llx was freed: nothing restored",
                               (unsigned long long)rec->block);
    } else {
        rc = task_with_stack(rec->target, stack_back, rec);
        if (rc == KE_NOENT)
            return loader_fail(err, rc,
                               "0x%llx is no longer in the live stack of task %llu: "
                               "nothing restored",
                               (unsigned long long)rec->addr, (unsigned long long)rec->target);
    }
    if (rc == STALE)
        return loader_fail(err, KE_NOENT,
                           "0x%llx no longer holds the fault (overwritten "
                           "since): nothing restored",
                           (unsigned long long)rec->addr);
    return rc ? loader_fail(err, rc, "cannot restore 0x%llx", (unsigned long long)rec->addr) : 0;
}
