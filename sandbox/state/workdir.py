"""Reading a work directory into a manifest, and making it equal to one.

Every operation goes through directory descriptors: a path is walked one component at a
time with ``O_NOFOLLOW | O_DIRECTORY``, and files are created, replaced and removed
relative to their parent's descriptor. A symlink anywhere inside the work directory (one
that the state itself creates, or one a process plants meanwhile, on a parent directory
too) is a link to read or replace, never a way out: nothing outside the work directory is
read through it or written.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import io
import os
import secrets
import stat
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox.durable import write_all
from sandbox.errors import SnapshotError
from sandbox.state import scanner
from sandbox.state.manifest import DIR, FILE, MODE_MASK, SYMLINK, Entry, Manifest, entry_from_stat, stat_keys
from sandbox.state.store import CHUNK, PACK_LIMIT, Batch, ObjectStore

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

# Files read at once by a first save: hashing and copying overlap on several cores (the
# GIL is released while reading, hashing and writing).
MAX_READERS = 4


def open_root(work_dir: str) -> int:
    """A descriptor of the work directory itself, which must be a real directory (not a
    symlink). Raises SnapshotError."""
    try:
        return os.open(work_dir, _DIR_FLAGS)
    except OSError as exc:
        raise SnapshotError(f"work directory {work_dir!r} cannot be opened as a directory: {exc.strerror}") from exc


def _ignored(path: str, patterns: Iterable[str]) -> bool:
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def capture(
    work_dir: str,
    *,
    batch: Batch | None,
    previous: Manifest | None = None,
    ignore: Iterable[str] = (),
    repair: bool = False,
) -> Manifest:
    """The state of ``work_dir``. Files unchanged since ``previous`` (same size, mtime,
    inode and device) keep their hash without being read; the others are read once, hashed
    and, with a ``batch``, copied into it. Special files (FIFOs, sockets, devices) are not
    state and are left out.

    Raises SnapshotError when the directory or anything in it cannot be read: a state that
    silently lacked a file would lose it at the next resume. With ``repair`` (the capture a
    resume makes before rewriting the directory) unreadable directories are given back
    their owner's rights, and an unreadable file is taken as changed (an empty hash), so
    that the resume replaces it.
    """
    try:
        if scanner.native is not None and not repair:
            return _capture_scanned(work_dir, batch, previous, tuple(ignore))
        return _capture(work_dir, batch, previous, ignore, repair)
    except SnapshotError:
        raise
    except OSError as exc:
        where = f"{exc.filename!r}" if exc.filename else "an entry"
        raise SnapshotError(f"cannot save {work_dir!r}: {where}: {exc.strerror}") from exc


def _capture_scanned(
    work_dir: str, batch: Batch | None, previous: Manifest | None, patterns: tuple[str, ...]
) -> Manifest:
    """capture() on the C scan. One call lists and stats the whole tree and names what
    differs from the previous capture: from its scan, kept in C memory with the manifest it
    made (``memo["scan"]``), or else from the stat keys of its entries. What did not change
    keeps the previous manifest's own Entry objects, and when nothing changed the previous
    manifest itself is the answer (the caller then writes nothing)."""
    root = open_root(work_dir)
    try:
        skip = (lambda path: _ignored(path, patterns)) if patterns else None
        handle = previous.memo.get("scan") if previous is not None else None
        before = stat_keys(previous) if previous is not None and handle is None else None
        result, changed, deleted, paths = scanner.native.scan(root, skip, before, 0, handle)
        known = previous.entries if previous is not None else {}
        if paths is not None and known:  # compared by keys: deleted is what the scan did not see
            seen = set(paths)
            deleted = [p for p in known if p not in seen]
        fresh: dict[str, Entry] = {}
        scanned: dict[str, tuple[int, int, int, int, int]] = {}
        for path, key, target in changed:
            mode = key[0]
            if stat.S_ISLNK(mode):
                old = known.get(path)
                if old is None or old.type != SYMLINK or old.target != target:
                    fresh[path] = Entry(path, SYMLINK, 0o777, target=target)
            elif stat.S_ISDIR(mode):
                fresh[path] = Entry(path, DIR, mode & MODE_MASK)
            else:
                scanned[path] = key
        unread = list(scanned)
        if batch is not None and previous is not None and previous.memo.get("stored") is not batch.store.index():
            # An unchanged file is reused only while the store still holds its content
            # (checked once per manifest and pack index: see "stored" below).
            unread += _missing_objects(batch.store, known, scanned)
        removed = set(deleted)
        untrusted = []  # read, but not as scanned: read again next time
        for path, entry in zip(unread, _read_files(root, unread, batch), strict=True):
            if entry is None:
                removed.add(path)  # gone between the scan and its read
            else:
                fresh[path] = entry
            if entry is None or scanned.get(path) != _key(entry):
                untrusted.append(path)
    finally:
        os.close(root)
    if untrusted:
        result.forget(untrusted)
    if previous is not None and not removed and all(p in known for p in fresh):
        # The same paths (an addition would be in `fresh`): the previous manifest, with
        # what changed replaced.
        manifest = previous.updated(fresh) if fresh else previous
    else:
        entries = {p: e for p, e in known.items() if p not in removed}
        entries.update(fresh)
        added = any(p not in known for p in fresh)
        manifest = Manifest.of(entries.values()) if added else Manifest(entries)
        if previous is not None:
            manifest.memo["texts"] = previous.texts()
    manifest.memo["scan"] = result
    if batch is not None:
        # Every content of this manifest is in the store or the batch: the next capture
        # need not look again while the store's index is this one (a cleanup or another
        # manager's pack makes a new one).
        manifest.memo["stored"] = batch.store.index()
    return manifest


def _key(e: Entry) -> tuple[int, int, int, int, int] | None:
    """The scan key an unchanged file gives (see stat_keys), or None without a stat cache."""
    return (stat.S_IFREG | e.mode, e.size, e.mtime_ns, e.ino, e.dev) if e.mtime_ns else None


def _missing_objects(store: ObjectStore, known: Mapping[str, Entry], again: Mapping[str, object]) -> list[str]:
    """The unchanged files whose content the store no longer holds (damaged or removed by
    hand): they are read again rather than recorded without content."""
    index = store.index()
    return [
        e.path for e in known.values()
        if e.type == FILE and e.hash not in index and e.path not in again
        and (e.size <= PACK_LIMIT or not os.path.exists(store.path(e.hash)))
    ]


def _read_files(root: int, paths: list[str], batch: Batch | None) -> list[Entry | None]:
    """The entries of the files at ``paths`` (None for one gone meanwhile), each read once,
    hashed and, with a batch, copied into it; several at once when there are many."""
    out: list[Entry | None] = [None] * len(paths)

    def read(start: int, step: int) -> None:
        for i in range(start, len(paths), step):
            out[i] = _read_file(root, paths[i], batch)

    _in_shares(read, len(paths))
    return out


def _in_shares(work: Any, items: int) -> None:
    """Call ``work(k, n)`` for k in 0..n-1 (interleaved shares of ``items``: the large files
    of one directory spread over them), on n threads when there are enough items to be worth
    it. The threads overlap in the kernel and in hashing, which release the GIL. Raises what
    a share raised (after all have finished)."""
    workers = min(MAX_READERS, os.cpu_count() or 1, 1 + items // 256)
    if workers <= 1:
        work(0, 1)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="sandbox-state") as pool:
        for done in [pool.submit(work, k, workers) for k in range(workers)]:
            done.result()


def _read_file(root: int, path: str, batch: Batch | None) -> Entry | None:
    opened = scanner.native.open_file(root, path)  # no link followed on the way; None: not there now
    if opened is None:
        return None
    fd, key = opened
    try:
        digest, size = batch.add_fd(fd, key[1]) if batch is not None else _hash_fd(fd)
    finally:
        os.close(fd)
    mode = key[0] & MODE_MASK
    if size != key[1]:
        # Written while we read it: keep what we read, and no stat cache to trust next time.
        return Entry(path, FILE, mode, size, digest)
    return Entry(path, FILE, mode, size, digest, "", key[2], key[3], key[4])


def _hash_fd(fd: int) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    while chunk := os.read(fd, CHUNK):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def _capture(
    work_dir: str, batch: Batch | None, previous: Manifest | None, ignore: Iterable[str], repair: bool
) -> Manifest:
    patterns = tuple(ignore)
    known = previous.entries if previous is not None else {}
    entries: list[Entry] = []
    stack = [("", open_root(work_dir))]
    try:
        while stack:
            rel, fd = stack.pop()
            try:
                with os.scandir(fd) as listing:
                    names = sorted(e.name for e in listing)
                for name in names:
                    path = f"{rel}/{name}" if rel else name
                    if patterns and _ignored(path, patterns):
                        continue
                    try:
                        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    except FileNotFoundError:
                        continue  # removed while we looked
                    if stat.S_ISDIR(st.st_mode):
                        entries.append(entry_from_stat(path, st))
                        child = _open_writable(fd, name, path) if repair else os.open(name, _DIR_FLAGS, dir_fd=fd)
                        stack.append((path, child))
                    elif stat.S_ISLNK(st.st_mode):
                        entries.append(entry_from_stat(path, st, target=os.readlink(name, dir_fd=fd)))
                    elif stat.S_ISREG(st.st_mode):
                        try:
                            entry = _file(fd, name, path, st, known.get(path), batch)
                        except PermissionError:
                            if not repair:
                                raise
                            entry = Entry(path, FILE, stat.S_IMODE(st.st_mode) & MODE_MASK, st.st_size, "")
                        if entry is not None:
                            entries.append(entry)
            finally:
                os.close(fd)
    except BaseException:
        for _, fd in stack:
            os.close(fd)
        raise
    return Manifest.of(entries)


def _file(
    dir_fd: int, name: str, path: str, st: os.stat_result, cached: Entry | None, batch: Batch | None
) -> Entry | None:
    if (
        cached is not None
        and cached.type == FILE
        and cached.mtime_ns
        and (cached.size, cached.mtime_ns, cached.ino, cached.dev) == (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
        and (batch is None or batch.store.has(cached.hash))
    ):
        mode = stat.S_IMODE(st.st_mode) & MODE_MASK
        return cached if cached.mode == mode else Entry(path, FILE, mode, *_rest(cached))
    # O_NONBLOCK: if a FIFO took the file's place since lstat, the open must not hang (and a
    # read of it gives nothing). Four syscalls a file, as tar: lstat, open, read, close.
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None  # gone since lstat
    except OSError as exc:
        if exc.errno in (errno.ENXIO, errno.ELOOP):
            return None  # replaced by a socket or a link since lstat: not a file any more
        raise OSError(exc.errno, exc.strerror, path) from exc
    try:
        digest, size = batch.add_fd(fd, st.st_size) if batch is not None else _hash_fd(fd)
    except (IsADirectoryError, BlockingIOError):
        return None  # replaced by a directory or a FIFO since lstat
    finally:
        os.close(fd)
    if size != st.st_size:
        # Written while we read it: keep what we read, and no stat cache to trust next time
        # (a write after our lstat also moves the mtime, so the next capture reads it again).
        return Entry(path, FILE, stat.S_IMODE(st.st_mode) & MODE_MASK, size, digest)
    return entry_from_stat(path, st, digest=digest)


def _rest(e: Entry) -> tuple[int, str, str, int, int, int]:
    return (e.size, e.hash, e.target, e.mtime_ns, e.ino, e.dev)


class _Dirs:
    """Descriptors of the work directory's subdirectories, each opened from its parent's
    descriptor without following links, kept (up to a bound) so that a tree of ten
    thousand files is walked once, not once per file."""

    LIMIT = 256

    def __init__(self, root: int) -> None:
        self.root = root
        self.fds: OrderedDict[str, int] = OrderedDict()

    def get(self, directory: str) -> int:
        if not directory:
            return self.root
        fd = self.fds.get(directory)
        if fd is not None:
            self.fds.move_to_end(directory)
            return fd
        parent, _, name = directory.rpartition("/")
        parent_fd = self.get(parent)
        fd = _open_writable(parent_fd, name, directory)
        self.fds[directory] = fd
        while len(self.fds) > self.LIMIT:
            _, old = self.fds.popitem(last=False)
            os.close(old)
        return fd

    def parent(self, path: str) -> tuple[int, str]:
        directory, _, name = path.rpartition("/")
        return self.get(directory), name

    def forget(self, path: str) -> None:
        for key in [k for k in self.fds if k == path or k.startswith(path + "/")]:
            os.close(self.fds.pop(key))

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


def _open_writable(parent: int, name: str, shown: str) -> int:
    """Open the directory ``name`` (never through a link) and give its owner rwx on it, so
    that what the state puts inside can be written even where the agent made it read-only
    (apply sets the state's own modes at the end). Raises SnapshotError."""
    try:
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except PermissionError:
            # Not even readable: an O_PATH descriptor needs no right on the directory itself,
            # and through /proc its owner may still change its mode.
            path_fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=parent)
            try:
                os.chmod(f"/proc/self/fd/{path_fd}", 0o700)
            finally:
                os.close(path_fd)
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        raise SnapshotError(f"{shown!r} is not a directory of the work directory ({exc.strerror})") from exc
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode & 0o700 != 0o700:
        os.fchmod(fd, mode | 0o700)
    return fd


def _remove(parent: int, name: str) -> None:
    """Remove ``name`` (a whole tree for a directory) by descriptor, never following a link:
    a link inside is removed, not what it points to. (shutil.rmtree takes dir_fd only from
    Python 3.11.)"""
    try:
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=parent)
        return
    fd = _open_writable(parent, name, name)
    try:
        with os.scandir(fd) as listing:
            children = [e.name for e in listing]
        for child in children:
            _remove(fd, child)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent)


def apply(work_dir: str, target: Manifest, current: Manifest, store: ObjectStore) -> Manifest:
    """Make ``work_dir`` (whose state is ``current``) equal to ``target``: what is not in
    the target removed, what differs put back from the store, modes restored. Returns the
    target with the stat fields of the files written (for the next capture's cache).
    Raises SnapshotError (an object missing, a path that cannot be walked) and OSError."""
    files: list[tuple[Entry, bool]] = []  # to write: (entry, whether nothing is there)
    root = open_root(work_dir)
    mode = stat.S_IMODE(os.fstat(root).st_mode)
    if mode & 0o700 != 0o700:
        os.fchmod(root, mode | 0o700)
    dirs = _Dirs(root)
    try:
        # Removals first, deepest first: extra entries, and entries whose type changes.
        doomed = [e for e in current if e.path not in target.entries or target.entries[e.path].type != e.type]
        gone: list[str] = []
        for e in sorted(doomed, key=lambda e: e.path.count("/"), reverse=True):
            dirs.forget(e.path)
            parent, name = dirs.parent(e.path)
            _remove(parent, name)
            gone.append(e.path)
        removed = set(gone)
        present = {p: e for p, e in current.entries.items() if not _within(p, removed)}
        for e in target:  # sorted: parents before children
            have = present.get(e.path)
            parent, name = dirs.parent(e.path)
            if e.type == DIR:
                if have is None:
                    os.mkdir(name, 0o700, dir_fd=parent)
            elif e.type == SYMLINK:
                if have is None:
                    os.symlink(e.target, name, dir_fd=parent)
                elif have.target != e.target:
                    _replace(parent, name, lambda tmp, p=parent, t=e.target: os.symlink(t, tmp, dir_fd=p))
            elif have is None:
                # Nothing there: create in place. O_EXCL|O_NOFOLLOW: whatever appeared there
                # meanwhile (a planted link) makes this fail rather than be written through.
                files.append((e, True))
            elif not have.same_content(e):
                files.append((e, False))
        rewritten = _write_files(root, files, store)
        # Modes last, deepest first, so that a read-only directory is filled before it closes.
        for e in sorted((e for e in target if e.type == DIR), key=lambda e: e.path.count("/"), reverse=True):
            os.fchmod(dirs.get(e.path), e.mode)
        if not rewritten:
            return target
        return Manifest.of(rewritten.get(e.path, e) for e in target)
    finally:
        dirs.close()
        os.close(root)


def _write_files(root: int, files: list[tuple[Entry, bool]], store: ObjectStore) -> dict[str, Entry]:
    """Write ``files`` (their directories exist) from the store; path -> entry with the new
    file's stat fields. Creating a file is most of a restore's cost, and it runs in the
    kernel, so several threads write at once, each with its own directory descriptors
    (opened as apply's are, never through a link), each taking whole directories."""
    out: dict[str, Entry] = {}
    by_dir: dict[str, list[tuple[Entry, bool]]] = {}
    for job in files:
        by_dir.setdefault(job[0].path.rpartition("/")[0], []).append(job)
    groups = list(by_dir.values())

    def write(start: int, step: int) -> None:
        dirs = _Dirs(root)
        packs: dict[str, int] = {}
        try:
            for group in groups[start::step]:
                for e, in_place in group:
                    parent, name = dirs.parent(e.path)
                    out[e.path] = _write_file(parent, name, e, store, packs, in_place=in_place)
        finally:
            dirs.close()
            for fd in packs.values():
                os.close(fd)

    _in_shares(write, len(files))
    return out


def _copy(source: int, dest: int, offset: int, length: int) -> int:
    """Copy ``length`` bytes of ``source`` from ``offset`` to ``dest``'s position; the bytes
    copied (fewer at the source's end). In the kernel (copy_file_range: no trip through
    Python's memory) where the two files allow it, by read and write otherwise."""
    done = 0
    while done < length:
        try:
            n = os.copy_file_range(source, dest, length - done, offset + done)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            break
        if n == 0:
            return done
        done += n
    while done < length:
        data = os.pread(source, min(CHUNK, length - done), offset + done)
        if not data:
            break
        write_all(dest, data)
        done += len(data)
    return done


def _within(path: str, removed: set[str]) -> bool:
    """Whether ``path`` or a directory above it is in ``removed``."""
    while path:
        if path in removed:
            return True
        path = path.rpartition("/")[0]
    return False


def _replace(parent: int, name: str, make: object) -> None:
    """Create the new entry under a temporary name with ``make(tmp)``, then rename it over
    ``name`` (a file or link there is replaced atomically)."""
    tmp = f".sbx-{secrets.token_hex(6)}"
    make(tmp)  # type: ignore[operator]
    try:
        os.rename(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        os.unlink(tmp, dir_fd=parent)
        raise


def _write_file(
    parent: int, name: str, e: Entry, store: ObjectStore, packs: dict[str, int], *, in_place: bool
) -> Entry:
    """Write ``e`` from the store; ``e`` with the new file's stat fields (its inode is new),
    so that the next capture recognises it without reading it."""
    written: list[os.stat_result] = []

    def make(path: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=parent)
        try:
            where = store.index().get(e.hash)
            if where is not None:
                pack, offset, length = where
                source = packs.get(pack)
                if source is None:
                    pack_path = os.path.join(store.packs, pack + ".pack")
                    source = packs[pack] = os.open(pack_path, os.O_RDONLY | os.O_CLOEXEC)
                if _copy(source, fd, offset, length) != length:
                    raise SnapshotError(f"pack {pack} is truncated")
            else:
                with store.open(e.hash) as f:
                    if isinstance(f, io.BytesIO):  # packed meanwhile by another manager
                        write_all(fd, f.getvalue())
                    else:
                        _copy(f.fileno(), fd, 0, os.fstat(f.fileno()).st_size)
            os.fchmod(fd, e.mode)
            if e.mtime_ns:
                os.utime(fd, ns=(e.mtime_ns, e.mtime_ns))
            written.append(os.fstat(fd))
        except BaseException:
            os.close(fd)
            os.unlink(path, dir_fd=parent)
            raise
        os.close(fd)

    if in_place:
        make(name)
    else:
        _replace(parent, name, make)
    st = written[0]
    return Entry(e.path, FILE, e.mode, e.size, e.hash, "", st.st_mtime_ns, st.st_ino, st.st_dev)

