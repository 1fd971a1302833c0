/* Fuzz the swap command's argument parser: the input, split at NULs and newlines, is argv after
 * "swap"; the first byte picks the message buffer size. Checks: the result is 0 or 2; a refusal
 * leaves a terminated, non-empty message inside the buffer; an accepted line has 1..8 pairs of
 * argv words, distinct cells, values in range and no -n with -r; every object name fits or is
 * refused, never overflows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "commands/swap/swapargs.h"

#define MAX_ARGS 48

static const char *step_name(int s)
{
    static const char *const names[] = {"link", "check", "quiesce", "transfer", "rewrite"};
    return s >= 1 && s <= 5 ? names[s - 1] : NULL;
}

static bool is_arg(const char *const *argv, int argc, const char *p)
{
    for (int i = 1; i < argc; i++)
        if (argv[i] == p)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned long msg_size = 1 + data[0] % 96;
    char *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = 0;
    const char *argv[MAX_ARGS + 1] = {"swap"};
    int argc = 1;
    char *p = copy, *end = copy + size - 1;
    while (p < end && argc < MAX_ARGS) {
        argv[argc++] = p;
        while (p < end && *p && *p != '\n')
            p++;
        *p++ = 0;
    }
    argv[argc] = NULL;

    char *msg = malloc(msg_size); /* exact size: ASan catches a write past it */
    if (!msg)
        abort();
    memset(msg, 'Z', msg_size);
    struct swapargs a;
    int rc = swapargs_parse(argc, argv, &a, msg, msg_size, step_name);
    if (rc == 2) {
        if (memchr(msg, 0, msg_size) == NULL || (msg_size > 1 && msg[0] == 0))
            abort();
    } else if (rc == 0) {
        if (a.npairs < 1 || a.npairs > SWAPARGS_MAX_PAIRS || a.deadline_ms > 60000 ||
            a.repeat > SWAPARGS_MAX_REPEAT || a.fail_at < 0 || a.fail_at > 5 ||
            (a.dry_run && a.repeat))
            abort();
        for (unsigned k = 0; k < a.npairs; k++) {
            if (!is_arg(argv, argc, a.cell[k]) || !is_arg(argv, argc, a.target[k]))
                abort();
            for (unsigned j = 0; j < k; j++)
                if (strcmp(a.cell[j], a.cell[k]) == 0)
                    abort();
            for (int with_o = 0; with_o < 2; with_o++) {
                char *out = malloc(msg_size);
                if (!out)
                    abort();
                if (swapargs_object_name(a.cell[k], a.target[k], with_o, out, msg_size) == 0) {
                    size_t len = strnlen(out, msg_size);
                    if (len == msg_size)
                        abort();
                    if (with_o && (len < 2 || strcmp(out + len - 2, ".o") != 0))
                        abort();
                }
                free(out);
            }
        }
    } else {
        abort();
    }
    free(msg);
    free(copy);
    return 0;
}
