// SPDX-License-Identifier: GPL-2.0
/*
 * The 2008 vringfd test program, run as it was written: one page-aligned
 * block holding a 256-entry legacy ring, vringfd() on it, and poll() as
 * the only window on the ring.  poll() must say "readable" exactly while
 * used->idx differs from the last_used index we handed over, whoever
 * moved either of them (here: we do, from userspace, with no consumer).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_ring.h>

#include "vringfd.h"
#include "tap.h"

#define RING_NUM 256

static int poll_in(int fd, short *revents)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, 0);

	*revents = pfd.revents;
	return n;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint16_t last_used = 0;
	struct vring vr;
	void *buffer;
	short revents;
	int fd, n;

	tap_init();
	if (posix_memalign(&buffer, page, vring_size(RING_NUM, page)))
		tap_bail_out("no memory for the ring");
	memset(buffer, 0, vring_size(RING_NUM, page));
	vring_init(&vr, RING_NUM, buffer, page);

	fd = vringfd(buffer, RING_NUM, &last_used);
	if (!TAP_OK_CALL(fd, "vringfd(buffer, %d, &last_used)", RING_NUM))
		return tap_finish();

	n = poll_in(fd, &revents);
	tap_ok(n == 0, "fresh ring: poll returns 0 (got %d, revents %#x)",
	       n, revents);

	/* Pretend the device used a buffer. */
	vr.used->idx++;
	n = poll_in(fd, &revents);
	tap_ok(n == 1, "used->idx moved: poll returns 1 (got %d)", n);
	tap_ok(revents == POLLIN, "used->idx moved: revents == POLLIN (%#x)",
	       revents);

	/* And we consumed it. */
	last_used++;
	n = poll_in(fd, &revents);
	tap_ok(n == 0, "last_used caught up: poll returns 0 (got %d, revents %#x)",
	       n, revents);

	close(fd);
	free(buffer);
	return tap_finish();
}
