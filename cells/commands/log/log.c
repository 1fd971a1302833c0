/* log [n]: the last n records of the kernel log (default 20) with timestamps and levels. */
#include <keel/command.h>
#include <keel/console.h>
#include <keel/log.h>

#define DEFAULT_N 20
#define MAX_N     100000

/* log_level_name() is not a core export; the names are those of keel/logring.h. */
static const char *level_name(unsigned level)
{
    static const char *const names[LOG_LEVEL_COUNT] = {"debug", "info", "notice",
                                                       "warn",  "err",  "crit"};
    return level < LOG_LEVEL_COUNT ? names[level] : "?";
}

struct scan {
    uint64_t first, last, count;
};

static void scan_one(void *ctx, const struct logring_entry *e, const char *text)
{
    struct scan *s = ctx;
    if (!s->count)
        s->first = e->seq;
    s->last = e->seq;
    s->count++;
}

struct show {
    uint64_t left; /* records still to print: later ones arrived after the count was taken */
};

static void show_one(void *ctx, const struct logring_entry *e, const char *text)
{
    struct show *s = ctx;
    if (!s->left)
        return;
    s->left--;
    if (e->lost)
        kprintf("(%llu records lost)\n", (unsigned long long)e->lost);
    kprintf("[%5llu.%06llu] %-6s %s%s\n", (unsigned long long)(e->timestamp_ns / 1000000000u),
            (unsigned long long)(e->timestamp_ns / 1000u % 1000000u), level_name(e->level), text,
            e->truncated ? " [truncated]" : "");
}

int cmd_log_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("log: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 2) {
        kprintf("log: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    uint64_t n = DEFAULT_N;
    if (argc == 2 && (!argv_decimal(argv[1], MAX_N, &n) || n == 0)) {
        kprintf("log: '%s' is not a record count (1 to %d)\nusage: %s\n", argv[1], MAX_N,
                KEEL_COMMAND_USAGE);
        return 2;
    }
    /* Two passes: find the newest record, then print from n records before it. */
    struct scan sc = {0, 0, 0};
    uint64_t cursor = 0;
    log_for_each(&cursor, scan_one, &sc);
    if (!sc.count) {
        kprintf("(the log is empty)\n");
        return 0;
    }
    cursor = sc.last + 1 - sc.first >= n ? sc.last + 1 - n : sc.first;
    struct show sh = {n};
    log_for_each(&cursor, show_one, &sh);
    return 0;
}

KEEL_COMMAND_CELL("log");
