"""Child processes the campaign runner starts (QEMU workers, Slurm daemons) die with it."""
import ctypes
import os
import signal


def die_with_parent(parent):
    """In the child before exec (preexec_fn): SIGKILL when the parent dies, however it dies (a
    CTest timeout, a SIGKILL); exits at once if the parent is already gone."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)
