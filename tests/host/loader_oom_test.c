/* Loader allocation-failure test: every fallible platform operation (metadata allocation and
 * region allocation) is made to fail in turn, for every N until a load succeeds. Each failure
 * must be refused with KE_NOMEM and leave exactly what was there before: no allocation, no
 * region, no cell, no init run. */
#include "check.h"
#include "loader_testlib.h"

#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>

static struct loader_platform pf;

static struct loader_object obj(const char *name)
{
    size_t size;
    void *data = tp_read_cell(name, &size);
    return (struct loader_object){data, size, name};
}

/* Loads objs as one batch on top of the cells in pre (loaded without injected failures),
 * failing the N-th operation of the batch load for N = 1, 2, ... until it succeeds. Returns the
 * number of failures seen. */
static long sweep(const struct loader_object *pre, size_t npre, const struct loader_object *objs,
                  size_t n, const char *probe, int probe_result)
{
    long failures = 0;
    for (long nth = 1; nth < 100000; nth++) {
        tp_reset();
        struct loader *ld = loader_create(&pf);
        struct loader_error err;
        CHECK(ld != NULL);
        if (npre)
            CHECK_EQ_INT(loader_load(ld, pre, npre, NULL, &err), 0);
        long allocs = tp.live_allocs, regions = tp.live_regions;
        tp.nnotes = 0;
        tp_fail_nth(nth);
        int rc = loader_load(ld, objs, n, NULL, &err);
        tp_fail_nth(0);
        if (rc != 0) {
            failures++;
            CHECK_EQ_INT(tp.failed, 1);
            CHECK_EQ_INT(rc, KE_NOMEM);
            CHECK(strstr(err.msg, "out of memory") || strstr(err.msg, "cannot allocate"));
            CHECK_EQ_INT(loader_cell_count(ld), npre);
            CHECK_EQ_INT(tp.live_allocs, allocs);
            CHECK_EQ_INT(tp.live_regions, regions);
            CHECK_EQ_INT(tp.nnotes, 0); /* no init ran */
            loader_destroy(ld);
            CHECK_EQ_INT(tp.live_allocs, 0);
            CHECK_EQ_INT(tp.live_regions, 0);
            continue;
        }
        CHECK_EQ_INT(tp.failed, 0); /* succeeded only once nothing failed */
        CHECK_EQ_INT(loader_cell_count(ld), npre + n);
        int (*fn)(void) = (int (*)(void))(uintptr_t)tp_sym(ld, probe);
        CHECK(fn != NULL);
        if (fn)
            CHECK_EQ_INT(fn(), probe_result);
        loader_destroy(ld);
        CHECK_EQ_INT(tp.live_allocs, 0);
        CHECK_EQ_INT(tp.live_regions, 0);
        break;
    }
    return failures;
}

static void test_create(void)
{
    tp_reset();
    tp_fail_nth(1);
    CHECK(loader_create(&pf) == NULL);
    CHECK_EQ_INT(tp.live_allocs, 0);
    tp_reset();
    tp_fail_nth(2);
    CHECK(loader_create(&pf) == NULL);
    CHECK_EQ_INT(tp.live_allocs, 0);
}

static void test_parse(const struct loader_object *o)
{
    long failures = 0;
    for (long nth = 1; nth < 1000; nth++) {
        tp_reset();
        tp_fail_nth(nth);
        struct cell_image img;
        struct loader_error err;
        int rc = cell_image_parse(&pf, o->data, o->size, o->origin, &img, &err);
        if (rc) {
            failures++;
            CHECK_EQ_INT(rc, KE_NOMEM);
            CHECK(strstr(err.msg, "out of memory") != NULL);
            CHECK_EQ_INT(tp.live_allocs, 0);
            continue;
        }
        CHECK_EQ_INT(tp.failed, 0);
        cell_image_free(&pf, &img);
        CHECK_EQ_INT(tp.live_allocs, 0);
        break;
    }
    CHECK(failures >= 4); /* sections, overlap check, symbols, duplicates, relocations */
}

int main(void)
{
    tp_reset();
    pf = tp_platform();
    struct loader_object basic = obj("lt_basic"), ping = obj("lt_ping"), pong = obj("lt_pong"),
                         user = obj("lt_user");
    test_create();
    test_parse(&basic);
    /* One cell with all three regions. */
    CHECK(sweep(NULL, 0, &basic, 1, "basic_weak_check", 3) >= 10);
    /* A batch on top of a loaded cell: ping <-> pong, user -> the loaded lt_basic. */
    struct loader_object batch[3] = {ping, pong, user};
    CHECK(sweep(&basic, 1, batch, 3, "user_compute", 84) >= 20);
    free((void *)basic.data);
    free((void *)ping.data);
    free((void *)pong.data);
    free((void *)user.data);
    return check_report("loader_oom_test");
}
