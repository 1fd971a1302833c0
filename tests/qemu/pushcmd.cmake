# Command cells pushed at run time (tests/qemu/pushcmd_tests.py): the default image without the
# fixtures of cells/commands/hi, the control channel on COM2; keelctl pushes, the shell runs.
keel_qemu_cases(pushcmd_tests.py PREFIX qemu_shell_push_ TIMEOUT 180)
