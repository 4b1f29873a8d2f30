"""The zygote of a Sandbox: a confined process that starts each command with one clone.

Most of what confining a child costs is kernel work that does not depend on the command:
compiling the seccomp filter and merging the Landlock ruleset into a new domain (about 0.2 ms
of the 0.8 ms a ``Sandbox.run(["true"])`` took, measured with ``perf``). A zygote (started
once per Sandbox through the ordinary child path, so it holds every layer) pays it once; each
command is a clone of it that inherits the layers and adds only its own session, a filter
that forbids leaving it, and its CPU-time limit. The protocol, and what keeps a command from
tampering with the zygote, are in csrc/zygote.c and csrc/sbx.h.

The commands are the agent's children (the zygote clones them with CLONE_PARENT), so waiting
for them and killing their group work as for any command. The zygote is used only with a
pid namespace, whose init dies with the agent: then no command needs a parent-death signal,
which with CLONE_PARENT would follow the thread that made the zygote, not the one that ran
the command.
"""

from __future__ import annotations

import array
import os
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable

from sandbox.errors import ConfinementError

_UCRED = struct.Struct("=iII")  # struct ucred: pid, uid, gid
_REPLY = struct.Struct("=ii")  # struct sbx_zygote_reply: stage, errno
_HEADER = struct.Struct("=II")  # struct sbx_zygote_request: magic, argc
# A stopped or wedged zygote must not hang the agent forever; a clone and an exec take far
# less than this even on a loaded machine.
_REPLY_TIMEOUT = 30.0
CONTINUE_EVERY = 0.05  # seconds: how often a zygote that has not answered yet is continued


class ZygoteGone(Exception):
    """The zygote exited or its channel broke; start another one (internal)."""


class Zygote:
    """One zygote and its channel. Thread-safe: requests are serialised (each takes the time
    of a clone), the commands then run concurrently."""

    def __init__(self, start: Callable[[int], int]) -> None:
        """``start(fd)`` starts the zygote confined with ``fd`` (its end of the channel) as
        its stdin, and returns its pid.

        Raises what ``start`` raises (ConfinementError and its kinds).
        """
        from sandbox import _native

        self._native = _native.load("_spawn")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            # The kernel attaches the sender's pid to each message we read, translated into
            # our pid namespace: that is how a command's pid reaches us from inside its own.
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            ours.settimeout(_REPLY_TIMEOUT)
            self.pid = start(theirs.fileno())
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._sock = ours
        self._owner = os.getpid()
        self._lock = threading.Lock()
        # Died after starting a command (one that ran `kill -9 -1`, or killed from outside):
        # the Sandbox starts another before its next command.
        self.dead = False

    @property
    def owned(self) -> bool:
        """False in a forked copy of the agent: the zygote's commands are the original
        process's children, which a fork cannot wait for."""
        return os.getpid() == self._owner

    @property
    def usable(self) -> bool:
        return self.owned and self._sock.fileno() >= 0

    def fits(self, path: bytes, argv: list[bytes], cwd: bytes) -> bool:
        """Whether a request fits in one datagram (large argv go the direct way)."""
        size = _HEADER.size + len(path) + len(cwd) + sum(len(a) + 1 for a in argv) + 2
        return bool(size <= self._native.ZYGOTE_MAX_REQUEST and len(argv) <= self._native.ZYGOTE_MAX_ARGS)

    def spawn(self, path: bytes, argv: list[bytes], cwd: bytes, stdio: tuple[int, int, int], program: str) -> int:
        """Start ``path`` with ``argv`` in ``cwd`` and these stdio descriptors; its pid.

        A zygote that dies once the command has reported its pid (the command itself may
        kill it: same user, same domain, and SIGKILL cannot be blocked) leaves the command
        running: its pid is returned and the zygote is marked ``dead``. (The command's own
        setup needs nothing from the zygote after the clone; only a failed exec goes
        unreported then, and shows as the child's exit status 127.)

        Raises:
            ZygoteGone: the zygote is not there any more (nothing was started).
            CommandNotFoundError, ConfinementError: as the direct child path does.
        """
        request = _HEADER.pack(self._native.ZYGOTE_MAGIC, len(argv)) + b"\0".join([path, cwd, *argv]) + b"\0"
        pid = 0
        with self._lock:
            try:
                # A command can stop the zygote (same user, same domain); continuing it costs
                # one syscall, so every request does.
                os.kill(self.pid, signal.SIGCONT)
                self._sock.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", stdio))])
                data, ancillary = self._receive(socket.CMSG_SPACE(_UCRED.size))
                if data == b"p":
                    pid = _sender_pid(ancillary)
                    data, _ = self._receive(0)
            except (BrokenPipeError, ConnectionResetError, ProcessLookupError) as exc:
                if pid > 0:  # it died between the command's start and its answer
                    return self._died_after(pid)
                raise ZygoteGone() from exc
            except TimeoutError as exc:
                if pid > 0:
                    _kill_and_reap(pid)
                self.close()
                raise ConfinementError(0, "the sandbox's zygote did not answer in time") from exc
        if not data:
            if pid > 0:
                return self._died_after(pid)
            raise ZygoteGone()
        if len(data) != _REPLY.size:
            raise ConfinementError(0, f"the sandbox's zygote answered {data!r}")
        stage, err = _REPLY.unpack(data)
        if stage == 0 and err == 0 and pid > 0:
            return pid
        if pid > 0:
            # The command reported its pid, then failed before exec: reap it.
            _reap(pid)
        self._native.raise_for(stage, err or 5, program)
        raise AssertionError("unreachable")  # raise_for always raises

    def _receive(self, ancillary_size: int) -> tuple[bytes, list[tuple[int, int, bytes]]]:
        """The zygote's next message and its ancillary data. A command runs from its exec on,
        before the zygote has answered, and it may stop the zygote then (``kill -STOP -1``:
        same user, same domain): the zygote is continued every CONTINUE_EVERY seconds while
        the answer is awaited, up to _REPLY_TIMEOUT in all. (Once it waited the whole
        timeout for a zygote a command had stopped, and the run failed.)

        Raises TimeoutError after _REPLY_TIMEOUT; ProcessLookupError when the zygote is gone.
        """
        deadline = time.monotonic() + _REPLY_TIMEOUT
        self._sock.settimeout(CONTINUE_EVERY)
        try:
            while True:
                try:
                    data, ancillary, _, _ = self._sock.recvmsg(_REPLY.size, ancillary_size)
                    return data, ancillary
                except TimeoutError:
                    if time.monotonic() >= deadline:
                        raise
                    os.kill(self.pid, signal.SIGCONT)
        finally:
            self._sock.settimeout(_REPLY_TIMEOUT)

    def _died_after(self, pid: int) -> int:
        """The zygote died after the command ``pid`` started (a command that ran ``kill -9 -1``
        killed it before its answer went out: a race it wins on a loaded machine). The
        command runs on; this zygote is done."""
        self.dead = True
        self.close()
        return pid

    def close(self) -> None:
        """End the zygote (closing the channel would do, but it is killed too, so that the
        wait cannot block) and reap it. Idempotent."""
        self._sock.close()
        if os.getpid() == self._owner and self.pid > 0:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _reap(self.pid)
            self.pid = 0


def _sender_pid(ancillary: list[tuple[int, int, bytes]]) -> int:
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= _UCRED.size:
            pid: int = _UCRED.unpack_from(payload)[0]
            return pid
    raise ConfinementError(0, "the sandbox's zygote sent a command's start without its credentials")


def _kill_and_reap(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # a command is its own group's leader once started
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # reaped elsewhere already (an os.wait() in the agent's own code)
