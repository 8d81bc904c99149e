/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vring_echo: a test consumer for vringfd.  Each open of /dev/vring_echo
 * is one echo instance; VRING_ECHO_ATTACH binds it to ring fds.
 *
 *  - Self mode (out_fd == in_fd, or out_fd == -1): every chain made
 *    available on the ring has its readable bytes copied into its own
 *    writable segments (as many as fit); the used length is the number of
 *    bytes written.
 *  - Pair mode: every chain on the "in" ring has its readable bytes copied
 *    into the writable segments of the next chain on the "out" ring; the
 *    in chain is used with length 0, the out chain with the bytes written.
 *    When "out" has no buffer, the in chain waits (a kick on either ring
 *    resumes the echo).
 *
 * Bytes that do not fit are dropped and counted in "truncated".  The owner
 * is signalled (poll wake-up and call eventfd) subject to the ring's
 * notification suppression.  Closing the echo fd detaches it.
 */
#ifndef VRING_ECHO_H
#define VRING_ECHO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VRING_ECHO_IOCTL_MAGIC	0xBF

struct vring_echo_attach {
	__s32 in_fd;		/* a /dev/vring fd */
	__s32 out_fd;		/* a /dev/vring fd, or -1 / in_fd for self mode */
};

struct vring_echo_stats {
	__u64 chains;		/* chains echoed */
	__u64 bytes;		/* bytes written into out buffers */
	__u64 truncated;	/* bytes dropped because out buffers were short */
	__u64 kicks;		/* times the echo ran */
};

#define VRING_ECHO_ATTACH	_IOW(VRING_ECHO_IOCTL_MAGIC, 0x00, \
				     struct vring_echo_attach)
#define VRING_ECHO_DETACH	_IO(VRING_ECHO_IOCTL_MAGIC, 0x01)
#define VRING_ECHO_GETSTATS	_IOR(VRING_ECHO_IOCTL_MAGIC, 0x02, \
				     struct vring_echo_stats)

#endif /* VRING_ECHO_H */
