/* reclaim: run the reclaimer's conservative scan now (keel/reclaim.h): free every retired cell
 * version nothing points into, and show the ones still kept, what keeps each, and the scan's
 * figures. */
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/reclaim.h>
#include <keel/string.h>

#define LIST_MAX 64

static unsigned long long us(uint64_t ns)
{
    return (unsigned long long)(ns / 1000);
}

/* Nanoseconds per MiB scanned, or 0 before any byte was. */
static unsigned long long ns_per_mib(uint64_t ns, uint64_t bytes)
{
    return bytes ? (unsigned long long)(ns * (1024 * 1024) / bytes) : 0;
}

int cmd_reclaim_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    if (argc < 1 || argc > 2 || (argc == 2 && !json)) {
        kprintf("reclaim: %s\nusage: %s\n", argc > 2 ? "too many arguments" : "unknown option",
                KEEL_COMMAND_USAGE);
        return 2;
    }
    struct reclaim_retired_info *list = kmalloc(LIST_MAX * sizeof(*list));
    if (!list) {
        kprintf("reclaim: out of memory\n");
        return 1;
    }
    struct reclaim_result r;
    cells_lock();
    int rc = reclaim_now_locked(&r);
    struct reclaim_stats st;
    reclaim_get_stats(&st);
    size_t n = reclaim_list(list, LIST_MAX);
    cells_unlock();
    if (rc) {
        kprintf("reclaim: %s\n", keel_strerror(rc));
        kfree(list);
        return 1;
    }
    char freed[16], kept[16];
    format_size(freed, sizeof(freed), r.freed_bytes);
    format_size(kept, sizeof(kept), st.retired_bytes);
    kprintf("reclaim: %u pass%s, %llu KiB scanned in %llu us; freed %zu version%s (%s); %zu "
            "still referenced (%s)\n",
            r.passes, r.passes == 1 ? "" : "es", (unsigned long long)(r.bytes_scanned / 1024),
            us(r.ns), r.freed, r.freed == 1 ? "" : "s", freed, r.kept, kept);
    for (size_t i = 0; i < n; i++)
        kprintf("  %s %u: %llu KiB, retired %llu ms ago, kept by %s\n", list[i].name,
                list[i].version, (unsigned long long)(list[i].bytes / 1024),
                (unsigned long long)(list[i].age_ns / 1000000),
                list[i].kept_by[0] ? list[i].kept_by : "(not yet scanned)");
    kprintf("since boot: %llu retired, %llu freed; %llu passes (%llu disturbed, %llu with the "
            "world stopped, longest %llu us); %llu ns per MiB scanned; last retire-to-free %llu "
            "us\n",
            (unsigned long long)st.retired_total, (unsigned long long)st.freed_total,
            (unsigned long long)st.passes, (unsigned long long)st.disturbed,
            (unsigned long long)st.stopped, us(st.max_stopped_ns),
            ns_per_mib(st.scan_ns, st.bytes_scanned), us(st.last_free_delay_ns));
    if (json)
        kprintf("{\"freed\":%zu,\"freed_bytes\":%llu,\"kept\":%zu,\"kept_bytes\":%llu,"
                "\"passes\":%u,\"bytes_scanned\":%llu,\"scan_ns\":%llu,\"retired_total\":%llu,"
                "\"freed_total\":%llu,\"passes_total\":%llu,\"disturbed\":%llu,\"stopped\":%llu,"
                "\"max_stopped_ns\":%llu,\"ns_per_mib\":%llu,\"last_pass_bytes\":%llu,"
                "\"last_pass_ns\":%llu,\"last_free_delay_ns\":%llu}\n",
                r.freed, (unsigned long long)r.freed_bytes, r.kept,
                (unsigned long long)st.retired_bytes, r.passes, (unsigned long long)r.bytes_scanned,
                (unsigned long long)r.ns, (unsigned long long)st.retired_total,
                (unsigned long long)st.freed_total, (unsigned long long)st.passes,
                (unsigned long long)st.disturbed, (unsigned long long)st.stopped,
                (unsigned long long)st.max_stopped_ns, ns_per_mib(st.scan_ns, st.bytes_scanned),
                (unsigned long long)st.last_pass_bytes, (unsigned long long)st.last_pass_ns,
                (unsigned long long)st.last_free_delay_ns);
    kfree(list);
    return 0;
}

KEEL_COMMAND_CELL("reclaim");
