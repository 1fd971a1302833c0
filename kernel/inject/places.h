/* Faults outside a cell's image (kernel/inject/places.c): a heap block one of the cell's tasks
 * owns, a word of a task's live stack. Each chooses from the seed, writes with the memory's
 * owner unable to run (heap lock / scheduler lock: interrupts off), reads back and fills the
 * record; restore writes the old bytes back only if the location is still live and still
 * holds what the fault wrote (else it would corrupt what the program has put there since). */
#ifndef KEEL_INJECT_PLACES_H
#define KEEL_INJECT_PLACES_H
#include <keel/inject.h>

int inject_heap(const struct inject_spec *s, struct inject_record *rec, struct loader_error *err);
int inject_stack(const struct inject_spec *s, struct inject_record *rec, struct loader_error *err);
/* 0 and rec->new_bytes as read back after the write, or a refusal (nothing written). */
int inject_place_restore(struct inject_record *rec, struct loader_error *err);

#endif
