/* Host tests of the ramfs cell's freestanding parts: the name index (cells/ramfs/index.c)
 * against a simple model under random inserts and removals, its refusals (which must change
 * nothing), growing by copy, the walk in name order; and the size parser (size.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include "check.h"
#include "ramfs/index.h"
#include "ramfs/size.h"

#define POOL 300

static struct ramfs_node pool[POOL];
static char names[POOL][16];

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static struct ramfs_index *new_index(size_t cap)
{
    size_t bytes = ramfs_index_bytes(cap);
    CHECK(bytes > 0);
    void *block = malloc(bytes);
    CHECK(block != NULL);
    return ramfs_index_init(block, cap);
}

/* The live table is sorted, holds exactly the nodes marked in `in`, and find() finds each. */
static void check_matches(const struct ramfs_index *ix, const bool *in)
{
    size_t want = 0;
    for (int i = 0; i < POOL; i++) {
        if (in[i]) {
            want++;
            CHECK(ramfs_index_find(ix, names[i]) == &pool[i]);
        } else {
            CHECK(ramfs_index_find(ix, names[i]) == NULL);
        }
    }
    CHECK_EQ_INT(ramfs_index_count(ix), want);
    for (size_t i = 1; i < ramfs_index_count(ix); i++)
        CHECK(strcmp(ramfs_index_at(ix, i - 1)->name, ramfs_index_at(ix, i)->name) < 0);
    CHECK(ramfs_index_at(ix, ramfs_index_count(ix)) == NULL);
}

static void test_basics(void)
{
    struct ramfs_index *ix = new_index(4);
    CHECK_EQ_INT(ramfs_index_count(ix), 0);
    CHECK(ramfs_index_find(ix, "a") == NULL);
    CHECK_EQ_INT(ramfs_index_after(ix, NULL), 0);
    struct ramfs_node a = {.name = "b.o"}, b = {.name = "a.o"}, c = {.name = "c.o"},
                      d = {.name = "d"}, e = {.name = "e"}, dup = {.name = "b.o"};
    CHECK_EQ_INT(ramfs_index_insert(ix, &a), 0);
    CHECK_EQ_INT(ramfs_index_insert(ix, &b), 0);
    CHECK_EQ_INT(ramfs_index_insert(ix, &c), 0);
    CHECK_EQ_INT(ramfs_index_insert(ix, &dup), KE_EXIST);
    CHECK_EQ_INT(ramfs_index_insert(ix, &d), 0);
    CHECK_EQ_INT(ramfs_index_insert(ix, &e), KE_NOSPC); /* full: a refusal changes nothing */
    CHECK_EQ_INT(ramfs_index_count(ix), 4);
    CHECK_EQ_STR(ramfs_index_at(ix, 0)->name, "a.o");
    CHECK_EQ_STR(ramfs_index_at(ix, 3)->name, "d");
    CHECK(ramfs_index_find(ix, "b.o") == &a);
    /* The walk by name: after a name that is present, after one that is not, after the last. */
    CHECK_EQ_INT(ramfs_index_after(ix, "a.o"), 1);
    CHECK_EQ_INT(ramfs_index_after(ix, "b"), 1);
    CHECK_EQ_INT(ramfs_index_after(ix, "d"), 4);
    CHECK_EQ_INT(ramfs_index_after(ix, ""), 0);
    /* Removal: a missing node or one named twice refuses the whole call. */
    struct ramfs_node *gone_missing[] = {&a, &e};
    CHECK_EQ_INT(ramfs_index_remove(ix, gone_missing, 2), KE_NOENT);
    struct ramfs_node *gone_twice[] = {&a, &a};
    CHECK_EQ_INT(ramfs_index_remove(ix, gone_twice, 2), KE_NOENT);
    CHECK_EQ_INT(ramfs_index_count(ix), 4);
    CHECK(ramfs_index_find(ix, "b.o") == &a);
    struct ramfs_node *gone[] = {&d, &b};
    CHECK_EQ_INT(ramfs_index_remove(ix, gone, 2), 0);
    CHECK_EQ_INT(ramfs_index_count(ix), 2);
    CHECK_EQ_STR(ramfs_index_at(ix, 0)->name, "b.o");
    CHECK_EQ_STR(ramfs_index_at(ix, 1)->name, "c.o");
    CHECK(ramfs_index_find(ix, "a.o") == NULL);
    CHECK_EQ_INT(ramfs_index_insert(ix, &e), 0);
    /* Growing: a bigger index, filled with a copy, then one more. */
    struct ramfs_index *big = new_index(8);
    ramfs_index_copy(big, ix);
    CHECK_EQ_INT(ramfs_index_count(big), 3);
    CHECK_EQ_INT(ramfs_index_insert(big, &b), 0);
    CHECK_EQ_STR(ramfs_index_at(big, 0)->name, "a.o");
    CHECK_EQ_INT(ramfs_index_count(ix), 3); /* the old one is untouched */
    free(ix);
    free(big);
}

/* Every change writes only the table readers do not use, then flips: what the live table held
 * before the flip is intact (the state a kill before the flip would leave). */
static void test_other_table_only(void)
{
    struct ramfs_index *ix = new_index(8);
    struct ramfs_node n[4] = {{.name = "w"}, {.name = "x"}, {.name = "y"}, {.name = "z"}};
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(ramfs_index_insert(ix, &n[i]), 0);
    size_t before = ix->live;
    struct ramfs_node *snapshot[8];
    memcpy(snapshot, ix->v[before], 3 * sizeof(snapshot[0]));
    CHECK_EQ_INT(ramfs_index_insert(ix, &n[3]), 0);
    CHECK(ix->live != before);
    CHECK_EQ_INT(ix->n[before], 3);
    CHECK(memcmp(snapshot, ix->v[before], 3 * sizeof(snapshot[0])) == 0);
    struct ramfs_node *gone[] = {&n[1]};
    before = ix->live;
    CHECK_EQ_INT(ramfs_index_remove(ix, gone, 1), 0);
    CHECK(ix->live != before);
    CHECK_EQ_INT(ix->n[before], 4);
    free(ix);
}

/* Random inserts and removals against a model; the index grows by copy as the ramfs does. */
static void test_random(void)
{
    for (int i = 0; i < POOL; i++) {
        /* Names with shared prefixes, so the comparisons go deep. */
        snprintf(names[i], sizeof(names[i]), "f%u@%u.o", next_rand() % 40, (unsigned)i);
        pool[i] = (struct ramfs_node){.name = names[i]};
    }
    bool in[POOL] = {0};
    struct ramfs_index *ix = new_index(2);
    for (int step = 0; step < 20000; step++) {
        int i = (int)(next_rand() % POOL);
        if (next_rand() % 3) {
            int r = ramfs_index_insert(ix, &pool[i]);
            if (r == KE_NOSPC) {
                struct ramfs_index *big = new_index(ix->cap * 2);
                ramfs_index_copy(big, ix);
                free(ix);
                ix = big;
                r = ramfs_index_insert(ix, &pool[i]);
            }
            CHECK_EQ_INT(r, in[i] ? KE_EXIST : 0);
            in[i] = true;
        } else {
            struct ramfs_node *gone[3];
            size_t k = 0;
            bool all_in = true;
            for (int j = 0; j < 1 + (int)(next_rand() % 3); j++) {
                int g = (int)(next_rand() % POOL);
                bool twice = false;
                for (size_t m = 0; m < k; m++)
                    twice |= gone[m] == &pool[g];
                all_in &= in[g] && !twice;
                gone[k++] = &pool[g];
            }
            int r = ramfs_index_remove(ix, gone, k);
            CHECK_EQ_INT(r, all_in ? 0 : KE_NOENT);
            if (all_in)
                for (size_t m = 0; m < k; m++)
                    in[gone[m] - pool] = false;
        }
        if (step % 97 == 0)
            check_matches(ix, in);
    }
    check_matches(ix, in);
    /* A walk by name visits every file once, in order. */
    size_t seen = 0;
    const char *prev = NULL;
    for (size_t at = ramfs_index_after(ix, prev); at < ramfs_index_count(ix);
         at = ramfs_index_after(ix, prev)) {
        prev = ramfs_index_at(ix, at)->name;
        seen++;
    }
    CHECK_EQ_INT(seen, ramfs_index_count(ix));
    free(ix);
}

static void test_bytes(void)
{
    CHECK(ramfs_index_bytes(0) > 0);
    CHECK(ramfs_index_bytes(10) >= sizeof(struct ramfs_index) + 20 * sizeof(void *));
    CHECK_EQ_INT(ramfs_index_bytes(SIZE_MAX / 4), 0);
}

static void test_size(void)
{
    size_t v = 7;
    CHECK_EQ_INT(ramfs_parse_size("4096", &v), 0);
    CHECK_EQ_U64(v, 4096);
    CHECK_EQ_INT(ramfs_parse_size("512K", &v), 0);
    CHECK_EQ_U64(v, 512 * 1024);
    CHECK_EQ_INT(ramfs_parse_size("16M", &v), 0);
    CHECK_EQ_U64(v, 16u << 20);
    CHECK_EQ_INT(ramfs_parse_size("16MiB", &v), 0);
    CHECK_EQ_U64(v, 16u << 20);
    CHECK_EQ_INT(ramfs_parse_size("1g", &v), 0);
    CHECK_EQ_U64(v, 1u << 30);
    CHECK_EQ_INT(ramfs_parse_size("0", &v), 0);
    CHECK_EQ_U64(v, 0);
    v = 7;
    const char *bad[] = {"", "M", "-1", "16 M", "16MB", "16Mi", "1.5M", "0x10", "16T", "12k3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(ramfs_parse_size(bad[i], &v), KE_INVAL);
    CHECK_EQ_INT(ramfs_parse_size(NULL, &v), KE_INVAL);
    CHECK_EQ_INT(ramfs_parse_size("99999999999999999999999", &v), KE_RANGE);
    CHECK_EQ_INT(ramfs_parse_size("17179869184G", &v), KE_RANGE); /* 2^34 GiB = 2^64 */
    CHECK_EQ_U64(v, 7);                                           /* unchanged on failure */
}

int main(void)
{
    test_basics();
    test_other_table_only();
    test_random();
    test_bytes();
    test_size();
    return check_report("ramfs_index_test");
}
