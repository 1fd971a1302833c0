# The debugger (docs/debugging.md): Debian's gdb with tools/gdb/keel.py against Keel halted at
# boot (tests/qemu/debug_tests.py, driven by tests/qemu/gdbdrive.py), and tools/keel debug --batch.
keel_qemu_cases(debug_tests.py PREFIX qemu_debug_ TIMEOUT 180)
