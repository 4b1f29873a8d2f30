"""The Docker probe is bounded in time, cached, and reads runtimes from the Engine API.

A real daemon is tested in tests/docker; here local stand-ins show what a real daemon cannot:
a DOCKER_HOST that accepts connections and never answers, and a daemon that lists runsc.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import host as host_mod
from sandbox.errors import Reason


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    host_mod._docker_cache.clear()
    yield
    host_mod._docker_cache.clear()


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A TCP listener that accepts and never says a word."""
    srv = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    srv.close()


def fake_daemon(path: Path, runtimes: dict[str, object]) -> threading.Thread:
    """Answers /_ping and /info on a unix socket, as the Engine API does, for a few requests."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(8)
    srv.settimeout(5)

    def serve() -> None:
        with srv:
            for _ in range(8):
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                with conn:
                    request = conn.recv(4096).decode()
                    if request.startswith("GET /_ping "):
                        body = b"OK"
                    else:
                        body = json.dumps({"ServerVersion": "99.0", "Runtimes": runtimes}).encode()
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_black_hole_docker_host_costs_at_most_the_timeout(black_hole: str, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", black_hole)
    start = time.monotonic()
    assert host_mod.docker_available() is False
    # The ping is bounded at 1 s; the margin is for a loaded machine, not for a second wait.
    assert time.monotonic() - start < 1.9


def test_unreachable_daemon_is_reported_with_its_reason(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    cap, _ = host_mod._docker_state()
    assert cap.available is False
    assert cap.reason is Reason.DOCKER_UNREACHABLE


def test_answer_is_cached_briefly(black_hole: str, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", black_hole)
    host_mod.docker_available()
    start = time.monotonic()
    for _ in range(100):
        assert host_mod.docker_available() is False
    assert time.monotonic() - start < 0.5


def test_unsupported_docker_host_scheme_is_unreachable_not_a_crash(monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "ssh://user@host")
    cap, _ = host_mod._docker_state()
    assert (cap.available, cap.reason) == (False, Reason.DOCKER_UNREACHABLE)
    assert "unix:// and tcp://" in cap.detail


def test_daemon_listing_runsc_gives_gvisor_args(tmp_path: Path, monkeypatch) -> None:
    sock = tmp_path / "docker.sock"
    fake_daemon(sock, {"runc": {"path": "runc"}, "gvisor": {"path": "/usr/bin/runsc"}})
    monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
    assert host_mod.docker_available() is True
    assert host_mod.gvisor_available() is True
    assert host_mod.gvisor_docker_args() == ["--runtime=gvisor"]


def test_daemon_without_runsc_gives_no_gvisor_args(tmp_path: Path, monkeypatch) -> None:
    sock = tmp_path / "docker.sock"
    fake_daemon(sock, {"runc": {"path": "runc"}})
    monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
    assert host_mod.docker_available() is True
    assert host_mod.gvisor_available() is False
    assert host_mod.gvisor_docker_args() == []
