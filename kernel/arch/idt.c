/* The IDT: all 32 exceptions go to the fault path, vectors 32..255 to registered handlers. */
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/cpu.h>
#include <keel/core/cpu_local.h>
#include "arch/cpu.h"
#include "arch/gdt.h"
#include "arch/trap.h"
#include "inject/activation.h"
#include <keel/core/tasking.h>
#include <keel/core/x86.h>
#include <keel/layout.h>

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

extern const uint64_t isr_stub_table[256];
static struct idt_gate idt[256];
static irq_handler_fn irq_handlers[256];
static uint64_t unexpected_irqs;
static uint64_t cell_irq_calls;

static void idt_set(unsigned vec, uint64_t handler, unsigned ist)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = (uint16_t)handler,
        .selector = GDT_KERNEL_CODE,
        .ist = (uint8_t)ist,
        .type_attr = 0x8e, /* present, ring 0, 64-bit interrupt gate */
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        unsigned ist = 0;
        if (v == 8)
            ist = IST_DOUBLE_FAULT;
        else if (v == 2)
            ist = IST_NMI;
        else if (v == 18)
            ist = IST_MACHINE_CHECK;
        idt_set(v, isr_stub_table[v], ist);
    }
    idt_load();
}

/* Every CPU shares the one table. */
void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(ptr) : "memory");
}

int irq_register(unsigned vector, irq_handler_fn fn)
{
    if (vector < 32 || vector > 255 || !fn)
        return KE_INVAL;
    if (irq_handlers[vector])
        return KE_BUSY;
    irq_handlers[vector] = fn;
    return 0;
}

uint64_t irq_cell_calls(void)
{
    return cell_irq_calls;
}

void trap_dispatch(struct trap_frame *f)
{
    if (f->vector == 2 && cpu_stopping())
        cpu_halt_here(); /* another CPU panicked: its report is the last word */
    if (f->vector == 1 && inject_debug_trap(f))
        return; /* the injector's debug register: its activation recorded */
    if (f->vector < 32) {
        const char *why = 0;
        /* A cpu_call function runs in interrupt context, on behalf of no task. */
        if (cpu_local()->in_call)
            exception_fatal(f, "in a cpu_call function (interrupt context, no task to blame)");
        if (task_fault_contain(f, read_cr2(), &why))
            return; /* a guarded call caught it: resume at its landing */
        exception_fatal(f, why);
    }
    irq_handler_fn fn = irq_handlers[f->vector];
    if (fn) {
        if ((uint64_t)(uintptr_t)fn - CELL_AREA_BASE < CELL_AREA_SIZE)
            cell_irq_calls++; /* a cell's code ran: the reclaimer's snapshot test counts it */
        fn(f);
        return;
    }
    /* Logged once: a flood of unknown interrupts must not drown the console. */
    if (unexpected_irqs++ == 0)
        log_warn("idt: unexpected interrupt on vector %llu", (unsigned long long)f->vector);
}
