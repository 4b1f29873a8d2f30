"""Thin Cython bindings over ``csrc/``: one extension module per C concern.

Nothing here decides policy; the modules only turn C return codes into Python values or
exceptions. Import them through :func:`load`, which names a missing build precisely.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from sandbox.errors import Reason, UnsupportedError

#: Every extension module the build produces; `probe()` reports which of them import.
MODULES = ("_ahocorasick", "_landlock", "_relay", "_seccomp", "_spawn", "_treescan")


def load(name: str) -> ModuleType:
    """Import the native module ``name`` (one of :data:`MODULES`).

    Raises:
        UnsupportedError: with ``Reason.NATIVE_MISSING`` when the module was not built.
    """
    try:
        return importlib.import_module(f"sandbox._native.{name}")
    except ImportError as exc:
        raise UnsupportedError(Reason.NATIVE_MISSING, f"sandbox._native.{name}: {exc}") from exc
