"""Side-by-side figures: each benchmark records its median under a name, and the session
prints every ratio it was asked for, measured in the same run (the machine is shared and
noisy, so only ratios within one run mean anything)."""

from __future__ import annotations

import pytest

MEDIANS: dict[str, float] = {}
# (label, measured, baseline): printed as measured/baseline and measured-baseline
COMPARISONS: list[tuple[str, str, str]] = []


def record(name: str, benchmark: object) -> None:
    """Keep ``benchmark``'s median (seconds) under ``name`` for the closing summary."""
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        MEDIANS[name] = stats.stats.median


def compare(label: str, measured: str, baseline: str) -> None:
    COMPARISONS.append((label, measured, baseline))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rows = [(label, m, b) for label, m, b in COMPARISONS if m in MEDIANS and b in MEDIANS]
    if not rows:
        return
    terminalreporter.section("ratios (medians, same run)")
    for label, m, b in rows:
        ratio = MEDIANS[m] / MEDIANS[b]
        delta_ms = (MEDIANS[m] - MEDIANS[b]) * 1e3
        terminalreporter.write_line(
            f"{label}: {MEDIANS[m] * 1e3:.2f} ms vs {MEDIANS[b] * 1e3:.2f} ms = {ratio:.2f}x ({delta_ms:+.2f} ms)"
        )
