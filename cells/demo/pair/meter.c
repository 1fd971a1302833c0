/* meter and gauge (test fixtures of docs/live-swap.md, "several cells in one swap"): gauge
 * reads meter. Version 2 of meter renames its export, and version 2 of gauge calls the new
 * name, so neither can be swapped alone; swapped together, as one transaction, they can. */
#include <keel/cell.h>

static unsigned long readings;

#if KEEL_CELL_VERSION == 1
unsigned long meter_read(void)
{
    return ++readings;
}
#else
unsigned long meter_sample(void)
{
    return ++readings;
}
#endif

KEEL_CELL(.name = "meter", .version = KEEL_CELL_VERSION);
