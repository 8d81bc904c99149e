// SPDX-License-Identifier: GPL-2.0
/*
 * libvringfd: open and configure /dev/vring rings from userspace.
 *
 * Nothing here is clever: each function is one system call or two, so
 * that a reader can see exactly what the kernel is asked.  The one piece
 * of arithmetic is the legacy layout, which we take from the virtio
 * header's vring_init() so that we agree with every legacy driver.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/virtio_ring.h>

#include "vringfd.h"

int vringfd_open(void)
{
	return open(VRINGFD_DEVICE, O_RDWR | O_CLOEXEC);
}

int vringfd_setup(int fd, const struct vring_setup *setup)
{
	return ioctl(fd, VRINGSETUP, setup);
}

void vringfd_layout(struct vring_setup *setup, unsigned int num,
		    uint64_t features, void *desc, void *avail, void *used,
		    uint16_t *last_used)
{
	memset(setup, 0, sizeof(*setup));
	setup->num = num;
	setup->features = features;
	setup->desc = (uintptr_t)desc;
	setup->avail = (uintptr_t)avail;
	setup->used = (uintptr_t)used;
	setup->last_used = (uintptr_t)last_used;
}

/*
 * Opening and setting up are two steps; if the second fails we close the
 * fd but must hand the caller the errno of the setup, not of close().
 */
int vringfd_open_layout(unsigned int num, uint64_t features, void *desc,
			void *avail, void *used, uint16_t *last_used)
{
	struct vring_setup setup;
	int fd, saved_errno;

	vringfd_layout(&setup, num, features, desc, avail, used, last_used);
	fd = vringfd_open();
	if (fd < 0)
		return -1;
	if (vringfd_setup(fd, &setup) < 0) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return -1;
	}
	return fd;
}

unsigned long vringfd_legacy_size(unsigned int num)
{
	return vring_size(num, VRINGFD_LEGACY_ALIGN);
}

/*
 * The legacy layout puts the descriptor table at addr, the available ring
 * right after it, and the used ring at the next 4096-byte boundary.  We
 * check num ourselves only as far as vring_init() needs: the kernel gives
 * EINVAL for anything else it dislikes.
 */
int vringfd(void *addr, unsigned int num, uint16_t *last_used)
{
	struct vring vr;

	if (num == 0 || num > VRINGFD_MAX_NUM) {
		errno = EINVAL;
		return -1;
	}
	vring_init(&vr, num, addr, VRINGFD_LEGACY_ALIGN);
	return vringfd_open_layout(num, 0, vr.desc, vr.avail, vr.used,
				   last_used);
}

/* The value itself is the ioctl argument, not a pointer to it. */
int vringfd_set_base(int fd, uint64_t base)
{
	return ioctl(fd, VRINGSETBASE, (unsigned long)base);
}

int vringfd_set_limit(int fd, uint64_t limit)
{
	return ioctl(fd, VRINGSETLIMIT, (unsigned long)limit);
}

int vringfd_set_kick_fd(int fd, int eventfd)
{
	return ioctl(fd, VRINGSETKICKFD, (long)eventfd);
}

int vringfd_set_call_fd(int fd, int eventfd)
{
	return ioctl(fd, VRINGSETCALLFD, (long)eventfd);
}

int vringfd_get_status(int fd, struct vring_status *status)
{
	return ioctl(fd, VRINGGETSTATUS, status);
}

/* What is written does not matter; that a write happened does. */
int vringfd_kick(int fd)
{
	return write(fd, "", 0) < 0 ? -1 : 0;
}
