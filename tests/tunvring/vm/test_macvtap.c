// SPDX-License-Identifier: GPL-2.0
/*
 * test_tun_vring: a macvtap queue instead of a tun fd.  Two macvtaps in
 * bridge mode on one dummy device see each other's frames: the "guest" is
 * bound to the first through tun_vring (tap.ko's tap_get_socket()), and
 * the program reads and writes the second one's fd directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>

#include "tv.h"

#define ETHERTYPE_EXPERIMENTAL	0x88b5

static int macvtap_open(const char *name)
{
	int hdr = TV_HDR_LEN, fd;
	char path[64];

	snprintf(path, sizeof(path), "/dev/tap%u", if_nametoindex(name));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		tap_diag("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		tap_diag("TUNSETVNETHDRSZ on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* An Ethernet frame of an experimental type with len bytes of pattern. */
static size_t build_raw(uint8_t *frame, const uint8_t *dst,
			const uint8_t *src, size_t len, unsigned int seed)
{
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = ETHERTYPE_EXPERIMENTAL >> 8;
	frame[13] = ETHERTYPE_EXPERIMENTAL & 0xff;
	pattern_fill(frame + TV_ETH_LEN, len, seed);
	return TV_ETH_LEN + len;
}

/*
 * A macvtap queue's send buffer is the system default (about 200 KiB) and
 * each frame it sent stays charged to it until the receiver frees it.  The
 * peer macvtap holds what it received until somebody reads it, so frames
 * sent to a peer nobody reads fill the buffer after a hundred or so, and
 * tun_vring has to stop.  Then the peer is read, the buffer drains, and
 * the tap's write-space wake-up must bring the transmit back: every frame
 * arrives, in order and exact.
 */
#define FULL_FRAMES	400	/* fewer than the peer's queue (500) holds */
#define FULL_PAYLOAD	1400
#define QUIET_MS	10000	/* no progress and no tx_blocked: a stall */

/* Take the used tx entries back; how many. */
static unsigned int reclaim(struct tv_guest *g)
{
	unsigned int n = 0;
	uint32_t id, len;

	while (driver_ring_get_used(&g->tx.driver, &id, &len))
		n++;
	return n;
}

/* Send frames while descriptors are free, until `total` are sent. */
static void send_more(struct tv_guest *g, unsigned int *sent,
		      unsigned int *done, unsigned int total,
		      const uint8_t *dst, const uint8_t *src)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	uint8_t frame[TV_ETH_LEN + FULL_PAYLOAD];
	size_t flen;

	*done += reclaim(g);
	/* done > sent would be a chain used twice: the check below says so. */
	while (*sent < total && *done <= *sent && *sent - *done < g->tx.num) {
		flen = build_raw(frame, dst, src, FULL_PAYLOAD, 1000 + *sent);
		tv_send(g, &hdr, frame, flen);
		(*sent)++;
	}
}

static void full_send_buffer(struct tv_guest *g, int peer,
			     const uint8_t *mac0, const uint8_t *mac1)
{
	uint8_t frame[TV_ETH_LEN + FULL_PAYLOAD], got[TV_HDR_LEN + 2048];
	unsigned int sent = 0, done = 0, stalled_at, arrived = 0, bad = 0;
	unsigned int left;
	struct tun_vring_stats before, st;
	double deadline, quiet_since;
	ssize_t r;

	/*
	 * The counters and the used ring start from a settled point: every
	 * chain posted so far came back (tv_group_macvtap() took them), so
	 * each one used from here on is one of ours, and its frame is
	 * already counted in tx_packets.
	 */
	left = reclaim(g);
	if (left)
		tap_diag("%u used tx entries left over before the test", left);
	tv_stats(g, &before);
	/*
	 * Phase 1: the peer is not read; transmitting must stop.  It has
	 * stopped once tun_vring said so (tx_blocked) and then used nothing
	 * for a second.  A quiet second alone may only be a worker that did
	 * not get the CPU (busy loops at nice -20 in the test VM do that):
	 * we wait on, and after QUIET_MS without tx_blocked give up, which
	 * the check below reports as a stall that is not a full buffer.
	 */
	quiet_since = now_ms();
	for (;;) {
		send_more(g, &sent, &done, FULL_FRAMES, mac1, mac0);
		if (sent == done && sent == FULL_FRAMES)
			break;
		if (tv_wait_used(g, &g->tx, 1, 1000)) {
			quiet_since = now_ms();
			continue;
		}
		if (!tv_stats(g, &st) || st.tx_blocked > before.tx_blocked ||
		    now_ms() - quiet_since > QUIET_MS)
			break;
	}
	stalled_at = done + reclaim(g);
	done = stalled_at;
	if (!tv_stats(g, &st))
		st = before;
	tap_ok(st.tx_blocked > before.tx_blocked && stalled_at < FULL_FRAMES &&
	       stalled_at <= sent,
	       "macvtap: frames to a peer nobody reads fill the send buffer: transmitting stops after %u of %u (%u posted; tx_blocked %llu, tx_packets %llu)",
	       stalled_at, FULL_FRAMES, sent,
	       (unsigned long long)(st.tx_blocked - before.tx_blocked),
	       (unsigned long long)(st.tx_packets - before.tx_packets));

	/* Phase 2: read the peer; the rest must follow without a kick. */
	deadline = now_ms() + 10000;
	while (arrived < FULL_FRAMES && now_ms() < deadline) {
		send_more(g, &sent, &done, FULL_FRAMES, mac1, mac0);
		if (poll_one(peer, POLLIN, 200) <= 0)
			continue;
		r = read(peer, got, sizeof(got));
		if (r < 0)
			continue;
		build_raw(frame, mac1, mac0, FULL_PAYLOAD, 1000 + arrived);
		if (r != (ssize_t)(TV_HDR_LEN + sizeof(frame)) ||
		    memcmp(got + TV_HDR_LEN, frame, sizeof(frame)))
			bad++;
		arrived++;
	}
	/*
	 * A frame reaches the peer inside tun_vring's sendmsg(); it is
	 * counted and its chain used only after that returns.  So the
	 * counters are read once every chain is back, not when the last
	 * frame arrived.
	 */
	while (done < sent && tv_wait_used(g, &g->tx, 1, 3000))
		done += reclaim(g);
	if (!tv_stats(g, &st))
		st = before;
	tap_ok(arrived == FULL_FRAMES && !bad && done == FULL_FRAMES &&
	       st.tx_packets - before.tx_packets == FULL_FRAMES,
	       "macvtap: once the peer reads, transmitting resumes by itself: %u of %u frames arrive, %u out of order or damaged (%u chains used, tx_packets %llu)",
	       arrived, FULL_FRAMES, bad, done,
	       (unsigned long long)(st.tx_packets - before.tx_packets));
}

static bool devices_up(uint8_t *mac0, uint8_t *mac1)
{
	if (tv_netdev_add("tvd0", "dummy", NULL, 0) ||
	    tv_netdev_up("tvd0", NULL) ||
	    tv_netdev_add("tvm0", "macvtap", "tvd0", MACVLAN_MODE_BRIDGE) ||
	    tv_netdev_add("tvm1", "macvtap", "tvd0", MACVLAN_MODE_BRIDGE) ||
	    tv_netdev_up("tvm0", mac0) || tv_netdev_up("tvm1", mac1)) {
		tap_diag("creating dummy + 2 macvtaps: %s", strerror(errno));
		return false;
	}
	return true;
}

void tv_group_macvtap(void)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	uint8_t mac0[6], mac1[6], frame[256], got[512], *buf;
	struct seg seg = { .len = 512, .writable = true };
	int peer = -1, queue = -1;
	struct tun_vring_stats st;
	struct tv_guest g;
	uint32_t id, len;
	size_t flen;
	ssize_t r;
	bool ok;

	if (!tap_ok(devices_up(mac0, mac1),
		    "macvtap: a dummy device with two macvtaps in bridge mode"))
		goto out;
	queue = macvtap_open("tvm0");
	peer = macvtap_open("tvm1");
	if (queue < 0 || peer < 0 || tv_guest_create(&g, 64, 0)) {
		tap_ok(false, "macvtap: open both queues and make the rings");
		goto out;
	}
	TAP_OK_CALL(tv_guest_attach(&g, queue, TUN_VRING_F_NUM_BUFFERS),
		    "macvtap: a macvtap queue fd binds like a tun fd");

	flen = build_raw(frame, mac1, mac0, 200, 41);
	tv_send(&g, &hdr, frame, flen);
	r = poll_one(peer, POLLIN, 3000) > 0 ? read(peer, got, sizeof(got)) : -1;
	tap_ok(r == (ssize_t)(TV_HDR_LEN + flen) &&
	       !memcmp(got + TV_HDR_LEN, frame, flen),
	       "macvtap: a frame the guest sends arrives on the other macvtap, exact");
	/*
	 * The peer can read the frame before tun_vring's sendmsg() has
	 * returned: the chain comes back used, and the frame is counted,
	 * only after.  Counting and full_send_buffer()'s bookkeeping start
	 * from here, so wait for it (a guest, too, knows a frame is gone only
	 * from the used ring).
	 */
	tap_ok(tv_wait_used(&g, &g.tx, 1, 3000) &&
	       driver_ring_get_used(&g.tx.driver, &id, &len) && id == 0 && len == 0 &&
	       !driver_ring_get_used(&g.tx.driver, &id, &len),
	       "macvtap: ... and its chain comes back used, once");

	buf = tv_alloc(&g, 512);
	seg.buf = buf;
	tv_post(&g, &g.rx, &seg, 1);
	flen = build_raw(frame, mac0, mac1, 200, 42);
	memcpy(got, &hdr, TV_HDR_LEN);
	memcpy(got + TV_HDR_LEN, frame, flen);
	if (write(peer, got, TV_HDR_LEN + flen) < 0)
		tap_diag("write to tvm1: %s", strerror(errno));
	tap_ok(tv_wait_used(&g, &g.rx, 1, 3000) &&
	       driver_ring_get_used(&g.rx.driver, &id, &len) &&
	       len == TV_HDR_LEN + flen && !memcmp(buf + TV_HDR_LEN, frame, flen),
	       "macvtap: a frame sent to the guest's macvtap lands in its rx buffer, exact");
	ok = tv_stats(&g, &st);
	tap_ok(ok && st.tx_packets == 1 && st.rx_packets == 1,
	       "macvtap: one frame counted each way (tx_packets %llu, rx_packets %llu)",
	       (unsigned long long)st.tx_packets,
	       (unsigned long long)st.rx_packets);
	full_send_buffer(&g, peer, mac0, mac1);
	tv_guest_destroy(&g);
out:
	if (queue >= 0)
		close(queue);
	if (peer >= 0)
		close(peer);
	tv_netdev_delete("tvm0");
	tv_netdev_delete("tvm1");
	tv_netdev_delete("tvd0");
	tap_ok(tv_module_refcnt("tun_vring") == 0 && !tv_netdev_exists("tvm0"),
	       "macvtap: closing releases the binding and the devices go away");
}
