/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvringfd: the userspace side of /dev/vring, kept small on purpose.
 *
 * In 2008 vringfd was proposed as a system call,
 *
 *	int vringfd(void *addr, unsigned int num, u16 *last_used);
 *
 * taking one block of memory laid out the way the legacy virtio ring is
 * (vring_init(vr, num, addr, 4096)).  Here the kernel side is a character
 * device configured with ioctls (include/uapi/linux/vringfd.h), and this
 * library gives back the original one-call convention on top of it, plus
 * thin wrappers for everything else a ring owner does.
 *
 * Every function returns -1 and sets errno on failure, like a system call.
 */
#ifndef LIBVRINGFD_H
#define LIBVRINGFD_H

#include <stdint.h>
#include <linux/vringfd.h>

/* The device node every ring is opened from. */
#define VRINGFD_DEVICE		"/dev/vring"
/* The alignment of the used ring in the legacy single-block layout. */
#define VRINGFD_LEGACY_ALIGN	4096

/*
 * The 2008 call: addr holds a legacy layout ring of num entries; poll()
 * on the returned fd reports POLLIN while used->idx != *last_used.
 * No features are negotiated.  Returns the fd, or -1 and errno.
 */
int vringfd(void *addr, unsigned int num, uint16_t *last_used);

/* Bytes a legacy layout ring of num entries occupies (vring_size()). */
unsigned long vringfd_legacy_size(unsigned int num);

/* Open /dev/vring (close-on-exec); the fd is not set up yet. */
int vringfd_open(void);

/* VRINGSETUP on an open fd: 0 or -1 and errno. */
int vringfd_setup(int fd, const struct vring_setup *setup);

/*
 * Fill *setup for the three parts of a ring at arbitrary places (the
 * "split" layout a virtio 1.0 driver uses), with the given features
 * (1ULL << VRINGFD_F_*).  last_used may be NULL.
 */
void vringfd_layout(struct vring_setup *setup, unsigned int num,
		    uint64_t features, void *desc, void *avail, void *used,
		    uint16_t *last_used);

/* Open /dev/vring and set up a split layout ring: fd, or -1 and errno. */
int vringfd_open_layout(unsigned int num, uint64_t features, void *desc,
			void *avail, void *used, uint16_t *last_used);

/* Descriptor addresses are offsets from base, and must end below limit. */
int vringfd_set_base(int fd, uint64_t base);
int vringfd_set_limit(int fd, uint64_t limit);

/* Bind eventfds (or -1 to unbind) for kicking the consumer and being called. */
int vringfd_set_kick_fd(int fd, int eventfd);
int vringfd_set_call_fd(int fd, int eventfd);

/* The ring's state: size, indices, base, limit, broken and why. */
int vringfd_get_status(int fd, struct vring_status *status);

/* Kick the attached consumer, synchronously: 0 or -1 and errno (EIO: broken). */
int vringfd_kick(int fd);

#endif /* LIBVRINGFD_H */
