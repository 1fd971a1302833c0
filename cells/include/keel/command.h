/* Command cells: every shell command is a cell of its own, loaded on demand from the boot image
 * and run as a task with its argument vector in the task's argument block (keel/argv.h).
 *
 * A command cell named cmd_<name> exports one function with the task-entry signature:
 *
 *     int cmd_<name>_main(const void *arg, void *ret);   // arg: packed argv, argv[0] = name
 *
 * and is built with add_command(<name> SOURCES ... SUMMARY "..." USAGE "..."), which also puts
 * the command in the image's command index (the boot module "commands.index": one line per
 * command, "name<TAB>usage<TAB>summary<TAB>object"), used by the shell for help and completion,
 * and gives the cell its own index record (KEEL_COMMAND_RECORD, in a file add_command generates):
 * a command cell pushed into a running system (keelctl push/load) carries what the shell needs
 * to run it by name and to list it, without a new boot image (docs/shell/editing.md).
 *
 * Return 0 for success; a non-zero status makes the shell print "<name>: exit status N".
 * Errors a command reports itself should start with "<name>: " and then show the usage:
 * KEEL_COMMAND_USAGE, the string literal given as add_command's USAGE (its only copy; every
 * source of the cell is compiled with it). */
#ifndef KEEL_COMMAND_H
#define KEEL_COMMAND_H
#include <keel/argv.h>
#include <keel/cell.h>

/* The command's index record: the bytes "name<TAB>usage<TAB>summary" and a NUL, alone in the
 * section KEEL_COMMAND_SECTION of the object (at most KEEL_COMMAND_RECORD_MAX bytes; no control
 * characters besides the two tabs). The shell reads it from the object file in the ramfs with
 * the loader's parser (keel/cells.h cells_object_section). add_command writes the record for
 * you; a command cell built some other way places it with KEEL_COMMAND_RECORD. */
#define KEEL_COMMAND_SECTION    ".keel_command"
#define KEEL_COMMAND_RECORD_MAX 512
#define KEEL_COMMAND_RECORD(name_str, usage_str, summary_str)                                      \
    __attribute__((section(KEEL_COMMAND_SECTION), used)) static const char keel_command_record_[] = \
        name_str "\t" usage_str "\t" summary_str

/* Declare the descriptor of command cell cmd_<name>. */
#define KEEL_COMMAND_CELL(name_str) KEEL_CELL(.name = "cmd_" name_str, .version = KEEL_CELL_VERSION)

#endif
