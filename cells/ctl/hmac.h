/* HMAC-SHA256 (RFC 2104, test vectors of RFC 4231), incremental, and a constant-time compare. */
#ifndef CELLS_CTL_HMAC_H
#define CELLS_CTL_HMAC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctl/sha256.h"

#define HMAC_SHA256_SIZE SHA256_DIGEST_SIZE

struct hmac_sha256 {
    struct sha256 inner;
    uint8_t opad_key[SHA256_BLOCK_SIZE]; /* the key block XOR 0x5c, for the outer hash */
};

/* Keys longer than the block size are hashed first, as RFC 2104 says. */
void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t key_len);
void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t n);
void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[HMAC_SHA256_SIZE]);
void hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                 uint8_t out[HMAC_SHA256_SIZE]);
/* Equal n bytes? Takes the same time wherever the first difference is (MACs are compared with
 * this, so timing does not tell a forger how many bytes were right). */
bool ct_equal(const void *a, const void *b, size_t n);

#endif
