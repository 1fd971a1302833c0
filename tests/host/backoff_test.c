/* Restart back-off: doubling from the base, saturating at the cap, never overflowing. */
#include <stdint.h>
#include "tasking/backoff.h"
#include "check.h"

int main(void)
{
    CHECK_EQ_U64(backoff_delay_ns(1000, 0, BACKOFF_CAP_NS), 0);
    CHECK_EQ_U64(backoff_delay_ns(1000, 1, BACKOFF_CAP_NS), 1000);
    CHECK_EQ_U64(backoff_delay_ns(1000, 2, BACKOFF_CAP_NS), 2000);
    CHECK_EQ_U64(backoff_delay_ns(1000, 5, BACKOFF_CAP_NS), 16000);
    CHECK_EQ_U64(backoff_delay_ns(0, 7, BACKOFF_CAP_NS), 0);
    CHECK_EQ_U64(backoff_delay_ns(1000, 60, BACKOFF_CAP_NS), BACKOFF_CAP_NS);
    CHECK_EQ_U64(backoff_delay_ns(1000, 4000000000u, BACKOFF_CAP_NS), BACKOFF_CAP_NS);
    CHECK_EQ_U64(backoff_delay_ns(UINT64_MAX, 2, UINT64_MAX), UINT64_MAX);
    CHECK_EQ_U64(backoff_delay_ns(UINT64_MAX / 2 + 1, 2, UINT64_MAX), UINT64_MAX);
    CHECK_EQ_U64(backoff_delay_ns(5, 3, 12), 12); /* 20 > cap */
    CHECK_EQ_U64(backoff_delay_ns(50, 1, 12), 12); /* the base alone is capped too */
    /* Monotonic in the attempt number. */
    uint64_t prev = 0;
    for (unsigned a = 1; a < 100; a++) {
        uint64_t d = backoff_delay_ns(3, a, BACKOFF_CAP_NS);
        CHECK(d >= prev);
        prev = d;
    }
    return check_report("backoff_test");
}
