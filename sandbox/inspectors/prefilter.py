"""The literal prefilter the inspectors share: every occurrence of every rule's anchor
literals in one pass, ASCII letters without regard to case and a run of whitespace read as
one space (so a literal "run this" is found in "run\n   this"), so that benign text costs
one scan and only the rules a literal triggers run their regular expressions.

Two backends with the same results (the tests run against both): the Aho-Corasick DFA of
csrc/ahocorasick.c, which scans without the GIL, and a pure-Python automaton for platforms
where the extension was not built. This module is the one selector: :data:`BACKEND` says
which is in use.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from typing import Any

from sandbox import _native
from sandbox.errors import PolicyError, Reason, UnsupportedError

try:
    _native_module: Any = _native.load("_ahocorasick")
except UnsupportedError:
    _native_module = None

MAX_LITERAL = 4096  # bytes, as csrc/ahocorasick.c bounds them
MAX_TOTAL = (1 << 18) - 1
_SPACES = b" \t\n\v\f\r"
_FOLD = bytes.maketrans(
    bytes(range(ord("A"), ord("Z") + 1)) + _SPACES[1:], bytes(range(ord("a"), ord("z") + 1)) + b" " * 5
)
_RUNS = re.compile(rb"[ \t\n\v\f\r]{2,}")

Match = tuple[int, int]  # (literal index, byte offset just past its end)


def backend() -> str:
    """``"native"`` or ``"python"``: which automaton :class:`LiteralSet` builds."""
    return "native" if _native_module is not None else "python"


class LiteralSet:
    """The literals to look for. ``str`` literals and texts are taken as UTF-8 (a lone
    surrogate too, as ``surrogatepass`` writes it), so offsets are byte offsets.

    Raises PolicyError for no literals, an empty one, one over 4096 bytes, or more than
    256 KiB in all.
    """

    def __init__(self, literals: Sequence[str | bytes], *, native: bool | None = None) -> None:
        """``native``: force a backend (tests); None picks the native one where built."""
        # A run of whitespace in a literal is one space, as a run in the text is.
        encoded = [_RUNS.sub(b" ", _encode(x)) for x in literals]
        if not encoded:
            raise PolicyError("a literal set needs at least one literal")
        if any(not 1 <= len(x) <= MAX_LITERAL for x in encoded):
            raise PolicyError(f"every literal must be 1 to {MAX_LITERAL} bytes long")
        if sum(len(x) for x in encoded) + 1 > MAX_TOTAL:
            raise PolicyError("the literals are more than 256 KiB in all")
        use_native = _native_module is not None if native is None else native
        if use_native and _native_module is None:
            raise UnsupportedError(Reason.NATIVE_MISSING, "sandbox._native._ahocorasick is not built")
        self.literals = tuple(encoded)
        self.backend = "native" if use_native else "python"
        self._automaton: Any = _native_module.Automaton(encoded) if use_native else _PyAutomaton(encoded)

    def find(self, text: str | bytes, limit: int = -1) -> tuple[list[Match], bool]:
        """``(matches, complete)``: every occurrence as (literal index, end offset), ordered
        by end then index, at most ``limit`` (all when negative); ``complete`` is False when
        more were left out."""
        found: tuple[list[Match], bool] = self._automaton.find(_encode(text), limit)
        return found


def byte_runs(data: bytes, members: bytes, min_len: int, limit: int = -1) -> tuple[list[tuple[int, int]], bool]:
    """``(spans, complete)``: every run of at least ``min_len`` bytes from ``members`` in
    ``data`` (where base64 or hex blocks may hide), at most ``limit`` (all when negative)."""
    if _native_module is not None:
        found: tuple[list[tuple[int, int]], bool] = _native_module.byte_runs(data, members, min_len, limit)
        return found
    return _py_byte_runs(data, members, min_len, limit)


def _py_byte_runs(data: bytes, members: bytes, min_len: int, limit: int) -> tuple[list[tuple[int, int]], bool]:
    klass = b"[" + b"".join(b"\\x%02x" % b for b in sorted(set(members))) + b"]"
    out: list[tuple[int, int]] = []
    for match in re.finditer(klass + b"{%d,}" % max(min_len, 1), data):
        if 0 <= limit <= len(out):
            return out, False
        out.append(match.span())
    return out, True


def _encode(value: str | bytes) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise PolicyError(f"expected str or bytes, not {type(value).__name__}")


class _PyAutomaton:
    """The same automaton in Python: a trie with failure links, each state's outputs its own
    literals and its failure state's, sorted by index (as the C side sorts them)."""

    def __init__(self, literals: list[bytes]) -> None:
        self.goto: list[dict[int, int]] = [{}]
        own: list[list[int]] = [[]]
        for index, literal in enumerate(literals):
            state = 0
            for byte in _RUNS.sub(b" ", literal.translate(_FOLD)):
                nxt = self.goto[state].get(byte)
                if nxt is None:
                    nxt = self.goto[state][byte] = len(self.goto)
                    self.goto.append({})
                    own.append([])
                state = nxt
            own[state].append(index)
        self.fail = [0] * len(self.goto)
        self.out: list[list[int]] = [[] for _ in self.goto]
        self.out[0] = sorted(own[0])
        queue = deque(self.goto[0].values())
        while queue:
            state = queue.popleft()
            self.out[state] = sorted(own[state] + self.out[self.fail[state]])
            for byte, child in self.goto[state].items():
                fallback = self.fail[state]
                while fallback and byte not in self.goto[fallback]:
                    fallback = self.fail[fallback]
                target = self.goto[fallback].get(byte, 0)
                self.fail[child] = target
                queue.append(child)

    def find(self, data: bytes, limit: int) -> tuple[list[Match], bool]:
        out: list[Match] = []
        state = 0
        after_space = False
        for end, byte in enumerate(data.translate(_FOLD), 1):
            space = byte == 0x20
            if space and after_space:
                continue  # a run of whitespace is one space
            after_space = space
            while state and byte not in self.goto[state]:
                state = self.fail[state]
            state = self.goto[state].get(byte, 0)
            for index in self.out[state]:
                if 0 <= limit <= len(out):
                    return out, False
                out.append((index, end))
        return out, True
