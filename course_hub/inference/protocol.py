"""The hub <-> worker wire format: length-prefixed JSON messages over a socketpair (no torch here)."""

from __future__ import annotations

import json
import socket
import struct
import threading

MAX_MESSAGE = 64 * 1024 * 1024  # an answer with many embeddings stays far below this
_HEADER = struct.Struct("!I")


class Closed(Exception):
    """The other end is gone (EOF or a broken socket)."""


class Channel:
    """One end of the pipe: `send(obj)` from any thread, `recv()` from one reader thread."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._send_lock = threading.Lock()

    def send(self, obj) -> None:
        data = json.dumps(obj, allow_nan=False).encode("utf-8")
        with self._send_lock:
            try:
                self.sock.sendall(_HEADER.pack(len(data)) + data)
            except OSError as e:
                raise Closed(str(e)) from None

    def recv(self):
        (size,) = _HEADER.unpack(self._read(_HEADER.size))
        if size > MAX_MESSAGE:
            raise Closed(f"message of {size} bytes")
        return json.loads(self._read(size))

    def _read(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except OSError as e:
                raise Closed(str(e)) from None
            if not chunk:
                raise Closed("EOF")
            buf += chunk
        return bytes(buf)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
