/* cellinfo: inspect and validate cell objects on the host. One struct cell_report per object
 * holds both views of it: libelf's (what is printed) and the loader's own parse (the verdict
 * and the layout), so the messages are exactly the kernel's. */
#ifndef CELLINFO_H
#define CELLINFO_H
#include <stdbool.h>
#include <stdio.h>

#include <keel/loader.h>

#include "elfview.h"

#define CELLINFO_MAX_WARNINGS 4

struct cell_report {
    const char *path;
    char io_error[256]; /* non-empty: the file could not be read; nothing else is valid */
    void *data;         /* the file's bytes (the image points into them) */
    size_t size;
    int view_rc; /* elf_view_read's result */
    struct elf_view view;
    int parse_rc; /* cell_image_parse's result */
    struct loader_error err;
    struct cell_image img;
    char warnings[CELLINFO_MAX_WARNINGS][160];
    int nwarnings;
};

/* Reads and analyses one object; fills r (release with cell_report_free). */
void cell_report_build(const char *path, struct cell_report *r);
void cell_report_free(struct cell_report *r);
/* True if the kernel would refuse the object (or it could not be read at all). */
bool cell_report_refused(const struct cell_report *r);

/* Output. The JSON printer writes one array element; the caller writes the brackets. */
void report_text(FILE *out, const struct cell_report *r);
void report_check(FILE *out, const struct cell_report *r);
void report_json(FILE *out, const struct cell_report *r, bool check_only);

#endif
