"""A container's only way out is the egress proxy: no interface but loopback, and the agent's
tunnel from 127.0.0.1:3128 inside to the proxy's address on this machine.

A real HTTP server on this machine's loopback stands in for the proxy (the egress issue's
NetworkProxy plugs in the same way: ``proxy=NetworkProxy(...).start()``)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from helpers.servers import echo as echo_handler
from helpers.servers import http_answer, port_of, serve

from sandbox import ContainerSandbox

pytestmark = pytest.mark.docker


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = b"through the proxy\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    """A forward proxy stand-in on loopback: answers every request, records its target."""
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def echo() -> Iterator[str]:
    """A TCP echo server on loopback that half-closes after echoing everything."""
    listener = serve("127.0.0.1", echo_handler)
    yield f"127.0.0.1:{port_of(listener)}"
    listener.close()


@pytest.fixture
def host_service() -> Iterator[int]:
    """A service on every interface of this machine: what a container must not reach."""
    listener = serve("0.0.0.0", lambda conn: conn.sendall(b"host secret\n"))
    yield port_of(listener)
    listener.close()


def _gateway(client) -> str:
    """This machine's address on Docker's bridge, the gateway of a container on it. Docker
    records it in the network's IPAM config when it made the bridge itself; a daemon started
    on a docker0 left by an earlier one records only the subnet, and the address is read
    from the interface (SIOCGIFADDR)."""
    network = client.networks.get("bridge").attrs
    config = network["IPAM"]["Config"][0]
    if "Gateway" in config:
        return str(config["Gateway"])
    name = network["Options"]["com.docker.network.bridge.name"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        answer = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name.encode()))  # SIOCGIFADDR
    return socket.inet_ntoa(answer[20:24])  # the sockaddr_in's address, after the name and family


def test_a_host_service_is_out_of_reach(
    project, busybox_image, docker_client, docker_label, host_service, proxy
) -> None:
    reach = f"nc -w 3 {_gateway(docker_client)} {host_service} </dev/null"
    plain = docker_client.containers.run(busybox_image, ["sh", "-c", reach], remove=True, labels={docker_label: "1"})
    assert plain == b"host secret\n"  # an ordinary container reaches it through the bridge
    address, _ = proxy
    with ContainerSandbox(project, image=busybox_image, proxy=address, labels={docker_label: "1"}) as box:
        done = box.exec(reach, timeout=20)
        assert done.exit_code != 0 and "Network is unreachable" in done.stderr


def test_http_goes_through_the_proxy(project, busybox_image, docker_label, proxy) -> None:
    address, seen = proxy
    with ContainerSandbox(project, image=busybox_image, proxy=address, labels={docker_label: "1"}) as box:
        assert box.exec_path == "agent"
        done = box.exec("wget -q -O- http://pypi.example/simple/", timeout=20)
        assert done.stdout == "through the proxy\n", done.stderr
        assert seen == ["http://pypi.example/simple/"]


def test_tunnel_carries_large_streams_both_ways(project, busybox_image, docker_label, echo) -> None:
    data = os.urandom(8 << 20)
    (project / "blob").write_bytes(data)
    with ContainerSandbox(project, image=busybox_image, proxy=echo, labels={docker_label: "1"}) as box:
        done = box.exec("nc 127.0.0.1 3128 < blob > back", timeout=120)
        assert done.exit_code == 0, done.stderr
    assert hashlib.sha256((project / "back").read_bytes()).digest() == hashlib.sha256(data).digest()


def test_tunnelled_connections_run_side_by_side(project, busybox_image, docker_label, echo) -> None:
    with ContainerSandbox(project, image=busybox_image, proxy=echo, labels={docker_label: "1"}) as box:
        script = "for i in $(seq 12); do (echo conn-$i | nc 127.0.0.1 3128 > out-$i) & done; wait; cat out-*"
        done = box.exec(script, timeout=60)
        assert sorted(done.stdout.split()) == sorted(f"conn-{i}" for i in range(1, 13))


def test_an_absent_proxy_closes_the_connection(project, busybox_image, docker_label) -> None:
    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()  # nothing listens there now
    with ContainerSandbox(project, image=busybox_image, proxy=f"127.0.0.1:{port}", labels={docker_label: "1"}) as box:
        done = box.exec("echo x | nc 127.0.0.1 3128; echo after", timeout=30)
        assert not done.timed_out and done.stdout.endswith("after\n")


@pytest.mark.gvisor
def test_tunnel_works_under_gvisor(project, busybox_image, docker_label, proxy) -> None:
    address, seen = proxy
    with ContainerSandbox(project, image=busybox_image, proxy=address, isolation="maximum",
                          labels={docker_label: "1"}) as box:
        assert box.exec("wget -q -O- http://gvisor.example/", timeout=30).stdout == "through the proxy\n"
        assert seen == ["http://gvisor.example/"]


def test_the_egress_proxy_decides_for_the_container(project, busybox_image, docker_label) -> None:
    """End to end with the library's own NetworkProxy: an allowed target answers, a refused
    one gets the proxy's 403, and the internal network stays out of reach."""
    from sandbox import NetworkProxy, ProxyConfig

    target = serve("127.0.0.2", http_answer(b"allowed\n"))
    port = port_of(target)
    config = ProxyConfig(allowed_domains=(f"127.0.0.2:{port}",))
    try:
        with NetworkProxy(config) as egress, ContainerSandbox(
            project, image=busybox_image, proxy=f"127.0.0.1:{egress.port}", labels={docker_label: "1"}
        ) as box:
            assert box.exec(f"wget -q -O- http://127.0.0.2:{port}/", timeout=30).stdout == "allowed\n"
            refused = box.exec("wget -q -O- http://pastebin.example/ 2>&1; echo rc=$?", timeout=30)
            assert "403" in refused.stdout and "rc=1" in refused.stdout
            inner = box.exec("wget -q -O- http://169.254.169.254/latest/meta-data/ 2>&1; echo rc=$?", timeout=30)
            assert "403" in inner.stdout
            decisions = [(e.host, e.allowed) for e in egress.get_log()]
            assert ("127.0.0.2", True) in decisions and ("pastebin.example", False) in decisions
    finally:
        target.close()
