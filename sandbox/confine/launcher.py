"""A SandboxConfig compiled into the argv of the sbx-launch launcher, and its environment.

The launcher (csrc/launcher.c) applies whatever it is given; every decision is made here,
from the policy and a few facts about the host (Landlock ABI, home directory, environment),
so the output is checked exactly in unit tests. Sandbox.run and wrap_command both execute
the result, so a caller in any language gets the confinement Python code gets.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sandbox.confine import landlock as ll
from sandbox.errors import PolicyError, Reason, UnsupportedError
from sandbox.policy import Mode, SandboxConfig

#: Readable and executable in every mode: what programs and toolchains need. Absent ones
#: are skipped. /etc is readable but for the secrets that DEFAULT_DENY_READ punches out.
SYSTEM_READ_PATHS: tuple[str, ...] = (
    "/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
    "/proc", "/sys", "/var/lib/dpkg", "/nix/store",
)

#: Beneath the home directory, readable: toolchains and their caches, never credentials.
HOME_READ_PATHS: tuple[str, ...] = (
    ".cache", ".local", ".cargo", ".rustup", ".npm", ".nvm", ".pyenv", ".rbenv", ".sdkman",
    "go", ".m2", ".gradle", ".gitconfig", ".config/git",
)

#: Devices a program may open: read and write the sinks and sources, nothing else (no tty:
#: the command runs in a new session and has no controlling terminal to open).
DEVICE_RULES: tuple[tuple[str, int], ...] = (
    ("/dev/null", ll.READ | ll.FS_WRITE_FILE | ll.FS_TRUNCATE | ll.FS_IOCTL_DEV),
    ("/dev/zero", ll.FS_READ_FILE | ll.FS_IOCTL_DEV),
    ("/dev/random", ll.FS_READ_FILE | ll.FS_IOCTL_DEV),
    ("/dev/urandom", ll.FS_READ_FILE | ll.FS_IOCTL_DEV),
    ("/dev/full", ll.FS_READ_FILE | ll.FS_WRITE_FILE | ll.FS_IOCTL_DEV),
)

#: Secrets an allowlist pattern such as ``LC_*`` or ``*`` never lets through; only naming
#: the variable exactly in ``SandboxConfig.env`` does.
SECRET_ENV = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|AUTH|SESSION|COOKIE)"
    r"|^(AWS|AZURE|ARM|GOOGLE|GCP|GCLOUD|CLOUDSDK|DO|DIGITALOCEAN|HEROKU|OPENAI|ANTHROPIC|GITHUB|GH|GITLAB|"
    r"NPM|PYPI|TWINE|DOCKER|SSH|GPG|VAULT|KUBE|SLACK|STRIPE|SENTRY|DATABASE|PG|MYSQL|REDIS)_"
    r"|_KEY$|^SSH_AUTH_SOCK$|^KUBECONFIG$",
    re.IGNORECASE,
)


def launcher_path() -> str:
    """The sbx-launch executable shipped in the package.

    Raises:
        UnsupportedError: ``NATIVE_MISSING`` when the build did not produce it.
    """
    from sandbox import _native

    path = os.path.join(os.path.dirname(_native.__file__), "sbx-launch")
    if not os.access(path, os.X_OK):
        raise UnsupportedError(Reason.NATIVE_MISSING, f"{path} is missing")
    return path


def filter_env(environ: Mapping[str, str], allow: tuple[str, ...]) -> dict[str, str]:
    """The variables of ``environ`` that ``allow`` lets through (see SECRET_ENV)."""
    exact = {a for a in allow if "*" not in a and "?" not in a and "[" not in a}
    patterns = [a for a in allow if a not in exact]
    out = {}
    for name, value in environ.items():
        if name in exact:
            out[name] = value
        elif any(fnmatch.fnmatchcase(name, p) for p in patterns) and not SECRET_ENV.search(name):
            out[name] = value
    return out


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """What running a command under a policy takes: launcher options, environment, report."""

    options: tuple[str, ...]
    """sbx-launch options, without the program path and without ``-- command``."""
    env: dict[str, str]
    landlock: ll.LandlockPlan
    enforced: tuple[str, ...]
    """The layers in force, for Result.enforced."""


def _expand(path: str, home: str) -> str:
    return home + path[1:] if path == "~" or path.startswith("~/") else path


def _existing(path: str, what: str) -> str:
    if not os.path.exists(path):
        raise PolicyError(f"{what}: {path!r} does not exist")
    return os.path.realpath(path)


def compile_policy(
    cfg: SandboxConfig,
    *,
    abi: int,
    tmpdir: str,
    home: str,
    environ: Mapping[str, str],
    seccomp_program: bytes,
    parent_pid: int | None,
    best_effort: bool = False,
    listdir: Callable[[str], list[str]] | None = None,
) -> CompiledPolicy:
    """The launcher options and environment that enforce ``cfg``.

    ``tmpdir`` is the sandbox's private temp dir (writable, and TMPDIR in the command's
    environment); ``home`` expands ``~``; ``seccomp_program`` is the filter to install last;
    ``parent_pid``, when given, is the process whose exit kills the command.

    Raises:
        PolicyError: ``cfg`` names a path that does not exist, or a rule inside a denied path.
        UnsupportedError: the kernel's Landlock ABI cannot enforce the policy (see
            :func:`sandbox.confine.landlock.plan`).
    """
    if cfg.mode is Mode.OFF:
        raise PolicyError("mode off runs no launcher; Sandbox.run executes the command directly")
    grants: dict[str, int] = {}

    def grant(path: str, access: int) -> None:
        grants[path] = grants.get(path, 0) | access

    for path in SYSTEM_READ_PATHS:
        if os.path.exists(path):
            grant(os.path.realpath(path), ll.READ)
    for rel in HOME_READ_PATHS:
        path = os.path.join(home, rel)
        if os.path.exists(path):
            grant(os.path.realpath(path), ll.READ)
    for path, access in DEVICE_RULES:
        if os.path.exists(path):
            grant(os.path.realpath(path), access)
    workspace = _existing(cfg.workspace_dir, "workspace_dir")
    grant(workspace, ll.WRITE if cfg.mode is Mode.WORKSPACE else ll.READ)
    grant(_existing(tmpdir, "tmpdir"), ll.WRITE)
    for path in cfg.read_only_paths:
        grant(_existing(_expand(path, home), "read_only_paths"), ll.READ)
    for path in cfg.writable_paths:
        grant(_existing(_expand(path, home), "writable_paths"), ll.WRITE)

    network = cfg.network_enabled
    deny: list[str] = []
    for entry in cfg.deny_read:
        pattern = _expand(entry, home)
        matches = glob.glob(glob.escape(pattern) if not glob.has_magic(pattern) else pattern)
        # Both the name and what it points to: a link such as ~/.ssh -> dotfiles/ssh must
        # not leave the target readable through a grant on the dotfiles directory.
        deny += {p for m in matches for p in (os.path.abspath(m), os.path.realpath(m))}
    ruleset = ll.plan(
        grants,
        abi=abi,
        deny=sorted(set(deny)),
        restrict_net=not network,
        scope_ipc=True,
        best_effort=best_effort,
        listdir=listdir,
    )

    opts: list[str] = ["--setsid"]
    if parent_pid is not None:
        opts += ["--die-with-parent", str(parent_pid)]
    opts += ["--fs-handled", hex(ruleset.handled_fs)]
    if ruleset.handled_net:
        opts += ["--net-handled", hex(ruleset.handled_net)]
    if ruleset.scoped:
        opts += ["--scoped", hex(ruleset.scoped)]
    for path, access in ruleset.paths:
        opts += ["--path", f"{access:#x}:{path}"]
    for port, access in ruleset.ports:
        opts += ["--port", f"{access:#x}:{port}"]
    opts += _rlimit_options(cfg)
    opts += ["--chdir", workspace, "--seccomp", seccomp_program.hex()]

    env = filter_env(environ, cfg.env)
    env.update({"TMPDIR": tmpdir, "TMP": tmpdir, "TEMP": tmpdir})
    env.setdefault("PATH", os.defpath)
    enforced = [f"landlock-abi-{abi}", "landlock-fs"]
    if ruleset.handled_net:
        enforced.append("landlock-tcp")
    if ruleset.scoped:
        enforced.append("landlock-scope")
    enforced += ["seccomp", "no-new-privs", "setsid", "rlimits", "env-allowlist"]
    if parent_pid is not None:
        enforced.append("die-with-parent")
    if not network:
        enforced.append("network-off")
    return CompiledPolicy(tuple(opts), env, ruleset, tuple(enforced))


def _rlimit_options(cfg: SandboxConfig) -> list[str]:
    lim = cfg.limits
    out = []
    if lim.memory_mb is not None:
        # RLIMIT_DATA, not RLIMIT_AS: it counts the private writable memory a balloon
        # grows, not address space that runtimes (V8, Go, the JVM) reserve and never touch.
        out += ["--rlimit", f"data={lim.memory_mb << 20}"]
    if lim.cpu_seconds is not None:
        out += ["--rlimit", f"cpu={lim.cpu_seconds}"]
    if lim.pids is not None:
        out += ["--rlimit", f"nproc={lim.pids}"]
    if lim.open_files is not None:
        out += ["--rlimit", f"nofile={lim.open_files}"]
    if lim.file_size_mb is not None:
        out += ["--rlimit", f"fsize={lim.file_size_mb << 20}"]
    out += ["--rlimit", "core=0"]  # a core dump would write the command's memory outside the policy's view
    return out
