"""Side-by-side figures: each benchmark records its median under a name, and the session
prints every ratio it was asked for, measured in the same run (the machine is shared and
noisy, so only ratios within one run mean anything)."""

from __future__ import annotations

import pytest

MEDIANS: dict[str, float] = {}
# label -> (measured seconds, baseline seconds) measured interleaved, round by round
INTERLEAVED: dict[str, tuple[float, float]] = {}
# (label, measured, baseline): printed as measured/baseline and measured-baseline
COMPARISONS: list[tuple[str, str, str]] = []


# Free-form figures (throughputs, detection rates), printed after the ratios.
NOTES: list[str] = []


def note(line: str) -> None:
    NOTES.append(line)


def record(name: str, benchmark: object) -> None:
    """Keep ``benchmark``'s median (seconds) under ``name`` for the closing summary."""
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        MEDIANS[name] = stats.stats.median


def compare(label: str, measured: str, baseline: str) -> None:
    COMPARISONS.append((label, measured, baseline))


def interleave(label: str, measured: object, baseline: object, rounds: int) -> tuple[float, float]:
    """Median seconds of ``measured()`` and ``baseline()`` called alternately, ``rounds`` each:
    on a shared, noisy machine a drift then hits both sides alike."""
    import statistics
    import time

    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        baseline()  # type: ignore[operator]
        t1 = time.perf_counter()
        measured()  # type: ignore[operator]
        t2 = time.perf_counter()
        b.append(t1 - t0)
        a.append(t2 - t1)
    INTERLEAVED[label] = (statistics.median(a), statistics.median(b))
    return INTERLEAVED[label]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rows = [(label, m, b) for label, m, b in COMPARISONS if m in MEDIANS and b in MEDIANS]
    if NOTES:
        terminalreporter.section("figures")
        for line in NOTES:
            terminalreporter.write_line(line)
    if not rows and not INTERLEAVED:
        return
    terminalreporter.section("ratios (medians, same run)")
    for label, (m, b) in INTERLEAVED.items():
        terminalreporter.write_line(
            f"{label} [interleaved]: {m * 1e3:.2f} ms vs {b * 1e3:.2f} ms = {m / b:.2f}x ({(m - b) * 1e3:+.2f} ms)"
        )
    for label, m, b in rows:
        ratio = MEDIANS[m] / MEDIANS[b]
        delta_ms = (MEDIANS[m] - MEDIANS[b]) * 1e3
        terminalreporter.write_line(
            f"{label}: {MEDIANS[m] * 1e3:.2f} ms vs {MEDIANS[b] * 1e3:.2f} ms = {ratio:.2f}x ({delta_ms:+.2f} ms)"
        )
