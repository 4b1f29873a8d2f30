"""Kernel attack surface, through Sandbox.run: what the seccomp filter refuses in a real run.

tests/native/test_seccomp_filter.py installs the filter alone in a child; here the same
calls go through the whole confinement (namespaces, Landlock, capabilities dropped, the
filter), as an agent's command meets it. The ``try_syscall`` helper makes each raw call,
with arguments that fail harmlessly in the kernel AFTER its permission check (see
tests/helpers/try_syscall.c): unconfined, the call reaches the kernel (any answer but the
sandbox's); confined, the filter answers first: EPERM, or ENOSYS where it makes callers
fall back to a call it can judge (clone3, the new mount API).

Marks name what the UNCONFINED call needs to get past the kernel's own checks (root for
mount, module loading, ...): without it the contrast would not be visible.
"""

from __future__ import annotations

import errno
import os
import platform
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Box, baseline, line, plant, reached_kernel, refused

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]

only_x86_64 = pytest.mark.skipif(platform.machine() != "x86_64", reason="an x86_64 ABI")
ROOT = pytest.mark.root
USERNS = pytest.mark.userns


def io_uring_disabled() -> bool:
    try:
        return Path("/proc/sys/kernel/io_uring_disabled").read_text().strip() != "0"
    except OSError:
        return False


# (action, arguments, the sandbox's answer, marks, what it would do)
SYSCALLS = [
    pytest.param("mount", (), errno.EPERM, marks=ROOT, id="mount"),
    pytest.param("umount", (), errno.EPERM, id="umount"),
    pytest.param("pivot_root", (), errno.EPERM, marks=ROOT, id="pivot_root"),
    pytest.param("chroot", (), errno.EPERM, marks=ROOT, id="chroot"),
    pytest.param("unshare-user", (), errno.EPERM, marks=USERNS, id="unshare-user"),
    pytest.param("unshare-net", (), errno.EPERM, marks=ROOT, id="unshare-net"),
    pytest.param("unshare-mount", (), errno.EPERM, marks=ROOT, id="unshare-mount"),
    pytest.param("setns", ("/proc/self/ns/net",), errno.EPERM, marks=ROOT, id="setns"),
    pytest.param("fsopen", (), errno.ENOSYS, id="fsopen"),
    pytest.param("open_tree", (), errno.ENOSYS, id="open_tree"),
    pytest.param("move_mount", (), errno.ENOSYS, id="move_mount"),
    pytest.param("clone3", (), errno.ENOSYS, id="clone3"),
    pytest.param("clone3-newuser", (), errno.ENOSYS, id="clone3-newuser"),
    pytest.param("clone-newuser", (), errno.EPERM, marks=USERNS, id="clone-newuser"),
    pytest.param("clone-newuser-highbits", (), errno.EPERM, marks=USERNS, id="clone-newuser-highbits"),
    pytest.param(
        "io_uring_setup", (), errno.EPERM, id="io_uring_setup",
        marks=pytest.mark.skipif(io_uring_disabled(), reason="kernel.io_uring_disabled refuses it unconfined too"),
    ),
    pytest.param("keyctl", (), errno.EPERM, id="keyctl"),
    pytest.param("add_key", (), errno.EPERM, id="add_key"),
    pytest.param("request_key", (), errno.EPERM, id="request_key"),
    pytest.param("bpf", (), errno.EPERM, marks=ROOT, id="bpf"),
    pytest.param("perf_event_open", (), errno.EPERM, marks=ROOT, id="perf_event_open"),
    pytest.param("userfaultfd", (), errno.EPERM, id="userfaultfd"),
    pytest.param("kexec_load", (), errno.EPERM, marks=ROOT, id="kexec_load"),
    pytest.param("kexec_file_load", (), errno.EPERM, marks=ROOT, id="kexec_file_load"),
    pytest.param("init_module", (), errno.EPERM, marks=ROOT, id="init_module"),
    pytest.param("finit_module", (), errno.EPERM, marks=ROOT, id="finit_module"),
    pytest.param("delete_module", (), errno.EPERM, marks=ROOT, id="delete_module"),
    pytest.param("reboot", (), errno.EPERM, marks=ROOT, id="reboot"),
    pytest.param("swapon", (), errno.EPERM, id="swapon"),
    pytest.param("swapoff", (), errno.EPERM, marks=ROOT, id="swapoff"),
    pytest.param("iopl", (), errno.EPERM, marks=only_x86_64, id="iopl"),
    pytest.param("ioperm", (), errno.EPERM, marks=only_x86_64, id="ioperm"),
    pytest.param("open_by_handle_at", (".",), errno.EPERM, marks=ROOT, id="open_by_handle_at"),
    pytest.param("personality", ("0040000",), errno.EPERM, id="personality-addr-no-randomize"),
    pytest.param("personality", ("0400000",), errno.EPERM, id="personality-read-implies-exec"),
    pytest.param("ptrace-traceme", (), errno.EPERM, id="ptrace-traceme"),
]


@pytest.mark.parametrize(("action", "args", "answer"), SYSCALLS)
def test_kernel_call_is_refused_by_the_sandbox(box: Box, action: str, args: tuple[str, ...], answer: int) -> None:
    before, after = box.attack(box.ts(action, *args))
    baseline(reached_kernel(before, answer), f"{action} reaches the kernel", before)
    assert (after.returncode, line(after)) == (1, refused(answer))


@pytest.mark.root
def test_mount_over_a_workspace_directory_is_refused(box: Box) -> None:
    # Not only a bogus mount: a real tmpfs over a directory the command can write.
    (box.ws / "mnt").mkdir()
    before, after = box.attack(box.ts("mount", str(box.ws / "mnt")))
    baseline(reached_kernel(before, errno.EPERM), "mount reaches the kernel", before)
    assert (after.returncode, line(after)) == (1, refused(errno.EPERM))


# ---------------------------------------------------------------------------------------
# Other ABIs


@only_x86_64
@pytest.mark.parametrize("action", ["x32", "int80"])
def test_syscall_through_another_abi_kills_the_command(box: Box, action: str) -> None:
    # The filter's numbers name other calls in the x32 and i386 tables: such a call is not
    # judged but killed (SIGSYS).
    before, after = box.attack(box.ts(action))
    baseline(before.returncode in (0, 1), f"getpid through {action} returns", before)
    assert after.returncode == -signal.SIGSYS
    assert str(after.stdout) == ""


# ---------------------------------------------------------------------------------------
# Terminals. The filter's own refusal of TIOCSTI/TIOCLINUX on an inherited terminal is
# tested in tests/native/test_seccomp_filter.py (test_terminal_input_injection_is_refused,
# test_tioclinux_is_refused); Sandbox.run never hands the command a terminal (stdin is
# /dev/null or a pipe, and it runs in a new session), so here the command goes looking for
# one by name, and Landlock refuses to open it.


@pytest.fixture
def pty_path() -> Iterator[str]:
    """The path of a fresh pty's follower side (/dev/pts/N), open in the test."""
    leader, follower = os.openpty()
    try:
        yield os.ttyname(follower)
    finally:
        os.close(follower)
        os.close(leader)


@pytest.mark.root  # unconfined, TIOCSTI on a terminal that is not ours needs CAP_SYS_ADMIN
@pytest.mark.parametrize("action", ["tiocsti", "tiocsti-highbits"])
def test_terminal_input_injection_through_a_pty_is_refused(box: Box, pty_path: str, action: str) -> None:
    before, after = box.attack(box.ts(action, pty_path))
    baseline(line(before) == "ok", f"{action} pushes input into {pty_path}", before)
    assert (after.returncode, line(after)) == (1, refused(errno.EACCES))
    assert box.denied(after.stderr, "open")


def test_tioclinux_through_a_pty_is_refused(box: Box, pty_path: str) -> None:
    before, after = box.attack(box.ts("tioclinux", pty_path))
    baseline(reached_kernel(before, errno.EACCES), f"TIOCLINUX reaches the tty driver of {pty_path}", before)
    assert (after.returncode, line(after)) == (1, refused(errno.EACCES))


def test_controlling_terminal_cannot_be_opened(box: Box) -> None:
    # /dev/tty: no controlling terminal in a new session, and no Landlock rule either.
    after = box.confined(box.ts("tiocsti", "/dev/tty"))
    assert after.returncode == 1
    assert line(after) in (refused(errno.EACCES), refused(errno.ENXIO))


# ---------------------------------------------------------------------------------------
# Programs from memory


def test_program_run_from_a_memfd_stays_confined(box: Box) -> None:
    # Finding: a copy of a binary in a memfd runs (Landlock's execute right governs files
    # beneath its rules, and a memfd lies in no directory; vm.memfd_noexec allows it here).
    # That is no way out by itself: the copy runs inside the same sandbox, so it still
    # cannot read what the original could not.
    secret = plant(box.outside / "secret.txt")
    before, after = box.attack(box.ts("memfd-exec", "/bin/cat", str(secret)))
    baseline(before.returncode == 0 and "SBX-CANARY" in before.stdout, "cat from a memfd reads the file", before)
    assert "SBX-CANARY" not in str(after.stdout)
    assert after.returncode == 1
    assert box.denied(after.stderr, str(secret))  # cat's own message: it ran


# ---------------------------------------------------------------------------------------
# Descriptors inherited from the agent


@pytest.fixture
def inherited_secret(box: Box) -> Iterator[int]:
    """A descriptor of the test process on a secret file, inheritable across exec."""
    secret = plant(box.outside / "inherited.txt")
    fd = os.open(secret, os.O_RDONLY)
    os.set_inheritable(fd, True)
    try:
        yield fd
    finally:
        os.close(fd)


def test_inherited_descriptor_is_not_readable_by_number(box: Box, inherited_secret: int) -> None:
    fd = inherited_secret
    command = ["python3", "-c", f"import os, sys; sys.stdout.write(os.read({fd}, 200).decode())"]
    before = box.unconfined(command, close_fds=False)
    baseline("SBX-CANARY" in before.stdout, f"fd {fd} is inherited and readable", before)
    after = box.confined(command)
    assert "SBX-CANARY" not in str(after.stdout)
    assert after.returncode == 1 and "OSError: [Errno 9] Bad file descriptor" in str(after.stderr)


def test_inherited_descriptor_is_not_readable_through_proc_self_fd(box: Box, inherited_secret: int) -> None:
    fd = inherited_secret
    command = ["cat", f"/proc/self/fd/{fd}"]
    before = box.unconfined(command, close_fds=False)
    baseline("SBX-CANARY" in before.stdout, f"/proc/self/fd/{fd} reopens the secret", before)
    after = box.confined(command)
    assert "SBX-CANARY" not in str(after.stdout)
    assert after.returncode == 1 and "No such file or directory" in str(after.stderr)


def test_the_command_holds_no_descriptor_but_stdio(box: Box, inherited_secret: int) -> None:
    after = box.confined(["ls", "/proc/self/fd"])
    # 0, 1, 2, and the directory ls itself has open to list them.
    assert after.returncode == 0
    assert len(str(after.stdout).split()) == 4, after.stdout
