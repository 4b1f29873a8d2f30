# cython: language_level=3, boundscheck=False, wraparound=False
"""The inspectors' literal prefilter, through csrc/ahocorasick.c."""

import os

from libc.stdint cimport uint8_t, uint32_t
from libc.stdlib cimport free, malloc

from sandbox._native cimport csrc

from sandbox.errors import PolicyError


cdef class Automaton:
    """Every occurrence of ``literals`` (bytes; ASCII letters without regard to case) in a
    text. Raises PolicyError for an empty set, an empty literal, or one over 4096 bytes, or
    more than 256 KiB of them in all."""

    cdef csrc.sbx_ac *ac
    cdef readonly Py_ssize_t count

    def __cinit__(self, literals):
        cdef list items = [bytes(x) for x in literals]
        cdef Py_ssize_t n = len(items), i
        cdef const uint8_t **ptrs = NULL
        cdef size_t *lens = NULL
        cdef int rc
        self.ac = NULL
        self.count = n
        if n == 0:
            raise PolicyError("a literal set needs at least one literal")
        ptrs = <const uint8_t **>malloc(n * sizeof(uint8_t *))
        lens = <size_t *>malloc(n * sizeof(size_t))
        if ptrs == NULL or lens == NULL:
            free(ptrs)
            free(lens)
            raise MemoryError()
        try:
            for i in range(n):
                ptrs[i] = <const uint8_t *><char *>items[i]
                lens[i] = len(<bytes>items[i])
            with nogil:
                rc = csrc.sbx_ac_build(ptrs, lens, n, &self.ac)
        finally:
            free(ptrs)
            free(lens)
        if rc == -22:  # EINVAL
            raise PolicyError("every literal must be 1 to 4096 bytes long")
        if rc == -7:  # E2BIG
            raise PolicyError("the literals are more than 256 KiB in all")
        if rc < 0:
            raise OSError(-rc, os.strerror(-rc))

    def __dealloc__(self):
        csrc.sbx_ac_free(self.ac)

    def find(self, const uint8_t[::1] data, Py_ssize_t limit=-1):
        """``(matches, complete)``: the ``(literal index, end offset)`` of every occurrence
        in ``data``, ordered by end then index, at most ``limit`` of them (all when
        negative); ``complete`` is False when the limit cut them short. The scan runs
        without the GIL."""
        cdef size_t cap = max(<size_t>4096, <size_t>csrc.sbx_ac_max_matches_per_byte(self.ac))
        cdef csrc.sbx_ac_match *buf = <csrc.sbx_ac_match *>malloc(cap * sizeof(csrc.sbx_ac_match))
        cdef size_t pos = 0, got, k, length = data.shape[0]
        cdef uint32_t state = 0
        cdef const uint8_t *text = &data[0] if length else NULL
        if buf == NULL:
            raise MemoryError()
        out = []
        try:
            while pos < length:
                with nogil:
                    got = csrc.sbx_ac_scan(self.ac, text, length, &pos, &state, buf, cap)
                for k in range(got):
                    if 0 <= limit <= len(out):
                        return out, False
                    out.append((buf[k].id, buf[k].end))
            return out, True
        finally:
            free(buf)


def byte_runs(const uint8_t[::1] data, bytes members, Py_ssize_t min_len, Py_ssize_t limit=-1):
    """``(spans, complete)``: the (start, end) of every run of at least ``min_len`` bytes
    from ``members``, at most ``limit`` (all when negative). Without the GIL."""
    cdef uint8_t table[256]
    cdef size_t pos = 0, got, k, length = data.shape[0], cap = 4096
    cdef csrc.sbx_span spans[4096]
    cdef const uint8_t *text = &data[0] if length else NULL
    cdef size_t need = <size_t>(min_len if min_len > 0 else 1)
    cdef Py_ssize_t j
    for k in range(256):
        table[k] = 0
    for j in range(len(members)):
        table[<uint8_t>members[j]] = 1
    out = []
    while pos < length:
        with nogil:
            got = csrc.sbx_byte_runs(text, length, table, need, &pos, spans, cap)
        for k in range(got):
            if 0 <= limit <= len(out):
                return out, False
            out.append((spans[k].start, spans[k].end))
    return out, True
