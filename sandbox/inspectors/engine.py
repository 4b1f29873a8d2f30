"""The rule engine both inspectors run: one prefilter pass over every rule's anchor
literals (sandbox.inspectors.prefilter), then each rule a literal triggered confirms with
its regular expression on a window around the hit, never over the whole text.

Linear time is a property of the rules, checked when a rule set is built (:func:`vet`):
no repetition may contain another one unless the inner one is possessive or atomic (the
shapes that backtrack catastrophically), and a match runs under a timeout as the backstop.
The windows bound each match's input, so a text of any size costs one pass plus a bounded
amount per hit, and the number of hits looked at is bounded too (MAX_HITS).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from sandbox.errors import PolicyError
from sandbox.inspectors.findings import Finding, ThreatLevel
from sandbox.inspectors.prefilter import LiteralSet


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

# Anchor hits looked at in one text (about 100 bytes of memory each); past this many the
# rest is reported as a finding of its own, never passed in silence.
MAX_HITS = 250_000
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
    one without them find the same)."""

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


def vet(pattern: str) -> None:
    """Refuse a pattern that can backtrack catastrophically: a repetition (with more than
    one iteration) inside another, unless the inner one is possessive or in an atomic
    group. Raises PolicyError."""
    try:
        tree = _sre_parse.parse(pattern, re.IGNORECASE)
    except re.error as exc:
        raise PolicyError(f"rule pattern {pattern!r} does not parse: {exc}") from exc

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


class RuleSet:
    """Compiled rules behind one prefilter. Raises PolicyError for a rule whose pattern
    does not parse or can backtrack catastrophically, or whose anchors are unusable."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        literals: dict[str, int] = {}
        self._by_literal: list[list[int]] = []
        self._compiled = []
        for index, rule in enumerate(self.rules):
            if _PARSER_KNOWS_POSSESSIVE:
                vet(rule.pattern)
            self._compiled.append(regex.compile(rule.pattern, regex.IGNORECASE | regex.MULTILINE))
            for anchor in rule.anchors:
                key = anchor.lower()
                if key not in literals:
                    literals[key] = len(self._by_literal)
                    self._by_literal.append([])
                self._by_literal[literals[key]].append(index)
        self._literals = LiteralSet(list(literals))
        self._anchor_length = [len(x) for x in self._literals.literals]

    @property
    def backend(self) -> str:
        return self._literals.backend

    def redact(self, text: str) -> str:
        """``text`` as a report may show it: the value each redacting rule recognises in it
        (its group ``secret``) redacted. For short texts (a command line): every pattern
        runs over all of it. A text that cannot be checked in time is withheld whole."""
        for rule, pattern in zip(self.rules, self._compiled, strict=True):
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

    def scan(self, text: str, layer: str = "") -> list[Finding]:
        """Every match of every rule in ``text``. Spans are offsets into the UTF-8 bytes
        of ``text`` (equal to character offsets for ASCII text)."""
        data = text.encode("utf-8", "surrogatepass")
        hits, complete = self._literals.find(data, limit=MAX_HITS)
        windows: dict[int, list[tuple[int, int]]] = {}
        for literal, end in hits:
            start = end - self._anchor_length[literal]
            for index in self._by_literal[literal]:
                reach = self.rules[index].window
                windows.setdefault(index, []).append((max(0, start - reach), min(len(data), end + reach)))
        findings: dict[tuple[str, int, int], Finding] = {}
        for index, spans in windows.items():
            rule, pattern = self.rules[index], self._compiled[index]
            for low, high in _merged(spans):
                window = data[low:high].decode("utf-8", "ignore")
                try:
                    matches = list(pattern.finditer(window, timeout=MATCH_TIMEOUT))
                except TimeoutError:
                    # Never a silent pass: the window that could not be read is reported.
                    key = ("inspection_incomplete", low, high)
                    findings[key] = Finding(
                        "inspection_incomplete", ThreatLevel.MEDIUM,
                        f"rule {rule.id} ran out of time on this part of the text", "", (low, high), layer,
                    )
                    continue
                for match in matches:
                    if rule.check is not None and not rule.check(match):
                        continue
                    start = low + len(window[: match.start()].encode("utf-8", "surrogatepass"))
                    end = start + len(match.group().encode("utf-8", "surrogatepass"))
                    key = (rule.id, start, end)
                    if key not in findings:
                        findings[key] = Finding(
                            rule.id, rule.level, rule.message, _snippet(match, rule.redact), (start, end), layer
                        )
        out = _outermost(list(findings.values()))
        if not complete:
            out.append(
                Finding("too_many_matches", ThreatLevel.MEDIUM,
                        f"more than {MAX_HITS} rule anchors in one text: the rest was not looked at", "", (0, 0), layer)
            )
        return out


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


MAX_WINDOW = 4096  # bytes: overlapping windows merge up to this, so one match never runs long


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping windows joined, but never past MAX_WINDOW: text dense with anchors must
    not make one window of a megabyte (whose match would time out and hide what is in it).
    Each anchor's own window is always whole inside one of the results."""
    spans.sort()
    out = [spans[0]]
    for low, high in spans[1:]:
        last_low, last_high = out[-1]
        if low <= last_high and max(last_high, high) - last_low <= MAX_WINDOW:
            out[-1] = (last_low, max(last_high, high))
        elif high > last_high:
            out.append((low, high))
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
