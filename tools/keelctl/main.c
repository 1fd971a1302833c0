/* keelctl: talk to a running Keel over its control channel (docs/control-channel.md).
 *
 *   keelctl [global options] <command> [arguments and options]
 *
 * Options may come before or after the command; each command accepts its own (see --help). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keel/swap.h>
#include "cmds.h"
#include "common.h"

enum opt_bit {
    O_NAME = 1 << 0,
    O_UNIQUE = 1 << 1,
    O_DRY = 1 << 2,
    O_DEADLINE = 1 << 3,
    O_FAILAT = 1 << 4,
    O_JSON = 1 << 5,
    O_ASIS = 1 << 6,
    O_CLEAR = 1 << 7,
};

struct command {
    const char *name;
    int (*fn)(struct opts *);
    int min_args, max_args;
    unsigned options;
    const char *usage, *help;
};

static const struct command commands[] = {
    {"ping", cmd_ping, 0, 0, 0, "ping",
     "Say HELLO and PING: checks the socket, the key and that the guest answers; prints the\n"
     "round trip time and the guest's uptime.\n"},
    {"push", cmd_push, 1, 1, O_NAME | O_UNIQUE | O_ASIS,
     "push FILE [--name NAME] [--unique] [--as-is]",
     "Store FILE (a cell object, at most 1 MiB) in the guest's ramfs under NAME (default: the\n"
     "file's base name), without its debug info, as the boot image carries cells (unless\n"
     "--as-is). Files in the ramfs are never replaced: if NAME holds the same bytes already,\n"
     "nothing is stored again; if it holds other bytes, the push is refused, unless --unique is\n"
     "given, which stores it as NAME.1, NAME.2, ... (the first free or identical).\n"
     "  --as-is            push the file's bytes unchanged (debug info included)\n"},
    {"load", cmd_load, 1, 1, O_NAME | O_JSON | O_ASIS,
     "load NAME|FILE [--name NAME] [--json] [--as-is]",
     "Link a cell into the running system: NAME is a file in the guest's ramfs; a FILE on this\n"
     "machine (an argument containing '/' or naming an existing file) is pushed first (as with\n"
     "push --unique: without debug info unless --as-is, so an unchanged cell is the boot\n"
     "module's bytes). If the load is refused, a file that push stored anew is removed again\n"
     "(by the guest, as part of the LOAD request): a refused load leaves nothing behind.\n"},
    {"unload", cmd_unload, 1, 1, 0, "unload CELL",
     "Unload a cell (refused while other cells depend on it or tasks run in it).\n"},
    {"swap", cmd_swap, 2, 2 * SWAP_MAX_CELLS, O_DRY | O_DEADLINE | O_FAILAT | O_JSON | O_ASIS,
     "swap CELL FILE|NAME [CELL FILE|NAME ...] [-n] [--deadline-ms N] [--fail-at STEP] [--json] "
     "[--as-is]",
     "Replace running cells by new versions, as one transaction (up to 8 cells). Each new version\n"
     "is a FILE on this machine (pushed first, as with push --unique: without debug info unless\n"
     "--as-is) or a NAME in the ramfs.\n"
     "If the swap is refused, the files its pushes stored anew are removed again.\n"
     "Prints, per cell, the old and new version and the state carried, then the time of each\n"
     "step (link, check, quiesce, transfer, rewrite, commit, retire), the total and the\n"
     "stop-the-world window, the quiescence attempts and the sites rewritten.\n"
     "  -n, --dry-run      link and check only; print the plan; change nothing\n"
     "  --deadline-ms N    give up quiescing after N ms (default: the guest's, 5000 ms)\n"
     "  --fail-at STEP     test hook: fail the swap at STEP (link, check, quiesce, transfer,\n"
     "                     rewrite, commit, retire); the system must stay in the old state\n"
     "  --json             one JSON object instead of text\n"},
    {"query", cmd_query, 1, 2, O_JSON, "query cells|tasks|cell NAME|swap [--json]",
     "cells: every loaded cell with version, code address, sizes, state, dependents and pins.\n"
     "tasks: every task with state, priority, cell, CPU time.\n"
     "cell NAME: one cell and every relocation site in other cells that refers to it.\n"
     "swap: the swap pending now, if any, and how far it is (the shell's swap --status), and\n"
     "      the calls held at a gate since boot.\n"},
    {"faults", cmd_faults, 0, 0, O_CLEAR | O_JSON, "faults [--clear] [--json]",
     "The guest's fault log, oldest first: each fault and each recovery step, with the task, the\n"
     "kind (exception vector), where it faulted (symbol+offset), CR2, the cell it is charged to,\n"
     "the step taken, its outcome and how long it took; the same table as the shell's faults\n"
     "(times in microseconds). A last line says how many older records the log dropped.\n"
     "  --clear            empty the log after reading it\n"
     "  --json             one JSON object (times in nanoseconds) instead of text\n"},
    {"inject", cmd_inject, 1, 64, O_JSON,
     "inject <model> <cell> [inject's options] | inject alloc <cell> [...] | inject ipc <kind> "
     "<cell|any> [...] | inject status | inject restore  [--json]",
     "The guest's fault injector, in the words of the shell's inject command (the guest parses\n"
     "them with the same parser): inject one fault into a loaded cell, fail a cell's nth\n"
     "allocation, hit a channel message, show the fault in place (whether armed, applied,\n"
     "activated: when and by which task), or restore it. One fault at a time.\n"
     "  models    bitflip, word, nop, branch, exception, loop\n"
     "  options   --region text|rodata|data|heap|stack, --task id|name (stack),\n"
     "            --at sym[+off] | --offset N, --seed N,\n"
     "            --value random|zero|ones, --after-calls N --of fn | --after-us N\n"
     "  alloc     inject alloc <cell> [--nth N] [--seed N]\n"
     "  ipc       inject ipc <drop|dup|corrupt|delay|badptr|pagefault> <cell|any>\n"
     "            [--side send|recv] [--nth N] [--seed N] [--delay-us N]\n"
     "  --json    one JSON object (times in nanoseconds) instead of text\n"
     "Global options (--socket, --key, --timeout, -v) go before 'inject'. A refused spec\n"
     "changes nothing. See docs/fault-injection.md.\n"},
    {"rm", cmd_rm, 1, 32, 0, "rm NAME...",
     "Remove files from the guest's ramfs, all or none (at most 32). Refused, changing nothing,\n"
     "for a name that is not there and for a file that a loaded or retired cell version was\n"
     "linked from (unload or swap it out first). A boot module loses only its name: its bytes\n"
     "belong to the boot image. A removed file's memory is freed once no reader in the guest\n"
     "holds it.\n"},
    {"batch", cmd_batch, 0, 0, 0, "batch",
     "Run keelctl commands read from standard input over one connection, one per line (words\n"
     "separated by spaces, no quoting; empty lines and lines starting with '#' are skipped).\n"
     "After each command a line '== STATUS' gives its exit status. Global options (--socket,\n"
     "--key, --timeout, -v) go before 'batch' and hold for every line; batch and badframe\n"
     "cannot be run from a batch. Exit status: 0 if every command succeeded, else the highest\n"
     "status seen; a lost conversation (3) ends the batch at once.\n"},
    {"badframe", cmd_badframe, 1, 1, 0,
     "badframe truncated|bad-crc|bad-length|bad-mac|unauth|replay|reorder|stale-nonce|oversize|"
     "version",
     "For tests: send one deliberately broken frame (after a good one, for replay and reorder)\n"
     "and print the guest's error reply. Exits 1 when the guest refused it, as it should.\n"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: keelctl [--socket PATH] [--key FILE] [--timeout SEC] [-v] <command> ...\n\n"
               "Talks to a running Keel over its control channel (COM2, authenticated frames).\n\n"
               "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f,
            "  help [COMMAND]\n\n"
            "global options:\n"
            "  --socket PATH   the control socket (default: $KEEL_CTL_SOCKET, else %s/ctl.sock)\n"
            "  --key FILE      the build's key (default: $KEEL_CTL_KEY, else %s/ctl.key)\n"
            "  --timeout SEC   wait this long for a reply (default 10; large pushes get more)\n"
            "  -v, --verbose   say what happens on the line\n\n"
            "exit status: 0 done, 1 refused (by the guest or a local check), 2 usage, 3 no\n"
            "conversation (socket, key, timeout, a reply that does not verify).\n"
            "Details: docs/control-channel.md; `keelctl COMMAND --help` for one command.\n",
            keelctl_build_dir(), keelctl_build_dir());
}

static void command_help(FILE *f, const struct command *c)
{
    fprintf(f, "usage: keelctl %s\n\n%s", c->usage, c->help);
}

/* "--opt=value" or "--opt value": the value, advancing *i; NULL if missing. */
static const char *value(int argc, char **argv, int *i, const char *arg, const char *opt)
{
    size_t n = strlen(opt);
    if (arg[n] == '=')
        return arg + n + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static bool is_opt(const char *arg, const char *opt)
{
    size_t n = strlen(opt);
    return strncmp(arg, opt, n) == 0 && (arg[n] == 0 || arg[n] == '=');
}

static bool parse_number(const char *s, long long max, long long *out)
{
    char *end;
    if (!s || !*s)
        return false;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

int keelctl_run(int argc, char **argv, const struct opts *defaults, bool in_batch)
{
    struct opts o = *defaults;
    const struct command *cmd = NULL;
    bool help = false, saw_help_cmd = false;
    unsigned given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        long long num;
        /* inject's words are the guest's spec language: passed as they are (but --json, -h). */
        if (cmd && cmd->fn == cmd_inject && strcmp(a, "--json") && strcmp(a, "-h") &&
            strcmp(a, "--help")) {
            if (o.npos >= (int)(sizeof(o.pos) / sizeof(o.pos[0]))) {
                fprintf(stderr, "keelctl: too many arguments\n");
                return EXIT_USAGE;
            }
            o.pos[o.npos++] = a;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            help = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            o.verbose = true;
        } else if (is_opt(a, "--socket")) {
            if (!(o.socket = value(argc, argv, &i, a, "--socket")))
                goto missing;
        } else if (is_opt(a, "--key")) {
            if (!(o.key = value(argc, argv, &i, a, "--key")))
                goto missing;
        } else if (is_opt(a, "--timeout")) {
            if (!parse_number(value(argc, argv, &i, a, "--timeout"), 3600, &num) || num == 0) {
                fprintf(stderr, "keelctl: --timeout wants seconds (1..3600)\n");
                return EXIT_USAGE;
            }
            o.timeout_ms = (int)num * 1000;
        } else if (is_opt(a, "--name")) {
            given |= O_NAME;
            if (!(o.name = value(argc, argv, &i, a, "--name")))
                goto missing;
        } else if (strcmp(a, "--unique") == 0) {
            given |= O_UNIQUE;
            o.unique = true;
        } else if (strcmp(a, "--as-is") == 0) {
            given |= O_ASIS;
            o.as_is = true;
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--dry-run") == 0) {
            given |= O_DRY;
            o.dry_run = true;
        } else if (strcmp(a, "--clear") == 0) {
            given |= O_CLEAR;
            o.clear = true;
        } else if (strcmp(a, "--json") == 0) {
            given |= O_JSON;
            o.json = true;
        } else if (is_opt(a, "--deadline-ms")) {
            given |= O_DEADLINE;
            if (!parse_number(value(argc, argv, &i, a, "--deadline-ms"), 600000, &num)) {
                fprintf(stderr, "keelctl: --deadline-ms wants milliseconds (0..600000)\n");
                return EXIT_USAGE;
            }
            o.deadline_ms = num;
        } else if (is_opt(a, "--fail-at")) {
            given |= O_FAILAT;
            v = value(argc, argv, &i, a, "--fail-at");
            if (!v || (o.fail_at = swap_step_by_name(v)) == SWAP_STEP_NONE) {
                fprintf(stderr, "keelctl: --fail-at wants a step: %s\n", swap_step_list());
                return EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "keelctl: unknown option '%s' (see keelctl --help)\n", a);
            return EXIT_USAGE;
        } else if (!cmd && !saw_help_cmd) {
            if (strcmp(a, "help") == 0) {
                saw_help_cmd = true;
                help = true;
                continue;
            }
            for (size_t k = 0; k < NCOMMANDS; k++)
                if (strcmp(commands[k].name, a) == 0)
                    cmd = &commands[k];
            if (!cmd) {
                fprintf(stderr, "keelctl: unknown command '%s'\n", a);
                usage(stderr);
                return EXIT_USAGE;
            }
        } else if (saw_help_cmd && !cmd) {
            for (size_t k = 0; k < NCOMMANDS; k++)
                if (strcmp(commands[k].name, a) == 0)
                    cmd = &commands[k];
            if (!cmd) {
                fprintf(stderr, "keelctl: no command '%s'\n", a);
                return EXIT_USAGE;
            }
        } else {
            if (o.npos >= (int)(sizeof(o.pos) / sizeof(o.pos[0]))) {
                fprintf(stderr, "keelctl: too many arguments\n");
                return EXIT_USAGE;
            }
            o.pos[o.npos++] = a;
        }
        continue;
    missing:
        fprintf(stderr, "keelctl: %s needs a value\n", a);
        return EXIT_USAGE;
    }
    if (help) {
        if (cmd)
            command_help(stdout, cmd);
        else
            usage(stdout);
        return EXIT_OK;
    }
    if (!cmd) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (in_batch && (cmd->fn == cmd_batch || cmd->fn == cmd_badframe)) {
        fprintf(stderr, "keelctl: %s cannot be run from a batch\n", cmd->name);
        return EXIT_USAGE;
    }
    if (given & ~cmd->options) {
        fprintf(stderr, "keelctl: an option given does not apply to %s\nusage: keelctl %s\n",
                cmd->name, cmd->usage);
        return EXIT_USAGE;
    }
    if (o.npos < cmd->min_args || o.npos > cmd->max_args) {
        fprintf(stderr, "keelctl: %s: %s\nusage: keelctl %s\n", cmd->name,
                o.npos < cmd->min_args ? "missing arguments" : "too many arguments", cmd->usage);
        return EXIT_USAGE;
    }
    set_strip(!o.as_is);
    return cmd->fn(&o);
}

int main(int argc, char **argv)
{
    /* What goes to stdout stays in order with the messages on stderr, also through a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct opts defaults = {.timeout_ms = 10000, .deadline_ms = -1};
    return keelctl_run(argc, argv, &defaults, false);
}
