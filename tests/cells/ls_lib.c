/* Live-swap test cell: the library ls_app uses (tests/host/loader_swap_test.c). Versions:
 *   1, 2  compatible: lib_call adds 1 / 2000; same state layout; same variables;
 *   3     drops lib_cb, which ls_app uses;
 *   4     lib_call becomes an object (kind change);
 *   5     the exported object lib_table shrinks from 16 to 8 bytes. */
#include <keel/cell.h>

#define V KEEL_CELL_VERSION

extern void test_core_note(const char *what);

static struct lib_state {
    int calls;
    int tag;
} state;
int lib_counter = 10; /* not in the state block: carried by name */
#if V == 5
int lib_table[2] = {51, 52};
#else
int lib_table[4] = {V * 10 + 1, V * 10 + 2, V * 10 + 3, V * 10 + 4};
#endif

#if V == 4
int lib_call = 4;
#else
int lib_call(int x)
{
    state.calls++;
    lib_counter++;
    return x + (V == 1 ? 1 : 2000);
}
#endif

int lib_version(void)
{
    return V;
}

#if V != 3
int lib_cb(void)
{
    return 100 * V + 1;
}
#endif

int lib_other(void)
{
    return 100 * V + 2;
}

int lib_calls(void)
{
    return state.calls * 1000 + lib_counter;
}

int lib_tag(void)
{
    return state.tag;
}

static int lib_init(void)
{
    state.tag = 0x5eed;
    test_core_note(V == 1 ? "ls_lib init 1" : "ls_lib init 2+");
    return 0;
}

static void lib_exit(void)
{
    test_core_note("ls_lib exit");
}

KEEL_CELL(.name = "ls_lib", .version = V, .init = lib_init, .exit = lib_exit, .state = &state,
          .state_size = sizeof(state), .state_version = 1);
