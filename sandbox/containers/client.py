"""One way to reach the Docker daemon: the SDK, imported lazily, with its errors mapped.

The daemon is whatever ``DOCKER_HOST`` names (``unix://``, ``tcp://`` with
``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``, or ``ssh://``); the SDK's own transports carry
it. Nothing here pings on import: a client is made when a container or a build needs one.
"""

from __future__ import annotations

import os
from typing import Any

from sandbox.errors import ContainerError, Reason, UnsupportedError

#: Seconds an API call may take before the SDK gives up (builds pass their own).
API_TIMEOUT = 60


def docker_module() -> Any:
    """The docker SDK module.

    Raises:
        UnsupportedError: the SDK is not installed (``Reason.DOCKER_SDK_MISSING``).
    """
    try:
        import docker
    except ImportError as exc:
        raise UnsupportedError(Reason.DOCKER_SDK_MISSING, str(exc)) from None
    return docker


def connect(timeout: int = API_TIMEOUT) -> Any:
    """A ``docker.DockerClient`` for the daemon the environment names, already answering.

    ``ssh://`` hosts go through the system's ``ssh`` client (so ``~/.ssh/config``, agents
    and known hosts apply) rather than paramiko.

    Raises:
        UnsupportedError: the SDK is missing, or no daemon answers
            (``Reason.DOCKER_UNREACHABLE``).
    """
    docker = docker_module()
    host = os.environ.get("DOCKER_HOST", "")
    try:
        client = docker.from_env(timeout=timeout, use_ssh_client=host.startswith("ssh://"))
        client.ping()
    except docker.errors.DockerException as exc:
        raise UnsupportedError(Reason.DOCKER_UNREACHABLE, f"{host or 'the default socket'}: {exc}") from None
    return client


def api_error(action: str, exc: BaseException) -> ContainerError:
    """A ContainerError that says what was being done and what the daemon answered."""
    explanation = getattr(exc, "explanation", None) or str(exc)
    return ContainerError(f"{action}: {explanation}")


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` means the daemon went away (not that it refused the request)."""
    import requests

    return isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError)) or (
        type(exc).__name__ == "DockerException" and "connection" in str(exc).lower()
    )


def unreachable(exc: BaseException) -> UnsupportedError:
    """The UnsupportedError for a daemon that stopped answering mid-way."""
    host = os.environ.get("DOCKER_HOST", "") or "the default socket"
    return UnsupportedError(Reason.DOCKER_UNREACHABLE, f"{host}: {exc}")
