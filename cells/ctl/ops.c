/* The requests of the control channel: decode the payload completely, check it, then act
 * (nothing changes when a request is refused). Files (PUSH, REMOVE) are ops_files.c, SWAP is
 * ops_swap.c; the rest is here. */
#include <keel/cells.h>
#include <keel/clock.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include <keel/swap.h>
#include <keel/task.h>
#include "ctl/ops_internal.h"

int ctl_malformed(char *msg, size_t msg_size, const char *what)
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
        return ctl_malformed(msg, msg_size, "HELLO");
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
        return ctl_malformed(msg, msg_size, "PING");
    if (n > CTL_PING_MAX)
        FAIL(KE_RANGE, "ping payload of %u bytes is above the limit of %u", n, CTL_PING_MAX);
    ctl_wr_u64(body, clock_ns());
    ctl_wr_blob(body, echo, n);
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

/* Hold the file and link it: 0 with the cell record in body, or a refusal. */
static int load_file(const char *name, struct ctl_wr *body, char *msg, size_t msg_size)
{
    struct ramfs_hold f;
    if (ramfs_open(name, &f) != 0)
        FAIL(KE_NOENT, "no file '%s' in the ramfs", name);
    struct loader_error err = {0};
    struct loaded_cell *cell;
    int r = cells_load(f.data, f.size, name, &cell, &err);
    ramfs_close(&f); /* the loader keeps no pointer into the object */
    if (r)
        FAIL(r, "%s", err.msg[0] ? err.msg : keel_strerror(r));
    cells_lock();
    write_cell(body, cell);
    cells_unlock();
    return 0;
}

static int op_load(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    char name[RAMFS_NAME_MAX];
    ctl_rd_str(rd, name, sizeof(name));
    uint8_t flags = rd->pos < rd->len ? ctl_rd_u8(rd) : 0; /* optional (older keelctls) */
    if (!ctl_rd_done(rd) || (flags & ~CTL_LOAD_DISCARD))
        return ctl_malformed(msg, msg_size, "LOAD");
    int r = load_file(name, body, msg, msg_size);
    if (r && (flags & CTL_LOAD_DISCARD)) {
        /* Refused: the object keelctl's push just stored goes again, within this request. */
        const char *one = name;
        ctl_wr_u8(body, ctl_discard(&one, 1, 1));
    }
    return r;
}

static int op_unload(struct ctl_rd *rd, char *msg, size_t msg_size)
{
    char name[KEEL_CELL_NAME_MAX];
    ctl_rd_str(rd, name, sizeof(name));
    if (!ctl_rd_done(rd))
        return ctl_malformed(msg, msg_size, "UNLOAD");
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

/* Read without the cells lock, which a pending swap holds: the host sees how far it is. */
static void write_swap_status(struct ctl_wr *w)
{
    struct swap_status st;
    swap_status(&st);
    ctl_wr_u8(w, st.pending);
    ctl_wr_str(w, st.cell);
    ctl_wr_u32(w, st.old_version);
    ctl_wr_u32(w, st.new_version);
    ctl_wr_u64(w, st.pending_ns);
    ctl_wr_u64(w, st.deadline_ns);
    ctl_wr_u32(w, st.checks);
    ctl_wr_u64(w, st.sites_gated);
    ctl_wr_u32(w, st.barriers_left);
    ctl_wr_u32(w, st.held);
    ctl_wr_str(w, st.inside);
    ctl_wr_u64(w, st.gate_calls);
    ctl_wr_u64(w, st.gate_wait_ns);
}

static int op_query(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    uint8_t what = ctl_rd_u8(rd);
    char name[KEEL_CELL_NAME_MAX];
    ctl_rd_str(rd, name, sizeof(name));
    if (!ctl_rd_done(rd) || what < CTL_Q_CELLS || what > CTL_Q_SWAP)
        return ctl_malformed(msg, msg_size, "QUERY");
    struct loader *ld = cells_loader();
    if (what != CTL_Q_TASKS && what != CTL_Q_SWAP && !ld)
        FAIL(KE_NOTSUP, "no loader in this kernel");
    /* The count goes first: patched once the records are written. */
    uint8_t *count_at = ctl_wr_room(body, 4);
    uint32_t count = 0;
    if (what == CTL_Q_TASKS) {
        struct task_ctx t = {body, 0};
        task_for_each(write_task, &t);
        count = t.count;
    } else if (what == CTL_Q_SWAP) {
        write_swap_status(body);
        count = 1;
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
        return ctl_op_push(&rd, body, msg, msg_size);
    case CTL_T_LOAD:
        return op_load(&rd, body, msg, msg_size);
    case CTL_T_UNLOAD:
        return op_unload(&rd, msg, msg_size);
    case CTL_T_SWAP:
        return ctl_op_swap(&rd, body, msg, msg_size);
    case CTL_T_REMOVE:
        return ctl_op_remove(&rd, body, msg, msg_size);
    case CTL_T_QUERY:
        return op_query(&rd, body, msg, msg_size);
    case CTL_T_FAULTS:
        return ctl_op_faults(&rd, body, msg, msg_size);
    case CTL_T_INJECT:
        return ctl_op_inject(&rd, body, msg, msg_size);
    default:
        FAIL(CTL_E_TYPE, "unknown request type %u", h->type);
    }
}
