/* ps2kbd: the PS/2 keyboard as a cell. A service task polls the 8042 controller every 10 ms
 * (the nano-core routes no keyboard interrupt), translates scancode set 1 (kbd.c) and pushes the
 * bytes into the console input queue, where the shell reads them like serial input. */
#include <stdint.h>
#include <keel/cell.h>
#include <keel/console.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/task.h>
#include "ps2kbd/kbd.h"

#define I8042_DATA      0x60
#define I8042_STATUS    0x64
#define STATUS_OUT_FULL 0x01
#define STATUS_MOUSE    0x20 /* the byte waiting is from the auxiliary (mouse) port */
#define POLL_NS         10000000ull
#define BYTES_PER_POLL  32 /* bounded: a dead controller may report "full" forever */

static struct kbd kbd;
static volatile task_id_t poller;
static volatile int stopping;

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* Read what the controller holds; returns how many keyboard bytes were translated. */
static unsigned poll_once(void)
{
    char out[BYTES_PER_POLL * KBD_OUT_MAX];
    size_t n = 0;
    unsigned seen = 0;
    for (int i = 0; i < BYTES_PER_POLL; i++) {
        uint8_t st = inb(I8042_STATUS);
        if (!(st & STATUS_OUT_FULL))
            break;
        uint8_t sc = inb(I8042_DATA);
        if (st & STATUS_MOUSE)
            continue;
        seen++;
        n += kbd_feed(&kbd, sc, out + n);
    }
    if (n)
        console_input_push(out, n);
    return seen;
}

static int poller_main(const void *arg, void *ret)
{
    poller = task_self(); /* a restarted incarnation has a new id */
    while (!stopping) {
        poll_once();
        if (task_sleep_ns(POLL_NS)) /* KE_KILLED: the cell is being taken down */
            break;
    }
    return 0;
}

static int ps2kbd_init(void)
{
    if (inb(I8042_STATUS) == 0xff) { /* nothing decodes the port: no controller */
        log_info("ps2kbd: no 8042 keyboard controller; not started");
        return 0;
    }
    for (int i = 0; i < 64 && (inb(I8042_STATUS) & STATUS_OUT_FULL); i++)
        (void)inb(I8042_DATA); /* stale bytes from before the boot */
    kbd_init(&kbd);
    stopping = 0;
    /* Above the default priority so typing (and Ctrl-C) gets through while a command spins. */
    struct task_spec spec = {.name = "ps2kbd",
                             .entry = poller_main,
                             .priority = TASK_PRIO_DEFAULT + 2,
                             .flags = TASK_DETACHED | TASK_RESTARTABLE | TASK_SERVICE};
    task_id_t id;
    int err = task_spawn(&spec, &id);
    if (err)
        return err;
    poller = id;
    return 0;
}

/* The poller pins this cell, so an unload only gets here once it has ended (e.g. killed with
 * the shell's kill); stopping it again is for completeness. */
static void ps2kbd_exit(void)
{
    stopping = 1;
    if (poller)
        task_kill(poller);
    poller = 0;
}

KEEL_CELL(.name = "ps2kbd", .version = KEEL_CELL_VERSION, .init = ps2kbd_init, .exit = ps2kbd_exit);
