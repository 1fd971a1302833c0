/* The TSC rate against PIT channel 2 (1.193182 MHz), in windows of about 2 ms. A window starts
 * and ends at a change of the PIT count (an edge), each found by reading the count until it
 * changes, with the TSC read just before every read: the edge lies between the read before and
 * the read that saw it. The same way of finding both edges puts the same lag on both, so it
 * cancels; a window whose edges took long to pin down (the host preempted us mid-read) is
 * dropped. Host stalls between the edges do not matter: both clocks keep counting. */
#include <keel/errno.h>
#include <keel/core/x86.h>
#include "time/tsc_cpuid.h"

#define PIT_HZ       1193182ull
#define WINDOW_TICKS 2387u /* 2 ms of PIT ticks */
#define MAX_WINDOWS  10u
#define MAX_EDGE_PPM 1500u    /* both edges pinned down to 0.15% of the window */
#define EDGE_POLLS   1000000u /* bounded: a missing PIT never hangs the boot */
#define PORT_GATE    0x61
#define PORT_PIT_CTL 0x43
#define PORT_PIT_CH2 0x42

struct edge {
    uint16_t count; /* the count read */
    uint64_t tsc;   /* TSC just before the read */
    uint64_t width; /* how far the moment the count became `count` may lie from tsc, in TSC ticks */
};

static uint16_t pit2_count(void)
{
    outb(PORT_PIT_CTL, 0x80); /* latch channel 2 */
    uint8_t lo = inb(PORT_PIT_CH2);
    uint8_t hi = inb(PORT_PIT_CH2);
    return (uint16_t)(lo | (uint16_t)hi << 8);
}

/* The first change of the count to at least `ticks` below `from`. The count became the value
 * read some time between the read before and the latch of this read; when it moved by n ticks
 * since the read before (the host stalled us), that time is at most one tick, about 1/n of the
 * gap, before the latch. So the width is this read's own time plus the gap over n. */
static int pit2_edge(uint16_t from, uint16_t ticks, struct edge *e)
{
    uint64_t prev = rdtsc();
    uint16_t last = pit2_count();
    for (uint32_t i = 0; i < EDGE_POLLS; i++) {
        uint64_t t = rdtsc();
        uint16_t c = pit2_count();
        if (c != last && (uint16_t)(from - c) >= ticks) {
            uint64_t end = rdtsc();
            e->count = c;
            e->tsc = t;
            e->width = (end - t) + (t - prev) / (uint16_t)(last - c);
            return 0;
        }
        last = c;
        prev = t;
    }
    return KE_TIMEDOUT;
}

struct window {
    uint64_t hz;     /* the TSC rate this window measured */
    uint64_t spread; /* how far the edges' timing may be off, in ppm of the window */
};

/* One window of `ticks`; KE_TIMEDOUT if the PIT stopped counting. */
static int measure_window(uint16_t ticks, struct window *w)
{
    struct edge a, b;
    if (pit2_edge(pit2_count(), 1, &a) || pit2_edge(a.count, ticks, &b))
        return KE_TIMEDOUT;
    uint64_t tsc = b.tsc - a.tsc;
    uint64_t n = (uint16_t)(a.count - b.count);
    w->hz = tsc * PIT_HZ / n; /* < 2^64: a window is about 2 ms */
    w->spread = tsc ? (a.width + b.width) * 1000000u / tsc : ~0ull;
    return 0;
}

static uint64_t ppm_apart(uint64_t x, uint64_t y)
{
    uint64_t d = x > y ? x - y : y - x;
    return d * 1000000u / (x > y ? x : y);
}

static int plausible(uint64_t hz)
{
    return hz >= 50000000ull && hz <= 20000000000ull;
}

int pit_calibrate_tsc(uint64_t *hz, unsigned *windows)
{
    uint8_t gate = inb(PORT_GATE);
    outb(PORT_GATE, (uint8_t)((gate & ~0x02) | 0x01)); /* gate channel 2 on, speaker off */
    outb(PORT_PIT_CTL, 0xb0);                          /* channel 2, lo/hi byte, mode 0 */
    outb(PORT_PIT_CH2, 0xff);
    outb(PORT_PIT_CH2, 0xff); /* from 65535 (55 ms); the arithmetic is modulo 2^16 anyway */
    struct window w;
    /* A short first window, not used: QEMU translates the code on its first run. */
    int err = measure_window(16, &w);
    uint64_t prev = 0, best = 0, best_spread = ~0ull;
    unsigned n = 0;
    int agreed = 0;
    while (!err && n < MAX_WINDOWS) {
        n++;
        if ((err = measure_window(WINDOW_TICKS, &w)))
            break;
        if (!plausible(w.hz)) {
            prev = 0;
            continue;
        }
        if (w.spread < best_spread) { /* the fallback if no two windows agree */
            best = w.hz;
            best_spread = w.spread;
        }
        if (w.spread > MAX_EDGE_PPM) {
            prev = 0;
            continue;
        }
        if (prev && ppm_apart(prev, w.hz) <= PIT_AGREE_PPM) {
            best = (prev + w.hz) / 2;
            agreed = 1;
            break;
        }
        prev = w.hz;
    }
    outb(PORT_GATE, gate);
    *hz = best;
    *windows = n;
    if (!best)
        return KE_TIMEDOUT;
    return agreed ? 0 : KE_RANGE;
}
