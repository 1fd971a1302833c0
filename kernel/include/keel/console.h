/* The kernel console: COM1 (primary) mirrored to the VGA text screen when one is present. */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void console_write(const char *s, size_t n);
/* Whether the console's last output left a line unfinished: a report that must start on a line
 * of its own begins with a newline only then (no blank line otherwise). */
bool console_mid_line(void);
/* printf to the console only (not the log). Used by panic reports and the ready line. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Console input: bytes from every console (COM1, keyboard cells) in one queue.
 * console_input_push: drivers add bytes; returns how many were taken (a full queue drops).
 * console_read: wait for at least one byte (timeout_ns 0 = forever) and take up to max (at most
 * 128 per call); returns the count, KE_TIMEDOUT or KE_KILLED. Keyboard cells send ANSI sequences
 * for special keys (ESC [ A/B/C/D for the arrows, ESC [ H / F for home/end, ESC [ 3 ~ for delete).
 */
int console_input_push(const char *bytes, size_t n);
int console_read(char *buf, size_t max, uint64_t timeout_ns);
uint64_t console_input_dropped(void);
void console_poll_serial(void);

/* Extra output sinks (e.g. a VGA console cell): every console write also goes to each sink.
 * A sink registered as the screen replaces the nano-core's early VGA mirror. KE_NOSPC when the
 * table (4) is full, KE_NOENT when removing an unknown sink. */
typedef void (*console_sink_fn)(const char *s, size_t n);
int console_add_sink(console_sink_fn fn, int is_screen);
int console_remove_sink(console_sink_fn fn);

/* Console sinks, called with the console lock held. */
void serial_init(void);
void serial_write(const char *s, size_t n);
/* Next byte received on COM1, or -1 if none is waiting. */
int serial_read_nonblock(void);

/* Attach the VGA text mirror at a mapped text buffer (80x25 cells). */
void vga_attach(volatile void *text_buffer, unsigned cols, unsigned rows);
void vga_write(const char *s, size_t n);
/* The boot loader's EGA text screen: physical address of the buffer and its size in characters.
 * KE_NOENT when the machine booted without one (e.g. a graphics framebuffer), KE_INVAL for a NULL
 * argument. For console cells that take over the screen (they map it with mmio_map). */
int vga_text_info(uint64_t *phys, unsigned *cols, unsigned *rows);

#endif
