/* Keel error codes: every fallible function returns 0 (or a count) on success and a negative
 * KE_* code on failure. keel_errname()/keel_strerror() turn a code into text for users. */
#ifndef KEEL_ERRNO_H
#define KEEL_ERRNO_H

/* X(name, number, message) */
#define KEEL_ERRORS(X)                                                                             \
    X(NOMEM, 1, "out of memory")                                                                   \
    X(INVAL, 2, "invalid argument")                                                                \
    X(NOENT, 3, "not found")                                                                       \
    X(EXIST, 4, "already exists")                                                                  \
    X(BUSY, 5, "resource busy")                                                                    \
    X(RANGE, 6, "value out of range")                                                              \
    X(FAULT, 7, "bad address")                                                                     \
    X(QUOTA, 8, "quota exceeded")                                                                  \
    X(NOSPC, 9, "no space left")                                                                   \
    X(NOEXEC, 10, "malformed object")                                                              \
    X(PERM, 11, "not permitted")                                                                   \
    X(TIMEDOUT, 12, "timed out")                                                                   \
    X(NOTSUP, 13, "not supported")                                                                 \
    X(OVERFLOW, 14, "arithmetic overflow")                                                         \
    X(INJECTED, 15, "injected failure")                                                            \
    X(OWNERDEAD, 16, "previous owner died")                                                        \
    X(KILLED, 17, "task killed")                                                                   \
    X(CLOSED, 18, "channel closed")                                                                \
    X(AGAIN, 19, "would block")                                                                    \
    X(FAILED, 20, "cell failed (recovery gave up)")

enum keel_err {
    KE_OK = 0,
#define KEEL_ERR_ENUM(name, num, msg) KE_##name = -(num),
    KEEL_ERRORS(KEEL_ERR_ENUM)
#undef KEEL_ERR_ENUM
};

/* "KE_NOMEM" for -1, "KE_OK" for 0, "KE_?" for an unknown code. */
const char *keel_errname(int err);
/* "out of memory" for -1, "success" for 0, "unknown error" otherwise. */
const char *keel_strerror(int err);

#endif
