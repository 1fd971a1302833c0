# The control channel (cells/ctl, tools/keelctl; docs/control-channel.md): the default image with
# COM2 on a unix socket, driven by keelctl while the shell runs on COM1. The cli case needs no
# guest (keelctl's command line only).
keel_qemu_cases(ctl_tests.py PREFIX qemu_ctl_ TIMEOUT 180)

# The ramfs under the control channel and the shell: refused loads and swaps leave nothing
# behind (1,000 malformed objects), rm, the byte quota (tests/qemu/ramfs_tests.py).
keel_qemu_cases(ramfs_tests.py PREFIX qemu_ramfs_ TIMEOUT 180 WORKDIR ramfs)
