/* Address-to-symbol lookup over the table ksymgen embeds in .ksyms (empty in the first link). */
#include <keel/errno.h>
#include <keel/ksyms_format.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/export.h>

extern const char __ksyms_start[], __ksyms_end[];

static const struct ksyms_header *table(void)
{
    const struct ksyms_header *h = (const void *)__ksyms_start;
    size_t avail = (size_t)(__ksyms_end - __ksyms_start);
    if (avail < sizeof(*h) || h->magic != KSYMS_MAGIC)
        return 0;
    if ((avail - sizeof(*h)) / sizeof(struct ksyms_entry) < h->count)
        return 0;
    if (avail - sizeof(*h) - h->count * sizeof(struct ksyms_entry) < h->names_size)
        return 0;
    return h;
}

static const struct ksyms_entry *entries(const struct ksyms_header *h)
{
    return (const struct ksyms_entry *)(h + 1);
}

static const char *name_of(const struct ksyms_header *h, const struct ksyms_entry *e)
{
    const char *names = (const char *)(entries(h) + h->count);
    return e->name < h->names_size ? names + e->name : "?";
}

unsigned ksym_count(void)
{
    const struct ksyms_header *h = table();
    return h ? h->count : 0;
}

int ksym_lookup(uint64_t addr, const char **name, uint64_t *offset)
{
    const struct ksyms_header *h = table();
    if (!h || h->count == 0)
        return KE_NOENT;
    const struct ksyms_entry *e = entries(h);
    /* Last entry with e.addr <= addr. */
    size_t lo = 0, hi = h->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return KE_NOENT;
    const struct ksyms_entry *s = &e[lo - 1];
    /* Sized symbols must contain addr; unsized ones (assembly labels) reach the next symbol. */
    if (s->size && addr - s->addr >= s->size)
        return KE_NOENT;
    *name = name_of(h, s);
    *offset = addr - s->addr;
    return 0;
}

uint64_t ksym_address(const char *name)
{
    const struct ksyms_header *h = table();
    if (!h)
        return 0;
    for (uint32_t i = 0; i < h->count; i++)
        if (strcmp(name_of(h, &entries(h)[i]), name) == 0)
            return entries(h)[i].addr;
    return 0;
}

KEEL_EXPORT_FUNC(ksym_lookup);
KEEL_EXPORT_FUNC(ksym_address);
KEEL_EXPORT_FUNC(ksym_count);
