/* hello: the smallest useful cell. It exports hello_greet(), which the greeter cell calls, and
 * keeps its one piece of state (a counter) in a declared state block. */
#include <keel/cell.h>
#include <keel/console.h>
#include "hello/hello.h"

static struct hello_state {
    unsigned greetings;
} state;

void hello_greet(const char *who)
{
    state.greetings++;
    kprintf("hello: hello, %s! (greeting %u)\n", who, state.greetings);
}

unsigned hello_greetings(void)
{
    return state.greetings;
}

static int hello_init(void)
{
    kprintf("hello: cell initialised (version %d)\n", KEEL_CELL_VERSION);
    return 0;
}

static void hello_exit(void)
{
    kprintf("hello: exiting after %u greetings\n", state.greetings);
}

KEEL_CELL(.name = "hello", .version = KEEL_CELL_VERSION, .init = hello_init, .exit = hello_exit,
          .state = &state, .state_size = sizeof(state), .state_version = 1);
