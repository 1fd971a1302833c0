/* keelctl inject: the guest's fault injector (INJECT). The words after `inject` go to the guest
 * as they are and are parsed there by the shell's own parser (commands/inject/injargs.h), so the
 * spec language is the shell's; the answer is printed as the shell prints it
 * (commands/inject/injprint.h) or, with --json, as one object in the same words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "commands/inject/injprint.h"
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

static void json_record(const char *action, const struct inject_record *r)
{
    printf("{\"action\": \"%s\", \"in_place\": %s", action,
           r->valid && strcmp(action, "restore") != 0 ? "true" : "false");
    if (!r->valid) {
        puts("}");
        return;
    }
    printf(", \"model\": \"%s\", \"cell\": ", injargs_model_name(r->spec.model));
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
    printf(", \"activated\": %s, \"activated_ns\": %llu, \"task\": %llu, \"task_name\": ",
           r->activated ? "true" : "false", (unsigned long long)r->activated_ns,
           (unsigned long long)r->task);
    json_str(stdout, r->task_name);
    printf(", \"rip\": %llu}\n", (unsigned long long)r->rip);
}

static int print_reply(struct ctl_rd *rd, bool json)
{
    uint8_t action = ctl_rd_u8(rd), valid = ctl_rd_u8(rd);
    struct inject_record r = {0};
    if (valid)
        ctl_rd_inject(rd, &r);
    if (!ctl_rd_done(rd) || action < INJARGS_FAULT || action > INJARGS_RESTORE)
        return EXIT_COMM;
    static const char *const names[] = {"", "inject", "status", "restore"};
    if (json)
        json_record(names[action], &r);
    else if (action == INJARGS_FAULT)
        injprint_proof(&r, to_stdout, NULL);
    else if (action == INJARGS_STATUS)
        injprint_status(&r, to_stdout, NULL);
    else
        injprint_restore(&r, to_stdout, NULL);
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
