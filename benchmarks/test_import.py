"""The cost of `import sandbox` against a bare interpreter start (target: at most +10 ms).

Both run as fresh interpreters with the site module as a user has it, and
-I so that neither picks up the checkout or user site-packages; the only difference between
the two commands is the import.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import compare, interleave, record

BARE = [sys.executable, "-I", "-c", "pass"]
IMPORT = [sys.executable, "-I", "-c", "import sandbox"]
IMPORT_CONFIG = [sys.executable, "-I", "-c", "from sandbox import SandboxConfig, Mode"]

compare("import sandbox vs python -c pass", "import_sandbox", "bare_interpreter")
compare("from sandbox import SandboxConfig vs python -c pass", "import_config", "bare_interpreter")


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True)


@pytest.mark.benchmark(group="import", warmup=True)
def test_bare_interpreter(benchmark) -> None:
    benchmark.pedantic(_run, args=(BARE,), rounds=60, warmup_rounds=5)
    record("bare_interpreter", benchmark)


@pytest.mark.benchmark(group="import", warmup=True)
def test_import_sandbox(benchmark) -> None:
    benchmark.pedantic(_run, args=(IMPORT,), rounds=60, warmup_rounds=5)
    record("import_sandbox", benchmark)


@pytest.mark.benchmark(group="import", warmup=True)
def test_import_sandbox_config(benchmark) -> None:
    benchmark.pedantic(_run, args=(IMPORT_CONFIG,), rounds=60, warmup_rounds=5)
    record("import_config", benchmark)


@pytest.mark.benchmark(group="import")
def test_import_sandbox_interleaved_with_a_bare_start(benchmark) -> None:
    """The same difference with the two starts alternating, so drift hits both alike."""
    sandboxed, bare = interleave("import sandbox vs python -c pass", lambda: _run(IMPORT), lambda: _run(BARE), 100)
    benchmark.extra_info["added_ms"] = (sandboxed - bare) * 1e3
    benchmark.pedantic(_run, args=(IMPORT,), rounds=5)
