/* faults: the fault log (the last CPU exceptions contained in tasks), oldest first. A fault in
 * core code (a bad pointer handed to the core) also names the cell call site that led there, in
 * a last column shown when some record has one. */
#include <stdbool.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/task.h>

#define MAX_FAULTS 64 /* more than the core keeps */

/* Short exception names by vector (the core's exception_name() is not exported). */
static const char *vector_name(unsigned v, char *buf, size_t n)
{
    static const char *const names[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                          "#DF", NULL,  "#TS", "#NP", "#SS", "#GP", "#PF", NULL,
                                          "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", NULL,  NULL,
                                          NULL,  NULL,  NULL,  NULL,  "#HV", "#VC", "#SX", NULL};
    if (v < 32 && names[v])
        ksnprintf(buf, n, "%s(%u)", names[v], v);
    else
        ksnprintf(buf, n, "%u", v);
    return buf;
}

int cmd_faults_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("faults: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 1) {
        kprintf("faults: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    struct task_fault_record *rec = kmalloc(MAX_FAULTS * sizeof(*rec));
    if (!rec) {
        kprintf("faults: out of memory\n");
        return 1;
    }
    size_t n = task_fault_log(rec, MAX_FAULTS);
    if (!n) {
        kprintf("no faults\n");
        kfree(rec);
        return 0;
    }
    char task[48], vec[16];
    int task_w = 4, where_w = 5;
    bool callers = false;
    for (size_t i = 0; i < n; i++) {
        callers = callers || rec[i].fault.caller[0];
        int len = ksnprintf(task, sizeof(task), "%llu %.*s", (unsigned long long)rec[i].task,
                            (int)sizeof(rec[i].task_name), rec[i].task_name);
        if (len > task_w)
            task_w = len;
        len = (int)strnlen(rec[i].fault.where, sizeof(rec[i].fault.where));
        if (len > where_w)
            where_w = len;
    }
    kprintf("%4s  %15s  %-*s  %-7s  %-*s  %-*s%s\n", "SEQ", "TIME", task_w, "TASK", "VECTOR",
            where_w, "WHERE", callers ? 18 : 0, "CR2", callers ? "  CALLED FROM" : "");
    for (size_t i = 0; i < n; i++) {
        const struct task_fault_record *r = &rec[i];
        ksnprintf(task, sizeof(task), "%llu %.*s", (unsigned long long)r->task,
                  (int)sizeof(r->task_name), r->task_name);
        const char *caller = !callers ? "" : r->fault.caller[0] ? r->fault.caller : "-";
        kprintf("%4llu  %8llu.%06llu  %-*s  %-7s  %-*.*s  0x%016llx%s%.*s\n",
                (unsigned long long)r->seq, (unsigned long long)(r->time_ns / 1000000000u),
                (unsigned long long)(r->time_ns / 1000u % 1000000u), task_w, task,
                vector_name(r->fault.vector, vec, sizeof(vec)), where_w,
                (int)sizeof(r->fault.where), r->fault.where, (unsigned long long)r->fault.cr2,
                callers ? "  " : "", (int)sizeof(r->fault.caller), caller);
    }
    kfree(rec);
    return 0;
}

KEEL_COMMAND_CELL("faults");
