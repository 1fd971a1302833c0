/* Unaligned-safe little-endian loads from byte buffers (boot information, ACPI tables): x86_64
 * and every host the parsers are tested on are little-endian. */
#ifndef KEEL_UNALIGNED_H
#define KEEL_UNALIGNED_H
#include <stdint.h>
#include <keel/string.h>

static inline uint16_t ld16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

#endif
