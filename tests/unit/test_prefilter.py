"""The inspectors' literal prefilter: both backends (the C automaton and the Python twin)
report every occurrence, overlapping ones too, in the same order, and agree with a naive
search on any literals and text."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox import PolicyError
from sandbox.inspectors.prefilter import LiteralSet

BACKENDS = [pytest.param(True, marks=pytest.mark.native, id="native"), pytest.param(False, id="python")]


SPACE = frozenset(b" \t\n\v\f\r")


def fold(data: bytes) -> bytes:
    return bytes(32 if b in SPACE else b + 32 if 65 <= b <= 90 else b for b in data)


def naive(literals: list[bytes], text: bytes) -> list[tuple[int, int]]:
    """Every (index, end) where a literal occurs, ASCII letters folded and a run of
    whitespace read as one space; ``end`` is the offset in the original text."""
    kept, ends = [], []  # the text with every whitespace run cut to its first byte
    for i, b in enumerate(fold(text)):
        if b == 32 and kept and kept[-1] == 32:
            continue
        kept.append(b)
        ends.append(i + 1)
    low = bytes(kept)
    wanted = [re.sub(rb" +", b" ", fold(lit)) for lit in literals]
    return sorted(
        (i, ends[end - 1])
        for i, lit in enumerate(wanted)
        for end in range(len(lit), len(low) + 1)
        if low[end - len(lit) : end] == lit
    )


def by_end(matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted(matches, key=lambda m: (m[1], m[0]))


@pytest.mark.parametrize("native", BACKENDS)
def test_every_occurrence_is_reported_without_regard_to_ascii_case(native: bool) -> None:
    found, complete = LiteralSet(["he", "she", "his", "hers", "HE"], native=native).find("uSHErs and his")
    assert complete
    assert found == [(0, 4), (1, 4), (4, 4), (3, 6), (2, 14)]


@pytest.mark.parametrize("native", BACKENDS)
def test_a_limit_keeps_the_first_matches_and_says_more_were_left(native: bool) -> None:
    literals = LiteralSet(["a", "aa"], native=native)
    assert literals.find("aaaa", limit=3) == ([(0, 1), (0, 2), (1, 2)], False)
    assert literals.find("aaaa", limit=7) == ([(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (0, 4), (1, 4)], True)
    assert literals.find("", limit=0) == ([], True)


@pytest.mark.parametrize("native", BACKENDS)
def test_a_run_of_whitespace_is_one_space(native: bool) -> None:
    literals = LiteralSet(["run this", "a\t\tb"], native=native)
    assert literals.find("please RUN \n\t  this now, a b")[0] == [(0, 19), (1, 28)]


@pytest.mark.parametrize("native", BACKENDS)
def test_offsets_are_utf8_bytes_and_other_scripts_are_not_folded(native: bool) -> None:
    literals = LiteralSet(["ignore", "é", "Ä"], native=native)
    found, _ = literals.find("Éé IGNORE ä\udc80")  # a lone surrogate is scanned, not refused
    assert found == [(1, 4), (0, 11)]


@pytest.mark.parametrize("native", BACKENDS)
@pytest.mark.parametrize("bad", [[], [""], ["x" * 4097], ["y" * 4000] * 70])
def test_bad_literal_sets_are_refused(native: bool, bad: list[str]) -> None:
    with pytest.raises(PolicyError):
        LiteralSet(bad, native=native)


alphabet = st.sampled_from(list(b"abAB\x00\xc3\xa9 \t\n"))
literals_strategy = st.lists(st.lists(alphabet, min_size=1, max_size=6).map(bytes), min_size=1, max_size=12)
text_strategy = st.lists(alphabet, max_size=200).map(bytes)


@pytest.mark.parametrize("native", BACKENDS)
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(literals=literals_strategy, text=text_strategy)
def test_results_equal_a_naive_search(native: bool, literals: list[bytes], text: bytes) -> None:
    found, complete = LiteralSet(literals, native=native).find(text)
    assert complete
    assert found == by_end(naive(literals, text))


@pytest.mark.native
def test_the_backends_agree_on_a_large_set_and_text() -> None:
    import random

    rng = random.Random(5)
    words = ["".join(rng.choice("abcdeXYZ-_/") for _ in range(rng.randint(2, 12))) for _ in range(3000)]
    text = "".join(rng.choice("abcdeXYZ-_/ \n") for _ in range(200_000))
    native, python = LiteralSet(words, native=True), LiteralSet(words, native=False)
    assert native.find(text) == python.find(text)
    assert native.find(text, limit=500) == python.find(text, limit=500)
