/* Printing a cell report: human text, problems only (--check), or JSON (--json). */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <keel/errno.h>
#include <keel/format.h>

#include "cellinfo.h"

struct reloc_count {
    uint32_t type;
    size_t count;
};

static const char *region_name(enum cell_region region)
{
    switch (region) {
    case CELL_REGION_TEXT:
        return "text";
    case CELL_REGION_RODATA:
        return "rodata";
    case CELL_REGION_DATA:
        return "data";
    default:
        return "none";
    }
}

static bool parsed(const struct cell_report *r)
{
    return !r->io_error[0] && r->parse_rc == 0;
}

static bool viewed(const struct cell_report *r)
{
    return !r->io_error[0] && r->view_rc == 0;
}

/* The cell's name: the loader's if it accepted the object, else the raw descriptor's (made
 * printable), else NULL. */
static const char *cell_name(const struct cell_report *r, char buf[KEEL_CELL_NAME_MAX])
{
    if (parsed(r))
        return r->img.name;
    if (!viewed(r) || !r->view.has_descriptor)
        return NULL;
    size_t i = 0;
    for (; i < KEEL_CELL_NAME_MAX - 1 && r->view.descriptor.name[i]; i++) {
        char c = r->view.descriptor.name[i];
        buf[i] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    buf[i] = '\0';
    return buf;
}

static bool cell_version(const struct cell_report *r, uint32_t *version)
{
    if (parsed(r))
        *version = r->img.version;
    else if (viewed(r) && r->view.has_descriptor)
        *version = r->view.descriptor.version;
    else
        return false;
    return true;
}

static bool is_export(const struct ev_symbol *s)
{
    return (s->bind == STB_GLOBAL || s->bind == STB_WEAK) && s->shndx != SHN_UNDEF;
}

static bool is_import(const struct elf_view *v, size_t index)
{
    return index > 0 && v->symbols[index].shndx == SHN_UNDEF && v->symbols[index].name[0];
}

static const char *symbol_section(const struct elf_view *v, const struct ev_symbol *s)
{
    if (s->shndx == SHN_ABS)
        return "ABS";
    if (s->shndx == SHN_COMMON)
        return "COMMON";
    if (s->shndx < v->nsections)
        return v->sections[s->shndx].name;
    return "?";
}

static int cmp_reloc_count(const void *a, const void *b)
{
    const struct reloc_count *x = a, *y = b;
    return x->type < y->type ? -1 : x->type > y->type;
}

/* Distinct relocation types with their counts, by type; caller frees. */
static struct reloc_count *count_relocs(const struct elf_view *v, size_t *n)
{
    struct reloc_count *c = calloc(v->nrelocs ? v->nrelocs : 1, sizeof(*c));
    *n = 0;
    if (!c)
        return NULL;
    for (size_t i = 0; i < v->nrelocs; i++) {
        size_t j = 0;
        while (j < *n && c[j].type != v->relocs[i].type)
            j++;
        if (j == *n)
            c[(*n)++] = (struct reloc_count){v->relocs[i].type, 0};
        c[j].count++;
    }
    qsort(c, *n, sizeof(*c), cmp_reloc_count);
    return c;
}

/* Relocations that patch SHF_ALLOC sections (the rest patch debug information). */
static size_t loaded_relocs(const struct elf_view *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->nrelocs; i++)
        if (v->relocs[i].section < v->nsections &&
            (v->sections[v->relocs[i].section].flags & SHF_ALLOC))
            n++;
    return n;
}

static uint64_t writable_bytes(const struct cell_report *r)
{
    if (parsed(r))
        return r->img.writable_bytes;
    uint64_t sum = 0;
    for (size_t i = 1; i < r->view.nsections; i++) {
        const struct ev_section *s = &r->view.sections[i];
        if ((s->flags & (SHF_ALLOC | SHF_WRITE)) == (SHF_ALLOC | SHF_WRITE))
            sum += s->size;
    }
    return sum;
}

static const char *or_dash(const char *s)
{
    return s && s[0] ? s : "-";
}

/* ---- text ----------------------------------------------------------------------------------- */

static void text_sections(FILE *out, const struct cell_report *r)
{
    const struct elf_view *v = &r->view;
    int width = 4;
    for (size_t i = 1; i < v->nsections; i++)
        if ((int)strlen(v->sections[i].name) > width)
            width = (int)strlen(v->sections[i].name);
    fprintf(out, "  sections (%zu):\n", v->nsections ? v->nsections - 1 : 0);
    fprintf(out, "    [Nr] %-*s %-13s %-5s %8s %5s  %s\n", width, "name", "type", "flags", "size",
            "align", "region");
    for (size_t i = 1; i < v->nsections; i++) {
        const struct ev_section *s = &v->sections[i];
        char tbuf[32], fbuf[40], rbuf[48];
        ev_section_flags(s->flags, fbuf, sizeof(fbuf));
        if (!parsed(r) || i >= r->img.nsections)
            snprintf(rbuf, sizeof(rbuf), "?");
        else if (r->img.sections[i].region == CELL_REGION_NONE)
            snprintf(rbuf, sizeof(rbuf), "none");
        else
            snprintf(rbuf, sizeof(rbuf), "%s+0x%" PRIx64, region_name(r->img.sections[i].region),
                     r->img.sections[i].region_offset);
        fprintf(out, "    [%2zu] %-*s %-13s %-5s %8" PRIu64 " %5" PRIu64 "  %s\n", i, width,
                s->name, ev_section_type_name(s->type, tbuf, sizeof(tbuf)), fbuf, s->size,
                s->addralign, rbuf);
    }
}

static void text_symbols(FILE *out, const struct elf_view *v)
{
    size_t nexp = 0, nimp = 0;
    int width = 4;
    for (size_t i = 1; i < v->nsymbols; i++) {
        if (is_export(&v->symbols[i]))
            nexp++;
        if (is_import(v, i))
            nimp++;
        if ((is_export(&v->symbols[i]) || is_import(v, i)) &&
            (int)strlen(v->symbols[i].name) > width)
            width = (int)strlen(v->symbols[i].name);
    }
    fprintf(out, "  exports (%zu):\n", nexp);
    for (size_t i = 1; i < v->nsymbols; i++) {
        const struct ev_symbol *s = &v->symbols[i];
        char tbuf[32];
        if (!is_export(s))
            continue;
        fprintf(out, "    %-*s %-7s %6" PRIu64 "  %s%s\n", width, s->name,
                ev_symbol_type_name(s->type, tbuf, sizeof(tbuf)), s->size, symbol_section(v, s),
                s->bind == STB_WEAK ? "  (weak)" : "");
    }
    fprintf(out, "  imports (%zu):\n", nimp);
    for (size_t i = 1; i < v->nsymbols; i++)
        if (is_import(v, i))
            fprintf(out, "    %s%s\n", v->symbols[i].name,
                    v->symbols[i].bind == STB_WEAK ? "  (weak)" : "");
}

static void text_relocs(FILE *out, const struct elf_view *v)
{
    size_t n;
    struct reloc_count *c = count_relocs(v, &n);
    fprintf(out, "  relocations (%zu, %zu patch loaded sections):", v->nrelocs, loaded_relocs(v));
    for (size_t i = 0; c && i < n; i++) {
        char buf[40];
        fprintf(out, "%s %s %zu%s", i ? "," : "", ev_reloc_type_name(c[i].type, buf, sizeof(buf)),
                c[i].count, loader_reloc_name(c[i].type) ? "" : " (unsupported)");
    }
    fputc('\n', out);
    free(c);
}

static void text_state(FILE *out, const struct cell_report *r)
{
    /* "state" is only the block the cell declares (what a swap carries); docs/design.md. */
    fprintf(out, "  writable: %" PRIu64 " bytes (.data+.bss)", writable_bytes(r));
    const struct elf_view *v = &r->view;
    if (!v->has_descriptor) {
        fprintf(out, "; descriptor unreadable\n");
        return;
    }
    if (v->descriptor.state_size || v->state_sym[0])
        fprintf(out, "; state block %" PRIu64 " bytes at %s, layout version %u\n",
                v->descriptor.state_size, or_dash(v->state_sym), v->descriptor.state_version);
    else
        fprintf(out, "; no state block\n");
    fprintf(out, "  hooks: init %s, exit %s, migrate %s\n", or_dash(v->init_sym),
            or_dash(v->exit_sym), or_dash(v->migrate_sym));
}

static void text_layout(FILE *out, const struct cell_report *r)
{
    fprintf(out, "  layout:");
    for (int i = CELL_REGION_TEXT; i <= CELL_REGION_DATA; i++) {
        char size[32];
        format_size(size, sizeof(size), r->img.region_size[i]);
        fprintf(out, "%s %s %s", i == CELL_REGION_TEXT ? "" : ",", region_name(i), size);
    }
    fputc('\n', out);
}

void report_text(FILE *out, const struct cell_report *r)
{
    if (r->io_error[0]) {
        fprintf(out, "%s: cannot read: %s\n", r->path, r->io_error);
        return;
    }
    char nbuf[KEEL_CELL_NAME_MAX];
    const char *name = cell_name(r, nbuf);
    uint32_t version;
    if (name && cell_version(r, &version))
        fprintf(out, "%s: cell %s, version %u\n", r->path, name, version);
    else
        fprintf(out, "%s: no readable cell descriptor\n", r->path);
    if (viewed(r) && r->view.nsections == 0) {
        fprintf(out, "  no readable section headers\n");
    } else if (viewed(r)) {
        text_sections(out, r);
        text_symbols(out, &r->view);
        text_relocs(out, &r->view);
        text_state(out, r);
    } else {
        fprintf(out, "  %s\n", r->view.error);
    }
    if (parsed(r))
        text_layout(out, r);
    for (int i = 0; i < r->nwarnings; i++)
        fprintf(out, "  warning: %s\n", r->warnings[i]);
    if (parsed(r))
        fprintf(out, "  loader: ok\n");
    else
        fprintf(out, "  loader: refused (%s): %s\n", keel_errname(r->parse_rc), r->err.msg);
}

void report_check(FILE *out, const struct cell_report *r)
{
    if (r->io_error[0]) {
        fprintf(out, "%s: cannot read: %s\n", r->path, r->io_error);
        return;
    }
    if (!parsed(r))
        fprintf(out, "%s: %s\n", r->path, r->err.msg);
    for (int i = 0; i < r->nwarnings; i++)
        fprintf(out, "%s: warning: %s\n", r->path, r->warnings[i]);
}

/* ---- JSON ----------------------------------------------------------------------------------- */

/* A JSON string; bytes outside printable ASCII are escaped, so the output is always valid. */
static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void json_str_or_null(FILE *out, const char *s)
{
    if (s && s[0])
        json_str(out, s);
    else
        fputs("null", out);
}

static void json_sections(FILE *out, const struct cell_report *r)
{
    const struct elf_view *v = &r->view;
    fprintf(out, ",\n    \"sections\": [");
    for (size_t i = 1; i < v->nsections; i++) {
        const struct ev_section *s = &v->sections[i];
        char tbuf[32], fbuf[40];
        ev_section_flags(s->flags, fbuf, sizeof(fbuf));
        fprintf(out, "%s\n      {\"index\": %zu, \"name\": ", i > 1 ? "," : "", i);
        json_str(out, s->name);
        fprintf(out, ", \"type\": ");
        json_str(out, ev_section_type_name(s->type, tbuf, sizeof(tbuf)));
        fprintf(out, ", \"flags\": ");
        json_str(out, fbuf);
        fprintf(out, ", \"size\": %" PRIu64 ", \"align\": %" PRIu64 ", \"region\": ", s->size,
                s->addralign);
        if (parsed(r) && i < r->img.nsections) {
            json_str(out, region_name(r->img.sections[i].region));
            if (r->img.sections[i].region != CELL_REGION_NONE)
                fprintf(out, ", \"region_offset\": %" PRIu64, r->img.sections[i].region_offset);
        } else {
            fputs("null", out);
        }
        fputc('}', out);
    }
    fprintf(out, "%s]", v->nsections > 1 ? "\n    " : "");
}

static void json_symbols(FILE *out, const struct elf_view *v)
{
    bool first = true;
    fprintf(out, ",\n    \"exports\": [");
    for (size_t i = 1; i < v->nsymbols; i++) {
        const struct ev_symbol *s = &v->symbols[i];
        char tbuf[32];
        if (!is_export(s))
            continue;
        fprintf(out, "%s\n      {\"name\": ", first ? "" : ",");
        json_str(out, s->name);
        fprintf(out, ", \"kind\": ");
        json_str(out, ev_symbol_type_name(s->type, tbuf, sizeof(tbuf)));
        fprintf(out, ", \"size\": %" PRIu64 ", \"section\": ", s->size);
        json_str(out, symbol_section(v, s));
        fprintf(out, ", \"weak\": %s}", s->bind == STB_WEAK ? "true" : "false");
        first = false;
    }
    fprintf(out, "%s],\n    \"imports\": [", first ? "" : "\n    ");
    first = true;
    for (size_t i = 1; i < v->nsymbols; i++) {
        if (!is_import(v, i))
            continue;
        fprintf(out, "%s\n      {\"name\": ", first ? "" : ",");
        json_str(out, v->symbols[i].name);
        fprintf(out, ", \"weak\": %s}", v->symbols[i].bind == STB_WEAK ? "true" : "false");
        first = false;
    }
    fprintf(out, "%s]", first ? "" : "\n    ");
}

static void json_relocs(FILE *out, const struct elf_view *v)
{
    size_t n;
    struct reloc_count *c = count_relocs(v, &n);
    fprintf(out, ",\n    \"relocations\": {\"total\": %zu, \"loaded\": %zu, \"by_type\": {",
            v->nrelocs, loaded_relocs(v));
    for (size_t i = 0; c && i < n; i++) {
        char buf[40];
        fprintf(out, "%s", i ? ", " : "");
        json_str(out, ev_reloc_type_name(c[i].type, buf, sizeof(buf)));
        fprintf(out, ": %zu", c[i].count);
    }
    fprintf(out, "}}");
    free(c);
}

static void json_state(FILE *out, const struct cell_report *r)
{
    const struct elf_view *v = &r->view;
    fprintf(out, ",\n    \"writable_bytes\": %" PRIu64 ",\n    \"state\": ", writable_bytes(r));
    if (!v->has_descriptor || (!v->descriptor.state_size && !v->state_sym[0])) {
        fputs("null", out);
    } else {
        fprintf(out,
                "{\"size\": %" PRIu64 ", \"version\": %u, \"symbol\": ", v->descriptor.state_size,
                v->descriptor.state_version);
        json_str_or_null(out, v->state_sym);
        fputc('}', out);
    }
    if (!v->has_descriptor)
        return;
    fprintf(out, ",\n    \"hooks\": {\"init\": ");
    json_str_or_null(out, v->init_sym);
    fprintf(out, ", \"exit\": ");
    json_str_or_null(out, v->exit_sym);
    fprintf(out, ", \"migrate\": ");
    json_str_or_null(out, v->migrate_sym);
    fputc('}', out);
}

void report_json(FILE *out, const struct cell_report *r, bool check_only)
{
    fprintf(out, "  {\"file\": ");
    json_str(out, r->path);
    fprintf(out, ", \"ok\": %s, \"error\": ", cell_report_refused(r) ? "false" : "true");
    if (r->io_error[0]) {
        char msg[300];
        snprintf(msg, sizeof(msg), "cannot read: %s", r->io_error);
        json_str(out, msg);
        fprintf(out, ", \"code\": null");
    } else if (!parsed(r)) {
        json_str(out, r->err.msg);
        fprintf(out, ", \"code\": ");
        json_str(out, keel_errname(r->parse_rc));
    } else {
        fprintf(out, "null, \"code\": null");
    }
    fprintf(out, ",\n    \"warnings\": [");
    for (int i = 0; i < r->nwarnings; i++) {
        fprintf(out, "%s", i ? ", " : "");
        json_str(out, r->warnings[i]);
    }
    fputc(']', out);
    if (check_only || r->io_error[0]) {
        fprintf(out, "}");
        return;
    }
    char nbuf[KEEL_CELL_NAME_MAX];
    const char *name = cell_name(r, nbuf);
    uint32_t version;
    fprintf(out, ",\n    \"cell\": ");
    if (name && cell_version(r, &version)) {
        fprintf(out, "{\"name\": ");
        json_str(out, name);
        fprintf(out, ", \"version\": %u}", version);
    } else {
        fputs("null", out);
    }
    fprintf(out, ",\n    \"libelf_error\": ");
    json_str_or_null(out, viewed(r) ? NULL : r->view.error);
    if (viewed(r)) {
        json_sections(out, r);
        json_symbols(out, &r->view);
        json_relocs(out, &r->view);
        json_state(out, r);
    }
    if (parsed(r)) {
        fprintf(out, ",\n    \"layout\": {");
        for (int i = CELL_REGION_TEXT; i <= CELL_REGION_DATA; i++)
            fprintf(out, "%s\"%s\": %" PRIu64, i == CELL_REGION_TEXT ? "" : ", ", region_name(i),
                    r->img.region_size[i]);
        fputc('}', out);
    }
    fprintf(out, "}");
}
