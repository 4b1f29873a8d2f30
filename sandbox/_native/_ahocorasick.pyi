import array
from collections.abc import Iterable

class Automaton:
    count: int
    def __init__(self, literals: Iterable[bytes]) -> None: ...
    def find(self, data: bytes | bytearray | memoryview, limit: int = -1) -> tuple[list[tuple[int, int]], bool]: ...

class Gate:
    def __init__(
        self,
        literals: Iterable[bytes],
        flags: list[int],
        members: list[tuple[int, int]],
        clause_rule: list[int],
        reach: list[int],
        window: list[int],
        max_window: int,
    ) -> None: ...
    def scan(
        self,
        data: bytes | bytearray | memoryview,
        raw: bool = False,
        limit: int = -1,
        members: bytes = b"",
        min_run: int = 0,
    ) -> tuple[list[tuple[int, int, int]], bool, list[tuple[int, int]]]: ...
    def starts(self, data: bytes | bytearray | memoryview, most: int) -> list[int] | None: ...

def gate_vectors(on: bool) -> None: ...
def comment_spans(data: bytes | bytearray | memoryview) -> tuple[array.array[int], array.array[int]]: ...
def stretches(
    data: bytes | bytearray | memoryview, join: int, reach: int, stable: bytes
) -> list[tuple[int, int]]: ...
def utf8(text: str) -> bytes: ...
def collapse_blanks(data: bytes | bytearray | memoryview) -> bytes: ...
def unwrap_lines(data: bytes) -> bytes: ...
def encoded_blocks(
    data: bytes | bytearray | memoryview, runs: list[tuple[int, int]], longest: int
) -> list[tuple[int, int, bool]]: ...
