/* The tasking core's private hooks into the synchronisation primitives (sync.c). */
#ifndef KEEL_TASKING_SYNC_INTERNAL_H
#define KEEL_TASKING_SYNC_INTERNAL_H
#include <keel/sync.h>

/* A task ended while holding the mutexes on *held_list_head (linked by next_held): each is
 * marked owner_died and handed to its first waiter (or freed); the next locker gets
 * KE_OWNERDEAD. The list is emptied. Call with the scheduler lock HELD, before the memory the
 * mutexes live in can be freed; it never blocks or allocates. NULL is ignored. */
void mutex_release_all_of_dead_task(struct mutex **held_list_head);

#endif
