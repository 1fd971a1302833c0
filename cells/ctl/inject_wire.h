/* INJECT's reply on the wire (docs/control-channel.md): what the line did (commands/inject/
 * injresult.h) with a code, allocation or IPC fault's record. Written by the ctl cell
 * (ops_inject.c), read by keelctl (tools/keelctl/inject.c) back into a struct injresult, which
 * keelctl prints with the shell's words. */
#ifndef CELLS_CTL_INJECT_WIRE_H
#define CELLS_CTL_INJECT_WIRE_H
#include <keel/inject.h>
#include "commands/inject/injresult.h"
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

static inline void ctl_wr_inject_alloc(struct ctl_wr *w, const struct inject_alloc_record *r)
{
    ctl_wr_str(w, r->spec.cell);
    ctl_wr_u32(w, r->spec.nth);
    ctl_wr_u64(w, r->spec.seed);
    ctl_wr_u64(w, r->seq);
    ctl_wr_u64(w, r->text_base);
    ctl_wr_u64(w, r->text_size);
    ctl_wr_u8(w, r->displaced);
    ctl_wr_u32(w, r->left);
    ctl_wr_u64(w, r->seen);
    ctl_wr_u8(w, r->activated);
    ctl_wr_u64(w, r->activated_ns);
    ctl_wr_u64(w, r->task);
    ctl_wr_str(w, r->task_name);
    ctl_wr_u64(w, r->caller);
    ctl_wr_str(w, r->caller_symbol);
    ctl_wr_u64(w, r->caller_offset);
}

static inline void ctl_rd_inject_alloc(struct ctl_rd *rd, struct inject_alloc_record *r)
{
    memset(r, 0, sizeof(*r));
    r->valid = true;
    ctl_rd_str(rd, r->spec.cell, sizeof(r->spec.cell));
    r->spec.nth = ctl_rd_u32(rd);
    r->spec.seed = ctl_rd_u64(rd);
    r->seq = ctl_rd_u64(rd);
    r->text_base = ctl_rd_u64(rd);
    r->text_size = ctl_rd_u64(rd);
    r->displaced = ctl_rd_u8(rd);
    r->left = ctl_rd_u32(rd);
    r->seen = ctl_rd_u64(rd);
    r->activated = ctl_rd_u8(rd);
    r->activated_ns = ctl_rd_u64(rd);
    r->task = ctl_rd_u64(rd);
    ctl_rd_str(rd, r->task_name, sizeof(r->task_name));
    r->caller = ctl_rd_u64(rd);
    ctl_rd_str(rd, r->caller_symbol, sizeof(r->caller_symbol));
    r->caller_offset = ctl_rd_u64(rd);
}

static inline void ctl_wr_ipc_fault(struct ctl_wr *w, const struct ipc_fault_record *r)
{
    ctl_wr_u8(w, (uint8_t)r->spec.kind);
    ctl_wr_u8(w, (uint8_t)r->spec.side);
    ctl_wr_str(w, r->spec.cell);
    ctl_wr_u64(w, r->spec.nth);
    ctl_wr_u64(w, r->spec.seed);
    ctl_wr_u64(w, r->spec.delay_ns);
    ctl_wr_u64(w, r->seq);
    ctl_wr_u64(w, r->seen);
    ctl_wr_u8(w, r->activated);
    ctl_wr_u64(w, r->activated_ns);
    ctl_wr_u64(w, r->task);
    ctl_wr_str(w, r->task_name);
    ctl_wr_u64(w, r->channel);
    ctl_wr_u64(w, r->old_word);
    ctl_wr_u64(w, r->new_word);
    ctl_wr_u8(w, (uint8_t)r->bit);
}

static inline void ctl_rd_ipc_fault(struct ctl_rd *rd, struct ipc_fault_record *r)
{
    memset(r, 0, sizeof(*r));
    r->valid = true;
    r->spec.kind = (enum ipc_fault_kind)ctl_rd_u8(rd);
    r->spec.side = (enum ipc_fault_side)ctl_rd_u8(rd);
    ctl_rd_str(rd, r->spec.cell, sizeof(r->spec.cell));
    r->spec.nth = ctl_rd_u64(rd);
    r->spec.seed = ctl_rd_u64(rd);
    r->spec.delay_ns = ctl_rd_u64(rd);
    r->seq = ctl_rd_u64(rd);
    r->seen = ctl_rd_u64(rd);
    r->activated = ctl_rd_u8(rd);
    r->activated_ns = ctl_rd_u64(rd);
    r->task = ctl_rd_u64(rd);
    ctl_rd_str(rd, r->task_name, sizeof(r->task_name));
    r->channel = ctl_rd_u64(rd);
    r->old_word = ctl_rd_u64(rd);
    r->new_word = ctl_rd_u64(rd);
    r->bit = ctl_rd_u8(rd);
    if (r->spec.kind < IPC_FAULT_DROP || r->spec.kind > IPC_FAULT_KIND_LAST ||
        r->spec.side < IPC_SIDE_SEND || r->spec.side > IPC_SIDE_RECV || r->bit > 63)
        rd->bad = true;
}

/* The reply: u8 action, u8 family, then the family's record (none for INJFAMILY_NONE). */
static inline void ctl_wr_injresult(struct ctl_wr *w, const struct injresult *r)
{
    ctl_wr_u8(w, (uint8_t)r->action);
    ctl_wr_u8(w, (uint8_t)r->family);
    if (r->family == INJFAMILY_CODE)
        ctl_wr_inject(w, &r->u.code);
    else if (r->family == INJFAMILY_ALLOC)
        ctl_wr_inject_alloc(w, &r->u.alloc);
    else if (r->family == INJFAMILY_IPC)
        ctl_wr_ipc_fault(w, &r->u.ipc);
}

/* Into *r; rd->bad if malformed (an action or family out of range included). */
static inline void ctl_rd_injresult(struct ctl_rd *rd, struct injresult *r)
{
    memset(r, 0, sizeof(*r));
    uint8_t action = ctl_rd_u8(rd), family = ctl_rd_u8(rd);
    if (action < INJARGS_FAULT || action > INJARGS_ACTION_LAST || family > INJFAMILY_LAST) {
        rd->bad = true;
        return;
    }
    r->action = (enum injargs_action)action;
    r->family = (enum injfamily)family;
    if (r->family == INJFAMILY_CODE)
        ctl_rd_inject(rd, &r->u.code);
    else if (r->family == INJFAMILY_ALLOC)
        ctl_rd_inject_alloc(rd, &r->u.alloc);
    else if (r->family == INJFAMILY_IPC)
        ctl_rd_ipc_fault(rd, &r->u.ipc);
}

#endif
