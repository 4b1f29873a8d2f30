/* sbx-launch: apply a confinement policy given on the command line, then exec the command.
 *
 *   sbx-launch [OPTIONS] -- PROGRAM [ARGS...]
 *
 * The policy is compiled by the Python layer (sandbox.confine.launcher); this program only
 * carries it out, in a fixed order, and never decides anything. It is what Sandbox.run
 * executes and what wrap_command() hands to callers in any language.
 *
 * Options (numbers in decimal or 0x hex):
 *   --fs-handled MASK    Landlock filesystem rights the ruleset handles (denied unless allowed)
 *   --net-handled MASK   Landlock TCP rights handled (ABI 4)
 *   --scoped MASK        Landlock scopes: abstract unix sockets, signals (ABI 6)
 *   --path MASK:PATH     allow MASK beneath PATH
 *   --port MASK:PORT     allow MASK on TCP PORT
 *   --seccomp HEX        a seccomp-BPF program (sock_filter array, native order) to install last
 *   --rlimit NAME=VALUE  data, as, cpu, nproc, nofile, fsize, core: soft and hard limit
 *   --chdir DIR          working directory of the command
 *   --setsid             new session and process group (no controlling terminal)
 *   --die-with-parent PID  SIGKILL when PID (our parent) exits; refuse to start if it already has
 *   --cgroup PROCS_FILE  join the cgroup whose cgroup.procs file this is (repeatable, up to 4)
 *   --userns             new user, mount and IPC namespaces (the caller's ids mapped to themselves);
 *                        needed by the four options below
 *   --netns              also a new network namespace: no interface but a down loopback
 *   --hide DIR           cover DIR with an empty read-only tmpfs
 *   --hide-file FILE     cover FILE with the --cover-with file (default /dev/null)
 *   --cover-with FILE    an empty file the policy does not grant, so a covered file is refused
 *   --keep PATH          keep PATH visible where it lies beneath a hidden DIR (bound back in)
 *   --writable PATH      with any --writable, every mount becomes read-only (chmod, utimes and
 *                        xattrs, which Landlock does not mediate, fail with EROFS) but these
 *                        paths, bound back read-write, nosuid and nodev
 *   --bridge PORT        with --netns and --hold: bring up the namespace's loopback, listen on
 *                        127.0.0.1:PORT in it and pass each connection out over --bridge-fd
 *   --bridge-fd FD       a unix socket to the library, which serves the passed connections
 *   --hold               after entering the namespaces, print "ready" and wait for stdin to close
 *                        instead of running a command (meanwhile the parent opens the files in /proc/PID/ns)
 *   --drop-caps          drop every capability (bounding, ambient, effective, permitted, inheritable)
 *   --error-fd FD        report a failure as "STAGE ERRNO [WHAT]\n" on FD instead of stderr
 *   --clear-env          start the command with an empty environment...
 *   --setenv NAME=VALUE  ...plus these variables
 *   --serve              be a Sandbox's zygote (csrc/zygote.c) instead of running a command: the
 *                        caller has confined us already; fd 0 is the request channel, and
 *                        --seccomp and --rlimit apply to each command started
 *
 * Exit status on failure before exec: 126 (policy could not be applied), 127 (no program).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel_abi.h"
#include "sbx.h"

#define MAX_PATHS 512
#define MAX_PORTS 64
#define MAX_RLIMITS 8
#define MAX_BPF 4096 /* BPF_MAXINSNS */
#define MAX_ENV 1024
#define MAX_MOUNTS 128

struct rule {
    uint64_t access;
    const char *target;
};

struct opts {
    uint64_t fs_handled, net_handled, scoped;
    struct rule paths[MAX_PATHS];
    size_t n_paths;
    uint64_t port_access[MAX_PORTS], ports[MAX_PORTS];
    size_t n_ports;
    struct sock_filter bpf[MAX_BPF];
    size_t n_bpf;
    int rl_resource[MAX_RLIMITS];
    rlim_t rl_value[MAX_RLIMITS];
    size_t n_rlimits;
    const char *chdir_to;
    const char *cgroup_procs[4];
    size_t n_cgroups;
    int setsid;
    int userns, netns, drop_caps, hold, serve;
    long bridge_port, bridge_fd; /* --bridge: 0 and -1 when absent */
    const char *hide[MAX_MOUNTS];
    size_t n_hide;
    const char *hide_file[MAX_MOUNTS];
    size_t n_hide_file;
    const char *cover_with;
    const char *keep[MAX_MOUNTS];
    int keep_fd[MAX_MOUNTS];
    size_t n_keep;
    const char *writable[MAX_MOUNTS];
    size_t n_writable;
    int clear_env;
    char *setenv[MAX_ENV];
    size_t n_env;
    long parent;
    int error_fd;
    char **command;
};

static struct opts o; /* static: the BPF buffer is 32 KiB, too much for a small stack */

/* Report where we failed and with which errno, then exit: the parent turns the record into
 * a precise exception; a human running this by hand gets a line on stderr. */
static void fail_on(const char *stage, int err, const char *what, int status)
{
    if (o.error_fd >= 0) {
        dprintf(o.error_fd, "%s %d %s\n", stage, err, what);
    } else {
        fprintf(stderr, "sbx-launch: %s: %s%s%s\n", stage, what, *what ? ": " : "", strerror(err));
    }
    _exit(status);
}

static void fail(const char *stage, int err, int status)
{
    fail_on(stage, err, "", status);
}

static void usage(const char *why)
{
    fprintf(stderr, "sbx-launch: %s (see the header of csrc/launcher.c)\n", why);
    _exit(2);
}

static uint64_t number(const char *text, const char *what)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        usage(what);
    return (uint64_t)v;
}

/* "MASK:REST" -> mask, and REST through *rest. */
static uint64_t masked(const char *arg, const char **rest, const char *what)
{
    const char *colon = strchr(arg, ':');
    if (colon == NULL || colon == arg || colon[1] == '\0')
        usage(what);
    char buf[32];
    size_t len = (size_t)(colon - arg);
    if (len >= sizeof(buf))
        usage(what);
    memcpy(buf, arg, len);
    buf[len] = '\0';
    *rest = colon + 1;
    return number(buf, what);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void parse_bpf(const char *hex)
{
    size_t len = strlen(hex);
    size_t bytes = len / 2;
    if (len % 2 != 0 || bytes == 0 || bytes % sizeof(struct sock_filter) != 0 ||
        bytes / sizeof(struct sock_filter) > MAX_BPF)
        usage("--seccomp: not a whole number of sock_filter entries in hex");
    unsigned char *out = (unsigned char *)o.bpf;
    for (size_t i = 0; i < bytes; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            usage("--seccomp: not hex");
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    o.n_bpf = bytes / sizeof(struct sock_filter);
}

static void parse_rlimit(const char *arg)
{
    static const struct {
        const char *name;
        int resource;
    } names[] = {
        {"data", RLIMIT_DATA},   {"as", RLIMIT_AS},       {"cpu", RLIMIT_CPU},
        {"nproc", RLIMIT_NPROC}, {"nofile", RLIMIT_NOFILE}, {"fsize", RLIMIT_FSIZE},
        {"core", RLIMIT_CORE},
    };
    const char *eq = strchr(arg, '=');
    if (eq == NULL || o.n_rlimits == MAX_RLIMITS)
        usage("--rlimit NAME=VALUE");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == (size_t)(eq - arg) && strncmp(arg, names[i].name, (size_t)(eq - arg)) == 0) {
            o.rl_resource[o.n_rlimits] = names[i].resource;
            o.rl_value[o.n_rlimits] = (rlim_t)number(eq + 1, "--rlimit value");
            o.n_rlimits++;
            return;
        }
    }
    usage("--rlimit: unknown resource");
}

static void parse(int argc, char **argv)
{
    o.error_fd = -1;
    o.parent = -1;
    o.bridge_fd = -1;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--setsid") == 0) {
            o.setsid = 1;
            continue;
        }
        if (strcmp(a, "--clear-env") == 0) {
            o.clear_env = 1;
            continue;
        }
        if (strcmp(a, "--userns") == 0) {
            o.userns = 1;
            continue;
        }
        if (strcmp(a, "--netns") == 0) {
            o.netns = 1;
            continue;
        }
        if (strcmp(a, "--hold") == 0) {
            o.hold = 1;
            continue;
        }
        if (strcmp(a, "--serve") == 0) {
            o.serve = 1;
            continue;
        }
        if (strcmp(a, "--drop-caps") == 0) {
            o.drop_caps = 1;
            continue;
        }
        if (v == NULL)
            usage("an option lacks its value");
        i++;
        if (strcmp(a, "--fs-handled") == 0) {
            o.fs_handled = number(v, a);
        } else if (strcmp(a, "--net-handled") == 0) {
            o.net_handled = number(v, a);
        } else if (strcmp(a, "--scoped") == 0) {
            o.scoped = number(v, a);
        } else if (strcmp(a, "--path") == 0) {
            if (o.n_paths == MAX_PATHS)
                usage("too many --path rules");
            o.paths[o.n_paths].access = masked(v, &o.paths[o.n_paths].target, a);
            o.n_paths++;
        } else if (strcmp(a, "--port") == 0) {
            const char *port = NULL;
            if (o.n_ports == MAX_PORTS)
                usage("too many --port rules");
            o.port_access[o.n_ports] = masked(v, &port, a);
            o.ports[o.n_ports] = number(port, a);
            o.n_ports++;
        } else if (strcmp(a, "--seccomp") == 0) {
            parse_bpf(v);
        } else if (strcmp(a, "--rlimit") == 0) {
            parse_rlimit(v);
        } else if (strcmp(a, "--setenv") == 0) {
            if (o.n_env == MAX_ENV || strchr(v, '=') == NULL || v[0] == '=')
                usage("--setenv NAME=VALUE");
            o.setenv[o.n_env++] = argv[i];
        } else if (strcmp(a, "--hide") == 0) {
            if (o.n_hide == MAX_MOUNTS || v[0] != '/')
                usage("--hide takes an absolute path");
            o.hide[o.n_hide++] = v;
        } else if (strcmp(a, "--hide-file") == 0) {
            if (o.n_hide_file == MAX_MOUNTS || v[0] != '/')
                usage("--hide-file takes an absolute path");
            o.hide_file[o.n_hide_file++] = v;
        } else if (strcmp(a, "--cover-with") == 0) {
            o.cover_with = v;
        } else if (strcmp(a, "--writable") == 0) {
            if (o.n_writable == MAX_MOUNTS || v[0] != '/')
                usage("--writable takes an absolute path");
            o.writable[o.n_writable++] = v;
        } else if (strcmp(a, "--keep") == 0) {
            if (o.n_keep == MAX_MOUNTS || v[0] != '/')
                usage("--keep takes an absolute path");
            o.keep[o.n_keep++] = v;
        } else if (strcmp(a, "--bridge") == 0) {
            o.bridge_port = (long)number(v, a);
            if (o.bridge_port <= 0 || o.bridge_port > 65535)
                usage("--bridge takes a TCP port");
        } else if (strcmp(a, "--bridge-fd") == 0) {
            o.bridge_fd = (long)number(v, a);
        } else if (strcmp(a, "--chdir") == 0) {
            o.chdir_to = v;
        } else if (strcmp(a, "--cgroup") == 0) {
            if (o.n_cgroups == 4)
                usage("too many --cgroup");
            o.cgroup_procs[o.n_cgroups++] = v;
        } else if (strcmp(a, "--die-with-parent") == 0) {
            o.parent = (long)number(v, a);
        } else if (strcmp(a, "--error-fd") == 0) {
            o.error_fd = (int)number(v, a);
        } else {
            usage("unknown option");
        }
    }
    if (i >= argc && !o.hold && !o.serve)
        usage("no command after --");
    if (o.serve && (o.userns || o.hold || o.fs_handled || o.net_handled || o.scoped || o.n_cgroups || o.setsid))
        usage("--serve takes only --seccomp and --rlimit (the caller confines the zygote)");
    if (o.hold && !o.userns)
        usage("--hold needs --userns");
    if ((o.bridge_port != 0) != (o.bridge_fd >= 0) || (o.bridge_port && (!o.netns || !o.hold)))
        usage("--bridge PORT and --bridge-fd FD go together, with --netns and --hold");
    if (!o.userns && (o.netns || o.n_hide || o.n_hide_file || o.n_writable))
        usage("--netns, --hide, --hide-file and --writable need --userns");
    o.command = &argv[i];
}

static void join_cgroup(const char *procs)
{
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        fail("cgroup", errno, 126);
    /* "0" means the writing process itself. */
    if (write(fd, "0", 1) != 1) {
        int err = errno;
        close(fd);
        fail("cgroup", err, 126);
    }
    close(fd);
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        fail_on("userns", errno, path, 126);
    ssize_t len = (ssize_t)strlen(text);
    if (write(fd, text, (size_t)len) != len) {
        int err = errno;
        close(fd);
        fail_on("userns", err, path, 126);
    }
    close(fd);
}

static int beneath(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* mkdir -p for the parents of `path`, then the mount point itself (a dir or an empty file). */
static void make_mount_point(const char *path, int is_dir)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len >= sizeof(buf))
        fail_on("mount", ENAMETOOLONG, path, 126);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            fail_on("mount", errno, buf, 126);
        *p = '/';
    }
    if (is_dir) {
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            fail_on("mount", errno, buf, 126);
    } else {
        int fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            fail_on("mount", errno, buf, 126);
        close(fd);
    }
}

static int set_mount_attr(const char *path, unsigned flags, uint64_t set, uint64_t clear)
{
    struct sbx_mount_attr attr = {.attr_set = set, .attr_clr = clear};
    return (int)syscall(SBX_NR_mount_setattr, AT_FDCWD, path, flags, &attr, sizeof(attr));
}

/* Landlock (through ABI 7) does not mediate chmod, utimes or extended attributes, which the
 * owner of a file may always change: with every mount read-only they fail with EROFS. The
 * writable paths are bound back on themselves and made writable again, nosuid and nodev, one
 * mount each (not recursively: a secret covered inside the workspace stays read-only). */
static void read_only_but_writable(void)
{
    if (set_mount_attr("/", SBX_AT_RECURSIVE, SBX_MOUNT_ATTR_RDONLY, 0) < 0)
        fail_on("mount", errno, "/ read-only", 126);
    for (size_t i = 0; i < o.n_writable; i++) {
        const char *path = o.writable[i];
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
            fail_on("mount", errno, path, 126);
        /* EPERM: the host mounted it read-only and locked it so; it stays read-only. */
        if (set_mount_attr(path, 0, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV, SBX_MOUNT_ATTR_RDONLY) < 0 &&
            errno != EPERM)
            fail_on("mount", errno, path, 126);
    }
}

/* A private view of the filesystem: host daemons' sockets (/run), other users' temp files
 * and sockets (/tmp) and the secret directories are covered, so that even a connect() to a
 * pathname socket, which Landlock does not mediate on this ABI, finds nothing there. */
static void enter_namespaces(void)
{
    char map[64];
    uid_t uid = getuid();
    gid_t gid = getgid();
    int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC;
    if (o.netns)
        flags |= CLONE_NEWNET;
    /* With --hold, a pid namespace for the commands' children (see hold()). */
    if (o.hold)
        flags |= CLONE_NEWPID;
    if (unshare(flags) < 0)
        fail("userns", errno, 126);
    /* setgroups must be denied before an unprivileged gid_map is accepted. */
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    write_file("/proc/self/uid_map", map);
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    write_file("/proc/self/gid_map", map);
    /* Nothing we mount may propagate back to the host's mount namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        fail_on("mount", errno, "/", 126);
    /* Hold what must stay visible before anything is covered; opened here, in the new
     * namespace, because a bind mount only takes a source from the caller's own namespace. */
    int cover_fd = open(o.cover_with != NULL ? o.cover_with : "/dev/null", O_PATH | O_CLOEXEC);
    if (cover_fd < 0)
        fail_on("mount", errno, o.cover_with != NULL ? o.cover_with : "/dev/null", 126);
    for (size_t i = 0; i < o.n_keep; i++) {
        o.keep_fd[i] = open(o.keep[i], O_PATH | O_CLOEXEC);
        if (o.keep_fd[i] < 0)
            fail_on("mount", errno, o.keep[i], 126);
    }
    for (size_t i = 0; i < o.n_hide; i++) {
        const char *dir = o.hide[i];
        if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k") < 0)
            fail_on("mount", errno, dir, 126);
        for (size_t k = 0; k < o.n_keep; k++) {
            if (!beneath(o.keep[k], dir) || strcmp(o.keep[k], dir) == 0)
                continue;
            struct stat st;
            if (fstat(o.keep_fd[k], &st) < 0)
                fail_on("mount", errno, o.keep[k], 126);
            make_mount_point(o.keep[k], S_ISDIR(st.st_mode));
            char src[64];
            snprintf(src, sizeof(src), "/proc/self/fd/%d", o.keep_fd[k]);
            if (mount(src, o.keep[k], NULL, MS_BIND | MS_REC, NULL) < 0)
                fail_on("mount", errno, o.keep[k], 126);
        }
        if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            fail_on("mount", errno, dir, 126);
    }
    char cover[64];
    snprintf(cover, sizeof(cover), "/proc/self/fd/%d", cover_fd);
    for (size_t i = 0; i < o.n_hide_file; i++) {
        if (mount(cover, o.hide_file[i], NULL, MS_BIND, NULL) < 0)
            fail_on("mount", errno, o.hide_file[i], 126);
    }
    close(cover_fd);
    for (size_t k = 0; k < o.n_keep; k++)
        close(o.keep_fd[k]);
    if (o.n_writable > 0)
        read_only_but_writable();
}

/* The init of the commands' pid namespace: it reaps what is reparented to it, and dies with
 * the holder, which takes every process of the namespace with it (the kernel kills them all
 * when a pid namespace's init exits). */
static void pid_namespace_init(int holder_alive)
{
    /* getppid() is 0 here (the holder is outside the namespace), so the race with the
     * holder dying before PDEATHSIG was set is closed with a pipe: EOF means it is gone. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        _exit(0);
    struct pollfd alive = {.fd = holder_alive, .events = POLLIN};
    if (poll(&alive, 1, 0) != 0)
        _exit(0);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (;;) {
        int sig = 0;
        sigwait(&chld, &sig);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
}

/* --bridge PORT: the only way out of the network namespace. Its loopback comes up, we
 * listen on 127.0.0.1:PORT inside it, and every connection a command makes there is passed,
 * as a descriptor (SCM_RIGHTS over --bridge-fd), to the library outside, which serves it
 * with the egress proxy. The namespace has no other interface: a program that ignores the
 * proxy variables reaches nothing. */
static int bridge_listen(int port)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        fail("bridge", errno, 126);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        fail("bridge", errno, 126);
    close(s);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 128) < 0)
        fail("bridge", errno, 126);
    return fd;
}

/* One accepted connection to the library; -1 when the library's end is gone. */
static int bridge_pass(int listener)
{
    int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0)
        return 0; /* the client gave up already: nothing to pass */
    char byte = 'c';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &conn, sizeof(int));
    ssize_t sent;
    do
        sent = sendmsg((int)o.bridge_fd, &msg, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    close(conn);
    return sent == 1 ? 0 : -1;
}

/* --hold: keep the namespaces for a Sandbox. The parent opens them through /proc/<our
 * pid>/ns (a namespace lives as long as something refers to it), and each command joins
 * them. The pid namespace needs a live init, so we stay until stdin closes (Sandbox.close)
 * or the agent process that started us exits: then the init dies, and with it everything
 * the commands left running, even when the agent was killed and could not clean up. */
static void hold(void)
{
    int alive[2];
    if (pipe2(alive, O_CLOEXEC) < 0)
        fail("hold", errno, 126);
    pid_t init = fork();
    if (init < 0)
        fail("hold", errno, 126);
    if (init == 0) {
        close(alive[1]);
        pid_namespace_init(alive[0]);
    }
    close(alive[0]);
    /* The agent process, not our parent thread: a Sandbox made in a worker thread must
     * outlive that thread. */
    int agent = (int)syscall(SBX_NR_pidfd_open, getppid(), 0);
    if (agent < 0)
        fail("hold", errno, 126);
    int listener = o.bridge_port ? bridge_listen((int)o.bridge_port) : -1;
    if (write(STDOUT_FILENO, "ready\n", 6) != 6)
        fail("hold", errno, 126);
    struct pollfd fds[3] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = agent, .events = POLLIN},
                            {.fd = listener, .events = POLLIN}};
    char byte;
    for (;;) {
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            break; /* the agent is gone */
        if (fds[0].revents && read(STDIN_FILENO, &byte, 1) <= 0)
            break; /* Sandbox.close() */
        if (fds[2].revents && bridge_pass(listener) < 0)
            break; /* the library's end of the bridge is gone */
    }
    kill(init, SIGKILL);
    while (waitpid(init, NULL, 0) < 0 && errno == EINTR)
        ;
    _exit(0);
}

/* --serve: the zygote of a Sandbox (csrc/zygote.c). */
static void serve(void)
{
    struct sbx_zygote_opts z = {.bpf = o.bpf, .bpf_len = o.n_bpf, .rl_resource = o.rl_resource,
                                .n_rlimits = o.n_rlimits, .envp = environ};
    static uint64_t values[MAX_RLIMITS];
    for (size_t i = 0; i < o.n_rlimits; i++)
        values[i] = (uint64_t)o.rl_value[i];
    z.rl_value = values;
    int rc = sbx_zygote_serve(STDIN_FILENO, &z);
    if (rc < 0)
        fail("serve", -rc, 126);
    _exit(0);
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    if (o.serve)
        serve();
    /* The error pipe must close when the command starts, so the parent's read ends exactly
     * at exec: EOF there means the policy is in force and the command is running. */
    if (o.error_fd >= 0 && fcntl(o.error_fd, F_SETFD, FD_CLOEXEC) < 0)
        fail("error-fd", errno, 126);

    /* A new session: no controlling terminal to push keystrokes into (TIOCSTI), and one
     * process group the parent can kill whole when the wall-clock limit passes. */
    if (o.setsid && setsid() < 0)
        fail("setsid", errno, 126);

    /* Die with the parent, and close the race where it died before we asked. */
    if (o.parent > 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
            fail("pdeathsig", errno, 126);
        if (getppid() != (pid_t)o.parent)
            fail("pdeathsig", ESRCH, 126);
    }

    for (size_t i = 0; i < o.n_cgroups; i++)
        join_cgroup(o.cgroup_procs[i]);

    for (size_t i = 0; i < o.n_rlimits; i++) {
        struct rlimit rl = {o.rl_value[i], o.rl_value[i]};
        if (setrlimit(o.rl_resource[i], &rl) < 0)
            fail("rlimit", errno, 126);
    }

    if (o.userns)
        enter_namespaces();

    if (o.hold)
        hold();

    if (o.chdir_to != NULL && chdir(o.chdir_to) < 0)
        fail_on("chdir", errno, o.chdir_to, 126);

    if (o.fs_handled || o.net_handled || o.scoped) {
        int ruleset = sbx_landlock_create(o.fs_handled, o.net_handled, o.scoped);
        if (ruleset < 0)
            fail("landlock", -ruleset, 126);
        for (size_t i = 0; i < o.n_paths; i++) {
            int is_dir = 0;
            int rc = sbx_landlock_add_path(ruleset, o.paths[i].target, o.paths[i].access, &is_dir);
            if (rc < 0)
                fail_on("landlock-path", -rc, o.paths[i].target, 126);
        }
        for (size_t i = 0; i < o.n_ports; i++) {
            int rc = sbx_landlock_add_port(ruleset, o.ports[i], o.port_access[i]);
            if (rc < 0)
                fail("landlock-port", -rc, 126);
        }
        int rc = sbx_landlock_restrict(ruleset, 0);
        if (rc < 0)
            fail("landlock", -rc, 126);
        close(ruleset);
    }

    if (o.drop_caps) {
        int rc = sbx_drop_capabilities();
        if (rc < 0)
            fail("capabilities", -rc, 126);
    }

    /* Seccomp goes last: the filter may deny calls the steps above still need. */
    if (o.n_bpf > 0) {
        int rc = sbx_seccomp_install(o.bpf, o.n_bpf);
        if (rc < 0)
            fail("seccomp", -rc, 126);
    }

    if (o.clear_env && clearenv() != 0)
        fail("environment", ENOMEM, 126);
    for (size_t i = 0; i < o.n_env; i++) {
        if (putenv(o.setenv[i]) != 0)
            fail("environment", errno, 126);
    }

    execvp(o.command[0], o.command);
    fail_on("exec", errno, o.command[0], errno == ENOENT ? 127 : 126);
    return 126;
}
