#ifndef KEEL_ARCH_MADT_H
#define KEEL_ARCH_MADT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#define MADT_MAX_CPUS 64
struct madt_cpu { uint32_t apic_id; uint32_t acpi_uid; bool enabled; bool online_capable; bool x2apic; };
struct madt_info { uint64_t lapic_base; uint32_t flags; unsigned ncpus, disabled, dropped, ioapics; struct madt_cpu cpus[MADT_MAX_CPUS]; };
int madt_parse(const void *table, size_t len, struct madt_info *out, char *why_buf, size_t why_size);
#endif
