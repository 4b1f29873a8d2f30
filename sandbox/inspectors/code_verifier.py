"""CodeVerifier: find the dangerous constructs in code an agent wrote, before it runs.

Python is read with the standard ``ast`` module, Go and Bash with tree-sitter: constructs are
found by what they are in the syntax tree, however they are spelled, and never in comments
or strings. The four lists (blocked modules, functions and patterns, allowed paths) are
honoured by every check; a blocked pattern is a regular expression over the source text,
which is also all that runs for a language that is not parsed.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sandbox.errors import PolicyError
from sandbox.inspectors import bash_code, go_code, python_code
from sandbox.inspectors.code_report import Rules, Violation, sort_violations, source_line

__all__ = ["CodeVerifier", "VerificationResult", "Violation", "format_result"]

_LANGUAGES = {
    "python": "python", "py": "python", "python3": "python",
    "go": "go", "golang": "go",
    "bash": "bash", "sh": "bash", "shell": "bash",
}
DEFAULT_BLOCKED_MODULES = ("ctypes", "cffi", *go_code.DEFAULT_BLOCKED_MODULES)
DEFAULT_BLOCKED_FUNCTIONS = (*python_code.DEFAULT_BLOCKED_FUNCTIONS, *go_code.DEFAULT_BLOCKED_FUNCTIONS)
DEFAULT_ALLOWED_PATHS = (".", "/tmp")
# A blocked pattern that backtracks badly on hostile input stops here instead of hanging.
_PATTERN_TIMEOUT = 1.0


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """``safe`` is False when any violation is an error. ``violations`` holds errors and
    warnings (by line); ``warnings`` are notes about the check itself (a language that is
    not parsed, code that does not parse)."""

    safe: bool
    violations: tuple[Violation, ...]
    warnings: tuple[str, ...]
    language: str

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")


class CodeVerifier:
    """Checks code for dangerous constructs. Safe for concurrent use: each verify() works on
    a snapshot of the lists, taken under a lock that the ``add_*`` methods also take.

    The lists are public attributes (``blocked_modules``, ``blocked_functions``,
    ``blocked_patterns``, ``allowed_paths``); change them in place or through the methods.
    A blocked function is a dotted name (``os.system``; ``os/exec.Command`` or
    ``exec.Command`` for Go; a command name for Bash) or a glob (``os.exec*``).
    """

    def __init__(
        self,
        *,
        blocked_modules: Iterable[str] = DEFAULT_BLOCKED_MODULES,
        blocked_functions: Iterable[str] = DEFAULT_BLOCKED_FUNCTIONS,
        blocked_patterns: Iterable[str] = (),
        allowed_paths: Iterable[str] = DEFAULT_ALLOWED_PATHS,
    ) -> None:
        """Raises PolicyError for a blocked pattern that is not a valid regular expression."""
        self._lock = threading.Lock()
        self.blocked_modules: list[str] = list(blocked_modules)
        self.blocked_functions: list[str] = list(blocked_functions)
        self.blocked_patterns: list[str] = []
        self.allowed_paths: list[str] = list(allowed_paths)
        self._compiled: dict[str, Any] = {}
        for pattern in blocked_patterns:
            self.add_blocked_pattern(pattern)

    # -- rules -----------------------------------------------------------------------------

    def add_blocked_module(self, module: str) -> None:
        """Report every import of ``module`` (and of its submodules). Raises PolicyError for
        an empty or non-string name."""
        name = _name(module, "module")
        with self._lock:
            if name not in self.blocked_modules:
                self.blocked_modules.append(name)

    def add_blocked_function(self, function: str) -> None:
        """Report every call of ``function`` (a dotted name or a glob). Raises PolicyError
        for an empty or non-string name."""
        name = _name(function, "function")
        with self._lock:
            if name not in self.blocked_functions:
                self.blocked_functions.append(name)

    def add_blocked_pattern(self, pattern: str) -> None:
        """Report every match of the regular expression ``pattern`` in the source (any
        language, comments and strings included). Raises PolicyError when it does not compile."""
        if not isinstance(pattern, str) or not pattern:
            raise PolicyError(f"a blocked pattern is a non-empty string, not {pattern!r}")
        compiled = _compile(pattern)
        with self._lock:
            if pattern not in self.blocked_patterns:
                self.blocked_patterns.append(pattern)
            self._compiled[pattern] = compiled

    def _snapshot(self) -> tuple[Rules, list[tuple[str, Any]]]:
        with self._lock:
            rules = Rules(
                blocked_modules=frozenset(self.blocked_modules),
                blocked_functions=tuple(self.blocked_functions),
                allowed_paths=tuple(self.allowed_paths),
            )
            patterns = []
            for pattern in self.blocked_patterns:  # also those appended to the list directly
                compiled = self._compiled.get(pattern)
                if compiled is None:
                    compiled = self._compiled[pattern] = _compile(pattern)
                patterns.append((pattern, compiled))
        return rules, patterns

    # -- checks ----------------------------------------------------------------------------

    def verify(self, code: str, language: str) -> VerificationResult:
        """Check ``code`` written in ``language`` (``python``/``py``, ``go``/``golang``,
        ``bash``/``sh``/``shell``; anything else gets the blocked patterns only, and a warning).

        Raises:
            PolicyError: ``code`` or ``language`` is not a string, or a blocked pattern in the
                list does not compile.
            UnsupportedError: the tree-sitter grammar for Go or Bash is not installed.
        """
        if not isinstance(code, str):
            raise PolicyError(f"code must be a string, not {type(code).__name__}")
        if not isinstance(language, str):
            raise PolicyError(f"language must be a string, not {type(language).__name__}")
        canonical = _LANGUAGES.get(language.strip().lower())
        rules, patterns = self._snapshot()
        lines = code.splitlines()
        found: list[Violation] = []
        warnings: list[str] = []
        if canonical == "python":
            found += _python(code, lines, rules)
        elif canonical in ("go", "bash"):
            module = go_code if canonical == "go" else bash_code
            violations, line = module.check(code.encode("utf-8", errors="surrogatepass"), lines, rules)
            found += violations
            if line is not None:
                found.append(
                    Violation(
                        "dangerous_pattern", line, source_line(lines, line),
                        f"the {canonical} code does not parse here; what did not parse was not checked",
                    )
                )
        else:
            warnings.append(f"language {language!r} is not parsed: only the blocked patterns were checked")
        found += _patterns(code, lines, patterns)
        violations = sort_violations(found)
        return VerificationResult(
            safe=not any(v.severity == "error" for v in violations),
            violations=violations,
            warnings=tuple(warnings),
            language=canonical or language,
        )

    def verify_python(self, code: str) -> list[Violation]:
        """The violations of Python ``code`` (see :meth:`verify`)."""
        return list(self.verify(code, "python").violations)

    def verify_go(self, code: str) -> list[Violation]:
        """The violations of Go ``code`` (see :meth:`verify`)."""
        return list(self.verify(code, "go").violations)

    def verify_bash(self, code: str) -> list[Violation]:
        """The violations of Bash ``code`` (see :meth:`verify`)."""
        return list(self.verify(code, "bash").violations)


def _python(code: str, lines: list[str], rules: Rules) -> list[Violation]:
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        line = exc.lineno or 1
        return [
            Violation(
                "dangerous_pattern", line, source_line(lines, line),
                f"syntax error: {exc.msg}; code that does not parse cannot be checked",
            )
        ]
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        return [Violation("dangerous_pattern", 1, source_line(lines, 1), f"cannot parse: {exc}")]
    try:
        return python_code.check(tree, lines, rules)
    except RecursionError:
        return [Violation("dangerous_pattern", 1, source_line(lines, 1), "nesting too deep to check")]


def _patterns(code: str, lines: list[str], patterns: list[tuple[str, Any]]) -> list[Violation]:
    found = []
    for pattern, compiled in patterns:
        try:
            for match in compiled.finditer(code, timeout=_PATTERN_TIMEOUT):
                line = code.count("\n", 0, match.start()) + 1
                reason = f"matches blocked pattern {pattern!r}"
                found.append(Violation("dangerous_pattern", line, source_line(lines, line), reason))
        except TimeoutError:
            found.append(
                Violation("dangerous_pattern", 1, source_line(lines, 1), f"blocked pattern {pattern!r} timed out")
            )
    return found


def _compile(pattern: str) -> Any:
    import regex

    try:
        return regex.compile(pattern, regex.MULTILINE)
    except regex.error as exc:
        raise PolicyError(f"blocked pattern {pattern!r} is not a valid regular expression: {exc}") from exc


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"a blocked {what} is a non-empty string, not {value!r}")
    return value.strip()


def format_result(result: VerificationResult) -> str:
    """A human-readable summary: the verdict, then each violation, then the warnings."""
    errors = [v for v in result.violations if v.severity == "error"]
    warned = [v for v in result.violations if v.severity == "warning"]

    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    head = "safe" if result.safe else "UNSAFE"
    out = [f"{result.language}: {head} ({count(len(errors), 'error')}, {count(len(warned), 'warning')})"]
    for v in result.violations:
        out.append(f"  line {v.line}: {v.severity} [{v.type}] {v.reason}")
        if v.code:
            out.append(f"    {v.code}")
    for note in result.warnings:
        out.append(f"  warning: {note}")
    return "\n".join(out)
