# cython: language_level=3, boundscheck=False, wraparound=False
"""Seccomp through csrc/seccomp.c."""

from sandbox._native cimport csrc


def query_available() -> int:
    """0 when this process can install a seccomp filter, else a negative errno."""
    return csrc.sbx_seccomp_available()
