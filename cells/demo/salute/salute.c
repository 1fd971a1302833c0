/* salute versions 1 and 2, and two test fixtures a swap must refuse: version 3 no longer
 * exports salute_text (a symbol its users need), version 4 turns it into an object. */
#include <keel/cell.h>
#include <keel/format.h>
#if KEEL_CELL_VERSION < 3
#include "demo/salute/salute.h" /* v3 and v4 break the interface on purpose */
#endif

#if KEEL_CELL_VERSION == 4
char salute_text[32] = "not a function any more";
#elif KEEL_CELL_VERSION == 3
void salute_words(char *buf, unsigned long size, const char *who)
{
    ksnprintf(buf, size, "greetings, %s!", who);
}
#else
void salute_text(char *buf, unsigned long size, const char *who)
{
#if KEEL_CELL_VERSION == 1
    ksnprintf(buf, size, "hello, %s!", who);
#else
    ksnprintf(buf, size, "good day, %s!", who);
#endif
}
#endif

KEEL_CELL(.name = "salute", .version = KEEL_CELL_VERSION);
