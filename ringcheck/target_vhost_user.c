// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-user:SOCKET - any vhost-user back-end, with ringcheck as its
 * front-end (the "master" of the protocol's older texts; QEMU's
 * docs/interop/vhost-user.rst is the protocol's reference).  Messages on
 * a Unix socket: a 12-byte header (request, flags, payload size) and the
 * payload, file descriptors alongside as SCM_RIGHTS.  The back-end maps
 * our memfd from the memory table and serves the rings in it; kicks and
 * calls are eventfds it was given.
 *
 * Only what a front-end must send to start a virtio-net device's queues
 * is here: no dirty log, no inflight tracking, no postcopy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ringcheck.h"

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
};

#define VU_VERSION		0x1
#define VU_REPLY		0x4
#define VU_F_PROTOCOL_FEATURES	30
/* Protocol features we take: several queues; nothing else. */
#define VU_PF_MQ		0

struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;
	uint64_t mmap_offset;
};

struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct {
			uint32_t index;
			uint32_t num;
		} state;
		struct {
			uint32_t index;
			uint32_t flags;
			uint64_t desc;
			uint64_t used;
			uint64_t avail;
			uint64_t log;
		} addr;
		struct {
			uint32_t nregions;
			uint32_t padding;
			struct vu_region regions[8];
		} mem;
	} u;
} __attribute__((packed));

#define VU_HDR_SIZE	12

static int vu_send(struct rc_target *t, uint32_t request, const void *payload,
		   uint32_t size, int fd)
{
	struct vu_msg msg = { .request = request, .flags = VU_VERSION,
			      .size = size };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &msg, .iov_len = VU_HDR_SIZE + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (size)
		memcpy(&msg.u, payload, size);
	if (fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(VU_HDR_SIZE + size)) {
		rc_error("%s: request %u: %s", t->name, request,
			 n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/* The reply to request, its payload of size bytes into out. */
static int vu_reply(struct rc_target *t, uint32_t request, void *out,
		    uint32_t size)
{
	struct vu_msg msg;
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 10000) != 1) {
		rc_error("%s: no reply to request %u in 10 s", t->name, request);
		return -1;
	}
	n = recv(t->fd, &msg, VU_HDR_SIZE, MSG_WAITALL);
	if (n != VU_HDR_SIZE) {
		rc_error("%s: request %u: the back-end closed the socket",
			 t->name, request);
		return -1;
	}
	if (msg.request != request || !(msg.flags & VU_REPLY) ||
	    msg.size != size) {
		rc_error("%s: request %u: a reply to %u of %u bytes (flags %#x), want %u bytes",
			 t->name, request, msg.request, msg.size, msg.flags, size);
		return -1;
	}
	if (size && recv(t->fd, &msg.u, size, MSG_WAITALL) != (ssize_t)size) {
		rc_error("%s: request %u: short reply", t->name, request);
		return -1;
	}
	memcpy(out, &msg.u, size);
	return 0;
}

static int vu_get_u64(struct rc_target *t, uint32_t request, uint64_t *v)
{
	return vu_send(t, request, NULL, 0, -1) ?: vu_reply(t, request, v, 8);
}

static int vu_open(struct rc_target *t, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t pf = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		rc_error("vhost-user:%s: socket path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	snprintf(t->name, sizeof(t->name), "vhost-user:%s", path);
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0 || connect(t->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc_error("%s: cannot connect: %m", t->name);
		return -1;
	}
	if (vu_get_u64(t, VU_GET_FEATURES, &t->offered))
		return -1;
	if (t->offered & RC_BIT(VU_F_PROTOCOL_FEATURES)) {
		if (vu_get_u64(t, VU_GET_PROTOCOL_FEATURES, &pf))
			return -1;
		pf &= RC_BIT(VU_PF_MQ);
		if (vu_send(t, VU_SET_PROTOCOL_FEATURES, &pf, 8, -1))
			return -1;
	}
	return vu_send(t, VU_SET_OWNER, NULL, 0, -1);
}

static int vu_state(struct rc_target *t, uint32_t request, uint32_t index,
		    uint32_t num)
{
	struct { uint32_t index, num; } s = { index, num };

	return vu_send(t, request, &s, sizeof(s), -1);
}

static int vu_start(struct rc_target *t, struct rc_mem *m, struct rc_queue *q,
		    unsigned int nq)
{
	uint64_t features = t->features;
	struct {
		uint32_t nregions, padding;
		struct vu_region r;
	} mem = {
		.nregions = 1,
		.r = { .gpa = 0, .size = m->size,
		       .uaddr = (uintptr_t)m->base, .mmap_offset = 0 },
	};

	/* Keep the protocol-features bit: it says rings start disabled. */
	features |= t->offered & RC_BIT(VU_F_PROTOCOL_FEATURES);
	if (vu_send(t, VU_SET_FEATURES, &features, 8, -1) ||
	    vu_send(t, VU_SET_MEM_TABLE, &mem, sizeof(mem), m->fd))
		return -1;
	for (unsigned int i = 0; i < nq; i++) {
		struct rc_split *r = &q[i].ring;
		struct rc_packed *p = &q[i].pring;
		struct {
			uint32_t index, flags;
			uint64_t desc, used, avail, log;
		} addr = { .index = i };
		uint64_t index = i;
		uint32_t num = r->num, base = 0;

		/*
		 * A packed ring's three parts go where the split ring's do:
		 * the descriptor ring as desc, the driver area (the driver
		 * event suppression structure) as avail, the device area as
		 * used.  Its base is a descriptor slot with the wrap counter
		 * in bit 15 (after a reset: slot 0, counter 1, 2.8.1).
		 */
		if (q[i].packed) {
			addr.desc = (uintptr_t)rc_mem_ptr(m, p->desc_addr);
			addr.avail = (uintptr_t)rc_mem_ptr(m, p->driver_addr);
			addr.used = (uintptr_t)rc_mem_ptr(m, p->device_addr);
			num = p->num;
			base = rc_packed_pos(p->next_avail, p->avail_wrap);
		} else {
			addr.desc = (uintptr_t)rc_mem_ptr(m, r->desc_addr);
			addr.avail = (uintptr_t)rc_mem_ptr(m, r->avail_addr);
			addr.used = (uintptr_t)rc_mem_ptr(m, r->used_addr);
			base = r->avail_idx;
		}
		if (vu_state(t, VU_SET_VRING_NUM, i, num) ||
		    vu_state(t, VU_SET_VRING_BASE, i, base) ||
		    vu_send(t, VU_SET_VRING_ADDR, &addr, sizeof(addr), -1) ||
		    vu_send(t, VU_SET_VRING_CALL, &index, 8, q[i].call) ||
		    vu_send(t, VU_SET_VRING_ERR, &index, 8, q[i].err) ||
		    vu_send(t, VU_SET_VRING_KICK, &index, 8, q[i].kick))
			return -1;
		if ((t->offered & RC_BIT(VU_F_PROTOCOL_FEATURES)) &&
		    vu_state(t, VU_SET_VRING_ENABLE, i, 1))
			return -1;
	}
	return 0;
}

static int vu_stop(struct rc_target *t, unsigned int i, uint16_t *avail)
{
	struct { uint32_t index, num; } s = { i, 0 };

	if (vu_send(t, VU_GET_VRING_BASE, &s, sizeof(s), -1) ||
	    vu_reply(t, VU_GET_VRING_BASE, &s, sizeof(s)))
		return -1;
	*avail = (uint16_t)s.num;
	return 0;
}

static bool vu_alive(struct rc_target *t)
{
	uint64_t f;

	return vu_get_u64(t, VU_GET_FEATURES, &f) == 0;
}

static void vu_close(struct rc_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

const struct rc_target_ops rc_vhost_user_ops = {
	.kind = "vhost-user",
	.open = vu_open,
	.start = vu_start,
	.stop = vu_stop,
	.alive = vu_alive,
	.close = vu_close,
};
