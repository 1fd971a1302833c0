/* Fuzz the AML _S5_ extractor (firmware input): it must never read out of bounds, and answers
 * only with the documented codes (0, KE_NOENT, KE_NOEXEC). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/power.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size heap copy so ASan sees any over-read. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    uint8_t a, b;
    int rc = acpi_aml_find_s5(copy, size, &a, &b);
    if (rc != 0 && rc != KE_NOENT && rc != KE_NOEXEC)
        abort();
    if (rc == 0 && size < 8)
        abort(); /* a package needs at least name + PackageOp + length + count + 2 values */
    free(copy);
    return 0;
}
