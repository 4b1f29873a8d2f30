/* try_syscall: make one syscall an escape test needs, and say what the kernel answered.
 *
 *   try_syscall ACTION [ARGS...]
 *
 * Prints one line, "ok" or "errno <N> <NAME>", and exits 0 (the call succeeded), 1 (it
 * failed with that errno) or 2 (bad usage, or an action this architecture lacks). Details
 * of a multi-step action go to stderr. Every call is a raw syscall(2): no libc wrapper
 * stands between the test and the kernel, just as none stands between an attacker and it.
 *
 * An escape test runs each action twice: unconfined first, to see the call reach the
 * kernel, then confined, to see the sandbox refuse it (EPERM, or ENOSYS where the filter
 * says so). "Unconfined" below is what a root caller gets outside any sandbox.
 *
 * The dangerous calls (mount, pivot_root, kexec_*, *_module, swapon/swapoff, reboot, iopl,
 * ioperm, move_mount) are made with arguments the kernel rejects only AFTER its permission
 * check (a bogus fs type, invalid flags, a missing path): unconfined as root they fail
 * harmlessly with the errno noted, and an EPERM means something refused the call before
 * the kernel looked at it. The rest change only this short-lived process (its namespaces,
 * personality, keyrings) or create an object closed at exit.
 *
 * Built by tests/helpers/build.py with: cc -O2 -Wall -Wextra -Werror. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#if __SIZEOF_LONG__ != 8
#error "try_syscall needs a 64-bit target (it sets bit 32 of syscall arguments)"
#endif

/* Numbers from the unified table (the same on every architecture), for old headers. */
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define TRY_X32_SYSCALL_BIT 0x40000000UL
#define TRY_FSOPEN_CLOEXEC 0x1U
#define TRY_OPEN_TREE_CLONE 0x1U
#define TRY_UFFD_USER_MODE_ONLY 0x1
#define TRY_KEYCTL_GET_KEYRING_ID 0
#define TRY_KEY_SPEC_PROCESS_KEYRING (-2)
#define TRY_KEY_SPEC_SESSION_KEYRING (-3)
#define TRY_LINUX_REBOOT_MAGIC1 0xfee1deadUL
#define TRY_MFD_CLOEXEC 0x1U
#define TRY_MFD_EXEC 0x10U
/* No such path, so calls that look one up fail after their permission check. */
#define ABSENT_PATH "/nonexistent-sbx-try-syscall"

/* struct clone_args up to CLONE_ARGS_SIZE_VER0 (64 bytes). */
struct clone_args_v0 {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
};

extern char **environ;

/* ---- reporting ------------------------------------------------------------------------ */

static const struct {
    int code;
    const char *name;
} ERRNO_NAMES[] = {
#define E(x) {x, #x}
    E(EPERM),       E(ENOENT),       E(ESRCH),        E(EINTR),        E(EIO),
    E(ENXIO),       E(E2BIG),        E(ENOEXEC),      E(EBADF),        E(ECHILD),
    E(EAGAIN),      E(ENOMEM),       E(EACCES),       E(EFAULT),       E(EBUSY),
    E(EEXIST),      E(EXDEV),        E(ENODEV),       E(ENOTDIR),      E(EISDIR),
    E(EINVAL),      E(ENFILE),       E(EMFILE),       E(ENOTTY),       E(ETXTBSY),
    E(EFBIG),       E(ENOSPC),       E(ESPIPE),       E(EROFS),        E(EMLINK),
    E(EPIPE),       E(ERANGE),       E(ENAMETOOLONG), E(ENOSYS),       E(ENOTEMPTY),
    E(ELOOP),       E(ENOKEY),       E(EKEYEXPIRED),  E(EKEYREVOKED),  E(EKEYREJECTED),
    E(EOVERFLOW),   E(ENOTSOCK),     E(EDESTADDRREQ), E(EMSGSIZE),     E(EPROTOTYPE),
    E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT),
    E(EAFNOSUPPORT), E(EADDRINUSE),  E(EADDRNOTAVAIL), E(ENETDOWN),    E(ENETUNREACH),
    E(ENETRESET),   E(ECONNABORTED), E(ECONNRESET),   E(ENOBUFS),      E(EISCONN),
    E(ENOTCONN),    E(ETIMEDOUT),    E(ECONNREFUSED), E(EHOSTDOWN),    E(EHOSTUNREACH),
    E(EALREADY),    E(EINPROGRESS),  E(ESTALE),       E(EDQUOT),       E(ENOMEDIUM),
    E(ECANCELED),   E(EOWNERDEAD),   E(ENOTRECOVERABLE), E(ERFKILL),   E(EHWPOISON),
#undef E
};

static const char *errno_name(int code)
{
    for (size_t i = 0; i < sizeof(ERRNO_NAMES) / sizeof(ERRNO_NAMES[0]); i++)
        if (ERRNO_NAMES[i].code == code)
            return ERRNO_NAMES[i].name;
    return "UNKNOWN";
}

/* An action returns >= 0 on success, or -1 with errno set. */
static int report(long rc)
{
    if (rc >= 0) {
        puts("ok");
        return 0;
    }
    int code = errno;
    printf("errno %d %s\n", code, errno_name(code));
    return 1;
}

/* A multi-step action says on stderr which step failed; errno survives for report(). */
static long failed(const char *step)
{
    int code = errno;
    fprintf(stderr, "try_syscall: %s: %s\n", step, strerror(code));
    errno = code;
    return -1;
}

#define USAGE_ERROR (-2L)
#define UNSUPPORTED (-3L)

static int parse_long(const char *text, int base, long *out)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, base);
    if (errno != 0 || end == text || *end != '\0')
        return -1;
    *out = value;
    return 0;
}

static int parse_ulong(const char *text, int base, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, base);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        return -1;
    *out = value;
    return 0;
}

/* The fd argument of a terminal action: the given number, stdin, or a terminal opened by
 * its absolute path (a pty follower such as /dev/pts/3, opened without becoming our
 * controlling terminal). A refused open is the answer: -1 with errno set. */
static long fd_arg(int argc, char **argv, long *fd)
{
    *fd = 0;
    if (argc >= 1 && argv[0][0] == '/') {
        int opened = open(argv[0], O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (opened < 0)
            return failed("open");
        *fd = opened;
        return 0;
    }
    if (argc >= 1 && (parse_long(argv[0], 10, fd) < 0 || *fd < 0 || *fd > INT_MAX))
        return USAGE_ERROR;
    return 0;
}

/* A SIGSYS kill (the architecture check) must not leave a core file in the test's cwd. */
static void no_core_dump(void)
{
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* ---- processes and namespaces ----------------------------------------------------------- */

/* The child of a raw fork-like clone shares nothing: it leaves at once, without running
 * any atexit handler or stdio flush of the parent's state. */
static long wait_child(long pid)
{
    if (pid < 0)
        return -1;
    if (pid == 0)
        syscall(SYS_exit_group, 0);
    int status = 0;
    if (waitpid((pid_t)pid, &status, 0) < 0)
        return failed("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "try_syscall: the child did not exit cleanly (status %#x)\n", status);
        errno = ECHILD;
        return -1;
    }
    return 0;
}

/* Unconfined: ok (a child in a new user namespace, which exits at once). */
static long raw_clone(unsigned long flags)
{
    /* No stack: without CLONE_VM the child runs on its own copy of ours, like fork(). */
    return wait_child(syscall(SYS_clone, flags, 0UL, NULL, NULL, 0UL));
}

static long raw_clone3(uint64_t flags)
{
    struct clone_args_v0 args;
    memset(&args, 0, sizeof(args));
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    return wait_child(syscall(SYS_clone3, &args, sizeof(args)));
}

static long act_clone_newuser(int argc, char **argv)
{
    (void)argc, (void)argv;
    return raw_clone(CLONE_NEWUSER | SIGCHLD);
}

/* The kernel truncates clone's flags to 32 bits: bit 32 changes nothing for it, and must
 * change nothing for a filter either. */
static long act_clone_newuser_highbits(int argc, char **argv)
{
    (void)argc, (void)argv;
    return raw_clone((1UL << 32) | CLONE_NEWUSER | SIGCHLD);
}

/* Unconfined: ok (a plain child). */
static long act_clone3(int argc, char **argv)
{
    (void)argc, (void)argv;
    return raw_clone3(0);
}

/* Unconfined: ok (a child in a new user namespace). */
static long act_clone3_newuser(int argc, char **argv)
{
    (void)argc, (void)argv;
    return raw_clone3(CLONE_NEWUSER);
}

/* Unconfined: ok; the namespace is this process's own. */
static long act_unshare_user(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_unshare, CLONE_NEWUSER);
}

static long act_unshare_net(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_unshare, CLONE_NEWNET);
}

static long act_unshare_mount(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_unshare, CLONE_NEWNS);
}

/* setns [NSFILE]: join the network namespace of /proc/1/ns/net (or NSFILE). Unconfined: ok,
 * for this process only. Without NSFILE, when pid 1 hides its namespaces (it is not
 * dumpable, or in another user namespace), our own: setns still goes through its checks. */
static long act_setns(int argc, char **argv)
{
    const char *path = argc >= 1 ? argv[0] : "/proc/1/ns/net";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && argc < 1) {
        failed("open /proc/1/ns/net (using /proc/self/ns/net)");
        fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return failed("open");
    long rc = syscall(SYS_setns, fd, 0);
    int code = errno;
    close(fd);
    errno = code;
    return rc;
}

/* ptrace-attach PID: PTRACE_SEIZE, which stops nothing; the tracee is detached when we
 * exit. Unconfined: ok. */
static long act_ptrace_attach(int argc, char **argv)
{
    long pid;
    if (argc < 1 || parse_long(argv[0], 10, &pid) < 0)
        return USAGE_ERROR;
    return syscall(SYS_ptrace, PTRACE_SEIZE, pid, NULL, NULL);
}

/* Unconfined: ok (our parent becomes our tracer until we exit). */
static long act_ptrace_traceme(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_ptrace, PTRACE_TRACEME, 0L, NULL, NULL);
}

/* process_vm_readv [PID]: read one byte of ours at the address where our own copy keeps
 * it (in another process the address may be unmapped: EFAULT). Unconfined: ok. */
static long act_process_vm_readv(int argc, char **argv)
{
    static volatile char secret = 's';
    char byte = 0;
    long pid = getpid();
    if (argc >= 1 && parse_long(argv[0], 10, &pid) < 0)
        return USAGE_ERROR;
    struct iovec local = {.iov_base = &byte, .iov_len = 1};
    struct iovec remote = {.iov_base = (void *)&secret, .iov_len = 1};
    return syscall(SYS_process_vm_readv, pid, &local, 1UL, &remote, 1UL, 0UL);
}

/* kill PID SIG. Unconfined: ok when we may signal PID. */
static long act_kill(int argc, char **argv)
{
    long pid, sig;
    if (argc < 2 || parse_long(argv[0], 10, &pid) < 0 || parse_long(argv[1], 10, &sig) < 0)
        return USAGE_ERROR;
    return syscall(SYS_kill, pid, sig);
}

/* personality HEX: set the execution domain (ADDR_NO_RANDOMIZE is 0x0040000; 0xffffffff
 * only asks). Unconfined: ok. */
static long act_personality(int argc, char **argv)
{
    unsigned long persona;
    if (argc < 1 || parse_ulong(argv[0], 16, &persona) < 0 || persona > 0xffffffffUL)
        return USAGE_ERROR;
    return syscall(SYS_personality, persona);
}

static long act_getpid(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_getpid);
}

/* euid: says "uid R euid E" on stderr; a setuid file run through exec shows whether it
 * changed the effective uid. Always ok. */
static long act_euid(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "uid %ld euid %ld\n", syscall(SYS_getuid), syscall(SYS_geteuid));
    return 0;
}

/* fork-many N: N children that wait to be killed, then all killed and reaped. Unconfined:
 * ok. Under a process limit: the errno of the first refused fork (EAGAIN), and on stderr
 * how many children it got. */
static long act_fork_many(int argc, char **argv)
{
    long want;
    if (argc < 1 || parse_long(argv[0], 10, &want) < 0 || want < 1 || want > 4096)
        return USAGE_ERROR;
    pid_t children[4096];
    long made = 0, rc = 0;
    int code = 0;
    while (made < want) {
        long pid = syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, NULL, NULL, 0UL);
        if (pid == 0) {
            for (;;)
                pause();
        }
        if (pid < 0) {
            code = errno;
            rc = -1;
            break;
        }
        children[made++] = (pid_t)pid;
    }
    for (long i = 0; i < made; i++)
        kill(children[i], SIGKILL);
    for (long i = 0; i < made; i++)
        waitpid(children[i], NULL, 0);
    fprintf(stderr, "try_syscall: forked %ld of %ld\n", made, want);
    errno = code;
    return rc;
}

/* sigio-kill PID SIG: ask for SIG to be sent to PID whenever a pipe of ours becomes
 * readable (F_SETOWN, F_SETSIG, O_ASYNC), then write to it. The kernel reports nothing
 * back: ok either way, and the caller looks at PID. */
static long act_sigio_kill(int argc, char **argv)
{
    long pid, sig;
    int fds[2];
    if (argc < 2 || parse_long(argv[0], 10, &pid) < 0 || parse_long(argv[1], 10, &sig) < 0)
        return USAGE_ERROR;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return failed("pipe2");
    if (fcntl(fds[0], F_SETOWN, (int)pid) < 0)
        return failed("F_SETOWN");
    if (fcntl(fds[0], F_SETSIG, (int)sig) < 0)
        return failed("F_SETSIG");
    if (fcntl(fds[0], F_SETFL, O_ASYNC) < 0)
        return failed("O_ASYNC");
    if (write(fds[1], "x", 1) != 1)
        return failed("write");
    close(fds[0]);
    close(fds[1]);
    return 0;
}

/* pidfd-kill PID SIG: pidfd_open, then pidfd_send_signal. Unconfined: ok when we may
 * signal PID. */
static long act_pidfd_kill(int argc, char **argv)
{
    long pid, sig;
    if (argc < 2 || parse_long(argv[0], 10, &pid) < 0 || parse_long(argv[1], 10, &sig) < 0)
        return USAGE_ERROR;
    long fd = syscall(SYS_pidfd_open, pid, 0U);
    if (fd < 0)
        return failed("pidfd_open");
    long rc = syscall(SYS_pidfd_send_signal, (int)fd, (int)sig, NULL, 0U);
    int code = errno;
    close((int)fd);
    errno = code;
    return rc;
}

/* ---- mounts ----------------------------------------------------------------------------- */

/* mount [DIR]: with DIR, a real tmpfs there, taken down again at once. Without, a
 * filesystem type that does not exist on "/". Unconfined: ok with DIR; ENODEV without. */
static long act_mount(int argc, char **argv)
{
    if (argc >= 1) {
        long rc = syscall(SYS_mount, "sbx-try", argv[0], "tmpfs", (unsigned long)(MS_NOSUID | MS_NODEV | MS_NOEXEC),
                          "size=16k");
        if (rc == 0)
            syscall(SYS_umount2, argv[0], MNT_DETACH);
        return rc;
    }
    return syscall(SYS_mount, "none", "/", "sbx-no-such-fs", 0UL, NULL);
}

/* umount [DIR]: with DIR, umount2(DIR, 0). Without, a flag that does not exist.
 * Unconfined: EINVAL without DIR. */
static long act_umount(int argc, char **argv)
{
    if (argc >= 1)
        return syscall(SYS_umount2, argv[0], 0);
    return syscall(SYS_umount2, "/", 0x40000000);
}

/* pivot_root [NEW OLD]: default paths that do not exist. Unconfined: ENOENT. */
static long act_pivot_root(int argc, char **argv)
{
    if (argc >= 2)
        return syscall(SYS_pivot_root, argv[0], argv[1]);
    return syscall(SYS_pivot_root, ABSENT_PATH, ABSENT_PATH);
}

/* chroot [DIR]: default "/", which changes nothing. Unconfined: ok. */
static long act_chroot(int argc, char **argv)
{
    return syscall(SYS_chroot, argc >= 1 ? argv[0] : "/");
}

/* A filesystem context, never mounted, gone with the fd. Unconfined: ok. */
static long act_fsopen(int argc, char **argv)
{
    (void)argc, (void)argv;
    long fd = syscall(SYS_fsopen, "tmpfs", TRY_FSOPEN_CLOEXEC);
    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* A detached copy of the "/" mount, dissolved when the fd closes. Unconfined: ok. */
static long act_open_tree(int argc, char **argv)
{
    (void)argc, (void)argv;
    long fd = syscall(SYS_open_tree, AT_FDCWD, "/", TRY_OPEN_TREE_CLONE | O_CLOEXEC);
    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* A flag that does not exist. Unconfined: EINVAL. */
static long act_move_mount(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_move_mount, -1, "", -1, "", 0x40000000UL);
}

/* open_by_handle_at [DIR]: open DIR (default "/") by handle: name_to_handle_at is allowed,
 * open_by_handle_at is the "shocker" escape. DIR also gives the mount fd, so the call is
 * reached where "/" itself cannot be opened (a sandbox with no rule on it). Unconfined: ok
 * (EINVAL where the filesystem gives no handles). */
static long act_open_by_handle_at(int argc, char **argv)
{
    const char *dir = argc >= 1 ? argv[0] : "/";
    struct {
        unsigned int handle_bytes;
        int handle_type;
        unsigned char f_handle[128];
    } handle;
    int mount_id = 0;
    memset(&handle, 0, sizeof(handle));
    handle.handle_bytes = sizeof(handle.f_handle);
    if (syscall(SYS_name_to_handle_at, AT_FDCWD, dir, &handle, &mount_id, 0) < 0) {
        failed("name_to_handle_at (trying an empty handle instead)");
        handle.handle_bytes = 0;
    }
    /* Not O_PATH: the kernel does not take an O_PATH fd as the mount fd (EBADF). */
    int mount_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mount_fd < 0)
        return failed("open");
    long fd = syscall(SYS_open_by_handle_at, mount_fd, &handle, O_RDONLY | O_CLOEXEC);
    int code = errno;
    if (fd >= 0)
        close((int)fd);
    close(mount_fd);
    errno = code;
    return fd;
}

/* ---- the kernel itself ------------------------------------------------------------------ */

/* 17 segments (KEXEC_SEGMENT_MAX is 16) and an unknown flag. Unconfined: EINVAL (ENOSYS
 * on a kernel without CONFIG_KEXEC). */
static long act_kexec_load(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_kexec_load, 0UL, 17UL, NULL, 0x8000UL);
}

/* Bad fds and an unknown flag. Unconfined: EINVAL (ENOSYS without CONFIG_KEXEC_FILE). */
static long act_kexec_file_load(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, 0x40000000UL);
}

/* An empty image. Unconfined: ENOEXEC (ENOSYS without CONFIG_MODULES). */
static long act_init_module(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_init_module, NULL, 0UL, "");
}

/* No file. Unconfined: EBADF (ENOSYS without CONFIG_MODULES). */
static long act_finit_module(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_finit_module, -1, "", 0);
}

/* No such module. Unconfined: ENOENT (ENOSYS without CONFIG_MODULES). */
static long act_delete_module(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_delete_module, "sbx_try_no_such_module", O_NONBLOCK);
}

/* A flag outside SWAP_FLAGS_VALID. Unconfined: EINVAL. */
static long act_swapon(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_swapon, ABSENT_PATH, 0x40000000);
}

/* A path that does not exist. Unconfined: ENOENT. */
static long act_swapoff(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_swapoff, ABSENT_PATH);
}

/* A wrong second magic number (and no such command), checked after CAP_SYS_BOOT.
 * Unconfined: EINVAL; nothing reboots. */
static long act_reboot(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_reboot, TRY_LINUX_REBOOT_MAGIC1, 0UL, 0x0badc0deUL, NULL);
}

/* A socket filter that returns 0, freed when the fd closes. Unconfined: ok. */
static long act_bpf(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct bpf_insn insns[2];
    union bpf_attr attr;
    memset(insns, 0, sizeof(insns));
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = 0 */
    insns[1].code = BPF_JMP | BPF_EXIT;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insn_cnt = 2;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.license = (uint64_t)(uintptr_t) "GPL";
    long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* A software clock counting this process in user mode. Unconfined: ok. */
static long act_perf_event_open(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof(attr);
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* User-mode faults only, which vm.unprivileged_userfaultfd=0 still allows. Unconfined: ok. */
static long act_userfaultfd(int argc, char **argv)
{
    (void)argc, (void)argv;
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | TRY_UFFD_USER_MODE_ONLY);
    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* Unconfined: ok (ENOKEY when the process has no session keyring). */
static long act_keyctl(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_keyctl, TRY_KEYCTL_GET_KEYRING_ID, TRY_KEY_SPEC_SESSION_KEYRING, 0);
}

/* A key in our process keyring, which dies with us. Unconfined: ok. */
static long act_add_key(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_add_key, "user", "sbx-try", "x", 1UL, TRY_KEY_SPEC_PROCESS_KEYRING);
}

/* A key that does not exist, with no upcall. Unconfined: ENOKEY. */
static long act_request_key(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_request_key, "user", "sbx-try-absent", NULL, TRY_KEY_SPEC_PROCESS_KEYRING);
}

/* A one-entry ring, closed at once. Unconfined: ok (EPERM when kernel.io_uring_disabled). */
static long act_io_uring_setup(int argc, char **argv)
{
    (void)argc, (void)argv;
    uint32_t params[30]; /* struct io_uring_params, 120 bytes, all zero */
    memset(params, 0, sizeof(params));
    long fd = syscall(SYS_io_uring_setup, 1U, params);
    if (fd >= 0)
        close((int)fd);
    return fd;
}

/* ---- terminals -------------------------------------------------------------------------- */

/* tiocsti [FD|PATH]: push "x" into the input of the terminal on FD (default stdin), or of
 * the terminal at PATH (a refused open answers for it: EACCES from Landlock). Unconfined:
 * ok as root (non-root: EPERM unless it is our controlling terminal and
 * dev.tty.legacy_tiocsti=1). */
static long act_tiocsti(int argc, char **argv)
{
    long fd;
    long got = fd_arg(argc, argv, &fd);
    if (got < 0)
        return got;
    char c = 'x';
    return syscall(SYS_ioctl, fd, (unsigned long)TIOCSTI, &c);
}

/* The kernel truncates ioctl's cmd to 32 bits, so bit 32 still means TIOCSTI to it. */
static long act_tiocsti_highbits(int argc, char **argv)
{
    long fd;
    long got = fd_arg(argc, argv, &fd);
    if (got < 0)
        return got;
    char c = 'x';
    return syscall(SYS_ioctl, fd, (1UL << 32) | (unsigned long)TIOCSTI, &c);
}

/* tioclinux [FD|PATH]: an unknown TIOCLINUX subcode. Unconfined: EINVAL on a virtual console,
 * ENOTTY on any other terminal. */
static long act_tioclinux(int argc, char **argv)
{
    long fd;
    long got = fd_arg(argc, argv, &fd);
    if (got < 0)
        return got;
    char subcode = 0x7f;
    return syscall(SYS_ioctl, fd, (unsigned long)TIOCLINUX, &subcode);
}

/* ---- other ABIs and raw hardware -------------------------------------------------------- */

#if defined(__x86_64__)
/* Unconfined: EINVAL (level 4 does not exist; checked before CAP_SYS_RAWIO). */
static long act_iopl(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_iopl, 4);
}

/* Unconfined: EINVAL (port 65536 is past the I/O bitmap; checked first). */
static long act_ioperm(int argc, char **argv)
{
    (void)argc, (void)argv;
    return syscall(SYS_ioperm, 65536UL, 1UL, 1);
}

/* getpid through the x32 ABI. Unconfined: ok, or ENOSYS on a kernel without x32. */
static long act_x32(int argc, char **argv)
{
    (void)argc, (void)argv;
    no_core_dump();
    return syscall((long)(TRY_X32_SYSCALL_BIT | SYS_getpid));
}

/* getpid (20 in the i386 table) through the 32-bit entry. Unconfined: ok, or SIGSEGV where
 * IA-32 emulation is off. */
static long act_int80(int argc, char **argv)
{
    (void)argc, (void)argv;
    no_core_dump();
    long ret = 20;
    /* r8-r11 were zeroed by this entry before Linux 4.17. */
    __asm__ volatile("int $0x80" : "+a"(ret) : : "r8", "r9", "r10", "r11", "memory");
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}
#else
static long act_unsupported(int argc, char **argv)
{
    (void)argc, (void)argv;
    return UNSUPPORTED;
}
#define act_iopl act_unsupported
#define act_ioperm act_unsupported
#define act_x32 act_unsupported
#define act_int80 act_unsupported
#endif

/* ---- exec from memory ------------------------------------------------------------------- */

/* memfd-exec [BINARY [ARGS...]]: copy BINARY (default /bin/echo) into a memfd and execveat
 * it with ARGS (default: the one argument "ok"). Unconfined: the copy runs, and the default
 * prints "ok". */
static long act_memfd_exec(int argc, char **argv)
{
    const char *source = argc >= 1 ? argv[0] : "/bin/echo";
    /* MFD_EXEC (6.3+) says so explicitly where vm.memfd_noexec asks; older kernels lack it. */
    long mfd = syscall(SYS_memfd_create, "sbx-try", TRY_MFD_CLOEXEC | TRY_MFD_EXEC);
    if (mfd < 0 && errno == EINVAL)
        mfd = syscall(SYS_memfd_create, "sbx-try", TRY_MFD_CLOEXEC);
    if (mfd < 0)
        return failed("memfd_create");
    int in = open(source, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return failed("open");
    char buffer[65536];
    for (;;) {
        ssize_t got = read(in, buffer, sizeof(buffer));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return failed("read");
        if (got == 0)
            break;
        for (ssize_t done = 0; done < got;) {
            ssize_t put = write((int)mfd, buffer + done, (size_t)(got - done));
            if (put < 0 && errno == EINTR)
                continue;
            if (put < 0)
                return failed("write");
            done += put;
        }
    }
    close(in);
    char *fallback[] = {(char *)"echo", (char *)"ok", NULL};
    /* With ARGS, argv[0] (BINARY) names the program and the rest follow it. */
    char **args = argc >= 2 ? argv : fallback;
    fflush(stdout);
    syscall(SYS_execveat, mfd, "", args, environ, AT_EMPTY_PATH);
    return failed("execveat");
}

/* ---- network ---------------------------------------------------------------------------- */

/* socket FAMILY TYPE (numbers). Unconfined: ok. */
static long act_socket(int argc, char **argv)
{
    long family, type;
    if (argc < 2 || parse_long(argv[0], 0, &family) < 0 || parse_long(argv[1], 0, &type) < 0)
        return USAGE_ERROR;
    long fd = syscall(SYS_socket, family, type, 0);
    if (fd >= 0)
        close((int)fd);
    return fd;
}

static int inet_address(const char *ip, const char *port_text, struct sockaddr_storage *addr,
                        socklen_t *len)
{
    long port;
    if (parse_long(port_text, 10, &port) < 0 || port < 0 || port > 65535)
        return -1;
    memset(addr, 0, sizeof(*addr));
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof(*v4);
        return 0;
    }
    if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*v6);
        return 0;
    }
    return -1;
}

/* Connect, giving up after five seconds (ETIMEDOUT) rather than the kernel's two minutes. */
static long connect_bounded(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (connect(fd, addr, len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int ready;
    do
        ready = poll(&pfd, 1, 5000);
    while (ready < 0 && errno == EINTR);
    if (ready < 0)
        return -1;
    if (ready == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    int error = 0;
    socklen_t size = sizeof(error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) < 0)
        return -1;
    if (error != 0) {
        errno = error;
        return -1;
    }
    return 0;
}

/* connect-tcp IP PORT. Unconfined: ok when something listens there. */
static long act_connect_tcp(int argc, char **argv)
{
    struct sockaddr_storage addr;
    socklen_t len;
    if (argc < 2 || inet_address(argv[0], argv[1], &addr, &len) < 0)
        return USAGE_ERROR;
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return failed("socket");
    long rc = connect_bounded(fd, (struct sockaddr *)&addr, len);
    int code = errno;
    close(fd);
    errno = code;
    return rc < 0 ? failed("connect") : 0;
}

/* udp-send IP PORT: one datagram. Unconfined: ok (UDP does not say whether it arrived). */
static long act_udp_send(int argc, char **argv)
{
    struct sockaddr_storage addr;
    socklen_t len;
    if (argc < 2 || inet_address(argv[0], argv[1], &addr, &len) < 0)
        return USAGE_ERROR;
    int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return failed("socket");
    long rc = sendto(fd, "x", 1, 0, (struct sockaddr *)&addr, len);
    int code = errno;
    close(fd);
    errno = code;
    return rc < 0 ? failed("sendto") : 0;
}

static long unix_connect(const char *name, int abstract)
{
    struct sockaddr_un addr;
    size_t size = strlen(name);
    size_t offset = abstract ? 1 : 0;
    if (size + offset >= sizeof(addr.sun_path))
        return USAGE_ERROR;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path + offset, name, size);
    /* An abstract name is exactly its bytes: no terminating NUL in the length. */
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + offset + size + (abstract ? 0 : 1));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return failed("socket");
    long rc = connect(fd, (struct sockaddr *)&addr, len);
    int code = errno;
    close(fd);
    errno = code;
    return rc < 0 ? failed("connect") : 0;
}

/* abstract-connect NAME (without the leading NUL). Unconfined: ok when NAME listens. */
static long act_abstract_connect(int argc, char **argv)
{
    return argc < 1 ? USAGE_ERROR : unix_connect(argv[0], 1);
}

/* unix-connect PATH. Unconfined: ok when PATH listens. */
static long act_unix_connect(int argc, char **argv)
{
    return argc < 1 ? USAGE_ERROR : unix_connect(argv[0], 0);
}

/* ---- dispatch --------------------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *args;
    long (*run)(int argc, char **argv);
} ACTIONS[] = {
    {"getpid", "", act_getpid},
    {"mount", "[DIR]", act_mount},
    {"umount", "[DIR]", act_umount},
    {"pivot_root", "[NEW OLD]", act_pivot_root},
    {"chroot", "[DIR]", act_chroot},
    {"unshare-user", "", act_unshare_user},
    {"unshare-net", "", act_unshare_net},
    {"unshare-mount", "", act_unshare_mount},
    {"setns", "[NSFILE]", act_setns},
    {"clone-newuser", "", act_clone_newuser},
    {"clone-newuser-highbits", "", act_clone_newuser_highbits},
    {"clone3", "", act_clone3},
    {"clone3-newuser", "", act_clone3_newuser},
    {"fsopen", "", act_fsopen},
    {"open_tree", "", act_open_tree},
    {"move_mount", "", act_move_mount},
    {"ptrace-attach", "PID", act_ptrace_attach},
    {"ptrace-traceme", "", act_ptrace_traceme},
    {"process_vm_readv", "[PID]", act_process_vm_readv},
    {"kexec_load", "", act_kexec_load},
    {"kexec_file_load", "", act_kexec_file_load},
    {"init_module", "", act_init_module},
    {"finit_module", "", act_finit_module},
    {"delete_module", "", act_delete_module},
    {"bpf", "", act_bpf},
    {"perf_event_open", "", act_perf_event_open},
    {"userfaultfd", "", act_userfaultfd},
    {"keyctl", "", act_keyctl},
    {"add_key", "", act_add_key},
    {"request_key", "", act_request_key},
    {"io_uring_setup", "", act_io_uring_setup},
    {"tiocsti", "[FD|PATH]", act_tiocsti},
    {"tiocsti-highbits", "[FD|PATH]", act_tiocsti_highbits},
    {"tioclinux", "[FD|PATH]", act_tioclinux},
    {"personality", "HEX", act_personality},
    {"swapon", "", act_swapon},
    {"swapoff", "", act_swapoff},
    {"reboot", "", act_reboot},
    {"iopl", "", act_iopl},
    {"ioperm", "", act_ioperm},
    {"open_by_handle_at", "[DIR]", act_open_by_handle_at},
    {"x32", "", act_x32},
    {"int80", "", act_int80},
    {"memfd-exec", "[BINARY [ARGS...]]", act_memfd_exec},
    {"socket", "FAMILY TYPE", act_socket},
    {"connect-tcp", "IP PORT", act_connect_tcp},
    {"udp-send", "IP PORT", act_udp_send},
    {"abstract-connect", "NAME", act_abstract_connect},
    {"unix-connect", "PATH", act_unix_connect},
    {"kill", "PID SIG", act_kill},
    {"pidfd-kill", "PID SIG", act_pidfd_kill},
    {"sigio-kill", "PID SIG", act_sigio_kill},
    {"euid", "", act_euid},
    {"fork-many", "N", act_fork_many},
};

static int usage(void)
{
    fputs("usage: try_syscall ACTION [ARGS...]\nactions:\n", stderr);
    for (size_t i = 0; i < sizeof(ACTIONS) / sizeof(ACTIONS[0]); i++)
        fprintf(stderr, "  %s %s\n", ACTIONS[i].name, ACTIONS[i].args);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    for (size_t i = 0; i < sizeof(ACTIONS) / sizeof(ACTIONS[0]); i++) {
        if (strcmp(argv[1], ACTIONS[i].name) != 0)
            continue;
        long rc = ACTIONS[i].run(argc - 2, argv + 2);
        if (rc == USAGE_ERROR) {
            fprintf(stderr, "try_syscall: bad arguments for %s (expected: %s)\n", ACTIONS[i].name,
                    ACTIONS[i].args);
            return 2;
        }
        if (rc == UNSUPPORTED) {
            fprintf(stderr, "try_syscall: %s does not exist on this architecture\n", ACTIONS[i].name);
            return 2;
        }
        int status = report(rc);
        fflush(stdout);
        return status;
    }
    fprintf(stderr, "try_syscall: unknown action %s\n", argv[1]);
    return usage();
}
