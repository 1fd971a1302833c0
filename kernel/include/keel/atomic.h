/* Typed atomics for the core and cells alike: 8/16/32/64-bit unsigned values and pointers, every
 * operation with an explicit memory order. Plain C11 <stdatomic.h> is avoided so that the type
 * (atomic_u32 ...) cannot be read or written by accident without naming an order.
 *
 * Orders: loads take relaxed/acquire/seq_cst; stores relaxed/release/seq_cst; read-modify-write
 * operations any order. A compare-exchange's failure order must not be stronger than its
 * success order, nor release/acq_rel. */
#ifndef KEEL_ATOMIC_H
#define KEEL_ATOMIC_H
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    MO_RELAXED = __ATOMIC_RELAXED,
    MO_ACQUIRE = __ATOMIC_ACQUIRE,
    MO_RELEASE = __ATOMIC_RELEASE,
    MO_ACQ_REL = __ATOMIC_ACQ_REL,
    MO_SEQ_CST = __ATOMIC_SEQ_CST,
} memory_order_t;

#define KEEL_ATOMIC_TYPE(name, T)                                                                  \
    typedef struct {                                                                               \
        T v;                                                                                       \
    } __attribute__((aligned(sizeof(T)))) atomic_##name;                                           \
    static inline T atomic_load_##name(const atomic_##name *a, memory_order_t mo)                  \
    {                                                                                              \
        return __atomic_load_n(&a->v, (int)mo);                                                    \
    }                                                                                              \
    static inline void atomic_store_##name(atomic_##name *a, T x, memory_order_t mo)               \
    {                                                                                              \
        __atomic_store_n(&a->v, x, (int)mo);                                                       \
    }                                                                                              \
    static inline T atomic_exchange_##name(atomic_##name *a, T x, memory_order_t mo)               \
    {                                                                                              \
        return __atomic_exchange_n(&a->v, x, (int)mo);                                             \
    }                                                                                              \
    /* On failure *expected receives the current value. */                                         \
    static inline bool atomic_cas_##name(atomic_##name *a, T *expected, T desired,                 \
                                         memory_order_t success, memory_order_t failure)           \
    {                                                                                              \
        return __atomic_compare_exchange_n(&a->v, expected, desired, false, (int)success,          \
                                           (int)failure);                                          \
    }

#define KEEL_ATOMIC_ARITH(name, T)                                                                 \
    static inline T atomic_fetch_add_##name(atomic_##name *a, T x, memory_order_t mo)              \
    {                                                                                              \
        return __atomic_fetch_add(&a->v, x, (int)mo);                                              \
    }                                                                                              \
    static inline T atomic_fetch_sub_##name(atomic_##name *a, T x, memory_order_t mo)              \
    {                                                                                              \
        return __atomic_fetch_sub(&a->v, x, (int)mo);                                              \
    }                                                                                              \
    static inline T atomic_fetch_and_##name(atomic_##name *a, T x, memory_order_t mo)              \
    {                                                                                              \
        return __atomic_fetch_and(&a->v, x, (int)mo);                                              \
    }                                                                                              \
    static inline T atomic_fetch_or_##name(atomic_##name *a, T x, memory_order_t mo)               \
    {                                                                                              \
        return __atomic_fetch_or(&a->v, x, (int)mo);                                               \
    }                                                                                              \
    static inline T atomic_fetch_xor_##name(atomic_##name *a, T x, memory_order_t mo)              \
    {                                                                                              \
        return __atomic_fetch_xor(&a->v, x, (int)mo);                                              \
    }

KEEL_ATOMIC_TYPE(u8, uint8_t)
KEEL_ATOMIC_ARITH(u8, uint8_t)
KEEL_ATOMIC_TYPE(u16, uint16_t)
KEEL_ATOMIC_ARITH(u16, uint16_t)
KEEL_ATOMIC_TYPE(u32, uint32_t)
KEEL_ATOMIC_ARITH(u32, uint32_t)
KEEL_ATOMIC_TYPE(u64, uint64_t)
KEEL_ATOMIC_ARITH(u64, uint64_t)
KEEL_ATOMIC_TYPE(ptr, void *)

/* A full or one-sided fence. */
static inline void atomic_fence(memory_order_t mo)
{
    __atomic_thread_fence((int)mo);
}

/* Compiler-only barrier (no CPU fence): for code that races only with its own CPU's interrupts. */
static inline void atomic_signal_fence(memory_order_t mo)
{
    __atomic_signal_fence((int)mo);
}

#undef KEEL_ATOMIC_TYPE
#undef KEEL_ATOMIC_ARITH
#endif
