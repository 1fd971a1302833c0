/* The IPC fault hook (tasking/chan_fault.c): one fault armed on channel messages (keel/ipc_pick.h
 * says the kinds), applied by channel.c to the Nth send or receive call of a task of a cell.
 * Arming goes through the injector (kernel/inject/ipc.c), which keeps one fault in place at a
 * time; channel.c calls the hooks, each a no-op unless this call is the one hit. */
#ifndef KEEL_CORE_CHAN_FAULT_H
#define KEEL_CORE_CHAN_FAULT_H
#include <stdbool.h>
#include <keel/channel.h>
#include <keel/ipc_pick.h>

/* Arms spec (validated by the caller): 0, or KE_BUSY while another is armed. */
int chan_fault_arm(const struct ipc_fault_spec *spec, uint64_t seq);
bool chan_fault_armed(void);
/* The armed fault (valid false if none) with its activation so far. */
void chan_fault_last(struct ipc_fault_record *out);
/* Disarms: 0 and the record in *out (may be NULL), KE_NOENT if nothing is armed. */
int chan_fault_disarm(struct ipc_fault_record *out);

/* What this call of send/recv has to do (kind 0: nothing). */
struct chan_fault_act {
    enum ipc_fault_kind kind;
};

/* channel.c, no lock held. Counts a send call; returns msg, or a bad pointer (badptr). */
const struct channel_msg *chan_fault_send_begin(const struct channel *ch,
                                                const struct channel_msg *msg,
                                                struct chan_fault_act *a);
/* The copied message before it is queued: corrupt or delay it; true if it is dropped (then the
 * send reports success and its block is freed). */
bool chan_fault_send_msg(struct chan_fault_act *a, const struct channel *ch, struct channel_msg *m);
/* After a send that returned r: dup (the word is handed out again) or pagefault. */
void chan_fault_send_end(struct chan_fault_act *a, const struct channel *ch,
                         const struct channel_msg *m, int r);
/* Counts a receive call; returns out, or a bad pointer (badptr). */
struct channel_msg *chan_fault_recv_begin(const struct channel *ch, struct channel_msg *out,
                                          struct chan_fault_act *a);
/* The taken message before it is stored: true if it is dropped (wait for the next one). */
bool chan_fault_recv_msg(struct chan_fault_act *a, const struct channel *ch, struct channel_msg *m);
/* Scheduler lock held: a duplicate waiting for this channel's next receive goes to *m. */
bool chan_fault_replay(const struct channel *ch, struct channel_msg *m);

#endif
