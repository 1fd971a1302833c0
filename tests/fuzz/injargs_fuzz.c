/* Fuzz the inject spec parser (cells/commands/inject/injargs.h): the input, split at NULs and
 * newlines, is argv after "inject"; the first byte picks the message buffer size. Checks: the
 * result is 0 or 2; a refusal leaves a terminated, non-empty message inside the buffer; an
 * accepted spec is consistent (a known model, strings terminated and pointing into the result,
 * trigger and --of together, exception/loop with an entry symbol; an allocation fault names a
 * cell; an IPC fault has a known kind and side, nth >= 1, a delay exactly for delay faults). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "commands/inject/injargs.h"

#define MAX_ARGS 48

static void check_str(const char *s, const char *buf, size_t size)
{
    if (s && (s != buf || strnlen(s, size) == size || !*s))
        abort();
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
    const char *argv[MAX_ARGS + 1] = {"inject"};
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
    struct injargs a;
    int rc = injargs_parse(argc, argv, &a, msg, msg_size);
    if (rc == 2) {
        if (memchr(msg, 0, msg_size) == NULL || (msg_size > 1 && msg[0] == 0))
            abort();
    } else if (rc == 0) {
        if (a.action == INJARGS_FAULT) {
            const struct inject_spec *s = &a.spec;
            if (s->model < INJECT_BITFLIP || s->model > INJECT_LOOP || !s->cell[0] ||
                strnlen(s->cell, sizeof(s->cell)) == sizeof(s->cell))
                abort();
            check_str(s->symbol, a.symbol, sizeof(a.symbol));
            check_str(s->trigger_symbol, a.trigger_symbol, sizeof(a.trigger_symbol));
            check_str(s->task, a.task, sizeof(a.task));
            if ((s->place == INJECT_IN_STACK) != (s->task != NULL) ||
                (s->place && (s->trigger || s->symbol || s->has_offset ||
                              (s->model != INJECT_BITFLIP && s->model != INJECT_WORD))))
                abort();
            if ((s->trigger == INJECT_AFTER_CALLS) != (s->trigger_symbol != NULL) ||
                (s->trigger == INJECT_AFTER_CALLS && !s->trigger_n) ||
                (s->value && s->model != INJECT_WORD))
                abort();
            if ((s->model == INJECT_EXCEPTION || s->model == INJECT_LOOP) &&
                (!s->symbol || s->has_offset))
                abort();
        } else if (a.action == INJARGS_ALLOC) {
            if (!a.alloc.cell[0] ||
                strnlen(a.alloc.cell, sizeof(a.alloc.cell)) == sizeof(a.alloc.cell))
                abort();
        } else if (a.action == INJARGS_IPC) {
            const struct ipc_fault_spec *s = &a.ipc;
            if (s->kind < IPC_FAULT_DROP || s->kind > IPC_FAULT_KIND_LAST || !s->nth ||
                (s->side != IPC_SIDE_SEND && s->side != IPC_SIDE_RECV) ||
                strnlen(s->cell, sizeof(s->cell)) == sizeof(s->cell) ||
                (s->kind == IPC_FAULT_DELAY) != (s->delay_ns != 0) ||
                s->delay_ns > IPC_FAULT_DELAY_MAX_NS)
                abort();
        } else if (a.action != INJARGS_STATUS && a.action != INJARGS_RESTORE) {
            abort();
        }
    } else {
        abort();
    }
    free(msg);
    free(copy);
    return 0;
}
