/* INJECT: the fault injector for the host. The request carries the words of the shell's inject
 * command (after "inject"), parsed by the same parser (commands/inject/injargs.h) and carried out
 * the same way (injdo.h): `keelctl inject ARGS` and the shell's `inject ARGS` take one language —
 * code faults, `alloc`, `ipc`, `status`, `restore`. A line the parser or the injector refuses gets
 * an error reply with its message, and nothing has changed. */
#include <keel/errno.h>
#include "commands/inject/injdo.h"
#include "ctl/inject_wire.h"
#include "ctl/ops_internal.h"

int ctl_op_inject(struct ctl_rd *rd, struct ctl_wr *body, char *msg, size_t msg_size)
{
    static char words[CTL_INJECT_WORDS][CTL_INJECT_WORD]; /* the channel serves one request */
    static struct injargs a;
    static struct injresult r;
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
    if (injargs_parse(n + 1, argv, &a, msg, msg_size))
        return KE_INVAL;
    struct loader_error err;
    int rc = injdo(&a, &r, &err);
    if (rc)
        FAIL(rc, "%s", err.msg);
    ctl_wr_injresult(body, &r);
    if (body->overflow)
        FAIL(KE_RANGE, "the answer does not fit in one reply");
    return 0;
}
