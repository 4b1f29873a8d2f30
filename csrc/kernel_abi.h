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

/* landlock_create_ruleset() flags */
#define SBX_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)

#endif
