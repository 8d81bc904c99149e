/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What drivers/lguest/{pic,pit,lapic,ioapic,decode,walk}.c expect from the kernel,
 * rebuilt from the C library so the same files run in the host unit
 * tests.  Each definition means what the kernel's does (mul_u64_u32_div
 * keeps the full 96-bit product, as the x86 one does with mul/div).
 */
#ifndef LG_EMUL_USER_H
#define LG_EMUL_USER_H

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernel_user.h"

typedef uint64_t __le64;

#define NSEC_PER_SEC	1000000000L

#define GENMASK_ULL(h, l) \
	((~0ULL << (l)) & (~0ULL >> (63 - (h))))

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

static inline u64 mul_u64_u32_div(u64 a, u32 mul, u32 divisor)
{
	return (u64)((unsigned __int128)a * mul / divisor);
}

#endif /* LG_EMUL_USER_H */
