/* Seccomp: availability, the BPF assembler and the installer.
 *
 * The policy (which syscalls, which errno) is decided in Python; this file only turns a
 * list of rules into a classic BPF program and installs it. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel_abi.h"
#include "sbx.h"

/* The kernel fills struct seccomp_data in native byte order: the low 32 bits of a 64-bit
 * argument are its first word on a little-endian machine (x86_64, aarch64) and its second
 * on a big-endian one. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SBX_ARG_LOW_WORD 4U
#else
#define SBX_ARG_LOW_WORD 0U
#endif

/* The largest errno the kernel passes through; SECCOMP_RET_ERRNO clamps anything above. */
#define SBX_MAX_ERRNO 4095U

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

/* Actions a filter of ours may return. USER_NOTIF is left out: without a listener the
 * kernel answers ENOSYS for it, which is not what a caller asking for it meant. */
static int action_valid(uint32_t action)
{
    uint32_t data = action & SBX_SECCOMP_RET_DATA;

    switch (action & SBX_SECCOMP_RET_ACTION_FULL) {
    case SBX_SECCOMP_RET_ERRNO:
        return data <= SBX_MAX_ERRNO;
    case SBX_SECCOMP_RET_TRAP:
    case SBX_SECCOMP_RET_TRACE:
        return 1;
    case SBX_SECCOMP_RET_KILL_PROCESS:
    case SBX_SECCOMP_RET_KILL_THREAD:
    case SBX_SECCOMP_RET_LOG:
    case SBX_SECCOMP_RET_ALLOW:
        return data == 0;
    default:
        return 0;
    }
}

/* Instructions a rule assembles to on its own, or -EINVAL. Every rule is a self-contained
 * block that leaves the syscall number in the accumulator, so jumps stay short; runs of
 * unconditional rules are packed further by sbx_seccomp_assemble. */
static int rule_size(const struct sbx_seccomp_rule *rule)
{
    if (rule->nr < 0 || !action_valid(rule->action))
        return -EINVAL;
    switch (rule->op) {
    case SBX_CMP_ALWAYS:
        return 2;
    case SBX_CMP_MASKED_EQ:
    case SBX_CMP_MASKED_NE:
        if (rule->arg < 0 || rule->arg > 5)
            return -EINVAL;
        /* An all-ones mask needs no AND. */
        return rule->mask == UINT32_MAX ? 5 : 6;
    default:
        return -EINVAL;
    }
}

static void emit(struct sock_filter *out, size_t *at, uint16_t code, uint8_t jt, uint8_t jf,
                 uint32_t k)
{
    out[*at].code = code;
    out[*at].jt = jt;
    out[*at].jf = jf;
    out[*at].k = k;
    (*at)++;
}

/* A rule's argument check, entered with the syscall number matched: on a match return the
 * rule's action, else reload the number for the rules after it. */
static void emit_check(struct sock_filter *out, size_t *at, const struct sbx_seccomp_rule *rule)
{
    /* Only the low word: the kernel truncates these arguments to 32 bits itself, so a
     * caller setting the high word must not make the comparison fail. */
    emit(out, at, BPF_LD | BPF_W | BPF_ABS, 0, 0,
         SBX_SECCOMP_DATA_ARGS + 8U * (uint32_t)rule->arg + SBX_ARG_LOW_WORD);
    if (rule->mask != UINT32_MAX)
        emit(out, at, BPF_ALU | BPF_AND | BPF_K, 0, 0, rule->mask);
    if (rule->op == SBX_CMP_MASKED_EQ)
        emit(out, at, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, rule->value);
    else
        emit(out, at, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, rule->value);
    emit(out, at, BPF_RET | BPF_K, 0, 0, rule->action);
    /* The comparison failed: the number back in the accumulator for the next rule. */
    emit(out, at, BPF_LD | BPF_W | BPF_ABS, 0, 0, SBX_SECCOMP_DATA_NR);
}

/* Two rules whose conditions and actions are the same, so that they can share one block. */
static int same_check(const struct sbx_seccomp_rule *a, const struct sbx_seccomp_rule *b)
{
    return a->op == b->op && a->action == b->action &&
           (a->op == SBX_CMP_ALWAYS || (a->arg == b->arg && a->mask == b->mask && a->value == b->value));
}

/* How many rules from rules[i] on form a run that shares one block: consecutive rules with
 * the same condition and action, bounded so every jump fits in 8 bits. */
static size_t run_length(const struct sbx_seccomp_rule *rules, size_t n, size_t i)
{
    size_t len = 1;
    while (i + len < n && len < 200 && same_check(&rules[i], &rules[i + len]))
        len++;
    return len;
}

/* The block a run shares after its compares: the return alone for unconditional rules, the
 * rule's argument check otherwise (its own compare left out). */
static size_t shared_size(const struct sbx_seccomp_rule *rule)
{
    return rule->op == SBX_CMP_ALWAYS ? 1 : (size_t)rule_size(rule) - 1;
}

int sbx_seccomp_assemble(uint32_t audit_arch, int x32_guard, uint32_t default_action,
                         const struct sbx_seccomp_rule *rules, size_t n, struct sock_filter *out,
                         size_t cap)
{
    if (audit_arch != SBX_AUDIT_ARCH_X86_64 && audit_arch != SBX_AUDIT_ARCH_AARCH64)
        return -EINVAL;
    /* The x32 ABI exists only beside x86_64. */
    if (x32_guard && audit_arch != SBX_AUDIT_ARCH_X86_64)
        return -EINVAL;
    if (!action_valid(default_action) || (n > 0 && rules == NULL) || (cap > 0 && out == NULL))
        return -EINVAL;

    size_t total = 4 + (x32_guard ? 2 : 0) + 1;
    for (size_t i = 0; i < n; i++) {
        if (rule_size(&rules[i]) < 0)
            return rule_size(&rules[i]);
    }
    for (size_t i = 0; i < n;) {
        size_t len = run_length(rules, n, i);
        /* A run is one compare per syscall and one shared block. */
        total += len + shared_size(&rules[i]);
        i += len;
    }
    if (total > cap || total > SBX_BPF_MAXINSNS)
        return -E2BIG;

    size_t at = 0;
    /* A syscall from another ABI (int 0x80 on x86_64 is AUDIT_ARCH_I386) indexes another
     * syscall table, where our numbers name different calls: it must never get past here. */
    emit(out, &at, BPF_LD | BPF_W | BPF_ABS, 0, 0, SBX_SECCOMP_DATA_ARCH);
    emit(out, &at, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, audit_arch);
    emit(out, &at, BPF_RET | BPF_K, 0, 0, SBX_SECCOMP_RET_KILL_PROCESS);
    emit(out, &at, BPF_LD | BPF_W | BPF_ABS, 0, 0, SBX_SECCOMP_DATA_NR);
    if (x32_guard) {
        /* x32 calls arrive as AUDIT_ARCH_X86_64 with __X32_SYSCALL_BIT set and reach the
         * compat entry points under other numbers; no x86_64 program issues one. */
        emit(out, &at, BPF_JMP | BPF_JSET | BPF_K, 0, 1, SBX_X32_SYSCALL_BIT);
        emit(out, &at, BPF_RET | BPF_K, 0, 0, SBX_SECCOMP_RET_KILL_PROCESS);
    }
    for (size_t i = 0; i < n;) {
        size_t len = run_length(rules, n, i);
        size_t shared = shared_size(&rules[i]);
        /* Every match jumps to the shared block; the last miss jumps over it. A shorter
         * program costs less to install in every child (the kernel JITs it each time). */
        for (size_t k = 0; k < len; k++)
            emit(out, &at, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(len - 1 - k), k == len - 1 ? (uint8_t)shared : 0,
                 (uint32_t)rules[i + k].nr);
        if (rules[i].op == SBX_CMP_ALWAYS)
            emit(out, &at, BPF_RET | BPF_K, 0, 0, rules[i].action);
        else
            emit_check(out, &at, &rules[i]);
        i += len;
    }
    emit(out, &at, BPF_RET | BPF_K, 0, 0, default_action);
    return (int)at;
}

int sbx_seccomp_install(const struct sock_filter *prog, size_t len)
{
    if (prog == NULL || len == 0 || len > SBX_BPF_MAXINSNS)
        return -EINVAL;
    struct sock_fprog fprog = {
        .len = (unsigned short)len,
        .filter = (struct sock_filter *)prog,
    };
    /* Required to install a filter without CAP_SYS_ADMIN, and what keeps a setuid program
     * started later from running with more privilege than the filter was written for. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    /* TSYNC: a thread left unfiltered would be an open door for the whole process. It also
     * carries no_new_privs to every thread it synchronises. */
    long rc = syscall(__NR_seccomp, SBX_SECCOMP_SET_MODE_FILTER, SBX_SECCOMP_FILTER_FLAG_TSYNC,
                      &fprog);
    if (rc < 0)
        return -errno;
    /* A positive answer is the id of a thread whose filters diverge from ours: nothing was
     * installed anywhere. */
    if (rc > 0)
        return -ESRCH;
    return 0;
}
