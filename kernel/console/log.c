/* klog: format one record, keep it in the ring, echo it to the console with its timestamp. */
#include <keel/noscan.h>
#include <stdarg.h>
#include <stdbool.h>
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/log.h>
#include <keel/spinlock.h>
#include <keel/export.h>

static uint8_t log_storage[64 * 1024] __attribute__((aligned(16))) KEEL_NOSCAN;
static struct logring log_ring;
static int log_ready;
static int console_level = LOG_INFO;
static struct spinlock log_lock = SPINLOCK_INIT;

void log_set_console_level(int level)
{
    console_level = level;
}

int log_console_level(void)
{
    return console_level;
}

/* Format with no lock held (the arguments may be a cell's memory), keep, maybe echo. */
static void vklog(int level, bool echo, const char *fmt, va_list ap)
{
    char text[256];
    int n = kvsnprintf(text, sizeof(text), fmt, ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
    while (len > 0 && text[len - 1] == '\n')
        len--;
    uint64_t ns = clock_ns();

    int irq = spin_lock(&log_lock);
    if (!log_ready)
        log_ready = logring_init(&log_ring, log_storage, sizeof(log_storage)) == 0;
    if (log_ready)
        logring_append(&log_ring, level, ns, text, len);
    spin_unlock(&log_lock, irq);

    if (echo && level >= console_level)
        kprintf("[%5llu.%06llu] %.*s\n", (unsigned long long)(ns / 1000000000ull),
                (unsigned long long)(ns / 1000ull % 1000000ull), (int)len, text);
}

void klog(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vklog(level, true, fmt, ap);
    va_end(ap);
}

void klog_quiet(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vklog(level, false, fmt, ap);
    va_end(ap);
}

void log_for_each(uint64_t *cursor,
                  void (*fn)(void *ctx, const struct logring_entry *e, const char *text), void *ctx)
{
    struct logring_entry e;
    char text[LOGRING_TEXT_MAX + 1];
    /* The caller's cursor is read and written with no lock held: a bad pointer faults the
     * caller alone, never the core with the log lock taken. */
    uint64_t at = *cursor;
    for (;;) {
        int irq = spin_lock(&log_lock);
        int got = log_ready ? logring_read(&log_ring, &at, &e, text, sizeof(text)) : 0;
        spin_unlock(&log_lock, irq);
        *cursor = at;
        if (got <= 0)
            return;
        fn(ctx, &e, text);
    }
}

KEEL_EXPORT_FUNC(klog);

KEEL_EXPORT_FUNC(log_for_each);
KEEL_EXPORT_FUNC(log_console_level);
KEEL_EXPORT_FUNC(log_set_console_level);
