# cython: language_level=3, boundscheck=False, wraparound=False
"""Landlock through csrc/landlock.c."""

import os

from libc.stdint cimport uint64_t

from sandbox._native cimport csrc

from sandbox.errors import LandlockError


cdef int _check(int rc, str what) except -1:
    """The one place a -errno from csrc/landlock.c becomes an exception."""
    if rc < 0:
        raise LandlockError(-rc, f"{what}: {os.strerror(-rc)}")
    return rc


def query_abi() -> int:
    """The kernel's Landlock ABI version (>= 1), or a negative errno when absent.

    -ENOSYS: the kernel has no Landlock; -EOPNOTSUPP: Landlock is disabled at boot.
    """
    return csrc.sbx_landlock_abi()


def create_ruleset(uint64_t handled_fs, uint64_t handled_net, uint64_t scoped) -> int:
    """A new ruleset fd (O_CLOEXEC). Raises LandlockError."""
    return _check(csrc.sbx_landlock_create(handled_fs, handled_net, scoped), "landlock_create_ruleset")


def add_path(int ruleset_fd, path, uint64_t access) -> bool:
    """Allow ``access`` beneath ``path``; True when it is a directory. Raises LandlockError."""
    cdef bytes raw = os.fsencode(path)
    cdef int is_dir = 0
    _check(csrc.sbx_landlock_add_path(ruleset_fd, raw, access, &is_dir), f"landlock_add_rule {path!r}")
    return bool(is_dir)


def add_port(int ruleset_fd, uint64_t port, uint64_t access) -> None:
    """Allow ``access`` on TCP ``port``. Raises LandlockError."""
    _check(csrc.sbx_landlock_add_port(ruleset_fd, port, access), f"landlock_add_rule port {port}")


def restrict_self(int ruleset_fd, unsigned int flags=0) -> None:
    """no_new_privs, then landlock_restrict_self on the calling thread. Raises LandlockError."""
    _check(csrc.sbx_landlock_restrict(ruleset_fd, flags), "landlock_restrict_self")
