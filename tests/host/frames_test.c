/* frames (physical) and vrange (virtual) allocators: region rounding and clamping,
 * reservations that win in any order, frame 0 never handed out, aligned contiguous runs,
 * refused calls that change nothing, exhaustion and reuse. */
#include "check.h"
#include <keel/errno.h>
#include <keel/frames.h>
#include <keel/vrange.h>

#define KiB 1024ull
#define MiB (1024ull * 1024)
#define PG  4096ull

static uint64_t fw[FRAMES_WORDS(64 * MiB)];

static void test_frames_init(void)
{
    struct frames f;
    uint64_t phys;
    CHECK_EQ_INT(frames_init(&f, fw, 1, 16 * MiB), KE_INVAL); /* needs 64 words */
    CHECK_EQ_INT(frames_init(&f, NULL, 64, 16 * MiB), KE_INVAL);
    CHECK_EQ_INT(frames_init(&f, fw, 64, 4095), KE_INVAL);
    CHECK_EQ_INT(frames_init(&f, fw, FRAMES_WORDS(16 * MiB), 16 * MiB + 4095), 0);
    CHECK_EQ_U64(f.limit, 16 * MiB); /* an unaligned limit rounds down */
    CHECK_EQ_U64(frames_free_count(&f), 0);
    CHECK_EQ_U64(frames_total_usable(&f), 0);
    CHECK_EQ_INT(frames_alloc(&f, 1, 1, &phys), KE_NOSPC);
}

static void test_frames_regions(void)
{
    struct frames f;
    frames_init(&f, fw, 64, 16 * MiB);
    /* Conventional memory from 0: frame 0 stays reserved. */
    CHECK_EQ_INT(frames_add_usable(&f, 0, 640 * KiB), 0);
    CHECK_EQ_U64(frames_free_count(&f), 159);
    CHECK(!frames_is_free(&f, 0));
    CHECK(frames_is_free(&f, PG));
    CHECK(frames_is_free(&f, 640 * KiB - 1));
    CHECK(!frames_is_free(&f, 640 * KiB));

    /* Unaligned edges round inward: [0x100800, 0x104800) holds 3 whole pages. */
    CHECK_EQ_INT(frames_add_usable(&f, 0x100800, 0x104800), 0);
    CHECK_EQ_U64(frames_free_count(&f), 162);
    CHECK(!frames_is_free(&f, 0x100000) && frames_is_free(&f, 0x101000));
    CHECK(frames_is_free(&f, 0x103fff) && !frames_is_free(&f, 0x104000));
    CHECK_EQ_INT(frames_add_usable(&f, 0x200001, 0x200fff), 0); /* no whole page */
    CHECK_EQ_U64(frames_free_count(&f), 162);
    CHECK_EQ_INT(frames_add_usable(&f, UINT64_MAX - 10, UINT64_MAX), 0);
    CHECK_EQ_INT(frames_add_usable(&f, 0x5000, 0x4000), KE_INVAL);

    /* Reservations round outward: [0x2800, 0x3001) takes the pages at 0x2000 and 0x3000. */
    CHECK_EQ_INT(frames_reserve(&f, 0x2800, 0x3001), 0);
    CHECK_EQ_U64(frames_free_count(&f), 160);
    CHECK(frames_is_free(&f, 0x1000) && !frames_is_free(&f, 0x2000));
    CHECK(!frames_is_free(&f, 0x3000) && frames_is_free(&f, 0x4000));
    CHECK_EQ_INT(frames_reserve(&f, 0x9000, 0x8000), KE_INVAL);

    /* A reservation made before the usable region still wins; overlapping usable regions
     * count once. */
    CHECK_EQ_INT(frames_reserve(&f, 0x300000, 0x380000), 0);
    CHECK_EQ_INT(frames_add_usable(&f, 0x200000, 0x400000), 0);
    CHECK_EQ_INT(frames_add_usable(&f, 0x280000, 0x500000), 0);
    CHECK_EQ_U64(frames_free_count(&f),
                 160 + (0x300000 - 0x200000) / PG + (0x500000 - 0x380000) / PG);
    CHECK(frames_is_free(&f, 0x2ff000) && !frames_is_free(&f, 0x300000));
    CHECK(!frames_is_free(&f, 0x37f000) && frames_is_free(&f, 0x380000));
    CHECK_EQ_U64(frames_total_usable(&f), frames_free_count(&f));

    /* The limit clamps usable regions; reservations above it are no-ops. */
    size_t before = frames_free_count(&f);
    CHECK_EQ_INT(frames_add_usable(&f, 15 * MiB, 64 * MiB), 0);
    CHECK_EQ_U64(frames_free_count(&f), before + MiB / PG);
    CHECK(frames_is_free(&f, 16 * MiB - PG) && !frames_is_free(&f, 16 * MiB));
    size_t nres = f.nreserved;
    CHECK_EQ_INT(frames_reserve(&f, 20 * MiB, 30 * MiB), 0);
    CHECK_EQ_U64(f.nreserved, nres);
    CHECK_EQ_INT(frames_reserve(&f, 16 * MiB - 1, 30 * MiB), 0); /* clamped to the last page */
    CHECK(!frames_is_free(&f, 16 * MiB - PG));
    CHECK_EQ_U64(frames_free_count(&f), before + MiB / PG - 1);
}

static void test_frames_reservation_table(void)
{
    struct frames f;
    frames_init(&f, fw, FRAMES_WORDS(64 * MiB), 64 * MiB);
    CHECK_EQ_U64(f.nreserved, 1); /* frame 0 */
    /* Adjacent and overlapping reservations merge (GRUB modules sit back to back). */
    CHECK_EQ_INT(frames_reserve(&f, 0x100000, 0x180000), 0);
    CHECK_EQ_INT(frames_reserve(&f, 0x180000, 0x1a0000), 0);
    CHECK_EQ_INT(frames_reserve(&f, 0x0ff000, 0x100000), 0);
    CHECK_EQ_INT(frames_reserve(&f, 0x150000, 0x1b0123), 0);
    CHECK_EQ_U64(f.nreserved, 2);
    CHECK_EQ_U64(f.reserved[1].start, 0x0ff000);
    CHECK_EQ_U64(f.reserved[1].end, 0x1b1000);
    /* One reservation swallowing several. */
    CHECK_EQ_INT(frames_reserve(&f, 0x300000, 0x301000), 0);
    CHECK_EQ_INT(frames_reserve(&f, 0x303000, 0x304000), 0);
    CHECK_EQ_INT(frames_reserve(&f, 0x2ff000, 0x305000), 0);
    CHECK_EQ_U64(f.nreserved, 3);
    CHECK_EQ_INT(frames_reserve(&f, 0, 0x2000), 0); /* merges with frame 0 */
    CHECK_EQ_U64(f.nreserved, 3);
    CHECK_EQ_U64(f.reserved[0].end, 0x2000);
    /* Fill the table with disjoint ranges, then overflow it. */
    int err = 0;
    for (uint64_t a = 8 * MiB; f.nreserved < FRAMES_MAX_RESERVED && !err; a += 2 * PG)
        err = frames_reserve(&f, a, a + PG);
    CHECK_EQ_INT(err, 0);
    CHECK_EQ_U64(f.nreserved, FRAMES_MAX_RESERVED);
    CHECK_EQ_INT(frames_reserve(&f, 32 * MiB, 32 * MiB + PG), KE_NOSPC);
    CHECK_EQ_INT(frames_reserve(&f, 8 * MiB + PG, 8 * MiB + 2 * PG), 0); /* merging still fits */
    CHECK_EQ_U64(f.nreserved, FRAMES_MAX_RESERVED - 1);
    /* Sorted and disjoint. */
    int sorted = 1;
    for (size_t i = 1; i < f.nreserved; i++)
        sorted &= f.reserved[i - 1].end < f.reserved[i].start;
    CHECK(sorted);
    /* Usable memory skips every reservation. */
    CHECK_EQ_INT(frames_add_usable(&f, 0, 64 * MiB), 0);
    uint64_t reserved_pages = 0;
    for (size_t i = 0; i < f.nreserved; i++)
        reserved_pages += (f.reserved[i].end - f.reserved[i].start) / PG;
    CHECK_EQ_U64(frames_free_count(&f), 64 * MiB / PG - reserved_pages);
    CHECK(!frames_is_free(&f, 0x1b0000) && frames_is_free(&f, 0x1b1000));
}

static void test_frames_alloc_free(void)
{
    struct frames f;
    uint64_t phys = 0, p2;
    frames_init(&f, fw, 64, 16 * MiB);
    frames_add_usable(&f, 0, 16 * MiB);
    frames_reserve(&f, 0, MiB); /* first MiB */
    size_t total = frames_total_usable(&f);
    CHECK_EQ_U64(total, 15 * MiB / PG);

    CHECK_EQ_INT(frames_alloc(&f, 1, 1, &phys), 0);
    CHECK_EQ_U64(phys, MiB);
    CHECK_EQ_INT(frames_alloc(&f, 16, 16, &phys), 0);
    CHECK_EQ_U64(phys, MiB + 64 * KiB); /* 64 KiB aligned, after the first frame */
    for (int i = 0; i < 16; i++)
        CHECK(!frames_is_free(&f, phys + (uint64_t)i * PG));
    CHECK_EQ_INT(frames_alloc(&f, 512, 512, &p2), 0);
    CHECK_EQ_U64(p2 % (2 * MiB), 0);
    CHECK_EQ_U64(p2, 2 * MiB);
    CHECK_EQ_U64(frames_free_count(&f), total - 1 - 16 - 512);
    CHECK_EQ_U64(frames_total_usable(&f), total);
    CHECK_EQ_INT(frames_alloc(&f, 0, 1, &phys), KE_INVAL);
    CHECK_EQ_INT(frames_alloc(&f, 1, 3, &phys), KE_INVAL);
    CHECK_EQ_INT(frames_alloc(&f, 1, 1, NULL), KE_INVAL);
    CHECK_EQ_INT(frames_alloc(&f, 4096, 1, &phys), KE_NOSPC);

    /* Setup is over. */
    CHECK_EQ_INT(frames_add_usable(&f, 0, 16 * MiB), KE_BUSY);
    CHECK_EQ_INT(frames_reserve(&f, 0, 16 * MiB), KE_BUSY);

    /* Refused frees change nothing. */
    size_t nfree = frames_free_count(&f);
    CHECK_EQ_INT(frames_free(&f, MiB + 64 * KiB + 1, 1), KE_INVAL); /* unaligned */
    CHECK_EQ_INT(frames_free(&f, MiB + 64 * KiB, 0), KE_INVAL);
    CHECK_EQ_INT(frames_free(&f, 16 * MiB, 1), KE_INVAL);      /* at the limit */
    CHECK_EQ_INT(frames_free(&f, 16 * MiB - PG, 2), KE_INVAL); /* across it */
    CHECK_EQ_INT(frames_free(&f, 2 * MiB, SIZE_MAX), KE_INVAL);
    CHECK_EQ_INT(frames_free(&f, 0, 1), KE_INVAL);               /* reserved */
    CHECK_EQ_INT(frames_free(&f, MiB - PG, 2), KE_INVAL);        /* touches reserved */
    CHECK_EQ_INT(frames_free(&f, MiB + 64 * KiB, 17), KE_INVAL); /* one frame already free */
    CHECK_EQ_U64(frames_free_count(&f), nfree);
    CHECK(!frames_is_free(&f, MiB + 64 * KiB));

    CHECK_EQ_INT(frames_free(&f, MiB + 64 * KiB, 16), 0);
    CHECK_EQ_INT(frames_free(&f, MiB + 64 * KiB, 16), KE_INVAL); /* double free */
    CHECK_EQ_INT(frames_free(&f, MiB + 68 * KiB, 1), KE_INVAL);
    CHECK_EQ_U64(frames_free_count(&f), nfree + 16);
    CHECK_EQ_INT(frames_alloc(&f, 1, 1, &phys), 0);
    CHECK_EQ_U64(phys, MiB + PG); /* lowest free frame is reused */
}

static void test_frames_never_zero(void)
{
    struct frames f;
    uint64_t phys;
    frames_init(&f, fw, 64, MiB);
    frames_add_usable(&f, 0, MiB);
    CHECK_EQ_U64(frames_total_usable(&f), MiB / PG - 1);
    size_t got = 0;
    int zero_seen = 0;
    while (frames_alloc(&f, 1, 1, &phys) == 0) {
        got++;
        zero_seen |= phys == 0;
    }
    CHECK_EQ_U64(got, MiB / PG - 1);
    CHECK(!zero_seen);
    CHECK_EQ_U64(frames_free_count(&f), 0);
}

/* ---- vrange ---- */

static uint64_t vw[VRANGE_WORDS(64 * MiB)];

static void test_vrange_init(void)
{
    struct vrange v;
    CHECK_EQ_INT(vrange_init(&v, 0x1000, 0, vw, 64), KE_INVAL);
    CHECK_EQ_INT(vrange_init(&v, 0x1001, MiB, vw, 64), KE_INVAL);
    CHECK_EQ_INT(vrange_init(&v, 0x1000, MiB + 1, vw, 64), KE_INVAL);
    CHECK_EQ_INT(vrange_init(&v, 0xfffffffffff00000ull, 2 * MiB, vw, 64), KE_INVAL); /* wraps */
    CHECK_EQ_INT(vrange_init(&v, 0x1000, 64 * MiB, vw, 1), KE_INVAL);
    CHECK_EQ_INT(vrange_init(&v, 0x1000, MiB, NULL, 64), KE_INVAL);
    /* A window ending exactly at the top of the address space. */
    CHECK_EQ_INT(vrange_init(&v, 0xfffffffffc000000ull, 64 * MiB, vw, VRANGE_WORDS(64 * MiB)), 0);
    CHECK_EQ_U64(vrange_free_bytes(&v), 64 * MiB);
    uint64_t a;
    CHECK_EQ_INT(vrange_alloc(&v, 64 * MiB, PG, &a), 0);
    CHECK_EQ_U64(a, 0xfffffffffc000000ull);
    CHECK_EQ_INT(vrange_free(&v, 0xfffffffffffff000ull, PG), 0);
    CHECK_EQ_INT(vrange_free(&v, 0xfffffffffffff000ull, 2 * PG), KE_INVAL);
    CHECK_EQ_U64(vrange_free_bytes(&v), PG);
}

static void test_vrange_alloc(void)
{
    struct vrange v;
    uint64_t base = 0xffffffff90003000ull, a = 0, b = 0;
    CHECK_EQ_INT(vrange_init(&v, base, 16 * MiB, vw, VRANGE_WORDS(64 * MiB)), 0);
    CHECK_EQ_INT(vrange_alloc(&v, 1, PG, &a), 0);
    CHECK_EQ_U64(a, base);
    CHECK_EQ_INT(vrange_alloc(&v, 5000, PG, &a), 0); /* rounds up to 2 pages */
    CHECK_EQ_U64(a, base + PG);
    CHECK_EQ_U64(vrange_free_bytes(&v), 16 * MiB - 3 * PG);
    /* Alignment is absolute even though base is not 64 KiB aligned. */
    CHECK_EQ_INT(vrange_alloc(&v, PG, 64 * KiB, &a), 0);
    CHECK_EQ_U64(a, 0xffffffff90010000ull);
    CHECK_EQ_INT(vrange_alloc(&v, 3 * PG, 2 * MiB, &b), 0);
    CHECK_EQ_U64(b, 0xffffffff90200000ull);
    CHECK_EQ_INT(vrange_alloc(&v, PG, 2 * PG, &a), 0);
    CHECK_EQ_U64(a, base + 3 * PG); /* base is an odd page, so base + 3 pages is 8 KiB aligned */
    CHECK_EQ_U64(a % (2 * PG), 0);

    CHECK_EQ_INT(vrange_alloc(&v, 0, PG, &a), KE_INVAL);
    CHECK_EQ_INT(vrange_alloc(&v, PG, 2048, &a), KE_INVAL);
    CHECK_EQ_INT(vrange_alloc(&v, PG, 3 * PG, &a), KE_INVAL);
    CHECK_EQ_INT(vrange_alloc(&v, PG, 0, &a), KE_INVAL);
    CHECK_EQ_INT(vrange_alloc(&v, PG, PG, NULL), KE_INVAL);
    CHECK_EQ_INT(vrange_alloc(&v, 16 * MiB + 1, PG, &a), KE_NOSPC);
    CHECK_EQ_INT(vrange_alloc(&v, UINT64_MAX, PG, &a), KE_NOSPC);
    CHECK_EQ_INT(vrange_alloc(&v, PG, 1ull << 40, &a), KE_NOSPC);

    /* Free + reuse. */
    CHECK_EQ_INT(vrange_free(&v, b, 3 * PG), 0);
    uint64_t c;
    CHECK_EQ_INT(vrange_alloc(&v, 2 * PG, 2 * MiB, &c), 0);
    CHECK_EQ_U64(c, b);

    /* Refused frees change nothing. */
    uint64_t fb = vrange_free_bytes(&v);
    CHECK_EQ_INT(vrange_free(&v, base + 1, PG), KE_INVAL); /* unaligned */
    CHECK_EQ_INT(vrange_free(&v, base, 0), KE_INVAL);
    CHECK_EQ_INT(vrange_free(&v, base - PG, PG), KE_INVAL);       /* below the window */
    CHECK_EQ_INT(vrange_free(&v, base + 16 * MiB, PG), KE_INVAL); /* above it */
    CHECK_EQ_INT(vrange_free(&v, base, 17 * MiB), KE_INVAL);
    CHECK_EQ_INT(vrange_free(&v, base, UINT64_MAX), KE_INVAL);
    CHECK_EQ_INT(vrange_free(&v, c, 3 * PG), KE_INVAL);          /* third page never allocated */
    CHECK_EQ_INT(vrange_free(&v, base + 8 * MiB, PG), KE_INVAL); /* double free */
    CHECK_EQ_U64(vrange_free_bytes(&v), fb);
}

static void test_vrange_exhaust_and_reserve(void)
{
    struct vrange v;
    uint64_t base = 0x400000, a, last = 0;
    CHECK_EQ_INT(vrange_init(&v, base, MiB, vw, 64), 0);
    /* Reserve a fixed hole in the middle (rounded outward to whole pages). */
    CHECK_EQ_INT(vrange_reserve(&v, base + 0x10800, 0x1000), 0);
    CHECK_EQ_U64(vrange_free_bytes(&v), MiB - 2 * PG);
    CHECK_EQ_INT(vrange_reserve(&v, base + MiB - PG, 2 * PG), KE_INVAL);
    CHECK_EQ_INT(vrange_reserve(&v, base - 1, 1), KE_INVAL);
    CHECK_EQ_INT(vrange_reserve(&v, base, 0), 0);
    CHECK_EQ_U64(vrange_free_bytes(&v), MiB - 2 * PG);

    int n = 0, hit_reserved = 0;
    while (vrange_alloc(&v, PG, PG, &a) == 0) {
        n++;
        hit_reserved |= a == base + 0x10000 || a == base + 0x11000;
        last = a;
    }
    CHECK_EQ_INT(n, (int)(MiB / PG) - 2);
    CHECK(!hit_reserved);
    CHECK_EQ_U64(last, base + MiB - PG);
    CHECK_EQ_U64(vrange_free_bytes(&v), 0);
    CHECK_EQ_INT(vrange_alloc(&v, PG, PG, &a), KE_NOSPC);

    CHECK_EQ_INT(vrange_free(&v, base + 0x50000, PG), 0);
    CHECK_EQ_INT(vrange_alloc(&v, PG, PG, &a), 0);
    CHECK_EQ_U64(a, base + 0x50000);
    /* A reserved range can be released with vrange_free. */
    CHECK_EQ_INT(vrange_free(&v, base + 0x10000, 2 * PG), 0);
    CHECK_EQ_INT(vrange_alloc(&v, 2 * PG, 2 * PG, &a), 0);
    CHECK_EQ_U64(a, base + 0x10000);
}

int main(void)
{
    test_frames_init();
    test_frames_regions();
    test_frames_reservation_table();
    test_frames_alloc_free();
    test_frames_never_zero();
    test_vrange_init();
    test_vrange_alloc();
    test_vrange_exhaust_and_reserve();
    return check_report("frames_test");
}
