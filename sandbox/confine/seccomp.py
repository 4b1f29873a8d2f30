"""The default seccomp filter: the syscalls a confined command may not make, and why.

The decisions are pure and tested with exact outputs: the syscall numbers per architecture
and the rule table (:func:`default_rules`). Turning rules into classic BPF and installing
the program is native (``sandbox._native._seccomp``, over ``csrc/seccomp.c``).

Every program starts by checking the architecture: a syscall from another ABI (``int 0x80``
on x86_64, an x32 number) kills the process, because our numbers name other calls there.
Refused calls return ``EPERM``, except where ``ENOSYS`` makes a caller fall back to an older
call that the filter can judge (``clone3`` → ``clone``, the new mount API → ``mount``).
"""

from __future__ import annotations

import enum
import errno
import functools
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from sandbox import _native
from sandbox.errors import PolicyError, Reason, UnsupportedError

__all__ = [
    "ALLOW",
    "AUDIT_ARCH",
    "BPF_MAXINSNS",
    "DENY",
    "ENOSYS_ACTION",
    "SECCOMP_RET_ALLOW",
    "SECCOMP_RET_ERRNO",
    "SECCOMP_RET_KILL_PROCESS",
    "SYSCALLS",
    "Cmp",
    "Rule",
    "apply_seccomp",
    "assemble_profile",
    "default_rules",
    "default_seccomp_profile",
    "errno_action",
    "native_arch",
    "sandbox_profile",
    "sandbox_rules",
]

# Return actions, include/uapi/linux/seccomp.h.
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000

#: The longest program the kernel accepts (BPF_MAXINSNS), in 8-byte instructions.
BPF_MAXINSNS = 4096
_INSTRUCTION_SIZE = 8

#: include/uapi/linux/audit.h: what seccomp_data.arch holds for a native syscall.
AUDIT_ARCH: Mapping[str, int] = MappingProxyType({"x86_64": 0xC000003E, "aarch64": 0xC00000B7})


def errno_action(code: int) -> int:
    """The filter action that fails a syscall with ``code``."""
    return SECCOMP_RET_ERRNO | code


ALLOW = SECCOMP_RET_ALLOW
DENY = errno_action(errno.EPERM)
ENOSYS_ACTION = errno_action(errno.ENOSYS)


class Cmp(enum.IntEnum):
    """How a rule looks at an argument (only its low 32 bits, as the kernel does)."""

    ALWAYS = 0  # the syscall number alone decides
    MASKED_EQ = 1  # (low32(arg) & mask) == value
    MASKED_NE = 2  # (low32(arg) & mask) != value


@dataclass(frozen=True, slots=True)
class Rule:
    """When ``syscall`` (number ``nr``) is made and the comparison holds, return ``action``.

    Rules are tried in order and the first that matches wins. Raises PolicyError when a field
    is out of range.
    """

    syscall: str
    nr: int
    action: int
    arg: int = -1
    op: Cmp = Cmp.ALWAYS
    mask: int = 0
    value: int = 0

    def __post_init__(self) -> None:
        in_u32 = all(0 <= v <= 0xFFFFFFFF for v in (self.action, self.mask, self.value))
        arg_ok = self.arg == -1 if self.op is Cmp.ALWAYS else 0 <= self.arg <= 5
        if not (0 <= self.nr <= 0x7FFFFFFF and in_u32 and arg_ok):
            raise PolicyError(f"invalid seccomp rule {self!r}")

    def as_tuple(self) -> tuple[int, int, int, int, int, int]:
        """The ``(nr, action, arg, op, mask, value)`` tuple the native assembler takes."""
        return (self.nr, self.action, self.arg, int(self.op), self.mask, self.value)


# Syscall numbers: arch/x86/entry/syscalls/syscall_64.tbl and the generic table
# (include/uapi/asm-generic/unistd.h) that aarch64 uses. Only the calls the rules name;
# aarch64 has no iopl/ioperm (no I/O port space).
_X86_64 = {
    "open": 2,
    "ioctl": 16,
    "socket": 41,
    "socketpair": 53,
    "clone": 56,
    "ptrace": 101,
    "mkdir": 83,
    "creat": 85,
    "chmod": 90,
    "fchmod": 91,
    "setpgid": 109,
    "setsid": 112,
    "mknod": 133,
    "personality": 135,
    "pivot_root": 155,
    "chroot": 161,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "iopl": 172,
    "ioperm": 173,
    "init_module": 175,
    "delete_module": 176,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "openat": 257,
    "mkdirat": 258,
    "mknodat": 259,
    "fchmodat": 268,
}
_AARCH64 = {
    "ioctl": 29,
    "umount2": 39,
    "mount": 40,
    "pivot_root": 41,
    "chroot": 51,
    "personality": 92,
    "unshare": 97,
    "kexec_load": 104,
    "init_module": 105,
    "delete_module": 106,
    "ptrace": 117,
    "setpgid": 154,
    "setsid": 157,
    "reboot": 142,
    "socket": 198,
    "socketpair": 199,
    "add_key": 217,
    "request_key": 218,
    "keyctl": 219,
    "clone": 220,
    "swapon": 224,
    "swapoff": 225,
    "perf_event_open": 241,
    "open_by_handle_at": 265,
    "setns": 268,
    "process_vm_readv": 270,
    "process_vm_writev": 271,
    "finit_module": 273,
    "bpf": 280,
    "userfaultfd": 282,
    "kexec_file_load": 294,
    "mknodat": 33,
    "mkdirat": 34,
    "fchmod": 52,
    "fchmodat": 53,
    "openat": 56,
}
# Calls added since the tables were unified: the same number on every architecture.
_UNIFIED = {
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "clone3": 435,
    "openat2": 437,
    "mount_setattr": 442,
    "fchmodat2": 452,
    "open_tree_attr": 467,
}

#: Per architecture, syscall name -> number, for the calls the default rules name.
SYSCALLS: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        "x86_64": MappingProxyType(_X86_64 | _UNIFIED),
        "aarch64": MappingProxyType(_AARCH64 | _UNIFIED),
    }
)

# Argument values.
_CLONE_NEW_NAMESPACES = 0x7E020000  # NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
_UNSHARE_NEW_NAMESPACES = _CLONE_NEW_NAMESPACES | 0x80  # and CLONE_NEWTIME (unshare only)
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C
_PER_LINUX = 0x0
_PER_QUERY = 0xFFFFFFFF
_AF_UNIX = 1
_ALL = 0xFFFFFFFF

# The default rule table, by name: (syscall, action, arg, op, mask, value). Order matters:
# the kernel caches "always allowed" per syscall number when no rule reads that call's
# arguments (5.11+), so only the calls inspected by argument run the filter at all. Of
# those, the hottest (ioctl, clone) come first and socket, which --network turns off, last.
_Spec = tuple[str, int, int, Cmp, int, int]
_SPECS: tuple[_Spec, ...] = (
    # TIOCSTI pushes bytes into a terminal's input queue: they run in the user's shell.
    ("ioctl", DENY, 1, Cmp.MASKED_EQ, _ALL, _TIOCSTI),
    # TIOCLINUX pastes the virtual console selection: the same injection on a VT.
    ("ioctl", DENY, 1, Cmp.MASKED_EQ, _ALL, _TIOCLINUX),
    # New namespaces: a user namespace grants a full capability set over kernel attack surface.
    ("clone", DENY, 0, Cmp.MASKED_NE, _CLONE_NEW_NAMESPACES, 0),
    # clone3 keeps its flags in memory seccomp cannot read; ENOSYS makes glibc use clone.
    ("clone3", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    # The same namespaces entered by the running process.
    ("unshare", DENY, 0, Cmp.MASKED_NE, _UNSHARE_NEW_NAMESPACES, 0),
    # Only PER_LINUX and the query: ADDR_NO_RANDOMIZE turns ASLR off, READ_IMPLIES_EXEC
    # makes every readable mapping executable.
    ("personality", ALLOW, 0, Cmp.MASKED_EQ, _ALL, _PER_LINUX),
    ("personality", ALLOW, 0, Cmp.MASKED_EQ, _ALL, _PER_QUERY),
    ("personality", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Mounting over a path changes what that path is; as root, for the whole host.
    ("mount", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Unmounting uncovers what a mount was put there to hide (a tmpfs over secrets).
    ("umount2", DENY, -1, Cmp.ALWAYS, 0, 0),
    # A new root is a way out of a chroot-like view of the filesystem.
    ("pivot_root", DENY, -1, Cmp.ALWAYS, 0, 0),
    # chroot with a held directory fd is the classic escape from a chroot.
    ("chroot", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Joining another process's namespaces (an fd from /proc/<pid>/ns) leaves ours.
    ("setns", DENY, -1, Cmp.ALWAYS, 0, 0),
    # The new mount API does what mount(2) does, from fds; ENOSYS makes tools fall back to
    # mount(2), refused above with a clear EPERM.
    ("fsopen", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    ("fsconfig", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    ("fsmount", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    ("fspick", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    ("move_mount", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    ("open_tree", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    ("open_tree_attr", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    ("mount_setattr", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
    # Reading or steering another process: its secrets, or code run with its privileges.
    ("ptrace", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("process_vm_readv", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("process_vm_writev", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Loading a new kernel: code execution in ring 0.
    ("kexec_load", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("kexec_file_load", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Loading or unloading kernel modules: code execution in ring 0.
    ("init_module", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("finit_module", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("delete_module", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Swap devices: the host's memory written to or read from a file of the attacker's.
    ("swapon", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("swapoff", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Rebooting or halting the host.
    ("reboot", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Raw I/O port access (x86_64 only): the hardware below the kernel.
    ("iopl", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("ioperm", DENY, -1, Cmp.ALWAYS, 0, 0),
    # eBPF: a verifier and JIT with a long history of kernel exploits.
    ("bpf", DENY, -1, Cmp.ALWAYS, 0, 0),
    # perf events: kernel attack surface and a side channel on other processes.
    ("perf_event_open", DENY, -1, Cmp.ALWAYS, 0, 0),
    # userfaultfd stalls kernel copies at will, the standard lever for winning kernel races.
    ("userfaultfd", DENY, -1, Cmp.ALWAYS, 0, 0),
    # The kernel keyring holds credentials (Kerberos, fscrypt, dm-crypt keys) and is shared
    # across a login session.
    ("keyctl", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("add_key", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("request_key", DENY, -1, Cmp.ALWAYS, 0, 0),
    # io_uring issues syscalls from kernel workers that this filter never sees; enter and
    # register also cover a ring inherited across exec.
    ("io_uring_setup", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("io_uring_enter", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("io_uring_register", DENY, -1, Cmp.ALWAYS, 0, 0),
    # Opening a file by handle skips path lookup, and so every directory permission and
    # Landlock rule on the way (the "shocker" container escape).
    ("open_by_handle_at", DENY, -1, Cmp.ALWAYS, 0, 0),
)

# With the network off, only local (AF_UNIX) sockets: every other family reaches beyond the
# sandbox (inet, netlink to the host's routing and firewall, packet, vsock, ...).
_NO_NETWORK_SPECS: tuple[_Spec, ...] = (
    ("socket", DENY, 0, Cmp.MASKED_NE, _ALL, _AF_UNIX),
    ("socketpair", DENY, 0, Cmp.MASKED_NE, _ALL, _AF_UNIX),
)


def _table(arch: str) -> Mapping[str, int]:
    table = SYSCALLS.get(arch)
    if table is None:
        raise UnsupportedError(Reason.SECCOMP_MISSING, f"architecture {arch!r} is not supported")
    return table


def default_rules(*, allow_network: bool, arch: str) -> tuple[Rule, ...]:
    """The default deny rules for ``arch`` (``"x86_64"`` or ``"aarch64"``), in filter order.

    A call the architecture does not have (iopl on aarch64) is left out.
    Raises UnsupportedError (``Reason.SECCOMP_MISSING``) for any other architecture.
    """
    table = _table(arch)
    specs = _SPECS if allow_network else _SPECS + _NO_NETWORK_SPECS
    return tuple(
        Rule(name, table[name], action, arg, op, mask, value)
        for name, action, arg, op, mask, value in specs
        if name in table
    )


def native_arch() -> str:
    """The architecture of this process, as :data:`SYSCALLS` names it.

    Raises UnsupportedError (``Reason.SECCOMP_MISSING``) on anything but a 64-bit x86_64
    or aarch64 process.
    """
    machine = platform.machine()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(machine.lower())
    # A 32-bit interpreter on a 64-bit kernel sees the kernel's machine name, but its calls
    # arrive under the 32-bit ABI, which the architecture check would kill.
    if arch is None or sys.maxsize <= 2**32:
        bits = "" if sys.maxsize > 2**32 else " (32-bit process)"
        raise UnsupportedError(Reason.SECCOMP_MISSING, f"architecture {machine!r}{bits} is not supported")
    return arch


def assemble_profile(rules: Sequence[Rule], *, arch: str, default_action: int = ALLOW) -> bytes:
    """The BPF program for ``rules`` on ``arch``: architecture check, x32 guard, rules, default.

    Raises UnsupportedError (the native module is missing, or the architecture is not
    supported) and SeccompError (the rules do not assemble, or exceed 4096 instructions).
    """
    audit_arch = AUDIT_ARCH.get(arch)
    if audit_arch is None:
        raise UnsupportedError(Reason.SECCOMP_MISSING, f"architecture {arch!r} is not supported")
    native = _native.load("_seccomp")
    program: bytes = native.assemble(audit_arch, arch == "x86_64", default_action, [r.as_tuple() for r in rules])
    return program


def default_seccomp_profile(*, allow_network: bool = False) -> bytes:
    """The default filter for this machine as raw ``sock_filter`` entries (8 bytes each,
    native byte order): architecture check first, then the deny rules, then allow.

    Raises UnsupportedError (``Reason.SECCOMP_MISSING`` for an unsupported architecture,
    ``Reason.NATIVE_MISSING`` when the native module is not built) and SeccompError.
    """
    arch = native_arch()
    return assemble_profile(default_rules(allow_network=allow_network, arch=arch), arch=arch)


# What the runner adds for the commands it launches: the launcher puts each command in a
# process group of its own and kills that group at exit or timeout; leaving the group
# (a new session or group) is how a background process would outlive the sandbox.
_PROCESS_GROUP_SPECS: tuple[_Spec, ...] = (
    ("setsid", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("setpgid", DENY, -1, Cmp.ALWAYS, 0, 0),
)


# Through the egress proxy (a network namespace whose only way out is the bridge to the
# proxy): local sockets of any type, and TCP streams over IPv4 and IPv6 to reach the bridge on
# loopback; UDP, ICMP, raw, packet and every other family refused outright. First match wins.
_AF_INET, _AF_INET6, _SOCK_STREAM, _SOCK_TYPE = 2, 10, 1, 0xF
_PROXY_NETWORK_SPECS: tuple[_Spec, ...] = (
    ("socket", ALLOW, 0, Cmp.MASKED_EQ, _ALL, _AF_UNIX),
    ("socket", DENY, 1, Cmp.MASKED_NE, _SOCK_TYPE, _SOCK_STREAM),
    ("socket", ALLOW, 0, Cmp.MASKED_EQ, _ALL, _AF_INET),
    ("socket", ALLOW, 0, Cmp.MASKED_EQ, _ALL, _AF_INET6),
    ("socket", DENY, -1, Cmp.ALWAYS, 0, 0),
    ("socketpair", DENY, 0, Cmp.MASKED_NE, _ALL, _AF_UNIX),
)

# Without a mount namespace to cover host daemons' sockets (/run/docker.sock, an ssh or gpg
# agent), a pathname socket is reachable whatever Landlock allows on this ABI; then only
# socketpair() gives local sockets.
_NO_UNIX_SOCKET_SPECS: tuple[_Spec, ...] = (("socket", DENY, 0, Cmp.MASKED_EQ, _ALL, _AF_UNIX),)


_SETID = 0o6000
_SETUID = 0o4000
# A setuid or setgid file made inside the sandbox outlives it: whoever runs it later, outside,
# runs it with the owner's privileges (root's, when the agent runs as root). Landlock does not
# mediate mode changes, so the mode arguments are checked here; openat is first because it is
# the most frequent call a program makes. A setgid directory only passes its group on, so
# mkdir refuses only the setuid bit.
_SETID_MODE_SPECS: tuple[_Spec, ...] = (
    ("openat", DENY, 3, Cmp.MASKED_NE, _SETID, 0),
    # Grouped by the argument that holds the mode: neighbours with one check share its block.
    ("open", DENY, 2, Cmp.MASKED_NE, _SETID, 0),
    ("fchmodat", DENY, 2, Cmp.MASKED_NE, _SETID, 0),
    ("fchmodat2", DENY, 2, Cmp.MASKED_NE, _SETID, 0),
    ("mknodat", DENY, 2, Cmp.MASKED_NE, _SETID, 0),
    ("creat", DENY, 1, Cmp.MASKED_NE, _SETID, 0),
    ("chmod", DENY, 1, Cmp.MASKED_NE, _SETID, 0),
    ("fchmod", DENY, 1, Cmp.MASKED_NE, _SETID, 0),
    ("mknod", DENY, 1, Cmp.MASKED_NE, _SETID, 0),
    ("mkdir", DENY, 1, Cmp.MASKED_NE, _SETUID, 0),
    ("mkdirat", DENY, 2, Cmp.MASKED_NE, _SETUID, 0),
    # openat2 keeps its mode in a struct seccomp cannot read; ENOSYS makes callers use openat.
    ("openat2", ENOSYS_ACTION, -1, Cmp.ALWAYS, 0, 0),
)


def sandbox_rules(
    *, allow_network: bool, unix_sockets: bool, arch: str, process_group: bool = True, proxied: bool = False
) -> tuple[Rule, ...]:
    """The rules the runner installs in a launched command: no setuid or setgid modes,
    :func:`default_rules`, the process-group rules (no setsid, no setpgid; left out with
    ``process_group=False``, for a zygote that stacks them on each command after its setsid),
    and, unless ``unix_sockets``, no socket() of family AF_UNIX. Raises as :func:`default_rules`."""
    table = _table(arch)

    def rules(specs: tuple[_Spec, ...]) -> tuple[Rule, ...]:
        return _rules(specs, table)

    extra = (_PROCESS_GROUP_SPECS if process_group else ()) + (() if unix_sockets else _NO_UNIX_SOCKET_SPECS)
    if proxied:
        if not unix_sockets:
            raise PolicyError("the proxied network needs a network namespace, which gives unix sockets too")
        # The proxy's socket rules replace the no-network ones (default_rules with the network
        # on has no socket rules of its own).
        extra += _PROXY_NETWORK_SPECS
        allow_network = True
    return rules(_SETID_MODE_SPECS) + default_rules(allow_network=allow_network, arch=arch) + rules(extra)


@functools.lru_cache(maxsize=8)
def sandbox_profile(
    *, allow_network: bool, unix_sockets: bool = True, process_group: bool = True, proxied: bool = False
) -> bytes:
    """The filter the runner installs in each confined child (:func:`sandbox_rules`),
    assembled once per process and setting.

    Raises what :func:`default_seccomp_profile` raises.
    """
    arch = native_arch()
    rules = sandbox_rules(
        allow_network=allow_network, unix_sockets=unix_sockets, arch=arch, process_group=process_group,
        proxied=proxied,
    )
    return assemble_profile(rules, arch=arch)


@functools.lru_cache(maxsize=1)
def process_group_profile() -> bytes:
    """Only the process-group rules (no setsid, no setpgid): what a zygote's command stacks on
    the zygote's filter (``sandbox_profile(process_group=False)``) once it has its session.

    Raises what :func:`default_seccomp_profile` raises.
    """
    arch = native_arch()
    return assemble_profile(_rules(_PROCESS_GROUP_SPECS, _table(arch)), arch=arch)


def _rules(specs: tuple[_Spec, ...], table: Mapping[str, int]) -> tuple[Rule, ...]:
    """``specs`` as rules for the architecture of ``table``, leaving out syscalls it lacks."""
    return tuple(
        Rule(name, table[name], action, arg, op, mask, value)
        for name, action, arg, op, mask, value in specs
        if name in table
    )


def _check_profile(profile: object) -> bytes:
    if not isinstance(profile, bytes):
        raise PolicyError(f"a seccomp profile is bytes, not {type(profile).__name__}")
    size = len(profile)
    if size == 0 or size % _INSTRUCTION_SIZE or size // _INSTRUCTION_SIZE > BPF_MAXINSNS:
        raise PolicyError(
            f"a seccomp profile is 1 to {BPF_MAXINSNS} whole {_INSTRUCTION_SIZE}-byte instructions, not {size} bytes"
        )
    return profile


def apply_seccomp(profile: bytes | None = None) -> None:
    """Set no_new_privs and install ``profile`` (default: :func:`default_seccomp_profile`)
    on every thread of the calling process. Irreversible: call it in a child.

    Raises PolicyError (``profile`` is not 1 to 4096 whole 8-byte instructions),
    UnsupportedError (no native module, unsupported architecture) and SeccompError (the
    kernel refused the filter, or a thread could not be synchronised).
    """
    program = default_seccomp_profile() if profile is None else _check_profile(profile)
    _native.load("_seccomp").install(program)
