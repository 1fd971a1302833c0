/* Splitting a command line into words, shell style (freestanding):
 *   - blanks (space, tab) separate words;
 *   - 'single quotes' keep everything up to the next ' literally;
 *   - "double quotes" keep everything up to the next ", where \" and \\ stand for " and \
 *     (any other backslash is kept as is);
 *   - outside quotes, a backslash makes the next character literal (a trailing one is kept);
 *   - quoted and unquoted parts next to each other form one word: a"b c"d is "ab cd";
 *     "" is an empty word. */
#ifndef SHELL_TOKENIZE_H
#define SHELL_TOKENIZE_H
#include <stddef.h>

/* Split line into at most max_args words. The words are written NUL-terminated into out
 * (outsize >= strlen(line) + 1 always suffices) and argv[0..argc-1] point at them; argv[argc]
 * is set to NULL when max_args leaves room. Returns argc, or KE_INVAL (NULL argument, or an
 * unterminated quote), KE_RANGE (more than max_args words), KE_NOSPC (out too small); out and
 * argv are not touched on failure. */
int tokenize(const char *line, char *out, size_t outsize, char **argv, size_t max_args);

#endif
