/* The hello cell's exports (a demo: another cell calls these across the cell boundary). */
#ifndef CELLS_HELLO_H
#define CELLS_HELLO_H

void hello_greet(const char *who);
unsigned hello_greetings(void);

#endif
