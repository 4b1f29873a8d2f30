"""The egress proxy's byte relay, chosen in one place: the C relay of csrc/relay.c
(``native``: one thread's epoll loop without the GIL, bytes spliced socket to pipe to socket
without a copy through user space, or copied through a buffer towards loopback TCP, where
that measured cheaper) or, where it was not built, its pure-Python twin
(``python``: a selectors loop on its own thread). Both keep the same promises, and the
relay tests run against both:

- every byte is relayed both ways, in order; when one side ends its stream (EOF), the other
  side's peer gets the same end once all that was sent before it is written (half-close),
  and the pair finishes when both ways have ended;
- a side that stops reading holds the other back: at most one bounded buffer (or pipe) per
  direction is held, then the relay stops reading and TCP's window stops the sender;
- a pair that moves no byte either way for its idle timeout is closed (``idle``); a read or
  write that fails closes both sides with a reset (``error``), so a peer can tell a transfer
  cut short from a complete one; :meth:`RelayBase.close` closes the rest (``closed``).

The proxy hands each tunnel over with :meth:`RelayBase.add`; ``on_done(a_to_b, b_to_a,
reason)`` is called on the relay's thread once both sockets are closed, so it must be quick
(the relay waits for it).
"""

from __future__ import annotations

import errno
import logging
import math
import os
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from sandbox import _native
from sandbox.errors import PolicyError, ProxyError, Reason, UnsupportedError

__all__ = ["MAX_PAIRS", "NativeRelay", "OnDone", "PythonRelay", "RelayBase", "backend", "select_relay"]

try:
    native: Any = _native.load("_relay")
except UnsupportedError:
    native = None

#: Pairs one relay carries at most by default (a finished pair counts until it is reported).
MAX_PAIRS = 4096
#: Bytes the Python twin holds per direction at most (as the C relay's pipe does).
BUFFER_SIZE = 256 * 1024

OnDone = Callable[[int, int, str], None]

_log = logging.getLogger(__name__)
_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a reset


def backend() -> str:
    """``"native"`` or ``"python"``: which relay :func:`select_relay` gives by default."""
    return "native" if native is not None else "python"


def select_relay(prefer: str | None = None, *, max_pairs: int = MAX_PAIRS) -> RelayBase:
    """A relay, not started: the C one where it was built, else the Python twin.

    ``prefer="python"`` forces the twin; ``prefer="native"`` demands the C relay.

    Raises:
        UnsupportedError: ``Reason.NATIVE_MISSING`` for ``prefer="native"`` where the C
            relay was not built.
        PolicyError: an unknown ``prefer``, or ``max_pairs`` outside 1 to 65536.
    """
    if prefer not in (None, "native", "python"):
        raise PolicyError(f"relay must be 'native', 'python' or None, not {prefer!r}")
    if prefer == "python" or (prefer is None and native is None):
        return PythonRelay(max_pairs=max_pairs)
    return NativeRelay(max_pairs=max_pairs)


def _milliseconds(idle_timeout: float) -> int:
    if not idle_timeout >= 0:  # NaN too
        raise PolicyError(f"idle_timeout must be >= 0 seconds (0: none), not {idle_timeout!r}")
    if idle_timeout == 0:
        return 0
    return min(max(1, math.ceil(idle_timeout * 1000)), 2**32 - 1)


def _check_max_pairs(max_pairs: int) -> None:
    if not 0 < max_pairs <= 65536:
        raise PolicyError(f"max_pairs must be 1 to 65536, not {max_pairs}")


class RelayBase:
    """What both relays offer. Use as a context manager (started on entry, closed on exit)
    or call :meth:`start` and :meth:`close`."""

    name: str
    _thread_name: str
    _lock: threading.Lock
    _thread: threading.Thread | None
    _closed: bool

    def start(self) -> None:
        """Start the relay's thread (a daemon); a second call does nothing.

        Raises:
            ProxyError: the relay was closed.
        """
        with self._lock:
            if self._closed:
                raise ProxyError("the relay is closed")
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._serve, name=self._thread_name, daemon=True)
            self._thread.start()

    def _serve(self) -> None:
        raise NotImplementedError

    def add(self, a: socket.socket, b: socket.socket, *, idle_timeout: float, on_done: OnDone | None = None) -> None:
        """Relay between two connected TCP sockets, which the relay now owns: both socket
        objects are detached (closed to the caller) at once, also when this raises.
        ``idle_timeout`` (seconds; 0: none) closes the pair after that long without a byte
        either way. ``on_done(a_to_b, b_to_a, reason)`` is called on the relay's thread once
        both are closed; ``reason`` is ``done``, ``error``, ``idle`` or ``closed``. Pairs
        added before :meth:`start` wait for it.

        Raises:
            PolicyError: a negative ``idle_timeout``.
            ProxyError: the relay is closed, or already carries ``max_pairs`` pairs.
            OSError: a socket that is not a connected stream socket (EBADF, ENOTSOCK,
                EPROTOTYPE).
        """
        raise NotImplementedError

    @property
    def total_bytes(self) -> int:
        """Bytes written to either side of any pair so far."""
        raise NotImplementedError

    @property
    def active(self) -> int:
        """Pairs added and not finished yet."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the thread and close every pair left (each reported as ``closed``). Safe to
        call twice, and from ``on_done``."""
        raise NotImplementedError

    def __enter__(self) -> RelayBase:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} active={self.active} total_bytes={self.total_bytes}>"


def _call(on_done: OnDone | None, a_to_b: int, b_to_a: int, reason: str) -> None:
    if on_done is None:
        return
    try:
        on_done(a_to_b, b_to_a, reason)
    except Exception:
        _log.exception("a relay's on_done callback failed")


def _detach(a: socket.socket, b: socket.socket) -> tuple[int, int]:
    return a.detach(), b.detach()


def _close_fds(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass


# ---------------------------------------------------------------------------------------
# The C relay


class NativeRelay(RelayBase):
    """The C relay (csrc/relay.c): ``Relay.run`` on a Python thread, without the GIL while
    it relays. It returns each time pairs have finished; their callbacks run, and it goes
    on, so an ``on_done`` comes within one round of the loop.

    Raises:
        UnsupportedError: ``Reason.NATIVE_MISSING`` where ``sandbox._native._relay`` was
            not built.
        PolicyError: ``max_pairs`` outside 1 to 65536.
    """

    name = "native"
    _thread_name = "sandbox-relay"

    def __init__(self, *, max_pairs: int = MAX_PAIRS) -> None:
        if native is None:
            raise UnsupportedError(Reason.NATIVE_MISSING, "sandbox._native._relay")
        _check_max_pairs(max_pairs)
        self._relay = native.Relay(max_pairs)
        self._lock = threading.Lock()
        self._callbacks: dict[int, OnDone | None] = {}
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, a: socket.socket, b: socket.socket, *, idle_timeout: float, on_done: OnDone | None = None) -> None:
        fa, fb = _detach(a, b)
        try:
            ms = _milliseconds(idle_timeout)
            with self._lock:
                if self._closed:
                    raise ProxyError("the relay is closed")
                # Under the lock: the relay's thread looks the callback up under it too, and a
                # pair may finish before add() returns.
                pair_id = self._relay.add(fa, fb, ms)
                self._callbacks[pair_id] = on_done
        except BaseException:
            _close_fds(fa, fb)
            raise

    @property
    def total_bytes(self) -> int:
        return int(self._relay.total_bytes)

    @property
    def active(self) -> int:
        return int(self._relay.active)

    def _serve(self) -> None:
        try:
            while True:
                more = self._relay.run()
                self._deliver()
                if not more or self._closed:
                    return
        except Exception:
            _log.exception("the relay's loop failed")

    def _deliver(self) -> None:
        for pair_id, a_to_b, b_to_a, reason, _err in self._relay.finished():
            with self._lock:
                on_done = self._callbacks.pop(pair_id, None)
            _call(on_done, a_to_b, b_to_a, reason)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._relay.stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._relay.close_all()
        self._deliver()
        self._relay.close()


# ---------------------------------------------------------------------------------------
# The Python twin


class _Pair:
    """One pair of the twin; direction i reads socks[i] and writes socks[1 - i]."""

    __slots__ = ("bufs", "bytes", "dead", "eof", "head", "idle", "last", "masks", "on_done", "shut", "socks", "tail")

    def __init__(self, a: socket.socket, b: socket.socket, idle: float, on_done: OnDone | None) -> None:
        self.socks = (a, b)
        self.bufs: list[bytearray | None] = [None, None]
        self.head = [0, 0]
        self.tail = [0, 0]
        self.eof = [False, False]
        self.shut = [False, False]
        self.bytes = [0, 0]
        self.masks = [0, 0]
        self.idle = idle
        self.last = 0.0
        self.on_done = on_done
        self.dead = False


class PythonRelay(RelayBase):
    """The pure-Python twin: a selectors loop on its own thread, non-blocking sockets, at
    most :data:`BUFFER_SIZE` bytes held per direction, the same semantics as the C relay.

    Raises:
        PolicyError: ``max_pairs`` outside 1 to 65536.
    """

    name = "python"
    _thread_name = "sandbox-relay-py"

    def __init__(self, *, max_pairs: int = MAX_PAIRS) -> None:
        _check_max_pairs(max_pairs)
        self._max_pairs = max_pairs
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._inbox: list[_Pair] = []  # under the lock
        self._count = 0  # pairs added and not finished, under the lock
        self._pairs: set[_Pair] = set()  # the loop's own
        self._finished: list[tuple[_Pair, str]] = []
        self._spare: list[bytearray] = []
        self._total = 0
        self._next_sweep = math.inf
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closed = False

    def add(self, a: socket.socket, b: socket.socket, *, idle_timeout: float, on_done: OnDone | None = None) -> None:
        fa, fb = _detach(a, b)
        socks: list[socket.socket] = []
        try:
            idle = _milliseconds(idle_timeout) / 1000
            for fd in (fa, fb):
                if fd < 0:
                    raise OSError(errno.EBADF, "relay add: bad file descriptor")
                socks.append(socket.socket(fileno=fd))
            for sock in socks:
                if sock.type != socket.SOCK_STREAM:
                    raise OSError(errno.EPROTOTYPE, "relay add: not a stream socket")
                sock.setblocking(False)
            pair = _Pair(socks[0], socks[1], idle, on_done)
            with self._lock:
                if self._closed:
                    raise ProxyError("the relay is closed")
                if self._count >= self._max_pairs:
                    raise ProxyError(
                        "relay add: the relay already carries its maximum of pairs (Hint: raise max_pairs, "
                        "or let idle tunnels go sooner with a shorter idle timeout)"
                    )
                self._count += 1
                self._inbox.append(pair)
        except BaseException:
            for sock in socks:
                sock.close()
            _close_fds(*(fa, fb)[len(socks) :])
            raise
        self._wake()

    @property
    def total_bytes(self) -> int:
        return self._total

    @property
    def active(self) -> int:
        with self._lock:
            return self._count

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stopping = True
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._lock:
            left, self._inbox = self._inbox, []
        for pair in [*left, *self._pairs]:
            self._finish(pair, "closed")
        self._deliver()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    # -- the loop ----------------------------------------------------------------------

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a full socket already wakes the loop; a closed one means it has stopped

    def _serve(self) -> None:
        try:
            while not self._stopping:
                now = time.monotonic()
                timeout = None if self._next_sweep == math.inf else max(0.0, self._next_sweep - now)
                events = self._selector.select(timeout)
                now = time.monotonic()
                for key, mask in events:
                    if key.data is None:
                        try:
                            self._wake_r.recv(4096)
                        except BlockingIOError:
                            pass
                        continue
                    pair, side = key.data
                    if not pair.dead:
                        self._event(pair, side, mask, now)
                self._take_in(now)
                self._sweep(now)
                self._deliver()
        except Exception:
            _log.exception("the relay's loop failed")

    def _take_in(self, now: float) -> None:
        with self._lock:
            if self._stopping:
                return
            arrived, self._inbox = self._inbox, []
        for pair in arrived:
            pair.last = now
            self._pairs.add(pair)
            if pair.idle:
                self._next_sweep = min(self._next_sweep, now + pair.idle)
            self._watch(pair)

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        following = math.inf
        for pair in list(self._pairs):
            if not pair.idle:
                continue
            deadline = pair.last + pair.idle
            if deadline <= now:
                self._finish(pair, "idle")
            else:
                following = min(following, deadline)
        self._next_sweep = following if following == math.inf else max(following, now + 0.01)

    def _event(self, pair: _Pair, side: int, mask: int, now: float) -> None:
        try:
            if mask & selectors.EVENT_WRITE:
                self._flush(pair, 1 - side, now)
            if mask & selectors.EVENT_READ:
                self._fill(pair, side, now)
                self._flush(pair, side, now)
        except OSError as exc:
            self._finish(pair, "error", exc.errno or errno.EIO)
            return
        if pair.shut[0] and pair.shut[1]:
            self._finish(pair, "done")
        else:
            self._watch(pair)

    def _fill(self, pair: _Pair, i: int, now: float) -> None:
        buf = pair.bufs[i]
        if buf is None:
            buf = pair.bufs[i] = self._spare.pop() if self._spare else bytearray(BUFFER_SIZE)
        head, tail = pair.head[i], pair.tail[i]
        if tail == BUFFER_SIZE and head:
            buf[: tail - head] = buf[head:tail]
            head, tail = pair.head[i], pair.tail[i] = 0, tail - head
        if tail == BUFFER_SIZE:
            return
        try:
            n = pair.socks[i].recv_into(memoryview(buf)[tail:])
        except BlockingIOError:
            return
        if n == 0:
            pair.eof[i] = True
        else:
            pair.tail[i] = tail + n
            pair.last = now

    def _flush(self, pair: _Pair, i: int, now: float) -> None:
        buf = pair.bufs[i]
        dst = pair.socks[1 - i]
        if buf is not None:
            with memoryview(buf) as view:
                while pair.head[i] < pair.tail[i]:
                    try:
                        n = dst.send(view[pair.head[i] : pair.tail[i]])
                    except BlockingIOError:
                        break
                    pair.head[i] += n
                    pair.bytes[i] += n
                    self._total += n
                    pair.last = now
            if pair.head[i] == pair.tail[i]:
                self._release(pair, i)
        if pair.eof[i] and pair.bufs[i] is None and not pair.shut[i]:
            # Half-close: all the source sent is written; the destination's peer now sees
            # the same end of stream, and the other way stays open.
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError as exc:
                if exc.errno != errno.ENOTCONN:
                    raise
            pair.shut[i] = True

    def _release(self, pair: _Pair, i: int) -> None:
        buf = pair.bufs[i]
        if buf is not None and len(self._spare) < 64:
            self._spare.append(buf)
        pair.bufs[i] = None
        pair.head[i] = pair.tail[i] = 0

    def _watch(self, pair: _Pair) -> None:
        """Ask for what each socket can do next: read while its direction has room (a full
        buffer holds the source back), write while bytes wait for it."""
        for s in (0, 1):
            want = 0
            if not pair.eof[s] and pair.tail[s] - pair.head[s] < BUFFER_SIZE:
                want |= selectors.EVENT_READ
            if pair.tail[1 - s] > pair.head[1 - s]:
                want |= selectors.EVENT_WRITE
            if want == pair.masks[s]:
                continue
            sock = pair.socks[s]
            if not pair.masks[s]:
                self._selector.register(sock, want, (pair, s))
            elif not want:
                self._selector.unregister(sock)
            else:
                self._selector.modify(sock, want, (pair, s))
            pair.masks[s] = want

    def _finish(self, pair: _Pair, reason: str, err: int = 0) -> None:
        if pair.dead:
            return
        pair.dead = True
        for s, sock in enumerate(pair.socks):
            if pair.masks[s]:
                self._selector.unregister(sock)
                pair.masks[s] = 0
            if reason == "error":
                # A failed tunnel ends in a reset on the other side too.
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
                except OSError:
                    pass
            sock.close()
        pair.bufs = [None, None]
        self._pairs.discard(pair)
        with self._lock:
            self._count -= 1
        self._finished.append((pair, reason))

    def _deliver(self) -> None:
        done, self._finished = self._finished, []
        for pair, reason in done:
            _call(pair.on_done, pair.bytes[0], pair.bytes[1], reason)
