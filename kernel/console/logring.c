/* Kernel log ring (see keel/logring.h). Byte positions grow monotonically and are masked into the
 * buffer, so a record may wrap around its end; ring_put/ring_get split the copy in two. Records
 * are stored as a 20-byte header followed by the text, serialized byte-wise so the storage needs
 * no alignment. */
#include <keel/errno.h>
#include <keel/logring.h>
#include <keel/string.h>

#define FLAG_TRUNCATED 0x01

struct rec_hdr {
    uint64_t seq;
    uint64_t ts;
    uint8_t level;
    uint8_t flags;
    uint16_t len;
};

static const char *const level_names[LOG_LEVEL_COUNT] = {
    "debug", "info", "notice", "warn", "err", "crit",
};

const char *log_level_name(int level)
{
    if (level < 0 || level >= LOG_LEVEL_COUNT)
        return "?";
    return level_names[level];
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int log_level_parse(const char *name, size_t len)
{
    if (!name)
        return KE_INVAL;
    for (int l = 0; l < LOG_LEVEL_COUNT; l++) {
        const char *n = level_names[l];
        size_t i = 0;
        while (i < len && n[i] && lower(name[i]) == n[i])
            i++;
        if (i == len && !n[i])
            return l;
    }
    return KE_INVAL;
}

static void ring_put(struct logring *r, uint64_t pos, const void *src, size_t n)
{
    size_t off = (size_t)(pos & (r->size - 1));
    size_t first = r->size - off < n ? r->size - off : n;
    memcpy(r->buf + off, src, first);
    memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

static void ring_get(const struct logring *r, uint64_t pos, void *dst, size_t n)
{
    size_t off = (size_t)(pos & (r->size - 1));
    size_t first = r->size - off < n ? r->size - off : n;
    memcpy(dst, r->buf + off, first);
    memcpy((uint8_t *)dst + first, r->buf, n - first);
}

static void put_hdr(struct logring *r, uint64_t pos, const struct rec_hdr *h)
{
    uint8_t b[LOGRING_HDR_SIZE];
    memcpy(b, &h->seq, 8);
    memcpy(b + 8, &h->ts, 8);
    b[16] = h->level;
    b[17] = h->flags;
    memcpy(b + 18, &h->len, 2);
    ring_put(r, pos, b, sizeof(b));
}

static void get_hdr(const struct logring *r, uint64_t pos, struct rec_hdr *h)
{
    uint8_t b[LOGRING_HDR_SIZE];
    ring_get(r, pos, b, sizeof(b));
    memcpy(&h->seq, b, 8);
    memcpy(&h->ts, b + 8, 8);
    h->level = b[16];
    h->flags = b[17];
    memcpy(&h->len, b + 18, 2);
}

int logring_init(struct logring *r, void *storage, size_t size)
{
    if (!r || !storage || size < LOGRING_MIN_SIZE || (size & (size - 1)) != 0)
        return KE_INVAL;
    size_t max_text = size / 4 - LOGRING_HDR_SIZE;
    *r = (struct logring){
        .buf = storage,
        .size = size,
        .max_text = max_text < LOGRING_TEXT_MAX ? max_text : LOGRING_TEXT_MAX,
    };
    return 0;
}

static void drop_oldest(struct logring *r)
{
    struct rec_hdr h;
    get_hdr(r, r->head, &h);
    r->head += LOGRING_HDR_SIZE + h.len;
    r->first_seq++;
    r->dropped++;
}

int logring_append(struct logring *r, int level, uint64_t ts_ns, const char *text, size_t len)
{
    if (!r || (!text && len > 0) || level < 0 || level >= LOG_LEVEL_COUNT)
        return KE_INVAL;
    size_t keep = len > r->max_text ? r->max_text : len;
    size_t need = LOGRING_HDR_SIZE + keep;
    while (r->tail - r->head + need > r->size)
        drop_oldest(r);
    struct rec_hdr h = {
        .seq = r->next_seq,
        .ts = ts_ns,
        .level = (uint8_t)level,
        .flags = keep < len ? FLAG_TRUNCATED : 0,
        .len = (uint16_t)keep,
    };
    put_hdr(r, r->tail, &h);
    if (keep)
        ring_put(r, r->tail + LOGRING_HDR_SIZE, text, keep);
    r->tail += need;
    r->next_seq++;
    r->written++;
    if (keep < len)
        r->truncated++;
    return (int)keep;
}

int logring_read(struct logring *r, uint64_t *seq_cursor, struct logring_entry *out, char *textbuf,
                 size_t bufsize)
{
    if (!r || !seq_cursor || !out || (!textbuf && bufsize > 0))
        return KE_INVAL;
    uint64_t want = *seq_cursor;
    if (want >= r->next_seq)
        return 0;
    uint64_t lost = 0;
    if (want < r->first_seq) {
        lost = r->first_seq - want;
        want = r->first_seq;
    }
    /* Start from the hint when it is still in the ring and not past the record we want. */
    uint64_t seq = r->first_seq, pos = r->head;
    if (r->hint_seq >= r->first_seq && r->hint_seq <= want && r->hint_seq < r->next_seq) {
        seq = r->hint_seq;
        pos = r->hint_pos;
    }
    struct rec_hdr h;
    for (;;) {
        get_hdr(r, pos, &h);
        if (seq == want)
            break;
        pos += LOGRING_HDR_SIZE + h.len;
        seq++;
    }
    *out = (struct logring_entry){
        .seq = h.seq,
        .timestamp_ns = h.ts,
        .lost = lost,
        .len = h.len,
        .level = h.level,
        .truncated = (h.flags & FLAG_TRUNCATED) != 0,
    };
    if (bufsize > 0) {
        size_t n = h.len < bufsize - 1 ? h.len : bufsize - 1;
        ring_get(r, pos + LOGRING_HDR_SIZE, textbuf, n);
        textbuf[n] = 0;
    }
    r->hint_seq = want + 1;
    r->hint_pos = pos + LOGRING_HDR_SIZE + h.len;
    *seq_cursor = want + 1;
    return 1;
}
