/* The child path: fork, confine, exec (and the namespace probe it relies on). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbx.h"

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
