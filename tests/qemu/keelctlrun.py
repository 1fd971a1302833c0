"""tools/keelctl run against a KeelVM started with ctl_socket=True (the control channel on COM2,
docs/control-channel.md). For tests that drive the guest from the host, and for tests that must
look at the guest while its shell is busy with a command: tasks() is the task list, as ps shows
it, fetched over the second serial port.

    with KeelShell(build, ctl_socket=True) as sh:
        ctl = KeelCtl(build, sh.vm)
        out = ctl("ping")
        sh.vm.wait_until(lambda: any(t["name"] == "swap" and t["state"] == "sleeping"
                                     for t in ctl.tasks()), what="the swap task to wait")
"""
import json
import os
import subprocess

from keelvm import GuestError


class KeelCtl:
    def __init__(self, build, vm, reply_timeout=30):
        self.exe = os.path.join(build, "tools", "keelctl", "keelctl")
        self.build = build
        self.vm = vm
        # keelctl's own wait for a reply (its default is 10 s): a loaded host may slow the guest.
        self.reply_timeout = reply_timeout

    def __call__(self, *args, want=0, timeout=120, stdin=None):
        """keelctl ARGS; its output (stdout and stderr). Fails unless it exits with `want`
        (None: any status). `timeout` bounds the whole run; stdin: text for its input."""
        cmd = [self.exe, "--socket", self.vm.ctl_socket]
        if "--timeout" not in args:
            cmd += ["--timeout", str(self.reply_timeout)]
        cmd += list(args)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=stdin)
        except subprocess.TimeoutExpired as e:
            raise GuestError(f"keelctl {' '.join(args)}: still running after {timeout}s"
                             f"\n--- output ---\n{e.stdout or ''}{e.stderr or ''}"
                             f"\n--- guest (tail) ---\n{self.vm.tail(20)}") from None
        out = p.stdout + p.stderr
        if want is not None and p.returncode != want:
            raise AssertionError(f"keelctl {' '.join(args)}: exit {p.returncode}, want {want}"
                                 f"\n--- output ---\n{out}\n--- guest (tail) ---\n"
                                 f"{self.vm.tail(20)}")
        return out

    def tasks(self):
        """The guest's tasks: [{"id", "name", "state", "priority", "cell", ...}]."""
        return json.loads(self("query", "tasks", "--json"))["tasks"]
