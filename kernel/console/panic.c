#include <stdarg.h>
#include <keel/console.h>
#include <keel/format.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/cpu.h>
#include <keel/core/x86.h>
#include "arch/cpu.h"

static int exit_on_panic;
static int panicking;

void panic_set_exit_on_panic(int on)
{
    exit_on_panic = on;
}

/* The last line of every panic: a user at a fresh QEMU terminal has no other way out. */
#define EXIT_HINT "keel: the system has stopped; to leave QEMU press Ctrl-A, then X\n"

_Noreturn void panic_halt(void)
{
    cli();
    kprintf(EXIT_HINT);
    if (exit_on_panic)
        qemu_exit(QEMU_EXIT_FAILURE);
    for (;;)
        hlt();
}

_Noreturn void panic(const char *fmt, ...)
{
    cli();
    if (panicking++) {
        /* A panic inside the panic report: say so and stop, don't recurse. */
        kprintf("\nKEEL PANIC (nested): giving up\n");
        panic_halt();
    }
    cpu_stop_others();
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kprintf("\nKEEL PANIC: %s\nbacktrace (CPU %u):\n", msg, cpu_self());
    /* Start at our caller: this frame's record holds its rbp and return address. */
    const uint64_t *frame = (const uint64_t *)(uintptr_t)read_rbp();
    backtrace_print(frame[1] - 1, frame[0]);
    kprintf("end of panic report\n");
    panic_halt();
}
