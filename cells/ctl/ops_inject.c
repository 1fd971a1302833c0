/* INJECT: the fault injector for the host. The request carries the words of the shell's inject
 * command (after "inject"), parsed by the same parser (commands/inject/injargs.h): `keelctl
 * inject ARGS` and the shell's `inject ARGS` take one language. A spec the parser or the
 * injector refuses gets an error reply with its message, and nothing has changed. */
#include <keel/errno.h>
#include <keel/inject.h>
#include "commands/inject/injargs.h"
#include "ctl/inject_wire.h"
#include "ctl/ops_internal.h"

int ctl_op_inject(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    static char words[CTL_INJECT_WORDS][CTL_INJECT_WORD]; /* the channel serves one request */
    const char *argv[CTL_INJECT_WORDS + 2] = {"inject"};
    uint8_t n = ctl_rd_u8(rd);
    if (n > CTL_INJECT_WORDS)
        return ctl_malformed(msg, msg_size, "INJECT");
    for (unsigned i = 0; i < n; i++) {
        ctl_rd_str(rd, words[i], sizeof(words[i]));
        argv[i + 1] = words[i];
    }
    if (!ctl_rd_done(rd))
        return ctl_malformed(msg, msg_size, "INJECT");
    argv[n + 1] = NULL;
    struct injargs a;
    if (injargs_parse(n + 1, argv, &a, msg, msg_size))
        return KE_INVAL;
    struct inject_record r;
    struct loader_error err;
    int rc = 0;
    switch (a.action) {
    case INJARGS_STATUS:
        inject_last(&r);
        break;
    case INJARGS_RESTORE:
        rc = inject_restore(&r, &err);
        break;
    case INJARGS_FAULT:
        rc = inject_fault(&a.spec, &r, &err);
        break;
    }
    if (rc)
        FAIL(rc, "%s", err.msg);
    ctl_wr_u8(body, (uint8_t)a.action);
    ctl_wr_u8(body, r.valid || a.action == INJARGS_RESTORE);
    if (r.valid || a.action == INJARGS_RESTORE)
        ctl_wr_inject(body, &r);
    if (body->overflow)
        FAIL(KE_RANGE, "the answer does not fit in one reply");
    return 0;
}
