/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What drivers/lguest/{pic,pit,decode,walk}.c expect from the kernel,
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

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef uint64_t __le64;

#define U8_MAX		((u8)~0U)
#define U16_MAX		((u16)~0U)
#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)

#define NSEC_PER_SEC	1000000000L

#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define GENMASK_ULL(h, l) \
	((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define le64_to_cpu(x)	((u64)le64toh((u64)(x)))

#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a < _b ? _a : _b; })
#define min_t(type, a, b) ({ type _a = (a); type _b = (b); \
			     _a < _b ? _a : _b; })
#define max_t(type, a, b) ({ type _a = (a); type _b = (b); \
			     _a > _b ? _a : _b; })

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

static inline u64 mul_u64_u32_div(u64 a, u32 mul, u32 divisor)
{
	return (u64)((unsigned __int128)a * mul / divisor);
}

#endif /* LG_EMUL_USER_H */
