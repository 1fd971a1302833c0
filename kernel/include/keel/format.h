/* The kernel's printf engine. Conversions: d i u x X o c s p %, flags - + space 0 #, width and
 * precision (digits or *), length modifiers hh h l ll z t j; output matches glibc for all of
 * those, including "(nil)" for a NULL %p and "(null)" for a NULL %s (nothing if the precision
 * is below 6). No floating point. An unknown conversion (including %n and %lc/%ls) is printed
 * literally, from its % through the offending character, and consumes no argument (except the
 * ints of a * width or precision in it). */
#ifndef KEEL_FORMAT_H
#define KEEL_FORMAT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Receives the output in pieces; s is not NUL-terminated. */
typedef void (*format_emit_fn)(void *ctx, const char *s, size_t n);

/* Formats fmt through emit and returns the number of characters produced; KE_INVAL for a NULL
 * emit or fmt, KE_OVERFLOW (output stops) once the total would exceed INT_MAX. */
int kvformat(format_emit_fn emit, void *ctx, const char *fmt, va_list ap);
int kformat(format_emit_fn emit, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* C99 snprintf: writes at most size-1 characters and a NUL (when size > 0) and returns the
 * length the full output would have; buf may be NULL when size is 0. Negative KE_* code as for
 * kvformat (buf still NUL-terminated when size > 0). */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints bytes in the largest binary unit (B, KiB, MiB, GiB, TiB, PiB, EiB) that divides it
 * exactly, so the text is never rounded: 0 -> "0 B", 1536 -> "1536 B", 12288 -> "12 KiB",
 * 3 << 20 -> "3 MiB", (3 << 20) + 4096 -> "3076 KiB". Returns as ksnprintf. */
int format_size(char *buf, size_t n, uint64_t bytes);

#endif
