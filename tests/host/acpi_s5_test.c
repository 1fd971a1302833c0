/* The AML _S5_ extractor: real-world encodings, and every malformation refused. */
#include <stdint.h>
#include <keel/errno.h>
#include <keel/power.h>
#include "check.h"

static int find(const uint8_t *aml, size_t len, uint8_t *a, uint8_t *b)
{
    *a = *b = 0xee;
    return acpi_aml_find_s5(aml, len, a, b);
}

int main(void)
{
    uint8_t a, b;
    /* QEMU's DSDT: Name(_S5_, Package(4){Zero, Zero, Zero, Zero}) */
    const uint8_t qemu[] = {0x10, 0x08, '_',  'S',  '5',  '_', 0x12,
                            0x06, 0x04, 0x00, 0x00, 0x00, 0x00};
    CHECK_EQ_INT(find(qemu, sizeof(qemu), &a, &b), 0);
    CHECK_EQ_INT(a, 0);
    CHECK_EQ_INT(b, 0);

    /* BytePrefix values and a rooted name: Name(\_S5_, Package(2){0x05, 0x07}) */
    const uint8_t bytes[] = {0x08, '\\', '_',  'S',  '5',  '_', 0x12,
                             0x08, 0x02, 0x0a, 0x05, 0x0a, 0x07};
    CHECK_EQ_INT(find(bytes, sizeof(bytes), &a, &b), 0);
    CHECK_EQ_INT(a, 5);
    CHECK_EQ_INT(b, 7);

    /* OneOp and a two-byte PkgLength. */
    const uint8_t two[] = {0x08, '_', 'S', '5', '_', 0x12, 0x40, 0x00, 0x02, 0x01, 0x0a, 0x03};
    CHECK_EQ_INT(find(two, sizeof(two), &a, &b), 0);
    CHECK_EQ_INT(a, 1);
    CHECK_EQ_INT(b, 3);

    /* "_S5_" that is not a named package (e.g. a method name reference) is skipped. */
    const uint8_t skipped[] = {0x14, '_', 'S',  '5',  '_',  0x00, 0x08, '_', 'S',
                               '5',  '_', 0x12, 0x05, 0x02, 0x0a, 0x02, 0x00};
    CHECK_EQ_INT(find(skipped, sizeof(skipped), &a, &b), 0);
    CHECK_EQ_INT(a, 2);
    CHECK_EQ_INT(b, 0);

    /* Refusals: no object, truncated anywhere, too few elements, OnesOp. */
    const uint8_t none[] = {0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x02, 0x00, 0x00};
    CHECK_EQ_INT(find(none, sizeof(none), &a, &b), KE_NOENT);
    for (size_t len = 6; len < sizeof(bytes); len++) {
        int r = find(bytes, len, &a, &b);
        CHECK(r == KE_NOEXEC || r == KE_NOENT);
        CHECK_EQ_INT(a, 0xee); /* outputs untouched on failure */
    }
    const uint8_t one_elem[] = {0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x0a, 0x05};
    CHECK_EQ_INT(find(one_elem, sizeof(one_elem), &a, &b), KE_NOEXEC);
    const uint8_t ones[] = {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xff, 0x00};
    CHECK_EQ_INT(find(ones, sizeof(ones), &a, &b), KE_NOEXEC);
    CHECK_EQ_INT(find(NULL, 10, &a, &b), KE_INVAL);
    CHECK_EQ_INT(find(qemu, 0, &a, &b), KE_NOENT);
    return check_report("acpi_s5_test");
}
