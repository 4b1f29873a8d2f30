"""Sandbox and wrap_command: a policy, a backend, and a command run under both.

The runner composes the concerns: it converts the configuration, picks the backend, compiles
the policy for the launcher once per Sandbox, and runs each command through the launcher,
which applies Landlock, seccomp and the limits in the child before exec.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.confine import bwrap as bw
from sandbox.confine import cgroup, launcher, zygote
from sandbox.confine import landlock as ll
from sandbox.confine import seccomp as sc
from sandbox.errors import (
    CommandNotFoundError,
    ConfinementError,
    LandlockError,
    PolicyError,
    ProxyError,
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


def _make_statedir() -> str:
    """A private directory for one sandbox: ``tmp/`` (the command's TMPDIR, granted) and
    ``covered`` (an empty file no rule grants, mounted over secret files)."""
    statedir = tempfile.mkdtemp(prefix="sandbox-")
    os.mkdir(os.path.join(statedir, "tmp"), 0o700)
    cover = os.path.join(statedir, "covered")
    os.close(os.open(cover, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o000))
    return statedir


def _compile(
    cfg: SandboxConfig, statedir: str, *, backend: str, parent_pid: int | None, best_effort: bool
) -> launcher.CompiledPolicy:
    """``cfg`` compiled for ``backend`` on this host: its Landlock ABI, home, environment
    and seccomp filter."""
    from sandbox import _native

    # bwrap makes the namespaces itself. Otherwise the host is asked once per Sandbox (a
    # throwaway child): user namespaces decide the mount namespace and, without it,
    # whether AF_UNIX sockets must be refused outright.
    userns = backend == "landlock" and cfg.namespaces and int(_native.load("_spawn").userns_probe()) == 0
    return launcher.compile_policy(
        cfg,
        abi=max(int(_native.load("_landlock").query_abi()), 0),
        tmpdir=os.path.join(statedir, "tmp"),
        cover=os.path.join(statedir, "covered"),
        home=os.path.expanduser("~"),
        environ=os.environ,
        seccomp_program=sc.sandbox_profile(
            allow_network=cfg.network_enabled, unix_sockets=userns or backend == "bwrap", proxied=cfg.proxied and userns
        ),
        parent_pid=parent_pid if backend == "landlock" else None,
        userns=userns,
        best_effort=best_effort,
    )


def _check_backend(cfg: SandboxConfig) -> str:
    """The backend this release runs for ``cfg`` here: ``landlock`` (the default where the
    kernel has Landlock), ``bwrap``, or ``none`` for mode off.

    Raises:
        UnsupportedError: the requested backend cannot run here, or (``auto``) none can.
    """
    if cfg.mode is Mode.OFF:
        return "none"
    if cfg.backend not in ("auto", "landlock", "bwrap"):
        raise UnsupportedError(
            Reason.BACKEND_UNAVAILABLE, f"backend {cfg.backend!r} cannot run commands through Sandbox"
        )
    from sandbox import _native

    if int(_native.load("_seccomp").query_available()) != 0:
        raise UnsupportedError(Reason.SECCOMP_MISSING)
    raw = int(_native.load("_landlock").query_abi())
    landlock_reason = None if raw >= 1 else Reason.LANDLOCK_DISABLED if raw == -95 else Reason.LANDLOCK_MISSING
    if cfg.backend == "landlock" or (cfg.backend == "auto" and landlock_reason is None):
        if landlock_reason is not None:
            raise UnsupportedError(landlock_reason)
        return "landlock"
    from sandbox.host import _probe_bwrap

    bwrap = _probe_bwrap()
    if not bwrap.available:
        assert bwrap.reason is not None
        raise UnsupportedError(bwrap.reason, bwrap.detail or None)
    if landlock_reason is not None:
        # bubblewrap alone is a mount view; Landlock is the second layer inside it.
        raise UnsupportedError(landlock_reason, "the bwrap backend layers Landlock inside bubblewrap")
    return "bwrap"


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
    """Runs commands under one policy. A context manager; close() releases its kernel
    objects (Landlock ruleset, namespaces) and removes its private temp dir.

    ``config`` is a :class:`SandboxConfig`, a :class:`Config` (converted by
    :meth:`SandboxConfig.from_config`, for the current directory), or None for
    ``SandboxConfig()``: the current directory in workspace mode.
    """

    def __init__(self, config: SandboxConfig | Config | None = None, *, best_effort: bool = False) -> None:
        """Check the host, compile the policy and build its kernel objects; nothing runs yet.

        The Landlock ruleset and the namespaces (where user namespaces are allowed) are made
        once here, so each run only joins them.

        ``best_effort`` lets a kernel whose Landlock ABI lacks some rights run without them
        (listed in :attr:`dropped`).

        Raises:
            PolicyError: the policy is invalid (a path that does not exist, for instance).
            UnsupportedError: the host cannot enforce it (no Landlock, no seccomp, an old ABI).
            ConfinementError: the kernel refused the ruleset or the namespaces.
        """
        if config is None:
            config = SandboxConfig()
        elif isinstance(config, Config):
            config = SandboxConfig.from_config(config)
        elif not isinstance(config, SandboxConfig):
            raise PolicyError(f"config: expected SandboxConfig or Config, got {type(config).__name__}")
        self.config = config
        self.backend = _check_backend(config)
        mb = config.limits.output_mb
        self._output_cap = None if mb is None else mb << 20
        self._closed = False
        self._statedir: str | None = None
        self._compiled: launcher.CompiledPolicy | None = None
        self._ruleset_fd = -1
        self._ns_fds: list[int] = []
        self._holder: subprocess.Popen[bytes] | None = None
        self._pid_ns_fd = -1
        self._cgroups: cgroup.Cgroups | None = None
        self._cgroup_fds: list[int] = []
        self._zygote: zygote.Zygote | None = None
        self._zygote_lock = threading.Lock()
        #: The egress proxy a Sandbox with ``allowed_domains`` runs for its commands (its log
        #: and statistics say what they reached); None otherwise.
        self.proxy: Any = None
        self._bridge: socket.socket | None = None
        if self.backend == "none":
            if config.proxied:
                raise PolicyError("allowed_domains: mode off runs commands unconfined, with no proxy between")
            return
        if config.proxied and self.backend != "landlock":
            raise UnsupportedError(
                Reason.BACKEND_UNAVAILABLE, "allowed_domains needs the landlock backend's network namespace"
            )
        self._launcher = launcher.launcher_path()
        self._statedir = _make_statedir()
        try:
            self._compiled = _compile(
                config, self._statedir, backend=self.backend, parent_pid=os.getpid(), best_effort=best_effort
            )
            self._ruleset_fd = ll.apply_plan(self._compiled.landlock)
            if self._compiled.namespaces is not None:
                bridge_fd = self._start_proxy() if self._compiled.namespaces.bridge_port is not None else None
                try:
                    self._holder, self._ns_fds = _hold_namespaces(
                        self._launcher, self._compiled.namespaces, bridge_fd=bridge_fd
                    )
                finally:
                    if bridge_fd is not None:
                        os.close(bridge_fd)  # the holder has its copy, or there is no holder
                self._pid_ns_fd = self._ns_fds.pop()
            self._rlimits = [(launcher.RLIMIT_NUMBERS[name], value) for name, value in self._compiled.rlimits]
            self._cgroups = _cgroups(config)
            if self._cgroups is not None:
                self._cgroup_fds = [os.open(p, os.O_WRONLY | os.O_CLOEXEC) for p in self._cgroups.procs]
            self._enforced = self._compiled.enforced + tuple(
                f"cgroup-{name}" for name in (self._cgroups.limits if self._cgroups else ())
            )
            if self.backend == "bwrap":
                bwrap = shutil.which("bwrap")
                assert bwrap is not None  # _check_backend found it
                # bwrap itself joins the cgroup first (through a bare launcher), so that
                # nothing it forks escapes the process limit; /sys is read-only inside.
                outer = [self._launcher, *_cgroup_options(self._cgroups), "--"] if self._cgroups else []
                self._prefix = [
                    *outer,
                    *bw.bwrap_argv(bwrap, self._compiled, launcher=self._launcher, network=config.network_enabled),
                    self._launcher, *bw.inner_options(self._compiled),
                ]
            self._envp = [os.fsencode(f"{k}={v}") for k, v in self._compiled.env.items()]
            from sandbox import _native

            self._spawn = _native.load("_spawn").spawn
            self._programs: dict[str, str] = {}
            if self._zygote_fits():
                # The zygote is the launcher, run from a descriptor; it may execute that one
                # file (which can only add restrictions to whoever runs it).
                exe = os.path.realpath(self._launcher)
                _native.load("_landlock").add_path(self._ruleset_fd, exe, ll.FS_EXECUTE | ll.FS_READ_FILE)
                self._zygote = self._start_zygote()
        except BaseException:
            self.close()
            raise

    @property
    def denied(self) -> tuple[str, ...]:
        """The secret locations found on this host that no command may read."""
        return self._compiled.denied if self._compiled else ()

    @property
    def hidden(self) -> tuple[str, ...]:
        """The directories covered in the command's mount namespace (empty without one)."""
        c = self._compiled
        return c.hidden if c is not None and (c.namespaces is not None or self.backend == "bwrap") else ()

    @property
    def dropped(self) -> tuple[str, ...]:
        """Rights the kernel's Landlock ABI could not enforce (only with best_effort)."""
        return self._compiled.landlock.dropped if self._compiled else ()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_proxy(self) -> int:
        """Start the egress proxy for ``allowed_domains`` and the library's end of the bridge;
        returns the holder's end (a descriptor the caller closes once the holder has it).

        Connections a command makes to the bridge port inside the network namespace arrive
        here as descriptors and are served by the proxy like any client of it.
        """
        from sandbox.net.config import ProxyConfig
        from sandbox.net.proxy import NetworkProxy

        # Each connection a command holds is two descriptors here: a command flooding the
        # bridge must not exhaust this process, so the cap follows its own limit.
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        cap = max(16, min(512, (soft if soft != resource.RLIM_INFINITY else 4096) // 4))
        self.proxy = NetworkProxy(ProxyConfig(allowed_domains=self.config.allowed_domains, max_connections=cap))
        self.proxy.start()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._bridge = ours
        threading.Thread(target=self._serve_bridge, args=(ours, self.proxy), name="sandbox-bridge", daemon=True).start()
        return theirs.detach()

    @staticmethod
    def _serve_bridge(channel: socket.socket, proxy: Any) -> None:
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(channel, 16, 16)
            except OSError:
                return
            if not message:
                return  # the holder is gone
            for at, fd in enumerate(fds):
                try:
                    proxy.serve_connection(socket.socket(fileno=fd))
                except ProxyError:  # the proxy stopped first (the Sandbox is closing)
                    for rest in fds[at + 1 :]:
                        os.close(rest)
                    return

    def close(self) -> None:
        """Release the ruleset and namespaces and remove the private temp dir. Idempotent."""
        self._closed = True
        z, self._zygote = self._zygote, None
        if z is not None:
            # Before the holder: the init of the pid namespace, on its way out, waits until
            # every process of the namespace is reaped, and the zygote is ours to reap.
            z.close()
        for fd in [self._ruleset_fd, self._pid_ns_fd, *self._cgroup_fds, *self._ns_fds]:
            if fd >= 0:
                os.close(fd)
        self._ruleset_fd, self._pid_ns_fd, self._cgroup_fds, self._ns_fds = -1, -1, [], []
        if self._holder is not None:
            _release_holder(self._holder)
            self._holder = None
        if self._bridge is not None:
            with contextlib.suppress(OSError):
                self._bridge.shutdown(socket.SHUT_RDWR)  # wakes the bridge thread's recv
            self._bridge.close()
            self._bridge = None
        if self.proxy is not None:
            self.proxy.stop()
        if self._cgroups is not None:
            self._cgroups.close()
            self._cgroups = None
        if self._statedir is not None:
            shutil.rmtree(self._statedir, ignore_errors=True)
            self._statedir = None

    def _check_open(self) -> None:
        if self._closed:
            raise PolicyError("this Sandbox is closed")

    def _cwd(self, cwd: str | os.PathLike[str] | None) -> str:
        if cwd is None:
            return self._compiled.cwd if self._compiled else self.config.workspace_dir
        path = os.fspath(cwd)
        if not os.path.isdir(path):
            raise PolicyError(f"cwd: {path!r} is not an existing directory")
        return os.path.abspath(path)

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
            ConfinementError: the policy could not be applied in the child (LandlockError,
                SeccompError), or the program cannot be executed under it.
        """
        self._check_open()
        argv = _argv(command)
        where = self._cwd(cwd)
        if timeout is None:
            timeout = self.config.limits.wall_time
        data = input.encode() if isinstance(input, str) else input
        start = time.monotonic()
        if self._compiled is None:
            out, err, status, timed_out = self._run_popen(argv, where, data, timeout)
        elif self.backend == "bwrap":
            out, err, status, timed_out = self._run_popen(argv, where, data, timeout, through_bwrap=True)
        else:
            out, err, status, timed_out = self._run_confined(argv, where, data, timeout)
        return Result(
            returncode=status,
            stdout=out.decode(errors="replace") if text else out,
            stderr=err.decode(errors="replace") if text else err,
            duration=time.monotonic() - start,
            timed_out=timed_out,
            backend=self.backend,
            enforced=self._enforced if self._compiled else (),
        )

    def _run_confined(
        self, argv: list[str], cwd: str, data: bytes | None, timeout: float | None
    ) -> tuple[bytes, bytes, int, bool]:
        cached = argv[0] in self._programs
        program = self._resolve(argv[0])
        with _StdioPipes(data is not None) as stdio:
            try:
                pid = self._start(program, argv, cwd, stdio.child)
            except CommandNotFoundError:
                if not cached:
                    raise
                # The program moved since it was looked up: look it up again, once.
                del self._programs[argv[0]]
                pid = self._start(self._resolve(argv[0]), argv, cwd, stdio.child)
            stdio.started()
        return _collect(pid, stdio, data, timeout, self._output_cap)

    def _start(self, program: str, argv: list[str], cwd: str, stdio: tuple[int, int, int]) -> int:
        """Start one confined command; its pid. Through the zygote when there is one (and the
        request fits in its datagram), else on the direct child path: the same layers either way."""
        z = self._zygote
        if z is not None and z.dead and z.owned:
            z = self._restart_zygote(z)  # a command killed it
        if z is not None and z.usable:
            path = os.fsencode(os.path.join(cwd, program))  # execve after chdir(cwd) would do the same
            args = [os.fsencode(a) for a in argv]
            where = os.fsencode(cwd)
            if z.fits(path, args, where):
                try:
                    return z.spawn(path, args, where, stdio, argv[0])
                except zygote.ZygoteGone:
                    # Killed from outside, or it failed: one new zygote, once.
                    z = self._restart_zygote(z)
                    return z.spawn(path, args, where, stdio, argv[0])
        compiled = self._compiled
        assert compiled is not None
        pid: int = self._spawn(
            program, argv, self._envp, cwd, stdio, self._ns_fds, self._ruleset_fd,
            compiled.seccomp, self._rlimits, os.getpid(), True, True, self._cgroup_fds, self._pid_ns_fd,
        )
        return pid

    def _zygote_fits(self) -> bool:
        """A zygote serves this Sandbox when its commands get a pid namespace, whose init
        kills them with the agent (see sandbox.confine.zygote)."""
        return self.backend == "landlock" and self._compiled is not None and self._pid_ns_fd >= 0

    def _start_zygote(self) -> zygote.Zygote:
        """Start this Sandbox's zygote on the direct child path, with every layer but the
        process-group rules and the CPU-time limit, which each command takes on itself.

        Raises:
            ConfinementError: the kernel refused a layer (as for a command).
        """
        compiled = self._compiled
        assert compiled is not None
        cpu = [(name, value) for name, value in compiled.rlimits if name == "cpu"]
        inherited = [(launcher.RLIMIT_NUMBERS[name], value) for name, value in compiled.rlimits if name != "cpu"]
        argv = [
            "sbx-zygote", "--serve", "--seccomp", sc.process_group_profile().hex(),
            *(opt for name, value in cpu for opt in ("--rlimit", f"{name}={value}")),
        ]
        bpf = sc.sandbox_profile(
            allow_network=self.config.network_enabled, unix_sockets=True, process_group=False,
            proxied=self.config.proxied,
        )
        # Run from a descriptor: the package directory may be hidden in the mount namespace
        # (under the home or /tmp). The ruleset grants this one file execute (see __init__).
        exec_fd = fcntl.fcntl(os.open(self._launcher, os.O_RDONLY | os.O_CLOEXEC), fcntl.F_DUPFD_CLOEXEC, 3)

        def start(channel: int) -> int:
            null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            try:
                pid: int = self._spawn(
                    self._launcher, argv, self._envp, compiled.cwd, (channel, null, null), self._ns_fds,
                    self._ruleset_fd, bpf, inherited, 0, True, True, self._cgroup_fds, self._pid_ns_fd, exec_fd,
                )
                return pid
            finally:
                os.close(null)

        try:
            return zygote.Zygote(start)
        finally:
            os.close(exec_fd)

    def _restart_zygote(self, gone: zygote.Zygote) -> zygote.Zygote:
        with self._zygote_lock:
            current = self._zygote
            if current is gone:
                gone.close()
                self._check_open()
                current = self._zygote = self._start_zygote()
            assert current is not None
            return current

    def _resolve(self, name: str) -> str:
        """The program ``name`` names on the sandbox's PATH (cached: a PATH search is a stat
        per directory, a tenth of a millisecond per run)."""
        if "/" in name:
            return name
        program = self._programs.get(name)
        if program is None:
            assert self._compiled is not None
            program = self._compiled.find_program(name)
            if program is None:
                raise CommandNotFoundError(errno.ENOENT, f"{name}: command not found", name)
            self._programs[name] = program
        return program

    def _bwrap_command(self, argv: list[str], cwd: str, error_fd: int) -> list[str]:
        prefix = list(self._prefix)
        for i, opt in enumerate(prefix):
            if opt == "--chdir":  # bwrap's and the launcher's
                prefix[i + 1] = cwd
        return [*prefix, "--error-fd", str(error_fd), "--", *argv]

    def _run_popen(
        self, argv: list[str], cwd: str, data: bytes | None, timeout: float | None, *, through_bwrap: bool = False
    ) -> tuple[bytes, bytes, int, bool]:
        """Run through subprocess: unconfined (mode off), or bwrap with the launcher inside."""
        read_end = write_end = -1
        if through_bwrap:
            read_end, write_end = os.pipe2(os.O_CLOEXEC)
            argv = self._bwrap_command(argv, cwd, write_end)
        try:
            with _StdioPipes(data is not None) as stdio:
                proc = subprocess.Popen(
                    argv, cwd=cwd, start_new_session=True, stdin=stdio.child[0], stdout=stdio.child[1],
                    stderr=stdio.child[2], pass_fds=(write_end,) if through_bwrap else (),
                    env=self._compiled.env if through_bwrap and self._compiled else None,
                )
                stdio.started()
        except BaseException:
            if read_end >= 0:
                os.close(read_end)
            raise
        finally:
            if write_end >= 0:
                os.close(write_end)
        if through_bwrap:
            with os.fdopen(read_end, "rb") as pipe:
                record = pipe.read()  # EOF at the launcher's exec of the command
            if record:
                _collect(proc.pid, stdio, None, None)
                _raise_launch_failure(record, argv[argv.index("--", len(self._prefix)) + 1])
        result = _collect(proc.pid, stdio, data, timeout, self._output_cap)
        proc.returncode = result[2]  # reaped by _collect
        return result

    def popen(self, command: str | Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[Any]:
        """Start ``command`` confined and return it un-waited, for streaming.

        Accepts the Popen arguments that do not touch confinement (``stdin``, ``stdout``,
        ``stderr``, ``text``, ``encoding``, ``errors``, ``bufsize``, ``cwd``); stdin defaults
        to /dev/null. The command leads its own process group:
        ``os.killpg(proc.pid, signal.SIGKILL)`` ends all of it. It dies if the thread that
        started it exits first. It runs through the sbx-launch launcher (one exec more than
        :meth:`run`), which applies the same compiled policy.

        Raises:
            PolicyError: an argument would weaken the sandbox, or the command is invalid.
            CommandNotFoundError, ConfinementError: as for :meth:`run`.
        """
        self._check_open()
        forbidden = sorted(_FORBIDDEN_POPEN & set(popen_kwargs))
        if forbidden:
            raise PolicyError(f"popen: {', '.join(forbidden)} would weaken the sandbox")
        argv = _argv(command)
        if self.config.proxied:
            raise UnsupportedError(
                Reason.BACKEND_UNAVAILABLE,
                "popen starts its own namespaces, without the bridge to the egress proxy; use run()",
            )
        where = self._cwd(popen_kwargs.pop("cwd", None))
        popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
        if self._compiled is None:
            return subprocess.Popen(argv, cwd=where, start_new_session=True, **popen_kwargs)
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        if self.backend == "bwrap":
            command = self._bwrap_command(argv, where, write_end)
            popen_kwargs["start_new_session"] = True
        else:
            opts = self._compiled.launcher_options()
            opts[opts.index("--chdir") + 1] = where
            opts += _cgroup_options(self._cgroups)
            command = [self._launcher, *opts, "--error-fd", str(write_end), "--", *argv]
        try:
            proc = subprocess.Popen(command, env=self._compiled.env, pass_fds=(write_end,), **popen_kwargs)
        except BaseException:
            os.close(read_end)
            raise
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


def _cgroups(cfg: SandboxConfig) -> cgroup.Cgroups | None:
    """The cgroups that enforce ``cfg.limits.pids`` and ``memory_mb``, where they can be made.

    The memory limit is also RLIMIT_DATA, which holds without a cgroup (shared memory aside);
    the process limit has no such second line for root.

    Raises:
        UnsupportedError: ``PIDS_LIMIT_UNAVAILABLE`` for root with a process limit and no
            pids cgroup to enforce it (RLIMIT_NPROC never applies to root).
    """
    lim = cfg.limits
    groups = cgroup.create(pids=lim.pids, memory_bytes=None if lim.memory_mb is None else lim.memory_mb << 20)
    if lim.pids is not None and os.geteuid() == 0 and (groups is None or "pids" not in groups.limits):
        if groups is not None:
            groups.close()
        raise UnsupportedError(Reason.PIDS_LIMIT_UNAVAILABLE)
    return groups


def _cgroup_options(groups: cgroup.Cgroups | None) -> list[str]:
    return [opt for procs in (groups.procs if groups else ()) for opt in ("--cgroup", procs)]


def _hold_namespaces(
    launcher_exe: str, namespaces: launcher.Namespaces, *, bridge_fd: int | None = None
) -> tuple[subprocess.Popen[bytes], list[int]]:
    """Create the command's namespaces once, in a launcher that holds them, and open them.

    Each run joins them with setns(), which costs a fraction of creating them. The holder
    stays for the Sandbox's life: it is the parent of the init of the pid namespace the
    commands' children live in, and when it goes (Sandbox.close, or this process dying
    however it dies) that init and every process of the namespace go with it.

    Raises:
        ConfinementError: the launcher could not create them.
    """
    holder = subprocess.Popen(
        [launcher_exe, *namespaces.options(), *(["--bridge-fd", str(bridge_fd)] if bridge_fd is not None else []),
         "--hold"],
        pass_fds=() if bridge_fd is None else (bridge_fd,),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert holder.stdin is not None and holder.stdout is not None
    fds: list[int] = []
    try:
        if holder.stdout.readline() != b"ready\n":
            holder.stdin.close()
            _, err = holder.communicate()
            raise ConfinementError(
                errno.EPERM, f"could not create the sandbox's namespaces: {err.decode(errors='replace').strip()}"
            )
        # pid_for_children last: the spawn path takes it apart from the others (it is joined
        # for the command's own clone only).
        names = ["user", "mnt", "ipc"] + (["net"] if namespaces.netns else []) + ["pid_for_children"]
        for name in names:
            fds.append(os.open(f"/proc/{holder.pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC))
    except BaseException:
        for fd in fds:
            os.close(fd)
        _release_holder(holder)
        raise
    return holder, fds


def _release_holder(holder: subprocess.Popen[bytes]) -> None:
    """End a namespace holder: its pid namespace, and anything left running in it, go too."""
    for stream in (holder.stdin, holder.stdout, holder.stderr):
        if stream is not None and not stream.closed:
            stream.close()
    holder.wait()


class _StdioPipes:
    """The three stdio channels of a command: ``child`` fds to hand over, and the parent's
    ends (``stdin`` is -1 without input). A context manager that closes everything if the
    start fails; after :meth:`started` it closes only the child's ends. /dev/null is opened
    afresh each time: a descriptor cached across calls could have been closed and reused by
    the caller for a file the command must never see."""

    def __init__(self, with_input: bool) -> None:
        self._opened: list[int] = []
        if with_input:
            stdin_r, self.stdin = self._pipe()
        else:
            stdin_r, self.stdin = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC), -1
            self._opened.append(stdin_r)
        self.stdout, out_w = self._pipe()
        self.stderr, err_w = self._pipe()
        self.child = (stdin_r, out_w, err_w)
        self._ok = False

    def _pipe(self) -> tuple[int, int]:
        r, w = os.pipe2(os.O_CLOEXEC)
        self._opened += [r, w]
        return r, w

    def started(self) -> None:
        self._ok = True

    def __enter__(self) -> _StdioPipes:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self.child if self._ok else self._opened:
            os.close(fd)


def _collect(
    pid: int, streams: _StdioPipes, data: bytes | None, timeout: float | None, keep: int | None = None
) -> tuple[bytes, bytes, int, bool]:
    """Feed ``data``, read stdout and stderr, and reap ``pid``; (out, err, returncode, timed_out).

    The command's whole process group is killed when its leader exits (found through a
    pidfd; the leader stays a zombie until then, so the group id cannot be reused) or when
    ``timeout`` passes. At most ``keep`` bytes of each stream are kept; the rest is read
    and dropped (the command is not blocked), and a marker line ends stderr.
    """
    import select

    stdin_fd, out_fd, err_fd = streams.stdin, streams.stdout, streams.stderr
    chunks: dict[int, list[bytes]] = {out_fd: [], err_fd: []}
    kept = {out_fd: 0, err_fd: 0}
    dropped = False
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    watched: set[int] = set()

    def watch(fd: int, events: int) -> None:
        poller.register(fd, events)
        watched.add(fd)

    def unwatch(fd: int) -> None:
        poller.unregister(fd)
        watched.discard(fd)

    watch(pidfd, select.POLLIN)
    watch(out_fd, select.POLLIN)
    watch(err_fd, select.POLLIN)
    pending = memoryview(data or b"")
    if stdin_fd >= 0:
        if pending:
            os.set_blocking(stdin_fd, False)
            watch(stdin_fd, select.POLLOUT)
        else:
            os.close(stdin_fd)
            stdin_fd = -1
    deadline = time.monotonic() + timeout if timeout is not None else None
    timed_out = False
    # Once the group is dead the pipes close at once; a pipe still open after this grace is
    # held by something outside the group, and is not waited for.
    drain_until: float | None = None

    def kill_group() -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    try:
        while watched:
            limits = [t for t in (deadline, drain_until) if t is not None]
            wait_ms = max(0, int((min(limits) - time.monotonic()) * 1000) + 1) if limits else None
            events = poller.poll(wait_ms)
            now = time.monotonic()
            if deadline is not None and now >= deadline and not timed_out:
                timed_out = True
                kill_group()
                drain_until = now + 2.0
            if drain_until is not None and now >= drain_until:
                break
            for fd, _ in events:
                if fd == pidfd:
                    unwatch(pidfd)
                    kill_group()  # the leader is gone: so is everything it started
                    drain_until = drain_until or now + 2.0
                elif fd == stdin_fd:
                    try:
                        pending = pending[os.write(stdin_fd, pending[:65536]) :]
                    except BlockingIOError:
                        pass  # the pipe filled between poll and write; wait for room again
                    except BrokenPipeError:
                        pending = pending[:0]  # the command closed its stdin: nothing more to give
                    if not pending:
                        unwatch(stdin_fd)
                        os.close(stdin_fd)
                        stdin_fd = -1
                else:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        unwatch(fd)
                    elif keep is None or kept[fd] < keep:
                        chunk = chunk if keep is None else chunk[: keep - kept[fd]]
                        chunks[fd].append(chunk)
                        kept[fd] += len(chunk)
                    else:
                        dropped = True
    finally:
        os.close(pidfd)
        for fd in (stdin_fd, out_fd, err_fd):
            if fd >= 0:
                os.close(fd)
    _, wstatus = os.waitpid(pid, 0)
    status = os.waitstatus_to_exitcode(wstatus)
    if dropped and keep is not None:
        chunks[err_fd].append(b"\n[sandbox: output beyond %d bytes per stream was dropped]\n" % keep)
    return b"".join(chunks[out_fd]), b"".join(chunks[err_fd]), status, timed_out


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
    the limits itself. Its private directory (``sandbox-*`` in the system temp dir, holding
    the command's TMPDIR) and, where they can be made, its cgroups (``sandbox-*`` under the
    pids and memory hierarchies) are created now and are the caller's to remove. Mode ``off``
    returns the command unconfined, as asked.

    Raises:
        PolicyError, UnsupportedError: as for :class:`Sandbox`.
    """
    argv = _argv(command)
    backend = _check_backend(cfg)
    if cfg.proxied:
        # The bridge to the proxy lives in a Sandbox's namespace holder; a launcher run on its
        # own has none, and would give the command no network rather than the proxy.
        raise UnsupportedError(
            Reason.BACKEND_UNAVAILABLE, "allowed_domains needs a Sandbox (its proxy and bridge), not wrap_command"
        )
    if backend == "none":
        program = shutil.which(argv[0]) or argv[0]
        return program, argv[1:]
    statedir = _make_statedir()
    try:
        compiled = _compile(cfg, statedir, backend=backend, parent_pid=None, best_effort=False)
    except BaseException:
        shutil.rmtree(statedir, ignore_errors=True)
        raise
    opts = compiled.launcher_options()
    # Like the temp dir, the cgroups (empty once the command ends) are the caller's to remove.
    opts += _cgroup_options(_cgroups(cfg))
    env_opts = ["--clear-env"]
    for name, value in sorted(compiled.env.items()):
        env_opts += ["--setenv", f"{name}={value}"]
    return launcher.launcher_path(), [*opts, *env_opts, "--", *argv]
