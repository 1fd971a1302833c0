/* keelctl batch: commands from standard input over one connection, for scripts and tests that
 * send many requests (a new connection costs a HELLO exchange and a process). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

#define LINE_MAX_LEN 8192
#define WORDS_MAX    64

int cmd_batch(struct opts *o)
{
    struct conn c;
    int r = connect_guest(o, &c);
    if (r)
        return r;
    share_connection(&c);
    /* Line by line, so that what a command prints stays next to its status line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct opts base = *o;
    base.npos = 0;
    int worst = EXIT_OK;
    char line[LINE_MAX_LEN];
    while (worst != EXIT_COMM && fgets(line, sizeof(line), stdin)) {
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            fail("batch: a line is longer than %d bytes", LINE_MAX_LEN - 2);
            worst = EXIT_USAGE;
            break;
        }
        char *words[WORDS_MAX + 1] = {"keelctl"};
        int n = 1;
        for (char *w = strtok(line, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
            if (n == 1 && w[0] == '#')
                break;
            if (n > WORDS_MAX) {
                n = -1;
                break;
            }
            words[n++] = w;
        }
        if (n == 1)
            continue;
        int status = EXIT_USAGE;
        if (n < 0)
            fail("batch: more than %d words on a line", WORDS_MAX);
        else
            status = keelctl_run(n, words, &base, true);
        printf("== %d\n", status);
        if (status > worst)
            worst = status;
    }
    share_connection(NULL);
    conn_close(&c);
    return worst;
}
