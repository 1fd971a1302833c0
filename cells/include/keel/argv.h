/* Argument vectors in a task's argument block (Theseus-style commands): the shell packs argv
 * into one flat block, task_spawn copies it, the command unpacks it in place. Freestanding,
 * header-only, validated on unpack (the block is input), unit-tested and fuzzed on the host.
 *
 * Layout: u32 argc, u32 total size, then argc u32 offsets (from the block start) of
 * NUL-terminated strings that follow. */
#ifndef KEEL_ARGV_H
#define KEEL_ARGV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/errno.h>
#include <keel/string.h>

#define ARGV_MAX_ARGS 64
#define ARGV_MAX_SIZE 4096

/* Bytes argv_pack needs for these arguments, or 0 if they exceed the limits. */
static inline size_t argv_packed_size(int argc, const char *const *argv)
{
    if (argc < 0 || argc > ARGV_MAX_ARGS)
        return 0;
    size_t size = 8 + 4 * (size_t)argc;
    for (int i = 0; i < argc; i++) {
        size += strnlen(argv[i], ARGV_MAX_SIZE) + 1;
        if (size > ARGV_MAX_SIZE)
            return 0;
    }
    return size;
}

/* Pack into buf (of bufsize bytes); returns the size used, or KE_RANGE. */
static inline int argv_pack(int argc, const char *const *argv, void *buf, size_t bufsize)
{
    size_t need = argv_packed_size(argc, argv);
    if (!need || need > bufsize)
        return KE_RANGE;
    uint8_t *b = buf;
    uint32_t v = (uint32_t)argc;
    memcpy(b, &v, 4);
    v = (uint32_t)need;
    memcpy(b + 4, &v, 4);
    size_t at = 8 + 4 * (size_t)argc;
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]) + 1;
        v = (uint32_t)at;
        memcpy(b + 8 + 4 * (size_t)i, &v, 4);
        memcpy(b + at, argv[i], len);
        at += len;
    }
    return (int)need;
}

/* Validate a packed block of size bytes and point argv[0..argc-1] (at most max entries) at its
 * strings (argv[argc] = NULL when there is room). Returns argc, or KE_NOEXEC for a malformed
 * block, KE_RANGE if max is too small. */
static inline int argv_unpack(const void *block, size_t size, const char **argv, size_t max)
{
    const uint8_t *b = block;
    uint32_t argc, total;
    if (!block || size < 8 || size > ARGV_MAX_SIZE)
        return KE_NOEXEC;
    memcpy(&argc, b, 4);
    memcpy(&total, b + 4, 4);
    if (total != size || argc > ARGV_MAX_ARGS || 8 + 4 * (size_t)argc > size)
        return KE_NOEXEC;
    if (argc > max)
        return KE_RANGE;
    size_t strings = 8 + 4 * (size_t)argc;
    for (uint32_t i = 0; i < argc; i++) {
        uint32_t off;
        memcpy(&off, b + 8 + 4 * (size_t)i, 4);
        if (off < strings || off >= size || !memchr(b + off, 0, size - off))
            return KE_NOEXEC;
        argv[i] = (const char *)(b + off);
    }
    if (argc < max)
        argv[argc] = NULL;
    return (int)argc;
}

/* A command's task entry gets only the block's address: the block records its own size (and
 * argv_unpack checks it against the limits). NULL or malformed: KE_NOEXEC. */
static inline int argv_from_arg(const void *arg, const char **argv, size_t max)
{
    uint32_t size = 0;
    if (!arg)
        return KE_NOEXEC;
    memcpy(&size, (const uint8_t *)arg + 4, 4);
    return argv_unpack(arg, size, argv, max);
}

/* A command argument that must be a plain decimal number in 0..max (digits only: no sign, no
 * spaces, no base prefix): true and *out, else false. Commands check their own lower bound. */
static inline bool argv_decimal(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (d > max || v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

#endif
