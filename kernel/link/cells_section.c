/* keel/cells.h cells_object_section: one named section of a cell object, found with the
 * loader's own parser (nothing is linked), so that a cell can read data another cell's object
 * carries for it (the shell: a command cell's index record) without an ELF parser of its own. */
#include <keel/cells.h>
#include <keel/errno.h>
#include <keel/export.h>
#include <keel/format.h>
#include <keel/string.h>
#include "link/cells.h"

#define SHT_NOBITS 8 /* loader/elf64.h: a section without bytes in the file */

int cells_object_section(const void *data, size_t size, const char *origin, const char *section,
                         struct cells_section *out, struct loader_error *err)
{
    if (!data || !section || !out || !err)
        return KE_INVAL;
    struct cell_image img;
    int r = cell_image_parse(&kernel_loader_platform, data, size, origin, &img, err);
    if (r) {
        cell_image_free(&kernel_loader_platform, &img);
        return r;
    }
    r = KE_NOENT;
    for (size_t i = 0; i < img.nsections; i++) {
        const struct cell_section *s = &img.sections[i];
        if (!s->name || strcmp(s->name, section) != 0 || s->type == SHT_NOBITS)
            continue;
        memcpy(out->cell, img.name, sizeof(out->cell));
        out->version = img.version;
        out->data = (const uint8_t *)data + s->offset; /* the parser checked it lies inside */
        out->size = (size_t)s->size;
        r = 0;
        break;
    }
    if (r) {
        err->code = r;
        ksnprintf(err->msg, sizeof(err->msg), "cell '%s': no section '%.40s'", img.name, section);
    }
    cell_image_free(&kernel_loader_platform, &img);
    return r;
}

KEEL_EXPORT_FUNC(cells_object_section);
