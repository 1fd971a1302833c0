/* The words and numbers of a swap report, shared by the shell's `swap` and `keelctl swap` (which
 * compiles this file natively), so that both say the same thing in the same units: sizes in
 * bytes, times in microseconds with one decimal in text and whole nanoseconds in JSON. The
 * vocabulary is defined in docs/design.md ("Words"). */
#include <keel/format.h>
#include <keel/reclaim.h>
#include <keel/string.h>
#include <keel/swap.h>

static const char *const step_names[SWAP_STEP_COUNT] = {
    "none", "link", "check", "quiesce", "transfer", "rewrite", "commit", "retire",
};

const char *swap_step_name(enum swap_step step)
{
    return (unsigned)step < SWAP_STEP_COUNT ? step_names[step] : "?";
}

enum swap_step swap_step_by_name(const char *name)
{
    for (unsigned s = SWAP_STEP_LINK; s < SWAP_STEP_COUNT; s++)
        if (strcmp(name, step_names[s]) == 0)
            return (enum swap_step)s;
    return SWAP_STEP_NONE;
}

/* ns as microseconds with one decimal ("45.2"), truncated as the TSC reading was. */
static void emit_us(format_emit_fn emit, void *ctx, uint64_t ns)
{
    kformat(emit, ctx, "%llu.%llu", (unsigned long long)(ns / 1000),
            (unsigned long long)(ns % 1000 / 100));
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

void swap_report_text(const struct swap_report *r, enum swap_outcome how, format_emit_fn emit,
                      void *ctx)
{
    static const char *const verb[] = {"swapped", "would swap", "not swapped"};
    for (size_t k = 0; k < r->n && k < SWAP_MAX_CELLS; k++) {
        const struct swap_cell_report *c = &r->cells[k];
        kformat(emit, ctx,
                "%s %.*s: version %u -> %u, state %s (%llu bytes), %zu variable%s carried "
                "(%llu bytes)\n",
                verb[how], (int)sizeof(c->name), c->name, c->old_version, c->new_version,
                c->state ? c->state : "none", (unsigned long long)c->state_bytes,
                c->variables_carried, plural(c->variables_carried),
                (unsigned long long)c->variable_bytes);
    }
    if (how == SWAP_REFUSED) {
        if (r->failed_at != SWAP_STEP_NONE)
            kformat(emit, ctx, "swap: stopped at step '%s'; nothing was swapped\n",
                    swap_step_name(r->failed_at));
        return;
    }
    if (how == SWAP_PLANNED) {
        kformat(emit, ctx, "  %zu site%s to rewire, %zu relocation%s in the new version%s\n",
                r->sites_rewired, plural(r->sites_rewired), r->relocations, plural(r->relocations),
                plural(r->n));
        kformat(emit, ctx, "  planned in ");
        emit_us(emit, ctx, r->link_ns + r->check_ns);
        kformat(emit, ctx, " us = link ");
        emit_us(emit, ctx, r->link_ns);
        kformat(emit, ctx, " + check ");
        emit_us(emit, ctx, r->check_ns);
        kformat(emit, ctx, "; dry run: nothing changed\n");
        return;
    }
    kformat(emit, ctx,
            "  %zu site%s rewired, %zu service task%s re-spawned, %u quiescence check%s\n",
            r->sites_rewired, plural(r->sites_rewired), r->tasks_respawned,
            plural(r->tasks_respawned), r->quiescence_checks, plural(r->quiescence_checks));
    if (r->sites_gated || r->barriers)
        kformat(emit, ctx,
                "  pending: %zu call site%s gated, %u return barrier%s, %u task%s held at most\n",
                r->sites_gated, plural(r->sites_gated), r->barriers, plural(r->barriers), r->held,
                plural(r->held));
    const uint64_t steps[] = {r->link_ns,    r->check_ns,  r->quiesce_ns, r->transfer_ns,
                              r->rewrite_ns, r->commit_ns, r->retire_ns};
    kformat(emit, ctx, "  total ");
    emit_us(emit, ctx, r->total_ns);
    kformat(emit, ctx, " us =");
    for (int s = 0; s < (int)(sizeof(steps) / sizeof(steps[0])); s++) {
        kformat(emit, ctx, "%s %s ", s ? " +" : "", swap_step_name((enum swap_step)(s + 1)));
        emit_us(emit, ctx, steps[s]);
    }
    kformat(emit, ctx, "; stop-the-world ");
    emit_us(emit, ctx, r->stw_ns);
    kformat(emit, ctx, " us\n");
    if (r->first_since_boot)
        kformat(emit, ctx,
                "  (the first swap since boot: it also paid for code running for the first time, "
                "which QEMU translates once, and for page tables of the cell area; repeated swaps "
                "are many times faster: swap -r 100 or tools/keel bench swap measures them)\n");
    if (r->reclaim_ns) { /* a scan freed retired versions first (keel/reclaim.h) */
        kformat(emit, ctx, "  before it: a scan of ");
        emit_us(emit, ctx, r->reclaim_ns);
        kformat(emit, ctx, " us for retired versions (%u or more were waiting)\n", RECLAIM_CROWDED);
    }
}

void swap_report_json(const struct swap_report *r, format_emit_fn emit, void *ctx)
{
    kformat(emit, ctx, "\"cells\": [");
    for (size_t k = 0; k < r->n && k < SWAP_MAX_CELLS; k++) {
        const struct swap_cell_report *c = &r->cells[k];
        /* Cell names and state kinds are [A-Za-z0-9_] (the loader checks): no escaping. */
        kformat(emit, ctx,
                "%s{\"name\": \"%.*s\", \"old_version\": %u, \"new_version\": %u, \"state\": "
                "\"%s\", \"state_bytes\": %llu, \"variables_carried\": %zu, \"variable_bytes\": "
                "%llu}",
                k ? ", " : "", (int)sizeof(c->name), c->name, c->old_version, c->new_version,
                c->state ? c->state : "none", (unsigned long long)c->state_bytes,
                c->variables_carried, (unsigned long long)c->variable_bytes);
    }
    const uint64_t t[] = {r->link_ns,    r->check_ns,  r->quiesce_ns, r->transfer_ns,
                          r->rewrite_ns, r->commit_ns, r->retire_ns};
    kformat(emit, ctx, "]");
    for (int s = 0; s < (int)(sizeof(t) / sizeof(t[0])); s++)
        kformat(emit, ctx, ", \"%s_ns\": %llu", swap_step_name((enum swap_step)(s + 1)),
                (unsigned long long)t[s]);
    kformat(emit, ctx,
            ", \"total_ns\": %llu, \"stw_ns\": %llu, \"reclaim_ns\": %llu, \"quiescence_checks\": "
            "%u, \"sites_rewired\": %zu, \"relocations\": %zu, \"tasks_respawned\": %zu, "
            "\"sites_gated\": %zu, \"barriers\": %u, \"held\": %u, "
            "\"failed_at\": \"%s\", \"first_since_boot\": %s",
            (unsigned long long)r->total_ns, (unsigned long long)r->stw_ns,
            (unsigned long long)r->reclaim_ns, r->quiescence_checks, r->sites_rewired,
            r->relocations, r->tasks_respawned, r->sites_gated, r->barriers, r->held,
            r->failed_at ? swap_step_name(r->failed_at) : "",
            r->first_since_boot ? "true" : "false");
}
