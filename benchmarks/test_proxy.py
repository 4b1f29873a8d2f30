"""The standalone egress proxy (`sandbox proxy`, a separate process) under load, and what
it adds: 1,000 concurrent tunnels opened by a load script on loopback (errors and the
proxy's memory), the set-up time of a tunnel against a direct connection, and bytes per
second through a tunnel against a direct loopback connection, with the C relay and with
the pure-Python twin.

Targets (issue 4): the 1,000 tunnels with no error and bounded memory; the C relay at
least 80 % of direct loopback throughput and at least 3x the Python twin. The share of the
machine's CPUs busy during each stream is printed beside them: from it, what 80 % of
direct would take of this machine, and where 3x the twin lies against direct itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import interleave, note

SANDBOX = str(Path(sys.executable).with_name("sandbox"))
TUNNELS = 1000
PAYLOAD = 256 << 20
ROUNDS = 5


def _raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class _Proxy:
    def __init__(self, *args: str) -> None:
        _raise_fd_limit()  # inherited by the proxy: 1,000 tunnels are 2,000 descriptors there
        self.proc = subprocess.Popen([SANDBOX, "proxy", *args], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        first = json.loads(self.proc.stdout.readline())
        host, _, port = first["listening"].rpartition(":")
        self.address = (host, int(port))
        self.relay = first["relay"]
        self.decisions: list[dict[str, object]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.decisions.append(json.loads(line))

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _server(handler) -> tuple[socket.socket, int]:
    listener = socket.create_server(("127.0.0.2", 0), backlog=4096)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


def _echo(conn: socket.socket) -> None:
    with conn:
        try:
            while data := conn.recv(65536):
                conn.sendall(data)
        except OSError:
            pass


def _sink(conn: socket.socket) -> None:
    with conn:
        total = 0
        while data := conn.recv(1 << 20):
            total += len(data)
        conn.sendall(str(total).encode())


@pytest.fixture(scope="module")
def echo() -> Iterator[int]:
    listener, port = _server(_echo)
    yield port
    listener.close()


def _tunnel(proxy: tuple[str, int], port: int) -> socket.socket:
    s = socket.create_connection(proxy)
    s.sendall(f"CONNECT 127.0.0.2:{port} HTTP/1.1\r\nHost: 127.0.0.2:{port}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200"), answer
    return s


def test_thousand_concurrent_tunnels(echo: int) -> None:
    _raise_fd_limit()
    proxy = _Proxy("--allow", "127.0.0.2")
    try:
        idle = proxy.rss_kib()
        errors: list[str] = []

        async def one(i: int, opened: asyncio.Event, count: list[int]) -> None:
            try:
                reader, writer = await asyncio.open_connection(*proxy.address)
                writer.write(f"CONNECT 127.0.0.2:{echo} HTTP/1.1\r\nHost: 127.0.0.2:{echo}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    errors.append(head.decode(errors="replace"))
                    return
                count[0] += 1
                if count[0] == TUNNELS:
                    opened.set()
                await opened.wait()  # all 1,000 open at once before any carries data
                message = os.urandom(4096)
                writer.write(message)
                back = await reader.readexactly(len(message))
                if back != message:
                    errors.append(f"tunnel {i}: bytes changed")
                writer.close()
            except Exception as exc:  # every failure counts, whatever it is
                errors.append(f"tunnel {i}: {exc!r}")

        async def all_of_them() -> int:
            opened, count = asyncio.Event(), [0]
            tasks = [asyncio.create_task(one(i, opened, count)) for i in range(TUNNELS)]
            await asyncio.wait_for(opened.wait(), 120)
            peak = proxy.rss_kib()
            await asyncio.wait_for(asyncio.gather(*tasks), 120)
            return peak

        start = time.perf_counter()
        peak = asyncio.run(all_of_them())
        elapsed = time.perf_counter() - start
        time.sleep(1)
        after = proxy.rss_kib()
        assert not errors, errors[:5]
        assert proxy.proc.poll() is None
        note(f"{TUNNELS} concurrent tunnels through `sandbox proxy` ({proxy.relay} relay): 0 errors in "
             f"{elapsed:.1f} s; proxy RSS {idle / 1024:.0f} MiB idle, {peak / 1024:.0f} MiB with all open, "
             f"{after / 1024:.0f} MiB after")
    finally:
        proxy.stop()


def test_tunnel_set_up_time(echo: int) -> None:
    proxy = _Proxy("--allow", "127.0.0.2")
    try:
        def direct() -> None:
            with socket.create_connection(("127.0.0.2", echo)) as s:
                s.sendall(b"x")
                s.recv(1)

        def through() -> None:
            with _tunnel(proxy.address, echo) as s:
                s.sendall(b"x")
                s.recv(1)

        ours, plain = interleave("tunnel set-up + 1-byte echo vs direct", through, direct, 200)
        note(f"tunnel set-up and a 1-byte echo: {ours * 1e3:.2f} ms through the proxy vs {plain * 1e3:.2f} ms "
             f"direct: the proxy adds {(ours - plain) * 1e3:.2f} ms")
    finally:
        proxy.stop()


def _busy() -> tuple[int, int]:
    """The machine's CPU time so far, (all, idle), in clock ticks summed over its CPUs."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks), ticks[3] + ticks[4]  # idle and iowait


def _throughput(address: tuple[str, int] | None, port: int) -> tuple[float, float]:
    """Seconds to push PAYLOAD bytes to the sink and hear its count back, and the share of
    the machine's CPUs busy meanwhile (its two ends, the relay, and the kernel's work)."""
    chunk = os.urandom(1 << 20)
    s = _tunnel(address, port) if address is not None else socket.create_connection(("127.0.0.2", port))
    with s:
        all0, idle0 = _busy()
        start = time.perf_counter()
        for _ in range(PAYLOAD // len(chunk)):
            s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)
        assert int(s.recv(64)) == PAYLOAD
        elapsed = time.perf_counter() - start
        all1, idle1 = _busy()
        return elapsed, 1 - (idle1 - idle0) / max(1, all1 - all0)


def test_tunnel_throughput_native_python_and_direct() -> None:
    listener, port = _server(_sink)
    native = _Proxy("--allow", "127.0.0.2", "--relay", "native")
    python = _Proxy("--allow", "127.0.0.2", "--relay", "python")
    try:
        paths = {"direct": None, "native": native.address, "python": python.address}
        for address in paths.values():  # warm up: TCP autotuning, the relays' buffers
            _throughput(address, port)
        rounds: dict[str, list[float]] = {name: [] for name in paths}
        busy: dict[str, list[float]] = {name: [] for name in paths}
        order = list(paths)
        for i in range(ROUNDS):  # a rotating order: drift on this shared machine hits all alike
            for name in order[i % 3 :] + order[: i % 3]:
                elapsed, share = _throughput(paths[name], port)
                rounds[name].append(elapsed)
                busy[name].append(share)
        best = {k: PAYLOAD / statistics.median(v) / 1e6 for k, v in rounds.items()}
        cpu = {k: statistics.median(v) for k, v in busy.items()}
        ratio_direct = best["native"] / best["direct"]
        ratio_twin = best["native"] / best["python"]
        note(f"throughput through a CONNECT tunnel ({PAYLOAD >> 20} MiB, median of {ROUNDS} rounds): "
             f"C relay {best['native']:.0f} MB/s, Python twin {best['python']:.0f} MB/s, "
             f"direct loopback {best['direct']:.0f} MB/s: C relay {ratio_direct:.0%} of direct "
             f"(target >= 80%), {ratio_twin:.1f}x the twin (target >= 3x)")
        # What this machine allows: a tunnel's bytes cross two loopback connections, so it
        # costs more CPU per byte than one direct connection, and three busy threads share the
        # CPUs the two ends of a direct one have to themselves. From the CPU time per byte
        # measured here, the CPUs 80 % of direct would take through the tunnel; and 3x the twin
        # against direct itself, which no relay can beat.
        cpus = os.cpu_count() or 1
        per_mb = {k: cpu[k] * cpus / best[k] for k in paths}  # CPU-seconds per MB
        note(f"CPUs busy while streaming ({cpus} here): direct {cpu['direct']:.0%}, C relay {cpu['native']:.0%}, "
             f"Python twin {cpu['python']:.0%}; CPU per byte through the C relay's tunnel "
             f"{per_mb['native'] / per_mb['direct']:.1f}x direct's, so 80% of direct would take "
             f"{0.8 * best['direct'] * per_mb['native']:.1f} CPUs; 3x the twin would be "
             f"{3 * best['python'] / best['direct']:.0%} of direct loopback")
    finally:
        native.stop()
        python.stop()
        listener.close()


def test_against_proxy_py_when_given() -> None:
    """The same stream through proxy.py (PyPI), when SANDBOX_BENCH_PROXY_PY names its `proxy`
    program (install it in a separate environment: it pins its own dependencies)."""
    program = os.environ.get("SANDBOX_BENCH_PROXY_PY")
    if not program:
        note("proxy.py: not measured (set SANDBOX_BENCH_PROXY_PY to its `proxy` program)")
        return
    listener, port = _server(_sink_counting)
    ours = _Proxy("--allow", "127.0.0.2")
    probe = socket.create_server(("127.0.0.1", 0))
    theirs_port = probe.getsockname()[1]
    probe.close()
    theirs = subprocess.Popen([program, "--hostname", "127.0.0.1", "--port", str(theirs_port), "--num-workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", theirs_port)):
                break
            time.sleep(0.1)
        ours_best = min(_throughput_counted(ours.address, port) for _ in range(3))
        theirs_best = min(_throughput_counted(("127.0.0.1", theirs_port), port) for _ in range(3))
        note(f"against proxy.py ({PAYLOAD >> 20} MiB through CONNECT, best of 3): sandbox proxy "
             f"{PAYLOAD / ours_best / 1e6:.0f} MB/s, proxy.py {PAYLOAD / theirs_best / 1e6:.0f} MB/s: "
             f"{theirs_best / ours_best:.1f}x")
    finally:
        theirs.terminate()
        theirs.wait(10)
        ours.stop()
        listener.close()


def _sink_counting(conn: socket.socket) -> None:
    # Answers once PAYLOAD bytes arrived, without waiting for EOF: proxy.py does not pass a
    # half-close on.
    with conn:
        total = 0
        while total < PAYLOAD and (data := conn.recv(1 << 20)):
            total += len(data)
        conn.sendall(str(total).encode())


def _throughput_counted(address: tuple[str, int], port: int) -> float:
    chunk = os.urandom(1 << 20)
    with _tunnel(address, port) as s:
        start = time.perf_counter()
        for _ in range(PAYLOAD // len(chunk)):
            s.sendall(chunk)
        assert int(s.recv(64)) == PAYLOAD
        return time.perf_counter() - start
