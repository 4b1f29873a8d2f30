"""The seccomp policy as data: the rule table per architecture, exactly, and profile checks.

Nothing here assembles or installs a filter; the native module is replaced by a fake that
fails the test if anything reaches it.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sandbox import _native
from sandbox.confine import seccomp
from sandbox.confine.seccomp import (
    ALLOW,
    DENY,
    ENOSYS_ACTION,
    Cmp,
    Rule,
    apply_seccomp,
    default_rules,
    native_arch,
)
from sandbox.errors import PolicyError, Reason, UnsupportedError

A, EQ, NE = Cmp.ALWAYS, Cmp.MASKED_EQ, Cmp.MASKED_NE
ALL = 0xFFFFFFFF

# (syscall, x86_64 nr, aarch64 nr, action, arg, op, mask, value); None: the arch lacks it.
TABLE = [
    ("ioctl", 16, 29, DENY, 1, EQ, ALL, 0x5412),
    ("ioctl", 16, 29, DENY, 1, EQ, ALL, 0x541C),
    ("clone", 56, 220, DENY, 0, NE, 0x7E020000, 0),
    ("clone3", 435, 435, ENOSYS_ACTION, -1, A, 0, 0),
    ("unshare", 272, 97, DENY, 0, NE, 0x7E020080, 0),
    ("personality", 135, 92, ALLOW, 0, EQ, ALL, 0),
    ("personality", 135, 92, ALLOW, 0, EQ, ALL, 0xFFFFFFFF),
    ("personality", 135, 92, DENY, -1, A, 0, 0),
    ("mount", 165, 40, DENY, -1, A, 0, 0),
    ("umount2", 166, 39, DENY, -1, A, 0, 0),
    ("pivot_root", 155, 41, DENY, -1, A, 0, 0),
    ("chroot", 161, 51, DENY, -1, A, 0, 0),
    ("setns", 308, 268, DENY, -1, A, 0, 0),
    ("fsopen", 430, 430, ENOSYS_ACTION, -1, A, 0, 0),
    ("fsconfig", 431, 431, ENOSYS_ACTION, -1, A, 0, 0),
    ("fsmount", 432, 432, ENOSYS_ACTION, -1, A, 0, 0),
    ("fspick", 433, 433, ENOSYS_ACTION, -1, A, 0, 0),
    ("move_mount", 429, 429, ENOSYS_ACTION, -1, A, 0, 0),
    ("open_tree", 428, 428, ENOSYS_ACTION, -1, A, 0, 0),
    ("open_tree_attr", 467, 467, ENOSYS_ACTION, -1, A, 0, 0),
    ("mount_setattr", 442, 442, ENOSYS_ACTION, -1, A, 0, 0),
    ("ptrace", 101, 117, DENY, -1, A, 0, 0),
    ("process_vm_readv", 310, 270, DENY, -1, A, 0, 0),
    ("process_vm_writev", 311, 271, DENY, -1, A, 0, 0),
    ("kexec_load", 246, 104, DENY, -1, A, 0, 0),
    ("kexec_file_load", 320, 294, DENY, -1, A, 0, 0),
    ("init_module", 175, 105, DENY, -1, A, 0, 0),
    ("finit_module", 313, 273, DENY, -1, A, 0, 0),
    ("delete_module", 176, 106, DENY, -1, A, 0, 0),
    ("swapon", 167, 224, DENY, -1, A, 0, 0),
    ("swapoff", 168, 225, DENY, -1, A, 0, 0),
    ("reboot", 169, 142, DENY, -1, A, 0, 0),
    ("iopl", 172, None, DENY, -1, A, 0, 0),
    ("ioperm", 173, None, DENY, -1, A, 0, 0),
    ("bpf", 321, 280, DENY, -1, A, 0, 0),
    ("perf_event_open", 298, 241, DENY, -1, A, 0, 0),
    ("userfaultfd", 323, 282, DENY, -1, A, 0, 0),
    ("keyctl", 250, 219, DENY, -1, A, 0, 0),
    ("add_key", 248, 217, DENY, -1, A, 0, 0),
    ("request_key", 249, 218, DENY, -1, A, 0, 0),
    ("io_uring_setup", 425, 425, DENY, -1, A, 0, 0),
    ("io_uring_enter", 426, 426, DENY, -1, A, 0, 0),
    ("io_uring_register", 427, 427, DENY, -1, A, 0, 0),
    ("open_by_handle_at", 304, 265, DENY, -1, A, 0, 0),
]
NO_NETWORK = [
    ("socket", 41, 198, DENY, 0, NE, ALL, 1),
    ("socketpair", 53, 199, DENY, 0, NE, ALL, 1),
]


def expected(arch: str, rows: list[tuple[str, int, int | None, int, int, Cmp, int, int]]) -> tuple[Rule, ...]:
    column = 1 if arch == "x86_64" else 2
    out = []
    for row in rows:
        nr = row[column]
        if nr is not None:
            name, _, _, action, arg, op, mask, value = row
            out.append(Rule(name, nr, action, arg, op, mask, value))
    return tuple(out)


@pytest.fixture(autouse=True)
def no_native(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in this file may reach the kernel: the pytest process must stay unconfined."""

    def refuse(*args: object) -> None:
        raise AssertionError(f"a unit test reached the native seccomp module with {args!r}")

    fake = SimpleNamespace(assemble=refuse, install=refuse, query_available=refuse)
    monkeypatch.setattr(_native, "load", lambda name: fake)


def test_actions_are_the_kernel_encodings() -> None:
    assert (DENY, ENOSYS_ACTION, ALLOW) == (0x00050001, 0x00050026, 0x7FFF0000)
    assert seccomp.SECCOMP_RET_KILL_PROCESS == 0x80000000
    assert dict(seccomp.AUDIT_ARCH) == {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}


def test_x86_64_rules_without_network_are_exactly_the_table() -> None:
    assert default_rules(allow_network=False, arch="x86_64") == expected("x86_64", TABLE + NO_NETWORK)


def test_x86_64_rules_with_network_leave_sockets_alone() -> None:
    assert default_rules(allow_network=True, arch="x86_64") == expected("x86_64", TABLE)


def test_aarch64_rules_without_network_are_exactly_the_table() -> None:
    assert default_rules(allow_network=False, arch="aarch64") == expected("aarch64", TABLE + NO_NETWORK)


def test_aarch64_rules_with_network_leave_sockets_alone() -> None:
    assert default_rules(allow_network=True, arch="aarch64") == expected("aarch64", TABLE)


def test_aarch64_has_no_io_port_rules() -> None:
    names = {rule.syscall for rule in default_rules(allow_network=False, arch="aarch64")}
    assert {"iopl", "ioperm"}.isdisjoint(names)
    assert len(default_rules(allow_network=False, arch="aarch64")) == len(TABLE) + len(NO_NETWORK) - 2


def test_aarch64_numbers_differ_from_x86_64_outside_the_unified_range() -> None:
    x86 = {r.syscall: r.nr for r in default_rules(allow_network=False, arch="x86_64")}
    arm = {r.syscall: r.nr for r in default_rules(allow_network=False, arch="aarch64")}
    assert {name for name in arm if arm[name] == x86[name]} == {
        "clone3", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "open_tree_attr",
        "mount_setattr", "io_uring_setup", "io_uring_enter", "io_uring_register",
    }  # fmt: skip


def test_tiocsti_rule_compares_the_whole_low_word_of_the_command() -> None:
    rule = default_rules(allow_network=True, arch="x86_64")[0]
    assert rule.as_tuple() == (16, 0x00050001, 1, 1, 0xFFFFFFFF, 0x5412)


def test_personality_allows_linux_and_the_query_before_denying_the_rest() -> None:
    rules = [r for r in default_rules(allow_network=True, arch="x86_64") if r.syscall == "personality"]
    assert [(r.action, r.op, r.value) for r in rules] == [(ALLOW, EQ, 0), (ALLOW, EQ, 0xFFFFFFFF), (DENY, A, 0)]


def test_ioctl_and_clone_come_first_and_sockets_last() -> None:
    names = [r.syscall for r in default_rules(allow_network=False, arch="x86_64")]
    assert names[:3] == ["ioctl", "ioctl", "clone"]
    assert names[-2:] == ["socket", "socketpair"]


def test_unknown_architecture_is_unsupported() -> None:
    with pytest.raises(UnsupportedError) as raised:
        default_rules(allow_network=False, arch="riscv64")
    assert raised.value.reason is Reason.SECCOMP_MISSING


@pytest.mark.parametrize(("machine", "arch"), [("x86_64", "x86_64"), ("AMD64", "x86_64"), ("aarch64", "aarch64"),
                                               ("arm64", "aarch64")])  # fmt: skip
def test_native_arch_names_the_64_bit_machines(monkeypatch: pytest.MonkeyPatch, machine: str, arch: str) -> None:
    monkeypatch.setattr(seccomp.platform, "machine", lambda: machine)
    assert native_arch() == arch


@pytest.mark.parametrize("machine", ["riscv64", "ppc64le", "s390x", "i686", "armv7l", ""])
def test_native_arch_refuses_other_machines(monkeypatch: pytest.MonkeyPatch, machine: str) -> None:
    monkeypatch.setattr(seccomp.platform, "machine", lambda: machine)
    with pytest.raises(UnsupportedError) as raised:
        native_arch()
    assert raised.value.reason is Reason.SECCOMP_MISSING


def test_native_arch_refuses_a_32_bit_process_on_a_64_bit_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seccomp.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(seccomp.sys, "maxsize", 2**31 - 1)
    with pytest.raises(UnsupportedError) as raised:
        native_arch()
    assert raised.value.reason is Reason.SECCOMP_MISSING


def test_default_profile_on_an_unsupported_machine_raises_before_native_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seccomp.platform, "machine", lambda: "mips64")
    with pytest.raises(UnsupportedError):
        seccomp.default_seccomp_profile()


@pytest.mark.parametrize(
    "fields",
    [
        {"nr": -1},
        {"nr": 2**31},
        {"action": -1},
        {"action": 2**32},
        {"op": Cmp.MASKED_EQ, "arg": -1},
        {"op": Cmp.MASKED_EQ, "arg": 6},
        {"op": Cmp.ALWAYS, "arg": 0},
        {"op": Cmp.MASKED_NE, "arg": 0, "mask": 2**32},
        {"op": Cmp.MASKED_NE, "arg": 0, "value": -1},
    ],
)
def test_rule_out_of_range_is_a_policy_error(fields: dict[str, int]) -> None:
    values: dict[str, object] = {"syscall": "x", "nr": 1, "action": DENY, **fields}
    with pytest.raises(PolicyError):
        Rule(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "profile",
    [b"", b"\x06\x00\x00\x00\x00\x00\xff", b"\x00" * 12, b"\x00" * 8 * 4097, bytearray(8), "program", 8],
    ids=["empty", "seven-bytes", "not-whole", "too-long", "bytearray", "str", "int"],
)
def test_apply_seccomp_rejects_a_malformed_profile(profile: object) -> None:
    with pytest.raises(PolicyError):
        apply_seccomp(profile)  # type: ignore[arg-type]


def test_apply_seccomp_hands_a_valid_profile_to_the_installer(monkeypatch: pytest.MonkeyPatch) -> None:
    installed: list[bytes] = []
    fake = SimpleNamespace(install=installed.append)
    monkeypatch.setattr(_native, "load", lambda name: fake)
    program = b"\x06\x00\x00\x00\x00\x00\xff\x7f" * 4096  # the longest allowed
    apply_seccomp(program)
    assert installed == [program]


def test_proxied_rules_allow_tcp_streams_and_local_sockets_only() -> None:
    from sandbox.confine.seccomp import ALLOW, DENY, sandbox_rules

    rules = sandbox_rules(allow_network=False, unix_sockets=True, arch="x86_64", proxied=True)
    socket_rules = [(r.action, r.arg, r.op, r.mask, r.value) for r in rules if r.syscall == "socket"]
    assert socket_rules == [
        (ALLOW, 0, Cmp.MASKED_EQ, 0xFFFFFFFF, 1),  # AF_UNIX, any type
        (DENY, 1, Cmp.MASKED_NE, 0xF, 1),  # anything but SOCK_STREAM: UDP, ICMP, raw
        (ALLOW, 0, Cmp.MASKED_EQ, 0xFFFFFFFF, 2),  # AF_INET
        (ALLOW, 0, Cmp.MASKED_EQ, 0xFFFFFFFF, 10),  # AF_INET6
        (DENY, -1, Cmp.ALWAYS, 0, 0),  # every other family
    ]
    with pytest.raises(PolicyError):
        sandbox_rules(allow_network=False, unix_sockets=False, arch="x86_64", proxied=True)
