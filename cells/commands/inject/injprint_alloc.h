/* How an allocation fault is shown (`inject alloc`, its status and restore; docs/fault-
 * injection.md, "Allocation failure"), by the shell's inject and by `keelctl inject` in the same
 * words. Header-only, static functions (see injprint.h). */
#ifndef CMD_INJECT_INJPRINT_ALLOC_H
#define CMD_INJECT_INJPRINT_ALLOC_H
#include <keel/inject_alloc.h>
#include "commands/inject/injprint.h"

static inline void injprint_alloc_armed(const struct inject_alloc_record *r, injprint_out out,
                                        void *ctx)
{
    injprint_f(out, ctx, "inject: alloc in cell %s, allocation %u from now fails, seed %llu\n",
               r->spec.cell, r->spec.nth, (unsigned long long)r->spec.seed);
    injprint_f(out, ctx,
               "  counts allocations whose call chain returns into text 0x%016llx..0x%016llx\n",
               (unsigned long long)r->text_base, (unsigned long long)(r->text_base + r->text_size));
}

/* What the countdown saw and, once it fired, the allocation that failed. */
static inline void injprint_alloc_state(const struct inject_alloc_record *r, injprint_out out,
                                        void *ctx)
{
    injprint_f(out, ctx, "  %llu allocation%s by the cell seen\n", (unsigned long long)r->seen,
               r->seen == 1 ? "" : "s");
    if (r->activated)
        injprint_f(out, ctx,
                   "  activated at %llu ns by task %llu '%s': allocation failed, caller "
                   "0x%016llx <%s:%s+0x%llx>\n",
                   (unsigned long long)r->activated_ns, (unsigned long long)r->task, r->task_name,
                   (unsigned long long)r->caller, r->spec.cell,
                   r->caller_symbol[0] ? r->caller_symbol : "text",
                   (unsigned long long)r->caller_offset);
    else if (r->displaced)
        injprint_f(out, ctx,
                   "  not activated; the heap's failslab settings were replaced "
                   "meanwhile\n");
    else
        injprint_f(out, ctx, "  not activated (%u to go)\n", r->left);
}

static inline void injprint_alloc_restore(const struct inject_alloc_record *r, injprint_out out,
                                          void *ctx)
{
    injprint_f(out, ctx, "inject: disarmed the allocation fault in cell %s\n", r->spec.cell);
    injprint_alloc_state(r, out, ctx);
}

#endif
