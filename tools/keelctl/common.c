/* What keelctl's subcommands share (common.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <keel/errno.h>
#include "common.h"

void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout); /* what was said before stays before, also when both go to one pipe */
    fputs("keelctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch < 0x20 || ch >= 0x7f) /* every byte stays one character: valid JSON */
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

const char *printable(const char *s, char *buf, size_t size)
{
    size_t n = 0;
    for (; *s && n + 5 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\\') {
            buf[n++] = '\\';
            buf[n++] = '\\';
        } else if (ch < 0x20 || ch >= 0x7f) {
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
        } else {
            buf[n++] = (char)ch;
        }
    }
    buf[n] = 0;
    return buf;
}

const char *code_name(int status)
{
    const char *n = ctl_errname(status);
    return n ? n : keel_errname(status);
}

int refused(const char *what, const struct reply *rep)
{
    char msg[4 * sizeof(rep->msg) + 1];
    fail("%s: %s (%s)", what,
         rep->msg[0] ? printable(rep->msg, msg, sizeof(msg)) : keel_strerror(rep->status),
         code_name(rep->status));
    return EXIT_REFUSED;
}

/* The batch's connection, while `keelctl batch` runs (batch.c). */
static struct conn *shared_conn;

void share_connection(struct conn *shared)
{
    shared_conn = shared;
}

int connect_guest(struct opts *o, struct conn *c)
{
    if (shared_conn) {
        *c = *shared_conn; /* the sequence number and decoder state go on from there */
        return EXIT_OK;
    }
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

void disconnect(struct conn *c)
{
    if (shared_conn)
        *shared_conn = *c;
    else
        conn_close(c);
}

int request(struct conn *c, uint8_t type, const void *payload, uint32_t len, struct reply *rep)
{
    char err[ERR_MAX];
    int r = conn_request(c, type, payload, len, rep, err);
    if (r)
        fail("%s", err);
    return r;
}

/* ---- objects on the host ---------------------------------------------------------------- */

bool is_host_file(const char *arg)
{
    struct stat st;
    return strchr(arg, '/') || (stat(arg, &st) == 0 && S_ISREG(st.st_mode));
}

/* The bytes of src (path itself, or its stripped copy) into ob; messages name path. */
static int read_bytes(struct object *ob, const char *src, const char *path)
{
    FILE *f = fopen(src, "rb");
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
    return EXIT_OK;
}

int read_object(struct object *ob, const char *path, const char *name)
{
    memset(ob, 0, sizeof(*ob));
    ob->path = path;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        fail("%s is not a regular file", path);
        return EXIT_REFUSED;
    }
    char tmp[4096];
    const char *src = strip_object(path, tmp, sizeof(tmp));
    int r = read_bytes(ob, src, path);
    if (src != path)
        unlink(tmp);
    if (r)
        return r;
    if (!name) {
        char base[4096];
        snprintf(base, sizeof(base), "%s", path);
        name = basename(base);
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

int push_object(struct conn *c, struct object *ob, bool unique)
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

void say_pushed(const struct object *ob, double secs)
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

void say_discarded(const char *stored, bool removed)
{
    if (removed)
        fprintf(stderr, "keelctl: %s was removed from the ramfs again (the request was refused)\n",
                stored);
    else
        fprintf(stderr, "keelctl: %s stays in the ramfs: the guest could not remove it again\n",
                stored);
}
