"""What this host can enforce, and which backend to use for an isolation level.

The capability functions ask the real thing (the kernel, the Docker daemon, bwrap) rather
than guessing from files; :func:`probe` gathers them into one frozen :class:`HostSupport`
whose missing items each carry a :class:`~sandbox.errors.Reason`. :func:`decide` is the
pure decision over such an object, so it is tested with exact outputs for many hosts.
"""

from __future__ import annotations

import enum
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass

from sandbox import _native
from sandbox.errors import PolicyError, Reason, UnsupportedError
from sandbox.policy import IsolationLevel

__all__ = [
    "RUNNABLE_BACKENDS",
    "Backend",
    "Capability",
    "HostSupport",
    "SandboxSelection",
    "available",
    "decide",
    "docker_available",
    "gvisor_available",
    "gvisor_docker_args",
    "is_available",
    "landlock_abi",
    "landlock_available",
    "probe",
    "seatbelt_available",
    "seccomp_available",
    "select_sandbox",
]

# Negative errno values the C probes return (Linux numbering; the probes only run there).
_ENOSYS = 38
_EOPNOTSUPP = 95

#: How long a Docker daemon's answer (or silence) is trusted before it is asked again.
DOCKER_CACHE_SECONDS = 5.0
#: The most a Docker ping may take, connect and answer together.
DOCKER_TIMEOUT_SECONDS = 1.0


class Backend(str, enum.Enum):
    """A way of running a command confined."""

    LANDLOCK = "landlock"
    BWRAP = "bwrap"
    DOCKER = "docker"
    GVISOR = "gvisor"
    SEATBELT = "seatbelt"
    NONE = "none"

    def __str__(self) -> str:
        return self.value


#: The backends `Sandbox.run` executes in this release. `select_sandbox` never picks another:
#: a backend the host supports but the runner cannot drive is as good as absent.
RUNNABLE_BACKENDS: frozenset[Backend] = frozenset({Backend.LANDLOCK, Backend.BWRAP, Backend.NONE})


@dataclass(frozen=True, slots=True)
class Capability:
    """One capability of the host: whether it works, and if not, why."""

    name: str
    available: bool
    reason: Reason | None = None
    detail: str = ""

    def __bool__(self) -> bool:
        return self.available


def _ok(name: str, detail: str = "") -> Capability:
    return Capability(name, True, None, detail)


def _missing(name: str, reason: Reason, detail: str = "") -> Capability:
    return Capability(name, False, reason, detail)


@dataclass(frozen=True, slots=True)
class HostSupport:
    """Everything :func:`probe` found, frozen. Missing items carry a reason."""

    system: str
    machine: str
    euid: int
    landlock_abi: int
    native: Capability
    native_modules: tuple[str, ...]
    landlock: Capability
    seccomp: Capability
    userns: Capability
    root: Capability
    bubblewrap: Capability
    docker_sdk: Capability
    docker: Capability
    gvisor: Capability
    seatbelt: Capability
    re2: Capability  # the inspectors' screens (sandbox.inspectors.screen), not confinement

    def items(self) -> tuple[Capability, ...]:
        """The capabilities in the order `sandbox doctor` shows them."""
        return (
            self.native,
            self.landlock,
            self.seccomp,
            self.userns,
            self.root,
            self.bubblewrap,
            self.docker_sdk,
            self.docker,
            self.gvisor,
            self.seatbelt,
            self.re2,
        )

    def backend_capability(self, backend: Backend) -> Capability:
        """Whether ``backend`` can confine a command here, with the first reason it cannot."""
        needs: dict[Backend, tuple[Capability, ...]] = {
            # Landlock confines the filesystem and seccomp the syscalls; neither alone is
            # the boundary this backend promises.
            Backend.LANDLOCK: (self.native, self.landlock, self.seccomp),
            # Inside bwrap the seccomp filter is still ours; Landlock is layered in when present.
            Backend.BWRAP: (self.native, self.seccomp, self.bubblewrap),
            Backend.DOCKER: (self.docker_sdk, self.docker),
            Backend.GVISOR: (self.docker_sdk, self.docker, self.gvisor),
            Backend.SEATBELT: (self.seatbelt,),
            Backend.NONE: (),
        }
        for need in needs[backend]:
            if not need.available:
                assert need.reason is not None
                return _missing(backend.value, need.reason, f"{need.name}: {need.detail or need.reason.message}")
        return _ok(backend.value)


@dataclass(frozen=True, slots=True)
class SandboxSelection:
    """The backend :func:`select_sandbox` picked and why."""

    backend: Backend
    reason: str


# ---------------------------------------------------------------------------------------
# Kernel capabilities (native probes)


def _native_module(name: str) -> object | None:
    try:
        return _native.load(name)
    except UnsupportedError:
        return None


def _landlock_raw() -> int | None:
    mod = _native_module("_landlock")
    if mod is None or not sys.platform.startswith("linux"):
        return None
    return int(mod.query_abi())  # type: ignore[attr-defined]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock cannot be used here."""
    raw = _landlock_raw()
    return raw if raw is not None and raw > 0 else 0


def landlock_available() -> bool:
    """True when Landlock can be used (any ABI >= 1, and the native module is built)."""
    return landlock_abi() >= 1


def seccomp_available() -> bool:
    """True when this process could install a seccomp filter (nothing is installed)."""
    mod = _native_module("_seccomp")
    if mod is None or not sys.platform.startswith("linux"):
        return False
    return int(mod.query_available()) == 0  # type: ignore[attr-defined]


def seatbelt_available() -> bool:
    """True on macOS with /usr/bin/sandbox-exec present; False elsewhere."""
    return sys.platform == "darwin" and os.access("/usr/bin/sandbox-exec", os.X_OK)


def _probe_landlock() -> tuple[int, Capability]:
    if not sys.platform.startswith("linux"):
        return 0, _missing("landlock", Reason.NOT_LINUX)
    raw = _landlock_raw()
    if raw is None:
        return 0, _missing("landlock", Reason.NATIVE_MISSING)
    if raw == -_ENOSYS:
        return 0, _missing("landlock", Reason.LANDLOCK_MISSING)
    if raw == -_EOPNOTSUPP:
        return 0, _missing("landlock", Reason.LANDLOCK_DISABLED)
    if raw < 0:
        return 0, _missing("landlock", Reason.LANDLOCK_MISSING, f"landlock_create_ruleset: {os.strerror(-raw)}")
    return raw, _ok("landlock", f"ABI {raw}")


def _probe_seccomp() -> Capability:
    if not sys.platform.startswith("linux"):
        return _missing("seccomp", Reason.NOT_LINUX)
    mod = _native_module("_seccomp")
    if mod is None:
        return _missing("seccomp", Reason.NATIVE_MISSING)
    rc = int(mod.query_available())  # type: ignore[attr-defined]
    if rc != 0:
        return _missing("seccomp", Reason.SECCOMP_MISSING, os.strerror(-rc))
    return _ok("seccomp", "filter mode, SECCOMP_RET_ERRNO")


def _probe_userns() -> Capability:
    if not sys.platform.startswith("linux"):
        return _missing("userns", Reason.NOT_LINUX)
    mod = _native_module("_spawn")
    if mod is None:
        return _missing("userns", Reason.NATIVE_MISSING)
    rc = int(mod.userns_probe())  # type: ignore[attr-defined]
    if rc != 0:
        return _missing("userns", Reason.USERNS_BLOCKED, f"unshare(CLONE_NEWUSER): {os.strerror(-rc)}")
    return _ok("userns", "unshare(CLONE_NEWUSER) works")


def _probe_bwrap() -> Capability:
    if not sys.platform.startswith("linux"):
        return _missing("bubblewrap", Reason.NOT_LINUX)
    path = shutil.which("bwrap")
    if path is None:
        return _missing("bubblewrap", Reason.BWRAP_MISSING)
    import subprocess

    # Installed is not usable: without user namespaces (and not setuid) bwrap cannot start.
    try:
        done = subprocess.run(
            [path, "--ro-bind", "/", "/", "--unshare-pid", "--", "/bin/true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _missing("bubblewrap", Reason.BWRAP_UNUSABLE, f"{path}: {exc}")
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip().splitlines()
        return _missing("bubblewrap", Reason.BWRAP_UNUSABLE, f"{path}: {err[-1] if err else done.returncode}")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return _ok("bubblewrap", f"{path} ({version})" if version else path)


# ---------------------------------------------------------------------------------------
# Docker: a raw Engine API ping, so that the probe neither imports the docker SDK (slow to
# import, optional) nor waits on its default 60 s timeout.

_docker_lock = threading.Lock()
_docker_cache: dict[str, tuple[float, Capability, dict[str, object] | None]] = {}


def _docker_request(path: str, timeout: float) -> tuple[int, bytes]:
    """GET ``path`` from the daemon DOCKER_HOST names; (status, body). Raises OSError."""
    import socket

    deadline = time.monotonic() + timeout
    host = os.environ.get("DOCKER_HOST", "") or "unix:///var/run/docker.sock"
    sock: socket.socket
    if host.startswith("unix://"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(host[len("unix://") :])
        except OSError:
            sock.close()
            raise
    elif host.startswith("tcp://"):
        from urllib.parse import urlsplit

        parts = urlsplit(host)
        tls = bool(os.environ.get("DOCKER_TLS_VERIFY")) or parts.port == 2376
        sock = socket.create_connection((parts.hostname or "localhost", parts.port or 2375), timeout=timeout)
        if tls:
            import ssl

            certs = os.environ.get("DOCKER_CERT_PATH") or os.path.expanduser("~/.docker")
            ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
            ctx.load_cert_chain(os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem"))
            sock = ctx.wrap_socket(sock, server_hostname=parts.hostname)
    else:
        raise OSError(f"DOCKER_HOST={host!r}: this probe speaks unix:// and tcp:// only")
    with sock:
        # HTTP/1.0 so the daemon answers without chunked encoding and closes when done.
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
        data = bytearray()
        while len(data) < 8 << 20:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer from {host} within {timeout:g} s")
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise OSError(f"{host} did not answer in HTTP")
    return int(status_line[1]), body


def _docker_state() -> tuple[Capability, dict[str, object] | None]:
    """The daemon's ping result and its /info document, cached briefly per DOCKER_HOST."""
    key = os.environ.get("DOCKER_HOST", "")
    now = time.monotonic()
    with _docker_lock:
        hit = _docker_cache.get(key)
        if hit is not None and now - hit[0] < DOCKER_CACHE_SECONDS:
            return hit[1], hit[2]
    info: dict[str, object] | None = None
    try:
        status, _ = _docker_request("/_ping", DOCKER_TIMEOUT_SECONDS)
        if status != 200:
            cap = _missing("docker", Reason.DOCKER_UNREACHABLE, f"/_ping answered HTTP {status}")
        else:
            import json

            status, body = _docker_request("/info", DOCKER_TIMEOUT_SECONDS)
            info = json.loads(body) if status == 200 else None
            version = str(info.get("ServerVersion", "")) if isinstance(info, dict) else ""
            cap = _ok("docker", f"daemon {version}".strip())
    except (OSError, ValueError) as exc:
        cap = _missing("docker", Reason.DOCKER_UNREACHABLE, str(exc) or type(exc).__name__)
    with _docker_lock:
        _docker_cache[key] = (time.monotonic(), cap, info)
    return cap, info


def docker_available() -> bool:
    """True when a Docker daemon answers a ping within 1 s (answer cached for 5 s)."""
    return _docker_state()[0].available


def gvisor_runtime(info: dict[str, object] | None) -> str | None:
    """The name under which a daemon's ``/info`` document lists runsc, or None."""
    runtimes = info.get("Runtimes") if info else None
    if not isinstance(runtimes, dict):
        return None
    for name, spec in sorted(runtimes.items()):
        path = spec.get("path", "") if isinstance(spec, dict) else ""
        if name == "runsc" or os.path.basename(str(path)) == "runsc":
            return str(name)
    return None


def _probe_gvisor(docker: Capability, info: dict[str, object] | None) -> Capability:
    if not docker.available:
        assert docker.reason is not None
        return _missing("gvisor", docker.reason, docker.detail)
    runtime = gvisor_runtime(info)
    if runtime is None:
        return _missing("gvisor", Reason.GVISOR_MISSING)
    return _ok("gvisor", f"runtime {runtime}")


def gvisor_available() -> bool:
    """True when the Docker daemon lists a runsc runtime."""
    cap, info = _docker_state()
    return cap.available and gvisor_runtime(info) is not None


def gvisor_docker_args() -> list[str]:
    """The `docker run` arguments that select gVisor, or [] when it is unavailable."""
    cap, info = _docker_state()
    runtime = gvisor_runtime(info) if cap.available else None
    return [f"--runtime={runtime}"] if runtime else []


def _probe_docker_sdk() -> Capability:
    import importlib.util

    if importlib.util.find_spec("docker") is None:
        return _missing("docker-sdk", Reason.DOCKER_SDK_MISSING)
    return _ok("docker-sdk")


def _probe_re2() -> Capability:
    import importlib.util

    if importlib.util.find_spec("re2") is None:
        return _missing("re2", Reason.RE2_MISSING)
    return _ok("re2")


# ---------------------------------------------------------------------------------------
# The whole host, and the decision


def probe() -> HostSupport:
    """Ask the host for every capability; takes a few milliseconds to a second (Docker)."""
    built = tuple(name for name in _native.MODULES if _native_module(name) is not None)
    if not sys.platform.startswith("linux"):
        native = _missing("native", Reason.NOT_LINUX, "the native core is Linux kernel code")
    elif len(built) == len(_native.MODULES):
        native = _ok("native", ", ".join(built))
    else:
        missing = sorted(set(_native.MODULES) - set(built))
        native = _missing("native", Reason.NATIVE_MISSING, "not built: " + ", ".join(missing))
    abi, landlock = _probe_landlock()
    euid = os.geteuid() if hasattr(os, "geteuid") else -1
    docker, info = _docker_state()
    import platform

    return HostSupport(
        system=platform.system().lower(),
        machine=platform.machine(),
        euid=euid,
        landlock_abi=abi,
        native=native,
        native_modules=built,
        landlock=landlock,
        seccomp=_probe_seccomp(),
        userns=_probe_userns(),
        root=_ok("root", "euid 0") if euid == 0 else _missing("root", Reason.NOT_ROOT, f"euid {euid}"),
        bubblewrap=_probe_bwrap(),
        docker_sdk=_probe_docker_sdk(),
        docker=docker,
        gvisor=_probe_gvisor(docker, info),
        seatbelt=(
            _ok("seatbelt", "/usr/bin/sandbox-exec")
            if seatbelt_available()
            else _missing("seatbelt", Reason.NOT_MACOS if sys.platform != "darwin" else Reason.SEATBELT_MISSING)
        ),
        re2=_probe_re2(),
    )


# For each level, the backends to try, strongest first. A container is stronger than local
# confinement, so the local levels may end in one; no level ever ends in a weaker backend.
_PREFERENCE: dict[IsolationLevel, tuple[Backend, ...]] = {
    IsolationLevel.DEFAULT: (Backend.LANDLOCK, Backend.BWRAP, Backend.SEATBELT, Backend.DOCKER),
    IsolationLevel.ENHANCED: (Backend.BWRAP, Backend.LANDLOCK, Backend.DOCKER),
    IsolationLevel.CONTAINER: (Backend.DOCKER,),
    IsolationLevel.MAXIMUM: (Backend.GVISOR,),
    IsolationLevel.OFF: (Backend.NONE,),
}


def decide(
    level: IsolationLevel | str,
    host: HostSupport,
    runnable: frozenset[Backend] = RUNNABLE_BACKENDS,
) -> SandboxSelection:
    """The strongest backend for ``level`` on ``host`` among ``runnable``; pure.

    ``enhanced`` asks for namespaces on top of kernel confinement: bubblewrap (with
    Landlock layered in when the kernel has it) or the landlock backend on a host with user
    namespaces (it adds them itself).

    Raises:
        PolicyError: ``level`` is not an isolation level.
        UnsupportedError: no backend for ``level`` works here; ``reason`` is why the first
            choice failed and the message lists every backend tried.
    """
    try:
        level = IsolationLevel(level)
    except ValueError:
        raise PolicyError(f"level: {level!r} is not one of {', '.join(v.value for v in IsolationLevel)}") from None
    tried: list[Capability] = []
    for backend in _PREFERENCE[level]:
        cap = host.backend_capability(backend)
        if cap.available and level is IsolationLevel.ENHANCED and backend is Backend.LANDLOCK:
            if not host.userns.available:
                assert host.userns.reason is not None
                cap = _missing(backend.value, host.userns.reason, f"userns: {host.userns.detail}")
        if cap.available and backend not in runnable:
            cap = _missing(backend.value, Reason.BACKEND_UNAVAILABLE, "Sandbox.run cannot drive it in this release")
        if cap.available:
            return SandboxSelection(backend, _why(level, backend, host))
        tried.append(cap)
    first = tried[0]
    assert first.reason is not None
    summary = "; ".join(f"{c.name}: {c.detail}" for c in tried)
    raise UnsupportedError(first.reason, f"no backend for isolation level {level.value!r} ({summary})")


def _why(level: IsolationLevel, backend: Backend, host: HostSupport) -> str:
    if backend is Backend.NONE:
        return "isolation level off: the command runs unconfined"
    if backend is Backend.LANDLOCK:
        extra = " and user namespaces" if host.userns.available else " (no user namespaces on this host)"
        return f"Landlock ABI {host.landlock_abi} with seccomp{extra}"
    if backend is Backend.BWRAP:
        inner = f"Landlock ABI {host.landlock_abi} and seccomp" if host.landlock.available else "seccomp"
        return f"bubblewrap namespaces with {inner} inside"
    if backend is Backend.SEATBELT:
        return "macOS Seatbelt (sandbox-exec)"
    if backend is Backend.DOCKER:
        local = "" if level is IsolationLevel.CONTAINER else " (no local backend works here)"
        return f"hardened Docker container{local}"
    return "hardened Docker container under gVisor (runsc)"


def select_sandbox(
    level: IsolationLevel | str, project_dir: str | os.PathLike[str], *, host: HostSupport | None = None
) -> SandboxSelection:
    """The strongest backend for ``level`` that works here and that `Sandbox.run` can drive.

    ``host`` defaults to a fresh :func:`probe`.

    Raises:
        PolicyError: ``level`` is not a level, or ``project_dir`` is not an existing directory.
        UnsupportedError: nothing that satisfies ``level`` works here (with the reason).
    """
    if not os.path.isdir(project_dir):
        raise PolicyError(f"project_dir: {os.fspath(project_dir)!r} is not an existing directory")
    return decide(level, host if host is not None else probe())


def available() -> bool:
    """True when at least one backend that really confines a command works here."""
    host = probe()
    return any(
        host.backend_capability(b).available for b in RUNNABLE_BACKENDS if b is not Backend.NONE
    )


def is_available() -> bool:
    """The same as :func:`available` (the Go package's name)."""
    return available()
