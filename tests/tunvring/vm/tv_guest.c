// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of test_tun_vring: "guest RAM", two rings on /dev/vring
 * whose buffers are offsets into that RAM, their eventfds, and the
 * /dev/tun_vring binding.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vringfd.h"
#include "tv.h"

#define TV_RAM_SIZE	(4UL << 20)

void tv_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void *tv_alloc(struct tv_guest *g, size_t len)
{
	void *p;

	len = (len + 15) & ~15UL;
	if (g->ram_used + len > g->ram.len)
		return NULL;
	p = g->ram.start + g->ram_used;
	g->ram_used += len;
	return p;
}

/* A ring over our RAM, with a kick and a call eventfd. */
static int ring_make(struct tv_guest *g, struct test_ring *r, unsigned int num,
		     uint64_t features, int *kick, int *call)
{
	if (ring_create(r, num, features, RING_SPLIT) < 0) {
		tap_diag("ring_create: %s", strerror(errno));
		return -1;
	}
	r->base = (uintptr_t)g->ram.start;
	*kick = eventfd_new();
	*call = eventfd_new();
	if (*kick < 0 || *call < 0 ||
	    vringfd_set_base(r->fd, r->base) < 0 ||
	    vringfd_set_limit(r->fd, g->ram.len) < 0 ||
	    ioctl(r->fd, VRINGSETKICKFD, *kick) < 0 ||
	    ioctl(r->fd, VRINGSETCALLFD, *call) < 0) {
		tap_diag("ring set up: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int tv_guest_create(struct tv_guest *g, unsigned int num, uint64_t features)
{
	memset(g, 0, sizeof(*g));
	g->rx.fd = g->tx.fd = -1;
	g->rx_kick = g->rx_call = g->tx_kick = g->tx_call = -1;
	g->binding = -1;
	if (arena_create(&g->ram, TV_RAM_SIZE) < 0)
		return -1;
	if (ring_make(g, &g->rx, num, features, &g->rx_kick, &g->rx_call) ||
	    ring_make(g, &g->tx, num, features, &g->tx_kick, &g->tx_call)) {
		tv_guest_destroy(g);
		return -1;
	}
	return 0;
}

int tv_guest_attach(struct tv_guest *g, int tap_fd, uint32_t flags)
{
	struct tun_vring_attach at = {
		.tap_fd = tap_fd,
		.rx_fd = g->rx.fd,
		.tx_fd = g->tx.fd,
		.flags = flags,
	};

	g->binding = open("/dev/tun_vring", O_RDWR | O_CLOEXEC);
	if (g->binding < 0)
		return -1;
	return ioctl(g->binding, TUN_VRING_ATTACH, &at);
}

void tv_guest_destroy(struct tv_guest *g)
{
	tv_close(&g->binding);
	ring_free(&g->rx);
	ring_free(&g->tx);
	tv_close(&g->rx_kick);
	tv_close(&g->rx_call);
	tv_close(&g->tx_kick);
	tv_close(&g->tx_call);
	arena_destroy(&g->ram);
}

void tv_kick(const struct tv_guest *g, const struct test_ring *r)
{
	uint64_t one = 1;
	int fd = r == &g->rx ? g->rx_kick : g->tx_kick;

	((struct tv_guest *)g)->kicks++;
	if (write(fd, &one, sizeof(one)) != sizeof(one))
		tap_diag("kick: %s", strerror(errno));
}

/*
 * Kick only when the device asks to: honouring its wish means every test
 * also checks that tun_vring asks for kicks when it needs them.
 */
void tv_post(struct tv_guest *g, struct test_ring *r, const struct seg *segs,
	     unsigned int nsegs)
{
	uint16_t old = r->driver.avail_idx;

	ring_add_chain(r, segs, nsegs);
	driver_ring_publish(&r->driver);
	if (driver_ring_kick_wanted(&r->driver, old,
				    r->features & (1ULL << VRINGFD_F_EVENT_IDX)))
		tv_kick(g, r);
	else
		g->kicks_saved++;
}

bool tv_wait_used(struct tv_guest *g, struct test_ring *r, unsigned int count,
		  int timeout_ms)
{
	int call = r == &g->rx ? g->rx_call : g->tx_call;
	double end = now_ms() + timeout_ms;

	for (;;) {
		if ((uint16_t)(driver_ring_used_idx(&r->driver) -
			       r->driver.last_used) >= count)
			return true;
		if (now_ms() > end)
			return false;
		poll_one(call, POLLIN, 10);
		eventfd_take(call);
	}
}

void tv_send(struct tv_guest *g, const void *hdr, const void *frame,
	     size_t len)
{
	struct seg seg = { .len = TV_HDR_LEN + len };
	uint8_t *buf;

	/*
	 * One slot per descriptor: a slot is reused only when its descriptor
	 * is, and the tests never have more than num frames in flight.
	 */
	if (!g->tx_slots)
		g->tx_slots = tv_alloc(g, (size_t)g->tx.num * TV_SLOT);
	if (!g->tx_slots || seg.len > TV_SLOT) {
		tap_diag("no tx slot for a %zu-byte frame", len);
		return;
	}
	buf = g->tx_slots + (size_t)g->tx.driver.next_desc * TV_SLOT;
	seg.buf = buf;
	memcpy(buf, hdr, TV_HDR_LEN);
	memcpy(buf + TV_HDR_LEN, frame, len);
	tv_post(g, &g->tx, &seg, 1);
}

bool tv_stats(const struct tv_guest *g, struct tun_vring_stats *st)
{
	memset(st, 0xff, sizeof(*st));
	return ioctl(g->binding, TUN_VRING_GETSTATS, st) == 0;
}

bool tv_wait_stat(const struct tv_guest *g, size_t offset, uint64_t want,
		  int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	struct tun_vring_stats st;
	uint64_t value;

	for (;;) {
		if (!tv_stats(g, &st))
			return false;
		memcpy(&value, (uint8_t *)&st + offset, sizeof(value));
		if (value >= want)
			return true;
		if (now_ms() > end)
			return false;
		usleep(5000);
	}
}

const char *tv_broken_reason(const struct test_ring *r)
{
	static struct vring_status st;

	if (ring_status(r, &st) < 0)
		return "(VRINGGETSTATUS failed)";
	return st.broken ? st.reason : "";
}

bool tv_wait_broken(const struct test_ring *r, int timeout_ms)
{
	double end = now_ms() + timeout_ms;

	while (!*tv_broken_reason(r)) {
		if (now_ms() > end)
			return false;
		usleep(5000);
	}
	return true;
}
