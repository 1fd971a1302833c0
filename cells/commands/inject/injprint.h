/* How an injection is shown to people: the proof, status and restore lines of the shell's inject
 * and of `keelctl inject` (docs/fault-injection.md). Header-only, static functions (as
 * commands/faults/faultrow.h): two cells and a host tool print with it, in the same words. */
#ifndef CMD_INJECT_INJPRINT_H
#define CMD_INJECT_INJPRINT_H
#include <stdarg.h>
#include <keel/format.h>
#include <keel/inject.h>
#include "commands/inject/injargs.h"

typedef void (*injprint_out)(void *ctx, const char *s, size_t n);

static inline void injprint_f(injprint_out out, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void injprint_f(injprint_out out, void *ctx, const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = (int)sizeof(buf) - 1;
    if (n > 0)
        out(ctx, buf, (size_t)n);
}

static inline void injprint_bytes(const char *label, const uint8_t *b, unsigned n, injprint_out out,
                                  void *ctx)
{
    injprint_f(out, ctx, "  %s", label);
    for (unsigned i = 0; i < n; i++)
        injprint_f(out, ctx, " %02x", b[i]);
    injprint_f(out, ctx, "\n");
}

/* The proof of an injection: where, the old bytes, the new ones as read back (or, armed and not
 * applied yet, what the trigger will write), the watch. */
static inline void injprint_proof(const struct inject_record *r, injprint_out out, void *ctx)
{
    injprint_f(out, ctx, "inject: %s in cell %s, %s, seed %llu\n",
               injargs_model_name(r->spec.model), r->spec.cell, injargs_where_name(&r->spec),
               (unsigned long long)r->spec.seed);
    if (r->spec.place == INJECT_IN_HEAP)
        injprint_f(out, ctx,
                   "  address 0x%016llx <heap block 0x%016llx+0x%llx, %llu bytes, of task %llu "
                   "'%s'>\n",
                   (unsigned long long)r->addr, (unsigned long long)r->block,
                   (unsigned long long)r->where_offset, (unsigned long long)r->block_size,
                   (unsigned long long)r->target, r->target_name);
    else if (r->spec.place == INJECT_IN_STACK)
        injprint_f(out, ctx,
                   "  address 0x%016llx <stack of task %llu '%s', rsp+0x%llx of %llu live "
                   "bytes>\n",
                   (unsigned long long)r->addr, (unsigned long long)r->target, r->target_name,
                   (unsigned long long)r->where_offset, (unsigned long long)r->block_size);
    else
        injprint_f(out, ctx, "  address 0x%016llx <%s:%s+0x%llx>\n", (unsigned long long)r->addr,
                   r->spec.cell,
                   r->where_symbol[0] ? r->where_symbol : injargs_region_name(r->spec.region),
                   (unsigned long long)r->where_offset);
    injprint_bytes("old", r->old_bytes, r->len, out, ctx);
    if (!r->applied) {
        injprint_bytes("to write", r->new_bytes, r->len, out, ctx);
        if (r->spec.trigger == INJECT_AFTER_CALLS)
            injprint_f(out, ctx,
                       "  armed, not applied: after %llu call%s of %s (0x%016llx), %llu so far\n",
                       (unsigned long long)r->spec.trigger_n, r->spec.trigger_n == 1 ? "" : "s",
                       r->spec.trigger_symbol ? r->spec.trigger_symbol : "?",
                       (unsigned long long)r->trigger_addr, (unsigned long long)r->calls);
        else
            injprint_f(out, ctx, "  armed, not applied: after %llu us\n",
                       (unsigned long long)r->spec.trigger_n);
        return;
    }
    injprint_bytes("new", r->new_bytes, r->len, out, ctx);
    if (r->spec.trigger != INJECT_NOW)
        injprint_f(out, ctx, "  applied at %llu ns by the %s trigger\n",
                   (unsigned long long)r->applied_ns, injargs_trigger_name(r->spec.trigger));
    if (r->armed)
        injprint_f(out, ctx, "  watch %s 0x%016llx, %u byte%s\n",
                   r->watch_execute ? "execute" : "read/write", (unsigned long long)r->watch_addr,
                   r->watch_len, r->watch_len == 1 ? "" : "s");
    else
        injprint_f(out, ctx, "  watch: none (debug register not armed)\n");
}

/* `inject status`: the proof, then whether it was activated (once applied). */
static inline void injprint_status(const struct inject_record *r, injprint_out out, void *ctx)
{
    if (!r->valid) {
        injprint_f(out, ctx, "inject: no fault in place\n");
        return;
    }
    injprint_proof(r, out, ctx);
    if (!r->applied)
        return;
    if (r->activated)
        injprint_f(out, ctx, "  activated at %llu ns by task %llu '%s', rip 0x%016llx\n",
                   (unsigned long long)r->activated_ns, (unsigned long long)r->task, r->task_name,
                   (unsigned long long)r->rip);
    else
        injprint_f(out, ctx, "  not activated\n");
}

/* `inject restore`: what was put back (read back), or that a trigger never fired. */
static inline void injprint_restore(const struct inject_record *r, injprint_out out, void *ctx)
{
    if (!r->applied)
        injprint_f(out, ctx,
                   "inject: disarmed: the fault at 0x%016llx in cell %s was never applied\n",
                   (unsigned long long)r->addr, r->spec.cell);
    else
        injprint_f(out, ctx, "inject: restored 0x%016llx in cell %s\n", (unsigned long long)r->addr,
                   r->spec.cell);
    injprint_bytes("now", r->new_bytes, r->len, out, ctx);
}

#endif
