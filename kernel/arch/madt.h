/* The ACPI MADT ("APIC" table) parser for SMP bring-up: which CPUs exist, their APIC ids and
 * where the local APIC lives. Freestanding and host-tested (tests/host/madt_test.c, fuzzed by
 * tests/fuzz/madt_fuzz.c): the table is firmware input, so every byte is bounds-checked. */
#ifndef KEEL_ARCH_MADT_H
#define KEEL_ARCH_MADT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MADT_MAX_CPUS 64

struct madt_cpu {
    uint32_t apic_id;    /* xAPIC id (type 0) or x2APIC id (type 9) */
    uint32_t acpi_uid;   /* ACPI processor UID: ties the entry to its processor object */
    bool enabled;        /* flags bit 0: usable now */
    bool online_capable; /* flags bit 1: may be brought online later */
    bool x2apic;         /* from a type-9 (Processor Local x2APIC) entry */
};

struct madt_info {
    uint64_t lapic_base; /* from the header, replaced by a type-5 override */
    uint32_t flags;      /* bit 0: PC-AT compatible 8259s present */
    unsigned ncpus;      /* usable entries kept in cpus[] (enabled or online-capable) */
    unsigned disabled;   /* entries neither enabled nor online-capable (not kept) */
    unsigned dropped;    /* usable entries beyond MADT_MAX_CPUS, or duplicate APIC ids (not kept) */
    unsigned ioapics;    /* type-1 entries seen (counted only) */
    struct madt_cpu cpus[MADT_MAX_CPUS]; /* in table order */
};

#define MADT_FLAG_PCAT_COMPAT 1u

/* Parse a whole MADT (SDT header included) of `len` readable bytes. 0 and *out filled, or a
 * negative KE_* code with a message naming the problem and its byte offset written into
 * why_buf (why_size bytes, NUL-terminated; why_buf may be NULL); *out is written only when the
 * whole table is valid, why_buf only on failure.
 * KE_INVAL: table or out is NULL. KE_NOEXEC: malformed: len < 44, signature not "APIC", header
 * length > len or < 44, checksum over the header length not 0, an entry's length < 2 or past
 * the header length, a known type shorter than its size (type 0: 8, type 1: 12, type 5: 12,
 * type 9: 16). Unknown types are skipped by their length. Entries are read only up to the
 * header's length: bytes beyond it are not part of the table. */
int madt_parse(const void *table, size_t len, struct madt_info *out, char *why_buf,
               size_t why_size);

#endif
