/* fbvictim: the cell whose task faults for the recovery benchmark (cells/faultbench). Its task
 * faults (a write to address 0, charged to this cell) while faults_left says so, and otherwise
 * returns the guest clock at its start: the moment the task is running again. The state block
 * is carried across the ladder's reloads (the count must survive them). */
#include <keel/cell.h>
#include <keel/clock.h>
#include <keel/task.h>

static struct victim_state {
    uint32_t faults_left;
} state;

void fbvictim_arm(uint32_t faults)
{
    state.faults_left = faults;
}

int fbvictim_run(const void *arg, void *ret)
{
    (void)arg;
    uint64_t now = clock_ns();
    if (state.faults_left) {
        state.faults_left--;
        *(volatile uint32_t *)(uintptr_t)0 = 1; /* the fault */
    }
    *(uint64_t *)ret = now;
    return 0;
}

KEEL_CELL(.name = "fbvictim", .version = 1, .state = &state, .state_size = sizeof(state),
          .state_version = 1, .recovery_top = KEEL_RUNG_GIVE_UP,
          .recovery_state = KEEL_RECOVERY_CARRY, .recovery_quiet_ms = 10000);
