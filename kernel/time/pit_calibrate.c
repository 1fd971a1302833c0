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
#define MAX_WINDOWS  8u
#define MAX_EDGE_PPM 5000u    /* both edges pinned down to 0.5% of the window */
#define EDGE_POLLS   1000000u /* bounded: a missing PIT never hangs the boot */
#define PORT_GATE    0x61
#define PORT_PIT_CTL 0x43
#define PORT_PIT_CH2 0x42

struct edge {
    uint16_t count; /* the count the edge went to */
    uint64_t tsc;   /* TSC just before the read that saw it */
    uint64_t width; /* TSC ticks between the read before and the end of the read that saw it */
};

static uint16_t pit2_count(void)
{
    outb(PORT_PIT_CTL, 0x80); /* latch channel 2 */
    uint8_t lo = inb(PORT_PIT_CH2);
    uint8_t hi = inb(PORT_PIT_CH2);
    return (uint16_t)(lo | (uint16_t)hi << 8);
}

/* The first change of the count at least `ticks` below `from`. */
static int pit2_edge(uint16_t from, uint16_t ticks, struct edge *e)
{
    uint64_t prev = rdtsc();
    uint16_t last = pit2_count();
    for (uint32_t i = 0; i < EDGE_POLLS; i++) {
        uint64_t t = rdtsc();
        uint16_t c = pit2_count();
        if (c != last && (uint16_t)(from - c) >= ticks) {
            e->count = c;
            e->tsc = t;
            e->width = rdtsc() - prev;
            return 0;
        }
        last = c;
        prev = t;
    }
    return KE_TIMEDOUT;
}

/* One window: TSC Hz, or 0 if the PIT did not count or an edge was not pinned down. */
static uint64_t window_hz(void)
{
    struct edge a, b;
    if (pit2_edge(pit2_count(), 1, &a) || pit2_edge(a.count, WINDOW_TICKS, &b))
        return 0;
    uint64_t tsc = b.tsc - a.tsc;
    uint64_t ticks = (uint16_t)(a.count - b.count);
    if (!tsc || (a.width + b.width) * 1000000u > tsc * MAX_EDGE_PPM)
        return 0;
    return tsc * PIT_HZ / ticks; /* < 2^64: a window is 2 ms */
}

static uint64_t ppm_apart(uint64_t x, uint64_t y)
{
    uint64_t d = x > y ? x - y : y - x;
    return d * 1000000u / (x > y ? x : y);
}

int pit_calibrate_tsc(uint64_t *hz, unsigned *windows)
{
    uint8_t gate = inb(PORT_GATE);
    outb(PORT_GATE, (uint8_t)((gate & ~0x02) | 0x01)); /* gate channel 2 on, speaker off */
    outb(PORT_PIT_CTL, 0xb0);                          /* channel 2, lo/hi byte, mode 0 */
    outb(PORT_PIT_CH2, 0xff);
    outb(PORT_PIT_CH2, 0xff); /* from 65535 (55 ms); the arithmetic is modulo 2^16 anyway */
    struct edge warm; /* a first edge, not used: QEMU translates the code on its first run */
    (void)pit2_edge(pit2_count(), 1, &warm);
    uint64_t prev = 0, got = 0;
    int err = KE_TIMEDOUT;
    unsigned n = 0;
    while (n < MAX_WINDOWS) {
        uint64_t f = window_hz();
        n++;
        if (!f)
            continue;
        got = f;
        err = KE_RANGE;
        if (prev && ppm_apart(prev, f) <= PIT_AGREE_PPM) {
            got = (prev + f) / 2;
            err = 0;
            break;
        }
        prev = f;
    }
    outb(PORT_GATE, gate);
    *hz = got;
    *windows = n;
    return err;
}
