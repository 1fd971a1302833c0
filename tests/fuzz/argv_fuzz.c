/* Fuzz argv_unpack: every accepted block yields strings inside it, and repacking reproduces it;
 * a refusal is one of the documented codes (KE_NOEXEC; KE_RANGE cannot happen with room for
 * ARGV_MAX_ARGS). */
#include <stdint.h>
#include <stdlib.h>
#include <keel/argv.h>
#include <keel/errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_unpack(copy, size, argv, ARGV_MAX_ARGS + 1);
    if (argc < 0 && argc != KE_NOEXEC)
        abort();
    if (argc >= 0) {
        for (int i = 0; i < argc; i++)
            if ((const uint8_t *)argv[i] < copy || (const uint8_t *)argv[i] >= copy + size)
                abort();
        size_t need = argv_packed_size(argc, argv);
        uint8_t *again = malloc(need ? need : 1);
        if (need == 0 || !again || argv_pack(argc, argv, again, need) != (int)need)
            abort();
        const char *argv2[ARGV_MAX_ARGS + 1];
        if (argv_unpack(again, need, argv2, ARGV_MAX_ARGS + 1) != argc)
            abort();
        for (int i = 0; i < argc; i++)
            if (strcmp(argv[i], argv2[i]) != 0)
                abort();
        free(again);
    }
    free(copy);
    return 0;
}
