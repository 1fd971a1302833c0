/* ls: the files of the ramfs, by name: NAME SIZE KIND, where KIND is "cell <name>@<version>"
 * for an ELF object with a cell descriptor, "elf" for another ELF file, else "text" or "data". */
#include <keel/cell.h>
#include <keel/command.h>
#include <keel/console.h>
#include <keel/format.h>
#include "ramfs/ramfs.h"

/* ELF64 offsets (the loader's own definitions are not a public header). */
#define EH_SHOFF     40
#define EH_SHENTSIZE 58
#define EH_SHNUM     60
#define EH_SHSTRNDX  62
#define SH_NAME      0
#define SH_OFFSET    24
#define SH_SIZE      32
#define SH_ENTSIZE   64

static uint64_t rd(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, p, n); /* little-endian host and target */
    return v;
}

/* Does [off, off+len) lie inside a file of size bytes? */
static bool inside(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

/* Read the descriptor of a cell object into kind ("cell <name>@<version>"); false if the file
 * is not an ELF64 file with a well-formed .keel_cell section. Every offset is checked: a ramfs
 * file may be anything. */
static bool cell_kind(const uint8_t *f, size_t size, char *kind, size_t n)
{
    if (size < 64 || f[4] != 2 /* ELFCLASS64 */)
        return false;
    uint64_t shoff = rd(f + EH_SHOFF, 8), shentsize = rd(f + EH_SHENTSIZE, 2);
    uint64_t shnum = rd(f + EH_SHNUM, 2), shstrndx = rd(f + EH_SHSTRNDX, 2);
    if (shentsize < SH_ENTSIZE || shstrndx >= shnum || !inside(shoff, shnum * shentsize, size))
        return false;
    const uint8_t *strsh = f + shoff + shstrndx * shentsize;
    uint64_t stroff = rd(strsh + SH_OFFSET, 8), strsize = rd(strsh + SH_SIZE, 8);
    if (!inside(stroff, strsize, size))
        return false;
    static const char want[] = ".keel_cell";
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *sh = f + shoff + i * shentsize;
        uint64_t name = rd(sh + SH_NAME, 4);
        if (name >= strsize || strsize - name < sizeof(want) ||
            memcmp(f + stroff + name, want, sizeof(want)) != 0)
            continue;
        uint64_t off = rd(sh + SH_OFFSET, 8), len = rd(sh + SH_SIZE, 8);
        struct keel_cell_descriptor d;
        if (len < sizeof(d) || !inside(off, sizeof(d), size))
            return false;
        memcpy(&d, f + off, sizeof(d));
        size_t nlen = strnlen(d.name, sizeof(d.name));
        if (d.magic != KEEL_CELL_MAGIC || nlen == 0 || nlen == sizeof(d.name))
            return false;
        ksnprintf(kind, n, "cell %s@%u", d.name, d.version);
        return true;
    }
    return false;
}

static void file_kind(const void *data, size_t size, char *kind, size_t n)
{
    const uint8_t *f = data;
    if (size >= 4 && memcmp(f,
                            "\x7f"
                            "ELF",
                            4) == 0) {
        if (!cell_kind(f, size, kind, n))
            ksnprintf(kind, n, "elf");
    } else {
        ksnprintf(kind, n, ramfs_is_text(data, size) ? "text" : "data");
    }
}

static int widest(void *ctx, const char *name, const void *data, size_t size)
{
    int *w = ctx;
    int len = (int)strlen(name);
    if (len > *w)
        *w = len;
    return 0;
}

static int print_one(void *ctx, const char *name, const void *data, size_t size)
{
    int *w = ctx;
    char sz[32], kind[64];
    format_size(sz, sizeof(sz), size);
    file_kind(data, size, kind, sizeof(kind));
    kprintf("%-*s  %10s  %s\n", *w, name, sz, kind);
    return 0;
}

int cmd_ls_main(const void *arg, void *ret)
{
    const char *argv[ARGV_MAX_ARGS + 1];
    int argc = argv_from_arg(arg, argv, ARGV_MAX_ARGS + 1);
    if (argc < 1) {
        kprintf("ls: bad argument block\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    if (argc > 1) {
        kprintf("ls: too many arguments\nusage: %s\n", KEEL_COMMAND_USAGE);
        return 2;
    }
    int w = 4;
    ramfs_for_each(widest, &w);
    kprintf("%-*s  %10s  %s\n", w, "NAME", "SIZE", "KIND");
    ramfs_for_each(print_one, &w);
    return 0;
}

KEEL_COMMAND_CELL("ls");
