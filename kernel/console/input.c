/* Console input: every byte typed on a console — COM1 (polled from the timer tick), a keyboard
 * driver cell — lands in one queue, read by console_read (the shell). A full queue drops new
 * bytes (counted): a stuck reader must not block a driver. */
#include <keel/clock.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/string.h>
#include <keel/waitq.h>

#define INPUT_SIZE  1024 /* a power of two */
#define INPUT_CHUNK 128  /* bytes moved per scheduler-lock hold (push, read) */

static char ring[INPUT_SIZE];
static uint32_t head, tail; /* free-running; under the scheduler lock */
static uint64_t dropped;
static struct waitq readers = WAITQ_INIT;

/* Called with the scheduler lock held; returns how many of the n bytes fit. */
static size_t push_locked(const char *bytes, size_t n)
{
    size_t i = 0;
    for (; i < n && tail - head < INPUT_SIZE; i++)
        ring[tail++ % INPUT_SIZE] = bytes[i];
    if (i)
        waitq_wake_all(&readers);
    return i;
}

int console_input_push(const char *bytes, size_t n)
{
    if (!bytes && n)
        return KE_INVAL;
    /* Through a copy on our stack: the caller's bytes are read with no lock held, so a bad
     * pointer faults the caller, never the core with the scheduler lock taken. */
    size_t taken = 0;
    while (taken < n) {
        char chunk[INPUT_CHUNK];
        size_t k = n - taken < sizeof(chunk) ? n - taken : sizeof(chunk);
        memcpy(chunk, bytes + taken, k);
        int irq = sched_lock();
        size_t got = push_locked(chunk, k);
        if (got < k)
            dropped += n - taken - got; /* full: the rest is dropped, not put in after a gap */
        sched_unlock(irq);
        taken += got;
        if (got < k)
            break;
    }
    return (int)taken;
}

/* From the timer tick (scheduler lock not held, interrupts off): drain the UART's FIFO. */
void console_poll_serial(void)
{
    char buf[16];
    size_t n = 0;
    int c;
    while (n < sizeof(buf) && (c = serial_read_nonblock()) >= 0)
        buf[n++] = (char)c;
    if (n)
        console_input_push(buf, n);
}

int console_read(char *buf, size_t max, uint64_t timeout_ns)
{
    if (!buf || max == 0)
        return KE_INVAL;
    uint64_t deadline = timeout_ns ? clock_ns() + timeout_ns : 0;
    int irq = sched_lock();
    while (head == tail) {
        int r = waitq_wait(&readers, deadline);
        if (r == KE_INVAL) { /* no tasks yet: poll */
            sched_unlock(irq);
            console_poll_serial();
            irq = sched_lock();
            if (head == tail && deadline && clock_ns() >= deadline) {
                sched_unlock(irq);
                return KE_TIMEDOUT;
            }
            continue;
        }
        if (r) {
            sched_unlock(irq);
            return r;
        }
    }
    /* Taken into a copy and handed over with no lock held (buf may be bad: see push). */
    char chunk[INPUT_CHUNK];
    size_t n = 0;
    while (n < max && n < sizeof(chunk) && head != tail)
        chunk[n++] = ring[head++ % INPUT_SIZE];
    sched_unlock(irq);
    memcpy(buf, chunk, n);
    return (int)n;
}

uint64_t console_input_dropped(void)
{
    return dropped;
}

KEEL_EXPORT_FUNC(console_input_push);
KEEL_EXPORT_FUNC(console_read);
