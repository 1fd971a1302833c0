/* Error messages: every refusal names the cell (or the object's origin) and the reason. */
#include <stdarg.h>
#include <keel/format.h>
#include "internal.h"

int loader_fail(struct loader_error *err, int code, const char *who, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    int n = ksnprintf(err->msg, sizeof(err->msg), "cell '%.*s': ", 64, who ? who : "?");
    if (n < 0 || (size_t)n >= sizeof(err->msg))
        return code;
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}
