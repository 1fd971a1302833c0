# Claims of docs/live-swap.md checked end to end (tests/qemu/swapclaims_tests.py): a console sink
# re-pointed, a service task re-spawned, the shell's typed-ahead input carried, a task between
# restarts re-pointed, W^X on a swapped version (fixtures vgacon, ps2kbd, shell, phoenix, wxprobe).
keel_qemu_cases(swapclaims_tests.py PREFIX qemu_swapclaims_ TIMEOUT 120)
