/* The control channel's requests on ramfs files: PUSH stores an object, REMOVE takes files out,
 * and the discard of a refused LOAD or SWAP takes out what keelctl's push had just stored. */
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/string.h>
#include "ctl/ops_internal.h"

/* The header of a cell object: ELF64, little-endian, ET_REL, x86_64. Everything else is the
 * loader's to check when the object is loaded or swapped in. */
static const char *not_a_cell_object(const uint8_t *p, size_t n)
{
    if (n < 64 || p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F')
        return "no ELF header";
    if (p[4] != 2 || p[5] != 1)
        return "not a little-endian ELF64 object";
    if ((p[16] | p[17] << 8) != 1)
        return "not a relocatable object (ET_REL)";
    if ((p[18] | p[19] << 8) != 62)
        return "not an x86_64 object";
    return NULL;
}

/* Does the ramfs hold name with exactly these bytes (1), other bytes (0), nothing (KE_NOENT)? */
static int same_file(const char *name, const uint8_t *data, size_t size)
{
    struct ramfs_hold f;
    if (ramfs_open(name, &f) != 0)
        return KE_NOENT;
    int same = f.size == size && memcmp(f.data, data, size) == 0;
    ramfs_close(&f);
    return same;
}

/* The message for a push over the ramfs's quota. */
static int full(const char *name, uint32_t size, char *msg, size_t msg_size)
{
    struct ramfs_stats st;
    ramfs_stats(&st);
    char quota[32], used[32];
    format_size(quota, sizeof(quota), st.quota);
    format_size(used, sizeof(used), st.charged);
    FAIL(KE_NOSPC,
         "the ramfs is full: '%s' (%u bytes) does not fit in its quota of %s (%s in use); "
         "remove files (keelctl rm, or rm in the shell) or boot with ramfs.quota=SIZE",
         name, size, quota, used);
}

int ctl_op_push(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    char name[RAMFS_NAME_MAX];
    uint8_t flags = ctl_rd_u8(rd);
    ctl_rd_str(rd, name, sizeof(name));
    uint32_t size;
    const uint8_t *data = ctl_rd_blob(rd, &size);
    if (!data || !ctl_rd_done(rd))
        return ctl_malformed(msg, msg_size, "PUSH (or a name of 64 characters or more)");
    if (size > CTL_OBJECT_MAX)
        FAIL(KE_RANGE, "object of %u bytes is larger than the limit of %u bytes", size,
             CTL_OBJECT_MAX);
    const char *why = not_a_cell_object(data, size);
    if (why)
        FAIL(KE_NOEXEC, "'%s' is not a cell object: %s", name, why);
    /* Files are never replaced: the same bytes under the same name are already there, a
     * different file under the name is refused unless a unique name was asked for. */
    char stored[RAMFS_NAME_MAX];
    int identical = 0, r = KE_EXIST;
    for (unsigned k = 0; k <= CTL_UNIQUE_MAX; k++) {
        if (k == 0)
            ksnprintf(stored, sizeof(stored), "%s", name);
        else if (ksnprintf(stored, sizeof(stored), "%s.%u", name, k) >= (int)sizeof(stored))
            FAIL(KE_RANGE, "no unique name for '%s': the name is too long", name);
        int same = same_file(stored, data, size);
        if (same == 1) {
            identical = 1;
            r = 0;
            break;
        }
        if (same == KE_NOENT) {
            r = ramfs_add(stored, data, size);
            if (r == KE_EXIST && (flags & CTL_PUSH_UNIQUE))
                continue; /* added by someone else meanwhile: try the next name */
            break;
        }
        if (!(flags & CTL_PUSH_UNIQUE))
            FAIL(KE_EXIST,
                 "the ramfs already has a different '%s' (files cannot be replaced): push it "
                 "under another name",
                 name);
    }
    if (r == KE_EXIST && !(flags & CTL_PUSH_UNIQUE))
        FAIL(r, "the ramfs already has a '%s' (files cannot be replaced)", name);
    if (r == KE_EXIST)
        FAIL(r, "no unique name for '%s': %s.1 .. %s.%u are all taken", name, name, name,
             CTL_UNIQUE_MAX);
    if (r == KE_INVAL)
        FAIL(r,
             "'%s' is not a valid ramfs name (1..63 characters, no space, '/' or control "
             "character)",
             name);
    if (r == KE_NOSPC)
        return full(stored, size, msg, msg_size);
    if (r)
        FAIL(r, "cannot store '%s': %s", stored, keel_strerror(r));
    ctl_wr_str(body, stored);
    ctl_wr_u32(body, size);
    ctl_wr_u8(body, (uint8_t)identical);
    return 0;
}

int ctl_op_remove(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    char names[RAMFS_REMOVE_MAX][RAMFS_NAME_MAX];
    const char *list[RAMFS_REMOVE_MAX];
    uint8_t n = ctl_rd_u8(rd);
    if (rd->bad || n < 1 || n > RAMFS_REMOVE_MAX)
        return ctl_malformed(msg, msg_size, "REMOVE");
    for (size_t i = 0; i < n; i++) {
        ctl_rd_str(rd, names[i], sizeof(names[i]));
        list[i] = names[i];
    }
    if (!ctl_rd_done(rd))
        return ctl_malformed(msg, msg_size, "REMOVE (or a name of 64 characters or more)");
    struct ramfs_removed done[RAMFS_REMOVE_MAX];
    char why[CTL_MSG_MAX];
    int r = ramfs_remove(list, n, done, why, sizeof(why));
    if (r)
        FAIL(r, "%s", why[0] ? why : keel_strerror(r));
    for (size_t i = 0; i < n; i++) {
        ctl_wr_u64(body, done[i].size);
        ctl_wr_u8(body, done[i].boot     ? CTL_RM_BOOT
                        : done[i].freed  ? CTL_RM_FREED
                        : done[i].pinned ? CTL_RM_PINNED
                                         : CTL_RM_HELD);
    }
    return 0;
}

uint8_t ctl_discard(const char *const *names, size_t n, uint8_t mask)
{
    uint8_t removed = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (ramfs_remove(&names[i], 1, NULL, NULL, 0) == 0)
            removed |= (uint8_t)(1u << i);
    }
    return removed;
}
