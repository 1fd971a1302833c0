/* insn_walk: decode every instruction of the executable sections of ELF files with insn_decode,
 * for insn_cells_test.py to hold against llvm-objdump's disassembly.
 *
 *   insn_walk [--skip SECTION]... FILE...
 *
 * Each executable section is cut at its symbols (a disassembler starts again at each one) and
 * every piece is walked from its start, one instruction after another. One line per
 * instruction, tab-separated:
 *   FILE SECTION ADDRESS(hex) LENGTH JCC
 * JCC is "-" for no conditional jump, else "s" (rel8) or "n" (rel32) and the condition (the low
 * nibble of the byte at jcc_cond_offset) in hex, e.g. "s5". A byte the decoder refuses gives
 *   FILE SECTION ADDRESS(hex) ERR KE_<name>
 * and the walk goes on at the next byte. Exit 0 when the files were read (whatever the decoder
 * said: judging is the script's job), 1 when one could not be, 2 on bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keel/errno.h>
#include <keel/insn.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Section-relative offsets where a piece starts: 0 and every symbol inside the section, sorted
 * and without repeats; the count in *n, NULL on failure. */
static uint64_t *piece_starts(Elf *elf, size_t shndx, const GElf_Shdr *sh, size_t *n)
{
    size_t cap = 16, count = 0;
    uint64_t *v = malloc(cap * sizeof(*v));
    if (!v)
        return NULL;
    v[count++] = 0;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr symsh;
        if (!gelf_getshdr(scn, &symsh) || symsh.sh_type != SHT_SYMTAB || !symsh.sh_entsize)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        size_t syms = data ? symsh.sh_size / symsh.sh_entsize : 0;
        for (size_t i = 0; i < syms; i++) {
            GElf_Sym s;
            if (!gelf_getsym(data, (int)i, &s) || s.st_shndx != shndx)
                continue;
            int type = GELF_ST_TYPE(s.st_info);
            if (type == STT_SECTION || type == STT_FILE)
                continue;
            if (s.st_value < sh->sh_addr || s.st_value - sh->sh_addr >= sh->sh_size)
                continue;
            if (count == cap) {
                uint64_t *grown = realloc(v, 2 * cap * sizeof(*v));
                if (!grown) {
                    free(v);
                    return NULL;
                }
                v = grown;
                cap *= 2;
            }
            v[count++] = s.st_value - sh->sh_addr;
        }
    }
    qsort(v, count, sizeof(*v), cmp_u64);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (kept == 0 || v[i] != v[kept - 1])
            v[kept++] = v[i];
    *n = kept;
    return v;
}

static void walk_piece(const char *path, const char *name, const uint8_t *bytes, uint64_t addr,
                       size_t size)
{
    size_t at = 0;
    while (at < size) {
        struct insn in;
        int rc = insn_decode(bytes + at, size - at, &in);
        if (rc < 0) {
            printf("%s\t%s\t%llx\tERR\t%s\n", path, name, (unsigned long long)(addr + at),
                   keel_errname(rc));
            at++;
            continue;
        }
        char jcc[4] = "-";
        if (in.is_jcc)
            snprintf(jcc, sizeof(jcc), "%c%x", in.jcc_short ? 's' : 'n',
                     bytes[at + in.jcc_cond_offset] & 0xf);
        printf("%s\t%s\t%llx\t%u\t%s\n", path, name, (unsigned long long)(addr + at), in.length,
               jcc);
        at += in.length;
    }
}

static int walk_file(const char *path, char **skip, int nskip)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "insn_walk: %s: %s\n", path, strerror(errno));
        return 1;
    }
    int rc = 1;
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    size_t shstrndx;
    if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 ||
        elf_getshdrstrndx(elf, &shstrndx) != 0) {
        fprintf(stderr, "insn_walk: %s: not an ELF64 file\n", path);
        goto done;
    }
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
            !(sh.sh_flags & SHF_EXECINSTR) || sh.sh_size == 0)
            continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name)
            name = "?";
        int skipped = 0;
        for (int i = 0; i < nskip; i++)
            skipped |= strcmp(skip[i], name) == 0;
        if (skipped)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (!data || data->d_size != sh.sh_size) {
            fprintf(stderr, "insn_walk: %s: section %s unreadable\n", path, name);
            goto done;
        }
        size_t n;
        uint64_t *starts = piece_starts(elf, elf_ndxscn(scn), &sh, &n);
        if (!starts) {
            fprintf(stderr, "insn_walk: %s: out of memory\n", path);
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t end = i + 1 < n ? starts[i + 1] : sh.sh_size;
            walk_piece(path, name, (const uint8_t *)data->d_buf + starts[i], sh.sh_addr + starts[i],
                       end - starts[i]);
        }
        free(starts);
    }
    rc = 0;
done:
    if (elf)
        elf_end(elf);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    char **skip = calloc((size_t)argc, sizeof(*skip));
    int nskip = 0, first = 1;
    if (!skip)
        return 1;
    while (first < argc && strcmp(argv[first], "--skip") == 0 && first + 1 < argc) {
        skip[nskip++] = argv[first + 1];
        first += 2;
    }
    if (first >= argc || argv[first][0] == '-') {
        fprintf(stderr, "usage: insn_walk [--skip SECTION]... FILE...\n");
        free(skip);
        return 2;
    }
    if (elf_version(EV_CURRENT) == EV_NONE) {
        fprintf(stderr, "insn_walk: libelf too old\n");
        free(skip);
        return 1;
    }
    int rc = 0;
    for (int i = first; i < argc; i++)
        rc |= walk_file(argv[i], skip, nskip);
    free(skip);
    return rc;
}
