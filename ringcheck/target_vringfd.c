// SPDX-License-Identifier: GPL-2.0
/*
 * vringfd - this project's own ring engine: two /dev/vring files over our
 * rings, with the vring_echo test consumer (tests/vringfd/kmod) attached
 * in pair mode as the device.  What the driver offers on the transmit
 * queue (the echo's "in" ring) is copied into the next chain of the
 * receive queue (its "out" ring): the same loop a network device with a
 * looping far end gives, except that the bytes come back exactly as
 * sent, the virtio-net header included.  So this target is a raw loop
 * (ops->raw_loop): the ring rules apply, 5.1.6's header rules do not.
 *
 * vringfd knows only ring features (INDIRECT_DESC, EVENT_IDX); it has no
 * feature negotiation, no VERSION_1 and no vhost requests.  It offers
 * VERSION_1 here because its ring is the modern little-endian one, and
 * says a ring broke in VRINGGETSTATUS (and EPOLLERR), not on an eventfd.
 * (Needs vringfd.ko and vring_echo.ko: the test VM has them.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/vringfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ringcheck.h"
#include "vring_echo.h"

struct vringfd {
	int ring[2];		/* by queue: receive 0, transmit 1 */
	int echo;
};

static int vf_open(struct rc_target *t, const char *arg)
{
	struct vringfd *vf = calloc(1, sizeof(*vf));

	(void)arg;
	if (!vf)
		return -1;
	vf->ring[0] = vf->ring[1] = vf->echo = -1;
	t->priv = vf;
	snprintf(t->name, sizeof(t->name), "vringfd");
	/* Both devices now, so a missing module is said before any check. */
	vf->echo = open("/dev/vring_echo", O_RDWR | O_CLOEXEC);
	if (vf->echo < 0) {
		rc_error("%s: cannot open /dev/vring_echo: %m (modprobe vringfd vring_echo)",
			 t->name);
		return -1;
	}
	for (unsigned int i = 0; i < 2; i++) {
		vf->ring[i] = open("/dev/vring", O_RDWR | O_CLOEXEC);
		if (vf->ring[i] < 0) {
			rc_error("%s: cannot open /dev/vring: %m (modprobe vringfd)",
				 t->name);
			return -1;
		}
	}
	t->offered = RC_BIT(RC_F_VERSION_1) | RC_BIT(RC_F_INDIRECT_DESC) |
		     RC_BIT(RC_F_EVENT_IDX);
	return 0;
}

static int vf_start(struct rc_target *t, struct rc_mem *m, struct rc_queue *q,
		    unsigned int nq)
{
	struct vringfd *vf = t->priv;
	const uint64_t ring_features = RC_BIT(RC_F_INDIRECT_DESC) |
				       RC_BIT(RC_F_EVENT_IDX);
	struct vring_echo_attach pair = {
		.in_fd = vf->ring[RC_NET_TX],
		.out_fd = vf->ring[RC_NET_RX],
	};

	if (nq != 2) {
		rc_error("%s: the echo loops a transmit queue into a receive queue (2 queues, not %u)",
			 t->name, nq);
		return -1;
	}
	for (unsigned int i = 0; i < nq; i++) {
		struct rc_split *r = &q[i].ring;
		/* Ring parts are plain addresses; buffers are offsets. */
		struct vring_setup setup = {
			.num = r->num,
			.features = t->features & ring_features,
			.desc = (uintptr_t)rc_mem_ptr(m, r->desc_addr),
			.avail = (uintptr_t)rc_mem_ptr(m, r->avail_addr),
			.used = (uintptr_t)rc_mem_ptr(m, r->used_addr),
		};
		int fd = vf->ring[i];

		if (ioctl(fd, VRINGSETBASE, (unsigned long)(uintptr_t)m->base) ||
		    ioctl(fd, VRINGSETLIMIT, (unsigned long)m->size) ||
		    ioctl(fd, VRINGSETUP, &setup) ||
		    ioctl(fd, VRINGSETKICKFD, q[i].kick) ||
		    ioctl(fd, VRINGSETCALLFD, q[i].call)) {
			rc_error("%s: setting up queue %u: %m", t->name, i);
			return -1;
		}
	}
	if (ioctl(vf->echo, VRING_ECHO_ATTACH, &pair)) {
		rc_error("%s: VRING_ECHO_ATTACH: %m", t->name);
		return -1;
	}
	return 0;
}

static bool vf_status(struct rc_target *t, unsigned int i,
		      struct vring_status *st)
{
	struct vringfd *vf = t->priv;

	return ioctl(vf->ring[i], VRINGGETSTATUS, st) == 0;
}

static bool vf_broken(struct rc_target *t, unsigned int i)
{
	struct vring_status st;

	return vf_status(t, i, &st) && st.broken;
}

static bool vf_alive(struct rc_target *t)
{
	struct vring_status st;

	return vf_status(t, RC_NET_TX, &st) && vf_status(t, RC_NET_RX, &st);
}

static void vf_close(struct rc_target *t)
{
	struct vringfd *vf = t->priv;

	if (!vf)
		return;
	/* The echo first: it lets go of the rings. */
	if (vf->echo >= 0)
		close(vf->echo);
	for (unsigned int i = 0; i < 2; i++)
		if (vf->ring[i] >= 0)
			close(vf->ring[i]);
	free(vf);
	t->priv = NULL;
}

const struct rc_target_ops rc_vringfd_ops = {
	.kind = "vringfd",
	.open = vf_open,
	.start = vf_start,
	.broken = vf_broken,
	.alive = vf_alive,
	.close = vf_close,
	.raw_loop = true,
};
