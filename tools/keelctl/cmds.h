/* keelctl's subcommands (cmds.c) and the options they share (main.c parses them). */
#ifndef KEELCTL_CMDS_H
#define KEELCTL_CMDS_H
#include <stdbool.h>
#include <stdint.h>
#include "conn.h"

struct opts {
    const char *socket, *key;
    int timeout_ms;
    bool verbose, json, dry_run, unique, as_is, clear;
    const char *name;
    long long deadline_ms; /* -1: the guest's default */
    int fail_at;           /* 0: none */
    const char *pos[64];   /* positional arguments after the command */
    int npos;
};

int cmd_ping(struct opts *o);
int cmd_push(struct opts *o);
int cmd_load(struct opts *o);
int cmd_unload(struct opts *o);
int cmd_swap(struct opts *o);
int cmd_query(struct opts *o);
int cmd_badframe(struct opts *o);
int cmd_rm(struct opts *o);
int cmd_faults(struct opts *o);
int cmd_inject(struct opts *o);
int cmd_batch(struct opts *o);

/* Parse a command line (argv[0] is skipped) on top of defaults and run it: keelctl's exit
 * status. in_batch: a line of `keelctl batch`, where batch and badframe are refused. */
int keelctl_run(int argc, char **argv, const struct opts *defaults, bool in_batch);

/* The step names, for messages: "link, check, ...". */
const char *swap_step_list(void);

#endif
