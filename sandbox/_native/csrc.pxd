# Declarations of csrc/sbx.h for the Cython bindings.
from libc.stdint cimport uint32_t, uint64_t

cdef extern from "sbx.h" nogil:
    int sbx_landlock_abi()
    int sbx_landlock_create(uint64_t handled_fs, uint64_t handled_net, uint64_t scoped)
    int sbx_landlock_add_path(int ruleset_fd, const char *path, uint64_t access, int *is_dir)
    int sbx_landlock_add_port(int ruleset_fd, uint64_t port, uint64_t access)
    int sbx_landlock_restrict(int ruleset_fd, uint32_t flags)
    int sbx_seccomp_available()
    int sbx_userns_probe()

# seccomp.c: the assembler and the installer
from libc.stddef cimport size_t
from libc.stdint cimport int8_t, int32_t, uint8_t, uint16_t, uint32_t

cdef extern from "sbx.h" nogil:
    struct sock_filter:
        uint16_t code
        uint8_t jt
        uint8_t jf
        uint32_t k

    struct sbx_seccomp_rule:
        int32_t nr
        uint32_t action
        int8_t arg
        uint8_t op
        uint32_t mask
        uint32_t value

    int sbx_seccomp_assemble(uint32_t audit_arch, int x32_guard, uint32_t default_action,
                             const sbx_seccomp_rule *rules, size_t n, sock_filter *out, size_t cap)
    int sbx_seccomp_install(const sock_filter *prog, size_t len)

# spawn.c: the child path
cdef extern from "sbx.h" nogil:
    ctypedef int pid_t
    struct sbx_spawn_req:
        const char *path
        char *const *argv
        char *const *envp
        const char *cwd
        int stdio[3]
        const int *ns_fds
        size_t n_ns
        int pid_ns_fd
        int ruleset_fd
        const sock_filter *bpf
        size_t bpf_len
        const int *rl_resource
        const uint64_t *rl_value
        size_t n_rlimits
        pid_t parent_pid
        const int *cgroup_fds
        size_t n_cgroups
        int setsid
        int drop_caps
        int exec_fd
    int sbx_spawn(const sbx_spawn_req *req, int *stage)
    enum:
        SBX_ZYGOTE_MAGIC
        SBX_ZYGOTE_MAX_REQUEST
        SBX_ZYGOTE_MAX_ARGS

# treescan.c: the state module's scan of a work directory
from libc.stdint cimport int64_t
from posix.stat cimport struct_stat

cdef extern from "sbx.h" nogil:
    struct sbx_scan_entry:
        size_t path
        size_t target
        uint32_t mode
        uint64_t size
        int64_t mtime_ns
        uint64_t ino
        uint64_t dev

    struct sbx_scan:
        sbx_scan_entry *entries
        size_t n
        char *arena
        char errpath[4352]

    ctypedef int (*sbx_scan_skip_fn)(void *ctx, const char *path, size_t len) noexcept
    long sbx_tree_scan(int root_fd, sbx_scan *out, sbx_scan_skip_fn skip, void *ctx, int nthreads)
    void sbx_scan_free(sbx_scan *s)
    int sbx_path_cmp(const char *a, const char *b)
    int sbx_open_beneath(int root_fd, const char *path, struct_stat *st)
    int sbx_start_writeback(int fd)

# utf8.c: a string's code points as UTF-8
cdef extern from "sbx.h" nogil:
    int sbx_comment_spans(const uint8_t *buf, size_t len, size_t **starts, size_t **ends, size_t *count)
    size_t sbx_utf8_size(const void *units, size_t n, unsigned width)
    struct sbx_runs:
        size_t *items
        size_t count, cap, base, join
        int failed
    size_t sbx_utf8_write(const void *units, size_t n, unsigned width, uint8_t *out, size_t cap, size_t *done,
                          sbx_runs *runs)
    size_t sbx_ascii_span(const uint8_t *buf, size_t n)
    size_t sbx_utf8_keep_valid(const uint8_t *data, size_t n, uint8_t *out)
    int sbx_utf8_all_marked(const uint8_t *buf, size_t n, const uint8_t *table, size_t bits)

    # blanks.c: whitespace runs of ASCII text as the inspectors' rules read them
    size_t sbx_collapse_blanks(const uint8_t *inp, size_t n, uint8_t *out)
    size_t sbx_unwrap_lines(const uint8_t *inp, size_t n, uint8_t *out)

# ahocorasick.c: the inspectors' literal prefilter
from libc.stdint cimport uint8_t

cdef extern from "sbx.h" nogil:
    struct sbx_ac:
        pass

    struct sbx_ac_match:
        uint32_t id
        size_t end

    int sbx_ac_build(const uint8_t *const *lits, const size_t *lens, size_t n, sbx_ac **out)
    void sbx_ac_free(sbx_ac *ac)
    uint32_t sbx_ac_max_matches_per_byte(const sbx_ac *ac)
    size_t sbx_ac_scan(const sbx_ac *ac, const uint8_t *buf, size_t len, size_t *pos, uint32_t *state,
                       sbx_ac_match *out, size_t cap)


    struct sbx_gate:
        pass

    struct sbx_window:
        uint32_t id
        size_t low
        size_t high

    int sbx_gate_build(const uint8_t *const *lits, const size_t *lens, const uint8_t *flags, size_t n,
                       const uint32_t *member_clause, const uint32_t *member_literal, size_t members,
                       const uint32_t *clause_rule, size_t clauses, const size_t *reach, const size_t *window,
                       size_t rules, size_t max_window, sbx_gate **out)
    void sbx_gate_free(sbx_gate *g)
    void sbx_gate_vectors(int on)
    int sbx_gate_scan(const sbx_gate *g, const uint8_t *buf, size_t len, int raw, size_t limit,
                      const uint8_t *member, size_t min_run, sbx_window **out, size_t *count,
                      sbx_window **runs_out, size_t *runs_count)

# relay.c: the egress proxy's byte relay
from libc.stdint cimport int32_t, uint64_t

cdef extern from "sbx.h" nogil:
    struct sbx_relay:
        pass

    struct sbx_relay_done:
        uint64_t id
        uint64_t bytes[2]
        int32_t reason
        int32_t err

    enum:
        SBX_RELAY_MAX_PAIRS
        SBX_RELAY_DONE
        SBX_RELAY_ERROR
        SBX_RELAY_IDLE
        SBX_RELAY_CLOSED

    int sbx_relay_create(size_t max_pairs, sbx_relay **out)
    int sbx_relay_add(sbx_relay *r, int fd_a, int fd_b, uint32_t idle_ms, uint64_t *id)
    int sbx_relay_run(sbx_relay *r)
    void sbx_relay_stop(sbx_relay *r)
    size_t sbx_relay_finished(sbx_relay *r, sbx_relay_done *out, size_t cap)
    int sbx_relay_close_all(sbx_relay *r)
    uint64_t sbx_relay_total(sbx_relay *r)
    size_t sbx_relay_active(sbx_relay *r)
    void sbx_relay_destroy(sbx_relay *r)
