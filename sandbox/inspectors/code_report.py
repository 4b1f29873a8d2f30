"""What a code check reports: Violation, the rule set the checkers read, and path bounds.

Shared by the three language checkers (python_code, go_code, bash_code) and the
CodeVerifier facade; pure data, no parsing.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ViolationType = Literal[
    "blocked_module", "blocked_function", "dangerous_pattern", "file_access", "network_access", "system_call"
]
Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding: ``line`` is 1-based and ``code`` the source line it is on (stripped)."""

    type: ViolationType
    line: int
    code: str
    reason: str
    severity: Severity = "error"


@dataclass(frozen=True, slots=True)
class Rules:
    """A snapshot of a CodeVerifier's lists, taken once per verify() so that rules added by
    another thread meanwhile never half-apply."""

    blocked_modules: frozenset[str]
    blocked_functions: tuple[str, ...]
    allowed_paths: tuple[str, ...]

    def module_blocked(self, name: str, separator: str = ".") -> str | None:
        """The entry of blocked_modules that covers module ``name`` (itself or a parent
        package: blocking ``os`` blocks ``os.path``; for Go, ``separator="/"``, blocking
        ``golang.org/x/sys`` blocks ``golang.org/x/sys/unix``), or None."""
        parts = name.split(separator)
        for i in range(len(parts), 0, -1):
            candidate = separator.join(parts[:i])
            if candidate in self.blocked_modules:
                return candidate
        return None

    def function_blocked(self, *names: str) -> str | None:
        """The blocked_functions entry (a dotted name, or a glob such as ``os.exec*``) that
        matches any of ``names``, or None."""
        for pattern in self.blocked_functions:
            for name in names:
                if name == pattern or (any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(name, pattern)):
                    return pattern
        return None

    def path_allowed(self, path: str) -> bool:
        """Whether a literal path that code writes or deletes stays inside allowed_paths.

        Relative paths are relative to the project: they are inside an allowed ``.`` unless
        they climb out with ``..``. ``~`` is the home directory, never the project. Nothing
        is resolved (the code is not running): ``/tmp/../etc`` is normalised to ``/etc``.
        """
        return any(_inside(path, allowed) for allowed in self.allowed_paths)


_HOME = "/\0home"  # stands for ~ while normalising: absolute, and no real path can contain NUL


def _norm(path: str) -> str:
    if path == "~" or path.startswith("~/"):
        path = _HOME + path[1:]  # so that ~/../etc normalises to /etc, not to a relative etc
    elif path.startswith("~"):
        path = _HOME + "/../" + path[1:]  # ~bob: another user's home
    return posixpath.normpath(path)


def _inside(path: str, allowed: str) -> bool:
    path, allowed = _norm(path), _norm(allowed)
    if not path.startswith("/"):
        # Relative to the project.
        if allowed != ".":
            return False
        return path != ".." and not path.startswith("../")
    if allowed == ".":
        return False
    if allowed == "/":
        return path.startswith("/")
    return path == allowed or path.startswith(allowed.rstrip("/") + "/")


def source_line(lines: list[str], line: int) -> str:
    """The stripped text of 1-based ``line`` (empty past the end)."""
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def sort_violations(found: Iterable[Violation]) -> tuple[Violation, ...]:
    """By line, errors first on a line, without duplicates (one construct reached twice)."""
    unique = dict.fromkeys(found)
    return tuple(sorted(unique, key=lambda v: (v.line, v.severity != "error", v.type, v.reason)))
