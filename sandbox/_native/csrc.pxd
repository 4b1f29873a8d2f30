# Declarations of csrc/sbx.h for the Cython bindings.
cdef extern from "sbx.h" nogil:
    int sbx_landlock_abi()
    int sbx_seccomp_available()
    int sbx_userns_probe()
