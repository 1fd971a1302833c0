/* salute: the stateless demo cell of the live-swap guide. Each version words its greeting
 * differently; callers see the new wording on their next call after a swap. */
#ifndef CELLS_DEMO_SALUTE_H
#define CELLS_DEMO_SALUTE_H

/* "<greeting>, <who>!" into buf (at most size bytes, NUL-terminated). */
void salute_text(char *buf, unsigned long size, const char *who);

#endif
