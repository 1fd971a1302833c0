/* Console output with one lock so that lines from different contexts do not interleave. A panic
 * takes the lock only if it can within a bounded wait, so a report is never lost to a holder
 * that will never run again. */
#include <stdarg.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/spinlock.h>
#include <keel/export.h>

static struct spinlock console_lock = SPINLOCK_INIT;

static void console_emit_locked(const char *s, size_t n)
{
    serial_write(s, n);
    vga_write(s, n);
}

void console_write(const char *s, size_t n)
{
    int irq;
    int locked = spin_trylock_bounded(&console_lock, 1u << 22, &irq);
    console_emit_locked(s, n);
    if (locked)
        spin_unlock(&console_lock, irq);
}

static void emit_console(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    console_emit_locked(s, n);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    int irq;
    int locked = spin_trylock_bounded(&console_lock, 1u << 22, &irq);
    va_start(ap, fmt);
    int n = kvformat(emit_console, NULL, fmt, ap);
    va_end(ap);
    if (locked)
        spin_unlock(&console_lock, irq);
    return n;
}

KEEL_EXPORT_FUNC(console_write);
KEEL_EXPORT_FUNC(kprintf);
