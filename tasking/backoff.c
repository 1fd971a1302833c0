#include "backoff.h"

uint64_t backoff_delay_ns(uint64_t base_ns, unsigned attempt, uint64_t cap_ns)
{
    if (attempt == 0 || base_ns == 0)
        return 0;
    uint64_t d = base_ns;
    for (unsigned i = 1; i < attempt; i++) {
        if (d > cap_ns / 2)
            return cap_ns; /* the next doubling passes the cap (and cannot overflow) */
        d *= 2;
    }
    return d < cap_ns ? d : cap_ns;
}
