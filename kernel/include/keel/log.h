/* The kernel log: leveled, timestamped records in a ring buffer (console/logring.c), echoed to the
 * console when at or above the console level. */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H
#include <stdint.h>
#include <keel/logring.h>

void klog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A record for the ring only, never echoed: for reports already printed in full (task faults). */
void klog_quiet(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...)  klog(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)   klog(LOG_INFO, __VA_ARGS__)
#define log_notice(...) klog(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...)   klog(LOG_WARN, __VA_ARGS__)
#define log_err(...)    klog(LOG_ERR, __VA_ARGS__)

/* Records below this level go only to the ring (default: info). */
void log_set_console_level(int level);
int log_console_level(void);

/* Copy records at or after *cursor to fn one at a time (used by dumps and the shell's `log`). */
void log_for_each(uint64_t *cursor,
                  void (*fn)(void *ctx, const struct logring_entry *e, const char *text),
                  void *ctx);

#endif
