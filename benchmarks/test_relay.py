"""The egress proxy's byte relay: throughput of one loopback TCP stream relayed by the C
relay (csrc/relay.c; into loopback TCP it copies through a buffer that grows to 1 MiB,
which measured cheaper there than splice) and by its pure-Python twin, against the same
stream over one direct loopback connection, all measured in the same run.

Targets: the C relay at least 80 % of direct loopback throughput and at least 3x the Python
twin. Each round sends the same payload over each of the three paths in turn (a rotating
order, so that drift on this shared machine hits all alike); the figures are medians. The
two ends are Python threads using sendall and recv_into (both without the GIL), so a
relay shares the machine with the same sender and receiver in every case.

Throughput is bounded by the CPUs the sender, the relay and the receiver share (on a
two-CPU machine three busy threads contend), so the CPU time the relay's own thread spends
per GiB is given too: what the relay costs, whatever the machine. One bulk stream is
mostly the kernel's work (copies and TCP), the same whichever relay asks for it; what the
C relay saves is the interpreter's cost per event, so the second benchmark counts the
relay thread's CPU per small exchange over many tunnels at once.
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from conftest import note, record

from sandbox.net.relay import RelayBase, select_relay

PAYLOAD = 256 << 20
ROUNDS = 7
CHUNK = 1 << 20


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        near = socket.create_connection(listener.getsockname())
        far, _ = listener.accept()
    return near, far


DATA = memoryview(bytes(range(256)) * (PAYLOAD // 256))


def _stream(sender: socket.socket, receiver: socket.socket) -> float:
    """Seconds from the first byte sent to the end of stream received."""

    def send() -> None:
        sender.sendall(DATA)
        sender.shutdown(socket.SHUT_WR)

    buf = bytearray(CHUNK)
    got = 0
    thread = threading.Thread(target=send)
    start = time.perf_counter()
    thread.start()
    while n := receiver.recv_into(buf):
        got += n
    elapsed = time.perf_counter() - start
    thread.join()
    assert got == PAYLOAD
    return elapsed


def _direct() -> float:
    client, server = _tcp_pair()
    with client, server:
        return _stream(client, server)


def _thread_cpu(name: str) -> float:
    """CPU seconds (user and system) of the thread called ``name``."""
    thread = next(t for t in threading.enumerate() if t.name == name)
    with open(f"/proc/self/task/{thread.native_id}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _relayed(relay: RelayBase) -> Callable[[], float]:
    def run() -> float:
        client, a = _tcp_pair()
        b, server = _tcp_pair()
        done = threading.Event()
        relay.add(a, b, idle_timeout=0, on_done=lambda *_: done.set())
        with client, server:
            elapsed = _stream(client, server)
            server.shutdown(socket.SHUT_WR)
            assert done.wait(10)
        return elapsed

    return run


@pytest.fixture(scope="module")
def relays() -> Iterator[dict[str, RelayBase]]:
    made = {kind: select_relay(kind) for kind in ("native", "python")}
    for r in made.values():
        r.start()
    yield made
    for r in made.values():
        r.close()


@pytest.mark.benchmark(group="relay")
def test_relay_throughput_against_direct_loopback(benchmark, relays: dict[str, RelayBase]) -> None:
    paths: dict[str, Callable[[], float]] = {
        "direct": _direct,
        "native": _relayed(relays["native"]),
        "python": _relayed(relays["python"]),
    }
    for fn in paths.values():  # warm up: pipes, buffers, TCP autotuning
        fn()
    threads = {"native": "sandbox-relay", "python": "sandbox-relay-py"}
    times: dict[str, list[float]] = {name: [] for name in paths}
    cpu = dict.fromkeys(threads, 0.0)
    order = list(paths)
    for i in range(ROUNDS):
        for name in order[i % 3 :] + order[: i % 3]:
            before = _thread_cpu(threads[name]) if name in threads else 0.0
            times[name].append(paths[name]())
            if name in threads:
                cpu[name] += _thread_cpu(threads[name]) - before
    rate = {name: PAYLOAD / statistics.median(t) / 1e6 for name, t in times.items()}
    per_gib = {name: seconds / (ROUNDS * PAYLOAD / (1 << 30)) * 1e3 for name, seconds in cpu.items()}
    note(
        f"relay, one {PAYLOAD >> 20} MiB stream over loopback, median of {ROUNDS} rounds: "
        f"direct {rate['direct']:.0f} MB/s, native relay {rate['native']:.0f} MB/s, "
        f"python twin {rate['python']:.0f} MB/s"
    )
    note(
        f"relay ratios: native/direct {rate['native'] / rate['direct']:.2f} (target >= 0.80), "
        f"native/python {rate['native'] / rate['python']:.2f}x (target >= 3x)"
    )
    note(
        f"relay thread CPU per GiB relayed: native {per_gib['native']:.0f} ms, python twin "
        f"{per_gib['python']:.0f} ms ({per_gib['python'] / max(per_gib['native'], 1e-9):.1f}x)"
    )
    benchmark.extra_info.update({f"{name}_MBps": round(value) for name, value in rate.items()})
    benchmark.pedantic(paths["native"], rounds=3)
    record("relay_native", benchmark)


TUNNELS = 50
EXCHANGES = 200
MESSAGE = 1024


def _exchanges(relay: RelayBase) -> float:
    """Seconds for TUNNELS tunnels, each EXCHANGES round trips of MESSAGE bytes (the client
    sends, the server echoes), all at once."""
    ends = []
    for _ in range(TUNNELS):
        client, a = _tcp_pair()
        b, server = _tcp_pair()
        relay.add(a, b, idle_timeout=0)
        ends.append((client, server))
    message = bytes(MESSAGE)

    def echo(sock: socket.socket) -> None:
        buf = bytearray(MESSAGE)
        while n := sock.recv_into(buf):
            sock.sendall(memoryview(buf)[:n])

    def talk(sock: socket.socket) -> None:
        buf = bytearray(MESSAGE)
        for _ in range(EXCHANGES):
            sock.sendall(message)
            got = 0
            while got < MESSAGE:
                n = sock.recv_into(memoryview(buf)[got:])
                assert n
                got += n
        sock.shutdown(socket.SHUT_WR)

    servers = [threading.Thread(target=echo, args=(server,)) for _, server in ends]
    clients = [threading.Thread(target=talk, args=(client,)) for client, _ in ends]
    for t in servers:
        t.start()
    start = time.perf_counter()
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    elapsed = time.perf_counter() - start
    for t in servers:
        t.join()
    for client, server in ends:
        client.close()
        server.close()
    return elapsed


@pytest.mark.benchmark(group="relay")
def test_relay_cost_per_small_exchange(benchmark, relays: dict[str, RelayBase]) -> None:
    threads = {"native": "sandbox-relay", "python": "sandbox-relay-py"}
    for name in threads:  # warm up
        _exchanges(relays[name])
    times: dict[str, list[float]] = {name: [] for name in threads}
    cpu = dict.fromkeys(threads, 0.0)
    for i in range(ROUNDS):
        for name in list(threads)[i % 2 :] + list(threads)[: i % 2]:
            before = _thread_cpu(threads[name])
            times[name].append(_exchanges(relays[name]))
            cpu[name] += _thread_cpu(threads[name]) - before
    count = ROUNDS * TUNNELS * EXCHANGES
    per = {name: cpu[name] / count * 1e6 for name in threads}
    rate = {name: TUNNELS * EXCHANGES / statistics.median(t) for name, t in times.items()}
    note(
        f"relay, {TUNNELS} tunnels at once, each {EXCHANGES} round trips of {MESSAGE} B: "
        f"native {rate['native']:.0f} round trips/s, python twin {rate['python']:.0f} "
        f"({rate['native'] / rate['python']:.2f}x; the ends are Python threads in both)"
    )
    note(
        f"relay thread CPU per round trip: native {per['native']:.1f} us, python twin "
        f"{per['python']:.1f} us ({per['python'] / max(per['native'], 1e-9):.1f}x)"
    )
    benchmark.extra_info.update({f"{name}_us_per_round_trip": round(v, 1) for name, v in per.items()})
    benchmark.pedantic(_exchanges, args=(relays["native"],), rounds=1)
