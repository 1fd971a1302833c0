/* The layout of the kernel's embedded symbol table (.ksyms), shared by tools/ksymgen (which
 * writes it after the first link) and console/ksyms.c (which reads it). */
#ifndef KEEL_KSYMS_FORMAT_H
#define KEEL_KSYMS_FORMAT_H
#include <stdint.h>

#define KSYMS_MAGIC 0x4d59534bu /* "KSYM" */

struct ksyms_header {
    uint32_t magic;
    uint32_t count;      /* entries, sorted by address */
    uint32_t names_size; /* bytes of NUL-terminated names after the entries */
    uint32_t reserved;
};

struct ksyms_entry {
    uint64_t addr;
    uint32_t size;
    uint32_t name; /* offset into the names */
};

#endif
