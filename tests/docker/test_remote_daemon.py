"""A daemon reached over TCP, plain and with TLS client certificates, as a remote one is:
a forwarder on this machine's loopback stands in for the network between the two (it
relays to the local daemon's socket, so images and bind mounts are the same). Stopping the
forwarder is the daemon going away mid-session."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import ContainerError, ContainerSandbox, DevEnvManager, Reason, UnsupportedError, docker_available

pytestmark = pytest.mark.docker

DAEMON_SOCKET = "/var/run/docker.sock"


class Forwarder:
    """TCP (optionally TLS) on 127.0.0.1 to the daemon's unix socket, both ways."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.context = context
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            daemon = socket.socket(socket.AF_UNIX)
            daemon.connect(DAEMON_SOCKET)
        except OSError:
            conn.close()
            return
        self.open += [conn, daemon]

        def pump(src: socket.socket, dst: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := src.recv(1 << 16):
                    dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        threading.Thread(target=pump, args=(daemon, conn), daemon=True).start()
        pump(conn, daemon)

    def stop(self) -> None:
        self.listener.close()
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _certificates(folder: Path) -> ssl.SSLContext:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, laid out as
    DOCKER_CERT_PATH expects (ca.pem, cert.pem, key.pem); the server's context."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
            "-days", "1", "-subj", "/CN=test-ca")
    uses = (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"), ("client", "extendedKeyUsage=clientAuth"))
    for name, extra in uses:
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-key.pem", "-out", f"{name}.csr",
                "-subj", f"/CN={name}")
        (folder / f"{name}.ext").write_text(extra + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "1", "-extfile", f"{name}.ext")
    (folder / "cert.pem").write_bytes((folder / "client.pem").read_bytes())
    (folder / "key.pem").write_bytes((folder / "client-key.pem").read_bytes())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(folder / "ca.pem"))
    context.load_cert_chain(folder / "server.pem", folder / "server-key.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    return context


@pytest.fixture(params=["tcp", "tls"])
def remote(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Forwarder]:
    context = None
    if request.param == "tls":
        certs = tmp_path / "certs"
        certs.mkdir()
        context = _certificates(certs)
        monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
        monkeypatch.setenv("DOCKER_CERT_PATH", str(certs))
    forwarder = Forwarder(context)
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{forwarder.port}")
    yield forwarder
    forwarder.stop()


def test_commands_run_through_a_remote_daemon(remote: Forwarder, project: Path, busybox_image: str,
                                               docker_label: str) -> None:
    assert docker_available()
    with ContainerSandbox(project, image=busybox_image, labels={docker_label: "1"}) as box:
        # The agent is mounted from this machine's files: not for a daemon elsewhere.
        assert box.exec_path == "exec"
        done = box.exec("echo out; echo err >&2; cat; exit 3", input="fed\n")
        assert (done.exit_code, done.stdout, done.stderr) == (3, "out\nfed\n", "err\n")
        slow = box.exec("sleep 300 & sleep 301", timeout=1)
        assert slow.timed_out and "sleep 30" not in box.exec("ps").stdout
        events = list(box.stream("echo a; echo b >&2; exit 4"))
        assert sorted((e.stream, e.data) for e in events[:-1]) == [("stderr", b"b\n"), ("stdout", b"a\n")]
        assert events[-1].exit_code == 4


def test_images_build_through_a_remote_daemon(remote: Forwarder, tmp_path: Path, busybox_image: str,
                                              docker_label: str) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "Dockerfile").write_text(f"FROM {busybox_image}\nCOPY . /src\n")
    (root / "id").write_text(os.urandom(8).hex())
    manager = DevEnvManager(root, cache_dir=tmp_path / "cache", labels={docker_label: "1"})
    tag = manager.get_or_build()
    assert manager.builds == 1 and not manager.is_stale()
    assert tag.startswith("sandbox-devenv-proj:")


def test_a_daemon_that_goes_away_raises_unsupported(remote: Forwarder, project: Path, busybox_image: str,
                                                    docker_label: str) -> None:
    box = ContainerSandbox(project, image=busybox_image, labels={docker_label: "1"})
    box.start()
    assert box.exec("true").exit_code == 0
    (project / "Dockerfile").write_text(f"FROM {busybox_image}\n")
    remote.stop()
    with pytest.raises(UnsupportedError) as caught:
        box.exec("true")
    assert caught.value.reason is Reason.DOCKER_UNREACHABLE
    with pytest.raises(UnsupportedError):
        DevEnvManager(project, cache_dir=project / ".cache").get_or_build()
    # The container is still there on the daemon; the session fixture removes it.
    with pytest.raises((UnsupportedError, ContainerError)):
        box.stop()
