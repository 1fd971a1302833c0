/* keelctl swap: push the new versions given as host files, swap them in as one transaction, print
 * the guest's report. A refused swap takes the objects its own pushes just stored out of the
 * ramfs again, in the guest, as part of the SWAP request (its discard mask). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/swap.h>
#include "common.h"

const char *swap_step_list(void)
{
    static char list[96];
    if (!list[0])
        for (int i = SWAP_STEP_LINK; i < SWAP_STEP_COUNT; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i > 1 ? ", " : "",
                     swap_step_name((enum swap_step)i));
    return list;
}

/* The guest's reply: its struct swap_report, printed by the same code as the shell's swap
 * (kernel/swap/report_text.c, compiled in), and what only the channel has. */
struct swap_out {
    uint8_t dry_run;
    struct swap_report rep;
    char state[SWAP_MAX_CELLS][32];
    char *plan;
    uint8_t discarded; /* bit i: the guest removed object i again (the swap was refused) */
};

static bool read_swap(struct ctl_rd *rd, struct swap_out *s)
{
    memset(s, 0, sizeof(*s));
    struct swap_report *r = &s->rep;
    s->dry_run = ctl_rd_u8(rd);
    r->n = ctl_rd_u8(rd);
    if (r->n > SWAP_MAX_CELLS)
        return false;
    for (unsigned i = 0; i < r->n; i++) {
        struct swap_cell_report *c = &r->cells[i];
        ctl_rd_str(rd, c->name, sizeof(c->name));
        c->old_version = ctl_rd_u32(rd);
        c->new_version = ctl_rd_u32(rd);
        ctl_rd_str(rd, s->state[i], sizeof(s->state[i]));
        c->state = s->state[i];
        c->state_bytes = ctl_rd_u64(rd);
        c->variables_carried = ctl_rd_u32(rd);
        c->variable_bytes = ctl_rd_u64(rd);
    }
    uint64_t *const t[] = {&r->link_ns,     &r->check_ns,   &r->quiesce_ns,
                           &r->transfer_ns, &r->rewrite_ns, &r->commit_ns,
                           &r->retire_ns,   &r->total_ns,   &r->stw_ns};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        *t[i] = ctl_rd_u64(rd);
    r->quiescence_checks = ctl_rd_u32(rd);
    r->sites_rewired = ctl_rd_u64(rd);
    r->relocations = ctl_rd_u64(rd);
    r->tasks_respawned = ctl_rd_u32(rd);
    char failed_at[32];
    ctl_rd_str(rd, failed_at, sizeof(failed_at));
    r->failed_at = swap_step_by_name(failed_at);
    uint32_t plen;
    const uint8_t *plan = ctl_rd_blob(rd, &plen);
    if (rd->bad || !plan)
        return false;
    if (rd->pos < rd->len)
        s->discarded = ctl_rd_u8(rd);
    if (rd->pos < rd->len)
        r->reclaim_ns = ctl_rd_u64(rd);
    if (rd->pos < rd->len)
        r->first_since_boot = ctl_rd_u8(rd) != 0;
    if (rd->pos < rd->len) {
        r->sites_gated = (size_t)ctl_rd_u64(rd);
        r->barriers = ctl_rd_u32(rd);
        r->held = ctl_rd_u32(rd);
    }
    s->plan = strndup((const char *)plan, plen);
    return s->plan != NULL && !rd->bad;
}

static void to_stdout(void *ctx, const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
}

static void print_swap_json(const struct swap_out *s, int status, const char *msg,
                            const struct object *obs, const char *const *cells, int n)
{
    printf("{\"ok\": %s, \"status\": %d, \"error\": ", status ? "false" : "true", status);
    json_str(stdout, status ? msg : "");
    printf(", \"error_code\": \"%s\", \"dry_run\": %s, \"pushed\": [",
           status ? code_name(status) : "", s->dry_run ? "true" : "false");
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!obs[i].path)
            continue;
        fputs(k++ ? ", {\"cell\": " : "{\"cell\": ", stdout);
        json_str(stdout, cells[i]);
        fputs(", \"file\": ", stdout);
        json_str(stdout, obs[i].path);
        fputs(", \"stored_as\": ", stdout);
        json_str(stdout, obs[i].stored);
        printf(", \"bytes\": %zu, \"identical\": %s, \"removed_again\": %s}", obs[i].size,
               obs[i].identical ? "true" : "false", s->discarded & (1u << i) ? "true" : "false");
    }
    fputs("], ", stdout);
    swap_report_json(&s->rep, to_stdout, NULL);
    fputs(", \"plan\": [", stdout);
    int first = 1;
    for (char *line = s->plan, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        fputs(first ? "" : ", ", stdout);
        json_str(stdout, line);
        first = 0;
        if (nl)
            *nl = '\n';
    }
    puts("]}");
}

/* As the shell's swap prints it; a refused swap prints no timing (nothing was done to time). */
static void print_swap_text(const struct swap_out *s, int status, bool verbose)
{
    if (s->plan[0] && (s->dry_run || verbose || status))
        printf("%s%s", s->dry_run ? "swap: plan (dry run)\n" : "swap: plan\n", s->plan);
    swap_report_text(&s->rep,
                     status       ? SWAP_REFUSED
                     : s->dry_run ? SWAP_PLANNED
                                  : SWAP_DONE,
                     to_stdout, NULL);
}

/* A push of the swap was refused after others had stored new files: take those out again
 * (best effort: REMOVE, see rm.c). */
static void remove_pushed(struct conn *c, const struct object *obs, int n, uint8_t fresh)
{
    const char *names[SWAP_MAX_CELLS];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (fresh & (1u << i))
            names[k++] = obs[i].stored;
    bool removed = remove_names(c, names, k, false) == EXIT_OK;
    for (int i = 0; i < k; i++)
        say_discarded(names[i], removed);
}

int cmd_swap(struct opts *o)
{
    if (o->npos % 2 != 0) {
        fail("swap: give CELL OBJECT pairs\nusage: keelctl swap CELL FILE|NAME [CELL FILE|NAME "
             "...] [-n] [--deadline-ms N] [--fail-at STEP] [--json] [--as-is]");
        return EXIT_USAGE;
    }
    int n = o->npos / 2;
    if (n > SWAP_MAX_CELLS) {
        fail("swap: at most %d cells in one swap", SWAP_MAX_CELLS);
        return EXIT_USAGE;
    }
    if (o->name) {
        fail("swap: --name applies to push and load only");
        return EXIT_USAGE;
    }
    struct object obs[SWAP_MAX_CELLS];
    const char *cells[SWAP_MAX_CELLS];
    memset(obs, 0, sizeof(obs));
    int r = EXIT_OK;
    for (int i = 0; i < n && !r; i++) {
        cells[i] = o->pos[2 * i];
        if (strlen(cells[i]) > 31) {
            fail("swap: '%s' is not a cell name (at most 31 characters)", cells[i]);
            r = EXIT_REFUSED;
        } else if (is_host_file(o->pos[2 * i + 1])) {
            r = read_object(&obs[i], o->pos[2 * i + 1], NULL);
        } else if (strlen(o->pos[2 * i + 1]) > NAME_MAX_LEN) {
            fail("swap: '%s' is neither a file here nor a ramfs name", o->pos[2 * i + 1]);
            r = EXIT_REFUSED;
        }
    }
    struct conn c;
    if (!r)
        r = connect_guest(o, &c);
    if (r) {
        for (int i = 0; i < n; i++)
            free(obs[i].data);
        return r;
    }
    /* Bit i: object i was stored anew by this push; the guest removes it again if the swap
     * is refused (within the SWAP request: no later request that a lost connection could
     * skip). */
    uint8_t fresh = 0;
    for (int i = 0; i < n && !r; i++) {
        if (!obs[i].path)
            continue;
        r = push_object(&c, &obs[i], true);
        if (!r && !obs[i].identical)
            fresh |= (uint8_t)(1u << i);
        if (!r && !o->json)
            say_pushed(&obs[i], 0);
    }
    if (r == EXIT_REFUSED && fresh)
        remove_pushed(&c, obs, n, fresh); /* a later push was refused: no swap to carry it */
    uint8_t *p = NULL;
    struct reply rep = {0};
    if (!r) {
        size_t cap = 16 + n * (4 + 32 + 64);
        p = malloc(cap);
        struct ctl_wr w;
        ctl_wr_init(&w, p, p ? cap : 0);
        ctl_wr_u8(&w, o->dry_run ? CTL_SWAP_DRY_RUN : 0);
        ctl_wr_u64(&w, o->deadline_ms < 0 ? 0 : (uint64_t)o->deadline_ms * 1000000ull);
        ctl_wr_u8(&w, (uint8_t)o->fail_at);
        ctl_wr_u8(&w, (uint8_t)n);
        for (int i = 0; i < n; i++) {
            ctl_wr_str(&w, cells[i]);
            ctl_wr_str(&w, obs[i].path ? obs[i].stored : o->pos[2 * i + 1]);
        }
        ctl_wr_u8(&w, fresh);
        if (!p || w.overflow) {
            fail("swap: out of memory");
            r = EXIT_COMM;
        } else {
            /* The guest waits up to the quiescence deadline: allow for it. */
            int saved = c.timeout_ms;
            c.timeout_ms += (int)(o->deadline_ms < 0 ? 5000 : o->deadline_ms);
            r = request(&c, CTL_T_SWAP, p, (uint32_t)w.len, &rep);
            c.timeout_ms = saved;
        }
    }
    if (!r) {
        struct swap_out s;
        bool have = read_swap(&rep.body, &s);
        if (!have && !rep.status) {
            fail("swap: malformed reply");
            r = EXIT_COMM;
        } else if (!have || (rep.status && s.rep.failed_at == SWAP_STEP_NONE)) {
            /* Refused before anything was linked: the message says it all. */
            r = refused("swap", &rep);
        } else {
            if (rep.status) /* the reason first, then where it stopped (as the shell says it) */
                r = refused("swap", &rep);
            fflush(stderr);
            if (o->json)
                print_swap_json(&s, rep.status, rep.msg, obs, cells, n);
            else
                print_swap_text(&s, rep.status, o->verbose);
        }
        if (rep.status && !have && fresh)
            remove_pushed(&c, obs, n, fresh); /* the guest did not get as far as the SWAP */
        else
            for (int i = 0; rep.status && i < n; i++)
                if (fresh & (1u << i))
                    say_discarded(obs[i].stored, s.discarded & (1u << i));
        free(have ? s.plan : NULL);
        reply_free(&rep);
    }
    free(p);
    disconnect(&c);
    for (int i = 0; i < n; i++)
        free(obs[i].data);
    return r;
}
