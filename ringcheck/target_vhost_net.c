// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-net[:TAP] - Linux's in-kernel virtio-net back-end, driven from
 * user space with no VM: /dev/vhost-net gets our memfd as its memory
 * table, our rings and eventfds, and a tap as its back-end.  (Root, or
 * CAP_NET_ADMIN for the tap.)
 *
 * The far end must loop frames back, and a tap's far end is this host's
 * network stack.  So ringcheck does the looping itself: a packet socket
 * on the tap sees each frame vhost-net hands the tap, and sends it back
 * out of the tap, where vhost-net receives it into the receive queue.
 * The tap has no address and no IPv6, so the stack adds no frames of
 * its own.  The tap takes the 12-byte header itself (IFF_VNET_HDR with
 * TUNSETVNETHDRSZ), as QEMU sets it up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <net/if.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ringcheck.h"

struct vhost_net {
	int tap;
	int packet;		/* AF_PACKET on the tap: the loop */
	int ifindex;
	char ifname[IFNAMSIZ];
};

static int vn_tap(struct rc_target *t, struct vhost_net *vn, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int hdr = RC_NET_HDR_LEN, rcvbuf = 4 << 20, sock;
	char path[96];
	FILE *f;

	vn->tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (vn->tap < 0) {
		rc_error("%s: cannot open /dev/net/tun: %m", t->name);
		return -1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(vn->tap, TUNSETIFF, &ifr) < 0 ||
	    ioctl(vn->tap, TUNSETVNETHDRSZ, &hdr) < 0) {
		rc_error("%s: cannot make tap %s: %m", t->name, name);
		return -1;
	}
	snprintf(vn->ifname, sizeof(vn->ifname), "%s", ifr.ifr_name);
	/* No IPv6: no router solicitations landing in our receive queue. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 vn->ifname);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		rc_error("%s: %s: %m", t->name, vn->ifname);
		if (sock >= 0)
			close(sock);
		return -1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		rc_error("%s: cannot bring %s up: %m", t->name, vn->ifname);
		close(sock);
		return -1;
	}
	close(sock);
	vn->ifindex = if_nametoindex(vn->ifname);
	vn->packet = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    htons(ETH_P_ALL));
	if (vn->packet < 0) {
		rc_error("%s: packet socket: %m", t->name);
		return -1;
	}
	/* Room for a whole round of frames between two pumps. */
	setsockopt(vn->packet, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		   sizeof(rcvbuf));
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = vn->ifindex;
	if (bind(vn->packet, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc_error("%s: packet socket on %s: %m", t->name, vn->ifname);
		return -1;
	}
	return 0;
}

static int vn_open(struct rc_target *t, const char *arg)
{
	struct vhost_net *vn = calloc(1, sizeof(*vn));

	if (!vn)
		return -1;
	vn->tap = vn->packet = -1;
	t->priv = vn;
	snprintf(t->name, sizeof(t->name), "vhost-net%s%s", *arg ? ":" : "", arg);
	t->fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (t->fd < 0) {
		rc_error("%s: cannot open /dev/vhost-net: %m (modprobe vhost_net)",
			 t->name);
		return -1;
	}
	if (ioctl(t->fd, VHOST_SET_OWNER) < 0 ||
	    ioctl(t->fd, VHOST_GET_FEATURES, &t->offered) < 0) {
		rc_error("%s: VHOST_SET_OWNER or VHOST_GET_FEATURES: %m", t->name);
		return -1;
	}
	return vn_tap(t, vn, *arg ? arg : "rcvhost%d");
}

static int vn_start(struct rc_target *t, struct rc_mem *m, struct rc_queue *q,
		    unsigned int nq)
{
	struct vhost_net *vn = t->priv;
	struct {
		struct vhost_memory hdr;
		struct vhost_memory_region r;
	} mem = {
		.hdr.nregions = 1,
		.r = { .guest_phys_addr = 0, .memory_size = m->size,
		       .userspace_addr = (uintptr_t)m->base },
	};
	uint64_t features = t->features;

	/* Linux 6.1 offers no packed rings; a kernel that does needs more. */
	if (features & RC_BIT(RC_F_RING_PACKED)) {
		rc_error("%s: the kernel offers VIRTIO_F_RING_PACKED, but this target sets up split rings only",
			 t->name);
		return -1;
	}
	if (ioctl(t->fd, VHOST_SET_FEATURES, &features) < 0 ||
	    ioctl(t->fd, VHOST_SET_MEM_TABLE, &mem) < 0) {
		rc_error("%s: VHOST_SET_FEATURES or VHOST_SET_MEM_TABLE: %m",
			 t->name);
		return -1;
	}
	for (unsigned int i = 0; i < nq; i++) {
		struct rc_split *r = &q[i].ring;
		struct vhost_vring_state num = { i, r->num },
					 base = { i, r->avail_idx };
		struct vhost_vring_addr addr = {
			.index = i,
			.desc_user_addr = (uintptr_t)rc_mem_ptr(m, r->desc_addr),
			.used_user_addr = (uintptr_t)rc_mem_ptr(m, r->used_addr),
			.avail_user_addr = (uintptr_t)rc_mem_ptr(m, r->avail_addr),
		};
		struct vhost_vring_file kick = { i, q[i].kick },
					call = { i, q[i].call },
					err = { i, q[i].err },
					backend = { i, vn->tap };

		if (ioctl(t->fd, VHOST_SET_VRING_NUM, &num) < 0 ||
		    ioctl(t->fd, VHOST_SET_VRING_BASE, &base) < 0 ||
		    ioctl(t->fd, VHOST_SET_VRING_ADDR, &addr) < 0 ||
		    ioctl(t->fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
		    ioctl(t->fd, VHOST_SET_VRING_CALL, &call) < 0 ||
		    ioctl(t->fd, VHOST_SET_VRING_ERR, &err) < 0 ||
		    ioctl(t->fd, VHOST_NET_SET_BACKEND, &backend) < 0) {
			rc_error("%s: setting up queue %u: %m", t->name, i);
			return -1;
		}
	}
	return 0;
}

static int vn_stop(struct rc_target *t, unsigned int i, uint16_t *avail)
{
	struct vhost_vring_file none = { i, -1 };
	struct vhost_vring_state s = { i, 0 };

	if (ioctl(t->fd, VHOST_NET_SET_BACKEND, &none) < 0 ||
	    ioctl(t->fd, VHOST_GET_VRING_BASE, &s) < 0) {
		rc_error("%s: stopping queue %u: %m", t->name, i);
		return -1;
	}
	*avail = (uint16_t)s.num;
	return 0;
}

static bool vn_alive(struct rc_target *t)
{
	uint64_t f;

	return ioctl(t->fd, VHOST_GET_FEATURES, &f) == 0;
}

/* The loop: what vhost-net gave the tap goes back out of it. */
static void vn_pump(struct rc_target *t)
{
	struct vhost_net *vn = t->priv;
	static unsigned char frame[65536];

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(vn->packet, frame, sizeof(frame), 0,
				     (struct sockaddr *)&from, &fl);
		struct sockaddr_ll to = { .sll_family = AF_PACKET,
					  .sll_ifindex = vn->ifindex,
					  .sll_halen = ETH_ALEN };

		if (n <= 0)
			return;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;	/* our own, on its way out */
		memcpy(to.sll_addr, frame, ETH_ALEN);
		if (sendto(vn->packet, frame, n, 0, (struct sockaddr *)&to,
			   sizeof(to)) != n)
			rc_why("%s: sending a frame back out of %s: %s",
			       t->name, vn->ifname, strerror(errno));
	}
}

static void vn_close(struct rc_target *t)
{
	struct vhost_net *vn = t->priv;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (vn) {
		if (vn->packet >= 0)
			close(vn->packet);
		if (vn->tap >= 0)
			close(vn->tap);
		free(vn);
	}
	t->priv = NULL;
}

const struct rc_target_ops rc_vhost_net_ops = {
	.kind = "vhost-net",
	.open = vn_open,
	.start = vn_start,
	.stop = vn_stop,
	.alive = vn_alive,
	.pump = vn_pump,
	.close = vn_close,
};
