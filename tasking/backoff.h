/* Exponential back-off for restarting tasks (freestanding; unit-tested on the host). */
#ifndef KEEL_TASKING_BACKOFF_H
#define KEEL_TASKING_BACKOFF_H
#include <stdint.h>

#define BACKOFF_CAP_NS (10ull * 1000 * 1000 * 1000) /* never wait more than 10 s */

/* base * 2^(attempt - 1) for attempt >= 1, saturating at cap (and 0 for attempt 0). */
uint64_t backoff_delay_ns(uint64_t base_ns, unsigned attempt, uint64_t cap_ns);

#endif
