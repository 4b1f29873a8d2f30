"""SandboxManager on a generated tree of 10,000 files and 200 MB (many small files, some large):
first pause against `tar -cf`, a second pause after one file changed, resume after 100 files
changed, and snapshot/restore against `tar -czf`/`tar -xzf`, all in one run.

Targets: first pause at most 1.5x tar, the second pause under 5 % of the first, restore at
most 1.5x tar extraction. The manager's saves are durable (flushed to disk before the
manifest that names them); tar's output is not, so the tar figures are also given with a
`sync` after them.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import note

from sandbox import SandboxManager

FILES = 10_000
LARGE = 16  # files of 10 MiB: 160 MiB; the small ones make up the rest of ~200 MB


def _tree(root: Path) -> None:
    rng = random.Random(7)
    for i in range(FILES - LARGE):
        d = root / f"pkg{i % 50}" / f"mod{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        # Text-like content (compressible, as source trees are), 1-7 KiB.
        vocabulary = ("def", "return", "self", "value", "import", "class", "x", "for")
        words = " ".join(rng.choice(vocabulary) for _ in range(400))
        (d / f"f{i}.py").write_text(f"# {i}\n" + words[: rng.randint(1024, 7 * 1024)])
    for i in range(LARGE):
        (root / f"blob{i}.bin").write_bytes(os.urandom(5 << 20) + bytes(5 << 20))


def _sync() -> None:
    subprocess.run(["sync"], check=True)


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("state-bench")
    work = root / "work"
    work.mkdir()
    _tree(work)
    subprocess.run(["sync"], check=True)
    return root


def test_state_against_tar(tree: Path) -> None:
    work = tree / "work"
    size = sum(f.stat().st_size for f in work.rglob("*") if f.is_file())
    count = sum(1 for f in work.rglob("*") if f.is_file())
    note(f"state tree: {count} files, {size / 1e6:.0f} MB")

    tar_c = _timed(lambda: subprocess.run(["tar", "-cf", str(tree / "t.tar"), "-C", str(work), "."], check=True))
    # The sync also keeps tar's unwritten output out of the manager's own flush below.
    tar_c_sync = tar_c + _timed(_sync)

    manager = SandboxManager(tree / "state")
    created = _timed(lambda: manager.create(str(work)))  # the baseline: a first full save
    sandbox_id = manager.list()[0].id
    first = _timed(lambda: manager.pause(sandbox_id))
    manager.resume(sandbox_id)
    (work / "pkg1" / "mod1" / "f1.py").write_text("changed")
    second = _timed(lambda: manager.pause(sandbox_id))
    for i in range(100):
        p = work / f"pkg{i % 50}" / f"mod{i % 7}" / f"f{i}.py"
        if p.exists():
            p.write_text(f"changed {i}")
    resume = _timed(lambda: manager.resume(sandbox_id))

    note(f"create (first full save): {created:.2f} s; tar -cf {tar_c:.2f} s, with sync {tar_c_sync:.2f} s: "
         f"{created / tar_c:.2f}x tar, {created / tar_c_sync:.2f}x tar+sync")
    note(f"pause with nothing changed: {first:.3f} s ({first / created:.1%} of the first save)")
    note(f"second pause after one file changed: {second:.3f} s ({second / created:.1%} of the first save)")
    note(f"resume after 100 files changed: {resume:.3f} s")

    tar_cz = _timed(lambda: subprocess.run(["tar", "-czf", str(tree / "t.tgz"), "-C", str(work), "."], check=True))
    _sync()
    data_holder: list[bytes] = []
    snap = _timed(lambda: data_holder.append(manager.snapshot(sandbox_id)))
    out = tree / "x"
    out.mkdir()
    tar_xz = _timed(lambda: subprocess.run(["tar", "-xzf", str(tree / "t.tgz"), "-C", str(out)], check=True))
    tar_xz_sync = tar_xz + _timed(_sync)
    shutil.rmtree(out)
    _sync()
    other = SandboxManager(tree / "state2")
    restore = _timed(lambda: other.restore(data_holder[0], work_dir=str(tree / "restored")))
    note(f"snapshot: {snap:.2f} s vs tar -czf {tar_cz:.2f} s = {snap / tar_cz:.2f}x "
         f"({len(data_holder[0]) / 1e6:.0f} MB vs {(tree / 't.tgz').stat().st_size / 1e6:.0f} MB)")
    note(f"restore: {restore:.2f} s vs tar -xzf {tar_xz:.2f} s = {restore / tar_xz:.2f}x "
         f"(tar -xzf with sync {tar_xz_sync:.2f} s: {restore / tar_xz_sync:.2f}x)")
    assert sorted(p.name for p in (tree / "restored").iterdir()) == sorted(p.name for p in work.iterdir())
