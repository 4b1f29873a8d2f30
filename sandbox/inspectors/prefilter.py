"""The literal prefilter the inspectors share: every occurrence of every rule's anchor
literals in one pass, ASCII letters without regard to case and a run of whitespace read as
one space (so a literal "run this" is found in "run\n   this"), so that benign text costs
one scan and only the rules a literal triggers run their regular expressions.

On top of the automaton, a :class:`Gate` says which rules are worth trying where: a rule
is clauses of literals (its anchors, then groups that must occur near them), and it
triggers only where hits of every clause lie within its reach, so a common word alone (an
anchor such as "ignore" in source code) costs one table update and no regular expression.
A literal written with a leading or trailing ``\\b`` (``r"\bnc "``) must not have a word
byte (letter, digit, underscore, any non-ASCII byte) before or after it.

Two backends with the same results (the tests run against both): the Aho-Corasick DFA of
csrc/ahocorasick.c, which scans without the GIL, and a pure-Python automaton for platforms
where the extension was not built. This module is the one selector: :func:`backend` says
which is in use.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
from collections import deque
from collections.abc import Sequence
from typing import Any

import regex

from sandbox import _native
from sandbox.errors import PolicyError, Reason, UnsupportedError

try:
    _native_module: Any = _native.load("_ahocorasick")
except UnsupportedError:
    _native_module = None

MAX_LITERAL = 4096  # bytes, as csrc/ahocorasick.c bounds them
MAX_TOTAL = (1 << 18) - 1
# ASCII whitespace as str.isspace (and so the rules' \s) has it, the information separators
# 0x1c-0x1f included (as csrc/ahocorasick.c's is_space).
_SPACES = b" \t\n\v\f\r\x1c\x1d\x1e\x1f"
_FOLD = bytes.maketrans(
    bytes(range(ord("A"), ord("Z") + 1)) + _SPACES[1:], bytes(range(ord("a"), ord("z") + 1)) + b" " * 9
)
_BLANK = rb"[ \t\n\v\f\r\x1c-\x1f]"  # one byte of _SPACES, for the patterns below
_RUNS = re.compile(_BLANK + rb"{2,}")
_EXTRA_SPACE = re.compile(rb"(?<=" + _BLANK + rb")" + _BLANK)  # whitespace after whitespace

Match = tuple[int, int]  # (literal index, byte offset just past its end)
Window = tuple[int, int, int]  # (rule, low, high): byte offsets; for raw hits (literal, start, end)
WORD_BEFORE, WORD_AFTER = 1, 2
# Not part of a path or a file's name (csrc/ahocorasick.c's in_path): an AI's name inside
# "agent/call-pinentry.c" or "gpg-agent.texi" addresses no reader. A literal asks for it
# with these marks, which are regular expressions (of the regex module: lookbehinds of
# varying width) of the same meaning: a rule's pattern writes them around the same words,
# so that the gate drops no hit the pattern would match. A path: a file's extension after
# the word or a module's name before it; a slash after it that another slash or an
# extension follows in its token, or one before it that opens the token or that another
# slash or an extension precedes. Not a slash between two words ("Copilot/agent"): "or".
NOT_PATH_BEFORE, NOT_PATH_AFTER, NOT_LABEL = 4, 8, 16
# Not a label: no ':' right after the word ("agent: Fix ...": a program's part in a change log).
NOT_A_LABEL = "(?!:)"
_TOKEN = r"""[^\s"'`<>()\[\]{}]"""
NOT_IN_PATH_BEFORE = (
    r"(?<![A-Za-z0-9_]\.)(?<!(?<!" + _TOKEN + r")[/\\])(?<!(?:[/\\]|\.[A-Za-z0-9_])" + _TOKEN + r"{0,64}[/\\])"
)
NOT_IN_PATH_AFTER = r"(?!\.[A-Za-z0-9_]|[/\\]" + _TOKEN + r"{0,64}?(?:\.[A-Za-z0-9_]|[/\\]))"
_PATH_REACH = 60  # token bytes read on either side (as csrc/ahocorasick.c's PATH_REACH)


def whole_word(word: str, *, label: bool = False) -> str:
    """``word`` as a literal (and a pattern) for a whole word outside paths and file names,
    and, with ``label``, not a label: the marks in the order parse_literal reads them."""
    return NOT_IN_PATH_BEFORE + rf"\b{word}\b" + NOT_IN_PATH_AFTER + (NOT_A_LABEL if label else "")
# A token's bytes as the gate reads them: ASCII but NUL, not whitespace (the information
# separators too), not a quote or a bracket (csrc/ahocorasick.c's path_byte).
_PATH_BYTES = frozenset(range(1, 0x80)) - frozenset(b" \t\n\v\f\r\x1c\x1d\x1e\x1f\"'`<>()[]{}")
_TOKEN_EDGES = frozenset(b" \t\n\v\f\r\"'`<>()[]{}")
_WORD = frozenset(b"_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") | frozenset(range(0x80, 0x100))
_ASCII_WORD = frozenset(b"_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


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
        use_native = _use_native(encoded, native)
        self.literals = tuple(encoded)
        self.backend = "native" if use_native else "python"
        self._automaton: Any = _native_module.Automaton(encoded) if use_native else _PyAutomaton(encoded)

    def find(self, text: str | bytes, limit: int = -1) -> tuple[list[Match], bool]:
        """``(matches, complete)``: every occurrence as (literal index, end offset), ordered
        by end then index, at most ``limit`` (all when negative); ``complete`` is False when
        more were left out."""
        found: tuple[list[Match], bool] = self._automaton.find(_encode(text), limit)
        return found


def _use_native(literals: Sequence[bytes], native: bool | None) -> bool:
    """Whether to build the native automaton for ``literals`` (None: where it is built).
    Raises PolicyError for a literal of 0 or more than 4096 bytes, or more than 256 KiB in
    all; UnsupportedError when native is asked for and not built."""
    if any(not 1 <= len(x) <= MAX_LITERAL for x in literals):
        raise PolicyError(f"every literal must be 1 to {MAX_LITERAL} bytes long")
    if sum(len(x) for x in literals) + 1 > MAX_TOTAL:
        raise PolicyError("the literals are more than 256 KiB in all")
    use_native = _native_module is not None if native is None else native
    if use_native and _native_module is None:
        raise UnsupportedError(Reason.NATIVE_MISSING, "sandbox._native._ahocorasick is not built")
    return use_native


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


def parse_literal(literal: str | bytes) -> tuple[bytes, int]:
    """A literal as the automaton takes it (folded, whitespace runs one space) and its flags:
    word boundaries (a leading or trailing backslash-b), not part of a path (NOT_IN_PATH_BEFORE
    leading, NOT_IN_PATH_AFTER trailing, outside any backslash-b), not a label (NOT_A_LABEL,
    last). Raises PolicyError for an empty one."""
    data = _encode(literal)
    flags = 0
    if data.startswith(_PATH_BEFORE_MARK):
        flags, data = flags | NOT_PATH_BEFORE, data[len(_PATH_BEFORE_MARK) :]
    if data.endswith(_LABEL_MARK):
        flags, data = flags | NOT_LABEL, data[: -len(_LABEL_MARK)]
    if data.endswith(_PATH_AFTER_MARK):
        flags, data = flags | NOT_PATH_AFTER, data[: -len(_PATH_AFTER_MARK)]
    if data.startswith(b"\\b"):
        flags, data = flags | WORD_BEFORE, data[2:]
    if data.endswith(b"\\b"):
        flags, data = flags | WORD_AFTER, data[:-2]
    if not data:
        raise PolicyError(f"literal {literal!r} is empty")
    return _RUNS.sub(b" ", data.translate(_FOLD)), flags


_PATH_BEFORE_MARK, _PATH_AFTER_MARK, _LABEL_MARK = (
    NOT_IN_PATH_BEFORE.encode(), NOT_IN_PATH_AFTER.encode(), NOT_A_LABEL.encode()
)


def fits(data: bytes, start: int, end: int, flags: int) -> bool:
    """Whether a literal found at ``data[start:end]`` stands as its ``flags`` ask (see
    parse_literal): at a word's start or end, not in a path, not a label. As the gate of
    csrc/ahocorasick.c judges its hits, in UTF-8: a word's byte is ASCII's (a character
    beyond ASCII may be a word's or not to the rules' \\b: it never drops a hit)."""
    if flags & WORD_BEFORE and start > 0 and data[start - 1] in _ASCII_WORD:
        return False
    if flags & WORD_AFTER and end < len(data) and data[end] in _ASCII_WORD:
        return False
    if flags & (NOT_PATH_BEFORE | NOT_PATH_AFTER) and _in_path(data, start, end, flags):
        return False
    return not (flags & NOT_LABEL and end < len(data) and data[end] == ord(":"))


def _in_path(data: bytes, start: int, end: int, flags: int) -> bool:
    """Whether ``data[start:end]`` is part of a path or a file's name on the sides ``flags``
    ask about (as csrc/ahocorasick.c's in_path, step for step)."""
    slashes = b"/\\"
    if flags & NOT_PATH_BEFORE and start > 0:
        b = data[start - 1]
        if b == ord(".") and start > 1 and data[start - 2] in _ASCII_WORD:
            return True
        if b in slashes:
            if start == 1 or data[start - 2] in _TOKEN_EDGES:
                return True
            p, n = start - 2, 0
            while n <= _PATH_REACH and data[p] in _PATH_BYTES:
                if data[p] in slashes or (data[p] == ord(".") and p + 1 < start - 1 and data[p + 1] in _ASCII_WORD):
                    return True
                if p == 0:
                    break
                p, n = p - 1, n + 1
    if flags & NOT_PATH_AFTER and end < len(data):
        b = data[end]
        if b == ord(".") and end + 1 < len(data) and data[end + 1] in _ASCII_WORD:
            return True
        if b in slashes:
            j, n = end + 1, 0
            while j < len(data) and n <= _PATH_REACH:
                if data[j] in slashes or (data[j] == ord(".") and j + 1 < len(data) and data[j + 1] in _ASCII_WORD):
                    return True
                if data[j] not in _PATH_BYTES:
                    break
                j, n = j + 1, n + 1
    return False


MAX_CASE_VARIANTS = 64
_LAST_CASED = 0x1E944  # past Adlam's letters, the last of Unicode's scripts with case


@functools.cache
def peers_by_fold() -> dict[str, tuple[str, ...]]:
    """Every letter with case, by its case folding (40 ms, once, for the first rule set
    with a literal outside ASCII)."""
    by_fold: dict[str, list[str]] = {}
    for point in range(0x80, _LAST_CASED):
        char = chr(point)
        if char.lower() != char.upper():
            by_fold.setdefault(char.casefold(), []).append(char)
    return {fold: tuple(chars) for fold, chars in by_fold.items()}


@functools.cache
def case_spellings(char: str) -> tuple[str, ...]:
    """Every character a case-insensitive ``regex`` match of ``char`` accepts: "ß" and "ẞ",
    the three Greek sigmas (checked against ``regex`` itself, which the rules are compiled
    with)."""
    peers = {char, *peers_by_fold().get(char.casefold(), ())}
    peers |= {c for c in (char.lower(), char.upper(), char.title()) if len(c) == 1}
    pattern = regex.compile(regex.escape(char), regex.IGNORECASE)
    return tuple(sorted(c for c in peers if pattern.fullmatch(c)))


def spellings(literal: str) -> int:
    """How many spellings :func:`case_variants` gives ``literal``."""
    return math.prod(len(case_spellings(c)) for c in literal if not c.isascii())


def case_variants(literal: str) -> list[str]:
    """``literal`` spelled in every case its non-ASCII letters take under a case-insensitive
    match: the automaton folds ASCII letters only, so "språk" is looked for as "språk" and
    "sprÅk" (and "wyłącz" four ways). Raises PolicyError for a literal of more than
    MAX_CASE_VARIANTS spellings."""
    if spellings(literal) > MAX_CASE_VARIANTS:
        raise PolicyError(f"literal {literal!r} has more than {MAX_CASE_VARIANTS} spellings in upper and lower case")
    options = [(c,) if c.isascii() else case_spellings(c) for c in literal]
    return ["".join(spelling) for spelling in itertools.product(*options)]


class Gate:
    """The literals of a rule set and which rules they trigger where. ``rules``: per rule,
    its clauses, each a sequence of literals (see :func:`parse_literal`; a ``str`` literal's
    non-ASCII letters are looked for in each of their cases, :func:`case_variants`); ``reach``: per
    rule, the most bytes from the first byte of one clause's hit to the last of another's
    for the rule to trigger; ``window``: per rule, bytes added on each side of a trigger's
    hits; windows of one rule merge while they overlap and stay within ``max_window``.

    Raises PolicyError for a rule without clauses, an empty clause, a bad literal, or more
    than 256 KiB of literals; UnsupportedError when ``native`` is asked for and not built.
    """

    def __init__(
        self,
        rules: Sequence[Sequence[Sequence[str | bytes]]],
        reach: Sequence[int],
        window: Sequence[int],
        max_window: int,
        *,
        native: bool | None = None,
    ) -> None:
        if not rules or len(reach) != len(rules) or len(window) != len(rules):
            raise PolicyError("a gate needs at least one rule, and a reach and a window for each")
        index: dict[tuple[bytes, int], int] = {}
        members: list[tuple[int, int]] = []
        clause_rule: list[int] = []
        for r, clauses in enumerate(rules):
            if not clauses or any(not clause for clause in clauses):
                raise PolicyError(f"rule {r} of the gate has no clause, or an empty one")
            for clause in clauses:
                c = len(clause_rule)
                clause_rule.append(r)
                spelled = (v for x in clause for v in (case_variants(x) if isinstance(x, str) else (x,)))
                for literal in dict.fromkeys(parse_literal(v) for v in spelled):
                    members.append((c, index.setdefault(literal, len(index))))
        literals = [data for data, _ in index]
        use_native = _use_native(literals, native)
        self.backend = "native" if use_native else "python"
        self.literals = tuple(literals)
        flags = [f for _, f in index]
        args = (literals, flags, members, clause_rule, list(reach), list(window), max_window)
        self._impl: Any = _native_module.Gate(*args) if use_native else _PyGate(*args)

    def scan(
        self, data: bytes, limit: int = -1, members: bytes = b"", min_run: int = 0
    ) -> tuple[list[Window], bool, list[tuple[int, int]]]:
        """``(windows, complete, runs)``: the ``(rule, low, high)`` byte ranges of ``data``
        to try each rule in, per rule in order, at most ``limit`` (all when negative); and,
        found in the same pass, every run of at least ``min_run`` bytes from ``members``."""
        found: tuple[list[Window], bool, list[tuple[int, int]]] = self._impl.scan(data, False, limit, members, min_run)
        return found

    def hits(self, data: bytes, limit: int = -1) -> tuple[list[Window], bool]:
        """``(hits, complete)``: every ``(literal, start, end)`` in order of end (then of
        literal), word boundaries applied, at most ``limit`` (all when negative)."""
        found, complete, _ = self._impl.scan(data, True, limit, b"", 0)
        return found, complete

    def starts(self, data: bytes, most: int) -> list[int] | None:
        """The sorted distinct offsets where :meth:`hits` start, or None when there are
        more than ``most`` hits (in C where built: no tuple per hit)."""
        if isinstance(self._impl, _PyGate):
            found, complete = self.hits(data, most + 1)
            return sorted({start for _, start, _ in found}) if complete and len(found) <= most else None
        places: list[int] | None = self._impl.starts(data, most)
        return places


class _PyGate:
    """The gate of csrc/ahocorasick.c in Python, step for step."""

    def __init__(self, literals: list[bytes], flags: list[int], members: list[tuple[int, int]],
                 clause_rule: list[int], reach: list[int], window: list[int], max_window: int) -> None:
        self.automaton = _PyAutomaton(literals)
        self.flags = flags
        self.length = [len(x) for x in literals]
        self.clauses_of: list[list[int]] = [[] for _ in literals]
        for c, lit in members:
            self.clauses_of[lit].append(c)
        self.clause_rule = clause_rule
        self.rule_clauses: list[list[int]] = [[] for _ in reach]
        for c, r in enumerate(clause_rule):
            self.rule_clauses[r].append(c)
        self.reach, self.window, self.max_window = reach, window, max_window

    def scan(
        self, data: bytes, raw: bool, limit: int, members: bytes, min_run: int
    ) -> tuple[list[Window], bool, list[tuple[int, int]]]:
        runs = _py_byte_runs(data, members, min_run, -1)[0] if members else []
        windows, complete = self._scan(data, raw, limit)
        return windows, complete, runs

    def _scan(self, data: bytes, raw: bool, limit: int) -> tuple[list[Window], bool]:
        out: list[Window] = []
        last: list[tuple[int, int] | None] = [None] * len(self.clause_rule)
        pending: list[list[int] | None] = [None] * len(self.reach)
        size = len(data)

        def emit(item: Window) -> bool:
            if 0 <= limit <= len(out):
                return False
            out.append(item)
            return True

        hits, _ = self.automaton.find(data, -1)
        # Reach is measured with whitespace runs read as one byte (as csrc/ahocorasick.c does):
        # an offset less the whitespace bytes that follow another before it.
        extra = [m.start() for m in _EXTRA_SPACE.finditer(data)] if not raw else []
        for lit, end in hits:
            start = _literal_start(data, end, self.length[lit])
            flags = self.flags[lit]
            if flags and not fits(data, start, end, flags):
                continue
            if raw:
                if not emit((lit, start, end)):
                    return out, False
                continue
            cstart = start - bisect.bisect_left(extra, start)
            cend = cstart + self.length[lit]
            for c in self.clauses_of[lit]:
                r = self.clause_rule[c]
                last[c] = (cstart, start)
                low = start
                for other in self.rule_clauses[r]:
                    at = last[other]
                    if at is None or cend - at[0] > self.reach[r]:
                        break
                else:
                    if len(self.rule_clauses[r]) > 1:  # from where the reach starts (see the C side)
                        low = min(low, _raw_of(extra, size, max(0, cend - self.reach[r])))
                    w = self.window[r]
                    low, high = max(0, low - w), min(size, end + w)
                    p = pending[r]
                    if p is not None and low <= p[1] and max(high, p[1]) - min(low, p[0]) <= self.max_window:
                        p[0], p[1] = min(low, p[0]), max(high, p[1])
                        continue
                    if p is not None and high <= p[1] and low >= p[0]:
                        continue
                    if p is not None and not emit((r, p[0], p[1])):
                        return out, False
                    pending[r] = [low, high]
        if not raw:
            for r, p in enumerate(pending):
                if p is not None and not emit((r, p[0], p[1])):
                    return out, False
        return out, True


def _raw_of(extra: list[int], size: int, target: int) -> int:
    """The first offset at which the text, whitespace runs read as one byte, has reached
    ``target`` bytes (``extra``: the offsets of whitespace bytes that follow another)."""
    low, high = 0, size
    while low < high:
        mid = (low + high) // 2
        if mid - bisect.bisect_left(extra, mid) >= target:
            high = mid
        else:
            low = mid + 1
    return low


def _literal_start(data: bytes, end: int, length: int) -> int:
    """Where the literal ending at ``end`` starts: its bytes counted back, a whitespace run
    counting one (the scan took the run's first byte)."""
    j = end
    for _ in range(length):
        j -= 1
        if data[j] in _SPACES:
            while j > 0 and data[j - 1] in _SPACES:
                j -= 1
    return j


def hidden_by_refs(data: bytes, low: int, high: int, pattern: re.Pattern[bytes]) -> bool:
    """Whether ``pattern`` (sandbox.inspectors.normalize's _HIDDEN_BY_REFS: four numeric
    references in a row, or one to a letter inside a word) has a match in
    ``data[low:high]``, as ``pattern.search(data, low, high)`` has it. In C where built: the
    regular expression tries each "&#" at a few hundred nanoseconds, and a web page's
    quoted apostrophes are thousands of them."""
    if _native_module is not None:
        found: bool = _native_module.hidden_by_refs(data, low, high)
        return found
    return pattern.search(data, low, high) is not None


def comment_bounds(data: bytes) -> tuple[Sequence[int], Sequence[int]] | None:
    """The HTML comments of ``data`` as sandbox.inspectors.adversary reads them (its
    _comment_spans is the twin, in Python): their starts and their ends, in order, two
    arrays made in C (csrc/comments.c), none where the extension is not built."""
    if _native_module is None:
        return None
    found: tuple[Sequence[int], Sequence[int]] = _native_module.comment_spans(data)
    return found


def utf8(text: str) -> bytes:
    """``text.encode("utf-8", "surrogatepass")``: in C where built (csrc/utf8.c), which is
    about three times faster on a text that is not all ASCII."""
    if _native_module is not None:
        data: bytes = _native_module.utf8(text)
        return data
    return text.encode("utf-8", "surrogatepass")


def utf8_runs(text: str, join: int) -> tuple[bytes, Sequence[int] | None]:
    """``(utf8(text), runs)``: in C, where the non-ASCII code points were written as well
    (runs of their bytes as an array of low, high, low, high, ..., joined while fewer than
    ``join`` bytes lie between), for
    :func:`non_ascii_stretches`, which then need not read 10 MB again for a few letters;
    in Python, ``runs`` is None (the stretches are found by reading)."""
    if _native_module is not None:
        found: tuple[bytes, Sequence[int]] = _native_module.utf8_runs(text, join)
        return found
    return text.encode("utf-8", "surrogatepass"), None


def character_start(data: bytes, low: int, high: int) -> int:
    """``low``, moved past the continuation bytes of a character it falls inside (a window
    starts at a whole character: offsets count whole characters)."""
    while low < high and data[low] & 0xC0 == 0x80:
        low += 1
    return low


def joined_windows(data: bytes, windows: list[tuple[int, int]]) -> tuple[bytes, Sequence[int]]:
    """``(joined, starts)``: each ``(low, high)`` range of ``data`` from its first whole
    character, as ``decode("utf-8", "ignore")`` leaves it (in UTF-8), joined by 0xFF bytes,
    which are never part of UTF-8; ``starts``: where each begins in ``joined``, then the
    length of ``joined`` plus one. What an RE2 screen reads in one call per rule
    (engine.RuleSet._screened). In C where built: slicing and joining thousands of windows
    a few hundred bytes each was a twentieth of what reading 10 MB cost. Raises ValueError
    for a range outside ``data``."""
    if _native_module is not None:
        found: tuple[bytes, Sequence[int]] = _native_module.joined_windows(data, windows)
        return found
    pieces = []
    for low, high in windows:
        if not 0 <= low <= high <= len(data):
            raise ValueError("a window outside the data")
        raw = data[character_start(data, low, high) : high]
        pieces.append(raw if raw.isascii() else raw.decode("utf-8", "ignore").encode("utf-8"))
    return b"\xff".join(pieces), list(itertools.accumulate((len(piece) + 1 for piece in pieces), initial=0))


_BLANK_RUN_WITH_NEWLINE = re.compile(_BLANK + rb"*\n" + _BLANK + rb"*")
_BLANK_RUN = re.compile(rb"[ \t\v\f\r\x1c-\x1f]{2,}")


def collapse_blanks(data: bytes) -> bytes:
    """``data`` with each whitespace run that holds a line break as one line break, and
    each other run of two or more as one space: as the rules read a window (engine's
    ``_collapsed``, for a text whose whitespace is all ASCII; ``data`` is ASCII or UTF-8,
    whose multi-byte characters hold no ASCII byte). In C where built (csrc/blanks.c)."""
    if _native_module is not None:
        out: bytes = _native_module.collapse_blanks(data)
        return out
    return _BLANK_RUN.sub(b" ", _BLANK_RUN_WITH_NEWLINE.sub(b"\n", data))


FILLED = 40  # bytes: a line at least this long (with a space in it) may have been filled by a wrapper
_LOWER = frozenset(b"abcdefghijklmnopqrstuvwxyz") | frozenset(range(0x80, 0x100))
_UPPER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LINE_BLANK = b" \t\r"
_LABEL = re.compile(rb"[A-Za-z][\w -]{0,20}:(?:[ \t\r\n]|\Z)")  # "Assistant:", "Subject:", "user:"
_LIST_NUMBER = re.compile(rb"\d{1,3}[.)](?:[ \t\r\n]|\Z)")


def _marker(data: bytes, at: int) -> int:
    """The length of a comment's or a quote's marker that opens a line body at ``at`` ("#",
    "//", "///", "//!", "--", ";" and ">" runs) when a blank follows it, else 0. Not a list's
    bullets ("*", "-", "+"): each item opens a line of its own."""
    j = at
    if j >= len(data):
        return 0
    if data[j] == ord("#"):
        j += 1
    elif data.startswith(b"//", j):
        j += 2
        if j < len(data) and data[j] in b"/!":
            j += 1
    elif data.startswith(b"--", j):
        j += 2
    elif data[j] in b";>":
        while j < len(data) and data[j] == data[at]:
            j += 1
    else:
        return 0
    return j - at if j < len(data) and data[j] in b" \t" else 0


def _soft(data: bytes, at: int) -> int:
    """0 where the line break at ``at`` is hard; where hard-wrapped prose goes on (see
    unwrap_lines), how many bytes from it to the words that go on (the next line's indent,
    and a comment's or a quote's marker that the line before opens with too)."""
    start = data.rfind(b"\n", 0, at) + 1
    end = at
    while end > start and data[end - 1] in _LINE_BLANK:
        end -= 1
    body_at = start
    while body_at < end and data[body_at] in _LINE_BLANK:
        body_at += 1
    if end - start < FILLED or b" " not in data[body_at:end]:
        return 0
    last = data[end - 1]
    if last in b";{}[" or (last == ord(",") and end - 2 >= start and data[end - 2] == ord('"')):
        return 0  # a statement of code, a record of JSON
    nxt = at + 1
    while nxt < len(data) and data[nxt] in b" \t":
        nxt += 1
    mark = _marker(data, body_at)
    if mark and data[body_at : body_at + mark] == data[nxt : nxt + mark] and _marker(data, nxt) == mark:
        nxt += mark
        while nxt < len(data) and data[nxt] in b" \t":
            nxt += 1
    if nxt >= len(data):
        return 0
    return nxt - at if _goes_on(data, end, nxt) else 0


def _goes_on(data: bytes, end: int, nxt: int) -> bool:
    """Whether the words at ``nxt`` go on the line that ends (blanks aside) at ``end``."""
    last = data[end - 1]
    first = data[nxt]
    after = data[nxt + 1] if nxt + 1 < len(data) else 0
    if _LABEL.match(data, nxt):
        return False  # a label opens a line of its own: a turn of a chat, a header
    if first in _LOWER:
        return True
    if last in b".!?":
        return False  # a sentence ends: what comes next on its own line may be the next record
    if first in _UPPER:
        return after in _UPPER
    if first in b"`(~/$":
        return True
    if first in b"\"'":
        return last in _LOWER
    if first == ord("!"):
        return after == ord("[")
    if first == ord("."):
        return after in _WORD
    if first == ord("-"):
        return after in _WORD or (after == ord("-") and nxt + 2 < len(data) and data[nxt + 2] in _WORD)
    if first == ord("&"):
        return after == ord("&")
    if first in b"0123456789":
        return _LIST_NUMBER.match(data, nxt) is None
    return False


def unwrap_lines(data: bytes) -> bytes:
    """``data`` (ASCII or UTF-8) with each line break where hard-wrapped prose goes on as a
    space: the same length, so that offsets into it are offsets into ``data``.

    A mail client, an editor's fill and a README's source break an order between any two of
    its words; read line by line, "Please send\\nyour API key to ..." is two harmless lines.
    A break is soft where the line it ends was filled (FILLED bytes or more, with a space in
    it: not a line of base64 or a short header) and ends as prose does (not in ";", "{",
    "}", "[" or a JSON record's '",'), and the next line goes on as a sentence does: a
    lower-case word, an acronym ("API"), a backtick, a bracket, a path, a variable, an
    option ("--data"), "&&", an image ("![") or a number; a quote after a lower-case word.
    Not before a capitalised word (the next record of a log: "...whl for this wheel\\nRun
    ./check.sh"), a label ("Assistant:", "Subject:"), which opens a line of its own, a list
    item, a heading, a quote, a table row or a blank line; nor after the end of a sentence,
    unless a lower-case word follows. Bytes beyond ASCII count as lower-case
    letters. A comment or a quote wraps the same way, its marker on each line ("# ...
    the instructions you're following\n    # are stale"): where both lines open with the
    same one ("#", "//", "///", "//!", "--", ";" or ">" runs), the next line's marker is
    read as blanks too. ``data`` itself where no break is soft. In C where built
    (csrc/blanks.c)."""
    if _native_module is not None:
        out_native: bytes = _native_module.unwrap_lines(data)
        return out_native
    return _py_unwrap_lines(data)


def _py_unwrap_lines(data: bytes) -> bytes:
    out = None
    at = data.find(b"\n")
    while at >= 0:
        skip = _soft(data, at)
        if skip:
            if out is None:
                out = bytearray(data)
            out[at] = 0x20
            for k in range(at + 1, at + skip):
                if data[k] not in b" \t":
                    out[k] = 0x20  # a comment's marker, read as the blank it stands for
        at = data.find(b"\n", at + 1)
    return data if out is None else bytes(out)


_ALNUM = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HEXDIGITS = b"0123456789abcdefABCDEF"


def encoded_blocks(data: bytes, runs: list[tuple[int, int]], longest: int) -> list[tuple[int, int, bool]]:
    """Of ``runs`` (byte ranges of ``data``, runs of base64 bytes), those that may be a
    base64 or hex block worth decoding, as ``(start, end, hexadecimal)``: at most ``longest``
    bytes (a longer one is data, not a message), and not a rule of "=====" or "-+-+-" (more
    than half of it neither letters nor digits), not an identifier or a word in one case
    (base64 of 24 bytes or more has both), and not a mix of the two alphabets ("a/b_c").
    Most runs of a text are the first two. In C where built: a test per run in Python was
    most of what decoding cost on text with nothing encoded in it."""
    if _native_module is not None:
        found: list[tuple[int, int, bool]] = _native_module.encoded_blocks(data, runs, longest)
        return found
    out = []
    for start, end in runs:
        if start < 0 or end > len(data) or start >= end or end - start > longest:
            continue
        block = data[start:end]
        others = block.translate(None, _ALNUM)
        if 2 * len(others) > len(block):
            continue
        hexadecimal = not others and not block.translate(None, _HEXDIGITS)
        mixed = (b"+" in others or b"/" in others) and (b"-" in others or b"_" in others)
        if not hexadecimal and (block.islower() or block.isupper() or mixed):
            continue
        out.append((start, end, hexadecimal))
    return out


def non_ascii_stretches(
    data: bytes, join: int, reach: int, stable: bytes = b"", runs: Sequence[int] | None = None
) -> list[tuple[int, int]]:
    """The stretches of ``data`` around its non-ASCII bytes that normalisation reads: runs
    of bytes >= 0x80 closer than ``join`` taken together, each widened to the nearest space
    or newline within ``reach`` bytes (never inside a character), overlapping ones joined;
    of those, only the ones holding a code point that ``stable`` does not mark (a bit table:
    code point c is bit c % 8 of byte c // 8; malformed UTF-8 is never marked). One pass in
    C where built; the same in Python otherwise. ``runs``: the joined runs as
    :func:`utf8_runs` gave them with ``data`` (C then does not read ``data`` for them;
    Python reads it all the same)."""
    if _native_module is not None:
        found: list[tuple[int, int]] = _native_module.stretches(data, join, reach, stable, runs)
        return found
    found_runs, _ = _py_byte_runs(data, bytes(range(0x80, 0x100)), 1, -1)
    merged: list[tuple[int, int]] = []
    for low, high in found_runs:
        if merged and low - merged[-1][1] < join:
            merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    out: list[tuple[int, int]] = []
    for low, high in merged:
        start = max(data.rfind(b" ", max(0, low - reach), low), data.rfind(b"\n", max(0, low - reach), low))
        start = start + 1 if start >= 0 else max(0, low - reach)
        ends = [i for i in (data.find(b" ", high, high + reach), data.find(b"\n", high, high + reach)) if i >= 0]
        end = min(ends) if ends else min(len(data), high + reach)
        while start > 0 and data[start] >= 0x80:
            start -= 1
        while end < len(data) and data[end] >= 0x80:
            end += 1
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return [(low, high) for low, high in out if not _all_marked(data[low:high], stable)]


def _all_marked(piece: bytes, table: bytes) -> bool:
    """Whether every code point of the UTF-8 ``piece`` is ASCII or marked in ``table``."""
    try:
        text = piece.decode("utf-8")
    except UnicodeDecodeError:
        return False
    bits = len(table) * 8
    return all(c < 0x80 or (c < bits and table[c >> 3] >> (c & 7) & 1) for c in map(ord, text))
