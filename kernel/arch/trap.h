/* The register state saved by arch/isr.S on every interrupt or exception. */
#ifndef KEEL_ARCH_TRAP_H
#define KEEL_ARCH_TRAP_H
#include <stdbool.h>
#include <stdint.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define RFLAGS_IF (1ull << 9) /* interrupts enabled */

typedef void (*irq_handler_fn)(struct trap_frame *f);

void idt_init(void);
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
const char *exception_name(unsigned vector);
/* Print every general register of f, rflags, cs, ss and cr3 (arch/regdump.c), four lines of
 * "  name value" pairs and one for the flags and segments. */
void trap_print_registers(const struct trap_frame *f);
/* tasking/fault.c: kill the running task if the fault is its own (never returns then); true if
 * a guarded call caught it (resume with the frame as modified), false if it is the core's, with
 * *why saying why it could not be contained (static text). */
bool task_fault_contain(struct trap_frame *f, uint64_t cr2, const char **why);

#endif
