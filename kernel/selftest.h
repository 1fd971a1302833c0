/* Boot-time self-tests selected by selftest=<name> on the kernel command line; the QEMU system
 * tests use them to provoke faults on purpose and to exercise the core in the guest. */
#ifndef KEEL_SELFTEST_H
#define KEEL_SELFTEST_H

void selftest_run(const char *name);

#endif
