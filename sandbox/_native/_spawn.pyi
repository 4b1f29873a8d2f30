import os
from typing import NoReturn

STAGES: tuple[str | None, ...]
ZYGOTE_MAGIC: int
ZYGOTE_MAX_REQUEST: int
ZYGOTE_MAX_ARGS: int

def raise_for(stage: int, err: int, program: str) -> NoReturn: ...

def userns_probe() -> int: ...
def spawn(
    path: str | bytes | os.PathLike[str],
    argv: list[str],
    envp: list[str] | list[bytes],
    cwd: str | None,
    stdio: tuple[int, int, int],
    ns_fds: list[int],
    ruleset_fd: int,
    bpf: bytes,
    rlimits: list[tuple[int, int]],
    parent_pid: int,
    setsid: bool,
    drop_caps: bool,
    cgroup_fds: list[int] | None = None,
    pid_ns_fd: int = -1,
    exec_fd: int = -1,
) -> int: ...
