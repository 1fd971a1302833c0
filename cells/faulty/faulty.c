/* faulty: a cell whose init dereferences NULL on purpose. Not in the boot manifest; the QEMU tests
 * load it to check that fault reports name the cell and the symbol. */
#include <stdint.h>
#include <keel/cell.h>
#include <keel/console.h>

static volatile uintptr_t null_address;

__attribute__((noinline)) int faulty_dereference(void)
{
    kprintf("faulty: dereferencing NULL\n");
    return *(volatile int *)null_address;
}

static int faulty_init(void)
{
    return faulty_dereference();
}

KEEL_CELL(.name = "faulty", .version = KEEL_CELL_VERSION, .init = faulty_init);
