/* gauge: `run gauge` prints a reading of the meter cell (see meter.c). */
#include <keel/cell.h>
#include <keel/console.h>

#if KEEL_CELL_VERSION == 1
unsigned long meter_read(void);
#define READ meter_read
#else
unsigned long meter_sample(void);
#define READ meter_sample
#endif

int gauge_main(const void *arg, void *ret)
{
    unsigned long v = READ();
    kprintf("gauge v%d: reading %lu\n", KEEL_CELL_VERSION, v);
    return 0;
}

KEEL_CELL(.name = "gauge", .version = KEEL_CELL_VERSION);
