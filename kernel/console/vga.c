/* VGA text-mode mirror of the console: 80x25 cells, light grey on black, scrolls. */
#include <stdint.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/mb2.h>
#include <keel/core/x86.h>
#include "boot/bootinfo.h"

static volatile uint16_t *vga_buf;
static unsigned vga_cols, vga_rows, vga_x, vga_y;

static void vga_move_cursor(void)
{
    unsigned pos = vga_y * vga_cols + vga_x;
    outb(0x3d4, 0x0f);
    outb(0x3d5, (uint8_t)pos);
    outb(0x3d4, 0x0e);
    outb(0x3d5, (uint8_t)(pos >> 8));
}

void vga_attach(volatile void *text_buffer, unsigned cols, unsigned rows)
{
    vga_buf = text_buffer;
    vga_cols = cols;
    vga_rows = rows;
    vga_x = vga_y = 0;
    for (unsigned i = 0; i < cols * rows; i++)
        vga_buf[i] = 0x0720;
    vga_move_cursor();
}

static void vga_newline(void)
{
    vga_x = 0;
    if (++vga_y < vga_rows)
        return;
    for (unsigned i = 0; i < (vga_rows - 1) * vga_cols; i++)
        vga_buf[i] = vga_buf[i + vga_cols];
    for (unsigned i = 0; i < vga_cols; i++)
        vga_buf[(vga_rows - 1) * vga_cols + i] = 0x0720;
    vga_y = vga_rows - 1;
}

void vga_write(const char *s, size_t n)
{
    if (!vga_buf)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') {
            vga_newline();
        } else if (c == '\r') {
            vga_x = 0;
        } else if (c == '\b') {
            if (vga_x > 0)
                vga_x--;
        } else if (c == '\t') {
            do {
                vga_buf[vga_y * vga_cols + vga_x] = 0x0720;
                if (++vga_x == vga_cols)
                    vga_newline();
            } while (vga_x % 8);
        } else if ((unsigned char)c >= 0x20) {
            vga_buf[vga_y * vga_cols + vga_x] = (uint16_t)(0x0700 | (unsigned char)c);
            if (++vga_x == vga_cols)
                vga_newline();
        }
    }
    vga_move_cursor();
}

/* For a console cell that takes over the screen: where the boot loader's text mode is. */
int vga_text_info(uint64_t *phys, unsigned *cols, unsigned *rows)
{
    if (!phys || !cols || !rows)
        return KE_INVAL;
    const struct mb2_info *bi = boot_info();
    const struct mb2_framebuffer *fb = bi ? &bi->fb : 0;
    if (!fb || !fb->present || fb->type != MB2_FB_EGA_TEXT || fb->width == 0 || fb->height == 0 ||
        fb->width > 256 || fb->height > 256)
        return KE_NOENT;
    *phys = fb->addr;
    *cols = fb->width;
    *rows = fb->height;
    return 0;
}

KEEL_EXPORT_FUNC(vga_text_info);
