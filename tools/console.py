#!/usr/bin/env python3
"""tools/keel run's console: QEMU's output passed to the terminal as it comes, except that QEMU's
own exit message ("QEMU: Terminated", after Ctrl-A X) starts a line of its own instead of
landing on the guest's prompt line. Bytes that may begin that message are held until the next
bytes show whether they do, or for 50 ms at most, so echoed typing is not delayed noticeably."""
import os
import select

MARK = b"QEMU: Terminated"
HOLD_S = 0.05


def held_tail(data):
    """How many bytes at the end of data are a proper beginning of MARK."""
    for n in range(min(len(MARK) - 1, len(data)), 0, -1):
        if data.endswith(MARK[:n]):
            return n
    return 0


def main():
    held = b""
    last = b"\n"  # the last byte written: is the terminal at the start of a line?
    while True:
        ready, _, _ = select.select([0], [], [], HOLD_S if held else None)
        chunk = os.read(0, 65536) if ready else b""
        if ready and not chunk:  # QEMU has exited
            out, held = held, b""
        else:
            data = held + chunk
            keep = held_tail(data) if ready else 0
            out, held = data[:len(data) - keep], data[len(data) - keep:]
        at = out.find(MARK)
        if at >= 0 and (out[:at] or last)[-1:] not in (b"\n", b"\r"):
            out = out[:at] + b"\r\n" + out[at:]
        if out:
            os.write(1, out)
            last = out[-1:]
        if ready and not chunk:
            if last not in (b"\n", b"\r"):
                os.write(1, b"\r\n")
            return


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
