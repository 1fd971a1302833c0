/* What keelctl's subcommands share (common.c): messages, JSON strings, the connection (one per
 * command, or the batch's shared one) and host objects pushed into the guest's ramfs. */
#ifndef KEELCTL_COMMON_H
#define KEELCTL_COMMON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cmds.h"

#define NAME_MAX_LEN 63 /* ramfs names: RAMFS_NAME_MAX - 1 */

/* "keelctl: <message>" on stderr. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double ms(uint64_t ns);
int64_t now_us(void);
/* A JSON string, quotes included; bytes outside printable ASCII as \u00XX. */
void json_str(FILE *f, const char *s);
/* s for a terminal: bytes outside printable ASCII (a guest's message may quote a malformed
 * object's bytes) as \xNN, a backslash as two. Returns buf. */
const char *printable(const char *s, char *buf, size_t size);
/* The guest's error code as text: "KE_BUSY" / "CTL_E_MAC". */
const char *code_name(int status);
/* A refused request: print the guest's message; EXIT_REFUSED. */
int refused(const char *what, const struct reply *rep);

/* Connect and say HELLO — or, inside `keelctl batch`, take over the batch's connection. Give it
 * back with disconnect. */
int connect_guest(struct opts *o, struct conn *c);
void disconnect(struct conn *c);
/* From now on (shared != NULL) commands use this connection instead of their own. */
void share_connection(struct conn *shared);
/* One request and its reply (EXIT_OK, or EXIT_COMM after printing why). */
int request(struct conn *c, uint8_t type, const void *payload, uint32_t len, struct reply *rep);

/* A cell object on the host, to push. */
struct object {
    const char *path;
    char name[NAME_MAX_LEN + 1]; /* the ramfs name asked for */
    uint8_t *data;
    size_t size;
    char stored[NAME_MAX_LEN + 1]; /* the name the guest stored it under */
    bool identical;                /* already there with the same bytes: nothing new stored */
};

/* An argument names a host file if it contains a '/' or a file by that name exists here;
 * otherwise it names a file in the guest's ramfs. */
bool is_host_file(const char *arg);
/* Read path (name: the ramfs name, NULL for the base name), without its debug info unless
 * set_strip(false) (strip.c). EXIT_OK or EXIT_REFUSED. */
int read_object(struct object *ob, const char *path, const char *name);
/* strip.c: whether read_object strips debug info (keelctl --as-is: no); the llvm-objcopy it
 * runs ($KEEL_OBJCOPY, else the build's). strip_object returns path itself when it does not
 * strip (off, not ELF, no tool, the tool failed: said on stderr), else tmp, a temporary copy
 * without debug info that the caller unlinks. */
void set_strip(bool on);
const char *objcopy_path(void);
const char *strip_object(const char *path, char *tmp, size_t size);
/* PUSH: the object goes into the ramfs (as ob->stored). */
int push_object(struct conn *c, struct object *ob, bool unique);
void say_pushed(const struct object *ob, double secs);
/* A refused LOAD or SWAP for which keelctl had pushed a new file: whether the guest removed it
 * again (it does so within the request). */
void say_discarded(const char *stored, bool removed);
/* REMOVE names[0..n) (rm.c): EXIT_OK (report: print what became of each), EXIT_REFUSED after
 * printing the guest's refusal, or EXIT_COMM. */
int remove_names(struct conn *c, const char *const *names, int n, bool report);

#endif
