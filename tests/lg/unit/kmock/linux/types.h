/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests' stand-in: the uapi types, as lg_emul_user.h's (whose
 * __le64 is not the C library's <linux/types.h> one).
 */
#ifndef KMOCK_LINUX_TYPES_H
#define KMOCK_LINUX_TYPES_H
#include "../kmock.h"

typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef s32 __s32;
typedef s64 __s64;
#endif
