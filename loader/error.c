/* Error messages: every refusal names the cell (or the object's origin) and the reason. */
#include <stdarg.h>
#include <keel/format.h>
#include "internal.h"

static int vfail(struct loader_error *err, int code, size_t at, const char *fmt, va_list ap)
{
    err->code = code;
    if (at < sizeof(err->msg))
        kvsnprintf(err->msg + at, sizeof(err->msg) - at, fmt, ap);
    return code;
}

int loader_fail(struct loader_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vfail(err, code, 0, fmt, ap);
    va_end(ap);
    return code;
}

int loader_cell_fail(struct loader_error *err, int code, const char *who, const char *fmt, ...)
{
    if (!err)
        return code;
    int n = ksnprintf(err->msg, sizeof(err->msg), "cell '%.*s': ", 64, who ? who : "?");
    va_list ap;
    va_start(ap, fmt);
    vfail(err, code, n < 0 ? sizeof(err->msg) : (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}
