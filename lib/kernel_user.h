/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's basic types and helpers, rebuilt from the C library, for
 * the kernel files we also compile in userspace: fs/vring_core.c (with
 * vring_core_user.h: the launcher, its unit tests and fuzzers) and lg.ko's
 * emulation (with tests/lg/unit/lg_emul_user.h).  Each means what the
 * kernel's does; min() and max() evaluate their arguments once, as the
 * kernel's do, so code that relies on that is tested as it runs.
 */
#ifndef KERNEL_USER_H
#define KERNEL_USER_H

#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define U8_MAX		((u8)~0U)
#define U16_MAX		((u16)~0U)
#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)
#define S64_MAX		((s64)(U64_MAX >> 1))

#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a > _b ? _a : _b; })
#define min_t(type, a, b) ({ type _a = (a); type _b = (b); \
			     _a < _b ? _a : _b; })
#define max_t(type, a, b) ({ type _a = (a); type _b = (b); \
			     _a > _b ? _a : _b; })

#define le64_to_cpu(x)	((u64)le64toh((u64)(x)))

#endif /* KERNEL_USER_H */
