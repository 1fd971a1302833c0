/* The nano-core's export table: cells may link only against core symbols exported on purpose
 * with KEEL_EXPORT_FUNC / KEEL_EXPORT_DATA (never "every core symbol"). The entries live in the
 * .kexports section of the kernel image. */
#ifndef KEEL_EXPORT_H
#define KEEL_EXPORT_H
#include <stdint.h>

#define KEXPORT_FUNC 1u
#define KEXPORT_DATA 2u

struct kexport {
    const char *name;
    const void *addr;
    uint32_t kind; /* KEXPORT_FUNC or KEXPORT_DATA */
    uint32_t size; /* objects: their size in bytes; functions: 0 */
};

#define KEEL_EXPORT_FUNC(sym)                                                                      \
    __attribute__((section(".kexports"), used,                                                     \
                   aligned(8))) static const struct kexport kexport_##sym = {                      \
        #sym, (const void *)&sym, KEXPORT_FUNC, 0}
#define KEEL_EXPORT_DATA(sym)                                                                      \
    __attribute__((section(".kexports"), used,                                                     \
                   aligned(8))) static const struct kexport kexport_##sym = {                      \
        #sym, (const void *)&sym, KEXPORT_DATA, (uint32_t)sizeof(sym)}

/* Look up an exported core symbol: 0, or KE_NOENT. */
int kexport_find(const char *name, const struct kexport **out);
/* The whole table, for listings. */
const struct kexport *kexport_table(unsigned *count);

#endif
