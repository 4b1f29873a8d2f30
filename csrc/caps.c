/* Capabilities: a confined command holds none, and cannot regain any by exec. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sbx.h"

int sbx_drop_capabilities(void)
{
    /* Root gains the whole bounding set again at every exec unless NOROOT is set; locking
     * the bits keeps the command from clearing them. One prctl instead of dropping the 41
     * bounding capabilities one by one (each a credential commit): a tenth of a millisecond
     * per command. Without CAP_SETPCAP (an ordinary user outside a user namespace) this
     * fails with EPERM, and there is nothing to guard: such a user gains nothing at exec,
     * since no_new_privs already voids setuid and file capabilities. */
    unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                         SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0 && errno != EPERM)
        return -errno;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return -errno;
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capset, &header, data) < 0)
        return -errno;
    return 0;
}
