/* keel/errno.h: every code has a distinct name and message; unknown codes are handled. */
#include <keel/errno.h>
#include "check.h"

int main(void)
{
    static const int codes[] = {
#define CODE(name, num, msg) KE_##name,
        KEEL_ERRORS(CODE)
#undef CODE
    };
    size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++) {
        CHECK(codes[i] < 0);
        CHECK(strncmp(keel_errname(codes[i]), "KE_", 3) == 0);
        CHECK(strcmp(keel_errname(codes[i]), "KE_?") != 0);
        CHECK(strcmp(keel_strerror(codes[i]), "unknown error") != 0);
        for (size_t j = 0; j < i; j++) {
            CHECK(codes[i] != codes[j]);
            CHECK(strcmp(keel_strerror(codes[i]), keel_strerror(codes[j])) != 0);
        }
    }
    CHECK_EQ_STR(keel_errname(KE_NOMEM), "KE_NOMEM");
    CHECK_EQ_STR(keel_strerror(KE_NOMEM), "out of memory");
    CHECK_EQ_STR(keel_errname(0), "KE_OK");
    CHECK_EQ_STR(keel_strerror(0), "success");
    CHECK_EQ_STR(keel_errname(-9999), "KE_?");
    CHECK_EQ_STR(keel_strerror(12345), "unknown error");
    return check_report("errno_test");
}
