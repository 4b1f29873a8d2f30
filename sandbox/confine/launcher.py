"""A SandboxConfig compiled into the argv of the sbx-launch launcher, and its environment.

The launcher (csrc/launcher.c) applies whatever it is given; every decision is made here,
from the policy and a few facts about the host (Landlock ABI, home directory, environment),
so the output is checked exactly in unit tests. Sandbox.run and wrap_command both execute
the result, so a caller in any language gets the confinement Python code gets.
"""

from __future__ import annotations

import fnmatch
import os
import re
import resource
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sandbox.confine import landlock as ll
from sandbox.errors import PolicyError, Reason, UnsupportedError
from sandbox.policy import Mode, SandboxConfig

#: Beneath the home directory, readable: toolchains and their caches, never credentials.
HOME_READ_PATHS: tuple[str, ...] = (
    ".cache", ".local", ".cargo", ".rustup", ".npm", ".nvm", ".pyenv", ".rbenv", ".sdkman",
    "go", ".m2", ".gradle", ".gitconfig", ".config/git",
)

#: Covered by an empty read-only tmpfs in the command's mount namespace (where user
#: namespaces allow one): host daemons' sockets and runtime state, other users' temp files.
HIDDEN_DIRS: tuple[str, ...] = ("/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm", "/var/lib", "/var/snap")


def hidden_dirs(home: str) -> list[str]:
    """The directories to cover on this host: HIDDEN_DIRS and the home directories (``home``
    and the account's own), which hold sockets of their own (Docker Desktop's, podman's, an
    editor's) that Landlock does not stop a connect() to. Granted paths inside come back."""
    import pwd

    try:
        account = pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        account = home
    candidates = {os.path.realpath(d) for d in (*HIDDEN_DIRS, home, account) if d and os.path.isdir(d)}
    return _outermost(sorted(candidates - {"/"}))

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


#: The loopback port, inside a proxied Sandbox's network namespace, where commands find the
#: egress proxy (through the holder's bridge).
BRIDGE_PORT = 3128


@dataclass(frozen=True, slots=True)
class Namespaces:
    """The private view a command gets where user namespaces are allowed."""

    netns: bool
    """An empty network namespace (the network is off, or reaches only the proxy's bridge)."""
    hide: tuple[str, ...]
    """Directories covered by an empty read-only tmpfs."""
    hide_files: tuple[str, ...]
    """Files covered by ``cover``."""
    cover: str
    """An empty file no rule grants: a covered file reads as refused, not as empty."""
    keep: tuple[str, ...]
    """Granted paths beneath a hidden directory, bound back in."""
    writable: tuple[str, ...]
    """The paths left writable; every other mount is read-only."""
    bridge_port: int | None = None
    """With the egress proxy: the loopback port inside the network namespace whose
    connections the holder passes out to the proxy (``--bridge``)."""

    def options(self) -> list[str]:
        opts = ["--userns"] + (["--netns"] if self.netns else []) + ["--cover-with", self.cover]
        if self.bridge_port is not None:
            opts += ["--bridge", str(self.bridge_port)]
        pairs = (("--hide", self.hide), ("--hide-file", self.hide_files), ("--keep", self.keep),
                 ("--writable", self.writable))
        for flag, paths in pairs:
            for path in paths:
                opts += [flag, path]
        return opts


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A SandboxConfig decided for this host: every layer, ready for the spawn path or
    the launcher, and the report of what is in force."""

    landlock: ll.LandlockPlan
    namespaces: Namespaces | None
    rlimits: tuple[tuple[str, int], ...]
    """(resource name as the launcher spells it, soft = hard value)."""
    seccomp: bytes
    env: dict[str, str]
    cwd: str
    parent_pid: int | None
    cover: str
    hidden: tuple[str, ...]
    """The directories covered on this host (in the mount namespace, or by bwrap)."""
    denied: tuple[str, ...]
    """The secret paths found on this host (and their link targets)."""
    enforced: tuple[str, ...]
    """The layers in force, for Result.enforced."""

    def find_program(self, name: str) -> str | None:
        """``name`` looked up on the command's PATH as the command would see it: only in
        directories the sandbox lets it execute from and that its mount namespace shows, so
        an unreadable ``~/bin`` earlier on PATH does not shadow ``/usr/bin``."""
        for directory in self.env.get("PATH", os.defpath).split(os.pathsep):
            if not os.path.isabs(directory):
                continue
            real = os.path.realpath(directory)
            if not any(a & ll.FS_EXECUTE and ll.inside(real, p) for p, a in self.landlock.paths):
                continue
            ns = self.namespaces
            if ns is not None and any(ll.inside(real, h) for h in ns.hide) and not any(
                ll.inside(real, k) for k in ns.keep
            ):
                continue
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
        return None

    def launcher_options(self) -> list[str]:
        """sbx-launch options for this policy (without ``-- command``)."""
        ruleset = self.landlock
        opts: list[str] = ["--setsid"]
        if self.parent_pid is not None:
            opts += ["--die-with-parent", str(self.parent_pid)]
        opts += ["--fs-handled", hex(ruleset.handled_fs)]
        if ruleset.handled_net:
            opts += ["--net-handled", hex(ruleset.handled_net)]
        if ruleset.scoped:
            opts += ["--scoped", hex(ruleset.scoped)]
        for path, access in ruleset.paths:
            opts += ["--path", f"{access:#x}:{path}"]
        for port, access in ruleset.ports:
            opts += ["--port", f"{access:#x}:{port}"]
        if self.namespaces is not None:
            opts += self.namespaces.options()
        opts.append("--drop-caps")
        for name, value in self.rlimits:
            opts += ["--rlimit", f"{name}={value}"]
        opts += ["--chdir", self.cwd, "--seccomp", self.seccomp.hex()]
        return opts


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
    cover: str,
    home: str,
    environ: Mapping[str, str],
    seccomp_program: bytes,
    parent_pid: int | None,
    userns: bool,
    best_effort: bool = False,
    listdir: Callable[[str], list[str]] | None = None,
) -> CompiledPolicy:
    """Every layer that enforces ``cfg`` on this host, decided.

    ``tmpdir`` is the sandbox's private temp dir (writable, and TMPDIR in the command's
    environment); ``cover`` an empty file outside every grant, put over denied files;
    ``home`` expands ``~``; ``seccomp_program`` is the filter to install last;
    ``parent_pid``, when given, is the process whose exit kills the command; ``userns``
    says whether the host lets the launcher create user namespaces, in which case the
    command also gets a private mount namespace (HIDDEN_DIRS and the denied paths covered)
    and, with the network off, an empty network namespace.

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

    for path in ll.SYSTEM_READ_PATHS:
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
    proxied = cfg.proxied
    if proxied and not userns:
        # A TCP port rule cannot tell the proxy from a remote host on the same port: without a
        # network namespace the egress cannot be held to the proxy, so nothing runs.
        raise UnsupportedError(
            Reason.USERNS_BLOCKED,
            "allowed_domains sends the network through the egress proxy, which needs a network namespace",
        )
    resolv = os.path.realpath("/etc/resolv.conf")
    if network and os.path.isfile(resolv):
        # Often a link into /run (systemd-resolved), which the namespaces cover: name
        # resolution needs its target.
        grant(resolv, ll.FS_READ_FILE)
    # What exists is punched out of the grants and covered in the mount namespace. What does
    # not exist yet is punched out too (the grant around it is split now), so a secret
    # created later (`aws configure` after the Sandbox was built) is not covered by a grant.
    # Files in /etc that only their owner or group may read are secrets too: a root agent
    # would read them through ownership alone.
    deny = sorted(set(ll.resolve_denied(cfg.deny_read, home)) | set(private_entries("/etc")))
    holes = sorted(set(deny) | {_expand(entry, home) for entry in cfg.deny_read})
    ruleset = ll.plan(
        grants,
        abi=abi,
        deny=holes,
        restrict_net=not network,
        # Through the proxy: TCP connect to the bridge's port alone, bind nowhere.
        ports={BRIDGE_PORT: ll.NET_CONNECT_TCP} if proxied else None,
        scope_ipc=True,
        best_effort=best_effort,
        listdir=listdir,
    )

    hidden = hidden_dirs(home)
    namespaces = None
    if userns:
        keep = tuple(p for p in sorted(grants) if any(ll.inside(p, h) for h in hidden))

        def visible(path: str) -> bool:
            # Beneath a hidden dir a path exists in the namespace only if a kept path brings it back.
            return not any(ll.inside(path, h) for h in hidden) or any(ll.inside(path, k) for k in keep)

        denied = [d for d in deny if not os.path.islink(d) and visible(d)]
        namespaces = Namespaces(
            netns=not network,
            # Denied dirs come after the hidden ones: the launcher covers in order, so a denied
            # dir inside a kept path (a secret in the workspace) is covered after being bound back.
            hide=tuple(hidden) + tuple(d for d in denied if os.path.isdir(d) and d not in hidden),
            hide_files=tuple(d for d in denied if os.path.isfile(d)),
            cover=cover,
            keep=keep,
            writable=tuple(p for p, a in sorted(grants.items()) if a & ll.FS_WRITE_FILE and not p.startswith("/dev/")),
            bridge_port=BRIDGE_PORT if proxied else None,
        )

    env = filter_env(environ, cfg.env)
    env.update({"TMPDIR": tmpdir, "TMP": tmpdir, "TEMP": tmpdir})
    env.setdefault("PATH", os.defpath)
    if proxied:
        url = f"http://127.0.0.1:{BRIDGE_PORT}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[name] = env[name.lower()] = url
        # Loopback inside the network namespace is the sandbox's own: nothing outside is exempt.
        env["NO_PROXY"] = env["no_proxy"] = "localhost,127.0.0.1,::1"
    enforced = [f"landlock-abi-{abi}", "landlock-fs"]
    if ruleset.handled_net:
        enforced.append("landlock-tcp")
    if ruleset.scoped:
        enforced.append("landlock-scope")
    enforced += ["seccomp", "no-new-privs", "setsid", "rlimits", "env-allowlist"]
    if parent_pid is not None:
        enforced.append("die-with-parent")
    if proxied:
        enforced.append("network-proxy-only")
    elif not network:
        enforced.append("network-off")
    if userns:
        enforced += ["user-namespace", "mount-namespace"] + ([] if network else ["network-namespace"])
    enforced.append("no-capabilities")
    return CompiledPolicy(
        landlock=ruleset,
        namespaces=namespaces,
        rlimits=_rlimits(cfg),
        seccomp=seccomp_program,
        env=env,
        cwd=workspace,
        parent_pid=parent_pid,
        cover=cover,
        hidden=tuple(hidden),
        denied=tuple(deny),
        enforced=tuple(enforced),
    )


def private_entries(root: str) -> list[str]:
    """Files and directories beneath ``root`` that others may not read (no S_IROTH); a
    directory is listed whole, without descending into it. Symlinks are not followed."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if mode & stat.S_IROTH or not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                continue
            out.append(path)
            if stat.S_ISDIR(mode):
                dirnames.remove(name)
    return sorted(out)


def _outermost(paths: list[str]) -> list[str]:
    """``paths`` without those beneath another of them (one tmpfs covers both)."""
    return [p for p in paths if not any(q != p and ll.inside(p, q) for q in paths)]


def _rlimits(cfg: SandboxConfig) -> tuple[tuple[str, int], ...]:
    lim = cfg.limits
    out = []
    if lim.memory_mb is not None:
        # RLIMIT_DATA, not RLIMIT_AS: it counts the private writable memory a balloon
        # grows, not address space that runtimes (V8, Go, the JVM) reserve and never touch.
        out.append(("data", lim.memory_mb << 20))
    if lim.cpu_seconds is not None:
        out.append(("cpu", lim.cpu_seconds))
    if lim.pids is not None:
        out.append(("nproc", lim.pids))
    if lim.open_files is not None:
        out.append(("nofile", lim.open_files))
    if lim.file_size_mb is not None:
        out.append(("fsize", lim.file_size_mb << 20))
    out.append(("core", 0))  # a core dump would write the command's memory outside the policy's view
    return tuple(out)


#: The launcher's resource names as setrlimit numbers, for the spawn path.
RLIMIT_NUMBERS: dict[str, int] = {
    "data": resource.RLIMIT_DATA,
    "as": resource.RLIMIT_AS,
    "cpu": resource.RLIMIT_CPU,
    "nproc": resource.RLIMIT_NPROC,
    "nofile": resource.RLIMIT_NOFILE,
    "fsize": resource.RLIMIT_FSIZE,
    "core": resource.RLIMIT_CORE,
}
