/* The control channel's UART: COM2 (0x2F8), a 16550 polled like COM1 (no interrupt). */
#ifndef CELLS_CTL_UART_H
#define CELLS_CTL_UART_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_UART_BASE 0x2f8

/* Program 115200 8N1, FIFO on, no interrupts; false if no UART answers at the port. */
bool ctl_uart_init(void);
/* Take what the receive FIFO holds, up to max bytes; returns the count (0: nothing waiting). */
size_t ctl_uart_read(uint8_t *buf, size_t max);
/* Send n bytes, yielding while the transmitter is busy; false if it stayed busy for timeout_ns
 * (nobody reading) and the rest was dropped. */
bool ctl_uart_write(const uint8_t *buf, size_t n, uint64_t timeout_ns);
/* A few bytes of timing noise for the boot nonce: TSC deltas across port reads. */
uint64_t ctl_uart_jitter(void);

#endif
