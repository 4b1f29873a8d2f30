"""The `sandbox` command."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

from sandbox._version import __version__
from sandbox.errors import SandboxError, UnsupportedError
from sandbox.host import HostSupport, decide, probe
from sandbox.policy import IsolationLevel


def _doctor_json(host: HostSupport) -> dict[str, Any]:
    items = {
        cap.name: {
            "available": cap.available,
            "detail": cap.detail,
            "reason": cap.reason.value if cap.reason else None,
            "message": cap.reason.message if cap.reason else None,
            "hint": cap.reason.hint if cap.reason else None,
        }
        for cap in host.items()
    }
    levels: dict[str, Any] = {}
    for level in IsolationLevel:
        try:
            sel = decide(level, host)
            levels[level.value] = {"backend": sel.backend.value, "why": sel.reason}
        except UnsupportedError as exc:
            levels[level.value] = {"backend": None, "reason": exc.reason.value, "error": str(exc)}
    return {
        "version": __version__,
        "system": host.system,
        "machine": host.machine,
        "euid": host.euid,
        "landlock_abi": host.landlock_abi,
        "native_modules": list(host.native_modules),
        "capabilities": items,
        "levels": levels,
    }


def _doctor_text(host: HostSupport) -> str:
    lines = [f"sandbox {__version__} on {host.system} {host.machine}, euid {host.euid}", ""]
    width = max(len(cap.name) for cap in host.items())
    for cap in host.items():
        if cap.available:
            lines.append(f"  {cap.name:<{width}}  yes  {cap.detail}".rstrip())
        else:
            assert cap.reason is not None
            detail = f" ({cap.detail})" if cap.detail else ""
            lines.append(f"  {cap.name:<{width}}  no   {cap.reason.message}{detail}")
            lines.append(f"  {'':<{width}}       Hint: {cap.reason.hint}")
    lines.append("")
    lines.append("isolation levels:")
    for level in IsolationLevel:
        try:
            sel = decide(level, host)
            lines.append(f"  {level.value:<9}  {sel.backend.value}: {sel.reason}")
        except UnsupportedError as exc:
            lines.append(f"  {level.value:<9}  unavailable: {exc}")
    return "\n".join(lines) + "\n"


def _cmd_doctor(args: argparse.Namespace) -> int:
    host = probe()
    if args.json:
        sys.stdout.write(json.dumps(_doctor_json(host), indent=2) + "\n")
    else:
        sys.stdout.write(_doctor_text(host))
    return 0


_DENIED = re.compile(r"(Permission denied|Operation not permitted|Read-only file system)")
_DENIED_PATH = re.compile(
    r"(/[^\s:'\"`]+)['\"`]?: (?:cannot [^:]*: )?(?:Permission denied|Operation not permitted|Read-only file system)"
)


_MISSING_PATH = re.compile(
    r"(/[^\s:'\"`]+)['\"`]?: (?:cannot [^:]*: )?(?:No such file or directory|Directory nonexistent)"
)


def _beneath(path: str, dirs: tuple[str, ...]) -> bool:
    from sandbox.confine.landlock import inside

    return any(inside(path, d) for d in dirs)


def denial_hint(stderr_text: str, secrets: tuple[str, ...] = (), hidden: tuple[str, ...] = ()) -> str | None:
    """A one-line hint naming the flag that would allow what the command reports refused;
    none for a path beneath one of ``secrets`` (the denied locations), which no flag opens.
    A path the command found missing beneath a ``hidden`` directory (covered in its mount
    namespace) gets the same hint."""
    missing = _MISSING_PATH.search(stderr_text)
    if missing and _beneath(missing.group(1), hidden) and not _beneath(missing.group(1), secrets):
        path = missing.group(1)
        return (
            f"sandbox: {path} is not visible inside the sandbox (the home, /tmp and /run are covered). "
            f"Hint: --ro {path} shows it read-only, --rw {path} writable."
        )
    if not _DENIED.search(stderr_text):
        return None
    match = _DENIED_PATH.search(stderr_text)
    if match:
        path = match.group(1)
        if _beneath(path, secrets):
            return f"sandbox: {path} is a protected secret location; the sandbox never lets a command read it."
        return f"sandbox: {path} was refused. Hint: --ro {path} allows reading it, --rw {path} writing it."
    if "Operation not permitted" in stderr_text:
        return (
            "sandbox: an operation was refused (EPERM). Hint: network sockets need --allow-network; "
            "mount, ptrace, namespaces and similar calls are never allowed."
        )
    return "sandbox: access was refused (EACCES). Hint: --ro PATH or --rw PATH allows a path outside the workspace."


def _cmd_run(args: argparse.Namespace) -> int:
    from sandbox.policy import Mode, SandboxConfig
    from sandbox.runner import Sandbox, _GroupReaper

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        sys.stderr.write("sandbox run: no command given (usage: sandbox run [OPTIONS] -- COMMAND...)\n")
        return 2
    cfg = SandboxConfig(
        Mode(args.mode),
        os.path.abspath(args.workspace),
        args.allow_network,
        allowed_domains=tuple(args.allow_domain),
        read_only_paths=tuple(os.path.abspath(p) for p in args.ro),
        writable_paths=tuple(os.path.abspath(p) for p in args.rw),
    )
    if cfg.proxied:
        return _run_proxied(cfg, command, args.timeout)
    with Sandbox(cfg) as box:
        secrets, hidden = box.denied, box.hidden
        # A terminal on stdin would let the command read what the user types next.
        stdin = None if not sys.stdin.isatty() else subprocess.DEVNULL
        proc = box.popen(command, stdin=stdin, stderr=subprocess.PIPE)
        reaper = _GroupReaper(proc.pid, kill_group=True)
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            reaper.kill()

        timer = threading.Timer(args.timeout, expire) if args.timeout else None
        if timer:
            timer.start()
        tail: list[bytes] = []
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                sys.stderr.buffer.write(line)
                sys.stderr.buffer.flush()
                tail = [*tail[-49:], line]
            status = proc.wait()
        finally:
            if timer:
                timer.cancel()
            reaper.kill()
    if timed_out.is_set():
        sys.stderr.write(f"sandbox: killed after the {args.timeout:g} s timeout\n")
        return 124
    hint = denial_hint(b"".join(tail).decode(errors="replace"), secrets, hidden)
    if hint:
        sys.stderr.write(hint + "\n")
    return status if status >= 0 else 128 - status


def _run_proxied(cfg: Any, command: list[str], timeout: float | None) -> int:
    """``sandbox run --allow-domain``: through Sandbox.run, whose namespaces hold the bridge to
    the egress proxy (popen's own namespaces have none). Output is written when the command
    ends; each refused host is reported with the proxy's reason."""
    from sandbox.runner import Sandbox

    with Sandbox(cfg) as box:
        result = box.run(command, timeout=timeout, text=False)
        log = box.proxy.get_log() if box.proxy is not None else []
    sys.stdout.buffer.write(result.stdout)  # type: ignore[arg-type]
    sys.stdout.buffer.flush()
    sys.stderr.buffer.write(result.stderr)  # type: ignore[arg-type]
    for entry in log:
        if not entry.allowed:
            sys.stderr.write(f"sandbox: the proxy refused {entry.method} {entry.host}: {entry.reason}\n")
    if result.timed_out:
        sys.stderr.write(f"sandbox: killed after the {timeout:g} s timeout\n")
        return 124
    return result.returncode if result.returncode >= 0 else 128 - result.returncode


_EXTENSIONS = {".py": "python", ".pyw": "python", ".go": "go", ".sh": "bash", ".bash": "bash"}


def _language_of(path: str, text: str) -> str | None:
    """The language of a file, from its extension or its #! line."""
    language = _EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if language is None and text.startswith("#!"):
        interpreter = text.splitlines()[0]
        if "python" in interpreter:
            language = "python"
        elif re.search(r"\b(ba|z|da|k)?sh\b", interpreter):
            language = "bash"
    return language


def _cmd_verify(args: argparse.Namespace) -> int:
    from sandbox.inspectors.code_verifier import CodeVerifier, format_result

    verifier = CodeVerifier()
    for path in args.allow_path:
        verifier.allowed_paths.append(path)
    unsafe = False
    for path in args.files:
        if path == "-":
            text = sys.stdin.read()
        else:
            try:
                with open(path, encoding="utf-8", errors="surrogateescape") as f:
                    text = f.read()
            except OSError as exc:
                sys.stderr.write(f"sandbox verify: {path}: {exc.strerror}\n")
                return 2
        language = args.language or _language_of(path, text)
        if language is None:
            sys.stderr.write(f"sandbox verify: {path}: cannot tell the language (Hint: pass --language)\n")
            return 2
        result = verifier.verify(text, language)
        unsafe |= not result.safe
        if args.json:
            record = {
                "file": path, "language": result.language, "safe": result.safe, "warnings": list(result.warnings),
                "violations": [
                    {"type": v.type, "line": v.line, "code": v.code, "reason": v.reason, "severity": v.severity}
                    for v in result.violations
                ],
            }
            sys.stdout.write(json.dumps(record) + "\n")
        else:
            sys.stdout.write(f"{path}: {format_result(result)}\n")
    return 1 if unsafe else 0


def _state_dir(args: argparse.Namespace) -> str:
    if args.dir:
        return str(args.dir)
    if os.environ.get("SANDBOX_STATE_DIR"):
        return os.environ["SANDBOX_STATE_DIR"]
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "sandbox")


def _max_age(text: str) -> Any:
    from datetime import timedelta

    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not an age like 30m, 12h or 7d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def _cmd_state(args: argparse.Namespace) -> int:
    from sandbox.errors import PolicyError
    from sandbox.state.manager import SandboxManager

    manager = SandboxManager(_state_dir(args))
    action = args.action
    if action == "create":
        env = {}
        for item in args.env:
            name, sep, value = item.partition("=")
            if not sep:
                raise PolicyError(f"--env takes NAME=VALUE, not {item!r}")
            env[name] = value
        sys.stdout.write(manager.create(os.path.abspath(args.work_dir), env).id + "\n")
    elif action == "list":
        sys.stdout.write(manager.format_status() + "\n")
    elif action == "pause":
        process_state = None
        if args.process_state is not None:
            try:
                process_state = json.loads(args.process_state)
            except ValueError as exc:
                raise PolicyError(f"--process-state is not JSON: {exc}") from exc
        state = manager.pause(args.id, process_state=process_state)
        sys.stdout.write(f"{state.id} {state.status}\n")
    elif action == "resume":
        state = manager.resume(args.id)
        sys.stdout.write(f"{state.id} {state.status}\n")
    elif action == "diff":
        for line in manager.diff_sandbox(args.id, since=args.since, until=args.until):
            sys.stdout.write(line + "\n")
    elif action == "snapshot":
        data = manager.snapshot(args.id)
        if args.output in (None, "-"):
            sys.stdout.buffer.write(data)
        else:
            from sandbox.durable import write_atomic

            write_atomic(os.path.abspath(args.output), data, 0o600)
    elif action == "restore":
        try:
            with open(args.file, "rb") if args.file != "-" else sys.stdin.buffer as f:
                data = f.read()
        except OSError as exc:
            sys.stderr.write(f"sandbox state restore: {args.file}: {exc.strerror}\n")
            return 2
        work_dir = os.path.abspath(args.work_dir) if args.work_dir else None
        state = manager.restore(data, work_dir=work_dir)
        sys.stdout.write(f"{state.id} {state.status} {state.work_dir}\n")
    elif action == "cleanup":
        for removed in manager.cleanup(args.max_age):
            sys.stdout.write(f"removed {removed}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sandbox", description="Run the commands an AI agent writes without trusting them."
    )
    parser.add_argument("--version", action="version", version=f"sandbox {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    doctor = sub.add_parser("doctor", help="show what this host can enforce, and how to fix what it cannot")
    doctor.add_argument("--json", action="store_true", help="print a JSON document instead of a table")
    doctor.set_defaults(func=_cmd_doctor)
    run = sub.add_parser(
        "run", help="run a command confined", usage="sandbox run [OPTIONS] -- COMMAND [ARGS...]",
        description="Run COMMAND confined to the workspace (the current directory by default) with Landlock, "
        "seccomp and limits; exits with the command's status (124 after --timeout).",
    )
    run.add_argument("--mode", choices=["workspace", "strict"], default="workspace",
                     help="workspace: the workspace and a private temp dir writable; strict: nothing writable "
                     "but the temp dir, no network (default: workspace)")
    run.add_argument("--workspace", default=".", metavar="DIR", help="the workspace directory (default: .)")
    run.add_argument("--rw", action="append", default=[], metavar="PATH", help="also writable (repeatable)")
    run.add_argument("--ro", action="append", default=[], metavar="PATH", help="also readable (repeatable)")
    run.add_argument("--allow-network", action="store_true", help="give the command the network")
    run.add_argument("--allow-domain", action="append", default=[], metavar="HOST",
                     help="reach HOST (pypi.org, *.npmjs.org, host:port) through the egress proxy, and nothing "
                     "else: the command gets no direct network (repeatable)")
    run.add_argument("--timeout", type=float, metavar="S",
                     help="kill the command and everything it started after S seconds")
    run.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    run.set_defaults(func=_cmd_run)
    verify = sub.add_parser(
        "verify", help="check code for dangerous constructs before running it",
        description="Check Python, Go or Bash files with CodeVerifier; exits 0 when every file is safe, "
        "1 when one is not, 2 on an error.",
    )
    verify.add_argument("files", nargs="+", metavar="FILE", help="files to check (- for stdin)")
    verify.add_argument("--language", help="python, go or bash (default: from the extension or the #! line)")
    verify.add_argument("--allow-path", action="append", default=[], metavar="PATH",
                        help="also allow writes beneath PATH (repeatable; the project and /tmp always are)")
    verify.add_argument("--json", action="store_true", help="one JSON object per file")
    verify.set_defaults(func=_cmd_verify)
    state = sub.add_parser(
        "state", help="create, pause, resume, snapshot, restore and diff sandboxes",
        description="Saved sandbox states (SandboxManager) under --dir, $SANDBOX_STATE_DIR or "
        "$XDG_STATE_HOME/sandbox (~/.local/state/sandbox).",
    )
    state.add_argument("--dir", help="the state directory")
    actions = state.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a sandbox over an existing work directory; prints its id")
    create.add_argument("work_dir")
    create.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="repeatable")
    actions.add_parser("list", help="every sandbox, newest first")
    pause = actions.add_parser("pause", help="save the work directory")
    pause.add_argument("id")
    pause.add_argument("--process-state", metavar="JSON", help="a JSON object kept with the state (64 KiB at most)")
    actions.add_parser("resume", help="put the paused state back").add_argument("id")
    diff = actions.add_parser("diff", help="what changed: added/modified/deleted lines")
    diff.add_argument("id")
    states_help = "baseline, saved, current, or N for the Nth pause"
    diff.add_argument("--since", default="baseline", help=f"{states_help} (default: baseline)")
    diff.add_argument("--until", default="current", help=f"{states_help} (default: current)")
    snapshot = actions.add_parser("snapshot", help="portable bytes of a sandbox")
    snapshot.add_argument("id")
    snapshot.add_argument("-o", "--output", help="file to write (default: stdout)")
    restore = actions.add_parser("restore", help="a sandbox from snapshot bytes, paused")
    restore.add_argument("file", help="the snapshot (- for stdin)")
    restore.add_argument("--work-dir", help="restore into this (absent or empty) directory")
    cleanup = actions.add_parser("cleanup", help="remove old sandboxes and unused content")
    cleanup.add_argument("--max-age", type=_max_age, required=True, metavar="AGE", help="30m, 12h, 7d …")
    state.set_defaults(func=_cmd_state)
    from sandbox.cli_container import add_parser as add_container_parser

    add_container_parser(sub)
    from sandbox.cli_proxy import add_parser as add_proxy_parser

    add_proxy_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sandbox` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except SandboxError as exc:
        sys.stderr.write(f"sandbox: {exc}\n")
        return 2
    return status


if __name__ == "__main__":
    raise SystemExit(main())
