/* The legacy 8259 PICs. BIOS leaves IRQ0 (the PIT) on vector 8, where it would look like a
 * double fault; Keel uses the local APIC, so the PICs are moved to vectors 0x20-0x2f and every
 * line is masked before interrupts are ever enabled. */
#include "arch/trap.h"
#include <keel/core/x86.h>

void pic_disable(void)
{
    /* ICW1-4: remap master to 0x20, slave to 0x28, then mask every line. */
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, 0x20);
    outb(0xa1, 0x28);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}
