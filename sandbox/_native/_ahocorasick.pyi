from collections.abc import Iterable

class Automaton:
    count: int
    def __init__(self, literals: Iterable[bytes]) -> None: ...
    def find(self, data: bytes | bytearray | memoryview, limit: int = -1) -> tuple[list[tuple[int, int]], bool]: ...

def byte_runs(
    data: bytes | bytearray | memoryview, members: bytes, min_len: int, limit: int = -1
) -> tuple[list[tuple[int, int]], bool]: ...
