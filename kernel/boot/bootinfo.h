/* What the boot path learned, for the rest of the nano-core. */
#ifndef KEEL_BOOT_BOOTINFO_H
#define KEEL_BOOT_BOOTINFO_H
#include <keel/mb2.h>

/* Parsed multiboot2 information (pointers into the direct map). */
const struct mb2_info *boot_info(void);
/* The kernel command line (a private copy; empty if none). */
const char *boot_cmdline(void);

#endif
