/* badptr (a test fixture): hands the core bad pointers, one way per mode, to show that this
 * kills only the calling task (a fault in core code on the task's behalf) or is refused with
 * an error, and never takes the core down. `run badptr <mode>`; see usage below. Version 2's
 * migrate hook passes a bad pointer to memcpy: the swap's guarded call must catch that. */
#include <stdint.h>
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/channel.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/kmalloc.h>
#include <keel/layout.h>
#include <keel/log.h>
#include <keel/string.h>
#include <keel/sync.h>

#define USAGE                                                                                      \
    "usage: badptr kprintf|ksnprintf|memcpy|console|send|recv|log|stats|jump (the task faults "    \
    "in core code, or at a bad address)\n       badptr overflow (the task runs off its stack)\n"   \
    "       badptr objects|kfree (refused: the task carries "                                      \
    "on)\n"

/* volatile: the compiler must neither see these values nor inline the calls that use them. */
static volatile uintptr_t null_page = 0x18;
/* The last page of the cell area: never handed out while the area has room (the CI case: a
 * format string in a cell's rodata that has gone away). */
static volatile uintptr_t gone = CELL_AREA_BASE + CELL_AREA_SIZE - 4096 + 7;
static volatile uintptr_t non_canonical = 0xdead000000000000ull;
static volatile size_t copy_size = 64;
static const struct mutex rodata_mutex = MUTEX_INIT; /* mapped, not writable */

static struct badptr_state {
    uint64_t runs;
} state;

static void *wild(volatile uintptr_t *a)
{
    return (void *)*a;
}

/* Each mode calls the core from a function of its own (noinline, and not as a tail call) so
 * that the report can name it as the cell frame that called into the core. */
__attribute__((noinline)) static int bad_kprintf(void)
{
    kprintf("badptr: %s\n", (const char *)wild(&null_page));
    return 1;
}

__attribute__((noinline)) static int bad_ksnprintf(void)
{
    char buf[64];
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-security" /* a bad format string is the point */
    ksnprintf(buf, sizeof(buf), (const char *)wild(&gone));
#pragma clang diagnostic pop
    return 1;
}

__attribute__((noinline)) static int bad_memcpy(void)
{
    char buf[64];
    memcpy(buf, wild(&null_page), copy_size);
    return buf[0] == 1;
}

__attribute__((noinline)) static int bad_console(void)
{
    console_write((const char *)wild(&gone), copy_size);
    return 1;
}

__attribute__((noinline)) static int bad_send(void)
{
    struct channel *ch;
    if (channel_create(CHANNEL_ASYNC, 1, &ch))
        return 2;
    int r = channel_try_send(ch, (const struct channel_msg *)wild(&null_page));
    channel_destroy(ch);
    return r == 0;
}

__attribute__((noinline)) static int bad_recv(void)
{
    struct channel *ch;
    if (channel_create(CHANNEL_ASYNC, 1, &ch))
        return 2;
    struct channel_msg m = {42, NULL};
    int r = channel_try_send(ch, &m);
    if (r == 0)
        r = channel_try_recv(ch, (struct channel_msg *)wild(&null_page));
    channel_destroy(ch);
    return r == 0;
}

__attribute__((noinline)) static int bad_jump(void)
{
    void (*fn)(void) = (void (*)(void))wild(&null_page);
    fn();
    return 1;
}

static void no_record(void *ctx, const struct logring_entry *e, const char *text) {}

__attribute__((noinline)) static int bad_log(void)
{
    log_for_each((uint64_t *)wild(&null_page), no_record, NULL);
    return 1;
}

__attribute__((noinline)) static int bad_stats(void)
{
    int r = kheap_owner_stats(kheap_current_owner(), (struct heap_owner_stats *)wild(&gone));
    return r == 0;
}

static void said(const char *call, int r)
{
    kprintf("badptr: %s: %s\n", call, keel_errname(r));
}

/* Objects the core uses under its scheduler lock: a bad one is refused with KE_FAULT. */
static int bad_objects(void)
{
    struct channel_msg m = {1, NULL}, out;
    said("mutex_lock(NULL)", mutex_lock(NULL));
    said("mutex_lock(null page)", mutex_lock(wild(&null_page)));
    said("mutex_lock(read-only)", mutex_lock((struct mutex *)(uintptr_t)&rodata_mutex));
    said("mutex_unlock(gone)", mutex_unlock(wild(&gone)));
    said("semaphore_down(non-canonical)", semaphore_down(wild(&non_canonical)));
    said("condvar_wait(null page)", condvar_wait(wild(&null_page), wild(&null_page)));
    semaphore_up(wild(&gone));
    condvar_signal(wild(&gone));
    condvar_broadcast(wild(&non_canonical));
    said("channel_send(gone)", channel_send(wild(&gone), &m));
    said("channel_try_recv(non-canonical)", channel_try_recv(wild(&non_canonical), &out));
    channel_close(wild(&null_page));
    channel_destroy(wild(&gone));
    kprintf("badptr: channel_queued(gone): %zu\n", channel_queued(wild(&gone)));
    kprintf("badptr: objects: the task carries on\n");
    return 0;
}

/* kfree and friends of pointers that are not live blocks: refused, nothing changes. */
static int bad_kfree(void)
{
    char *p = kmalloc(100);
    if (!p)
        return 2;
    memset(p, 'k', 100);
    char local;
    void *const bad[] = {
        wild(&null_page),
        wild(&non_canonical),
        (void *)0x0000800000000000ull,
        wild(&gone),
        &local,
        (void *)(uintptr_t)&kprintf,
        (void *)(uintptr_t)&rodata_mutex,
        p + 8,
        p + 100,
        p - 64,
        (void *)UINTPTR_MAX,
    };
    unsigned n = 0;
    for (; n < sizeof(bad) / sizeof(bad[0]); n++) {
        kfree(bad[n]);
        if (krealloc(bad[n], 32) || kheap_transfer(bad[n], kheap_current_owner()) != KE_FAULT) {
            kprintf("badptr: kfree: %p was taken for a block\n", bad[n]);
            return 1;
        }
    }
    for (int i = 0; i < 100; i++) {
        if (p[i] != 'k') {
            kprintf("badptr: kfree: the live block changed\n");
            return 1;
        }
    }
    kfree(p);
    kfree(p); /* a double free is refused too */
    void *q = kmalloc(100);
    kfree(q);
    kprintf("badptr: kfree: %u wild pointers and a double free refused; heap %s\n", n,
            q ? "still allocates" : "BROKEN");
    return q ? 0 : 1;
}

/* Unbounded recursion with a call into the core at every level: the task's stack runs into its
 * guard page (in the cell or in the core's formatter, wherever the last push lands). A stack
 * overflow is charged to the task's entry cell: this one. */
static volatile unsigned depth_limit = 1u << 30;

__attribute__((noinline)) static unsigned overflow_level(unsigned depth)
{
    char buf[96];
    ksnprintf(buf, sizeof(buf), "level %u", depth);
    if (depth >= depth_limit)
        return (unsigned char)buf[0];
    return overflow_level(depth + 1) + (unsigned char)buf[0]; /* not a tail call */
}

static int bad_overflow(void)
{
    overflow_level(0);
    return 1;
}

int badptr_main(const void *arg, void *ret)
{
    const char *argv[3];
    int argc = argv_from_arg(arg, argv, 3);
    state.runs++;
    if (argc != 2) {
        kprintf(USAGE);
        return 2;
    }
    static const struct {
        const char *name;
        int (*fn)(void);
    } modes[] = {
        {"kprintf", bad_kprintf},   {"ksnprintf", bad_ksnprintf}, {"memcpy", bad_memcpy},
        {"console", bad_console},   {"send", bad_send},           {"recv", bad_recv},
        {"log", bad_log},           {"stats", bad_stats},         {"jump", bad_jump},
        {"overflow", bad_overflow}, {"objects", bad_objects},     {"kfree", bad_kfree},
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(argv[1], modes[i].name) == 0) {
            int r = modes[i].fn();
            if (r == 1 && strcmp(argv[1], "objects") != 0 && strcmp(argv[1], "kfree") != 0)
                kprintf("badptr: %s: survived a bad pointer\n", argv[1]);
            return r;
        }
    }
    kprintf("badptr: unknown mode '%s'\n" USAGE, argv[1]);
    return 2;
}

#if KEEL_CELL_VERSION == 2
struct badptr_state_v1 {
    uint64_t runs;
};

/* Runs with the world stopped, under the swap's guard: the bad memcpy source must be caught
 * there (the swap is refused), not kill the swap's task or the system. */
static int badptr_migrate(uint32_t old_layout, const void *old_state, uint64_t old_size,
                          void *new_state)
{
    if (old_layout != 1 || old_size != sizeof(struct badptr_state_v1))
        return KE_NOTSUP;
    memcpy(new_state, wild(&null_page), copy_size < old_size ? copy_size : old_size);
    return 0;
}

KEEL_CELL(.name = "badptr", .version = KEEL_CELL_VERSION, .state = &state,
          .state_size = sizeof(state), .state_version = 2, .migrate = badptr_migrate);
#else
KEEL_CELL(.name = "badptr", .version = KEEL_CELL_VERSION, .state = &state,
          .state_size = sizeof(state), .state_version = 1);
#endif
