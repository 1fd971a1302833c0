/* latch and waiter (test fixtures of docs/live-swap.md): latch exports a semaphore that no
 * task of its own uses; waiter's task blocks on it. The semaphore's wait queue lives in latch's
 * data, so while waiter waits, latch cannot be swapped: the core would keep pointing at the old
 * copy. The swap must wait, then refuse at its deadline. */
#include <keel/cell.h>
#include <keel/sync.h>

struct semaphore latch_sem = SEMAPHORE_INIT(0);

KEEL_CELL(.name = "latch", .version = KEEL_CELL_VERSION);
