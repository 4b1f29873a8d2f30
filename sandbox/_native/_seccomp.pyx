# cython: language_level=3, boundscheck=False, wraparound=False
"""Seccomp through csrc/seccomp.c: availability, the BPF assembler and the installer."""

import errno
import os

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memcpy

from sandbox._native cimport csrc

from sandbox.errors import SeccompError

# include/uapi/linux/bpf_common.h; the C side enforces it too.
cdef size_t BPF_MAXINSNS = 4096
# Upper bounds of the program: the header (arch check, x32 guard) with the default return,
# and one rule.
cdef size_t HEADER_INSNS = 7
cdef size_t RULE_INSNS = 6

_ASSEMBLE = "seccomp: assembling the filter"
_INSTALL = "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)"

_HINTS = {
    (_ASSEMBLE, errno.EINVAL): "a rule, the architecture or an action is invalid",
    (_ASSEMBLE, errno.E2BIG): "the program would exceed BPF_MAXINSNS (4096 instructions)",
    (_INSTALL, errno.EINVAL): "the kernel rejected the program: malformed BPF, or an action it lacks",
    (_INSTALL, errno.EACCES): "no_new_privs did not hold and the caller lacks CAP_SYS_ADMIN",
    (_INSTALL, errno.ENOMEM): "the filters stacked on this process exceed the kernel's 32768-instruction limit",
    (_INSTALL, errno.ESRCH): "another thread has a seccomp filter this one lacks, so TSYNC could not cover it",
    (_INSTALL, errno.EFAULT): "the program buffer was not readable",
}


cdef int _check(int rc, str what, str detail=None) except -1:
    """The one place a -errno from csrc/seccomp.c (or a bad argument) becomes an exception."""
    if rc >= 0:
        return rc
    err = -rc
    message = f"{what}: {os.strerror(err)}"
    # A detail is our own finding about the arguments; the hints explain the kernel's answers.
    hint = None if detail else _HINTS.get((what, err))
    if detail:
        message += f": {detail}"
    if hint:
        message += f" (Hint: {hint})"
    raise SeccompError(err, message)


cdef bint _fits(object value, long long low, long long high):
    return isinstance(value, int) and low <= value <= high


def query_available() -> int:
    """0 when this process can install a seccomp filter, else a negative errno."""
    return csrc.sbx_seccomp_available()


def assemble(audit_arch, x32_guard, default_action, rules) -> bytes:
    """The filter for ``rules`` as raw ``sock_filter`` entries (8 bytes each, native order).

    ``rules`` holds ``(nr, action, arg, op, mask, value)`` tuples, tried in order.
    Raises SeccompError (EINVAL: an invalid rule, architecture or action; E2BIG: the program
    would exceed 4096 instructions).
    """
    cdef Py_ssize_t n = len(rules)
    cdef Py_ssize_t i
    cdef size_t cap = HEADER_INSNS + RULE_INSNS * <size_t>n
    cdef csrc.sbx_seccomp_rule *crules = NULL
    cdef csrc.sock_filter *out = NULL
    cdef int rc
    cdef unsigned int arch
    cdef unsigned int fallback
    cdef int guard = 1 if x32_guard else 0

    if not _fits(audit_arch, 0, 0xFFFFFFFF) or not _fits(default_action, 0, 0xFFFFFFFF):
        _check(-errno.EINVAL, _ASSEMBLE, "the architecture and the default action are 32-bit unsigned")
    arch = audit_arch
    fallback = default_action
    if cap > BPF_MAXINSNS:
        cap = BPF_MAXINSNS
    crules = <csrc.sbx_seccomp_rule *>PyMem_Malloc((n if n > 0 else 1) * sizeof(csrc.sbx_seccomp_rule))
    out = <csrc.sock_filter *>PyMem_Malloc(cap * sizeof(csrc.sock_filter))
    try:
        if crules == NULL or out == NULL:
            raise MemoryError()
        for i in range(n):
            rule = tuple(rules[i])
            if (
                len(rule) != 6
                or not _fits(rule[0], -0x80000000, 0x7FFFFFFF)
                or not _fits(rule[1], 0, 0xFFFFFFFF)
                or not _fits(rule[2], -128, 127)
                or not _fits(rule[3], 0, 255)
                or not _fits(rule[4], 0, 0xFFFFFFFF)
                or not _fits(rule[5], 0, 0xFFFFFFFF)
            ):
                _check(-errno.EINVAL, _ASSEMBLE, f"rule {i} {rule!r} is not (nr, action, arg, op, mask, value)")
            crules[i].nr = rule[0]
            crules[i].action = rule[1]
            crules[i].arg = rule[2]
            crules[i].op = rule[3]
            crules[i].mask = rule[4]
            crules[i].value = rule[5]
        with nogil:
            rc = csrc.sbx_seccomp_assemble(arch, guard, fallback, crules, <size_t>n, out, cap)
        _check(rc, _ASSEMBLE)
        return PyBytes_FromStringAndSize(<char *>out, rc * <Py_ssize_t>sizeof(csrc.sock_filter))
    finally:
        PyMem_Free(crules)
        PyMem_Free(out)


def install(bytes program not None) -> None:
    """Set no_new_privs and install ``program`` on every thread of this process. Irreversible.

    Raises SeccompError (EINVAL: not 1..4096 whole instructions, or rejected by the kernel;
    ESRCH: a thread could not be synchronised; ENOMEM: too many filters stacked).
    """
    cdef Py_ssize_t size = len(program)
    cdef size_t count = <size_t>size // sizeof(csrc.sock_filter)
    cdef csrc.sock_filter *prog = NULL
    cdef int rc

    if size == 0 or <size_t>size % sizeof(csrc.sock_filter) or count > BPF_MAXINSNS:
        _check(-errno.EINVAL, _INSTALL, f"{size} bytes is not 1 to 4096 whole 8-byte instructions")
    # A bytes object's buffer carries no alignment promise; struct sock_filter needs 4.
    prog = <csrc.sock_filter *>PyMem_Malloc(<size_t>size)
    if prog == NULL:
        raise MemoryError()
    try:
        memcpy(prog, PyBytes_AS_STRING(program), <size_t>size)
        with nogil:
            rc = csrc.sbx_seccomp_install(prog, count)
        _check(rc, _INSTALL)
    finally:
        PyMem_Free(prog)
