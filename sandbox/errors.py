"""The exceptions `sandbox` raises on purpose, and the reasons a capability is missing.

Every error the library raises deliberately derives from :class:`SandboxError`. Where a
capability of the host is missing, the error (and :func:`sandbox.probe`) carries a
:class:`Reason`: a stable member to assert on, with a message and a hint that says how to
get the capability back. This module imports nothing from the rest of the package.
"""

from __future__ import annotations

import enum

__all__ = [
    "CommandTimeoutError",
    "ConfinementError",
    "ContainerError",
    "LandlockError",
    "PolicyError",
    "ProxyError",
    "Reason",
    "SandboxError",
    "SeccompError",
    "SnapshotError",
    "UnsupportedError",
]


class Reason(str, enum.Enum):
    """Why a capability is missing: a stable code with a message and a fix hint.

    The value is a short code (``"landlock_disabled"``); ``message`` says what is wrong and
    ``hint`` what would fix it. Tests assert on the member, never on the text.
    """

    message: str
    hint: str

    def __new__(cls, code: str, message: str, hint: str) -> Reason:
        member = str.__new__(cls, code)
        member._value_ = code
        member.message = message
        member.hint = hint
        return member

    def __str__(self) -> str:
        return str(self.value)

    NOT_LINUX = (
        "not_linux",
        "this host is not Linux",
        "Landlock, seccomp and namespaces exist only on Linux; use a container backend.",
    )
    NOT_MACOS = (
        "not_macos",
        "this host is not macOS",
        "Seatbelt exists only on macOS; on Linux use the landlock or bwrap backend.",
    )
    SEATBELT_MISSING = (
        "seatbelt_missing",
        "sandbox-exec was not found",
        "Seatbelt needs /usr/bin/sandbox-exec, which ships with macOS.",
    )
    NATIVE_MISSING = (
        "native_missing",
        "the native extension modules of sandbox are not built",
        "Reinstall with a C compiler present: pip install --force-reinstall --no-binary sandbox sandbox.",
    )
    LANDLOCK_MISSING = (
        "landlock_missing",
        "the kernel has no Landlock support (landlock_create_ruleset: ENOSYS)",
        "Use Linux 5.13 or newer built with CONFIG_SECURITY_LANDLOCK=y.",
    )
    LANDLOCK_DISABLED = (
        "landlock_disabled",
        "Landlock is built into the kernel but disabled at boot (EOPNOTSUPP)",
        "Add landlock to the lsm= kernel boot parameter, e.g. lsm=landlock,lockdown,yama,apparmor,bpf.",
    )
    LANDLOCK_ABI_TOO_OLD = (
        "landlock_abi_too_old",
        "the kernel's Landlock ABI lacks a right the policy requires",
        "Upgrade the kernel, or allow best effort for the rights this ABI lacks.",
    )
    SECCOMP_MISSING = (
        "seccomp_missing",
        "the kernel cannot install seccomp filters",
        "Use a kernel built with CONFIG_SECCOMP_FILTER=y, outside a container that forbids seccomp().",
    )
    USERNS_BLOCKED = (
        "userns_blocked",
        "unprivileged user namespaces are blocked on this host",
        "Set kernel.unprivileged_userns_clone=1 and user.max_user_namespaces>0, or allow userns in AppArmor "
        "(kernel.apparmor_restrict_unprivileged_userns=0); Landlock and seccomp still work without them.",
    )
    NOT_ROOT = (
        "not_root",
        "this needs root (effective uid 0)",
        "Run as root, or use a backend that works unprivileged (landlock).",
    )
    BWRAP_MISSING = (
        "bwrap_missing",
        "bubblewrap (bwrap) was not found on PATH",
        "Install it: apt-get install bubblewrap (Debian/Ubuntu) or dnf install bubblewrap (Fedora).",
    )
    BWRAP_UNUSABLE = (
        "bwrap_unusable",
        "bubblewrap is installed but cannot create its namespaces here",
        "bwrap needs user namespaces or a setuid bwrap; see the userns item.",
    )
    DOCKER_SDK_MISSING = (
        "docker_sdk_missing",
        "the docker Python SDK is not installed",
        "Install the extra: pip install 'sandbox[docker]'.",
    )
    RE2_MISSING = (
        "re2_missing",
        "google-re2 is not installed: the inspectors confirm every window with regex, none screened first",
        "Install the extra: pip install 'sandbox[re2]' (the same findings without it, in about twice the time).",
    )
    DOCKER_UNREACHABLE = (
        "docker_unreachable",
        "no Docker daemon answered a ping",
        "Start dockerd, or point DOCKER_HOST at a reachable daemon.",
    )
    AGENT_UNAVAILABLE = (
        "agent_unavailable",
        "the in-container agent cannot be used here",
        "It needs the sbx-agent program built with the package (a C compiler with a static libc) and a "
        "Docker daemon on this machine (unix://); agent=None uses it where it can and one exec per command "
        "elsewhere.",
    )
    GVISOR_MISSING = (
        "gvisor_missing",
        "the Docker daemon lists no runsc runtime",
        'Install gVisor (runsc) and register it in /etc/docker/daemon.json under "runtimes", then restart dockerd.',
    )
    PIDS_LIMIT_UNAVAILABLE = (
        "pids_limit_unavailable",
        "a process limit cannot be enforced for root here: RLIMIT_NPROC never applies to root and no "
        "pids cgroup can be created",
        "Give this process a writable pids cgroup (cgroup v1 pids or v2 with pids delegated), or set "
        "limits.pids=None to run without a process limit.",
    )
    NO_BACKEND = (
        "no_backend",
        "no backend that confines commands works on this host",
        "Run `sandbox doctor` to see what is missing and how to fix it.",
    )
    BACKEND_UNAVAILABLE = (
        "backend_unavailable",
        "the requested backend cannot run on this host",
        "Run `sandbox doctor` to see which backends work here.",
    )
    CODE_PARSER_MISSING = (
        "code_parser_missing",
        "the tree-sitter parser for this language is not installed",
        "Reinstall sandbox (it depends on tree-sitter, tree-sitter-go and tree-sitter-bash): pip install sandbox.",
    )


class SandboxError(Exception):
    """Base of every exception the library raises on purpose."""


class PolicyError(SandboxError, ValueError):
    """A policy or configuration value is invalid; raised before anything runs."""


class UnsupportedError(SandboxError):
    """The host cannot provide what was asked for.

    ``reason`` is the :class:`Reason` member, ``hint`` how to fix it (the reason's hint
    unless a more precise one was given).
    """

    reason: Reason
    hint: str

    def __init__(self, reason: Reason, detail: str | None = None, *, hint: str | None = None) -> None:
        self.reason = reason
        self.hint = hint if hint is not None else reason.hint
        message = reason.message if detail is None else f"{detail}: {reason.message}"
        super().__init__(f"{message} (Hint: {self.hint})")


class ConfinementError(SandboxError, OSError):
    """The kernel refused to apply a restriction, or did not enforce it."""


class LandlockError(ConfinementError):
    """Landlock could not be applied, or the kernel did not enforce the ruleset."""


class SeccompError(ConfinementError):
    """A seccomp filter could not be built or installed."""


class CommandNotFoundError(SandboxError, FileNotFoundError):
    """The program to run does not exist (on PATH, or at the path given)."""


class CommandTimeoutError(SandboxError, TimeoutError):
    """A command or operation ran past its deadline."""


class ProxyError(SandboxError):
    """The egress proxy could not start or serve."""


class ContainerError(SandboxError):
    """A container or image operation failed.

    ``log_tail`` holds the last lines of a failed build's log (empty for other failures).
    """

    log_tail: tuple[str, ...]

    def __init__(self, message: str, *, log_tail: tuple[str, ...] = ()) -> None:
        self.log_tail = tuple(log_tail)
        super().__init__(message)


class SnapshotError(SandboxError):
    """Saved sandbox state is corrupt, hostile or cannot be written."""
