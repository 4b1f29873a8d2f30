"""Resource limits and the command's lifetime: a confined command cannot outgrow or outlive them.

Each limit is small, so that the suite stays fast: the unconfined run shows the command
would go past it, the confined run shows the sandbox stopping it there (EAGAIN for a fork,
MemoryError, SIGXFSZ or EFBIG, a SIGKILL at the CPU limit, the wall-clock kill) and that
nothing the command started in the background survives it.
"""

from __future__ import annotations

import errno
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from harness import Box, baseline, gone, gone_anywhere, host_pids, line, only_namespaces, pyop, refused

from sandbox import Limits
from sandbox.confine import cgroup

pytestmark = [pytest.mark.linux, pytest.mark.native, pytest.mark.landlock, pytest.mark.seccomp]


# ---------------------------------------------------------------------------------------
# Processes


def test_fork_bomb_stops_at_the_process_limit(box: Box) -> None:
    before, after = box.attack(box.ts("fork-many", "64"), limits=Limits(pids=16))
    baseline(line(before) == "ok", "64 processes can be started", before)
    assert (after.returncode, line(after)) == (1, refused(errno.EAGAIN))
    # At most 16 processes: the helper and 15 children. Fewer where RLIMIT_NPROC is what
    # holds (no cgroup, no user namespace): it counts every process of the uid, the test
    # runner's included.
    forked = re.search(r"forked (\d+) of 64", str(after.stderr))
    assert forked is not None and 1 <= int(forked.group(1)) <= 15


def test_shell_fork_bomb_stops_at_the_process_limit(box: Box) -> None:
    command = "i=0; while [ $i -lt 40 ]; do (sleep 1) & i=$((i+1)); done; wait; echo all-started"
    before, after = box.attack(command, limits=Limits(pids=16))
    baseline(before.returncode == 0 and "all-started" in before.stdout, "40 subshells start", before)
    assert "all-started" not in str(after.stdout)
    assert after.returncode != 0 and "Cannot fork" in str(after.stderr)


# ---------------------------------------------------------------------------------------
# Memory and files


def test_memory_balloon_stops_at_the_memory_limit(box: Box) -> None:
    command = ["python3", "-c", "b = bytearray(256 << 20); print('allocated', len(b) >> 20)"]
    before, after = box.attack(command, limits=Limits(memory_mb=64))
    baseline(before.stdout == "allocated 256\n", "256 MiB can be allocated", before)
    assert after.returncode == 1 and str(after.stdout) == ""
    assert "MemoryError" in str(after.stderr)


BALLOONS = {
    # MAP_SHARED | MAP_ANONYMOUS: Python's mmap.mmap(-1, n) maps shared memory.
    "shared-anonymous": "import mmap\nm = mmap.mmap(-1, N)",
    # A memfd: RAM that is a file, outside any mapping count.
    "memfd": "import mmap, os\nfd = os.memfd_create('balloon')\nos.ftruncate(fd, N)\nm = mmap.mmap(fd, N)",
}


def _memory_cgroup_available() -> bool:
    groups = cgroup.create(pids=None, memory_bytes=1 << 30)
    if groups is None:
        return False
    groups.close()
    return "memory" in groups.limits


# Where a memory cgroup can be made (root here, or a delegated subtree) it holds the limit;
# elsewhere RLIMIT_DATA alone stands, and it does not count shared memory: a known hole.
@pytest.mark.xfail(
    condition=not _memory_cgroup_available(),
    strict=True,
    raises=AssertionError,
    reason="HOLE: without a memory cgroup, limits.memory_mb is RLIMIT_DATA, which counts private writable "
    "mappings only: shared anonymous memory (mmap MAP_SHARED|MAP_ANONYMOUS) and memfd pages are not counted",
)
@pytest.mark.parametrize("kind", sorted(BALLOONS))
def test_shared_memory_balloon_stops_at_the_memory_limit(box: Box, kind: str) -> None:
    program = BALLOONS[kind].replace("N", str(256 << 20)) + textwrap.dedent(
        """
        for i in range(0, len(m), 4096):
            m[i] = 1
        print('touched', len(m) >> 20)
        """
    )
    before, after = box.attack(["python3", "-c", program], limits=Limits(memory_mb=64))
    baseline(before.stdout == "touched 256\n", "256 MiB of shared memory can be touched", before)
    assert "touched" not in str(after.stdout)
    assert after.returncode != 0


def test_disk_fill_by_a_program_is_killed_at_the_file_size_limit(box: Box) -> None:
    # dd does not ignore SIGXFSZ: the write past the limit kills it.
    command = ["dd", "if=/dev/zero", "of=fill.bin", "bs=1M", "count=4"]
    before = box.unconfined(command)
    baseline(before.returncode == 0 and (box.ws / "fill.bin").stat().st_size == 4 << 20, "4 MiB can be written", before)
    (box.ws / "fill.bin").unlink()
    after = box.confined(command, limits=Limits(file_size_mb=1))
    assert after.returncode == -signal.SIGXFSZ
    assert (box.ws / "fill.bin").stat().st_size == 1 << 20


def test_disk_fill_ignoring_sigxfsz_gets_efbig(box: Box) -> None:
    # Python ignores SIGXFSZ, so the write past the limit fails instead.
    command = ["python3", "-c", "open('fill.bin', 'wb').write(bytes(4 << 20)); print('written')"]
    before = box.unconfined(command)
    baseline(before.stdout == "written\n", "4 MiB can be written", before)
    (box.ws / "fill.bin").unlink()
    after = box.confined(command, limits=Limits(file_size_mb=1))
    assert after.returncode == 1 and "written" not in str(after.stdout)
    assert "[Errno 27] File too large" in str(after.stderr)
    assert (box.ws / "fill.bin").stat().st_size <= 1 << 20


# ---------------------------------------------------------------------------------------
# Time

SPIN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.5:\n    pass\nprint('spun')"


def test_cpu_spin_is_killed_at_the_cpu_limit(box: Box) -> None:
    before, after = box.attack(["python3", "-c", SPIN], limits=Limits(cpu_seconds=1))
    baseline(before.stdout == "spun\n", "1.5 s of CPU can be used", before)
    # The soft and hard limits are one: SIGKILL (SIGXCPU where the soft limit comes first).
    assert after.returncode in (-signal.SIGKILL, -signal.SIGXCPU)
    assert "spun" not in str(after.stdout)


def test_wall_clock_timeout_kills_the_command(box: Box) -> None:
    command = "sleep 1; echo woke"
    before = box.unconfined(command)
    baseline(before.stdout == "woke\n", "the command finishes", before)
    with box.sandbox() as sb:
        after = sb.run(command, timeout=0.3)
    assert after.timed_out
    assert after.returncode == -signal.SIGKILL
    assert "woke" not in str(after.stdout)
    assert after.duration < 1


def test_policy_wall_time_kills_the_command(box: Box) -> None:
    command = "sleep 1; echo woke"
    before = box.unconfined(command)
    baseline(before.stdout == "woke\n", "the command finishes", before)
    with box.sandbox(limits=Limits(wall_time=0.3)) as sb:
        after = sb.run(command)
    assert after.timed_out and after.returncode == -signal.SIGKILL
    assert "woke" not in str(after.stdout)


# ---------------------------------------------------------------------------------------
# Outliving the command


# Each starts a process meant to survive the command and prints its pid. Its output goes to
# /dev/null: unconfined, an inherited stdout pipe would keep the run waiting for EOF.
SURVIVORS = [
    pytest.param("sleep 100 >/dev/null 2>&1 & echo $!", id="background"),
    pytest.param("nohup sleep 100 >/dev/null 2>&1 & echo $!", id="nohup"),
    pytest.param("sh -c 'sleep 100 >/dev/null 2>&1 & echo $!'", id="double-fork"),
    pytest.param("setsid sleep 100 >/dev/null 2>&1 & echo $!; sleep 0.2", id="setsid"),
]


@pytest.mark.parametrize("command", SURVIVORS)
def test_process_left_running_dies_with_the_command(box: Box, command: str, reap_later: list[int]) -> None:
    before = box.unconfined(command)
    pid = int(before.stdout.split()[0])
    reap_later.append(pid)
    baseline(not gone(pid, within=0.3), "the process outlives the command", before)
    after = box.confined(command)
    pid = int(str(after.stdout).split()[0])
    reap_later.append(pid)
    assert gone_anywhere(pid, box.namespaces)


def test_timed_out_command_leaves_no_background_process(box: Box, reap_later: list[int]) -> None:
    with box.sandbox() as sb:
        after = sb.run("sleep 100 >/dev/null 2>&1 & echo $!; sleep 100", timeout=0.5)
    pid = int(str(after.stdout).split()[0])
    reap_later.append(pid)
    assert after.timed_out
    assert gone_anywhere(pid, box.namespaces)


IN_CHILD = """\
import errno, os
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        {call}
        os.write(w, b"ok")
    except OSError as e:
        os.write(w, ("errno %d %s" % (e.errno, errno.errorcode[e.errno])).encode())
    os._exit(0)
os.waitpid(pid, 0)
print(os.read(r, 100).decode())
"""


@pytest.mark.parametrize("call", ["os.setsid()", "os.setpgid(0, 0)"])
def test_leaving_the_process_group_is_refused(box: Box, call: str) -> None:
    # In a child, which leads no group: the kernel would allow it; the sandbox must not, or
    # the child escapes the group kill at exit or timeout.
    before, after = box.attack(["python3", "-c", IN_CHILD.format(call=call)])
    baseline(line(before) == "ok", f"{call} works in a child", before)
    assert line(after) == refused(errno.EPERM)


# The pids cgroup the sandbox puts the command in (root: RLIMIT_NPROC never applies to it):
# moving into the parent cgroup would take the command out from under the limit.
LEAVE_CGROUP = [
    "lines = open('/proc/self/cgroup').read().splitlines()",
    "v1 = [l.split(':', 2)[2] for l in lines if 'pids' in l.split(':', 2)[1].split(',')]",
    "here = v1[0] if v1 else [l for l in lines if l.startswith('0::')][0][3:]",
    "root = '/sys/fs/cgroup/pids' if v1 else '/sys/fs/cgroup'",
    "parent = root + os.path.dirname(here) if here != '/' else root",
    "open(os.path.join(parent, 'cgroup.procs'), 'w').write(str(os.getpid()))",
]


@pytest.mark.root
def test_leaving_the_pids_cgroup_is_refused(box: Box) -> None:
    # Unconfined the process sits in the root cgroup, and writing itself there works.
    before, after = box.attack(pyop(*LEAVE_CGROUP), limits=Limits(pids=16))
    baseline(line(before) == "ok", "root may move a process between cgroups", before)
    assert line(after) in (refused(errno.EACCES), refused(errno.EROFS))


# An agent process that runs one command, with or without the sandbox, until it is killed.
AGENT = """\
import subprocess, sys
from sandbox import Mode, Sandbox, SandboxConfig
workspace, command = sys.argv[2], sys.argv[3]
if sys.argv[1] == "off":
    subprocess.run(["/bin/sh", "-c", command], cwd=workspace)
else:
    with Sandbox(SandboxConfig(Mode.WORKSPACE, workspace)) as sb:
        sb.run(command)
"""


def _run_agent_and_kill_it(box: Box, how: str, reap_later: list[int]) -> int:
    """Start an agent running a command that leaves a process behind; SIGKILL the agent once
    that process is up; return its pid."""
    lead_file, pid_file = box.ws / f"leader-{how}.pid", box.ws / f"left-behind-{how}.pid"
    command = f"echo $$ > {lead_file.name}; sleep 100 >/dev/null 2>&1 & echo $! > {pid_file.name}; exec sleep 100"
    agent = subprocess.Popen(
        [sys.executable, "-c", AGENT, how, str(box.ws), command], cwd=box.root, stdin=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert agent.poll() is None and time.monotonic() < deadline, "the agent did not start the command"
            time.sleep(0.05)
        reap_later.append(int(lead_file.read_text()))
        pid = int(pid_file.read_text())
        reap_later.append(pid)
    finally:
        agent.kill()
        agent.wait()
    return pid


# The agent below builds a default Sandbox (namespaces where the host allows them): the
# commands' children live in a pid namespace whose init dies with the agent.
@only_namespaces
def test_processes_left_running_die_with_the_agent(box: Box, reap_later: list[int]) -> None:
    before = _run_agent_and_kill_it(box, "off", reap_later)
    baseline(not gone(before, within=0.5), "a process outlives its agent")
    after = _run_agent_and_kill_it(box, "confined", reap_later)
    assert gone_anywhere(after, True, within=1.5)


@only_namespaces
def test_pids_printed_inside_the_pid_namespace_are_found_outside(box: Box) -> None:
    # The checks above look processes up by the pid a command printed inside its pid
    # namespace: this shows the look-up finds a live one, so "gone" there means gone.
    import threading

    results = []
    with box.sandbox() as sb:
        runner = threading.Thread(target=lambda: results.append(sb.run("echo $$ > pid.txt; sleep 2")))
        runner.start()
        deadline = time.monotonic() + 5
        while not (box.ws / "pid.txt").exists() or not (box.ws / "pid.txt").read_text().strip():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        ns_pid = int((box.ws / "pid.txt").read_text())
        found = host_pids(ns_pid, True)
        runner.join()
    assert found and all(p != ns_pid for p in found)
    assert results[0].returncode == 0
