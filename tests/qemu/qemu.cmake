# qemu tests
