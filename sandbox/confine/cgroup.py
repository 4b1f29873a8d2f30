"""A pids cgroup per Sandbox: the process limit that still holds for root.

RLIMIT_NPROC counts the processes of a user, and the kernel never applies it to the real
root user (copy_process exempts INIT_USER whatever its capabilities), so a fork bomb run by
root under rlimits alone exhausts the host's pids. The pids controller of a cgroup has no
such exemption. Where this process may create a cgroup (root on most hosts, or a delegated
subtree), each Sandbox gets one with ``pids.max`` set, and every command it starts joins it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

_V2_ROOTS = ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")
_V1_PIDS = "/sys/fs/cgroup/pids"


@dataclass(frozen=True, slots=True)
class PidsCgroup:
    """A cgroup this process created; ``procs`` is the file a process writes "0" to, to join."""

    path: str
    procs: str

    def close(self) -> None:
        """Remove the cgroup; left in place while processes are still in it."""
        try:
            os.rmdir(self.path)
        except OSError:
            pass


def _own_cgroup(hierarchy: str) -> str | None:
    """This process's path in a hierarchy: ``""`` for v2 (``0::``), else the controller's name."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controllers == hierarchy or hierarchy in controllers.split(","):
                    return path
    except OSError:
        return None
    return None


def _candidates() -> list[str]:
    """Directories under which a pids-limited cgroup may be created, best first."""
    out = []
    v1 = _own_cgroup("pids")
    if v1 is not None and os.path.isdir(_V1_PIDS):
        out.append(os.path.normpath(_V1_PIDS + v1))
    v2 = _own_cgroup("")
    if v2 is not None:
        for root in _V2_ROOTS:
            base = os.path.normpath(root + v2)
            try:
                with open(os.path.join(base, "cgroup.subtree_control")) as f:
                    if "pids" in f.read().split():
                        out.append(base)
            except OSError:
                continue
    return out


def create(limit: int) -> PidsCgroup | None:
    """A new cgroup limited to ``limit`` processes, or None where none can be made here."""
    for base in _candidates():
        path = os.path.join(base, f"sandbox-{secrets.token_hex(6)}")
        try:
            os.mkdir(path, 0o755)
        except OSError:
            continue
        try:
            with open(os.path.join(path, "pids.max"), "w") as f:
                f.write(str(limit))
            procs = os.path.join(path, "cgroup.procs")
            if not os.access(procs, os.W_OK):
                raise PermissionError(procs)
            return PidsCgroup(path, procs)
        except OSError:
            PidsCgroup(path, "").close()
    return None
