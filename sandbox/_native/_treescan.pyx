# cython: language_level=3, boundscheck=False, wraparound=False
"""The state module's scan of a work directory, through csrc/treescan.c."""

import errno
import gc
import os

cdef extern from "Python.h":
    object PyUnicode_DecodeFSDefaultAndSize(const char *s, Py_ssize_t size)
from libc.stdlib cimport calloc, free
from libc.string cimport memset, strcmp, strlen
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


cdef inline str _text(const char *raw):
    return PyUnicode_DecodeFSDefaultAndSize(raw, strlen(raw))


cdef tuple _key(csrc.sbx_scan_entry *e):
    return (e.mode, e.size, e.mtime_ns, e.ino, e.dev)


cdef class Scan:
    """One scan's entries, kept in C memory (about 100 bytes an entry) so that the next
    scan is compared with it entry by entry without a Python object for what is unchanged.
    ``forget(paths)`` marks entries whose key the caller could not trust (a file that
    changed while it was read, or vanished): the next comparison reports them as changed."""

    cdef csrc.sbx_scan s
    cdef unsigned char *stale

    def __cinit__(self):
        memset(&self.s, 0, sizeof(self.s))
        self.stale = NULL

    def __dealloc__(self):
        csrc.sbx_scan_free(&self.s)
        free(self.stale)

    def __len__(self):
        return self.s.n

    def forget(self, paths):
        cdef bytes raw
        cdef size_t lo, hi, mid
        cdef int c
        if self.stale == NULL:
            self.stale = <unsigned char *>calloc(self.s.n + 1, 1)
            if self.stale == NULL:
                raise MemoryError()
        for path in paths:
            raw = os.fsencode(path)
            lo, hi = 0, self.s.n
            while lo < hi:  # the entries are in path order (csrc sbx_path_cmp)
                mid = (lo + hi) // 2
                c = csrc.sbx_path_cmp(self.s.arena + self.s.entries[mid].path, raw)
                if c == 0:
                    self.stale[mid] = 1
                    break
                if c < 0:
                    lo = mid + 1
                else:
                    hi = mid


cdef bint _same_entry(Scan old, size_t j, csrc.sbx_scan_entry *e, csrc.sbx_scan *new):
    cdef csrc.sbx_scan_entry *o = &old.s.entries[j]
    if old.stale != NULL and old.stale[j]:
        return False
    if o.mode != e.mode or o.size != e.size or o.mtime_ns != e.mtime_ns or o.ino != e.ino or o.dev != e.dev:
        return False
    if (o.target == <size_t>-1) != (e.target == <size_t>-1):
        return False
    return o.target == <size_t>-1 or strcmp(old.s.arena + o.target, new.arena + e.target) == 0


def scan(int root_fd, skip=None, dict before=None, int threads=0, Scan previous=None):
    """Scan the tree beneath ``root_fd``: ``(result, changed, deleted, paths)``.

    ``result`` is the scan as a :class:`Scan`, to pass as ``previous`` next time.
    ``changed`` holds ``(path, (mode, size, mtime_ns, ino, dev), target)`` for what is new
    or differs: from ``previous`` when given (links compared by target too), else from the
    keys in ``before`` (links always reported, since a key says nothing of the target),
    else everything. ``mode`` keeps the type, permission and sticky bits; the rest of the
    key is zero except for files; ``target`` is None except for links. ``deleted`` lists
    what ``previous`` had and the tree no longer has (empty without ``previous``);
    ``paths``, without ``previous``, every path in order (component by component, bytes
    within a component: a directory's entries right after it), else None.
    ``skip(path)`` true leaves a name (and a directory's tree) out. ``threads``: how many
    threads may walk (0: one per CPU, up to 4; one with ``skip``).

    Raises OSError with the relative path the failure is about, or what ``skip`` raised.
    """
    cdef Scan result = Scan()
    cdef csrc.sbx_scan *s = &result.s
    cdef long n
    cdef size_t i, j
    cdef int c
    cdef csrc.sbx_scan_entry *e
    cdef csrc.sbx_scan_skip_fn ask = NULL
    cdef int nthreads = threads if threads > 0 else min(os.cpu_count() or 1, 4)
    holder = [skip, None]
    if skip is not None:
        ask = _ask
    # Tens of thousands of objects in a row would start the cyclic collector again and
    # again over everything the process holds; none of them can be part of a cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with nogil:
            n = csrc.sbx_tree_scan(root_fd, s, ask, <void *>holder, nthreads)
        if n < 0:
            if holder[1] is not None:
                raise holder[1]
            raise OSError(-n, os.strerror(-n), _text(s.errpath))
        changed = []
        deleted = []
        if previous is not None:
            # Both in path order: one merge, objects only for what differs.
            i = j = 0
            while i < s.n or j < previous.s.n:
                if i == s.n:
                    c = 1
                elif j == previous.s.n:
                    c = -1
                else:
                    c = csrc.sbx_path_cmp(s.arena + s.entries[i].path, previous.s.arena + previous.s.entries[j].path)
                if c > 0:
                    deleted.append(_text(previous.s.arena + previous.s.entries[j].path))
                    j += 1
                    continue
                e = &s.entries[i]
                if c < 0 or not _same_entry(previous, j, e, s):
                    target = None if e.target == <size_t>-1 else _text(s.arena + e.target)
                    changed.append((_text(s.arena + e.path), _key(e), target))
                i += 1
                if c == 0:
                    j += 1
            return result, changed, deleted, None
        paths = []
        for i in range(s.n):
            e = &s.entries[i]
            path = _text(s.arena + e.path)
            paths.append(path)
            if e.target != <size_t>-1:
                changed.append((path, _key(e), _text(s.arena + e.target)))
            elif before is None or not _same(before.get(path), e):
                changed.append((path, _key(e), None))
        return result, changed, deleted, paths
    finally:
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
