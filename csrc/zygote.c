/* The zygote: start commands from a process that is already confined.
 *
 * Confining a child costs more than exec'ing it: the kernel converts and JIT-compiles the
 * seccomp filter, and merges the Landlock ruleset (hundreds of rules) into a new domain that
 * it frees again when the command exits. A zygote pays that once per Sandbox. It is started
 * through the ordinary child path (sbx_spawn: namespaces, cgroups, rlimits, Landlock,
 * capabilities, seccomp), then each command is one clone of it that inherits all of that by
 * construction, and adds only what must be its own: its session and process group (the
 * zygote's filter allows setsid; the command's stacked filter then denies setsid and setpgid,
 * as the direct path's does) and RLIMIT_CPU, which counts per process from zero.
 *
 * A command runs as the same user in the same Landlock domain as the zygote, so it could
 * signal it (as it could signal another command of the same Sandbox on the direct path):
 * - the zygote blocks every signal it can, so only SIGKILL and SIGSTOP reach it; the agent
 *   sends SIGCONT before each request, and starts a new zygote when this one is gone;
 * - it is non-dumpable, because /proc/<zygote>/mem of a dumpable process would let a command
 *   rewrite the code that starts the next one (ptrace is denied by the filter already).
 * A Landlock layer of each command's own would scope signals away from the zygote, but a new
 * layer copies every rule of the domain: it costs what the zygote saves. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbx.h"

struct zygote_child {
    const struct sbx_zygote_opts *opts;
    int chan;
    const int *stdio;
    const char *path;
    const char *cwd;
    char *const *argv;
    volatile int stage;
    volatile int err;
};

#define ZCHILD_FAIL(c, st)                                                                         \
    do {                                                                                           \
        (c)->err = errno;                                                                          \
        (c)->stage = (st);                                                                         \
        _exit(127);                                                                                \
    } while (0)

/* The command, between clone and execve: it shares the zygote's memory (CLONE_VFORK), so only
 * async-signal-safe calls, and failures are written into the zygote's memory. */
static int zygote_child_main(void *arg)
{
    struct zygote_child *c = arg;
    const struct sbx_zygote_opts *o = c->opts;

    /* First, before anything can fail: the agent learns our pid from this message, and must
     * reap us whatever happens next. */
    if (send(c->chan, "p", 1, MSG_NOSIGNAL) != 1)
        ZCHILD_FAIL(c, SBX_STAGE_REQUEST);

    if (setsid() < 0)
        ZCHILD_FAIL(c, SBX_STAGE_SETSID);

    for (size_t i = 0; i < o->n_rlimits; i++) {
        struct rlimit rl = {(rlim_t)o->rl_value[i], (rlim_t)o->rl_value[i]};
        if (setrlimit(o->rl_resource[i], &rl) < 0)
            ZCHILD_FAIL(c, SBX_STAGE_RLIMIT);
    }

    if (chdir(c->cwd) < 0)
        ZCHILD_FAIL(c, SBX_STAGE_CHDIR);

    if (sbx_place_stdio(c->stdio) < 0)
        ZCHILD_FAIL(c, SBX_STAGE_STDIO);

    if (o->bpf_len > 0) {
        int rc = sbx_seccomp_install(o->bpf, o->bpf_len);
        if (rc < 0) {
            errno = -rc;
            ZCHILD_FAIL(c, SBX_STAGE_SECCOMP);
        }
    }

    /* The channel and the received descriptors (now on 0-2) go. */
    if (sbx_close_fds_except(-1) < 0)
        ZCHILD_FAIL(c, SBX_STAGE_FDS);

    /* The command starts with no signal blocked (the zygote blocks them all). */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(c->path, c->argv, o->envp);
    ZCHILD_FAIL(c, SBX_STAGE_EXEC);
    return 127;
}

/* Split the strings after the header: path, cwd, then argc arguments, each NUL-terminated,
 * filling nothing past the end of the datagram. Returns 0 or -EINVAL. */
static int parse_request(char *buf, size_t len, const char **path, const char **cwd, char **argv, size_t max_args)
{
    struct sbx_zygote_request head;
    if (len < sizeof(head))
        return -EINVAL;
    memcpy(&head, buf, sizeof(head));
    if (head.magic != SBX_ZYGOTE_MAGIC || head.argc == 0 || head.argc > max_args)
        return -EINVAL;
    char *p = buf + sizeof(head);
    char *end = buf + len;
    size_t want = 2 + head.argc;
    for (size_t i = 0; i < want; i++) {
        char *nul = memchr(p, '\0', (size_t)(end - p));
        if (nul == NULL)
            return -EINVAL;
        if (i == 0)
            *path = p;
        else if (i == 1)
            *cwd = p;
        else
            argv[i - 2] = p;
        p = nul + 1;
    }
    if (p != end || (*path)[0] != '/' || (*cwd)[0] != '/')
        return -EINVAL;
    argv[head.argc] = NULL;
    return 0;
}

#define ZYGOTE_STACK (32 * 1024)

/* One request: its datagram is in buf, its descriptors in fds. */
static struct sbx_zygote_reply serve_one(int chan, const struct sbx_zygote_opts *opts, char *buf, size_t len,
                                         const int *fds, char **argv)
{
    struct sbx_zygote_reply reply = {0, 0};
    struct zygote_child c = {.opts = opts, .chan = chan, .stdio = fds, .stage = 0, .err = 0};
    int rc = parse_request(buf, len, &c.path, &c.cwd, argv, SBX_ZYGOTE_MAX_ARGS);
    if (rc < 0) {
        reply.stage = SBX_STAGE_REQUEST;
        reply.err = -rc;
        return reply;
    }
    c.argv = argv;
    _Alignas(16) static char stack[ZYGOTE_STACK];
    /* CLONE_PARENT: the command is the agent's child, so the agent waits for it and kills its
     * group as it does any command's. No signal handler is installed in this program, so
     * none can run on our memory in the child. */
    pid_t pid = clone(zygote_child_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | CLONE_PARENT, &c);
    if (pid < 0) {
        reply.err = errno; /* stage 0 with an errno: clone itself failed */
        return reply;
    }
    reply.stage = c.stage;
    reply.err = c.err;
    return reply;
}

int sbx_zygote_serve(int chan, const struct sbx_zygote_opts *opts)
{
    /* Neither ptrace nor /proc/<pid>/mem for the commands we start (see the header). */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return -errno;
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
        return -errno;
    static char buf[SBX_ZYGOTE_MAX_REQUEST];
    static char *argv[SBX_ZYGOTE_MAX_ARGS + 1];
    for (;;) {
        union {
            struct cmsghdr align;
            char space[CMSG_SPACE(3 * sizeof(int))];
        } control;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = sizeof(control.space)};
        ssize_t n = recvmsg(chan, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        /* End of the channel (the Sandbox closed, or the agent is gone) reads as an empty
         * message without descriptors; an empty request carries them and is refused below. */
        if (n == 0 && msg.msg_controllen == 0)
            return 0;
        int fds[3] = {-1, -1, -1};
        size_t nfds = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                continue;
            size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                if (nfds < 3)
                    fds[nfds] = fd;
                else
                    close(fd);
                nfds++;
            }
        }
        struct sbx_zygote_reply reply;
        if (nfds != 3 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
            reply.stage = SBX_STAGE_REQUEST;
            reply.err = EINVAL;
        } else {
            reply = serve_one(chan, opts, buf, (size_t)n, fds, argv);
        }
        for (size_t i = 0; i < 3; i++) {
            if (fds[i] >= 0)
                close(fds[i]);
        }
        if (send(chan, &reply, sizeof(reply), MSG_NOSIGNAL) != (ssize_t)sizeof(reply))
            return -errno;
    }
}
