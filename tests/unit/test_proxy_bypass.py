"""Attempts to get past the egress proxy in allowlist mode, against real target servers on
127.0.0.x and a resolver the tests control (it can lie, fail, and count its lookups).

The targets are on loopback, which the internal-network floor refuses unless an allow
entry names the address itself: the allowlist names 127.0.0.2 and 127.0.0.3 for that
reason, and the attacks aim at other spellings and other addresses. Every case runs with
both relays (the C one where built, and the Python twin)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from helpers.servers import echo, http_answer, port_of, serve
from helpers.tls import client_hello

from sandbox.net.config import ProxyConfig
from sandbox.net.proxy import NetworkProxy


@dataclass
class Target:
    """A plain-HTTP server and a raw echo server on one loopback address."""

    address: str
    name: str
    requests: list[bytes] = field(default_factory=list)
    http_port: int = 0
    echo_port: int = 0

    def start(self) -> None:
        self._sockets = [serve(self.address, http_answer(f"I am {self.name}\n".encode(), self.requests)),
                         serve(self.address, echo)]
        self.http_port, self.echo_port = (port_of(s) for s in self._sockets)

    def stop(self) -> None:
        for s in self._sockets:
            s.close()


class Resolver:
    """name -> addresses (a list, or a list of lists served in turn), counting lookups."""

    def __init__(self, table: dict[str, object]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answer = self.table.get(host)
        if isinstance(answer, Exception):
            raise answer
        if answer is None:
            raise OSError(f"NXDOMAIN {host}")
        if answer and isinstance(answer[0], list):  # type: ignore[index]
            return answer.pop(0)  # type: ignore[union-attr,no-any-return]
        return list(answer)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def targets() -> Iterator[tuple[Target, Target]]:
    good, other = Target("127.0.0.2", "good"), Target("127.0.0.3", "other")
    good.start()
    other.start()
    yield good, other
    good.stop()
    other.stop()


@pytest.fixture(params=[pytest.param("native", marks=pytest.mark.native), "python"])
def relay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _make(relay: str, targets, **config: object) -> tuple[NetworkProxy, Resolver]:
    good, _ = targets
    resolver = Resolver({
        "allowed.test": ["127.0.0.2"], "sub.wild.test": ["127.0.0.2"], "wild.test": ["127.0.0.2"],
        "other.test": ["127.0.0.3"], "private.test": ["10.0.0.5"], "mixed.test": ["127.0.0.2", "10.0.0.5"],
        "metadata-alias.test": ["169.254.169.254"], "error.test": OSError("SERVFAIL"),
        "garbage.test": ["not-an-address"], "empty.test": [], "v6.test": ["::1"],
    })
    settings: dict[str, object] = {
        "allowed_domains": ("allowed.test", "*.wild.test", "other.test", "private.test", "mixed.test",
                            "metadata-alias.test", "error.test", "garbage.test", "empty.test", "v6.test",
                            "rebind.test", "127.0.0.2", "127.0.0.3"),
        "tls_ports": (good.echo_port,), "header_timeout": 1.0,
    }
    settings.update(config)
    return NetworkProxy(ProxyConfig(**settings), resolver=resolver, relay=relay), resolver  # type: ignore[arg-type]


@pytest.fixture
def proxy(relay: str, targets) -> Iterator[tuple[NetworkProxy, Resolver, Target, Target]]:
    p, resolver = _make(relay, targets)
    p.start()
    yield p, resolver, *targets
    p.stop()


def _send(p: NetworkProxy, data: bytes, *, wait: float = 5.0) -> bytes:
    """Send raw bytes to the proxy; everything it answers until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", p.port or 0), timeout=wait) as s:
        s.sendall(data)
        out = b""
        with contextlib.suppress(socket.timeout, ConnectionResetError):
            while chunk := s.recv(65536):
                out += chunk
        return out


def _get(p: NetworkProxy, target: str, host: str | None = None, extra: str = "") -> bytes:
    host_line = f"Host: {host}\r\n" if host is not None else ""
    return _send(p, f"GET {target} HTTP/1.1\r\n{host_line}{extra}Connection: close\r\n\r\n".encode())


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _connect(p: NetworkProxy, host: str, port: int) -> tuple[socket.socket, int]:
    s = socket.create_connection(("127.0.0.1", p.port or 0), timeout=5)
    s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = s.recv(4096)
        if not chunk:
            break
        answer += chunk
    return s, _status(answer)


# -- what must work -----------------------------------------------------------------------


def test_allowed_name_is_forwarded(proxy) -> None:
    p, resolver, good, _ = proxy
    answer = _get(p, f"http://allowed.test:{good.http_port}/x", f"allowed.test:{good.http_port}")
    assert _status(answer) == 200 and answer.endswith(b"I am good\n")
    assert resolver.lookups == ["allowed.test"]


def test_case_and_trailing_dot_are_the_same_name(proxy) -> None:
    p, _, good, _ = proxy
    answer = _get(p, f"http://ALLOWED.Test.:{good.http_port}/", f"ALLOWED.Test.:{good.http_port}")
    assert answer.endswith(b"I am good\n")


def test_allowed_tunnel_carries_bytes(proxy) -> None:
    p, _, _, other = proxy
    s, status = _connect(p, "other.test", other.echo_port)  # not a TLS port for this proxy
    with s:
        assert status == 200
        s.sendall(b"ping through the tunnel")
        assert s.recv(100) == b"ping through the tunnel"


def test_tls_tunnel_with_matching_server_name(proxy) -> None:
    p, _, good, _ = proxy
    s, status = _connect(p, "allowed.test", good.echo_port)
    with s:
        assert status == 200
        hello = client_hello("allowed.test")
        s.sendall(hello)
        got = b""
        while len(got) < len(hello):
            got += s.recv(65536)
        assert got == hello  # the echo server got the hello unchanged


def test_wildcard_covers_the_name_and_its_subdomains(proxy) -> None:
    p, _, good, _ = proxy
    for name in ("sub.wild.test", "wild.test"):
        assert _get(p, f"http://{name}:{good.http_port}/", f"{name}:{good.http_port}").endswith(b"I am good\n")


def test_pipelined_requests_are_each_judged(proxy) -> None:
    p, _, good, other = proxy
    first = f"GET http://allowed.test:{good.http_port}/1 HTTP/1.1\r\nHost: allowed.test:{good.http_port}\r\n\r\n"
    second = f"GET http://other.test:{other.http_port}/2 HTTP/1.1\r\nHost: other.test:{other.http_port}\r\n\r\n"
    third = "GET http://evil.test/3 HTTP/1.1\r\nHost: evil.test\r\n\r\n"
    answer = _send(p, (first + second + third).encode())
    assert answer.count(b"HTTP/1.1 200") == 2 and b"I am good" in answer and b"I am other" in answer
    assert b"HTTP/1.1 403" in answer and b"evil.test is not in the allowlist" in answer


def test_hop_by_hop_and_proxy_headers_are_not_forwarded(proxy) -> None:
    p, _, good, _ = proxy
    good.requests.clear()
    _get(p, f"http://allowed.test:{good.http_port}/h", f"allowed.test:{good.http_port}",
         "Proxy-Authorization: Basic c2VjcmV0\r\nKeep-Alive: 5\r\nX-Kept: yes\r\n")
    seen = good.requests[-1].lower()
    assert b"proxy-authorization" not in seen and b"keep-alive" not in seen and b"x-kept: yes" in seen


def test_chunked_body_is_forwarded_whole(proxy) -> None:
    p, _, good, _ = proxy
    good.requests.clear()
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    answer = _send(p, (f"POST http://allowed.test:{good.http_port}/c HTTP/1.1\r\nHost: allowed.test:{good.http_port}"
                       f"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode() + body)
    assert _status(answer) == 200
    assert good.requests[-1].endswith(body)


# -- names and addresses that must be refused ------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["evil.test", "evilallowed.test", "allowed.test.evil.test", "xallowed.test", "allowed.testx",
     "evil.wild.test.evil", "ällowed.test", "sub.other.test", "allowed.test..", "allowed.test\u200b"],
)
def test_names_outside_the_allowlist_are_refused_without_a_lookup(proxy, host: str) -> None:
    p, resolver, good, _ = proxy
    raw = f"GET http://{host}:{good.http_port}/ HTTP/1.1\r\nHost: {host}:{good.http_port}\r\n\r\n"
    answer = _send(p, raw.encode("utf-8"))
    assert _status(answer) in (400, 403), answer
    assert resolver.lookups == []


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "[::1]", "[::ffff:127.0.0.1]",
     "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "0.0.0.0", "10.0.0.1", "192.168.1.1", "172.16.0.1",
     "100.64.0.1", "[fc00::1]", "[fe80::1]", "224.0.0.1"],
)
def test_internal_addresses_in_any_spelling_are_refused(proxy, host: str) -> None:
    p, resolver, good, _ = proxy
    answer = _get(p, f"http://{host}:{good.http_port}/", f"{host}:{good.http_port}")
    assert _status(answer) == 403, answer
    assert resolver.lookups == []


@pytest.mark.parametrize(
    "host", ["169.254.169.254", "0xa9fea9fe", "2852039166", "[fd00:ec2::254]", "100.100.100.200",
             "metadata.google.internal", "[::ffff:169.254.169.254]"],
)
def test_metadata_endpoints_are_refused(proxy, host: str) -> None:
    p, _, _, _ = proxy
    assert _status(_get(p, f"http://{host}/latest/meta-data/", host)) == 403


def test_an_unlisted_public_address_is_refused_in_allowlist_mode(proxy) -> None:
    p, _, _, _ = proxy
    answer = _get(p, "http://93.184.216.34/", "93.184.216.34")
    assert _status(answer) == 403 and b"allowlist does not name" in answer


@pytest.mark.parametrize(
    ("host", "why"),
    [("private.test", b"10.0.0.5"), ("mixed.test", b"10.0.0.5"), ("metadata-alias.test", b"169.254.169.254"),
     ("v6.test", b"::1")],
)
def test_a_name_resolving_to_an_internal_address_is_refused(proxy, host: str, why: bytes) -> None:
    p, resolver, good, _ = proxy
    answer = _get(p, f"http://{host}:{good.http_port}/", f"{host}:{good.http_port}")
    assert _status(answer) == 403 and why in answer
    assert resolver.lookups == [host]


@pytest.mark.parametrize("host", ["error.test", "garbage.test", "empty.test"])
def test_dns_failures_fail_closed(proxy, host: str) -> None:
    p, _, good, _ = proxy
    assert _status(_get(p, f"http://{host}:{good.http_port}/", f"{host}:{good.http_port}")) == 502


def test_rebinding_has_no_second_lookup_to_win(proxy) -> None:
    p, resolver, good, _ = proxy
    resolver.table["rebind.test"] = [["127.0.0.2"], ["10.0.0.9"]]
    first = _get(p, f"http://rebind.test:{good.http_port}/", f"rebind.test:{good.http_port}")
    assert first.endswith(b"I am good\n") and resolver.lookups == ["rebind.test"]  # one lookup, used
    second = _get(p, f"http://rebind.test:{good.http_port}/", f"rebind.test:{good.http_port}")
    assert _status(second) == 403 and resolver.lookups == ["rebind.test", "rebind.test"]


# -- tricks in the request itself --------------------------------------------------------------


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"CONNECT evil.test:443.allowed.test HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET http://allowed.test@evil.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        b"GET http://evil.test#@allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
        b"GET http://allowed.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        b"GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n",
        b"GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nTransfer-Encoding : chunked\r\n\r\n",
        b"GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nX: a\r\n b\r\n\r\n",
        b"GET http://allowed.test/ HTTP/1.1\nHost: allowed.test\n\n",
        b"GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
        b"GET http://[fe80::1%25eth0]/ HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n",
        b"GET http://allowed.test%00.evil.test/ HTTP/1.1\r\nHost: allowed.test%00.evil.test\r\n\r\n",
        b"GET /relative HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
    ],
    ids=["port-in-host", "userinfo", "fragment", "host-header-mismatch", "cl-and-te", "two-cl", "te-space",
         "obs-fold", "bare-lf", "te-list", "zone-id", "percent-nul", "origin-form"],
)
def test_ambiguous_requests_are_refused_before_anything_goes_upstream(proxy, request_bytes: bytes) -> None:
    p, resolver, good, _ = proxy
    good.requests.clear()
    assert _status(_send(p, request_bytes)) in (400, 403, 501)
    assert good.requests == [] and resolver.lookups == []


def test_oversized_heads_are_refused(proxy) -> None:
    p, _, _, _ = proxy
    assert _status(_send(p, b"GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\nX: " + b"a" * 40000
                         + b"\r\n\r\n")) == 431
    assert _status(_send(p, b"GET http://allowed.test/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: allowed.test\r\n\r\n")) \
        == 414


# -- tunnels ------------------------------------------------------------------------------------


def test_server_name_other_than_the_connect_host_is_refused(proxy) -> None:
    p, _, good, _ = proxy
    s, status = _connect(p, "allowed.test", good.echo_port)
    with s:
        assert status == 200
        s.sendall(client_hello("evil.test"))  # fronting: another name on the allowed address
        assert s.recv(100) == b""
    assert any("TLS server name 'evil.test'" in e.reason for e in p.get_log())


def test_a_tls_port_without_a_server_name_or_without_tls_is_refused(proxy) -> None:
    p, _, good, _ = proxy
    for payload in (client_hello(None), b"CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test\r\n\r\n"):  # nested CONNECT
        s, status = _connect(p, "allowed.test", good.echo_port)
        with s:
            assert status == 200
            s.sendall(payload)
            assert s.recv(100) == b""


def test_connect_to_a_port_outside_allowed_ports_is_refused(relay, targets) -> None:
    good, _ = targets
    p, resolver = _make(relay, targets, allowed_ports=(good.http_port,))
    with p:
        s, status = _connect(p, "allowed.test", good.echo_port)
        s.close()
        assert status == 403 and resolver.lookups == []


def test_an_entry_with_a_port_allows_only_that_port(relay, targets) -> None:
    good, _ = targets
    p, _ = _make(relay, targets, allowed_domains=(f"allowed.test:{good.http_port}", "127.0.0.2"))
    with p:
        assert _status(_get(p, f"http://allowed.test:{good.http_port}/", f"allowed.test:{good.http_port}")) == 200
        s, status = _connect(p, "allowed.test", good.echo_port)
        s.close()
        assert status == 403


def test_connect_to_a_refused_host_is_answered_403(proxy) -> None:
    p, resolver, _, _ = proxy
    s, status = _connect(p, "evil.test", 443)
    s.close()
    assert status == 403 and resolver.lookups == []


# -- modes, timeouts, the log ------------------------------------------------------------------


def test_closed_mode_refuses_everything(relay, targets) -> None:
    good, _ = targets
    p, _ = _make(relay, targets, mode="closed")
    with p:
        assert _status(_get(p, f"http://allowed.test:{good.http_port}/", f"allowed.test:{good.http_port}")) == 403


def test_open_mode_keeps_the_floor(relay, targets) -> None:
    p, _ = _make(relay, targets, mode="open", allowed_domains=())
    with p:
        assert _status(_get(p, "http://10.0.0.1/", "10.0.0.1")) == 403
        assert _status(_get(p, "http://private.test/", "private.test")) == 403


def test_blocklist_mode_blocks_only_what_it_lists(relay, targets) -> None:
    good, _ = targets
    p, _ = _make(relay, targets, mode="blocklist", allowed_domains=("127.0.0.2",), blocked_domains=("allowed.test",))
    with p:
        assert _status(_get(p, f"http://allowed.test:{good.http_port}/", f"allowed.test:{good.http_port}")) == 403
        assert _status(_get(p, f"http://wild.test:{good.http_port}/", f"wild.test:{good.http_port}")) == 200


def test_a_slow_client_is_cut_off(proxy) -> None:
    p, _, _, _ = proxy
    with socket.create_connection(("127.0.0.1", p.port or 0), timeout=5) as s:
        start = time.monotonic()
        with contextlib.suppress(OSError):
            for byte in b"GET http://allowed.test/ HTTP/1.1\r\n":
                s.sendall(bytes([byte]))
                time.sleep(0.2)
        s.settimeout(3)
        with contextlib.suppress(OSError):
            while s.recv(100):
                pass
        assert time.monotonic() - start < 4  # header_timeout is 1 s


def test_log_is_a_bounded_ring_and_stats_count(relay, targets) -> None:
    good, _ = targets
    p, _ = _make(relay, targets, log_size=3)
    with p:
        for i in range(5):
            _get(p, f"http://evil{i}.test/", f"evil{i}.test")
        _get(p, f"http://allowed.test:{good.http_port}/", f"allowed.test:{good.http_port}")
        log = p.get_log()
        assert len(log) == 3 and log[-1].allowed and log[-1].host == "allowed.test"
        assert [e.host for e in log[:2]] == ["evil3.test", "evil4.test"]
        stats = p.get_stats()
        assert (stats.allowed_requests, stats.blocked_requests, stats.unique_hosts) == (1, 5, 1)
        assert stats.total_bytes > 0


def test_env_vars_name_the_proxy_and_exempt_nothing(proxy) -> None:
    p, _, _, _ = proxy
    env = p.env_vars()
    url = f"http://127.0.0.1:{p.port}"
    assert env["HTTP_PROXY"] == env["https_proxy"] == env["ALL_PROXY"] == url
    assert env["NO_PROXY"] == env["no_proxy"] == ""


# -- found in review: smuggling through the proxy's own rewriting, floods, old clients ---------


def test_a_connection_header_naming_content_length_cannot_smuggle_a_request(proxy) -> None:
    p, _, good, _ = proxy
    good.requests.clear()
    body = b"GET /smuggled HTTP/1.1\r\nHost: evil.test\r\n\r\n"
    head = (f"POST http://allowed.test:{good.http_port}/first HTTP/1.1\r\nHost: allowed.test:{good.http_port}\r\n"
            f"Connection: content-length\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    assert _status(_send(p, head + body)) == 200
    upstream_head = good.requests[-1].split(b"\r\n\r\n", 1)[0]
    # The body stays a body: its length is told to the server, whatever Connection names.
    assert f"Content-Length: {len(body)}".encode() in upstream_head


def test_a_trailer_with_a_bare_lf_is_refused(proxy) -> None:
    p, _, good, _ = proxy
    good.requests.clear()
    body = b"0\r\nX-T: a\n\nPOST /smuggled HTTP/1.1\nHost: evil.test\nContent-Length: 6\n\nsecret\r\n\r\n"
    head = (f"POST http://allowed.test:{good.http_port}/ HTTP/1.1\r\nHost: allowed.test:{good.http_port}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    assert _status(_send(p, head + body)) == 400
    assert not any(b"/smuggled" in r and r.startswith(b"POST /smuggled") for r in good.requests)


def test_a_connection_that_says_nothing_is_closed_after_the_header_timeout(proxy) -> None:
    p, _, _, _ = proxy
    with socket.create_connection(("127.0.0.1", p.port or 0), timeout=5) as s:
        start = time.monotonic()
        assert s.recv(100) == b""
        assert time.monotonic() - start < 3  # header_timeout is 1 s, not idle_timeout's 300


def test_connections_beyond_the_cap_are_closed_at_once(relay, targets) -> None:
    p, _ = _make(relay, targets, max_connections=5, header_timeout=5.0)
    with p:
        held = [socket.create_connection(("127.0.0.1", p.port or 0), timeout=5) for _ in range(5)]
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", p.port or 0), timeout=5) as extra:
            assert extra.recv(100) == b""  # closed, not served
        assert any("more than 5 connections" in e.reason for e in p.get_log())
        for s in held:
            s.close()


def test_an_http_1_0_client_gets_a_chunked_body_unchunked(relay, targets) -> None:
    def chunked(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")

    server = serve("127.0.0.2", chunked)
    port = port_of(server)
    p, _ = _make(relay, targets)
    try:
        with p:
            answer = _send(p, f"GET http://127.0.0.2:{port}/ HTTP/1.0\r\n\r\n".encode())
            head, _, body = answer.partition(b"\r\n\r\n")
            assert body == b"hello world" and b"chunked" not in head.lower() and b"Connection: close" in head
    finally:
        server.close()
