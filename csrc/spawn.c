/* The child path: one clone, the policy applied in the child, one exec.
 *
 * Everything is prepared in the parent (Landlock ruleset fd, namespace fds, BPF program,
 * argv, envp, the resolved program path). The child shares the parent's memory
 * (CLONE_VM | CLONE_VFORK, as posix_spawn does), so between clone and execve it makes only
 * async-signal-safe syscalls, allocates nothing, and reports a failure by writing the stage
 * and errno into the parent's memory before _exit; the parent, suspended until then, reads
 * them after the child has exec'd or died. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbx.h"

#ifndef __NR_close_range
#define __NR_close_range 436
#endif

int sbx_userns_probe(void)
{
    /* The probe runs in a throwaway child: unshare(CLONE_NEWUSER) is irreversible and
     * fails in a multithreaded process, so asking in the caller would be both wrong and
     * harmful. Only async-signal-safe calls happen between fork and _exit. */
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        if (unshare(CLONE_NEWUSER) < 0)
            _exit(errno & 0xff);
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    if (!WIFEXITED(status))
        return -ECHILD;
    return -WEXITSTATUS(status);
}

struct child_ctx {
    const struct sbx_spawn_req *req;
    sigset_t parent_mask;
    volatile int stage;
    volatile int err;
    volatile pid_t command; /* the command's pid, when it is a second clone (pid namespace) */
};

#define CHILD_FAIL(ctx, st)                                                                        \
    do {                                                                                           \
        (ctx)->err = errno;                                                                        \
        (ctx)->stage = (st);                                                                       \
        _exit(127);                                                                                \
    } while (0)

int sbx_place_stdio(const int *stdio)
{
    int src[3];
    for (int i = 0; i < 3; i++) {
        src[i] = stdio[i];
        if (src[i] >= 0 && src[i] < 3 && src[i] != i) {
            src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
            if (src[i] < 0)
                return -1;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (src[i] < 0)
            continue;
        if (src[i] == i) {
            if (fcntl(i, F_SETFD, 0) < 0) /* keep it across exec */
                return -1;
        } else if (dup2(src[i], i) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Close every descriptor from `first` up. */
static int close_from(unsigned first)
{
    if (syscall(__NR_close_range, first, ~0U, 0U) == 0)
        return 0;
    if (errno != ENOSYS)
        return -1;
    /* Kernels before 5.9: close one by one up to the descriptor limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    rlim_t top = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536 ? 65536 : rl.rlim_cur;
    for (rlim_t fd = first; fd < top; fd++)
        close((int)fd);
    return 0;
}

int sbx_close_fds_except(int keep)
{
    if (keep < 3)
        return close_from(3);
    if (keep > 3 && syscall(__NR_close_range, 3U, (unsigned)keep - 1, 0U) < 0) {
        if (errno != ENOSYS)
            return -1;
        for (int fd = 3; fd < keep; fd++)
            close(fd);
    }
    return close_from((unsigned)keep + 1);
}

/* The command's own steps, in the process that execs it. `in_pid_ns`: it was created inside
 * the Sandbox's pid namespace, where getppid() is 0 (its parent, the agent, is outside). */
static int confine_and_exec(struct child_ctx *ctx, int in_pid_ns)
{
    const struct sbx_spawn_req *r = ctx->req;

    /* A new session: no controlling terminal, and one process group to kill whole. */
    if (r->setsid && setsid() < 0)
        CHILD_FAIL(ctx, SBX_STAGE_SETSID);

    if (r->parent_pid > 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
            CHILD_FAIL(ctx, SBX_STAGE_PDEATHSIG);
        /* Close the race with a parent that died before we asked. Inside the pid namespace
         * the parent is not visible; there the namespace's init, which dies with the agent,
         * covers it. */
        if (!in_pid_ns && getppid() != r->parent_pid) {
            errno = ESRCH;
            CHILD_FAIL(ctx, SBX_STAGE_PDEATHSIG);
        }
    }

    for (size_t i = 0; i < r->n_rlimits; i++) {
        struct rlimit rl = {(rlim_t)r->rl_value[i], (rlim_t)r->rl_value[i]};
        if (setrlimit(r->rl_resource[i], &rl) < 0)
            CHILD_FAIL(ctx, SBX_STAGE_RLIMIT);
    }

    if (r->cwd != NULL && chdir(r->cwd) < 0)
        CHILD_FAIL(ctx, SBX_STAGE_CHDIR);

    if (sbx_place_stdio(r->stdio) < 0)
        CHILD_FAIL(ctx, SBX_STAGE_STDIO);

    /* no_new_privs, then the Landlock domain. */
    if (r->ruleset_fd >= 0) {
        int rc = sbx_landlock_restrict(r->ruleset_fd, 0);
        if (rc < 0) {
            errno = -rc;
            CHILD_FAIL(ctx, SBX_STAGE_LANDLOCK);
        }
    } else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        CHILD_FAIL(ctx, SBX_STAGE_LANDLOCK);
    }

    if (r->drop_caps) {
        int rc = sbx_drop_capabilities();
        if (rc < 0) {
            errno = -rc;
            CHILD_FAIL(ctx, SBX_STAGE_CAPS);
        }
    }

    /* Nothing of the parent's but stdio crosses into the command: an inherited descriptor
     * to a secret is a read past every rule above. The program's own descriptor, when it is
     * run from one, is close-on-exec. */
    if (sbx_close_fds_except(r->exec_fd) < 0)
        CHILD_FAIL(ctx, SBX_STAGE_FDS);

    /* Seccomp goes last: the filter may deny calls the steps above still need. */
    if (r->bpf_len > 0) {
        int rc = sbx_seccomp_install(r->bpf, r->bpf_len);
        if (rc < 0) {
            errno = -rc;
            CHILD_FAIL(ctx, SBX_STAGE_SECCOMP);
        }
    }

    sigprocmask(SIG_SETMASK, &ctx->parent_mask, NULL);
    if (r->exec_fd >= 0)
        syscall(__NR_execveat, r->exec_fd, "", r->argv, r->envp, AT_EMPTY_PATH);
    else
        execve(r->path, r->argv, r->envp);
    CHILD_FAIL(ctx, SBX_STAGE_EXEC);
    return 127;
}

static int command_main(void *arg)
{
    return confine_and_exec(arg, 1);
}

#define CHILD_STACK (32 * 1024)

static int child_main(void *arg)
{
    struct child_ctx *ctx = arg;
    const struct sbx_spawn_req *r = ctx->req;

    /* The handlers are the parent's code in shared memory: none may run here. */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    }

    /* Join the cgroups before the namespaces: their files were opened by the parent, whose
     * credentials the kernel checks, and the limits must count everything from here. */
    for (size_t i = 0; i < r->n_cgroups; i++) {
        if (write(r->cgroup_fds[i], "0", 1) != 1)
            CHILD_FAIL(ctx, SBX_STAGE_CGROUP);
    }

    /* The user namespace first: it grants the capabilities the other joins need. Joining
     * the mount namespace moves root and cwd to its root, hence the chdir later. */
    for (size_t i = 0; i < r->n_ns; i++) {
        if (setns(r->ns_fds[i], 0) < 0)
            CHILD_FAIL(ctx, SBX_STAGE_SETNS);
    }

    if (r->pid_ns_fd < 0)
        return confine_and_exec(ctx, 0);

    /* The pid namespace takes only the children of whoever joins it, and a process whose
     * children go elsewhere cannot start threads: so the command is one more clone, made in
     * the namespace, with the agent as its parent (CLONE_PARENT) so that it is the agent's to
     * wait for. We are suspended until it execs, then exit. */
    if (setns(r->pid_ns_fd, CLONE_NEWPID) < 0)
        CHILD_FAIL(ctx, SBX_STAGE_SETNS);
    _Alignas(16) char stack[CHILD_STACK];
    pid_t pid = clone(command_main, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, ctx);
    if (pid < 0)
        CHILD_FAIL(ctx, SBX_STAGE_SETNS);
    ctx->command = pid;
    _exit(0);
}

int sbx_spawn(const struct sbx_spawn_req *req, int *stage)
{
    *stage = 0;
    struct child_ctx ctx = {.req = req, .stage = 0, .err = 0, .command = 0};
    /* The child's stack is a region of ours: we are suspended (CLONE_VFORK) until it has
     * exec'd or exited, so nothing else uses it meanwhile. With a pid namespace the child
     * makes the command on a stack of its own the same way. */
    _Alignas(16) char stack[2 * CHILD_STACK];
    /* No signal may be handled in the child while it runs on our memory: block them all
     * across clone; the child resets handlers, then restores this mask just before exec. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &ctx.parent_mask);
    pid_t pid = clone(child_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &ctx);
    int clone_err = errno;
    pthread_sigmask(SIG_SETMASK, &ctx.parent_mask, NULL);
    if (pid < 0)
        return -clone_err;
    if (req->pid_ns_fd >= 0) {
        /* The first child only made the command (our child too, by CLONE_PARENT): reap it. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        pid = ctx.command;
    }
    if (ctx.stage != 0) {
        /* The command reported before exec and _exited; reap it so no zombie is left. */
        if (pid > 0) {
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        *stage = ctx.stage;
        return ctx.err > 0 ? -ctx.err : -EIO;
    }
    return pid;
}
