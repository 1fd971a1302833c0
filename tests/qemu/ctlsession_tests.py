#!/usr/bin/env python3
"""QEMU system tests of the control channel's replay protection across connections, boots and
a swap of ctl itself (docs/control-channel.md, "Authentication and replay protection"): the
bytes keelctl sent are recorded by a proxy on the unix socket (tests/qemu/ctlwire.py) and sent
again on a later connection.

    ctlsession_tests.py --build DIR [--workdir DIR] CASE...
    ctlsession_tests.py --list
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlwire  # noqa: E402
from checks import check, has  # noqa: E402
from ctl_tests import Ctl, shell  # noqa: E402
from keelvm import run_cases  # noqa: E402


def recorded(rec):
    """The requests a recorder saw, HELLOs left out: (frames, their bytes joined)."""
    reqs = [f for f in ctlwire.frames(rec.sent) if f["type"] != ctlwire.T_HELLO]
    return reqs, b"".join(f["bytes"] for f in reqs)


def replay(sock, data, count):
    """A new connection: HELLO, then data as it is; the replies to the count requests in it."""
    with ctlwire.Line(sock) as line:
        line.hello()
        line.send(data)
        fs = line.wait(lambda fs: sum(f["type"] not in (ctlwire.T_HELLO | ctlwire.REPLY_BIT,)
                                      for f in fs) >= count, f"{count} replies")
        return [f for f in fs if f["type"] != ctlwire.T_HELLO | ctlwire.REPLY_BIT]


def check_refused(replies, code, what):
    for f in replies:
        st, msg = ctlwire.status(f)
        check(st == code, f"{what}: a replayed request (seq {f['seq']}) got status {st}, want "
              f"{code}", msg)


def case_replay_new_connection(build, workdir):
    """A frame keelctl sent on one connection, sent again after a new HELLO on a later
    connection, is refused with CTL_E_REPLAY: sequence numbers rise across connections."""
    with shell(build, workdir) as sh:
        ctl = Ctl(build, sh)
        rec = ctlwire.Recorder(sh.vm.ctl_socket, os.path.join(workdir, "rec.sock"))
        try:
            ctl.vm.ctl_socket, real = rec.path, sh.vm.ctl_socket
            has(ctl("ping"), r"^pong from keel ctl@1")
            has(ctl("push", os.path.join(build, "cells", "hello@1.o"), "--name", "replayed.o"),
                r"^pushed .* as replayed\.o ")
        finally:
            ctl.vm.ctl_socket = real
            rec.close()
        reqs, data = recorded(rec)
        check(len(reqs) == 2, f"recorded {len(reqs)} requests, want 2 (PING, PUSH)")
        has(sh.run("rm replayed.o"), r"removed replayed\.o")
        check_refused(replay(real, data, 2), ctlwire.E_REPLAY, "new connection")
        with ctlwire.Line(real) as line:
            _, next_seq = line.hello()
        check(next_seq > max(f["seq"] for f in reqs), f"HELLO says next sequence {next_seq}, "
              f"not above the recorded {[f['seq'] for f in reqs]}")
        check("replayed.o" not in sh.run("ls"), "the replayed PUSH stored its file again",
              sh.run("ls"))
        ctl.alive()


def case_boot_nonce(build, workdir):
    """Every boot has its own nonce: two boots of the same image answer HELLO with different
    nonces (one boot: the same one on every connection), and a frame of the first boot is
    refused by the second with CTL_E_NONCE."""
    nonces = []
    data = None
    for boot in range(2):
        with shell(build, os.path.join(workdir, f"boot{boot}")) as sh:
            with ctlwire.Line(sh.vm.ctl_socket) as line:
                nonce, _ = line.hello()
            with ctlwire.Line(sh.vm.ctl_socket) as line:
                again, _ = line.hello()
            check(again == nonce, "one boot gave two nonces", f"{nonce.hex()} {again.hex()}")
            nonces.append(nonce)
            if data is None:
                ctl = Ctl(build, sh)
                rec = ctlwire.Recorder(sh.vm.ctl_socket, os.path.join(workdir, "rec.sock"))
                real = sh.vm.ctl_socket
                try:
                    sh.vm.ctl_socket = rec.path
                    has(ctl("ping"), r"^pong from keel ctl@1")
                finally:
                    sh.vm.ctl_socket = real
                    rec.close()
                _, data = recorded(rec)
            else:
                check_refused(replay(sh.vm.ctl_socket, data, 1), ctlwire.E_NONCE, "second boot")
                Ctl(build, sh).alive()
    check(nonces[0] != nonces[1], "two boots of the same image have the same nonce",
          nonces[0].hex())


def case_swap_ctl(build, workdir):
    """swap ctl 2 from the shell while one keelctl (batch) keeps its session: its requests go on
    working with the sequence numbers going on, and a request from before the swap, sent again,
    is refused: the session (nonce and last number) is ctl's carried state block."""
    with shell(build, workdir) as sh:
        rec = ctlwire.Recorder(sh.vm.ctl_socket, os.path.join(workdir, "rec.sock"))
        exe = os.path.join(build, "tools", "keelctl", "keelctl")
        p = subprocess.Popen([exe, "--socket", rec.path, "--timeout", "30", "batch"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, bufsize=1)
        try:
            def command(line):
                p.stdin.write(line + "\n")
                p.stdin.flush()
                out = ""
                while True:
                    text = p.stdout.readline()
                    check(text, f"keelctl batch ended during '{line}'", out)
                    out += text
                    if text.startswith("== "):
                        return out

            has(command("ping"), r"^pong from keel ctl@1")
            has(command("ping"), r"^== 0$")
            before, before_data = recorded(rec)
            out = sh.run("swap ctl 2", timeout=60)
            has(out, r"^swapped ctl: version 1 -> 2, state verbatim")
            # Before any new request: the pre-swap requests again, on the same connection.
            rec.inject(before_data)
            old = {f["seq"] for f in before}
            fs = rec.wait_got(lambda fs: old <= {f["seq"] for f in fs[len(before) + 1:]},
                              "replies to the replayed requests")
            check_refused([f for f in fs[len(before) + 1:] if f["seq"] in old], ctlwire.E_REPLAY,
                          "right after the swap")
            has(command("ping"), r"^pong from keel ctl@\d: round trip")
            out = command("query cells")
            has(out, r"^ctl\s+2\s")
            has(out, r"^== 0$")
            p.stdin.close()
            check(p.wait(timeout=60) == 0, f"keelctl batch: exit {p.returncode}")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            rec.close()
        hellos = [f for f in ctlwire.frames(rec.sent) if f["type"] == ctlwire.T_HELLO]
        check(len(hellos) == 1, f"{len(hellos)} HELLOs: not one session")
        reqs, _ = recorded(rec)
        seqs = [f["seq"] for f in reqs]
        check(seqs == list(range(seqs[0], seqs[0] + 4)), "one session: sequence numbers go on "
              "through the swap", seqs)
        check(len({f["nonce"] for f in reqs}) == 1, "one nonce through the swap")
        check_refused(replay(sh.vm.ctl_socket, before_data, len(before)), ctlwire.E_REPLAY,
                      "after the swap")
        has(Ctl(build, sh)("ping"), r"^pong from keel ctl@2: round trip")
        has(sh.run("echo still here"), r"^still here$")


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, globals()))
