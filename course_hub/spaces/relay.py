"""A sandboxed Space's network, both ends (issue 26): run as `python -I -c <this file> [OPTIONS] -- CMD...`.

    --tcp PORT SOCK         listen on 127.0.0.1:PORT, relay each connection to the unix socket SOCK
    --unix SOCK HOST PORT   listen on the unix socket SOCK, relay each connection to HOST:PORT

then run CMD as a child and end with its exit code. The sandbox (sandbox.py) runs it twice around an app in a
network namespace of its own: outside (the hub's network) `--unix DIR/hub 127.0.0.1 HUB_PORT -- bwrap …`, inside
(the app's namespace) `--tcp HUB_PORT DIR/hub --unix DIR/app 127.0.0.1 APP_PORT -- python app.py`. So the app reaches
the hub at its usual address and nothing else on the machine, and the hub's proxy reaches the app through DIR/app.
Bytes are relayed as they come (server-sent events, websockets). Standard library only: it runs inside the sandbox,
where the course's own source may be hidden, so it is passed as `-c` text.
"""

import os
import signal
import socket
import subprocess
import sys
import threading


def pump(src: socket.socket, dst: socket.socket) -> None:
    """Copy src to dst until src ends, then end dst's writing side."""
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def pair(conn: socket.socket, connect) -> None:
    try:
        other = connect()
    except OSError:
        conn.close()
        return
    back = threading.Thread(target=pump, args=(other, conn), daemon=True)
    back.start()
    pump(conn, other)
    back.join()
    conn.close()
    other.close()


def serve(listener: socket.socket, connect) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        if conn.family != socket.AF_UNIX:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pair, args=(conn, connect), daemon=True).start()


def to_unix(path: str):
    def connect() -> socket.socket:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError:
            s.close()
            raise
        return s

    return connect


def to_tcp(host: str, port: int):
    def connect() -> socket.socket:
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    return connect


def listen(opts: list[str]) -> None:
    """Open every listener of `opts` (before CMD starts: it may connect at once) and serve each in a thread."""
    while opts:
        kind = opts.pop(0)
        if kind == "--tcp":
            port, path = int(opts.pop(0)), opts.pop(0)
            listener, connect = socket.create_server(("127.0.0.1", port), backlog=128), to_unix(path)
        elif kind == "--unix":
            path, host, port = opts.pop(0), opts.pop(0), int(opts.pop(0))
            if os.path.exists(path):
                os.unlink(path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            os.chmod(path, 0o600)
            listener.listen(128)
            connect = to_tcp(host, port)
        else:
            raise SystemExit(f"relay: unknown option {kind!r}")
        threading.Thread(target=serve, args=(listener, connect), daemon=True).start()


def main(args: list[str]) -> None:
    cut = args.index("--")
    listen(args[:cut])
    child = subprocess.Popen(args[cut + 1 :])
    signal.signal(signal.SIGTERM, lambda *_: child.kill())
    sys.exit(child.wait())


if __name__ == "__main__":
    main(sys.argv[1:])
