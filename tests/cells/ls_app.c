/* Live-swap test cell: uses ls_lib through every kind of site a swap rewrites — calls (text),
 * an address taken in code, a 64-bit pointer in its writable data and a 32-bit absolute field in
 * its writable data. The pointers in data can be changed at run time (app_set_cb, app_narrow_set)
 * so that the test can check that the swap translates what they hold at the time. */
#include <keel/cell.h>

extern int lib_call(int x);
extern int lib_cb(void);
extern int lib_other(void);
extern int lib_calls(void);
extern int lib_version(void);
extern int lib_table[];

int (*app_cb)(void) = lib_cb; /* a site in writable data (R_X86_64_64) */
/* A 32-bit absolute site in writable data (R_X86_64_32): clang emits none for C code. */
__asm__(".pushsection .data.app_narrow,\"aw\",@progbits\n"
        ".globl app_narrow\n"
        ".type app_narrow,@object\n"
        ".size app_narrow,4\n"
        ".p2align 2\n"
        "app_narrow: .long lib_table\n"
        ".popsection");
extern unsigned int app_narrow;
int app_own_value = 7;

int app_call(int x)
{
    return lib_call(x);
}

int app_version(void)
{
    return lib_version();
}

int app_via_cb(void)
{
    return app_cb();
}

int app_table(int i)
{
    return lib_table[i];
}

int app_calls(void)
{
    return lib_calls();
}

static int app_own(void)
{
    return 7;
}

/* 0: lib_cb, 1: lib_other (both in ls_lib), 2: a function of this cell, 3: the middle of
 * lib_cb (no counterpart in another version). */
void app_set_cb(int which)
{
    app_cb = which == 0   ? lib_cb
             : which == 1 ? lib_other
             : which == 2 ? app_own
                          : (int (*)(void))((char *)lib_cb + 1);
}

unsigned int app_narrow_get(void)
{
    return app_narrow;
}

/* 0: lib_table (as linked), 1: a variable of this cell, 2: lib_table[1]. */
void app_narrow_set(int which)
{
    app_narrow = which == 0   ? (unsigned int)(unsigned long)lib_table
                 : which == 1 ? (unsigned int)(unsigned long)&app_own_value
                              : (unsigned int)(unsigned long)&lib_table[1];
}

KEEL_CELL(.name = "ls_app", .version = KEEL_CELL_VERSION);
