/* Loader test cell: calls into core exports, function-pointer tables (R_X86_64_64 in rodata and
 * data), a dense switch (jump table), merged strings, page-aligned data, a 1 MiB .bss, weak
 * undefined symbols, a declared state block, init and exit. */
#include <keel/cell.h>

extern int test_core_add(int a, int b);
extern void test_core_note(const char *what);
extern int test_core_value;
extern int lt_missing_fn(void) __attribute__((weak));
extern int lt_missing_obj __attribute__((weak));

int basic_value = 42;
static struct basic_state {
    int inits, exits;
} state;
char basic_bss[1 << 20];
__attribute__((aligned(4096))) int basic_aligned[4] = {7, 8, 9, 10};

static int op_add(int a, int b)
{
    return a + b;
}
static int op_sub(int a, int b)
{
    return a - b;
}
static int op_mul(int a, int b)
{
    return a * b;
}
static int op_core(int a, int b)
{
    return test_core_add(a, b);
}
static int (*const ops[])(int, int) = {op_add, op_sub, op_mul, op_core};
int (*basic_ops_rw[])(int, int) = {op_mul, op_add};

int basic_apply(int op, int a, int b)
{
    if (op < 0 || op > 3)
        return -1;
    return ops[op](a, b);
}

int basic_apply_rw(int op, int a, int b)
{
    return basic_ops_rw[op & 1](a, b);
}

/* Dense, with work in each case, so clang emits a jump table rather than a lookup table. */
__attribute__((noinline)) int basic_switch(int x, int y)
{
    switch (x) {
    case 0:
        return y + 1;
    case 1:
        return y * 3;
    case 2:
        return y - 7;
    case 3:
        return y << 2;
    case 4:
        return y ^ 0x55;
    case 5:
        return test_core_add(y, 1000);
    case 6:
        return y / 3;
    case 7:
        return y % 5;
    case 8:
        return -y;
    case 9:
        return y | 0x100;
    default:
        return 12345;
    }
}

const char *basic_greeting(int i)
{
    static const char *const words[] = {"hello", "cell", "world"};
    return i >= 0 && i < 3 ? words[i] : "none";
}

int basic_weak_check(void)
{
    return (lt_missing_fn == 0) + 2 * (&lt_missing_obj == 0);
}

int basic_core_value(void)
{
    return test_core_value;
}

int basic_state_inits(void)
{
    return state.inits;
}

static int basic_init(void)
{
    for (unsigned i = 0; i < sizeof(basic_bss); i += 4096)
        if (basic_bss[i] != 0)
            return -6;
    basic_bss[sizeof(basic_bss) - 1] = 1;
    state.inits++;
    test_core_note("lt_basic: init");
    return 0;
}

static void basic_exit(void)
{
    state.exits++;
    test_core_note("lt_basic: exit");
}

KEEL_CELL(.name = "lt_basic", .version = KEEL_CELL_VERSION, .init = basic_init, .exit = basic_exit,
          .state = &state, .state_size = sizeof(state), .state_version = 1);
