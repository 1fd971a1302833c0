/* The local APIC beyond the timer (arch/apic.c): interprocessor interrupts and the per-CPU
 * setup of application processors. */
#ifndef KEEL_ARCH_APIC_H
#define KEEL_ARCH_APIC_H
#include <stdbool.h>
#include <stdint.h>

#define VECTOR_TIMER    0x30
#define VECTOR_CALL     0xf0 /* cpu_call */
#define VECTOR_STOP     0xf1 /* stop the world (arch/world.c) */
#define VECTOR_KICK     0xf2 /* reschedule */
#define VECTOR_SYNC     0xf3 /* catch up: TLB (mem/paging.c), debug registers (inject/) */
#define VECTOR_SPURIOUS 0xff

/* Whether the boot CPU's local APIC is mapped and enabled (apic_timer_init does it, even when
 * the timer rate is refused). */
bool apic_present(void);
/* This CPU's local APIC id (the APIC must be mapped: after apic_timer_init). */
uint32_t apic_self_id(void);
void apic_eoi(void);
/* A fixed-vector IPI to one CPU; waits (bounded) for the previous one to be sent first. */
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
/* An NMI to every other CPU (panic: they stop whatever they are doing, interrupts off or not). */
void apic_send_nmi_others(void);
/* INIT, then STARTUP with the page number of the real-mode entry; false if the APIC did not
 * accept the IPI within a bound. */
bool apic_send_init(uint32_t apic_id);
bool apic_send_startup(uint32_t apic_id, uint8_t page);
/* On an application processor: enable its APIC and start its timer at the boot CPU's rate. */
void apic_ap_init(void);

#endif
