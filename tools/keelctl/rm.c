/* keelctl rm: take files out of the guest's ramfs (REMOVE), all or none — refused while a loaded
 * or retired cell version came from one of them. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include "common.h"

#define RM_MAX 32 /* RAMFS_REMOVE_MAX in the guest */

static void say_removed(const char *name, uint64_t size, uint8_t how)
{
    switch (how) {
    case CTL_RM_BOOT:
        printf("removed %s (a boot module: only its name goes; its %llu bytes belong to the boot "
               "image and are not freed)\n",
               name, (unsigned long long)size);
        break;
    case CTL_RM_FREED:
        printf("removed %s (%llu bytes freed)\n", name, (unsigned long long)size);
        break;
    case CTL_RM_PINNED:
        printf("removed %s (its %llu bytes stay in memory: a reader in the guest took them for "
               "good)\n",
               name, (unsigned long long)size);
        break;
    default:
        printf("removed %s (its %llu bytes are freed when the last reader in the guest lets go)\n",
               name, (unsigned long long)size);
    }
}

int remove_names(struct conn *c, const char *const *names, int n, bool report)
{
    uint8_t p[1 + RM_MAX * (2 + NAME_MAX_LEN)];
    struct ctl_wr w;
    ctl_wr_init(&w, p, sizeof(p));
    ctl_wr_u8(&w, (uint8_t)n);
    for (int i = 0; i < n; i++)
        ctl_wr_str(&w, names[i]);
    struct reply rep;
    int r = request(c, CTL_T_REMOVE, p, (uint32_t)w.len, &rep);
    if (r)
        return r;
    if (rep.status) {
        char what[128];
        snprintf(what, sizeof(what), "rm %s%s", names[0], n > 1 ? " ..." : "");
        r = refused(what, &rep);
    } else {
        for (int i = 0; i < n && !rep.body.bad; i++) {
            uint64_t size = ctl_rd_u64(&rep.body);
            uint8_t how = ctl_rd_u8(&rep.body);
            if (report && !rep.body.bad)
                say_removed(names[i], size, how);
        }
        if (rep.body.bad) {
            fail("rm: malformed reply");
            r = EXIT_COMM;
        }
    }
    reply_free(&rep);
    return r;
}

int cmd_rm(struct opts *o)
{
    if (o->npos > RM_MAX) {
        fail("rm: at most %d files at once", RM_MAX);
        return EXIT_USAGE;
    }
    for (int i = 0; i < o->npos; i++) {
        if (!*o->pos[i] || strlen(o->pos[i]) > NAME_MAX_LEN) {
            fail("rm: '%s' is not a ramfs name (1..%d characters)", o->pos[i], NAME_MAX_LEN);
            return EXIT_REFUSED;
        }
    }
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    r = remove_names(&c, o->pos, o->npos, true);
    disconnect(&c);
    return r;
}
