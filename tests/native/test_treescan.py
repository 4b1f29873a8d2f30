"""csrc/treescan.c: the C scan of a work directory equals the Python walk it replaces, and
an untrusted tree (links planted on parents, FIFOs swapped in, names no encoding takes,
unreadable or impossibly deep directories) cannot make it read outside or hang."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from sandbox import SnapshotError
from sandbox.state import scanner as scanner_module
from sandbox.state import workdir
from sandbox.state.manifest import Manifest

pytestmark = [pytest.mark.linux, pytest.mark.native]


@pytest.fixture
def scanner():
    assert scanner_module.backend() == "native"
    return scanner_module.native


def _tree(root: Path) -> None:
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "main.py").write_text("print(1)\n")
    (root / "src" / "pkg" / "run.sh").write_text("#!/bin/sh\n")
    (root / "src" / "pkg" / "run.sh").chmod(0o755)
    (root / "empty" / "deeper").mkdir(parents=True)
    (root / "shared").mkdir(mode=0o777)
    os.chmod(root / "shared", 0o3777)  # sticky kept, setgid never state
    (root / "link-up").symlink_to("../outside")
    (root / "dangling").symlink_to("nowhere/at/all")
    (root / "src" / "dirlink").symlink_to("pkg")
    os.link(root / "src" / "pkg" / "main.py", root / "hardlink.py")
    os.mkfifo(root / "fifo")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(root / "sock"))
    listener.close()
    raw = os.fsencode(str(root)) + b"/caf\xe9-latin1"  # not UTF-8: kept by surrogate escape
    with open(raw, "wb") as f:
        f.write(b"old name")
    (root / "with space\nand newline").write_text("x")
    (root / "a.b").write_text("sorts before a/")
    (root / "a").mkdir()
    (root / "a" / "x").write_text("inside a/")


@pytest.fixture
def tree_fd(tmp_path: Path):
    """(the work directory holding _tree, a descriptor of it)."""
    work = tmp_path / "work"
    work.mkdir()
    _tree(work)
    fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    yield work, fd
    os.close(fd)


def test_the_c_scan_and_the_python_walk_capture_the_same_state(tmp_path: Path, monkeypatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _tree(work)
    native = workdir.capture(str(work), batch=None)
    monkeypatch.setattr(scanner_module, "native", None)
    walked = workdir.capture(str(work), batch=None)
    assert native == walked
    paths = set(native.entries)
    assert {"fifo", "sock"}.isdisjoint(paths)  # not state
    assert native.entries["shared"].mode == 0o1777
    assert native.entries["src/pkg/run.sh"].mode == 0o755
    assert native.entries["src/dirlink"].target == "pkg"
    assert os.fsdecode(b"caf\xe9-latin1") in paths
    assert "src/dirlink/main.py" not in paths  # a link to a directory is not entered


def test_ignore_patterns_prune_the_same_entries_in_both(tmp_path: Path, monkeypatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _tree(work)
    (work / "node_modules" / "dep").mkdir(parents=True)
    (work / "node_modules" / "dep" / "index.js").write_text("x")
    (work / "src" / "pkg" / "cache.pyc").write_text("x")
    ignore = ("node_modules", "*.pyc", "src/pkg/run.*")
    native = workdir.capture(str(work), batch=None, ignore=ignore)
    monkeypatch.setattr(scanner_module, "native", None)
    assert native == workdir.capture(str(work), batch=None, ignore=ignore)
    assert not any(p.startswith("node_modules") or p.endswith((".pyc", "run.sh")) for p in native.entries)


def test_threads_do_not_change_the_result(tmp_path: Path, scanner) -> None:
    work = tmp_path / "work"
    for i in range(40):
        (work / f"d{i}" / "sub").mkdir(parents=True)
        for j in range(5):
            (work / f"d{i}" / "sub" / f"f{j}").write_text(str(i * j))
    # Names that sort differently by whole path and by component: by path bytes "d1\x01" <
    # "d1-x" < "d1.x" < "d1/sub"; by component, d1's own entries come right after it.
    for odd in ("d1-x", "d1.x", "d1\x01", "d10.txt"):
        (work / odd).write_text(odd)
    fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    try:
        one = scanner.scan(fd, None, None, 1)[1:]
        assert scanner.scan(fd, None, None, 2)[1:] == one
        assert scanner.scan(fd, None, None, 4)[1:] == one
        paths = one[2]
        assert len(paths) == 40 * 2 + 40 * 5 + 4
        assert paths.index("d1/sub/f4") + 1 == paths.index("d1\x01")
        assert paths == sorted(paths, key=lambda p: os.fsencode(p).split(b"/"))  # component order
    finally:
        os.close(fd)


def test_only_what_differs_from_the_previous_keys_is_reported(tree_fd, scanner) -> None:
    work, fd = tree_fd
    first, changed, _, _ = scanner.scan(fd)
    before = {path: key for path, key, _ in changed}
    assert scanner.scan(fd, None, before)[1] == [c for c in changed if c[2] is not None]  # links only
    assert scanner.scan(fd, None, None, 0, first)[1:3] == ([], [])  # by the kept scan: nothing
    (work / "src" / "pkg" / "main.py").write_text("print(2)\n")  # the hard link with it
    (work / "src" / "pkg" / "run.sh").chmod(0o700)
    (work / "dangling").unlink()
    (work / "dangling").symlink_to("elsewhere")
    (work / "a" / "x").unlink()
    (work / "a" / "new").write_text("added")
    by_keys = {path for path, _, target in scanner.scan(fd, None, before)[1] if target is None}
    assert by_keys == {"src/pkg/main.py", "hardlink.py", "src/pkg/run.sh", "a/new"}
    _, changed, deleted, paths = scanner.scan(fd, None, None, 0, first)
    assert paths is None and deleted == ["a/x"]
    # A directory's key is its mode: new names in it are entries of their own.
    expected = {"src/pkg/main.py", "hardlink.py", "src/pkg/run.sh", "a/new", "dangling"}
    assert {path for path, _, _ in changed} == expected
    assert ("dangling", (stat.S_IFLNK | 0o777, 0, 0, 0, 0), "elsewhere") in changed
    # An entry the caller forgets is reported again, even unchanged.
    again, _, _, _ = scanner.scan(fd)
    again.forget(["src/pkg/main.py", "not/there"])
    assert [c[0] for c in scanner.scan(fd, None, None, 0, again)[1]] == ["src/pkg/main.py"]


def test_a_link_planted_on_a_parent_is_never_read_through(tmp_path: Path, scanner) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "main.py").write_text("the host's secret")
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    (work / "src" / "main.py").write_text("mine")
    fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # The swap a racing program makes between the scan and the read: src becomes a link.
        os.rename(work / "src", work / "src.real")
        (work / "src").symlink_to(outside)
        # The attack works on a plain open relative to the work directory...
        leaked = os.open("src/main.py", os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
        assert os.read(leaked, 100) == b"the host's secret"
        os.close(leaked)
        # ...and not through the scanner's open, which refuses a link in any component.
        assert scanner.open_file(fd, "src/main.py") is None
        assert scanner.open_file(fd, "src.real/main.py") is not None
        assert "src/main.py" not in scanner.scan(fd)[3]
    finally:
        os.close(fd)


def test_a_fifo_swapped_in_for_a_file_does_not_hang_the_read(tmp_path: Path, scanner) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    os.mkfifo(tree / "was-a-file")  # nobody writes to it: a blocking open would wait forever
    fd = os.open(tree, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert scanner.open_file(fd, "was-a-file") is None
        assert scanner.open_file(fd, "../tree/was-a-file") is None  # beneath the root only
    finally:
        os.close(fd)


@pytest.mark.seccomp
def test_without_openat2_the_component_walk_refuses_the_same_links(tmp_path: Path) -> None:
    # A container's seccomp profile may answer ENOSYS to openat2: the fallback walks the
    # path one directory at a time with O_NOFOLLOW. Shown in a child whose filter says so.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "main.py").write_text("the host's secret")
    work = tmp_path / "work"
    (work / "real").mkdir(parents=True)
    (work / "real" / "main.py").write_text("mine")
    (work / "src").symlink_to(outside)
    (work / "real" / "last").symlink_to(outside / "main.py")
    child = f"""
import errno, os
from sandbox.confine.seccomp import Rule, apply_seccomp, assemble_profile, errno_action, native_arch
from sandbox._native import _treescan
apply_seccomp(assemble_profile([Rule("openat2", 437, errno_action(errno.ENOSYS))], arch=native_arch()))
fd = os.open({str(work)!r}, os.O_RDONLY | os.O_DIRECTORY)
try:
    os.close(_treescan.open_file(fd, "real/main.py")[0])
    print("ok: a plain path opens")
    print("planted parent:", _treescan.open_file(fd, "src/main.py"))
    print("planted last:", _treescan.open_file(fd, "real/last"))
finally:
    os.close(fd)
"""
    import subprocess
    import sys

    # cwd: not the checkout, whose sandbox/ has no build: the child imports the installed one.
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["ok: a plain path opens", "planted parent: None", "planted last: None"]


def test_a_path_too_long_for_the_kernel_stops_the_scan_naming_where(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    name = "d" * 200
    try:
        for _ in range(22):  # 22 * 201 bytes: past PATH_MAX, made one directory at a time
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    with pytest.raises(SnapshotError, match="too long"):
        workdir.capture(str(work), batch=None)


def test_an_unreadable_directory_is_named_in_the_error(tmp_path: Path) -> None:
    work = tmp_path / "work"
    for i in range(8):  # enough subtrees that a worker thread, not the caller, meets it
        (work / f"d{i}").mkdir(parents=True)
    locked = work / "d5" / "locked"
    locked.mkdir()
    (locked / "f").write_text("x")
    locked.chmod(0)
    try:
        if os.geteuid() == 0:
            # root reads it anyway (CI runs these tests as an unprivileged user as well).
            assert "d5/locked/f" in workdir.capture(str(work), batch=None).entries
        else:
            with pytest.raises(SnapshotError, match="d5/locked"):
                workdir.capture(str(work), batch=None)
    finally:
        locked.chmod(0o700)


def test_an_error_raised_by_skip_comes_back_unchanged(tree_fd, scanner) -> None:
    _, fd = tree_fd

    def skip(path: str) -> bool:
        if path == "src/pkg":
            raise KeyError("from the predicate")
        return False

    with pytest.raises(KeyError, match="from the predicate"):
        scanner.scan(fd, skip)
    seen: list[str] = []
    paths = scanner.scan(fd, lambda p: seen.append(p) or p == "src")[3]
    assert "src" not in paths and not any(p.startswith("src/") for p in seen)


def test_the_scan_keys_match_the_manifests_stat_keys(tree_fd, scanner) -> None:
    from sandbox.state.manifest import stat_keys

    work, fd = tree_fd
    manifest: Manifest = workdir.capture(str(work), batch=None)
    _, changed, _, _ = scanner.scan(fd, None, stat_keys(Manifest(dict(manifest.entries))))
    # Only links come back (for their targets): every other key was recognised.
    assert all(stat.S_ISLNK(key[0]) for _, key, _ in changed)
