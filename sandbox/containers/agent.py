"""The client of sbx-agent (csrc/agent.c): commands forked inside the container by one
long-lived exec, instead of one Engine API exec (a trip through dockerd, containerd and
runc) per command.

One :class:`AgentSession` per container: the agent's exec stream is kept open, requests
are written to its stdin, and a reader thread hands each command's answers to the thread
that waits for them, so any number of commands run at once. Closing the stream ends the
agent and kills whatever it still runs.

Used only where the agent can be bind-mounted into the container, which needs the daemon
to see this machine's files: a local daemon (``unix://``). :func:`agent_binary` says
whether it was built; ``ContainerSandbox.exec_path`` says which path a sandbox uses.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

from sandbox.containers.client import docker_module
from sandbox.containers.execution import KILL_GRACE, ExecExit, ExecOutput, ExecStream, recv_frames
from sandbox.containers.hardening import AGENT_PATH
from sandbox.errors import ContainerError

_HEADER = struct.Struct(">IBI")  # payload length, type, command id
_STREAMS = {ord("O"): "stdout", ord("E"): "stderr"}
_KINDS = frozenset(b"OEXAFCW")
_TUNNEL_KINDS = frozenset(b"AFCW")
#: Bytes either side of a tunnelled connection may have in flight (csrc/agent.c WINDOW).
WINDOW = 1 << 20
#: Inside the container, where commands find the proxy (the agent listens there).
TUNNEL_PORT = 3128
#: Seconds to connect to the proxy for a tunnelled connection.
CONNECT_TIMEOUT = 10.0
#: The largest input sent through the agent (its frames stop at 64 MiB); a larger one
#: goes to a command started by its own exec.
MAX_INPUT = 32 << 20
#: The agent sends output in chunks of at most 64 KiB.
MAX_ANSWER = 1 << 16
_GONE = -1


def agent_binary() -> str | None:
    """The sbx-agent executable shipped in the package, or None where it was not built."""
    from sandbox import _native

    path = os.path.join(os.path.dirname(_native.__file__), "sbx-agent")
    return path if os.access(path, os.X_OK) else None


def local_daemon() -> bool:
    """True when the daemon is reached through a unix socket, so it sees this machine's
    files (the agent is bind-mounted from the package)."""
    host = os.environ.get("DOCKER_HOST", "")
    return not host or host.startswith("unix://")


def _run_request(argv: list[str], environment: dict[str, str], cwd: str, data: bytes) -> bytes:
    parts = [cwd.encode() + b"\0", struct.pack(">I", len(argv))]
    parts += [a.encode() + b"\0" for a in argv]
    parts.append(struct.pack(">I", len(environment)))
    parts += [f"{k}={v}".encode() + b"\0" for k, v in environment.items()]
    parts.append(struct.pack(">I", len(data)))
    parts.append(data)
    return b"".join(parts)


class AgentUnresponsive(ContainerError):
    """The agent did not end a timed-out command within the grace period."""


class AgentSession:
    """sbx-agent serving one container.

    Raises:
        ContainerError: the agent could not be started.
    """

    def __init__(self, api: Any, container_id: str, user: str, proxy: tuple[str, int] | None = None) -> None:
        docker = docker_module()
        argv = [AGENT_PATH, "serve"] + ([str(TUNNEL_PORT)] if proxy is not None else [])
        try:
            exec_id = api.exec_create(
                container_id, argv, stdin=True, stdout=True, stderr=True, user=user, workdir="/"
            )["Id"]
        except docker.errors.APIError as exc:
            raise ContainerError(f"start the agent in {container_id[:12]}: {exc.explanation or exc}") from None
        self._stream = ExecStream(api, exec_id)
        self.container_id = container_id
        self._raw = self._stream.raw
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._waiting: dict[int, queue.SimpleQueue[tuple[int, bytes]]] = {}
        self._next_id = 1
        self._alive = True
        self._proxy = proxy
        self._tunnels: dict[int, _Tunnel] = {}
        self.diagnostics = bytearray()
        self._reader = threading.Thread(target=self._read, name="sbx-agent-reader", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self._alive

    def _read(self) -> None:
        buf = bytearray()
        try:
            for stream, payload in recv_frames(self._raw, self._stream.early):
                if stream == "stderr":
                    self.diagnostics = (self.diagnostics + payload)[-4096:]
                    continue
                buf += payload
                while len(buf) >= _HEADER.size:
                    length, kind, ident = _HEADER.unpack_from(buf)
                    if length > MAX_ANSWER or kind not in _KINDS:
                        # Not the agent speaking: the stream cannot be trusted from here on.
                        self.diagnostics += b"sandbox: malformed answer from the agent\n"
                        self.close()
                        return
                    if len(buf) < _HEADER.size + length:
                        break
                    body = bytes(buf[_HEADER.size : _HEADER.size + length])
                    del buf[: _HEADER.size + length]
                    if kind in _TUNNEL_KINDS:
                        self._tunnel_frame(kind, ident, body)
                        continue
                    with self._lock:
                        waiter = self._waiting.get(ident)
                    if waiter is not None:
                        waiter.put((kind, body))
        finally:
            self._alive = False
            for tunnel in list(self._tunnels.values()):
                tunnel.abort()
            with self._lock:
                waiters = list(self._waiting.values())
            for waiter in waiters:
                waiter.put((_GONE, b""))

    def _tunnel_frame(self, kind: int, ident: int, body: bytes) -> None:
        if kind == ord("A"):
            if self._proxy is None:
                return  # no tunnel was asked for: the agent does not listen
            opened = self._tunnels[ident] = _Tunnel(self, ident, self._proxy)
            opened.start()  # registered first: a fast failure's _forget finds it
            return
        tunnel = self._tunnels.get(ident)
        if tunnel is None:
            return
        if kind == ord("F"):
            tunnel.to_upstream(body)
        elif kind == ord("C"):
            tunnel.client_done(gone=body != b"\0")
        elif kind == ord("W") and len(body) == 4:
            tunnel.credit_back(struct.unpack(">I", body)[0])

    def _forget(self, ident: int) -> None:
        self._tunnels.pop(ident, None)

    def _send(self, kind: bytes, ident: int, payload: bytes = b"") -> None:
        frame = _HEADER.pack(len(payload), kind[0], ident) + payload
        with self._write_lock:
            self._raw.sendall(frame)

    def run(
        self, argv: list[str], environment: dict[str, str], cwd: str, data: bytes | None, timeout: float | None
    ) -> Iterator[ExecOutput | ExecExit]:
        """Run ``argv``; yield its output as it comes, then one :class:`ExecExit`.

        Raises:
            ContainerError: the agent went away (the container stopped, or the stream broke)
                or did not answer a kill.
        """
        start = time.monotonic()
        waiter: queue.SimpleQueue[tuple[int, bytes]] = queue.SimpleQueue()
        with self._lock:
            if not self._alive:
                raise ContainerError("the agent in the container is gone")
            ident = self._next_id
            self._next_id += 1
            self._waiting[ident] = waiter
        finished = False
        try:
            try:
                self._send(b"R", ident, _run_request(argv, environment, cwd, data or b""))
            except OSError as exc:
                raise ContainerError(f"the agent's stream broke: {exc}") from None
            deadline = None if timeout is None else start + timeout
            timed_out = False
            while True:
                wait = None if deadline is None else deadline - time.monotonic()
                if wait is not None and wait <= 0:
                    if timed_out:
                        raise AgentUnresponsive("the agent did not end a timed-out command")
                    timed_out = True
                    try:
                        self._send(b"K", ident)
                    except OSError as exc:
                        raise ContainerError(f"the agent's stream broke: {exc}") from None
                    deadline = time.monotonic() + KILL_GRACE
                    continue
                try:
                    kind, body = waiter.get(timeout=wait)
                except queue.Empty:
                    continue
                if kind == ord("X"):
                    finished = True
                    (status,) = struct.unpack(">i", body)
                    yield ExecExit(status, time.monotonic() - start, timed_out)
                    return
                if kind == _GONE:
                    finished = True
                    raise ContainerError("the agent in the container went away (was the container stopped?)")
                yield ExecOutput(_STREAMS.get(kind, "stdout"), body)
                # Taken by the caller: the agent may read that much more of the command's
                # output (it holds back past a window, so a slow reader bounds memory here).
                with contextlib.suppress(OSError):
                    self._send(b"M", ident, struct.pack(">I", len(body)))
        finally:
            if not finished and self._alive:
                # The caller stopped reading early: the command must not run on unobserved.
                with contextlib.suppress(OSError):
                    self._send(b"K", ident)
            with self._lock:
                self._waiting.pop(ident, None)

    def close(self) -> None:
        """End the stream: the agent kills what it still runs and exits."""
        self._alive = False
        for tunnel in list(self._tunnels.values()):
            tunnel.abort()
        with contextlib.suppress(OSError):
            self._raw.shutdown(socket.SHUT_RDWR)
        self._stream.close()


class _Tunnel:
    """One connection a command made to 127.0.0.1:TUNNEL_PORT in the container, joined to
    a connection to the proxy from this machine.

    Upstream to the agent: bytes read from the proxy go as 'T' frames while the agent has
    granted credit (it grants more as it writes them to the client). Agent to upstream:
    'F' bytes are queued to a writer thread, which grants the agent credit back as it
    writes them, so neither side buffers more than WINDOW.
    """

    def __init__(self, session: AgentSession, ident: int, proxy: tuple[str, int]) -> None:
        self.session = session
        self.ident = ident
        self.proxy = proxy
        self.credit = WINDOW
        self.cond = threading.Condition()
        self.closed = False
        self.finished_halves = 0
        self.writes: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.sock: socket.socket | None = None

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"sbx-tunnel-{self.ident}", daemon=True).start()

    def _send(self, kind: bytes, payload: bytes = b"") -> None:
        with contextlib.suppress(OSError):
            self.session._send(kind, self.ident, payload)

    def _run(self) -> None:
        try:
            sock = socket.create_connection(self.proxy, timeout=CONNECT_TIMEOUT)
            sock.settimeout(None)
            with self.cond:
                if self.closed:  # aborted while connecting
                    sock.close()
                    return
                self.sock = sock
        except OSError:
            self._send(b"Z")  # the proxy is not there: the client sees the connection closed
            self.abort()
            return
        threading.Thread(target=self._write, name=f"sbx-tunnel-{self.ident}-w", daemon=True).start()
        while True:
            with self.cond:
                while self.credit == 0 and not self.closed:
                    self.cond.wait()
                if self.closed:
                    return
                want = min(self.credit, 1 << 16)
            try:
                data = self.sock.recv(want)
            except OSError:
                data = None
            if not data:
                if data is None:
                    self._send(b"Z")
                    self.abort()
                    return
                # EOF from the proxy: the client's write side is shut after what it has.
                self._send(b"S")
                self._half_done()
                return
            with self.cond:
                self.credit -= len(data)
            self._send(b"T", data)

    def _write(self) -> None:
        sock = self.sock
        assert sock is not None
        while True:
            item = self.writes.get()
            if item is None:
                if not self.closed:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_WR)
                    self._half_done()
                return
            try:
                sock.sendall(item)
            except OSError:
                self._send(b"Z")
                self.abort()
                return
            self._send(b"W", struct.pack(">I", len(item)))

    def _half_done(self) -> None:
        # Each direction ends once (upstream EOF sent on; the client's EOF written onward):
        # the connection is closed when both have.
        with self.cond:
            self.finished_halves += 1
            both = self.finished_halves == 2
        if both:
            self.abort()

    def to_upstream(self, data: bytes) -> None:
        self.writes.put(data)

    def client_done(self, *, gone: bool) -> None:
        if gone:
            self.abort()
        else:
            self.writes.put(None)  # EOF from the client, after what it sent

    def credit_back(self, n: int) -> None:
        with self.cond:
            self.credit = min(WINDOW, self.credit + n)
            self.cond.notify()

    def abort(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
            sock = self.sock
        self.writes.put(None)
        if sock is not None:
            # shutdown first: close() alone does not wake a recv or sendall blocked in the
            # other thread, and the proxy would never see the connection end.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        self.session._forget(self.ident)
