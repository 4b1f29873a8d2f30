/* The C core of sandbox: the kernel calls the Python layer binds through Cython.
 *
 * Every function returns 0 (or a non-negative value) on success and -errno on failure;
 * nothing here raises, prints, exits or keeps global state. Exported symbols start with
 * sbx_. */
#ifndef SBX_H
#define SBX_H

/* landlock.c */

/* The kernel's Landlock ABI version (>= 1), or -ENOSYS when the kernel was built without
 * Landlock, or -EOPNOTSUPP when it is built in but was not enabled at boot (lsm=). */
int sbx_landlock_abi(void);

/* seccomp.c */

/* 0 when this process may install a seccomp filter that returns errno; -errno otherwise
 * (-EINVAL: kernel without CONFIG_SECCOMP_FILTER, -ENOSYS: no seccomp syscall). */
int sbx_seccomp_available(void);

/* spawn.c */

/* 0 when a child of this process can create a user namespace, -errno of unshare()
 * otherwise (-EPERM: blocked by sysctl or LSM, -ENOSPC: max_user_namespaces is 0). */
int sbx_userns_probe(void);

#endif
