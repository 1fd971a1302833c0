/* The register state arch/isr.S saves on every interrupt or exception, and what the layers
 * linked into the nano-core (tasking) may ask of it. Not for cells. */
#ifndef KEEL_CORE_TRAP_H
#define KEEL_CORE_TRAP_H
#include <stdint.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define RFLAGS_IF (1ull << 9) /* interrupts enabled */

const char *exception_name(unsigned vector);
/* Print every general register of f, rflags, cs, ss and cr3 (arch/regdump.c), four lines of
 * "  name value" pairs and one for the flags and segments. */
void trap_print_registers(const struct trap_frame *f);

#endif
