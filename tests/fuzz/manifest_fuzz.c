/* Fuzz the boot manifest parser: every returned name lies inside the input and is well-formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/manifest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    const char *cur = copy, *end = copy + size;
    struct manifest_batch b = {0};
    for (int guard = 0; guard <= (int)size + 1; guard++) {
        int r = manifest_next(&cur, end, &b);
        if (r == 0)
            break;
        if (cur < copy || cur > end)
            abort();
        for (size_t i = 0; r == 1 && i < b.count; i++) {
            if (b.items[i].name < copy || b.items[i].name + b.items[i].len > end ||
                b.items[i].len == 0 || b.items[i].len > MANIFEST_NAME_MAX)
                abort();
        }
    }
    free(copy);
    return 0;
}
