"""The `sandbox` command."""

from __future__ import annotations

import argparse
import json
import sys
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sandbox", description="Run the commands an AI agent writes without trusting them."
    )
    parser.add_argument("--version", action="version", version=f"sandbox {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    doctor = sub.add_parser("doctor", help="show what this host can enforce, and how to fix what it cannot")
    doctor.add_argument("--json", action="store_true", help="print a JSON document instead of a table")
    doctor.set_defaults(func=_cmd_doctor)
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
