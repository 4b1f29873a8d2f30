# cython: language_level=3, boundscheck=False, wraparound=False
"""The state module's scan of a work directory, through csrc/treescan.c."""

import errno
import gc
import os

cdef extern from "Python.h":
    object PyUnicode_DecodeFSDefaultAndSize(const char *s, Py_ssize_t size)
from libc.string cimport strlen
from posix.stat cimport struct_stat

from sandbox._native cimport csrc

# The file is not there as a regular file any more (gone, a link, a socket, a FIFO, or a
# component of its path replaced): the caller leaves it out, as a scan would have.
_GONE = frozenset((errno.ENOENT, errno.ELOOP, errno.ENXIO, errno.ENODATA, errno.ENOTDIR, errno.EXDEV))


cdef int _ask(void *ctx, const char *path, size_t n) noexcept with gil:
    holder = <list>ctx
    try:
        return 1 if holder[0](PyUnicode_DecodeFSDefaultAndSize(path, n)) else 0
    except BaseException as exc:
        holder[1] = exc
        return -errno.ECANCELED


cdef bint _same(object old, csrc.sbx_scan_entry *e):
    """Whether ``old`` is the key of ``e``, without building one per entry (most are
    unchanged)."""
    if type(old) is not tuple or len(<tuple>old) != 5:
        return False
    t = <tuple>old
    try:
        return (<unsigned long long>t[0] == e.mode and <unsigned long long>t[1] == e.size
                and <long long>t[2] == e.mtime_ns and <unsigned long long>t[3] == e.ino
                and <unsigned long long>t[4] == e.dev)
    except (OverflowError, TypeError):
        return False


def scan(int root_fd, skip=None, dict before=None, int threads=0):
    """Scan the tree beneath ``root_fd``: ``(paths, changed)``.

    ``paths`` lists every directory, regular file and symlink, sorted by path bytes.
    ``changed`` holds ``(path, (mode, size, mtime_ns, ino, dev), target)`` for each entry
    whose key differs from ``before[path]`` (every entry when ``before`` is None), and for
    every symlink (whose key says nothing of its target). ``mode`` keeps the type,
    permission and sticky bits; the rest of the key is zero except for files; ``target`` is
    None except for links. ``skip(path)`` true leaves a name (and a directory's tree) out.
    ``threads``: how many threads may walk (0: one per CPU, up to 4; one with ``skip``).

    Raises OSError with the relative path the failure is about, or what ``skip`` raised.
    """
    cdef csrc.sbx_scan s
    cdef long n
    cdef size_t i
    cdef csrc.sbx_scan_entry *e
    cdef csrc.sbx_scan_skip_fn ask = NULL
    cdef int nthreads = threads if threads > 0 else min(os.cpu_count() or 1, 4)
    holder = [skip, None]
    if skip is not None:
        ask = _ask
    # Tens of thousands of tuples in a row would start the cyclic collector again and
    # again over everything the process holds; none of them can be part of a cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with nogil:
            n = csrc.sbx_tree_scan(root_fd, &s, ask, <void *>holder, nthreads)
        if n < 0:
            if holder[1] is not None:
                raise holder[1]
            raise OSError(-n, os.strerror(-n), PyUnicode_DecodeFSDefaultAndSize(s.errpath, strlen(s.errpath)))
        paths = []
        changed = []
        for i in range(s.n):
            e = &s.entries[i]
            path = PyUnicode_DecodeFSDefaultAndSize(s.arena + e.path, strlen(s.arena + e.path))
            paths.append(path)
            if e.target != <size_t>-1:
                target = PyUnicode_DecodeFSDefaultAndSize(s.arena + e.target, strlen(s.arena + e.target))
                changed.append((path, (e.mode, e.size, e.mtime_ns, e.ino, e.dev), target))
            elif before is None or not _same(before.get(path), e):
                changed.append((path, (e.mode, e.size, e.mtime_ns, e.ino, e.dev), None))
        return paths, changed
    finally:
        csrc.sbx_scan_free(&s)
        if collecting:
            gc.enable()


def open_file(int root_fd, str path):
    """``(fd, (mode, size, mtime_ns, ino, dev))`` of the regular file at ``path`` beneath
    ``root_fd`` (no link followed in any component; non-blocking; close-on-exec), or None
    when no regular file is there now. Raises OSError for anything else."""
    cdef bytes raw = os.fsencode(path)
    cdef const char *c_path = raw
    cdef struct_stat st
    cdef int fd
    with nogil:
        fd = csrc.sbx_open_beneath(root_fd, c_path, &st)
    if fd < 0:
        if -fd in _GONE:
            return None
        raise OSError(-fd, os.strerror(-fd), path)
    mtime = st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec
    return fd, (st.st_mode & 0o171777, st.st_size, mtime, st.st_ino, st.st_dev)


def start_writeback(int fd):
    """Ask the kernel to start writing ``fd``'s dirty pages now; a hint, whose failure is
    ignored (the fsync that follows is what makes the data durable)."""
    with nogil:
        csrc.sbx_start_writeback(fd)
