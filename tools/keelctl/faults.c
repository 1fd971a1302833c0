/* keelctl faults: the guest's fault log (FAULTS), as the shell's faults command shows it
 * (cells/commands/faults/faultrow.h) or, with --json, with times in nanoseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "commands/faults/faultrow.h"
#include "common.h"

/* A record off the wire: its strings live here. */
struct fault_wire {
    struct fault_row row;
    char task_name[64], kind[32], vector_name[16], where[128], caller[128], cell[64], step[32],
        outcome[32], hang_by[32];
    uint64_t error, rip, new_task;
    int32_t outcome_code;
};

static void read_record(struct ctl_rd *rd, struct fault_wire *f)
{
    struct fault_row *r = &f->row;
    r->seq = ctl_rd_u64(rd);
    r->time_ns = ctl_rd_u64(rd);
    r->duration_ns = ctl_rd_u64(rd);
    r->task = ctl_rd_u64(rd);
    ctl_rd_str(rd, f->task_name, sizeof(f->task_name));
    ctl_rd_str(rd, f->kind, sizeof(f->kind));
    r->vector = ctl_rd_u8(rd);
    ctl_rd_str(rd, f->vector_name, sizeof(f->vector_name));
    f->error = ctl_rd_u64(rd);
    f->rip = ctl_rd_u64(rd);
    r->cr2 = ctl_rd_u64(rd);
    ctl_rd_str(rd, f->where, sizeof(f->where));
    ctl_rd_str(rd, f->caller, sizeof(f->caller));
    ctl_rd_str(rd, f->cell, sizeof(f->cell));
    r->cell_version = ctl_rd_u32(rd);
    ctl_rd_str(rd, f->step, sizeof(f->step));
    f->outcome_code = (int32_t)ctl_rd_u32(rd);
    ctl_rd_str(rd, f->outcome, sizeof(f->outcome));
    f->new_task = ctl_rd_u64(rd);
    ctl_rd_str(rd, f->hang_by, sizeof(f->hang_by));
    r->hang_limit_ns = ctl_rd_u64(rd);
    r->hang_by = f->hang_by;
    r->task_name = f->task_name;
    r->kind = f->kind;
    r->vector_name = f->vector_name;
    r->where = f->where;
    r->caller = f->caller;
    r->cell = f->cell;
    r->step = f->step;
    r->outcome = f->outcome;
}

static void to_stdout(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    fwrite(s, 1, n, stdout);
}

static void json_record(const struct fault_wire *f)
{
    const struct fault_row *r = &f->row;
    printf("{\"seq\": %llu, \"time_ns\": %llu, \"task\": %llu, \"task_name\": ",
           (unsigned long long)r->seq, (unsigned long long)r->time_ns, (unsigned long long)r->task);
    json_str(stdout, r->task_name);
    fputs(", \"kind\": ", stdout);
    json_str(stdout, r->kind);
    printf(", \"vector\": %u, \"vector_name\": ", r->vector);
    json_str(stdout, r->vector_name);
    printf(", \"error\": %llu, \"rip\": %llu, \"cr2\": %llu, \"where\": ",
           (unsigned long long)f->error, (unsigned long long)f->rip, (unsigned long long)r->cr2);
    json_str(stdout, r->where);
    fputs(", \"caller\": ", stdout);
    json_str(stdout, r->caller);
    fputs(", \"cell\": ", stdout);
    json_str(stdout, r->cell);
    printf(", \"cell_version\": %u, \"step\": ", r->cell_version);
    json_str(stdout, r->step);
    printf(", \"outcome\": ");
    json_str(stdout, r->outcome);
    printf(", \"outcome_code\": %d, \"duration_ns\": %llu, \"new_task\": %llu, \"hang_by\": ",
           f->outcome_code, (unsigned long long)r->duration_ns, (unsigned long long)f->new_task);
    json_str(stdout, r->hang_by);
    printf(", \"hang_limit_ns\": %llu}", (unsigned long long)r->hang_limit_ns);
}

static int print_faults(struct ctl_rd *rd, bool json)
{
    uint64_t written = ctl_rd_u64(rd), dropped = ctl_rd_u64(rd);
    uint32_t capacity = ctl_rd_u32(rd), n = ctl_rd_u32(rd);
    if (rd->bad || n > 1024)
        return EXIT_COMM;
    struct fault_wire *recs = calloc(n ? n : 1, sizeof(*recs));
    if (!recs) {
        fail("faults: out of memory for %u records", n);
        return EXIT_COMM;
    }
    struct fault_widths w;
    fault_widths_init(&w);
    for (uint32_t i = 0; i < n; i++) {
        read_record(rd, &recs[i]);
        if (rd->bad) {
            free(recs);
            return EXIT_COMM;
        }
        fault_widths_add(&w, &recs[i].row);
    }
    if (json) {
        printf("{\"written\": %llu, \"dropped\": %llu, \"capacity\": %u, \"faults\": [",
               (unsigned long long)written, (unsigned long long)dropped, capacity);
        for (uint32_t i = 0; i < n; i++) {
            fputs(i ? ", " : "", stdout);
            json_record(&recs[i]);
        }
        puts("]}");
    } else {
        if (n)
            fault_table_header(&w, to_stdout, NULL);
        else
            puts("no faults");
        for (uint32_t i = 0; i < n; i++)
            fault_table_row(&recs[i].row, &w, to_stdout, NULL);
        fault_table_dropped(dropped, capacity, to_stdout, NULL);
    }
    free(recs);
    return EXIT_OK;
}

int cmd_faults(struct opts *o)
{
    uint8_t p[1];
    struct ctl_wr w;
    ctl_wr_init(&w, p, sizeof(p));
    ctl_wr_u8(&w, o->clear ? CTL_FAULTS_CLEAR : 0);
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    struct reply rep;
    r = request(&c, CTL_T_FAULTS, p, (uint32_t)w.len, &rep);
    if (!r) {
        if (rep.status) {
            r = refused("faults", &rep);
        } else {
            r = print_faults(&rep.body, o->json);
            if (r)
                fail("faults: malformed reply");
        }
        reply_free(&rep);
    }
    disconnect(&c);
    return r;
}
