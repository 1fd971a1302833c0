/* Byte counts as people write them on the kernel command line (ramfs.quota=16M): decimal digits
 * and an optional binary unit K, M or G (KiB, MiB, GiB also accepted). Freestanding: host-tested
 * in tests/host/ramfs_index_test.c. */
#ifndef CELLS_RAMFS_SIZE_H
#define CELLS_RAMFS_SIZE_H
#include <stddef.h>

/* 0 and *out, KE_INVAL (empty, no digits, unknown unit, trailing characters) or KE_RANGE
 * (does not fit in a size_t). *out is unchanged on failure. */
int ramfs_parse_size(const char *s, size_t *out);

#endif
