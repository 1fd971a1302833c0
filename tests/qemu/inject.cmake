# The fault injector from the shell: proof, activation by debug register, seeds, restore and
# refusals (inject_tests.py; docs/fault-injection.md, "Injecting a fault").
keel_qemu_cases(inject_tests.py PREFIX qemu_inject_ TIMEOUT 180 WORKDIR inject)
