/* Landlock: ABI negotiation (and, with the confinement layer, rulesets). */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
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
