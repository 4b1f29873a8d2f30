/* Seccomp: availability, the BPF assembler and the installer.
 *
 * The policy (which syscalls, which errno) is decided in Python; this file only turns a
 * list of rules into a classic BPF program and installs it. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
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

/* Instructions a rule's body takes once its syscall number matched, or -EINVAL: the return
 * alone, or the argument check (load, optional AND, compare) and the return. */
static int rule_size(const struct sbx_seccomp_rule *rule)
{
    if (rule->nr < 0 || !action_valid(rule->action))
        return -EINVAL;
    switch (rule->op) {
    case SBX_CMP_ALWAYS:
        return 1;
    case SBX_CMP_MASKED_EQ:
    case SBX_CMP_MASKED_NE:
        if (rule->arg < 0 || rule->arg > 5)
            return -EINVAL;
        /* An all-ones mask needs no AND. */
        return rule->mask == UINT32_MAX ? 3 : 4;
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

/* The program is a search tree over syscall numbers. The kernel runs a new filter once per
 * syscall number when it is installed (to cache the calls it always allows), and that cost,
 * paid in every child, grows with the path a number takes: a linear list of ~70 rules made
 * it a fifth of a millisecond; a tree makes each path a dozen instructions. */
#define LEAF_GROUPS 4

struct layout {
    const struct sbx_seccomp_rule *rules;
    uint16_t order[SBX_BPF_MAXINSNS]; /* rule indices sorted by number, stable */
    uint16_t first[SBX_BPF_MAXINSNS]; /* per distinct number: its first position in order */
    uint16_t count[SBX_BPF_MAXINSNS]; /* per distinct number: how many rules */
    size_t groups;
    uint32_t default_action;
};

static const struct sbx_seccomp_rule *rule_of(const struct layout *l, size_t g, size_t k)
{
    return &l->rules[l->order[l->first[g] + k]];
}

/* The rules of one number, in their given order: the first that matches decides, and
 * nothing after an unconditional rule can run. Then the default. */
static size_t body_size(const struct layout *l, size_t g)
{
    size_t size = 0;
    for (size_t k = 0; k < l->count[g]; k++) {
        size += (size_t)rule_size(rule_of(l, g, k));
        if (rule_of(l, g, k)->op == SBX_CMP_ALWAYS)
            return size;
    }
    return size + 1;
}

/* A number's compare, then its body; a miss skips the body (with a long jump past 255). */
static size_t group_size(const struct layout *l, size_t g)
{
    size_t body = body_size(l, g);
    return 1 + (body > 255 ? 1 : 0) + body;
}

static size_t tree_size(const struct layout *l, size_t lo, size_t hi)
{
    if (hi - lo <= LEAF_GROUPS) {
        size_t size = 1; /* no number of this leaf matched: the default */
        for (size_t g = lo; g < hi; g++)
            size += group_size(l, g);
        return size;
    }
    size_t mid = lo + (hi - lo) / 2;
    size_t left = tree_size(l, lo, mid);
    return 1 + (left > 255 ? 1 : 0) + left + tree_size(l, mid, hi);
}

static void emit_body(struct sock_filter *out, size_t *at, const struct layout *l, size_t g)
{
    for (size_t k = 0; k < l->count[g]; k++) {
        const struct sbx_seccomp_rule *rule = rule_of(l, g, k);
        if (rule->op == SBX_CMP_ALWAYS) {
            emit(out, at, BPF_RET | BPF_K, 0, 0, rule->action);
            return;
        }
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
    }
    emit(out, at, BPF_RET | BPF_K, 0, 0, l->default_action);
}

static void emit_tree(struct sock_filter *out, size_t *at, const struct layout *l, size_t lo, size_t hi)
{
    if (hi - lo <= LEAF_GROUPS) {
        for (size_t g = lo; g < hi; g++) {
            uint32_t nr = (uint32_t)rule_of(l, g, 0)->nr;
            size_t body = body_size(l, g);
            if (body > 255) {
                emit(out, at, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, nr);
                emit(out, at, BPF_JMP | BPF_JA, 0, 0, (uint32_t)body);
            } else {
                emit(out, at, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)body, nr);
            }
            emit_body(out, at, l, g);
        }
        emit(out, at, BPF_RET | BPF_K, 0, 0, l->default_action);
        return;
    }
    size_t mid = lo + (hi - lo) / 2;
    size_t left = tree_size(l, lo, mid);
    uint32_t pivot = (uint32_t)rule_of(l, mid, 0)->nr;
    if (left > 255) {
        emit(out, at, BPF_JMP | BPF_JGE | BPF_K, 0, 1, pivot);
        emit(out, at, BPF_JMP | BPF_JA, 0, 0, (uint32_t)left);
    } else {
        emit(out, at, BPF_JMP | BPF_JGE | BPF_K, (uint8_t)left, 0, pivot);
    }
    emit_tree(out, at, l, lo, mid);
    emit_tree(out, at, l, mid, hi);
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
    if (n > SBX_BPF_MAXINSNS)
        return -E2BIG;
    for (size_t i = 0; i < n; i++) {
        if (rule_size(&rules[i]) < 0)
            return -EINVAL;
    }

    /* Static: 24 KiB is too much for a caller's stack, and the assembler runs in the parent
     * only, never between fork and exec; the lock keeps concurrent callers apart. */
    static struct layout l;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    l.rules = rules;
    l.default_action = default_action;
    /* A stable insertion sort by number: the order of rules for one number is kept. */
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && rules[l.order[j - 1]].nr > rules[i].nr) {
            l.order[j] = l.order[j - 1];
            j--;
        }
        l.order[j] = (uint16_t)i;
    }
    l.groups = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || rules[l.order[i]].nr != rules[l.order[i - 1]].nr) {
            l.first[l.groups] = (uint16_t)i;
            l.count[l.groups] = 0;
            l.groups++;
        }
        l.count[l.groups - 1]++;
    }

    size_t total = 4 + (x32_guard ? 2 : 0) + tree_size(&l, 0, l.groups);
    int rc;
    if (total > cap || total > SBX_BPF_MAXINSNS) {
        rc = -E2BIG;
    } else {
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
        emit_tree(out, &at, &l, 0, l.groups);
        rc = (int)at;
    }
    pthread_mutex_unlock(&lock);
    return rc;
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
