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
    for image in client.images.list(filters={"label": LABEL}):
        client.images.remove(image.id, force=True)
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
