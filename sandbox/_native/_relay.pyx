# cython: language_level=3, boundscheck=False, wraparound=False
"""The egress proxy's byte relay, through csrc/relay.c."""

import errno
import os

from libc.stdint cimport uint32_t, uint64_t

from sandbox._native cimport csrc

from sandbox.errors import ProxyError

#: The most pairs one relay may be created for.
MAX_PAIRS = csrc.SBX_RELAY_MAX_PAIRS
# csrc/sbx.h SBX_RELAY_*: why a pair finished.
REASONS = {
    csrc.SBX_RELAY_DONE: "done",
    csrc.SBX_RELAY_ERROR: "error",
    csrc.SBX_RELAY_IDLE: "idle",
    csrc.SBX_RELAY_CLOSED: "closed",
}


cdef int _check(int rc, str what) except -1:
    """The one place a -errno from csrc/relay.c becomes an exception."""
    if rc >= 0:
        return rc
    err = -rc
    if err == errno.ENOMEM:
        raise MemoryError(what)
    if err == errno.ENOSPC:
        raise ProxyError(f"{what}: the relay already carries its maximum of pairs (Hint: raise max_pairs, "
                         "or let idle tunnels go sooner with a shorter idle timeout)")
    if err == errno.EINVAL:
        raise ValueError(f"{what}: {os.strerror(err)}")
    if err == errno.EBUSY:
        raise RuntimeError(f"{what}: the relay's loop runs in another thread")
    raise OSError(err, f"{what}: {os.strerror(err)}")


cdef class Relay:
    """Pairs of connected stream sockets, bytes copied both ways by :meth:`run` (without
    the GIL, on one thread at a time). Raises ValueError for ``max_pairs`` outside 1 to
    :data:`MAX_PAIRS` and for any use after :meth:`close`."""

    cdef csrc.sbx_relay *r
    cdef int busy  # run() calls under way: close() leaves the freeing to the last of them
    cdef bint closing
    cdef uint64_t last_total
    cdef readonly Py_ssize_t max_pairs

    def __cinit__(self, Py_ssize_t max_pairs=4096):
        self.r = NULL
        self.busy = 0
        self.closing = False
        self.last_total = 0
        if not 0 < max_pairs <= MAX_PAIRS:
            raise ValueError(f"max_pairs must be 1 to {MAX_PAIRS}, not {max_pairs}")
        self.max_pairs = max_pairs
        _check(csrc.sbx_relay_create(<size_t>max_pairs, &self.r), "relay")

    def __dealloc__(self):
        csrc.sbx_relay_destroy(self.r)

    cdef csrc.sbx_relay *_get(self) except NULL:
        if self.r == NULL or self.closing:
            raise ValueError("the relay is closed")
        return self.r

    cdef void _destroy(self):
        self.last_total = csrc.sbx_relay_total(self.r)
        csrc.sbx_relay_destroy(self.r)
        self.r = NULL

    def add(self, int fd_a, int fd_b, uint32_t idle_timeout_ms=0):
        """Hand over two connected stream sockets (the relay closes them when their pair
        finishes); the pair's id. ``idle_timeout_ms`` 0: no idle limit. On failure the
        caller still owns them. Raises OSError (EBADF, ENOTSOCK, EPROTOTYPE for a socket that
        is not SOCK_STREAM), ValueError (the same descriptor twice), ProxyError (max_pairs
        reached)."""
        cdef uint64_t pair_id = 0
        _check(csrc.sbx_relay_add(self._get(), fd_a, fd_b, idle_timeout_ms, &pair_id), "relay add")
        return pair_id

    def run(self):
        """Relay until :meth:`stop` (False; at once ever after) or until finished pairs wait
        for :meth:`finished` (True). Releases the GIL. Raises RuntimeError when another
        thread runs it, OSError when epoll fails."""
        cdef csrc.sbx_relay *r = self._get()
        cdef int rc
        self.busy += 1
        try:
            with nogil:
                rc = csrc.sbx_relay_run(r)
        finally:
            self.busy -= 1
            if self.closing and self.busy == 0:
                self._destroy()
        _check(rc, "relay run")
        return rc == 1

    def stop(self):
        """Make :meth:`run` return False, now and ever after. Thread-safe."""
        if self.r != NULL:
            csrc.sbx_relay_stop(self.r)

    def finished(self):
        """The pairs finished since the last call: ``(pair_id, bytes_a_to_b, bytes_b_to_a,
        reason, errno)``, reason one of ``done``, ``error``, ``idle``, ``closed``."""
        cdef csrc.sbx_relay_done buf[64]
        cdef size_t n, k
        out = []
        if self.r == NULL:
            return out
        while True:
            n = csrc.sbx_relay_finished(self.r, buf, 64)
            for k in range(n):
                out.append((buf[k].id, buf[k].bytes[0], buf[k].bytes[1], REASONS.get(buf[k].reason, "error"),
                            buf[k].err))
            if n < 64:
                return out

    def close_all(self):
        """Finish every pair as ``closed`` (collect them with :meth:`finished`) and close
        their sockets; how many. Raises RuntimeError while :meth:`run` runs."""
        return _check(csrc.sbx_relay_close_all(self._get()), "relay close_all")

    @property
    def total_bytes(self):
        """Bytes written to either side of any pair so far."""
        return self.last_total if self.r == NULL else csrc.sbx_relay_total(self.r)

    @property
    def active(self):
        """Pairs added and not finished yet."""
        return 0 if self.r == NULL else csrc.sbx_relay_active(self.r)

    def close(self):
        """Stop, close every socket still held (without recording them) and free the relay.
        A :meth:`run` under way returns False and frees it on its way out."""
        if self.r == NULL or self.closing:
            return
        csrc.sbx_relay_stop(self.r)
        if self.busy:
            self.closing = True
        else:
            self._destroy()
