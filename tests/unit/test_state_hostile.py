"""Hostile snapshots: restore() validates everything before writing anything, and writes
nothing outside the work directory whatever a snapshot contains.

Each case builds snapshot bytes by hand (the format is in sandbox/state/archive.py) around
one lie, and checks that restore raises SnapshotError, that no sandbox was recorded, that
the store keeps no leftovers, and that a victim directory beside the target is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from pathlib import Path

import pytest

from sandbox import SandboxManager, SnapshotError
from sandbox.state import archive

GOOD_ID = "sb-0123456789ab"


def record(**over: object) -> dict[str, object]:
    base = {
        "id": GOOD_ID, "work_dir": "/nonexistent-placeholder", "env_vars": {}, "process_state": {},
        "created_at": "2026-01-01T00:00:00+00:00", "paused_at": None, "resumed_at": None, "status": "paused",
    }
    base.update(over)
    return base


def file_entry(path: str, content: bytes, **over: object) -> dict[str, object]:
    entry = {"path": path, "type": "file", "mode": 0o644, "size": len(content),
             "hash": hashlib.sha256(content).hexdigest(), "mtime_ns": 0, "ino": 0, "dev": 0}
    entry.update(over)
    return entry


def build(
    entries: list[dict[str, object]],
    objects: list[tuple[str, int, bytes]] | None = None,
    *,
    rec: dict[str, object] | None = None,
    header_over: dict[str, object] | None = None,
    tail: bytes = b"",
    version: int = archive.VERSION,
) -> bytes:
    """Snapshot bytes around ``entries``; ``objects`` default to the files' own contents."""
    if objects is None:
        objects = []
        for e in entries:
            if e["type"] == "file" and "content" in e:
                objects.append((str(e["hash"]), int(e["size"]), e.pop("content")))  # type: ignore[arg-type]
    header = {
        "format": archive.VERSION, "sandbox": rec or record(),
        "manifest": {"format": 1, "entries": entries}, "baseline": {"format": 1, "entries": []},
        "objects": [[h, n] for h, n, _ in objects],
    }
    header.update(header_over or {})
    raw = json.dumps(header).encode()
    body = zlib.compress(struct.pack(">Q", len(raw)) + raw + b"".join(data for _, _, data in objects) + tail)
    return archive.MAGIC + bytes([version]) + hashlib.sha256(body).digest() + body


def with_content(path: str, content: bytes, **over: object) -> dict[str, object]:
    entry = file_entry(path, content, **over)
    entry["content"] = content
    return entry


@pytest.fixture
def place(tmp_path: Path) -> dict[str, Path]:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    return {"root": tmp_path, "victim": victim, "target": tmp_path / "restored"}


def snapshot_of(root: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            out[p] = os.readlink(p) if os.path.islink(p) else (open(p, "rb").read() if os.path.isfile(p) else "dir")
    return out


def refused(data: bytes, place: dict[str, Path], manager: SandboxManager, work_dir: str | None = None) -> None:
    before = snapshot_of(place["victim"])
    with pytest.raises(SnapshotError):
        manager.restore(data, work_dir=work_dir if work_dir is not None else str(place["target"]))
    assert snapshot_of(place["victim"]) == before
    assert manager.list() == []
    assert os.listdir(manager.store.tmp) == []
    if work_dir is None:
        assert not place["target"].exists()


@pytest.fixture
def manager(tmp_path: Path) -> SandboxManager:
    return SandboxManager(tmp_path / "state")


@pytest.mark.parametrize(
    "path",
    ["../escape", "a/../../escape", "/etc/passwd", "./x", "a//b", "a/./b", "x\0y", "", "..", "a/", "/", "\ud800"],
)
def test_traversal_in_every_spelling_is_refused(place, manager, path: str) -> None:
    entries = [with_content(path, b"owned")]
    if path.startswith("a/"):
        entries.insert(0, {"path": "a", "type": "dir", "mode": 0o755})
    refused(build(entries), place, manager)


def test_a_file_beneath_a_symlink_of_the_snapshot_is_refused(place, manager) -> None:
    entries = [
        {"path": "s", "type": "symlink", "mode": 0o777, "target": str(place["victim"])},
        with_content("s/keep.txt", b"owned"),
    ]
    refused(build(entries), place, manager)


def test_a_file_beneath_a_file_is_refused(place, manager) -> None:
    refused(build([with_content("f", b"a"), with_content("f/x", b"b")]), place, manager)


def test_duplicated_entries_are_refused(place, manager) -> None:
    refused(build([with_content("f", b"a"), file_entry("f", b"a")]), place, manager)


def test_a_manifest_that_lies_about_a_size_is_refused(place, manager) -> None:
    content = b"twelve bytes"
    entry = file_entry("f", content, size=3)
    refused(build([entry], [(str(entry["hash"]), len(content), content)]), place, manager)


def test_an_object_that_does_not_match_its_hash_is_refused(place, manager) -> None:
    entry = file_entry("f", b"what the name says")
    refused(build([entry], [(str(entry["hash"]), 18, b"something else!!!!")]), place, manager)


def test_content_the_manifest_needs_but_the_snapshot_lacks_is_refused(place, manager) -> None:
    refused(build([file_entry("f", b"missing")], []), place, manager)


@pytest.mark.parametrize("cut", [1, 10, 100, -1, -20])
def test_truncated_snapshots_are_refused(place, manager, cut: int) -> None:
    data = build([with_content("f", b"x" * 1000)])
    refused(data[:cut], place, manager)


def test_a_flipped_byte_fails_the_checksum(place, manager) -> None:
    data = bytearray(build([with_content("f", b"x" * 1000)]))
    data[-5] ^= 0x40
    refused(bytes(data), place, manager)


@pytest.mark.parametrize("data", [b"", b"not a snapshot at all", b"SBXSNAP"])
def test_what_is_not_a_snapshot_is_refused(place, manager, data: bytes) -> None:
    refused(data, place, manager)


def test_an_unknown_format_version_is_refused(place, manager) -> None:
    refused(build([with_content("f", b"x")], version=archive.VERSION + 1), place, manager)


def test_data_past_the_last_object_is_refused(place, manager) -> None:
    refused(build([with_content("f", b"x")], tail=b"\0" * 10_000_000), place, manager)


def test_a_decompression_bomb_stops_at_the_bound(place, tmp_path: Path) -> None:
    manager = SandboxManager(tmp_path / "state", max_snapshot_bytes=1 << 20)
    huge = b"\0" * (8 << 20)  # 8 MiB of zeros compress to a few KiB
    entry = with_content("zeros", huge)
    data = build([entry])
    assert len(data) < 100_000
    refused(data, place, manager)


@pytest.mark.parametrize(
    "rec",
    [
        {"id": "../../etc"}, {"id": "sb-NOTHEX00000"}, {"id": 5}, {"status": "exploded"}, {"env_vars": {"A": 1}},
        {"work_dir": "relative/path"}, {"created_at": "yesterday"}, {"created_at": "2026-01-01T00:00:00"},
    ],
)
def test_an_invalid_record_is_refused(place, manager, rec: dict[str, object]) -> None:
    refused(build([with_content("f", b"x")], rec=record(**rec)), place, manager)


def test_a_work_directory_at_a_home_or_system_directory_is_refused(place, manager) -> None:
    data = build([with_content("f", b"x")])
    for target in (os.path.expanduser("~"), "/", "/etc", "/usr", "/home", os.path.dirname(os.path.expanduser("~"))):
        refused(data, place, manager, work_dir=target)


def test_the_snapshots_own_work_dir_is_checked_too(place, manager) -> None:
    before = snapshot_of(place["victim"])
    with pytest.raises(SnapshotError):
        manager.restore(build([with_content("f", b"x")], rec=record(work_dir=os.path.expanduser("~"))))
    assert snapshot_of(place["victim"]) == before and manager.list() == []


def test_a_non_empty_work_directory_is_never_overwritten(place, manager) -> None:
    refused(build([with_content("keep.txt", b"owned")]), place, manager, work_dir=str(place["victim"]))


def test_a_work_directory_that_is_a_symlink_is_refused(place, manager) -> None:
    link = place["root"] / "link-to-victim"
    link.symlink_to(place["victim"])
    refused(build([with_content("x", b"owned")]), place, manager, work_dir=str(link))


def test_the_managers_own_directory_is_refused(place, manager) -> None:
    refused(build([with_content("x", b"owned")]), place, manager, work_dir=os.path.join(manager.dir, "inside"))


def test_setuid_and_setgid_bits_never_come_back(place, manager) -> None:
    state = manager.restore(build([with_content("tool", b"#!/bin/sh\n", mode=0o6755)]), work_dir=str(place["target"]))
    assert state.status == "paused"
    assert oct(os.stat(place["target"] / "tool").st_mode & 0o7777) == oct(0o755)


def test_links_are_restored_as_links_and_never_followed(place, manager) -> None:
    entries = [
        {"path": "out", "type": "symlink", "mode": 0o777, "target": str(place["victim"] / "keep.txt")},
        with_content("ok.txt", b"fine"),
    ]
    before = snapshot_of(place["victim"])
    manager.restore(build(entries), work_dir=str(place["target"]))
    assert os.readlink(place["target"] / "out") == str(place["victim"] / "keep.txt")
    assert snapshot_of(place["victim"]) == before
