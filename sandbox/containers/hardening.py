"""The hardened container a ContainerSandbox runs: a pure function from settings to the
arguments of ``containers.create``, so every default is tested with exact values and seen
in ``docker inspect``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.errors import PolicyError

#: The label every container, network and image the library creates carries.
LABEL = "io.github.sandbox"
LABEL_PROJECT = "io.github.sandbox.project"
LABEL_INSTANCE = "io.github.sandbox.instance"
LABEL_CONTENT_HASH = "io.github.sandbox.content-hash"

#: PID 1's program: Docker's init (tini, from the daemon) runs it and reaps what the
#: commands leave behind, so a killed tree does not linger as zombies.
KEEPALIVE = ["sleep", "infinity"]
#: Where sbx-agent (csrc/agent.c) appears inside a container, bind-mounted from the package.
AGENT_PATH = "/.sandbox/sbx-agent"

_NAME_UNSAFE = re.compile(r"[^a-z0-9]+")


def slug(name: str, *, limit: int = 40) -> str:
    """A piece of a container name or image repository made from any directory name.

    Lowercase letters and digits joined by single hyphens, which both Docker grammars
    accept; ``"project"`` when nothing of the name survives.
    """
    text = _NAME_UNSAFE.sub("-", name.lower()).strip("-")[:limit].strip("-")
    return text or "project"


@dataclass(frozen=True, slots=True)
class ContainerSettings:
    """What the caller chose; :func:`create_arguments` turns it into the daemon's terms.

    Raises:
        PolicyError: a value out of range.
    """

    image: str
    name: str
    project_dir: str
    user: str
    uid: int | None
    gid: int | None
    labels: tuple[tuple[str, str], ...]
    memory_mb: int | None = 512
    cpu_percent: int | None = 50
    host_cpus: int = 1
    pids: int = 256
    tmp_mb: int = 64
    runtime: str | None = None
    network: str | None = None
    environment: tuple[tuple[str, str], ...] = ()
    keepalive: tuple[str, ...] = tuple(KEEPALIVE)
    agent_source: str | None = None

    def __post_init__(self) -> None:
        if not self.image or any(c.isspace() for c in self.image):
            raise PolicyError(f"image: expected an image reference, got {self.image!r}")
        for field in ("pids", "tmp_mb", "host_cpus"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise PolicyError(f"{field}: expected a positive integer, got {value!r}")
        if self.memory_mb is not None and (isinstance(self.memory_mb, bool) or self.memory_mb < 6):
            # The daemon's own floor is 6 MiB; below it the create call fails with a vaguer message.
            raise PolicyError(f"memory_mb: expected at least 6 (MiB) or None, got {self.memory_mb!r}")
        if self.cpu_percent is not None and not 1 <= self.cpu_percent <= 100:
            raise PolicyError(f"cpu_percent: expected 1 to 100 or None, got {self.cpu_percent!r}")


def _tmp_options(s: ContainerSettings) -> str:
    # exec: compilers and test runners run what they build in $TMPDIR. uid/gid: where the
    # project lies beneath /tmp, Docker creates the bind mount's parents inside this tmpfs
    # and its mode= is then ignored (moby/moby#40881), leaving it root's 0755; owned by the
    # command's user it stays writable either way.
    owner = "".join(f",{key}={value}" for key, value in (("uid", s.uid), ("gid", s.gid)) if value is not None)
    return f"rw,exec,nosuid,nodev,size={s.tmp_mb}m,mode=1777{owner}"


def create_arguments(s: ContainerSettings) -> dict[str, Any]:
    """Keyword arguments for ``DockerClient.containers.create`` (no SDK types in them)."""
    args: dict[str, Any] = {
        "image": s.image,
        "name": s.name,
        "entrypoint": list(s.keepalive),
        "command": [],
        "labels": dict(s.labels),
        "init": True,
        "detach": True,
        # The project owner, never root: a file the command writes in the mount belongs to the
        # user, and root's powers over the bind mount's files are not handed out.
        "user": s.user,
        "working_dir": s.project_dir,
        "environment": dict(s.environment),
        # The project at the same path as on the host, so paths in output mean the same thing.
        "mounts": [{"Type": "bind", "Source": s.project_dir, "Target": s.project_dir, "ReadOnly": False}],
        "read_only": True,
        "tmpfs": {"/tmp": _tmp_options(s)},
        "cap_drop": ["ALL"],
        # setuid binaries in the image cannot raise privileges again.
        "security_opt": ["no-new-privileges:true"],
        "pids_limit": s.pids,
        "network_mode": s.network or "none",
        # The SDK would otherwise copy proxy settings from ~/.docker/config.json into the
        # container's environment: what reaches the command is chosen here, not inherited.
        "use_config_proxy": False,
    }
    if s.memory_mb is not None:
        # Swap equal to memory: no swap beyond the limit, so the limit is the limit.
        args["mem_limit"] = f"{s.memory_mb}m"
        args["memswap_limit"] = f"{s.memory_mb}m"
    if s.cpu_percent is not None:
        # A share of the whole machine, as Limits.cpu_percent means for the other backends.
        args["nano_cpus"] = s.host_cpus * s.cpu_percent * 10_000_000
    if s.runtime is not None:
        args["runtime"] = s.runtime
    if s.agent_source is not None:
        # Read-only: the command cannot replace the program that starts its successors.
        args["mounts"].append({"Type": "bind", "Source": s.agent_source, "Target": AGENT_PATH, "ReadOnly": True})
    return args
