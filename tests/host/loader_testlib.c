/* See loader_testlib.h. */
#define _GNU_SOURCE
#include "loader_testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <keel/errno.h>

#ifndef LT_CELL_DIR
#error "LT_CELL_DIR must name the directory of the built test cells"
#endif

struct tplat tp;

/* Regions go between 1 GiB and ~2 GiB: below ASan's shadow (0x7fff8000) and within +-2 GiB of
 * this -no-pie binary's code. */
#define REGION_LOW  0x40000000ul
#define REGION_HIGH 0x7f000000ul
static uintptr_t region_cursor = REGION_LOW;

void tp_reset(void)
{
    memset(&tp, 0, sizeof(tp));
    tp.far_a = 0x1000; /* near by default: everything links */
    tp.far_b = 0x2000;
}

void tp_fail_nth(long n)
{
    tp.fail_at = n > 0 ? tp.ops + n : 0;
}

static bool inject(void)
{
    tp.ops++;
    if (tp.fail_at && tp.ops == tp.fail_at) {
        tp.failed++;
        return true;
    }
    return false;
}

static void *t_alloc(void *ctx, size_t size)
{
    if (inject())
        return NULL;
    void *p = malloc(size);
    if (p)
        tp.live_allocs++;
    return p;
}

static void t_free(void *ctx, void *p)
{
    if (!p)
        return;
    tp.live_allocs--;
    free(p);
}

static int t_region_alloc(void *ctx, size_t size, void **out)
{
    if (size == 0 || size % 4096)
        abort(); /* the loader must never ask for that */
    if (inject())
        return KE_NOMEM;
    bool wrapped = false;
    for (;;) {
        if (region_cursor + size > REGION_HIGH) {
            if (wrapped)
                return KE_NOMEM;
            wrapped = true;
            region_cursor = REGION_LOW;
        }
        void *want = (void *)region_cursor;
        void *p = mmap(want, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == want) {
            region_cursor += size + 4096; /* leave a guard gap */
            tp.live_regions++;
            *out = p;
            return 0;
        }
        if (p != MAP_FAILED)
            munmap(p, size);
        region_cursor += 0x10000;
    }
}

static int t_region_protect(void *ctx, void *addr, size_t size, unsigned prot)
{
    int p = prot == LOADER_PROT_RX   ? PROT_READ | PROT_EXEC
            : prot == LOADER_PROT_R  ? PROT_READ
            : prot == LOADER_PROT_RW ? PROT_READ | PROT_WRITE
                                     : -1;
    if (p < 0)
        abort();
    if (tp.nprotect < 64)
        tp.protects[tp.nprotect++] = (typeof(tp.protects[0])){addr, size, prot};
    return mprotect(addr, size, p) == 0 ? 0 : KE_FAULT;
}

static void t_region_free(void *ctx, void *addr, size_t size)
{
    tp.live_regions--;
    if (munmap(addr, size) != 0)
        abort();
}

int test_core_value = 4711;

int test_core_add(int a, int b)
{
    return a + b;
}

void test_core_note(const char *what)
{
    if (tp.nnotes < 32)
        snprintf(tp.notes[tp.nnotes++], sizeof(tp.notes[0]), "%s", what);
}

int test_should_fail(void)
{
    return tp.should_fail;
}

static int t_core_symbol(void *ctx, const char *name, struct loader_symbol_info *out)
{
    static const struct {
        const char *name;
        void *addr;
        enum loader_sym_kind kind;
    } table[] = {
        {"test_core_add", (void *)test_core_add, LOADER_SYM_FUNC},
        {"test_core_note", (void *)test_core_note, LOADER_SYM_FUNC},
        {"test_core_value", &test_core_value, LOADER_SYM_OBJECT},
        {"test_should_fail", (void *)test_should_fail, LOADER_SYM_FUNC},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(table[i].name, name) == 0) {
            *out =
                (struct loader_symbol_info){(uint64_t)(uintptr_t)table[i].addr, 0, table[i].kind};
            return 0;
        }
    }
    if (strcmp(name, "far_a") == 0 || strcmp(name, "far_b") == 0) {
        *out =
            (struct loader_symbol_info){name[4] == 'a' ? tp.far_a : tp.far_b, 1, LOADER_SYM_OBJECT};
        return 0;
    }
    if (tp.core_clash && strcmp(name, "core_clash") == 0) {
        *out = (struct loader_symbol_info){0x3000, 4, LOADER_SYM_OBJECT};
        return 0;
    }
    return KE_NOENT;
}

static uint64_t t_now(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct loader_platform tp_platform(void)
{
    return (struct loader_platform){
        .ctx = &tp,
        .alloc = t_alloc,
        .free = t_free,
        .region_alloc = t_region_alloc,
        .region_protect = t_region_protect,
        .region_free = t_region_free,
        .core_symbol = t_core_symbol,
        .now_ns = t_now,
    };
}

void *tp_read_cell(const char *name, size_t *size)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s@1.o", LT_CELL_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    *size = (size_t)n;
    return buf;
}

int tp_note_index(const char *s)
{
    for (int i = 0; i < tp.nnotes; i++)
        if (strcmp(tp.notes[i], s) == 0)
            return i;
    return -1;
}

uint64_t tp_sym(const struct loader *ld, const char *name)
{
    struct loader_symbol_info info;
    if (loader_symbol_lookup(ld, name, NULL, &info) != 0)
        return 0;
    return info.addr;
}
