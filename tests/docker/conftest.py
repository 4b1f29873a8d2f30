"""Images for Docker tests, built locally FROM scratch with a static busybox.

No registry is reachable, so nothing is pulled. Everything a test creates carries the
label below, and the session fixture removes every labelled container and image at the end.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

LABEL = "io.github.sandbox.test"

DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/busybox", "mkdir", "-m", "1777", "/tmp"]
"""


def _busybox() -> Path:
    found = shutil.which("busybox")
    if found is None:
        raise pytest.UsageError("the docker tests need a static busybox (apt-get install busybox-static)")
    return Path(found)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    import docker

    client = docker.from_env(timeout=120)
    yield client
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        container.remove(force=True)
    # An image built FROM another cannot go before its child: a few passes, children first
    # as they become removable (the daemon answers 409 for a parent still in use).
    for _ in range(5):
        left = client.images.list(filters={"label": LABEL})
        for image in left:
            try:
                client.images.remove(image.id, force=True)
            except docker.errors.APIError as exc:
                if exc.status_code not in (404, 409):
                    raise
        if not left:
            break
    # Nothing a test created is left: not a container, not an image.
    assert not client.containers.list(all=True, filters={"label": LABEL})
    assert not client.images.list(filters={"label": LABEL})
    client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_client: object) -> str:
    """The tag of a scratch image with busybox installed into /bin."""
    binary = _busybox().read_bytes()
    tag = "sandbox-test-busybox:" + hashlib.sha256(binary + DOCKERFILE.encode()).hexdigest()[:12]
    with tempfile.TemporaryDirectory() as context:
        Path(context, "Dockerfile").write_text(DOCKERFILE)
        Path(context, "busybox").write_bytes(binary)
        Path(context, "busybox").chmod(0o755)
        docker_client.images.build(path=context, tag=tag, labels={LABEL: "1"}, rm=True)  # type: ignore[attr-defined]
    return tag


@pytest.fixture(scope="session")
def docker_label() -> str:
    """The label every test resource carries, so that the session fixture removes it."""
    return LABEL


def build_image(client: object, dockerfile: str, files: dict[str, bytes], tag: str) -> str:
    """Build ``tag`` from ``dockerfile`` and ``files`` (name -> bytes), labelled for cleanup."""
    with tempfile.TemporaryDirectory() as context:
        Path(context, "Dockerfile").write_text(dockerfile)
        for name, data in files.items():
            Path(context, name).write_bytes(data)
            Path(context, name).chmod(0o755)
        client.images.build(path=context, tag=tag, labels={LABEL: "1"}, rm=True)  # type: ignore[attr-defined]
    return tag


@pytest.fixture(scope="session")
def marked_image(docker_client: object, busybox_image: str) -> str:
    """The busybox image plus /marker reading "second": a different image to swap to."""
    return build_image(
        docker_client, f"FROM {busybox_image}\nCOPY marker /marker\n", {"marker": b"second\n"},
        busybox_image.replace("busybox:", "busybox-marked:"),
    )


@pytest.fixture(scope="session")
def shell_less_image(docker_client: object) -> str:
    """busybox with only `sleep` linked (what keeps a container alive): no /bin/sh for the
    in-container kill."""
    return build_image(
        docker_client,
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "ln", "-s", "busybox", "/bin/sleep"]\n',
        {"busybox": _busybox().read_bytes()},
        "sandbox-test-no-shell:1",
    )


@pytest.fixture(scope="session")
def bare_image(docker_client: object) -> str:
    """busybox at /bin/busybox and nothing else: no shell, no sleep, no /tmp."""
    return build_image(
        docker_client, "FROM scratch\nCOPY busybox /bin/busybox\n", {"busybox": _busybox().read_bytes()},
        "sandbox-test-bare:1",
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory owned by an ordinary user (uid 1000 when the tests run as root)."""
    import os

    root = tmp_path / "project"
    root.mkdir()
    if os.geteuid() == 0:
        os.chown(root, 1000, 1000)
    return root


@pytest.fixture
def unreachable_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """DOCKER_HOST at a socket nobody accepts on: what a stopped daemon leaves behind."""
    import socket

    path = tmp_path / "docker.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()  # bound, never listening: connect() gets ECONNREFUSED
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    return str(path)
