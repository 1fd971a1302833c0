/* The core export table: the .kexports entries placed by KEEL_EXPORT_FUNC/DATA next to the
 * definitions they export. Cells may link against these and nothing else of the core.
 * Lookups go through a hash index built on first use (static storage: nothing to allocate). */
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/loader.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/swap.h>

/* Freestanding library code shared with host builds is exported here rather than beside its
 * definition, so the host builds carry no export table. */
KEEL_EXPORT_FUNC(ksnprintf);
KEEL_EXPORT_FUNC(kvsnprintf);
KEEL_EXPORT_FUNC(keel_strerror);
KEEL_EXPORT_FUNC(keel_errname);
KEEL_EXPORT_FUNC(format_size);
KEEL_EXPORT_FUNC(kformat);
KEEL_EXPORT_FUNC(kvformat);
/* The words of a swap report and of a pending swap's status (kernel/swap/report_text.c and
 * status_text.c, also compiled into keelctl). */
KEEL_EXPORT_FUNC(swap_step_name);
KEEL_EXPORT_FUNC(swap_step_by_name);
KEEL_EXPORT_FUNC(swap_report_text);
KEEL_EXPORT_FUNC(swap_report_json);
KEEL_EXPORT_FUNC(swap_status_text);
KEEL_EXPORT_FUNC(swap_status_totals_text);
KEEL_EXPORT_FUNC(swap_status_json);
/* The loader's queries, for cells that inspect cells (take cells_lock() around them). */
KEEL_EXPORT_FUNC(loader_find);
KEEL_EXPORT_FUNC(loader_cell_count);
KEEL_EXPORT_FUNC(loader_retired_count);
KEEL_EXPORT_FUNC(loader_retired_at);
KEEL_EXPORT_FUNC(loader_cell_at);
KEEL_EXPORT_FUNC(loader_cell_info);
KEEL_EXPORT_FUNC(loader_cell_pins);
KEEL_EXPORT_FUNC(loader_for_each_edge);
KEEL_EXPORT_FUNC(loader_addr_lookup);
KEEL_EXPORT_FUNC(loader_symbol_lookup);
KEEL_EXPORT_FUNC(loader_last_stats);
KEEL_EXPORT_FUNC(loader_reloc_name);

extern const struct kexport __kexports_start[], __kexports_end[];

#define INDEX_SLOTS 1024                 /* a power of two, at least twice the number of exports */
static uint16_t index_slot[INDEX_SLOTS]; /* entry + 1; 0 = empty */
static int index_state;                  /* 0 not built, 1 built, -1 too many exports: linear */
static struct spinlock index_lock = SPINLOCK_INIT;

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

static void build_index(void)
{
    unsigned n = (unsigned)(__kexports_end - __kexports_start);
    if (2 * n > INDEX_SLOTS) {
        index_state = -1;
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        uint32_t s = name_hash(__kexports_start[i].name) & (INDEX_SLOTS - 1);
        while (index_slot[s])
            s = (s + 1) & (INDEX_SLOTS - 1);
        index_slot[s] = (uint16_t)(i + 1);
    }
    index_state = 1;
}

const struct kexport *kexport_table(unsigned *count)
{
    *count = (unsigned)(__kexports_end - __kexports_start);
    return __kexports_start;
}

int kexport_find(const char *name, const struct kexport **out)
{
    if (!index_state) {
        int irq = spin_lock(&index_lock);
        if (!index_state)
            build_index();
        spin_unlock(&index_lock, irq);
    }
    if (index_state > 0) {
        for (uint32_t s = name_hash(name) & (INDEX_SLOTS - 1); index_slot[s];
             s = (s + 1) & (INDEX_SLOTS - 1)) {
            const struct kexport *e = &__kexports_start[index_slot[s] - 1];
            if (strcmp(e->name, name) == 0) {
                *out = e;
                return 0;
            }
        }
        return KE_NOENT;
    }
    for (const struct kexport *e = __kexports_start; e < __kexports_end; e++) {
        if (strcmp(e->name, name) == 0) {
            *out = e;
            return 0;
        }
    }
    return KE_NOENT;
}
KEEL_EXPORT_FUNC(kexport_find); /* lets the shell's sym tell exported core symbols apart */
