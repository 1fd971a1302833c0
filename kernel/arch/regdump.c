/* The general registers of a trap frame, printed the same way by the core's panic report and
 * by the report of a fault contained in a task, so both show every register. */
#include <keel/console.h>
#include "arch/trap.h"
#include <keel/core/x86.h>

void trap_print_registers(const struct trap_frame *f)
{
    kprintf("  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)f->rax,
            (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    kprintf("  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n", (unsigned long long)f->rsi,
            (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->rsp);
    kprintf("  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n", (unsigned long long)f->r8,
            (unsigned long long)f->r9, (unsigned long long)f->r10, (unsigned long long)f->r11);
    kprintf("  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)f->r12,
            (unsigned long long)f->r13, (unsigned long long)f->r14, (unsigned long long)f->r15);
    kprintf("  rflags %016llx cs %04llx ss %04llx cr3 %016llx\n", (unsigned long long)f->rflags,
            (unsigned long long)f->cs, (unsigned long long)f->ss, (unsigned long long)read_cr3());
}
