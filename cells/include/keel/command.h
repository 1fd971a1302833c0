/* Command cells: every shell command is a cell of its own, loaded on demand from the boot image
 * and run as a task with its argument vector in the task's argument block (keel/argv.h).
 *
 * A command cell named cmd_<name> exports one function with the task-entry signature:
 *
 *     int cmd_<name>_main(const void *arg, void *ret);   // arg: packed argv, argv[0] = name
 *
 * and is built with add_command(<name> SOURCES ... SUMMARY "..." USAGE "..."), which also puts
 * the command in the image's command index (the boot module "commands.index": one line per
 * command, "name<TAB>usage<TAB>summary"), used by the shell for help and completion.
 *
 * Return 0 for success; a non-zero status makes the shell print "<name>: exit status N".
 * Errors a command reports itself should start with "<name>: " and then show the usage. */
#ifndef KEEL_COMMAND_H
#define KEEL_COMMAND_H
#include <keel/argv.h>
#include <keel/cell.h>

/* Declare the descriptor of command cell cmd_<name>. */
#define KEEL_COMMAND_CELL(name_str) KEEL_CELL(.name = "cmd_" name_str, .version = KEEL_CELL_VERSION)

#endif
