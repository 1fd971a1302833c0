/* The recovery ladder's bookkeeping: see ladder.h. */
#include <keel/string.h>
#include "recovery/ladder.h"

struct ladder_entry *ladder_find(struct ladder *l, const char *cell)
{
    for (unsigned i = 0; i < LADDER_CELLS; i++)
        if (l->e[i].cell[0] && strcmp(l->e[i].cell, cell) == 0)
            return &l->e[i];
    return NULL;
}

/* A free entry, else the one quiet the longest. */
static struct ladder_entry *make_room(struct ladder *l)
{
    struct ladder_entry *oldest = &l->e[0];
    for (unsigned i = 0; i < LADDER_CELLS; i++) {
        if (!l->e[i].cell[0])
            return &l->e[i];
        if (l->e[i].last_ns < oldest->last_ns)
            oldest = &l->e[i];
    }
    return oldest;
}

unsigned ladder_climb(struct ladder *l, const char *cell, const struct recovery_policy *p,
                      uint64_t now_ns)
{
    return ladder_climb_since(l, cell, p, now_ns, now_ns);
}

unsigned ladder_climb_since(struct ladder *l, const char *cell, const struct recovery_policy *p,
                            uint64_t began_ns, uint64_t now_ns)
{
    unsigned top = p->top < RECOVERY_RESTART ? RECOVERY_RESTART : p->top;
    struct ladder_entry *e = ladder_find(l, cell);
    if (!e) {
        e = make_room(l);
        memset(e, 0, sizeof(*e));
        size_t n = strnlen(cell, sizeof(e->cell) - 1);
        memcpy(e->cell, cell, n);
        e->cell[n] = 0;
    }
    if (e->reloaded_ns && now_ns <= e->reloaded_ns)
        return RECOVERY_RESTART; /* the old version's fault: the restart runs the new one */
    uint64_t quiet_ns = (uint64_t)p->quiet_ms * 1000000u;
    bool quiet = e->rung == 0 || now_ns < e->last_ns ||
                 (began_ns >= e->last_ns && began_ns - e->last_ns >= quiet_ns);
    if (quiet) {
        e->rung = 0;
        e->faults = 0;
    }
    e->rung = e->rung + 1 > top ? top : e->rung + 1;
    e->faults++;
    e->last_ns = now_ns;
    e->failed = e->rung == RECOVERY_GIVE_UP;
    return e->rung;
}

void ladder_reloaded(struct ladder *l, const char *cell, uint64_t now_ns)
{
    struct ladder_entry *e = ladder_find(l, cell);
    if (e)
        e->reloaded_ns = now_ns;
}

bool ladder_forget(struct ladder *l, const char *cell)
{
    struct ladder_entry *e = ladder_find(l, cell);
    if (!e)
        return false;
    memset(e, 0, sizeof(*e));
    return true;
}
