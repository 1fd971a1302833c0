/* Unit tests for the heap injector's caller filter and fail_nth (kernel/mem/heap_failslab.c): the
 * per-cell filter of keel/inject_alloc.h is a match hook; fail_nth counts matching calls only,
 * `seen` counts them, the fired hook hears each failure, and a disarmed injector asks nothing. */
#include <keel/errno.h>
#include <keel/heap.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void *pages(void *ctx, size_t n)
{
    (void)ctx;
    return aligned_alloc(HEAP_PAGE_SIZE, n * HEAP_PAGE_SIZE);
}

static void unpages(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)n;
    free(p);
}

static struct heap H;

/* The "caller": which calls the filter claims, as a cell's text would. */
struct filter {
    bool mine;    /* the next calls come from "the cell" */
    long asked;   /* match calls */
    long fired;   /* fired calls */
    int fired_at; /* the call index at the last fire */
    int index;
};

static bool match(void *ctx)
{
    struct filter *f = ctx;
    f->asked++;
    return f->mine;
}

static void fired(void *ctx)
{
    struct filter *f = ctx;
    f->fired++;
    f->fired_at = f->index;
}

/* One allocation (freed at once) as "the cell" or not: whether it failed. */
static bool call(struct filter *f, bool mine, owner_t owner)
{
    f->mine = mine;
    f->index++;
    void *p = heap_alloc(&H, 40, 0, owner);
    heap_free(&H, p);
    return p == NULL;
}

int main(void)
{
    static const struct heap_page_source src = {pages, unpages, NULL};
    CHECK_EQ_INT(heap_init(&H, &src), 0);
    struct filter f = {0};
    struct heap_failslab fs, got;

    /* fired without match: refused, nothing changes */
    fs = (struct heap_failslab){.fail_nth = 1, .fired = fired, .hook_ctx = &f};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), KE_INVAL);
    heap_failslab_get(&H, &got);
    CHECK_EQ_INT(got.fail_nth, 0);

    /* nth 3 of the cell's calls: others do not count, and do not fail */
    fs = (struct heap_failslab){
        .fail_nth = 3, .match = match, .fired = fired, .hook_ctx = &f, .seen = 99};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    heap_failslab_get(&H, &got);
    CHECK_EQ_U64(got.seen, 0); /* set ignores seen */
    static const bool mine[] = {false, true, false, false, true, false, true, true, false};
    static const bool fails[] = {false, false, false, false, false, false, true, false, false};
    for (unsigned i = 0; i < sizeof(mine); i++)
        CHECK(call(&f, mine[i], 7) == fails[i]);
    CHECK_EQ_INT(f.fired, 1);
    CHECK_EQ_INT(f.fired_at, 7);
    heap_failslab_get(&H, &got);
    CHECK_EQ_INT(got.fail_nth, 0);
    CHECK_EQ_U64(got.seen, 3); /* counting stops once nothing is armed */
    long asked = f.asked;
    call(&f, true, 7);
    CHECK_EQ_INT(f.asked, asked); /* disarmed: the filter is not asked */

    /* owner filter first, then the match: a call of another owner is not even asked */
    fs = (struct heap_failslab){
        .fail_nth = 1, .filter_owner = true, .owner = 5, .match = match, .hook_ctx = &f};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    asked = f.asked;
    CHECK(!call(&f, true, 6));
    CHECK_EQ_INT(f.asked, asked);
    CHECK(!call(&f, false, 5));
    CHECK(call(&f, true, 5));

    /* probability 100 with a filter: only matching calls fail, each one told */
    f.fired = 0;
    fs = (struct heap_failslab){
        .probability = 100, .times = -1, .match = match, .fired = fired, .hook_ctx = &f};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    int failed = 0;
    for (int i = 0; i < 100; i++)
        failed += call(&f, i % 4 == 0, 9);
    CHECK_EQ_INT(failed, 25);
    CHECK_EQ_INT(f.fired, 25);
    heap_failslab_get(&H, &got);
    CHECK_EQ_U64(got.seen, 25);

    /* a growing realloc of a matching call is eligible too */
    static const struct heap_failslab off = {0};
    CHECK_EQ_INT(heap_failslab_set(&H, &off), 0);
    void *p = heap_alloc(&H, 16, 0, 9);
    CHECK(p != NULL);
    fs = (struct heap_failslab){.fail_nth = 1, .match = match, .hook_ctx = &f};
    CHECK_EQ_INT(heap_failslab_set(&H, &fs), 0);
    f.mine = true;
    CHECK(heap_realloc(&H, p, 4000, 9) == NULL);
    heap_free(&H, p);
    CHECK_EQ_INT(heap_check(&H), 0);
    size_t in_use;
    heap_totals(&H, &in_use, NULL, NULL);
    CHECK_EQ_U64(in_use, 0);
    heap_destroy(&H);
    return check_report("failslab_filter_test");
}
