"""With ``allowed_domains`` a Sandbox's commands reach the network only through the egress
proxy: a network namespace whose loopback holds the bridge to the proxy and nothing else.

The targets are the test's own HTTP servers on 127.0.0.2 (allowed by an entry naming the
address and port, which the internal-network floor requires) and 127.0.0.3 (not allowed).
Each attack runs unconfined first, where it reaches its target, then confined. The clients
are the tools agents use: curl, Python's urllib, and a raw socket that ignores the proxy
variables altogether."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from harness import Box, baseline, only_namespaces, pyop
from helpers.servers import http_answer, port_of, serve

from sandbox import Reason, Sandbox, UnsupportedError

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp, pytest.mark.userns]


class Server:
    """An HTTP server answering "reached", counting every connection made to it (a raw
    connect that sends nothing counts too)."""

    def __init__(self, address: str) -> None:
        self.hits = 0
        answer = http_answer(b"reached\n")

        def counted(conn: socket.socket) -> None:
            self.hits += 1
            answer(conn)

        self.listener = serve(address, counted)
        self.address, self.port = address, port_of(self.listener)

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}/"

    def counted_past(self, hits: int, within: float = 10.0) -> bool:
        """Whether the count goes past ``hits`` within ``within`` seconds: the server's thread
        counts a connection when it accepts it, which a loaded machine may do after the
        client that made it has exited."""
        deadline = time.monotonic() + within
        while self.hits <= hits and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.hits > hits


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    allowed, other = Server("127.0.0.2"), Server("127.0.0.3")
    yield allowed, other
    allowed.listener.close()
    other.listener.close()


@pytest.fixture
def proxied(box: Box, servers: tuple[Server, Server]) -> Iterator[Sandbox]:
    allowed, _ = servers
    with box.sandbox(allowed_domains=(f"{allowed.address}:{allowed.port}",)) as sandbox:
        yield sandbox


@only_namespaces
def test_curl_reaches_an_allowed_host_and_not_another(box: Box, proxied: Sandbox, servers) -> None:
    allowed, other = servers
    before = box.unconfined(["curl", "-sS", "-m", "5", other.url])
    baseline(before.stdout == "reached\n", "curl reaches the other host", before)
    assert proxied.run(["curl", "-sS", "-m", "5", allowed.url]).stdout == "reached\n"
    hits = other.hits
    denied = proxied.run(["curl", "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", other.url])
    assert denied.stdout == "403" and other.hits == hits
    assert [(e.host, e.allowed) for e in proxied.proxy.get_log()][-2:] == [("127.0.0.2", True), ("127.0.0.3", False)]


@only_namespaces
def test_urllib_reaches_an_allowed_host_and_not_another(box: Box, proxied: Sandbox, servers) -> None:
    allowed, other = servers
    fetch = "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end='')"
    before = box.unconfined(["python3", "-c", fetch, other.url])
    baseline(before.stdout == "reached\n", "urllib reaches the other host", before)
    assert proxied.run(["python3", "-c", fetch, allowed.url]).stdout == "reached\n"
    denied = proxied.run(["python3", "-c", fetch, other.url])
    assert denied.returncode != 0 and "403" in denied.stderr


@only_namespaces
@pytest.mark.parametrize("port_of", ["target", "bridge"])
def test_a_raw_socket_that_ignores_the_proxy_reaches_nothing(box: Box, proxied: Sandbox, servers, port_of) -> None:
    # Straight at the allowed host itself, past the proxy: on the target's own port (which
    # Landlock refuses) and on the bridge's port (which only the namespace's loopback has).
    allowed, _ = servers
    port = allowed.port if port_of == "target" else 3128
    attack = pyop(f"import socket; socket.create_connection(('{allowed.address}', {port}), timeout=3)")
    if port_of == "target":
        counted = allowed.hits
        before = box.unconfined(attack)
        baseline(before.stdout.strip() == "ok" and allowed.counted_past(counted), "a raw connect reaches the host",
                 before)
    hits = allowed.hits
    after = proxied.run(attack)
    assert after.returncode == 1
    assert after.stdout.strip() in ("errno 13 EACCES", "errno 111 ECONNREFUSED", "errno 101 ENETUNREACH")
    assert allowed.hits == hits


@only_namespaces
def test_udp_and_raw_sockets_are_refused(box: Box, proxied: Sandbox) -> None:
    for kind in ("SOCK_DGRAM", "SOCK_RAW"):
        proto = 0 if kind == "SOCK_DGRAM" else 1  # ICMP for the raw socket
        attack = pyop(f"import socket; socket.socket(socket.AF_INET, socket.{kind}, {proto})")
        if kind == "SOCK_DGRAM":
            before = box.unconfined(attack)
            baseline(before.stdout.strip() == "ok", "a UDP socket opens", before)
        assert proxied.run(attack).stdout.strip() == "errno 1 EPERM"


@only_namespaces
def test_names_are_not_resolved_inside(box: Box, proxied: Sandbox) -> None:
    # No resolver is reachable (UDP is refused and there is no route): a name cannot carry
    # data out through DNS; only the proxy resolves, and only names it allows.
    attack = pyop("import socket; socket.getaddrinfo('example.com', 80)")
    after = proxied.run(attack)
    assert after.returncode != 0


@only_namespaces
def test_the_proxy_variables_point_at_the_bridge(proxied: Sandbox) -> None:
    env = dict(line.split("=", 1) for line in proxied.run(["env"]).stdout.splitlines() if "=" in line)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        assert env[name] == "http://127.0.0.1:3128"
    assert env["NO_PROXY"] == "localhost,127.0.0.1,::1"
    assert "network-proxy-only" in proxied.run(["true"]).enforced


@pytest.mark.parametrize("box", [False], indirect=True, ids=["landlock-only"])
def test_without_namespaces_the_proxy_is_refused_not_bypassed(box: Box) -> None:
    # A TCP port rule alone cannot tell the proxy from a remote host on the same port.
    with pytest.raises(UnsupportedError) as caught:
        Sandbox(box.config(allowed_domains=("pypi.org",)))
    assert caught.value.reason is Reason.USERNS_BLOCKED


@only_namespaces
def test_a_flood_of_connections_to_the_bridge_leaves_the_sandbox_working(proxied: Sandbox) -> None:
    # Each connection held is two descriptors in the library's process: the proxy's cap
    # (a quarter of the descriptor limit) closes the excess, so the process keeps working.
    import threading

    flood = ("import socket, time\nheld = []\nfor _ in range(600):\n"
             "    try:\n        held.append(socket.create_connection(('127.0.0.1', 3128), timeout=2))\n"
             "    except OSError:\n        pass\ntime.sleep(3)\nprint(len(held))")
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(proxied.run(["python3", "-c", flood], timeout=60)))
    worker.start()
    import time

    time.sleep(1.5)
    assert proxied.run(["true"]).returncode == 0  # descriptors are still there for this
    worker.join()
    assert any("connections at once" in e.reason for e in proxied.proxy.get_log())
