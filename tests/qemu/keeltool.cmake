# The host front-end as a new user meets it (tests/qemu/keeltool_tests.py): the image of
# `tools/keel run --cmdline`, and the edit-rebuild-swap loop of docs/control-channel.md, which
# configures and builds a cell in a scratch copy of the source tree (a minute or more).
keel_qemu_cases(keeltool_tests.py PREFIX qemu_keel_ TIMEOUT 180)
