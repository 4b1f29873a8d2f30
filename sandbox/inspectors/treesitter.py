"""The tree-sitter grammars for Go and Bash, loaded on first use.

tree-sitter parsers are cheap to create but not safe to share between threads, so each
thread gets its own. A missing package is an UnsupportedError naming it: the checks never
fall back to matching text.
"""

from __future__ import annotations

import threading
from typing import Any

from sandbox.errors import Reason, UnsupportedError

_local = threading.local()
_languages: dict[str, Any] = {}
_lock = threading.Lock()
_MODULES = {"go": "tree_sitter_go", "bash": "tree_sitter_bash"}


def parser(language: str) -> Any:
    """A tree-sitter parser for ``language`` (``go`` or ``bash``) for this thread.

    Raises:
        UnsupportedError: (``Reason.CODE_PARSER_MISSING``) the tree-sitter package or the
            grammar is not installed.
    """
    parsers: dict[str, Any] = getattr(_local, "parsers", None) or {}
    _local.parsers = parsers
    found = parsers.get(language)
    if found is None:
        grammar = _language(language)  # raises first when tree-sitter is missing
        from tree_sitter import Parser

        found = parsers[language] = Parser(grammar)
    return found


def _language(language: str) -> Any:
    with _lock:
        loaded = _languages.get(language)
        if loaded is None:
            module = _MODULES[language]
            try:
                from importlib import import_module

                from tree_sitter import Language

                grammar = import_module(module)
            except ImportError as exc:
                raise UnsupportedError(
                    Reason.CODE_PARSER_MISSING, f"cannot parse {language}: {exc.name or module} is not installed"
                ) from exc
            loaded = _languages[language] = Language(grammar.language())
        return loaded


def text(node: Any) -> str:
    """The source text of a node."""
    raw: bytes = node.text
    return raw.decode("utf-8", errors="replace")


def first_error_line(root: Any) -> int | None:
    """The 1-based line of the first part of the tree that did not parse, or None."""
    if not root.has_error:
        return None
    for node in walk(root):
        if node.type == "ERROR" or node.is_missing:
            line: int = node.start_point[0] + 1
            return line
    return 1


def walk(node: Any) -> Any:
    """Every node beneath ``node``, ``node`` first (iteratively: deep trees do not recurse)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))
