"""Go checks on a tree-sitter syntax tree.

Imports are resolved with their aliases (``x "os/exec"``), dot imports (``. "os/exec"``, whose
names are then used bare) and blank imports (``_ "unsafe"``, imported for its side effects,
still imported); calls are named by import path (``os/exec.Command``) so that a local type
called ``Command`` or a package of the project's own named ``exec`` does not match. Comments
and string literals are leaves of the tree, never calls.
"""

from __future__ import annotations

import posixpath
from typing import Any

from sandbox.inspectors import treesitter as ts
from sandbox.inspectors.code_report import Rules, Severity, Violation, ViolationType, source_line

# The defaults of CodeVerifier.blocked_modules and blocked_functions for Go.
DEFAULT_BLOCKED_MODULES = ("unsafe", "syscall", "os/exec", "golang.org/x/sys/unix", "C", "plugin")
DEFAULT_BLOCKED_FUNCTIONS = (
    "os/exec.Command", "os/exec.CommandContext", "syscall.Exec", "syscall.ForkExec", "syscall.StartProcess",
    "golang.org/x/sys/unix.Exec", "os.StartProcess",
)
_SYSTEM = frozenset(DEFAULT_BLOCKED_FUNCTIONS)
_NETWORK = frozenset({"net", "net/http", "net/rpc", "net/smtp", "crypto/tls", "golang.org/x/net/websocket"})
# Calls whose first argument is a path they delete or write.
_PATH_WRITES = frozenset({"os.Remove", "os.RemoveAll", "os.WriteFile", "os.Create", "os.Truncate", "os.Chmod",
                          "os.Chown", "os.Mkdir", "os.MkdirAll", "ioutil.WriteFile", "io/ioutil.WriteFile"})
_MOVES = frozenset({"os.Rename", "os.Symlink", "os.Link"})
_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREATE", "O_TRUNC", "O_APPEND")


def check(source: bytes, lines: list[str], rules: Rules) -> tuple[list[Violation], int | None]:
    """Every finding in Go ``source`` under ``rules``, and the first line that does not
    parse (None when all of it does)."""
    tree = ts.parser("go").parse(source)
    checker = _Checker(lines, rules)
    found = list(checker.imports(tree.root_node))
    for node in ts.walk(tree.root_node):
        if node.type == "call_expression":
            found.extend(checker.call(node))
    return found, ts.first_error_line(tree.root_node)


class _Checker:
    def __init__(self, lines: list[str], rules: Rules) -> None:
        self.lines = lines
        self.rules = rules
        self.packages: dict[str, str] = {}  # name used in the file -> import path
        self.dot_imports: list[str] = []

    def _report(self, node: Any, kind: ViolationType, reason: str, severity: Severity = "error") -> Violation:
        line = node.start_point[0] + 1
        return Violation(kind, line, source_line(self.lines, line), reason, severity)

    def imports(self, root: Any) -> Any:
        for node in ts.walk(root):
            if node.type != "import_spec":
                continue
            path_node = node.child_by_field_name("path")
            if path_node is None:
                continue
            path = _string(path_node)
            if path is None:
                continue
            name_node = node.child_by_field_name("name")
            name = ts.text(name_node) if name_node is not None else path.rsplit("/", 1)[-1]
            if name == ".":
                self.dot_imports.append(path)
            elif name != "_":
                self.packages[name] = path
            blocked = self.rules.module_blocked(path, separator="/")
            how = {".": "dot-imports", "_": "blank-imports"}.get(name, "imports")
            if blocked is not None:
                yield self._report(node, "blocked_module", f"{how} {path!r} (blocked module)")
            elif path in _NETWORK:
                yield self._report(node, "network_access", f"imports {path!r}: network access", "warning")
            elif path == "reflect":
                pass  # reported only when a user blocks it (module_blocked above)

    def _callee(self, node: Any) -> tuple[str, str] | None:
        """(import path, function) of a call's target, or None for a local function."""
        function = node.child_by_field_name("function")
        if function is None:
            return None
        if function.type == "selector_expression":
            operand = function.child_by_field_name("operand")
            field = function.child_by_field_name("field")
            if operand is None or field is None or operand.type != "identifier":
                return None
            package = self.packages.get(ts.text(operand))
            return (package, ts.text(field)) if package is not None else None
        if function.type == "identifier":
            # A bare name is a dot-imported package's only if that package has it as one
            # that matters here; otherwise it is the file's own function.
            name = ts.text(function)
            for package in self.dot_imports:
                full = f"{package}.{name}"
                if self.rules.function_blocked(full) or full in _PATH_WRITES or full in _MOVES or full in (
                    "os.Exit", "os.OpenFile"
                ):
                    return package, name
        return None

    def call(self, node: Any) -> Any:
        callee = self._callee(node)
        if callee is None:
            return
        package, function = callee
        full = f"{package}.{function}"
        short = f"{package.rsplit('/', 1)[-1]}.{function}"
        args = node.child_by_field_name("arguments")
        arguments = [c for c in args.named_children if c.type != "comment"] if args is not None else []
        if full == "os.Exit":
            yield self._report(node, "system_call", "os.Exit ends the program without deferred cleanup", "warning")
        blocked = self.rules.function_blocked(full, short)
        if blocked is not None:
            kind: ViolationType = "system_call" if full in _SYSTEM else "blocked_function"
            yield self._report(node, kind, f"calls {full} (blocked function {blocked!r})")
        yield from self._file_access(node, full, short, arguments)

    def _file_access(self, node: Any, full: str, short: str, arguments: list[Any]) -> Any:
        targets: list[Any] = []
        if (full in _PATH_WRITES or short in _PATH_WRITES) and arguments:
            targets.append(arguments[0])
        if full in _MOVES and len(arguments) > 1:
            targets.append(arguments[1])
        if full == "os.OpenFile" and len(arguments) > 1 and any(f in ts.text(arguments[1]) for f in _WRITE_FLAGS):
            targets.append(arguments[0])
        for target in targets:
            path = self._literal_path(target)
            if path is None:
                if full == "os.RemoveAll":
                    yield self._report(node, "file_access", "os.RemoveAll of a computed path", "warning")
                continue
            if not self.rules.path_allowed(path):
                yield self._report(node, "file_access", f"{full} writes or deletes {path!r}, outside the allowed paths")

    def _literal_path(self, node: Any) -> str | None:
        text = _string(node)
        if text is not None:
            return text
        if node.type == "call_expression":
            callee = self._callee(node)
            args = node.child_by_field_name("arguments")
            if callee is not None and callee[0] in ("path/filepath", "path") and callee[1] == "Join" and args:
                parts = [self._literal_path(a) for a in args.named_children]
                if parts and all(p is not None for p in parts):
                    return posixpath.join(*[p for p in parts if p is not None])
        return None


def _string(node: Any) -> str | None:
    if node.type == "raw_string_literal":
        return ts.text(node)[1:-1]
    if node.type == "interpreted_string_literal":
        if any(c.type == "escape_sequence" for c in node.children):
            return None  # a path with escapes is spelled to be read, not literally compared
        return ts.text(node)[1:-1]
    return None
