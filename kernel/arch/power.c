#include <keel/power.h>
#include <keel/export.h>
#include <keel/core/x86.h>

void qemu_exit(uint32_t value)
{
    outl(0xf4, value);
}

_Noreturn void machine_reboot(void)
{
    cli();
    /* Pulse the CPU reset line through the 8042 keyboard controller. */
    for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
        cpu_relax();
    outb(0x64, 0xfe);
    /* Fallback: a triple fault (an empty IDT, then an exception) resets every PC. */
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = {0, 0};
    __asm__ volatile("lidt %0; int3" ::"m"(empty));
    for (;;)
        hlt();
}

KEEL_EXPORT_FUNC(machine_reboot);
KEEL_EXPORT_FUNC(qemu_exit);
