/* Hang detection arithmetic: heartbeat deadlines (no wrap, a future start, no heartbeat) and
 * the CPU budget (own before global, 0 = none). */
#include <stdint.h>
#include "tasking/hang_calc.h"
#include "check.h"

int main(void)
{
    /* Exactly the limit is still in time; one ns more is overdue. */
    CHECK(!hang_heartbeat_overdue(1500, 500, 1000));
    CHECK(hang_heartbeat_overdue(1501, 500, 1000));
    CHECK(!hang_heartbeat_overdue(UINT64_MAX, 0, 0)); /* no heartbeat */
    /* A restart planned after its back-off: its deadline counts from then. */
    CHECK(!hang_heartbeat_overdue(100, 5000, 10));
    CHECK(!hang_heartbeat_overdue(5000, 5000, 10));
    /* Huge values do not wrap into "overdue" or "in time". */
    CHECK(hang_heartbeat_overdue(UINT64_MAX, 0, UINT64_MAX - 1));
    CHECK(!hang_heartbeat_overdue(UINT64_MAX, 1, UINT64_MAX));
    CHECK(!hang_heartbeat_overdue(UINT64_MAX - 1, UINT64_MAX, 1));

    CHECK_EQ_U64(hang_budget(0, 0), 0);
    CHECK_EQ_U64(hang_budget(0, 50), 50);
    CHECK_EQ_U64(hang_budget(7, 50), 7);
    CHECK_EQ_U64(hang_budget(70, 0), 70);

    CHECK(!hang_budget_spent(UINT64_MAX, 0));
    CHECK(!hang_budget_spent(50, 50));
    CHECK(hang_budget_spent(51, 50));
    CHECK(!hang_budget_spent(0, 1));
    return check_report("hang_calc_test");
}
