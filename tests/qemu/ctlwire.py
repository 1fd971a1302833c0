"""The control channel's frames on the host side, for tests that must talk to the guest below
keelctl (docs/control-channel.md, "Frames"): an unauthenticated HELLO of our own, the frames a
guest sends back, and a proxy that records what keelctl sends, so the very bytes can be sent
again on a later connection."""
import os
import socket
import struct
import threading
import time
import zlib

from checks import check  # noqa: E402

MAGIC, END = b"KCTL", b"KEND"
HEADER = 40
F_AUTH, F_REPLY = 1, 2
T_HELLO, T_PING, T_ERROR, REPLY_BIT = 1, 2, 0x7F, 0x80
E_NONCE, E_REPLAY = -110, -111


def hello_frame(challenge):
    """An unauthenticated HELLO (the only request that needs no MAC)."""
    head = MAGIC + struct.pack("<BBHIQ", 1, T_HELLO, 0, len(challenge), 0) + bytes(16)
    head += struct.pack("<I", zlib.crc32(head))
    body = head + challenge
    return body + struct.pack("<I", zlib.crc32(body)) + END


def frames(data):
    """Every whole frame in data: dicts with type, flags, seq, nonce, payload (MACs and
    checksums are not checked here: the tests look at what the guest decided)."""
    out, at = [], 0
    while True:
        at = data.find(MAGIC, at)
        if at < 0 or at + HEADER > len(data):
            return out
        _, ftype, flags, length, seq = struct.unpack_from("<BBHIQ", data, at + 4)
        nonce = data[at + 20:at + 36]
        end = at + HEADER + length + (32 if flags & F_AUTH else 0) + 8
        if end > len(data) or data[end - 4:end] != END:
            at += 1
            continue
        out.append({"type": ftype, "flags": flags, "seq": seq, "nonce": nonce,
                    "payload": data[at + HEADER:at + HEADER + length],
                    "bytes": data[at:end]})
        at = end


def status(frame):
    """A reply's status and message."""
    p = frame["payload"]
    st, mlen = struct.unpack_from("<iH", p, 0)
    return st, p[6:6 + mlen].decode("latin-1")


class Line:
    """One connection to the guest's control socket, read until a condition holds."""

    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.timeout = timeout
        self.got = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def wait(self, pred, what):
        """The frames received so far, once pred(frames) holds; AssertionError after the
        timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            fs = frames(self.got)
            if pred(fs):
                return fs
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} from the guest within {self.timeout} s; got "
                                     f"{[(hex(f['type']), f['seq']) for f in fs]}")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError(f"the control socket closed while waiting for {what}")
            self.got += chunk

    def hello(self):
        """Say HELLO: (the boot nonce from the reply's header, the next sequence number)."""
        challenge = os.urandom(16)
        self.send(hello_frame(challenge))
        fs = self.wait(lambda fs: any(f["type"] == T_HELLO | REPLY_BIT for f in fs), "HELLO reply")
        f = [f for f in fs if f["type"] == T_HELLO | REPLY_BIT][-1]
        st, msg = status(f)
        check(st == 0, "HELLO refused", msg)
        body = f["payload"][6 + len(msg):]
        check(body[:16] == challenge, "the HELLO reply answers another challenge", body[:16].hex())
        (next_seq,) = struct.unpack_from("<Q", body, 18)
        return f["nonce"], next_seq


class Recorder:
    """A unix socket that forwards one connection at a time to the guest's control socket and
    records every byte the client sent and the guest answered (keelctl --socket recorder.path
    ...); inject() sends bytes of its own into the connection (keelctl skips the replies to
    them: not its sequence numbers)."""

    def __init__(self, target, path):
        self.target, self.path, self.sent, self.got = target, path, b"", b""
        self.up = None
        self.cond = threading.Condition()
        if os.path.exists(path):
            os.unlink(path)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                client, _ = self.srv.accept()
            except OSError:
                return  # closed
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            up.connect(self.target)
            self.up = up
            back = threading.Thread(target=self._pipe, args=(up, client, "got"), daemon=True)
            back.start()
            self._pipe(client, up, "sent")
            back.join(10)
            client.close()
            up.close()

    def _pipe(self, src, dst, record):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    dst.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            with self.cond:
                setattr(self, record, getattr(self, record) + data)
                self.cond.notify_all()
            try:
                dst.sendall(data)
            except OSError:
                return

    def inject(self, data):
        self.up.sendall(data)

    def wait_got(self, pred, what, timeout=30.0):
        """The frames the guest sent so far, once pred(frames) holds."""
        with self.cond:
            if not self.cond.wait_for(lambda: pred(frames(self.got)), timeout):
                raise AssertionError(f"no {what} from the guest within {timeout} s")
            return frames(self.got)

    def close(self):
        self.srv.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
