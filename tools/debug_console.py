#!/usr/bin/env python3
"""tools/keel console: this terminal on the serial console of a Keel that `tools/keel debug`
started (its COM1 is a unix socket, since GDB has the debug terminal). Keys go to the guest as
typed (raw mode); Ctrl-] leaves, Keel and GDB go on. Usage: debug_console.py SOCKET"""
import os
import select
import socket
import sys
import termios
import tty

QUIT = b"\x1d"  # Ctrl-]


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[-1], file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1])
    except OSError as e:
        print(f"keel console: cannot connect to {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    tty_in = sys.stdin.isatty()
    saved = termios.tcgetattr(0) if tty_in else None
    print("keel console: connected (Ctrl-] leaves); press Enter for a prompt\r")
    try:
        if tty_in:
            tty.setraw(0)
        while True:
            ready, _, _ = select.select([0, s], [], [])
            if s in ready:
                data = s.recv(65536)
                if not data:
                    break  # QEMU is gone
                os.write(1, data)
            if 0 in ready:
                keys = os.read(0, 1024)
                if not keys or QUIT in keys:
                    keys = keys.split(QUIT)[0]
                    if keys:
                        s.sendall(keys)
                    break
                s.sendall(keys)
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
    print("\nkeel console: left")
    return 0


if __name__ == "__main__":
    sys.exit(main())
