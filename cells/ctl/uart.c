/* COM2 by port I/O. Under QEMU the receive FIFO holds 16 bytes and QEMU refills it only after
 * the guest has read it, so the reader drains everything waiting in one go. */
#include <keel/clock.h>
#include <keel/task.h>
#include "ctl/uart.h"

#define RBR            0 /* receive buffer / transmit holding (DLAB 0), divisor low (DLAB 1) */
#define IER            1
#define FCR            2
#define LCR            3
#define MCR            4
#define LSR            5
#define SCR            7
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define FIFO_DEPTH     16

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

bool ctl_uart_init(void)
{
    const uint16_t b = CTL_UART_BASE;
    /* The scratch register: an absent UART reads back 0xff whatever is written. */
    outb(b + SCR, 0x5a);
    if (inb(b + SCR) != 0x5a)
        return false;
    outb(b + SCR, 0xa5);
    if (inb(b + SCR) != 0xa5)
        return false;
    outb(b + IER, 0x00); /* no interrupts: the service task polls */
    outb(b + LCR, 0x80); /* DLAB on: divisor follows */
    outb(b + RBR, 0x01); /* 115200 baud */
    outb(b + IER, 0x00);
    outb(b + LCR, 0x03); /* 8 bits, no parity, one stop bit */
    outb(b + FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
    outb(b + MCR, 0x03); /* DTR and RTS; OUT2 off (no IRQ) */
    for (int i = 0; i < 4096 && (inb(b + LSR) & LSR_DATA_READY); i++)
        (void)inb(b + RBR); /* anything left from before the boot */
    return true;
}

size_t ctl_uart_read(uint8_t *buf, size_t max)
{
    size_t n = 0;
    while (n < max && (inb(CTL_UART_BASE + LSR) & LSR_DATA_READY))
        buf[n++] = inb(CTL_UART_BASE + RBR);
    return n;
}

bool ctl_uart_write(const uint8_t *buf, size_t n, uint64_t timeout_ns)
{
    uint64_t start = clock_ns();
    size_t i = 0;
    while (i < n) {
        if (!(inb(CTL_UART_BASE + LSR) & LSR_THR_EMPTY)) {
            if (clock_ns() - start > timeout_ns)
                return false;
            task_yield();
            continue;
        }
        /* An empty transmit FIFO takes 16 bytes at once. */
        for (int k = 0; k < FIFO_DEPTH && i < n; k++)
            outb(CTL_UART_BASE + RBR, buf[i++]);
    }
    return true;
}

uint64_t ctl_uart_jitter(void)
{
    uint64_t mix = 0;
    for (int i = 0; i < 64; i++) {
        uint64_t t0 = clock_tsc();
        (void)inb(CTL_UART_BASE + LSR);
        mix = (mix << 5 | mix >> 59) ^ (clock_tsc() - t0);
    }
    return mix;
}
