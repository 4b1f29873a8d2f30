"""Landlock: which rights each ABI knows, a policy turned into rules, and LandlockSandbox.

Landlock is an allow-list: everything a ruleset *handles* is denied except beneath the
paths (and on the TCP ports) a rule allows. Rights are bit masks from the kernel UAPI; a
kernel enforces only the rights of its ABI, so a policy is first cut to the ABI, and what
that cut removed is reported (or refused, unless the policy allows best effort).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sandbox.errors import LandlockError, PolicyError, Reason, UnsupportedError

# Filesystem rights (struct landlock_ruleset_attr.handled_access_fs), with the ABI that added each.
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2: rename/link across directories
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

FS_NAMES = {
    FS_EXECUTE: "execute", FS_WRITE_FILE: "write_file", FS_READ_FILE: "read_file", FS_READ_DIR: "read_dir",
    FS_REMOVE_DIR: "remove_dir", FS_REMOVE_FILE: "remove_file", FS_MAKE_CHAR: "make_char",
    FS_MAKE_DIR: "make_dir", FS_MAKE_REG: "make_reg", FS_MAKE_SOCK: "make_sock", FS_MAKE_FIFO: "make_fifo",
    FS_MAKE_BLOCK: "make_block", FS_MAKE_SYM: "make_sym", FS_REFER: "refer", FS_TRUNCATE: "truncate",
    FS_IOCTL_DEV: "ioctl_dev",
}

_FS_ABI1 = (1 << 13) - 1


def fs_rights(abi: int) -> int:
    """Every filesystem right the kernel's Landlock ``abi`` enforces."""
    if abi < 1:
        return 0
    rights = _FS_ABI1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def net_rights(abi: int) -> int:
    """The TCP rights ``abi`` enforces (ABI 4 and later)."""
    return NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0


def scopes(abi: int) -> int:
    """The IPC scopes ``abi`` enforces (ABI 6 and later)."""
    return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0


#: Read and run: what system directories and read-only paths get.
READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
#: Everything but device nodes: what the workspace and writable paths get. mknod of a
#: character or block device would hand the command raw hardware if it ever held CAP_MKNOD.
WRITE = (
    READ | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK
    | FS_MAKE_FIFO | FS_MAKE_SYM | FS_REFER | FS_TRUNCATE
)


#: Readable and executable by default: what programs and toolchains need. Absent ones
#: are skipped. /etc is readable but for the secrets that DEFAULT_DENY_READ punches out.
SYSTEM_READ_PATHS: tuple[str, ...] = (
    "/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
    "/proc", "/sys", "/var/lib/dpkg", "/nix/store",
)


@dataclass(frozen=True, slots=True)
class LandlockPlan:
    """A ruleset ready for the kernel: handled masks and the rules, cut to one ABI."""

    abi: int
    handled_fs: int
    handled_net: int
    scoped: int
    paths: tuple[tuple[str, int], ...]
    ports: tuple[tuple[int, int], ...]
    dropped: tuple[str, ...]
    """What the policy asked for that this ABI cannot enforce (best effort only)."""


def plan(
    grants: Mapping[str, int],
    *,
    abi: int,
    deny: Iterable[str] = (),
    ports: Mapping[int, int] | None = None,
    restrict_net: bool,
    scope_ipc: bool,
    best_effort: bool,
    listdir: Callable[[str], list[str]] | None = None,
) -> LandlockPlan:
    """The ruleset for ``grants`` (absolute path -> rights) on a kernel of ``abi``.

    ``deny`` names paths that stay unreachable even beneath a grant: since Landlock only
    adds rights, a grant on a directory that holds a denied path is replaced by grants on
    each of its entries but the one leading to the denied path (entries created later in
    that directory are not covered). ``restrict_net`` handles TCP bind/connect so that only
    ``ports`` are allowed; ``scope_ipc`` cuts abstract unix sockets and signals off from
    processes outside the sandbox.

    Raises:
        UnsupportedError: ``LANDLOCK_MISSING`` when ``abi`` is 0, ``LANDLOCK_ABI_TOO_OLD``
            when the ABI lacks a right the policy needs and ``best_effort`` is False.
        PolicyError: a grant path is relative, or lies inside a denied path.
    """
    if abi < 1:
        raise UnsupportedError(Reason.LANDLOCK_MISSING)
    listdir = listdir or _listdir
    wanted_fs = fs_rights(max(abi, 5))
    handled_fs = fs_rights(abi)
    dropped = [FS_NAMES[bit] for bit in sorted(FS_NAMES) if wanted_fs & bit and not handled_fs & bit]
    handled_net = 0
    if restrict_net:
        handled_net = net_rights(abi)
        if not handled_net:
            dropped.append("tcp (ABI 4)")
    scoped = 0
    if scope_ipc:
        scoped = scopes(abi)
        if not scoped:
            dropped.append("scope abstract unix sockets and signals (ABI 6)")
    if dropped and not best_effort:
        raise UnsupportedError(
            Reason.LANDLOCK_ABI_TOO_OLD,
            f"Landlock ABI {abi} cannot enforce: {', '.join(dropped)}",
            hint=f"Upgrade the kernel, or set best_effort=True to run without: {', '.join(dropped)}.",
        )
    rules = punch_holes(grants, deny, listdir)
    return LandlockPlan(
        abi=abi,
        handled_fs=handled_fs,
        handled_net=handled_net,
        scoped=scoped,
        paths=tuple((path, access & handled_fs) for path, access in sorted(rules.items())),
        ports=tuple(sorted((ports or {}).items())) if handled_net else (),
        dropped=tuple(dropped),
    )


def resolve_denied(entries: Iterable[str], home: str) -> list[str]:
    """The existing paths ``entries`` name (``~`` is ``home``; ``*`` and ``?`` match within
    a component), each as written and as its link target, sorted."""
    out: set[str] = set()
    for entry in entries:
        pattern = home + entry[1:] if entry == "~" or entry.startswith("~/") else entry
        for match in glob.glob(pattern if glob.has_magic(pattern) else glob.escape(pattern)):
            # Both the name and what it points to: a link such as ~/.ssh -> dotfiles/ssh must
            # not leave the target readable through a grant on the dotfiles directory.
            out.update((os.path.abspath(match), os.path.realpath(match)))
    return sorted(out)


def _listdir(path: str) -> list[str]:
    """The entries of ``path`` a rule can name: symlinks are left out, since a rule lands on
    an inode and a link's target is covered (or not) by the rules on its own location."""
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if not e.is_symlink())
    except OSError:
        return []


def inside(path: str, parent: str) -> bool:
    """Whether ``path`` is ``parent`` or beneath it (by components: /a/bc is not in /a/b)."""
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def punch_holes(grants: Mapping[str, int], deny: Iterable[str], listdir: Callable[[str], list[str]]) -> dict[str, int]:
    """``grants`` rewritten so that no rule covers a path in ``deny``; pure but for ``listdir``.

    Raises:
        PolicyError: a grant is relative, or lies at or beneath a denied path.
    """
    denied = sorted({os.path.normpath(d) for d in deny})
    rules: dict[str, int] = {}
    for path, access in grants.items():
        if not os.path.isabs(path):
            raise PolicyError(f"{path!r}: Landlock rules take absolute paths")
        path = os.path.normpath(path)
        for d in denied:
            if inside(path, d):
                raise PolicyError(f"{path!r} lies inside the denied path {d!r}; remove it from deny_read or the rule")
        _split(path, access, [d for d in denied if inside(d, path)], listdir, rules)
    return rules


def _split(path: str, access: int, holes: list[str], listdir: Callable[[str], list[str]], out: dict[str, int]) -> None:
    if not holes:
        out[path] = out.get(path, 0) | access
        return
    for name in listdir(path):
        child = os.path.join(path, name)
        if child in holes:
            continue
        _split(child, access, [h for h in holes if inside(h, child)], listdir, out)


def apply_plan(ruleset_plan: LandlockPlan) -> int:
    """Create the kernel ruleset of ``ruleset_plan``; returns its fd (the caller closes it).

    Raises:
        LandlockError: the kernel refused the ruleset or a rule (a path that vanished, say).
    """
    from sandbox import _native

    mod = _native.load("_landlock")
    fd: int = mod.create_ruleset(ruleset_plan.handled_fs, ruleset_plan.handled_net, ruleset_plan.scoped)
    try:
        for path, access in ruleset_plan.paths:
            mod.add_path(fd, path, access)
        for port, access in ruleset_plan.ports:
            mod.add_port(fd, port, access)
    except BaseException:
        os.close(fd)
        raise
    return fd


class LandlockSandbox:
    """Confine the *calling process* to a project directory with Landlock, irreversibly.

    The project directory is readable and writable, the system directories
    (:data:`SYSTEM_READ_PATHS`) and this interpreter's installation readable but for the secrets of
    :data:`sandbox.policy.DEFAULT_DENY_READ`; add more with
    :meth:`add_read_only_path` and :meth:`add_read_write_path`, then call :meth:`apply`.
    For confining a command, use :class:`sandbox.Sandbox` instead: it confines a child.
    """

    def __init__(self, project_dir: str | os.PathLike[str]) -> None:
        """Raises PolicyError when ``project_dir`` is not an existing directory."""
        path = os.path.abspath(os.fspath(project_dir))
        if not os.path.isdir(path):
            raise PolicyError(f"project_dir: {path!r} is not an existing directory")
        self.project_dir = path
        # The calling process is a Python interpreter: its own installation stays readable,
        # or the first import after apply() would fail.
        import sys

        defaults = [*SYSTEM_READ_PATHS, sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
        self._grants: dict[str, int] = {os.path.realpath(p): READ for p in defaults if os.path.exists(p)}
        self._grants[path] = WRITE
        self.applied = False

    def _add(self, path: str | os.PathLike[str], access: int) -> None:
        p = os.fspath(path)
        if not os.path.isabs(p):
            raise PolicyError(f"{p!r} is relative; Landlock rules take absolute paths")
        if not os.path.exists(p):
            raise PolicyError(f"{p!r} does not exist")
        p = os.path.normpath(p)
        self._grants[p] = self._grants.get(p, 0) | access

    def add_read_only_path(self, path: str | os.PathLike[str]) -> None:
        """Allow reading and executing beneath ``path``. Raises PolicyError (relative, absent)."""
        self._add(path, READ)

    def add_read_write_path(self, path: str | os.PathLike[str]) -> None:
        """Allow reading and writing beneath ``path``. Raises PolicyError (relative, absent)."""
        self._add(path, WRITE)

    def apply(self) -> LandlockPlan:
        """Confine this process, every thread of it, for the rest of its life.

        Landlock before ABI 8 restricts only the calling thread, so a process with other
        threads is refused rather than half-confined.

        Raises:
            UnsupportedError: Landlock is unavailable here.
            LandlockError: another thread is running, or the kernel refused the ruleset.
        """
        from sandbox import _native

        abi_raw = int(_native.load("_landlock").query_abi())
        if abi_raw < 1:
            raise UnsupportedError(Reason.LANDLOCK_DISABLED if abi_raw == -95 else Reason.LANDLOCK_MISSING)
        threads = len(os.listdir("/proc/self/task"))
        if threads != 1:
            raise LandlockError(
                1, f"{threads} threads are running; Landlock ABI {abi_raw} confines only the calling thread, "
                "so apply() must run before any other thread starts"
            )
        from sandbox.policy import DEFAULT_DENY_READ

        home = os.path.expanduser("~")
        literal = [home + e[1:] if e == "~" or e.startswith("~/") else e for e in DEFAULT_DENY_READ]
        deny = sorted(set(resolve_denied(DEFAULT_DENY_READ, home)) | set(literal))
        ruleset = plan(self._grants, abi=abi_raw, deny=deny, restrict_net=False, scope_ipc=True, best_effort=True)
        fd = apply_plan(ruleset)
        try:
            _native.load("_landlock").restrict_self(fd)
        finally:
            os.close(fd)
        self.applied = True
        return ruleset
