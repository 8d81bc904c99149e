/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What fs/vring_core.c expects from the kernel, rebuilt from the C library
 * so that the very same file runs in userspace: in the launcher (whose
 * virtqueues walk guest rings with it, lguest/vring_mem.c), in the unit
 * tests and in the fuzz targets.  It lives here rather than beside the
 * tests because the launcher is not a test.
 * Every definition here must mean what the kernel's does; a helper that
 * only pretends (a barrier that is not one, a min() that evaluates twice)
 * would let the tests pass on code that is wrong in the module, and in the
 * launcher it would be wrong outright.
 */
#ifndef VRING_CORE_USER_H
#define VRING_CORE_USER_H

#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include <linux/virtio_ring.h>

#include "kernel_user.h"

/* Ring words are little-endian whatever the host is. */
#define le16_to_cpu(x)	((u16)le16toh((u16)(x)))
#define le32_to_cpu(x)	((u32)le32toh((u32)(x)))
#define cpu_to_le16(x)	((__le16)htole16((u16)(x)))
#define cpu_to_le32(x)	((__le32)htole32((u32)(x)))
#define cpu_to_le64(x)	((__le64)htole64((u64)(x)))

/*
 * The other side of the ring is another thread (or, in the module, another
 * process): each access must happen exactly once, as written.
 */
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile __typeof__(x) *)&(x) = (val))

#define barrier()	__asm__ __volatile__("" : : : "memory")

/*
 * The ring's other side runs on another CPU: the guest's vCPU for the
 * launcher, a driver thread in the tests.  The barriers must order our
 * plain loads and stores (the core's copies of descriptors, the 16-bit
 * ring words) as that CPU sees them, exactly as the kernel's do.
 *
 * A C11 fence by itself only promises to order atomic accesses, so each
 * one is wrapped in compiler barriers: no load or store moves across it,
 * whatever its type.  The fence then supplies the CPU's part, the same
 * instructions the kernel uses: on x86-64, whose stores are seen in order
 * and whose loads are not reordered with each other, the read and write
 * fences are compiler barriers only (as the kernel's smp_rmb()/smp_wmb()
 * are), and the full one is a locked instruction or MFENCE (gcc and clang
 * pick one each; the kernel's smp_mb() is a locked add), because the one
 * reordering x86 does, a later load passing an earlier store, is what
 * smp_mb() must forbid.
 * On a weaker CPU the acquire and release fences still order loads before
 * later loads, and stores after earlier stores, which is what rmb and wmb
 * promise.
 */
#define vring_user_fence(order)	do {					\
	barrier();							\
	atomic_thread_fence(order);					\
	barrier();							\
} while (0)
#define smp_mb()	vring_user_fence(memory_order_seq_cst)
#define smp_rmb()	vring_user_fence(memory_order_acquire)
#define smp_wmb()	vring_user_fence(memory_order_release)
/*
 * The virt_ forms are for a peer that is a virtual machine on an SMP host
 * even when we are built for one CPU: the same fences here.
 */
#define virt_mb()	smp_mb()
#define virt_rmb()	smp_rmb()
#define virt_wmb()	smp_wmb()

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ALIGN(x, a)		(((x) + ((__typeof__(x))(a) - 1)) & \
				 ~((__typeof__(x))(a) - 1))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d)	__builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

static inline size_t array_size(size_t n, size_t size)
{
	size_t bytes;

	return __builtin_mul_overflow(n, size, &bytes) ? SIZE_MAX : bytes;
}

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* The module exports; a test program just links. */
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif
#define __must_check	__attribute__((__warn_unused_result__))
#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#define noinline	__attribute__((__noinline__))

#endif /* VRING_CORE_USER_H */
