/* How the fault log is shown to people: the table of `faults` and of `keelctl faults`. One
 * header (static functions: two cells cannot export the same global) so that the shell and
 * keelctl say the same thing in the same words and units (times in microseconds; the JSON of
 * keelctl has them in nanoseconds). docs/fault-injection.md describes the columns. */
#ifndef KEEL_CELLS_FAULTROW_H
#define KEEL_CELLS_FAULTROW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/format.h>
#include <keel/string.h>

/* One record, as strings and numbers (from struct task_fault_record, or from the wire). */
struct fault_row {
    uint64_t seq, time_ns, duration_ns, task, cr2;
    const char *task_name;
    const char *kind;        /* "exception", "hang" */
    unsigned vector;         /* kind "exception" */
    const char *vector_name; /* "#PF", or "" */
    const char *hang_by;     /* kind "hang": "heartbeat" or "cpu_budget" */
    uint64_t hang_limit_ns;  /* kind "hang": the heartbeat interval or CPU budget it broke */
    const char *where, *caller, *cell, *step, *outcome; /* where "": shown as "-" (a hang that
                                                           was stopped in a blocking call) */
    uint32_t cell_version;                              /* 0: the core */
};

/* Column widths that fit every row. */
struct fault_widths {
    int task, kind, where, cell;
    bool callers; /* some row has a cell call site: the CALLED FROM column */
};

static inline int fault_row_task(const struct fault_row *r, char *buf, size_t n)
{
    return ksnprintf(buf, n, "%llu %s", (unsigned long long)r->task, r->task_name);
}

/* "#PF(14)"; the vector's number alone when it has no name; "hang(heartbeat)" or
 * "hang(cpu_budget)"; the kind for other kinds. */
static inline int fault_row_kind(const struct fault_row *r, char *buf, size_t n)
{
    if (strcmp(r->kind, "hang") == 0 && r->hang_by && r->hang_by[0])
        return ksnprintf(buf, n, "hang(%s)", r->hang_by);
    if (strcmp(r->kind, "exception") != 0)
        return ksnprintf(buf, n, "%s", r->kind);
    if (r->vector_name[0])
        return ksnprintf(buf, n, "%s(%u)", r->vector_name, r->vector);
    return ksnprintf(buf, n, "%u", r->vector);
}

/* "faulty@1", or "core". */
static inline int fault_row_cell(const struct fault_row *r, char *buf, size_t n)
{
    if (r->cell_version)
        return ksnprintf(buf, n, "%s@%u", r->cell, r->cell_version);
    return ksnprintf(buf, n, "%s", r->cell);
}

static inline void fault_widths_add(struct fault_widths *w, const struct fault_row *r)
{
    char buf[64];
    int len = fault_row_task(r, buf, sizeof(buf));
    w->task = len > w->task ? len : w->task;
    len = fault_row_kind(r, buf, sizeof(buf));
    w->kind = len > w->kind ? len : w->kind;
    len = (int)strlen(r->where);
    w->where = len > w->where ? len : w->where;
    len = fault_row_cell(r, buf, sizeof(buf));
    w->cell = len > w->cell ? len : w->cell;
    w->callers = w->callers || r->caller[0];
}

static inline void fault_widths_init(struct fault_widths *w)
{
    *w = (struct fault_widths){.task = 4, .kind = 7, .where = 5, .cell = 4};
}

static inline void fault_table_header(const struct fault_widths *w, format_emit_fn emit, void *ctx)
{
    kformat(emit, ctx, "%4s  %12s  %-*s  %-*s  %-*s  %-18s  %-*s  %-17s  %-11s  %10s%s\n", "SEQ",
            "TIME(us)", w->task, "TASK", w->kind, "KIND", w->where, "WHERE", "CR2", w->cell, "CELL",
            "STEP", "OUTCOME", "TOOK(us)", w->callers ? "  CALLED FROM" : "");
}

static inline void fault_table_row(const struct fault_row *r, const struct fault_widths *w,
                                   format_emit_fn emit, void *ctx)
{
    char task[64], kind[32], cell[64];
    fault_row_task(r, task, sizeof(task));
    fault_row_kind(r, kind, sizeof(kind));
    fault_row_cell(r, cell, sizeof(cell));
    const char *caller = !w->callers ? "" : r->caller[0] ? r->caller : "-";
    kformat(emit, ctx,
            "%4llu  %12llu  %-*s  %-*s  %-*s  0x%016llx  %-*s  %-17s  %-11s  %6llu.%03llu%s%s\n",
            (unsigned long long)r->seq, (unsigned long long)(r->time_ns / 1000u), w->task, task,
            w->kind, kind, w->where, r->where[0] ? r->where : "-", (unsigned long long)r->cr2,
            w->cell, cell, r->step, r->outcome, (unsigned long long)(r->duration_ns / 1000u),
            (unsigned long long)(r->duration_ns % 1000u), w->callers ? "  " : "", caller);
}

/* After the table (or "no faults"): how many older records the ring overwrote. */
static inline void fault_table_dropped(uint64_t dropped, uint32_t capacity, format_emit_fn emit,
                                       void *ctx)
{
    if (dropped)
        kformat(emit, ctx, "(%llu older record(s) dropped: the log keeps the newest %u)\n",
                (unsigned long long)dropped, capacity);
}

#endif
