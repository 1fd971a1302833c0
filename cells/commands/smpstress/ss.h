/* smpstress: what the parts of the SMP stress command share (docs/stress.md).
 *
 * The command (smpstress.c) plans a set of worker tasks (ss_plan.c) — spawners, channel pairs,
 * heap workers, mutex lockers, producers and consumers, yield pairs, sleepers, callers of the
 * demo cell counter and a swapper that swaps counter back and forth — some pinned to each CPU and
 * some free to move, starts them all at once, joins them, and checks that every count adds up
 * exactly and that the heap, the frames and the task count are back where they were.
 *
 * Every worker is an entry of the form int fn(const void *job, void *ret): it gets a struct
 * ss_job and returns a struct ss_ret, whose counts are summed over all workers. A worker never
 * prints: what went wrong goes into its ret (status, why), and the command reports it. */
#ifndef CMD_SMPSTRESS_SS_H
#define CMD_SMPSTRESS_SS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <keel/atomic.h>
#include <keel/channel.h>
#include <keel/clock.h>
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/format.h>
#include <keel/task.h>

/* Pinned workers go to the first SS_CPUS CPUs; the unpinned ones roam over all of them. The cap
 * keeps the tasks alive at once (each a heap owner) well inside the heap's owner table. */
#define SS_CPUS    8u
#define SS_ANY_CPU 0xffffffffu

/* The per-round work of each kind: in --rounds mode every count below is an exact function of
 * the rounds and the CPUs (docs/stress.md lists them). */
#define SS_SPAWN_WIDTH      4u  /* children a spawner starts and joins per round */
#define SS_MSGS_PER_ROUND   4u  /* messages a sender sends per round */
#define SS_HEAP_OPS         16u /* allocations, frees or reallocations per round */
#define SS_INCS_PER_ROUND   4u  /* mutex-protected increments per round */
#define SS_ITEMS_PER_ROUND  2u  /* items a producer puts per round */
#define SS_YIELDS_PER_ROUND 8u  /* yields per round */
#define SS_CALLS_PER_ROUND  64u /* counter_next calls per round */

enum ss_kind {
    SS_SPAWNER,  /* spawns and joins short tasks, pinned and unpinned */
    SS_SENDER,   /* sends sequenced, checksummed messages to its receiver on the next CPU */
    SS_RECEIVER, /* checks every message */
    SS_HEAP,     /* allocates, fills, checks and frees blocks of varied sizes */
    SS_LOCKER,   /* increments a shared counter under a mutex */
    SS_PRODUCER, /* puts items into a bounded buffer (a mutex and two condition variables) */
    SS_CONSUMER, /* takes them out */
    SS_YIELDER,  /* two per CPU, pinned there: each yield must hand the CPU to the other */
    SS_SLEEPER,  /* sleeps, through a semaphore that lets a few at a time */
    SS_CALLER,   /* calls the demo cell counter (through the stress_client cell) */
    SS_SWAPPER,  /* swaps counter between versions 1 and 2 while the callers call */
    SS_KINDS
};

/* A worker's instructions: its task's argument block (copied at spawn). */
struct ss_job {
    uint32_t kind;        /* enum ss_kind */
    uint32_t index;       /* among the workers of its kind */
    uint32_t cpu;         /* the CPU it is pinned to, or SS_ANY_CPU */
    uint32_t ncpus;       /* CPUs online */
    uint32_t rounds;      /* rounds to do (an upper bound when deadline_ns is set) */
    uint32_t peer;        /* kind-specific: the CPU of a receiver or consumer, a yield pair */
    uint64_t deadline_ns; /* clock_ns() at which to stop after the current round; 0: none */
    uint64_t seed;        /* the run's seed, mixed with the kind and index */
    struct channel *ch;   /* a sender's or receiver's channel */
    /* Set when the command is interrupted (Ctrl-C): stop after the current round. Workers are
     * asked, not killed: a task killed in the middle of its cell code (at a tick) could leave
     * children it spawned unjoined, or a channel, mutex or buffer half used. */
    const atomic_u32 *stop;
};

/* Every figure the workers count, with how it is combined over workers: SUM or MAX. One list,
 * so the struct, the summing and the JSON report cannot drift apart. */
#define SS_COUNTS(X)                                                                               \
    X(spawned, SUM)      /* children spawned */                                                    \
    X(joined, SUM)       /* children joined */                                                     \
    X(child_bad, SUM)    /* children that ended badly or returned a wrong value */                 \
    X(affinity_bad, SUM) /* pinned children seen on another CPU */                                 \
    X(elsewhere, SUM)    /* children that started on a CPU other than their spawner's */           \
    X(moved, SUM)        /* children that ended on another CPU than they started on */             \
    X(sent, SUM)         /* channel messages sent */                                               \
    X(received, SUM)     /* and received */                                                        \
    X(seq_bad, SUM)      /* received out of sequence */                                            \
    X(sum_bad, SUM)      /* received with a wrong checksum or payload */                           \
    X(sent_sum, SUM)     /* the messages' checksums, as sent */                                    \
    X(recv_sum, SUM)     /* and as received */                                                     \
    X(msg_bytes, SUM)    /* payload bytes received */                                              \
    X(heap_ops, SUM)     /* heap operations */                                                     \
    X(allocs, SUM)       /* blocks allocated (krealloc counts as one) */                           \
    X(frees, SUM)        /* blocks freed */                                                        \
    X(heap_bytes, SUM)   /* bytes allocated */                                                     \
    X(corrupt, SUM)      /* blocks whose pattern or alignment was wrong */                         \
    X(refused, SUM)      /* allocations, spawns or channels the core refused */                    \
    X(incs, SUM)         /* increments of the mutex-protected counter */                           \
    X(ownerdead, SUM)    /* mutex_lock said the previous owner died */                             \
    X(put, SUM)          /* items put into the bounded buffer */                                   \
    X(got, SUM)          /* and taken out */                                                       \
    X(put_sum, SUM)      /* the items' values, as put */                                           \
    X(got_sum, SUM)      /* and as taken */                                                        \
    X(yields, SUM)       /* yields checked */                                                      \
    X(no_handover, SUM)  /* yields after which the other task of the pair had not run */           \
    X(sleeps, SUM)       /* sleeps */                                                              \
    X(early, SUM)        /* sleeps that returned before their time */                              \
    X(gate_bad, SUM)     /* times more sleepers were inside the semaphore than it lets in */       \
    X(gate_max, MAX)     /* most sleepers inside at once */                                        \
    X(calls, SUM)        /* counter_next calls */                                                  \
    X(out_of_order, SUM) /* values not above the caller's previous one */                          \
    X(swaps, SUM)        /* swaps done */                                                          \
    X(swap_refused, SUM) /* swaps refused for quiescence (retried) */                              \
    X(swap_max_ns, MAX)  /* the longest swap */                                                    \
    X(stw_max_ns, MAX)   /* the longest stop-the-world window */

#define SS_FIELD(name, how) uint64_t name;
struct ss_counts {
    SS_COUNTS(SS_FIELD)
};
#undef SS_FIELD

/* A worker's return block. */
struct ss_ret {
    struct ss_counts c;
    uint64_t rounds; /* rounds done */
    uint64_t value;  /* a caller's: counter_value() when it ended (a job of 0 rounds reads it) */
    int32_t status;  /* 0, SS_WRONG (a check failed) or a negative KE_* code */
    char why[108];   /* what went wrong first, when status != 0 */
};
#define SS_WRONG (-1000)

/* Add b into a (sums and maxima). */
void smpstress_counts_add(struct ss_counts *a, const struct ss_counts *b);

/* Record the first thing that went wrong (later ones only count). Returns status. Inline, like
 * ss_more, so that the stress_client cell uses them without depending on the command's cell. */
static inline __attribute__((format(printf, 3, 4))) int ss_fail(struct ss_ret *r, int status,
                                                                const char *fmt, ...)
{
    if (r->status)
        return status; /* the first failure is the one worth reading */
    r->status = status;
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
    return status;
}

/* Whether a worker should do another round: fewer than job->rounds done, not past the deadline
 * (if any), and the command not interrupted. */
static inline bool ss_more(const struct ss_job *job, uint64_t done)
{
    return done < job->rounds && (!job->deadline_ns || clock_ns() < job->deadline_ns) &&
           !(job->stop && atomic_load_u32(job->stop, MO_ACQUIRE));
}

/* splitmix64, as the workload cells use: a generator per worker from the run's seed. */
struct ss_rng {
    uint64_t s;
};
static inline uint64_t ss_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint64_t ss_next(struct ss_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return ss_mix(r->s);
}
static inline struct ss_rng ss_rng_of(const struct ss_job *job)
{
    struct ss_rng r = {ss_mix(job->seed)};
    return r;
}

/* The workers' entries (one file per kind, or per pair of kinds). */
int smpstress_spawner(const void *job, void *ret);  /* ss_spawn.c */
int smpstress_sender(const void *job, void *ret);   /* ss_chan.c */
int smpstress_receiver(const void *job, void *ret); /* ss_chan.c */
int smpstress_heap(const void *job, void *ret);     /* ss_heap.c */
int smpstress_locker(const void *job, void *ret);   /* ss_lock.c */
int smpstress_producer(const void *job, void *ret); /* ss_buffer.c */
int smpstress_consumer(const void *job, void *ret); /* ss_buffer.c */
int smpstress_yielder(const void *job, void *ret);  /* ss_yield.c */
int smpstress_sleeper(const void *job, void *ret);  /* ss_sleep.c */
int smpstress_caller(const void *job, void *ret);   /* ss_swap.c */
int smpstress_swapper(const void *job, void *ret);  /* ss_swap.c */

/* Shared state of the kinds that share some, set up before each run (no task of the run
 * alive). */
void smpstress_lock_reset(void);
uint64_t smpstress_lock_counter(void);
void smpstress_buffer_reset(unsigned producers);
/* A producer is done, or was never spawned: the consumers must not wait for it any more. */
void smpstress_buffer_producer_done(void);
void smpstress_sleep_reset(unsigned sleepers);
unsigned smpstress_sleep_gate(void);
void smpstress_yield_reset(void);
/* The yield pair of CPU cpu: the task id of member 0 or 1, set once both are spawned. */
void smpstress_yield_set_peer(unsigned cpu, unsigned member, task_id_t id);

#endif
