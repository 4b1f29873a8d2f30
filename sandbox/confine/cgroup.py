"""Cgroups per Sandbox: the limits that rlimits cannot hold.

RLIMIT_NPROC counts the processes of a user, and the kernel never applies it to the real
root user (copy_process exempts INIT_USER whatever its capabilities), so a fork bomb run by
root under rlimits alone exhausts the host's pids. RLIMIT_DATA counts private writable
memory only: shared anonymous mappings and memfd pages escape it. The pids and memory
controllers have neither gap. Where this process may create cgroups (root on most hosts,
or a delegated subtree), each Sandbox gets its own, and every command it starts joins them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

_V2_ROOTS = ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")
_V1_ROOT = "/sys/fs/cgroup"


@dataclass(frozen=True, slots=True)
class Cgroups:
    """The cgroups made for one sandbox; a process joins by writing "0" to each ``procs``."""

    paths: tuple[str, ...]
    procs: tuple[str, ...]
    limits: tuple[str, ...]
    """What they enforce: ``pids``, ``memory``."""

    def close(self) -> None:
        """Remove the cgroups; any still holding processes stays in place."""
        for path in self.paths:
            try:
                os.rmdir(path)
            except OSError:
                pass


def _own_cgroups() -> dict[str, str]:
    """This process's path per hierarchy: ``""`` names the v2 one, else the v1 controllers."""
    out: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for name in controllers.split(",") if controllers else [""]:
                    out[name] = path
    except OSError:
        pass
    return out


def _v2_base(own: dict[str, str], controller: str) -> str | None:
    if "" not in own:
        return None
    for root in _V2_ROOTS:
        base = os.path.normpath(root + own[""])
        try:
            with open(os.path.join(base, "cgroup.subtree_control")) as f:
                if controller in f.read().split():
                    return base
        except OSError:
            continue
    return None


def _make(base: str, settings: list[tuple[str, str]]) -> str | None:
    """A new cgroup under ``base`` with ``settings`` written (optional files skipped when
    absent), or None where it cannot be made."""
    path = os.path.join(base, f"sandbox-{secrets.token_hex(6)}")
    try:
        os.mkdir(path, 0o755)
    except OSError:
        return None
    try:
        for name, value in settings:
            optional = name.startswith("?")
            target = os.path.join(path, name.lstrip("?"))
            if optional and not os.path.exists(target):
                continue
            with open(target, "w") as f:
                f.write(value)
        if not os.access(os.path.join(path, "cgroup.procs"), os.W_OK):
            raise PermissionError(path)
    except OSError:
        try:
            os.rmdir(path)
        except OSError:
            pass
        return None
    return path


def _v1_settings(controller: str, value: int) -> list[tuple[str, str]]:
    if controller == "pids":
        return [("pids.max", str(value))]
    # The swap limit too, where the host accounts swap: otherwise a balloon spills into swap.
    return [("memory.limit_in_bytes", str(value)), ("?memory.memsw.limit_in_bytes", str(value))]


def _v2_settings(controller: str, value: int) -> list[tuple[str, str]]:
    if controller == "pids":
        return [("pids.max", str(value))]
    return [("memory.max", str(value)), ("?memory.swap.max", "0")]


def create(*, pids: int | None, memory_bytes: int | None) -> Cgroups | None:
    """Cgroups enforcing what can be enforced of ``pids`` and ``memory_bytes`` here, or None.

    A v1 controller gets a cgroup in its own hierarchy; the v2 controllers share one cgroup
    (a process is in exactly one v2 cgroup). ``limits`` of the result says what it holds.
    """
    own = _own_cgroups()
    wanted = {name: value for name, value in (("pids", pids), ("memory", memory_bytes)) if value is not None}
    paths: list[str] = []
    limits: list[str] = []
    for controller, value in wanted.items():
        if controller in own and os.path.isdir(os.path.join(_V1_ROOT, controller)):
            base = os.path.normpath(os.path.join(_V1_ROOT, controller) + own[controller])
            path = _make(base, _v1_settings(controller, value))
            if path is not None:
                paths.append(path)
                limits.append(controller)
    rest = {c: v for c, v in wanted.items() if c not in limits}
    bases = {c: _v2_base(own, c) for c in rest}
    usable = {c: v for c, v in rest.items() if bases[c] is not None}
    if usable and len({bases[c] for c in usable}) == 1:
        base = str(next(iter(bases[c] for c in usable)))
        path = _make(base, [kv for c, v in usable.items() for kv in _v2_settings(c, v)])
        if path is not None:
            paths.append(path)
            limits += list(usable)
    if not paths:
        return None
    return Cgroups(tuple(paths), tuple(os.path.join(p, "cgroup.procs") for p in paths), tuple(limits))
