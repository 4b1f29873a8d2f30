"""Fixtures for the system tests: a scratch area, a Box per test, victims to protect.

Where things live, and why:

- The scratch area (each test's workspace, a sibling directory, a fake home) is a temporary
  directory in the home of the user running the tests, not in /tmp: the sandbox covers
  /tmp, /run and the like with an empty tmpfs, so a victim there would be out of reach for
  that reason alone and the Landlock rules would never be exercised. ``SANDBOX_TEST_SCRATCH``
  names another parent. Tests about the covered directories use ``tmp_path`` on purpose.
- ``HOME`` points at the fake home before any Sandbox is built: the sandbox expands ``~``
  in ``deny_read`` from ``os.path.expanduser("~")``, that is ``$HOME``, when it compiles the
  policy (sandbox/runner.py, ``_compile``).
- ``PATH`` keeps only the system directories a confined command can read, so that the
  unconfined and the confined run find the same programs.
- The ``try_syscall`` helper is copied into the workspace, where a confined command can run
  it (the session's build lives under /tmp, which the sandbox covers).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import COVERED_DIRS, Box, force_remove, inside, sandbox_path

# The home of the user running the tests, read before any test moves HOME.
_REAL_HOME = os.path.expanduser("~")


@pytest.fixture(scope="session")
def scratch_root() -> Iterator[Path]:
    """A temporary directory outside every directory the sandbox covers, removed at the end."""
    parent = os.path.realpath(os.environ.get("SANDBOX_TEST_SCRATCH") or _REAL_HOME)
    if any(inside(parent, d) for d in COVERED_DIRS):
        raise pytest.UsageError(
            f"the system tests need a scratch directory outside {', '.join(COVERED_DIRS)}, and {parent!r} "
            "is inside one (Hint: set SANDBOX_TEST_SCRATCH to a writable directory elsewhere)"
        )
    root = Path(tempfile.mkdtemp(prefix=".sbx-system-tests-", dir=parent))
    try:
        yield root
    finally:
        force_remove(root)


@pytest.fixture(params=[True, False], ids=["namespaces", "landlock-only"])
def box(
    request: pytest.FixtureRequest, scratch_root: Path, try_syscall: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Box]:
    """Every attack runs against both configurations: the default (namespaces where the host
    allows them, which cover the home, /tmp, /run and the like), and Landlock with seccomp
    alone (``namespaces=False``, as on a host without user namespaces), where the victims
    in the home are visible and only Landlock stands in the way."""
    """A fresh workspace, sibling and fake home in the scratch area; HOME and PATH set."""
    root = Path(tempfile.mkdtemp(prefix="t-", dir=scratch_root))
    ws, outside, home = root / "workspace", root / "outside", root / "home"
    for d in (ws, outside, home):
        d.mkdir()
    helper = ws / "try_syscall"
    shutil.copy2(try_syscall, helper)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", sandbox_path(os.environ.get("PATH", os.defpath)))
    try:
        yield Box(root, ws, outside, home, helper, namespaces=request.param)
    finally:
        force_remove(root)


@pytest.fixture
def reap_later() -> Iterator[list[int]]:
    """Pids a test let loose unconfined (a background sleep): killed at teardown."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture
def victim() -> Iterator[subprocess.Popen[bytes]]:
    """A process outside the sandbox, started by the test: what a confined command must not touch."""
    proc = subprocess.Popen(["sleep", "60"], stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()
