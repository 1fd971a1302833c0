/* `inject ipc ...` (ipc_cmd.c): the IPC faults of the inject command, kept apart from the code
 * faults' parser in inject.c. */
#ifndef CELLS_COMMANDS_INJECT_IPC_CMD_H
#define CELLS_COMMANDS_INJECT_IPC_CMD_H
#include <stdbool.h>

/* argv[1] is "ipc": arm the fault; the command's exit status. */
int inject_ipc_main(int argc, const char **argv);
/* `inject status` with an IPC fault armed: prints it and returns true; false if none is. */
bool inject_ipc_status(void);
/* `inject restore` with an IPC fault armed: disarms and prints it, true and *status; false if
 * none is armed. */
bool inject_ipc_restore_cmd(int *status);

#endif
