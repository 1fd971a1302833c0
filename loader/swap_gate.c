/* A pending swap's gate (keel/loader.h: loader_swap_gate): the call sites other cells have into
 * an old version are pointed at stubs the kernel provides, which hold a caller until the swap is
 * decided and then continue into the new version (or the old one, if the swap was given up).
 * Only direct calls and jumps are gated: their field is a rel32 right after an e8 or e9 opcode,
 * and its target is the start of a function. An address taken (lea) or a pointer in data is not
 * a call: a task that enters the old code through it is caught on its way out instead. */
#include <keel/string.h>
#include "swap_internal.h"

enum { OP_CALL = 0xe8, OP_JMP = 0xe9 };

static int patch32(struct loader_swap *sw, uint64_t addr, uint32_t v)
{
    const struct loader_platform *pf = &sw->ld->pf;
    if (pf->patch)
        return pf->patch(pf->ctx, (void *)(uintptr_t)addr, &v, 4);
    memcpy((void *)(uintptr_t)addr, &v, 4);
    return 0;
}

/* Where a rel32 at site (ending at site + 4) goes. */
static uint64_t rel32_target(uint64_t site, uint32_t field)
{
    return site + 4 + (uint64_t)(int64_t)(int32_t)field;
}

static bool rel32_reaches(uint64_t site, uint64_t to, uint32_t *field)
{
    int64_t d = (int64_t)(to - (site + 4));
    if (d < INT32_MIN || d > INT32_MAX)
        return false;
    *field = (uint32_t)(int32_t)d;
    return true;
}

size_t loader_swap_gate(struct loader_swap *sw,
                        uint64_t (*stub)(void *ctx, uint64_t old_target, uint64_t new_target),
                        void *ctx)
{
    if (!sw || !sw->checked || sw->committed || sw->rewritten || sw->gated)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < sw->nsites; i++) {
        struct swap_site *s = &sw->sites[i];
        const struct ledge *e = s->edge;
        s->gated = false;
        if (e->site_writable || s->width != 4)
            continue;
        uint64_t site = e->site_addr;
        uint8_t op = *(const uint8_t *)(uintptr_t)(site - 1);
        if (op != OP_CALL && op != OP_JMP)
            continue;
        uint32_t cur, via;
        memcpy(&cur, (const void *)(uintptr_t)site, 4);
        uint64_t old_target = rel32_target(site, cur);
        uint64_t new_target = rel32_target(site, (uint32_t)s->fresh);
        if (!loader_swap_in_old(sw, old_target))
            continue;
        uint64_t to = stub(ctx, old_target, new_target);
        if (!to || !rel32_reaches(site, to, &via) || patch32(sw, site, via))
            continue;
        s->gate_saved = cur;
        s->gated = true;
        n++;
    }
    sw->gated = n;
    return n;
}

void loader_swap_ungate(struct loader_swap *sw)
{
    if (!sw || !sw->gated)
        return;
    for (size_t i = 0; i < sw->nsites; i++) {
        struct swap_site *s = &sw->sites[i];
        if (s->gated)
            (void)patch32(sw, s->edge->site_addr, s->gate_saved);
        s->gated = false;
    }
    sw->gated = 0;
}
