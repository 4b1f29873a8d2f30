"""Two processes on one state directory: their saves, resumes, snapshots and cleanups
interleave without corrupting each other's states (the directory's lock serialises the
writes; objects written by one are found and shared by the other)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sandbox import SandboxManager

WORKER = textwrap.dedent(
    """
    import os, sys
    from datetime import timedelta
    from sandbox import SandboxManager
    state, work, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    manager = SandboxManager(state)
    sandbox_id = manager.create(work).id
    for n in range(25):
        with open(os.path.join(work, "shared.txt"), "w") as f:
            f.write("the same content in both")        # deduplicated across the two
        with open(os.path.join(work, f"own-{n % 5}.txt"), "w") as f:
            f.write(f"{tag} {n}")
        manager.pause(sandbox_id)
        assert manager.get(sandbox_id).files[f"own-{n % 5}.txt"] == f"{tag} {n}".encode()
        manager.resume(sandbox_id)
        manager.diff_sandbox(sandbox_id)
        if n % 5 == 0:
            manager.snapshot(sandbox_id)
            manager.cleanup(timedelta(days=1))
    manager.verify(sandbox_id)
    print(sandbox_id)
    """
)


def test_two_processes_share_one_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    works = []
    for tag in ("a", "b"):
        work = tmp_path / f"work-{tag}"
        work.mkdir()
        (work / "seed.txt").write_text(tag * 1000)
        works.append(work)
    procs = [
        # cwd: not the checkout, so that each child imports the installed package (native scan).
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(state), str(w), w.name], stdout=subprocess.PIPE, text=True, cwd=tmp_path
        )
        for w in works
    ]
    ids = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        ids.append(out.strip())
    manager = SandboxManager(state)
    assert sorted(s.id for s in manager.list()) == sorted(ids)
    for sandbox_id in ids:
        manager.verify(sandbox_id)
    assert manager.get(ids[0]).files["shared.txt"] == manager.get(ids[1]).files["shared.txt"]
