"""Sandbox and wrap_command: a policy, a backend, and a command run under both.

The runner composes the concerns: it converts the configuration, picks the backend, compiles
the policy for the launcher once per Sandbox, and runs each command through the launcher,
which applies Landlock, seccomp and the limits in the child before exec.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.confine import launcher
from sandbox.confine import seccomp as sc
from sandbox.errors import (
    CommandNotFoundError,
    ConfinementError,
    LandlockError,
    PolicyError,
    Reason,
    SeccompError,
    UnsupportedError,
)
from sandbox.policy import Config, Mode, SandboxConfig

__all__ = ["Result", "Sandbox", "wrap_command"]

#: Popen arguments popen() refuses: each would undo part of the confinement.
_FORBIDDEN_POPEN = frozenset(
    {"executable", "preexec_fn", "shell", "env", "pass_fds", "close_fds", "start_new_session",
     "process_group", "user", "group", "extra_groups", "umask", "restore_signals"}
)


@dataclass(frozen=True, slots=True)
class Result:
    """What a confined command did. A non-zero exit is a result, not an exception."""

    returncode: int
    stdout: str | bytes
    stderr: str | bytes
    duration: float
    timed_out: bool
    backend: str
    enforced: tuple[str, ...]
    """The layers that were in force (``landlock-fs``, ``seccomp``, ``network-off``, ...)."""
    denials: tuple[str, ...] = ()
    """What the sandbox saw refused, where the kernel reports it (it may be empty)."""


def _argv(command: str | Sequence[str]) -> list[str]:
    if isinstance(command, str):
        if not command.strip():
            raise PolicyError("command is empty")
        return ["/bin/sh", "-c", command]
    argv = list(command)
    if not argv or not all(isinstance(a, str) for a in argv):
        raise PolicyError("command must be a string or a non-empty list of strings")
    if any("\0" in a for a in argv):
        raise PolicyError("command contains a NUL byte")
    return argv


def _compile(cfg: SandboxConfig, tmpdir: str, *, parent_pid: int | None, best_effort: bool) -> launcher.CompiledPolicy:
    """``cfg`` compiled for this host: its Landlock ABI, home, environment and seccomp filter."""
    from sandbox import _native

    return launcher.compile_policy(
        cfg,
        abi=max(int(_native.load("_landlock").query_abi()), 0),
        tmpdir=tmpdir,
        home=os.path.expanduser("~"),
        environ=os.environ,
        seccomp_program=sc.sandbox_profile(allow_network=cfg.network_enabled),
        parent_pid=parent_pid,
        best_effort=best_effort,
    )


def _check_backend(cfg: SandboxConfig) -> str:
    """The backend this release runs for ``cfg``, or an UnsupportedError."""
    if cfg.mode is Mode.OFF:
        return "none"
    if cfg.backend not in ("auto", "landlock"):
        raise UnsupportedError(
            Reason.BACKEND_UNAVAILABLE, f"backend {cfg.backend!r} cannot run commands in this release"
        )
    from sandbox import _native

    raw = int(_native.load("_landlock").query_abi())
    if raw < 1:
        raise UnsupportedError(Reason.LANDLOCK_DISABLED if raw == -95 else Reason.LANDLOCK_MISSING)
    if int(_native.load("_seccomp").query_available()) != 0:
        raise UnsupportedError(Reason.SECCOMP_MISSING)
    return "landlock"


_STAGE_ERRORS: dict[str, type[ConfinementError]] = {
    "landlock": LandlockError,
    "landlock-path": LandlockError,
    "landlock-port": LandlockError,
    "seccomp": SeccompError,
}


def _raise_launch_failure(record: bytes, program: str) -> None:
    """Turn the launcher's "STAGE ERRNO [WHAT]" record into the exception it stands for."""
    stage, _, rest = record.decode(errors="replace").rstrip("\n").partition(" ")
    number, _, what = rest.partition(" ")
    err = int(number) if number.isdigit() else 0
    if stage == "exec":
        if err == errno.ENOENT:
            raise CommandNotFoundError(err, f"{program}: command not found", program)
        raise ConfinementError(
            err,
            f"cannot execute {program}: {os.strerror(err)} (Hint: a program outside the readable paths "
            "cannot run; add its directory with read_only_paths)",
        )
    cls = _STAGE_ERRORS.get(stage, ConfinementError)
    where = f" on {what!r}" if what else ""
    raise cls(err, f"the launcher could not apply the policy at {stage!r}{where}: {os.strerror(err)}")


class Sandbox:
    """Runs commands under one policy. A context manager; close() removes its temp dir.

    ``config`` is a :class:`SandboxConfig`, a :class:`Config` (converted by
    :meth:`SandboxConfig.from_config`, for the current directory), or None for
    ``SandboxConfig()``: the current directory in workspace mode.
    """

    def __init__(self, config: SandboxConfig | Config | None = None, *, best_effort: bool = False) -> None:
        """Check the host and compile the policy; nothing runs yet.

        ``best_effort`` lets a kernel whose Landlock ABI lacks some rights run without them
        (they are listed in ``Result.enforced``'s absence and in :attr:`dropped`).

        Raises:
            PolicyError: the policy is invalid (a path that does not exist, for instance).
            UnsupportedError: the host cannot enforce it (no Landlock, no seccomp, an old ABI).
        """
        if config is None:
            config = SandboxConfig()
        elif isinstance(config, Config):
            config = SandboxConfig.from_config(config)
        elif not isinstance(config, SandboxConfig):
            raise PolicyError(f"config: expected SandboxConfig or Config, got {type(config).__name__}")
        self.config = config
        self.backend = _check_backend(config)
        self._tmpdir: str | None = None
        self._compiled: launcher.CompiledPolicy | None = None
        if self.backend == "none":
            return
        self._launcher = launcher.launcher_path()
        self._tmpdir = tempfile.mkdtemp(prefix="sandbox-tmp-")
        try:
            self._compiled = _compile(config, self._tmpdir, parent_pid=os.getpid(), best_effort=best_effort)
        except BaseException:
            self.close()
            raise

    @property
    def dropped(self) -> tuple[str, ...]:
        """Rights the kernel's Landlock ABI could not enforce (only with best_effort)."""
        return self._compiled.landlock.dropped if self._compiled else ()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the private temp dir. Safe to call twice."""
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def _launch_argv(self, argv: list[str], cwd: str | os.PathLike[str] | None, error_fd: int) -> list[str]:
        assert self._compiled is not None
        opts = list(self._compiled.options)
        if cwd is not None:
            path = os.fspath(cwd)
            if not os.path.isdir(path):
                raise PolicyError(f"cwd: {path!r} is not an existing directory")
            opts[opts.index("--chdir") + 1] = os.path.abspath(path)
        return [self._launcher, *opts, "--error-fd", str(error_fd), "--", *argv]

    def _start(self, argv: list[str], cwd: str | os.PathLike[str] | None, **popen: Any) -> subprocess.Popen[Any]:
        if self._compiled is None:
            if self._tmpdir is None and self.backend != "none":
                raise PolicyError("this Sandbox is closed")
            return subprocess.Popen(argv, cwd=cwd if cwd is not None else self.config.workspace_dir, **popen)
        if self._tmpdir is None:
            raise PolicyError("this Sandbox is closed")
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        try:
            proc = subprocess.Popen(
                self._launch_argv(argv, cwd, write_end), env=self._compiled.env, pass_fds=(write_end,), **popen
            )
        finally:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            # EOF comes when the launcher execs the command (the fd is close-on-exec there),
            # or after it reported the stage that failed.
            record = pipe.read()
        if record:
            proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            _raise_launch_failure(record, argv[0])
        return proc

    def run(
        self,
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        input: str | bytes | None = None,
        cwd: str | os.PathLike[str] | None = None,
        text: bool = True,
    ) -> Result:
        """Run ``command`` (a shell string, or an argv list) confined, and wait for it.

        The command's stdin is ``input`` or /dev/null, never this process's terminal. When it
        exits, or ``timeout`` (default: ``limits.wall_time``) passes, its whole process
        group is killed: the sandbox forbids leaving the group, so background processes
        die with it.

        Raises:
            PolicyError: the command or ``cwd`` is invalid, or the Sandbox is closed.
            CommandNotFoundError: the program does not exist.
            ConfinementError: the launcher could not apply the policy (LandlockError,
                SeccompError), or the program cannot be executed under it.
        """
        argv = _argv(command)
        if timeout is None:
            timeout = self.config.limits.wall_time
        if isinstance(input, str):
            input = input.encode()
        start = time.monotonic()
        proc = self._start(
            argv, cwd,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        reaper = _GroupReaper(proc.pid, kill_group=self._compiled is not None)
        timed_out = False
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            reaper.kill()
            out, err = proc.communicate()
        finally:
            reaper.kill()
        duration = time.monotonic() - start
        returncode = proc.returncode
        return Result(
            returncode=returncode,
            stdout=out.decode(errors="replace") if text else out,
            stderr=err.decode(errors="replace") if text else err,
            duration=duration,
            timed_out=timed_out,
            backend=self.backend,
            enforced=self._compiled.enforced if self._compiled else (),
        )

    def popen(self, command: str | Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[Any]:
        """Start ``command`` confined and return it un-waited, for streaming.

        Accepts the Popen arguments that do not touch confinement (``stdin``, ``stdout``,
        ``stderr``, ``text``, ``encoding``, ``errors``, ``bufsize``, ``cwd``). The command
        leads its own process group: ``os.killpg(proc.pid, signal.SIGKILL)`` ends all of it.
        It dies if the thread that started it exits first.

        Raises:
            PolicyError: an argument would weaken the sandbox, or the command is invalid.
            CommandNotFoundError, ConfinementError: as for :meth:`run`.
        """
        forbidden = sorted(_FORBIDDEN_POPEN & set(popen_kwargs))
        if forbidden:
            raise PolicyError(f"popen: {', '.join(forbidden)} would weaken the sandbox")
        cwd = popen_kwargs.pop("cwd", None)
        popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
        return self._start(_argv(command), cwd, **popen_kwargs)


class _GroupReaper:
    """Kills the command's process group once its leader exits, and on demand.

    The leader is waited for with WNOWAIT, so it stays a zombie (its pid, and so the
    group id, cannot be reused) until the group has been killed.
    """

    def __init__(self, pid: int, *, kill_group: bool) -> None:
        self.pid = pid
        self.kill_group = kill_group
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        try:
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            return
        self.kill()

    def kill(self) -> None:
        with self._lock:
            try:
                if self.kill_group:
                    os.killpg(self.pid, signal.SIGKILL)
                else:
                    os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def wrap_command(command: str | Sequence[str], cfg: SandboxConfig) -> tuple[str, list[str]]:
    """An executable and its arguments that run ``command`` under ``cfg`` when executed.

    Any language can ``execve`` the result and get the confinement :class:`Sandbox` applies:
    the launcher sets the environment (the allowlist of ``cfg.env``), Landlock, seccomp and
    the limits itself. Its private temp dir is created now and is the caller's to remove
    (it is the command's TMPDIR). Mode ``off`` returns the command unconfined, as asked.

    Raises:
        PolicyError, UnsupportedError: as for :class:`Sandbox`.
    """
    argv = _argv(command)
    backend = _check_backend(cfg)
    if backend == "none":
        program = shutil.which(argv[0]) or argv[0]
        return program, argv[1:]
    tmpdir = tempfile.mkdtemp(prefix="sandbox-tmp-")
    try:
        compiled = _compile(cfg, tmpdir, parent_pid=None, best_effort=False)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    opts = list(compiled.options)
    env_opts = ["--clear-env"]
    for name, value in sorted(compiled.env.items()):
        env_opts += ["--setenv", f"{name}={value}"]
    return launcher.launcher_path(), [*opts, *env_opts, "--", *argv]
