/* The core export table: the .kexports entries placed by KEEL_EXPORT_FUNC/DATA next to the
 * definitions they export. Cells may link against these and nothing else of the core. */
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/string.h>

/* Freestanding library code shared with host builds is exported here rather than beside its
 * definition, so the host builds carry no export table. */
KEEL_EXPORT_FUNC(ksnprintf);
KEEL_EXPORT_FUNC(kvsnprintf);
KEEL_EXPORT_FUNC(keel_strerror);
KEEL_EXPORT_FUNC(keel_errname);

extern const struct kexport __kexports_start[], __kexports_end[];

const struct kexport *kexport_table(unsigned *count)
{
    *count = (unsigned)(__kexports_end - __kexports_start);
    return __kexports_start;
}

int kexport_find(const char *name, const struct kexport **out)
{
    for (const struct kexport *e = __kexports_start; e < __kexports_end; e++) {
        if (strcmp(e->name, name) == 0) {
            *out = e;
            return 0;
        }
    }
    return KE_NOENT;
}
