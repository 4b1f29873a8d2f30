"""Properties of the manifest and the snapshot format (Hypothesis): what is written reads
back the same, what is damaged never reads back as something else, and the path check
accepts exactly the plain relative paths."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sandbox import SnapshotError  # noqa: E402
from sandbox.state import archive  # noqa: E402
from sandbox.state.manifest import DIR, FILE, SYMLINK, Entry, Manifest, check_path, diff  # noqa: E402
from sandbox.state.store import Batch, ObjectStore  # noqa: E402

# Names with the characters that matter (dots, dashes, spaces, non-ASCII, shell-special).
ALPHABET = st.sampled_from(list("abcXYZ019._- é€$*'\"\\\n"))
names = st.text(alphabet=ALPHABET, min_size=1, max_size=12).filter(lambda n: n not in (".", ".."))
targets = st.text(alphabet=st.sampled_from(list("abc./-é ")), min_size=1, max_size=20)


@st.composite
def manifests(draw: st.DrawFn) -> tuple[Manifest, dict[str, bytes]]:
    """A valid manifest (parents are directories) and the contents of its files."""
    entries: list[Entry] = []
    contents: dict[str, bytes] = {}
    dirs = [""]
    for _ in range(draw(st.integers(0, 12))):
        parent = draw(st.sampled_from(dirs))
        name = draw(names)
        path = f"{parent}/{name}" if parent else name
        if any(e.path == path for e in entries):
            continue
        kind = draw(st.sampled_from([FILE, DIR, SYMLINK]))
        if kind == DIR:
            entries.append(Entry(path, DIR, draw(st.integers(0, 0o777))))
            dirs.append(path)
        elif kind == SYMLINK:
            entries.append(Entry(path, SYMLINK, 0o777, target=draw(targets)))
        else:
            data = draw(st.binary(max_size=300))
            digest = hashlib.sha256(data).hexdigest()
            contents[digest] = data
            entries.append(Entry(path, FILE, draw(st.integers(0, 0o1777)), len(data), digest))
    return Manifest.validated(entries), contents


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(manifests())
def test_a_manifest_reads_back_as_written(case: tuple[Manifest, dict[str, bytes]]) -> None:
    manifest, _ = case
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert diff(manifest, manifest) == []


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(manifests(), manifests())
def test_diff_names_each_changed_path_once(a: tuple[Manifest, object], b: tuple[Manifest, object]) -> None:
    lines = diff(a[0], b[0])
    assert lines == sorted(lines)
    paths = [line.split(": ", 1)[1] for line in lines]
    assert len(paths) == len(set(paths))
    assert set(paths) <= set(a[0].entries) | set(b[0].entries)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=40)
@given(case=manifests(), data=st.data())
def test_a_snapshot_reads_back_and_any_damage_is_refused(tmp_path: Path, case, data: st.DataObject) -> None:
    manifest, contents = case
    store = ObjectStore(str(tmp_path / f"store-{data.draw(st.integers(0, 1 << 30))}"))
    batch = Batch(store)
    for content in contents.values():
        batch.add_bytes(content)
    batch.commit()
    record = {"id": "sb-0123456789ab", "work_dir": "/w", "env_vars": {}, "process_state": {},
              "created_at": "2026-01-01T00:00:00+00:00", "paused_at": None, "resumed_at": None, "status": "paused"}
    blob = archive.write(record, manifest, Manifest.of([]), store)
    reader = Batch(store)
    snap = archive.read(blob, reader)
    reader.abort()
    assert snap.manifest == manifest and snap.record == record
    # Any single flipped byte or any truncation is refused, never read as something else.
    position = data.draw(st.integers(0, len(blob) - 1))
    damaged = bytearray(blob)
    damaged[position] ^= data.draw(st.integers(1, 255))
    for bad in (bytes(damaged), blob[:position]):
        with pytest.raises(SnapshotError):
            archive.read(bad, Batch(store))


@given(st.text(max_size=40))
def test_check_path_accepts_exactly_plain_relative_paths(path: str) -> None:
    parts = path.split("/")
    plain = bool(path) and "\0" not in path and all(p not in ("", ".", "..") for p in parts)
    try:
        check_path(path)
        accepted = True
    except SnapshotError:
        accepted = False
    assert accepted == plain
