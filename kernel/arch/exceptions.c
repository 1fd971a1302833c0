/* The report for a CPU exception the nano-core cannot survive: vector and name, decoded error
 * code, RIP as symbol+offset, CR2 (with a hint for the NULL page and stack guard pages), why it
 * was not contained in a task (tasking/fault.c), all registers and a frame-pointer backtrace;
 * then the system halts (or exits QEMU for tests). */
#include <keel/console.h>
#include <keel/export.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/cpu.h>
#include "arch/cpu.h"
#include "arch/trap.h"
#include <keel/core/x86.h>

static const char *const names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range exceeded",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack-segment fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 floating point",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD floating point",
    "#VE virtualization",
    "#CP control protection",
    "reserved 22",
    "reserved 23",
    "reserved 24",
    "reserved 25",
    "reserved 26",
    "reserved 27",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved 31",
};

const char *exception_name(unsigned vector)
{
    return vector < 32 ? names[vector] : "interrupt";
}
KEEL_EXPORT_FUNC(exception_name); /* the shell names the fault of a command */

static void describe_page_fault(uint64_t err, uint64_t cr2)
{
    const char *access = (err & 0x10) ? "instruction fetch from"
                         : (err & 2)  ? "data write to"
                                      : "data read from";
    kprintf("  cause: %s %s page%s\n", access,
            (err & 1) ? "a present (protection violation)" : "an unmapped",
            (err & 8) ? ", reserved bit set" : "");
    if (cr2 < PAGE_SIZE)
        kprintf("  hint: address in the NULL page (NULL pointer dereference)\n");
    else if (kstack_is_guard(cr2))
        kprintf("  hint: address in a kernel stack guard page (stack overflow)\n");
    else if ((err & 3) == 3)
        kprintf("  hint: write to a read-only or executable page (W^X)\n");
    else if ((err & 0x11) == 0x11)
        kprintf("  hint: execution of a non-executable page (NX)\n");
}

static void print_symbolized(const char *label, uint64_t addr)
{
    char where[96];
    if (addr_describe(addr, where, sizeof(where)) == 0)
        kprintf("  %s 0x%016llx <%s>\n", label, (unsigned long long)addr, where);
    else
        kprintf("  %s 0x%016llx\n", label, (unsigned long long)addr);
}

_Noreturn void exception_fatal(struct trap_frame *f, const char *why)
{
    uint64_t cr2 = read_cr2();
    cli();
    cpu_stop_others();
    kprintf("\nKEEL PANIC: CPU exception %llu (%s) in the nano-core, error code 0x%llx\n",
            (unsigned long long)f->vector, exception_name((unsigned)f->vector),
            (unsigned long long)f->error);
    print_symbolized("rip", f->rip);
    kprintf("  cr2 0x%016llx, CPU %u\n", (unsigned long long)cr2, cpu_self());
    if (f->vector == 14)
        describe_page_fault(f->error, cr2);
    else if (f->vector == 8 && kstack_is_guard(cr2))
        kprintf("  hint: cr2 is in a kernel stack guard page (stack overflow)\n");
    if (why)
        kprintf("  not contained: %s\n", why);
    trap_print_registers(f);
    kprintf("backtrace:\n");
    backtrace_print(f->rip, f->rbp);
    kprintf("end of panic report\n");
    panic_halt();
}
