/* The words of a pending swap's progress (docs/live-swap.md, "Pending swaps"), shared by the
 * shell's `swap` (the line it prints while its swap is pending, and `swap --status`) and
 * `keelctl query swap`, which compiles this file natively: times in milliseconds like the
 * deadline they count against, the time held at the gate in microseconds like a swap's steps. */
#include <keel/format.h>
#include <keel/swap.h>

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

void swap_status_text(const struct swap_status *st, format_emit_fn emit, void *ctx)
{
    if (!st->pending) {
        kformat(emit, ctx, "swap: no swap is pending\n");
        return;
    }
    kformat(emit, ctx,
            "swap: %.*s %u -> %u pending for %llu ms (gives up in %llu ms), %u check%s: %zu "
            "call site%s gated, %u return barrier%s not yet reached, %u task%s held\n",
            (int)sizeof(st->cell), st->cell, st->old_version, st->new_version,
            (unsigned long long)(st->pending_ns / 1000000),
            (unsigned long long)(st->deadline_ns / 1000000), st->checks, plural(st->checks),
            st->sites_gated, plural(st->sites_gated), st->barriers_left, plural(st->barriers_left),
            st->held, plural(st->held));
    if (st->inside[0])
        kformat(emit, ctx, "  inside at the last check: %.*s\n", (int)sizeof(st->inside),
                st->inside);
}

void swap_status_totals_text(const struct swap_status *st, format_emit_fn emit, void *ctx)
{
    kformat(emit, ctx, "swap: since boot %llu call%s held at a gate, %llu us there in all\n",
            (unsigned long long)st->gate_calls, plural(st->gate_calls),
            (unsigned long long)(st->gate_wait_ns / 1000));
}

/* The inside text names tasks as a refusal does ("task 7 'busyhold' (running) is inside ...
 * <busy:busy_hold+0x1c>"): quotes and backslashes are escaped, control characters dropped. */
static void json_text(format_emit_fn emit, void *ctx, const char *s, size_t max)
{
    kformat(emit, ctx, "\"");
    for (size_t i = 0; i < max && s[i]; i++) {
        char c = s[i];
        if (c == '"' || c == '\\')
            emit(ctx, "\\", 1);
        if ((unsigned char)c >= 0x20 && c != 0x7f)
            emit(ctx, &s[i], 1);
    }
    kformat(emit, ctx, "\"");
}

void swap_status_json(const struct swap_status *st, format_emit_fn emit, void *ctx)
{
    kformat(emit, ctx, "\"pending\": %s", st->pending ? "true" : "false");
    if (st->pending) {
        /* Cell names are [A-Za-z0-9_] (the loader checks): no escaping. */
        kformat(emit, ctx,
                ", \"cell\": \"%.*s\", \"old_version\": %u, \"new_version\": %u, \"pending_ns\": "
                "%llu, \"deadline_ns\": %llu, \"quiescence_checks\": %u, \"sites_gated\": %zu, "
                "\"barriers\": %u, \"held\": %u, \"inside\": ",
                (int)sizeof(st->cell), st->cell, st->old_version, st->new_version,
                (unsigned long long)st->pending_ns, (unsigned long long)st->deadline_ns, st->checks,
                st->sites_gated, st->barriers_left, st->held);
        json_text(emit, ctx, st->inside, sizeof(st->inside));
    }
    kformat(emit, ctx, ", \"gate_calls\": %llu, \"gate_wait_ns\": %llu",
            (unsigned long long)st->gate_calls, (unsigned long long)st->gate_wait_ns);
}
