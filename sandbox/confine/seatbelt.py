"""macOS Seatbelt: a policy, the SBPL profile it compiles to, and a launcher.

The profile is plain text and is generated identically on every platform, so its exact
content is unit-tested anywhere; only :func:`run_seatbelted` needs macOS. The profile starts
from ``(deny default)`` and allows what a toolchain needs, then ends with explicit denials
which win because, in SBPL, the last matching rule decides.

Paths are untrusted text (an agent chooses its work dir name). Each one is canonicalised and
emitted as an SBPL string literal in which only ``\\`` and ``"`` are escaped; any control
character (below 0x20, or 0x7f) is **rejected** with :class:`~sandbox.errors.PolicyError`
rather than escaped. SBPL is read by Apple's private fork of TinyScheme, whose handling of
``\\x`` escapes is undocumented: a misread escape would make a deny rule name a different
path than the one it should protect, so refusing the path is the fail-closed choice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from sandbox.errors import PolicyError, Reason, UnsupportedError

__all__ = [
    "AGENT_CONFIG_DIRS",
    "DEFAULT_READABLE_PATHS",
    "DEFAULT_WRITABLE_PATHS",
    "MACH_SERVICES",
    "NETWORK_MACH_SERVICES",
    "SANDBOX_EXEC",
    "SECRET_DIRS",
    "SYSCTL_NAMES",
    "SYSCTL_PREFIXES",
    "SeatbeltPolicy",
    "default_seatbelt_policy",
    "generate_seatbelt_profile",
    "run_seatbelted",
]

SANDBOX_EXEC = "/usr/bin/sandbox-exec"

DEFAULT_READABLE_PATHS: tuple[str, ...] = (
    "/bin",  # POSIX tools
    "/sbin",
    "/usr",  # compilers, headers, libraries, the xcode-select shims (git, clang, python3)
    "/usr/local",  # Intel Homebrew; listed on its own so it survives dropping /usr
    "/opt/homebrew",  # Apple-silicon Homebrew
    "/System",  # frameworks and the dyld shared cache (also its cryptex under /System/Volumes)
    "/Library",  # CommandLineTools, system frameworks and runtimes; the system one, not ~/Library
    "/private/etc",  # passwd, shells, TLS roots, zprofile
    "/private/var/db/timezone",  # where /etc/localtime points
    "/private/var/db/xcode_select_link",  # the /usr/bin shims read it to find the developer dir
    "/private/var/select",  # /bin/sh is a trampoline to the shell this dir selects
)
"""What a toolchain reads besides the work dir. ``/dev`` is deliberately absent: reading the
terminal devices in it would let a command read the user's keystrokes; the few devices
programs need are granted one by one by every profile."""

DEFAULT_WRITABLE_PATHS: tuple[str, ...] = ("/private/tmp", "/private/var/folders")
"""The temp dirs: ``/tmp`` and the per-user ``$TMPDIR`` under ``/var/folders``."""

AGENT_CONFIG_DIRS: tuple[str, ...] = (".claude", ".codex", ".config/sandbox")
"""Relative to home; never writable. A command that could rewrite the agent's settings or
this library's configuration could widen its own sandbox for the next command."""

SECRET_DIRS: tuple[str, ...] = (".aws", ".gnupg", ".ssh", "Library/Keychains")
"""Relative to home; neither readable nor writable, whatever the policy says: credentials
are what exfiltration is after."""

MACH_SERVICES: tuple[str, ...] = (
    # libSystem logs through it; without it tools stall or fail on their first log line.
    "com.apple.system.logger",
    # notify(3): libc learns of timezone and locale changes through it.
    "com.apple.system.notification_center",
    # getpwuid/getgrgid: ls -l, id, git and ~ expansion look up user and group names.
    "com.apple.system.opendirectoryd.libinfo",
)
"""Mach services every profile may look up. Each mach service is a daemon running outside
the sandbox, acting on the caller's behalf, so a blanket ``mach-lookup`` would hand the
command every daemon's authority. ``com.apple.SecurityServer`` is deliberately absent: it
brokers keychain access, which file rules cannot fence."""

NETWORK_MACH_SERVICES: tuple[str, ...] = (
    # getaddrinfo resolves names by asking mDNSResponder over this service.
    "com.apple.dnssd.service",
    # Security.framework evaluates TLS certificates here (curl, git over https).
    "com.apple.trustd.agent",
)
"""Mach services added only when the policy allows the network: resolving a name is itself
a way to send data out (DNS tunnelling)."""

SYSCTL_NAMES: tuple[str, ...] = (
    # CPU counts: make -j, os.cpu_count() and thread pools size themselves by them.
    "hw.activecpu",
    "hw.logicalcpu",
    "hw.ncpu",
    "hw.physicalcpu",
    # Allocators and runtimes size their heaps and pages.
    "hw.memsize",
    "hw.pagesize",
    # Architecture: uname -m, and the check for running under Rosetta.
    "hw.cputype",
    "hw.machine",
    "sysctl.proc_translated",
    # uname(3) fails as a whole if any of these is unreadable; hostname is the only one that
    # identifies the machine.
    "kern.hostname",
    "kern.osproductversion",
    "kern.osrelease",
    "kern.ostype",
    "kern.osversion",
    "kern.version",
    # xargs and shells size argument lists.
    "kern.argmax",
)
"""sysctls readable without ``allow_sysctl``: the few programs need. The rest (boot
arguments, process tables of other users, kernel addresses) is fingerprinting and recon."""

SYSCTL_PREFIXES: tuple[str, ...] = ("hw.optional.",)
"""CPU feature flags, read by code that picks SIMD implementations (compilers, numpy)."""

# The macOS root entries that are symlinks into /private. Seatbelt checks resolved paths,
# so a rule naming /tmp would never match; they are resolved textually so that the profile
# is the same on Linux, where they are real directories.
_PRIVATE_LINKS = frozenset({"etc", "tmp", "var"})

# Device nodes every program expects; granted one by one (see DEFAULT_READABLE_PATHS).
_DEVICES_READ_WRITE = ("/dev/null",)
_DEVICES_READ = ("/dev/random", "/dev/urandom", "/dev/zero")
# Opening /dev/fd/N duplicates a descriptor the process already holds: no new access, and
# `>/dev/stderr` and bash's <(...) need it.
_DEVICE_FD_DIR = "/dev/fd"
# Links programs open by name; lstat only.
_LINK_ENTRIES = ("/dev/stderr", "/dev/stdin", "/dev/stdout", "/etc", "/tmp", "/var")


@dataclass(frozen=True, slots=True)
class SeatbeltPolicy:
    """What a command confined by Seatbelt may do.

    ``readable_paths`` and ``writable_paths`` take any iterable of absolute paths (``str``
    or path-like) and are stored as tuples. Writable paths are readable too; their writes
    are allowed only when ``allow_write``. With ``allow_process`` the command may fork and
    exec programs under the readable paths; without it, it runs as one process. sysctls
    beyond :data:`SYSCTL_NAMES` are readable only with ``allow_sysctl``.

    Raises:
        PolicyError: a flag is not a bool; a path list is a single string or not iterable;
            a path is not a string, empty, relative, or contains NUL, a control character
            or text that is not valid Unicode.
    """

    allow_network: bool = False
    allow_write: bool = False
    readable_paths: tuple[str, ...] = ()
    writable_paths: tuple[str, ...] = ()
    allow_process: bool = True
    allow_sysctl: bool = False

    def __post_init__(self) -> None:
        for name in ("allow_network", "allow_write", "allow_process", "allow_sysctl"):
            value = getattr(self, name)
            # bool only: 0/1 or "false" from a config file must not be read as a choice.
            if not isinstance(value, bool):
                raise PolicyError(f"{name}: expected True or False, got {value!r}")
        for name in ("readable_paths", "writable_paths"):
            object.__setattr__(self, name, _check_paths(getattr(self, name), name))


def default_seatbelt_policy(work_dir: str | os.PathLike[str]) -> SeatbeltPolicy:
    """The policy for a command working in ``work_dir``.

    Readable: :data:`DEFAULT_READABLE_PATHS` and the work dir. Writable: the work dir and
    :data:`DEFAULT_WRITABLE_PATHS`, with ``allow_write``. Processes allowed; network and
    extra sysctls denied.

    Raises:
        PolicyError: ``work_dir`` is not an absolute path to an existing directory.
    """
    path = _check_path(work_dir, "work_dir")
    if not os.path.isdir(path):
        raise PolicyError(f"work_dir: {path!r} is not an existing directory")
    return SeatbeltPolicy(
        allow_write=True,
        readable_paths=(*DEFAULT_READABLE_PATHS, path),
        writable_paths=(path, *DEFAULT_WRITABLE_PATHS),
    )


def generate_seatbelt_profile(policy: SeatbeltPolicy, *, home: str | None = None) -> str:
    """The SBPL profile enforcing ``policy``: one rule per line, deterministic.

    ``home`` is the directory under which :data:`AGENT_CONFIG_DIRS` and :data:`SECRET_DIRS`
    are denied; by default the current user's (``os.path.expanduser("~")``).

    Raises:
        PolicyError: ``policy`` is not a :class:`SeatbeltPolicy`, ``home`` is not an
            absolute path, a path goes through a symlink loop, or a path (after resolving
            symlinks) contains a control character or text that is not valid Unicode.
    """
    return _render(policy, home=home, exec_literals=())


def run_seatbelted(
    command: str | Sequence[str],
    policy: SeatbeltPolicy,
    *,
    home: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    stdin: int | IO[Any] | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` under ``sandbox-exec`` with the profile of ``policy``.

    A string runs through ``/bin/sh -c``; a sequence is the argv. The child starts in a new
    session. Without ``allow_process`` the command may exec only its own program.

    Raises:
        PolicyError: ``command`` is empty, not strings, contains NUL, or its program starts
            with ``-``; or the profile cannot be generated (see
            :func:`generate_seatbelt_profile`).
        UnsupportedError: ``Reason.NOT_MACOS`` off macOS; ``Reason.SEATBELT_MISSING`` when
            ``/usr/bin/sandbox-exec`` is absent.
        OSError: the process could not be started.
    """
    argv = _check_command(command)
    exec_literals: tuple[str, ...] = ()
    if isinstance(policy, SeatbeltPolicy) and not policy.allow_process:
        program = _resolve_program(argv[0], cwd, env)
        exec_literals = (program,) if program is not None else ()
    profile = _render(policy, home=home, exec_literals=exec_literals)
    if sys.platform != "darwin":
        raise UnsupportedError(Reason.NOT_MACOS)
    if not os.access(SANDBOX_EXEC, os.X_OK):
        raise UnsupportedError(Reason.SEATBELT_MISSING)
    return subprocess.Popen(
        [SANDBOX_EXEC, "-p", profile, *argv],
        cwd=cwd,
        env=env,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        close_fds=True,
        # Without a controlling terminal the command can neither prompt the user nor push
        # keystrokes into the agent's terminal.
        start_new_session=True,
    )


# -- validation ------------------------------------------------------------------------


def _check_text(path: str, what: str) -> None:
    for ch in path:
        # Rejected, not escaped: see the module docstring.
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise PolicyError(f"{what}: {path!r} contains the control character {ch!r}")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise PolicyError(f"{what}: {path!r} is not valid Unicode (undecodable bytes)") from None


def _check_path(value: object, what: str) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise PolicyError(f"{what}: expected a path string, got {type(value).__name__}")
    if not value or "\0" in value:
        raise PolicyError(f"{what}: {value!r} is empty or contains NUL")
    if not value.startswith("/"):
        raise PolicyError(f"{what}: {value!r} is relative; Seatbelt rules take absolute paths")
    _check_text(value, what)
    return value


def _check_paths(values: object, what: str) -> tuple[str, ...]:
    # A bare string is iterable too: "/usr" would become "/", "u", "s", "r", and "/" is
    # the whole disk.
    if isinstance(values, (str, bytes, os.PathLike)) or not isinstance(values, Iterable):
        raise PolicyError(f"{what}: expected a list of paths, got {type(values).__name__}")
    return tuple(_check_path(v, what) for v in values)


def _check_command(command: object) -> list[str]:
    if isinstance(command, str):
        argv = ["/bin/sh", "-c", command]
    elif isinstance(command, Sequence) and not isinstance(command, bytes):
        argv = list(command)
    else:
        raise PolicyError(f"command: expected a string or a list of strings, got {type(command).__name__}")
    if not argv or not all(isinstance(a, str) for a in argv):
        raise PolicyError("command: expected a non-empty list of strings")
    if any("\0" in a for a in argv):
        raise PolicyError("command: an argument contains NUL")
    # sandbox-exec parses options before the program: "-f FILE" there would swap the profile.
    if argv[0].startswith("-"):
        raise PolicyError(f"command: program {argv[0]!r} starts with '-'")
    return argv


def _resolve_program(program: str, cwd: str | os.PathLike[str] | None, env: Mapping[str, str] | None) -> str | None:
    if "/" in program:
        return os.path.abspath(os.path.join(os.fspath(cwd) if cwd is not None else os.getcwd(), program))
    path = (env if env is not None else os.environ).get("PATH", os.defpath)
    # None: exec fails with ENOENT anyway, so allow nothing rather than guess.
    return shutil.which(program, path=path)


# -- rendering -------------------------------------------------------------------------


def _canonical(path: str) -> str:
    """``path`` as macOS resolves it: symlinks and ``..`` resolved (like realpath) with the
    root links /tmp, /var and /etc taken to /private/... textually, before ``..`` is
    applied, so ``/tmp/..`` is ``/private`` as on macOS, and the profile is the same on
    Linux, where those links do not exist.

    Raises:
        PolicyError: more than 40 symlinks on the way (a loop).
    """
    budget = 40

    def walk(current: str, rest: str) -> str:
        nonlocal budget
        for name in rest.split("/"):
            if name in ("", "."):
                continue
            if name == "..":
                current = os.path.dirname(current)
                continue
            current = os.path.join(current, name)
            if current.count("/") == 1 and name in _PRIVATE_LINKS:
                current = "/private" + current
                continue
            try:
                target = os.readlink(_on_host(current))
            except OSError:  # not a link, or not there: the name stands
                continue
            budget -= 1
            if budget < 0:
                raise PolicyError(f"path: {path!r} has too many levels of symbolic links")
            current = walk("/" if target.startswith("/") else os.path.dirname(current), target)
        return current

    return walk("/", path)


def _on_host(path: str) -> str:
    # Where there is no /private (Linux), what macOS keeps there lives under the link names.
    for name in _PRIVATE_LINKS:
        real = "/private/" + name
        if (path == real or path.startswith(real + "/")) and not os.path.isdir(real):
            return path[len("/private") :]
    return path


def _squash(path: str) -> str:
    return "/" + "/".join(p for p in path.split("/") if p not in ("", "."))


def _through_private(path: str) -> str:
    first = path.split("/", 2)[1]
    return "/private" + path if first in _PRIVATE_LINKS else path


def _literal(path: str) -> str:
    _check_text(path, "path")
    escaped = path.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _covered(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _outermost(paths: Iterable[str]) -> list[str]:
    """Sorted, without duplicates or paths inside another: ``subpath`` covers those."""
    kept: list[str] = []
    for p in sorted(set(paths), key=lambda s: (s.count("/"), s)):
        if not _covered(p, kept):
            kept.append(p)
    return sorted(kept)


def _ancestors(paths: Iterable[str], covered_by: Sequence[str]) -> list[str]:
    found: set[str] = set()
    for p in paths:
        while p != "/":
            p = os.path.dirname(p)
            if not _covered(p, covered_by):
                found.add(p)
    return sorted(found)


def _render(policy: object, *, home: str | None, exec_literals: Sequence[str]) -> str:
    if not isinstance(policy, SeatbeltPolicy):
        raise PolicyError(f"policy: expected a SeatbeltPolicy, got {type(policy).__name__}")
    home_dir = _canonical(_check_path(os.path.expanduser("~") if home is None else home, "home"))

    readable = [_canonical(p) for p in policy.readable_paths]
    writable = [_canonical(p) for p in policy.writable_paths]
    reads = _outermost(readable + writable)
    writes = _outermost(writable) if policy.allow_write else []
    execs = _outermost(readable) if policy.allow_process else []

    def protected(names: Iterable[str]) -> list[str]:
        # Both the path and, if it is a symlink (a dotfiles repo), its target: Seatbelt
        # checks the resolved path, so denying only the link would protect nothing.
        out: set[str] = set()
        for name in names:
            out.add(os.path.join(home_dir, name))
            out.add(_canonical(os.path.join(home_dir, name)))
        return sorted(out)

    lines = ["(version 1)", "(deny default)"]
    lines.append("; read: the readable and writable paths")
    lines += [f"(allow file-read* (subpath {_literal(p)}))" for p in reads]
    lines.append("; lookup: stat of ancestors and links, for realpath() and getcwd(); no listing")
    # A path given through a symlink is granted at its target, where Seatbelt checks; the
    # link itself gets lstat, so readlink() (the xcode-select shims do) still works.
    given = (*policy.readable_paths, *policy.writable_paths)
    named = [_through_private(os.path.normpath(_squash(p))) for p in given]
    links = [p for p in (*_LINK_ENTRIES, *named) if not _covered(p, reads)]
    metadata = _ancestors(reads, reads) + links
    lines += [f"(allow file-read-metadata (literal {_literal(p)}))" for p in sorted(set(metadata))]
    if writes:
        lines.append("; write")
        lines += [f"(allow file-write* (subpath {_literal(p)}))" for p in writes]
    lines.append("; devices every program expects")
    lines += [f"(allow file-read* file-write* (literal {_literal(p)}))" for p in _DEVICES_READ_WRITE]
    lines.append(f"(allow file-read* file-write* (subpath {_literal(_DEVICE_FD_DIR)}))")
    lines += [f"(allow file-read* (literal {_literal(p)}))" for p in _DEVICES_READ]
    lines.append("; processes: exec only from readable paths, never from the temp dirs")
    if policy.allow_process:
        lines.append("(allow process-fork)")
        lines += [f"(allow process-exec (subpath {_literal(p)}))" for p in execs]
    lines += [f"(allow process-exec (literal {_literal(_canonical(p))}))" for p in sorted(set(exec_literals))]
    lines.append("(allow signal (target self))")
    lines.append("; mach services, by name only")
    services = MACH_SERVICES + (NETWORK_MACH_SERVICES if policy.allow_network else ())
    lines += [f"(allow mach-lookup (global-name {_literal(s)}))" for s in sorted(set(services))]
    lines.append("; sysctl")
    if policy.allow_sysctl:
        lines.append("(allow sysctl-read)")
    else:
        lines += [f"(allow sysctl-read (sysctl-name {_literal(n)}))" for n in sorted(SYSCTL_NAMES)]
        lines += [f"(allow sysctl-read (sysctl-name-prefix {_literal(n)}))" for n in sorted(SYSCTL_PREFIXES)]
    if policy.allow_network:
        # network* includes unix sockets: ssh-agent, docker.sock. Without it both stay shut.
        lines.append("; network")
        lines.append("(allow network*)")
    lines.append("; last match wins: these override every allow above")
    lines += [f"(deny file-write* (subpath {_literal(p)}))" for p in protected(AGENT_CONFIG_DIRS)]
    lines += [f"(deny file-read* file-write* (subpath {_literal(p)}))" for p in protected(SECRET_DIRS)]
    return "\n".join(lines) + "\n"
