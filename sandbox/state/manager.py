"""SandboxManager: create, pause, resume, snapshot, restore and diff sandboxes, crash-safe.

On disk, under the manager's directory (0700; files 0600, since states hold ``.env`` files
and environment variables)::

    .lock                      flock: exclusive for changes, so two managers (two processes)
                               on one directory never interleave their writes
    store/objects/ab/<sha256>  file contents, each stored once (store.py)
    store/tmp/                 objects being written; leftovers of a crash, removed by cleanup
    sandboxes/<id>/record.json the sandbox's record (status, times, work dir, environment,
                               and which state file holds the state resume puts back)
    sandboxes/<id>/baseline.json   its state at creation, for diff_sandbox
    sandboxes/<id>/history/N.json  the state of its Nth pause
    sandboxes/<id>/saved.json      the state a restore put in place (a restored sandbox has
                                   no history of its own)
    sandboxes/<id>/bases/<sha256>.json  whole manifests, named by the SHA-256 of their bytes
    restoring/<token>          a restore's staging directory, noted before it is made, so
                               that cleanup() removes it if the restore was killed

A state file (baseline, saved, history) names a base manifest and lists what differs from
it (manifest.delta): pausing a tree of ten thousand files after one change writes one
entry, not ten thousand. A new base is written when the differences grow large. A state
file may also be a whole manifest itself (no base).

Every file there is written atomically and after the objects it names, so a state on disk
is complete or absent, and the record is written last: it is the one commit of a pause,
so a process killed at any point leaves the previous state loadable and named.
"""

from __future__ import annotations

import builtins
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sandbox.durable import fsync_dir, write_atomic
from sandbox.errors import PolicyError, SnapshotError
from sandbox.state import archive
from sandbox.state.manifest import FILE, Manifest, apply_delta, delta, delta_text, diff
from sandbox.state.store import Batch, ObjectStore
from sandbox.state.workdir import apply, capture

ID = re.compile(r"sb-[0-9a-f]{12}")
_SHA = re.compile(r"[0-9a-f]{64}")
RUNNING, PAUSED, TERMINATED = "running", "paused", "terminated"
_STATUSES = (RUNNING, PAUSED, TERMINATED)
# Directories a restored snapshot may never take as its work directory: the whole system,
# or a tree that holds everything else the user owns.
_FORBIDDEN_ROOTS = ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root", "/run",
                    "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var")


class StateFiles(Mapping[str, bytes]):
    """A saved state's files: relative path -> content, read from the store on access."""

    def __init__(self, manifest: Manifest, store: ObjectStore) -> None:
        self._manifest = manifest
        self._store = store
        self._listed: list[str] | None = None

    @property
    def _paths(self) -> list[str]:
        if self._listed is None:  # on first use: a pause need not list ten thousand paths
            self._listed = [e.path for e in self._manifest if e.type == FILE]
        return self._listed

    def __getitem__(self, path: str) -> bytes:
        entry = self._manifest.entries.get(path)
        if entry is None or entry.type != FILE:
            raise KeyError(path)
        with self._store.open(entry.hash) as f:
            return f.read()

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __repr__(self) -> str:
        return f"StateFiles({len(self)} files)"


@dataclass(frozen=True, slots=True)
class SandboxState:
    """A sandbox as last saved. ``files`` is the saved state's content (at the last pause,
    or at creation), loaded on access."""

    id: str
    work_dir: str
    env_vars: Mapping[str, str]
    files: Mapping[str, bytes] = field(repr=False)
    process_state: Mapping[str, Any]
    created_at: datetime
    paused_at: datetime | None
    resumed_at: datetime | None
    status: str


class SandboxManager:
    """Sandboxes whose state lives under ``dir``. Safe to use from several threads and
    several processes on one directory.

    Raises (every method): PolicyError for an invalid id (before any path is formed from
    it), an unknown id or a wrong state; SnapshotError for corrupt state on disk.
    """

    def __init__(
        self,
        dir: str | os.PathLike[str],
        *,
        max_sandboxes: int = 64,
        ignore: tuple[str, ...] = (),
        max_snapshot_bytes: int = archive.DEFAULT_MAX_BYTES,
    ) -> None:
        """``ignore``: glob patterns (on the relative path or the name) left out of saved
        states; none by default, since a user expects back everything they had.
        ``max_snapshot_bytes``: the most content a snapshot given to restore() may expand to.

        Raises PolicyError for a bad ``max_sandboxes`` or an unusable directory.
        """
        if not isinstance(max_sandboxes, int) or isinstance(max_sandboxes, bool) or max_sandboxes < 1:
            raise PolicyError(f"max_sandboxes must be a positive integer, not {max_sandboxes!r}")
        self.dir = os.path.abspath(os.fspath(dir))
        self.max_sandboxes = max_sandboxes
        self.ignore = tuple(ignore)
        self.max_snapshot_bytes = max_snapshot_bytes
        try:
            os.makedirs(self.dir, mode=0o700, exist_ok=True)
            os.chmod(self.dir, 0o700)
            os.makedirs(os.path.join(self.dir, "sandboxes"), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise PolicyError(f"cannot use {self.dir!r} for sandbox state: {exc.strerror}") from exc
        self.store = ObjectStore(os.path.join(self.dir, "store"))
        self._cache: dict[str, tuple[tuple[int, int, int, int], Manifest]] = {}
        self._lock_path = os.path.join(self.dir, ".lock")

    # -- locking and records ---------------------------------------------------------------

    @contextmanager
    def _locked(self, exclusive: bool = True) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self.store.refresh()  # another manager may have written or collected packs
            yield
        finally:
            os.close(fd)

    def _folder(self, sandbox_id: object) -> str:
        if not isinstance(sandbox_id, str) or not ID.fullmatch(sandbox_id):
            raise PolicyError(f"not a sandbox id: {sandbox_id!r} (expected sb- and 12 hex digits)")
        return os.path.join(self.dir, "sandboxes", sandbox_id)

    def _record(self, sandbox_id: str) -> dict[str, Any]:
        path = os.path.join(self._folder(sandbox_id), "record.json")
        try:
            with open(path, encoding="utf-8") as f:
                record = json.load(f)
        except FileNotFoundError as exc:
            raise PolicyError(f"no sandbox {sandbox_id}") from exc
        except ValueError as exc:
            raise SnapshotError(f"the record of {sandbox_id} is corrupt: {exc}") from exc
        return _check_record(record, sandbox_id)

    def _write_record(self, record: dict[str, Any]) -> None:
        write_atomic(os.path.join(self._folder(record["id"]), "record.json"), json.dumps(record).encode())

    def _manifest(self, sandbox_id: str, name: str) -> Manifest:
        """The state ``name`` (baseline, saved, history/N). Raises SnapshotError."""
        path = os.path.join(self._folder(sandbox_id), f"{name}.json")
        try:
            with open(path, "rb") as f:
                # Parsed manifests are kept while the file is the same one (a manifest is only
                # ever replaced by rename, so a new one has a new inode): pause after pause
                # need not parse ten thousand entries again.
                key = _file_key(os.fstat(f.fileno()))
                cached = self._cache.get(path)
                if cached is not None and cached[0] == key:
                    return cached[1]
                data = f.read()
        except FileNotFoundError as exc:
            raise SnapshotError(f"the {name} state of {sandbox_id} is missing") from exc
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"the {name} state of {sandbox_id} is not valid JSON: {exc}") from exc
        if isinstance(parsed, dict) and "base" in parsed:
            sha = parsed["base"]
            base = self._base(sandbox_id, sha)
            manifest = apply_delta(base, parsed)
            manifest.memo["base"] = (sha, base)
        else:
            manifest = Manifest.from_obj(parsed)
        self._cache[path] = (key, manifest)
        return manifest

    def _base(self, sandbox_id: str, sha: object) -> Manifest:
        """The base manifest ``sha`` of the sandbox, checked against its name. Raises
        SnapshotError."""
        if not isinstance(sha, str) or not _SHA.fullmatch(sha):
            raise SnapshotError(f"a state of {sandbox_id} names no valid base: {sha!r}")
        path = os.path.join(self._folder(sandbox_id), "bases", f"{sha}.json")
        cached = self._cache.get(path)
        if cached is not None:
            return cached[1]  # bases never change: written once, under their content's name
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError as exc:
            raise SnapshotError(f"the base manifest {sha} of {sandbox_id} is missing") from exc
        if hashlib.sha256(data).hexdigest() != sha:
            raise SnapshotError(f"the base manifest {sha} of {sandbox_id} is damaged")
        base = Manifest.from_json(data)
        base.memo.update(base=(sha, base), dirty=frozenset())
        self._cache[path] = ((0, 0, 0, 0), base)
        return base

    def _write_manifest(
        self, sandbox_id: str, name: str, manifest: Manifest, like: Manifest | None = None
    ) -> None:
        """Write the state ``name``: as its differences from the base of ``manifest`` or of
        ``like`` (the state it was made from), or from a new base of its own when those
        differences are large. The base is on disk before the file that names it."""
        folder = self._folder(sandbox_id)
        path = os.path.join(folder, f"{name}.json")
        candidates = [manifest.memo.get("base"), like.memo.get("base") if like is not None else None]
        for base in candidates:
            if base is not None and (found := delta(base[1], manifest)) is not None:
                sha, (changes, deleted) = base[0], found
                break
        else:
            data = manifest.to_json().encode()
            sha = hashlib.sha256(data).hexdigest()
            bases = os.path.join(folder, "bases")
            if not os.path.isdir(bases):
                os.mkdir(bases, 0o700)
                fsync_dir(folder)
            base_path = os.path.join(bases, f"{sha}.json")
            if not os.path.exists(base_path):
                write_atomic(base_path, data)
            self._cache[base_path] = ((0, 0, 0, 0), manifest)
            base, changes, deleted = (sha, manifest), [], []
        write_atomic(path, delta_text(sha, changes, deleted).encode())
        manifest.memo["base"] = base
        manifest.memo["dirty"] = frozenset(e.path for e in changes) | frozenset(deleted)
        self._cache[path] = (_file_key(os.stat(path)), manifest)

    def _saved(self, record: dict[str, Any]) -> Manifest:
        """The state resume puts back: the one the record names (the last pause's, the
        restored one, or the baseline before any)."""
        return self._manifest(record["id"], record["saved"])

    def _state(self, record: dict[str, Any], manifest: Manifest) -> SandboxState:
        return SandboxState(
            id=record["id"],
            work_dir=record["work_dir"],
            env_vars=dict(record["env_vars"]),
            files=StateFiles(manifest, self.store),
            process_state=dict(record["process_state"]),
            created_at=datetime.fromisoformat(record["created_at"]),
            paused_at=_time(record.get("paused_at")),
            resumed_at=_time(record.get("resumed_at")),
            status=record["status"],
        )

    def _save_state(self, sandbox_id: str, name: str | None, work_dir: str, previous: Manifest | None) -> Manifest:
        """Capture ``work_dir`` into the store, then write the state ``name`` (None: only
        the contents, for a snapshot of a running sandbox)."""
        batch = Batch(self.store)
        try:
            manifest = capture(work_dir, batch=batch, previous=previous, ignore=self.ignore)
            batch.commit()
        except BaseException:
            batch.abort()
            raise
        if name is not None:
            self._write_manifest(sandbox_id, name, manifest, like=previous)
        return manifest

    # -- the API ---------------------------------------------------------------------------

    @property
    def sandboxes(self) -> dict[str, SandboxState]:
        """Every sandbox, by id (read from disk: another manager may have changed them)."""
        return {s.id: s for s in self.list()}

    def create(self, work_dir: str | os.PathLike[str], env_vars: Mapping[str, str] | None = None) -> SandboxState:
        """A new running sandbox over the existing directory ``work_dir``; its current
        content is the baseline that diff_sandbox compares with.

        Raises PolicyError (a relative or missing work dir, a forbidden one, bad env_vars,
        ``max_sandboxes`` live sandboxes already).
        """
        path = _work_dir(work_dir)
        if not os.path.isdir(path) or os.path.islink(path):
            raise PolicyError(f"work_dir {path!r} is not an existing directory")
        env = _env(env_vars)
        with self._locked():
            live = [s for s in self.list() if s.status != TERMINATED]
            if len(live) >= self.max_sandboxes:
                raise PolicyError(f"{len(live)} live sandboxes: the limit is max_sandboxes={self.max_sandboxes}")
            sandbox_id = f"sb-{secrets.token_hex(6)}"
            folder = self._folder(sandbox_id)
            os.mkdir(folder, 0o700)
            try:
                baseline = self._save_state(sandbox_id, "baseline", path, None)
                record: dict[str, Any] = {
                    "id": sandbox_id, "work_dir": path, "env_vars": env, "process_state": {},
                    "created_at": _now(), "paused_at": None, "resumed_at": None, "status": RUNNING, "states": [],
                    "saved": "baseline",
                }
                self._write_record(record)  # last: the sandbox exists once this is on disk
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        return self._state(record, baseline)

    def get(self, sandbox_id: str) -> SandboxState:
        """The sandbox ``sandbox_id`` as last saved."""
        with self._locked(exclusive=False):
            record = self._record(sandbox_id)
            return self._state(record, self._saved(record))

    def pause(self, sandbox_id: str, *, process_state: Mapping[str, Any] | None = None) -> SandboxState:
        """Save the work directory; the sandbox is paused. Pausing again after a small change
        reads only what changed (files are recognised by size, mtime and inode).

        ``process_state``: what the caller wants back on resume about the processes it ran
        (a shell's working directory, the command in progress, …): JSON data up to 64 KiB,
        kept with the state and in snapshots, returned as ``SandboxState.process_state``.
        The files are the sandbox's state; processes themselves are not frozen.

        Raises PolicyError (unknown id, not running, a process_state that is not small JSON
        data), SnapshotError.
        """
        kept = _process_state(process_state) if process_state is not None else None
        with self._locked():
            record = self._record(sandbox_id)
            if record["status"] != RUNNING:
                raise PolicyError(f"sandbox {sandbox_id} is {record['status']}, not running: it cannot be paused")
            number = len(record["states"]) + 1
            history = os.path.join(self._folder(sandbox_id), "history")
            if not os.path.isdir(history):
                os.mkdir(history, 0o700)
                fsync_dir(os.path.dirname(history))
            # Each pause is a state file of its own, history/N.json (a pause killed before
            # its record left an unnamed one, which the next pause replaces).
            name = _history(number)
            manifest = self._save_state(sandbox_id, name, record["work_dir"], self._saved(record))
            now = _now()
            record["states"].append([str(number), now])
            record.update(status=PAUSED, paused_at=now, saved=name)
            if kept is not None:
                record["process_state"] = kept
            self._write_record(record)  # last: the one commit of the pause; killed before, nothing changed
        return self._state(record, manifest)

    def states(self, sandbox_id: str) -> builtins.list[tuple[str, datetime]]:
        """The sandbox's saved states, oldest first: (name, when it was saved). Each name can
        be given to diff_sandbox as ``since`` or ``until``. Raises PolicyError (unknown id)."""
        with self._locked(exclusive=False):
            return [(name, datetime.fromisoformat(at)) for name, at in self._record(sandbox_id)["states"]]

    def resume(self, sandbox_id: str) -> SandboxState:
        """Make the work directory equal to the paused state (what was added since is
        removed, what changed is put back, modes restored); the sandbox runs again.

        Raises PolicyError (unknown id, not paused), SnapshotError.
        """
        with self._locked():
            record = self._record(sandbox_id)
            if record["status"] != PAUSED:
                raise PolicyError(f"sandbox {sandbox_id} is {record['status']}, not paused: it cannot be resumed")
            saved = self._saved(record)
            os.makedirs(record["work_dir"], mode=0o700, exist_ok=True)
            current = capture(record["work_dir"], batch=None, previous=saved, ignore=self.ignore, repair=True)
            try:
                now_saved = apply(record["work_dir"], saved, current, self.store)
            except OSError as exc:
                # The sandbox stays paused: resume can be asked again once the cause is fixed.
                raise SnapshotError(f"cannot resume {sandbox_id} into {record['work_dir']!r}: {exc}") from exc
            if now_saved != saved:
                # The same state, with the new files' inodes: the next pause need not read them.
                self._write_manifest(sandbox_id, record["saved"], now_saved, like=saved)
            record.update(status=RUNNING, resumed_at=_now())
            self._write_record(record)
        return self._state(record, saved)

    def verify(self, sandbox_id: str) -> None:
        """Check that every content of the sandbox's saved state (the one resume puts back)
        is in the store and matches its hash. The baseline is kept as hashes for diffs; a
        restored sandbox has those without the contents.

        Raises PolicyError (unknown id), SnapshotError (what is wrong)."""
        with self._locked(exclusive=False):
            for e in self._saved(self._record(sandbox_id)):
                if e.type != FILE:
                    continue
                h = hashlib.sha256()
                with self.store.open(e.hash) as f:
                    while chunk := f.read(1 << 20):
                        h.update(chunk)
                if h.hexdigest() != e.hash:
                    raise SnapshotError(f"{sandbox_id}: the content of {e.path!r} is damaged in the store")

    def terminate(self, sandbox_id: str) -> SandboxState:
        """Mark the sandbox terminated (its saved states stay until cleanup). Raises PolicyError."""
        with self._locked():
            record = self._record(sandbox_id)
            record["status"] = TERMINATED
            self._write_record(record)
            return self._state(record, self._saved(record))

    def diff_sandbox(
        self, sandbox_id: str, *, since: str = "baseline", until: str = "current"
    ) -> builtins.list[str]:
        """What changed in the sandbox: ``added: p``, ``modified: p``, ``deleted: p``,
        sorted. ``since`` and ``until`` each name a state: ``baseline`` (at creation),
        ``saved`` (the last pause), ``current`` (the work directory now), or a saved state
        by the name :meth:`states` gives it (``"1"`` for the first pause, …).

        Raises PolicyError (unknown id or state name), SnapshotError.
        """
        with self._locked(exclusive=False):
            record = self._record(sandbox_id)
            return diff(self._named(record, since), self._named(record, until))

    def _named(self, record: dict[str, Any], name: str) -> Manifest:
        if name == "baseline":
            return self._manifest(record["id"], "baseline")
        if name == "saved":
            return self._saved(record)
        if name == "current":
            return capture(record["work_dir"], batch=None, previous=self._saved(record), ignore=self.ignore)
        if any(name == saved for saved, _ in record["states"]):
            return self._manifest(record["id"], _history(int(name)))
        raise PolicyError(f"no state {name!r}: use baseline, saved, current or a name from states()")

    def snapshot(self, sandbox_id: str) -> bytes:
        """The sandbox as portable bytes (versioned, checksummed, compressed): its record,
        its state (the paused one, or the work directory now when it runs) and its baseline.

        Raises PolicyError (unknown id), SnapshotError.
        """
        with self._locked():
            record = self._record(sandbox_id)
            if record["status"] == RUNNING:
                # The work directory now; its contents go into the store (the snapshot reads
                # them there), but it is not a state of the sandbox: no pause happened.
                manifest = self._save_state(sandbox_id, None, record["work_dir"], self._saved(record))
            else:
                manifest = self._saved(record)
            return archive.write(record, manifest, self._manifest(sandbox_id, "baseline"), self.store)

    def restore(self, data: bytes, *, work_dir: str | os.PathLike[str] | None = None) -> SandboxState:
        """A sandbox from snapshot bytes, paused, its work directory (the snapshot's, or
        ``work_dir``) made equal to the snapshot's state. Everything is validated before
        anything is written; the work directory must be absent or empty, and a sandbox with
        the same id is never replaced.

        Raises SnapshotError (truncated, corrupted, oversized or hostile data; an existing id;
        a work directory that is not allowed or not empty).
        """
        batch = Batch(self.store)
        try:
            snap = archive.read(data, batch, max_bytes=self.max_snapshot_bytes)
            record = _check_record(snap.record, None, source="snapshot")
            target = _work_dir(work_dir if work_dir is not None else record["work_dir"], error=SnapshotError)
            # The history stays where it was made; the restored state is saved.json.
            record.update(work_dir=target, status=PAUSED, states=[], saved="saved")
            _check_restore_target(target, self.dir)
            with self._locked():
                folder = self._folder(record["id"])
                if os.path.exists(folder):
                    raise SnapshotError(f"a sandbox {record['id']} exists already: restore never replaces one")
                live = [s for s in self.list() if s.status != TERMINATED]
                if len(live) >= self.max_sandboxes:
                    raise SnapshotError(f"{len(live)} live sandboxes: the limit is max_sandboxes={self.max_sandboxes}")
                _check_restore_target(target, self.dir)
                batch.commit()
                os.mkdir(folder, 0o700)
                # The files go into a hidden sibling first, renamed into place when whole:
                # a restore that fails or is killed leaves no half-filled work directory.
                # The sibling is noted first, so that cleanup() finds it after a crash.
                token = secrets.token_hex(4)
                staging = f"{target}{_STAGING}{token}"
                marker = os.path.join(self.dir, "restoring", token)
                try:
                    self._write_manifest(record["id"], "baseline", snap.baseline)
                    os.makedirs(os.path.dirname(marker), mode=0o700, exist_ok=True)
                    write_atomic(marker, json.dumps({"staging": staging}).encode())
                    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
                    os.mkdir(staging, 0o700)
                    written = apply(staging, snap.manifest, Manifest.of([]), self.store)
                    # With the stat cache; written as its differences from the baseline.
                    self._write_manifest(record["id"], "saved", written, like=snap.baseline)
                    # The record first: killed between the two, the sandbox exists, paused,
                    # and resume() puts its files back.
                    self._write_record(record)
                    if os.path.isdir(target):
                        os.rmdir(target)  # empty (checked): never a user's content
                    os.rename(staging, target)
                    os.unlink(marker)
                except BaseException:
                    shutil.rmtree(folder, ignore_errors=True)
                    shutil.rmtree(staging, ignore_errors=True)
                    if os.path.exists(marker):
                        os.unlink(marker)
                    raise
        except OSError as exc:
            batch.abort()
            raise SnapshotError(f"cannot restore into {work_dir or 'the snapshot work directory'!s}: {exc}") from exc
        except BaseException:
            batch.abort()
            raise
        return self._state(record, snap.manifest)

    def list(self) -> builtins.list[SandboxState]:
        """Every sandbox, newest first."""
        out = []
        folder = os.path.join(self.dir, "sandboxes")
        for name in os.listdir(folder):
            if not ID.fullmatch(name):
                continue
            try:
                record = self._record(name)
                out.append(self._state(record, self._saved(record)))
            except (PolicyError, SnapshotError):
                continue  # being created or removed by another manager, or damaged
        return sorted(out, key=lambda s: s.created_at, reverse=True)

    def cleanup(self, max_age: timedelta) -> builtins.list[str]:
        """Remove the sandboxes (their saved states, never their work directories) whose last
        activity is older than ``max_age``, then every object no state refers to and what a
        crash left in the store's temporary directory. Returns the ids removed.

        Raises PolicyError for a negative or non-timedelta ``max_age``.
        """
        if not isinstance(max_age, timedelta) or max_age < timedelta(0):
            raise PolicyError(f"max_age must be a non-negative timedelta, not {max_age!r}")
        removed = []
        now = datetime.now(timezone.utc)
        with self._locked():
            for state in self.list():
                last = max(t for t in (state.created_at, state.paused_at, state.resumed_at) if t is not None)
                if now - last > max_age:
                    shutil.rmtree(self._folder(state.id), ignore_errors=True)
                    removed.append(state.id)
            referenced: set[str] = set()
            for name in os.listdir(os.path.join(self.dir, "sandboxes")):
                if not ID.fullmatch(name):
                    continue
                history = os.path.join(self._folder(name), "history")
                kept = [f"history/{n[:-5]}" for n in os.listdir(history) if n.endswith(".json")] if os.path.isdir(
                    history
                ) else []
                for kind in ("baseline", "saved", *kept):
                    if not os.path.exists(os.path.join(self._folder(name), f"{kind}.json")):
                        continue  # no pause yet: no saved state
                    # A state that cannot be read stops the cleanup here: collecting without
                    # knowing what it refers to could delete the only copy of its files.
                    referenced |= self._manifest(name, kind).hashes()
            self.store.collect(referenced)
            for leftover in os.listdir(self.store.tmp):
                os.unlink(os.path.join(self.store.tmp, leftover))
            self._collect_interrupted_restores()
        return removed

    def _collect_interrupted_restores(self) -> None:
        """Remove the staging directories of restores killed before they finished (each
        noted in ``restoring/<token>`` before it was made; see restore)."""
        notes = os.path.join(self.dir, "restoring")
        for token in os.listdir(notes) if os.path.isdir(notes) else ():
            marker = os.path.join(notes, token)
            try:
                with open(marker, "rb") as f:
                    staging = json.load(f).get("staging")
            except (OSError, ValueError, AttributeError):
                staging = None
            # Only ever a directory of the name restore gives it, never through a link.
            if (
                isinstance(staging, str) and os.path.isabs(staging) and staging.endswith(f"{_STAGING}{token}")
                and os.path.isdir(staging) and not os.path.islink(staging)
            ):
                shutil.rmtree(staging)
            os.unlink(marker)

    def format_status(self) -> str:
        """A table of the sandboxes, newest first."""
        states = self.list()
        if not states:
            return "no sandboxes"
        rows = [("ID", "STATUS", "CREATED", "PAUSED", "FILES", "WORK DIR")]
        for s in states:
            rows.append((
                s.id, s.status, s.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                s.paused_at.strftime("%Y-%m-%d %H:%M:%S") if s.paused_at else "-", str(len(s.files)), s.work_dir,
            ))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _file_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _work_dir(path: object, error: type[Exception] = PolicyError) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise error(f"work_dir must be a path, not {path!r}")
    text = os.fspath(path)
    if not isinstance(text, str) or not os.path.isabs(text) or "\0" in text:
        raise error(f"work_dir {text!r} must be an absolute path")
    return os.path.normpath(text)


def _env(env_vars: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(env_vars or {})
    for key, value in env.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key or "=" in key or "\0" in key + value:
            raise PolicyError(f"env_vars must map names to strings: {key!r}={value!r}")
    return env


MAX_PROCESS_STATE = 64 << 10
_STAGING = ".sbx-restoring-"  # restore's sibling of a work directory while it is filled


def _process_state(value: object) -> dict[str, Any]:
    """A caller's process_state: a mapping with string keys whose JSON is at most
    MAX_PROCESS_STATE bytes (no NaN or infinity: not JSON). Raises PolicyError."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise PolicyError(f"process_state must be a mapping with string keys, not {type(value).__name__}")
    try:
        text = json.dumps(dict(value), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise PolicyError(f"process_state must be JSON data: {exc}") from exc
    if len(text.encode()) > MAX_PROCESS_STATE:
        raise PolicyError(f"process_state is {len(text.encode())} bytes as JSON, over {MAX_PROCESS_STATE}")
    loaded: dict[str, Any] = json.loads(text)  # a copy the caller cannot change afterwards
    return loaded


def _history(number: int) -> str:
    """The state file name of the ``number``th pause."""
    return f"history/{number:06d}"


_SAVED = re.compile(r"baseline|saved|history/[0-9]{6}")


def _check_record(record: object, sandbox_id: str | None, source: str = "record") -> dict[str, Any]:
    """A record's fields, validated (it may come from a snapshot someone sent)."""
    err = SnapshotError
    if not isinstance(record, dict):
        raise err(f"the {source} is not an object")
    rid = record.get("id")
    if not isinstance(rid, str) or not ID.fullmatch(rid) or (sandbox_id is not None and rid != sandbox_id):
        raise err(f"the {source} has an invalid id {rid!r}")
    if record.get("status") not in _STATUSES:
        raise err(f"the {source} has an invalid status {record.get('status')!r}")
    work_dir = record.get("work_dir")
    if not isinstance(work_dir, str) or not os.path.isabs(work_dir) or "\0" in work_dir:
        raise err(f"the {source} has an invalid work_dir {work_dir!r}")
    env = record.get("env_vars")
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise err(f"the {source} has invalid env_vars")
    try:
        _process_state(record.get("process_state") or {})
    except PolicyError as exc:
        raise err(f"the {source} has an invalid process_state: {exc}") from exc
    for key in ("created_at", "paused_at", "resumed_at"):
        value = record.get(key)
        if key == "created_at" or value is not None:
            try:
                parsed = datetime.fromisoformat(value)  # type: ignore[arg-type]
            except (TypeError, ValueError) as exc:
                raise err(f"the {source} has an invalid {key}") from exc
            if parsed.tzinfo is None:
                raise err(f"the {source} has a {key} without a time zone")
    states = record.get("states", [])
    if not isinstance(states, list) or not all(
        isinstance(s, list) and len(s) == 2 and isinstance(s[0], str) and s[0].isdigit() and isinstance(s[1], str)
        for s in states
    ):
        raise err(f"the {source} has an invalid list of states")
    saved = record.get("saved", "baseline")
    if not isinstance(saved, str) or not _SAVED.fullmatch(saved):
        raise err(f"the {source} names an invalid saved state {saved!r}")
    return {
        "saved": saved,
        "states": [list(s) for s in states],
        "id": rid, "work_dir": os.path.normpath(work_dir), "env_vars": dict(env),
        "process_state": dict(record.get("process_state") or {}), "created_at": record["created_at"],
        "paused_at": record.get("paused_at"), "resumed_at": record.get("resumed_at"), "status": record["status"],
    }


def _check_restore_target(path: str, state_dir: str) -> None:
    """A restore writes only into a directory of its own: not a system directory, not a
    home directory or anything above one, not the manager's own directory, and not a
    directory that already holds something (nothing the user has is overwritten)."""
    real = os.path.realpath(path)
    homes = {os.path.realpath(os.path.expanduser("~"))}
    if os.path.isdir("/home"):
        homes |= {os.path.realpath(os.path.join("/home", h)) for h in os.listdir("/home")}
    if real in _FORBIDDEN_ROOTS or path in _FORBIDDEN_ROOTS:
        raise SnapshotError(f"work directory {path!r} is a system directory: a restore may not write there")
    for home in homes:
        if real == home or home.startswith(real.rstrip("/") + "/"):
            raise SnapshotError(f"work directory {path!r} is a home directory or holds one")
    state_real = os.path.realpath(state_dir)
    if real == state_real or real.startswith(state_real + "/") or state_real.startswith(real + "/"):
        raise SnapshotError(f"work directory {path!r} overlaps the manager's own directory")
    if os.path.islink(path):
        raise SnapshotError(f"work directory {path!r} is a symlink")
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise SnapshotError(f"work directory {path!r} exists and is not empty: a restore never overwrites")
