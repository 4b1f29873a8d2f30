"""Fixtures for the native tests: the C helpers they run in confined children."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.build import build_try_syscall


@pytest.fixture(scope="session")
def try_syscall(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``try_syscall``, built once per session (see tests/helpers/try_syscall.c)."""
    return build_try_syscall(tmp_path_factory.mktemp("helpers"))
