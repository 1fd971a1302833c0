/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib computes it: the frame
 * checksum of the control channel. Freestanding. */
#ifndef CELLS_CTL_CRC32_H
#define CELLS_CTL_CRC32_H
#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: crc32_update(0, p, n) is the CRC of p[0..n); feeding pieces gives the same. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t n);

#endif
