"""Commands in a running container through the Engine API's exec calls, with a real deadline.

The SDK's ``exec_run`` has no timeout, and a timed-out ``docker exec`` client leaves the
command running in the container. Here the output is read from the exec's own socket
against a deadline; when it passes, the command's process tree is killed *inside* the
container by a second exec, and the result says it timed out.

Every exec carries a marker in its environment (``SANDBOX_EXEC=<token>``); the kill looks
for it in ``/proc/*/environ`` and also follows parent links from what it found, so the
tree dies even where a child cleared its environment but stayed a descendant. A process
that both clears its environment and leaves the tree (double fork) escapes that search:
:meth:`ContainerSandbox.stop` ends it with the container.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sandbox.containers.client import docker_module
from sandbox.errors import ContainerError, PolicyError

MARKER = "SANDBOX_EXEC"
#: After a kill, how long the exec's stream may take to end before it is abandoned.
KILL_GRACE = 5.0
#: Output kept per stream; the rest is read and dropped so a chatty command cannot exhaust
#: the caller's memory.
DEFAULT_MAX_OUTPUT = 64 << 20

# Kills, as the exec's own user, every process carrying the marker and every descendant of
# one, until a pass finds none (a fork racing the first pass is caught by the next).
# busybox sh, dash and bash all run it; it needs only sh, tr, grep, sed and kill.
KILL_SCRIPT = r"""
t="$1"; pass=0
while [ $pass -lt 20 ]; do
  found=""
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    if tr '\0' '\n' < "$d/environ" 2>/dev/null | grep -qx "SANDBOX_EXEC=$t"; then found="$found $p"; fi
  done
  grew=1
  while [ -n "$grew" ]; do
    grew=""
    for d in /proc/[0-9]*; do
      p=${d#/proc/}
      case " $found " in *" $p "*) continue;; esac
      pp=$(sed -n 's/^PPid:[[:space:]]*//p' "$d/status" 2>/dev/null)
      case " $found " in *" $pp "*) found="$found $p"; grew=1;; esac
    done
  done
  [ -z "$found" ] && exit 0
  kill -9 $found 2>/dev/null
  pass=$((pass+1))
  sleep 0.05
done
exit 1
"""


@dataclass(frozen=True, slots=True)
class ExecResult:
    """What a command run with :meth:`ContainerSandbox.exec` did.

    ``exit_code`` is the command's status (128 + signal when killed; -1 when the daemon
    never reported one); ``stdout``/``stderr`` are ``str`` or ``bytes`` as asked.
    """

    exit_code: int
    stdout: str | bytes
    stderr: str | bytes
    duration: float
    timed_out: bool


@dataclass(frozen=True, slots=True)
class ExecOutput:
    """A piece of output as it came: ``stream`` is ``"stdout"`` or ``"stderr"``."""

    stream: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ExecExit:
    """The last item a streaming exec yields."""

    exit_code: int
    duration: float
    timed_out: bool


def argv_of(command: str | list[str]) -> list[str]:
    """A shell string runs under ``/bin/sh -c``; a list is the argv itself.

    Raises:
        PolicyError: an empty command, or an argument that is not a string or holds a NUL.
    """
    if isinstance(command, str):
        if not command.strip():
            raise PolicyError("command: empty")
        argv = ["/bin/sh", "-c", command]
    elif isinstance(command, (list, tuple)) and command:
        argv = list(command)
    else:
        raise PolicyError(f"command: expected a string or a non-empty list, got {command!r}")
    for arg in argv:
        if not isinstance(arg, str) or "\0" in arg:
            raise PolicyError(f"command: arguments are strings without NUL, got {arg!r}")
    return argv


def check_timeout(timeout: float | None) -> None:
    """Raises PolicyError unless ``timeout`` is None or a positive number of seconds."""
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0):
        raise PolicyError(f"timeout: expected a positive number of seconds or None, got {timeout!r}")


def raw_socket(sock: Any) -> Any:
    """The socket under what ``exec_start(socket=True)`` returns."""
    # Unix and plain TCP: a SocketIO whose _sock is the socket; TLS: the SSL socket itself.
    return getattr(sock, "_sock", sock)


def _readable(raw: Any, wait: float | None) -> bool:
    pending = getattr(raw, "pending", None)
    if pending is not None and pending():
        return True  # TLS holds decrypted bytes that poll() cannot see
    # poll, not select: select() fails on descriptors numbered 1024 and above, which a
    # process holding many sandboxes has.
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(None if wait is None else max(wait, 0) * 1000))


class ExecStream:
    """An exec's attached stream: the socket, and what the HTTP layer read past the
    response head.

    docker-py's ``exec_start(socket=True)`` hands over the raw socket under the HTTP
    response's buffered reader, so output that arrived in the same packets as the upgrade
    response (it does, over TCP and through proxies) would be lost; here those bytes are
    taken from the reader first.

    Raises:
        ContainerError: the daemon refused to start the exec.
    """

    def __init__(self, api: Any, exec_id: str) -> None:
        docker_errors = docker_module().errors
        try:
            # exec_start's own request (docker/api/exec_api.py), keeping the response.
            self.response = api._post_json(
                api._url("/exec/{0}/start", exec_id),
                headers={"Connection": "Upgrade", "Upgrade": "tcp"},
                data={"Tty": False, "Detach": False},
                stream=True,
            )
            self.sock = api._get_raw_response_socket(self.response)
        except docker_errors.APIError as exc:
            raise ContainerError(f"start exec {exec_id[:12]}: {exc.explanation or exc}") from None
        self.raw = raw_socket(self.sock)
        early = b""
        reader = getattr(getattr(getattr(self.response.raw, "_fp", None), "fp", None), "read1", None)
        if reader is not None:
            self.raw.settimeout(0)  # what is buffered, without waiting for more
            with contextlib.suppress(BlockingIOError, ssl.SSLWantReadError):
                early = reader(1 << 20) or b""
        # Blocking again: reads wait in poll() first, and input is written with sendall.
        self.raw.settimeout(None)
        self.early = early

    def close(self) -> None:
        for closing in (self.raw.close, self.sock.close, self.response.close):
            with contextlib.suppress(OSError, AttributeError, ValueError):  # ValueError: already closed
                closing()


class FrameReader:
    """The Engine API's multiplexed stream of an exec without a TTY: frames of 1 byte
    stream (1 stdout, 2 stderr), 3 zero bytes, 4 bytes length, then the payload."""

    def __init__(self, raw: Any, early: bytes = b"") -> None:
        self.raw = raw
        self.buf = bytearray(early)

    def read(self, wait: float | None) -> list[tuple[str, bytes]] | None:
        """Frames that arrived within ``wait`` seconds (None: no limit); None at the end."""
        if self.buf:
            frames = self._frames()
            if frames:
                return frames
        try:
            if not _readable(self.raw, wait):
                return []
        except (OSError, ValueError):
            return None  # closed under us (the session ended): the stream is over
        try:
            chunk = self.raw.recv(1 << 16)
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
            return []
        except OSError:
            return None  # the daemon closed the connection: the exec is over
        if not chunk:
            return None
        self.buf += chunk
        return self._frames()

    def _frames(self) -> list[tuple[str, bytes]]:
        frames = []
        while len(self.buf) >= 8:
            size = int.from_bytes(self.buf[4:8], "big")
            if len(self.buf) < 8 + size:
                break
            kind = "stderr" if self.buf[0] == 2 else "stdout"
            frames.append((kind, bytes(self.buf[8 : 8 + size])))
            del self.buf[: 8 + size]
        return frames


def recv_frames(raw: Any, early: bytes = b"") -> Iterator[tuple[str, bytes]]:
    """Every frame of the stream, blocking, until it ends."""
    reader = FrameReader(raw, early)
    while (frames := reader.read(None)) is not None:
        yield from frames


def _send_input(raw: Any, data: bytes, half_close: bool) -> None:
    try:
        if data:
            raw.sendall(data)
        if half_close:
            raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the command exited without reading its input: not an error of ours


def stream_exec(
    api: Any,
    container_id: str,
    argv: list[str],
    *,
    user: str,
    workdir: str,
    environment: dict[str, str],
    timeout: float | None,
    kill_tree: Callable[[str], None],
    input: bytes | None = None,
) -> Iterator[ExecOutput | ExecExit]:
    """Run ``argv`` in the container; yield output as it comes, then one :class:`ExecExit`.

    ``kill_tree(token)`` is called once when the deadline passes.

    Raises:
        ContainerError: the daemon refused the exec or the container is gone.
    """
    docker_errors = docker_module().errors
    tls = str(getattr(api, "base_url", "")).startswith("https://")
    if input is not None and tls:
        # A TLS stream cannot be half-closed (Python's ssl has no close_notify for one
        # direction), so stdin would never end: the command reads exactly the input's length
        # through head instead (the image needs sh and head for this case).
        argv = ["/bin/sh", "-c", 'head -c "$0" | "$@"', str(len(input)), *argv]
    # The caller's marker when it chose one (it goes first in the environment), else ours.
    env = {MARKER: os.urandom(8).hex(), **environment}
    token = env[MARKER]
    start = time.monotonic()
    try:
        exec_id = api.exec_create(
            container_id,
            argv,
            stdout=True,
            stderr=True,
            stdin=input is not None,
            user=user,
            workdir=workdir,
            environment=env,
        )["Id"]
    except docker_errors.APIError as exc:
        raise ContainerError(f"exec in {container_id[:12]}: {exc.explanation or exc}") from None
    stream = ExecStream(api, exec_id)
    raw = stream.raw
    feeder = None
    if input is not None:
        feeder = threading.Thread(target=_send_input, args=(raw, input, not tls), daemon=True)
        feeder.start()
    deadline = None if timeout is None else start + timeout
    timed_out = False
    ended = False
    reader = FrameReader(raw, stream.early)
    try:
        while True:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                if timed_out:
                    break  # killed, and the stream still has not ended: abandon it
                timed_out = True
                kill_tree(token)
                deadline = time.monotonic() + KILL_GRACE
                continue
            frames = reader.read(wait)
            if frames is None:
                ended = True
                break
            for kind, payload in frames:
                if payload:
                    yield ExecOutput(kind, payload)
    finally:
        stream.close()
        if not ended and not timed_out:
            # The caller stopped reading (or failed) before the end: Docker does not kill an
            # exec whose client went away, so its tree is killed here.
            kill_tree(token)
    yield ExecExit(_exit_code(api, exec_id), time.monotonic() - start, timed_out)


def _exit_code(api: Any, exec_id: str) -> int:
    # The stream can end a moment before the daemon records the exit.
    docker = docker_module()
    for _ in range(400):
        try:
            state = api.exec_inspect(exec_id)
        except docker.errors.NotFound:
            return -1  # its container was removed (a kill that had to take the container)
        if not state.get("Running"):
            code = state.get("ExitCode")
            return -1 if code is None else int(code)
        time.sleep(0.005)
    return -1


def collect(events: Iterator[ExecOutput | ExecExit], *, text: bool, max_output: int) -> ExecResult:
    """Gather a streaming exec into one :class:`ExecResult`, keeping ``max_output`` bytes
    per stream."""
    out = {"stdout": bytearray(), "stderr": bytearray()}
    end = ExecExit(-1, 0.0, False)
    for event in events:
        if isinstance(event, ExecExit):
            end = event
            continue
        kept = out[event.stream]
        room = max_output - len(kept)
        if room > 0:
            kept += event.data[:room]
    if text:
        return ExecResult(
            end.exit_code,
            out["stdout"].decode(errors="replace"),
            out["stderr"].decode(errors="replace"),
            end.duration,
            end.timed_out,
        )
    return ExecResult(end.exit_code, bytes(out["stdout"]), bytes(out["stderr"]), end.duration, end.timed_out)
