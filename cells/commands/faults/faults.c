/* faults: the fault log (docs/fault-injection.md), oldest first, one line per record: when, the
 * task, the kind (exception vector), where it faulted, CR2, the cell it is charged to, the step
 * taken, its outcome and how long it took. A fault in core code also names the cell call site
 * that led there, in a last column shown when some record has one. faults --clear empties it. */
#include <stdbool.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/string.h>
#include <keel/task.h>
#include "faultrow.h"

#define MAX_FAULTS 64 /* more than the core keeps */

static void usage_error(const char *what)
{
    kprintf("faults: %s\nusage: %s\n", what, KEEL_COMMAND_USAGE);
}

static void to_console(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    console_write(s, n);
}

/* The record as the table shows it (its strings stay in *r, NUL-terminated copies in buf). */
struct row_strings {
    char task_name[TASK_NAME_MAX + 1], where[97], caller[97], cell[33];
};

static void row_of(const struct task_fault_record *r, struct row_strings *s, struct fault_row *row)
{
    ksnprintf(s->task_name, sizeof(s->task_name), "%.*s", (int)sizeof(r->task_name), r->task_name);
    ksnprintf(s->where, sizeof(s->where), "%.*s", (int)sizeof(r->fault.where), r->fault.where);
    ksnprintf(s->caller, sizeof(s->caller), "%.*s", (int)sizeof(r->fault.caller), r->fault.caller);
    ksnprintf(s->cell, sizeof(s->cell), "%.*s", (int)sizeof(r->fault.cell), r->fault.cell);
    *row = (struct fault_row){
        .seq = r->seq,
        .time_ns = r->time_ns,
        .duration_ns = r->duration_ns,
        .task = r->task,
        .cr2 = r->fault.cr2,
        .task_name = s->task_name,
        .kind = fault_kind_name(r->kind),
        .vector = r->fault.vector,
        .vector_name = fault_vector_name(r->fault.vector),
        .hang_by = r->kind == FAULT_KIND_HANG ? fault_hang_name(r->fault.hang_by) : "",
        .hang_limit_ns = r->fault.hang_limit_ns,
        .where = s->where,
        .caller = s->caller,
        .cell = s->cell,
        .step = fault_step_name(r->step),
        .outcome = r->outcome ? keel_errname(r->outcome) : "ok",
        .cell_version = r->fault.cell_version};
}

static void print(const struct task_fault_record *rec, size_t n)
{
    struct row_strings s;
    struct fault_row row;
    struct fault_widths w;
    fault_widths_init(&w);
    for (size_t i = 0; i < n; i++) {
        row_of(&rec[i], &s, &row);
        fault_widths_add(&w, &row);
    }
    fault_table_header(&w, to_console, NULL);
    for (size_t i = 0; i < n; i++) {
        row_of(&rec[i], &s, &row);
        fault_table_row(&row, &w, to_console, NULL);
    }
}

int cmd_faults_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        usage_error("bad argument block");
        return 2;
    }
    if (argc > 2) {
        usage_error("too many arguments");
        return 2;
    }
    if (argc == 2) {
        if (strcmp(argv[1], "--clear") != 0) {
            kprintf("faults: unknown option '%s'\nusage: %s\n", argv[1], KEEL_COMMAND_USAGE);
            return 2;
        }
        struct task_fault_log_stats st;
        task_fault_log_stats(&st);
        task_fault_log_clear();
        kprintf("faults: cleared %u record(s)\n", st.held);
        return 0;
    }
    struct task_fault_record *rec = kmalloc(MAX_FAULTS * sizeof(*rec));
    if (!rec) {
        kprintf("faults: out of memory\n");
        return 1;
    }
    struct task_fault_log_stats st;
    task_fault_log_stats(&st);
    size_t n = task_fault_log(rec, MAX_FAULTS);
    if (n)
        print(rec, n);
    else
        kprintf("no faults\n");
    /* Records lost to the ring's size: the sequence numbers above start after them. */
    fault_table_dropped(st.dropped, st.capacity, to_console, NULL);
    kfree(rec);
    return 0;
}

KEEL_COMMAND_CELL("faults");
