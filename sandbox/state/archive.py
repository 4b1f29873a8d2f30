"""The portable snapshot format: one sandbox's saved state as bytes.

    b"SBXSNAP" + version (1 byte) + SHA-256 of the rest (32 bytes) + zlib stream of:
        header length (8 bytes, big-endian) + header (JSON: the sandbox's record, its
        manifest, its diff baseline, and the (hash, size) of every object in order)
        + the objects' bytes, in that order

Reading validates before anything is written anywhere: the checksum first (a truncated or
altered snapshot stops there), then the header (every path, hash and size, see
manifest.py), then each object while it is decompressed — its size against the header,
its hash against its name, the total against a bound (a decompression bomb stops at the
bound, not at the end of memory).
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from sandbox.errors import SnapshotError
from sandbox.state.manifest import FILE, Manifest
from sandbox.state.store import CHUNK, Batch, ObjectStore

MAGIC = b"SBXSNAP"
VERSION = 1
_PREFIX = len(MAGIC) + 1 + 32
MAX_HEADER = 256 << 20
DEFAULT_MAX_BYTES = 16 << 30


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a snapshot holds once validated (the objects are in the store's batch)."""

    record: dict[str, Any]
    manifest: Manifest
    baseline: Manifest


def write(
    record: dict[str, Any], manifest: Manifest, baseline: Manifest, store: ObjectStore, *, level: int = 1
) -> bytes:
    """The snapshot bytes of a sandbox. Raises SnapshotError when an object is missing."""
    objects = sorted({(e.hash, e.size) for e in manifest if e.type == FILE})
    header = json.dumps(
        {
            "format": VERSION,
            "sandbox": record,
            "manifest": manifest.to_obj(),
            "baseline": baseline.to_obj(),
            "objects": [[h, n] for h, n in objects],
        },
        separators=(",", ":"),
    ).encode()
    packer = zlib.compressobj(level)
    parts = [packer.compress(struct.pack(">Q", len(header)) + header)]
    for digest, _ in objects:
        with store.open(digest) as f:
            while chunk := f.read(CHUNK):
                parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    body = b"".join(parts)
    return MAGIC + bytes([VERSION]) + hashlib.sha256(body).digest() + body


def read(data: bytes, batch: Batch, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Snapshot:
    """Validate ``data`` and put its objects in ``batch`` (not yet committed). Raises
    SnapshotError for anything truncated, corrupted, oversized or hostile."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SnapshotError(f"a snapshot is bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) < _PREFIX or not data.startswith(MAGIC):
        raise SnapshotError("not a sandbox snapshot")
    if data[len(MAGIC)] != VERSION:
        version = data[len(MAGIC)]
        raise SnapshotError(f"snapshot format version {version} is not supported (this release reads {VERSION})")
    body = memoryview(data)[_PREFIX:]
    if hashlib.sha256(body).digest() != data[len(MAGIC) + 1 : _PREFIX]:
        raise SnapshotError("snapshot checksum mismatch: truncated or corrupted")
    stream = _Inflater(body, max_bytes)
    (length,) = struct.unpack(">Q", stream.take(8))
    if length > MAX_HEADER:
        raise SnapshotError(f"snapshot header of {length} bytes is over the {MAX_HEADER} byte bound")
    try:
        header = json.loads(stream.take(length))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"snapshot header is not valid JSON: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != VERSION or not isinstance(header.get("sandbox"), dict):
        raise SnapshotError("snapshot header is malformed")
    manifest = Manifest.from_obj(header.get("manifest"))
    # The baseline is often the saved state itself, entry for entry: validated once then.
    same = header.get("baseline") == header.get("manifest")
    baseline = manifest if same else Manifest.from_obj(header.get("baseline"))
    objects = header.get("objects")
    if not isinstance(objects, list):
        raise SnapshotError("snapshot header has no object list")
    sizes: dict[str, int] = {}
    for item in objects:
        if (
            not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str)
            or not isinstance(item[1], int) or isinstance(item[1], bool) or item[1] < 0 or item[0] in sizes
        ):
            raise SnapshotError(f"snapshot object entry {item!r} is malformed")
        sizes[item[0]] = item[1]
    for e in manifest:
        if e.type == FILE and sizes.get(e.hash) != e.size:
            raise SnapshotError(f"entry {e.path!r} refers to content the snapshot does not hold with its size")
    if sum(sizes.values()) > max_bytes:
        raise SnapshotError(f"snapshot content of {sum(sizes.values())} bytes is over the {max_bytes} byte bound")
    for digest, size in sizes.items():
        content = stream.take(size)
        if hashlib.sha256(content).hexdigest() != digest:
            raise SnapshotError(f"object {digest} does not match its content")
        batch.add_bytes(content, digest=digest)
    if not stream.at_end():
        raise SnapshotError("snapshot has data past its last object")
    return Snapshot(header["sandbox"], manifest, baseline)


class _Inflater:
    """Decompresses on demand, never more than asked for plus one chunk, never more than
    ``limit`` bytes in all."""

    def __init__(self, body: memoryview, limit: int) -> None:
        self._z = zlib.decompressobj()
        self._body = body
        self._pos = 0
        self._buf = b""  # decompressed, not yet taken from _off on
        self._off = 0
        self._total = 0
        self._limit = limit + MAX_HEADER + 8

    def _more(self) -> bytes:
        try:
            if self._z.unconsumed_tail:
                out = self._z.decompress(self._z.unconsumed_tail, CHUNK)
            elif self._pos < len(self._body):
                piece = self._body[self._pos : self._pos + CHUNK]
                self._pos += len(piece)
                out = self._z.decompress(piece, CHUNK)
            else:
                return b""
        except zlib.error as exc:
            raise SnapshotError(f"snapshot data is corrupt: {exc}") from exc
        self._total += len(out)
        if self._total > self._limit:
            raise SnapshotError("snapshot expands past its bound")
        return out

    def take(self, n: int) -> bytes:
        """The next ``n`` bytes (held in memory: one header, or one object)."""
        end = self._off + n
        if end <= len(self._buf):
            out = self._buf[self._off : end]
            self._off = end
            return out
        parts = [self._buf[self._off :]]
        have = len(parts[0])
        while have < n:
            more = self._more()
            if not more:
                if self._pos >= len(self._body) and not self._z.unconsumed_tail:
                    raise SnapshotError("snapshot ends early")
                continue
            parts.append(more)
            have += len(more)
        joined = b"".join(parts)
        self._buf, self._off = joined, n
        return joined[:n]

    def at_end(self) -> bool:
        if self._off < len(self._buf):
            return False
        while self._pos < len(self._body) or self._z.unconsumed_tail:
            if self._more():
                return False
        return self._z.eof
