"""Screens: each rule's pattern widened into one that RE2 runs in linear time, to tell in C
that a window holds no match before the ``regex`` engine is asked to find one.

Most windows the gate opens hold no match (a common anchor word near a common verb: "print
the token" in code is no request). Confirming that costs the ``regex`` module tens of
microseconds a window, a backtracking engine trying its alternations at every place; RE2's
automaton reads the window once in a few. A screen must never hide a match: its language is
a superset of the pattern's. The widening, read from the parse of the pattern:

- zero-width assertions go (``\\b``, ``^``, ``$``, lookarounds): matching more, never less;
- possessive repetitions and atomic groups become plain ones, which match more;
- a repetition of more than RELAXED times has no upper bound, and asks for at most RELAXED
  (RE2 unrolls a counted repetition; ``[^\\n]{0,200}`` would be two hundred states);
- ``\\w``, ``\\d`` and ``\\s`` take every character beyond ASCII besides their ASCII members
  (``\\s`` its own few: Unicode's White_Space has been stable for years), so that neither
  Unicode's version nor RE2's tables decide what they match;
- a letter also matches each of its case variants as ``regex`` has them
  (prefilter.case_spellings), beside RE2's own case folding;
- a negated class or a ``\\W``, ``\\S``, ``\\D`` matches any character unless every member is a
  character without case (its complement would otherwise depend on case folding);
- a character that may be whitespace may also be a whole run of whitespace: a rule reads a
  window padded with blank space with each run collapsed to one character (engine's
  ``_collapsed``), and the screen reads the window as it is, before any of that work.

A back reference or a conditional group cannot be widened: such a rule has no screen and is
always confirmed with ``regex``. RE2 comes from the google-re2 wheel (the ``re2`` extra:
it has no wheel for musl); without it there are no screens, and every window is confirmed as
before (the same findings, in about twice the time on benign text).
"""

from __future__ import annotations

import importlib
from typing import Any

from sandbox.inspectors.prefilter import case_spellings, peers_by_fold

try:
    _re2: Any = importlib.import_module("re2")
except ImportError:
    _re2 = None

RELAXED = 4  # counts of a repetition kept as written up to here; past it, unbounded
# The memory of one screen: its program and RE2's cache of automaton states, which grows with
# the texts read (RE2 then starts the cache over, or runs its slower automaton: a screen is
# never wrong for want of it). A text crafted to grow every rule's cache costs at most this
# much per rule that has had a window; the largest programs (hand-over of secrets: a verb,
# a secret and a destination in either order) need about 4 MiB to keep their automaton, and
# went thirty times slower with 1 MiB. Benign text and a megabyte of every rule's words
# shuffled grew the process by 40 to 60 MiB in all.
MAX_MEMORY = 4 << 20
_LARGE_RANGE = 512  # a range wider than this finds its members' case variants by table

_ANY = r"(?s:.)"
_NON_ASCII = r"\x{80}-\x{10ffff}"
_WORD = "0-9A-Za-z_" + _NON_ASCII
_DIGIT = "0-9" + _NON_ASCII
# White_Space as the regex module's \s has it, and the information separators besides (the
# re module's \s and str.isspace take them; the windows' blank runs are read with them).
_SPACE = r"\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_BLANK = r"\t\x0b-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"  # no \n


class _Unscreenable(Exception):
    """The pattern holds what no widening can keep a superset of (a back reference)."""


def backend() -> str:
    """``"re2"``, or ``"none"`` where the google-re2 wheel is not installed."""
    return "re2" if _re2 is not None else "none"


def widened(pattern: str, tree: Any, constants: Any) -> str | None:
    """RE2's syntax for a language holding every match of ``pattern`` (whose parse by the
    re module, case-insensitive, is ``tree``; ``constants``: that module's opcodes), or None
    where it cannot be widened."""
    try:
        return "(?i)" + _Widen(constants).sequence(tree)
    except _Unscreenable:
        return None


def compiled(source: str) -> Any:
    """An RE2 pattern for ``widened``'s output, or None without RE2 or where RE2 refuses it
    (too large a program): that rule is then confirmed without a screen."""
    if _re2 is None:
        return None
    options = _re2.Options()
    options.max_mem = MAX_MEMORY
    options.log_errors = False  # a refusal is an answer here (None), not a line on stderr
    try:
        return _re2.compile(source, options)
    except _re2.error:
        return None


def _hex(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else rf"\x{{{code:x}}}"


def _cased(code: int) -> bool:
    return case_spellings(chr(code)) != (chr(code),)


class _Widen:
    def __init__(self, constants: Any) -> None:
        self.c = constants
        self.repeats = {constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None)}

    def sequence(self, items: Any) -> str:
        return "".join(self.node(op, av) for op, av in items)

    def node(self, op: Any, av: Any) -> str:
        c = self.c
        if op in (c.LITERAL, c.NOT_LITERAL, c.IN, c.ANY):
            one = self.character(op, av)
            # Where it may read the space or the line break a run of blank space is collapsed
            # to in the window the rule reads (engine's _collapsed), the run itself: the
            # screen reads the window as it is.
            space, newline = self.takes(op, av, " "), self.takes(op, av, "\n")
            if space and newline:
                return "(?:" + one + "|[" + _SPACE + "]+)"
            if space:
                return "(?:" + one + "|[" + _BLANK + "]+)"
            if newline:
                return "(?:" + one + "|[" + _SPACE + "]*\\n[" + _SPACE + "]*)"
            return one
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return ""
        if op is c.SUBPATTERN:
            return "(?:" + self.sequence(av[-1]) + ")"
        if op is getattr(c, "ATOMIC_GROUP", None):
            return "(?:" + self.sequence(av) + ")"
        if op is c.BRANCH:
            return "(?:" + "|".join(self.sequence(branch) for branch in av[1]) + ")"
        if op in self.repeats:
            low, high, body = av
            inner = "(?:" + self.sequence(body) + ")"
            if high is c.MAXREPEAT or high > RELAXED:
                return inner + f"{{{min(low, RELAXED)},}}"
            return inner + f"{{{low},{high}}}"
        raise _Unscreenable(op)  # a back reference, a conditional group

    def character(self, op: Any, av: Any) -> str:
        c = self.c
        if op is c.LITERAL:
            return self.letter(av)
        if op is c.NOT_LITERAL:
            return _ANY if _cased(av) else "[^" + _hex(av) + "]"
        if op is c.IN:
            return self.members(av)
        return _ANY

    def takes(self, op: Any, av: Any, char: str) -> bool:
        """Whether the one-character element may match ``char`` (a space or a line break,
        which have no case): True where unsure ("." under a DOTALL flag)."""
        c = self.c
        if op is c.LITERAL:
            return chr(av) == char
        if op is c.NOT_LITERAL:
            return chr(av) != char
        if op is not c.IN:
            return True
        negated, found = False, False
        for kind, value in av:
            if kind is c.NEGATE:
                negated = True
            elif kind is c.LITERAL:
                found = found or chr(value) == char
            elif kind is c.RANGE:
                found = found or value[0] <= ord(char) <= value[1]
            elif kind is c.CATEGORY:
                found = found or value in (c.CATEGORY_SPACE, c.CATEGORY_NOT_WORD, c.CATEGORY_NOT_DIGIT)
            else:
                return True
        return found != negated

    def letter(self, code: int) -> str:
        spellings = case_spellings(chr(code))
        if len(spellings) == 1:
            return _hex(code)
        return "[" + "".join(_hex(ord(s)) for s in spellings) + "]"

    def members(self, items: Any) -> str:
        c = self.c
        negated = any(op is c.NEGATE for op, _ in items)
        parts: list[str] = []
        for op, av in items:
            if op is c.NEGATE:
                continue
            if op is c.LITERAL:
                if negated and _cased(av):
                    return _ANY
                parts += [_hex(ord(s)) for s in case_spellings(chr(av))]
            elif op is c.RANGE:
                low, high = av
                spelled = self.range_spellings(low, high)
                if negated and spelled:
                    return _ANY
                parts.append(_hex(low) + "-" + _hex(high))
                parts += [_hex(ord(s)) for s in sorted(spelled) if not low <= ord(s) <= high]
            elif op is c.CATEGORY:
                if negated:
                    return _ANY
                if av in (c.CATEGORY_WORD, c.CATEGORY_UNI_WORD):
                    parts.append(_WORD)
                elif av in (c.CATEGORY_DIGIT, c.CATEGORY_UNI_DIGIT):
                    parts.append(_DIGIT)
                elif av in (c.CATEGORY_SPACE, c.CATEGORY_UNI_SPACE):
                    parts.append(_SPACE)
                else:
                    return _ANY  # \W, \S, \D: nearly anything
            else:
                raise _Unscreenable(op)
        if not parts:
            return _ANY
        return ("[^" if negated else "[") + "".join(parts) + "]"

    @staticmethod
    def range_spellings(low: int, high: int) -> set[str]:
        """The case variants of the range's letters, in the range or not (empty: no letter)."""
        if high - low <= _LARGE_RANGE:
            return {s for code in range(low, high + 1) if _cased(code) for s in case_spellings(chr(code))}
        spelled = {s for peers in peers_by_fold().values() if any(low <= ord(x) <= high for x in peers)
                   for x in peers for s in case_spellings(x)}
        ascii_part = range(max(low, 0), min(high, 0x7F) + 1)
        return spelled | {s for code in ascii_part if _cased(code) for s in case_spellings(chr(code))}
