/* Reading one object and running both parsers over it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellinfo.h"

#define CELLINFO_MAX_FILE (1u << 30)

/* The loader asks its platform only for metadata memory while parsing. The memory is poisoned
 * (not zeroed) like a kernel heap block may be, so a parse that relies on zeroing shows up. */
static void *host_alloc(void *ctx, size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p)
        memset(p, 0xa5, size);
    return p;
}

static void host_free(void *ctx, void *p)
{
    free(p);
}

static const struct loader_platform host_platform = {
    .alloc = host_alloc,
    .free = host_free,
};

static void warn(struct cell_report *r, const char *fmt, ...)
{
    if (r->nwarnings >= CELLINFO_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->warnings[r->nwarnings++], sizeof(r->warnings[0]), fmt, ap);
    va_end(ap);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Reads the whole file; NULL with r->io_error set on failure. */
static void *read_file(const char *path, size_t *size, struct cell_report *r)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(r->io_error, sizeof(r->io_error), "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    void *buf = NULL;
    if (fstat(fd, &st) != 0) {
        snprintf(r->io_error, sizeof(r->io_error), "%s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(r->io_error, sizeof(r->io_error), "not a regular file");
    } else if ((unsigned long long)st.st_size > CELLINFO_MAX_FILE) {
        snprintf(r->io_error, sizeof(r->io_error), "too large (%lld bytes)", (long long)st.st_size);
    } else if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
        snprintf(r->io_error, sizeof(r->io_error), "out of memory");
    } else {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(fd, (char *)buf + got, (size_t)st.st_size - got);
            if (n <= 0) {
                snprintf(r->io_error, sizeof(r->io_error), "%s",
                         n < 0 ? strerror(errno) : "file shrank while reading");
                free(buf);
                buf = NULL;
                break;
            }
            got += (size_t)n;
        }
        *size = got;
    }
    close(fd);
    return buf;
}

/* A built cell is named <name>@<version>.o (add_cell); a descriptor that disagrees is almost
 * certainly a mistake (e.g. .version not set from KEEL_CELL_VERSION). */
static void check_file_name(struct cell_report *r)
{
    const char *base = base_name(r->path);
    const char *at = strrchr(base, '@');
    size_t len = strlen(base);
    if (!at || len < 3 || strcmp(base + len - 2, ".o") != 0)
        return;
    char *end;
    unsigned long version = strtoul(at + 1, &end, 10);
    if (end != base + len - 2 || end == at + 1)
        return;
    size_t name_len = (size_t)(at - base);
    if (strlen(r->img.name) != name_len || strncmp(r->img.name, base, name_len) != 0)
        warn(r, "file name says cell '%.*s' but the descriptor says '%s'", (int)name_len, base,
             r->img.name);
    if (version != r->img.version)
        warn(r, "file name says version %lu but the descriptor says %u", version, r->img.version);
}

void cell_report_build(const char *path, struct cell_report *r)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    size_t size = 0;
    void *data = read_file(path, &size, r);
    if (!data)
        return;
    r->view_rc = elf_view_read(data, size, &r->view);
    /* The kernel names an object by its module name until the descriptor is read. */
    r->parse_rc = cell_image_parse(&host_platform, data, size, base_name(path), &r->img, &r->err);
    if (r->parse_rc == 0) {
        check_file_name(r);
        if (r->view_rc != 0)
            warn(r, "the loader accepts this object but %s", r->view.error);
    }
    /* The image's names point into data, which is kept until cell_report_free. */
    r->data = data;
    r->size = size;
}

void cell_report_free(struct cell_report *r)
{
    if (r->data)
        cell_image_free(&host_platform, &r->img);
    free(r->data);
    elf_view_free(&r->view);
}

bool cell_report_refused(const struct cell_report *r)
{
    return r->io_error[0] != '\0' || r->parse_rc != 0;
}
