/* HMAC-SHA256: H((K ^ opad) || H((K ^ ipad) || m)). */
#include <keel/string.h>
#include "ctl/hmac.h"

void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t key_len)
{
    uint8_t k[SHA256_BLOCK_SIZE] = {0};
    if (key_len > SHA256_BLOCK_SIZE)
        sha256(key, key_len, k);
    else if (key_len)
        memcpy(k, key, key_len);
    uint8_t ipad[SHA256_BLOCK_SIZE];
    for (int i = 0; i < SHA256_BLOCK_SIZE; i++) {
        ipad[i] = k[i] ^ 0x36;
        h->opad_key[i] = k[i] ^ 0x5c;
    }
    sha256_init(&h->inner);
    sha256_update(&h->inner, ipad, sizeof(ipad));
    memset(k, 0, sizeof(k));
    memset(ipad, 0, sizeof(ipad));
}

void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t n)
{
    sha256_update(&h->inner, data, n);
}

void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[HMAC_SHA256_SIZE])
{
    uint8_t inner[SHA256_DIGEST_SIZE];
    sha256_final(&h->inner, inner);
    struct sha256 outer;
    sha256_init(&outer);
    sha256_update(&outer, h->opad_key, sizeof(h->opad_key));
    sha256_update(&outer, inner, sizeof(inner));
    sha256_final(&outer, out);
    memset(h, 0, sizeof(*h));
    memset(inner, 0, sizeof(inner));
}

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                 uint8_t out[HMAC_SHA256_SIZE])
{
    struct hmac_sha256 h;
    hmac_sha256_init(&h, key, key_len);
    hmac_sha256_update(&h, data, n);
    hmac_sha256_final(&h, out);
}

bool ct_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}
