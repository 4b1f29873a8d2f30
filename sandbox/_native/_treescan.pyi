from collections.abc import Callable

Key = tuple[int, int, int, int, int]

def scan(
    root_fd: int,
    skip: Callable[[str], object] | None = None,
    before: dict[str, Key] | None = None,
    threads: int = 0,
) -> tuple[list[str], list[tuple[str, Key, str | None]]]: ...
def open_file(root_fd: int, path: str) -> tuple[int, Key] | None: ...
def start_writeback(fd: int) -> None: ...
