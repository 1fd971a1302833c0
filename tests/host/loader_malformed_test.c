/* Loader malformed-input test: a corpus generated here by mutating a valid cell object
 * (lt_basic@1.o) in memory — truncation at every length, every kind of bad index, offset, size,
 * overlap, string table, symbol, relocation and descriptor. Each must be refused by
 * cell_image_parse with its specific message, and again through loader_load, with nothing left
 * allocated and no crash (ASan/UBSan watch every read). */
#include "check.h"
#include "loader_testlib.h"
#include "elf64.h"

#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>

static struct loader_platform pf;
static uint8_t *orig;
static size_t orig_size;
static uint8_t *buf; /* the mutated copy */

static struct elf64_ehdr *eh(void)
{
    return (struct elf64_ehdr *)buf;
}

static struct elf64_shdr *sh(size_t i)
{
    return (struct elf64_shdr *)(buf + eh()->e_shoff) + i;
}

static const char *secname(size_t i)
{
    return (const char *)orig +
           ((struct elf64_shdr *)(orig + eh()->e_shoff))[eh()->e_shstrndx].sh_offset +
           ((struct elf64_shdr *)(orig + eh()->e_shoff))[i].sh_name;
}

static size_t find_section(const char *name)
{
    for (size_t i = 1; i < eh()->e_shnum; i++)
        if (strcmp(secname(i), name) == 0)
            return i;
    fprintf(stderr, "no section %s\n", name);
    abort();
}

static size_t find_type(uint32_t type)
{
    for (size_t i = 1; i < eh()->e_shnum; i++)
        if (sh(i)->sh_type == type)
            return i;
    abort();
}

static struct elf64_sym *sym(size_t i)
{
    return (struct elf64_sym *)(buf + sh(find_type(SHT_SYMTAB))->sh_offset) + i;
}

static size_t nsyms(void)
{
    return sh(find_type(SHT_SYMTAB))->sh_size / sizeof(struct elf64_sym);
}

static const char *symname(size_t i)
{
    const struct elf64_shdr *st = sh(sh(find_type(SHT_SYMTAB))->sh_link);
    return (const char *)buf + st->sh_offset + sym(i)->st_name;
}

static size_t find_symbol(const char *name)
{
    for (size_t i = 1; i < nsyms(); i++)
        if (strcmp(symname(i), name) == 0)
            return i;
    abort();
}

/* The STT_SECTION symbol of a section. */
static size_t find_section_symbol(size_t section)
{
    for (size_t i = 1; i < nsyms(); i++)
        if ((sym(i)->st_info & 0xf) == STT_SECTION && sym(i)->st_shndx == section)
            return i;
    abort();
}

static struct elf64_rela *rela(const char *section, size_t k)
{
    return (struct elf64_rela *)(buf + sh(find_section(section))->sh_offset) + k;
}

static struct keel_cell_descriptor *desc(void)
{
    return (struct keel_cell_descriptor *)(buf + sh(find_section(".keel_cell"))->sh_offset);
}

static void reset(void)
{
    memcpy(buf, orig, orig_size);
}

static int cases;

/* Parse the mutated copy (first size bytes): must be refused with code and message; then the
 * same through loader_load. Nothing may stay allocated. */
static void expect_refusal(const char *what, size_t size, int code, const char *sub)
{
    struct cell_image img;
    struct loader_error err;
    cases++;
    int rc = cell_image_parse(&pf, buf, size, "mutant", &img, &err);
    CHECK_EQ_INT(tp.live_allocs, 0);
    CHECK(img.sections == NULL && img.symbols == NULL && img.relocs == NULL);
    if (getenv("LT_VERBOSE"))
        fprintf(stderr, "%d %s\n", rc, err.msg);
    if (rc != code || !strstr(err.msg, sub)) {
        check_result(0, __FILE__, __LINE__, what);
        fprintf(stderr, "    %s: rc %d (want %d), message \"%s\", wanted \"%s\"\n", what, rc, code,
                err.msg, sub);
    } else {
        check_result(1, __FILE__, __LINE__, what);
    }
    if (rc == 0)
        cell_image_free(&pf, &img);
    struct loader *ld = loader_create(&pf);
    struct loader_object o = {buf, size, "mutant"};
    struct loader_error err2;
    CHECK_EQ_INT(loader_load(ld, &o, 1, NULL, &err2), rc ? rc : code);
    CHECK_EQ_STR(err2.msg, err.msg);
    CHECK_EQ_INT(loader_cell_count(ld), 0);
    CHECK_EQ_INT(tp.live_regions, 0);
    loader_destroy(ld);
    CHECK_EQ_INT(tp.live_allocs, 0);
}

#define REFUSE(code, sub) expect_refusal(#code " " sub, orig_size, code, sub)

static void test_truncation(void)
{
    /* Every length short of the whole file: refused (never accepted, never a crash). */
    reset();
    size_t refused = 0;
    for (size_t n = 0; n < orig_size; n++) {
        struct cell_image img;
        struct loader_error err;
        int rc = cell_image_parse(&pf, buf, n, "truncated", &img, &err);
        refused += rc == KE_NOEXEC && strncmp(err.msg, "cell 'truncated': ", 18) == 0;
        if (rc == 0)
            cell_image_free(&pf, &img);
    }
    CHECK_EQ_INT(refused, orig_size);
    CHECK_EQ_INT(tp.live_allocs, 0);
    expect_refusal("empty", 0, KE_NOEXEC, "cell 'mutant': file too small for an ELF header");
    expect_refusal("header only", 64, KE_NOEXEC, "section header table at offset");
    /* Cut inside the last section before the section headers: its bounds fail. */
    reset();
    size_t last = find_type(SHT_STRTAB);
    for (size_t i = 1; i < eh()->e_shnum; i++)
        if (sh(i)->sh_offset > sh(last)->sh_offset && sh(i)->sh_type != SHT_NOBITS)
            last = i;
    sh(last)->sh_size += orig_size; /* as if the file had been cut */
    REFUSE(KE_NOEXEC, "beyond end of file");
}

static void test_header(void)
{
    reset();
    buf[0] = 0x7e;
    REFUSE(KE_NOEXEC, "not an ELF file (bad magic)");
    reset();
    buf[EI_CLASS] = 1;
    REFUSE(KE_NOEXEC, "not ELF64 (class 1)");
    reset();
    buf[EI_DATA] = 2;
    REFUSE(KE_NOEXEC, "not little-endian");
    reset();
    eh()->e_version = 2;
    REFUSE(KE_NOEXEC, "unsupported ELF version 2");
    reset();
    eh()->e_type = 2;
    REFUSE(KE_NOEXEC, "not a relocatable object (ET_REL): e_type 2");
    reset();
    eh()->e_machine = 3;
    REFUSE(KE_NOEXEC, "not x86_64: e_machine 3");
    reset();
    eh()->e_ehsize = 52;
    REFUSE(KE_NOEXEC, "bad ELF header size 52");
    reset();
    eh()->e_phnum = 1;
    REFUSE(KE_NOEXEC, "program headers");
    reset();
    eh()->e_shentsize = 40;
    REFUSE(KE_NOEXEC, "bad section header size 40");
    reset();
    eh()->e_shnum = 0;
    REFUSE(KE_NOTSUP, "extended section numbering (SHN_XINDEX) not supported");
    reset();
    eh()->e_shstrndx = SHN_XINDEX;
    REFUSE(KE_NOTSUP, "extended section numbering (SHN_XINDEX) not supported");
    reset();
    sh(0)->sh_size = eh()->e_shnum; /* the escape's count, with e_shnum kept: still refused */
    REFUSE(KE_NOTSUP, "SHN_XINDEX");
    reset();
    sh(0)->sh_type = SHT_PROGBITS;
    REFUSE(KE_NOEXEC, "section 0 is not SHT_NULL");
    reset();
    eh()->e_shstrndx = eh()->e_shnum;
    REFUSE(KE_NOEXEC, "section name table index");
    reset();
    eh()->e_shoff = orig_size - 64;
    REFUSE(KE_NOEXEC, "section header table at offset");
    reset();
    eh()->e_shoff = UINT64_MAX - 63; /* offset + size wraps around */
    REFUSE(KE_NOEXEC, "section header table at offset 0xffffffffffffffc0");
    reset();
    eh()->e_shnum = 0xff00;
    REFUSE(KE_NOEXEC, "too many sections");
}

static void test_sections(void)
{
    size_t text = find_section(".text.basic_switch");
    size_t ro = find_section(".rodata.ops");
    char want[160];

    reset();
    sh(text)->sh_offset = orig_size - 4;
    snprintf(want, sizeof(want),
             "cell 'lt_basic': section %zu (.text.basic_switch): offset 0x%zx + size 0x%llx "
             "beyond end of file (0x%zx)",
             text, orig_size - 4, (unsigned long long)sh(text)->sh_size, orig_size);
    expect_refusal("section beyond end of file", orig_size, KE_NOEXEC, want);
    reset();
    sh(text)->sh_offset = UINT64_MAX - 8; /* wraps */
    REFUSE(KE_NOEXEC, "beyond end of file");
    reset();
    sh(text)->sh_size = UINT64_MAX;
    REFUSE(KE_NOEXEC, "beyond end of file");
    reset();
    sh(ro)->sh_offset = sh(text)->sh_offset + 1; /* shares bytes with the text */
    REFUSE(KE_NOEXEC, "overlaps");
    /* Identical ranges tie: the lower index is named first, whichever section that is. */
    for (int swap = 0; swap < 2; swap++) {
        reset();
        size_t from = swap ? ro : text, to = swap ? text : ro;
        sh(to)->sh_offset = sh(from)->sh_offset;
        sh(to)->sh_size = sh(from)->sh_size;
        size_t lo = text < ro ? text : ro, hi = text < ro ? ro : text;
        unsigned long long start = sh(from)->sh_offset, end = start + sh(from)->sh_size;
        snprintf(want, sizeof(want), "section %zu (%s) [0x%llx, 0x%llx) overlaps section %zu (%s)",
                 lo, secname(lo), start, end, hi, secname(hi));
        expect_refusal("identical ranges", orig_size, KE_NOEXEC, want);
    }
    reset();
    sh(text)->sh_offset = 0; /* exactly the ELF header: it comes first */
    sh(text)->sh_size = 0x40;
    snprintf(want, sizeof(want), "the ELF header [0x0, 0x40) overlaps section %zu (%s) [0x0, 0x40)",
             text, secname(text));
    expect_refusal("the ELF header's range", orig_size, KE_NOEXEC, want);
    reset();
    sh(text)->sh_offset = 8; /* inside the ELF header */
    REFUSE(KE_NOEXEC, "the ELF header [0x0, 0x40) overlaps section");
    reset();
    sh(text)->sh_offset = eh()->e_shoff + 64;
    REFUSE(KE_NOEXEC, "overlaps");
    reset();
    sh(text)->sh_name = 0x7fffffff;
    REFUSE(KE_NOEXEC, "name offset 0x7fffffff beyond name table");
    reset();
    sh(eh()->e_shstrndx)->sh_type = SHT_PROGBITS;
    REFUSE(KE_NOEXEC, "section name table");
    reset();
    buf[sh(eh()->e_shstrndx)->sh_offset + sh(eh()->e_shstrndx)->sh_size - 1] = 'x';
    REFUSE(KE_NOEXEC, "section name table (section");
    reset();
    sh(text)->sh_addralign = 24;
    REFUSE(KE_NOEXEC, "alignment 24 is not a power of two");
    reset();
    sh(text)->sh_addralign = 8192;
    REFUSE(KE_NOEXEC, "alignment 8192 exceeds 4096");
    reset();
    sh(text)->sh_flags |= SHF_WRITE;
    REFUSE(KE_NOEXEC, "(.text.basic_switch): both writable and executable (W^X)");
    reset();
    sh(find_section(".data.basic_value"))->sh_flags |= SHF_TLS;
    REFUSE(KE_NOTSUP, "(.data.basic_value): TLS section not supported");
    reset();
    sh(find_section(".data.basic_value"))->sh_type = SHT_INIT_ARRAY;
    REFUSE(KE_NOTSUP, "constructors/destructors (.init_array");
    reset();
    /* .comment renamed to .ctors (in place: same string table bytes) */
    memcpy((char *)buf + sh(eh()->e_shstrndx)->sh_offset + sh(find_section(".comment"))->sh_name,
           ".ctors\0\0", 8);
    REFUSE(KE_NOTSUP, "(.ctors): constructors/destructors");
    reset();
    sh(find_section(".rela.text.basic_switch"))->sh_type = SHT_REL;
    REFUSE(KE_NOTSUP, "SHT_REL relocations (without addend) not supported");
    reset();
    sh(find_section(".comment"))->sh_type = SHT_DYNSYM;
    REFUSE(KE_NOEXEC, "unsupported section type 11");
    reset();
    sh(find_section(".comment"))->sh_type = SHT_SYMTAB_SHNDX;
    REFUSE(KE_NOTSUP, "SHN_XINDEX");
    reset();
    sh(text)->sh_addr = 0x1000;
    REFUSE(KE_NOEXEC, "non-zero address");
    reset();
    sh(find_section(".bss.basic_bss"))->sh_size = 1ull << 40; /* NOBITS: no file bytes, but */
    REFUSE(KE_NOEXEC, "exceeds");                             /* far too big */
    reset();
    sh(ro)->sh_type = 0x60000001; /* an OS-specific allocated type */
    REFUSE(KE_NOEXEC, "unsupported allocated section type 0x60000001");
}

static void test_symbols(void)
{
    size_t st = find_type(SHT_SYMTAB);
    size_t value = find_symbol("basic_value");
    size_t apply = find_symbol("basic_apply");
    size_t core = find_symbol("test_core_add");

    reset();
    sh(st)->sh_type = SHT_PROGBITS;
    REFUSE(KE_NOEXEC, "no symbol table");
    reset();
    sh(find_section(".comment"))->sh_type = SHT_SYMTAB;
    REFUSE(KE_NOEXEC, "more than one symbol table");
    reset();
    sh(st)->sh_link = 0;
    REFUSE(KE_NOEXEC, "sh_link 0 is not a string table");
    reset();
    sh(st)->sh_link = find_section(".comment");
    REFUSE(KE_NOEXEC, "is not a string table");
    reset();
    sh(st)->sh_entsize = 23;
    REFUSE(KE_NOEXEC, "entry size 23");
    reset();
    sh(st)->sh_size -= 1;
    REFUSE(KE_NOEXEC, "is not a positive multiple of 24");
    reset();
    sh(st)->sh_info = (uint32_t)nsyms() + 1;
    REFUSE(KE_NOEXEC, "first global");
    reset();
    sh(st)->sh_info = 2; /* locals after the first global */
    REFUSE(KE_NOEXEC, "local symbol on the wrong side of the first global");
    reset();
    {
        const struct elf64_shdr *str = sh(sh(st)->sh_link);
        buf[str->sh_offset + str->sh_size - 1] = 'x';
    }
    REFUSE(KE_NOEXEC, "not NUL-terminated");
    reset();
    sym(value)->st_name = 0x7ffffff0;
    REFUSE(KE_NOEXEC, "name offset 0x7ffffff0 beyond string table");
    reset();
    sym(value)->st_shndx = 500;
    REFUSE(KE_NOEXEC, "(basic_value): section index 500 out of range");
    reset();
    sym(value)->st_shndx = 0xff05;
    REFUSE(KE_NOEXEC, "section index 65285 out of range");
    reset();
    sym(value)->st_shndx = SHN_COMMON;
    REFUSE(KE_NOTSUP, "(basic_value): common symbol (SHN_COMMON)");
    reset();
    sym(value)->st_info = (STB_GLOBAL << 4) | STT_COMMON;
    REFUSE(KE_NOTSUP, "common symbol (SHN_COMMON) not supported");
    reset();
    sym(value)->st_info = (STB_GLOBAL << 4) | STT_TLS;
    REFUSE(KE_NOTSUP, "(basic_value): TLS symbol not supported");
    reset();
    sym(apply)->st_info = (STB_GLOBAL << 4) | STT_GNU_IFUNC;
    REFUSE(KE_NOTSUP, "IFUNC");
    reset();
    sym(apply)->st_info = (10 << 4) | STT_FUNC; /* STB_GNU_UNIQUE */
    REFUSE(KE_NOTSUP, "unsupported binding 10");
    reset();
    sym(value)->st_shndx = SHN_XINDEX;
    REFUSE(KE_NOTSUP, "(basic_value): extended section numbering (SHN_XINDEX)");
    reset();
    sym(value)->st_value = 0x100;
    REFUSE(KE_NOEXEC, "(basic_value): value 0x100 beyond section");
    reset();
    sym(value)->st_size = 0x10;
    REFUSE(KE_NOEXEC, "(basic_value): value 0x0 + size 0x10 beyond section");
    reset();
    sym(value)->st_value = 4;
    sym(value)->st_size = UINT64_MAX; /* value + size wraps */
    REFUSE(KE_NOEXEC, "beyond section");
    reset();
    sym(apply)->st_name = sym(value)->st_name; /* two definitions of basic_value */
    REFUSE(KE_EXIST, "duplicate definition of global symbol 'basic_value'");
    reset();
    sym(value)->st_shndx = (uint16_t)find_section(".comment");
    REFUSE(KE_NOEXEC, "global symbol in non-allocated section");
    reset();
    sym(core)->st_name = 0;
    REFUSE(KE_NOEXEC, "undefined symbol without a name");
    reset();
    sym(value)->st_name = 0;
    REFUSE(KE_NOEXEC, "global symbol without a name");
}

static void test_relocations(void)
{
    const char *rs = ".rela.text.basic_switch";
    size_t rsi = find_section(rs);
    size_t st = find_type(SHT_SYMTAB);

    reset();
    sh(rsi)->sh_link = 0;
    REFUSE(KE_NOEXEC, "(.rela.text.basic_switch): sh_link 0 is not the symbol table");
    reset();
    sh(rsi)->sh_info = 9999;
    REFUSE(KE_NOEXEC, "target section 9999 out of range");
    reset();
    sh(rsi)->sh_info = 0;
    REFUSE(KE_NOEXEC, "target section 0 out of range");
    reset();
    sh(rsi)->sh_info = (uint32_t)st;
    REFUSE(KE_NOEXEC, "cannot be relocated");
    reset();
    sh(rsi)->sh_info = (uint32_t)find_section(".bss.basic_bss");
    REFUSE(KE_NOEXEC, "cannot be relocated");
    reset();
    sh(rsi)->sh_entsize = 16;
    REFUSE(KE_NOEXEC, "relocation entry size 16");
    reset();
    sh(rsi)->sh_size -= 8;
    REFUSE(KE_NOEXEC, "is not a multiple of 24");
    reset();
    rela(rs, 0)->r_info = ((uint64_t)nsyms() << 32) | R_X86_64_32S;
    REFUSE(KE_NOEXEC, "relocation 0 in .rela.text.basic_switch: symbol index");
    reset();
    rela(rs, 0)->r_offset = sh(find_section(".text.basic_switch"))->sh_size - 3;
    REFUSE(KE_NOEXEC, "relocation 0 in .rela.text.basic_switch: offset");
    reset();
    rela(rs, 0)->r_offset = UINT64_MAX - 1; /* + width wraps */
    REFUSE(KE_NOEXEC, "beyond section");
    reset();
    rela(rs, 1)->r_info = (rela(rs, 1)->r_info & ~0xffffffffull) | R_X86_64_REX_GOTPCRELX;
    REFUSE(KE_NOTSUP, "relocation 1 in .rela.text.basic_switch: GOT relocation "
                      "R_X86_64_REX_GOTPCRELX not supported");
    reset();
    rela(rs, 1)->r_info = (rela(rs, 1)->r_info & ~0xffffffffull) | R_X86_64_GOTPCREL;
    REFUSE(KE_NOTSUP, "GOT relocation R_X86_64_GOTPCREL");
    reset();
    rela(rs, 1)->r_info = (rela(rs, 1)->r_info & ~0xffffffffull) | R_X86_64_TPOFF32;
    REFUSE(KE_NOTSUP, "TLS relocation R_X86_64_TPOFF32 not supported");
    reset();
    rela(rs, 1)->r_info = (rela(rs, 1)->r_info & ~0xffffffffull) | R_X86_64_TLSGD;
    REFUSE(KE_NOTSUP, "TLS relocation R_X86_64_TLSGD");
    reset();
    rela(rs, 1)->r_info = (rela(rs, 1)->r_info & ~0xffffffffull) | 42424;
    REFUSE(KE_NOTSUP, "unknown relocation type 42424");
    reset();
    rela(rs, 1)->r_info = (rela(rs, 1)->r_info & ~0xffffffffull) | R_X86_64_16;
    REFUSE(KE_NOTSUP, "unknown relocation type 12");
    reset();
    /* a loaded section patched with the address of a debug section */
    rela(rs, 0)->r_info =
        ((uint64_t)find_section_symbol(find_section(".debug_info")) << 32) | R_X86_64_32S;
    REFUSE(KE_NOEXEC, "lies in a non-allocated section");
    /* R_X86_64_NONE is ignored */
    reset();
    rela(".rela.rodata.ops", 0)->r_info &= ~0xffffffffull;
    {
        struct cell_image img;
        struct loader_error err;
        CHECK_EQ_INT(cell_image_parse(&pf, buf, orig_size, "none", &img, &err), 0);
        cell_image_free(&pf, &img);
    }
}

static void test_descriptor(void)
{
    size_t ds = find_section(".keel_cell");
    reset();
    desc()->magic ^= 1;
    REFUSE(KE_NOEXEC, "cell 'mutant': bad descriptor: magic");
    reset();
    desc()->abi = 2;
    REFUSE(KE_NOEXEC, "bad descriptor: ABI 2 (expected 1)");
    reset();
    desc()->name[0] = 0;
    REFUSE(KE_NOEXEC, "bad descriptor: empty name");
    reset();
    desc()->name[2] = '!';
    REFUSE(KE_NOEXEC, "bad descriptor: name has invalid character 0x21");
    reset();
    memset(desc()->name, 'a', sizeof(desc()->name));
    REFUSE(KE_NOEXEC, "bad descriptor: name not NUL-terminated within 32 bytes");
    reset();
    desc()->version = 0;
    REFUSE(KE_NOEXEC, "bad descriptor: version 0");
    reset();
    desc()->state_size = 1ull << 40;
    REFUSE(KE_NOEXEC, "bad descriptor: state_size 1099511627776 exceeds");
    reset();
    desc()->state_size = 4096; /* more than the state object's section holds */
    REFUSE(KE_NOEXEC, "bad descriptor: state block of 4096 bytes");
    reset();
    desc()->state_size = 0;
    REFUSE(KE_NOEXEC, "bad descriptor: state pointer without state_size");
    reset();
    desc()->init = (int (*)(void))0x1234; /* absolute in-place value besides the relocation */
    desc()->migrate = (void *)0x1234;
    REFUSE(KE_NOEXEC, "bad descriptor: migrate is an absolute address 0x1234");
    reset();
    sh(ds)->sh_size = 80;
    REFUSE(KE_NOEXEC, "bad descriptor: size 80, expected 96");
    reset();
    desc()->recovery_top = KEEL_RUNG_GIVE_UP + 1;
    REFUSE(KE_NOEXEC, "bad descriptor: recovery_top 5 (0..4)");
    reset();
    desc()->recovery_state = KEEL_RECOVERY_RESET + 1;
    REFUSE(KE_NOEXEC, "bad descriptor: recovery_state 3 (0..2), reserved 0");
    reset();
    desc()->recovery_reserved = 1;
    REFUSE(KE_NOEXEC, "bad descriptor: recovery_state 0 (0..2), reserved 1");
    reset();
    sh(ds)->sh_flags |= SHF_EXECINSTR;
    REFUSE(KE_NOEXEC, "bad descriptor: section");
    reset();
    sh(ds)->sh_type = SHT_NOBITS;
    REFUSE(KE_NOEXEC, "is not allocated PROGBITS");
    reset();
    sh(ds)->sh_name = sh(find_section(".comment"))->sh_name;
    REFUSE(KE_NOEXEC, "cell 'mutant': no .keel_cell descriptor section");
    reset();
    sh(find_section(".comment"))->sh_name = sh(ds)->sh_name;
    REFUSE(KE_NOEXEC, "more than one .keel_cell descriptor");
    reset();
    /* init pointing at data instead of code */
    rela(".rela.keel_cell", 0)->r_info = ((uint64_t)find_symbol("basic_value") << 32) | R_X86_64_64;
    REFUSE(KE_NOEXEC, "bad descriptor: init must point into this cell's code");
    reset();
    rela(".rela.keel_cell", 0)->r_info =
        (rela(".rela.keel_cell", 0)->r_info & ~0xffffffffull) | R_X86_64_PC64;
    REFUSE(KE_NOEXEC, "bad descriptor: R_X86_64_PC64 at offset 0x30 patches no pointer field");
    reset();
    rela(".rela.keel_cell", 0)->r_offset = 8; /* into the name */
    REFUSE(KE_NOEXEC, "patches no pointer field");
    reset();
    rela(".rela.keel_cell", 1)->r_offset = rela(".rela.keel_cell", 0)->r_offset;
    REFUSE(KE_NOEXEC, "bad descriptor: two relocations for init");
}

/* Every byte of the ELF header and the section header table, set to a few values: whatever
 * happens, no crash, no leak, and a success is a real success. */
static void test_byte_sweep(void)
{
    static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    size_t accepted = 0, total = 0;
    reset();
    size_t shoff = eh()->e_shoff, shsize = (size_t)eh()->e_shnum * 64;
    for (size_t pos = 0; pos < orig_size; pos++) {
        if (pos >= 64 && (pos < shoff || pos >= shoff + shsize))
            continue;
        for (size_t v = 0; v < sizeof(values); v++) {
            reset();
            if (buf[pos] == values[v])
                continue;
            buf[pos] = values[v];
            struct cell_image img;
            struct loader_error err;
            int rc = cell_image_parse(&pf, buf, orig_size, "sweep", &img, &err);
            total++;
            if (rc == 0) {
                accepted++;
                cell_image_free(&pf, &img);
            } else if (strncmp(err.msg, "cell '", 6) != 0 || err.code != rc) {
                check_result(0, __FILE__, __LINE__, "refusal has a message");
                fprintf(stderr, "    pos %zu value %u: \"%s\"\n", pos, values[v], err.msg);
            }
        }
    }
    CHECK(total > 5000);
    CHECK(accepted < total / 2);
    CHECK_EQ_INT(tp.live_allocs, 0);
}

int main(void)
{
    tp_reset();
    pf = tp_platform();
    orig = tp_read_cell("lt_basic", &orig_size);
    buf = malloc(orig_size);
    reset();
    {
        struct cell_image img;
        struct loader_error err;
        CHECK_EQ_INT(cell_image_parse(&pf, buf, orig_size, "lt_basic@1.o", &img, &err), 0);
        CHECK_EQ_STR(img.name, "lt_basic");
        cell_image_free(&pf, &img);
    }
    test_truncation();
    test_header();
    test_sections();
    test_symbols();
    test_relocations();
    test_descriptor();
    test_byte_sweep();
    CHECK(cases > 100);
    free(buf);
    free(orig);
    return check_report("loader_malformed_test");
}
