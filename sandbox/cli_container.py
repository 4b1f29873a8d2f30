"""`sandbox container run|exec|build|stop`: a project's long-lived container from the shell.

``run`` starts the project's container (labelled so later commands find it) and may run a
first command in it; ``exec`` runs commands in it; ``stop`` removes it; ``build`` builds
the project's image from its Dockerfile with a progress display, and ``run`` uses that
image when one was built.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from sandbox.errors import ContainerError, PolicyError

#: Marks the containers the CLI starts, so `exec` and `stop` never adopt a library user's.
CLI_LABELS = {"io.github.sandbox.cli": "1"}
TIMEOUT_STATUS = 124


def _command(args: argparse.Namespace) -> list[str]:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    return command


def _build_args(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise PolicyError(f"--build-arg takes NAME=VALUE, not {item!r}")
        out[name] = value
    return out


class _Progress:
    """Build output as it comes: each step on its own line, other output indented and,
    on a terminal, shown on one line that is rewritten."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.open = False

    def __call__(self, line: str) -> None:
        if line.startswith("Step ") or not self.tty:
            self.end()
            sys.stderr.write(("" if line.startswith("Step ") else "  ") + line + "\n")
        else:
            width = 100
            sys.stderr.write("\r\033[K  " + line[:width])
            self.open = True
        sys.stderr.flush()

    def end(self) -> None:
        if self.open:
            sys.stderr.write("\n")
            self.open = False


def _stream(box: Any, command: list[str], timeout: float | None) -> int:
    from sandbox.containers.execution import ExecExit

    argv: str | list[str] = command[0] if len(command) == 1 and " " in command[0] else command
    status = 0
    for event in box.stream(argv, timeout):
        if isinstance(event, ExecExit):
            status = TIMEOUT_STATUS if event.timed_out else event.exit_code
            if event.timed_out:
                sys.stderr.write(f"sandbox: timed out after {timeout:g} s; the command's processes were killed\n")
        else:
            out = sys.stdout.buffer if event.stream == "stdout" else sys.stderr.buffer
            out.write(event.data)
            out.flush()
    return status if status >= 0 else 1


def cmd_container(args: argparse.Namespace) -> int:
    from sandbox.containers.container import ContainerSandbox
    from sandbox.containers.devenv import DevEnvManager

    project = os.path.abspath(args.project)
    action = args.action
    if action == "build":
        progress = _Progress()
        try:
            tag = DevEnvManager(project, build_args=_build_args(args.build_arg), target=args.target).get_or_build(
                args.file, progress=progress
            )
        finally:
            progress.end()
        sys.stdout.write(tag + "\n")
        return 0
    if action == "stop":
        stopped = 0
        while (box := ContainerSandbox.attach(project, labels=CLI_LABELS)) is not None:
            box.close()
            stopped += 1
        sys.stderr.write(f"sandbox: {stopped} container(s) of {project} removed\n")
        return 0
    if action == "exec":
        command = _command(args)
        if not command:
            raise PolicyError("sandbox container exec: give the command after --")
        box = ContainerSandbox.attach(project, labels=CLI_LABELS)
        if box is None:
            raise ContainerError(
                f"no container runs for {project}: start one with `sandbox container run -C {project}`"
            )
        try:
            return _stream(box, command, args.timeout)
        finally:
            box.detach()
    # run
    existing = ContainerSandbox.attach(project, labels=CLI_LABELS)
    if existing is not None:
        existing.detach()
        raise ContainerError(
            f"a container already runs for {project} ({(existing.container_id or '')[:12]}): "
            "use `sandbox container exec`, or `sandbox container stop` first"
        )
    image = args.image
    if image is None:
        cached = DevEnvManager(project).cached()
        if cached is not None:
            if cached.stale:
                sys.stderr.write(f"sandbox: {cached.tag} is stale; `sandbox container build` refreshes it\n")
            image = cached.tag
    box = ContainerSandbox(project, image=image, isolation=args.isolation, user=args.user, labels=CLI_LABELS)
    box.start()
    sys.stderr.write(f"sandbox: container {(box.container_id or '')[:12]} runs {box.image} for {project}\n")
    try:
        command = _command(args)
        return _stream(box, command, args.timeout) if command else 0
    finally:
        box.detach()


def add_parser(sub: Any) -> None:
    container = sub.add_parser(
        "container",
        help="run commands in the project's hardened container",
        description="A hardened, long-lived Docker container per project: `run` starts it, `exec` runs "
        "commands in it, `stop` removes it; `build` builds the project's image from its Dockerfile.",
    )
    actions = container.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="build (or find cached) the project's image; prints its tag")
    build.add_argument("-C", "--project", default=".", metavar="DIR", help="the project directory (default: .)")
    build.add_argument("-f", "--file", default="Dockerfile", help="the Dockerfile (default: PROJECT/Dockerfile)")
    build.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE", help="repeatable")
    build.add_argument("--target", help="the stage to build")
    run = actions.add_parser(
        "run",
        help="start the project's container, and run COMMAND in it if given",
        usage="sandbox container run [-C DIR] [OPTIONS] [-- COMMAND [ARGS...]]",
    )
    run.add_argument("-C", "--project", default=".", metavar="DIR", help="the project directory (default: .)")
    run.add_argument("--image", help="the image (default: the project's built image, else sandbox-env:TAG)")
    run.add_argument(
        "--isolation",
        choices=["container", "maximum"],
        default="container",
        help="maximum runs the container under gVisor (default: container)",
    )
    run.add_argument("--user", help="UID:GID to run as (default: the project directory's owner)")
    run.add_argument("--timeout", type=float, metavar="S", help="kill COMMAND's processes after S seconds")
    run.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    exec_ = actions.add_parser(
        "exec",
        help="run COMMAND in the project's running container",
        usage="sandbox container exec [-C DIR] [--timeout S] -- COMMAND [ARGS...]",
    )
    exec_.add_argument("-C", "--project", default=".", metavar="DIR", help="the project directory (default: .)")
    exec_.add_argument("--timeout", type=float, metavar="S", help="kill COMMAND's processes after S seconds")
    exec_.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    stop = actions.add_parser("stop", help="remove the project's container")
    stop.add_argument("-C", "--project", default=".", metavar="DIR", help="the project directory (default: .)")
    container.set_defaults(func=cmd_container)
