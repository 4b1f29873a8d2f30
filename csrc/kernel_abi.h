/* The kernel UAPI this core uses, spelled out here rather than taken from <linux/...>:
 * wheels are built on old distributions (manylinux_2_28 ships 4.18 headers, without
 * <linux/landlock.h>), and these numbers are a stable ABI that never changes once released. */
#ifndef SBX_KERNEL_ABI_H
#define SBX_KERNEL_ABI_H

#include <stdint.h>

/* Syscall numbers added after the unified table (same value on every architecture). */
#define SBX_NR_landlock_create_ruleset 444
#define SBX_NR_landlock_add_rule 445
#define SBX_NR_landlock_restrict_self 446

/* pidfd_open(2), Linux 5.3. */
#define SBX_NR_pidfd_open 434

/* mount_setattr(2), Linux 5.12: older than Landlock, so present wherever this core runs. */
#define SBX_NR_mount_setattr 442
/* openat2 (5.6): the same number on every architecture. */
#define SBX_NR_openat2 437
struct sbx_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};
#define SBX_RESOLVE_NO_MAGICLINKS 0x02
#define SBX_RESOLVE_NO_SYMLINKS 0x04
#define SBX_RESOLVE_BENEATH 0x08
#define SBX_AT_RECURSIVE 0x8000
#define SBX_MOUNT_ATTR_RDONLY 0x00000001ULL
#define SBX_MOUNT_ATTR_NOSUID 0x00000002ULL
#define SBX_MOUNT_ATTR_NODEV 0x00000004ULL

struct sbx_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};

/* landlock_create_ruleset() flags */
#define SBX_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)

/* struct landlock_ruleset_attr grew with the ABI: handled_access_net at ABI 4, scoped at
 * ABI 6. The kernel takes the size we pass, so an older kernel is given the prefix it knows. */
struct sbx_landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

#define SBX_LANDLOCK_RULE_PATH_BENEATH 1
#define SBX_LANDLOCK_RULE_NET_PORT 2

/* Packed in the UAPI: the kernel reads 12 bytes for a path rule. */
struct sbx_landlock_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

struct sbx_landlock_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};

/* Filesystem rights that apply to a file (not only to a directory): a path rule on a
 * regular file may carry only these, or the kernel answers EINVAL. */
#define SBX_LANDLOCK_ACCESS_FS_EXECUTE (1ULL << 0)
#define SBX_LANDLOCK_ACCESS_FS_WRITE_FILE (1ULL << 1)
#define SBX_LANDLOCK_ACCESS_FS_READ_FILE (1ULL << 2)
#define SBX_LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#define SBX_LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#define SBX_LANDLOCK_FILE_RIGHTS                                                                   \
    (SBX_LANDLOCK_ACCESS_FS_EXECUTE | SBX_LANDLOCK_ACCESS_FS_WRITE_FILE |                          \
     SBX_LANDLOCK_ACCESS_FS_READ_FILE | SBX_LANDLOCK_ACCESS_FS_TRUNCATE |                          \
     SBX_LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* seccomp: filter actions (the high 16 bits of a return value; ERRNO carries the errno in
 * the low 16 bits). KILL_PROCESS arrived in 4.14; the others are older. */
#define SBX_SECCOMP_RET_KILL_PROCESS 0x80000000U
#define SBX_SECCOMP_RET_KILL_THREAD 0x00000000U
#define SBX_SECCOMP_RET_TRAP 0x00030000U
#define SBX_SECCOMP_RET_ERRNO 0x00050000U
#define SBX_SECCOMP_RET_USER_NOTIF 0x7fc00000U
#define SBX_SECCOMP_RET_TRACE 0x7ff00000U
#define SBX_SECCOMP_RET_LOG 0x7ffc0000U
#define SBX_SECCOMP_RET_ALLOW 0x7fff0000U
#define SBX_SECCOMP_RET_ACTION_FULL 0xffff0000U
#define SBX_SECCOMP_RET_DATA 0x0000ffffU

/* seccomp() operations and flags */
#define SBX_SECCOMP_SET_MODE_FILTER 1U
#define SBX_SECCOMP_FILTER_FLAG_TSYNC (1U << 0)

/* The longest classic BPF program the kernel accepts (include/uapi/linux/bpf_common.h). */
#define SBX_BPF_MAXINSNS 4096

/* struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]. */
#define SBX_SECCOMP_DATA_NR 0U
#define SBX_SECCOMP_DATA_ARCH 4U
#define SBX_SECCOMP_DATA_ARGS 16U

/* AUDIT_ARCH_* from include/uapi/linux/audit.h: EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
#define SBX_AUDIT_ARCH_X86_64 0xC000003EU
#define SBX_AUDIT_ARCH_AARCH64 0xC00000B7U

/* x86_64: an x32-ABI syscall is the x32 number with this bit set (arch/x86 __X32_SYSCALL_BIT);
 * seccomp sees it with AUDIT_ARCH_X86_64, so only this bit tells it apart. */
#define SBX_X32_SYSCALL_BIT 0x40000000U

#endif
