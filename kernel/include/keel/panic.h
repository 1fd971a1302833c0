/* Panics are for broken invariants of the nano-core only: nothing a cell or a user does may
 * cause one. A panic prints a full report (message, registers when known, symbolized
 * backtrace, recent log) and then halts, or exits QEMU with a failure code when the kernel
 * command line says panic=exit (tests). */
#ifndef KEEL_PANIC_H
#define KEEL_PANIC_H
#include <stddef.h>
#include <stdint.h>

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "#n 0xADDR name+0xoff" lines for a frame-pointer chain starting at (rip, rbp). */
void backtrace_print(uint64_t rip, uint64_t rbp);
/* The call sites (return address - 1) along the frame chain from rbp, innermost first: at most
 * max, fewer where the chain ends or a frame pointer is bad. Never faults. */
unsigned backtrace_call_sites(uint64_t rbp, uint64_t *sites, unsigned max);
/* A return address as its frame really has it: fn(slot, ret) maps a word some mechanism put in
 * place of the return address in stack word `slot` (a pending swap's return barrier) back to
 * the original. Backtraces read every return address through it. */
void backtrace_set_fixup(uint64_t (*fn)(uint64_t slot, uint64_t ret));

/* Symbol lookup in the kernel's embedded symbol table (tools/ksymgen). 0 or KE_NOENT. */
int ksym_lookup(uint64_t addr, const char **name, uint64_t *offset);
/* Address of a named kernel function or object, or 0. */
uint64_t ksym_address(const char *name);
unsigned ksym_count(void);
/* "symbol+0xoff" for the core, "cell:symbol+0xoff" inside a loaded cell, else "?" (KE_NOENT). */
int addr_describe(uint64_t addr, char *buf, size_t size);
/* The cell (loaded or retired version) whose image holds addr: its name in buf and its version;
 * KE_NOENT (buf "core", version 0) when no cell does. Takes no lock: for fault reports. */
int addr_cell(uint64_t addr, char *buf, size_t size, uint32_t *version);

/* Print how to leave QEMU, then halt (interrupts off), or exit QEMU with the failure code if
 * configured. */
_Noreturn void panic_halt(void);
void panic_set_exit_on_panic(int on);

#endif
