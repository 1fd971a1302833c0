/* KEEL_NOSCAN marks core data that holds no references to cells (bitmaps, text, diagnostic
 * records such as the fault log): the reclaimer's conservative scan of the core's data
 * (keel/reclaim.h) skips it, which keeps the scan short and keeps stale addresses in such
 * records from holding retired versions alive. Only for zero-initialised (.bss) objects: the
 * linker script gathers them between __noscan_start and __noscan_end. */
#ifndef KEEL_NOSCAN_H
#define KEEL_NOSCAN_H

#define KEEL_NOSCAN __attribute__((section(".bss.noscan")))

#endif
