/* keelctl's subcommands: each builds a request (wire.h), sends it over the connection (conn.c)
 * and prints the reply for people or, with --json, for programs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <keel/errno.h>
#include <keel/swap.h>
#include "cmds.h"
#include "ctl/crc32.h"

#define NAME_MAX_LEN 63 /* ramfs names: RAMFS_NAME_MAX - 1 */

static const char *const step_names[] = {"none",     "link",    "check",  "quiesce",
                                         "transfer", "rewrite", "commit", "retire"};
_Static_assert(sizeof(step_names) / sizeof(step_names[0]) == SWAP_STEP_COUNT,
               "one name per swap step (keel/swap.h)");

int swap_step_parse(const char *name)
{
    for (int i = 1; i < SWAP_STEP_COUNT; i++)
        if (strcmp(name, step_names[i]) == 0)
            return i;
    return -1;
}

const char *swap_step_list(void)
{
    return "link, check, quiesce, transfer, rewrite, commit, retire";
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("keelctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* JSON string (quotes included). */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* The guest's error code as text: "KE_BUSY" / "CTL_E_MAC". */
static const char *code_name(int status)
{
    const char *n = ctl_errname(status);
    return n ? n : keel_errname(status);
}

/* A refused request: print the guest's message; EXIT_REFUSED. */
static int refused(const char *what, const struct reply *rep)
{
    fail("%s: %s (%s)", what, rep->msg[0] ? rep->msg : keel_strerror(rep->status),
         code_name(rep->status));
    return EXIT_REFUSED;
}

static int connect_guest(struct opts *o, struct conn *c)
{
    char err[ERR_MAX];
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->timeout_ms = o->timeout_ms;
    c->verbose = o->verbose;
    int r = conn_load_key(c, o->key, err);
    if (!r)
        r = conn_open(c, o->socket, err);
    if (r)
        fail("%s", err);
    return r;
}

static int request(struct conn *c, uint8_t type, const void *payload, uint32_t len,
                   struct reply *rep)
{
    char err[ERR_MAX];
    int r = conn_request(c, type, payload, len, rep, err);
    if (r)
        fail("%s", err);
    return r;
}

/* ---- objects on the host ---------------------------------------------------------------- */

struct object {
    const char *path;
    char name[NAME_MAX_LEN + 1]; /* the ramfs name asked for */
    uint8_t *data;
    size_t size;
    char stored[NAME_MAX_LEN + 1]; /* the name the guest stored it under */
    bool identical;                /* already there with the same bytes */
};

/* An argument names a host file if it contains a '/' or a file by that name exists here;
 * otherwise it names a file in the guest's ramfs. */
static bool is_host_file(const char *arg)
{
    struct stat st;
    return strchr(arg, '/') || (stat(arg, &st) == 0 && S_ISREG(st.st_mode));
}

static int read_object(struct object *ob, const char *path, const char *name)
{
    memset(ob, 0, sizeof(*ob));
    ob->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail("cannot read %s: %s", path, strerror(errno));
        return EXIT_REFUSED;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        fail("%s is not a regular file", path);
        return EXIT_REFUSED;
    }
    if ((uint64_t)st.st_size > CTL_OBJECT_MAX) {
        fclose(f);
        fail("%s: object of %lld bytes is larger than the limit of %u bytes", path,
             (long long)st.st_size, CTL_OBJECT_MAX);
        return EXIT_REFUSED;
    }
    ob->size = (size_t)st.st_size;
    ob->data = malloc(ob->size ? ob->size : 1);
    if (!ob->data || fread(ob->data, 1, ob->size, f) != ob->size) {
        fclose(f);
        fail("cannot read %s: %s", path, ob->data ? "short read" : "out of memory");
        free(ob->data);
        ob->data = NULL;
        return EXIT_REFUSED;
    }
    fclose(f);
    if (!name) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s", path);
        name = basename(tmp);
        if (strlen(name) > NAME_MAX_LEN) {
            fail("%s: the file name is longer than %d characters: give --name", path, NAME_MAX_LEN);
            return EXIT_REFUSED;
        }
        snprintf(ob->name, sizeof(ob->name), "%s", name);
    } else {
        if (!*name || strlen(name) > NAME_MAX_LEN) {
            fail("--name must have 1..%d characters", NAME_MAX_LEN);
            return EXIT_REFUSED;
        }
        snprintf(ob->name, sizeof(ob->name), "%s", name);
    }
    return EXIT_OK;
}

/* PUSH: the object goes into the ramfs (as ob->stored). */
static int push_object(struct conn *c, struct object *ob, bool unique)
{
    size_t cap = ob->size + 128;
    uint8_t *p = malloc(cap);
    if (!p) {
        fail("out of memory");
        return EXIT_COMM;
    }
    struct ctl_wr w;
    ctl_wr_init(&w, p, cap);
    ctl_wr_u8(&w, unique ? CTL_PUSH_UNIQUE : 0);
    ctl_wr_str(&w, ob->name);
    ctl_wr_blob(&w, ob->data, (uint32_t)ob->size);
    struct reply rep;
    int r = request(c, CTL_T_PUSH, p, (uint32_t)w.len, &rep);
    free(p);
    if (r)
        return r;
    if (rep.status) {
        char what[4200];
        snprintf(what, sizeof(what), "push %s", ob->path);
        r = refused(what, &rep);
        reply_free(&rep);
        return r;
    }
    ctl_rd_str(&rep.body, ob->stored, sizeof(ob->stored));
    uint32_t size = ctl_rd_u32(&rep.body);
    ob->identical = ctl_rd_u8(&rep.body);
    bool bad = rep.body.bad || size != ob->size;
    reply_free(&rep);
    if (bad) {
        fail("push %s: malformed reply", ob->path);
        return EXIT_COMM;
    }
    return EXIT_OK;
}

static void say_pushed(const struct object *ob, double secs)
{
    if (ob->identical)
        printf("%s is already in the ramfs as %s (same %zu bytes)\n", ob->path, ob->stored,
               ob->size);
    else if (secs > 0)
        printf("pushed %s as %s (%zu bytes in %.3f s, %.1f KiB/s)\n", ob->path, ob->stored,
               ob->size, secs, (double)ob->size / 1024.0 / secs);
    else
        printf("pushed %s as %s (%zu bytes)\n", ob->path, ob->stored, ob->size);
}

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
    conn_close(&c);
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
        conn_close(&c);
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

/* LOAD by ramfs name. */
static int load_name(struct conn *c, const char *name, bool json)
{
    uint8_t p[2 + NAME_MAX_LEN];
    struct ctl_wr w;
    ctl_wr_init(&w, p, sizeof(p));
    ctl_wr_str(&w, name);
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
            printf("loaded cell %s@%u from %s: text 0x%016llx (%llu B), rodata %llu B, data %llu "
                   "B, %u relocations\n",
                   cr.name, cr.version, name, (unsigned long long)cr.text_base,
                   (unsigned long long)cr.text, (unsigned long long)cr.rodata,
                   (unsigned long long)cr.data, cr.relocations);
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
        if (!r)
            r = load_name(&c, file ? ob.stored : o->pos[0], o->json);
        conn_close(&c);
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
    conn_close(&c);
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
    if (json)
        fputs("{\"cells\": [", stdout);
    else
        printf("%-20s %7s  %-18s %9s %9s %9s %9s %10s %4s\n", "NAME", "VERSION", "TEXT", "TEXT B",
               "RODATA B", "DATA B", "STATE B", "DEPENDENTS", "PINS");
    for (uint32_t i = 0; i < n; i++) {
        struct cell_rec cr;
        read_cell(rd, &cr);
        if (rd->bad)
            return EXIT_COMM;
        if (json) {
            fputs(i ? ", " : "", stdout);
            json_cell(stdout, &cr);
        } else {
            printf("%-20s %7u  0x%016llx %9llu %9llu %9llu %9llu %10u %4u\n", cr.name, cr.version,
                   (unsigned long long)cr.text_base, (unsigned long long)cr.text,
                   (unsigned long long)cr.rodata, (unsigned long long)cr.data,
                   (unsigned long long)cr.state_size, cr.dependents, cr.pins);
        }
    }
    if (json)
        puts("]}");
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
    else {
        fail("query: want 'cells', 'tasks' or 'cell NAME'\nusage: keelctl query "
             "cells|tasks|cell NAME [--json]");
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
                                      : print_cell(&rep.body, o->json);
            if (r)
                fail("query: malformed reply");
        }
        reply_free(&rep);
    }
    conn_close(&c);
    return r;
}

/* ---- swap ------------------------------------------------------------------------------- */

struct swap_cell_out {
    char name[64], state[32];
    uint32_t old_version, new_version, globals;
    uint64_t state_bytes, global_bytes;
};

static const char *const timing_names[] = {"link",   "check", "quiesce", "transfer", "rewrite",
                                           "commit", "retire",  "total",   "stw"};

struct swap_out {
    uint8_t dry_run;
    uint8_t n;
    struct swap_cell_out cells[SWAP_MAX_CELLS];
    uint64_t t[9];
    uint32_t attempts;
    uint64_t sites, relocations;
    uint32_t tasks; /* service tasks respawned */
    char failed_at[32];
    char *plan;
};

static bool read_swap(struct ctl_rd *rd, struct swap_out *s)
{
    memset(s, 0, sizeof(*s));
    s->dry_run = ctl_rd_u8(rd);
    s->n = ctl_rd_u8(rd);
    if (s->n > SWAP_MAX_CELLS)
        return false;
    for (unsigned i = 0; i < s->n; i++) {
        struct swap_cell_out *c = &s->cells[i];
        ctl_rd_str(rd, c->name, sizeof(c->name));
        c->old_version = ctl_rd_u32(rd);
        c->new_version = ctl_rd_u32(rd);
        ctl_rd_str(rd, c->state, sizeof(c->state));
        c->state_bytes = ctl_rd_u64(rd);
        c->globals = ctl_rd_u32(rd);
        c->global_bytes = ctl_rd_u64(rd);
    }
    for (int i = 0; i < 9; i++)
        s->t[i] = ctl_rd_u64(rd);
    s->attempts = ctl_rd_u32(rd);
    s->sites = ctl_rd_u64(rd);
    s->relocations = ctl_rd_u64(rd);
    s->tasks = ctl_rd_u32(rd);
    ctl_rd_str(rd, s->failed_at, sizeof(s->failed_at));
    uint32_t plen;
    const uint8_t *plan = ctl_rd_blob(rd, &plen);
    if (rd->bad || !plan)
        return false;
    s->plan = strndup((const char *)plan, plen);
    return s->plan != NULL;
}

static void print_swap_json(const struct swap_out *s, int status, const char *msg,
                            const struct object *obs, const char *const *cells, int n)
{
    printf("{\"ok\": %s, \"status\": %d, \"error\": ", status ? "false" : "true", status);
    json_str(stdout, status ? msg : "");
    printf(", \"error_code\": \"%s\", \"dry_run\": %s, \"failed_at\": ",
           status ? code_name(status) : "", s->dry_run ? "true" : "false");
    json_str(stdout, s->failed_at);
    fputs(", \"pushed\": [", stdout);
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
        printf(", \"bytes\": %zu, \"identical\": %s}", obs[i].size,
               obs[i].identical ? "true" : "false");
    }
    fputs("], \"cells\": [", stdout);
    for (unsigned i = 0; i < s->n; i++) {
        const struct swap_cell_out *c = &s->cells[i];
        fputs(i ? ", {\"name\": " : "{\"name\": ", stdout);
        json_str(stdout, c->name);
        printf(", \"old_version\": %u, \"new_version\": %u, \"state\": ", c->old_version,
               c->new_version);
        json_str(stdout, c->state);
        printf(", \"state_bytes\": %llu, \"globals_carried\": %u, \"global_bytes\": %llu}",
               (unsigned long long)c->state_bytes, c->globals, (unsigned long long)c->global_bytes);
    }
    fputs("], \"timings_ns\": {", stdout);
    for (int i = 0; i < 9; i++)
        printf("%s\"%s\": %llu", i ? ", " : "", timing_names[i], (unsigned long long)s->t[i]);
    printf("}, \"attempts\": %u, \"sites_rewritten\": %llu, \"relocations\": %llu, "
           "\"tasks_respawned\": %u, \"plan\": [",
           s->attempts, (unsigned long long)s->sites, (unsigned long long)s->relocations, s->tasks);
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

static void print_swap_text(const struct swap_out *s, int status, bool verbose)
{
    if (s->plan[0] && (s->dry_run || verbose || status))
        printf("%s%s", s->dry_run ? "plan:\n" : "", s->plan);
    for (unsigned i = 0; i < s->n; i++) {
        const struct swap_cell_out *c = &s->cells[i];
        printf("%s %s: version %u -> %u, state %s (%llu B), %u globals carried (%llu B)\n",
               s->dry_run ? "would swap"
               : status   ? "not swapped"
                          : "swapped",
               c->name, c->old_version, c->new_version, c->state,
               (unsigned long long)c->state_bytes, c->globals, (unsigned long long)c->global_bytes);
    }
    printf("timing:");
    for (int i = 0; i < 7; i++)
        printf(" %s %.3f ms%s", timing_names[i], ms(s->t[i]), i < 6 ? "," : "");
    printf("\n        total %.3f ms, stop-the-world %.3f ms; %u quiescence attempt(s), %llu "
           "site(s) rewritten, %llu relocation(s), %u service task(s) respawned\n",
           ms(s->t[7]), ms(s->t[8]), s->attempts, (unsigned long long)s->sites,
           (unsigned long long)s->relocations, s->tasks);
    if (s->dry_run && !status)
        printf("dry run: nothing changed\n");
}

int cmd_swap(struct opts *o)
{
    if (o->npos % 2 != 0) {
        fail("swap: give CELL OBJECT pairs\nusage: keelctl swap CELL FILE|NAME [CELL FILE|NAME "
             "...] [-n] [--deadline-ms N] [--fail-at STEP] [--json]");
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
    for (int i = 0; i < n && !r; i++) {
        if (!obs[i].path)
            continue;
        r = push_object(&c, &obs[i], true);
        if (!r && !o->json)
            say_pushed(&obs[i], 0);
    }
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
        if (!p || w.overflow) {
            fail("swap: out of memory");
            r = EXIT_COMM;
        } else {
            /* The guest waits up to the quiescence deadline: allow for it. */
            int saved = c.timeout_ms;
            c.timeout_ms += (int)(o->deadline_ms < 0 ? 500 : o->deadline_ms);
            r = request(&c, CTL_T_SWAP, p, (uint32_t)w.len, &rep);
            c.timeout_ms = saved;
        }
    }
    if (!r) {
        struct swap_out s;
        bool have = read_swap(&rep.body, &s);
        if (rep.status && !have) {
            r = refused("swap", &rep);
        } else if (!have) {
            fail("swap: malformed reply");
            r = EXIT_COMM;
        } else {
            if (o->json)
                print_swap_json(&s, rep.status, rep.msg, obs, cells, n);
            else
                print_swap_text(&s, rep.status, o->verbose);
            if (rep.status) {
                char what[64];
                snprintf(what, sizeof(what), "swap failed at step %s", s.failed_at);
                r = refused(what, &rep);
            }
        }
        free(have ? s.plan : NULL);
        reply_free(&rep);
    }
    free(p);
    conn_close(&c);
    for (int i = 0; i < n; i++)
        free(obs[i].data);
    return r;
}

/* ---- badframe: deliberately broken frames, for the tests --------------------------------- */

static const char *const bad_kinds[] = {"truncated", "bad-crc", "bad-length", "bad-mac",
                                        "unauth",    "replay",  "reorder",    "stale-nonce",
                                        "oversize",  "version", NULL};

/* A good PING at seq, answered before the broken frame goes out (replay, reorder). */
static int good_ping(struct conn *c, uint64_t seq, uint8_t **frame, size_t *size, char *err)
{
    uint8_t ping[4 + 8];
    struct ctl_wr w;
    ctl_wr_init(&w, ping, sizeof(ping));
    ctl_wr_blob(&w, "badframe", 8);
    *frame = conn_frame(c, CTL_T_PING, CTL_F_AUTH, seq, ping, (uint32_t)w.len, c->key, size);
    if (!*frame) {
        snprintf(err, ERR_MAX, "out of memory");
        return EXIT_COMM;
    }
    struct reply rep;
    int r = conn_send_raw(c, *frame, *size, err);
    if (!r)
        r = conn_wait(c, CTL_T_PING | CTL_T_REPLY_BIT, seq, c->timeout_ms, &rep, err);
    if (!r && rep.status) {
        snprintf(err, ERR_MAX, "the good frame before it was refused: %s", rep.msg);
        r = EXIT_COMM;
    }
    if (!r)
        reply_free(&rep);
    return r;
}

int cmd_badframe(struct opts *o)
{
    const char *kind = o->pos[0];
    int k = 0;
    while (bad_kinds[k] && strcmp(bad_kinds[k], kind) != 0)
        k++;
    if (!bad_kinds[k]) {
        fail("badframe: unknown kind '%s' (truncated, bad-crc, bad-length, bad-mac, unauth, "
             "replay, reorder, stale-nonce, oversize, version)",
             kind);
        return EXIT_USAGE;
    }
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    char err[ERR_MAX] = "";
    /* The broken frame is a PUSH of a tiny object named badframe-<kind>.o: were it ever taken,
     * the file would show in the ramfs (the tests look for it). */
    uint8_t obj[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    obj[16] = 1;  /* ET_REL */
    obj[18] = 62; /* EM_X86_64 */
    char name[64];
    snprintf(name, sizeof(name), "badframe-%s.o", kind);
    uint8_t push[1 + 2 + 64 + 4 + sizeof(obj)];
    struct ctl_wr w;
    ctl_wr_init(&w, push, sizeof(push));
    ctl_wr_u8(&w, 0);
    ctl_wr_str(&w, name);
    ctl_wr_blob(&w, obj, sizeof(obj));
    uint32_t len = (uint32_t)w.len;
    uint8_t want = CTL_T_PUSH;
    uint64_t seq = c.seq++;
    uint8_t wrong_key[CTL_KEY_SIZE];
    memcpy(wrong_key, c.key, sizeof(wrong_key));
    wrong_key[0] ^= 0xff;
    size_t size = 0;
    uint8_t *f = NULL;
    int wait_ms = c.timeout_ms;
    if (strcmp(kind, "replay") == 0) {
        r = good_ping(&c, seq, &f, &size, err); /* then the very same bytes again */
        want = CTL_T_PING;
    } else if (strcmp(kind, "reorder") == 0) {
        r = good_ping(&c, seq + 1, &f, &size, err); /* then an older sequence number */
        free(f);
        f = r ? NULL : conn_frame(&c, CTL_T_PUSH, CTL_F_AUTH, seq, push, len, c.key, &size);
    } else if (strcmp(kind, "unauth") == 0) {
        f = conn_frame(&c, CTL_T_PUSH, 0, seq, push, len, NULL, &size);
    } else if (strcmp(kind, "bad-mac") == 0) {
        f = conn_frame(&c, CTL_T_PUSH, CTL_F_AUTH, seq, push, len, wrong_key, &size);
    } else if (strcmp(kind, "stale-nonce") == 0) {
        c.nonce[0] ^= 1;
        f = conn_frame(&c, CTL_T_PUSH, CTL_F_AUTH, seq, push, len, c.key, &size);
        c.nonce[0] ^= 1;
    } else {
        f = conn_frame(&c, CTL_T_PUSH, CTL_F_AUTH, seq, push, len, c.key, &size);
        if (f && strcmp(kind, "truncated") == 0) {
            size -= 10; /* the guest gives up after 1 s of silence */
            wait_ms += 2000;
        } else if (f && strcmp(kind, "bad-crc") == 0) {
            f[CTL_HEADER_SIZE + 5] ^= 0x20;
        } else if (f) { /* bad-length, oversize, version: header fields, header checksum redone */
            uint32_t claim = strcmp(kind, "bad-length") == 0 ? len - 1 : CTL_PAYLOAD_MAX + 1;
            if (strcmp(kind, "version") == 0)
                f[4] = CTL_VERSION + 1;
            else
                for (int i = 0; i < 4; i++)
                    f[8 + i] = (uint8_t)(claim >> (8 * i));
            uint32_t crc = crc32_update(0, f, 36);
            for (int i = 0; i < 4; i++)
                f[36 + i] = (uint8_t)(crc >> (8 * i));
            if (strcmp(kind, "oversize") == 0)
                size = CTL_HEADER_SIZE; /* refused at the header */
        }
    }
    if (!r && !f) {
        snprintf(err, ERR_MAX, "out of memory");
        r = EXIT_COMM;
    }
    struct reply rep;
    if (!r)
        r = conn_send_raw(&c, f, size, err);
    if (!r)
        r = conn_wait(&c, (uint8_t)(want | CTL_T_REPLY_BIT), seq, wait_ms, &rep, err);
    free(f);
    if (r) {
        fail("badframe %s: %s", kind, err);
    } else {
        if (rep.status) {
            char what[64];
            snprintf(what, sizeof(what), "badframe %s: the guest refused it", kind);
            r = refused(what, &rep);
        } else {
            printf("badframe %s: the guest ACCEPTED the frame\n", kind);
            r = EXIT_OK;
        }
        reply_free(&rep);
    }
    conn_close(&c);
    return r;
}
