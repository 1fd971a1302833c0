/* The shell cell's internals: the REPL (shell.c) hands each entered line to the dispatcher
 * (dispatch.c) and each Tab to the completer (tabcomplete.c). */
#ifndef SHELL_SHELL_H
#define SHELL_SHELL_H
#include <stddef.h>
#include <stdint.h>
#include "lineedit.h"

#define SHELL_PROMPT "keel> "

/* Bytes typed ahead (while a command ran, or after a line in the same read), fed to the line
 * editor before the console is read again. */
struct shell_input {
    char buf[256];
    size_t pos, len; /* pending: buf[pos..len) */
    /* The command task being waited for (0: none), kept in the state block so that a shell
     * re-spawned by a live swap of itself goes on waiting for it (shell_resume_command). */
    uint64_t running;
    char running_name[24];
};

/* Queue a typed byte (dropped when the queue is full). */
void shell_input_push(struct shell_input *in, char c);
/* Remove every queued Ctrl-C; returns whether there was one. */
int shell_input_take_interrupt(struct shell_input *in);

/* The command index (the ramfs file "commands.index"): 0, or KE_NOENT. */
int shell_command_index(const char **data, size_t *size);

/* Run one entered line: split it, find the command, run it as a task, report how it ended.
 * Returns KE_KILLED if the shell itself was killed meanwhile (in->running then still names the
 * command, for the next shell task to wait for), else 0. */
int shell_run_line(const char *line, struct shell_input *in);
/* After a live swap of the shell: wait for and report the command the old version was waiting
 * for (in->running), if any. KE_KILLED if the shell was killed meanwhile, else 0. */
int shell_resume_command(struct shell_input *in);

/* Tab pressed: complete the word before the cursor (command names for the first word, cell and
 * file names after it); list the candidates on a second Tab. */
void shell_complete(struct lineedit *le);

/* Terminal output (the console). */
void shell_write(void *ctx, const char *s, size_t n);

#endif
