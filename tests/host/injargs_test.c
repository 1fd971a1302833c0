/* The inject spec language (cells/commands/inject/injargs.h), as the shell and keelctl inject
 * both take it: every model, region, trigger and option parsed into the spec the injector gets,
 * and every refusal with its message. */
#include <string.h>
#include "check.h"
#include "commands/inject/injargs.h"

static char msg[128];

static int parse(struct injargs *a, const char *line)
{
    static char buf[512];
    const char *argv[32] = {"inject"};
    int argc = 1;
    strcpy(buf, line);
    for (char *p = strtok(buf, " "); p && argc < 31; p = strtok(NULL, " "))
        argv[argc++] = p;
    argv[argc] = NULL;
    memset(msg, 0, sizeof(msg));
    return injargs_parse(argc, argv, a, msg, sizeof(msg));
}

static void refused(const char *line, const char *why)
{
    struct injargs a;
    CHECK_EQ_INT(parse(&a, line), 2);
    CHECK_EQ_STR(msg, why);
}

static void test_actions(void)
{
    struct injargs a;
    CHECK_EQ_INT(parse(&a, "status"), 0);
    CHECK_EQ_INT(a.action, INJARGS_STATUS);
    CHECK_EQ_INT(parse(&a, "restore"), 0);
    CHECK_EQ_INT(a.action, INJARGS_RESTORE);
    refused("", "want a fault model and a cell, alloc, ipc, 'status' or 'restore'");
    refused("status now", "unknown fault model 'status' (bitflip, word, nop, branch, exception, "
                          "loop, alloc or ipc)");
}

static void test_models(void)
{
    struct injargs a;
    CHECK_EQ_INT(parse(&a, "bitflip hello --at hello_init+0x10 --seed 7"), 0);
    CHECK_EQ_INT(a.action, INJARGS_FAULT);
    CHECK_EQ_INT(a.spec.model, INJECT_BITFLIP);
    CHECK_EQ_STR(a.spec.cell, "hello");
    CHECK_EQ_STR(a.spec.symbol, "hello_init");
    CHECK(a.spec.symbol == a.symbol);
    CHECK(a.spec.has_offset);
    CHECK_EQ_U64(a.spec.symbol_offset, 16);
    CHECK_EQ_U64(a.spec.seed, 7);
    CHECK_EQ_INT(a.spec.trigger, INJECT_NOW);
    CHECK_EQ_INT(parse(&a, "word injtarget --region data --offset 8 --value ones"), 0);
    CHECK_EQ_INT(a.spec.region, CELL_REGION_DATA);
    CHECK_EQ_U64(a.spec.offset, 8);
    CHECK_EQ_INT(a.spec.value, INJECT_VALUE_ONES);
    CHECK(a.spec.symbol == NULL);
    CHECK_EQ_INT(parse(&a, "exception injtarget --at injtarget_dead"), 0);
    CHECK_EQ_INT(a.spec.model, INJECT_EXCEPTION);
    CHECK(!a.spec.has_offset);
    CHECK_EQ_INT(parse(&a, "loop injtarget --at injtarget_live --region text"), 0);
    CHECK_EQ_INT(a.spec.model, INJECT_LOOP);
    for (int m = INJECT_BITFLIP; m <= INJECT_LOOP; m++)
        CHECK(strcmp(injargs_model_name((enum inject_model)m), "?") != 0);
    CHECK_EQ_STR(injargs_model_name((enum inject_model)99), "?");
}

static void test_places(void)
{
    struct injargs a;
    CHECK_EQ_INT(parse(&a, "word wl_storm --region heap --seed 4 --value zero"), 0);
    CHECK_EQ_INT(a.spec.place, INJECT_IN_HEAP);
    CHECK_EQ_STR(injargs_where_name(&a.spec), "heap");
    CHECK(a.spec.task == NULL);
    CHECK_EQ_INT(parse(&a, "bitflip shell --region stack --task shell"), 0);
    CHECK_EQ_INT(a.spec.place, INJECT_IN_STACK);
    CHECK_EQ_STR(a.spec.task, "shell");
    CHECK(a.spec.task == a.task);
    CHECK_EQ_STR(injargs_where_name(&a.spec), "stack");
}

static void test_triggers(void)
{
    struct injargs a;
    CHECK_EQ_INT(parse(&a, "exception injtarget --at injtarget_live --after-calls 3 --of "
                           "injtarget_live"),
                 0);
    CHECK_EQ_INT(a.spec.trigger, INJECT_AFTER_CALLS);
    CHECK_EQ_U64(a.spec.trigger_n, 3);
    CHECK_EQ_STR(a.spec.trigger_symbol, "injtarget_live");
    CHECK(a.spec.trigger_symbol == a.trigger_symbol);
    CHECK_EQ_INT(parse(&a, "bitflip injtarget --after-us 0x10"), 0);
    CHECK_EQ_INT(a.spec.trigger, INJECT_AFTER_US);
    CHECK_EQ_U64(a.spec.trigger_n, 16);
    CHECK_EQ_STR(injargs_trigger_name(INJECT_AFTER_CALLS), "after-calls");
    refused("bitflip x --after-calls 0 --of f",
            "bad --after-calls '0': want a count, 1..1000000000");
    refused("bitflip x --after-us 60000001",
            "bad --after-us '60000001': want microseconds, 0..60000000");
    refused("bitflip x --after-calls 2", "--after-calls N and --of <function> go together");
    refused("bitflip x --of f", "--after-calls N and --of <function> go together");
    refused("bitflip x --after-us 5 --after-calls 2 --of f",
            "one trigger only: --after-calls or --after-us");
    refused("bitflip x --of f+1 --after-calls 1", "bad --of 'f+1': want a function of the cell");
}

static void test_refusals(void)
{
    refused(
        "flip hello",
        "unknown fault model 'flip' (bitflip, word, nop, branch, exception, loop, alloc or ipc)");
    refused("bitflip hello --region heapish",
            "unknown region 'heapish' (text, rodata, data, heap or stack)");
    refused("nop hello --region heap", "--region heap takes bitflip or word");
    refused("word hello --region heap --at f",
            "--region heap: the seed chooses the place (no --at or --offset)");
    refused("word hello --region stack --task 3 --after-us 5",
            "--region stack takes no trigger (fault at once)");
    refused("word hello --region stack",
            "--region stack needs --task <id|name>, and --task goes with it only");
    refused("word hello --task shell",
            "--region stack needs --task <id|name>, and --task goes with it only");
    refused("bitflip hello --at", "--at needs a value");
    refused("bitflip hello --at f+zz", "bad --at 'f+zz': want symbol or symbol+offset");
    refused("bitflip hello --at +4", "bad --at '+4': want symbol or symbol+offset");
    refused("bitflip hello --at f --offset 2", "--at and --offset exclude each other");
    refused("bitflip hello --value zero", "--value is for word faults only");
    refused("word hello --value many", "unknown value 'many' (random, zero or ones)");
    refused("word hello --seed 18446744073709551616",
            "bad --seed '18446744073709551616': want a number");
    refused("exception hello", "exception needs --at <function> (no +offset: the entry)");
    refused("loop hello --at f+2", "loop needs --at <function> (no +offset: the entry)");
    refused("loop hello --at f --region data", "loop needs code: --region text");
    refused("nop hello --frob 1", "unknown option '--frob'");
    /* A message that does not fit is cut, never overflows. */
    const char *argv[] = {"inject", "flip", "x", NULL};
    struct injargs a;
    char small[8];
    CHECK_EQ_INT(injargs_parse(3, argv, &a, small, sizeof(small)), 2);
    CHECK_EQ_INT((int)strlen(small), 7);
}

/* inject alloc: the cell, --nth (1..2^32-1; 0 = the seed picks), --seed; every refusal. */
static void test_alloc(void)
{
    struct injargs a;
    CHECK_EQ_INT(parse(&a, "alloc wl_storm"), 0);
    CHECK_EQ_INT(a.action, INJARGS_ALLOC);
    CHECK_EQ_STR(a.alloc.cell, "wl_storm");
    CHECK_EQ_U64(a.alloc.nth, 0);
    CHECK_EQ_INT(parse(&a, "alloc wl_demo --nth 4294967295 --seed 0x10"), 0);
    CHECK_EQ_U64(a.alloc.nth, 4294967295u);
    CHECK_EQ_U64(a.alloc.seed, 16);
    refused("alloc", "alloc wants a cell");
    refused("alloc wl_demo --nth 0", "bad --nth '0': want a number from 1 to 4294967295");
    refused("alloc wl_demo --nth 4294967296",
            "bad --nth '4294967296': want a number from 1 to 4294967295");
    refused("alloc wl_demo --nth", "--nth needs a value");
    refused("alloc wl_demo --seed x", "bad --seed 'x': want a number");
    refused("alloc wl_demo --at f", "unknown option '--at' (alloc takes --nth and --seed)");
    refused("alloc a_cell_name_that_is_longer_than_31_bytes",
            "bad cell name 'a_cell_name_that_is_longer_than_31_bytes'");
}

/* inject ipc: kind, cell or any, side, nth, seed, delay; every refusal. */
static void test_ipc(void)
{
    struct injargs a;
    CHECK_EQ_INT(parse(&a, "ipc drop any"), 0);
    CHECK_EQ_INT(a.action, INJARGS_IPC);
    CHECK_EQ_INT(a.ipc.kind, IPC_FAULT_DROP);
    CHECK_EQ_STR(a.ipc.cell, "");
    CHECK_EQ_INT(a.ipc.side, IPC_SIDE_SEND);
    CHECK_EQ_U64(a.ipc.nth, 1);
    CHECK_EQ_INT(parse(&a, "ipc delay wl_pingpong --side recv --nth 3 --seed 9 --delay-us 250"), 0);
    CHECK_EQ_INT(a.ipc.kind, IPC_FAULT_DELAY);
    CHECK_EQ_STR(a.ipc.cell, "wl_pingpong");
    CHECK_EQ_INT(a.ipc.side, IPC_SIDE_RECV);
    CHECK_EQ_U64(a.ipc.nth, 3);
    CHECK_EQ_U64(a.ipc.seed, 9);
    CHECK_EQ_U64(a.ipc.delay_ns, 250000);
    CHECK_EQ_INT(parse(&a, "ipc pagefault any --side recv"), 0);
    CHECK_EQ_INT(a.ipc.kind, IPC_FAULT_PAGEFAULT);
    refused("ipc drop", "ipc wants a fault kind and a cell (or any)");
    refused("ipc explode any",
            "unknown IPC fault 'explode' (drop, dup, corrupt, delay, badptr or pagefault)");
    refused("ipc drop any --side both", "unknown side 'both' (send or recv)");
    refused("ipc drop any --nth 0", "bad --nth '0': want a number from 1");
    refused("ipc delay any", "delay wants --delay-us N");
    refused("ipc delay any --delay-us 10000001", "bad --delay-us '10000001': want 1..10000000");
    refused("ipc drop any --delay-us 5", "--delay-us is for delay faults only");
    refused("ipc drop any --seed", "--seed needs a value");
    refused("ipc drop any --bogus 1", "unknown option '--bogus'");
}

int main(void)
{
    test_actions();
    test_models();
    test_triggers();
    test_places();
    test_refusals();
    test_alloc();
    test_ipc();
    return check_report("injargs_test");
}
