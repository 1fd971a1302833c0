/* keelctl inject: the guest's fault injector (INJECT). The words after `inject` go to the guest
 * as they are and are parsed there by the shell's own parser (commands/inject/injargs.h), so the
 * language is the shell's — code faults, alloc, ipc, status, restore; the answer is printed as
 * the shell prints it (commands/inject/injresult.h) or, with --json, as one object in the same
 * words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "commands/inject/injresult.h"
#include "common.h"
#include "ctl/inject_wire.h"

static void to_stdout(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    fwrite(s, 1, n, stdout);
}

static void json_bytes(const char *key, const uint8_t *b, unsigned n)
{
    printf(", \"%s\": [", key);
    for (unsigned i = 0; i < n; i++)
        printf("%s%u", i ? ", " : "", b[i]);
    putchar(']');
}

static void json_head(const char *action, bool in_place, const char *model)
{
    printf("{\"action\": \"%s\", \"in_place\": %s", action, in_place ? "true" : "false");
    if (model)
        printf(", \"model\": \"%s\"", model);
}

static void json_activation(bool activated, uint64_t ns, uint64_t task, const char *task_name)
{
    printf(", \"activated\": %s, \"activated_ns\": %llu, \"task\": %llu, \"task_name\": ",
           activated ? "true" : "false", (unsigned long long)ns, (unsigned long long)task);
    json_str(stdout, task_name);
}

static void json_code(const struct inject_record *r)
{
    printf(", \"cell\": ");
    json_str(stdout, r->spec.cell);
    printf(", \"region\": \"%s\", \"seed\": %llu, \"address\": %llu, \"symbol\": ",
           injargs_where_name(&r->spec), (unsigned long long)r->spec.seed,
           (unsigned long long)r->addr);
    json_str(stdout, r->where_symbol);
    printf(", \"offset\": %llu", (unsigned long long)r->where_offset);
    if (r->spec.place != INJECT_IN_CELL) {
        printf(", \"target_task\": %llu, \"target_task_name\": ", (unsigned long long)r->target);
        json_str(stdout, r->target_name);
        printf(", \"block\": %llu, \"block_size\": %llu", (unsigned long long)r->block,
               (unsigned long long)r->block_size);
    }
    json_bytes("old", r->old_bytes, r->len);
    json_bytes(r->applied ? "new" : "to_write", r->new_bytes, r->len);
    printf(", \"trigger\": \"%s\", \"after\": %llu, \"of\": ",
           injargs_trigger_name(r->spec.trigger), (unsigned long long)r->spec.trigger_n);
    json_str(stdout, r->spec.trigger_symbol ? r->spec.trigger_symbol : "");
    printf(", \"of_address\": %llu, \"calls\": %llu, \"applied\": %s, \"applied_ns\": %llu",
           (unsigned long long)r->trigger_addr, (unsigned long long)r->calls,
           r->applied ? "true" : "false", (unsigned long long)r->applied_ns);
    printf(", \"watch\": \"%s\", \"watch_address\": %llu, \"watch_len\": %u",
           !r->armed          ? "none"
           : r->watch_execute ? "execute"
                              : "read/write",
           (unsigned long long)r->watch_addr, r->watch_len);
    json_activation(r->activated, r->activated_ns, r->task, r->task_name);
    printf(", \"rip\": %llu", (unsigned long long)r->rip);
}

static void json_alloc(const struct inject_alloc_record *r)
{
    printf(", \"cell\": ");
    json_str(stdout, r->spec.cell);
    printf(", \"nth\": %u, \"seed\": %llu, \"text_address\": %llu, \"text_size\": %llu, "
           "\"seen\": %llu, \"left\": %u, \"displaced\": %s",
           r->spec.nth, (unsigned long long)r->spec.seed, (unsigned long long)r->text_base,
           (unsigned long long)r->text_size, (unsigned long long)r->seen, r->left,
           r->displaced ? "true" : "false");
    json_activation(r->activated, r->activated_ns, r->task, r->task_name);
    printf(", \"caller\": %llu, \"caller_symbol\": ", (unsigned long long)r->caller);
    json_str(stdout, r->caller_symbol);
    printf(", \"caller_offset\": %llu", (unsigned long long)r->caller_offset);
}

static void json_ipc(const struct ipc_fault_record *r)
{
    printf(", \"kind\": \"%s\", \"cell\": ", ipc_fault_kind_name(r->spec.kind));
    json_str(stdout, r->spec.cell[0] ? r->spec.cell : "any");
    printf(", \"side\": \"%s\", \"nth\": %llu, \"seed\": %llu, \"delay_us\": %llu, "
           "\"seen\": %llu",
           r->spec.side == IPC_SIDE_SEND ? "send" : "recv", (unsigned long long)r->spec.nth,
           (unsigned long long)r->spec.seed, (unsigned long long)(r->spec.delay_ns / 1000),
           (unsigned long long)r->seen);
    json_activation(r->activated, r->activated_ns, r->task, r->task_name);
    printf(", \"channel\": %llu, \"old_word\": %llu, \"new_word\": %llu, \"bit\": %u",
           (unsigned long long)r->channel, (unsigned long long)r->old_word,
           (unsigned long long)r->new_word, r->bit);
}

/* One object: the action, whether a fault is in place after it, the model ("alloc" and "ipc"
 * for those families) and the record's fields in the words of the shell's output. */
static void json_result(const struct injresult *r)
{
    static const char *const actions[] = {"", "inject", "status", "restore", "inject", "inject"};
    bool in_place = r->family != INJFAMILY_NONE && r->action != INJARGS_RESTORE;
    switch (r->family) {
    case INJFAMILY_NONE:
        json_head(actions[r->action], false, NULL);
        break;
    case INJFAMILY_CODE:
        json_head(actions[r->action], in_place, injargs_model_name(r->u.code.spec.model));
        json_code(&r->u.code);
        break;
    case INJFAMILY_ALLOC:
        json_head(actions[r->action], in_place, "alloc");
        json_alloc(&r->u.alloc);
        break;
    case INJFAMILY_IPC:
        json_head(actions[r->action], in_place, "ipc");
        json_ipc(&r->u.ipc);
        break;
    }
    puts("}");
}

static int print_reply(struct ctl_rd *rd, bool json)
{
    static struct injresult r;
    ctl_rd_injresult(rd, &r);
    if (!ctl_rd_done(rd))
        return EXIT_COMM;
    if (json)
        json_result(&r);
    else
        injresult_print(&r, to_stdout, NULL);
    return EXIT_OK;
}

int cmd_inject(struct opts *o)
{
    uint8_t p[CTL_INJECT_WORDS * (CTL_INJECT_WORD + 2) + 1];
    struct ctl_wr w;
    ctl_wr_init(&w, p, sizeof(p));
    if (o->npos > CTL_INJECT_WORDS) {
        fail("inject: at most %d words", CTL_INJECT_WORDS);
        return EXIT_USAGE;
    }
    ctl_wr_u8(&w, (uint8_t)o->npos);
    for (int i = 0; i < o->npos; i++) {
        if (strlen(o->pos[i]) >= CTL_INJECT_WORD) {
            fail("inject: '%.20s...' is longer than %d bytes", o->pos[i], CTL_INJECT_WORD - 1);
            return EXIT_USAGE;
        }
        ctl_wr_str(&w, o->pos[i]);
    }
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    struct reply rep;
    r = request(&c, CTL_T_INJECT, p, (uint32_t)w.len, &rep);
    if (!r) {
        if (rep.status) {
            r = refused("inject", &rep);
        } else {
            r = print_reply(&rep.body, o->json);
            if (r)
                fail("inject: malformed reply");
        }
        reply_free(&rep);
    }
    disconnect(&c);
    return r;
}
