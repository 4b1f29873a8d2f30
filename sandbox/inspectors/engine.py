"""The rule engine both inspectors run: one prefilter pass over every rule's anchor
literals (sandbox.inspectors.prefilter), then each rule a literal triggered confirms with
its regular expression on a window around the hit, never over the whole text.

Linear time is a property of the rules, checked when a rule set is built (:func:`vet`):
no repetition may contain another one unless the inner one is possessive or atomic (the
shapes that backtrack catastrophically), and a match runs under a timeout as the backstop.
The windows bound each match's input, so a text of any size costs one pass plus a bounded
amount per window, and the number of windows looked at is bounded too (MAX_WINDOWS). A
rule's ``near`` groups keep common anchor words from opening windows at all: the gate in C
(sandbox.inspectors.prefilter.Gate) opens one only where every group occurs nearby.
"""

from __future__ import annotations

import bisect
import functools
import importlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from sandbox.errors import PolicyError
from sandbox.inspectors import screen
from sandbox.inspectors.findings import Finding, ThreatLevel
from sandbox.inspectors.normalize import (
    B64_BYTES,
    MAX_DEPTH,
    MIN_BLOCK,
    SITE_WINDOW,
    SITES,
    Layer,
    Normalized,
    decoded_layers,
)
from sandbox.inspectors.prefilter import (
    MAX_CASE_VARIANTS,
    NOT_A_LABEL,
    NOT_IN_PATH_AFTER,
    NOT_IN_PATH_BEFORE,
    Gate,
    LiteralSet,
    character_start,
    collapse_blanks,
    fits,
    joined_windows,
    parse_literal,
    spellings,
    unwrap_lines,
)
from sandbox.inspectors.prefilter import backend as prefilter_backend


def _stdlib(new: str, old: str) -> Any:
    """The parser of the re module, whose syntax the rules keep to (renamed in 3.11)."""
    try:
        return importlib.import_module(new)
    except ImportError:
        return importlib.import_module(old)


_sre_parse = _stdlib("re._parser", "sre_parse")
# Python 3.10's parser predates possessive quantifiers and atomic groups: there the rules
# (which the test suite vets on every newer Python) are compiled without the check.
_PARSER_KNOWS_POSSESSIVE = sys.version_info >= (3, 11)
_sre_const = _stdlib("re._constants", "sre_constants")

# Windows looked at in one text (about 100 bytes of memory each); past this many the rest
# is reported as a finding of its own, never passed in silence.
MAX_WINDOWS = 250_000
# Windows of one rule merge up to this many bytes, so that text dense with anchors never
# makes one window of a megabyte (whose match would time out and hide what is in it).
MAX_WINDOW = 4096
# The work one rule may do in one text (see _cost: characters its matches may read, from
# each place one is tried): this share of the text's length, and this floor.
RULE_SHARE = 0.25
RULE_FLOOR = 32 << 10
MAX_FIRSTS = 256  # first literals of one rule looked for in its windows (see _Starts)
SCREEN_TRIAL = 16  # windows of a rule that pass its screen beyond those it turns away, for it to be dropped
PLACES_PER = 16  # characters of a window per place a match may start, at most, for them to be tried one by one
MATCH_TIMEOUT = 0.05  # seconds for one window: a rule that takes longer is a bug, not a verdict
SNIPPET = 160


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its anchors (literals, ASCII case folded, one of which must occur), the
    pattern that confirms it (case-insensitive, searched in a window of ``window``
    characters around each anchor), and what a match means. ``redact`` replaces the
    pattern's group ``secret`` (or the whole match) in the reported snippet;
    ``check`` may veto a match (for example, an entropy gate).

    ``near``: further groups of literals, each of which must also occur within ``reach``
    bytes of an anchor (before or after it; ``reach`` 0 means ``window``) for the pattern
    to be tried at all. The prefilter applies this in C, so that a common anchor word
    ("ignore", "agent") costs nothing in benign text. Every match of the pattern must
    contain one literal of each group: the groups are a necessary condition of the
    pattern, never an extra one (the test suite checks that a scan with the groups and
    one without them find the same). A rule whose ``check`` requires a phrase near the
    match (adversary_jailbreak) may instead name that phrase's literals, which then stand
    within ``reach`` of every match the check accepts.

    ``lines``: in a rule set that reads prose unwrapped (RuleSet's ``unwrap``), this rule
    still reads every line break as written: its precision rests on a line ending where a
    change log's entry does ("Use 'mkinstalldirs' rather than 'mkdir' when ..." describes a
    change; wrapped into the next entry's words it reads as a request).

    ``starts``: literals (the prefilter's, with their marks) one of which every match starts
    with, where first_literals cannot read them from the pattern as exactly: a pattern's
    marks around a name (prefilter.NOT_IN_PATH_BEFORE, NOT_IN_PATH_AFTER) are lookarounds
    the derivation passes over. The places a match is tried, and so the work a window is
    charged (_cost), are then those of the name outside paths only. The test suite checks
    that they find every match, as it does the derived ones.

    ``check_reads``: the characters ``check`` reads for a match it judges, its match
    included (each match is charged that against the rule's budget); None: the window,
    which is what a check is given. Or a function of the match that says so, for a check
    whose work differs by far from match to match (most sentences it turns away at once, a
    few it reads around): it must itself read little, as it runs on every match."""

    id: str
    level: ThreatLevel
    message: str
    anchors: tuple[str, ...]
    pattern: str
    window: int = 200
    redact: bool = False
    check: Callable[[Any], bool] | None = field(default=None, compare=False)
    near: tuple[tuple[str, ...], ...] = ()
    reach: int = 0
    lines: bool = False
    starts: tuple[str, ...] = ()
    check_reads: int | Callable[[Any], int] | None = None


@functools.lru_cache(maxsize=1024)
def _parse(pattern: str) -> Any:
    """The parse of a rule's pattern (case-insensitive), once for vet, mandatory_literals and
    first_literals: a rule set is built when an inspector is, and parsing is most of that
    time. The tree is only read. Raises PolicyError for a pattern that does not parse."""
    try:
        return _sre_parse.parse(pattern, re.IGNORECASE)
    except re.error as exc:
        raise PolicyError(f"rule pattern {pattern!r} does not parse: {exc}") from exc


def vet(pattern: str) -> None:
    """Refuse a pattern that can backtrack catastrophically: a repetition (with more than
    one iteration) inside another, unless the inner one is possessive or in an atomic
    group. Raises PolicyError."""
    tree = _parse(pattern)

    repeats = {_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT}
    safe = {getattr(_sre_const, "POSSESSIVE_REPEAT", None), getattr(_sre_const, "ATOMIC_GROUP", None)} - {None}

    def walk(items: Iterable[Any], inside_repeat: bool) -> None:
        for op, av in items:
            if op in safe:
                continue  # nothing inside can be backtracked into
            if op in repeats:
                _, high, body = av
                many = high is _sre_const.MAXREPEAT or high > 1
                if many and inside_repeat:
                    raise PolicyError(f"rule pattern {pattern!r} nests repetitions (catastrophic backtracking)")
                walk(body, inside_repeat or many)
            elif op is _sre_const.SUBPATTERN:
                walk(av[-1], inside_repeat)
            elif op is _sre_const.BRANCH:
                for branch in av[1]:
                    walk(branch, inside_repeat)
            elif op in (_sre_const.ASSERT, _sre_const.ASSERT_NOT):
                walk(av[1], inside_repeat)

    walk(tree, False)


MIN_DERIVED = 4  # characters: a shorter literal ("the", "all") gates nothing
MIN_IN_BRANCH = 3  # characters, for one alternative among others ("-rf" of "rm -rf")
MAX_CLAUSES = 3


def mandatory_literals(pattern: str) -> list[frozenset[str]]:
    """Groups of literals such that every match of ``pattern`` (case-insensitive) contains
    one literal of each group: lower case, a run of whitespace as one space, each at
    least MIN_DERIVED characters, at most MAX_CLAUSES groups, best (longest shortest
    literal) first. Empty when the pattern has no such literals (a sentence of any words).

    Read from the pattern's parse: a run of literal characters (and of ``\\s++``, ``\\s+``)
    that every match passes through is a literal; an alternation gives the union of one
    group from each branch. Raises PolicyError for a pattern that does not parse."""
    tree = _parse(pattern)
    groups = _sequence_groups(list(tree))
    groups.sort(key=lambda g: (-min(len(x) for x in g), len(g)))
    return groups[:MAX_CLAUSES]


def _is_space_run(op: Any, av: Any) -> bool:
    """``\\s++``, ``\\s+`` (or the same over a space): at least one whitespace character."""
    repeats = {_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT, getattr(_sre_const, "POSSESSIVE_REPEAT", None)}
    if op not in repeats or av[0] < 1 or len(av[2]) != 1:
        return False
    inner_op, inner_av = av[2][0]
    if inner_op is _sre_const.IN:
        return list(inner_av) == [(_sre_const.CATEGORY, _sre_const.CATEGORY_SPACE)]
    return inner_op is _sre_const.LITERAL and inner_av == 32


def _sequence_groups(items: list[Any], minimum: int = MIN_DERIVED) -> list[frozenset[str]]:
    """Every group found in a sequence (each element is passed through by every match)."""
    out: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        text = "".join(run).strip()
        if len(text) >= minimum:
            out.append(frozenset({text}))
        run.clear()

    for op, av in items:
        if op is _sre_const.LITERAL:
            # A letter in lower case (the gate looks for each case of a non-ASCII one:
            # prefilter.case_variants), or as written where that is more than one letter ("İ").
            char = chr(av).lower() if len(chr(av).lower()) == 1 else chr(av)
            run.append(" " if char.isspace() else char)
            continue
        if _is_space_run(op, av):
            if not run or run[-1] != " ":
                run.append(" ")
            continue
        flush()
        if op is _sre_const.SUBPATTERN:
            out += _sequence_groups(list(av[-1]), minimum)
        elif op is _sre_const.BRANCH:
            out += _branch_groups([list(branch) for branch in av[1]])
        elif op in (_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT, getattr(_sre_const, "POSSESSIVE_REPEAT", None)):
            if av[0] >= 1:
                out += _sequence_groups(list(av[2]), minimum)
        elif op is getattr(_sre_const, "ATOMIC_GROUP", None):
            out += _sequence_groups(list(av), minimum)
    flush()
    return out


def _branch_groups(branches: list[list[Any]]) -> list[frozenset[str]]:
    """Groups for an alternation: the k-th group of every branch, joined, for as many k as
    every branch has groups (each branch's groups in one canonical order, so that branches
    which need the same two things, "ignore … instructions" and "instructions … ignore",
    pair them alike). Empty when a branch has none."""
    per_branch = []
    for branch in branches:
        groups = _sequence_groups(branch, MIN_IN_BRANCH)
        if not groups:
            return []
        per_branch.append(sorted(groups, key=sorted))
    shared = min(len(groups) for groups in per_branch)
    return [frozenset().union(*(groups[k] for groups in per_branch)) for k in range(shared)]


_BLANK_RUN = 16  # characters: a window with a run of blanks this long is read with every run collapsed


class _Unbounded(Exception):
    """A pattern reads as far as its text goes."""


def read_width(pattern: str) -> int | None:
    """The most characters a match of ``pattern`` tried at one place reads, its lookarounds
    included (each counted whole, as if all read on one side), or None where that is not
    bounded. A repetition of whitespace counts _BLANK_RUN characters at most: a window is
    read with its runs of blank space collapsed where it holds one that long (see
    RuleSet.confirm). What a rule's place is charged (_cost): a jailbreak mode's name is
    tried at each "Daniel" of a change log, and reads a dozen characters there, not the
    rule's window. Raises PolicyError for a pattern that does not parse."""
    c = _sre_const
    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)}

    def blank(items: Any) -> bool:
        """A single element that matches only whitespace (\\s, [ \\t], a space)."""
        if len(items) != 1:
            return False
        op, av = items[0]
        if op is c.LITERAL:
            return chr(av).isspace()
        if op is not c.IN:
            return False
        return all((kind is c.LITERAL and chr(v).isspace()) or (kind is c.CATEGORY and v is c.CATEGORY_SPACE)
                   for kind, v in av)

    def width(items: Any) -> int:
        total = 0
        for op, av in items:
            if op in (c.LITERAL, c.NOT_LITERAL, c.IN, c.ANY):
                total += 1
            elif op is c.AT:
                continue
            elif op in (c.ASSERT, c.ASSERT_NOT):
                total += width(av[1])
            elif op is c.SUBPATTERN:
                total += width(av[-1])
            elif op is getattr(c, "ATOMIC_GROUP", None):
                total += width(av)
            elif op is c.BRANCH:
                total += max(width(branch) for branch in av[1])
            elif op in repeats:
                _, high, body = av
                if high is c.MAXREPEAT:
                    if not blank(list(body)):
                        raise _Unbounded
                    high = _BLANK_RUN
                total += high * width(body)
            else:
                raise _Unbounded  # a back reference, a conditional group: not worth telling
        return total

    try:
        return width(_parse(pattern))
    except _Unbounded:
        return None


def sees_whitespace(pattern: str) -> bool:
    """Whether a match of ``pattern``, or what its lookarounds read, can hold a whitespace
    character (a conservative answer: True where unsure). A rule that cannot is tried in a
    window as it is: read with whitespace runs collapsed, it would find the same matches (a
    match then lies inside a stretch without whitespace, which collapsing leaves alone), so
    the collapsing is skipped. Raises PolicyError for a pattern that does not parse."""

    def in_set(items: Any) -> bool:
        negated = any(op is _sre_const.NEGATE for op, _ in items)
        covers_all = any(op is _sre_const.CATEGORY and av is _sre_const.CATEGORY_SPACE for op, av in items)
        if negated:
            return not covers_all  # [^\s...] reads none; any other negated set may read one
        for op, av in items:
            if op is _sre_const.LITERAL and chr(av).isspace():
                return True
            if op is _sre_const.RANGE and any(chr(c).isspace() for c in range(av[0], min(av[1], 0x3000) + 1)):
                return True
            if op is _sre_const.CATEGORY and av not in (_sre_const.CATEGORY_WORD, _sre_const.CATEGORY_DIGIT):
                return True
        return False

    def walk(items: Iterable[Any]) -> bool:
        for op, av in items:
            if op is _sre_const.LITERAL:
                if chr(av).isspace():
                    return True
            elif op is _sre_const.IN:
                if in_set(av):
                    return True
            elif op is _sre_const.AT:
                if av is not _sre_const.AT_BOUNDARY and av is not _sre_const.AT_NON_BOUNDARY:
                    return True  # a line's start or end: where blank lines are
            elif op is _sre_const.SUBPATTERN:
                if walk(av[-1]):
                    return True
            elif op is _sre_const.BRANCH:
                if any(walk(branch) for branch in av[1]):
                    return True
            elif op in (_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT, getattr(_sre_const, "POSSESSIVE_REPEAT", None)):
                if walk(av[2]):
                    return True
            elif op is getattr(_sre_const, "ATOMIC_GROUP", None):
                if walk(av):
                    return True
            elif op in (_sre_const.ASSERT, _sre_const.ASSERT_NOT):
                if walk(av[1]):
                    return True
            else:  # any character, a negated literal, a back reference, ...: it may
                return True
        return False

    return walk(_parse(pattern))


def first_literals(pattern: str) -> frozenset[str] | None:
    """The literals every match of ``pattern`` starts with (case-insensitive; a whitespace
    character of the match as one space, see _matches), or None when the parse does not
    tell (a match may start with any word). A rule's pattern is then tried only where one
    of them starts in its window, not at every character.

    A literal that begins with a word character where the pattern asks for a word to start
    (``\\b``, or a lookbehind that refuses a word character before it) is written with a
    leading ``\\b``, as prefilter literals are: "nc" then stands for the word, not for the
    "nc" of "function"."""
    tree = _parse(pattern)
    try:
        found = _firsts(tuple(tree), [_FIRSTS_BUDGET])
    except _Unknown:
        return None
    return frozenset(found) if found else None


_BOUNDARY = "\\b"  # as a literal's prefix: no word character before it (prefilter.parse_literal)


def _word_start(op: Any, av: Any) -> bool:
    """Whether a zero-width element lets only a word start after it, where the next
    character is a word character: ``\\b``, or a lookbehind refusing every word character
    (``(?<![\\w./-])``)."""
    if op is _sre_const.AT:
        return av is _sre_const.AT_BOUNDARY
    if op is _sre_const.ASSERT_NOT and av[0] == -1 and len(av[1]) == 1:
        inner_op, inner_av = next(iter(av[1]))
        items = list(inner_av) if inner_op is _sre_const.IN else []
        return (_sre_const.CATEGORY, _sre_const.CATEGORY_WORD) in items and all(
            kind is not _sre_const.NEGATE for kind, _ in items
        )
    return False


def _begins_word(literal: str) -> bool:
    return literal[:1].isascii() and (literal[:1].isalnum() or literal[:1] == "_")


def _plain(literal: str) -> str:
    """A first literal without its marks (as the tail of a longer one, and as str.find looks
    for it): a word's start or end, not in a path (a Rule's ``starts``)."""
    literal = literal.removeprefix(NOT_IN_PATH_BEFORE).removesuffix(NOT_A_LABEL).removesuffix(NOT_IN_PATH_AFTER)
    return literal.removeprefix(_BOUNDARY).removesuffix(_BOUNDARY)


# \b, ^ and lookarounds consume nothing: a match starts at the element after them.
_ZERO_WIDTH = {_sre_const.AT, _sre_const.ASSERT, _sre_const.ASSERT_NOT}
_SMALL_CLASS = 16  # characters: a class this small at the start is spelled out
_SHORT = 3  # characters: a first literal shorter than this is lengthened where the pattern allows
_FIRSTS_BUDGET = 2000  # steps of the derivation: optional elements in a row multiply paths
_REPEATS = {_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT, getattr(_sre_const, "POSSESSIVE_REPEAT", None)}


class _Unknown(Exception):
    """The first literals cannot be told."""


def _firsts(items: tuple[Any, ...], budget: list[int]) -> set[str]:
    """The literals a match of the sequence ``items`` starts with. Raises _Unknown."""
    budget[0] -= 1
    if budget[0] < 0 or len(items) == 0:
        raise _Unknown  # out of steps, or the sequence may match nothing: a match starts anywhere
    (op, av), rest = items[0], items[1:]
    if op in _ZERO_WIDTH:
        found = _firsts(rest, budget)
        if _word_start(op, av):
            found = {_BOUNDARY + x if _begins_word(x) else x for x in found}
        return found
    if _is_space_run(op, av):
        return {" "}  # its first whitespace character, as _matches reads the window
    if op is _sre_const.LITERAL:
        run = [_as_first(chr(av))]
        for index, (next_op, next_av) in enumerate(rest):
            if next_op is not _sre_const.LITERAL:
                if _is_space_run(next_op, next_av):
                    run.append(" ")  # a run of whitespace starts with one whitespace character
                elif len(run) < _SHORT:
                    # "e-?mail": too short alone; each way the pattern goes on lengthens it
                    try:
                        return {"".join(run) + _plain(tail) for tail in _firsts(rest[index:], budget)}
                    except _Unknown:
                        pass
                break
            run.append(_as_first(chr(next_av)))
        return {"".join(run)}
    if op is _sre_const.IN:
        chars = _class_chars(av)
        if chars is None:
            raise _Unknown
        heads = {_as_first(c) for c in chars}
        try:
            tails = _firsts(rest, budget) if rest and not _is_space_run(*rest[0]) else {""}
        except _Unknown:
            tails = {""}
        return {head + _plain(tail) for head in heads for tail in tails}
    if op is _sre_const.SUBPATTERN:
        return _firsts(tuple(av[-1]) + rest, budget)
    if op is getattr(_sre_const, "ATOMIC_GROUP", None):
        return _firsts(tuple(av) + rest, budget)
    if op is _sre_const.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            out |= _firsts(tuple(branch) + rest, budget)
        return out
    if op in _REPEATS:
        low, _, body = av
        found = _firsts(tuple(body) + rest, budget)
        return found if low >= 1 else found | _firsts(rest, budget)
    raise _Unknown


def _as_first(char: str) -> str:
    """A character of a first literal as _matches searches for it: case folded, whitespace
    as a space."""
    return " " if char.isspace() else char.casefold()


def _class_chars(items: Any) -> list[str] | None:
    """The characters of a small character class ([abc], [a-f]), or None."""
    chars: list[str] = []
    for kind, value in items:
        if kind is _sre_const.LITERAL:
            chars.append(chr(value))
        elif kind is _sre_const.RANGE and value[1] - value[0] < _SMALL_CLASS:
            chars += [chr(c) for c in range(value[0], value[1] + 1)]
        else:
            return None  # a negated class, a category (\w, \s), a wide range
    return chars if 0 < len(chars) <= _SMALL_CLASS else None


# Literals too common in any text to tell where a rule may match: a group holding one gates
# nothing and costs a table update at every occurrence, so it is left out of the gate.
_COMMON = frozenset(
    "the and all any for you are not can has had was use set try get put add run new now out one two own our its "
    "may way how who why see say off via per key api url src tar pip npm git act hat end day old too his her "
    "test live name type code line list data file from with this that what your have will".split()
)


def _useful(groups: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
    """The groups worth gating on: each literal has two characters or more, a letter or
    digit among them or two different characters ("-----" of a PEM header occurs in every
    underlined heading, a lone quote everywhere; "://" and "_@" mark addresses), and is
    not a common word unless it must start or end a word (r"\\bapi": the gate drops a hit
    inside a word before it costs anything, and "api" among "secret", "token" and
    "password" still keeps a text that names none of them from being tried); or it is a
    lone "@"; and it has at most MAX_CASE_VARIANTS spellings in upper and lower case."""
    def useful(literal: str) -> bool:
        core = literal.removeprefix("\\b").removesuffix("\\b").strip()
        if core == "@":  # an address's or a connection string's: rare enough in prose and code
            return True
        marks = any(c.isalnum() for c in core) or len(set(core)) >= 2
        edge = literal.startswith("\\b") or literal.endswith("\\b")
        common = core.lower() in _COMMON and not edge
        return len(core) >= 2 and marks and not common and spellings(core) <= MAX_CASE_VARIANTS

    return [g for g in groups if all(useful(x) for x in g)]


class RuleSet:
    """Compiled rules behind one prefilter gate. Raises PolicyError for a rule whose
    pattern does not parse or can backtrack catastrophically, or whose anchors are
    unusable. ``gate=False`` (for tests) tries every rule around every anchor, ignoring
    ``near``; ``screens=False`` (for tests) confirms every window with ``regex``, none
    screened by RE2 first: the scan must find the same either way."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        gate: bool = True,
        screens: bool = True,
        native: bool | None = None,
        sites: dict[str, tuple[tuple[str, ...], int, tuple[tuple[str, ...], ...]]] | None = None,
        unwrap: bool = False,
        whole_context: bool = False,
    ) -> None:
        """``sites``: more kinds of place the same pass should report (kind: its literals,
        the bytes of window around them, and literal groups that must occur near them, as
        a rule's ``near``), beside the escape markers of normalize. ``unwrap``: the rules
        read prose, with each line break where hard-wrapped text goes on as the space it
        stands for (prefilter.unwrap_lines), but for those that keep ``lines``. The gate
        reads the text as it is: it takes a line break for a space itself. ``whole_context``:
        a window starts at the opening fence of the code block it begins in (_context_start),
        for checks that read a match's surroundings in its window."""
        self.rules = tuple(rules)
        self._whole_context = whole_context
        # Per rule, whether it reads the text unwrapped.
        self._unwraps = [unwrap and not rule.lines for rule in self.rules]
        self._compiled = []
        self._starts: list[Any] = []
        for rule in self.rules:
            if _PARSER_KNOWS_POSSESSIVE:
                vet(rule.pattern)
            if not rule.anchors:
                raise PolicyError(f"rule {rule.id} has no anchors")
            self._compiled.append(regex.compile(rule.pattern, regex.IGNORECASE | regex.MULTILINE))
            # Where a match may start: every place one of its first literals does (see _Starts).
            self._starts.append(_Starts.of(rule.starts) if rule.starts else _Starts.for_pattern(rule.pattern))
        # How far a match tried at one place reads: what that place is charged (_cost).
        self._reach = [min(rule.window, read_width(rule.pattern) or rule.window) for rule in self.rules]
        self._check_reads = [rule.window if rule.check_reads is None else rule.check_reads for rule in self.rules]
        # Each rule's screen (see sandbox.inspectors.screen), compiled when first needed: a
        # short text opens windows for a few rules, and compiling all of them costs 0.4 s.
        self._screens: list[Any] = [_UNCOMPILED] * len(self.rules) if screens else [None] * len(self.rules)
        # Rules that can never read whitespace are tried on their windows as they are.
        self._sees_whitespace = [sees_whitespace(rule.pattern) for rule in self.rules]
        # After the rules, the markers of escapes (normalize.SITES): the same pass finds
        # where encoded payloads may be, for decoded_layers.
        none: tuple[tuple[str, ...], ...] = ()
        places = {kind: (SITES[kind], SITE_WINDOW[kind], none) for kind in SITES} | (sites or {})
        self._sites = list(places)
        # Each rule is tried where its anchors are, and (gate) only where its near groups and
        # the literals its pattern cannot match without (mandatory_literals) are close by.
        clauses = [
            [rule.anchors, *_useful(rule.near + tuple(tuple(sorted(g)) for g in mandatory_literals(rule.pattern)))]
            if gate else [rule.anchors]
            for rule in self.rules
        ]
        self._gate = Gate(
            clauses + [[places[k][0], *places[k][2]] for k in places],
            # A site's reach spans its own longest literal too (a reach shorter than a literal
            # would never let that literal's hit stand alone).
            [(rule.reach or 2 * rule.window) for rule in self.rules]
            + [max(2 * places[k][1] + 1, *(len(x) for x in places[k][0])) for k in places],
            [rule.window for rule in self.rules] + [places[k][1] for k in places],
            MAX_WINDOW,
            native=native,
        )

    @property
    def backend(self) -> str:
        return self._gate.backend

    def redact(self, text: str) -> str:
        """``text`` as a report may show it: the value each redacting rule recognises in it
        (its group ``secret``) redacted. For short texts (a command line): each pattern runs
        over all of it where the gate finds the literals its matches hold (a command without
        any costs one pass in C, not a search per rule). A text that cannot be checked in
        time is withheld whole."""
        found, complete = self.windows(text.encode("utf-8", "surrogatepass"))
        # Only the rules the gate points at, in their order: a loop over every rule cost
        # more than the gate itself for each of a thousand command lines.
        worth = sorted({index for index, _, _ in found}) if complete else range(len(self.rules))
        for index in worth:
            rule, pattern = self.rules[index], self._compiled[index]
            if not rule.redact or "secret" not in pattern.groupindex:
                continue
            try:
                matches = list(pattern.finditer(text, timeout=MATCH_TIMEOUT))
            except TimeoutError:
                return "[withheld: it could not be checked for secrets in time]"
            for match in matches:
                if rule.check is None or rule.check(match):
                    text = text.replace(match.group("secret"), redacted(match.group("secret")))
        return text

    def windows(self, data: bytes) -> tuple[list[tuple[int, int, int]], bool]:
        """The ``(rule, low, high)`` byte ranges of ``data`` where each rule is worth trying."""
        found, complete, _ = self._gate.scan(data, limit=MAX_WINDOWS)
        return [w for w in found if w[0] < len(self.rules)], complete

    def scan(self, text: str | bytes, layer: str = "") -> list[Finding]:
        """Every match of every rule in ``text`` (str, or its UTF-8 bytes). Spans are
        offsets into the UTF-8 bytes (equal to character offsets for ASCII text)."""
        return self.survey(text, layer).findings

    def survey(self, text: str | bytes, layer: str = "", defer: frozenset[str] = frozenset()) -> Survey:
        """What one pass over ``text`` finds: every match of every rule (as :meth:`scan`),
        and where encoded payloads may hide (for normalize.decoded_layers). The rules whose
        ids are in ``defer`` are not tried: their windows are kept (``Survey.deferred``) for
        :meth:`confirm`, for a caller that needs them only when other rules matched."""
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        found, complete, runs = self._gate.scan(data, MAX_WINDOWS, B64_BYTES, MIN_BLOCK)
        sites: dict[str, list[tuple[int, int]]] = {}
        now, later = [], []
        for item in found:
            index = item[0]
            if index >= len(self.rules):
                sites.setdefault(self._sites[index - len(self.rules)], []).append(item[1:])
            elif self.rules[index].id in defer:
                later.append(item)
            else:
                now.append(item)
        prose = self._prose(data, found)  # made once, for these windows and the deferred ones
        out = self.confirm(data, now, layer, prose)
        if not complete:
            out.append(
                Finding("too_many_matches", ThreatLevel.MEDIUM,
                        f"more than {MAX_WINDOWS} places worth a closer look in one text: the rest was not looked at",
                        "", (0, 0), layer)
            )
        return Survey(out, sites, runs, later, prose)

    def confirm(
        self, data: bytes, windows: list[tuple[int, int, int]], layer: str = "", prose: bytes | None = None
    ) -> list[Finding]:
        """The matches of each ``(rule, low, high)`` window's rule in it. A rule does at most
        RULE_SHARE of the text's length (and RULE_FLOOR) in work (_cost): a text crafted to
        put one rule's anchors everywhere costs a bounded multiple of its length, and what is
        left unread is a finding (MEDIUM), never a silent pass. The work is counted from the
        places a match is tried, not the window's bytes: a changelog's windows, wide and with
        few places, cost little; a line of one sentence repeated, with places every few words
        that each read far, costs its true share. A place is charged what a match tried
        there reads (read_width, at most the window); each match a check judges, what the
        check reads for it (Rule.check_reads). A window its rule's screen turns away
        (_screened: no match of the widened pattern in it) is not read further. ``prose``:
        ``data`` as the rules that read prose have it (Survey.prose), where already made."""
        if not windows:
            return []  # most texts: nothing deferred is worth reading (the set-up below is per rule)
        findings: dict[tuple[str, int, int], Finding] = {}
        budget = [RULE_FLOOR + int(len(data) * RULE_SHARE)] * len(self.rules)
        unread: dict[int, list[tuple[int, int]]] = {}
        read_to: dict[int, int] = {}  # per rule, where its last window read (whole_context)
        if prose is None:
            prose = self._prose(data, windows)
        readings = [prose if unwraps else data for unwraps in self._unwraps]
        passed = self._screened(readings, windows, budget)
        for (index, low, high), going_on in zip(windows, passed, strict=True):
            if not going_on:
                continue  # its screen found no match in it
            if budget[index] <= 0:  # spent: not even decoded
                unread.setdefault(index, []).append((low, high))
                continue
            rule, pattern = self.rules[index], self._compiled[index]
            places: list[tuple[int, int]] = []
            if self._whole_context:
                # Not back into the rule's window before, which read that text already (and
                # was charged for it: a page of one rule's windows read twice ran out of budget).
                low = max(_context_start(readings[index], low), min(low, read_to.get(index, 0)))
                read_to[index] = high
            low = character_start(data, low, high)
            raw = readings[index][low:high]
            ascii = raw.isascii()
            window = original = raw.decode("ascii") if ascii else raw.decode("utf-8", "ignore")
            collapsed = False
            # Whitespace as spaces, then a plain search for sixteen in a row: both in C, a few
            # microseconds for a window (a regular expression would take tens).
            if self._sees_whitespace[index] and raw.translate(_BLANKS).find(_SIXTEEN) >= 0:
                # Blank space padding words apart is read as one space (the gate measured its
                # reach so too): the rule sees the words side by side. Where the pieces came
                # from is worked out only for a window that matches (_collapse).
                if ascii:
                    window = collapse_blanks(raw).decode("ascii")
                elif _NON_ASCII_SPACE.search(window) is None:
                    # Only ASCII's whitespace: the same in C on the UTF-8 (its bytes are never
                    # part of another character's), not two substitutions of tens of microseconds.
                    window = collapse_blanks(window.encode("utf-8")).decode("utf-8")
                else:
                    window = _collapsed(window)
                collapsed = True
            starts = self._starts[index]
            tried = None if starts is None else starts.places(window, len(window) // PLACES_PER)
            cost = _cost(window, starts, tried, self._reach[index])
            if budget[index] < cost:
                unread.setdefault(index, []).append((low, high))
                continue
            budget[index] -= cost
            try:
                matches = _matches(pattern, window, tried)
            except TimeoutError:
                # Never a silent pass: the window that could not be read is reported.
                key = ("inspection_incomplete", low, high)
                findings[key] = Finding(
                    "inspection_incomplete", ThreatLevel.MEDIUM,
                    f"rule {rule.id} ran out of time on this part of the text", "", (low, high), layer,
                )
                continue
            for match in matches:
                if rule.check is not None:
                    # A check reads around the match it judges: each is charged that
                    # (Rule.check_reads), and past the budget the rest of the window is left
                    # unread (a text dense with one rule's matches).
                    if budget[index] <= 0:
                        unread.setdefault(index, []).append((low, high))
                        break
                    reads = self._check_reads[index]
                    budget[index] -= reads if isinstance(reads, int) else reads(match)
                    if not rule.check(match):
                        continue
                begin, finish = match.start(), match.end()
                if collapsed:
                    places = places or _collapse(original)[1]
                    begin, finish = _place(places, begin), _place(places, finish)
                start = low + (begin if original.isascii() else len(original[:begin].encode("utf-8")))
                end = low + (finish if original.isascii() else len(original[:finish].encode("utf-8")))
                key = (rule.id, start, end)
                if key not in findings:
                    findings[key] = Finding(
                        rule.id, rule.level, rule.message, _snippet(match, rule.redact), (start, end), layer
                    )
        for index, spans in unread.items():
            key = ("inspection_incomplete", spans[0][0], spans[-1][1])
            findings[key] = Finding(
                "inspection_incomplete", ThreatLevel.MEDIUM,
                f"rule {self.rules[index].id} could be tried in far more places than a text of this size has: "
                f"{len(spans)} of them were not read", "", (spans[0][0], spans[0][1]), layer,
            )
        return _outermost(list(findings.values()))

    def _prose(self, data: bytes, windows: Sequence[tuple[int, int, int]]) -> bytes:
        """``data`` as the rules that read prose have it (prefilter.unwrap_lines: one byte for
        one, the same offsets), where one of ``windows`` is such a rule's; else ``data``."""
        unwraps = self._unwraps
        rules = len(unwraps)  # a window past the rules is a site's, read by no rule
        return unwrap_lines(data) if any(index < rules and unwraps[index] for index, _, _ in windows) else data

    def _screened(self, readings: list[bytes], windows: list[tuple[int, int, int]], budget: list[int]) -> list[bool]:
        """Per window, whether it goes on to its rule's regular expression: not where the
        rule's screen finds no match in it (sandbox.inspectors.screen), which costs the
        rule's budget an eighth of the window's length, as the work in C around a window is.

        A rule's windows are read by its screen in one call of RE2 per window that passes,
        not one per window: they are joined with a byte that is never part of UTF-8 (0xFF),
        across which no match of RE2's reaches, and each search starts at the window after
        the last one found to pass. Where more than half of a rule's windows pass (text
        dense with its phrases), screening costs more than it spares: past SCREEN_TRIAL
        more passing windows than turned away, the rest go on unscreened. ``readings``: per
        rule, the text as it reads it (as written, or unwrapped)."""
        passed = [True] * len(windows)
        by_rule: dict[int, list[int]] = {}
        for k, (index, _, _) in enumerate(windows):
            by_rule.setdefault(index, []).append(k)
        for index, ks in by_rule.items():
            screened = self._screen(index)
            if screened is None:
                continue
            # Each as the rule reads it (decoded, what is not UTF-8 dropped), in UTF-8.
            joined, starts = joined_windows(readings[index], [windows[k][1:] for k in ks])
            at = balance = 0  # the next window to screen; those turned away less those passed
            while at < len(ks) and balance > -SCREEN_TRIAL:
                found = screened.search(joined, starts[at])
                hit = len(ks) if found is None else bisect.bisect_right(starts, found.start()) - 1
                for j in range(at, hit):  # no match from `at` up to the window that holds one
                    passed[ks[j]] = False
                    budget[index] -= (starts[j + 1] - starts[j] - 1) // 8
                balance += hit - at - 1  # those turned away, and the one that passed
                at = hit + 1
        return passed

    def _screen(self, index: int) -> Any:
        """Rule ``index``'s screen, compiled on first use; None where it has none."""
        screened = self._screens[index]
        if screened is _UNCOMPILED:
            rule = self.rules[index]
            source = screen.widened(rule.pattern, _parse(rule.pattern), _sre_const)
            screened = self._screens[index] = None if source is None else screen.compiled(source)
        return screened

    def deep(
        self, norm: Normalized, defer: frozenset[str] = frozenset()
    ) -> tuple[list[Finding], list[tuple[Layer, list[Finding]]], Survey]:
        """The findings in a normalised text, and in each payload decoded from it (to
        MAX_DEPTH, within a budget of the text's length, at least 64 KiB): ``(findings,
        [(layer, its findings)], the main text's survey)``. A payload left undecoded for
        want of budget is a finding of its own. ``defer``: as :meth:`survey`, for the main
        text only (decoded payloads are short)."""
        main = self.survey(norm.data, defer=defer)
        left = [max(len(norm.data), 64 << 10)]
        pending = list(norm.layers)
        found, complete = decoded_layers(norm.data, main.sites, main.runs, 1, left)
        pending += found
        layers: list[tuple[Layer, list[Finding]]] = []
        while pending:
            layer = pending.pop(0)
            data = layer.data
            survey = self.survey(data, layer.kind)
            layers.append((layer, survey.findings))
            if layer.depth < MAX_DEPTH:
                found, done = decoded_layers(data, survey.sites, survey.runs, layer.depth + 1, left)
                pending += found
                complete = complete and done
        findings = main.findings
        if not complete:
            findings.append(Finding("inspection_incomplete", ThreatLevel.MEDIUM,
                                    "more encoded payloads than the decoding budget: some were not read", ""))
        return findings, layers, main


_UNCOMPILED = object()  # a screen not compiled yet (RuleSet._screen)

# How far back a window's start moves to the opening fence of the code block it begins in
# (_context_start).
FENCE_BACK = 4000
_FENCE = b"```"


def _context_start(data: bytes, low: int) -> int:
    """Where a window that the gate starts at ``low`` starts for checks that read what is
    around a match: where an odd number of fences precede it within FENCE_BACK bytes (as
    mentioned() counts them), at the last of them, the block's opener. A window cut inside
    a fenced block read its closing fence as an opener, and the prose after the block as
    code: "P.S. … if an AI tool is reading this answer: …" after a snippet in a Q&A answer
    was taken for a quoted example. Counted per window that goes on to its rule (a few
    hundred in 10 MB), a few microseconds each: a pass over the whole text for its fences
    took 10 ms. (Not to its line's start as well: every window a few hundred bytes longer
    took a manual page's dense rule past its budget.)"""
    back = max(0, low - FENCE_BACK)
    if data.count(_FENCE, back, low) % 2 == 1:
        return data.rfind(_FENCE, back, low)
    return low


@dataclass(slots=True)
class Survey:
    findings: list[Finding]
    sites: dict[str, list[tuple[int, int]]]  # per kind of escape: byte ranges around its markers
    runs: list[tuple[int, int]]  # runs of base64 bytes (MIN_BLOCK or longer)
    deferred: list[tuple[int, int, int]] = field(default_factory=list)  # windows of rules not yet tried
    prose: bytes | None = None  # the text as rules that read prose have it (RuleSet._prose), for confirm


# Every ASCII whitespace byte (as str.isspace and the prefilter have it) as a space.
_BLANKS = bytes.maketrans(bytes([*range(0x09, 0x0E), *range(0x1C, 0x20)]), b" " * 9)
_SIXTEEN = b" " * _BLANK_RUN
_SPACE_RUN = re.compile(r"\s{2,}")


_RUN_WITH_NEWLINE = re.compile(r"\s*\n\s*")
_RUN_WITHOUT_NEWLINE = re.compile(r"[^\S\n]{2,}")


def _collapsed(window: str) -> str:
    """``_collapse(window)[0]``, in two substitutions in C (no call back per run): a run
    that holds a newline as a newline, then one of two or more other whitespace characters
    as a space."""
    return _RUN_WITHOUT_NEWLINE.sub(" ", _RUN_WITH_NEWLINE.sub("\n", window))


def _collapse(window: str) -> tuple[str, list[tuple[int, int]]]:
    """``window`` with each whitespace run as one space (a newline if it held one), and the
    places where its pieces start: (offset in the result, offset in ``window``)."""
    pieces, places = [], [(0, 0)]
    at = out = 0
    for run in _SPACE_RUN.finditer(window):
        pieces.append(window[at : run.start()])
        out += run.start() - at
        places.append((out, run.start()))
        pieces.append("\n" if "\n" in run.group() else " ")
        out += 1
        places.append((out, run.end()))
        at = run.end()
    pieces.append(window[at:])
    return "".join(pieces), places


def _place(places: list[tuple[int, int]], offset: int) -> int:
    """An offset of the collapsed window as an offset of the window as it was."""
    index = bisect.bisect_right(places, (offset, 1 << 62)) - 1
    at, was = places[index]
    return was + (offset - at)


@dataclass(frozen=True, slots=True)
class _Starts:
    """Where a rule's matches may start: its first literals (case folded, a whitespace
    character as a space, a word's start marked, see first_literals), found by the native
    automaton in one pass (prefilter.Gate's raw hits, where it is built), or else with
    str.find, literal by literal, which is still faster than one pass of an alternation of
    them in either regular expression engine. A word's start is checked only in an ASCII
    window: elsewhere Unicode's word characters are the pattern's to judge. (The automaton
    reads a run of whitespace as one space, where a literal's space may stand for one
    whitespace character only: it finds a place more, never one less.)"""

    literals: tuple[str, ...]  # as str.find looks for them: no word-start mark
    spaces: bool  # a literal holds a space: the window's whitespace must read as spaces
    words: Gate | None  # the literals, word starts checked: for ASCII windows
    anywhere: Gate | None  # the literals without their marks: for the others
    # The pattern tells case apart and every literal is ASCII: a match begins with one as
    # written, so a window that is not all ASCII is read as it is, not case-folded first.
    as_written: bool = False
    # Per literal, the flags of each of its marked forms (prefilter.parse_literal): str.find
    # keeps a place in an ASCII window where one form fits there (prefilter.fits), as the
    # automaton's gate does, so that a place, and the work it is charged, is the same
    # whichever finds it.
    marks: tuple[tuple[int, ...], ...] = ()

    @staticmethod
    def of(literals: Iterable[str], exact_case: bool = False) -> _Starts:
        ordered = tuple(sorted(set(literals)))
        found_as = tuple(dict.fromkeys(_plain(x) for x in ordered))
        words = anywhere = None
        if prefilter_backend() == "native":
            words = Gate([[ordered]], [0], [0], MAX_WINDOW)
            anywhere = Gate([[found_as]], [0], [0], MAX_WINDOW) if found_as != ordered else words
        as_written = exact_case and all(x.isascii() for x in found_as)
        forms: dict[str, list[int]] = {plain: [] for plain in found_as}
        for x in ordered:
            forms[_plain(x)].append(parse_literal(x)[1])
        marks = tuple(tuple(forms[plain]) for plain in found_as)
        return _Starts(found_as, any(" " in x for x in found_as), words, anywhere, as_written, marks)

    @staticmethod
    def for_pattern(pattern: str, exact_case: bool = False) -> _Starts | None:
        """The starts of ``pattern``'s matches, where its first literals are worth looking
        for: known, not too many, each two characters or more or one that is not a letter
        ("@"). None otherwise. ``exact_case``: the pattern is matched telling case apart.
        Raises PolicyError for a pattern that does not parse."""
        firsts = first_literals(pattern)
        if not firsts or len(firsts) > MAX_FIRSTS:
            return None
        usable = all(
            len(core) >= 2 or (len(core) == 1 and not core.isalnum() and not core.isspace())
            for core in map(_plain, firsts)
        )
        return _Starts.of(firsts, exact_case) if usable else None

    def places(self, window: str, most: int) -> list[int] | None:
        """The sorted offsets in ``window`` where a literal starts; None past ``most``, or
        where the case-folded window's length differs from the window's (ß folds to ss:
        its offsets would not be the window's)."""
        if self.words is not None and window.isascii():
            # The automaton folds ASCII case and reads a run of whitespace as one space (a
            # literal's space is the run's first byte).
            return self.words.starts(window.encode("ascii"), most)
        if self.as_written and self.anywhere is not None:
            # Folding the case of a large text that is not all ASCII cost more than finding
            # the places in it; a pattern that tells case apart needs its ASCII literals only
            # where they stand as written, which the automaton finds in the UTF-8 as it is.
            text = _NON_ASCII_SPACE.sub(" ", window) if self.spaces else window
            data = text.encode("utf-8", "surrogatepass")
            places = self.anywhere.starts(data, most)
            return None if places is None else _characters(data, places)
        folded = window.casefold()
        if len(folded) != len(window):
            return None
        if self.anywhere is not None:
            # Folded, the window's letters are the literals' where they can be: the automaton
            # reads its UTF-8 (ASCII whitespace as a space itself; the rest made one here),
            # and each place found (an ASCII byte) counts back to characters.
            if self.spaces:
                folded = _NON_ASCII_SPACE.sub(" ", folded)
            data = folded.encode("utf-8", "surrogatepass")
            places = self.anywhere.starts(data, most)
            return None if places is None else _characters(data, places)
        if self.spaces:  # every whitespace character as a space, as the literals have it
            if folded.isascii():
                folded = folded.encode("ascii").translate(_BLANKS).decode("ascii")
            else:
                folded = _OTHER_SPACE.sub(" ", folded)
        places_found: set[int] = set()
        marked = folded.encode("ascii") if folded.isascii() else b""  # marks are read in ASCII only
        for literal, flags in zip(self.literals, self.marks or [()] * len(self.literals), strict=True):
            checked = bool(marked) and bool(flags) and all(flags)  # a form without marks fits anywhere
            at = folded.find(literal)
            while at >= 0:
                if not checked or any(fits(marked, at, at + len(literal), f) for f in flags):
                    places_found.add(at)
                at = folded.find(literal, at + 1)
            if len(places_found) > most:
                return None
        return sorted(places_found)


def _characters(data: bytes, places: list[int]) -> list[int]:
    """Sorted byte offsets of UTF-8 ``data``, each at a character's first byte, as
    character offsets (decoded a stretch at a time, in C)."""
    out, at, count = [], 0, 0
    for place in places:
        count += len(data[at:place].decode("utf-8", "surrogatepass"))
        at = place
        out.append(count)
    return out


def _ignores_case(pattern: Any) -> bool:
    """Whether a compiled pattern matches any part without telling case apart: its flags, or
    an inline flag anywhere in it (``(?i)``, ``(?i:...)``, ``(?si)``)."""
    return bool(pattern.flags & re.IGNORECASE) or re.search(r"\(\?[a-zA-Z]*i[a-zA-Z]*[:)]", pattern.pattern) is not None


class Finder:
    """The matches of a compiled pattern (``re`` or ``regex``) as ``finditer`` gives them,
    found by trying it only where one of its first literals starts (see _matches): for
    the line scans of the egress inspector, whose alternations of tool names the ``re``
    engine would try at every character of a text. A pattern whose first literals cannot
    be told is searched the engine's way. Raises PolicyError for a pattern that does not
    parse."""

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern
        self._starts = _Starts.for_pattern(pattern.pattern, exact_case=not _ignores_case(pattern))
        self._behind = _LeadingLookbehind.of(pattern)

    def starts(self, text: str) -> list[int]:
        """Where each match starts, in order."""
        return [m.start() for m in _each_match(self.pattern, self._starts, text)]

    def first(self, text: str) -> Any:
        """The first match (as ``search`` finds it), or None."""
        return next(_each_match(self.pattern, self._starts, text), None)

    def cursor(self, text: str) -> Cursor:
        """The matches' starts in ``text``, found from wherever the caller asks (Cursor)."""
        places = None if self._starts is None else self._starts.places(text, len(text) // PLACES_PER)
        if places is not None and self._behind is not None:
            places = self._behind.kept(text, places)
        return Cursor(self.pattern, text, places)

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[Any]:
        """What ``pattern.finditer(text, pos, endpos)`` finds: where the first literals are
        known, the places are found in C in that stretch of ``text`` (a literal must lie in
        it whole, as a match does), and the pattern is tried at each against all of
        ``text``, so that what stands before ``pos`` (a lookbehind, ``^``, ``\\b``) reads as
        the pattern's own finditer reads it."""
        end = len(text) if endpos is None else min(endpos, len(text))
        window = text[pos:end]
        places = None if self._starts is None else self._starts.places(window, len(window) // PLACES_PER)
        return _searched(self.pattern, text, places, pos, end)

    def places(self, text: str, pos: int, end: int) -> int:
        """How many places of ``text[pos:end]`` one of the pattern's first literals starts at
        (found in C), all of them: what a caller charging for tries of the pattern there
        counts. Every character, where they are not known."""
        window = text[pos:end]
        places = None if self._starts is None else self._starts.places(window, len(window))
        return len(window) if places is None else len(places)

    def first_in_each(self, text: str, parts: Callable[[], list[int]]) -> list[int]:
        """The indexes of the parts of ``text`` that hold the start of a match, in order;
        part i ends at ``parts()[i]`` (sorted offsets, the last ``len(text)``; asked for
        only once a match is found), and a part is looked through only until its first match."""
        out: list[int] = []
        cursor = self.cursor(text)
        start = cursor.next(0)
        ends = parts() if start >= 0 else []
        while start >= 0:
            part = bisect.bisect_right(ends, start)
            if part >= len(ends):
                break
            out.append(part)
            start = cursor.next(ends[part])
        return out


class Guarded:
    """A pattern searched only in a text that holds a literal of its best mandatory group
    (mandatory_literals), found in one pass in C: the same answer as ``pattern.search``.
    For patterns whose every alternative opens a token with a class (``(?:^|[\\s"'=])``) and
    reads the token to its end: ``re`` tries them at each place a token may start, and a
    command of one word a kilobyte long cost 30 µs a search where none of the literals
    was in it. Raises PolicyError for a pattern that does not parse."""

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern
        groups = mandatory_literals(pattern.pattern)
        # ASCII case folded, a whitespace run as one space: as the pattern's literals are
        # (and only ASCII ones: the automaton folds no other letter's case).
        usable = bool(groups) and all(x.isascii() for x in groups[0])
        self._literals = LiteralSet(sorted(groups[0])) if usable else None

    def search(self, text: str) -> Any:
        if self._literals is not None and not self._literals.find(text, 1)[0]:
            return None
        return self.pattern.search(text)


@dataclass(frozen=True, slots=True)
class _LeadingLookbehind:
    """A pattern's leading lookbehind of one character class (``(?<=[^\\n])``, ``(?<![\\w.])``),
    read once for each ASCII character: the places where it fails are dropped before the
    pattern is tried there. A megabyte of command lines has a tool's name at each line's
    start, where "a tool's name after a line's first character" fails: tried one by one,
    45,000 places cost 14 ms; a character compared, 2 ms. A character beyond ASCII before a
    place keeps it (the pattern judges it)."""

    fails_after: frozenset[str]  # ASCII characters before a place that rule a match out there
    fails_at_start: bool  # and whether the text's start does

    _SHAPE = re.compile(r"\(\?<([=!])(\[(?:[^\]\\]|\\.)*\])\)")

    @staticmethod
    def of(pattern: Any) -> _LeadingLookbehind | None:
        shape = _LeadingLookbehind._SHAPE.match(pattern.pattern)
        if shape is None:
            return None
        # It must stand before the whole pattern, not before its first alternative only
        # ("(?<![\\w.])curl|://": the parse's first item is then the alternation).
        try:
            first = _sre_parse.parse(pattern.pattern)[0]
        except (re.error, IndexError):
            return None
        if first[0] not in (_sre_const.ASSERT, _sre_const.ASSERT_NOT) or first[1][0] != -1:
            return None
        try:
            module: Any = re if isinstance(pattern, re.Pattern) else regex
            behind = module.compile(shape.group(), pattern.flags)
        except (re.error, regex.error):
            return None
        fails = frozenset(chr(c) for c in range(128) if behind.match(chr(c), 1) is None)
        return _LeadingLookbehind(fails, behind.match("") is None)

    def kept(self, text: str, places: list[int]) -> list[int]:
        fails, start = self.fails_after, self.fails_at_start
        return [p for p in places if (not start if p == 0 else text[p - 1] not in fails)]


class Cursor:
    """Where a pattern's matches start in one text, asked for from a place on: ``next(pos)``
    is the first at or after ``pos`` (-1: none), for ``pos`` never smaller than the last
    answer. A caller that skips what it has no use for (the rest of a line that holds a
    match) takes a step per answer it uses, not per match.

    For the egress inspector's lines with a tool's name: finding every match first cost
    a step in Python per match, and a megabyte of one tool's name on one line ("nc nc nc
    …", a match every three characters) took a quarter of a second for what is one line.
    ``places``: where a match may start (its first literals, found in C), or None (too many
    to try one by one, or not known): then the engine searches on its own."""

    def __init__(self, pattern: Any, text: str, places: list[int] | None) -> None:
        self._pattern, self._text, self._places = pattern, text, places
        self._limit = {"timeout": MATCH_TIMEOUT} if isinstance(pattern, regex.Pattern) else {}
        self._tried = 0  # the first of ``places`` not tried yet

    def next(self, pos: int) -> int:
        places = self._places
        if places is None:
            found = self._pattern.search(self._text, pos, **self._limit)
            return -1 if found is None else int(found.start())
        tried = bisect.bisect_left(places, pos, self._tried)
        while tried < len(places):
            place = places[tried]
            tried += 1
            if self._pattern.match(self._text, place, **self._limit) is not None:
                self._tried = tried
                return place
        self._tried = tried
        return -1


# Whitespace other than a space: as a space for str.find (re's \s is str.isspace, which holds
# every character the regex module's \s matches).
_OTHER_SPACE = re.compile(r"[^\S ]")
# The whitespace characters beyond ASCII (str.isspace's): the automaton reads ASCII's itself.
_NON_ASCII_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def _cost(window: str, starts: _Starts | None, places: list[int] | None, reach: int) -> int:
    """What trying a rule in ``window`` is charged, in characters the regex engine may read:
    from each of ``places``, as far as the rule's matches reach (or to the window's end),
    and an eighth of the window for the work in C around it. A window with more places than
    are tried one by one is charged as if a place began every PLACES_PER characters; one
    of a rule whose first literals are not known, or one whose letters fold to more of them
    (ß to ss: searched the engine's way, see _Starts.places), its length. Padding costs
    nothing: the window comes collapsed."""
    if places is not None:
        # Sorted: the places before end - reach are charged reach each, the rest to the end.
        end = len(window)
        full = bisect.bisect_right(places, end - reach)
        return full * reach + (len(places) - full) * end - sum(places[full:]) + end // 8
    if starts is None or len(window.casefold()) != len(window):
        return len(window)
    return len(window) * reach // PLACES_PER


def _matches(pattern: Any, window: str, places: list[int] | None) -> list[Any]:
    """What ``pattern.finditer(window)`` finds, trying the pattern only at ``places`` (where
    one of its first literals begins, see _Starts.places), or the engine's way where they
    are None."""
    return list(_searched(pattern, window, places))


def _each_match(pattern: Any, starts: _Starts | None, window: str) -> Iterator[Any]:
    """What ``pattern.finditer(window)`` finds, one match at a time (a caller that keeps
    only offsets, or only the first, holds no list of match objects: a hundred thousand of
    them cost more than finding them), trying the pattern only where one of ``starts``
    (its first literals, case folded) begins.

    The regex engine tries a pattern of many alternatives at every position of a window,
    and that is most of what confirming costs; the automaton finds the places in C. Past
    one place in PLACES_PER of the window's characters, the engine's own scan is the
    cheaper: a match tried from Python costs about as much as the engine's scan of a few
    dozen characters (a megabyte of "nc nc nc ..." took 1.1 s place by place). A
    case-folded window whose length differs from the window's (ß folds to ss) cannot give
    offsets into it, and is searched the engine's way."""
    return _searched(pattern, window, None if starts is None else starts.places(window, len(window) // PLACES_PER))


def _searched(pattern: Any, window: str, places: list[int] | None, pos: int = 0, end: int | None = None
              ) -> Iterator[Any]:
    """``pattern.finditer(window, pos, end)``; ``places`` (offsets from ``pos``), where known,
    are the only starts tried."""
    # The regex module's patterns run under a timeout (the backstop of vet); re's take none.
    limit = {"timeout": MATCH_TIMEOUT} if isinstance(pattern, regex.Pattern) else {}
    end = len(window) if end is None else end
    if places is None:
        return iter(pattern.finditer(window, pos, end, **limit))  # the engine's own iterator, no step of ours per match
    return _tried_at(pattern, places, window, limit, pos, end)


def _tried_at(pattern: Any, places: list[int], window: str, limit: dict[str, float], pos: int = 0,
              end: int | None = None) -> Iterator[Any]:
    """The matches of ``pattern`` that start at one of ``places`` (offsets from ``pos``),
    leftmost first and none overlapping, as finditer from ``pos`` to ``end`` would give them."""
    end = len(window) if end is None else end
    at = pos
    for place in places:
        begin = pos + place
        if begin < at:
            continue
        match = pattern.match(window, begin, end, **limit)
        if match is not None:
            yield match
            at = match.end() if match.end() > begin else begin + 1


def _outermost(findings: list[Finding]) -> list[Finding]:
    """One finding per place: of the matches of one type that overlap, the widest (two
    phrasings of one rule matching the same words are one finding)."""
    findings.sort(key=lambda f: (f.type, f.span[0], -f.span[1]))
    out: list[Finding] = []
    for f in findings:
        last = out[-1] if out else None
        if last is not None and last.type == f.type and f.span[0] < last.span[1]:
            continue
        out.append(f)
    return out


def _snippet(match: Any, redact: bool) -> str:
    text: str = match.group()
    if redact:
        secret = match.groupdict().get("secret") if match.re.groupindex.get("secret") else None
        target = secret or text
        if target:
            text = text.replace(target, redacted(target))
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def redacted(secret: str) -> str:
    """A secret as a report may show it: its first four characters, then its length."""
    return f"{secret[:4]}…[{len(secret)} chars redacted]" if len(secret) > 8 else "[redacted]"
