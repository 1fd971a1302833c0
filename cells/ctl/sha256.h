/* SHA-256 (FIPS 180-4), incremental. Freestanding: builds into the ctl cell and, natively, into
 * keelctl and the host tests. */
#ifndef CELLS_CTL_SHA256_H
#define CELLS_CTL_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64

struct sha256 {
    uint32_t h[8];
    uint64_t bytes;                   /* total bytes hashed so far */
    uint8_t block[SHA256_BLOCK_SIZE]; /* the partial block */
    size_t fill;                      /* bytes in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* Writes the digest; s must be re-initialised before it is used again. */
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_SIZE]);
/* One-shot. */
void sha256(const void *data, size_t n, uint8_t out[SHA256_DIGEST_SIZE]);

#endif
