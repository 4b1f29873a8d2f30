"""CodeVerifier: throughput against bandit on the same Python files, Go and Bash throughput,
and recall / false-positive rate on the labelled corpus (tests/data/code/).

- Python: the top-level modules of this interpreter's standard library (a large, real code
  base), verified by CodeVerifier and scanned by bandit's own manager in the same process.
  Target: faster than bandit.
- Go and Bash: the corpus files, verified one by one (lines per second).
"""

from __future__ import annotations

import glob
import json
import logging
import os
import sysconfig
from pathlib import Path

import pytest
from conftest import compare, note, record

from sandbox import CodeVerifier

compare("bandit / CodeVerifier on stdlib files (higher: CodeVerifier faster)", "bandit", "verifier_python")

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "code"
STDLIB = sorted(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "*.py")))


def _sources() -> list[tuple[str, str]]:
    out = []
    for path in STDLIB:
        with open(path, encoding="utf-8", errors="replace") as f:
            out.append((path, f.read()))
    return out


SOURCES = _sources()
LINES = sum(text.count("\n") + 1 for _, text in SOURCES)


def _corpus(language: str, prefix: str = "") -> list[dict[str, str]]:
    with open(CORPUS / f"{prefix}{language}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.benchmark(group="code")
def test_verifier_python_stdlib(benchmark) -> None:
    verifier = CodeVerifier()

    def run() -> int:
        return sum(len(verifier.verify(text, "python").violations) for _, text in SOURCES)

    found = benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    assert found > 0
    record("verifier_python", benchmark)
    note(f"CodeVerifier, Python: {LINES / benchmark.stats.stats.median:,.0f} lines/s over {len(SOURCES)} stdlib files "
         f"({LINES:,} lines)")


@pytest.mark.benchmark(group="code")
def test_bandit_stdlib(benchmark) -> None:
    bandit_config = pytest.importorskip("bandit.core.config")
    bandit_manager = pytest.importorskip("bandit.core.manager")
    logging.disable(logging.CRITICAL)  # bandit logs every file it parses
    paths = [path for path, _ in SOURCES]

    def run() -> int:
        manager = bandit_manager.BanditManager(bandit_config.BanditConfig(), "file", quiet=True)
        manager.discover_files(paths, False)
        manager.run_tests()
        return len(manager.get_issue_list())

    try:
        found = benchmark.pedantic(run, rounds=3, warmup_rounds=0)
    finally:
        logging.disable(logging.NOTSET)
    assert found > 0
    record("bandit", benchmark)
    note(f"bandit, Python: {LINES / benchmark.stats.stats.median:,.0f} lines/s on the same files")


@pytest.mark.benchmark(group="code")
@pytest.mark.parametrize("language", ["go", "bash"])
def test_verifier_tree_sitter_languages(benchmark, language: str) -> None:
    verifier = CodeVerifier()
    rows = _corpus(language)
    lines = sum(r["code"].count("\n") + 1 for r in rows)

    def run() -> None:
        for row in rows:
            verifier.verify(row["code"], language)

    benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    note(f"CodeVerifier, {language}: {lines / benchmark.stats.stats.median:,.0f} lines/s over {len(rows)} corpus files")


@pytest.mark.parametrize("prefix", ["", "holdout-"])
@pytest.mark.parametrize("language", ["python", "go", "bash"])
def test_corpus_detection_rates(language: str, prefix: str) -> None:
    verifier = CodeVerifier()
    rows = _corpus(language, prefix)
    tp = fp = dangerous = benign = 0
    for row in rows:
        unsafe = not verifier.verify(row["code"], language).safe
        if row["label"] == "dangerous":
            dangerous += 1
            tp += unsafe
        else:
            benign += 1
            fp += unsafe
    note(f"corpus {prefix}{language}: recall {tp / dangerous:.1%} ({tp}/{dangerous}), "
         f"false positives {fp / benign:.1%} ({fp}/{benign})")
