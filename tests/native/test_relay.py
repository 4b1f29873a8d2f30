"""The egress proxy's byte relay: csrc/relay.c (``native``) and its pure-Python twin
(``python``) keep the same promises over real loopback sockets. Every behavioural test runs
against both: bytes cross both ways exactly, a half-close reaches the other side while the
other way stays open, a side that stops reading holds the sender back (bounded, without
spinning), a silent pair is closed at its idle timeout, a reset on one side resets the
other, many pairs at once stay apart, and close() ends everything. Then the selector and
the binding's errors."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import random
import resource
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from sandbox.errors import PolicyError, ProxyError, Reason, UnsupportedError
from sandbox.net import relay as relay_module
from sandbox.net.relay import RelayBase, select_relay

TIMEOUT = 20.0


@pytest.fixture(params=[pytest.param("native", marks=pytest.mark.native), "python"])
def relay(request: pytest.FixtureRequest) -> Iterator[RelayBase]:
    r = select_relay(str(request.param))
    assert r.name == request.param
    r.start()
    yield r
    r.close()


@pytest.fixture(params=[pytest.param("native", marks=pytest.mark.native), "python"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _listener(bufsize: int | None) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if bufsize:
        # Set before listen(): accepted sockets inherit it, and the window is sized by it.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener


def _tcp_pair(bufsize: int | None = None) -> tuple[socket.socket, socket.socket]:
    """A connected loopback TCP pair (connecting end, accepted end)."""
    with _listener(bufsize) as listener:
        near = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if bufsize:
            near.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
            near.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        near.connect(listener.getsockname())
        far, _ = listener.accept()
    for s in (near, far):
        s.settimeout(TIMEOUT)
    return near, far


@dataclass
class Tunnel:
    """client <-> (a | relay | b) <-> server; ``result`` holds on_done's arguments."""

    client: socket.socket
    server: socket.socket
    leg: str  # the client's leg: "tcp" or "unix"
    done: threading.Event = field(default_factory=threading.Event)
    result: list[tuple[int, int, str]] = field(default_factory=list)
    done_at: float = 0.0

    def on_done(self, a_to_b: int, b_to_a: int, reason: str) -> None:
        self.result.append((a_to_b, b_to_a, reason))
        self.done_at = time.monotonic()
        self.done.set()

    def outcome(self, timeout: float = TIMEOUT) -> tuple[int, int, str]:
        assert self.done.wait(timeout), "on_done was not called"
        assert len(self.result) == 1
        return self.result[0]


def _unix_pair(bufsize: int | None = None) -> tuple[socket.socket, socket.socket]:
    """A connected unix stream pair, as the sandbox's bridge reaches the proxy."""
    pair = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    for s in pair:
        if bufsize:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        s.settimeout(TIMEOUT)
    return pair


# The client's leg: loopback TCP (the C relay copies both ways) or a unix socket (the C
# relay splices towards the client and copies towards the server): each test meets both.
@pytest.fixture(params=["tcp", "unix"])
def tunnels(request: pytest.FixtureRequest) -> Iterator[Callable[..., Tunnel]]:
    made: list[Tunnel] = []
    client_pair = _unix_pair if request.param == "unix" else _tcp_pair

    def make(relay: RelayBase, *, idle_timeout: float = 0.0, bufsize: int | None = None) -> Tunnel:
        client, a = client_pair(bufsize)
        b, server = _tcp_pair(bufsize)
        tunnel = Tunnel(client, server, request.param)
        relay.add(a, b, idle_timeout=idle_timeout, on_done=tunnel.on_done)
        assert a.fileno() == -1 and b.fileno() == -1  # the relay owns them now
        made.append(tunnel)
        return tunnel

    yield make
    for t in made:
        t.client.close()
        t.server.close()


def _send_and_shut(sock: socket.socket, data: bytes) -> None:
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)


def _drain(sock: socket.socket) -> tuple[int, str]:
    """Read to the end of the stream: (bytes, sha256)."""
    digest = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    total = 0
    while True:
        n = sock.recv_into(buf)
        if n == 0:
            return total, digest.hexdigest()
        digest.update(view[:n])
        total += n


def _payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _is_reset(sock: socket.socket) -> bool:
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    return False


# ---------------------------------------------------------------------------------------
# Behaviour, against both relays


def test_bytes_cross_both_ways_exactly(relay: RelayBase, tunnels: Callable[..., Tunnel]) -> None:
    t = tunnels(relay)
    up, down = _payload(32 << 20, 1), _payload(8 << 20, 2)
    with ThreadPoolExecutor(4) as pool:
        sending = [pool.submit(_send_and_shut, t.client, up), pool.submit(_send_and_shut, t.server, down)]
        at_server, at_client = pool.submit(_drain, t.server), pool.submit(_drain, t.client)
        assert at_server.result(TIMEOUT) == (len(up), hashlib.sha256(up).hexdigest())
        assert at_client.result(TIMEOUT) == (len(down), hashlib.sha256(down).hexdigest())
        for f in sending:
            f.result(TIMEOUT)
    assert t.outcome() == (len(up), len(down), "done")
    assert relay.total_bytes == len(up) + len(down)
    assert relay.active == 0


@pytest.mark.parametrize("first", ["client", "server"])
def test_half_close_reaches_the_other_side_and_the_other_way_stays_open(
    relay: RelayBase, tunnels: Callable[..., Tunnel], first: str
) -> None:
    t = tunnels(relay)
    closer, other = (t.client, t.server) if first == "client" else (t.server, t.client)
    closer.sendall(b"request")
    closer.shutdown(socket.SHUT_WR)
    assert other.recv(100) == b"request"
    assert other.recv(100) == b""  # the end of the stream arrived, relayed
    assert not t.done.is_set()  # one way is still open
    reply = _payload(3 << 20, 3)
    with ThreadPoolExecutor(1) as pool:
        sent = pool.submit(_send_and_shut, other, reply)
        assert _drain(closer) == (len(reply), hashlib.sha256(reply).hexdigest())
        sent.result(TIMEOUT)
    ended = time.monotonic()
    outcome = t.outcome()
    assert outcome == ((7, len(reply), "done") if first == "client" else (len(reply), 7, "done"))
    assert t.done_at - ended < 0.25  # reported promptly, not at the next timeout


def test_a_side_that_stops_reading_holds_the_sender_back(relay: RelayBase, tunnels: Callable[..., Tunnel]) -> None:
    t = tunnels(relay, bufsize=64 * 1024)
    payload = _payload(16 << 20, 4)
    view = memoryview(payload)
    t.client.setblocking(False)
    sent = 0
    last = time.monotonic()
    # The server reads nothing: send until nothing has gone for half a second.
    while sent < len(payload) and time.monotonic() - last < 0.5:
        try:
            sent += t.client.send(view[sent : sent + 65536])
            last = time.monotonic()
        except BlockingIOError:
            select.select([], [t.client], [], 0.05)
    # Socket buffers of ~128 KiB each on four sockets and one bounded buffer per direction
    # in the relay: about 1 MiB is in flight, not the 16 MiB offered.
    assert 0 < sent < 4 << 20
    # While held back, the relay waits for the kernel; it does not spin.
    cpu = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - cpu < 0.2
    with pytest.raises(BlockingIOError):
        t.client.send(view[sent : sent + 65536])
    # Once the server reads, everything arrives, in order.
    t.client.setblocking(True)
    with ThreadPoolExecutor(1) as pool:
        rest = pool.submit(_send_and_shut, t.client, payload[sent:])
        assert _drain(t.server) == (len(payload), hashlib.sha256(payload).hexdigest())
        rest.result(TIMEOUT)
    t.server.shutdown(socket.SHUT_WR)
    assert t.outcome() == (len(payload), 0, "done")


def test_a_silent_pair_is_closed_at_its_idle_timeout(relay: RelayBase, tunnels: Callable[..., Tunnel]) -> None:
    start = time.monotonic()
    silent = tunnels(relay, idle_timeout=0.2)
    talking = tunnels(relay, idle_timeout=0.2)
    for _ in range(6):  # a byte every 0.1 s for 0.6 s: never idle for 0.2 s
        talking.client.sendall(b"x")
        assert talking.server.recv(1) == b"x"
        time.sleep(0.1)
    assert silent.outcome(2.0) == (0, 0, "idle")
    assert 0.2 <= silent.done_at - start < 1.0
    assert silent.client.recv(1) == b"" and silent.server.recv(1) == b""
    assert not talking.done.is_set()
    assert talking.outcome(2.0) == (6, 0, "idle")


def test_a_reset_on_one_side_resets_the_other_and_is_reported(relay: RelayBase, tunnels: Callable[..., Tunnel]) -> None:
    t = tunnels(relay)
    t.client.sendall(b"hello")
    assert t.server.recv(5) == b"hello"
    t.server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    t.server.close()  # a reset, not an end of stream
    assert t.outcome() == (5, 0, "error")
    if t.leg == "tcp":
        assert _is_reset(t.client)  # the client can tell the tunnel was cut, not completed
    else:
        # A unix socket has no reset to pass on: the client's leg just closes.
        assert t.client.recv(100) == b""


def test_many_pairs_at_once_stay_apart(relay: RelayBase, tunnels: Callable[..., Tunnel]) -> None:
    pairs = [tunnels(relay) for _ in range(200)]
    assert relay.active == 200

    def exchange(i: int) -> None:
        t = pairs[i]
        up, down = _payload(48 * 1024 + i, 100 + i), _payload(32 * 1024 + i, 1000 + i)
        _send_and_shut(t.client, up)
        assert _drain(t.server) == (len(up), hashlib.sha256(up).hexdigest())
        _send_and_shut(t.server, down)
        assert _drain(t.client) == (len(down), hashlib.sha256(down).hexdigest())

    with ThreadPoolExecutor(20) as pool:
        for f in [pool.submit(exchange, i) for i in range(len(pairs))]:
            f.result(TIMEOUT)
    for i, t in enumerate(pairs):
        assert t.outcome() == (48 * 1024 + i, 32 * 1024 + i, "done")
    assert relay.active == 0


def test_close_closes_every_pair_and_refuses_more(relay: RelayBase, tunnels: Callable[..., Tunnel]) -> None:
    pairs = [tunnels(relay) for _ in range(5)]
    pairs[0].client.sendall(b"in flight")
    assert pairs[0].server.recv(9) == b"in flight"
    relay.close()
    for t in pairs:
        assert t.done.is_set()  # reported before close() returned
        assert t.result == [(9 if t is pairs[0] else 0, 0, "closed")]
        assert t.client.recv(1) == b"" and t.server.recv(1) == b""
    assert relay.active == 0
    a, peer = _tcp_pair()
    b, peer2 = _tcp_pair()
    with pytest.raises(ProxyError):
        relay.add(a, b, idle_timeout=0)
    assert a.fileno() == -1 and peer.recv(1) == b""  # handed over, then closed
    relay.close()  # a second close does nothing
    for s in (peer, peer2):
        s.close()


def test_pairs_beyond_the_maximum_are_refused(request: pytest.FixtureRequest, kind: str) -> None:
    r = select_relay(kind, max_pairs=2)
    r.start()
    request.addfinalizer(r.close)
    ends: list[socket.socket] = []
    done = threading.Event()
    for _ in range(2):
        client, a = _tcp_pair()
        b, server = _tcp_pair()
        ends += [client, server]
        r.add(a, b, idle_timeout=0, on_done=lambda *_: done.set())
    client, a = _tcp_pair()
    b, server = _tcp_pair()
    with pytest.raises(ProxyError, match="maximum"):
        r.add(a, b, idle_timeout=0)
    assert client.recv(1) == b"" and server.recv(1) == b""  # refused sockets are closed
    ends[0].shutdown(socket.SHUT_WR)
    ends[1].shutdown(socket.SHUT_WR)
    assert done.wait(TIMEOUT)
    client, a = _tcp_pair()
    b, server = _tcp_pair()
    r.add(a, b, idle_timeout=0)  # a finished pair's place is free again
    assert r.active == 2
    for s in [*ends, client, server]:
        s.close()


def test_without_spare_descriptors_it_copies_instead_of_splicing(
    relay: RelayBase, tunnels: Callable[..., Tunnel]
) -> None:
    t = tunnels(relay)
    # No descriptor can be opened meanwhile, so the C relay gets no pipe (EMFILE) and copies
    # through memory, as the twin always does.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    up, down = _payload(4 << 20, 5), _payload(2 << 20, 6)
    highest = max(t.client.fileno(), t.server.fileno(), *(int(fd) for fd in os.listdir("/proc/self/fd")))
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, hard))
    fillers: list[int] = []
    try:
        while True:  # the free numbers below the limit too
            try:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
            except OSError as exc:
                assert exc.errno == errno.EMFILE
                break
        results: dict[str, tuple[int, str]] = {}
        threads = [
            threading.Thread(target=_send_and_shut, args=(t.client, up)),
            threading.Thread(target=_send_and_shut, args=(t.server, down)),
            threading.Thread(target=lambda: results.__setitem__("server", _drain(t.server))),
            threading.Thread(target=lambda: results.__setitem__("client", _drain(t.client))),
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join(TIMEOUT)
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert results == {
        "server": (len(up), hashlib.sha256(up).hexdigest()),
        "client": (len(down), hashlib.sha256(down).hexdigest()),
    }
    assert t.outcome() == (len(up), len(down), "done")


def _pipes() -> int:
    """Pipes this process holds open (a pipe's two ends count once)."""
    seen = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # the listing's own descriptor, now closed
            seen.add(os.readlink(f"/proc/self/fd/{fd}"))
    return sum(name.startswith("pipe:") for name in seen)


@pytest.mark.native
@pytest.mark.parametrize("leg", ["tcp", "unix"])
def test_the_c_relay_splices_into_unix_sockets_and_copies_into_loopback_tcp(leg: str) -> None:
    # Measured (csrc/relay.c, top): splice into loopback TCP costs more CPU per byte than a
    # copy, into a unix socket less. Seen from outside: bytes held back on their way to the
    # client wait in a pipe only on a unix leg.
    relay = select_relay("native")
    relay.start()
    try:
        client, a = (_unix_pair if leg == "unix" else _tcp_pair)(64 * 1024)
        b, server = _tcp_pair(64 * 1024)
        before = _pipes()
        relay.add(a, b, idle_timeout=0)
        server.setblocking(False)
        view = memoryview(_payload(8 << 20, 9))
        sent, last = 0, time.monotonic()
        while time.monotonic() - last < 0.5:  # the client reads nothing
            try:
                sent += server.send(view[sent : sent + 65536])
                last = time.monotonic()
            except BlockingIOError:
                select.select([], [server], [], 0.05)
        assert sent > 0
        assert _pipes() - before == (1 if leg == "unix" else 0)
        client.close()
        server.close()
    finally:
        relay.close()


def test_a_failing_callback_does_not_stop_the_relay(relay: RelayBase, tunnels: Callable[..., Tunnel]) -> None:
    failed = threading.Event()

    def broken(*_: object) -> None:
        failed.set()
        raise RuntimeError("a bug in the proxy's callback")

    client, a = _tcp_pair()
    b, server = _tcp_pair()
    relay.add(a, b, idle_timeout=0, on_done=broken)
    client.shutdown(socket.SHUT_WR)
    server.shutdown(socket.SHUT_WR)
    assert failed.wait(TIMEOUT)
    t = tunnels(relay)
    t.client.sendall(b"still relaying")
    assert t.server.recv(100) == b"still relaying"
    for s in (client, server):
        s.close()


# ---------------------------------------------------------------------------------------
# The selector


@pytest.mark.native
def test_the_native_relay_is_chosen_where_it_is_built() -> None:
    assert relay_module.backend() == "native"
    r = select_relay()
    assert r.name == "native"
    r.close()
    r = select_relay("python")
    assert r.name == "python"
    r.close()


def test_without_the_native_module_the_twin_is_chosen_and_native_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relay_module, "native", None)
    assert relay_module.backend() == "python"
    r = select_relay()
    assert r.name == "python"
    r.close()
    with pytest.raises(UnsupportedError) as caught:
        select_relay("native")
    assert caught.value.reason is Reason.NATIVE_MISSING


def test_bad_choices_are_policy_errors() -> None:
    with pytest.raises(PolicyError):
        select_relay("fast")
    with pytest.raises(PolicyError):
        select_relay("python", max_pairs=0)
    r = select_relay("python")
    client, a = _tcp_pair()
    b, server = _tcp_pair()
    with pytest.raises(PolicyError):
        r.add(a, b, idle_timeout=-1)
    assert client.recv(1) == b""  # handed over, then closed
    r.close()
    for s in (client, server):
        s.close()


# ---------------------------------------------------------------------------------------
# The binding


@pytest.fixture
def binding() -> Any:
    module = relay_module.native
    if module is None:  # the native marker has skipped the test already
        raise AssertionError("sandbox._native._relay is not built")
    return module


@pytest.mark.native
def test_binding_errors_map_to_exceptions(binding: Any) -> None:
    Relay = binding.Relay
    for bad in (0, binding.MAX_PAIRS + 1):
        with pytest.raises(ValueError):
            Relay(bad)
    r = Relay(1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rfd, wfd = os.pipe()
    x, y = _tcp_pair()
    try:
        with pytest.raises(OSError) as caught:
            r.add(-1, x.fileno())
        assert caught.value.errno == errno.EBADF
        with pytest.raises(OSError) as caught:
            r.add(rfd, wfd)
        assert caught.value.errno == errno.ENOTSOCK
        with pytest.raises(OSError) as caught:
            r.add(udp.fileno(), x.fileno())
        assert caught.value.errno == errno.EPROTOTYPE
        with pytest.raises(ValueError):
            r.add(x.fileno(), x.fileno())
        p, q = _tcp_pair()
        r.add(p.detach(), q.detach(), 0)
        with pytest.raises(ProxyError, match="maximum"):
            r.add(x.fileno(), y.fileno())
        os.fstat(x.fileno())  # a refused add leaves the descriptors with the caller
        r.stop()
        assert r.run() is False  # stopped: returns at once, ever after
        assert r.close_all() == 1
        assert r.finished() == [(1, 0, 0, "closed", 0)]
        r.close()
        r.close()
        with pytest.raises(ValueError, match="closed"):
            r.add(x.fileno(), y.fileno())
        with pytest.raises(ValueError, match="closed"):
            r.run()
        assert r.finished() == [] and r.active == 0
    finally:
        for s in (udp, x, y):
            s.close()
        os.close(rfd)
        os.close(wfd)


@pytest.mark.native
def test_binding_reports_the_errno_and_runs_on_one_thread_only(binding: Any) -> None:
    r = binding.Relay()
    returned: list[bool] = []
    runner = threading.Thread(target=lambda: returned.append(r.run()))
    runner.start()
    client, a = _tcp_pair()
    b, server = _tcp_pair()
    pair_id = r.add(a.detach(), b.detach(), 0)
    time.sleep(0.05)
    with pytest.raises(RuntimeError):
        r.run()  # the loop is already running on another thread
    with pytest.raises(RuntimeError):
        r.close_all()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()
    runner.join(TIMEOUT)
    assert returned == [True]  # it returned because a pair finished
    assert r.finished() == [(pair_id, 0, 0, "error", errno.ECONNRESET)]
    assert _is_reset(client)
    r.close()
    client.close()


@pytest.mark.native
def test_binding_close_while_running_stops_the_loop(binding: Any) -> None:
    r = binding.Relay()
    returned: list[bool] = []
    runner = threading.Thread(target=lambda: returned.append(r.run()))
    runner.start()
    client, a = _tcp_pair()
    b, server = _tcp_pair()
    r.add(a.detach(), b.detach(), 0)
    time.sleep(0.05)
    r.close()  # the running loop frees the relay on its way out, closing the pair
    runner.join(TIMEOUT)
    assert returned == [False]
    assert client.recv(1) == b"" and server.recv(1) == b""
    for s in (client, server):
        s.close()
