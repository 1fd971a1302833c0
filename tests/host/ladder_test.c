/* The recovery ladder's bookkeeping (kernel/recovery/ladder.c): climbing one rung per fault,
 * capped at the policy's top; back to the bottom after the quiet period; given up at the last
 * rung; forgetting; a full table forgets the cell quiet the longest. */
#include <stdio.h>
#include <string.h>
#include "recovery/ladder.h"
#include "check.h"

#define MS 1000000ull

static struct ladder l;

int main(void)
{
    struct recovery_policy full = {
        .top = RECOVERY_GIVE_UP, .state = RECOVERY_RESET, .quiet_ms = 100};
    /* Each fault within the quiet period climbs a rung, up to giving up. */
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 1000 * MS), RECOVERY_RESTART);
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 1050 * MS), RECOVERY_RELOAD);
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 1100 * MS), RECOVERY_DEPENDENTS);
    CHECK(!ladder_find(&l, "a")->failed);
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 1150 * MS), RECOVERY_GIVE_UP);
    CHECK(ladder_find(&l, "a")->failed);
    CHECK_EQ_INT(ladder_find(&l, "a")->faults, 4);
    /* At the top it stays there. */
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 1160 * MS), RECOVERY_GIVE_UP);
    /* The quiet period is measured from the last fault: just under it still climbs (from the
     * top: stays), at it the ladder starts again at the bottom. */
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 1259 * MS), RECOVERY_GIVE_UP);
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 1359 * MS), RECOVERY_RESTART);
    CHECK_EQ_INT(ladder_find(&l, "a")->faults, 1);
    CHECK(!ladder_find(&l, "a")->failed);
    /* Cells climb independently. */
    CHECK_EQ_INT(ladder_climb(&l, "b", &full, 1360 * MS), RECOVERY_RESTART);
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 1361 * MS), RECOVERY_RELOAD);
    /* A lower top caps the climb; restart-only never leaves the bottom. */
    struct recovery_policy reload = full, restart = full;
    reload.top = RECOVERY_RELOAD;
    restart.top = RECOVERY_RESTART;
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(ladder_climb(&l, "c", &reload, (2000 + i) * MS),
                     i == 0 ? RECOVERY_RESTART : RECOVERY_RELOAD);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(ladder_climb(&l, "d", &restart, (2000 + i) * MS), RECOVERY_RESTART);
    /* A top below the bottom is taken as restart. */
    struct recovery_policy zero = full;
    zero.top = 0;
    CHECK_EQ_INT(ladder_climb(&l, "e", &zero, 3000 * MS), RECOVERY_RESTART);
    /* A clock that went backwards (it cannot, but) starts at the bottom rather than climbing. */
    CHECK_EQ_INT(ladder_climb(&l, "e", &full, 2000 * MS), RECOVERY_RESTART);
    /* A hang taken 1 s after it began climbs when it began within the quiet period after the
     * previous fault, however late it was taken; one that began later starts at the bottom. */
    CHECK_EQ_INT(ladder_climb_since(&l, "h", &full, 5000 * MS, 6000 * MS), RECOVERY_RESTART);
    CHECK_EQ_INT(ladder_climb_since(&l, "h", &full, 6001 * MS, 7001 * MS), RECOVERY_RELOAD);
    CHECK_EQ_INT(ladder_climb_since(&l, "h", &full, 7002 * MS, 8002 * MS), RECOVERY_DEPENDENTS);
    CHECK_EQ_INT(ladder_climb_since(&l, "h", &full, 9100 * MS, 10100 * MS), RECOVERY_RESTART);
    /* Faults taken before the cell's reload completed are the old version's: restart, and the
     * ladder stays where the reload left it; a fault after it climbs on. */
    CHECK_EQ_INT(ladder_climb(&l, "r", &full, 11000 * MS), RECOVERY_RESTART);
    CHECK_EQ_INT(ladder_climb(&l, "r", &full, 11010 * MS), RECOVERY_RELOAD);
    ladder_reloaded(&l, "r", 11020 * MS);
    CHECK_EQ_INT(ladder_climb(&l, "r", &full, 11015 * MS), RECOVERY_RESTART);
    CHECK_EQ_INT(ladder_climb(&l, "r", &full, 11020 * MS), RECOVERY_RESTART);
    CHECK_EQ_INT(ladder_climb(&l, "r", &full, 11030 * MS), RECOVERY_DEPENDENTS);
    ladder_reloaded(&l, "nosuch", 1); /* no entry: nothing to note */
    CHECK(ladder_find(&l, "nosuch") == NULL);
    /* Forget. */
    CHECK(ladder_forget(&l, "a"));
    CHECK(!ladder_forget(&l, "a"));
    CHECK(ladder_find(&l, "a") == NULL);
    CHECK_EQ_INT(ladder_climb(&l, "a", &full, 4000 * MS), RECOVERY_RESTART);
    /* A long name is cut to the entry's size and still found by its cut form. */
    char longname[64];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[63] = 0;
    CHECK_EQ_INT(ladder_climb(&l, longname, &full, 4001 * MS), RECOVERY_RESTART);
    longname[RECOVERY_CELL_MAX - 1] = 0;
    CHECK(ladder_find(&l, longname) != NULL);
    /* A full table: the entry quiet the longest goes. */
    memset(&l, 0, sizeof(l));
    char name[16];
    for (int i = 0; i < LADDER_CELLS; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        CHECK_EQ_INT(ladder_climb(&l, name, &full, (uint64_t)(100 + i) * MS), RECOVERY_RESTART);
    }
    CHECK_EQ_INT(ladder_climb(&l, "c5", &full, 170 * MS), RECOVERY_RELOAD); /* c5 is now recent */
    CHECK_EQ_INT(ladder_climb(&l, "new", &full, 200 * MS), RECOVERY_RESTART);
    CHECK(ladder_find(&l, "c0") == NULL); /* quiet the longest */
    CHECK(ladder_find(&l, "c5") != NULL && ladder_find(&l, "c1") != NULL);
    return check_report("ladder_test");
}
