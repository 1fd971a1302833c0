/* The kernel's own 4-level page tables. paging_init replaces GRUB-era boot tables with:
 *   - the kernel image at KERNEL_VMA in 4 KiB pages, text RX, rodata R, data/bss RW+NX (W^X);
 *   - a direct map of physical memory at PHYSMAP_BASE, 2 MiB pages, RW+NX;
 *   - nothing at all in the low half: the NULL page (and everything near it) faults.
 * Stacks, device registers and cells get page-granular windows in the top 2 GiB. */
#include <keel/noscan.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/mb2.h>
#include <keel/memory.h>
#include <keel/paging.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/vrange.h>
#include <keel/clock.h>
#include <keel/cpu.h>
#include <keel/core/cpu_local.h>
#include <keel/core/x86.h>

#define PTE_P            (1ull << 0)
#define PTE_W            (1ull << 1)
#define PTE_PWT          (1ull << 3)
#define PTE_PCD          (1ull << 4)
#define PTE_PS           (1ull << 7)
#define PTE_NX           (1ull << 63)
#define PTE_ADDR         0x000ffffffffff000ull
#define HUGE_2M          (2ull << 20)
#define BOOT_ALIAS_LIMIT (1ull << 30) /* the boot tables map the first GiB at KERNEL_VMA */

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __ksyms_start[], __kernel_end[];

static uint64_t pml4_phys;
/* Bumped by every unmapping or narrowing of a page, under paging_lock: each CPU flushes its TLB
 * when it sees a new value (struct cpu_local's tlb_seen). */
static atomic_u64 tlb_gen;
static bool paging_live; /* our tables are in CR3 and the direct map exists */
static bool nx_enabled;
static struct spinlock paging_lock = SPINLOCK_INIT;

static uint64_t stack_bits[VRANGE_WORDS(STACK_AREA_SIZE)] KEEL_NOSCAN;
static uint64_t mmio_bits[VRANGE_WORDS(MMIO_AREA_SIZE)] KEEL_NOSCAN;
static uint64_t cell_bits[VRANGE_WORDS(CELL_AREA_SIZE)] KEEL_NOSCAN;
/* Allocator state: its base and hint words are addresses inside the areas, not references. */
static struct vrange stack_area KEEL_NOSCAN, mmio_area KEEL_NOSCAN, cell_area KEEL_NOSCAN;
static struct spinlock area_lock = SPINLOCK_INIT;

static uint64_t *table_virt(uint64_t pa)
{
    return paging_live ? phys_to_virt(pa) : (uint64_t *)(uintptr_t)(KERNEL_VMA + pa);
}

static bool canonical(uint64_t va)
{
    uint64_t top = va >> 47;
    return top == 0 || top == 0x1ffff;
}

static int alloc_table(uint64_t *pa_out)
{
    uint64_t pa;
    if (frame_alloc(1, 1, &pa))
        return KE_NOMEM;
    if (!paging_live && pa + PAGE_SIZE > BOOT_ALIAS_LIMIT) {
        frame_free(pa, 1);
        return KE_NOMEM; /* not reachable through the boot alias yet */
    }
    memset(table_virt(pa), 0, PAGE_SIZE);
    *pa_out = pa;
    return 0;
}

static unsigned index_at(uint64_t va, int level)
{
    return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

/* The entry for va at `level` (1: 4 KiB PTE, 2: 2 MiB PDE), creating tables when asked. */
static int walk_create(uint64_t va, int level, bool create, uint64_t **entry_out)
{
    uint64_t *table = table_virt(pml4_phys);
    for (int l = 4; l > level; l--) {
        uint64_t *e = &table[index_at(va, l)];
        if (!(*e & PTE_P)) {
            uint64_t pa;
            if (!create)
                return KE_NOENT;
            int err = alloc_table(&pa);
            if (err)
                return err;
            *e = pa | PTE_P | PTE_W; /* permissions are decided at the leaf */
        } else if (*e & PTE_PS) {
            return KE_EXIST; /* a large page covers this address */
        }
        table = table_virt(*e & PTE_ADDR);
    }
    *entry_out = &table[index_at(va, level)];
    return 0;
}

/* The leaf entry mapping va, whatever its size; NULL if unmapped. */
static uint64_t *lookup(uint64_t va, uint64_t *page_size)
{
    uint64_t *table = table_virt(pml4_phys);
    for (int l = 4; l >= 1; l--) {
        uint64_t *e = &table[index_at(va, l)];
        if (!(*e & PTE_P))
            return 0;
        if (l == 1 || (*e & PTE_PS)) {
            *page_size = 1ull << (12 + 9 * (l - 1));
            return e;
        }
        table = table_virt(*e & PTE_ADDR);
    }
    return 0;
}

static uint64_t leaf_bits(unsigned flags)
{
    uint64_t b = PTE_P;
    if (flags & MAP_W)
        b |= PTE_W;
    if (!(flags & MAP_X) && nx_enabled)
        b |= PTE_NX;
    if (flags & MAP_UC)
        b |= PTE_PCD | PTE_PWT;
    return b;
}

static int check_args(uint64_t va, unsigned flags)
{
    if ((va & (PAGE_SIZE - 1)) || !canonical(va))
        return KE_INVAL;
    if ((flags & MAP_W) && (flags & MAP_X))
        return KE_PERM; /* W^X */
    if (flags & ~(MAP_W | MAP_X | MAP_UC))
        return KE_INVAL;
    return 0;
}

static int map_locked(uint64_t va, uint64_t pa, unsigned flags)
{
    uint64_t *e;
    int err = walk_create(va, 1, true, &e);
    if (err)
        return err;
    if (*e & PTE_P)
        return KE_EXIST;
    *e = (pa & PTE_ADDR) | leaf_bits(flags);
    /* This CPU may still hold a translation of va from before an unmapping it has not caught up
     * with (one done with interrupts off elsewhere, e.g. a dead task's stack freed by another
     * CPU's scheduler): writes through it would reach the old frame, not the new one. */
    invlpg(va);
    return 0;
}

int paging_map(uint64_t va, uint64_t pa, unsigned flags)
{
    int err = check_args(va, flags);
    if (err)
        return err;
    if (pa & (PAGE_SIZE - 1))
        return KE_INVAL;
    int irq = spin_lock(&paging_lock);
    err = map_locked(va, pa, flags);
    spin_unlock(&paging_lock, irq);
    return err;
}

void tlb_catch_up(void)
{
    struct cpu_local *c = cpu_local();
    uint64_t gen = atomic_load_u64(&tlb_gen, MO_ACQUIRE);
    if (atomic_load_u64(&c->tlb_seen, MO_RELAXED) != gen) {
        write_cr3(read_cr3()); /* no global pages: this flushes every translation */
        atomic_store_u64(&c->tlb_seen, gen, MO_RELEASE);
    }
}

/* The other CPUs may still hold the old translation. Called with interrupts on (no spinlock
 * held), it asks them to flush now and waits until each has (bounded: one with interrupts off
 * that long catches up at its next tick or switch, before it can run another task). With
 * interrupts off — a dead task's stack freed from the scheduler, where waiting could deadlock —
 * it leaves them to catch up at their next tick or switch: no task of theirs can reach the
 * stack of a task that is gone, a new task on that range runs only after a switch, the CPU
 * that maps the range again drops its own stale translation first (map_locked), and a CPU
 * that reads another task's stack does so under the scheduler lock, which catches up first. */
static void tlb_shootdown(void)
{
    unsigned n = cpu_count();
    tlb_catch_up();
    if (n < 2 || !(read_rflags() & (1u << 9)))
        return;
    uint64_t gen = atomic_load_u64(&tlb_gen, MO_ACQUIRE);
    unsigned self = cpu_self();
    for (unsigned i = 0; i < n; i++)
        if (i != self)
            cpu_send_sync_ipi(i);
    uint64_t start = clock_tsc(), limit = clock_tsc_hz() / 50; /* 20 ms */
    for (unsigned i = 0; i < n; i++) {
        struct cpu_local *c = cpu_local_of(i);
        while (i != self && c && atomic_load_u64(&c->tlb_seen, MO_ACQUIRE) < gen &&
               clock_tsc() - start < limit)
            cpu_relax();
    }
}

int paging_unmap(uint64_t va, uint64_t *pa_out)
{
    if ((va & (PAGE_SIZE - 1)) || !canonical(va))
        return KE_INVAL;
    int irq = spin_lock(&paging_lock);
    uint64_t size;
    uint64_t *e = lookup(va, &size);
    int err = KE_NOENT;
    if (e && size == PAGE_SIZE) {
        if (pa_out)
            *pa_out = *e & PTE_ADDR;
        *e = 0;
        invlpg(va);
        atomic_fetch_add_u64(&tlb_gen, 1, MO_RELEASE);
        err = 0;
    } else if (e) {
        err = KE_NOTSUP; /* large pages (the direct map) are never unmapped */
    }
    spin_unlock(&paging_lock, irq);
    if (!err)
        tlb_shootdown();
    return err;
}

int paging_protect(uint64_t va, unsigned flags)
{
    int err = check_args(va, flags);
    if (err)
        return err;
    int irq = spin_lock(&paging_lock);
    uint64_t size;
    uint64_t *e = lookup(va, &size);
    err = KE_NOENT;
    if (e && size == PAGE_SIZE) {
        *e = (*e & PTE_ADDR) | leaf_bits(flags);
        invlpg(va);
        atomic_fetch_add_u64(&tlb_gen, 1, MO_RELEASE);
        err = 0;
    } else if (e) {
        err = KE_NOTSUP;
    }
    spin_unlock(&paging_lock, irq);
    if (!err)
        tlb_shootdown();
    return err;
}

int paging_translate(uint64_t va, uint64_t *pa_out, unsigned *flags_out)
{
    if (!canonical(va))
        return KE_INVAL;
    uint64_t size;
    uint64_t *e = lookup(va, &size);
    if (!e)
        return KE_NOENT;
    uint64_t base = *e & PTE_ADDR & ~(size - 1);
    if (pa_out)
        *pa_out = base + (va & (size - 1));
    if (flags_out) {
        unsigned f = MAP_R;
        if (*e & PTE_W)
            f |= MAP_W;
        if (!(*e & PTE_NX))
            f |= MAP_X;
        if (*e & PTE_PCD)
            f |= MAP_UC;
        *flags_out = f;
    }
    return 0;
}

bool paging_range_mapped(uint64_t va, size_t len, bool need_write)
{
    if (len == 0)
        return true;
    if (va + len < va)
        return false;
    if (!paging_live) /* boot tables: trust only the kernel image */
        return va >= (uint64_t)(uintptr_t)__text_start &&
               va + len <= (uint64_t)(uintptr_t)__kernel_end;
    for (uint64_t p = va & ~(PAGE_SIZE - 1); p < va + len; p += PAGE_SIZE) {
        unsigned flags;
        if (!canonical(p) || paging_translate(p, 0, &flags))
            return false;
        if (need_write && !(flags & MAP_W))
            return false;
        if (p + PAGE_SIZE < p)
            break;
    }
    return true;
}

uint64_t virt_to_phys(const void *ptr)
{
    uint64_t va = (uint64_t)(uintptr_t)ptr, pa;
    if (va >= PHYSMAP_BASE && va < PHYSMAP_BASE + (1ull << 46))
        return va - PHYSMAP_BASE;
    if (va >= KERNEL_VMA && va < (uint64_t)(uintptr_t)__kernel_end)
        return va - KERNEL_VMA;
    return paging_translate(va, &pa, 0) ? ~0ull : pa;
}

static int map_image_range(const char *start, const char *end, unsigned flags)
{
    uint64_t s = (uint64_t)(uintptr_t)start & ~(PAGE_SIZE - 1);
    for (uint64_t va = s; va < (uint64_t)(uintptr_t)end; va += PAGE_SIZE) {
        int err = map_locked(va, va - KERNEL_VMA, flags);
        if (err)
            return err;
    }
    return 0;
}

static int map_direct_2m(uint64_t pa)
{
    uint64_t *e;
    int err = walk_create(PHYSMAP_BASE + pa, 2, true, &e);
    if (err)
        return err;
    if (!(*e & PTE_P))
        *e = pa | PTE_P | PTE_W | PTE_PS | (nx_enabled ? PTE_NX : 0);
    return 0;
}

uint64_t paging_root(void)
{
    return pml4_phys;
}

int paging_init(const struct mb2_info *boot, bool nx)
{
    nx_enabled = nx;
    int err = alloc_table(&pml4_phys);
    if (err)
        return err;
    if ((err = map_image_range(__text_start, __text_end, MAP_X)) ||
        (err = map_image_range(__rodata_start, __rodata_end, MAP_R)) ||
        (err = map_image_range(__data_start, __data_end, MAP_W)) ||
        (err = map_image_range(__ksyms_start, __kernel_end, MAP_R)))
        return err;
    /* Direct map: every 2 MiB chunk that any memory-map entry touches (RAM, ACPI, reserved). */
    for (size_t i = 0; i < boot->mmap_count; i++) {
        struct mb2_mmap_entry m;
        if (mb2_mmap_entry(boot, i, &m) || m.length == 0 || m.base >= (1ull << 46))
            continue;
        uint64_t end = m.base + m.length;
        if (end < m.base || end > (1ull << 46))
            end = 1ull << 46;
        for (uint64_t pa = m.base & ~(HUGE_2M - 1); pa < end; pa += HUGE_2M)
            if ((err = map_direct_2m(pa)))
                return err;
    }
    write_cr3(pml4_phys);
    paging_live = true;

    if ((err = vrange_init(&stack_area, STACK_AREA_BASE, STACK_AREA_SIZE, stack_bits,
                           sizeof(stack_bits) / 8)) ||
        (err = vrange_init(&mmio_area, MMIO_AREA_BASE, MMIO_AREA_SIZE, mmio_bits,
                           sizeof(mmio_bits) / 8)) ||
        (err = vrange_init(&cell_area, CELL_AREA_BASE, CELL_AREA_SIZE, cell_bits,
                           sizeof(cell_bits) / 8)))
        return err;
    return 0;
}

static int area_alloc(struct vrange *v, uint64_t size, uint64_t align, uint64_t *va)
{
    int irq = spin_lock(&area_lock);
    int err = vrange_alloc(v, size, align, va);
    spin_unlock(&area_lock, irq);
    return err == KE_NOSPC ? KE_NOMEM : err;
}

static void area_free(struct vrange *v, uint64_t va, uint64_t size)
{
    int irq = spin_lock(&area_lock);
    vrange_free(v, va, size);
    spin_unlock(&area_lock, irq);
}

/* Unmap [va, va+pages) and give back the frames that were mapped there. */
static void unmap_and_free(uint64_t va, size_t pages)
{
    for (size_t i = 0; i < pages; i++) {
        uint64_t pa;
        if (paging_unmap(va + i * PAGE_SIZE, &pa) == 0)
            frame_free(pa, 1);
    }
}

volatile void *mmio_map(uint64_t pa, size_t size)
{
    uint64_t off = pa & (PAGE_SIZE - 1), va;
    if (size == 0 || pa + size < pa)
        return 0;
    uint64_t bytes = (off + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (area_alloc(&mmio_area, bytes, PAGE_SIZE, &va))
        return 0;
    for (uint64_t i = 0; i < bytes; i += PAGE_SIZE) {
        if (paging_map(va + i, (pa - off) + i, MAP_W | MAP_UC)) {
            for (uint64_t j = 0; j < i; j += PAGE_SIZE)
                paging_unmap(va + j, 0);
            area_free(&mmio_area, va, bytes);
            return 0;
        }
    }
    return (volatile void *)(uintptr_t)(va + off);
}
KEEL_EXPORT_FUNC(mmio_map);

int kstack_alloc(size_t pages, struct kstack *out)
{
    uint64_t va;
    if (pages == 0 || pages > 1024)
        return KE_INVAL;
    uint64_t bytes = (pages + 1) * PAGE_SIZE;
    int err = area_alloc(&stack_area, bytes, PAGE_SIZE, &va);
    if (err)
        return err;
    for (size_t i = 1; i <= pages; i++) {
        uint64_t pa;
        err = frame_alloc(1, 1, &pa);
        if (!err) {
            memset(phys_to_virt(pa), 0, PAGE_SIZE);
            err = paging_map(va + i * PAGE_SIZE, pa, MAP_W);
            if (err)
                frame_free(pa, 1);
        }
        if (err) {
            unmap_and_free(va + PAGE_SIZE, i - 1);
            area_free(&stack_area, va, bytes);
            return err;
        }
    }
    out->guard = va;
    out->base = va + PAGE_SIZE;
    out->top = va + bytes;
    return 0;
}

void kstack_free(struct kstack *s)
{
    if (!s->guard)
        return;
    unmap_and_free(s->base, (s->top - s->base) / PAGE_SIZE);
    area_free(&stack_area, s->guard, s->top - s->guard);
    s->guard = s->base = s->top = 0;
}

bool kstack_is_guard(uint64_t va)
{
    /* Inside the stack area every unmapped page is either a guard or unused. */
    return paging_live && va >= STACK_AREA_BASE && va < STACK_AREA_BASE + STACK_AREA_SIZE &&
           paging_translate(va & ~(PAGE_SIZE - 1), 0, 0) == KE_NOENT;
}

int cell_area_reserve(uint64_t size, uint64_t align, uint64_t *va_out)
{
    if (size == 0 || !va_out)
        return KE_INVAL;
    return area_alloc(&cell_area, size, align < PAGE_SIZE ? PAGE_SIZE : align, va_out);
}

int cell_area_release(uint64_t va, uint64_t size)
{
    if (va < CELL_AREA_BASE || va - CELL_AREA_BASE >= CELL_AREA_SIZE)
        return KE_INVAL;
    int irq = spin_lock(&area_lock);
    int err = vrange_free(&cell_area, va, size);
    spin_unlock(&area_lock, irq);
    return err;
}
