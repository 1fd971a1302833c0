# The shell's bt command: any task's backtrace with cell, function and offset per frame.
keel_qemu_cases(bt_tests.py PREFIX qemu_bt_ TIMEOUT 120)
