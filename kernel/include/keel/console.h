/* The kernel console: COM1 (primary) mirrored to the VGA text screen when one is present. */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H
#include <stddef.h>

void console_write(const char *s, size_t n);
/* printf to the console only (not the log). Used by panic reports and the ready line. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Console sinks, called with the console lock held. */
void serial_init(void);
void serial_write(const char *s, size_t n);
/* Next byte received on COM1, or -1 if none is waiting. */
int serial_read_nonblock(void);

/* Attach the VGA text mirror at a mapped text buffer (80x25 cells). */
void vga_attach(volatile void *text_buffer, unsigned cols, unsigned rows);
void vga_write(const char *s, size_t n);

#endif
