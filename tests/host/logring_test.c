/* Host tests for the kernel log ring: levels, init validation, wrap-around, lost counting,
 * truncation, cursor semantics, and 100k random appends and reads checked against a reference
 * model (which keeps every record ever written and knows which suffix must still be held). */
#include "check.h"

#include <keel/errno.h>
#include <keel/logring.h>

#include <stdlib.h>

static void test_levels(void)
{
    const char *names[] = {"debug", "info", "notice", "warn", "err", "crit"};
    for (int l = 0; l < LOG_LEVEL_COUNT; l++) {
        CHECK_EQ_STR(log_level_name(l), names[l]);
        CHECK_EQ_INT(log_level_parse(names[l], strlen(names[l])), l);
    }
    CHECK_EQ_INT(LOG_DEBUG, 0);
    CHECK_EQ_INT(LOG_CRIT, 5);
    CHECK_EQ_STR(log_level_name(-1), "?");
    CHECK_EQ_STR(log_level_name(LOG_LEVEL_COUNT), "?");
    CHECK_EQ_INT(log_level_parse("WARN", 4), LOG_WARN);
    CHECK_EQ_INT(log_level_parse("Debug", 5), LOG_DEBUG);
    CHECK_EQ_INT(log_level_parse("debugx", 5), LOG_DEBUG); /* only len bytes count */
    CHECK_EQ_INT(log_level_parse("debugx", 6), KE_INVAL);
    CHECK_EQ_INT(log_level_parse("deb", 3), KE_INVAL);
    CHECK_EQ_INT(log_level_parse("warning", 7), KE_INVAL);
    CHECK_EQ_INT(log_level_parse("", 0), KE_INVAL);
    CHECK_EQ_INT(log_level_parse(NULL, 0), KE_INVAL);
    CHECK_EQ_INT(log_level_parse("err\0r", 5), KE_INVAL);
}

static void test_init(void)
{
    static uint8_t storage[8192];
    struct logring r;
    memset(&r, 0x5a, sizeof(r));
    struct logring before = r;
    size_t bad[] = {0, 1, 128, 255, 300, 384, 1000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(logring_init(&r, storage, bad[i]), KE_INVAL);
    CHECK_EQ_INT(logring_init(&r, NULL, 256), KE_INVAL);
    CHECK_EQ_INT(logring_init(NULL, storage, 256), KE_INVAL);
    CHECK(memcmp(&r, &before, sizeof(r)) == 0);

    CHECK_EQ_INT(logring_init(&r, storage, 256), 0);
    CHECK_EQ_U64(r.max_text, 256 / 4 - LOGRING_HDR_SIZE);
    CHECK_EQ_U64(logring_count(&r), 0);
    CHECK_EQ_U64(r.written, 0);
    CHECK_EQ_U64(r.dropped, 0);
    CHECK_EQ_INT(logring_init(&r, storage, 4096), 0);
    CHECK_EQ_U64(r.max_text, 4096 / 4 - LOGRING_HDR_SIZE);
    CHECK_EQ_INT(logring_init(&r, storage, 8192), 0);
    CHECK_EQ_U64(r.max_text, LOGRING_TEXT_MAX);

    /* Empty ring: nothing to read, cursor unchanged. */
    uint64_t cur = 0;
    struct logring_entry e;
    char text[8];
    CHECK_EQ_INT(logring_read(&r, &cur, &e, text, sizeof(text)), 0);
    CHECK_EQ_U64(cur, 0);
}

static void test_basic_and_cursor(void)
{
    static uint8_t storage[1024];
    struct logring r;
    CHECK_EQ_INT(logring_init(&r, storage, sizeof(storage)), 0);
    CHECK_EQ_INT(logring_append(&r, LOG_INFO, 1000, "hello", 5), 5);
    CHECK_EQ_INT(logring_append(&r, LOG_ERR, 2000, "world!", 6), 6);
    CHECK_EQ_INT(logring_append(&r, LOG_DEBUG, 3000, NULL, 0), 0);
    CHECK_EQ_U64(r.written, 3);
    CHECK_EQ_U64(logring_count(&r), 3);

    uint64_t cur = 0;
    struct logring_entry e;
    char text[64];
    CHECK_EQ_INT(logring_read(&r, &cur, &e, text, sizeof(text)), 1);
    CHECK_EQ_U64(e.seq, 0);
    CHECK_EQ_U64(e.timestamp_ns, 1000);
    CHECK_EQ_INT(e.level, LOG_INFO);
    CHECK_EQ_INT(e.len, 5);
    CHECK_EQ_U64(e.lost, 0);
    CHECK(!e.truncated);
    CHECK_EQ_STR(text, "hello");
    CHECK_EQ_U64(cur, 1);

    /* A small text buffer gets a NUL-terminated prefix; len still tells the full length. */
    char small[4];
    CHECK_EQ_INT(logring_read(&r, &cur, &e, small, sizeof(small)), 1);
    CHECK_EQ_STR(small, "wor");
    CHECK_EQ_INT(e.len, 6);
    CHECK_EQ_INT(e.level, LOG_ERR);
    CHECK_EQ_U64(cur, 2);

    /* Metadata only. */
    CHECK_EQ_INT(logring_read(&r, &cur, &e, NULL, 0), 1);
    CHECK_EQ_U64(e.seq, 2);
    CHECK_EQ_INT(e.len, 0);
    CHECK_EQ_U64(cur, 3);

    /* At the end: 0, cursor unchanged; a new record then appears. */
    CHECK_EQ_INT(logring_read(&r, &cur, &e, text, sizeof(text)), 0);
    CHECK_EQ_U64(cur, 3);
    CHECK_EQ_INT(logring_append(&r, LOG_CRIT, 4000, "late", 4), 4);
    CHECK_EQ_INT(logring_read(&r, &cur, &e, text, sizeof(text)), 1);
    CHECK_EQ_STR(text, "late");
    CHECK_EQ_U64(e.seq, 3);

    /* A cursor in the future sees nothing; rewinding re-reads. */
    uint64_t future = 100;
    CHECK_EQ_INT(logring_read(&r, &future, &e, text, sizeof(text)), 0);
    CHECK_EQ_U64(future, 100);
    uint64_t again = 1;
    CHECK_EQ_INT(logring_read(&r, &again, &e, text, sizeof(text)), 1);
    CHECK_EQ_STR(text, "world!");
    CHECK_EQ_U64(again, 2);

    /* Invalid arguments change nothing. */
    uint64_t w = r.written, t = r.tail;
    CHECK_EQ_INT(logring_append(&r, -1, 0, "x", 1), KE_INVAL);
    CHECK_EQ_INT(logring_append(&r, LOG_LEVEL_COUNT, 0, "x", 1), KE_INVAL);
    CHECK_EQ_INT(logring_append(&r, LOG_INFO, 0, NULL, 1), KE_INVAL);
    CHECK_EQ_INT(logring_append(NULL, LOG_INFO, 0, "x", 1), KE_INVAL);
    CHECK_EQ_U64(r.written, w);
    CHECK_EQ_U64(r.tail, t);
    CHECK_EQ_INT(logring_read(&r, NULL, &e, text, sizeof(text)), KE_INVAL);
    CHECK_EQ_INT(logring_read(&r, &cur, NULL, text, sizeof(text)), KE_INVAL);
    CHECK_EQ_INT(logring_read(&r, &cur, &e, NULL, 4), KE_INVAL);
    CHECK_EQ_INT(logring_read(NULL, &cur, &e, text, sizeof(text)), KE_INVAL);
}

static void test_wrap_lost_truncate(void)
{
    /* Exact-size heap storage, so ASan flags any write or read outside the ring. */
    uint8_t *storage = malloc(256);
    struct logring r;
    CHECK_EQ_INT(logring_init(&r, storage, 256), 0);

    /* 30-byte texts make 50-byte records: five fit (250 bytes); the sixth wraps the buffer end
     * and drops record 0, and so on. */
    char text[64], expect[64];
    for (int i = 0; i < 20; i++) {
        memset(text, 'a' + i, 30);
        CHECK_EQ_INT(logring_append(&r, LOG_NOTICE, (uint64_t)i * 10, text, 30), 30);
        CHECK(logring_count(&r) <= 5);
    }
    CHECK_EQ_U64(r.written, 20);
    CHECK_EQ_U64(logring_count(&r), 5);
    CHECK_EQ_U64(r.dropped, 15);
    CHECK_EQ_U64(r.first_seq, 15);

    uint64_t cur = 0;
    struct logring_entry e;
    CHECK_EQ_INT(logring_read(&r, &cur, &e, text, sizeof(text)), 1);
    CHECK_EQ_U64(e.lost, 15);
    CHECK_EQ_U64(e.seq, 15);
    CHECK_EQ_U64(cur, 16);
    for (int i = 15; i < 20; i++) {
        if (i > 15) {
            CHECK_EQ_INT(logring_read(&r, &cur, &e, text, sizeof(text)), 1);
            CHECK_EQ_U64(e.lost, 0);
        }
        memset(expect, 'a' + i, 30);
        expect[30] = 0;
        CHECK_EQ_STR(text, expect);
        CHECK_EQ_U64(e.timestamp_ns, (uint64_t)i * 10);
        CHECK_EQ_INT(e.level, LOG_NOTICE);
    }
    CHECK_EQ_INT(logring_read(&r, &cur, &e, text, sizeof(text)), 0);

    /* A reader that fell behind by 3 more records is told exactly that. */
    uint64_t slow = 18;
    for (int i = 0; i < 5; i++)
        logring_append(&r, LOG_INFO, 0, "0123456789012345678901234567890", 30);
    CHECK_EQ_U64(r.first_seq, 20);
    CHECK_EQ_INT(logring_read(&r, &slow, &e, NULL, 0), 1);
    CHECK_EQ_U64(e.lost, 2);
    CHECK_EQ_U64(e.seq, 20);

    /* Truncation to max_text (44 for a 256-byte ring). */
    char big[200];
    for (int i = 0; i < 200; i++)
        big[i] = (char)('A' + i % 26);
    CHECK_EQ_INT(logring_append(&r, LOG_WARN, 7, big, sizeof(big)), 44);
    CHECK_EQ_U64(r.truncated, 1);
    uint64_t last = r.next_seq - 1;
    CHECK_EQ_INT(logring_read(&r, &last, &e, text, sizeof(text)), 1);
    CHECK(e.truncated);
    CHECK_EQ_INT(e.len, 44);
    CHECK(strlen(text) == 44 && memcmp(text, big, 44) == 0);
    /* Exactly max_text is not truncated. */
    CHECK_EQ_INT(logring_append(&r, LOG_WARN, 8, big, 44), 44);
    CHECK_EQ_U64(r.truncated, 1);
    CHECK_EQ_INT(logring_read(&r, &last, &e, text, sizeof(text)), 1);
    CHECK(!e.truncated);
    free(storage);
}

/* ---- reference model --------------------------------------------------------------------- */

struct mrec {
    uint64_t ts;
    int level;
    size_t len; /* stored */
    bool truncated;
    size_t text_off; /* into model_text */
};

#define N_APPENDS 100000

static struct mrec model[N_APPENDS];
static char *model_text;
static size_t model_text_len;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Reads one record with the ring and checks it against the model; returns 0 on mismatch. */
static int check_read(struct logring *r, uint64_t *cur, uint64_t first, uint64_t next)
{
    struct logring_entry e;
    char text[LOGRING_TEXT_MAX + 1];
    size_t bufsize = rnd() % 8 == 0 ? rnd() % 40 : sizeof(text);
    uint64_t before = *cur;
    uint64_t want = before < first ? first : before;
    int rc = logring_read(r, cur, &e, bufsize ? text : NULL, bufsize);
    if (want >= next)
        return rc == 0 && *cur == before;
    if (rc != 1 || e.seq != want || e.lost != want - before || *cur != want + 1)
        return 0;
    const struct mrec *m = &model[want];
    if (e.timestamp_ns != m->ts || e.level != m->level || e.len != m->len ||
        e.truncated != m->truncated)
        return 0;
    if (bufsize) {
        size_t n = m->len < bufsize - 1 ? m->len : bufsize - 1;
        if (memcmp(text, model_text + m->text_off, n) != 0 || text[n] != 0)
            return 0;
    }
    return 1;
}

static void test_random_vs_model(void)
{
    const size_t size = 2048;
    uint8_t *storage = malloc(size);
    struct logring r;
    CHECK_EQ_INT(logring_init(&r, storage, size), 0);
    const size_t max_text = r.max_text;
    model_text = malloc((size_t)N_APPENDS * (max_text + 1));
    model_text_len = 0;

    uint64_t first = 0; /* model: oldest record that must still be held */
    size_t held_bytes = 0;
    uint64_t cursors[3] = {0, 0, 0};
    int mismatches = 0, lost_mismatches = 0, reads = 0;
    uint64_t seen_lost = 0;
    char text[LOGRING_TEXT_MAX + 100];

    for (uint64_t i = 0; i < N_APPENDS; i++) {
        size_t len = (size_t)(rnd() % 16 == 0 ? rnd() % (max_text + 64) : rnd() % 60);
        for (size_t k = 0; k < len; k++)
            text[k] = (char)(' ' + rnd() % 95);
        int level = (int)(rnd() % LOG_LEVEL_COUNT);
        uint64_t ts = i * 1000 + rnd() % 1000;
        int kept = logring_append(&r, level, ts, text, len);

        size_t keep = len > max_text ? max_text : len;
        model[i] = (struct mrec){ts, level, keep, keep < len, model_text_len};
        memcpy(model_text + model_text_len, text, keep);
        model_text_len += keep;
        if (kept != (int)keep)
            mismatches++;
        /* The ring holds the longest suffix of records that fits in its bytes. */
        held_bytes += LOGRING_HDR_SIZE + keep;
        while (held_bytes > size) {
            held_bytes -= LOGRING_HDR_SIZE + model[first].len;
            first++;
        }
        if (r.first_seq != first || r.next_seq != i + 1 || r.written != i + 1 || r.dropped != first)
            mismatches++;

        /* Readers: one follows closely, one lags, one jumps around. */
        if (rnd() % 2 == 0) {
            uint64_t before = cursors[0];
            uint64_t expected_lost = before < first ? first - before : 0;
            struct logring_entry e;
            int rc = logring_read(&r, &cursors[0], &e, text, sizeof(text));
            reads++;
            if (rc == 1) {
                seen_lost += e.lost;
                if (e.lost != expected_lost || e.seq != before + expected_lost)
                    lost_mismatches++;
                const struct mrec *m = &model[e.seq];
                if (e.len != m->len || memcmp(text, model_text + m->text_off, m->len) != 0 ||
                    e.timestamp_ns != m->ts || e.level != m->level)
                    mismatches++;
            } else if (before != i + 1) {
                mismatches++;
            }
        }
        if (rnd() % 64 == 0) {
            while (cursors[1] <= i) {
                uint64_t before = cursors[1];
                if (!check_read(&r, &cursors[1], first, i + 1)) {
                    mismatches++;
                    break; /* a stuck cursor would loop forever */
                }
                if (before < first && cursors[1] != first + 1)
                    lost_mismatches++;
            }
        }
        if (rnd() % 16 == 0) {
            cursors[2] = rnd() % (i + 8);
            if (!check_read(&r, &cursors[2], first, i + 1))
                mismatches++;
        }
    }
    CHECK_EQ_INT(mismatches, 0);
    CHECK_EQ_INT(lost_mismatches, 0);
    CHECK(reads > N_APPENDS / 3);
    CHECK(seen_lost > 0);   /* the close reader did fall behind at times */
    CHECK(r.dropped > 0);   /* the ring wrapped many times */
    CHECK(r.truncated > 0); /* some texts were cut */

    /* Drain: everything still held comes out in order. */
    uint64_t cur = 0, expect = first;
    struct logring_entry e;
    int order_ok = 1;
    while (logring_read(&r, &cur, &e, text, sizeof(text)) == 1) {
        if (e.seq != expect || (expect == first && e.lost != first) ||
            (expect != first && e.lost != 0))
            order_ok = 0;
        expect++;
    }
    CHECK(order_ok);
    CHECK_EQ_U64(expect, N_APPENDS);
    free(model_text);
    free(storage);
}

int main(void)
{
    test_levels();
    test_init();
    test_basic_and_cursor();
    test_wrap_lost_truncate();
    test_random_vs_model();
    return check_report("logring_test");
}
