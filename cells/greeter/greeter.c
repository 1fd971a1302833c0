/* greeter: depends on the hello cell; its init greets the world through hello_greet(), so the
 * loader records greeter -> hello edges in the dependency graph. */
#include <keel/cell.h>
#include <keel/console.h>
#include "hello/hello.h"

static const char *const audiences[] = {"world", "Keel"};

static int greeter_init(void)
{
    for (unsigned i = 0; i < sizeof(audiences) / sizeof(audiences[0]); i++)
        hello_greet(audiences[i]);
    kprintf("greeter: hello has greeted %u times\n", hello_greetings());
    return 0;
}

KEEL_CELL(.name = "greeter", .version = KEEL_CELL_VERSION, .init = greeter_init);
