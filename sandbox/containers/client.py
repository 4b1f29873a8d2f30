"""One way to reach the Docker daemon: the SDK, imported lazily, with its errors mapped.

The daemon is whatever ``DOCKER_HOST`` names (``unix://``, ``tcp://`` with
``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``, or ``ssh://``); the SDK's own transports carry
it. Nothing here pings on import: a client is made when a container or a build needs one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from sandbox.errors import ContainerError, Reason, SandboxError, UnsupportedError

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


#: The API version used only to ask the daemon which version it speaks.
_PROBE_VERSION = "1.24"


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
    options = {"timeout": timeout, "use_ssh_client": host.startswith("ssh://")}
    try:
        options.update(docker.utils.kwargs_from_env())
        # The HTTP stack must not read its own environment for the daemon's connection:
        # REQUESTS_CA_BUNDLE would replace the CA of DOCKER_CERT_PATH that the SDK set
        # (psf/requests#3829), and HTTP(S)_PROXY would send the API calls to a proxy. So the
        # client is made with a fixed version (no request yet), told so, and only then asked
        # which version the daemon speaks.
        probe = docker.DockerClient(version=_PROBE_VERSION, **options)
        probe.api.trust_env = False
        try:
            version = probe.version()["ApiVersion"]
        finally:
            probe.close()
        client = docker.DockerClient(version=version, **options)
        client.api.trust_env = False
    except docker.errors.DockerException as exc:
        raise UnsupportedError(Reason.DOCKER_UNREACHABLE, f"{host or 'the default socket'}: {exc}") from None
    except (OSError, KeyError) as exc:  # the HTTP stack's connection errors, a malformed answer
        raise UnsupportedError(Reason.DOCKER_UNREACHABLE, f"{host or 'the default socket'}: {exc}") from None
    return client


def api_error(action: str, exc: BaseException) -> ContainerError:
    """A ContainerError that says what was being done and what the daemon answered."""
    explanation = getattr(exc, "explanation", None) or str(exc)
    return ContainerError(f"{action}: {explanation}")


@contextlib.contextmanager
def daemon_call(action: str) -> Iterator[None]:
    """Turn what the SDK and its HTTP stack raise into the library's errors: a daemon that
    cannot be reached (stopped, or the connection dropped) is ``UnsupportedError``
    (``Reason.DOCKER_UNREACHABLE``); a refusal or any other failure is ``ContainerError``
    naming ``action``. The library's own errors pass through.
    """
    import requests
    import urllib3

    docker = docker_module()
    try:
        yield
    except SandboxError:
        raise
    except docker.errors.APIError as exc:
        raise api_error(action, exc) from None
    except (requests.exceptions.ConnectionError, ConnectionError) as exc:
        raise unreachable(exc) from None
    except requests.exceptions.Timeout as exc:
        raise ContainerError(f"{action}: the daemon did not answer in time ({exc})") from None
    except (docker.errors.DockerException, docker.errors.StreamParseError, requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError) as exc:
        # A stream cut short, a malformed answer: the operation's outcome is unknown.
        raise ContainerError(f"{action}: {exc}") from None


def unreachable(exc: BaseException) -> UnsupportedError:
    """The UnsupportedError for a daemon that stopped answering mid-way."""
    host = os.environ.get("DOCKER_HOST", "") or "the default socket"
    return UnsupportedError(Reason.DOCKER_UNREACHABLE, f"{host}: {exc}")
