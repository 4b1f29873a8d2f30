"""Manifests: what a saved state of a work directory holds, entry by entry.

A manifest is a sorted list of entries (relative path, type, mode, size, content hash,
symlink target), plus the stat fields that let the next capture recognise an unchanged
file without reading it. It is data from disk or from a snapshot someone sent: every field
is validated on load (``Manifest.from_json``) before any path is formed from it.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

from sandbox.errors import SnapshotError

FORMAT = 1
FILE, DIR, SYMLINK = "file", "dir", "symlink"
_HASH = re.compile(r"[0-9a-f]{64}")
# Modes a restore may set: permission bits and the sticky bit. Setuid and setgid never come
# back from saved state: a snapshot from elsewhere must not plant a privileged program.
MODE_MASK = 0o1777
MAX_PATH = 4096
MAX_NAME = 255


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing in a work directory. ``hash`` and ``size`` only for files, ``target`` only
    for symlinks; ``mtime_ns``, ``ino`` and ``dev`` are the capture's stat cache (zero when
    unknown, as in a restored snapshot)."""

    path: str
    type: str
    mode: int
    size: int = 0
    hash: str = ""
    target: str = ""
    mtime_ns: int = 0
    ino: int = 0
    dev: int = 0

    def same_content(self, other: Entry) -> bool:
        """Equal for a restore: type, mode and content (not the stat cache)."""
        return (self.type, self.mode, self.size, self.hash, self.target) == (
            other.type, other.mode, other.size, other.hash, other.target
        )

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"path": self.path, "type": self.type, "mode": self.mode}
        if self.type == FILE:
            out.update(size=self.size, hash=self.hash, mtime_ns=self.mtime_ns, ino=self.ino, dev=self.dev)
        elif self.type == SYMLINK:
            out["target"] = self.target
        return out


@dataclass(frozen=True, slots=True)
class Manifest:
    """A saved state: entries by relative path (sorted).

    ``memo`` holds what is derived from the entries and worth keeping between saves of one
    sandbox (see :func:`stat_keys` and :meth:`to_json`); it never takes part in equality.
    """

    entries: Mapping[str, Entry] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Manifest:
        return cls({e.path: e for e in sorted(entries, key=lambda e: e.path)})

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def hashes(self) -> set[str]:
        return {e.hash for e in self if e.type == FILE}

    def total_size(self) -> int:
        return sum(e.size for e in self if e.type == FILE)

    def to_obj(self) -> dict[str, object]:
        return {"format": FORMAT, "entries": [e.to_json() for e in self]}

    def to_json(self) -> str:
        """The manifest as JSON text. The text of each entry is kept (``memo["parts"]``, in
        the order of the entries) and handed on by :meth:`updated`, so that saving ten
        thousand entries of which one changed encodes one."""
        parts: list[str] | None = self.memo.get("parts")
        if parts is None:
            texts = self.memo.get("texts") or {}  # path -> (entry, text) of an older manifest
            parts = []
            for path, e in self.entries.items():
                known = texts.get(path)
                parts.append(known[1] if known is not None and known[0] is e else _entry_text(e))
            self.memo["parts"] = parts
        return f'{{"format":{FORMAT},"entries":[' + ",".join(parts) + "]}"

    def updated(self, changes: Mapping[str, Entry]) -> Manifest:
        """This manifest with the entries of ``changes`` (paths it has) replaced; their
        order, and the text of every other entry, are kept."""
        entries = dict(self.entries)
        entries.update(changes)
        out = Manifest(entries)
        parts: list[str] | None = self.memo.get("parts")
        if parts is not None:
            positions: dict[str, int] | None = self.memo.get("positions")
            if positions is None:
                positions = self.memo["positions"] = {p: i for i, p in enumerate(self.entries)}
            parts = list(parts)
            for path, e in changes.items():
                parts[positions[path]] = _entry_text(e)
            out.memo.update(parts=parts, positions=positions)
        if "base" in self.memo:
            # The same base serves, and what may differ from it is known (see delta).
            out.memo["base"] = self.memo["base"]
            out.memo["dirty"] = self.memo.get("dirty", frozenset()) | changes.keys()
        return out

    def texts(self) -> dict[str, tuple[Entry, str]]:
        """path -> (entry, its text) as far as known, for a manifest derived otherwise."""
        parts: list[str] | None = self.memo.get("parts")
        if parts is None:
            return {}
        return {path: (e, t) for (path, e), t in zip(self.entries.items(), parts, strict=True)}

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        """Parse and validate. Raises SnapshotError for anything malformed or hostile."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"a manifest is not valid JSON: {exc}") from exc
        return cls.from_obj(data)

    @classmethod
    def from_obj(cls, data: object) -> Manifest:
        """Validate a parsed manifest (see from_json). Raises SnapshotError."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), list):
            raise SnapshotError(f"a manifest is not of format {FORMAT}")
        return cls.validated(_entry(raw) for raw in data["entries"])

    @classmethod
    def validated(cls, entries: Iterable[Entry]) -> Manifest:
        """A manifest from entries whose fields are valid each, after the checks that need
        them all: no duplicates, and every parent a directory of the manifest (so no entry
        can be reached through a symlink the manifest itself plants)."""
        out: dict[str, Entry] = {}
        for e in entries:
            if e.path in out:
                raise SnapshotError(f"duplicate entry {e.path!r}")
            out[e.path] = e
        for e in out.values():
            parent = e.path.rpartition("/")[0]
            if parent and (parent not in out or out[parent].type != DIR):
                raise SnapshotError(f"entry {e.path!r} lies beneath {parent!r}, which is not a directory of the state")
        return cls.of(out.values())


# A state is written as its differences from a base manifest while they stay this small
# (see sandbox.state.manager): a pause after a small change then writes a small file, not
# every entry of a large tree again.
DELTA_LIMIT = 1024


def delta(base: Manifest, m: Manifest) -> tuple[list[Entry], list[str]] | None:
    """What turns ``base`` into ``m``: (entries new or changed, paths deleted), or None
    when that is more than a delta is worth (over DELTA_LIMIT, or an eighth of the base)."""
    b = base.entries
    dirty = m.memo.get("dirty")
    if dirty is not None and m.memo.get("base", (None, None))[1] is base:
        # Known to differ from the base only at these paths (see updated and apply_delta).
        changes, deleted = [], []
        for p in sorted(dirty):
            e = m.entries.get(p)
            if e is None:
                if p in b:
                    deleted.append(p)
            elif e != b.get(p):
                changes.append(e)
        return (changes, deleted) if len(changes) + len(deleted) <= max(DELTA_LIMIT, len(b) // 8) else None
    # Identity first: a captured manifest shares the Entry objects of what it came from.
    changes = [e for p, e in m.entries.items() if (old := b.get(p)) is not e and old != e]
    added = sum(1 for e in changes if e.path not in b)
    deleted = [p for p in b if p not in m.entries] if len(m) - added != len(b) else []
    if len(changes) + len(deleted) > max(DELTA_LIMIT, len(b) // 8):
        return None
    return changes, deleted


def delta_text(base_sha: str, changes: list[Entry], deleted: list[str]) -> str:
    """A state file that names its base manifest (by the SHA-256 of its bytes) and lists
    what differs from it."""
    return (
        f'{{"format":{FORMAT},"base":"{base_sha}","entries":[' + ",".join(_entry_text(e) for e in changes)
        + '],"deleted":[' + ",".join(_quote(p) for p in deleted) + "]}"
    )


def apply_delta(base: Manifest, data: Mapping[str, object]) -> Manifest:
    """The manifest a parsed state file of delta_text's form describes over ``base``.
    Validated as a whole manifest is. Raises SnapshotError."""
    raw, deleted = data.get("entries"), data.get("deleted")
    if data.get("format") != FORMAT or not isinstance(raw, list) or not isinstance(deleted, list):
        raise SnapshotError(f"a state file is not of format {FORMAT}")
    out = dict(base.entries)
    for path in deleted:
        if out.pop(check_path(path), None) is None:
            raise SnapshotError(f"a state file deletes {path!r}, which its base does not have")
    changes = [_entry(r) for r in raw]
    for e in changes:
        out[e.path] = e
    manifest = Manifest.validated(out.values())
    manifest.memo["dirty"] = frozenset(e.path for e in changes) | frozenset(deleted)
    return manifest


def _entry_text(e: Entry) -> str:
    """``json.dumps(e.to_json())`` without its generality: a quarter of its cost."""
    head = f'{{"path":{_quote(e.path)},"type":"{e.type}","mode":{e.mode}'
    if e.type == FILE:
        return f'{head},"size":{e.size},"hash":"{e.hash}","mtime_ns":{e.mtime_ns},"ino":{e.ino},"dev":{e.dev}}}'
    if e.type == SYMLINK:
        return f'{head},"target":{_quote(e.target)}}}'
    return head + "}"


def stat_keys(manifest: Manifest) -> dict[str, tuple[int, int, int, int, int]]:
    """Path -> the key a scan of an unchanged entry gives (see sandbox._native._treescan):
    ``(type and mode bits, size, mtime_ns, inode, device)``, the last four for files only.
    A file without a stat cache (restored from a snapshot) has no key: it is read again.
    Kept in ``memo["keys"]``."""
    keys: dict[str, tuple[int, int, int, int, int]] | None = manifest.memo.get("keys")
    if keys is None:
        keys = {}
        for e in manifest:
            if e.type == FILE:
                if e.mtime_ns:
                    keys[e.path] = (stat.S_IFREG | e.mode, e.size, e.mtime_ns, e.ino, e.dev)
            elif e.type == DIR:
                keys[e.path] = (stat.S_IFDIR | e.mode, 0, 0, 0, 0)
            else:
                keys[e.path] = (stat.S_IFLNK | 0o777, 0, 0, 0, 0)
        manifest.memo["keys"] = keys
    return keys


def check_path(path: object) -> str:
    """A relative path of a manifest: components that are not empty, ``.`` or ``..``, no
    NUL, no leading ``/``, within the kernel's limits. Raises SnapshotError."""
    if not isinstance(path, str) or not path:
        raise SnapshotError(f"an entry path must be a non-empty string, not {path!r}")
    _encodable(path)
    if "\0" in path or path.startswith("/") or len(path.encode("utf-8", "surrogateescape")) > MAX_PATH:
        raise SnapshotError(f"entry path {path!r} is absolute, too long or contains NUL")
    for part in path.split("/"):
        if part in ("", ".", "..") or len(part.encode("utf-8", "surrogateescape")) > MAX_NAME:
            raise SnapshotError(f"entry path {path!r} has a component {part!r} that is not a plain name")
    return path


def _encodable(text: str) -> None:
    """A name the filesystem can take: encodable as this system encodes file names (a lone
    surrogate from JSON is not)."""
    try:
        text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise SnapshotError(f"{text!r} is not a valid file name") from exc


def _int(raw: Mapping[str, object], key: str, limit: int = 1 << 62) -> int:
    value = raw.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
        raise SnapshotError(f"entry field {key!r} is not a valid number: {value!r}")
    return value


def _entry(raw: object) -> Entry:
    if not isinstance(raw, dict):
        raise SnapshotError("a manifest entry is not an object")
    path = check_path(raw.get("path"))
    kind = raw.get("type")
    mode = _int(raw, "mode", 0o7777) & MODE_MASK
    if kind == FILE:
        digest = raw.get("hash")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            raise SnapshotError(f"entry {path!r} has no valid content hash")
        return Entry(path, FILE, mode, _int(raw, "size"), digest, "", _int(raw, "mtime_ns"), _int(raw, "ino"),
                     _int(raw, "dev"))
    if kind == DIR:
        return Entry(path, DIR, mode)
    if kind == SYMLINK:
        target = raw.get("target")
        if not isinstance(target, str) or not target or "\0" in target or len(target) > MAX_PATH:
            raise SnapshotError(f"symlink {path!r} has no valid target")
        _encodable(target)
        return Entry(path, SYMLINK, 0o777, target=target)
    raise SnapshotError(f"entry {path!r} has an unknown type {kind!r}")


def diff(before: Manifest, after: Manifest) -> list[str]:
    """``added: p``, ``modified: p``, ``deleted: p`` lines, sorted."""
    lines = []
    for path, entry in after.entries.items():
        old = before.entries.get(path)
        if old is None:
            lines.append(f"added: {path}")
        elif not old.same_content(entry):
            lines.append(f"modified: {path}")
    lines += [f"deleted: {path}" for path in before.entries if path not in after.entries]
    return sorted(lines)


def entry_from_stat(path: str, st: object, *, digest: str = "", target: str = "") -> Entry:
    """An entry for ``path`` from an lstat result."""
    mode = st.st_mode  # type: ignore[attr-defined]
    if stat.S_ISDIR(mode):
        return Entry(path, DIR, stat.S_IMODE(mode) & MODE_MASK)
    if stat.S_ISLNK(mode):
        return Entry(path, SYMLINK, 0o777, target=target)
    return Entry(
        path, FILE, stat.S_IMODE(mode) & MODE_MASK, st.st_size, digest, "",  # type: ignore[attr-defined]
        st.st_mtime_ns, st.st_ino, st.st_dev,  # type: ignore[attr-defined]
    )
