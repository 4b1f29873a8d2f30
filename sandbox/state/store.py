"""The content-addressed object store, and atomic writes.

Each file's content is stored once, addressed by its SHA-256: large ones as
``objects/<first two hex digits>/<sha256>``, small ones in the pack of the save that first
saw them (see ObjectStore). Everything is written under a temporary name and named only
once its data is on disk, so an object the store knows is always whole: a later save that
finds it there reuses it without reading it again. Files are 0600 in 0700 directories.

Durability: every new file (a save's pack, its index, each large object) is fsynced when
written, renamed to its name, and the directories renamed into are fsynced; only then is
the manifest that refers to them written (temp file, fsync, rename, fsync of the
directory). A save of ten thousand small files flushes one pack, not ten thousand files.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import struct
import threading
from typing import BinaryIO

from sandbox.durable import fsync_dir, write_all
from sandbox.errors import SnapshotError
from sandbox.state import scanner

CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdef")


PACK_LIMIT = 256 << 10  # contents up to this size go into the save's pack
_INDEX_ENTRY = struct.Struct(">32sQQ")  # digest, offset, length
_PACK_FOOTER = struct.Struct(">8sQ")  # magic, number of index entries
_PACK_MAGIC = b"SBXPACK1"


class ObjectStore:
    """Objects under ``root``: large contents loose (``objects/ab/<sha256>``), small ones in
    packs (``packs/<name>.pack``: the contents, then their index (digest, offset, length),
    then a footer with the index's length).

    Packing is what makes a save of many small files cheap: one file and one rename per
    save instead of one per content (measured: ten thousand loose objects cost several
    times a tar of the same tree). A pack is written whole under a temporary name and
    renamed into packs/ only then, so every pack there is complete.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.objects = os.path.join(root, "objects")
        self.packs = os.path.join(root, "packs")
        self.tmp = os.path.join(root, "tmp")
        for d in (root, self.objects, self.packs, self.tmp):
            os.makedirs(d, mode=0o700, exist_ok=True)  # makedirs gives 0700 to the last part only
        self._index: dict[str, tuple[str, int, int]] | None = None
        self._stamp: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    # -- where an object is ------------------------------------------------------------------

    def path(self, digest: str) -> str:
        if len(digest) != 64 or not set(digest) <= _HEX:
            raise SnapshotError(f"not an object name: {digest!r}")
        return os.path.join(self.objects, digest[:2], digest)

    def refresh(self) -> None:
        """Re-read the pack indexes if another manager added or removed a pack (the packs
        directory changed). Called under the manager's lock, before each operation."""
        # The names, not only the directory's mtime: two changes within one timestamp tick
        # would look like none.
        if self._listing() != self._stamp:
            self.index(reload=True)

    def _listing(self) -> frozenset[str]:
        return frozenset(n for n in os.listdir(self.packs) if n.endswith(".pack"))

    def index(self, reload: bool = False) -> dict[str, tuple[str, int, int]]:
        """digest -> (pack name, offset, length) over every pack. Raises SnapshotError for
        a damaged pack."""
        with self._lock:
            if self._index is None or reload:
                self._stamp = self._listing()
                index: dict[str, tuple[str, int, int]] = {}
                for name in self._stamp:
                    for digest, offset, length in _read_pack_index(os.path.join(self.packs, name)):
                        index[digest.hex()] = (name[:-5], offset, length)
                self._index = index
            return self._index

    def has(self, digest: str, *, small: bool = False) -> bool:
        """Whether the store holds ``digest``; ``small`` contents are only ever packed, so
        for them the index alone answers."""
        if digest in self.index():
            return True
        return not small and os.path.exists(self.path(digest))

    def read(self, digest: str) -> bytes:
        """The whole content (for packed objects, which are small). Raises SnapshotError."""
        with self.open(digest) as f:
            return f.read()

    def open(self, digest: str) -> BinaryIO:
        """The object's content as a file. Raises SnapshotError when it is missing."""
        for attempt in (False, True):  # another manager may have added a pack since we looked
            where = self.index(reload=attempt).get(digest)
            if where is not None:
                pack, offset, length = where
                try:
                    with open(os.path.join(self.packs, pack + ".pack"), "rb") as f:
                        data = os.pread(f.fileno(), length, offset)
                except FileNotFoundError:
                    continue  # repacked by another manager's cleanup: look again
                if len(data) != length:
                    raise SnapshotError(f"pack {pack} is truncated")
                return io.BytesIO(data)
            try:
                return open(self.path(digest), "rb")
            except FileNotFoundError:
                continue
        raise SnapshotError(f"object {digest} is missing from the store")

    def all(self) -> set[str]:
        found = set(self.index(reload=True))
        for prefix in os.listdir(self.objects):
            folder = os.path.join(self.objects, prefix)
            if len(prefix) == 2 and os.path.isdir(folder):
                found.update(name for name in os.listdir(folder) if len(name) == 64)
        return found

    def collect(self, referenced: set[str]) -> None:
        """Remove every object not in ``referenced``: loose ones, whole packs, and packs
        that hold some live objects, rewritten with those alone."""
        for prefix in os.listdir(self.objects):
            folder = os.path.join(self.objects, prefix)
            for name in os.listdir(folder) if os.path.isdir(folder) else ():
                if name not in referenced:
                    os.unlink(os.path.join(folder, name))
        by_pack: dict[str, list[str]] = {}
        for digest, (pack, _, _) in self.index(reload=True).items():
            by_pack.setdefault(pack, []).append(digest)
        for pack, digests in by_pack.items():
            live = [d for d in digests if d in referenced]
            if len(live) == len(digests):
                continue
            if live:
                batch = Batch(self)
                for digest in live:
                    batch.add_bytes(self.read(digest), force=True)
                batch.commit()
            os.unlink(os.path.join(self.packs, pack + ".pack"))
        self.index(reload=True)


class Batch:
    """New objects of one save: written to temporary files now (small contents into one
    pack), made durable and named by :meth:`commit`, or removed by :meth:`abort`. Several
    threads may add to one batch.

    The kernel is asked to start writing each file as soon as it is written (see
    sandbox._native._treescan.start_writeback), and commit() fsyncs them all: the flush of
    one file overlaps the reading and hashing of the next, instead of stopping them."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._mutex = threading.Lock()
        self.loose: dict[str, str] = {}  # digest -> temporary path
        self.packed: dict[str, tuple[int, int]] = {}  # digest -> (offset, length) in the pack
        self._pack_name = secrets.token_hex(8)
        self._pack_path = os.path.join(store.tmp, f"pack-{self._pack_name}")
        self._pack_fd = -1
        self._pack_size = 0
        self._pending: list[bytes] = []
        self._pending_size = 0

    def _flush_pending(self) -> None:
        if self._pending:
            write_all(self._pack_fd, b"".join(self._pending))
            self._pending.clear()
            self._pending_size = 0
            _writeback(self._pack_fd)

    def _known(self, digest: str, force: bool, small: bool = False) -> bool:
        return digest in self.loose or digest in self.packed or (not force and self.store.has(digest, small=small))

    def _temp(self) -> tuple[str, int]:
        path = os.path.join(self.store.tmp, f"obj-{secrets.token_hex(8)}")
        return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)

    def add_bytes(self, data: bytes, *, force: bool = False, digest: str | None = None) -> str:
        """Store ``data``; its digest. ``force`` stores it even where the store has it (to
        rewrite a pack); ``digest``, when the caller has just checked it, spares a second hash."""
        digest = digest or hashlib.sha256(data).hexdigest()
        if len(data) <= PACK_LIMIT:
            with self._mutex:
                if self._known(digest, force, small=True):
                    return digest
                if self._pack_fd < 0:
                    self._pack_fd = os.open(
                        self._pack_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600
                    )
                # Small contents are gathered and written a megabyte at a time.
                self._pending.append(data)
                self._pending_size += len(data)
                if self._pending_size >= CHUNK:
                    self._flush_pending()
                self.packed[digest] = (self._pack_size, len(data))
                self._pack_size += len(data)
            return digest
        if self._known(digest, force):
            return digest
        path, fd = self._temp()
        try:
            write_all(fd, data)
            _writeback(fd)
        finally:
            os.close(fd)
        self._adopt(digest, path)
        return digest

    def _adopt(self, digest: str, path: str) -> None:
        """Take the temporary file ``path`` as the object ``digest``, unless another thread
        has just done so with the same content."""
        with self._mutex:
            if digest not in self.loose:
                self.loose[digest] = path
                return
        os.unlink(path)

    def add_fd(self, source: int, size_hint: int) -> tuple[str, int]:
        """Copy an open file into the batch, hashing what is copied (so the object is what
        its name says even if the file changes meanwhile); (digest, size)."""
        if size_hint <= PACK_LIMIT:
            data = os.read(source, PACK_LIMIT + 1)
            if len(data) == size_hint:
                # A regular file's read is short only at its end: no second read to see EOF.
                return self.add_bytes(data), len(data)
            while len(data) <= PACK_LIMIT:
                chunk = os.read(source, PACK_LIMIT + 1 - len(data))
                if not chunk:
                    return self.add_bytes(data), len(data)
                data += chunk
            first = data
        else:
            first = b""
        h = hashlib.sha256()
        path, fd = self._temp()
        size = 0
        try:
            chunk = first
            while True:
                if chunk:
                    h.update(chunk)
                    write_all(fd, chunk)
                    size += len(chunk)
                chunk = os.read(source, CHUNK)
                if not chunk:
                    break
            digest = h.hexdigest()
            if not self._known(digest, False):
                _writeback(fd)
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        os.close(fd)
        if self._known(digest, False):
            os.unlink(path)
        else:
            self._adopt(digest, path)
        return digest, size

    def commit(self) -> None:
        """Make every object's data durable (fsync), then name them (the pack, then its
        index) and make the names durable: a name never points at data not on disk."""
        if not self.loose and not self.packed:
            self.abort()
            return
        for tmp in self.loose.values():
            fd = os.open(tmp, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        if self.packed:
            self._flush_pending()
            entries = b"".join(_INDEX_ENTRY.pack(bytes.fromhex(d), o, n) for d, (o, n) in self.packed.items())
            write_all(self._pack_fd, entries + _PACK_FOOTER.pack(_PACK_MAGIC, len(self.packed)))
            os.fsync(self._pack_fd)
            os.close(self._pack_fd)
            self._pack_fd = -1
        touched = set()
        for digest, tmp in self.loose.items():
            final = self.store.path(digest)
            try:
                os.rename(tmp, final)
            except FileNotFoundError:
                os.makedirs(os.path.dirname(final), mode=0o700, exist_ok=True)
                os.rename(tmp, final)
                touched.add(self.store.objects)
            touched.add(os.path.dirname(final))
        if self.packed:
            os.rename(self._pack_path, os.path.join(self.store.packs, self._pack_name + ".pack"))
            touched.add(self.store.packs)
        for directory in sorted(touched, key=len, reverse=True):
            fsync_dir(directory)
        index = self.store.index()
        with self.store._lock:
            for digest, (offset, length) in self.packed.items():
                index[digest] = (self._pack_name, offset, length)
            if self.packed:
                # Our own pack is in the index already: refresh() need not read them all again.
                self.store._stamp = self.store._stamp | {self._pack_name + ".pack"}
        self.loose.clear()
        self.packed.clear()

    def abort(self) -> None:
        self._pending.clear()
        if self._pack_fd >= 0:
            os.close(self._pack_fd)
            self._pack_fd = -1
        for tmp in [*self.loose.values(), self._pack_path]:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        self.loose.clear()
        self.packed.clear()


def _read_pack_index(path: str) -> list[tuple[bytes, int, int]]:
    """The index at the end of the pack at ``path``. Raises SnapshotError when the pack is
    damaged (no footer, an index that does not fit, an entry outside the contents)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        footer = os.pread(f.fileno(), _PACK_FOOTER.size, size - _PACK_FOOTER.size) if size >= _PACK_FOOTER.size else b""
        if len(footer) != _PACK_FOOTER.size or _PACK_FOOTER.unpack(footer)[0] != _PACK_MAGIC:
            raise SnapshotError(f"pack {os.path.basename(path)} is damaged: no footer")
        count = _PACK_FOOTER.unpack(footer)[1]
        start = size - _PACK_FOOTER.size - count * _INDEX_ENTRY.size
        if start < 0:
            raise SnapshotError(f"pack {os.path.basename(path)} is damaged: its index does not fit")
        data = os.pread(f.fileno(), count * _INDEX_ENTRY.size, start)
    entries = list(_INDEX_ENTRY.iter_unpack(data))
    if len(entries) != count or any(offset + length > start for _, offset, length in entries):
        raise SnapshotError(f"pack {os.path.basename(path)} is damaged: an entry lies outside it")
    return entries


def _writeback(fd: int) -> None:
    if scanner.native is not None:  # without it, commit()'s fsync alone does the flushing
        scanner.native.start_writeback(fd)
