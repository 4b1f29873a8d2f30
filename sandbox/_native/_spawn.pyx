# cython: language_level=3, boundscheck=False, wraparound=False
"""The child path through csrc/spawn.c."""

from sandbox._native cimport csrc


def userns_probe() -> int:
    """0 when a child can create a user namespace, else the negative errno of unshare()."""
    cdef int rc
    with nogil:
        rc = csrc.sbx_userns_probe()
    return rc
