"""Other processes: a confined command may not read, steer or signal what runs outside it.

The process outside is the pytest process itself (its pid goes into the command), or a
``sleep`` the test started. Landlock's domain check on ptrace (which /proc's root,
cwd, environ, mem and fd links go through) answers EACCES; seccomp refuses ptrace and
process_vm_readv outright (EPERM); Landlock's signal scope refuses kill, pidfd signals and
SIGIO to processes outside the sandbox (EPERM, or silence for SIGIO).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
from collections.abc import Callable, Iterator

import pytest
from harness import Box, alive, baseline, line, pyop, reached_kernel, refused

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]

DENIED = "Permission denied"
EACCES = refused(errno.EACCES)
EPERM = refused(errno.EPERM)


@pytest.fixture
def start_victim() -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts ``sleep`` processes outside the sandbox; all killed at teardown."""
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(["sleep", "60"], stdin=subprocess.DEVNULL)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------------------------------
# /proc


def test_proc_self_root_does_not_lead_outside(box: Box) -> None:
    secret = box.outside / "secret.txt"
    secret.write_text("s3cret\n")
    via = f"/proc/self/root{secret}"
    before, after = box.attack(["cat", via])
    baseline(before.stdout == "s3cret\n", "/proc/self/root reaches the file", before)
    assert after.returncode == 1 and "s3cret" not in str(after.stdout)
    assert box.denied(after.stderr, str(via))


def test_proc_root_of_the_parent_does_not_lead_outside(box: Box) -> None:
    secret = box.outside / "secret.txt"
    secret.write_text("s3cret\n")
    via = f"/proc/{os.getpid()}/root{secret}"
    before, after = box.attack(["cat", via])
    baseline(before.stdout == "s3cret\n", "the parent's root link reaches the file", before)
    assert after.returncode == 1 and "s3cret" not in str(after.stdout)
    assert box.denied(after.stderr, str(via))


def test_proc_cwd_of_the_parent_cannot_be_listed(box: Box) -> None:
    via = f"/proc/{os.getpid()}/cwd/"
    before, after = box.attack(["ls", via])
    baseline(before.returncode == 0, "the parent's cwd can be listed", before)
    assert after.returncode == 2 and box.denied(after.stderr)


def test_proc_environ_of_the_parent_is_unreadable(box: Box) -> None:
    # The environment the agent started with: API keys, tokens.
    via = f"/proc/{os.getpid()}/environ"
    before, after = box.attack(["cat", via])
    baseline(before.returncode == 0 and "PATH=" in before.stdout, "the parent's environ is readable", before)
    assert after.returncode == 1 and str(after.stdout) == ""
    assert box.denied(after.stderr, str(via))


def test_proc_mem_of_the_parent_cannot_be_opened(box: Box) -> None:
    command = pyop(f"open('/proc/{os.getpid()}/mem', 'rb').close()")
    before, after = box.attack(command)
    baseline(line(before) == "ok", "the parent's memory can be opened", before)
    assert line(after) == EACCES


def test_proc_fd_of_the_parent_does_not_reopen_its_secret(box: Box) -> None:
    # The agent holds a credential file open; its /proc fd link would reopen it.
    secret = box.outside / "token"
    secret.write_text("s3cret\n")
    fd = os.open(secret, os.O_RDONLY | os.O_CLOEXEC)
    try:
        via = f"/proc/{os.getpid()}/fd/{fd}"
        before, after = box.attack(["cat", via])
    finally:
        os.close(fd)
    baseline(before.stdout == "s3cret\n", "the parent's fd link reopens the file", before)
    assert after.returncode == 1 and "s3cret" not in str(after.stdout)
    assert box.denied(after.stderr, str(via))


def test_proc_environ_of_another_process_is_unreadable(box: Box) -> None:
    # A daemon started with a credential in its environment (pid 1 is the classic one; here
    # a process the test owns, so that the unconfined read works for any user, and on hosts
    # where pid 1 is out of reach even for root).
    daemon = subprocess.Popen(
        ["sleep", "60"], stdin=subprocess.DEVNULL, env={"PATH": os.defpath, "DB_PASSWORD": "hunter2-canary"}
    )
    try:
        via = f"/proc/{daemon.pid}/environ"
        before, after = box.attack(["cat", via])
    finally:
        daemon.kill()
        daemon.wait()
    baseline("hunter2-canary" in before.stdout, "the daemon's environ is readable", before)
    assert after.returncode == 1 and "hunter2-canary" not in str(after.stdout)
    assert box.denied(after.stderr, str(via))


# ---------------------------------------------------------------------------------------
# ptrace and cross-process memory


def test_ptrace_attach_to_the_parent_is_refused(box: Box) -> None:
    before, after = box.attack(box.ts("ptrace-attach", str(os.getpid())))
    baseline(line(before) == "ok", "PTRACE_SEIZE of the parent works", before)
    assert (after.returncode, line(after)) == (1, EPERM)


def test_process_vm_readv_of_the_parent_is_refused(box: Box) -> None:
    before, after = box.attack(box.ts("process_vm_readv", str(os.getpid())))
    baseline(reached_kernel(before, errno.EPERM), "process_vm_readv reaches the parent", before)
    assert (after.returncode, line(after)) == (1, EPERM)


# ---------------------------------------------------------------------------------------
# Signals


def test_kill_of_an_outside_process_is_refused(box: Box, start_victim: Callable[[], subprocess.Popen[bytes]]) -> None:
    first, second = start_victim(), start_victim()
    before = box.unconfined(box.ts("kill", str(first.pid), str(int(signal.SIGKILL))))
    baseline(line(before) == "ok" and not alive(first), "the victim can be killed", before)
    after = box.confined(box.ts("kill", str(second.pid), str(int(signal.SIGKILL))))
    assert after.returncode == 1 and line(after) in box.signal_refused
    assert alive(second)


def test_pidfd_signal_to_an_outside_process_is_refused(
    box: Box, start_victim: Callable[[], subprocess.Popen[bytes]]
) -> None:
    first, second = start_victim(), start_victim()
    before = box.unconfined(box.ts("pidfd-kill", str(first.pid), str(int(signal.SIGKILL))))
    baseline(line(before) == "ok" and not alive(first), "pidfd_send_signal kills the victim", before)
    after = box.confined(box.ts("pidfd-kill", str(second.pid), str(int(signal.SIGKILL))))
    assert after.returncode == 1 and line(after) in box.signal_refused
    assert alive(second)


def test_sigio_to_an_outside_process_is_not_delivered(
    box: Box, start_victim: Callable[[], subprocess.Popen[bytes]]
) -> None:
    # F_SETOWN + F_SETSIG: the kernel itself sends the signal when the pipe gets data.
    first, second = start_victim(), start_victim()
    before = box.unconfined(box.ts("sigio-kill", str(first.pid), str(int(signal.SIGKILL))))
    baseline(line(before) == "ok" and not alive(first), "SIGIO kills the victim", before)
    after = box.confined(box.ts("sigio-kill", str(second.pid), str(int(signal.SIGKILL))))
    # The kernel reports nothing to the sender (or, in the pid namespace, finds no such
    # owner)...
    assert after.returncode == 0 or line(after) in box.signal_refused
    assert alive(second)  # ...and the signal never arrives


def test_kill_of_every_process_spares_the_outside(
    box: Box, start_victim: Callable[[], subprocess.Popen[bytes]]
) -> None:
    victim = start_victim()
    # Unconfined, `kill -9 -1` would end every process this user may signal (as root, the
    # machine): the baseline asks only whether the victim can be signalled at all.
    before = box.unconfined(["kill", "-0", str(victim.pid)])
    baseline(before.returncode == 0, "the victim can be signalled", before)
    # Only once a targeted kill is seen refused does the test dare the broadcast.
    targeted = box.confined(box.ts("kill", str(victim.pid), "0"))
    assert line(targeted) in box.signal_refused, "a targeted kill got through; not trying kill -9 -1"
    box.confined("kill -9 -1")
    assert alive(victim)
