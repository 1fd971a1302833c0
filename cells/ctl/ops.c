/* The requests of the control channel: decode the payload completely, check it, then act
 * (nothing changes when a request is refused). */
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/swap.h>
#include <keel/task.h>
#include "ctl/ops.h"
#include "ramfs/ramfs.h"

#define PLAN_MAX (16u * 1024u)

#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        ksnprintf(msg, msg_size, __VA_ARGS__);                                                     \
        return (code);                                                                             \
    } while (0)

static int malformed(char *msg, size_t msg_size, const char *what)
{
    ksnprintf(msg, msg_size, "malformed %s request", what);
    return CTL_E_MALFORMED;
}

/* ---- HELLO, PING ------------------------------------------------------------------------ */

static int op_hello(struct ctl_session *ses, struct ctl_rd *rd, struct ctl_wr *body, char *msg,
                    size_t msg_size)
{
    const uint8_t *challenge = ctl_rd_take(rd, CTL_NONCE_SIZE);
    if (!challenge || !ctl_rd_done(rd))
        return malformed(msg, msg_size, "HELLO");
    ctl_wr_bytes(body, challenge, CTL_NONCE_SIZE);
    ctl_wr_u16(body, CTL_PROTO_VERSION);
    ctl_wr_u64(body, ctl_session_next_seq(ses));
    ctl_wr_u32(body, CTL_PAYLOAD_MAX);
    ctl_wr_u32(body, CTL_OBJECT_MAX);
    char system[48];
    ksnprintf(system, sizeof(system), "keel ctl@%u", (unsigned)KEEL_CELL_VERSION);
    ctl_wr_str(body, system);
    return 0;
}

static int op_ping(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    uint32_t n;
    const uint8_t *echo = ctl_rd_blob(rd, &n);
    if (!echo || !ctl_rd_done(rd))
        return malformed(msg, msg_size, "PING");
    if (n > CTL_PING_MAX)
        FAIL(KE_RANGE, "ping payload of %u bytes is above the limit of %u", n, CTL_PING_MAX);
    ctl_wr_u64(body, clock_ns());
    ctl_wr_blob(body, echo, n);
    return 0;
}

/* ---- PUSH ------------------------------------------------------------------------------- */

/* The header of a cell object: ELF64, little-endian, ET_REL, x86_64. Everything else is the
 * loader's to check when the object is loaded or swapped in. */
static const char *not_a_cell_object(const uint8_t *p, size_t n)
{
    if (n < 64 || p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F')
        return "no ELF header";
    if (p[4] != 2 || p[5] != 1)
        return "not a little-endian ELF64 object";
    if ((p[16] | p[17] << 8) != 1)
        return "not a relocatable object (ET_REL)";
    if ((p[18] | p[19] << 8) != 62)
        return "not an x86_64 object";
    return NULL;
}

/* Does the ramfs hold name with exactly these bytes (1), other bytes (0), nothing (KE_NOENT)? */
static int same_file(const char *name, const uint8_t *data, size_t size)
{
    const void *have;
    size_t have_size;
    if (ramfs_find(name, &have, &have_size) != 0)
        return KE_NOENT;
    return have_size == size && memcmp(have, data, size) == 0;
}

static int op_push(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    char name[RAMFS_NAME_MAX];
    uint8_t flags = ctl_rd_u8(rd);
    ctl_rd_str(rd, name, sizeof(name));
    uint32_t size;
    const uint8_t *data = ctl_rd_blob(rd, &size);
    if (!data || !ctl_rd_done(rd))
        return malformed(msg, msg_size, "PUSH (or a name of 64 characters or more)");
    if (size > CTL_OBJECT_MAX)
        FAIL(KE_RANGE, "object of %u bytes is larger than the limit of %u bytes", size,
             CTL_OBJECT_MAX);
    const char *why = not_a_cell_object(data, size);
    if (why)
        FAIL(KE_NOEXEC, "'%s' is not a cell object: %s", name, why);
    /* Files are never replaced: the same bytes under the same name are already there, a
     * different file under the name is refused unless a unique name was asked for. */
    char stored[RAMFS_NAME_MAX];
    int identical = 0, r = KE_EXIST;
    for (unsigned k = 0; k <= CTL_UNIQUE_MAX; k++) {
        if (k == 0)
            ksnprintf(stored, sizeof(stored), "%s", name);
        else if (ksnprintf(stored, sizeof(stored), "%s.%u", name, k) >= (int)sizeof(stored))
            FAIL(KE_RANGE, "no unique name for '%s': the name is too long", name);
        int same = same_file(stored, data, size);
        if (same == 1) {
            identical = 1;
            r = 0;
            break;
        }
        if (same == KE_NOENT) {
            r = ramfs_add(stored, data, size);
            if (r == KE_EXIST && (flags & CTL_PUSH_UNIQUE))
                continue; /* added by someone else meanwhile: try the next name */
            break;
        }
        if (!(flags & CTL_PUSH_UNIQUE))
            FAIL(KE_EXIST,
                 "the ramfs already has a different '%s' (files cannot be replaced): push it "
                 "under another name",
                 name);
    }
    if (r == KE_EXIST && !(flags & CTL_PUSH_UNIQUE))
        FAIL(r, "the ramfs already has a '%s' (files cannot be replaced)", name);
    if (r == KE_EXIST)
        FAIL(r, "no unique name for '%s': %s.1 .. %s.%u are all taken", name, name, name,
             CTL_UNIQUE_MAX);
    if (r == KE_INVAL)
        FAIL(r,
             "'%s' is not a valid ramfs name (1..63 characters, no space, '/' or control "
             "character)",
             name);
    if (r == KE_NOSPC)
        FAIL(r, "the ramfs is full (%u files)", RAMFS_MAX_FILES);
    if (r)
        FAIL(r, "cannot store '%s': %s", stored, keel_strerror(r));
    ctl_wr_str(body, stored);
    ctl_wr_u32(body, size);
    ctl_wr_u8(body, (uint8_t)identical);
    return 0;
}

/* ---- cells: LOAD, UNLOAD, QUERY --------------------------------------------------------- */

static void write_cell(struct ctl_wr *w, const struct loaded_cell *c)
{
    struct loader_cell_info ci;
    loader_cell_info(c, &ci);
    ctl_wr_str(w, ci.name);
    ctl_wr_u32(w, ci.version);
    ctl_wr_u64(w, ci.base[CELL_REGION_TEXT]);
    ctl_wr_u64(w, ci.size[CELL_REGION_TEXT]);
    ctl_wr_u64(w, ci.size[CELL_REGION_RODATA]);
    ctl_wr_u64(w, ci.size[CELL_REGION_DATA]);
    ctl_wr_u64(w, ci.writable_bytes);
    ctl_wr_u32(w, (uint32_t)ci.relocations);
    ctl_wr_u32(w, (uint32_t)ci.dependents);
    ctl_wr_u32(w, loader_cell_pins(c));
    ctl_wr_u64(w, ci.descriptor ? ci.descriptor->state_size : 0);
    ctl_wr_u32(w, ci.descriptor ? ci.descriptor->state_version : 0);
}

static int op_load(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    char name[RAMFS_NAME_MAX];
    ctl_rd_str(rd, name, sizeof(name));
    if (!ctl_rd_done(rd))
        return malformed(msg, msg_size, "LOAD");
    const void *data;
    size_t size;
    if (ramfs_find(name, &data, &size) != 0)
        FAIL(KE_NOENT, "no file '%s' in the ramfs", name);
    struct loader_error err = {0};
    struct loaded_cell *cell;
    int r = cells_load(data, size, name, &cell, &err);
    if (r)
        FAIL(r, "%s", err.msg[0] ? err.msg : keel_strerror(r));
    cells_lock();
    write_cell(body, cell);
    cells_unlock();
    return 0;
}

static int op_unload(struct ctl_rd *rd, char *msg, size_t msg_size)
{
    char name[KEEL_CELL_NAME_MAX];
    ctl_rd_str(rd, name, sizeof(name));
    if (!ctl_rd_done(rd))
        return malformed(msg, msg_size, "UNLOAD");
    if (strcmp(name, "ctl") == 0)
        FAIL(KE_BUSY, "cell 'ctl' carries the control channel: unload it from the shell");
    struct loader_error err = {0};
    int r = cells_unload(name, &err);
    if (r)
        FAIL(r, "%s", err.msg[0] ? err.msg : keel_strerror(r));
    return 0;
}

struct task_ctx {
    struct ctl_wr *w;
    uint32_t count;
};

static int write_task(void *ctx, const struct task_info *ti)
{
    struct task_ctx *t = ctx;
    ctl_wr_u64(t->w, ti->id);
    ctl_wr_str(t->w, ti->name);
    ctl_wr_u8(t->w, (uint8_t)ti->state);
    ctl_wr_u8(t->w, (uint8_t)ti->priority);
    ctl_wr_str(t->w, ti->cell);
    ctl_wr_u64(t->w, ti->cpu_ns);
    ctl_wr_u64(t->w, ti->switches);
    ctl_wr_u32(t->w, ti->restarts);
    t->count++;
    return t->w->overflow;
}

struct dep_ctx {
    struct ctl_wr *w;
    uint32_t count;
};

static int write_dependent(void *ctx, const struct loader_edge *e)
{
    struct dep_ctx *d = ctx;
    struct loader_cell_info ci;
    loader_cell_info(e->site, &ci);
    ctl_wr_str(d->w, ci.name);
    ctl_wr_str(d->w, e->site_section);
    ctl_wr_u64(d->w, e->site_offset);
    ctl_wr_str(d->w, e->symbol);
    d->count++;
    return d->w->overflow;
}

static int op_query(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    uint8_t what = ctl_rd_u8(rd);
    char name[KEEL_CELL_NAME_MAX];
    ctl_rd_str(rd, name, sizeof(name));
    if (!ctl_rd_done(rd) || what < CTL_Q_CELLS || what > CTL_Q_CELL)
        return malformed(msg, msg_size, "QUERY");
    struct loader *ld = cells_loader();
    if (what != CTL_Q_TASKS && !ld)
        FAIL(KE_NOTSUP, "no loader in this kernel");
    /* The count goes first: patched once the records are written. */
    uint8_t *count_at = ctl_wr_room(body, 4);
    uint32_t count = 0;
    if (what == CTL_Q_TASKS) {
        struct task_ctx t = {body, 0};
        task_for_each(write_task, &t);
        count = t.count;
    } else {
        cells_lock();
        if (what == CTL_Q_CELLS) {
            size_t n = loader_cell_count(ld);
            for (size_t i = 0; i < n; i++)
                write_cell(body, loader_cell_at(ld, i));
            count = (uint32_t)n;
        } else {
            const struct loaded_cell *c = loader_find(ld, name);
            if (!c) {
                cells_unlock();
                FAIL(KE_NOENT, "no cell named '%s' is loaded", name);
            }
            write_cell(body, c);
            count = 1;
            uint8_t *deps_at = ctl_wr_room(body, 4);
            struct dep_ctx d = {body, 0};
            loader_for_each_edge(ld, NULL, c, NULL, write_dependent, &d);
            if (deps_at)
                for (int i = 0; i < 4; i++)
                    deps_at[i] = (uint8_t)(d.count >> (8 * i));
        }
        cells_unlock();
    }
    if (body->overflow)
        FAIL(KE_RANGE, "the answer does not fit in one reply (%u bytes)", CTL_REPLY_MAX);
    for (int i = 0; i < 4; i++)
        count_at[i] = (uint8_t)(count >> (8 * i));
    return 0;
}

/* ---- SWAP ------------------------------------------------------------------------------- */

struct plan {
    char *text;
    size_t len, cap;
};

static void plan_emit(void *ctx, const char *line)
{
    struct plan *p = ctx;
    size_t n = strlen(line);
    if (!p->text || p->len + n + 1 > p->cap)
        return;
    memcpy(p->text + p->len, line, n);
    p->text[p->len + n] = '\n';
    p->len += n + 1;
}

static void write_report(struct ctl_wr *w, const struct swap_report *rep)
{
    ctl_wr_u8(w, (uint8_t)rep->n);
    for (size_t i = 0; i < rep->n && i < SWAP_MAX_CELLS; i++) {
        const struct swap_cell_report *c = &rep->cells[i];
        ctl_wr_strn(w, c->name, strnlen(c->name, sizeof(c->name)));
        ctl_wr_u32(w, c->old_version);
        ctl_wr_u32(w, c->new_version);
        ctl_wr_str(w, c->state ? c->state : "none");
        ctl_wr_u64(w, c->state_bytes);
        ctl_wr_u32(w, (uint32_t)c->globals_carried);
        ctl_wr_u64(w, c->global_bytes);
    }
    const uint64_t t[] = {rep->link_ns,     rep->check_ns,   rep->quiesce_ns,
                          rep->transfer_ns, rep->rewrite_ns, rep->commit_ns,
                          rep->retire_ns,     rep->total_ns,   rep->stw_ns};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ctl_wr_u64(w, t[i]);
    ctl_wr_u32(w, rep->attempts);
    ctl_wr_u64(w, rep->sites_rewritten);
    ctl_wr_u64(w, rep->relocations);
    ctl_wr_u32(w, (uint32_t)rep->tasks_respawned);
    ctl_wr_str(w, swap_step_name(rep->failed_at));
}

static int op_swap(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    char cells[SWAP_MAX_CELLS][KEEL_CELL_NAME_MAX];
    char objs[SWAP_MAX_CELLS][RAMFS_NAME_MAX];
    struct swap_request rq = {0};
    uint8_t flags = ctl_rd_u8(rd);
    rq.deadline_ns = ctl_rd_u64(rd);
    uint8_t fail_at = ctl_rd_u8(rd);
    rq.n = ctl_rd_u8(rd);
    if (rd->bad || rq.n < 1 || rq.n > SWAP_MAX_CELLS || fail_at >= SWAP_STEP_COUNT)
        return malformed(msg, msg_size, "SWAP");
    for (size_t i = 0; i < rq.n; i++) {
        ctl_rd_str(rd, cells[i], sizeof(cells[i]));
        ctl_rd_str(rd, objs[i], sizeof(objs[i]));
    }
    if (!ctl_rd_done(rd))
        return malformed(msg, msg_size, "SWAP");
    rq.dry_run = flags & CTL_SWAP_DRY_RUN;
    rq.fail_at = (enum swap_step)fail_at;
    for (size_t i = 0; i < rq.n; i++) {
        if (strcmp(cells[i], "ctl") == 0)
            FAIL(KE_BUSY, "cell 'ctl' cannot be swapped over the control channel: its service "
                          "task is the one running the swap");
        for (size_t j = 0; j < i; j++)
            if (strcmp(cells[i], cells[j]) == 0)
                FAIL(KE_INVAL, "cell '%s' is named twice", cells[i]);
        const void *data;
        size_t size;
        if (ramfs_find(objs[i], &data, &size) != 0)
            FAIL(KE_NOENT, "no file '%s' in the ramfs", objs[i]);
        rq.items[i] = (struct swap_item){cells[i], data, size, objs[i]};
    }
    struct plan plan = {kmalloc(PLAN_MAX), 0, PLAN_MAX};
    rq.emit = plan_emit;
    rq.emit_ctx = &plan;
    struct swap_report rep;
    memset(&rep, 0, sizeof(rep));
    struct loader_error err = {0};
    int r = swap_cells(&rq, &rep, &err);
    if (r)
        ksnprintf(msg, msg_size, "%s", err.msg[0] ? err.msg : keel_strerror(r));
    ctl_wr_u8(body, rq.dry_run);
    write_report(body, &rep);
    ctl_wr_blob(body, plan.text, (uint32_t)plan.len);
    kfree(plan.text);
    return r;
}

int ctl_ops_handle(struct ctl_session *ses, const struct ctl_header *h, const uint8_t *payload,
                   struct ctl_wr *body, char *msg, size_t msg_size)
{
    struct ctl_rd rd;
    ctl_rd_init(&rd, payload, h->length);
    msg[0] = 0;
    switch (h->type) {
    case CTL_T_HELLO:
        return op_hello(ses, &rd, body, msg, msg_size);
    case CTL_T_PING:
        return op_ping(&rd, body, msg, msg_size);
    case CTL_T_PUSH:
        return op_push(&rd, body, msg, msg_size);
    case CTL_T_LOAD:
        return op_load(&rd, body, msg, msg_size);
    case CTL_T_UNLOAD:
        return op_unload(&rd, msg, msg_size);
    case CTL_T_SWAP:
        return op_swap(&rd, body, msg, msg_size);
    case CTL_T_QUERY:
        return op_query(&rd, body, msg, msg_size);
    default:
        FAIL(CTL_E_TYPE, "unknown request type %u", h->type);
    }
}
