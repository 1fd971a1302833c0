/* wl_ramfs: the ramfs write/read/verify workload (docs/workloads.md). It writes one file per
 * round, "wl-ramfs-<round>", of 32..543 bytes drawn from the seed; then reads every file back
 * and compares it with the bytes regenerated from the seed (a mismatch fails the run as "verify
 * failed"); then removes them all. The digest folds the bytes read back. Files a faulted earlier
 * incarnation left behind are removed first, so a restart starts clean. */
#include <keel/cell.h>
#include <keel/string.h>
#include "ramfs/ramfs.h"
#include "workloads/wl.h"

#define FILE_MIN  32
#define FILE_SPAN 512

static void file_name(char *buf, size_t size, uint32_t round)
{
    ksnprintf(buf, size, "wl-ramfs-%u", round);
}

/* Fill buf with round's file (the generator is seeded per file, so any file can be
 * regenerated on its own); its size. */
static size_t file_bytes(uint64_t seed, uint32_t round, unsigned char *buf)
{
    struct wl_rng rng = wl_rng_for(seed ^ ((uint64_t)round << 40), 0x72616d6673ull /* "ramfs" */);
    size_t size = FILE_MIN + wl_next(&rng) % FILE_SPAN;
    for (size_t i = 0; i < size; i += 8) {
        uint64_t w = wl_next(&rng);
        for (size_t k = 0; k < 8 && i + k < size; k++)
            buf[i + k] = (unsigned char)(w >> (8 * k));
    }
    return size;
}

/* Remove the file if it is there: 0 (gone or never there) or the ramfs's refusal. */
static int remove_if_present(const char *name, char *why, size_t why_size)
{
    struct ramfs_hold h;
    if (ramfs_open(name, &h) != 0)
        return 0;
    ramfs_close(&h);
    const char *names[1] = {name};
    char msg[64];
    int r = ramfs_remove(names, 1, NULL, msg, sizeof(msg));
    if (r)
        ksnprintf(why, why_size, "removing %s: %s", name, msg[0] ? msg : keel_strerror(r));
    return r;
}

static int verify(const struct wl_args *a, unsigned char *want, uint64_t *digest, char *why,
                  size_t why_size)
{
    char name[RAMFS_NAME_MAX];
    for (uint32_t round = 0; round < a->rounds; round++) {
        file_name(name, sizeof(name), round);
        size_t size = file_bytes(a->seed, round, want);
        struct ramfs_hold h;
        int r = ramfs_open(name, &h);
        if (r) {
            ksnprintf(why, why_size, "verify failed: %s: %s", name, keel_strerror(r));
            return WL_FAILED;
        }
        const unsigned char *got = h.data;
        size_t bad = size;
        for (size_t i = 0; i < size && i < h.size; i++)
            if (got[i] != want[i]) {
                bad = i;
                break;
            }
        if (h.size != size || bad != size) {
            ksnprintf(why, why_size,
                      "verify failed: %s: %zu bytes, expected %zu, first "
                      "difference at byte %zu",
                      name, h.size, size, bad);
            ramfs_close(&h);
            return WL_FAILED;
        }
        *digest = wl_fold_bytes(*digest, got, h.size);
        ramfs_close(&h);
    }
    return 0;
}

static int ramfs_body(const struct wl_args *a, uint64_t *digest, char *why, size_t why_size)
{
    char name[RAMFS_NAME_MAX];
    int r = 0;
    for (uint32_t round = 0; !r && round < a->rounds; round++) {
        task_heartbeat(); /* a round is progress (the watchdog, docs/workloads.md) */
        file_name(name, sizeof(name), round);
        r = remove_if_present(name, why, why_size);
    }
    if (r)
        return r;
    unsigned char *buf = kmalloc(FILE_MIN + FILE_SPAN);
    if (!buf) {
        ksnprintf(why, why_size, "%s", keel_strerror(KE_NOMEM));
        return KE_NOMEM;
    }
    uint32_t written = 0;
    for (; written < a->rounds; written++) {
        file_name(name, sizeof(name), written);
        size_t size = file_bytes(a->seed, written, buf);
        r = ramfs_add(name, buf, size);
        if (r) {
            ksnprintf(why, why_size, "writing %s: %s", name, keel_strerror(r));
            break;
        }
    }
    if (!r)
        r = verify(a, buf, digest, why, why_size);
    kfree(buf);
    for (uint32_t round = 0; round < written; round++) {
        file_name(name, sizeof(name), round);
        char msg[64];
        const char *names[1] = {name};
        int rm = ramfs_remove(names, 1, NULL, msg, sizeof(msg));
        if (rm && !r) {
            ksnprintf(why, why_size, "removing %s: %s", name, msg[0] ? msg : keel_strerror(rm));
            r = rm;
        }
    }
    return r;
}

int wl_ramfs_main(const void *arg, void *ret)
{
    return wl_run(arg, ret, ramfs_body);
}

/* The whole ladder: a fault that a restart does not cure reloads the cell, then its dependents,
 * then gives it up (docs/fault-injection.md, "The recovery ladder"). */
KEEL_CELL(.name = "wl_ramfs", .version = KEEL_CELL_VERSION, .recovery_top = KEEL_RUNG_GIVE_UP);
