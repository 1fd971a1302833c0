/* Loader test cell: its init fails when the test says so. */
#include <keel/cell.h>

extern int test_should_fail(void);
extern void test_core_note(const char *what);

int failer_marker;

static int failer_init(void)
{
    test_core_note("lt_failer: init");
    return test_should_fail() ? -2 : 0;
}

static void failer_exit(void)
{
    test_core_note("lt_failer: exit");
}

KEEL_CELL(.name = "lt_failer", .version = KEEL_CELL_VERSION, .init = failer_init,
          .exit = failer_exit);
