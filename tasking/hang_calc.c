/* The arithmetic of hang detection (hang_calc.h). */
#include "hang_calc.h"

bool hang_heartbeat_overdue(uint64_t now, uint64_t since, uint64_t limit)
{
    return limit && now > since && now - since > limit;
}

uint64_t hang_budget(uint64_t own, uint64_t global)
{
    return own ? own : global;
}

bool hang_budget_spent(uint64_t run, uint64_t budget)
{
    return budget && run > budget;
}
