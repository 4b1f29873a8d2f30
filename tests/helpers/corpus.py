"""The labelled corpora of tests/data/inspect, as the inspectors' tests read them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "data" / "inspect"


def texts() -> list[str]:
    """Every text of every corpus file (injections, exfiltration, secrets, benign, holdouts)."""
    out = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            out += [json.loads(line)["text"] for line in f if line.strip()]
    return out


def hard_wrapped(text: str, width: int = 72) -> str:
    """``text`` with each of its lines filled to ``width`` columns, as a mail client, git's
    editor or a README's author wraps prose: between words, words kept whole."""
    return "\n".join(
        textwrap.fill(line, width, break_on_hyphens=False, break_long_words=False) if line.strip() else line
        for line in text.split("\n")
    )


def changed_by_unwrapping(texts: list[str]) -> list[str]:
    """The texts, and their copies hard-wrapped at 72 columns, that rules reading prose
    unwrapped (prefilter.unwrap_lines) read otherwise than as written: of the rest, a scan
    that unwraps reads what one that does not reads, which the tests scan already."""
    from sandbox.inspectors.prefilter import unwrap_lines

    both = [text.encode("utf-8", "surrogatepass") for text in texts + [hard_wrapped(text) for text in texts]]
    return [data.decode("utf-8", "surrogatepass") for data in both if unwrap_lines(data) != data]


# What each rule matches in each corpus text, remembered across the tests that need it: three
# tests read every match of every rule on every text (that the first literals find it, that it
# holds its mandatory literals, that it passes its screen), and each sweep of a rule's regular
# expression over the corpora costs tens of seconds. Only the texts a pattern matches are kept;
# a sweep done whole is marked so (swept), and then a text it did not match has no matches.
_SPANS: dict[tuple[str, int, int], list[tuple[int, int]]] = {}
_SWEPT: set[tuple[str, int]] = set()


def match_spans(pattern: Any, text_index: int, window: str, variant: int = 0) -> list[tuple[int, int]]:
    """``(start, end)`` of each match of ``pattern`` (compiled, as its rule is) in ``window``:
    variant ``variant`` (0: as written) of the corpus text ``text_index``."""
    key = (pattern.pattern, text_index, variant)
    if (pattern.pattern, variant) in _SWEPT:
        return _SPANS.get(key, [])
    found = [(m.start(), m.end()) for m in pattern.finditer(window)]
    if found:
        _SPANS[key] = found
    return found


def swept(pattern: Any, variant: int = 0) -> None:
    """``pattern`` has been tried on every corpus text in variant ``variant`` (match_spans)."""
    _SWEPT.add((pattern.pattern, variant))
