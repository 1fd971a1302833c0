#include <keel/errno.h>

const char *keel_errname(int err)
{
    switch (err) {
    case 0:
        return "KE_OK";
#define KEEL_ERR_NAME(name, num, msg)                                                              \
    case -(num):                                                                                   \
        return "KE_" #name;
        KEEL_ERRORS(KEEL_ERR_NAME)
#undef KEEL_ERR_NAME
    default:
        return "KE_?";
    }
}

const char *keel_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define KEEL_ERR_MSG(name, num, msg)                                                               \
    case -(num):                                                                                   \
        return msg;
        KEEL_ERRORS(KEEL_ERR_MSG)
#undef KEEL_ERR_MSG
    default:
        return "unknown error";
    }
}
