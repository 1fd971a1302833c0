/* COM1 (16550 UART) at 115200 8N1, polled: the primary console, usable from the first
 * instruction of kmain and from inside panic. */
#include <keel/console.h>
#include <keel/core/x86.h>

#define COM1           0x3f8
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20

void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no UART interrupts: the console polls */
    outb(COM1 + 3, 0x80); /* DLAB on: divisor follows */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8 bits, no parity, one stop bit */
    outb(COM1 + 2, 0xC7); /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + 4, 0x03); /* DTR and RTS */
}

static void serial_putc(char c)
{
    /* Bounded wait: a missing UART must not hang the kernel. */
    for (int spins = 0; spins < 100000 && !(inb(COM1 + 5) & LSR_THR_EMPTY); spins++)
        cpu_relax();
    outb(COM1, (unsigned char)c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

int serial_read_nonblock(void)
{
    if (!(inb(COM1 + 5) & LSR_DATA_READY))
        return -1;
    return inb(COM1);
}
