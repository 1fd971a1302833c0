/* libFuzzer target for the shell's word splitting (cells/shell/tokenize.c). The input up to its
 * first NUL is a command line, copied to a buffer of exact size (ASan sees any overread). Checks:
 * only the documented results; every word lies inside the output buffer; an unterminated quote
 * needs a quote character; a buffer one byte short of the need fails with KE_NOSPC and changes
 * nothing; and quoting the words again ("..." with \" and \\) splits back into the same words. */
#include <keel/errno.h>
#include <keel/string.h>
#include <stdint.h>
#include <stdlib.h>
#include "shell/tokenize.h"

#define MAX_ARGS 64

static size_t need(char **argv, int argc)
{
    size_t n = 0;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = strnlen((const char *)data, size);
    char *line = malloc(len + 1);
    memcpy(line, data, len);
    line[len] = 0;
    char *out = malloc(len + 1);
    char *argv[MAX_ARGS + 1];
    int argc = tokenize(line, out, len + 1, argv, MAX_ARGS);
    if (argc == KE_INVAL) {
        if (!memchr(line, '"', len) && !memchr(line, '\'', len))
            abort();
        goto done;
    }
    if (argc == KE_RANGE)
        goto done;
    if (argc < 0 || argc > MAX_ARGS || (argc < MAX_ARGS && argv[argc] != NULL))
        abort();
    size_t used = need(argv, argc);
    if (used > len + 1)
        abort();
    for (int i = 0; i < argc; i++)
        if (argv[i] < out || argv[i] + strlen(argv[i]) >= out + len + 1)
            abort();
    /* One byte short of what the words need: KE_NOSPC, outputs untouched. */
    if (used > 0) {
        char *small = malloc(used - 1 + 1);
        char *argv2[MAX_ARGS + 1];
        argv2[0] = (char *)"guard";
        if (tokenize(line, small, used - 1, argv2, MAX_ARGS) != KE_NOSPC ||
            strcmp(argv2[0], "guard") != 0)
            abort();
        free(small);
    }
    /* Round trip through double quotes. */
    char *again = malloc(2 * used + 3 * (size_t)argc + 1);
    size_t k = 0;
    for (int i = 0; i < argc; i++) {
        again[k++] = '"';
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                again[k++] = '\\';
            again[k++] = *p;
        }
        again[k++] = '"';
        again[k++] = ' ';
    }
    again[k] = 0;
    char *out2 = malloc(k + 1);
    char *argv2[MAX_ARGS + 1];
    if (tokenize(again, out2, k + 1, argv2, MAX_ARGS) != argc)
        abort();
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], argv2[i]) != 0)
            abort();
    free(out2);
    free(again);
done:
    free(out);
    free(line);
    return 0;
}
