# Claims of the docs checked in the guest: the control channel's replay protection across
# connections, boots and a swap of ctl (ctlsession_tests.py); allocation failures injected with
# failslab into a push and a swap over the control channel (failslab_tests.py).
keel_qemu_cases(ctlsession_tests.py PREFIX qemu_ctlsession_ TIMEOUT 180 WORKDIR ctlsession)
keel_qemu_cases(failslab_tests.py PREFIX qemu_failslab_ TIMEOUT 300 WORKDIR failslab)
