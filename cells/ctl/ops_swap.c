/* The control channel's SWAP: check the request, hold the objects, swap, report — and when it is
 * refused, discard the objects keelctl's push had just stored (the request's discard mask), in
 * the same request so that no disconnect can leave them behind. */
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/swap.h>
#include "ctl/ops_internal.h"

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
        ctl_wr_u32(w, (uint32_t)c->variables_carried);
        ctl_wr_u64(w, c->variable_bytes);
    }
    const uint64_t t[] = {rep->link_ns,     rep->check_ns,   rep->quiesce_ns,
                          rep->transfer_ns, rep->rewrite_ns, rep->commit_ns,
                          rep->retire_ns,   rep->total_ns,   rep->stw_ns};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ctl_wr_u64(w, t[i]);
    ctl_wr_u32(w, rep->quiescence_checks);
    ctl_wr_u64(w, rep->sites_rewired);
    ctl_wr_u64(w, rep->relocations);
    ctl_wr_u32(w, (uint32_t)rep->tasks_respawned);
    ctl_wr_str(w, swap_step_name(rep->failed_at));
}

struct swap_args {
    char cells[SWAP_MAX_CELLS][KEEL_CELL_NAME_MAX];
    char objs[SWAP_MAX_CELLS][RAMFS_NAME_MAX];
    struct swap_request rq;
    uint8_t discard; /* bit i: object i was just pushed; remove it if the swap is refused */
};

/* Check the request, hold the objects (files), swap. */
static int swap_held(struct swap_args *a, struct ramfs_hold *files, struct swap_report *rep,
                     char *msg, size_t msg_size)
{
    struct swap_request *rq = &a->rq;
    for (size_t i = 0; i < rq->n; i++) {
        if (strcmp(a->cells[i], "ctl") == 0)
            FAIL(KE_BUSY, "cell 'ctl' cannot be swapped over the control channel: its service "
                          "task is the one running the swap");
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->cells[i], a->cells[j]) == 0)
                FAIL(KE_INVAL, "cell '%s' is named twice", a->cells[i]);
        if (ramfs_open(a->objs[i], &files[i]) != 0)
            FAIL(KE_NOENT, "no file '%s' in the ramfs", a->objs[i]);
        rq->items[i] = (struct swap_item){a->cells[i], files[i].data, files[i].size, a->objs[i]};
    }
    struct loader_error err = {0};
    int r = swap_cells(rq, rep, &err);
    if (r)
        FAIL(r, "%s", err.msg[0] ? err.msg : keel_strerror(r));
    return 0;
}

int ctl_op_swap(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    struct swap_args a;
    memset(&a, 0, sizeof(a));
    uint8_t flags = ctl_rd_u8(rd);
    a.rq.deadline_ns = ctl_rd_u64(rd);
    uint8_t fail_at = ctl_rd_u8(rd);
    a.rq.n = ctl_rd_u8(rd);
    if (rd->bad || a.rq.n < 1 || a.rq.n > SWAP_MAX_CELLS || fail_at >= SWAP_STEP_COUNT)
        return ctl_malformed(msg, msg_size, "SWAP");
    for (size_t i = 0; i < a.rq.n; i++) {
        ctl_rd_str(rd, a.cells[i], sizeof(a.cells[i]));
        ctl_rd_str(rd, a.objs[i], sizeof(a.objs[i]));
    }
    if (rd->pos < rd->len) /* optional: older keelctls send no discard mask */
        a.discard = ctl_rd_u8(rd);
    if (!ctl_rd_done(rd) || (a.discard >> a.rq.n))
        return ctl_malformed(msg, msg_size, "SWAP");
    a.rq.dry_run = flags & CTL_SWAP_DRY_RUN;
    a.rq.fail_at = (enum swap_step)fail_at;
    struct swap_report rep;
    memset(&rep, 0, sizeof(rep));
    struct ramfs_hold files[SWAP_MAX_CELLS];
    memset(files, 0, sizeof(files));
    int r = swap_held(&a, files, &rep, msg, msg_size);
    for (size_t i = 0; i < a.rq.n; i++)
        ramfs_close(&files[i]);
    uint8_t discarded = 0;
    if (r && a.discard) {
        const char *objs[SWAP_MAX_CELLS];
        for (size_t i = 0; i < a.rq.n; i++)
            objs[i] = a.objs[i];
        discarded = ctl_discard(objs, a.rq.n, a.discard);
    }
    /* The report goes back also on failure (zero before the link step: failed_at "none"). */
    ctl_wr_u8(body, a.rq.dry_run);
    write_report(body, &rep);
    ctl_wr_blob(body, rep.plan, rep.plan ? (uint32_t)strlen(rep.plan) : 0);
    ctl_wr_u8(body, discarded);
    ctl_wr_u64(body, rep.reclaim_ns); /* optional for keelctl: added after the discard mask */
    ctl_wr_u8(body, rep.first_since_boot);
    ctl_wr_u64(body, rep.sites_gated); /* a pending swap's gate and barriers, then held tasks */
    ctl_wr_u32(body, rep.barriers);
    ctl_wr_u32(body, rep.held);
    kfree(rep.plan);
    return r;
}
