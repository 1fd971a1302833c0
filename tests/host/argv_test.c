/* keel/argv.h: packing and unpacking argument vectors, and every malformed block refused. */
#include <stdint.h>
#include <stdlib.h>
#include <keel/argv.h>
#include "check.h"

static void put32(uint8_t *b, size_t at, uint32_t v)
{
    memcpy(b + at, &v, 4);
}

int main(void)
{
    const char *in[] = {"echo", "hello world", "", "x"};
    uint8_t buf[256];
    const char *out[8];
    int size = argv_pack(4, in, buf, sizeof(buf));
    CHECK_EQ_INT(size, (int)argv_packed_size(4, in));
    CHECK_EQ_INT(argv_unpack(buf, (size_t)size, out, 8), 4);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_STR(out[i], in[i]);
    CHECK(out[4] == NULL);
    CHECK_EQ_INT(argv_from_arg(buf, out, 8), 4);
    CHECK_EQ_INT(argv_from_arg(NULL, out, 8), KE_NOEXEC);
    CHECK_EQ_INT(argv_unpack(buf, (size_t)size, out, 3), KE_RANGE); /* no room */
    CHECK_EQ_INT(argv_pack(4, in, buf, (size_t)size - 1), KE_RANGE);

    /* Zero arguments, and the limits. */
    CHECK_EQ_INT(argv_pack(0, in, buf, sizeof(buf)), 8);
    CHECK_EQ_INT(argv_unpack(buf, 8, out, 8), 0);
    const char *many[ARGV_MAX_ARGS + 1];
    for (int i = 0; i <= ARGV_MAX_ARGS; i++)
        many[i] = "a";
    CHECK_EQ_U64(argv_packed_size(ARGV_MAX_ARGS + 1, many), 0);
    CHECK(argv_packed_size(ARGV_MAX_ARGS, many) > 0);
    char *big = malloc(ARGV_MAX_SIZE);
    memset(big, 'x', ARGV_MAX_SIZE - 1);
    big[ARGV_MAX_SIZE - 1] = 0;
    const char *huge[] = {big};
    CHECK_EQ_U64(argv_packed_size(1, huge), 0);
    free(big);

    /* Malformed blocks: every field. */
    size = argv_pack(2, in, buf, sizeof(buf));
    uint8_t bad[256];
    memcpy(bad, buf, (size_t)size);
    CHECK_EQ_INT(argv_unpack(bad, (size_t)size - 1, out, 8), KE_NOEXEC); /* size mismatch */
    CHECK_EQ_INT(argv_unpack(bad, 7, out, 8), KE_NOEXEC);                /* shorter than header */
    put32(bad, 0, ARGV_MAX_ARGS + 1);
    CHECK_EQ_INT(argv_unpack(bad, (size_t)size, out, 8), KE_NOEXEC); /* argc too large */
    memcpy(bad, buf, (size_t)size);
    put32(bad, 0, 60); /* offsets would run past the block */
    CHECK_EQ_INT(argv_unpack(bad, (size_t)size, out, 64), KE_NOEXEC);
    memcpy(bad, buf, (size_t)size);
    put32(bad, 8, 4); /* a string inside the header */
    CHECK_EQ_INT(argv_unpack(bad, (size_t)size, out, 8), KE_NOEXEC);
    memcpy(bad, buf, (size_t)size);
    put32(bad, 12, (uint32_t)size); /* past the end */
    CHECK_EQ_INT(argv_unpack(bad, (size_t)size, out, 8), KE_NOEXEC);
    memcpy(bad, buf, (size_t)size);
    bad[size - 1] = 'z'; /* the last string loses its NUL */
    CHECK_EQ_INT(argv_unpack(bad, (size_t)size, out, 8), KE_NOEXEC);
    CHECK_EQ_INT(argv_unpack(NULL, 16, out, 8), KE_NOEXEC);

    /* argv_decimal: digits only, within 0..max, no overflow at any max. */
    uint64_t v = 7;
    CHECK(argv_decimal("0", 10, &v) && v == 0);
    CHECK(argv_decimal("10", 10, &v) && v == 10);
    CHECK(!argv_decimal("11", 10, &v));
    CHECK(argv_decimal("18446744073709551615", UINT64_MAX, &v) && v == UINT64_MAX);
    CHECK(!argv_decimal("18446744073709551616", UINT64_MAX, &v));
    CHECK(!argv_decimal("99999999999999999999999", UINT64_MAX, &v));
    CHECK(argv_decimal("0", 0, &v) && v == 0);
    CHECK(!argv_decimal("1", 0, &v));
    v = 7;
    CHECK(!argv_decimal("", 10, &v) && !argv_decimal(NULL, 10, &v) && !argv_decimal("-1", 10, &v) &&
          !argv_decimal("+1", 10, &v) && !argv_decimal(" 1", 10, &v) &&
          !argv_decimal("0x1", 99, &v));
    CHECK(v == 7); /* untouched on refusal */
    return check_report("argv_test");
}
