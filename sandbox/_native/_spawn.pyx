# cython: language_level=3, boundscheck=False, wraparound=False
"""The child path through csrc/spawn.c."""

import os

from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from sandbox._native cimport csrc

from sandbox.errors import CommandNotFoundError, ConfinementError, LandlockError, SeccompError

# enum sbx_stage, in order from 1
STAGES = (None, "setsid", "pdeathsig", "setns", "rlimit", "chdir", "stdio", "landlock", "capabilities",
          "close-fds", "seccomp", "exec", "cgroup", "request")

# The zygote's protocol (csrc/sbx.h, struct sbx_zygote_request): the header is two
# native-order uint32, MAGIC and argc.
ZYGOTE_MAGIC = csrc.SBX_ZYGOTE_MAGIC
ZYGOTE_MAX_REQUEST = csrc.SBX_ZYGOTE_MAX_REQUEST
ZYGOTE_MAX_ARGS = csrc.SBX_ZYGOTE_MAX_ARGS


cdef int _check(int rc, int stage, str program) except -1:
    """The one place a -errno from csrc/spawn.c becomes an exception."""
    if rc >= 0:
        return rc
    err = -rc
    name = STAGES[stage] if 0 < stage < len(STAGES) else "clone"
    if name == "exec":
        if err == 2:
            raise CommandNotFoundError(err, f"{program}: command not found", program)
        hint = (" (Hint: a program outside the readable paths cannot run; add its directory with "
                "read_only_paths)") if err in (1, 13) else ""
        raise ConfinementError(err, f"cannot execute {program}: {os.strerror(err)}{hint}")
    cls = LandlockError if name == "landlock" else SeccompError if name == "seccomp" else ConfinementError
    raise cls(err, f"the child could not apply the policy at {name!r}: {os.strerror(err)}")


def raise_for(int stage, int err, str program):
    """Raise what a child that failed at ``stage`` with ``err`` means (``stage`` 0: clone
    itself failed). For failures reported by the zygote."""
    _check(-err if err > 0 else -5, stage, program)


def userns_probe() -> int:
    """0 when a child can create a user namespace, else the negative errno of unshare()."""
    cdef int rc
    with nogil:
        rc = csrc.sbx_userns_probe()
    return rc


cdef char **_strings(list items, list keep) except NULL:
    cdef char **out = <char **>malloc((len(items) + 1) * sizeof(char *))
    if out == NULL:
        raise MemoryError()
    for i, item in enumerate(items):
        raw = os.fsencode(item)
        if b"\0" in raw:
            free(out)
            raise ValueError("NUL byte in an argument or environment entry")
        keep.append(raw)
        out[i] = <char *>raw
    out[len(items)] = NULL
    return out


def spawn(path, list argv, list envp, cwd, tuple stdio, list ns_fds, int ruleset_fd, bytes bpf,
          list rlimits, int parent_pid, bint setsid, bint drop_caps, list cgroup_fds=None,
          int pid_ns_fd=-1, int exec_fd=-1) -> int:
    """Start ``path`` with ``argv``/``envp`` confined; the pid. See struct sbx_spawn_req.
    With ``exec_fd`` (an open descriptor of the program, 3 or above) the program is run from
    it, so it need not be visible in the command's mount namespace.

    Raises CommandNotFoundError, ConfinementError (LandlockError, SeccompError) naming the
    stage at which the child failed.
    """
    cdef csrc.sbx_spawn_req req
    cdef list keep = []
    cdef bytes path_b = os.fsencode(path)
    cdef bytes cwd_b = os.fsencode(cwd) if cwd is not None else None
    cdef int stage = 0
    cdef int rc
    cdef int *ns = NULL
    cdef int *rl_res = NULL
    cdef uint64_t *rl_val = NULL
    cdef int *cg = NULL
    cgroup_fds = cgroup_fds or []
    memset(&req, 0, sizeof(req))
    req.path = path_b
    if cwd_b is not None:
        req.cwd = cwd_b
    for i in range(3):
        req.stdio[i] = stdio[i]
    req.ruleset_fd = ruleset_fd
    if bpf:
        req.bpf = <const csrc.sock_filter *><const char *>bpf
        req.bpf_len = len(bpf) // 8
    req.parent_pid = parent_pid
    req.pid_ns_fd = pid_ns_fd
    req.setsid = setsid
    req.drop_caps = drop_caps
    if exec_fd >= 0 and exec_fd < 3:
        raise ValueError("exec_fd must be 3 or above: 0-2 become the command's stdio")
    req.exec_fd = exec_fd
    try:
        req.argv = _strings(argv, keep)
        req.envp = _strings(envp, keep)
        ns = <int *>malloc((len(ns_fds) + 1) * sizeof(int))
        rl_res = <int *>malloc((len(rlimits) + 1) * sizeof(int))
        rl_val = <uint64_t *>malloc((len(rlimits) + 1) * sizeof(uint64_t))
        cg = <int *>malloc((len(cgroup_fds) + 1) * sizeof(int))
        if ns == NULL or rl_res == NULL or rl_val == NULL or cg == NULL:
            raise MemoryError()
        for i, fd in enumerate(cgroup_fds):
            cg[i] = fd
        req.cgroup_fds = cg
        req.n_cgroups = len(cgroup_fds)
        for i, fd in enumerate(ns_fds):
            ns[i] = fd
        req.ns_fds = ns
        req.n_ns = len(ns_fds)
        for i, (resource, value) in enumerate(rlimits):
            rl_res[i] = resource
            rl_val[i] = value
        req.rl_resource = rl_res
        req.rl_value = rl_val
        req.n_rlimits = len(rlimits)
        with nogil:
            rc = csrc.sbx_spawn(&req, &stage)
        return _check(rc, stage, argv[0] if argv else os.fsdecode(path))
    finally:
        free(<void *>req.argv)
        free(<void *>req.envp)
        free(ns)
        free(rl_res)
        free(rl_val)
        free(cg)
