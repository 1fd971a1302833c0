/* The inject record on the wire (INJECT's reply, docs/control-channel.md): written by the ctl
 * cell (ops_inject.c), read by keelctl (tools/keelctl/inject.c) back into a struct
 * inject_record, which both print with the shell's words (commands/inject/injprint.h). */
#ifndef CELLS_CTL_INJECT_WIRE_H
#define CELLS_CTL_INJECT_WIRE_H
#include <keel/inject.h>
#include "ctl/wire.h"

static inline void ctl_wr_inject(struct ctl_wr *w, const struct inject_record *r)
{
    ctl_wr_u8(w, (uint8_t)r->spec.model);
    ctl_wr_str(w, r->spec.cell);
    ctl_wr_u8(w, (uint8_t)r->spec.region);
    ctl_wr_u64(w, r->spec.seed);
    ctl_wr_u64(w, r->seq);
    ctl_wr_u64(w, r->addr);
    ctl_wr_str(w, r->where_symbol);
    ctl_wr_u64(w, r->where_offset);
    ctl_wr_u8(w, r->len);
    ctl_wr_bytes(w, r->old_bytes, r->len);
    ctl_wr_bytes(w, r->new_bytes, r->len);
    ctl_wr_u8(w, r->applied);
    ctl_wr_u64(w, r->applied_ns);
    ctl_wr_u8(w, (uint8_t)r->spec.trigger);
    ctl_wr_u64(w, r->spec.trigger_n);
    ctl_wr_str(w, r->spec.trigger_symbol);
    ctl_wr_u64(w, r->trigger_addr);
    ctl_wr_u64(w, r->calls);
    ctl_wr_u8(w, r->armed);
    ctl_wr_u8(w, r->watch_execute);
    ctl_wr_u64(w, r->watch_addr);
    ctl_wr_u8(w, r->watch_len);
    ctl_wr_u8(w, r->activated);
    ctl_wr_u64(w, r->activated_ns);
    ctl_wr_u64(w, r->task);
    ctl_wr_str(w, r->task_name);
    ctl_wr_u64(w, r->rip);
    ctl_wr_u8(w, (uint8_t)r->spec.place);
    ctl_wr_str(w, r->spec.task);
    ctl_wr_u64(w, r->target);
    ctl_wr_str(w, r->target_name);
    ctl_wr_u64(w, r->block);
    ctl_wr_u64(w, r->block_size);
    ctl_wr_u32(w, r->owner);
}

/* Into *r (valid set); rd->bad if malformed. */
static inline void ctl_rd_inject(struct ctl_rd *rd, struct inject_record *r)
{
    memset(r, 0, sizeof(*r));
    r->valid = true;
    r->spec.model = (enum inject_model)ctl_rd_u8(rd);
    ctl_rd_str(rd, r->spec.cell, sizeof(r->spec.cell));
    r->spec.region = (enum cell_region)ctl_rd_u8(rd);
    r->spec.seed = ctl_rd_u64(rd);
    r->seq = ctl_rd_u64(rd);
    r->addr = ctl_rd_u64(rd);
    ctl_rd_str(rd, r->where_symbol, sizeof(r->where_symbol));
    r->where_offset = ctl_rd_u64(rd);
    r->len = ctl_rd_u8(rd);
    if (r->len > INJECT_MAX_BYTES) {
        rd->bad = true;
        return;
    }
    const uint8_t *b = ctl_rd_take(rd, r->len);
    if (b)
        memcpy(r->old_bytes, b, r->len);
    b = ctl_rd_take(rd, r->len);
    if (b)
        memcpy(r->new_bytes, b, r->len);
    r->applied = ctl_rd_u8(rd);
    r->applied_ns = ctl_rd_u64(rd);
    r->spec.trigger = (enum inject_trigger)ctl_rd_u8(rd);
    r->spec.trigger_n = ctl_rd_u64(rd);
    ctl_rd_str(rd, r->trigger_name, sizeof(r->trigger_name));
    r->spec.trigger_symbol = r->trigger_name[0] ? r->trigger_name : NULL;
    r->trigger_addr = ctl_rd_u64(rd);
    r->calls = ctl_rd_u64(rd);
    r->armed = ctl_rd_u8(rd);
    r->watch_execute = ctl_rd_u8(rd);
    r->watch_addr = ctl_rd_u64(rd);
    r->watch_len = ctl_rd_u8(rd);
    r->activated = ctl_rd_u8(rd);
    r->activated_ns = ctl_rd_u64(rd);
    r->task = ctl_rd_u64(rd);
    ctl_rd_str(rd, r->task_name, sizeof(r->task_name));
    r->rip = ctl_rd_u64(rd);
    r->spec.place = (enum inject_place)ctl_rd_u8(rd);
    ctl_rd_str(rd, r->task_arg, sizeof(r->task_arg));
    r->spec.task = r->task_arg[0] ? r->task_arg : NULL;
    r->target = ctl_rd_u64(rd);
    ctl_rd_str(rd, r->target_name, sizeof(r->target_name));
    r->block = ctl_rd_u64(rd);
    r->block_size = ctl_rd_u64(rd);
    r->owner = ctl_rd_u32(rd);
}

#endif
