/* keelctl's subcommands ping, push, load, unload and query: each builds a request (wire.h),
 * sends it over the connection (conn.c) and prints the reply for people or, with --json, for
 * programs. swap is swap.c, rm rm.c, badframe badframe.c, batch batch.c. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/swap.h>
#include "commands/cells/cellrow.h"
#include "common.h"

/* ---- ping, push, load, unload ----------------------------------------------------------- */

int cmd_ping(struct opts *o)
{
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    uint8_t payload[4 + 16];
    struct ctl_wr w;
    ctl_wr_init(&w, payload, sizeof(payload));
    uint8_t echo[16];
    for (size_t i = 0; i < sizeof(echo); i++)
        echo[i] = (uint8_t)(rand() ^ (int)i);
    ctl_wr_blob(&w, echo, sizeof(echo));
    int64_t t0 = now_us();
    struct reply rep;
    r = request(&c, CTL_T_PING, payload, (uint32_t)w.len, &rep);
    int64_t t1 = now_us();
    if (!r) {
        if (rep.status) {
            r = refused("ping", &rep);
        } else {
            uint64_t up = ctl_rd_u64(&rep.body);
            uint32_t n;
            const uint8_t *back = ctl_rd_blob(&rep.body, &n);
            if (!back || n != sizeof(echo) || memcmp(back, echo, n) != 0) {
                fail("ping: the echo does not match");
                r = EXIT_COMM;
            } else {
                char id[9];
                key_id(c.key, id);
                printf("pong from %s: round trip %.3f ms, guest up %.3f s, key id %s\n", c.system,
                       (double)(t1 - t0) / 1000.0, (double)up / 1e9, id);
            }
        }
        reply_free(&rep);
    }
    disconnect(&c);
    return r;
}

int cmd_push(struct opts *o)
{
    struct object ob;
    int r = read_object(&ob, o->pos[0], o->name);
    if (r)
        return r;
    struct conn c;
    r = connect_guest(o, &c);
    if (!r) {
        int64_t t0 = now_us();
        r = push_object(&c, &ob, o->unique);
        if (!r)
            say_pushed(&ob, (double)(now_us() - t0) / 1e6);
        disconnect(&c);
    }
    free(ob.data);
    return r;
}

struct cell_rec {
    char name[64];
    uint32_t version;
    uint64_t text_base, text, rodata, data, writable;
    uint32_t relocations, dependents, pins;
    uint64_t state_size;
    uint32_t state_version;
};

static void read_cell(struct ctl_rd *rd, struct cell_rec *cr)
{
    ctl_rd_str(rd, cr->name, sizeof(cr->name));
    cr->version = ctl_rd_u32(rd);
    cr->text_base = ctl_rd_u64(rd);
    cr->text = ctl_rd_u64(rd);
    cr->rodata = ctl_rd_u64(rd);
    cr->data = ctl_rd_u64(rd);
    cr->writable = ctl_rd_u64(rd);
    cr->relocations = ctl_rd_u32(rd);
    cr->dependents = ctl_rd_u32(rd);
    cr->pins = ctl_rd_u32(rd);
    cr->state_size = ctl_rd_u64(rd);
    cr->state_version = ctl_rd_u32(rd);
}

static void json_cell(FILE *f, const struct cell_rec *cr)
{
    fputs("{\"name\": ", f);
    json_str(f, cr->name);
    fprintf(f,
            ", \"version\": %u, \"text_base\": \"0x%016llx\", \"text_bytes\": %llu, "
            "\"rodata_bytes\": %llu, \"data_bytes\": %llu, \"writable_bytes\": %llu, "
            "\"relocations\": %u, \"dependents\": %u, \"pins\": %u, \"state_bytes\": %llu, "
            "\"state_version\": %u}",
            cr->version, (unsigned long long)cr->text_base, (unsigned long long)cr->text,
            (unsigned long long)cr->rodata, (unsigned long long)cr->data,
            (unsigned long long)cr->writable, cr->relocations, cr->dependents, cr->pins,
            (unsigned long long)cr->state_size, cr->state_version);
}

static void to_stdout(void *ctx, const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
}

static void cell_row_of(const struct cell_rec *cr, struct cell_row *row)
{
    *row = (struct cell_row){cr->name, cr->version,    cr->text_base,   cr->text,       cr->rodata,
                             cr->data, cr->state_size, cr->relocations, cr->dependents, cr->pins};
}

/* LOAD by ramfs name; discard: the name is the file our push just stored, to go again if the
 * load is refused. */
static int load_name(struct conn *c, const char *name, bool json, bool discard)
{
    uint8_t p[2 + NAME_MAX_LEN + 1];
    struct ctl_wr w;
    ctl_wr_init(&w, p, sizeof(p));
    ctl_wr_str(&w, name);
    if (discard)
        ctl_wr_u8(&w, CTL_LOAD_DISCARD);
    if (w.overflow) {
        fail("load: '%s' is longer than %d characters", name, NAME_MAX_LEN);
        return EXIT_REFUSED;
    }
    struct reply rep;
    int r = request(c, CTL_T_LOAD, p, (uint32_t)w.len, &rep);
    if (r)
        return r;
    if (rep.status) {
        char what[128];
        snprintf(what, sizeof(what), "load %s", name);
        r = refused(what, &rep);
        uint8_t removed = ctl_rd_u8(&rep.body);
        if (discard && rep.body.bad) {
            /* The guest did not get as far as the LOAD (e.g. no memory for the request): ask
             * for the removal on its own. */
            const char *one = name;
            removed = remove_names(c, &one, 1, false) == EXIT_OK;
        }
        if (discard)
            say_discarded(name, removed);
    } else {
        struct cell_rec cr;
        read_cell(&rep.body, &cr);
        if (rep.body.bad) {
            fail("load: malformed reply");
            r = EXIT_COMM;
        } else if (json) {
            json_cell(stdout, &cr);
            putchar('\n');
        } else {
            struct cell_row row;
            cell_row_of(&cr, &row);
            cell_loaded_line(&row, name, to_stdout, NULL);
        }
    }
    reply_free(&rep);
    return r;
}

int cmd_load(struct opts *o)
{
    struct object ob = {0};
    bool file = is_host_file(o->pos[0]);
    int r = file ? read_object(&ob, o->pos[0], o->name) : EXIT_OK;
    if (r)
        return r;
    struct conn c;
    r = connect_guest(o, &c);
    if (!r) {
        if (file) {
            r = push_object(&c, &ob, true);
            if (!r && !o->json)
                say_pushed(&ob, 0);
        }
        /* A file this push stored anew goes again if the load is refused: the guest does it
         * within the LOAD request, so a lost connection cannot leave it behind. */
        if (!r)
            r = load_name(&c, file ? ob.stored : o->pos[0], o->json, file && !ob.identical);
        disconnect(&c);
    }
    free(ob.data);
    return r;
}

int cmd_unload(struct opts *o)
{
    uint8_t p[2 + 64];
    struct ctl_wr w;
    ctl_wr_init(&w, p, sizeof(p));
    ctl_wr_str(&w, o->pos[0]);
    if (strlen(o->pos[0]) > 31) {
        fail("unload: '%s' is not a cell name (at most 31 characters)", o->pos[0]);
        return EXIT_REFUSED;
    }
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    struct reply rep;
    r = request(&c, CTL_T_UNLOAD, p, (uint32_t)w.len, &rep);
    if (!r) {
        if (rep.status) {
            char what[128];
            snprintf(what, sizeof(what), "unload %s", o->pos[0]);
            r = refused(what, &rep);
        } else {
            printf("unloaded %s\n", o->pos[0]);
        }
        reply_free(&rep);
    }
    disconnect(&c);
    return r;
}

/* ---- query ------------------------------------------------------------------------------ */

/* enum task_state (keel/task.h) by name; another value as its number. */
static const char *task_state(unsigned s, char buf[16])
{
    static const char *const names[] = {NULL, "ready", "running", "blocked", "sleeping", "dead"};
    if (s < sizeof(names) / sizeof(names[0]) && names[s])
        return names[s];
    snprintf(buf, 16, "state-%u", s);
    return buf;
}

static int print_cells(struct ctl_rd *rd, uint32_t n, bool json)
{
    struct cell_rec *recs = calloc(n ? n : 1, sizeof(*recs));
    if (!recs) {
        fail("query: out of memory for %u cells", n);
        return EXIT_COMM;
    }
    int w = 4; /* the NAME column fits the longest name, as in the shell's cells */
    for (uint32_t i = 0; i < n; i++) {
        read_cell(rd, &recs[i]);
        if (rd->bad) {
            free(recs);
            return EXIT_COMM;
        }
        if ((int)strlen(recs[i].name) > w)
            w = (int)strlen(recs[i].name);
    }
    if (json)
        fputs("{\"cells\": [", stdout);
    else
        cell_table_header(to_stdout, NULL, w);
    for (uint32_t i = 0; i < n; i++) {
        if (json) {
            fputs(i ? ", " : "", stdout);
            json_cell(stdout, &recs[i]);
        } else {
            struct cell_row row;
            cell_row_of(&recs[i], &row);
            cell_table_row(&row, w, to_stdout, NULL);
        }
    }
    if (json)
        puts("]}");
    free(recs);
    return EXIT_OK;
}

static int print_tasks(struct ctl_rd *rd, uint32_t n, bool json)
{
    if (json)
        fputs("{\"tasks\": [", stdout);
    else
        printf("%6s  %-23s %-9s %4s  %-20s %12s %10s %8s\n", "ID", "NAME", "STATE", "PRIO", "CELL",
               "CPU MS", "SWITCHES", "RESTARTS");
    for (uint32_t i = 0; i < n; i++) {
        char name[64], cell[64];
        uint64_t id = ctl_rd_u64(rd);
        ctl_rd_str(rd, name, sizeof(name));
        uint8_t state = ctl_rd_u8(rd), prio = ctl_rd_u8(rd);
        ctl_rd_str(rd, cell, sizeof(cell));
        uint64_t cpu = ctl_rd_u64(rd), sw = ctl_rd_u64(rd);
        uint32_t restarts = ctl_rd_u32(rd);
        char sbuf[16];
        if (rd->bad)
            return EXIT_COMM;
        if (json) {
            printf("%s{\"id\": %llu, \"name\": ", i ? ", " : "", (unsigned long long)id);
            json_str(stdout, name);
            printf(", \"state\": \"%s\", \"priority\": %u, \"cell\": ", task_state(state, sbuf),
                   prio);
            json_str(stdout, cell);
            printf(", \"cpu_ns\": %llu, \"switches\": %llu, \"restarts\": %u}",
                   (unsigned long long)cpu, (unsigned long long)sw, restarts);
        } else {
            printf("%6llu  %-23s %-9s %4u  %-20s %12.3f %10llu %8u\n", (unsigned long long)id, name,
                   task_state(state, sbuf), prio, cell, ms(cpu), (unsigned long long)sw, restarts);
        }
    }
    if (json)
        puts("]}");
    return EXIT_OK;
}

static int print_cell(struct ctl_rd *rd, bool json)
{
    struct cell_rec cr;
    read_cell(rd, &cr);
    uint32_t nd = ctl_rd_u32(rd);
    if (rd->bad)
        return EXIT_COMM;
    if (json) {
        fputs("{\"cell\": ", stdout);
        json_cell(stdout, &cr);
        fputs(", \"dependents\": [", stdout);
    } else {
        printf("cell %s@%u\n  text      0x%016llx (%llu B)\n  rodata    %llu B\n  data      "
               "%llu B (writable %llu B)\n  state     %llu B (layout version %u)\n  relocations "
               "%u\n  pins      %u\n  dependents %u cell(s), %u site(s)%s\n",
               cr.name, cr.version, (unsigned long long)cr.text_base, (unsigned long long)cr.text,
               (unsigned long long)cr.rodata, (unsigned long long)cr.data,
               (unsigned long long)cr.writable, (unsigned long long)cr.state_size, cr.state_version,
               cr.relocations, cr.pins, cr.dependents, nd, nd ? ":" : "");
    }
    for (uint32_t i = 0; i < nd; i++) {
        char site[64], section[128], symbol[128];
        ctl_rd_str(rd, site, sizeof(site));
        ctl_rd_str(rd, section, sizeof(section));
        uint64_t off = ctl_rd_u64(rd);
        ctl_rd_str(rd, symbol, sizeof(symbol));
        if (rd->bad)
            return EXIT_COMM;
        if (json) {
            fputs(i ? ", {\"site\": " : "{\"site\": ", stdout);
            json_str(stdout, site);
            fputs(", \"section\": ", stdout);
            json_str(stdout, section);
            printf(", \"offset\": %llu, \"symbol\": ", (unsigned long long)off);
            json_str(stdout, symbol);
            putchar('}');
        } else {
            printf("    %-20s %s+0x%llx -> %s\n", site, section, (unsigned long long)off, symbol);
        }
    }
    if (json)
        puts("]}");
    return EXIT_OK;
}

/* The pending swap, in the words of the shell's swap --status (kernel/swap/status_text.c). */
static int print_swap_status(struct ctl_rd *rd, uint32_t n, bool json)
{
    struct swap_status st;
    memset(&st, 0, sizeof(st));
    st.pending = ctl_rd_u8(rd) != 0;
    ctl_rd_str(rd, st.cell, sizeof(st.cell));
    st.old_version = ctl_rd_u32(rd);
    st.new_version = ctl_rd_u32(rd);
    st.pending_ns = ctl_rd_u64(rd);
    st.deadline_ns = ctl_rd_u64(rd);
    st.checks = ctl_rd_u32(rd);
    st.sites_gated = (size_t)ctl_rd_u64(rd);
    st.barriers_left = ctl_rd_u32(rd);
    st.held = ctl_rd_u32(rd);
    ctl_rd_str(rd, st.inside, sizeof(st.inside));
    st.gate_calls = ctl_rd_u64(rd);
    st.gate_wait_ns = ctl_rd_u64(rd);
    if (rd->bad || n != 1)
        return EXIT_COMM;
    if (json) {
        fputs("{\"swap_status\": {", stdout);
        swap_status_json(&st, to_stdout, NULL);
        puts("}}");
    } else {
        swap_status_totals_text(&st, to_stdout, NULL);
        swap_status_text(&st, to_stdout, NULL);
    }
    return EXIT_OK;
}

int cmd_query(struct opts *o)
{
    const char *what = o->pos[0];
    uint8_t kind;
    const char *name = "";
    if (strcmp(what, "cells") == 0 && o->npos == 1)
        kind = CTL_Q_CELLS;
    else if (strcmp(what, "tasks") == 0 && o->npos == 1)
        kind = CTL_Q_TASKS;
    else if (strcmp(what, "cell") == 0 && o->npos == 2)
        kind = CTL_Q_CELL, name = o->pos[1];
    else if (strcmp(what, "swap") == 0 && o->npos == 1)
        kind = CTL_Q_SWAP;
    else {
        fail("query: want 'cells', 'tasks', 'cell NAME' or 'swap'\nusage: keelctl query "
             "cells|tasks|cell NAME|swap [--json]");
        return EXIT_USAGE;
    }
    if (strlen(name) > 31) {
        fail("query: '%s' is not a cell name (at most 31 characters)", name);
        return EXIT_REFUSED;
    }
    uint8_t p[1 + 2 + 64];
    struct ctl_wr w;
    ctl_wr_init(&w, p, sizeof(p));
    ctl_wr_u8(&w, kind);
    ctl_wr_str(&w, name);
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    struct reply rep;
    r = request(&c, CTL_T_QUERY, p, (uint32_t)w.len, &rep);
    if (!r) {
        if (rep.status) {
            char wh[96];
            snprintf(wh, sizeof(wh), "query %s%s%s", what, *name ? " " : "", name);
            r = refused(wh, &rep);
        } else {
            uint32_t n = ctl_rd_u32(&rep.body);
            r = kind == CTL_Q_CELLS   ? print_cells(&rep.body, n, o->json)
                : kind == CTL_Q_TASKS ? print_tasks(&rep.body, n, o->json)
                : kind == CTL_Q_SWAP  ? print_swap_status(&rep.body, n, o->json)
                                      : print_cell(&rep.body, o->json);
            if (r)
                fail("query: malformed reply");
        }
        reply_free(&rep);
    }
    disconnect(&c);
    return r;
}
