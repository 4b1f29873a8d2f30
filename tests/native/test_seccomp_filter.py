"""The default seccomp filter, assembled and installed: what it refuses and what it lets by.

The pytest process is never confined. Every enforcement test runs the attack twice in a
child: unconfined, to see the call reach the kernel (any answer but the filter's), then
after ``apply_seccomp()``, to see the filter refuse it. Children run with ``cwd`` outside
the checkout so that ``import sandbox`` finds the installed package.
"""

from __future__ import annotations

import errno
import os
import platform
import signal
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox import _native
from sandbox.confine.seccomp import (
    ALLOW,
    AUDIT_ARCH,
    DENY,
    ENOSYS_ACTION,
    SECCOMP_RET_KILL_PROCESS,
    SYSCALLS,
    Cmp,
    default_rules,
    default_seccomp_profile,
    native_arch,
    process_group_profile,
    sandbox_profile,
)
from sandbox.errors import SeccompError

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.seccomp]

X86_64 = platform.machine() == "x86_64"
only_x86_64 = pytest.mark.skipif(not X86_64, reason="an x86_64 ABI detail")

# Classic BPF opcodes (include/uapi/linux/bpf_common.h).
LD_W_ABS = 0x20
JEQ_K = 0x15
JGE_K = 0x35
JSET_K = 0x45
JA = 0x05
AND_K = 0x54
RET_K = 0x06


def decode(program: bytes) -> list[tuple[int, int, int, int]]:
    return list(struct.iter_unpack("=HBBI", program))


def run_filter(program: bytes, nr: int, *args: int, arch: int | None = None) -> int:
    """What the kernel would answer: a classic BPF interpreter for the opcodes we emit."""
    words = [*args, *[0] * (6 - len(args))]
    data = struct.pack("=iIQ6Q", nr, AUDIT_ARCH[native_arch()] if arch is None else arch, 0, *words)
    insns = decode(program)
    pc, acc = 0, 0
    for _ in range(len(insns)):
        code, jt, jf, k = insns[pc]
        if code == LD_W_ABS:
            (acc,) = struct.unpack_from("=I", data, k)
            pc += 1
        elif code == AND_K:
            acc &= k
            pc += 1
        elif code == JEQ_K:
            pc += 1 + (jt if acc == k else jf)
        elif code == JGE_K:
            pc += 1 + (jt if acc >= k else jf)
        elif code == JA:
            pc += 1 + k
        elif code == JSET_K:
            pc += 1 + (jt if acc & k else jf)
        elif code == RET_K:
            return k
        else:
            raise AssertionError(f"unexpected opcode {code:#x} at {pc}")
    raise AssertionError("the program ran off its end")


def nr(name: str) -> int:
    return next(r.nr for r in default_rules(allow_network=False, arch=native_arch()) if r.syscall == name)


# ---------------------------------------------------------------------------------------
# The program, decoded


def test_program_starts_with_the_architecture_check() -> None:
    insns = decode(default_seccomp_profile())
    assert insns[:4] == [
        (LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (JEQ_K, 1, 0, AUDIT_ARCH[native_arch()]),
        (RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
        (LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
    ]


@only_x86_64
def test_program_kills_x32_syscall_numbers_before_any_rule() -> None:
    assert decode(default_seccomp_profile())[4:6] == [
        (JSET_K, 0, 1, 0x40000000),
        (RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
    ]


def test_program_ends_by_allowing() -> None:
    assert decode(default_seccomp_profile())[-1] == (RET_K, 0, 0, ALLOW)


def test_default_profile_is_deterministic() -> None:
    assert default_seccomp_profile() == default_seccomp_profile()
    assert default_seccomp_profile(allow_network=True) == default_seccomp_profile(allow_network=True)
    assert default_seccomp_profile(allow_network=True) != default_seccomp_profile()


def test_argument_rules_compare_only_the_low_word() -> None:
    # The ioctl body: low word of args[1] (no AND: the mask is all ones) against TIOCSTI,
    # then TIOCLINUX, then the default.
    insns = decode(default_seccomp_profile())
    start = next(i for i, insn in enumerate(insns) if insn[0] == JEQ_K and insn[3] == nr("ioctl"))
    assert insns[start + 1 : start + 8] == [
        (LD_W_ABS, 0, 0, 16 + 8 * 1),
        (JEQ_K, 0, 1, 0x5412),
        (RET_K, 0, 0, DENY),
        (LD_W_ABS, 0, 0, 16 + 8 * 1),
        (JEQ_K, 0, 1, 0x541C),
        (RET_K, 0, 0, DENY),
        (RET_K, 0, 0, ALLOW),
    ]


def test_every_number_takes_a_short_path() -> None:
    # The kernel runs the filter once per syscall number at install; a search tree keeps
    # that (and every call) to a short path whatever the number of rules.
    program = decode(default_seccomp_profile())
    longest = 0
    for number in range(0, 470):
        pc, steps, acc = 6 if X86_64 else 4, 0, number
        while program[pc][0] != RET_K and program[pc][0] != LD_W_ABS:
            code, jt, jf, k = program[pc]
            taken = acc == k if code == JEQ_K else acc >= k if code == JGE_K else True
            pc += 1 + (k if code == JA else jt if taken else jf)
            steps += 1
        longest = max(longest, steps)
    assert longest <= 12


# ---------------------------------------------------------------------------------------
# The program, evaluated


def test_every_always_rule_returns_its_action() -> None:
    program = default_seccomp_profile()
    for rule in default_rules(allow_network=False, arch=native_arch()):
        if rule.op is Cmp.ALWAYS and rule.syscall != "personality":
            assert run_filter(program, rule.nr) == rule.action, rule.syscall


def test_high_bits_do_not_dodge_the_argument_rules() -> None:
    program = default_seccomp_profile()
    high = 1 << 32
    assert run_filter(program, nr("ioctl"), 0, high | 0x5412) == DENY
    assert run_filter(program, nr("ioctl"), 0, high | 0x541C) == DENY
    assert run_filter(program, nr("clone"), high | 0x10000000 | signal.SIGCHLD) == DENY
    assert run_filter(program, nr("unshare"), high | 0x00000080) == DENY  # CLONE_NEWTIME
    assert run_filter(program, nr("socket"), high | 2, 1) == DENY
    assert run_filter(program, nr("personality"), high | 0x0040000) == DENY


def test_harmless_arguments_pass_the_argument_rules() -> None:
    program = default_seccomp_profile()
    assert run_filter(program, nr("ioctl"), 1, 0x5413) == ALLOW  # TIOCGWINSZ
    assert run_filter(program, nr("clone"), 0x003D0F00) == ALLOW  # pthread_create's flags
    assert run_filter(program, nr("unshare"), 0x00000600) == ALLOW  # CLONE_FILES|CLONE_FS
    assert run_filter(program, nr("socket"), 1, 1) == ALLOW  # AF_UNIX
    assert run_filter(program, nr("socketpair"), 1, 1) == ALLOW
    assert run_filter(program, nr("personality"), 0) == ALLOW
    assert run_filter(program, nr("personality"), 0xFFFFFFFF) == ALLOW
    assert run_filter(program, nr("personality"), 1 << 32) == ALLOW  # the kernel sees PER_LINUX


def test_clone3_and_the_new_mount_api_answer_enosys() -> None:
    program = default_seccomp_profile()
    for name in ("clone3", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr"):
        assert run_filter(program, nr(name)) == ENOSYS_ACTION, name


def test_network_on_leaves_inet_sockets_alone() -> None:
    assert run_filter(default_seccomp_profile(allow_network=True), nr("socket"), 2, 1) == ALLOW
    assert run_filter(default_seccomp_profile(), nr("socket"), 2, 1) == DENY


def test_foreign_architecture_is_killed() -> None:
    i386 = 0x40000003
    assert run_filter(default_seccomp_profile(), 20, arch=i386) == SECCOMP_RET_KILL_PROCESS


@only_x86_64
def test_x32_numbers_are_killed() -> None:
    assert run_filter(default_seccomp_profile(), 0x40000000 | 39) == SECCOMP_RET_KILL_PROCESS


def test_unlisted_syscalls_are_allowed() -> None:
    program = default_seccomp_profile()
    for number in range(0, 470):
        if number not in {r.nr for r in default_rules(allow_network=False, arch=native_arch())}:
            assert run_filter(program, number) == ALLOW, number


def test_the_zygote_and_its_commands_split_the_process_group_rules_between_them() -> None:
    # A zygote's filter lets it give each command a session; the filter each command stacks
    # then refuses leaving it. Together they refuse what the direct path's filter refuses.
    table = SYSCALLS[native_arch()]
    direct = sandbox_profile(allow_network=False)
    zygote = sandbox_profile(allow_network=False, process_group=False)
    command = process_group_profile()
    for name in ("setsid", "setpgid"):
        assert run_filter(direct, table[name]) == DENY
        assert run_filter(zygote, table[name]) == ALLOW
        assert run_filter(command, table[name]) == DENY
    for name in ("mount", "ptrace", "bpf"):
        assert run_filter(zygote, table[name]) == run_filter(direct, table[name]) == DENY
        assert run_filter(command, table[name]) == ALLOW  # left to the zygote's, which stays
    for name in ("openat", "clone"):
        assert run_filter(zygote, table[name]) == run_filter(command, table[name]) == ALLOW
    assert run_filter(command, table["openat"], arch=0x1234) == SECCOMP_RET_KILL_PROCESS


# ---------------------------------------------------------------------------------------
# The assembler's refusals


def test_assembler_refuses_an_unknown_architecture() -> None:
    with pytest.raises(SeccompError) as raised:
        _native.load("_seccomp").assemble(0x40000003, False, ALLOW, [])
    assert raised.value.errno == errno.EINVAL


def test_assembler_refuses_the_x32_guard_on_aarch64() -> None:
    with pytest.raises(SeccompError) as raised:
        _native.load("_seccomp").assemble(AUDIT_ARCH["aarch64"], True, ALLOW, [])
    assert raised.value.errno == errno.EINVAL


@pytest.mark.parametrize(
    "rule",
    [
        (1, DENY, 6, 1, 0xFF, 1),  # no args[6]
        (1, DENY, 0, 3, 0xFF, 1),  # no such comparison
        (-1, DENY, -1, 0, 0, 0),  # no such syscall
        (1, 0x7FC00000, -1, 0, 0, 0),  # USER_NOTIF without a listener
        (1, 0x00050000 | 5000, -1, 0, 0, 0),  # errno above MAX_ERRNO
        (1, DENY, -1, 0),  # not six fields
        (1, DENY, -1, 0, 0, 2**32),  # value beyond 32 bits
    ],
)
def test_assembler_refuses_an_invalid_rule(rule: tuple[int, ...]) -> None:
    with pytest.raises(SeccompError) as raised:
        _native.load("_seccomp").assemble(AUDIT_ARCH["x86_64"], True, ALLOW, [rule])
    assert raised.value.errno == errno.EINVAL


def test_assembler_refuses_a_program_past_4096_instructions() -> None:
    module = _native.load("_seccomp")
    # One number with argument rules (4 instructions each): header 6, compare and long jump 2,
    # the rules, the number's default and the tree's default.
    fits = [(1, DENY, 0, 1, 0xF, i & 0xF) for i in range((4096 - 10) // 4)]
    assert len(module.assemble(AUDIT_ARCH["x86_64"], True, ALLOW, fits)) == 8 * (10 + 4 * len(fits))
    with pytest.raises(SeccompError) as raised:
        module.assemble(AUDIT_ARCH["x86_64"], True, ALLOW, [*fits, (1, DENY, 0, 1, 0xF, 0)])
    assert raised.value.errno == errno.E2BIG


def test_rules_of_one_number_keep_their_order_wherever_they_were_given() -> None:
    module = _native.load("_seccomp")
    rules = [(20, ALLOW, 0, 1, 0xFFFFFFFF, 7), (10, DENY, -1, 0, 0, 0), (20, DENY, -1, 0, 0, 0)]
    program = module.assemble(AUDIT_ARCH["x86_64"], True, ALLOW, rules)
    assert run_filter(program, 20, 7) == ALLOW
    assert run_filter(program, 20, 8) == DENY
    assert run_filter(program, 10) == DENY
    assert run_filter(program, 11) == ALLOW


def test_aarch64_program_has_no_x32_guard() -> None:
    program = _native.load("_seccomp").assemble(AUDIT_ARCH["aarch64"], False, ALLOW, [])
    assert decode(program) == [
        (LD_W_ABS, 0, 0, 4),
        (JEQ_K, 1, 0, AUDIT_ARCH["aarch64"]),
        (RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
        (LD_W_ABS, 0, 0, 0),
        (RET_K, 0, 0, ALLOW),
    ]


# ---------------------------------------------------------------------------------------
# Children: unconfined, then confined

# Confine this interpreter (all threads), then become the command. Core dumps are off: a
# SIGSYS kill must not leave a core file behind.
CONFINED = textwrap.dedent(
    """\
    import os, resource, sys
    from sandbox.confine.seccomp import apply_seccomp, default_seccomp_profile
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    apply_seccomp(default_seccomp_profile(allow_network=sys.argv[1] == "network"))
    os.execv(sys.argv[2], sys.argv[2:])
    """
)


@dataclass(frozen=True)
class Outcome:
    returncode: int
    line: str


def attempt(
    helper: Path, cwd: Path, *args: str, confined: bool, network: bool = False, pass_fds: tuple[int, ...] = ()
) -> Outcome:
    argv = [str(helper), *args]
    if confined:
        argv = [sys.executable, "-c", CONFINED, "network" if network else "no-network", *argv]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60, pass_fds=pass_fds, check=False)
    assert done.returncode != 2, f"{argv}: bad usage: {done.stderr}"
    return Outcome(done.returncode, done.stdout.strip())


def refused(code: int) -> str:
    return f"errno {code} {errno.errorcode[code]}"


def io_uring_disabled() -> bool:
    try:
        return Path("/proc/sys/kernel/io_uring_disabled").read_text().strip() != "0"
    except OSError:
        return False


ROOT = pytest.mark.root
USERNS = pytest.mark.userns

# (action, arguments, what the filter answers, marks). The marks name what the UNCONFINED
# call needs to get past the kernel's own checks; without it the contrast is not visible.
ATTACKS = [
    pytest.param("unshare-user", (), errno.EPERM, marks=USERNS),
    pytest.param("unshare-net", (), errno.EPERM, marks=ROOT),
    pytest.param("unshare-mount", (), errno.EPERM, marks=ROOT),
    pytest.param("clone-newuser", (), errno.EPERM, marks=USERNS),
    pytest.param("clone-newuser-highbits", (), errno.EPERM, marks=USERNS),
    pytest.param("clone3", (), errno.ENOSYS),
    pytest.param("clone3-newuser", (), errno.ENOSYS),
    pytest.param("fsopen", (), errno.ENOSYS),
    pytest.param("open_tree", (), errno.ENOSYS),
    pytest.param("move_mount", (), errno.ENOSYS),
    pytest.param("mount", (), errno.EPERM, marks=ROOT),
    pytest.param("umount", (), errno.EPERM),
    pytest.param("pivot_root", (), errno.EPERM, marks=ROOT),
    pytest.param("chroot", (), errno.EPERM, marks=ROOT),
    pytest.param("setns", ("/proc/self/ns/net",), errno.EPERM, marks=ROOT),
    pytest.param("ptrace-traceme", (), errno.EPERM),
    pytest.param("process_vm_readv", (), errno.EPERM),
    pytest.param("kexec_load", (), errno.EPERM, marks=ROOT),
    pytest.param("kexec_file_load", (), errno.EPERM, marks=ROOT),
    pytest.param("init_module", (), errno.EPERM, marks=ROOT),
    pytest.param("finit_module", (), errno.EPERM, marks=ROOT),
    pytest.param("delete_module", (), errno.EPERM, marks=ROOT),
    pytest.param("swapon", (), errno.EPERM),
    pytest.param("swapoff", (), errno.EPERM, marks=ROOT),
    pytest.param("reboot", (), errno.EPERM, marks=ROOT),
    pytest.param("bpf", (), errno.EPERM, marks=ROOT),
    pytest.param("perf_event_open", (), errno.EPERM, marks=ROOT),
    pytest.param("userfaultfd", (), errno.EPERM),
    pytest.param("keyctl", (), errno.EPERM),
    pytest.param("add_key", (), errno.EPERM),
    pytest.param("request_key", (), errno.EPERM),
    pytest.param(
        "io_uring_setup",
        (),
        errno.EPERM,
        marks=pytest.mark.skipif(io_uring_disabled(), reason="kernel.io_uring_disabled refuses it unconfined too"),
    ),
    pytest.param("open_by_handle_at", (), errno.EPERM, marks=ROOT),
    pytest.param("personality", ("0040000",), errno.EPERM, id="personality-addr-no-randomize"),
    pytest.param("personality", ("0400000",), errno.EPERM, id="personality-read-implies-exec"),
    pytest.param("iopl", (), errno.EPERM, marks=only_x86_64),
    pytest.param("ioperm", (), errno.EPERM, marks=only_x86_64),
    pytest.param("socket", ("2", "1"), errno.EPERM, id="socket-inet-stream"),
    pytest.param("socket", ("2", "2"), errno.EPERM, id="socket-inet-dgram"),
    pytest.param("socket", ("10", "1"), errno.EPERM, id="socket-inet6-stream"),
    pytest.param("socket", ("16", "3"), errno.EPERM, id="socket-netlink"),
]


@pytest.mark.parametrize(("action", "args", "answer"), ATTACKS)
def test_attack_reaching_the_kernel_unconfined_is_refused_by_the_filter(
    try_syscall: Path, tmp_path: Path, action: str, args: tuple[str, ...], answer: int
) -> None:
    before = attempt(try_syscall, tmp_path, action, *args, confined=False)
    assert before.returncode in (0, 1) and before.line != refused(answer), f"unconfined: {before}"
    after = attempt(try_syscall, tmp_path, action, *args, confined=True)
    assert after == Outcome(1, refused(answer))


@pytest.fixture
def pty_fd() -> Iterator[int]:
    """The follower side of a fresh pty: a terminal of our own, no real one needed."""
    leader, follower = os.openpty()
    try:
        yield follower
    finally:
        os.close(follower)
        os.close(leader)


@pytest.mark.root
@pytest.mark.parametrize("action", ["tiocsti", "tiocsti-highbits"])
def test_terminal_input_injection_is_refused(try_syscall: Path, tmp_path: Path, pty_fd: int, action: str) -> None:
    before = attempt(try_syscall, tmp_path, action, str(pty_fd), confined=False, pass_fds=(pty_fd,))
    assert before == Outcome(0, "ok")
    after = attempt(try_syscall, tmp_path, action, str(pty_fd), confined=True, pass_fds=(pty_fd,))
    assert after == Outcome(1, refused(errno.EPERM))


def test_tioclinux_is_refused(try_syscall: Path, tmp_path: Path, pty_fd: int) -> None:
    before = attempt(try_syscall, tmp_path, "tioclinux", str(pty_fd), confined=False, pass_fds=(pty_fd,))
    assert before.returncode in (0, 1) and before.line != refused(errno.EPERM)
    after = attempt(try_syscall, tmp_path, "tioclinux", str(pty_fd), confined=True, pass_fds=(pty_fd,))
    assert after == Outcome(1, refused(errno.EPERM))


@pytest.mark.parametrize("persona", ["ffffffff", "0"])
def test_personality_query_and_plain_linux_stay_allowed(try_syscall: Path, tmp_path: Path, persona: str) -> None:
    assert attempt(try_syscall, tmp_path, "personality", persona, confined=True) == Outcome(0, "ok")


@only_x86_64
@pytest.mark.parametrize("action", ["x32", "int80"])
def test_other_abi_syscall_kills_the_process(try_syscall: Path, tmp_path: Path, action: str) -> None:
    # Unconfined, getpid answers (or x32 is ENOSYS where the kernel lacks it): no SIGSYS.
    before = attempt(try_syscall, tmp_path, action, confined=False)
    assert before.returncode in (0, 1), before
    after = attempt(try_syscall, tmp_path, action, confined=True)
    assert after == Outcome(-signal.SIGSYS, "")


@pytest.mark.parametrize(("family", "kind"), [("1", "1"), ("1", "2"), ("1", "5")])
def test_unix_sockets_stay_allowed_without_network(try_syscall: Path, tmp_path: Path, family: str, kind: str) -> None:
    assert attempt(try_syscall, tmp_path, "socket", family, kind, confined=True) == Outcome(0, "ok")


def test_inet_sockets_are_allowed_with_network(try_syscall: Path, tmp_path: Path) -> None:
    assert attempt(try_syscall, tmp_path, "socket", "2", "1", confined=True, network=True) == Outcome(0, "ok")


def run_python(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_a_thread_started_before_the_filter_is_filtered_too(tmp_path: Path) -> None:
    done = run_python(
        tmp_path,
        """
        import errno, socket, threading
        from sandbox.confine.seccomp import apply_seccomp
        started, installed, results = threading.Event(), threading.Event(), []

        def attempt():
            try:
                socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
                return "ok"
            except OSError as exc:
                return errno.errorcode[exc.errno]

        def worker():
            results.append(attempt())
            started.set()
            installed.wait()
            results.append(attempt())
            results.append(open("/proc/thread-self/status").read())

        thread = threading.Thread(target=worker)
        thread.start()
        started.wait()
        apply_seccomp()
        installed.set()
        thread.join()
        print(results[0], results[1], attempt())
        status = dict(line.split(":\\t", 1) for line in results[2].splitlines() if ":\\t" in line)
        print(status["NoNewPrivs"].strip(), status["Seccomp"].strip())
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["ok EPERM EPERM", "1 2"]


def test_apply_seccomp_sets_no_new_privs_and_filter_mode(tmp_path: Path) -> None:
    done = run_python(
        tmp_path,
        """
        from sandbox.confine.seccomp import apply_seccomp
        apply_seccomp()
        fields = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
        print(fields["NoNewPrivs"].strip(), fields["Seccomp"].strip(), fields["Seccomp_filters"].strip())
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "2", "1"]


def test_ordinary_programs_still_run_confined(tmp_path: Path) -> None:
    # glibc tries clone3 for threads and posix_spawn and falls back to clone on ENOSYS.
    done = run_python(
        tmp_path,
        """
        import subprocess, threading, socket
        from sandbox.confine.seccomp import apply_seccomp
        apply_seccomp()
        box = []
        thread = threading.Thread(target=box.append, args=("thread",))
        thread.start()
        thread.join()
        child = subprocess.run(["/bin/sh", "-c", "echo shell; ls / >/dev/null"], capture_output=True, text=True)
        left, right = socket.socketpair()
        left.sendall(b"unix")
        print(box[0], child.stdout.strip(), child.returncode, right.recv(4).decode())
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["thread", "shell", "0", "unix"]


def test_install_rejects_a_partial_instruction_without_installing(tmp_path: Path) -> None:
    done = run_python(
        tmp_path,
        """
        from sandbox import _native
        from sandbox.errors import SeccompError
        try:
            _native.load("_seccomp").install(b"\\x06\\x00\\x00\\x00\\x00\\x00\\xff")
        except SeccompError as exc:
            print(exc.errno)
        print(open("/proc/self/status").read().count("Seccomp:\\t0"))
        """,
    )
    assert done.stdout.split() == [str(errno.EINVAL), "1"], done.stderr


def test_kernel_refusal_of_a_malformed_program_is_a_seccomp_error(tmp_path: Path) -> None:
    # A lone load that never returns: the kernel's checker refuses it with EINVAL.
    done = run_python(
        tmp_path,
        """
        import struct
        from sandbox.confine.seccomp import apply_seccomp
        from sandbox.errors import SeccompError
        try:
            apply_seccomp(struct.pack("=HBBI", 0x20, 0, 0, 0))
        except SeccompError as exc:
            print(exc.errno, "Hint:" in str(exc))
        print(open("/proc/self/status").read().count("Seccomp:\\t0"))
        """,
    )
    assert done.stdout.split() == [str(errno.EINVAL), "True", "1"], done.stderr
