"""The labelled corpora of tests/data/inspect, as the inspectors' tests read them."""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "data" / "inspect"


def texts() -> list[str]:
    """Every text of every corpus file (injections, exfiltration, secrets, benign, holdouts)."""
    out = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            out += [json.loads(line)["text"] for line in f if line.strip()]
    return out
