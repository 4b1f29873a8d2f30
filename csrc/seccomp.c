/* Seccomp: availability (and, with the confinement layer, the BPF assembler). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sbx.h"

int sbx_seccomp_available(void)
{
    /* PR_GET_SECCOMP fails with EINVAL on a kernel built without CONFIG_SECCOMP. */
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
        return -errno;
    /* The action we deny with must exist: this asks the filter mode itself, without
     * installing anything, so the probe never confines the caller. */
    uint32_t action = SECCOMP_RET_ERRNO;
    if (syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
        return -errno;
    return 0;
}
