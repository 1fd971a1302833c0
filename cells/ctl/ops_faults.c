/* FAULTS: the fault log (keel/task.h, docs/fault-injection.md) for the host, in the same words
 * as the shell's faults command; optionally cleared after it was read. */
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/task.h>
#include "ctl/ops_internal.h"

#define FAULTS_MAX 64 /* more than the core keeps */

static void write_record(struct ctl_wr *w, const struct task_fault_record *r)
{
    const struct task_fault *f = &r->fault;
    ctl_wr_u64(w, r->seq);
    ctl_wr_u64(w, r->time_ns);
    ctl_wr_u64(w, r->duration_ns);
    ctl_wr_u64(w, r->task);
    ctl_wr_strn(w, r->task_name, strnlen(r->task_name, sizeof(r->task_name)));
    ctl_wr_str(w, fault_kind_name(r->kind));
    ctl_wr_u8(w, (uint8_t)f->vector);
    ctl_wr_str(w, fault_vector_name(f->vector));
    ctl_wr_u64(w, f->error);
    ctl_wr_u64(w, f->rip);
    ctl_wr_u64(w, f->cr2);
    ctl_wr_strn(w, f->where, strnlen(f->where, sizeof(f->where)));
    ctl_wr_strn(w, f->caller, strnlen(f->caller, sizeof(f->caller)));
    ctl_wr_strn(w, f->cell, strnlen(f->cell, sizeof(f->cell)));
    ctl_wr_u32(w, f->cell_version);
    ctl_wr_str(w, fault_step_name(r->step));
    ctl_wr_u32(w, (uint32_t)r->outcome);
    ctl_wr_str(w, r->outcome ? keel_errname(r->outcome) : "ok");
    ctl_wr_u64(w, r->new_task);
    ctl_wr_str(w, r->kind == FAULT_KIND_HANG ? fault_hang_name(f->hang_by) : "");
    ctl_wr_u64(w, r->kind == FAULT_KIND_HANG ? f->hang_limit_ns : 0);
}

int ctl_op_faults(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    uint8_t flags = ctl_rd_u8(rd);
    if (!ctl_rd_done(rd) || (flags & ~CTL_FAULTS_CLEAR))
        return ctl_malformed(msg, msg_size, "FAULTS");
    struct task_fault_record *rec = kmalloc(FAULTS_MAX * sizeof(*rec));
    if (!rec)
        FAIL(KE_NOMEM, "out of memory for the fault records");
    struct task_fault_log_stats st;
    task_fault_log_stats(&st);
    size_t n = task_fault_log(rec, FAULTS_MAX);
    if (flags & CTL_FAULTS_CLEAR)
        task_fault_log_clear();
    ctl_wr_u64(body, st.written);
    ctl_wr_u64(body, st.dropped);
    ctl_wr_u32(body, st.capacity);
    ctl_wr_u32(body, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        write_record(body, &rec[i]);
    kfree(rec);
    if (body->overflow)
        FAIL(KE_RANGE, "the answer does not fit in one reply (%u bytes)", CTL_REPLY_MAX);
    return 0;
}
