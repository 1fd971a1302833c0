/* SHA-256 (FIPS 180-4 examples), HMAC-SHA256 (RFC 4231 test cases 1-7), CRC-32 and the
 * constant-time compare of the control channel (cells/ctl/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "ctl/crc32.h"
#include "ctl/hmac.h"
#include "ctl/sha256.h"

static const char *hex(const uint8_t *p, size_t n)
{
    static char buf[2 * 64 + 1];
    for (size_t i = 0; i < n; i++)
        snprintf(buf + 2 * i, 3, "%02x", p[i]);
    buf[2 * n] = 0;
    return buf;
}

static const char *sha_hex(const void *data, size_t n)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256(data, n, d);
    return hex(d, sizeof(d));
}

static void test_fips180(void)
{
    CHECK_EQ_STR(sha_hex("abc", 3),
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_EQ_STR(sha_hex("", 0),
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_EQ_STR(sha_hex(m448, strlen(m448)),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmno"
        "pqklmnopqrlmnopqrsmnopqrstnopqrstu";
    CHECK_EQ_STR(sha_hex(m896, strlen(m896)),
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    /* One million 'a', fed in odd pieces: the incremental path across block boundaries. */
    static char chunk[997];
    memset(chunk, 'a', sizeof(chunk));
    struct sha256 s;
    sha256_init(&s);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        sha256_update(&s, chunk, n);
        left -= n;
    }
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_final(&s, d);
    CHECK_EQ_STR(hex(d, sizeof(d)),
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every split of a message into two updates gives the one-shot digest (padding edges at 55, 56,
 * 63, 64 bytes included). */
static void test_incremental(void)
{
    uint8_t msg[200];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    int bad = 0;
    for (size_t len = 0; len <= sizeof(msg); len++) {
        uint8_t want[SHA256_DIGEST_SIZE];
        sha256(msg, len, want);
        for (size_t cut = 0; cut <= len; cut += 5) {
            struct sha256 s;
            uint8_t got[SHA256_DIGEST_SIZE];
            sha256_init(&s);
            sha256_update(&s, msg, cut);
            sha256_update(&s, msg + cut, len - cut);
            sha256_final(&s, got);
            bad += memcmp(got, want, sizeof(want)) != 0;
        }
    }
    CHECK_EQ_INT(bad, 0);
    /* Lengths around the padding boundary differ from each other. */
    uint8_t a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];
    sha256(msg, 55, a);
    sha256(msg, 56, b);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
}

static const char *hmac_hex(const void *key, size_t klen, const void *data, size_t n)
{
    uint8_t d[HMAC_SHA256_SIZE];
    hmac_sha256(key, klen, data, n, d);
    return hex(d, sizeof(d));
}

static void test_rfc4231(void)
{
    uint8_t k20[20], k131[131], d50[50], k25[25];
    memset(k20, 0x0b, sizeof(k20));
    CHECK_EQ_STR(hmac_hex(k20, 20, "Hi There", 8),
                 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    const char *d2 = "what do ya want for nothing?";
    CHECK_EQ_STR(hmac_hex("Jefe", 4, d2, strlen(d2)),
                 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k20, 0xaa, sizeof(k20));
    memset(d50, 0xdd, sizeof(d50));
    CHECK_EQ_STR(hmac_hex(k20, 20, d50, 50),
                 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        k25[i] = (uint8_t)(i + 1);
    memset(d50, 0xcd, sizeof(d50));
    CHECK_EQ_STR(hmac_hex(k25, 25, d50, 50),
                 "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k20, 0x0c, sizeof(k20));
    uint8_t d[HMAC_SHA256_SIZE];
    hmac_sha256(k20, 20, "Test With Truncation", 20, d);
    CHECK_EQ_STR(hex(d, 16), "a3b6167473100ee06e0c796c2955552b"); /* truncated to 128 bits */
    memset(k131, 0xaa, sizeof(k131));
    const char *d6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    CHECK_EQ_STR(hmac_hex(k131, 131, d6, strlen(d6)),
                 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *d7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    CHECK_EQ_STR(hmac_hex(k131, 131, d7, strlen(d7)),
                 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    /* Incremental HMAC equals one-shot. */
    struct hmac_sha256 h;
    hmac_sha256_init(&h, k131, 131);
    hmac_sha256_update(&h, d7, 10);
    hmac_sha256_update(&h, d7 + 10, strlen(d7) - 10);
    hmac_sha256_final(&h, d);
    CHECK_EQ_STR(hex(d, sizeof(d)),
                 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_crc32_and_compare(void)
{
    CHECK_EQ_U64(crc32_update(0, "123456789", 9), 0xcbf43926u);
    CHECK_EQ_U64(crc32_update(0, "", 0), 0);
    CHECK_EQ_U64(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926u);
    CHECK_EQ_U64(crc32_update(0, "The quick brown fox jumps over the lazy dog", 43), 0x414fa339u);
    uint8_t a[32] = {0}, b[32] = {0};
    CHECK(ct_equal(a, b, 32));
    b[31] = 1;
    CHECK(!ct_equal(a, b, 32));
    CHECK(ct_equal(a, b, 31));
    b[0] = 0x80;
    CHECK(!ct_equal(a, b, 1));
}

int main(void)
{
    test_fips180();
    test_incremental();
    test_rfc4231();
    test_crc32_and_compare();
    return check_report("ctl_sha256_test");
}
