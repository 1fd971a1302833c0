/* wxprobe (a test fixture): tries what W^X forbids on its own pages, so a test can check the
 * protection of a version linked by a live swap as well as of one loaded normally:
 *
 *   run wxprobe write-text   write one byte of its own code (the byte already there)
 *   run wxprobe exec-data    call a `ret` instruction placed in its writable data
 *
 * Either must fault (the task dies, the system goes on); if the access succeeds, it says so and
 * exits with status 3. */
#include <stdint.h>
#include <keel/argv.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/string.h>

/* Writable data holding `ret` (0xc3). Not static, so no optimizer can treat it as read-only. */
uint8_t wxprobe_data_code[16] = {0xc3};

__attribute__((noinline)) int wxprobe_target(void)
{
    return KEEL_CELL_VERSION;
}

static int write_text(void)
{
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)&wxprobe_target;
    kprintf("wxprobe v%d: writing its text at 0x%llx\n", KEEL_CELL_VERSION,
            (unsigned long long)(uintptr_t)p);
    *p = *p;
    kprintf("wxprobe v%d: its text is writable (W^X broken)\n", KEEL_CELL_VERSION);
    return 3;
}

static int exec_data(void)
{
    int (*fn)(void) = (int (*)(void))(uintptr_t)wxprobe_data_code;
    kprintf("wxprobe v%d: calling its data at 0x%llx\n", KEEL_CELL_VERSION,
            (unsigned long long)(uintptr_t)fn);
    fn();
    kprintf("wxprobe v%d: its data is executable (W^X broken)\n", KEEL_CELL_VERSION);
    return 3;
}

int wxprobe_main(const void *arg, void *ret)
{
    const char *argv[3];
    int argc = argv_from_arg(arg, argv, 3);
    if (argc == 2 && strcmp(argv[1], "write-text") == 0)
        return write_text();
    if (argc == 2 && strcmp(argv[1], "exec-data") == 0)
        return exec_data();
    kprintf("usage: run wxprobe write-text|exec-data\n");
    return 2;
}

KEEL_CELL(.name = "wxprobe", .version = KEEL_CELL_VERSION);
