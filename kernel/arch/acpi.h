/* ACPI tables for the rest of the nano-core (arch/acpi.c). */
#ifndef KEEL_ARCH_ACPI_H
#define KEEL_ARCH_ACPI_H
#include <stddef.h>

/* The table with signature sig (4 characters, e.g. "APIC"), mapped, length-checked and
 * checksummed, with its length in *len; NULL when acpi_init found no tables or no such one. */
const void *acpi_table(const char *sig, size_t *len);

#endif
