/* Control-channel messages: request types and the little-endian field codec of their payloads
 * (docs/control-channel.md lists every payload). Header-only and freestanding: the ctl cell and
 * keelctl share it.
 *
 * Every reply payload starts with: i32 status (0 or a negative KE_* / CTL_E_* code), str message
 * (empty on success); type-specific fields follow. A str is a u16 byte count and the bytes (no
 * NUL); a blob a u32 byte count and the bytes. */
#ifndef CELLS_CTL_WIRE_H
#define CELLS_CTL_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keel/string.h>

enum ctl_type {
    CTL_T_HELLO = 1,    /* challenge[16] -> challenge[16] u16 proto u64 next_seq u32 payload_max
                           u32 object_max str system */
    CTL_T_PING = 2,     /* blob echo -> u64 uptime_ns blob echo */
    CTL_T_PUSH = 3,     /* u8 flags str name blob object -> str stored_name u32 size u8 identical */
    CTL_T_LOAD = 4,     /* str ramfs_name [u8 flags] -> cell record (docs); refused with the
                           discard flag: u8 discarded */
    CTL_T_UNLOAD = 5,   /* str cell -> (nothing) */
    CTL_T_SWAP = 6,     /* u8 flags u64 deadline_ns u8 fail_at u8 n, n x (str cell, str object)
                           [u8 discard mask] -> swap report (docs), u8 discarded mask */
    CTL_T_QUERY = 7,    /* u8 what str name -> u32 count, records */
    CTL_T_REMOVE = 8,   /* u8 n, n x str name -> n x (u64 size, u8 enum ctl_removed) */
    CTL_T_FAULTS = 9,   /* u8 flags -> u64 written u64 dropped u32 capacity u32 count, count x
                           fault record (docs) */
    CTL_T_INJECT = 10,  /* u8 n, n x str word (inject's words) -> u8 action u8 valid [inject
                           record] (docs) */
    CTL_T_ERROR = 0x7f, /* reply to a frame that could not be taken as a request */
};
#define CTL_T_REPLY_BIT 0x80 /* a reply's type is the request's type | this bit */

#define CTL_PUSH_UNIQUE   0x01 /* name taken by a different file: store as NAME.1, NAME.2, ... */
#define CTL_LOAD_DISCARD  0x01 /* refused: remove the object (keelctl's push just stored it) */
#define CTL_SWAP_DRY_RUN  0x01
#define CTL_FAULTS_CLEAR  0x01 /* empty the fault log after reading it */
#define CTL_PING_MAX      1024
#define CTL_INJECT_WORDS  32  /* words of an INJECT request, at most */
#define CTL_INJECT_WORD   128 /* bytes of one word, NUL included */
#define CTL_REPLY_MAX     (64u * 1024u)
#define CTL_UNIQUE_MAX    99 /* NAME.1 .. NAME.99 */
#define CTL_PROTO_VERSION 1

/* What a QUERY asks for. SWAP: the pending swap's status (keel/swap.h, struct swap_status),
 * count 1 and one record: u8 pending str cell u32 old_version u32 new_version u64 pending_ns
 * u64 deadline_ns u32 checks u64 sites_gated u32 barriers_left u32 held str inside u64
 * gate_calls u64 gate_wait_ns. */
enum ctl_query { CTL_Q_CELLS = 1, CTL_Q_TASKS = 2, CTL_Q_CELL = 3, CTL_Q_SWAP = 4 };

/* What REMOVE did with each file (ramfs.h: struct ramfs_removed). */
enum ctl_removed {
    CTL_RM_FREED = 0,  /* its memory was freed */
    CTL_RM_HELD = 1,   /* freed when the last reader in the guest lets go */
    CTL_RM_PINNED = 2, /* its memory stays (taken for good by a reader) */
    CTL_RM_BOOT = 3,   /* a boot module: only its name went */
};

/* ---- writing ---------------------------------------------------------------------------- */
struct ctl_wr {
    uint8_t *p;
    size_t cap, len;
    bool overflow; /* something did not fit: the result is unusable */
};

static inline void ctl_wr_init(struct ctl_wr *w, void *buf, size_t cap)
{
    w->p = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = false;
}

static inline uint8_t *ctl_wr_room(struct ctl_wr *w, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return NULL;
    }
    uint8_t *at = w->p + w->len;
    w->len += n;
    return at;
}

static inline void ctl_wr_uint(struct ctl_wr *w, uint64_t v, int bytes)
{
    uint8_t *at = ctl_wr_room(w, (size_t)bytes);
    for (int i = 0; at && i < bytes; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}
static inline void ctl_wr_u8(struct ctl_wr *w, uint8_t v)
{
    ctl_wr_uint(w, v, 1);
}
static inline void ctl_wr_u16(struct ctl_wr *w, uint16_t v)
{
    ctl_wr_uint(w, v, 2);
}
static inline void ctl_wr_u32(struct ctl_wr *w, uint32_t v)
{
    ctl_wr_uint(w, v, 4);
}
static inline void ctl_wr_u64(struct ctl_wr *w, uint64_t v)
{
    ctl_wr_uint(w, v, 8);
}
static inline void ctl_wr_bytes(struct ctl_wr *w, const void *data, size_t n)
{
    uint8_t *at = ctl_wr_room(w, n);
    if (at && n)
        memcpy(at, data, n);
}
/* A string of at most 65535 bytes (longer ones are cut). */
static inline void ctl_wr_strn(struct ctl_wr *w, const char *s, size_t n)
{
    if (n > 0xffff)
        n = 0xffff;
    ctl_wr_u16(w, (uint16_t)n);
    ctl_wr_bytes(w, s, n);
}
static inline void ctl_wr_str(struct ctl_wr *w, const char *s)
{
    ctl_wr_strn(w, s ? s : "", s ? strlen(s) : 0);
}
static inline void ctl_wr_blob(struct ctl_wr *w, const void *data, uint32_t n)
{
    ctl_wr_u32(w, n);
    ctl_wr_bytes(w, data, n);
}

/* ---- reading ---------------------------------------------------------------------------- */
struct ctl_rd {
    const uint8_t *p;
    size_t len, pos;
    bool bad; /* read past the end or a field out of range: the payload is malformed */
};

static inline void ctl_rd_init(struct ctl_rd *r, const void *buf, size_t len)
{
    r->p = buf;
    r->len = len;
    r->pos = 0;
    r->bad = false;
}

static inline const uint8_t *ctl_rd_take(struct ctl_rd *r, size_t n)
{
    if (r->bad || n > r->len - r->pos) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *at = r->p + r->pos;
    r->pos += n;
    return at;
}

static inline uint64_t ctl_rd_uint(struct ctl_rd *r, int bytes)
{
    const uint8_t *at = ctl_rd_take(r, (size_t)bytes);
    uint64_t v = 0;
    for (int i = 0; at && i < bytes; i++)
        v |= (uint64_t)at[i] << (8 * i);
    return v;
}
static inline uint8_t ctl_rd_u8(struct ctl_rd *r)
{
    return (uint8_t)ctl_rd_uint(r, 1);
}
static inline uint16_t ctl_rd_u16(struct ctl_rd *r)
{
    return (uint16_t)ctl_rd_uint(r, 2);
}
static inline uint32_t ctl_rd_u32(struct ctl_rd *r)
{
    return (uint32_t)ctl_rd_uint(r, 4);
}
static inline uint64_t ctl_rd_u64(struct ctl_rd *r)
{
    return ctl_rd_uint(r, 8);
}
/* A string into out (cap bytes with the NUL): bad if it does not fit or holds a NUL. */
static inline void ctl_rd_str(struct ctl_rd *r, char *out, size_t cap)
{
    size_t n = ctl_rd_u16(r);
    const uint8_t *at = ctl_rd_take(r, n);
    if (!at || n >= cap || memchr(at, 0, n)) {
        r->bad = true;
        if (cap)
            out[0] = 0;
        return;
    }
    memcpy(out, at, n);
    out[n] = 0;
}
/* A blob: its bytes in place (NULL and bad if it does not fit), *n its size. */
static inline const uint8_t *ctl_rd_blob(struct ctl_rd *r, uint32_t *n)
{
    *n = ctl_rd_u32(r);
    const uint8_t *at = ctl_rd_take(r, *n);
    if (!at)
        *n = 0;
    return at;
}
/* Everything read, nothing left over? */
static inline bool ctl_rd_done(const struct ctl_rd *r)
{
    return !r->bad && r->pos == r->len;
}

#endif
