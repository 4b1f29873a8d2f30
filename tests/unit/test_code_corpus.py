"""CodeVerifier against the labelled corpus in tests/data/code/ (one JSON object per line:
id, label ``dangerous`` or ``benign``, category, code).

The corpus was written apart from the rules, to the policy in the README ("Checking code
before it runs"): a dangerous snippet holds at least one construct that must be an error, a
benign one none (warnings allowed). Targets: recall at least 95 %, false positives at most 2 %
per language. benchmarks/test_code_verifier.py prints the same figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import CodeVerifier

CORPUS = Path(__file__).resolve().parent.parent / "data" / "code"
LANGUAGES = ("python", "go", "bash")
# The main corpus (language.jsonl) and a smaller held-out one (holdout-language.jsonl),
# written later by another hand, to see whether the rules generalise.
SETS = [(language, prefix) for language in LANGUAGES for prefix in ("", "holdout-")]


def load(language: str, prefix: str = "") -> list[dict[str, str]]:
    with open(CORPUS / f"{prefix}{language}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score(language: str, prefix: str = "") -> tuple[float, float, list[str], list[str]]:
    """(recall, false-positive rate, ids missed, ids falsely flagged)."""
    verifier = CodeVerifier()
    missed, flagged = [], []
    rows = load(language, prefix)
    for row in rows:
        unsafe = not verifier.verify(row["code"], language).safe
        if row["label"] == "dangerous" and not unsafe:
            missed.append(row["id"])
        elif row["label"] == "benign" and unsafe:
            flagged.append(row["id"])
    dangerous = sum(r["label"] == "dangerous" for r in rows)
    benign = len(rows) - dangerous
    return 1 - len(missed) / dangerous, len(flagged) / benign, missed, flagged


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_corpus_is_large_enough_and_well_formed(language: str) -> None:
    rows = load(language)
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["label"] for r in rows} == {"dangerous", "benign"}
    assert sum(r["label"] == "dangerous" for r in rows) >= 150
    assert sum(r["label"] == "benign" for r in rows) >= 150


@pytest.mark.parametrize(("language", "prefix"), SETS)
def test_recall_and_false_positive_rate_meet_the_targets(language: str, prefix: str) -> None:
    recall, fpr, missed, flagged = score(language, prefix)
    assert recall >= 0.95, f"recall {recall:.1%}; missed {missed}"
    assert fpr <= 0.02, f"false positives {fpr:.1%}: {flagged}"
