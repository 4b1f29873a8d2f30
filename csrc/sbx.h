/* The C core of sandbox: the kernel calls the Python layer binds through Cython.
 *
 * Every function returns 0 (or a non-negative value) on success and -errno on failure;
 * nothing here raises, prints, exits or keeps global state. Exported symbols start with
 * sbx_. */
#ifndef SBX_H
#define SBX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* landlock.c */

/* The kernel's Landlock ABI version (>= 1), or -ENOSYS when the kernel was built without
 * Landlock, or -EOPNOTSUPP when it is built in but was not enabled at boot (lsm=). */
int sbx_landlock_abi(void);

/* A new ruleset handling these rights (a zero mask is left out of the request, so a kernel
 * older than that part of the ABI still accepts it). Returns an O_CLOEXEC fd or -errno. */
int sbx_landlock_create(uint64_t handled_fs, uint64_t handled_net, uint64_t scoped);

/* Allow `access` beneath `path` (opened O_PATH|O_NOFOLLOW; a symlink is -ELOOP). On a
 * non-directory only the file rights are kept. *is_dir tells which it was. */
int sbx_landlock_add_path(int ruleset_fd, const char *path, uint64_t access, int *is_dir);

/* Allow `access` (bind/connect) on TCP `port`. */
int sbx_landlock_add_port(int ruleset_fd, uint64_t port, uint64_t access);

/* no_new_privs, then landlock_restrict_self on the calling thread. Async-signal-safe. */
int sbx_landlock_restrict(int ruleset_fd, uint32_t flags);

/* seccomp.c ------------------------------------------------------------------------------ */

#include <linux/filter.h>
#include <stddef.h>

/* 0 when this process may install a seccomp filter that returns errno; -errno otherwise
 * (-EINVAL: kernel without CONFIG_SECCOMP_FILTER, -ENOSYS: no seccomp syscall). */
int sbx_seccomp_available(void);

/* How a rule looks at its argument. Only the LOW 32 bits are compared: the kernel truncates
 * int and unsigned int arguments (ioctl cmd, socket domain, clone's namespace flags,
 * personality) to 32 bits, so high bits a caller sets must not let it dodge the rule. */
#define SBX_CMP_ALWAYS 0    /* the syscall number alone decides */
#define SBX_CMP_MASKED_EQ 1 /* (low32(args[arg]) & mask) == value */
#define SBX_CMP_MASKED_NE 2 /* (low32(args[arg]) & mask) != value */

/* One rule: when syscall `nr` matches (and the comparison holds) the filter returns
 * `action`. The first matching rule wins; `arg` (0..5) is ignored for SBX_CMP_ALWAYS. */
struct sbx_seccomp_rule {
    int32_t nr;
    uint32_t action;
    int8_t arg;
    uint8_t op;
    uint32_t mask;
    uint32_t value;
};

/* Assemble a filter for `audit_arch` (AUDIT_ARCH_X86_64 or AUDIT_ARCH_AARCH64) into `out`:
 * a foreign architecture is killed, then (x86_64 only, when x32_guard) every x32 syscall
 * number is killed, then the rules in order, then `default_action`. Returns the number of
 * instructions, -EINVAL for an invalid rule, architecture or action, -E2BIG when `cap` (or
 * BPF_MAXINSNS) is too small. Writes nothing but `out`; allocates nothing. */
int sbx_seccomp_assemble(uint32_t audit_arch, int x32_guard, uint32_t default_action,
                         const struct sbx_seccomp_rule *rules, size_t n, struct sock_filter *out,
                         size_t cap);

/* no_new_privs, then install `prog` on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC).
 * -ESRCH when a thread could not be synchronised (it has a diverging filter). Irreversible.
 * Async-signal-safe: also called in a forked child before execve. */
int sbx_seccomp_install(const struct sock_filter *prog, size_t len);

/* end of seccomp.c ----------------------------------------------------------------------- */

/* caps.c */

/* Drop every capability and keep root from regaining them at exec (SECBIT_NOROOT, locked).
 * Async-signal-safe. */
int sbx_drop_capabilities(void);

/* spawn.c */

/* 0 when a child of this process can create a user namespace, -errno of unshare()
 * otherwise (-EPERM: blocked by sysctl or LSM, -ENOSPC: max_user_namespaces is 0). */
int sbx_userns_probe(void);

/* Where a child failed before exec (sbx_spawn's *stage). */
enum sbx_stage {
    SBX_STAGE_SETSID = 1,
    SBX_STAGE_PDEATHSIG,
    SBX_STAGE_SETNS,
    SBX_STAGE_RLIMIT,
    SBX_STAGE_CHDIR,
    SBX_STAGE_STDIO,
    SBX_STAGE_LANDLOCK,
    SBX_STAGE_CAPS,
    SBX_STAGE_FDS,
    SBX_STAGE_SECCOMP,
    SBX_STAGE_EXEC,
    SBX_STAGE_CGROUP,
    SBX_STAGE_REQUEST, /* the zygote could not read the request */
};

/* Everything the child needs, prepared by the parent. */
struct sbx_spawn_req {
    const char *path;        /* the program, already resolved (execve does no PATH search) */
    char *const *argv;       /* NULL-terminated */
    char *const *envp;       /* NULL-terminated */
    const char *cwd;         /* NULL: stay where the namespaces leave us */
    int stdio[3];            /* become fds 0, 1, 2; -1 leaves that fd as is */
    const int *ns_fds;       /* setns() in this order: the user namespace first */
    size_t n_ns;
    int pid_ns_fd;           /* a pid namespace (pid_for_children) the command is made in, or -1 */
    int ruleset_fd;          /* a Landlock ruleset to restrict to, or -1 */
    const struct sock_filter *bpf; /* the seccomp program, installed last */
    size_t bpf_len;
    const int *rl_resource;  /* setrlimit(rl_resource[i], rl_value[i] soft and hard) */
    const uint64_t *rl_value;
    size_t n_rlimits;
    pid_t parent_pid;        /* > 0: SIGKILL when this parent exits */
    const int *cgroup_fds;   /* cgroup.procs files to join by writing "0" */
    size_t n_cgroups;
    int setsid;
    int drop_caps;
    int exec_fd;             /* >= 3: run this open file (execveat), not `path`; else -1 */
};

/* Start the command of `req` confined; returns its pid, or -errno with *stage saying where
 * the child failed (0 when clone itself failed). All descriptors but stdio are closed in
 * the child. Thread-safe; blocks the calling thread only until the child has exec'd. */
int sbx_spawn(const struct sbx_spawn_req *req, int *stage);

/* Helpers of the child path, shared with the zygote. Async-signal-safe; -1 and errno set on
 * failure. stdio[i] onto fd i (-1 leaves it), without one dup2 clobbering a source another
 * still needs; then every descriptor from 3 up but `keep` (-1: none) is closed. */
int sbx_place_stdio(const int *stdio);
int sbx_close_fds_except(int keep);

/* zygote.c ------------------------------------------------------------------------------- */
/* A zygote is a process already inside a Sandbox's namespaces, cgroups, Landlock domain and
 * seccomp filter, and a child of the agent, that starts each command with one clone
 * (CLONE_PARENT: the command is the agent's child too). Requests come on a SOCK_SEQPACKET
 * channel, one datagram each: struct sbx_zygote_request, then NUL-terminated strings (the
 * program's path, the working directory, then `argc` arguments), with the command's three
 * stdio descriptors attached (SCM_RIGHTS). For each, the command first sends the one byte
 * 'p' on the channel (the kernel attaches its pid, translated into the agent's pid
 * namespace, when the agent's end has SO_PASSCRED), then the zygote answers with struct
 * sbx_zygote_reply once the command has exec'd (stage 0) or failed. */
#define SBX_ZYGOTE_MAGIC 0x31475a53U /* "SZG1" */
#define SBX_ZYGOTE_MAX_REQUEST (128 * 1024)
#define SBX_ZYGOTE_MAX_ARGS 8192
struct sbx_zygote_request {
    uint32_t magic;
    uint32_t argc;
};
struct sbx_zygote_reply {
    int32_t stage; /* enum sbx_stage, SBX_STAGE_REQUEST for a malformed request, or 0 */
    int32_t err;   /* errno */
};
/* What each command gets on top of what it inherits from the zygote. */
struct sbx_zygote_opts {
    const struct sock_filter *bpf;  /* a seccomp filter stacked after setsid, or NULL */
    size_t bpf_len;
    const int *rl_resource;         /* rlimits set in the command (RLIMIT_CPU: the zygote */
    const uint64_t *rl_value;       /* itself must not run out of CPU time) */
    size_t n_rlimits;
    char *const *envp;
};
/* Serve requests on `chan` until it closes (returns 0) or fails (-errno). */
int sbx_zygote_serve(int chan, const struct sbx_zygote_opts *opts);

/* treescan.c ------------------------------------------------------------------------------ */

#include <sys/stat.h>

/* One thing found in a scanned tree. `mode` keeps the type bits and the permission and
 * sticky bits only (setuid/setgid are never state). Size, mtime, inode and device are the
 * stat cache of regular files and zero for the rest. Strings live in the scan's arena. */
struct sbx_scan_entry {
    size_t path;   /* offset of the relative path (NUL-terminated) in the arena */
    size_t target; /* offset of a symlink's target, or (size_t)-1 */
    uint32_t mode;
    uint64_t size;
    int64_t mtime_ns;
    uint64_t ino;
    uint64_t dev;
};
struct sbx_scan {
    struct sbx_scan_entry *entries;
    size_t n, cap;
    char *arena;
    size_t used, arena_cap;
    char errpath[4352]; /* the relative path a failure is about */
};
/* Asked for each name before it is looked at: 1 leaves it (and a directory's whole tree)
 * out, 0 keeps it, a negative value stops the scan with that value. */
typedef int (*sbx_scan_skip_fn)(void *ctx, const char *path, size_t len);
/* Every directory, regular file and symlink beneath `root_fd` (not the root itself), never
 * following a link, in path order (sbx_path_cmp). Entries that vanish while the scan looks are left
 * out, as are FIFOs, sockets and devices. Returns the count or -errno (errpath says where);
 * `skip` may be NULL. Without `skip`, the root's subdirectories are walked by up to
 * `nthreads` threads (the caller's among them). The caller frees with sbx_scan_free, also
 * after a failure. */
long sbx_tree_scan(int root_fd, struct sbx_scan *out, sbx_scan_skip_fn skip, void *ctx, int nthreads);
void sbx_scan_free(struct sbx_scan *s);
/* The order of a scan: paths compared component by component (bytes within a component), so
 * that a directory's entries follow it and each other sorted by name. <0, 0 or >0. */
int sbx_path_cmp(const char *a, const char *b);
/* Open the regular file at relative `path` beneath `root_fd` for reading, refusing a link
 * in any component (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a walk with O_NOFOLLOW
 * where openat2 is missing) and anything that is not a regular file by now (-EFTYPE is
 * spelled -ENODATA). Non-blocking, so a FIFO planted meanwhile cannot hang the caller.
 * Returns the fd, its fstat in *st, or -errno. */
int sbx_open_beneath(int root_fd, const char *path, struct stat *st);
/* Ask the kernel to start writing `fd`'s dirty pages now (sync_file_range WRITE), so that
 * the fsync that makes them durable later finds them mostly written. 0 or -errno. */
int sbx_start_writeback(int fd);

/* ahocorasick.c --------------------------------------------------------------------------- */

/* Every occurrence of a set of literals, ASCII letters without regard to case. */
struct sbx_ac;
struct sbx_ac_match {
    uint32_t id;  /* the literal's index in the build */
    size_t end;   /* the offset just past its last byte */
};
/* An automaton for the `n` literals (each 1 to 4096 bytes, 256 KiB in all): 0, -EINVAL for
 * an empty, overlong or missing literal, -E2BIG past the total, -ENOMEM. */
int sbx_ac_build(const uint8_t *const *lits, const size_t *lens, size_t n, struct sbx_ac **out);
void sbx_ac_free(struct sbx_ac *ac);
/* The most matches a single byte can end (the caller's array must hold that many). */
uint32_t sbx_ac_max_matches_per_byte(const struct sbx_ac *ac);
/* Scan buf[*pos .. len) from automaton state *state (0 at the start of a text), writing up
 * to `cap` matches in order of their end, then of their id; returns how many. *pos and
 * *state say where to resume: *pos == len once the text is done. Never fails. */
size_t sbx_ac_scan(const struct sbx_ac *ac, const uint8_t *buf, size_t len, size_t *pos, uint32_t *state,
                   struct sbx_ac_match *out, size_t cap);
/* utf8.c: a Python string's code points (`width` bytes each: 1, 2 or 4) as UTF-8, lone
 * surrogates as three bytes (str.encode("utf-8", "surrogatepass")): the size; and the bytes of
 * as many code points as fit into out[0 .. cap) (all of them when cap is their size plus 32
 * or more), *done set to how many, the bytes written returned. Never fail. With `runs` (or
 * NULL), the places of the non-ASCII code points too: runs of their bytes, offsets into
 * the output plus runs->base, a run joined to the one before when it touches it or fewer
 * than runs->join bytes lie between; runs->items is realloc'd (the caller frees it), and runs->failed set
 * where it could not grow (the bytes are written all the same). */
struct sbx_runs {
    size_t *items; /* low, high of each run */
    size_t count, cap, base, join;
    int failed;
};
size_t sbx_utf8_size(const void *units, size_t n, unsigned width);
size_t sbx_utf8_write(const void *units, size_t n, unsigned width, uint8_t *out, size_t cap, size_t *done,
                      struct sbx_runs *runs);
/* How many bytes at the start of buf[0 .. n) are ASCII. */
size_t sbx_ascii_span(const uint8_t *buf, size_t n);
/* The well-formed UTF-8 of in[0 .. n) onto out (n bytes of room; out may be in), every byte
 * that starts no well-formed sequence left out: bytes.decode("utf-8", "ignore") encoded
 * again. The bytes written. Never fails. */
size_t sbx_utf8_keep_valid(const uint8_t *in, size_t n, uint8_t *out);
/* 1 when every code point of the UTF-8 in buf[0 .. n) is ASCII or marked in `table` (bit
 * c % 8 of table[c / 8], c below `bits`); 0 otherwise, and for malformed UTF-8. */
int sbx_utf8_all_marked(const uint8_t *buf, size_t n, const uint8_t *table, size_t bits);
/* comments.c: the HTML comments of buf[0 .. len) as adversary.py's _comment_spans finds them:
 * their starts and ends (byte offsets, in order) in two malloc'd arrays of *count each, which
 * the caller frees. 0 or -ENOMEM. */
int sbx_comment_spans(const uint8_t *buf, size_t len, size_t **starts, size_t **ends, size_t *count);
/* blanks.c: ASCII text's whitespace runs as the rules read them (a run with a line break as
 * one, any other of two or more as a space) from in[0 .. n) into out (n bytes suffice); the
 * length written. Never fails. */
size_t sbx_collapse_blanks(const uint8_t *in, size_t n, uint8_t *out);
/* blanks.c: in[0 .. n) into out (n bytes) with each line break where hard-wrapped prose goes on
 * as a space, and the comment or quote marker that opens such a line where the line before
 * opens with the same one as blanks (prefilter.unwrap_lines's rules); the number of breaks so
 * changed. Never fails. */
size_t sbx_unwrap_lines(const uint8_t *in, size_t n, uint8_t *out);
/* The gate over an automaton (see ahocorasick.c): rules of clauses of literals, each rule
 * triggering where hits of all its clauses lie within its reach; the windows to try it in. */
struct sbx_gate;
#define SBX_GATE_WORD_BEFORE 1
#define SBX_GATE_WORD_AFTER 2
/* Not part of a path or a file's name on that side ("agent/call.c", "gpg-agent.texi", "/agent";
 * not "Copilot/agent"): see in_path in ahocorasick.c. */
#define SBX_GATE_NOT_PATH_BEFORE 4
#define SBX_GATE_NOT_PATH_AFTER 8
/* Not a label: no ':' right after it ("agent: Fix ..." names a program's part in a change log). */
#define SBX_GATE_NOT_LABEL 16
struct sbx_window {
    uint32_t id;       /* the rule (a literal, in raw mode) */
    size_t low, high;  /* byte offsets */
};
/* `n` literals with their flags (NULL: none); `members` pairs (clause, literal); each
 * clause's rule; per rule its reach and window. 0, -EINVAL (a bad index, a rule without a
 * clause), -E2BIG, -ENOMEM. */
int sbx_gate_build(const uint8_t *const *lits, const size_t *lens, const uint8_t *flags, size_t n,
                   const uint32_t *member_clause, const uint32_t *member_literal, size_t members,
                   const uint32_t *clause_rule, size_t clauses, const size_t *reach, const size_t *window,
                   size_t rules, size_t max_window, struct sbx_gate **out);
void sbx_gate_free(struct sbx_gate *g);
/* Whether the gate may use the SSSE3 path where the machine has it (on: the default). */
void sbx_gate_vectors(int on);
/* The windows of `buf` to try each rule in (raw: every literal hit, id the literal), in a
 * malloc'd array the caller frees, at most `limit`: 0, 1 when the limit cut it short,
 * -ENOMEM. Rule windows come per rule in order; raw hits in order of their end. In the same
 * pass, every run of at least `min_run` bytes b with member[b] set (member may be NULL: no
 * runs), in order, into a second malloc'd array (ids 0). */
int sbx_gate_scan(const struct sbx_gate *g, const uint8_t *buf, size_t len, int raw, size_t limit,
                  const uint8_t *member, size_t min_run, struct sbx_window **out, size_t *count,
                  struct sbx_window **runs_out, size_t *runs_count);

/* relay.c --------------------------------------------------------------------------------- */

/* The egress proxy's byte relay: pairs of connected stream sockets, bytes copied both ways
 * (splice through a pipe, or a copy towards loopback TCP where that is cheaper) by one
 * thread's epoll loop. */
struct sbx_relay;
#define SBX_RELAY_MAX_PAIRS 65536
/* Why a pair finished. */
#define SBX_RELAY_DONE 1   /* both sides ended their stream and all was written */
#define SBX_RELAY_ERROR 2  /* a read or write failed (err); both sockets were reset */
#define SBX_RELAY_IDLE 3   /* no byte either way for the pair's idle timeout */
#define SBX_RELAY_CLOSED 4 /* sbx_relay_close_all */
struct sbx_relay_done {
    uint64_t id;
    uint64_t bytes[2]; /* [0]: written to b (read from a), [1]: written to a */
    int32_t reason;    /* SBX_RELAY_* */
    int32_t err;       /* errno for SBX_RELAY_ERROR, else 0 */
};
/* A relay for up to `max_pairs` pairs (1 to SBX_RELAY_MAX_PAIRS; a finished pair counts
 * until collected): 0, -EINVAL, -ENOMEM, or -errno of epoll_create1/eventfd. */
int sbx_relay_create(size_t max_pairs, struct sbx_relay **out);
/* Hand over two connected stream sockets; on success the relay owns them (sets O_NONBLOCK,
 * closes them when the pair finishes) and *id names the pair. `idle_ms` 0: no idle limit.
 * Thread-safe, also while sbx_relay_run runs. On failure the caller still owns them:
 * -EBADF, -ENOTSOCK, -EPROTOTYPE (not SOCK_STREAM), -EINVAL (the same descriptor twice),
 * -ENOSPC (max_pairs reached), -ENOMEM. */
int sbx_relay_add(struct sbx_relay *r, int fd_a, int fd_b, uint32_t idle_ms, uint64_t *id);
/* The loop; one thread at a time (-EBUSY otherwise). Returns 0 once sbx_relay_stop was
 * called (and at once ever after), 1 when finished pairs wait to be collected (it returns
 * at once again until they are), or -errno when epoll_wait fails. Blocks SIGPIPE on the
 * calling thread while it runs. */
int sbx_relay_run(struct sbx_relay *r);
/* Make sbx_relay_run return 0, now and ever after. Thread-safe. */
void sbx_relay_stop(struct sbx_relay *r);
/* Take up to `cap` finished pairs, oldest first; how many. Thread-safe. */
size_t sbx_relay_finished(struct sbx_relay *r, struct sbx_relay_done *out, size_t cap);
/* Finish every pair (SBX_RELAY_CLOSED, recorded for sbx_relay_finished) and close its
 * sockets: how many, or -EBUSY while sbx_relay_run runs. */
int sbx_relay_close_all(struct sbx_relay *r);
/* Bytes written to either side of any pair so far. Thread-safe. */
uint64_t sbx_relay_total(struct sbx_relay *r);
/* Pairs added and not yet finished. Thread-safe. */
size_t sbx_relay_active(struct sbx_relay *r);
/* Close every socket and free the relay; not while sbx_relay_run runs. NULL is a no-op. */
void sbx_relay_destroy(struct sbx_relay *r);

#endif
