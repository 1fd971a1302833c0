/* kmain: the nano-core's boot sequence, from the first C instruction to the ready line. */
#include <keel/clock.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/layout.h>
#include <keel/log.h>
#include <keel/mb2.h>
#include <keel/memory.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/string.h>
#include <keel/cpu.h>
#include "arch/cpu.h"
#include "arch/gdt.h"
#include "arch/smp.h"
#include "arch/trap.h"
#include <keel/core/x86.h>
#include "boot/bootinfo.h"
#include "boot/phases.h"
#include <keel/reclaim.h>
#include <keel/recovery.h>
#include "link/cells.h"
#include <keel/core/tasking.h>
#include "selftest.h"

#define BOOT_STACK_PAGES 8 /* 32 KiB */

_Noreturn void kmain(uint32_t magic, uint32_t info_phys, uint32_t nx);
_Noreturn void arch_switch_stack(uint64_t top, void (*fn)(void));
extern uint64_t boot_entry_tsc;

static struct mb2_info boot;
static uint64_t boot_info_phys;
static size_t boot_info_size;
static char cmdline[512];
static struct kstack boot_stack;

const struct mb2_info *boot_info(void)
{
    return &boot;
}

const char *boot_cmdline(void)
{
    return cmdline;
}

static void apply_early_options(void)
{
    char value[32];
    if (cmdline_get(cmdline, "panic", value, sizeof(value)) >= 0)
        panic_set_exit_on_panic(strcmp(value, "exit") == 0);
    if (cmdline_get(cmdline, "loglevel", value, sizeof(value)) >= 0) {
        int level = log_level_parse(value, strlen(value));
        if (level >= 0)
            log_set_console_level(level);
        else
            log_warn("boot: unknown loglevel '%s' (debug, info, notice, warn, err, crit)", value);
    }
    /* faultreports=log: fault reports go to the kernel log and the fault log only — a report
     * takes milliseconds on the serial console, which a fault campaign must not pay per trial. */
    if (cmdline_get(cmdline, "faultreports", value, sizeof(value)) >= 0) {
        if (strcmp(value, "log") == 0)
            task_fault_console(false);
        else if (strcmp(value, "console") != 0)
            log_warn("boot: unknown faultreports '%s' (console, log)", value);
    }
}

static void setup_ist_stacks(void)
{
    static const unsigned ist[] = {IST_DOUBLE_FAULT, IST_NMI, IST_MACHINE_CHECK};
    for (unsigned i = 0; i < 3; i++) {
        struct kstack s;
        if (kstack_alloc(IST_STACK_PAGES, &s))
            panic("boot: no memory for the interrupt stacks");
        gdt_set_ist_self(ist[i], s.top);
    }
}

static void attach_vga(void)
{
    const struct mb2_framebuffer *fb = &boot.fb;
    if (!fb->present || fb->type != MB2_FB_EGA_TEXT || fb->width == 0 || fb->height == 0 ||
        fb->width > 256 || fb->height > 256)
        return;
    volatile void *text = mmio_map(fb->addr, (size_t)fb->width * fb->height * 2);
    if (text)
        vga_attach(text, fb->width, fb->height);
}

/* cpus=N: use at most N CPUs (default: every one the MADT lists). */
static void start_cpus(void)
{
    uint64_t limit = 0;
    int err = cmdline_get_u64(cmdline, "cpus", &limit);
    if (err == KE_INVAL || (err >= 0 && (limit < 1 || limit > CPU_MAX))) {
        log_warn("boot: cpus must be a number from 1 to %u; using every CPU", CPU_MAX);
        limit = 0;
    }
    unsigned n = smp_start(&boot, (unsigned)limit);
    log_info("smp: %u CPU%s online", n, n == 1 ? "" : "s");
}

static _Noreturn void kmain_on_kernel_stack(void);

_Noreturn void kmain(uint32_t magic, uint32_t info_phys, uint32_t nx)
{
    cpu_local_init_boot(); /* before anything can take a spinlock */
    serial_init();
    kprintf("\nKeel nano-core\n");
    cpu_set_boot_arch(gdt_init());
    idt_init();
    pic_disable();
    if (magic != MB2_BOOTLOADER_MAGIC)
        panic("boot: bad multiboot2 magic 0x%x", magic);

    /* The boot tables map the first GiB at KERNEL_VMA: read the boot information there. */
    if ((uint64_t)info_phys + 8 > (1ull << 30))
        panic("boot: boot information at 0x%x is beyond the boot mapping", info_phys);
    uint32_t total = *(const uint32_t *)(uintptr_t)(KERNEL_VMA + info_phys);
    if ((uint64_t)info_phys + total > (1ull << 30))
        panic("boot: boot information (%u bytes) crosses the boot mapping", total);
    int err = mb2_parse((const void *)(uintptr_t)(KERNEL_VMA + info_phys), total, &boot);
    if (err)
        panic("boot: malformed multiboot2 information: %s", keel_strerror(err));
    boot_info_phys = info_phys;
    boot_info_size = total;
    if (boot.cmdline) {
        size_t n = boot.cmdline_len < sizeof(cmdline) - 1 ? boot.cmdline_len : sizeof(cmdline) - 1;
        memcpy(cmdline, boot.cmdline, n);
        cmdline[n] = 0;
    }
    apply_early_options();
    boot_phase("early");

    if ((err = memory_init(&boot, boot_info_phys, boot_info_size)))
        panic("boot: no usable memory: %s", keel_strerror(err));
    if ((err = paging_init(&boot, nx != 0)))
        panic("boot: cannot build the kernel page tables: %s", keel_strerror(err));
    /* The boot alias is gone: from now on the boot information is read through the direct map. */
    if ((err = mb2_parse(phys_to_virt(boot_info_phys), boot_info_size, &boot)))
        panic("boot: boot information changed under us: %s", keel_strerror(err));

    if (kstack_alloc(BOOT_STACK_PAGES, &boot_stack))
        panic("boot: no memory for the kernel stack");
    setup_ist_stacks();
    boot_phase("memory");
    arch_switch_stack(boot_stack.top, kmain_on_kernel_stack);
}

static void log_boot_info(void)
{
    struct memory_stats ms;
    memory_stats(&ms);
    log_info("boot: loader '%.*s', command line '%s'", (int)boot.bootloader_len,
             boot.bootloader ? boot.bootloader : "?", cmdline);
    for (size_t i = 0; i < boot.mmap_count; i++) {
        struct mb2_mmap_entry e;
        if (mb2_mmap_entry(&boot, i, &e) == 0)
            log_debug("memory: [0x%012llx-0x%012llx) %s", (unsigned long long)e.base,
                      (unsigned long long)(e.base + e.length), mb2_mmap_type_name(e.type));
    }
    log_info("memory: %llu MiB usable, %llu MiB free, highest RAM 0x%llx",
             (unsigned long long)(ms.usable_bytes >> 20), (unsigned long long)(ms.free_bytes >> 20),
             (unsigned long long)ms.highest_phys);
    for (size_t i = 0; i < boot.module_count; i++) {
        const struct mb2_module *m = &boot.modules[i];
        log_debug("module %zu: %s (%llu bytes at 0x%llx)", i,
                  m->cmdline_len ? m->cmdline : "(unnamed)",
                  (unsigned long long)(m->end - m->start), (unsigned long long)m->start);
    }
    if (boot.modules_dropped)
        log_warn("boot: %zu modules beyond the first %d ignored", boot.modules_dropped,
                 MB2_MAX_MODULES);
    if (boot.fb.present)
        log_info("framebuffer: type %u, %ux%u, %u bpp at 0x%llx", boot.fb.type, boot.fb.width,
                 boot.fb.height, boot.fb.bpp, (unsigned long long)boot.fb.addr);
}

static _Noreturn void kmain_on_kernel_stack(void)
{
    attach_vga();
    int err = kmalloc_init();
    if (err)
        panic("boot: heap: %s", keel_strerror(err));
    if ((err = tasking_init(&boot_stack)))
        panic("boot: cannot start tasking: %s", keel_strerror(err));
    boot_phase("heap+tasks");
    if ((err = clock_init()))
        log_err("clock: TSC calibration failed (%s); timestamps will read 0", keel_strerror(err));
    boot_phase("clock");
    uint64_t hz = 100;
    if (cmdline_get_u64(cmdline, "hz", &hz) == KE_INVAL)
        log_warn("boot: hz must be a number; using 100");
    if ((err = apic_timer_init((unsigned)hz)))
        log_err("apic: timer not started: %s", keel_strerror(err));
    sti();
    boot_phase("apic");
    acpi_init(boot.rsdp, (uint32_t)boot.rsdp_len);
    boot_phase("acpi");
    start_cpus();
    boot_phase("smp");
    log_boot_info();
    boot_phase("bootlog");
    if ((err = cells_init()))
        log_err("cells: no loader: %s", keel_strerror(err));
    else
        cells_load_boot();
    boot_phase("cells");
    if ((err = reclaim_start()))
        log_err("reclaim: no background reclaimer (%s); retired versions are freed on demand",
                keel_strerror(err));
    if ((err = recovery_start()))
        log_err("recovery: no recovery task (%s): faulted restartable tasks just restart",
                keel_strerror(err));

    boot_phase("services");
    boot_phases_log();

    struct memory_stats ms;
    memory_stats(&ms);
    uint64_t ready_ns = clock_ns();
    kprintf("keel: ready in %llu us: %llu MiB free of %llu MiB, %zu modules, tsc %llu MHz, "
            "timer %u Hz, %u kernel symbols, %u CPU%s\n",
            (unsigned long long)(ready_ns / 1000), (unsigned long long)(ms.free_bytes >> 20),
            (unsigned long long)(ms.usable_bytes >> 20), boot.module_count,
            (unsigned long long)(clock_tsc_hz() / 1000000), timer_hz(), ksym_count(), cpu_count(),
            cpu_count() == 1 ? "" : "s");

    boot_signal_ready();

    char what[32];
    if (cmdline_get(cmdline, "selftest", what, sizeof(what)) >= 0)
        selftest_run(what);
    if (cmdline_get(cmdline, "bench", what, sizeof(what)) >= 0) {
        uint64_t rounds = 100;
        if (strcmp(what, "loader") != 0)
            log_warn("boot: unknown benchmark '%s' (known: loader)", what);
        else if (cmdline_get_u64(cmdline, "bench.rounds", &rounds) == KE_INVAL)
            log_warn("boot: bench.rounds must be a number");
        else
            cells_bench((unsigned)(rounds > 256 ? 0 : rounds));
    }
    if (cmdline_get(cmdline, "after-ready", what, sizeof(what)) >= 0) {
        if (strcmp(what, "exit") == 0) {
            kprintf("keel: exiting QEMU (after-ready=exit)\n");
            qemu_exit(QEMU_EXIT_SUCCESS);
        } else if (strcmp(what, "poweroff") == 0) {
            kprintf("keel: powering off\n");
            err = acpi_poweroff();
            log_err("acpi: power-off failed: %s", keel_strerror(err));
        } else if (strcmp(what, "idle") != 0) {
            log_warn("boot: after-ready must be idle, exit or poweroff (got '%s')", what);
        }
    }
    /* The boot task's work is done; the idle task (and whatever the cells started) carry on. */
    task_exit(0);
}
