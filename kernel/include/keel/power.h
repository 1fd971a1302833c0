/* Leaving the machine: QEMU's isa-debug-exit for tests, ACPI S5 power-off for users, reboot. */
#ifndef KEEL_POWER_H
#define KEEL_POWER_H
#include <stddef.h>
#include <stdint.h>

/* Values written to the isa-debug-exit port (0xf4); QEMU exits with (value << 1) | 1:
 * success -> 33, failure -> 35. Without the device the write does nothing and we return. */
#define QEMU_EXIT_SUCCESS 0x10u
#define QEMU_EXIT_FAILURE 0x11u
void qemu_exit(uint32_t value);

/* Find the ACPI tables (from the boot information's RSDP copy, else the BIOS area) and the S5
 * sleep type; logs what it found. KE_NOENT/KE_NOEXEC/KE_NOTSUP explain why power-off would fail. */
int acpi_init(const void *rsdp, uint32_t rsdp_len);
/* ACPI S5; returns only on failure (error code). */
int acpi_poweroff(void);
_Noreturn void machine_reboot(void);

/* The _S5_ package of an AML byte stream (freestanding; fuzzed): 0, or KE_NOENT/KE_NOEXEC. */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typa, uint8_t *slp_typb);

#endif
