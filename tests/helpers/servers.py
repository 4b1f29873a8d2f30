"""Small real servers for the network tests: a listener served on a thread, one thread per
connection, and the handlers the suites share."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

Handler = Callable[[socket.socket], None]


def serve(address: str, handler: Handler) -> socket.socket:
    """Listen on ``address`` (a free port) and run ``handler`` on each connection, each on
    its own thread; closing the returned listener stops it."""
    listener = socket.create_server((address, 0), backlog=128)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_guarded, args=(handler, conn), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


def _guarded(handler: Handler, conn: socket.socket) -> None:
    with conn, contextlib.suppress(OSError):
        handler(conn)


def port_of(listener: socket.socket) -> int:
    return int(listener.getsockname()[1])


def http_answer(body: bytes, seen: list[bytes] | None = None) -> Handler:
    """Read one request head (and a chunked body, whole), keep it in ``seen``, answer ``body``."""

    def handle(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        if b"transfer-encoding: chunked" in head.lower():
            while not rest.endswith(b"0\r\n\r\n"):
                more = conn.recv(65536)
                if not more:
                    break
                rest += more
        if seen is not None:
            seen.append(head + b"\r\n\r\n" + rest)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))

    return handle


def echo(conn: socket.socket) -> None:
    """Send back everything, then half-close."""
    while data := conn.recv(65536):
        conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)
