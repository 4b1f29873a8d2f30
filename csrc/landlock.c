/* Landlock: ABI negotiation and rulesets. The policy (which rights, which paths) is decided
 * in Python; this file only speaks the syscalls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel_abi.h"
#include "sbx.h"

int sbx_landlock_abi(void)
{
    /* With the VERSION flag and no attribute the kernel answers with its ABI version instead
     * of creating a ruleset. ENOSYS: no Landlock in this kernel; EOPNOTSUPP: built in but left
     * out of the lsm= boot list. */
    long abi = syscall(SBX_NR_landlock_create_ruleset, NULL, 0, SBX_LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0)
        return -errno;
    return (int)abi;
}

int sbx_landlock_create(uint64_t handled_fs, uint64_t handled_net, uint64_t scoped)
{
    struct sbx_landlock_ruleset_attr attr = {
        .handled_access_fs = handled_fs,
        .handled_access_net = handled_net,
        .scoped = scoped,
    };
    /* Pass only the prefix of the struct the request needs: a kernel older than the field
     * rejects a larger struct whose unknown tail is non-zero (E2BIG), and accepts a shorter one. */
    size_t size = offsetof(struct sbx_landlock_ruleset_attr, handled_access_net);
    if (scoped)
        size = sizeof(attr);
    else if (handled_net)
        size = offsetof(struct sbx_landlock_ruleset_attr, scoped);
    long fd = syscall(SBX_NR_landlock_create_ruleset, &attr, size, 0);
    if (fd < 0)
        return -errno;
    return (int)fd; /* the kernel always sets O_CLOEXEC on ruleset fds */
}

int sbx_landlock_add_path(int ruleset_fd, const char *path, uint64_t access, int *is_dir)
{
    /* O_PATH opens without read permission and without following a final symlink: the
     * rule lands on the object the policy named, and a planted link cannot redirect it. */
    int fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    if (S_ISLNK(st.st_mode)) {
        close(fd);
        return -ELOOP;
    }
    *is_dir = S_ISDIR(st.st_mode);
    struct sbx_landlock_path_beneath_attr rule = {
        .allowed_access = *is_dir ? access : (access & SBX_LANDLOCK_FILE_RIGHTS),
        .parent_fd = fd,
    };
    int rc = 0;
    if (rule.allowed_access != 0 &&
        syscall(SBX_NR_landlock_add_rule, ruleset_fd, SBX_LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

int sbx_landlock_add_port(int ruleset_fd, uint64_t port, uint64_t access)
{
    struct sbx_landlock_net_port_attr rule = {.allowed_access = access, .port = port};
    if (syscall(SBX_NR_landlock_add_rule, ruleset_fd, SBX_LANDLOCK_RULE_NET_PORT, &rule, 0) < 0)
        return -errno;
    return 0;
}

int sbx_landlock_restrict(int ruleset_fd, uint32_t flags)
{
    /* Without CAP_SYS_ADMIN the kernel demands no_new_privs first, and we want it anyway: a
     * setuid binary must not run with privileges the domain cannot see. Async-signal-safe. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (syscall(SBX_NR_landlock_restrict_self, ruleset_fd, flags) < 0)
        return -errno;
    return 0;
}
