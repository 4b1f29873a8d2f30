"""SandboxManager: the lifecycle, diff, listing and errors, on real directories."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from sandbox import PolicyError, SandboxManager, SandboxState, SnapshotError

# Each test runs against the C scan and the Python walk (see state_scan in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("state_scan")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    w = tmp_path / "work"
    (w / "src" / "pkg").mkdir(parents=True)
    (w / "src" / "pkg" / "main.py").write_text("print('hi')\n")
    (w / ".env").write_text("TOKEN=secret\n")
    (w / "empty").mkdir()
    (w / "tool.sh").write_text("#!/bin/sh\necho tool\n")
    (w / "tool.sh").chmod(0o755)
    (w / "link").symlink_to("src/pkg/main.py")
    (w / "big.bin").write_bytes(os.urandom(1 << 20))  # larger than a pack entry: stored loose
    return w


@pytest.fixture
def manager(tmp_path: Path) -> SandboxManager:
    return SandboxManager(tmp_path / "state")


def tree(root: Path) -> dict[str, object]:
    """Everything about a directory a restore must reproduce."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                out[rel] = ("file", stat.S_IMODE(st.st_mode), p.read_bytes())
    return out


def test_create_records_a_running_sandbox_with_its_baseline(manager: SandboxManager, work: Path) -> None:
    state = manager.create(str(work), {"API_URL": "http://localhost"})
    assert isinstance(state, SandboxState)
    assert state.id.startswith("sb-") and len(state.id) == 15
    assert state.status == "running" and state.paused_at is None
    assert state.work_dir == str(work) and state.env_vars == {"API_URL": "http://localhost"}
    assert state.files["src/pkg/main.py"] == b"print('hi')\n"
    assert set(state.files) == {"src/pkg/main.py", ".env", "tool.sh", "big.bin"}
    assert manager.diff_sandbox(state.id) == []


def test_the_state_directory_is_private(manager: SandboxManager, work: Path) -> None:
    manager.create(str(work))
    for dirpath, _, filenames in os.walk(manager.dir):
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700, dirpath
        for name in filenames:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, name)).st_mode) == 0o600, name


def test_diff_lists_added_modified_and_deleted_sorted(manager: SandboxManager, work: Path) -> None:
    state = manager.create(str(work))
    (work / "z-new.txt").write_text("new")
    (work / "src" / "pkg" / "main.py").write_text("print('changed')\n")
    (work / ".env").unlink()
    (work / "tool.sh").chmod(0o644)
    assert manager.diff_sandbox(state.id) == [
        "added: z-new.txt", "deleted: .env", "modified: src/pkg/main.py", "modified: tool.sh",
    ]


def test_pause_then_resume_puts_back_exactly_the_paused_state(manager: SandboxManager, work: Path) -> None:
    state = manager.create(str(work))
    (work / "added-before-pause.txt").write_text("keep me")
    paused = manager.pause(state.id)
    assert paused.status == "paused" and paused.paused_at is not None
    expected = tree(work)
    # What the agent does afterwards, all of which resume must undo.
    (work / "src" / "pkg" / "main.py").write_text("broken")
    (work / "added-after.txt").write_text("remove me")
    (work / "newdir" / "deep").mkdir(parents=True)
    (work / "newdir" / "deep" / "f").write_text("x")
    (work / "big.bin").unlink()
    (work / "empty").rmdir()
    (work / "tool.sh").chmod(0o600)
    (work / "link").unlink()
    (work / "link").symlink_to("elsewhere")
    (work / "src" / "pkg").chmod(0o500)  # read-only: resume must still write main.py back
    (work / "empty2").mkdir(mode=0o000)  # unreadable: resume must still remove it
    resumed = manager.resume(state.id)
    assert resumed.status == "running" and resumed.resumed_at is not None
    assert tree(work) == expected


def test_resume_replaces_a_directory_turned_into_a_link_without_following_it(
    manager: SandboxManager, work: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("untouched")
    state = manager.create(str(work))
    manager.pause(state.id)
    # An agent swaps a directory of the state for a link out of the work directory.
    import shutil

    shutil.rmtree(work / "src")
    (work / "src").symlink_to(outside)
    manager.resume(state.id)
    assert (work / "src").is_dir() and not (work / "src").is_symlink()
    assert (work / "src" / "pkg" / "main.py").read_text() == "print('hi')\n"
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    assert (outside / "victim").read_text() == "untouched"


def _spy_reads(workdir, monkeypatch) -> list[str]:
    """The paths a capture reads, by either scanner: the C scan reads with _read_file
    (called only for what changed), the Python walk with _file (called for every file,
    returning the cached entry itself for an unchanged one)."""
    opened: list[str] = []
    real_file, real_read = workdir._file, workdir._read_file

    def spy_file(dir_fd, name, path, st, cached, batch):
        entry = real_file(dir_fd, name, path, st, cached, batch)
        if entry is not cached:
            opened.append(path)
        return entry

    def spy_read(root, path, batch):
        opened.append(path)
        return real_read(root, path, batch)

    monkeypatch.setattr(workdir, "_file", spy_file)
    monkeypatch.setattr(workdir, "_read_file", spy_read)
    return opened


def test_a_second_pause_reads_only_what_changed(manager: SandboxManager, work: Path, monkeypatch) -> None:
    state = manager.create(str(work))
    manager.pause(state.id)
    manager.resume(state.id)
    (work / "src" / "pkg" / "main.py").write_text("print('v2')\n")
    from sandbox.state import workdir

    opened = _spy_reads(workdir, monkeypatch)
    paused = manager.pause(state.id)
    assert opened == ["src/pkg/main.py"]
    assert paused.files["src/pkg/main.py"] == b"print('v2')\n"


def test_list_is_newest_first_and_format_status_is_a_table(manager: SandboxManager, work: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    first = manager.create(str(work))
    second = manager.create(str(other))
    manager.pause(second.id)
    assert [s.id for s in manager.list()] == [second.id, first.id]
    assert set(manager.sandboxes) == {first.id, second.id}
    table = manager.format_status().splitlines()
    assert table[0].split() == ["ID", "STATUS", "CREATED", "PAUSED", "FILES", "WORK", "DIR"]
    assert table[1].startswith(second.id) and " paused " in table[1]
    assert table[2].startswith(first.id) and " running " in table[2]


@pytest.mark.parametrize("bad", ["sb-123", "sb-XXXXXXXXXXXX", "../../etc", "sb-0123456789ab/..", "", None, 7])
def test_an_invalid_id_raises_policy_error_before_any_path_is_formed(manager: SandboxManager, bad: object) -> None:
    for call in (manager.pause, manager.resume, manager.snapshot, manager.diff_sandbox, manager.get, manager.terminate):
        with pytest.raises(PolicyError):
            call(bad)  # type: ignore[arg-type]


def test_unknown_ids_and_wrong_states_raise_policy_error(manager: SandboxManager, work: Path) -> None:
    with pytest.raises(PolicyError):
        manager.pause("sb-0123456789ab")
    state = manager.create(str(work))
    with pytest.raises(PolicyError):
        manager.resume(state.id)  # running
    manager.pause(state.id)
    with pytest.raises(PolicyError):
        manager.pause(state.id)  # paused
    manager.terminate(state.id)
    with pytest.raises(PolicyError):
        manager.resume(state.id)
    with pytest.raises(PolicyError):
        manager.diff_sandbox(state.id, since="yesterday")


@pytest.mark.parametrize("work_dir", ["relative/dir", "/does/not/exist"])
def test_create_refuses_a_bad_work_dir(manager: SandboxManager, work_dir: str) -> None:
    with pytest.raises(PolicyError):
        manager.create(work_dir)


def test_max_sandboxes_counts_live_sandboxes(tmp_path: Path, work: Path) -> None:
    manager = SandboxManager(tmp_path / "state", max_sandboxes=2)
    a = manager.create(str(work))
    manager.create(str(work))
    with pytest.raises(PolicyError):
        manager.create(str(work))
    manager.terminate(a.id)
    manager.create(str(work))
    with pytest.raises(PolicyError):
        SandboxManager(tmp_path / "s2", max_sandboxes=0)


def test_snapshot_and_restore_round_trip_elsewhere(manager: SandboxManager, work: Path, tmp_path: Path) -> None:
    state = manager.create(str(work), {"A": "1"})
    (work / "after.txt").write_text("after creation")
    data = manager.snapshot(state.id)
    elsewhere = SandboxManager(tmp_path / "state2")
    restored = elsewhere.restore(data, work_dir=str(tmp_path / "restored"))
    assert restored.id == state.id and restored.env_vars == {"A": "1"} and restored.status == "paused"
    assert tree(tmp_path / "restored") == tree(work)
    # The diff baseline travelled with it.
    assert elsewhere.diff_sandbox(restored.id) == ["added: after.txt"]


def test_restore_never_replaces_an_existing_sandbox(manager: SandboxManager, work: Path, tmp_path: Path) -> None:
    state = manager.create(str(work))
    data = manager.snapshot(state.id)
    with pytest.raises(SnapshotError):
        manager.restore(data, work_dir=str(tmp_path / "new-place"))
    assert not (tmp_path / "new-place").exists()


def test_diff_survives_a_new_manager(manager: SandboxManager, work: Path) -> None:
    state = manager.create(str(work))
    (work / "x.txt").write_text("x")
    again = SandboxManager(manager.dir)
    assert again.diff_sandbox(state.id) == ["added: x.txt"]
    manager.pause(state.id)
    assert again.diff_sandbox(state.id, since="baseline", until="saved") == ["added: x.txt"]
    assert again.diff_sandbox(state.id, since="saved") == []


def test_cleanup_removes_old_sandboxes_and_unreferenced_objects(manager: SandboxManager, work: Path) -> None:
    old = manager.create(str(work))
    (work / "big.bin").write_bytes(os.urandom(1 << 20))
    manager.pause(old.id)
    objects_before = manager.store.all()
    assert manager.cleanup(timedelta(days=1)) == []
    assert manager.store.all() == objects_before
    assert manager.cleanup(timedelta(0)) == [old.id]
    assert manager.list() == [] and manager.store.all() == set()
    assert work.exists(), "cleanup never touches a work directory"
    with pytest.raises(PolicyError):
        manager.cleanup(timedelta(seconds=-1))


def test_files_is_a_read_only_lazy_mapping(manager: SandboxManager, work: Path) -> None:
    state = manager.create(str(work))
    with pytest.raises(KeyError):
        state.files["nope"]
    with pytest.raises(TypeError):
        state.files["x"] = b"y"  # type: ignore[index]
    assert len(state.files) == 4


def test_ignore_patterns_leave_paths_out(tmp_path: Path, work: Path) -> None:
    (work / "node_modules").mkdir()
    (work / "node_modules" / "dep.js").write_text("x")
    manager = SandboxManager(tmp_path / "state", ignore=("node_modules", "*.bin"))
    state = manager.create(str(work))
    assert "big.bin" not in state.files and not any(p.startswith("node_modules") for p in state.files)


def test_every_pause_is_kept_and_any_two_states_can_be_compared(manager: SandboxManager, work: Path) -> None:
    state = manager.create(str(work))
    (work / "one.txt").write_text("1")
    manager.pause(state.id)
    manager.resume(state.id)
    (work / "two.txt").write_text("2")
    (work / "one.txt").write_text("1 changed")
    manager.pause(state.id)
    names = [name for name, _ in manager.states(state.id)]
    assert names == ["1", "2"]
    assert manager.diff_sandbox(state.id, since="1", until="2") == ["added: two.txt", "modified: one.txt"]
    assert manager.diff_sandbox(state.id, since="baseline", until="1") == ["added: one.txt"]
    assert manager.diff_sandbox(state.id, since="2", until="saved") == []
    with pytest.raises(PolicyError):
        manager.diff_sandbox(state.id, since="3")
    # cleanup keeps what the history refers to
    from datetime import timedelta

    manager.cleanup(timedelta(days=1))
    manager.resume(state.id)
    assert manager.diff_sandbox(state.id, since="1", until="2") == ["added: two.txt", "modified: one.txt"]


def test_an_unreadable_file_stops_the_pause_instead_of_being_left_out(manager: SandboxManager, work: Path) -> None:
    state = manager.create(str(work))
    secret = work / "unreadable.txt"
    secret.write_text("mine")
    secret.chmod(0o000)
    try:
        if os.geteuid() == 0:
            # root reads it anyway: then it is saved like any file.
            assert manager.pause(state.id).files["unreadable.txt"] == b"mine"
        else:
            with pytest.raises(SnapshotError, match=r"unreadable\.txt"):
                manager.pause(state.id)
            assert manager.get(state.id).status == "running"
    finally:
        secret.chmod(0o600)


def test_after_a_restore_or_resume_the_next_pause_reads_nothing_unchanged(
    manager: SandboxManager, work: Path, tmp_path: Path, monkeypatch
) -> None:
    from sandbox.state import workdir

    state = manager.create(str(work))
    manager.pause(state.id)
    (work / "src" / "pkg" / "main.py").write_text("changed by the agent")
    manager.resume(state.id)  # rewrites main.py
    elsewhere = SandboxManager(tmp_path / "state2")
    restored = elsewhere.restore(manager.snapshot(state.id), work_dir=str(tmp_path / "copy"))
    elsewhere.resume(restored.id)

    opened = _spy_reads(workdir, monkeypatch)
    manager.pause(state.id)
    elsewhere.pause(restored.id)
    assert opened == []


def test_restore_creates_missing_parents_and_reports_what_it_cannot_write(
    manager: SandboxManager, work: Path, tmp_path: Path
) -> None:
    data = manager.snapshot(manager.create(str(work)).id)
    other = SandboxManager(tmp_path / "state2")
    restored = other.restore(data, work_dir=str(tmp_path / "a" / "b" / "copy"))
    assert (Path(restored.work_dir) / "src" / "pkg" / "main.py").exists()
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    third = SandboxManager(tmp_path / "state3")
    with pytest.raises(SnapshotError):
        third.restore(data, work_dir=str(blocker / "copy"))
    assert third.list() == [] and blocker.read_text() == "x"


def test_a_pause_writes_only_what_differs_from_its_base(manager: SandboxManager, work: Path, tmp_path: Path) -> None:
    import json

    from sandbox.state import manifest as manifest_module

    for i in range(300):
        (work / "src" / f"m{i}.py").write_text(f"x = {i}\n")
    state = manager.create(str(work))
    manager.pause(state.id)
    manager.resume(state.id)
    (work / "src" / "m7.py").write_text("x = 'changed'\n")
    (work / "src" / "m8.py").unlink()
    manager.pause(state.id)
    folder = tmp_path / "state" / "sandboxes" / state.id
    saved = json.loads((folder / "history" / "000002.json").read_bytes())
    assert [e["path"] for e in saved["entries"]] == ["src/m7.py"] and saved["deleted"] == ["src/m8.py"]
    assert (folder / "bases" / f"{saved['base']}.json").stat().st_size > 20 * (
        folder / "history" / "000002.json"
    ).stat().st_size
    # A new manager (a restarted process) reads every state back as the first one holds it.
    again = SandboxManager(tmp_path / "state")
    for name in ("baseline", "history/000001", "history/000002"):
        assert again._manifest(state.id, name) == manager._manifest(state.id, name)
    assert again.diff_sandbox(state.id, since="1", until="2") == ["deleted: src/m8.py", "modified: src/m7.py"]

    # Past the delta limit, the state gets a base of its own and its file lists nothing.
    manager.resume(state.id)
    for i in range(300):
        (work / "src" / f"m{i}.py").unlink(missing_ok=True)
    monkey_limit = manifest_module.DELTA_LIMIT
    try:
        manifest_module.DELTA_LIMIT = 16
        manager.pause(state.id)
    finally:
        manifest_module.DELTA_LIMIT = monkey_limit
    latest = json.loads((folder / "history" / "000003.json").read_bytes())
    assert latest["base"] != saved["base"] and latest["entries"] == [] and latest["deleted"] == []
    assert SandboxManager(tmp_path / "state").get(state.id).files.keys() == manager.get(state.id).files.keys()


def test_a_damaged_base_is_refused_and_stops_cleanup_from_collecting(
    manager: SandboxManager, work: Path, tmp_path: Path
) -> None:
    state = manager.create(str(work))
    manager.pause(state.id)
    folder = tmp_path / "state" / "sandboxes" / state.id
    bases = list((folder / "bases").iterdir())
    assert bases
    objects_before = sorted(p.name for p in (tmp_path / "state" / "store").rglob("*") if p.is_file())
    for base in bases:
        base.write_bytes(base.read_bytes().replace(b'"mode":', b'"mode" :', 1))  # valid JSON, other bytes
    fresh = SandboxManager(tmp_path / "state")
    with pytest.raises(SnapshotError, match="damaged"):
        fresh.diff_sandbox(state.id, since="baseline", until="saved")
    with pytest.raises(SnapshotError, match="damaged"):
        fresh.cleanup(timedelta(days=1))
    assert sorted(p.name for p in (tmp_path / "state" / "store").rglob("*") if p.is_file()) == objects_before


def test_a_damaged_pack_is_refused_not_read(manager: SandboxManager, work: Path, tmp_path: Path) -> None:
    import struct

    state = manager.create(str(work))
    packs = list((tmp_path / "state" / "store" / "packs").iterdir())
    assert len(packs) == 1 and packs[0].suffix == ".pack"
    whole = packs[0].read_bytes()
    magic, count = struct.unpack(">8sQ", whole[-16:])
    assert magic == b"SBXPACK1" and count >= 3  # .env, main.py, tool.sh at least
    for damaged in (
        whole[:-5],  # truncated: no footer
        whole[:-16] + struct.pack(">8sQ", magic, 10**6),  # an index longer than the pack
        whole[: -16 - 48] + whole[-16 - 48 : -16 - 16] + struct.pack(">Q", 10**9) + whole[-16:],  # past the end
    ):
        packs[0].write_bytes(damaged)
        with pytest.raises(SnapshotError, match="damaged"):
            SandboxManager(tmp_path / "state").get(state.id).files[".env"]


def test_process_state_is_kept_with_the_pause_and_in_snapshots(
    manager: SandboxManager, work: Path, tmp_path: Path
) -> None:
    state = manager.create(str(work))
    assert state.process_state == {}
    paused = manager.pause(state.id, process_state={"cwd": "src/pkg", "history": ["make", "pytest -x"]})
    assert paused.process_state == {"cwd": "src/pkg", "history": ["make", "pytest -x"]}
    assert SandboxManager(tmp_path / "state").get(state.id).process_state["cwd"] == "src/pkg"
    restored = SandboxManager(tmp_path / "other").restore(manager.snapshot(state.id), work_dir=str(tmp_path / "copy"))
    assert restored.process_state == paused.process_state
    manager.resume(state.id)
    for bad in ({"x": float("nan")}, {1: "not a string key"}, {"x": object()}, {"big": "x" * (65 << 10)}, ["a"]):
        with pytest.raises(PolicyError, match="process_state"):
            manager.pause(state.id, process_state=bad)  # type: ignore[arg-type]
    assert manager.get(state.id).status == "running"  # refused before anything was saved
