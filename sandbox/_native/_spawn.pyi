import os

STAGES: tuple[str | None, ...]

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
) -> int: ...
