/* Interrupts and exceptions inside the nano-core (the frame: keel/core/trap.h). */
#ifndef KEEL_ARCH_TRAP_H
#define KEEL_ARCH_TRAP_H
#include <stdbool.h>
#include <stdint.h>
#include <keel/core/trap.h>

typedef void (*irq_handler_fn)(struct trap_frame *f);

void idt_init(void);
/* Load the IDT on this CPU (application processors). */
void idt_load(void);
/* Remap and mask the legacy PICs (before interrupts are first enabled). */
void pic_disable(void);
/* Route an interrupt vector (32..255) to a handler; KE_INVAL for exceptions, KE_BUSY if taken. */
int irq_register(unsigned vector, irq_handler_fn fn);
void trap_dispatch(struct trap_frame *f);
/* Interrupts handled by a cell's handler since boot (the reclaimer's snapshot test). */
uint64_t irq_cell_calls(void);
/* The report for an exception the nano-core cannot survive, with why it was not contained in a
 * task (why may be NULL); never returns. */
_Noreturn void exception_fatal(struct trap_frame *f, const char *why);

#endif
