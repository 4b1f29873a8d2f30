"""Configuration: what a sandbox may do, as frozen, validated values.

Nothing here touches the system beyond reading the current directory for a default; every
invalid value raises :class:`~sandbox.errors.PolicyError` when the object is built, so a bad
policy fails before anything runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field, fields

from sandbox.errors import PolicyError

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing; see sandbox/__init__.py
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BACKEND_NAMES",
    "DEFAULT_DENY_READ",
    "DEFAULT_ENV_PASSTHROUGH",
    "Config",
    "IsolationLevel",
    "Limits",
    "Mode",
    "SandboxConfig",
    "current_mode",
    "default_config",
    "parse_mode",
    "use_mode",
]


class Mode(str, enum.Enum):
    """How much a confined command may write."""

    STRICT = "strict"
    """Nothing writable but a private temp dir; network off."""
    WORKSPACE = "workspace"
    """The workspace and a private temp dir writable."""
    OFF = "off"
    """No sandbox; only when asked for explicitly."""

    def __str__(self) -> str:
        return self.value


def parse_mode(text: str | None) -> Mode:
    """The mode named by ``text`` (case and surrounding space ignored).

    An unknown or empty string gives :attr:`Mode.STRICT`: a typo in an environment variable
    must never open the sandbox. Use ``Mode(text)`` where a typo should raise instead.
    """
    if not text:
        return Mode.STRICT
    try:
        return Mode(text.strip().lower())
    except ValueError:
        return Mode.STRICT


_current_mode: contextvars.ContextVar[Mode] = contextvars.ContextVar("sandbox_mode", default=Mode.OFF)


@contextlib.contextmanager
def use_mode(mode: Mode | str) -> Iterator[Mode]:
    """Set the mode for the code inside the ``with`` block, and what it starts.

    Backed by :mod:`contextvars`: asyncio tasks created inside inherit it, as do threads
    started with a copied context (``contextvars.copy_context().run``), and the previous
    mode comes back on exit even when the block raises.

    Raises:
        PolicyError: ``mode`` is not a mode.
    """
    token = _current_mode.set(_coerce_mode(mode))
    try:
        yield _current_mode.get()
    finally:
        _current_mode.reset(token)


def current_mode() -> Mode:
    """The mode set by the innermost :func:`use_mode`, or :attr:`Mode.OFF` when none is."""
    return _current_mode.get()


class IsolationLevel(str, enum.Enum):
    """How strong a backend :func:`sandbox.select_sandbox` must pick."""

    DEFAULT = "default"
    """Kernel confinement of the command (Landlock + seccomp, or Seatbelt on macOS)."""
    ENHANCED = "enhanced"
    """Kernel confinement plus namespaces (bubblewrap, or Landlock with user namespaces)."""
    CONTAINER = "container"
    """A hardened Docker container."""
    MAXIMUM = "maximum"
    """A hardened container under gVisor: the command never meets the host kernel."""
    OFF = "off"
    """No isolation."""

    def __str__(self) -> str:
        return self.value


#: The names `Config.type` accepts: "auto" or one backend.
BACKEND_NAMES = ("auto", "landlock", "bwrap", "docker", "gvisor", "seatbelt", "none")

#: Read-denied by default, even where a parent directory is readable: credentials an agent
#: must never see. `~` is the home directory of the user running the sandbox; `*` and `?`
#: match within one path component.
DEFAULT_DENY_READ: tuple[str, ...] = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh/ssh_host_*_key",
    "/etc/ssl/private",
    "~/.ssh",
    "~/.gnupg",
    "~/.aws",
    "~/.config/gcloud",
    "~/.azure",
    "~/.kube",
    "~/.docker/config.json",
    "~/.netrc",
    "~/.git-credentials",
    "~/.config/gh",
    "~/.password-store",
    "~/.mozilla",
    "~/.config/google-chrome",
    "~/.config/chromium",
    "~/.config/BraveSoftware",
    "~/.config/sandbox",
    "~/.claude",
    "~/.codex",
    "~/.config/anthropic",
    "~/.config/openai",
)

#: Environment variables passed to a confined command when `SandboxConfig.env` is not set:
#: what programs need to run, never credentials. Entries ending in `*` match a prefix.
DEFAULT_ENV_PASSTHROUGH: tuple[str, ...] = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "TZ",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "PWD",
    "COLUMNS",
    "LINES",
    "NO_COLOR",
    "FORCE_COLOR",
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_path(value: object, what: str, *, allow_home: bool) -> str:
    """A path as a normalised absolute string (or `~/...` where allowed)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise PolicyError(f"{what}: expected a path string, got {type(value).__name__}")
    if not value or "\0" in value:
        raise PolicyError(f"{what}: {value!r} is empty or contains NUL")
    if allow_home and (value == "~" or value.startswith("~/")):
        rest = value[2:].strip("/")
        return "~/" + os.path.normpath(rest) if rest else "~"
    if not os.path.isabs(value):
        raise PolicyError(f"{what}: {value!r} is relative; rules take absolute paths")
    return os.path.normpath(value)


def _check_paths(values: object, what: str, *, allow_home: bool = True) -> tuple[str, ...]:
    if isinstance(values, (str, bytes, os.PathLike)) or not isinstance(values, Iterable):
        raise PolicyError(f"{what}: expected a list of paths, got {type(values).__name__}")
    return tuple(_check_path(v, what, allow_home=allow_home) for v in values)


def _check_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{what}: expected true or false, got {value!r}")
    return value


def _coerce_mode(value: object) -> Mode:
    if isinstance(value, Mode):
        return value
    if isinstance(value, str):
        try:
            return Mode(value)
        except ValueError:
            pass
    raise PolicyError(f"mode: {value!r} is not one of {', '.join(m.value for m in Mode)}")


@dataclass(frozen=True, slots=True)
class Config:
    """The flat configuration of the Go package this project grew from, with its JSON keys.

    ``Sandbox(Config(...))`` converts it to a :class:`SandboxConfig` with
    :meth:`SandboxConfig.from_config`. Lists may be given as any iterable of strings; they
    are kept as tuples.

    Raises:
        PolicyError: a value has the wrong type or is out of range.
    """

    enabled: bool = True
    type: str = "auto"
    allow_network: bool = False
    allow_write: bool = True
    read_only_dirs: tuple[str, ...] = ()
    writable_dirs: tuple[str, ...] = ()
    max_memory_mb: int = 512
    max_cpu_pct: int = 50

    def __post_init__(self) -> None:
        _check_bool(self.enabled, "enabled")
        _check_bool(self.allow_network, "allow_network")
        _check_bool(self.allow_write, "allow_write")
        if self.type not in BACKEND_NAMES:
            raise PolicyError(f"type: {self.type!r} is not one of {', '.join(BACKEND_NAMES)}")
        object.__setattr__(self, "read_only_dirs", _check_paths(self.read_only_dirs, "read_only_dirs"))
        object.__setattr__(self, "writable_dirs", _check_paths(self.writable_dirs, "writable_dirs"))
        if not _is_int(self.max_memory_mb) or self.max_memory_mb <= 0:
            raise PolicyError(f"max_memory_mb: expected a positive integer, got {self.max_memory_mb!r}")
        if not _is_int(self.max_cpu_pct) or not 1 <= self.max_cpu_pct <= 100:
            raise PolicyError(f"max_cpu_pct: expected an integer from 1 to 100, got {self.max_cpu_pct!r}")

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a JSON-ready dict with the keys of the JSON form."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def to_json(self) -> str:
        """The configuration as a JSON object (keys as the field names)."""
        import json

        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        """A configuration from a mapping; missing keys take their defaults.

        Raises:
            PolicyError: a key is unknown or a value is invalid.
        """
        if not isinstance(data, Mapping):
            raise PolicyError(f"expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PolicyError(f"unknown configuration keys: {', '.join(map(str, unknown))}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Config:
        """A configuration from its JSON form.

        Raises:
            PolicyError: the text is not JSON, not an object, or holds an invalid value.
        """
        import json

        try:
            data = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise PolicyError(f"configuration is not valid JSON: {exc}") from exc
        return cls.from_dict(data)


def default_config() -> Config:
    """The default :class:`Config`: enabled, type ``auto``, 512 MB, 50 % CPU, no network."""
    return Config()


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits of a confined command; ``None`` means the host's own limit.

    Raises:
        PolicyError: a limit is not a positive number.
    """

    memory_mb: int | None = 512
    """Address space, in MiB (RLIMIT_AS)."""
    cpu_seconds: int | None = None
    """CPU time, in seconds (RLIMIT_CPU)."""
    cpu_percent: int | None = None
    """Share of the machine's CPU, 1 to 100, where the backend can enforce a share."""
    pids: int | None = 512
    """Processes and threads (RLIMIT_NPROC, or a pids cgroup/namespace where used)."""
    open_files: int | None = 1024
    """Open file descriptors (RLIMIT_NOFILE)."""
    file_size_mb: int | None = None
    """Largest file the command may write, in MiB (RLIMIT_FSIZE)."""
    wall_time: float | None = None
    """Seconds before the whole process tree is killed."""
    output_mb: int | None = 64
    """Output kept per stream by Sandbox.run, in MiB; the rest is read and dropped, so a
    command printing without end cannot exhaust the caller's memory."""

    def __post_init__(self) -> None:
        for name in ("memory_mb", "cpu_seconds", "pids", "open_files", "file_size_mb", "output_mb"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value <= 0):
                raise PolicyError(f"limits.{name}: expected a positive integer or None, got {value!r}")
        pct = self.cpu_percent
        if pct is not None and (not _is_int(pct) or not 1 <= pct <= 100):
            raise PolicyError(f"limits.cpu_percent: expected an integer from 1 to 100 or None, got {pct!r}")
        wall = self.wall_time
        if wall is not None and (
            isinstance(wall, bool) or not isinstance(wall, (int, float)) or not math.isfinite(wall) or wall <= 0
        ):
            raise PolicyError(f"limits.wall_time: expected a positive number of seconds or None, got {wall!r}")


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """The policy of one :class:`sandbox.Sandbox`.

    ``mode``, ``workspace_dir`` and ``allow_network`` may be given by position; the rest are
    keyword-only. Paths are absolute (``~/...`` allowed in ``read_only_paths``,
    ``writable_paths`` and ``deny_read``); ``env`` names the environment variables that pass
    through to the command (a trailing ``*`` matches a prefix), and variables that look like
    credentials never pass through a prefix match.

    Raises:
        PolicyError: a value has the wrong type, a path is relative, a limit is invalid, or
            ``mode`` is not a mode.
    """

    mode: Mode = Mode.WORKSPACE
    workspace_dir: str = field(default_factory=os.getcwd)
    allow_network: bool = False
    _: KW_ONLY
    allowed_domains: tuple[str, ...] = ()
    read_only_paths: tuple[str, ...] = ()
    writable_paths: tuple[str, ...] = ()
    deny_read: tuple[str, ...] = DEFAULT_DENY_READ
    env: tuple[str, ...] = DEFAULT_ENV_PASSTHROUGH
    limits: Limits = field(default_factory=Limits)
    backend: str = "auto"
    namespaces: bool = True
    """Add user, mount, IPC and network namespaces where the host allows them (the landlock
    backend). False confines with Landlock, seccomp and limits alone, as on a host without
    user namespaces: AF_UNIX sockets are then refused outright."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", _coerce_mode(self.mode))
        _check_bool(self.namespaces, "namespaces")
        object.__setattr__(self, "workspace_dir", _check_path(self.workspace_dir, "workspace_dir", allow_home=False))
        _check_bool(self.allow_network, "allow_network")
        for name in ("read_only_paths", "writable_paths", "deny_read"):
            object.__setattr__(self, name, _check_paths(getattr(self, name), name))
        object.__setattr__(self, "allowed_domains", _check_names(self.allowed_domains, "allowed_domains"))
        object.__setattr__(self, "env", _check_names(self.env, "env"))
        if not isinstance(self.limits, Limits):
            raise PolicyError(f"limits: expected a Limits, got {type(self.limits).__name__}")
        if self.backend not in BACKEND_NAMES:
            raise PolicyError(f"backend: {self.backend!r} is not one of {', '.join(BACKEND_NAMES)}")
        if self.mode is Mode.STRICT and self.writable_paths:
            raise PolicyError("writable_paths: strict mode makes nothing writable; use workspace mode")

    @property
    def network_enabled(self) -> bool:
        """Whether commands get the network directly: asked for, no ``allowed_domains`` (which
        send it through the egress proxy instead), and not strict mode (which forces it off)."""
        return self.allow_network and not self.allowed_domains and self.mode is not Mode.STRICT

    @property
    def proxied(self) -> bool:
        """Whether commands reach the network only through the egress proxy: ``allowed_domains``
        is set (outside strict mode, which forces the network off)."""
        return bool(self.allowed_domains) and self.mode is not Mode.STRICT

    @classmethod
    def from_config(cls, config: Config, workspace_dir: str | os.PathLike[str] | None = None) -> SandboxConfig:
        """The policy a :class:`Config` stands for.

        The mapping: ``enabled=False`` → mode ``off``; ``allow_write=False`` → ``strict``,
        else ``workspace``; ``read_only_dirs`` → ``read_only_paths``; ``writable_dirs`` →
        ``writable_paths``; ``max_memory_mb`` → ``limits.memory_mb``; ``max_cpu_pct`` →
        ``limits.cpu_percent``; ``type`` → ``backend``; ``allow_network`` as is. The workspace
        is ``workspace_dir``, or the current directory.

        Raises:
            PolicyError: the result is not a valid policy (writable dirs with
                ``allow_write=False``, for instance).
        """
        if not config.enabled:
            mode = Mode.OFF
        elif not config.allow_write:
            mode = Mode.STRICT
        else:
            mode = Mode.WORKSPACE
        return cls(
            mode,
            os.fspath(workspace_dir) if workspace_dir is not None else os.getcwd(),
            config.allow_network,
            read_only_paths=config.read_only_dirs,
            writable_paths=config.writable_dirs,
            limits=Limits(memory_mb=config.max_memory_mb, cpu_percent=config.max_cpu_pct),
            backend=config.type,
        )


def _check_names(values: object, what: str) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise PolicyError(f"{what}: expected a list of strings, got {type(values).__name__}")
    out = []
    for v in values:
        if not isinstance(v, str) or not v or any(c.isspace() or c == "\0" for c in v):
            raise PolicyError(f"{what}: {v!r} is not a non-empty string without spaces")
        out.append(v)
    return tuple(out)
