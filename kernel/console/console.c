/* Console output with one lock so that lines from different contexts do not interleave. A panic
 * takes the lock only if it can within a bounded wait, so a report is never lost to a holder
 * that will never run again.
 *
 * What the caller hands over (a format string, a %s argument, a buffer) may be a cell's memory,
 * bad or gone: it is formatted or copied into a bounded buffer on the caller's stack with no
 * lock held, so a fault there is the calling task's alone (tasking/fault.c), and only that
 * buffer is emitted under the lock. Output longer than the buffer goes out in pieces, each
 * one whole; another context's output may come between two pieces. */
#include <stdarg.h>
#include <stdbool.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/paging.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/export.h>
#include <keel/core/swap_participant.h>

#define CONSOLE_PIECE 256 /* bytes emitted under the lock at once */

static struct spinlock console_lock = SPINLOCK_INIT;

#define MAX_SINKS 4
static struct {
    console_sink_fn fn;
    int is_screen;
} sinks[MAX_SINKS];
static uint64_t cell_sink_calls; /* calls into sinks that are cell code */
static int screens;              /* screen sinks registered: they replace the early VGA mirror */
static bool mid_line;            /* the last byte written was not a newline */

static void console_emit_locked(const char *s, size_t n)
{
    if (n)
        mid_line = s[n - 1] != '\n';
    serial_write(s, n);
    if (!screens)
        vga_write(s, n);
    for (int i = 0; i < MAX_SINKS; i++) {
        if (!sinks[i].fn)
            continue;
        if ((uint64_t)(uintptr_t)sinks[i].fn - CELL_AREA_BASE < CELL_AREA_SIZE)
            cell_sink_calls++; /* cell code ran, maybe in an interrupt: the reclaimer counts it */
        sinks[i].fn(s, n);
    }
}

bool console_mid_line(void)
{
    return mid_line;
}

uint64_t console_cell_sink_calls(void)
{
    return cell_sink_calls;
}

int console_add_sink(console_sink_fn fn, int is_screen)
{
    /* A sink runs under the console lock, where a fault is the core's: refuse what is not
     * code. (A sink that faults later still takes the system down: see docs/tasks.md.) */
    unsigned flags;
    if (!fn || paging_translate((uint64_t)(uintptr_t)fn, NULL, &flags) || !(flags & MAP_X))
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

/* Output being gathered on the caller's stack. */
struct piece {
    size_t n;
    char buf[CONSOLE_PIECE];
};

static void piece_flush(struct piece *p)
{
    if (!p->n)
        return;
    int irq;
    int locked = spin_trylock_bounded(&console_lock, 1u << 22, &irq);
    console_emit_locked(p->buf, p->n);
    if (locked)
        spin_unlock(&console_lock, irq);
    p->n = 0;
}

static void piece_add(void *ctx, const char *s, size_t n)
{
    struct piece *p = ctx;
    while (n) {
        size_t take = sizeof(p->buf) - p->n < n ? sizeof(p->buf) - p->n : n;
        memcpy(p->buf + p->n, s, take); /* no lock held: s may be a cell's bad pointer */
        p->n += take;
        s += take;
        n -= take;
        if (p->n == sizeof(p->buf))
            piece_flush(p);
    }
}

void console_write(const char *s, size_t n)
{
    struct piece p;
    p.n = 0;
    piece_add(&p, s, n);
    piece_flush(&p);
}

int kprintf(const char *fmt, ...)
{
    struct piece p;
    p.n = 0;
    va_list ap;
    va_start(ap, fmt);
    int n = kvformat(piece_add, &p, fmt, ap);
    va_end(ap);
    piece_flush(&p);
    return n;
}

KEEL_EXPORT_FUNC(console_write);
KEEL_EXPORT_FUNC(kprintf);
/* Live swap: sinks that live in a cell being swapped are re-pointed to the new version. Called
 * with the world stopped (nobody is inside the console). */
static int sinks_check(const struct loader_swap *sw, char *why, size_t why_size)
{
    for (int i = 0; i < MAX_SINKS; i++) {
        uint64_t to;
        if (sinks[i].fn && swap_translate(sw, (uint64_t)(uintptr_t)sinks[i].fn, &to) == KE_NOENT) {
            ksnprintf(why, why_size,
                      "a console sink points into the old version and has no counterpart");
            return KE_NOENT;
        }
    }
    return 0;
}

static void sinks_commit(const struct loader_swap *sw, struct swap_report *rep)
{
    for (int i = 0; i < MAX_SINKS; i++) {
        uint64_t to;
        if (sinks[i].fn && swap_translate(sw, (uint64_t)(uintptr_t)sinks[i].fn, &to) == 0)
            sinks[i].fn = (console_sink_fn)(uintptr_t)to;
    }
}

SWAP_PARTICIPANT(console_sinks, .name = "console sinks", .check = sinks_check,
                 .commit = sinks_commit);

KEEL_EXPORT_FUNC(console_add_sink);
KEEL_EXPORT_FUNC(console_remove_sink);
