"""Python checks on the syntax tree (the standard ``ast`` module).

Names are resolved the way the interpreter would bind them, without running anything:
``import subprocess as sp``, ``from os import system as run``, ``x = __import__("os")``,
``importlib.import_module("os")``, ``getattr(os, "system")`` with a constant name,
``builtins.eval`` and ``run = os.system`` all lead to the same dotted name. Comments and
string contents are not in the tree, so they never produce a finding.

Resolution is flow-insensitive (an alias bound anywhere in the module counts everywhere):
an attacker cannot hide a call behind control flow, and ordinary code rarely rebinds
``os`` to something else.
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator

from sandbox.inspectors.code_report import Rules, Severity, Violation, ViolationType, source_line

# What a default blocked function is, for the report (a user's own entry is a blocked_function).
_SYSTEM_CALLS = ("os.system", "os.popen", "os.exec*", "os.spawn*", "os.posix_spawn*", "pty.spawn", "posix.system",
                 "subprocess.getoutput", "subprocess.getstatusoutput", "asyncio.create_subprocess_shell")
_CODE_BUILTINS = frozenset({"eval", "exec", "compile"})
# Deserialisers that construct arbitrary objects, and so run code chosen by the data.
_UNSAFE_LOADS = (
    "pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads", "cPickle.load",
    "cPickle.loads", "marshal.load", "marshal.loads", "shelve.open", "dill.load", "dill.loads",
    "jsonpickle.decode", "yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load",
    "yaml.full_load_all", "pandas.read_pickle",
)
# The defaults of CodeVerifier.blocked_functions for Python.
DEFAULT_BLOCKED_FUNCTIONS = ("eval", "exec", "compile", *_SYSTEM_CALLS, *_UNSAFE_LOADS)
_SUBPROCESS = frozenset({"run", "call", "check_call", "check_output", "Popen"})
_YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
_SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
_NETWORK_MODULES = frozenset(
    {"socket", "requests", "urllib.request", "http.client", "httpx", "aiohttp", "urllib3", "ftplib", "smtplib",
     "telnetlib", "websocket", "websockets", "paramiko"}
)
# Calls that delete or write the path in their first argument (and, for moves, the second).
_FIRST_ARG_WRITES = frozenset(
    {"os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree", "os.rename", "os.replace",
     "os.renames", "shutil.move", "os.truncate", "os.chmod", "os.chown", "os.symlink", "os.link", "os.mkfifo"}
)
_SECOND_ARG_WRITES = frozenset(
    {"os.rename", "os.replace", "os.renames", "shutil.move", "shutil.copy", "shutil.copy2", "shutil.copyfile",
     "shutil.copytree", "os.symlink", "os.link"}
)
_PATH_METHOD_WRITES = frozenset(
    {"unlink", "rmdir", "write_text", "write_bytes", "touch", "rename", "replace", "chmod", "symlink_to",
     "hardlink_to", "mkdir"}
)
_PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.PurePath", "pathlib.PurePosixPath"})
_OPENERS = frozenset({"open", "io.open", "codecs.open", "os.fdopen"})
_OS_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")


def check(tree: ast.Module, lines: list[str], rules: Rules) -> list[Violation]:
    """Every finding in ``tree`` (parsed from ``lines``) under ``rules``."""
    return list(_Checker(tree, lines, rules).run())


class _Checker:
    def __init__(self, tree: ast.Module, lines: list[str], rules: Rules) -> None:
        self.tree = tree
        self.lines = lines
        self.rules = rules
        self.aliases: dict[str, str] = {}  # local name -> dotted name it stands for
        self.star_modules: list[str] = []
        self.literal_paths: dict[str, str] = {}  # variable -> the literal path (or Path) bound to it
        self.dicts: dict[str, ast.AST] = {}  # variable -> the dict literal bound to it (for **kwargs)
        self.class_body = {id(stmt) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) for stmt in cls.body}

    def run(self) -> Iterator[Violation]:
        yield from self._bind_imports()
        self._bind_assignments()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                yield from self._call(node)
            elif isinstance(node, ast.ClassDef):
                yield from self._bases(node)

    # -- findings --------------------------------------------------------------------------

    def _report(self, node: ast.AST, kind: ViolationType, reason: str, severity: Severity = "error") -> Violation:
        line = getattr(node, "lineno", 1)
        return Violation(kind, line, source_line(self.lines, line), reason, severity)

    def _module_used(self, node: ast.AST, module: str) -> Iterator[Violation]:
        blocked = self.rules.module_blocked(module)
        if blocked is not None:
            yield self._report(node, "blocked_module", f"imports {module!r} (blocked module {blocked!r})")
        elif any(module == m or module.startswith(m + ".") for m in _NETWORK_MODULES):
            yield self._report(node, "network_access", f"imports {module!r}: network access", "warning")

    # -- name resolution -------------------------------------------------------------------

    def _bind_imports(self) -> Iterator[Violation]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    # `import a.b` binds `a`; `import a.b as c` binds `c` to a.b.
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.aliases.setdefault(top, top)
                    yield from self._module_used(node, alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # a relative import is the project's own code
                    continue
                module = node.module or ""
                yield from self._module_used(node, module)
                for alias in node.names:
                    if alias.name == "*":
                        self.star_modules.append(module)
                        continue
                    full = f"{module}.{alias.name}"
                    self.aliases[alias.asname or alias.name] = full
                    # `from os import path` may name a module of its own.
                    if self.rules.module_blocked(full) and not self.rules.module_blocked(module):
                        yield from self._module_used(node, full)

    def _bind_assignments(self) -> None:
        # What the names bound so far stand for, by their first part.
        self._roots = {v.split(".")[0] for v in self.aliases.values()}
        # Two passes, so that `o = os; run = o.system` resolves whatever the order.
        for _ in range(2):
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target, value = node.targets[0], node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    target, value = node.target, node.value
                else:
                    continue
                key = _dotted(target)
                if key is None:
                    continue
                keys = [key, *self._class_attribute_names(node, key)]
                name = self.qualname(value)
                if name is not None and name != key and self._names_something(value, name):
                    for k in keys:
                        self.aliases[k] = name
                    self._roots.add(name.split(".")[0])
                path = self.literal_path(value)
                if path is not None:
                    for k in keys:
                        self.literal_paths[k] = path
                if isinstance(value, ast.Dict) or (
                    isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict"
                ):
                    self.dicts[key] = value

    def _class_attribute_names(self, node: ast.AST, key: str) -> list[str]:
        """A class body's ``run = ...`` is also reached as ``self.run`` and ``cls.run``."""
        if "." not in key and id(node) in self.class_body:
            return [f"self.{key}", f"cls.{key}"]
        return []

    def _names_something(self, value: ast.AST, name: str) -> bool:
        """Whether binding ``value`` makes an alias worth following: a module, something
        reached from an imported name, or a builtin that runs code."""
        if isinstance(value, ast.Call):
            return True  # qualname() resolves only imports and getattr() calls
        return name in _CODE_BUILTINS or name.split(".")[0] in self._roots

    def qualname(self, node: ast.AST) -> str | None:
        """The dotted name ``node`` refers to (``subprocess.Popen``, ``eval``), or None."""
        name = self._qualname(node)
        return name[len("builtins.") :] if name is not None and name.startswith("builtins.") else name

    def _qualname(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Attribute):
            # self._impl = getattr(os, "system") binds the attribute as a name of its own.
            bound = self.aliases.get(_dotted(node) or "")
            if bound is not None:
                return bound
        if isinstance(node, (ast.BoolOp, ast.IfExp)):
            # f = getattr(builtins, "eval", None) or fallback: whichever runs, it is one of these.
            options = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
            for option in options:
                name = self.qualname(option)
                if name is not None and (name in _CODE_BUILTINS or "." in name):
                    return name
            return None
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in ("__builtins__", "builtins"):
                return "builtins"
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            if base is None:
                return None
            return node.attr if base == "builtins" else f"{base}.{node.attr}"
        if isinstance(node, ast.Subscript):  # __builtins__["eval"], vars(os)["system"]
            base = self.qualname(node.value)
            key = _constant_str(node.slice)
            if base is not None and key is not None:
                return key if base in ("builtins", "sys.modules") else f"{base}.{key}"
            return None
        if isinstance(node, ast.Call):
            func = self.qualname(node.func)
            first = _constant_str(node.args[0]) if node.args else None
            if func in ("__import__", "importlib.import_module", "importlib.__import__") and first is not None:
                return first if func != "__import__" else first.split(".")[0] if not node.args[1:] else first
            if func == "getattr" and len(node.args) >= 2:
                base = self.qualname(node.args[0])
                attr = _constant_str(node.args[1])
                if base is not None and attr is not None:
                    return attr if base == "builtins" else f"{base}.{attr}"
            if func in ("staticmethod", "classmethod", "functools.partial") and node.args:
                return self.qualname(node.args[0])
            if func in ("vars", "globals") and not node.args:
                return "builtins" if func == "globals" else None
            if func == "vars" and node.args:
                return self.qualname(node.args[0])
        return None

    def _candidates(self, name: str) -> list[str]:
        """``name`` and, for a bare name, what a star import may have bound it to."""
        if "." in name:
            return [name]
        return [name, *(f"{m}.{name}" for m in self.star_modules)]

    # -- calls -----------------------------------------------------------------------------

    def _call(self, call: ast.Call) -> Iterator[Violation]:
        yield from self._path_method(call)
        name = self.qualname(call.func)
        if name is None:
            return
        # A dynamic import of a constant module is an import.
        if name in ("__import__", "importlib.import_module", "importlib.__import__"):
            module = _constant_str(call.args[0]) if call.args else None
            if module is not None:
                yield from self._module_used(call, module)
            else:
                yield self._report(call, "dangerous_pattern", f"{name}() of a computed module name", "warning")
            return
        for candidate in self._candidates(name):
            found = list(self._known_call(call, candidate))
            if found:
                yield from found
                return

    def _bases(self, cls: ast.ClassDef) -> Iterator[Violation]:
        # class Mine(pickle.Unpickler) loads what pickle.Unpickler loads.
        for base in cls.bases:
            name = self.qualname(base)
            if name is not None and name in _UNSAFE_LOADS and self.rules.function_blocked(name):
                reason = f"subclasses {name}, which deserialises objects that can run code"
                yield self._report(cls, "dangerous_pattern", reason)

    def _known_call(self, call: ast.Call, name: str) -> Iterator[Violation]:
        module, _, func = name.rpartition(".")
        if module == "subprocess" and func in _SUBPROCESS:
            # Not a list entry: shell=True is the danger, whatever the function.
            shell = self._keyword(call, "shell")
            if shell is not None and _truthy(shell):
                yield self._report(call, "system_call", f"{name}(..., shell=True) runs a command through the shell")
            elif shell is not None and not _is_constant(shell):
                yield self._report(call, "system_call", f"{name}() with a computed shell= argument")
            else:
                yield self._report(call, "system_call", f"{name}() starts a program", "warning")
        yield from self._file_access(call, name)
        blocked = self.rules.function_blocked(name)
        if blocked is None:
            return
        if name in _CODE_BUILTINS:
            if call.args and _is_constant(call.args[0]):
                yield self._report(call, "dangerous_pattern", f"{name}() of a constant string", "warning")
            else:
                yield self._report(call, "dangerous_pattern", f"{name}() runs code computed at run time")
        elif name in _YAML_LOADS:
            loader = self._keyword(call, "Loader") or (call.args[1] if len(call.args) > 1 else None)
            loader_name = self.qualname(loader) if loader is not None else None
            if loader_name is None or not loader_name.endswith(_SAFE_YAML_LOADERS):
                yield self._report(call, "dangerous_pattern", f"{name}() without a safe loader can run code")
        elif any(_matches(name, p) for p in _SYSTEM_CALLS):
            reason = f"{name}() runs a command through the shell or replaces the process"
            yield self._report(call, "system_call", reason)
        elif name in _UNSAFE_LOADS:
            yield self._report(call, "dangerous_pattern", f"{name}() deserialises objects that can run code")
        else:
            yield self._report(call, "blocked_function", f"calls {name}() (blocked function {blocked!r})")

    def _file_access(self, call: ast.Call, name: str) -> Iterator[Violation]:
        targets: list[ast.AST] = []
        if name in _FIRST_ARG_WRITES and call.args:
            targets.append(call.args[0])
        if name in _SECOND_ARG_WRITES and len(call.args) > 1:
            targets.append(call.args[1])
        for kw in call.keywords:
            if kw.arg in ("dst", "dest", "destination") and name in _SECOND_ARG_WRITES:
                targets.append(kw.value)
        opened = call.args[0] if call.args else self._keyword(call, "file")
        if name in _OPENERS and opened is not None:
            mode = self._keyword(call, "mode") or (call.args[1] if len(call.args) > 1 else None)
            mode_text = _constant_str(mode) if mode is not None else "r"
            if mode_text is not None and any(c in mode_text for c in "wax+"):
                targets.append(opened)
        if name == "os.open" and len(call.args) > 1 and any(f in ast.unparse(call.args[1]) for f in _OS_WRITE_FLAGS):
            targets.append(call.args[0])
        for target in targets:
            path = self.literal_path(target)
            if path is not None:
                yield from self._check_path(call, path, name)

    def _keyword(self, call: ast.Call, name: str) -> ast.AST | None:
        """The value given for keyword ``name``, also through ``**{"name": value}``,
        ``**dict(name=value)`` and ``**options`` with options bound to such a dict."""
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value
            if kw.arg is None:
                source = self.dicts.get(_dotted(kw.value) or "", kw.value)
                value = _dict_value(source, name)
                if value is not None:
                    return value
        return None

    def _path_method(self, call: ast.Call) -> Iterator[Violation]:
        """Path("/etc/x").write_text(...), and p.unlink() with p bound to a literal Path."""
        if not isinstance(call.func, ast.Attribute):
            return
        method, owner = call.func.attr, call.func.value
        if not self._is_path_object(owner):
            return
        if method in _PATH_METHOD_WRITES or (method == "open" and self._path_open_writes(call)):
            path = self.literal_path(owner)
            if path is not None:
                yield from self._check_path(call, path, f"Path.{method}")
        if method in ("rename", "replace") and call.args:
            target = self.literal_path(call.args[0])
            if target is not None:
                yield from self._check_path(call, target, f"Path.{method}")

    def _path_open_writes(self, call: ast.Call) -> bool:
        mode = self._keyword(call, "mode") or (call.args[0] if call.args else None)
        text = _constant_str(mode) if mode is not None else "r"
        return text is not None and any(c in text for c in "wax+")

    def _is_path_object(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("joinpath", "with_name", "with_suffix"):
                return self._is_path_object(node.func.value)
            name = self.qualname(node.func)
            return name in _PATH_TYPES or (name is not None and name.endswith("Path.home"))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return self._is_path_object(node.left)
        if isinstance(node, ast.Name):
            return node.id in self.literal_paths
        return False

    def _check_path(self, call: ast.Call, path: str, what: str) -> Iterator[Violation]:
        if not self.rules.path_allowed(path):
            yield self._report(call, "file_access", f"{what}() writes or deletes {path!r}, outside the allowed paths")

    def literal_path(self, node: ast.AST | None) -> str | None:
        """The path ``node`` spells with constants only (``"/etc/x"``, ``Path("/etc") / "x"``,
        ``os.path.join("/etc", "x")``, ``Path.home() / ".ssh"``), or None."""
        if node is None:
            return None
        text = _constant_str(node)
        if text is not None:
            return text
        if isinstance(node, ast.Name):
            return self.literal_paths.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self.literal_path(node.left), self.literal_path(node.right)
            return posixpath.join(left, right) if left is not None and right is not None else None
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath":
                parts = [self.literal_path(node.func.value), *(self.literal_path(a) for a in node.args)]
                if all(p is not None for p in parts):
                    return posixpath.join(*[p for p in parts if p is not None])
                return None
            name = self.qualname(node.func)
            if name in ("pathlib.Path.home", "os.path.expanduser") and not node.args:
                return "~"
            if name == "os.path.expanduser" and node.args:
                return self.literal_path(node.args[0])
            if name in _PATH_TYPES or name == "os.path.join":
                parts = [self.literal_path(a) for a in node.args]
                if parts and all(p is not None for p in parts):
                    return posixpath.join(*[p for p in parts if p is not None])
            if name is not None and name.endswith("Path.home"):
                return "~"
        return None


def _matches(name: str, pattern: str) -> bool:
    return name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern


def _constant_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
    return None


def _is_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant)


def _truthy(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _dict_value(node: ast.AST, name: str) -> ast.AST | None:
    """The value for key ``name`` in a dict literal or a dict(...) call."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if _constant_str(key) == name:
                return value
    if isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg == name:
                return kw.value
    return None
