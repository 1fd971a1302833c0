/* The kernel log ring: variable-length records in a power-of-two byte ring of caller-provided
 * storage. Appending never blocks and never fails for lack of room: the oldest records are
 * dropped to make space. Every record gets the next sequence number (starting at 0); readers keep
 * their own cursor (the next sequence number they want), so any number of readers can follow the
 * log independently and learn how many records they missed. Not thread-safe: the kernel wraps
 * every call in its log lock. */
#ifndef KEEL_LOGRING_H
#define KEEL_LOGRING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARN, LOG_ERR, LOG_CRIT, LOG_LEVEL_COUNT };

/* "debug", "info", "notice", "warn", "err", "crit"; "?" for anything else. */
const char *log_level_name(int level);
/* The level named by name[0..len) (case-insensitive), or KE_INVAL. */
int log_level_parse(const char *name, size_t len);

#define LOGRING_MIN_SIZE 256
/* Bytes a record occupies besides its text: u64 seq, u64 timestamp, u8 level, u8 flags, u16 len. */
#define LOGRING_HDR_SIZE 20
/* Longest text kept per record, whatever the ring size. */
#define LOGRING_TEXT_MAX 1024

struct logring {
    uint8_t *buf;
    size_t size;        /* power of two */
    size_t max_text;    /* longest text kept: min(size / 4 - LOGRING_HDR_SIZE, LOGRING_TEXT_MAX) */
    uint64_t head;      /* byte position of the oldest record (grows without bound; masked) */
    uint64_t tail;      /* byte position where the next record goes */
    uint64_t first_seq; /* sequence number of the oldest record kept */
    uint64_t next_seq;  /* sequence number the next record gets */
    uint64_t written;   /* records appended since init */
    uint64_t dropped;   /* records dropped to make room */
    uint64_t truncated; /* records whose text was cut to max_text */
    /* Read hint: where record hint_seq starts, so sequential reads need no walk from head. */
    uint64_t hint_seq;
    uint64_t hint_pos;
};

struct logring_entry {
    uint64_t seq;
    uint64_t timestamp_ns;
    uint64_t lost;  /* records between the cursor and seq that were dropped before being read */
    uint16_t len;   /* text length as stored (after any truncation at append) */
    uint8_t level;  /* enum log_level */
    bool truncated; /* the text was cut at append time */
};

/* Sets up an empty ring in storage of size bytes (a power of two >= LOGRING_MIN_SIZE). Returns 0
 * or KE_INVAL (r untouched). */
int logring_init(struct logring *r, void *storage, size_t size);

/* Appends a record, dropping the oldest ones as needed. Text longer than r->max_text is cut to
 * r->max_text and the record is marked truncated. Returns the number of text bytes kept, or
 * KE_INVAL (nothing changed) for a NULL ring, NULL text with len > 0, or a level outside
 * enum log_level. */
int logring_append(struct logring *r, int level, uint64_t ts_ns, const char *text, size_t len);

/* Reads the oldest record whose sequence number is >= *seq_cursor. Returns 1 with *out filled,
 * the text copied into textbuf (at most bufsize - 1 bytes, always NUL-terminated when
 * bufsize > 0; textbuf may be NULL if bufsize is 0), out->lost set to the number of records
 * between *seq_cursor and the one returned that are gone, and *seq_cursor advanced past it.
 * Returns 0 when there is no such record yet (cursor unchanged), KE_INVAL for NULL arguments. */
int logring_read(struct logring *r, uint64_t *seq_cursor, struct logring_entry *out, char *textbuf,
                 size_t bufsize);

/* Number of records currently held. */
static inline uint64_t logring_count(const struct logring *r)
{
    return r->next_seq - r->first_seq;
}

#endif
