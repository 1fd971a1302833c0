/* Between the injector's two halves (kernel/inject/): whether a code fault is in place, for the
 * rule of one fault at a time. Cells lock held. */
#ifndef KEEL_INJECT_IPC_H
#define KEEL_INJECT_IPC_H
#include <stdbool.h>

bool inject_code_in_place(void);

#endif
