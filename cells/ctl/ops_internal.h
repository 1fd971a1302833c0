/* Shared by the request handlers of the ctl cell (ops.c, ops_files.c, ops_swap.c, ops_faults.c,
 * ops_inject.c). */
#ifndef CELLS_CTL_OPS_INTERNAL_H
#define CELLS_CTL_OPS_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include <keel/format.h>
#include "ctl/ops.h"
#include "ramfs/ramfs.h"

/* Refuse with code and a message (msg and msg_size are the handler's parameters). */
#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        ksnprintf(msg, msg_size, __VA_ARGS__);                                                     \
        return (code);                                                                             \
    } while (0)

/* CTL_E_MALFORMED with "malformed <what> request". */
int ctl_malformed(char *msg, size_t msg_size, const char *what);

/* A refused LOAD or SWAP asked to discard objects keelctl's push had just stored: remove
 * names[i] for every bit i of mask (each on its own, so one that cannot go does not keep the
 * others). Returns the bits of the files removed. */
uint8_t ctl_discard(const char *const *names, size_t n, uint8_t mask);

int ctl_op_push(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size);
int ctl_op_remove(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size);
int ctl_op_swap(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size);
int ctl_op_inject(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size);
int ctl_op_faults(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size);

#endif
