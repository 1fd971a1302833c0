/* vgacon: the VGA text console as a cell. It takes over the boot loader's EGA text screen (the
 * nano-core's early mirror stops once a screen sink is registered) and renders the console
 * output with the terminal in vt.c, so the shell's line editing looks right on the screen.
 * Without a text screen (a graphics framebuffer, or none) the cell loads and does nothing. */
#include <stdint.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/paging.h>
#include "vgacon/vt.h"

#define CRTC_INDEX 0x3d4
#define CRTC_DATA  0x3d5

static struct vt vt;
static int active;

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void cursor_show(void)
{
    /* An underline cursor (scan lines 14-15), whatever the boot loader left. */
    outb(CRTC_INDEX, 0x0a);
    outb(CRTC_DATA, (uint8_t)((inb(CRTC_DATA) & 0xc0) | 14));
    outb(CRTC_INDEX, 0x0b);
    outb(CRTC_DATA, (uint8_t)((inb(CRTC_DATA) & 0xe0) | 15));
}

static void cursor_move(unsigned pos)
{
    outb(CRTC_INDEX, 0x0f);
    outb(CRTC_DATA, (uint8_t)pos);
    outb(CRTC_INDEX, 0x0e);
    outb(CRTC_DATA, (uint8_t)(pos >> 8));
}

/* Called with the console lock held and interrupts off: no blocking, no allocation. */
static void vgacon_sink(const char *s, size_t n)
{
    vt_write(&vt, s, n);
    cursor_move(vt_cursor(&vt));
}

static int vgacon_init(void)
{
    uint64_t phys;
    unsigned cols, rows;
    int err = vga_text_info(&phys, &cols, &rows);
    if (err == KE_NOENT) {
        log_info("vgacon: no VGA text screen; not attached");
        return 0;
    }
    if (err)
        return err;
    /* The mapping is not given back on unload (there is no mmio_unmap): one page of MMIO
     * address space per load. */
    volatile void *buf = mmio_map(phys, (size_t)cols * rows * 2);
    if (!buf)
        return KE_NOMEM;
    if ((err = vt_init(&vt, buf, cols, rows)))
        return err;
    cursor_show();
    cursor_move(0);
    if ((err = console_add_sink(vgacon_sink, 1)))
        return err;
    active = 1;
    log_info("vgacon: %ux%u text console at 0x%llx", cols, rows, (unsigned long long)phys);
    return 0;
}

static void vgacon_exit(void)
{
    if (active)
        console_remove_sink(vgacon_sink);
    active = 0;
}

KEEL_CELL(.name = "vgacon", .version = KEEL_CELL_VERSION, .init = vgacon_init, .exit = vgacon_exit);
