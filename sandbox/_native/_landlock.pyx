# cython: language_level=3, boundscheck=False, wraparound=False
"""Landlock through csrc/landlock.c."""

from sandbox._native cimport csrc


def query_abi() -> int:
    """The kernel's Landlock ABI version (>= 1), or a negative errno when absent.

    -ENOSYS: the kernel has no Landlock; -EOPNOTSUPP: Landlock is disabled at boot.
    """
    return csrc.sbx_landlock_abi()
