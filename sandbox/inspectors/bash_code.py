"""Bash checks on a tree-sitter syntax tree.

Only commands are judged: a word inside a quoted string, a heredoc body or a comment is a
leaf of the tree, never a command, so ``echo "never run rm -rf /"`` is not ``rm -rf /``. The
exception is code that the shell itself will run from a string: ``sh -c '…'``, ``bash -c``
and ``eval '…'`` with a constant string are parsed and checked in turn.

Words are evaluated statically: quotes and backslashes are removed, ``$HOME`` and ``${HOME}``
stay as ``$HOME`` (a known location), anything computed at run time makes the word unknown,
and an unknown word never matches a dangerous target (``rm -rf "$BUILD_DIR"`` is ordinary).
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.inspectors import treesitter as ts
from sandbox.inspectors.code_report import Rules, Severity, Violation, ViolationType, source_line

_MAX_DEPTH = 3  # sh -c inside sh -c inside eval …
# Programs that run the command named after their own options.
_WRAPPERS = frozenset({"command", "builtin", "exec", "nohup", "nice", "time", "env", "timeout", "stdbuf", "ionice",
                       "setsid", "chronic", "unbuffer", "xargs", "watch", "caffeinate"})
_PRIVILEGE = frozenset({"sudo", "su", "doas", "pkexec", "run0"})
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "fish", "ash", "busybox"})
_INTERPRETERS = _SHELLS | frozenset(
    {"python", "python2", "python3", "perl", "ruby", "node", "php", "lua", "source", "."}
)
_FETCHERS = frozenset({"curl", "wget", "fetch", "aria2c", "lwp-request", "http", "xh"})
_HOME = ("~", "$HOME")
_SYSTEM_DIRS = ("/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt",
                "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys", "/usr", "/var")
_HARMLESS_DEVICES = ("/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero", "/dev/random",
                     "/dev/urandom", "/dev/fd/", "/dev/full")
_BLOCK_DEVICE = re.compile(r"^/dev/(sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|mapper/|dm-\d|md\d|loop\d)")
_RC_FILES = (".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zprofile", ".zshenv",
             ".zlogin", ".kshrc", ".cshrc", ".tcshrc", ".config/fish/config.fish")
_HISTORY_FILES = (".bash_history", ".zsh_history", ".history", ".sh_history", ".python_history")
_SIGNALS_KILL = frozenset({"-9", "-KILL", "-SIGKILL", "-s9", "-n9"})
_WRITE_REDIRECTS = (">", ">>", "&>", "&>>", ">|")
# Entries of the default blocked functions that name Python builtins, not shell commands
# (the shell's own eval is judged by what it runs).
_PYTHON_BUILTINS = frozenset({"eval", "exec", "compile"})


def check(source: bytes, lines: list[str], rules: Rules) -> tuple[list[Violation], int | None]:
    """Every finding in Bash ``source`` under ``rules``, and the first line that does not
    parse (None when all of it does)."""
    tree = ts.parser("bash").parse(source)
    checker = _Checker(lines, rules)
    checker.visit(tree.root_node, depth=0, line_offset=None)
    return checker.found, ts.first_error_line(tree.root_node)


class _Checker:
    def __init__(self, lines: list[str], rules: Rules) -> None:
        self.lines = lines
        self.rules = rules
        self.found: list[Violation] = []

    # -- reporting -------------------------------------------------------------------------

    def _report(self, node: Any, kind: ViolationType, reason: str, severity: Severity = "error") -> None:
        line = self._line if self._line is not None else node.start_point[0] + 1
        self.found.append(
            Violation(kind, line, source_line(self.lines, line), reason, severity)
        )

    # -- traversal -------------------------------------------------------------------------

    def visit(self, root: Any, *, depth: int, line_offset: int | None) -> None:
        # Code parsed from a string reports at the line of the command that runs it.
        self._line = line_offset
        saved_source = getattr(self, "_source", b"")
        self._source = root.text
        for node in ts.walk(root):
            kind = node.type
            if kind == "command":
                self._command(node, depth)
            elif kind == "file_redirect":
                self._redirect(node)
            elif kind == "pipeline":
                self._pipeline(node)
            elif kind == "function_definition":
                self._function(node)
            elif kind in ("unset_command", "declaration_command", "variable_assignment"):
                self._history_variables(node)
        self._line = line_offset
        self._source = saved_source

    # -- words -----------------------------------------------------------------------------

    def word(self, node: Any) -> str | None:
        """The static value of a word, or None when it is computed at run time."""
        text, complete = self._static(node)
        return text if complete else None

    def prefix(self, node: Any) -> str:
        """The static start of a word: all of it when it is static, else what comes before
        the first part computed at run time (``/etc/app/`` of ``/etc/app/${NAME}.conf``)."""
        return self._static(node)[0]

    def _static(self, node: Any) -> tuple[str, bool]:
        """(the static text of a word up to its first computed part, whether that is all of it)."""
        kind = node.type
        if kind == "word" or kind == "number":
            return re.sub(r"\\(.)", r"\1", ts.text(node).strip()), True
        if kind == "raw_string":
            return ts.text(node)[1:-1], True
        if kind in ("simple_expansion", "expansion"):
            home = ts.text(node) in ("$HOME", "${HOME}")
            return ("$HOME", True) if home else ("", False)
        if kind in ("string", "concatenation", "command_name"):
            parts = []
            for child in node.children:
                if child.type == '"':
                    continue
                if child.type == "string_content":
                    parts.append(ts.text(child))
                    continue
                text, complete = self._static(child)
                parts.append(text)
                if not complete:
                    return "".join(parts), False
            return "".join(parts), True
        return "", False

    def _argv(self, node: Any) -> tuple[str | None, list[Any]]:
        segments = self._segments(node)
        if not segments:
            return None, []
        name_node, args = segments[0]
        return self.word(name_node), args

    def _segments(self, node: Any) -> list[tuple[Any, list[Any]]]:
        """The command's name and arguments, split where a newline ends it.

        tree-sitter-bash sometimes runs the next line into a command (a line that starts
        with a backslash, as in ``\\rm``); bash would not, so neither do we: a word after an
        unescaped newline starts a command of its own.
        """
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return []
        source: bytes = self._source
        segments: list[tuple[Any, list[Any]]] = [(name_node, [])]
        previous = name_node
        for arg in node.children_by_field_name("argument"):
            # The newline may also have been swallowed into the word itself.
            between = source[previous.end_byte : arg.start_byte].replace(b"\\\n", b"")
            if b"\n" in between or arg.text.lstrip(b" \t").startswith(b"\n"):
                segments.append((arg, []))
            else:
                segments[-1][1].append(arg)
            previous = arg
        return segments

    # -- commands --------------------------------------------------------------------------

    def _command(self, node: Any, depth: int) -> None:
        for i, (name_node, arg_nodes) in enumerate(self._segments(node)):
            name = self.word(name_node)
            if name is not None:
                # A split-off command reports at its own line (its word may start with the
                # newline tree-sitter swallowed).
                at = node if i == 0 else _At(name_node.start_point[0] + name_node.text.count(b"\n"))
                self._one_command(at, name, arg_nodes, depth)

    def _one_command(self, node: Any, name: str, arg_nodes: list[Any], depth: int) -> None:
        self._judge(node, name, [self.word(a) for a in arg_nodes], arg_nodes, depth)

    def _judge(self, node: Any, name: str, args: list[str | None], arg_nodes: list[Any], depth: int) -> None:
        """Check one command; ``arg_nodes`` are the arguments' tree nodes, or None for an
        argument that has none (the command of a find -exec)."""
        resolved, args, arg_nodes = self._unwrap(node, name.rsplit("/", 1)[-1], args, arg_nodes)
        if resolved is None:
            return
        name = resolved
        # Options and destinations are judged by their static start when the rest is computed.
        starts = [self.prefix(n) if n is not None else (a or "") for a, n in zip(args, arg_nodes, strict=True)]
        known = [a if a is not None else _known_dir(p) for a, p in zip(args, starts, strict=True)]
        blocked = self.rules.function_blocked(name)
        if blocked is not None and blocked not in _PYTHON_BUILTINS:
            self._report(node, "blocked_function", f"runs {name} (blocked function {blocked!r})")
        handler = getattr(self, "_cmd_" + name.replace("-", "_").replace(".", "dot_"), None)
        if name.startswith("mkfs") or name in ("mke2fs", "wipefs", "mkswap"):
            self._report(node, "dangerous_pattern", f"{name} formats a device")
        elif name == "journalctl":
            self._journalctl(node, starts)
        elif name == "find":
            self._find(node, known, depth)
        elif handler is not None:
            handler(node, args)
        if name in _FETCHERS:
            self._report(node, "network_access", f"{name} reaches the network", "warning")
        self._writes(node, name, known)
        if name in _INTERPRETERS or name == "eval":
            self._code_from_strings(node, name, args, arg_nodes, depth)

    def _find(self, node: Any, args: list[str | None], depth: int) -> None:
        """find ROOT … -exec CMD {} ;: CMD is a command of its own, run on what lies in ROOT."""
        i = 0
        roots: list[str | None] = []
        while i < len(args) and not (args[i] or "-").startswith(("-", "(", "!")):
            roots.append(args[i])
            i += 1
        root = roots[0] if len(roots) == 1 else None
        inside = root.rstrip("/") + "/_" if root else None
        while i < len(args):
            if args[i] in ("-exec", "-execdir", "-ok", "-okdir"):
                j = i + 1
                while j < len(args) and args[j] not in (";", "+"):
                    j += 1
                command = args[i + 1 : j]
                if command and command[0] is not None:
                    rest = [inside if a == "{}" else a for a in command[1:]]
                    self._judge(node, command[0], rest, [None] * len(rest), depth)
                i = j + 1
            elif args[i] == "-delete" and root is not None and _is_precious(root):
                self._report(node, "dangerous_pattern", f"find {root} -delete deletes a whole system or home tree")
                i += 1
            elif args[i] == "-delete" and inside is not None:
                self._destination(node, inside, "rm")
                i += 1
            else:
                i += 1

    def _unwrap(
        self, node: Any, name: str, args: list[str | None], nodes: list[Any]
    ) -> tuple[str | None, list[str | None], list[Any]]:
        """Follow sudo, env, nohup, timeout …: the command they run, and report privilege."""
        for _ in range(8):
            if name in _PRIVILEGE:
                self._report(node, "system_call", f"{name} runs a command with another user's privileges")
                if name == "su":
                    # su [-] [user] [-c CMD]: the command, when given, is code in a string.
                    if "-c" in args:
                        i = args.index("-c")
                        return "sh", ["-c", *args[i + 1 : i + 2]], nodes[i : i + 2]
                    return None, [], []
            elif name not in _WRAPPERS:
                return name, args, nodes
            i = 0
            while i < len(args):
                a = args[i]
                if a is None:
                    return None, [], []
                if a.startswith("-"):
                    # sudo -u root, timeout -s KILL, nice -n 5: options with a value.
                    # xargs -I {} -P 4 -L 1 -d '\n' likewise.
                    takes_value = ("-u", "-g", "-n", "-s", "-C", "-D", "-p", "-U", "-o", "-e", "-I", "-P", "-L", "-d")
                    if a in takes_value:
                        i += 2
                    else:
                        i += 1
                    continue
                if "=" in a and name in ("env", "sudo", "doas"):
                    i += 1
                    continue
                if name == "timeout" and re.fullmatch(r"\d+(\.\d+)?[smhd]?", a):
                    i += 1
                    continue
                break
            if i >= len(args) or args[i] is None:
                return None, [], []
            name = str(args[i]).rsplit("/", 1)[-1]
            args, nodes = args[i + 1 :], nodes[i + 1 :]
        return name, args, nodes

    def _cmd_rm(self, node: Any, args: list[str | None]) -> None:
        recursive = force = False
        targets: list[str | None] = []
        options = True
        for a in args:
            if options and a == "--":
                options = False
            elif options and a is not None and a.startswith("--"):
                recursive |= a == "--recursive"
                force |= a == "--force"
                if a == "--no-preserve-root":
                    self._report(node, "dangerous_pattern", "rm --no-preserve-root")
            elif options and a is not None and a.startswith("-") and len(a) > 1:
                recursive |= "r" in a or "R" in a
                force |= "f" in a
            else:
                targets.append(a)
        for target in targets:
            if target is None:
                continue
            if recursive and _is_precious(target):
                flags = "-rf" if force else "-r"
                self._report(node, "dangerous_pattern", f"rm {flags} {target} deletes a whole system or home tree")
                return
            if _is_history_file(target) or _is_log(target):
                self._report(node, "dangerous_pattern", f"rm {target} wipes shell history or logs")
                return

    def _cmd_chmod(self, node: Any, args: list[str | None]) -> None:
        options = ("-R", "-f", "-v", "-c", "--recursive", "--silent", "--quiet", "--verbose", "--changes")
        operands = [a for a in args if a not in options and not (a or "").startswith("--reference")]
        if operands and operands[0] is not None and _world_writable(operands[0]):
            self._report(node, "dangerous_pattern", f"chmod {operands[0]} makes files writable by every user")

    def _cmd_dd(self, node: Any, args: list[str | None]) -> None:
        for a in args:
            if a is not None and a.startswith("of=") and _BLOCK_DEVICE.match(a[3:]):
                self._report(node, "dangerous_pattern", f"dd {a} overwrites a disk")

    def _cmd_kill(self, node: Any, args: list[str | None]) -> None:
        # -1 after the signal (kill -9 -1, kill -s KILL -1, kill -- -1) is every process the
        # user may signal; first, it is the signal itself (kill -1 PID sends SIGHUP).
        if "-1" in args[1:]:
            self._report(node, "system_call", "kill -1 signals every process of the user")

    def _cmd_killall5(self, node: Any, args: list[str | None]) -> None:
        self._report(node, "system_call", "killall5 signals every process")

    def _power(self, node: Any, what: str) -> None:
        self._report(node, "system_call", f"{what} stops or restarts the machine")

    def _cmd_shutdown(self, node: Any, args: list[str | None]) -> None:
        self._power(node, "shutdown")

    def _cmd_reboot(self, node: Any, args: list[str | None]) -> None:
        self._power(node, "reboot")

    def _cmd_halt(self, node: Any, args: list[str | None]) -> None:
        self._power(node, "halt")

    def _cmd_poweroff(self, node: Any, args: list[str | None]) -> None:
        self._power(node, "poweroff")

    def _cmd_init(self, node: Any, args: list[str | None]) -> None:
        if args[:1] in (["0"], ["6"]):
            self._power(node, f"init {args[0]}")

    _cmd_telinit = _cmd_init

    def _cmd_systemctl(self, node: Any, args: list[str | None]) -> None:
        if any(a in ("poweroff", "reboot", "halt", "kexec", "soft-reboot") for a in args):
            self._power(node, "systemctl")

    def _cmd_history(self, node: Any, args: list[str | None]) -> None:
        if any(a is not None and a.startswith("-") and "c" in a for a in args):
            self._report(node, "dangerous_pattern", "history -c wipes the shell history")

    def _cmd_set(self, node: Any, args: list[str | None]) -> None:
        if "+o" in args and "history" in args:
            self._report(node, "dangerous_pattern", "set +o history stops recording the shell history")

    def _journalctl(self, node: Any, starts: list[str]) -> None:
        if any(a.startswith("--vacuum") for a in starts):
            self._report(node, "dangerous_pattern", "journalctl --vacuum deletes the system logs")

    def _cmd_crontab(self, node: Any, args: list[str | None]) -> None:
        if not any(a == "-l" for a in args):
            self._report(node, "file_access", "crontab installs or removes scheduled commands")

    # -- writes ----------------------------------------------------------------------------

    def _writes(self, node: Any, name: str, args: list[str | None]) -> None:
        operands = [a for a in args if a is None or not a.startswith("-")]
        if name in ("tee", "touch", "truncate", "shred", "rmdir", "unlink", "mkdir", "chown", "chgrp", "rm"):
            targets = operands[1:] if name in ("chown", "chgrp") else operands
        elif name in ("cp", "mv", "install", "ln", "rsync", "scp"):
            targets = operands[-1:] if len(operands) > 1 else []
        elif name == "sed" and any(a is not None and a.startswith("-i") for a in args):
            targets = operands[1:]
        elif name == "chmod":
            targets = operands[1:]
        else:
            return
        for target in targets:
            if target is not None:
                self._destination(node, target, name)

    def _redirect(self, node: Any) -> None:
        operator = next((ts.text(c) for c in node.children if ts.text(c) in _WRITE_REDIRECTS), None)
        destination = node.child_by_field_name("destination")
        if operator is None or destination is None:
            return
        target = self.word(destination)
        if target is None:
            target = _known_dir(self.prefix(destination))
        if target is not None:
            self._destination(node, target, operator)

    def _destination(self, node: Any, target: str, how: str) -> None:
        """A write (or deletion) of ``target`` by ``how``: reported when it is a device, a
        file that runs at login or at a time, history or logs, or outside allowed_paths."""
        if target.startswith(_HARMLESS_DEVICES):
            return
        if _BLOCK_DEVICE.match(target):
            self._report(node, "dangerous_pattern", f"{how} {target} overwrites a disk")
        elif _is_history_file(target) or _is_log(target):
            self._report(node, "dangerous_pattern", f"{how} {target} wipes shell history or logs")
        elif _is_rc_file(target) or _under_home(target, ".ssh"):
            self._report(node, "file_access", f"{how} {target} changes what runs at login or who may log in")
        elif target.startswith(("/etc/cron", "/var/spool/cron")) or target.startswith("/etc"):
            self._report(node, "file_access", f"{how} {target} writes the system configuration")
        elif how == "rm" and _is_precious(target):
            return  # reported by the rm rule, with its flags
        elif not self.rules.path_allowed(_home_tilde(target)):
            verb = "deletes" if how in ("rm", "rmdir", "unlink", "shred") else "writes"
            self._report(node, "file_access", f"{how} {target} {verb} outside the allowed paths")

    # -- code that runs code ---------------------------------------------------------------

    def _pipeline(self, node: Any) -> None:
        names: list[str | None] = []
        for child in node.named_children:
            command = child if child.type == "command" else child.child_by_field_name("body")
            if command is None or command.type != "command":
                names.append(None)
                continue
            name, arg_nodes = self._argv(command)
            if name is None:
                names.append(None)
                continue
            args = [self.word(a) for a in arg_nodes]
            saved = len(self.found)
            unwrapped, _, _ = self._unwrap(command, name.rsplit("/", 1)[-1], args, arg_nodes)
            del self.found[saved:]  # privilege is reported where the command itself is visited
            names.append(unwrapped)
        for i, name in enumerate(names):
            if name in _FETCHERS and any(n in _INTERPRETERS for n in names[i + 1 :]):
                runner = next(n for n in names[i + 1 :] if n in _INTERPRETERS)
                self._report(node, "dangerous_pattern", f"{name} … | {runner} runs code downloaded from the network")
                return

    def _code_from_strings(self, node: Any, name: str, args: list[str | None], nodes: list[Any], depth: int) -> None:
        # bash <(curl …), source <(curl …), eval "$(curl …)", sh -c "$(wget -qO- …)"
        for arg in nodes:
            if arg is None:
                continue
            for inner in ts.walk(arg):
                if inner.type in ("process_substitution", "command_substitution") and self._fetches(inner):
                    self._report(node, "dangerous_pattern", f"{name} runs code downloaded from the network")
                    return
        code: str | None = None
        if name == "eval":
            code = " ".join(a for a in args if a is not None) if all(a is not None for a in args) else None
        elif name in _SHELLS and "-c" in args:
            i = args.index("-c")
            code = args[i + 1] if i + 1 < len(args) else None
        elif name.startswith("python") and "-c" in args:
            return  # Python source, not shell: left to the Python checks
        if code and depth < _MAX_DEPTH:
            line = self._line if self._line is not None else node.start_point[0] + 1
            tree = ts.parser("bash").parse(code.encode())
            saved = self._line
            self.visit(tree.root_node, depth=depth + 1, line_offset=line)
            self._line = saved

    def _fetches(self, node: Any) -> bool:
        for inner in ts.walk(node):
            if inner.type == "command":
                name, _ = self._argv(inner)
                if name is not None and name.rsplit("/", 1)[-1] in _FETCHERS:
                    return True
        return False

    # -- the rest ----------------------------------------------------------------------------

    def _function(self, node: Any) -> None:
        # A function that pipes into itself (or backgrounds itself twice) multiplies without
        # bound: a fork bomb, whatever it is called.
        name_node = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        if name_node is None or body is None:
            return
        name = ts.text(name_node)
        for inner in ts.walk(body):
            if inner.type != "pipeline":
                continue
            calls = [c for c in inner.named_children if c.type == "command" and self._argv(c)[0] == name]
            if calls:
                self._report(node, "dangerous_pattern", f"function {name} pipes into itself: a fork bomb")
                return
        text = ts.text(body)
        if len(re.findall(rf"(?<![\w-]){re.escape(name)}(?![\w-])\s*&", text)) >= 1 and text.count(name) >= 2:
            self._report(node, "dangerous_pattern", f"function {name} starts itself in the background: a fork bomb")

    def _history_variables(self, node: Any) -> None:
        text = ts.text(node)
        if node.type == "unset_command":
            if re.search(r"\bHISTFILE\b", text):
                self._report(node, "dangerous_pattern", "unset HISTFILE stops recording the shell history")
            return
        if node.type == "variable_assignment" and node.parent is not None and node.parent.type == "declaration_command":
            return  # reported with the declaration
        match = re.search(r"\b(HISTFILE|HISTSIZE|HISTFILESIZE)=(\S*)", text)
        if match and (match.group(2).strip("'\"") in ("", "0", "/dev/null")):
            what = f"{match.group(1)}={match.group(2)}"
            self._report(node, "dangerous_pattern", f"{what} stops recording the shell history")


class _At:
    """Where to report a command that has no node of its own (see _segments)."""

    def __init__(self, row: int) -> None:
        self.start_point = (row, 0)


def _known_dir(prefix: str) -> str | None:
    """For a path whose end is computed (``/etc/app/${NAME}.conf``): a stand-in inside the
    directory its static start names (``/etc/app/_``), or None when not even that is known.
    Enough to judge where a write lands; never a target for rm's whole-tree rule."""
    if "/" not in prefix or not prefix.startswith(("/", "~/", "$HOME/")):
        return None
    return prefix[: prefix.rindex("/") + 1] + "_"


def _home_tilde(path: str) -> str:
    return "~" + path[len("$HOME") :] if path.startswith("$HOME") else path


def _strip_home(path: str) -> str | None:
    """The part of ``path`` under the user's home (``~/x``, ``$HOME/x``, ``/root/x``,
    ``/home/u/x``), or None."""
    for prefix in ("~/", "$HOME/", "/root/"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    match = re.match(r"^/home/[^/]+/(.*)$", path)
    return match.group(1) if match else None


def _under_home(path: str, what: str) -> bool:
    rest = _strip_home(path)
    return rest is not None and (rest == what or rest.startswith(what + "/"))


def _is_rc_file(path: str) -> bool:
    rest = _strip_home(path)
    return (rest is not None and rest.lstrip("./") in _RC_FILES) or path in ("/etc/profile", "/etc/bash.bashrc")


def _is_history_file(path: str) -> bool:
    rest = _strip_home(path)
    return rest is not None and rest in _HISTORY_FILES


def _is_log(path: str) -> bool:
    return path == "/var/log" or path.startswith("/var/log/")


def _is_precious(target: str) -> bool:
    """A target whose recursive deletion destroys the system or the home directory."""
    t = target[:-2] or "/" if target.endswith("/*") else target
    t = t.rstrip("/") or "/"
    if t in ("/", "/.", "/..", *_HOME, "~/.", "$HOME/.", "/home", "/root") or t in _SYSTEM_DIRS:
        return True
    return re.fullmatch(r"/home/[^/]+", t) is not None


def _world_writable(mode: str) -> bool:
    if re.fullmatch(r"[0-7]{3,4}", mode):
        return int(mode[-1]) & 2 != 0
    for clause in mode.split(","):
        match = re.fullmatch(r"([ugoa]*)([+=])([rwxXst]*)", clause)
        if match and ("o" in match.group(1) or "a" in match.group(1)) and "w" in match.group(3):
            return True
    return False
