/* IPC faults (docs/fault-injection.md, "IPC faults"): what a fault armed on channel messages
 * does and the freestanding choices behind it, host-tested (ipc_pick_test): which message it
 * hits (the Nth that matches) and which bit of a word a seed corrupts. The core's side is
 * tasking/chan_fault.c (the hook) and kernel/inject/ipc.c (arming, one fault at a time). */
#ifndef KEEL_IPC_PICK_H
#define KEEL_IPC_PICK_H

#include <stdbool.h>
#include <stdint.h>

enum ipc_fault_kind {
    IPC_FAULT_DROP = 1, /* the message vanishes (send: the sender believes it delivered) */
    IPC_FAULT_DUP,      /* delivered twice (send: put again; recv: handed out again) */
    IPC_FAULT_CORRUPT,  /* one bit of the word, chosen by the seed, inverted */
    IPC_FAULT_DELAY,    /* held delay_ns before it goes on */
    IPC_FAULT_BADPTR,   /* the message (send) or out (recv) pointer made NULL+0x10: #PF */
    IPC_FAULT_PAGEFAULT /* a #PF inside the channel code after the message moved, no lock held */
};
#define IPC_FAULT_KIND_LAST IPC_FAULT_PAGEFAULT

enum ipc_fault_side { IPC_SIDE_SEND = 1, IPC_SIDE_RECV };

#define IPC_FAULT_CELL_MAX     32
#define IPC_FAULT_NAME_MAX     24
#define IPC_FAULT_DELAY_MAX_NS 10000000000ull /* 10 s */

struct ipc_fault_spec {
    enum ipc_fault_kind kind;
    enum ipc_fault_side side;
    char cell[IPC_FAULT_CELL_MAX]; /* "" (any): every task; else tasks whose entry is in it */
    uint64_t nth;                  /* 1-based: the Nth matching send (or receive) call */
    uint64_t seed;
    uint64_t delay_ns;
};

/* An armed IPC fault and, once the hook changed a message, its activation. */
struct ipc_fault_record {
    bool valid; /* armed and not restored */
    uint64_t seq;
    struct ipc_fault_spec spec;
    uint64_t seen; /* matching calls so far */
    bool activated;
    uint64_t activated_ns;
    uint64_t task;
    char task_name[IPC_FAULT_NAME_MAX];
    uint64_t channel;            /* the channel's address */
    uint64_t old_word, new_word; /* the word before and after (corrupt: one bit differs) */
    unsigned bit;                /* corrupt: the bit inverted */
};

/* The word's name for a kind ("drop", "dup", "corrupt", "delay", "badptr", "pagefault"; "?"). */
const char *ipc_fault_kind_name(enum ipc_fault_kind k);
/* Parses a kind's word: true and *out, false for an unknown word. */
bool ipc_fault_kind_parse(const char *s, enum ipc_fault_kind *out);
/* Counts one matching call: true exactly for the nth (1-based; nth 0 never). */
bool ipc_fault_count(uint64_t *seen, uint64_t nth);
/* The bit a seed corrupts (0..63; splitmix64 of the seed, as the code injector's PRNG). */
unsigned ipc_fault_bit(uint64_t seed);
/* word with that bit inverted. */
uint64_t ipc_fault_corrupt(uint64_t word, uint64_t seed);

#endif
