/* sym <addr|name>: name an address ("0x... is cell:symbol+0xoff") or find a symbol's address in
 * the core's symbol table and among the loaded cells' exports. A plain-hex argument is taken as
 * a name first and as an address only if no symbol has that name. */
#include <stdbool.h>
#include <keel/cells.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/panic.h>

/* Parse 1..16 hex digits (after an optional 0x); false if s is not that. */
static bool parse_hex(const char *s, uint64_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    size_t n = strlen(s);
    if (n == 0 || n > 16)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        char c = *s;
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* Is addr + k still inside the core symbol at addr? ksym_lookup reports offset k exactly then. */
static bool core_inside(uint64_t addr, uint64_t k)
{
    const char *name;
    uint64_t off;
    return ksym_lookup(addr + k, &name, &off) == 0 && off == k;
}

/* The size the core's symbol table gives the symbol at addr (the table stores sizes but the
 * exported lookup does not return them, so search for the first offset outside it); 0 if it
 * reaches past 4 GiB (an unsized last symbol). */
static uint64_t core_size(uint64_t addr)
{
    uint64_t lo = 1, hi = 1; /* inside for every k < lo; hi is the next probe */
    while (core_inside(addr, hi)) {
        lo = hi + 1;
        hi *= 2;
        if (hi > (1ull << 32))
            return 0;
    }
    while (lo < hi) { /* inside(k) is true below the size and false from it on */
        uint64_t mid = lo + (hi - lo) / 2;
        if (core_inside(addr, mid))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int describe_address(uint64_t addr)
{
    char where[128];
    cells_lock(); /* no cell may go away while we name it */
    int r = addr_describe(addr, where, sizeof(where));
    cells_unlock();
    if (r) {
        kprintf("sym: 0x%016llx is not in the core or any loaded cell\n", (unsigned long long)addr);
        return 1;
    }
    kprintf("0x%016llx is %s\n", (unsigned long long)addr, where);
    return 0;
}

/* Print every definition of name; returns how many were found. */
static int describe_name(const char *name)
{
    int found = 0;
    uint64_t addr = ksym_address(name);
    if (addr) {
        const struct kexport *e;
        char size[40] = "";
        if (kexport_find(name, &e) == 0 && (uint64_t)(uintptr_t)e->addr == addr) {
            if (e->kind == KEXPORT_DATA)
                ksnprintf(size, sizeof(size), ", size %u", e->size);
            else if (core_size(addr))
                ksnprintf(size, sizeof(size), ", size %llu", (unsigned long long)core_size(addr));
            kprintf("%s = 0x%016llx (core, %s%s, exported)\n", name, (unsigned long long)addr,
                    e->kind == KEXPORT_DATA ? "object" : "function", size);
        } else {
            /* The core's symbol table does not record kinds; exports do. */
            uint64_t n = core_size(addr);
            if (n)
                ksnprintf(size, sizeof(size), ", size %llu", (unsigned long long)n);
            kprintf("%s = 0x%016llx (core%s, not exported)\n", name, (unsigned long long)addr,
                    size);
        }
        found++;
    }
    struct loader *ld = cells_loader();
    if (ld) {
        const struct loaded_cell *c;
        struct loader_symbol_info si;
        cells_lock();
        if (loader_symbol_lookup(ld, name, &c, &si) == 0) {
            struct loader_cell_info ci;
            loader_cell_info(c, &ci);
            kprintf("%s = 0x%016llx (cell %s, %s, size %llu)\n", name, (unsigned long long)si.addr,
                    ci.name, si.kind == LOADER_SYM_FUNC ? "function" : "object",
                    (unsigned long long)si.size);
            found++;
        }
        cells_unlock();
    }
    return found;
}

int cmd_sym_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS);
    if (argc != 2) {
        kprintf("sym: %s\nusage: " KEEL_COMMAND_USAGE "\n",
                argc < 2 ? "what? (an address like 0xffffffff80100000, or a symbol name)"
                         : "too many arguments");
        return 2;
    }
    const char *s = argv[1];
    uint64_t addr;
    bool prefixed = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (prefixed) {
        if (!parse_hex(s, &addr)) {
            kprintf("sym: '%s' is not a 64-bit hex address\nusage: " KEEL_COMMAND_USAGE "\n", s);
            return 2;
        }
        return describe_address(addr);
    }
    if (describe_name(s))
        return 0;
    if (parse_hex(s, &addr))
        return describe_address(addr);
    kprintf("sym: no symbol named '%s' in the core or any loaded cell\n", s);
    return 1;
}

KEEL_COMMAND_CELL("sym");
