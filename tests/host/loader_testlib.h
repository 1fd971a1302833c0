/* Shared by the loader host tests: a platform for struct loader_platform that counts every
 * metadata allocation and region (so tests can prove that a failed load leaves nothing behind),
 * can fail the Nth fallible operation, places regions at low addresses (below 2 GiB, so that
 * cell code, the test's own "core exports" in this -no-pie binary and 32-bit absolute
 * relocations all fit), and provides the core exports the test cells import. */
#ifndef KEEL_LOADER_TESTLIB_H
#define KEEL_LOADER_TESTLIB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/loader.h>

struct tplat {
    long live_allocs;      /* metadata blocks not yet freed */
    long live_regions;     /* regions not yet freed */
    long ops;              /* fallible operations (alloc + region_alloc) so far */
    long fail_at;          /* if > 0: the fail_at-th operation from the last tp_fail_nth() fails */
    long failed;           /* operations failed on purpose */
    bool core_clash;       /* the core exports "core_clash" */
    uint64_t far_a, far_b; /* addresses of the core symbols far_a and far_b */
    int should_fail;       /* what test_should_fail() returns */
    int nprotect;
    struct {
        void *addr;
        size_t size;
        unsigned prot;
    } protects[64];
    int nnotes;
    char notes[32][64];
};
extern struct tplat tp;

void tp_reset(void);
/* Fail the n-th fallible operation from now (n >= 1); 0 disables. */
void tp_fail_nth(long n);
struct loader_platform tp_platform(void);
/* Reads ${cell dir}/<name>@1.o into a malloc'd buffer (not counted); aborts on error. */
void *tp_read_cell(const char *name, size_t *size);
/* Whether the notes recorded by test_core_note contain s (in order from index *from). */
int tp_note_index(const char *s);
/* Address of a cell export (0 if none). */
uint64_t tp_sym(const struct loader *ld, const char *name);

int test_core_add(int a, int b);
void test_core_note(const char *what);
extern int test_core_value;
int test_should_fail(void);

#endif
