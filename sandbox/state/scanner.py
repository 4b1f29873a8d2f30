"""Which scanner the state module uses, in one place: the C scan of csrc/treescan.c
(``native``: the tree stat'ed on several threads, files opened with ``openat2`` so that no
link is followed, store files flushed early), or, where it was not built, the walk in
Python of sandbox.state.workdir, which gives the same manifests. The state tests run
against both (the ``state_scan`` fixture sets ``native`` to None)."""

from __future__ import annotations

from typing import Any

from sandbox import _native
from sandbox.errors import UnsupportedError

try:
    native: Any = _native.load("_treescan")
except UnsupportedError:
    native = None


def backend() -> str:
    """``"native"`` or ``"python"``: which scanner captures work directories."""
    return "native" if native is not None else "python"
