"""Durable writes shared by the concerns that keep state on disk (state/, containers/).

A file is replaced by writing a temporary file beside it, fsyncing it, renaming it over the
old one and fsyncing the directory: a crash at any point leaves the old file or the new
one, never a mix, and never a name pointing at data that is not on disk yet.
"""

from __future__ import annotations

import os
import secrets


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(path: str) -> None:
    """Flush a directory's entries (a rename into it is durable only after this)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: a temporary file beside it, fsync, rename, fsync of
    the directory. A crash leaves the old file or the new one, never a mix.

    Raises:
        OSError: the directory cannot be written.
    """
    directory = os.path.dirname(path)
    tmp = os.path.join(directory, f".tmp-{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, mode)
    try:
        write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    try:
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    fsync_dir(directory)
