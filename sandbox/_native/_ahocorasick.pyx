# cython: language_level=3, boundscheck=False, wraparound=False
"""The inspectors' literal prefilter, through csrc/ahocorasick.c."""

import array as _array
import os

from cpython cimport array
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND
from libc.stdint cimport uint8_t, uint32_t
from libc.stdlib cimport free, malloc, qsort
from libc.string cimport memcpy

from sandbox._native cimport csrc

from sandbox.errors import PolicyError


cdef extern from "Python.h":
    # For a bare pointer: _PyBytes_Resize takes the object's only reference and may move it,
    # which cannot be done to an object Cython holds.
    PyObject *PyBytes_FromStringAndSize_raw "PyBytes_FromStringAndSize"(const char *v, Py_ssize_t n)
    int _PyBytes_Resize(PyObject **bytes, Py_ssize_t size) except -1


cdef int by_low(const void *a, const void *b) noexcept nogil:
    cdef size_t x = (<const csrc.sbx_window *>a).low, y = (<const csrc.sbx_window *>b).low
    return (x > y) - (x < y)


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


cdef class Gate:
    """Rules of clauses of literals over one automaton (csrc/ahocorasick.c, the gate):
    ``literals`` (bytes) with ``flags`` (1: no word byte before, 2: none after, 4 and 8: not
    part of a path before or after, 16: no ':' after; see prefilter.parse_literal), ``members``
    (clause, literal) pairs, ``clause_rule`` per clause, ``reach`` and ``window`` per rule.
    Raises PolicyError for an index out of range, a rule without clauses, or literals the
    automaton refuses."""

    cdef csrc.sbx_gate *gate

    def __cinit__(self, literals, flags, members, clause_rule, reach, window, size_t max_window):
        cdef list items = [bytes(x) for x in literals]
        cdef Py_ssize_t n = len(items), m = len(members), c = len(clause_rule), r = len(reach), i
        cdef const uint8_t **ptrs = <const uint8_t **>malloc(max(n, 1) * sizeof(uint8_t *))
        cdef size_t *lens = <size_t *>malloc(max(n, 1) * sizeof(size_t))
        cdef uint8_t *fl = <uint8_t *>malloc(max(n, 1))
        cdef uint32_t *mc = <uint32_t *>malloc(max(m, 1) * sizeof(uint32_t))
        cdef uint32_t *ml = <uint32_t *>malloc(max(m, 1) * sizeof(uint32_t))
        cdef uint32_t *cr = <uint32_t *>malloc(max(c, 1) * sizeof(uint32_t))
        cdef size_t *re = <size_t *>malloc(max(r, 1) * sizeof(size_t))
        cdef size_t *wi = <size_t *>malloc(max(r, 1) * sizeof(size_t))
        cdef int rc
        self.gate = NULL
        try:
            if not (ptrs and lens and fl and mc and ml and cr and re and wi):
                raise MemoryError()
            if len(flags) != n or len(window) != r:
                raise PolicyError("a gate needs one flag per literal and one window per rule")
            for i in range(n):
                ptrs[i] = <const uint8_t *><char *>items[i]
                lens[i] = len(<bytes>items[i])
                fl[i] = flags[i]
            for i in range(m):
                mc[i] = members[i][0]
                ml[i] = members[i][1]
            for i in range(c):
                cr[i] = clause_rule[i]
            for i in range(r):
                re[i] = reach[i]
                wi[i] = window[i]
            with nogil:
                rc = csrc.sbx_gate_build(ptrs, lens, fl, n, mc, ml, m, cr, c, re, wi, r, max_window, &self.gate)
        finally:
            free(ptrs)
            free(lens)
            free(fl)
            free(mc)
            free(ml)
            free(cr)
            free(re)
            free(wi)
        if rc == -22:  # EINVAL
            raise PolicyError("a gate's literals must be 1 to 4096 bytes, its indexes in range, each rule with a clause")
        if rc == -7:  # E2BIG
            raise PolicyError("the literals are more than 256 KiB in all")
        if rc < 0:
            raise OSError(-rc, os.strerror(-rc))

    def __dealloc__(self):
        csrc.sbx_gate_free(self.gate)

    def scan(self, const uint8_t[::1] data, bint raw=False, Py_ssize_t limit=-1, bytes members=b"",
             Py_ssize_t min_run=0):
        """``(items, complete, runs)``: per rule, the ``(rule, low, high)`` windows to try
        it in (``raw``: every literal hit as ``(literal, start, end)``, in order of end), at
        most ``limit`` (all when negative); and the ``(start, end)`` of every run of at
        least ``min_run`` bytes from ``members``. The scan runs without the GIL."""
        cdef csrc.sbx_window *out = NULL
        cdef csrc.sbx_window *runs = NULL
        cdef size_t count = 0, nruns = 0, k, length = data.shape[0]
        cdef size_t cap = <size_t>limit if limit >= 0 else <size_t>-1
        cdef const uint8_t *text = &data[0] if length else NULL
        cdef uint8_t table[256]
        cdef size_t need = <size_t>(min_run if min_run > 0 else 1)
        cdef Py_ssize_t j
        cdef int rc
        for k in range(256):
            table[k] = 0
        for j in range(len(members)):
            table[<uint8_t>members[j]] = 1
        with nogil:
            rc = csrc.sbx_gate_scan(self.gate, text, length, raw, cap, table, need, &out, &count, &runs, &nruns)
        if rc < 0:
            raise MemoryError()
        try:
            return ([(out[k].id, out[k].low, out[k].high) for k in range(count)], rc == 0,
                    [(runs[k].low, runs[k].high) for k in range(nruns)])
        finally:
            free(out)
            free(runs)

    def starts(self, const uint8_t[::1] data, Py_ssize_t most):
        """The sorted distinct offsets at which a literal's hit starts (word boundaries
        applied), or None when there are more than ``most`` hits: what ``scan(raw=True)``
        gives, as the confirming step wants it, without a tuple per hit. The scan runs
        without the GIL."""
        if most < 0:
            return None  # any number of hits is more than that
        cdef csrc.sbx_window *out = NULL
        cdef csrc.sbx_window *runs = NULL
        cdef size_t count = 0, nruns = 0, k, n = 0, length = data.shape[0]
        cdef const uint8_t *text = &data[0] if length else NULL
        cdef int rc
        with nogil:
            # No byte is a run's member here (NULL): only the hits are wanted.
            rc = csrc.sbx_gate_scan(self.gate, text, length, 1, <size_t>(most + 1), NULL, 1, &out, &count, &runs,
                                    &nruns)
            if rc == 0 and count <= <size_t>most:
                qsort(out, count, sizeof(csrc.sbx_window), by_low)
        try:
            if rc < 0:
                raise MemoryError()
            if rc != 0 or count > <size_t>most:
                return None
            found = []
            for k in range(count):
                if k == 0 or out[k].low != out[n].low:
                    found.append(out[k].low)
                    n = k
            return found
        finally:
            free(out)
            free(runs)


def gate_vectors(bint on):
    """Let the gate use its SSSE3 path where the machine has it (on, the default) or not: for
    the tests, which compare both paths with the Python twin."""
    csrc.sbx_gate_vectors(on)


cdef Py_ssize_t _next_run(const uint8_t *data, Py_ssize_t n, Py_ssize_t i, Py_ssize_t join, Py_ssize_t *low,
                          Py_ssize_t *high) noexcept nogil:
    """The next run of bytes >= 0x80 from data[i] on, runs closer than ``join`` taken
    together, into *low and *high (*low left -1 where there is none); where to go on from."""
    cdef Py_ssize_t j
    while i < n:
        i += <Py_ssize_t>csrc.sbx_ascii_span(&data[i], <size_t>(n - i))
        if i >= n:
            break
        j = i
        while i < n and data[i] >= 0x80:
            i += 1
        if low[0] < 0:
            low[0], high[0] = j, i
        elif j - high[0] < join:
            high[0] = i
        else:
            return j  # this run starts the next stretch
    return i


def stretches(const uint8_t[::1] data, Py_ssize_t join, Py_ssize_t reach, const uint8_t[::1] stable,
              array.array runs=None):
    """The stretches of ``data`` around its non-ASCII bytes that normalisation reads
    (sandbox.inspectors.prefilter.non_ascii_stretches, in one pass): runs of bytes
    >= 0x80 closer than ``join`` taken together, each widened to the nearest space or
    newline within ``reach`` bytes (never inside a character), overlapping ones joined; and
    of those, only the ones with a code point that ``stable`` (a bit table, code point c at
    bit c % 8 of byte c / 8) does not mark. ``runs``: those runs, joined, as utf8_runs
    found them while writing ``data`` (then ``data`` is not read for them)."""
    cdef Py_ssize_t n = data.shape[0], i = 0, low, high, run_low = -1, run_high = -1, start, end, j, last_end = -1
    cdef Py_ssize_t last_start = -1, given = 0, ends = 0
    cdef const size_t *bounds = NULL
    if runs is not None:
        if runs.ob_descr.itemsize != sizeof(size_t) or runs.ob_descr.typecode not in b"QLI":
            raise TypeError("runs: an array of size_t, as utf8_runs gives")
        bounds = <const size_t *>runs.data.as_voidptr
        ends = len(runs) // 2 * 2
    cdef size_t bits = <size_t>stable.shape[0] * 8
    cdef const uint8_t *table = &stable[0] if stable.shape[0] else NULL
    out = []
    while True:
        # The next merged run of non-ASCII bytes.
        low = -1
        if bounds != NULL:
            if given == ends:
                break
            if bounds[given] >= bounds[given + 1] or bounds[given + 1] > <size_t>n:
                raise ValueError("a run outside the data")
            low, high = <Py_ssize_t>bounds[given], <Py_ssize_t>bounds[given + 1]
            given += 2
            i = high
        else:
            with nogil:
                i = _next_run(&data[0] if n else NULL, n, i, join, &low, &high)
        if low < 0:
            break
        with nogil:
            start = -1
            j = low - 1
            while j >= 0 and j >= low - reach:
                if data[j] == 32 or data[j] == 10:
                    start = j + 1
                    break
                j -= 1
            if start < 0:
                start = low - reach if low > reach else 0
            end = -1
            j = high
            while j < n and j < high + reach:
                if data[j] == 32 or data[j] == 10:
                    end = j
                    break
                j += 1
            if end < 0:
                end = high + reach if high + reach < n else n
            while start > 0 and data[start] >= 0x80:
                start -= 1
            while end < n and data[end] >= 0x80:
                end += 1
        if last_end >= 0 and start <= last_end:
            last_end = end  # overlaps the one before: joined to it
        else:
            if last_end >= 0 and not _all_marked(data, last_start, last_end, table, bits):
                out.append((last_start, last_end))
            last_start, last_end = start, end
        if i >= n:
            break
    if last_end >= 0 and not _all_marked(data, last_start, last_end, table, bits):
        out.append((last_start, last_end))
    return out


cdef bint _all_marked(const uint8_t[::1] data, Py_ssize_t low, Py_ssize_t high, const uint8_t *table, size_t bits):
    """Whether every code point of data[low:high] is ASCII or marked in ``table``."""
    if table == NULL:
        return False
    return csrc.sbx_utf8_all_marked(&data[low], <size_t>(high - low), table, bits) != 0


def utf8(str text):
    """``text.encode("utf-8", "surrogatepass")``, faster where ``text`` is not all ASCII
    (csrc/utf8.c)."""
    if text.isascii():
        return text.encode("ascii")  # a copy of its bytes already
    return _utf8(text, NULL)


def utf8_runs(str text, Py_ssize_t join):
    """``(utf8(text), runs)``: and where its non-ASCII code points were written, runs of
    their bytes, an array of size_t (low, high, low, high, ...), a run joined to the one
    before while fewer than ``join`` bytes lie between (what stretches() would find by
    reading the bytes again)."""
    if text.isascii():
        return text.encode("ascii"), _offsets(NULL, 0)
    cdef csrc.sbx_runs runs
    runs.items = NULL
    runs.count = runs.cap = runs.base = 0
    runs.join = <size_t>join if join > 0 else 0
    runs.failed = 0
    try:
        data = _utf8(text, &runs)
        if runs.failed:
            raise MemoryError()
        return data, _offsets(runs.items, 2 * runs.count)
    finally:
        free(runs.items)


cdef bytes _utf8(str text, csrc.sbx_runs *runs):
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
    cdef unsigned width = PyUnicode_KIND(text)
    cdef const char *units = <const char *>PyUnicode_DATA(text)
    cdef size_t cap = <size_t>n + <size_t>n // 8 + 64, written, more, done = 0, rest = 0
    # One pass where the text is mostly ASCII, into a guess of its size: a pass that counted
    # the size first read the string twice (a third of the time on 10 MB of text, whose
    # reads from memory are what this costs). Past the guess, the rest is counted and the
    # bytes grown to fit, and the end cut to size (both in place, mostly).
    cdef PyObject *out = PyBytes_FromStringAndSize_raw(NULL, <Py_ssize_t>cap)
    if out == NULL:
        raise MemoryError()
    cdef uint8_t *into = <uint8_t *>PyBytes_AS_STRING(<object>out)
    with nogil:
        written = csrc.sbx_utf8_write(units, <size_t>n, width, into, cap, &done, runs)
        if done < <size_t>n:
            rest = csrc.sbx_utf8_size(units + done * width, <size_t>n - done, width)
    if done < <size_t>n:
        _PyBytes_Resize(&out, <Py_ssize_t>(written + rest + 64))  # on failure: out freed, NULL, raised
        into = <uint8_t *>PyBytes_AS_STRING(<object>out)
        if runs != NULL:
            runs.base = written  # the second call's offsets start where the first's bytes end
        with nogil:
            more = csrc.sbx_utf8_write(units + done * width, <size_t>n - done, width, into + written, rest + 64,
                                       &done, runs)
        written += more
    _PyBytes_Resize(&out, <Py_ssize_t>written)
    result = <object>out
    Py_DECREF(result)  # the reference PyBytes_FromStringAndSize gave, which result now holds
    return result


def collapse_blanks(const uint8_t[::1] data):
    """ASCII ``data`` with each whitespace run that holds a line break as one line break,
    and each other run of two or more as one space (csrc/blanks.c)."""
    cdef size_t n = data.shape[0], size
    if n == 0:
        return b""
    out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
    cdef uint8_t *into = <uint8_t *>PyBytes_AS_STRING(out)
    with nogil:
        size = csrc.sbx_collapse_blanks(&data[0], n, into)
    return out[:size]


def unwrap_lines(data):
    """``data`` (bytes) with each line break where hard-wrapped prose goes on as a space
    (csrc/blanks.c; sandbox.inspectors.prefilter.unwrap_lines): ``data`` itself where none is."""
    cdef const uint8_t[::1] view = data
    cdef size_t n = view.shape[0], changed
    if n == 0:
        return data
    out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
    cdef uint8_t *into = <uint8_t *>PyBytes_AS_STRING(out)
    with nogil:
        changed = csrc.sbx_unwrap_lines(&view[0], n, into)
    return out if changed else data


cdef array.array _OFFSETS = _array.array("Q" if sizeof(size_t) == 8 else "I")  # one size_t each


cdef array.array _offsets(const size_t *items, size_t count):
    cdef array.array out = array.clone(_OFFSETS, <Py_ssize_t>count, zero=False)
    if count:
        memcpy(out.data.as_voidptr, items, count * sizeof(size_t))
    return out


def comment_spans(const uint8_t[::1] data):
    """``(starts, ends)``: the HTML comments of ``data`` as byte offsets, in order, two arrays
    of unsigned integers (csrc/comments.c; adversary._comment_spans is its twin): a text of
    a hundred thousand comments holds no tuple per comment."""
    cdef size_t *starts = NULL
    cdef size_t *ends = NULL
    cdef size_t count = 0, n = data.shape[0]
    cdef int rc
    with nogil:
        rc = csrc.sbx_comment_spans(&data[0] if n else NULL, n, &starts, &ends, &count)
    if rc < 0:
        raise MemoryError()
    try:
        return _offsets(starts, count), _offsets(ends, count)
    finally:
        free(starts)
        free(ends)


def encoded_blocks(const uint8_t[::1] data, list runs, Py_ssize_t longest):
    """Of ``runs`` (``(start, end)`` byte ranges of ``data``), those that may be a base64 or
    hex block worth decoding, as ``(start, end, hexadecimal)`` (see
    sandbox.inspectors.prefilter.encoded_blocks, whose test this is in C)."""
    cdef Py_ssize_t n = data.shape[0], start, end, k, others
    cdef bint lower, upper, standard, urlsafe, hexadecimal
    cdef uint8_t b
    out = []
    for run in runs:
        start, end = run
        if start < 0 or end > n or start >= end or end - start > longest:
            continue
        others = 0
        lower = upper = standard = urlsafe = False
        hexadecimal = True
        for k in range(start, end):
            b = data[k]
            if b >= 97 and b <= 122:  # a-z
                lower = True
                hexadecimal = hexadecimal and b <= 102
            elif b >= 65 and b <= 90:  # A-Z
                upper = True
                hexadecimal = hexadecimal and b <= 70
            elif b < 48 or b > 57:  # not a digit either
                others += 1
                hexadecimal = False
                standard = standard or b == 43 or b == 47  # + /
                urlsafe = urlsafe or b == 45 or b == 95  # - _
        if 2 * others > end - start:
            continue
        if not hexadecimal and (lower != upper or (standard and urlsafe)):
            continue
        out.append((start, end, hexadecimal))
    return out


cdef inline bint _digit(uint8_t b) noexcept nogil:
    return 48 <= b <= 57


cdef inline bint _hex(uint8_t b) noexcept nogil:
    return _digit(b) or 97 <= (b | 0x20) <= 102


cdef inline bint _letter(uint8_t b) noexcept nogil:
    return 97 <= (b | 0x20) <= 122


cdef Py_ssize_t _letter_ref(const uint8_t *d, Py_ssize_t q, Py_ssize_t end) noexcept nogil:
    """Where the number of a reference to an ASCII letter ends, read from d[q] (just past
    "&#"): leading zeros, then 65-90 or 97-122 (or x and 41-5A, 61-7A); -1 where none."""
    cdef bint hexadecimal = q < end and (d[q] | 0x20) == 120
    cdef int v
    if hexadecimal:
        q += 1
    while q < end and d[q] == 48:
        q += 1
    if hexadecimal:
        if q + 2 > end or not _hex(d[q]) or not _hex(d[q + 1]):
            return -1
        v = (d[q] - 48 if _digit(d[q]) else (d[q] | 0x20) - 87) * 16
        v += d[q + 1] - 48 if _digit(d[q + 1]) else (d[q + 1] | 0x20) - 87
        return q + 2 if 65 <= v <= 90 or 97 <= v <= 122 else -1
    if q + 2 > end or not _digit(d[q]) or not _digit(d[q + 1]):
        return -1
    v = (d[q] - 48) * 10 + d[q + 1] - 48
    if 65 <= v <= 90 or 97 <= v <= 99:
        return q + 2
    if 10 <= v <= 12 and q + 3 <= end and _digit(d[q + 2]) and 100 <= v * 10 + d[q + 2] - 48 <= 122:
        return q + 3
    return -1


cdef Py_ssize_t _numeric_ref(const uint8_t *d, Py_ssize_t q, Py_ssize_t end) noexcept nogil:
    """Where a numeric reference that another one must follow ends, read from d[q] (just
    past "&#"): all of its digits (1 to 7, or x and 1 to 6 hex digits), a ";" if there is
    one, the whitespace after; -1 where none. (The regular expression's digits could stop
    short, but a digit left over is neither ";", whitespace nor the next "&".)"""
    cdef Py_ssize_t first
    cdef bint hexadecimal = q < end and (d[q] | 0x20) == 120
    if hexadecimal:
        q += 1
    first = q
    while q < end and (_hex(d[q]) if hexadecimal else _digit(d[q])):
        q += 1
    if q == first or q - first > (6 if hexadecimal else 7):
        return -1
    if q < end and d[q] == 59:  # ;
        q += 1
    while q < end and (d[q] == 32 or 9 <= d[q] <= 13):  # \s of a bytes pattern
        q += 1
    return q


cdef bint _hidden_by_refs(const uint8_t *d, Py_ssize_t low, Py_ssize_t high) noexcept nogil:
    """hidden_by_refs on d[low:high] (high within the data)."""
    cdef Py_ssize_t p = low, q, k, r
    while p + 2 <= high:
        if d[p] != 38 or d[p + 1] != 35:  # "&#"
            p += 1
            continue
        # A letter's reference inside a word: a letter before it, or after it (past a ";").
        q = _letter_ref(d, p + 2, high)
        if q >= 0:
            if p > 0 and _letter(d[p - 1]):
                return True
            if q < high and d[q] == 59:
                q += 1
            if q < high and _letter(d[q]):
                return True
        # Four references in a row: three that another follows, then the start of one.
        q = p
        for k in range(3):
            r = _numeric_ref(d, q + 2, high)
            if r < 0 or r + 2 > high or d[r] != 38 or d[r + 1] != 35:
                break
            q = r
        else:
            q += 2
            if q < high and (d[q] | 0x20) == 120:
                if q + 1 < high and _hex(d[q + 1]):
                    return True
            elif q < high and _digit(d[q]):
                return True
        p += 2
    return False


def hidden_by_refs(const uint8_t[::1] data, Py_ssize_t low, Py_ssize_t high):
    """Whether sandbox.inspectors.normalize's _HIDDEN_BY_REFS has a match in
    ``data[low:high]`` (as its ``search(data, low, high)``: what comes before ``low`` is
    seen by the look-behind, nothing from ``high`` on): four numeric references in a row,
    or one to an ASCII letter with a letter before or after it. The regular expression
    tries every "&#" at a few hundred nanoseconds each, and a web page's quotes are
    thousands of them."""
    cdef Py_ssize_t n = data.shape[0]
    if n == 0:
        return False
    if high > n:
        high = n
    if low < 0:
        low = 0
    return _hidden_by_refs(&data[0], low, high)


def joined_windows(const uint8_t[::1] data, list windows):
    """``(joined, starts)``: the ``(low, high)`` byte ranges of ``data`` in order, each from
    the first whole character at or after ``low`` and as its well-formed UTF-8
    (``decode("utf-8", "ignore")``, encoded again), joined with a 0xFF byte (never part of
    UTF-8) between; ``starts``: an array of size_t, where each begins in ``joined`` and,
    last, the length of ``joined`` plus one (sandbox.inspectors.prefilter.joined_windows).
    Raises ValueError for a range outside ``data``."""
    cdef Py_ssize_t n = data.shape[0], count = len(windows), k
    cdef size_t total = 0, at = 0
    cdef size_t *bounds = <size_t *>malloc((2 * count + 1) * sizeof(size_t))
    cdef size_t *into_starts
    cdef array.array starts
    cdef PyObject *out = NULL
    cdef uint8_t *into
    if bounds == NULL:
        raise MemoryError()
    try:
        for k in range(count):
            low, high = windows[k]
            if not 0 <= low <= high <= n:
                raise ValueError("a window outside the data")
            bounds[2 * k], bounds[2 * k + 1] = low, high
            while bounds[2 * k] < bounds[2 * k + 1] and data[bounds[2 * k]] & 0xC0 == 0x80:
                bounds[2 * k] += 1  # a window starts at a whole character
            total += bounds[2 * k + 1] - bounds[2 * k] + 1
        starts = array.clone(_OFFSETS, count + 1, zero=False)
        into_starts = <size_t *>starts.data.as_voidptr
        if count == 0:
            into_starts[0] = 0
            return b"", starts
        out = PyBytes_FromStringAndSize_raw(NULL, <Py_ssize_t>total)
        if out == NULL:
            raise MemoryError()
        into = <uint8_t *>PyBytes_AS_STRING(<object>out)
        with nogil:
            for k in range(count):
                into_starts[k] = at
                if bounds[2 * k + 1] > bounds[2 * k]:
                    at += csrc.sbx_utf8_keep_valid(&data[bounds[2 * k]], bounds[2 * k + 1] - bounds[2 * k], into + at)
                into[at] = 0xFF  # between two windows; the last one's is cut off below
                at += 1
            into_starts[count] = at
        _PyBytes_Resize(&out, <Py_ssize_t>(at - 1))  # on failure: out freed, NULL, raised
        result = <object>out
        Py_DECREF(result)  # the reference PyBytes_FromStringAndSize gave, which result now holds
        out = NULL
        return result, starts
    finally:
        free(bounds)
        if out != NULL:
            Py_DECREF(<object>out)
