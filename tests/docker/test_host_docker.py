"""The Docker and gVisor probes against the real daemon that .ci/run starts."""

from __future__ import annotations

import pytest

from sandbox import docker_available, gvisor_available, gvisor_docker_args, probe

pytestmark = pytest.mark.docker


def _kernel_release(client: object, image: str, label: str, **run: object) -> str:
    out = client.containers.run(  # type: ignore[attr-defined]
        image, ["uname", "-r"], remove=True, labels={label: "1"}, network_mode="none", **run
    )
    return bytes(out).decode().strip()


def test_docker_is_available_with_a_running_daemon() -> None:
    assert docker_available() is True
    assert probe().docker.detail.startswith("daemon ")


@pytest.mark.gvisor
def test_gvisor_docker_args_select_the_runsc_runtime(docker_client, busybox_image, docker_label) -> None:
    assert gvisor_available() is True
    args = gvisor_docker_args()
    assert args and args[0].startswith("--runtime=")
    runtime = args[0].split("=", 1)[1]
    # Under runc a container sees the host kernel; under gVisor it sees gVisor's own, so the
    # release string tells the two apart.
    import platform

    host_kernel = platform.release()
    assert _kernel_release(docker_client, busybox_image, docker_label) == host_kernel
    assert _kernel_release(docker_client, busybox_image, docker_label, runtime=runtime) != host_kernel
