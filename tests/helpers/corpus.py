"""The labelled corpora of tests/data/inspect, as the inspectors' tests read them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

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
