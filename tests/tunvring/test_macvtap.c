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

static size_t build_raw(uint8_t *frame, const uint8_t *dst,
			const uint8_t *src, unsigned int seed)
{
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = ETHERTYPE_EXPERIMENTAL >> 8;
	frame[13] = ETHERTYPE_EXPERIMENTAL & 0xff;
	pattern_fill(frame + TV_ETH_LEN, 200, seed);
	return TV_ETH_LEN + 200;
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

	flen = build_raw(frame, mac1, mac0, 41);
	tv_send(&g, &hdr, frame, flen);
	r = poll_one(peer, POLLIN, 3000) > 0 ? read(peer, got, sizeof(got)) : -1;
	tap_ok(r == (ssize_t)(TV_HDR_LEN + flen) &&
	       !memcmp(got + TV_HDR_LEN, frame, flen),
	       "macvtap: a frame the guest sends arrives on the other macvtap, exact");

	buf = tv_alloc(&g, 512);
	seg.buf = buf;
	tv_post(&g, &g.rx, &seg, 1);
	flen = build_raw(frame, mac0, mac1, 42);
	memcpy(got, &hdr, TV_HDR_LEN);
	memcpy(got + TV_HDR_LEN, frame, flen);
	if (write(peer, got, TV_HDR_LEN + flen) < 0)
		tap_diag("write to tvm1: %s", strerror(errno));
	tap_ok(tv_wait_used(&g, &g.rx, 1, 3000) &&
	       ring_get_used(&g.rx, &id, &len) &&
	       len == TV_HDR_LEN + flen && !memcmp(buf + TV_HDR_LEN, frame, flen),
	       "macvtap: a frame sent to the guest's macvtap lands in its rx buffer, exact");
	tap_ok(tv_stats(&g, &st) && st.tx_packets == 1 && st.rx_packets == 1,
	       "macvtap: one frame counted each way");
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
