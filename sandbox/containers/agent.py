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
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

from sandbox.containers.client import docker_module
from sandbox.containers.execution import KILL_GRACE, ExecExit, ExecOutput, raw_socket, recv_frames
from sandbox.containers.hardening import AGENT_PATH
from sandbox.errors import ContainerError

_HEADER = struct.Struct(">IBI")  # payload length, type, command id
_STREAMS = {ord("O"): "stdout", ord("E"): "stderr"}
_KINDS = frozenset(b"OEX")
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

    def __init__(self, api: Any, container_id: str, user: str) -> None:
        docker = docker_module()
        try:
            exec_id = api.exec_create(
                container_id, [AGENT_PATH, "serve"], stdin=True, stdout=True, stderr=True, user=user, workdir="/"
            )["Id"]
            self._sock = api.exec_start(exec_id, socket=True)
        except docker.errors.APIError as exc:
            raise ContainerError(f"start the agent in {container_id[:12]}: {exc.explanation or exc}") from None
        self.container_id = container_id
        self._raw = raw_socket(self._sock)
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._waiting: dict[int, queue.SimpleQueue[tuple[int, bytes]]] = {}
        self._next_id = 1
        self._alive = True
        self.diagnostics = bytearray()
        self._reader = threading.Thread(target=self._read, name="sbx-agent-reader", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self._alive

    def _read(self) -> None:
        buf = bytearray()
        try:
            for stream, payload in recv_frames(self._raw):
                if stream == "stderr":
                    self.diagnostics += payload[-4096:]
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
                    with self._lock:
                        waiter = self._waiting.get(ident)
                    if waiter is not None:
                        waiter.put((kind, body))
        finally:
            self._alive = False
            with self._lock:
                waiters = list(self._waiting.values())
            for waiter in waiters:
                waiter.put((_GONE, b""))

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
                    self._send(b"K", ident)
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
        with contextlib.suppress(OSError):
            self._raw.shutdown(2)
        with contextlib.suppress(OSError):
            self._raw.close()
        with contextlib.suppress(OSError):
            self._sock.close()
