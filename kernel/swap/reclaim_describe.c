/* Naming where the reclaimer found a reference (reclaim_internal.h): what `cells` and
 * `reclaim` show as "kept by ...". */
#include <keel/format.h>
#include <keel/panic.h>
#include "arch/trap.h"
#include "swap/reclaim_internal.h"

static const char *const frame_regs[] = {
    "r15", "r14", "r13", "r12", "r11",    "r10",   "r9",  "r8", "rbp",    "rdi", "rsi",
    "rdx", "rcx", "rbx", "rax", "vector", "error", "rip", "cs", "rflags", "rsp", "ss",
};

static void owner_text(owner_t o, char *buf, size_t n)
{
    if (o == OWNER_CORE)
        ksnprintf(buf, n, "core");
    else if (o & 0x40000000u)
        ksnprintf(buf, n, "task %u", o & 0x3fffffffu);
    else
        ksnprintf(buf, n, "owner 0x%x", o);
}

void keeper_describe(const struct pass *p, const struct keeper *k, char *buf, size_t n)
{
    char w[64];
    switch (k->kind) {
    case IN_CORE:
        if (addr_describe(k->at, w, sizeof(w)) == 0)
            ksnprintf(buf, n, "core data <%s>", w);
        else
            ksnprintf(buf, n, "core data 0x%llx", (unsigned long long)k->at);
        break;
    case IN_CELL: {
        const struct loaded_cell *c;
        const char *sym;
        uint64_t off;
        struct loader_cell_info ci;
        if (loader_addr_lookup(p->ld, k->at, &c, &sym, &off) != 0) {
            ksnprintf(buf, n, "cell data 0x%llx", (unsigned long long)k->at);
            break;
        }
        loader_cell_info(c, &ci);
        if (sym)
            ksnprintf(buf, n, "cell %.31s data <%.40s+0x%llx>", ci.name, sym,
                      (unsigned long long)off);
        else
            ksnprintf(buf, n, "cell %.31s data+0x%llx", ci.name,
                      (unsigned long long)(k->at - ci.base[CELL_REGION_DATA]));
        break;
    }
    case IN_STACK:
        if (k->reg >= 0 && (size_t)k->reg < sizeof(frame_regs) / sizeof(frame_regs[0]))
            ksnprintf(buf, n, "task %llu '%s' register %s (preempted)", (unsigned long long)k->task,
                      k->task_name, frame_regs[k->reg]);
        else
            ksnprintf(buf, n, "task %llu '%s' stack rsp+0x%llx", (unsigned long long)k->task,
                      k->task_name, (unsigned long long)(k->at - k->base));
        break;
    case IN_RETIRED:
    case IN_EDGE: {
        struct loader_cell_info ci;
        loader_cell_info(k->cell, &ci);
        if (k->kind == IN_EDGE)
            ksnprintf(buf, n, "retired %.31s %u, linked against it", ci.name, ci.version);
        else
            ksnprintf(
                buf, n, "retired %.31s %u, its %s+0x%llx", ci.name, ci.version,
                k->at - ci.base[CELL_REGION_DATA] < ci.size[CELL_REGION_DATA] ? "data" : "rodata",
                (unsigned long long)(k->at -
                                     (k->at - ci.base[CELL_REGION_DATA] < ci.size[CELL_REGION_DATA]
                                          ? ci.base[CELL_REGION_DATA]
                                          : ci.base[CELL_REGION_RODATA])));
        break;
    }
    case IN_HEAP:
        owner_text(k->owner, w, sizeof(w));
        ksnprintf(buf, n, "heap block 0x%llx+0x%llx (%s)", (unsigned long long)k->base,
                  (unsigned long long)(k->at - k->base), w);
        break;
    }
}
