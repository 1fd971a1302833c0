/* Starting the application processors: find them in the ACPI MADT, then for each one in turn
 * allocate what it needs (per-CPU data, GDT/TSS, an idle stack and three interrupt stacks),
 * fill the trampoline's parameters and wake it with INIT, STARTUP, STARTUP (the MP
 * specification's sequence). Each CPU says it is up by setting its own `online`; one that does
 * not within the deadline ends the bring-up there, with everything it was given left in place
 * (it might still wake up and use it). See docs/smp.md. */
#include <keel/clock.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/kmalloc.h>
#include <keel/log.h>
#include <keel/mb2.h>
#include <keel/memory.h>
#include <keel/paging.h>
#include <keel/string.h>
#include <keel/core/cpu_local.h>
#include <keel/core/tasking.h>
#include <keel/core/x86.h>
#include "arch/acpi.h"
#include "arch/apic.h"
#include "arch/cpu.h"
#include "arch/gdt.h"
#include "arch/madt.h"
#include "arch/smp.h"
#include "arch/trap.h"

#define AP_TRAMP_PHYS  0x8000ull /* must match ap_boot.S */
#define AP_STACK_PAGES 4
#define AP_ONLINE_NS   (100ull * 1000 * 1000) /* from the first STARTUP to `online` */
#define AP_RESEND_NS   (200ull * 1000)        /* before the second STARTUP */
#define INIT_SETTLE_NS (10ull * 1000 * 1000)  /* after INIT, on hardware */
#define PTE_P          (1ull << 0)
#define PTE_W          (1ull << 1)
#define PTE_PS         (1ull << 7)
#define EFER_LME       (1u << 8)

struct ap_tramp_params {
    uint64_t tramp_cr3, kernel_cr3, stack_top, entry, cpu;
    uint32_t efer_bits, pad;
};

extern const char ap_tramp_start[], ap_tramp_end[], ap_tramp_params[];
void ap_entry64(void);
_Noreturn void ap_main(struct cpu_local *c);

/* The AP's side, on its own stack and the kernel's page tables. */
_Noreturn void ap_main(struct cpu_local *c)
{
    cpu_local_activate(c);
    gdt_cpu_load(c->arch);
    idt_load();
    apic_ap_init();
    c->apic_id = apic_self_id();
    atomic_store_u32(&c->online, 1, MO_RELEASE);
    /* Its start-up context becomes its idle task, and it schedules from now on. */
    tasking_cpu_enter(c->idle_task);
    /* Idle: wait for interrupts (sti takes effect after hlt starts, so none is missed). */
    for (;;)
        __asm__ volatile("sti; hlt" ::: "memory");
}

static bool tramp_page_is_ram(const struct mb2_info *boot)
{
    for (size_t i = 0; i < boot->mmap_count; i++) {
        struct mb2_mmap_entry m;
        if (mb2_mmap_entry(boot, i, &m) == 0 && m.type == MB2_MMAP_AVAILABLE &&
            m.base <= AP_TRAMP_PHYS && m.base + m.length >= AP_TRAMP_PHYS + PAGE_SIZE)
            return true;
    }
    return false;
}

/* Page tables for the switch: the kernel's upper half (its PML4 entries, shared) and the first
 * 2 MiB identity-mapped, in three frames below 4 GiB (real mode loads a 32-bit CR3). */
struct tramp_tables {
    uint64_t pml4, pdpt, pd;
};

static void free_tables(struct tramp_tables *t)
{
    uint64_t *pa[] = {&t->pml4, &t->pdpt, &t->pd};
    for (unsigned i = 0; i < 3; i++)
        if (*pa[i])
            frame_free(*pa[i], 1);
}

static int build_tables(struct tramp_tables *t)
{
    memset(t, 0, sizeof(*t));
    uint64_t *pa[] = {&t->pml4, &t->pdpt, &t->pd};
    for (unsigned i = 0; i < 3; i++) {
        if (frame_alloc(1, 1, pa[i])) {
            *pa[i] = 0;
            free_tables(t);
            return KE_NOMEM;
        }
        if (*pa[i] + PAGE_SIZE > (1ull << 32)) {
            free_tables(t); /* this one too: it is in *pa[i] */
            return KE_NOMEM;
        }
        memset(phys_to_virt(*pa[i]), 0, PAGE_SIZE);
    }
    uint64_t *pml4 = phys_to_virt(t->pml4), *pdpt = phys_to_virt(t->pdpt);
    uint64_t *pd = phys_to_virt(t->pd), *kernel = phys_to_virt(paging_root());
    for (unsigned i = 256; i < 512; i++)
        pml4[i] = kernel[i];
    pml4[0] = t->pdpt | PTE_P | PTE_W;
    pdpt[0] = t->pd | PTE_P | PTE_W;
    pd[0] = 0 | PTE_P | PTE_W | PTE_PS;
    return 0;
}

/* Everything one AP needs, allocated up front (nothing is half-made if an allocation fails). */
static struct cpu_local *new_cpu(unsigned index)
{
    struct cpu_local *c = kmalloc_aligned(sizeof(*c), 64);
    struct cpu_arch *a = kmalloc_aligned(gdt_cpu_arch_size(), 16);
    struct kstack stacks[4]; /* idle, then the three interrupt stacks */
    unsigned made = 0;
    if (c && a)
        for (; made < 4; made++)
            if (kstack_alloc(made ? IST_STACK_PAGES : AP_STACK_PAGES, &stacks[made]))
                break;
    if (made < 4) {
        while (made)
            kstack_free(&stacks[--made]);
        kfree(a);
        kfree(c);
        return 0;
    }
    memset(c, 0, sizeof(*c));
    c->self = c;
    c->index = index;
    c->stack = stacks[0];
    gdt_cpu_prepare(a);
    gdt_set_ist(a, IST_DOUBLE_FAULT, stacks[1].top);
    gdt_set_ist(a, IST_NMI, stacks[2].top);
    gdt_set_ist(a, IST_MACHINE_CHECK, stacks[3].top);
    c->arch = a;
    if (tasking_cpu_prepare(index, &c->stack, &c->idle_task)) {
        for (unsigned i = 0; i < 4; i++)
            kstack_free(&stacks[i]);
        kfree(a);
        kfree(c);
        return 0;
    }
    return c;
}

static bool wait_online(struct cpu_local *c, uint64_t ns)
{
    uint64_t start = clock_ns();
    while (!atomic_load_u32(&c->online, MO_ACQUIRE)) {
        if (clock_ns() - start >= ns)
            return false;
        cpu_relax();
    }
    return true;
}

static bool under_hypervisor(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    return (r[2] >> 31) & 1;
}

/* INIT, STARTUP, and a second STARTUP if it has not answered yet. */
static bool wake(struct cpu_local *c, uint32_t apic_id, bool settle)
{
    if (!apic_send_init(apic_id))
        return false;
    if (settle)
        clock_delay_ns(INIT_SETTLE_NS);
    if (!apic_send_startup(apic_id, (uint8_t)(AP_TRAMP_PHYS >> 12)))
        return false;
    if (wait_online(c, AP_RESEND_NS))
        return true;
    if (!apic_send_startup(apic_id, (uint8_t)(AP_TRAMP_PHYS >> 12)))
        return false;
    return wait_online(c, AP_ONLINE_NS);
}

unsigned smp_start(const struct mb2_info *boot, unsigned limit)
{
    int err = cpu_call_init();
    if (!err)
        err = world_init();
    if (err) {
        log_err("smp: no IPI vectors (%s); running on one CPU", keel_strerror(err));
        return 1;
    }
    if (!apic_present()) {
        log_warn("smp: no local APIC; running on one CPU");
        return 1;
    }
    size_t len = 0;
    const void *table = acpi_table("APIC", &len);
    if (!table) {
        log_info("smp: no MADT; running on one CPU");
        return 1;
    }
    static struct madt_info madt; /* large: not on the boot stack */
    char why[96];
    err = madt_parse(table, len, &madt, why, sizeof(why));
    if (err) {
        log_warn("smp: MADT refused (%s); running on one CPU", why);
        return 1;
    }
    uint32_t self = apic_self_id();
    cpu_local()->apic_id = self;
    unsigned want = madt.ncpus < CPU_MAX ? madt.ncpus : CPU_MAX;
    if (limit && limit < want)
        want = limit;
    if (want <= 1)
        return 1;
    if (!tramp_page_is_ram(boot)) {
        log_warn("smp: physical page 0x%llx is not free RAM; running on one CPU",
                 (unsigned long long)AP_TRAMP_PHYS);
        return 1;
    }
    struct tramp_tables tables;
    if (build_tables(&tables)) {
        log_warn("smp: no memory below 4 GiB for the start-up page tables; one CPU");
        return 1;
    }
    size_t tramp_size = (size_t)(ap_tramp_end - ap_tramp_start);
    uint8_t *tramp = phys_to_virt(AP_TRAMP_PHYS);
    memcpy(tramp, ap_tramp_start, tramp_size);
    struct ap_tramp_params *p = (void *)(tramp + (ap_tramp_params - ap_tramp_start));
    p->tramp_cr3 = tables.pml4;
    p->kernel_cr3 = paging_root();
    p->entry = (uint64_t)(uintptr_t)ap_entry64;
    p->efer_bits = EFER_LME | ((rdmsr(MSR_EFER) & EFER_NXE) ? EFER_NXE : 0);
    bool settle = !under_hypervisor();

    unsigned online = 1;
    bool stuck = false;
    for (unsigned i = 0; i < madt.ncpus && online < want; i++) {
        uint32_t id = madt.cpus[i].apic_id;
        if (id == self || !madt.cpus[i].enabled)
            continue; /* online-capable but not enabled: hot-plug, which Keel does not do */
        if (id > 0xff) {
            log_warn("smp: CPU with x2APIC id %u skipped (xAPIC mode reaches ids up to 255)", id);
            continue;
        }
        struct cpu_local *c = new_cpu(online);
        if (!c) {
            log_warn("smp: no memory for CPU %u; %u CPUs online", online, online);
            break;
        }
        p->cpu = (uint64_t)(uintptr_t)c;
        p->stack_top = c->stack.top;
        atomic_fence(MO_SEQ_CST);
        if (!wake(c, id, settle)) {
            /* It may still wake up later and use what it was given: leave it all in place. */
            log_err("smp: CPU with APIC id %u did not start; %u CPUs online", id, online);
            stuck = true;
            break;
        }
        cpu_add(c);
        online++;
    }
    if (!stuck)
        free_tables(&tables);
    return online;
}
