from collections.abc import Callable, Iterable

Key = tuple[int, int, int, int, int]

class Scan:
    def __len__(self) -> int: ...
    def forget(self, paths: Iterable[str]) -> None: ...

def scan(
    root_fd: int,
    skip: Callable[[str], object] | None = None,
    before: dict[str, Key] | None = None,
    threads: int = 0,
    previous: Scan | None = None,
) -> tuple[Scan, list[tuple[str, Key, str | None]], list[str], list[str] | None]: ...
def open_file(root_fd: int, path: str) -> tuple[int, Key] | None: ...
def start_writeback(fd: int) -> None: ...
