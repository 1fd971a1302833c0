/* Failure injection for the heap, after Linux's failslab/fault_attr: probability, interval,
 * times and an owner filter, plus a one-shot "fail the nth call". Deterministic: the
 * probability draws come from a seeded PRNG, never from time. */
#include <keel/errno.h>
#include <keel/heap.h>

/* splitmix64: tiny, and every seed (0 included) gives a good sequence. */
static uint64_t next_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int heap_failslab_set(struct heap *h, const struct heap_failslab *cfg)
{
    if (!h || h->magic != HEAP_MAGIC || !cfg)
        return KE_INVAL;
    if (cfg->probability > 100 || cfg->times < -1 ||
        (cfg->filter_owner && cfg->owner == HEAP_OWNER_NONE) || (cfg->fired && !cfg->match))
        return KE_INVAL;
    h->fs = *cfg;
    h->fs.seen = 0;
    h->fs_rng = cfg->seed;
    h->fs_calls = 0;
    return 0;
}

void heap_failslab_get(struct heap *h, struct heap_failslab *out)
{
    if (!out)
        return;
    if (!h || h->magic != HEAP_MAGIC) {
        *out = (struct heap_failslab){0};
        return;
    }
    *out = h->fs;
}

/* One eligible call: the countdown and the probabilistic knobs. */
static bool decide(struct heap *h, struct heap_failslab *fs)
{
    /* The one-shot countdown runs beside the probabilistic knobs and does not disturb them. */
    bool nth = fs->fail_nth && --fs->fail_nth == 0;
    if (fs->times == 0 || fs->probability == 0)
        return nth;
    if (fs->interval > 1 && ++h->fs_calls % fs->interval != 0)
        return nth;
    if (next_rand(&h->fs_rng) % 100 >= fs->probability)
        return nth;
    if (fs->times > 0)
        fs->times--;
    return true;
}

bool heap_failslab_should_fail(struct heap *h, owner_t owner)
{
    if (!h || h->magic != HEAP_MAGIC)
        return false;
    struct heap_failslab *fs = &h->fs;
    /* Disarmed (the usual case): nothing to count, no filter to ask. */
    if (!fs->fail_nth && (fs->times == 0 || fs->probability == 0))
        return false;
    if (fs->filter_owner && owner != fs->owner)
        return false;
    if (fs->match && !fs->match(fs->hook_ctx))
        return false;
    fs->seen++;
    bool fail = decide(h, fs);
    if (fail && fs->fired)
        fs->fired(fs->hook_ctx);
    return fail;
}
