/* Console output with one lock so that lines from different contexts do not interleave. A panic
 * takes the lock only if it can within a bounded wait, so a report is never lost to a holder
 * that will never run again. */
#include <stdarg.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/spinlock.h>
#include <keel/export.h>

static struct spinlock console_lock = SPINLOCK_INIT;

#define MAX_SINKS 4
static struct {
    console_sink_fn fn;
    int is_screen;
} sinks[MAX_SINKS];
static int screens; /* screen sinks registered: they replace the early VGA mirror */

static void console_emit_locked(const char *s, size_t n)
{
    serial_write(s, n);
    if (!screens)
        vga_write(s, n);
    for (int i = 0; i < MAX_SINKS; i++)
        if (sinks[i].fn)
            sinks[i].fn(s, n);
}

int console_add_sink(console_sink_fn fn, int is_screen)
{
    if (!fn)
        return KE_INVAL;
    int irq = spin_lock(&console_lock);
    int err = KE_NOSPC;
    for (int i = 0; i < MAX_SINKS && err; i++) {
        if (sinks[i].fn == fn)
            err = KE_EXIST;
    }
    for (int i = 0; i < MAX_SINKS && err == KE_NOSPC; i++) {
        if (!sinks[i].fn) {
            sinks[i].fn = fn;
            sinks[i].is_screen = is_screen != 0;
            screens += is_screen != 0;
            err = 0;
        }
    }
    spin_unlock(&console_lock, irq);
    return err;
}

int console_remove_sink(console_sink_fn fn)
{
    int irq = spin_lock(&console_lock);
    int err = KE_NOENT;
    for (int i = 0; i < MAX_SINKS && err; i++) {
        if (fn && sinks[i].fn == fn) {
            screens -= sinks[i].is_screen;
            sinks[i].fn = 0;
            sinks[i].is_screen = 0;
            err = 0;
        }
    }
    spin_unlock(&console_lock, irq);
    return err;
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
/* Live swap: re-point sinks that live in a cell being swapped (kernel/swap). With apply false,
 * only checks that each has a counterpart; KE_NOENT names the first that does not. Called with
 * the world stopped (nobody is inside the console). */
int console_sinks_swap(int (*translate)(void *ctx, uint64_t from, uint64_t *to), void *ctx,
                       bool apply)
{
    for (int i = 0; i < MAX_SINKS; i++) {
        uint64_t to;
        if (!sinks[i].fn)
            continue;
        int r = translate(ctx, (uint64_t)(uintptr_t)sinks[i].fn, &to);
        if (r == KE_NOENT)
            return r;
        if (r == 0 && apply)
            sinks[i].fn = (console_sink_fn)(uintptr_t)to;
    }
    return 0;
}

KEEL_EXPORT_FUNC(console_add_sink);
KEEL_EXPORT_FUNC(console_remove_sink);
