/* Frame-pointer backtraces. Everything Keel builds keeps frame pointers, so each frame is
 * {saved rbp, return address}; every read is checked against the page tables first so a corrupt
 * chain ends the trace instead of faulting again. */
#include <stdbool.h>
#include <keel/console.h>
#include <keel/paging.h>
#include <keel/panic.h>

#define BACKTRACE_MAX 32

static void print_frame(unsigned n, uint64_t addr)
{
    char where[96];
    addr_describe(addr, where, sizeof(where));
    kprintf("  #%-2u 0x%016llx %s\n", n, (unsigned long long)addr, where);
}

static uint64_t (*fixup)(uint64_t slot, uint64_t ret);

void backtrace_set_fixup(uint64_t (*fn)(uint64_t slot, uint64_t ret))
{
    fixup = fn;
}

/* The return address of the frame at rbp (readable). */
static uint64_t frame_return(uint64_t rbp)
{
    uint64_t ret = ((const uint64_t *)(uintptr_t)rbp)[1];
    return fixup && ret ? fixup(rbp + 8, ret) : ret;
}

static bool frame_readable(uint64_t rbp)
{
    return !(rbp & 7) && paging_range_mapped(rbp, 16, false);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
    unsigned n = 0;
    print_frame(n++, rip);
    while (rbp && n < BACKTRACE_MAX) {
        if (!frame_readable(rbp)) {
            kprintf("  (frame chain ends at bad frame pointer 0x%llx)\n", (unsigned long long)rbp);
            return;
        }
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        uint64_t ret = frame_return(rbp);
        if (!ret)
            return;
        /* The return address points after the call; name the call site. */
        print_frame(n++, ret - 1);
        rbp = frame[0];
    }
}

unsigned backtrace_call_sites(uint64_t rbp, uint64_t *sites, unsigned max)
{
    unsigned n = 0;
    while (rbp && n < max && frame_readable(rbp)) {
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        uint64_t ret = frame_return(rbp);
        if (!ret)
            break;
        sites[n++] = ret - 1;
        rbp = frame[0];
    }
    return n;
}
