/* Host test of cells_origin_users (kernel/link/cells_origin.c), which the ramfs asks before it
 * removes a file: over a real loader whose platform retires cells instead of freeing them, a
 * file is in use while a loaded or a retired version came from it, and no longer once the
 * retired versions are freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/cells.h>
#include <keel/errno.h>
#include "check.h"
#include "loader_testlib.h"

static struct loader *test_ld;

/* The core's cells_loader, which cells_origin.c asks. */
struct loader *cells_loader(void)
{
    return test_ld;
}

static int retired_calls;
static void note_retired(void *ctx, struct loaded_cell *cell)
{
    (void)ctx;
    (void)cell;
    retired_calls++;
}

static struct loaded_cell *load(const char *cell, const char *origin)
{
    size_t size;
    void *data = tp_read_cell(cell, &size);
    struct loader_object o = {data, size, origin};
    struct loaded_cell *out = NULL;
    struct loader_error err = {0};
    int r = loader_load(test_ld, &o, 1, &out, &err);
    if (r)
        fprintf(stderr, "loading %s: %s\n", cell, err.msg);
    CHECK_EQ_INT(r, 0);
    free(data); /* the loader keeps no pointer into the object */
    return out;
}

int main(void)
{
    tp_reset();
    struct loader_platform pf = tp_platform();
    pf.retired = note_retired;
    CHECK_EQ_INT(cells_origin_users("empty@1.o", NULL), 0); /* no loader */
    test_ld = loader_create(&pf);
    CHECK(test_ld != NULL);

    struct cells_origin_user u;
    CHECK_EQ_INT(cells_origin_users("empty@1.o", &u), 0);
    CHECK_EQ_INT(cells_origin_users(NULL, &u), 0);
    struct loaded_cell *empty = load("lt_empty", "empty@1.o");
    struct loaded_cell *basic = load("lt_basic", "empty@1.o"); /* a second cell, same file */
    load("lt_relocs", "relocs@1.o");
    memset(&u, 0x55, sizeof(u));
    CHECK_EQ_INT(cells_origin_users("empty@1.o", &u), 2);
    CHECK_EQ_STR(u.name, "lt_empty"); /* load order */
    CHECK_EQ_INT(u.version, 1);
    CHECK(!u.retired);
    CHECK_EQ_INT(cells_origin_users("relocs@1.o", NULL), 1);
    CHECK_EQ_INT(cells_origin_users("empty@1.o.1", &u), 0); /* whole names only */
    CHECK_EQ_INT(cells_origin_users("empty@1", &u), 0);

    /* Unloaded, but retired: still in use; loaded versions are named first. */
    struct loader_error err = {0};
    CHECK_EQ_INT(loader_unload(test_ld, empty, &err), 0);
    CHECK_EQ_INT(retired_calls, 1);
    CHECK_EQ_INT(cells_origin_users("empty@1.o", &u), 2);
    CHECK_EQ_STR(u.name, "lt_basic");
    CHECK(!u.retired);
    CHECK_EQ_INT(loader_unload(test_ld, basic, &err), 0);
    CHECK_EQ_INT(cells_origin_users("empty@1.o", &u), 2);
    CHECK_EQ_STR(u.name, "lt_empty"); /* the oldest retired one */
    CHECK(u.retired);

    /* Once the retired versions are freed, the file is no one's. */
    while (loader_retired_count(test_ld))
        CHECK_EQ_INT(loader_retired_free(test_ld, loader_retired_at(test_ld, 0)), 0);
    CHECK_EQ_INT(cells_origin_users("empty@1.o", &u), 0);
    CHECK_EQ_INT(cells_origin_users("relocs@1.o", NULL), 1);

    loader_destroy(test_ld);
    test_ld = NULL;
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK_EQ_INT(tp.live_regions, 0);
    return check_report("cells_origin_test");
}
