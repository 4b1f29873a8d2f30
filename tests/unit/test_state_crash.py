"""Crash safety: a process killed with SIGKILL at any point of a pause, a resume, a snapshot
or a restore leaves every sandbox loadable, its saved states whole, and its next pause and
resume working.

A child process loops over those operations on a tree with small and large files; the test
kills it after a random delay, many times, and checks the state directory each time.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sandbox import SandboxManager

WORKER = textwrap.dedent(
    """
    import os, random, sys
    from sandbox import SandboxManager
    state, work, restore_root = sys.argv[1], sys.argv[2], sys.argv[3]
    manager = SandboxManager(state)
    sandbox_id = manager.list()[0].id
    rng = random.Random()
    n = 0
    while True:
        n += 1
        for _ in range(20):
            p = os.path.join(work, f"d{rng.randrange(10)}", f"f{rng.randrange(60)}.txt")
            with open(p, "w") as f:
                f.write(f"{n} " * rng.randrange(1, 2000))
        big = os.path.join(work, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(rng.randrange(300_000, 3_000_000)))
        state_now = manager.get(sandbox_id).status
        if state_now == "running":
            manager.pause(sandbox_id)
        else:
            manager.resume(sandbox_id)
        if n % 3 == 0:
            data = manager.snapshot(sandbox_id)
            tag = os.urandom(4).hex()
            other = SandboxManager(os.path.join(restore_root, f"m{tag}"))
            other.restore(data, work_dir=os.path.join(restore_root, f"w{tag}"))
    """
)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path, str]:
    work = tmp_path / "work"
    for d in range(10):
        (work / f"d{d}").mkdir(parents=True)
        for f in range(60):
            (work / f"d{d}" / f"f{f}.txt").write_text(f"{d}-{f}")
    (work / "big.bin").write_bytes(os.urandom(1_000_000))
    state = tmp_path / "state"
    sandbox_id = SandboxManager(state).create(str(work)).id
    restore_root = tmp_path / "restores"
    restore_root.mkdir()
    return state, work, restore_root, sandbox_id


def check(state: Path, restore_root: Path, sandbox_id: str) -> None:
    manager = SandboxManager(state)
    assert [s.id for s in manager.list()] == [sandbox_id]
    manager.verify(sandbox_id)
    manager.diff_sandbox(sandbox_id)
    # Every restore that completed is whole too; a killed one left no record and no work
    # directory (at most its hidden staging directory).
    for name in os.listdir(restore_root):
        if name.startswith("m"):
            other = SandboxManager(restore_root / name)
            for s in other.list():
                other.verify(s.id)
        elif name.startswith("w") and ".sbx-restoring-" not in name:
            assert SandboxManager(restore_root / ("m" + name[1:])).list(), f"{name} restored without a record"


def test_sigkill_at_many_points_leaves_every_state_loadable(setup) -> None:
    state, work, restore_root, sandbox_id = setup
    rng = random.Random(1234)
    kills = 0
    for _ in range(24):
        # cwd: a directory without the checkout, so that the child imports the installed package.
        child = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(state), str(work), str(restore_root)], cwd=restore_root
        )
        time.sleep(rng.uniform(0.05, 0.8))
        if child.poll() is not None:
            pytest.fail(f"the worker died on its own with status {child.returncode}")
        child.send_signal(signal.SIGKILL)
        child.wait()
        kills += 1
        check(state, restore_root, sandbox_id)
    assert kills == 24
    # After all that, the sandbox still pauses and resumes, and cleanup leaves it whole.
    manager = SandboxManager(state)
    if manager.get(sandbox_id).status == "paused":
        manager.resume(sandbox_id)
    (work / "d0" / "f0.txt").write_text("final")
    assert manager.pause(sandbox_id).files["d0/f0.txt"] == b"final"
    from datetime import timedelta

    manager.cleanup(timedelta(days=1))
    manager.verify(sandbox_id)
    assert os.listdir(manager.store.tmp) == []
    # A restore killed half-way left its hidden staging directory; its manager's cleanup
    # removes it (and only it: completed restores keep their work directories).
    finished = sorted(n for n in os.listdir(restore_root) if n.startswith("w") and ".sbx-restoring-" not in n)
    for name in [n for n in os.listdir(restore_root) if n.startswith("m")]:
        SandboxManager(restore_root / name).cleanup(timedelta(days=1))
    assert [n for n in os.listdir(restore_root) if ".sbx-restoring-" in n] == []
    assert sorted(n for n in os.listdir(restore_root) if n.startswith("w")) == finished


def test_a_restore_killed_before_its_rename_leaves_only_what_cleanup_removes(setup, tmp_path: Path) -> None:
    state, _, _, sandbox_id = setup
    data = tmp_path / "snapshot.bin"
    data.write_bytes(SandboxManager(state).snapshot(sandbox_id))
    other, target = tmp_path / "other", tmp_path / "restored"
    # The child fills the staging directory, then dies by SIGKILL before renaming it.
    child = textwrap.dedent(
        f"""
        import os, signal
        from sandbox.state import manager
        real = manager.apply
        def apply_then_die(*args, **kwargs):
            real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        manager.apply = apply_then_die
        manager.SandboxManager({str(other)!r}).restore(open({str(data)!r}, "rb").read(), work_dir={str(target)!r})
        """
    )
    done = subprocess.run([sys.executable, "-c", child], timeout=120, cwd=tmp_path)
    assert done.returncode == -signal.SIGKILL
    leftovers = [p for p in tmp_path.iterdir() if ".sbx-restoring-" in p.name]
    assert len(leftovers) == 1 and any(leftovers[0].rglob("*")) and not target.exists()
    from datetime import timedelta

    SandboxManager(other).cleanup(timedelta(days=1))
    assert [p for p in tmp_path.iterdir() if ".sbx-restoring-" in p.name] == []
    assert not (other / "restoring").exists() or list((other / "restoring").iterdir()) == []
