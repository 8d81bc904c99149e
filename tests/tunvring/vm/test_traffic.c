// SPDX-License-Identifier: GPL-2.0
/*
 * test_tun_vring: frames both ways.  tx: frames built here reach a UDP
 * socket on the host with the exact payload.  rx: datagrams the host sends
 * to the "guest" land in the rx buffers with a vnet header and the exact
 * bytes.  Plus mergeable buffers, checksum offload and a bulk run.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "tv.h"

#define FRAME_MAX	2048

/* At most the stack's DATA_VALID verdict: no NEEDS_CSUM, no GSO. */
static bool plain_header(const struct virtio_net_hdr_mrg_rxbuf *h)
{
	return !(h->hdr.flags & ~VIRTIO_NET_HDR_F_DATA_VALID) &&
	       h->hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE;
}

/* Copy a received chain (header + frame) out of its writable segments. */
static size_t gather(const struct seg *segs, unsigned int nsegs, size_t len,
		     uint8_t *out)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < nsegs && done < len; i++) {
		size_t n = segs[i].len < len - done ? segs[i].len : len - done;

		memcpy(out + done, segs[i].buf, n);
		done += n;
	}
	return done;
}

static void fill_payload(uint8_t *p, size_t len, unsigned int seed)
{
	pattern_fill(p, len, seed);
	if (len >= 4)
		memcpy(p, &seed, 4);
}

static bool setup(struct tv_net *n, struct tv_guest *g, unsigned int index,
		  unsigned int num, uint64_t features, uint32_t flags)
{
	if (tv_net_create(n, index) || tv_guest_create(g, num, features) ||
	    tv_guest_attach(g, n->tap_fd, flags)) {
		tap_ok(false, "set up a tap, two rings and a binding (%s)",
		       strerror(errno));
		return false;
	}
	return true;
}

/* One used entry: its id and length; false if none came in time. */
static bool take_used(struct tv_guest *g, struct test_ring *r, uint32_t *id,
		      uint32_t *len)
{
	return tv_wait_used(g, r, 1, 3000) && driver_ring_get_used(&r->driver, id, len);
}

void tv_group_tx(void)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	uint8_t payload[300], frame[FRAME_MAX], got[FRAME_MAX];
	struct tun_vring_stats st;
	struct seg segs[6];
	bool ok;
	uint64_t bytes = 0;
	struct tv_guest g;
	uint32_t id, len;
	struct tv_net n;
	size_t flen;
	long r;

	if (!setup(&n, &g, 3, 64, 0, 0))
		return;

	/* One descriptor: header and frame together. */
	fill_payload(payload, sizeof(payload), 1);
	flen = tv_build_frame(&n, frame, payload, sizeof(payload), true);
	tv_send(&g, &hdr, frame, flen);
	bytes += TV_HDR_LEN + flen;
	tap_ok(poll_one(g.tx_call, POLLIN, 3000) > 0,
	       "tx: the tx ring's call eventfd is signalled when the frame was taken");
	tap_ok(take_used(&g, &g.tx, &id, &len) && len == 0,
	       "tx: the chain comes back in the used ring with length 0");
	r = tv_host_recv(&n, got, sizeof(got), 3000);
	tap_ok(r == sizeof(payload) && !memcmp(got, payload, r),
	       "tx: a frame in one descriptor reaches the host's UDP socket with its exact %zu payload bytes",
	       sizeof(payload));

	/* The same kind of frame cut into six pieces, all over guest RAM. */
	fill_payload(payload, sizeof(payload), 2);
	flen = tv_build_frame(&n, frame, payload, sizeof(payload), true);
	{
		static const size_t cut[] = { TV_HDR_LEN, TV_ETH_LEN, 7, 30, 100 };
		size_t off = 0, i;

		memcpy(got, &hdr, TV_HDR_LEN);
		memcpy(got + TV_HDR_LEN, frame, flen);
		for (i = 0; i < 6; i++) {
			size_t piece = i < 5 ? cut[i] : TV_HDR_LEN + flen - off;

			tv_alloc(&g, 64);	/* gaps between the pieces */
			segs[i].buf = tv_alloc(&g, piece);
			segs[i].len = piece;
			segs[i].writable = false;
			memcpy(segs[i].buf, got + off, piece);
			off += piece;
		}
		tv_post(&g, &g.tx, segs, 6);
		bytes += TV_HDR_LEN + flen;
	}
	r = tv_host_recv(&n, got, sizeof(got), 3000);
	tap_ok(r == sizeof(payload) && !memcmp(got, payload, r),
	       "tx: a frame split over 6 descriptors (header alone, IPv4 header cut in two) arrives with the exact payload");
	tap_ok(take_used(&g, &g.tx, &id, &len) && len == 0,
	       "tx: the split chain comes back used");

	/*
	 * Checksum offload: the UDP checksum field holds only the pseudo-
	 * header sum, and VIRTIO_NET_HDR_F_NEEDS_CSUM asks the host to finish
	 * it.  Without the flag, the same bytes are a bad checksum.
	 */
	fill_payload(payload, sizeof(payload), 3);
	flen = tv_build_frame(&n, frame, payload, sizeof(payload), false);
	hdr.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr.hdr.csum_start = TV_ETH_LEN + TV_IP_LEN;
	hdr.hdr.csum_offset = 6;
	tv_send(&g, &hdr, frame, flen);
	bytes += TV_HDR_LEN + flen;
	r = tv_host_recv(&n, got, sizeof(got), 3000);
	tap_ok(r == sizeof(payload) && !memcmp(got, payload, r),
	       "tx: a frame with NEEDS_CSUM and a partial UDP checksum is accepted by the host with the exact payload");
	hdr = (struct virtio_net_hdr_mrg_rxbuf){ 0 };
	tv_send(&g, &hdr, frame, flen);
	bytes += TV_HDR_LEN + flen;
	r = tv_host_recv(&n, got, sizeof(got), 700);
	tap_ok(r < 0,
	       "tx: the same bytes without NEEDS_CSUM are dropped by the host (so the header was honoured)");
	tap_ok(tv_wait_used(&g, &g.tx, 2, 3000), "tx: both chains come back used");
	while (driver_ring_get_used(&g.tx.driver, &id, &len))
		;

	/* Chains that cannot be a frame: counted and returned, not sent. */
	{
		uint8_t *a = tv_alloc(&g, 128), *b = tv_alloc(&g, 128);
		struct seg bad[2] = {
			{ .buf = a, .len = 60, .writable = false },
			{ .buf = b, .len = 60, .writable = true },
		};
		struct seg empty = { .buf = a, .len = 0 };
		struct seg tiny = { .buf = a, .len = 6 };

		memcpy(a, &hdr, TV_HDR_LEN);
		tv_post(&g, &g.tx, bad, 2);
		tv_post(&g, &g.tx, &empty, 1);
		tv_post(&g, &g.tx, &tiny, 1);
	}
	tap_ok(tv_wait_used(&g, &g.tx, 3, 3000),
	       "tx: a chain with a writable buffer, an empty chain and a 6-byte chain all come back used");
	tv_wait_stat(&g, TV_STAT(tx_errors), 3, 1000);
	ok = tv_stats(&g, &st);
	tap_ok(ok && st.tx_errors == 3 && st.tx_malformed == 2 &&
	       st.tx_refused == 1,
	       "tx: ... and count as 3 tx_errors: 2 malformed, and the tap refused the one shorter than a vnet header (got %llu, %llu malformed, %llu refused)",
	       (unsigned long long)st.tx_errors,
	       (unsigned long long)st.tx_malformed,
	       (unsigned long long)st.tx_refused);
	tap_ok(!*tv_broken_reason(&g.tx),
	       "tx: ... without breaking the ring");
	tap_ok(tv_host_recv(&n, got, sizeof(got), 300) < 0,
	       "tx: ... and nothing reaches the host");
	while (driver_ring_get_used(&g.tx.driver, &id, &len))
		;

	fill_payload(payload, 60, 4);
	flen = tv_build_frame(&n, frame, payload, 60, true);
	tv_send(&g, &hdr, frame, flen);
	bytes += TV_HDR_LEN + flen;
	r = tv_host_recv(&n, got, sizeof(got), 3000);
	tap_ok(r == 60 && !memcmp(got, payload, 60),
	       "tx: a good frame after the bad ones still arrives");
	tv_wait_used(&g, &g.tx, 1, 3000);
	ok = tv_stats(&g, &st);
	tap_ok(ok && st.tx_packets == 5 && st.tx_bytes == bytes,
	       "tx: tx_packets 5 and tx_bytes %llu count what the tap accepted (got %llu, %llu)",
	       (unsigned long long)bytes, (unsigned long long)st.tx_packets,
	       (unsigned long long)st.tx_bytes);
	tap_ok(arena_guards_intact(&g.ram),
	       "tx: nothing was written outside guest RAM");
	tv_guest_destroy(&g);
	tv_net_close(&n);
}

/* Post one writable buffer of len bytes (filled with 0xee); its head. */
static uint16_t post_rx(struct tv_guest *g, void *buf, size_t len)
{
	struct seg seg = { .buf = buf, .len = len, .writable = true };
	uint16_t head = g->rx.driver.next_desc;

	memset(buf, 0xee, len);
	tv_post(g, &g->rx, &seg, 1);
	return head;
}

/* Check a received chain: used length, header, frame bytes. */
static bool rx_frame_ok(const struct tv_net *n, const uint8_t *data,
			uint32_t len, const uint8_t *payload, size_t plen,
			bool num_buffers_one)
{
	const struct virtio_net_hdr_mrg_rxbuf *h = (const void *)data;

	if (len != TV_HDR_LEN + TV_HEADERS + plen) {
		tap_diag("used length %u, expected %zu", len,
			 TV_HDR_LEN + TV_HEADERS + plen);
		return false;
	}
	if (!plain_header(h)) {
		tap_diag("vnet header flags 0x%x gso_type 0x%x", h->hdr.flags,
			 h->hdr.gso_type);
		return false;
	}
	if (num_buffers_one && h->num_buffers != 1) {
		tap_diag("num_buffers %u, expected 1", h->num_buffers);
		return false;
	}
	return tv_check_frame(n, data + TV_HDR_LEN, len - TV_HDR_LEN, payload,
			      plen, false);
}

void tv_group_rx(void)
{
	uint8_t payload[1400], flat[FRAME_MAX];
	struct tun_vring_stats st;
	uint64_t bytes = 0;
	struct seg segs[3];
	bool ok;
	uint16_t head;
	struct tv_guest g;
	uint32_t id, len;
	struct tv_net n;
	uint8_t *buf;

	if (!setup(&n, &g, 4, 64, 0, TUN_VRING_F_NUM_BUFFERS))
		return;

	buf = tv_alloc(&g, FRAME_MAX);
	head = post_rx(&g, buf, FRAME_MAX);
	fill_payload(payload, 100, 11);
	tv_host_send(&n, payload, 100);
	tap_ok(poll_one(g.rx_call, POLLIN, 3000) > 0,
	       "rx: the rx ring's call eventfd is signalled when a frame arrived");
	tap_ok(take_used(&g, &g.rx, &id, &len) && id == head &&
	       rx_frame_ok(&n, buf, len, payload, 100, true),
	       "rx: a UDP datagram from the host arrives in the posted buffer: vnet header, MACs, IPv4, UDP, exact payload, num_buffers 1");
	bytes += len;

	/* A buffer in three pieces: the header alone, 30 bytes, the rest. */
	segs[0] = (struct seg){ tv_alloc(&g, TV_HDR_LEN), TV_HDR_LEN, true };
	segs[1] = (struct seg){ tv_alloc(&g, 30), 30, true };
	segs[2] = (struct seg){ tv_alloc(&g, 1600), 1600, true };
	memset(segs[2].buf, 0xee, 1600);
	head = g.rx.driver.next_desc;
	tv_post(&g, &g.rx, segs, 3);
	fill_payload(payload, 700, 12);
	tv_host_send(&n, payload, 700);
	tap_ok(take_used(&g, &g.rx, &id, &len) && id == head &&
	       gather(segs, 3, len, flat) == len &&
	       rx_frame_ok(&n, flat, len, payload, 700, true),
	       "rx: a frame spread over a 3-descriptor buffer reassembles to the exact bytes");
	bytes += len;

	/* Too big for the only buffer: dropped, and the buffer survives. */
	buf = tv_alloc(&g, TV_HDR_LEN + 100);
	head = post_rx(&g, buf, TV_HDR_LEN + 100);
	fill_payload(payload, 400, 13);
	tv_host_send(&n, payload, 400);
	tap_ok(tv_wait_stat(&g, TV_STAT(rx_dropped), 1, 3000),
	       "rx: a frame larger than the posted buffer counts in rx_dropped");
	usleep(100 * 1000);
	tap_ok(driver_ring_used_idx(&g.rx.driver) == g.rx.driver.last_used,
	       "rx: ... and the buffer is not used");
	fill_payload(payload, 40, 14);
	tv_host_send(&n, payload, 40);
	tap_ok(take_used(&g, &g.rx, &id, &len) && id == head &&
	       rx_frame_ok(&n, buf, len, payload, 40, true),
	       "rx: the next frame that fits lands in that same buffer, exact");
	bytes += len;

	/* No buffer at all: the frame waits for the guest's next kick. */
	fill_payload(payload, 200, 15);
	tv_host_send(&n, payload, 200);
	tap_ok(tv_wait_stat(&g, TV_STAT(rx_no_buffers), 1, 3000),
	       "rx: a frame with no buffer posted counts in rx_no_buffers");
	buf = tv_alloc(&g, FRAME_MAX);
	head = post_rx(&g, buf, FRAME_MAX);
	tap_ok(take_used(&g, &g.rx, &id, &len) && id == head &&
	       rx_frame_ok(&n, buf, len, payload, 200, true),
	       "rx: posting a buffer and kicking delivers the waiting frame, exact");
	bytes += len;

	ok = tv_stats(&g, &st);
	tap_ok(ok && st.rx_packets == 4 && st.rx_bytes == bytes &&
	       st.rx_dropped == 1 && st.rx_too_big == 1 && st.rx_refused == 0,
	       "rx: rx_packets 4, rx_bytes %llu, rx_dropped 1, of it rx_too_big 1 (got %llu, %llu, %llu, %llu, refused %llu)",
	       (unsigned long long)bytes, (unsigned long long)st.rx_packets,
	       (unsigned long long)st.rx_bytes,
	       (unsigned long long)st.rx_dropped,
	       (unsigned long long)st.rx_too_big,
	       (unsigned long long)st.rx_refused);
	tap_ok(arena_guards_intact(&g.ram),
	       "rx: nothing was written outside guest RAM");

	/*
	 * A buffer smaller than the vnet header itself: the tap will not
	 * write a frame into it (EINVAL), so the frame is dropped as one the
	 * tap refused, and the buffer is not used.
	 */
	buf = tv_alloc(&g, 6);
	post_rx(&g, buf, 6);
	fill_payload(payload, 60, 16);
	tv_host_send(&n, payload, 60);
	ok = tv_wait_stat(&g, TV_STAT(rx_refused), 1, 3000) && tv_stats(&g, &st);
	tap_ok(ok && st.rx_refused == 1 && st.rx_dropped == 2 &&
	       st.rx_too_big == 1 && st.rx_packets == 4 &&
	       driver_ring_used_idx(&g.rx.driver) == g.rx.driver.last_used,
	       "rx: a frame for a 6-byte buffer is dropped as refused by the tap, the buffer unused (refused %llu, dropped %llu)",
	       (unsigned long long)st.rx_refused,
	       (unsigned long long)st.rx_dropped);
	tv_guest_destroy(&g);
	tv_net_close(&n);
}

/* Take `count` used entries of mergeable buffers and glue them together. */
static bool take_merged(struct tv_guest *g, uint8_t *const *bufs,
			unsigned int count, uint8_t *out, size_t *total)
{
	uint32_t id, len;
	unsigned int i;

	*total = 0;
	if (!tv_wait_used(g, &g->rx, count, 3000))
		return false;
	for (i = 0; i < count; i++) {
		if (!driver_ring_get_used(&g->rx.driver, &id, &len) || id >= g->rx.num)
			return false;
		memcpy(out + *total, bufs[id], len);
		*total += len;
	}
	return true;
}

void tv_group_mrg(void)
{
	uint8_t payload[1000], flat[FRAME_MAX * 2], *bufs[64] = { 0 };
	const struct virtio_net_hdr_mrg_rxbuf *h = (const void *)flat;
	struct tv_guest g;
	struct tv_net n;
	size_t total;
	unsigned int i;

	if (!setup(&n, &g, 5, 64, 1ULL << VRINGFD_F_EVENT_IDX,
		   TUN_VRING_F_MRG_RXBUF))
		return;

	/* Sixteen 256-byte buffers, one descriptor each. */
	for (i = 0; i < 16; i++) {
		uint16_t d = g.rx.driver.next_desc;

		bufs[d] = tv_alloc(&g, 256);
		post_rx(&g, bufs[d], 256);
	}
	fill_payload(payload, 1000, 21);
	tv_host_send(&n, payload, 1000);
	tap_ok(take_merged(&g, bufs, 5, flat, &total),
	       "mrg: a %d-byte frame takes 5 of the 256-byte buffers",
	       TV_HDR_LEN + TV_HEADERS + 1000);
	tap_ok(h->num_buffers == 5 &&
	       rx_frame_ok(&n, flat, total, payload, 1000, false),
	       "mrg: num_buffers is 5 and the pieces glue back into the exact frame (num_buffers %u)",
	       h->num_buffers);
	tap_ok(driver_ring_used_idx(&g.rx.driver) == g.rx.driver.last_used,
	       "mrg: no buffer beyond those 5 was used");

	fill_payload(payload, 50, 22);
	tv_host_send(&n, payload, 50);
	tap_ok(take_merged(&g, bufs, 1, flat, &total) && h->num_buffers == 1 &&
	       rx_frame_ok(&n, flat, total, payload, 50, false),
	       "mrg: a small frame takes one buffer, num_buffers 1, exact bytes");

	/*
	 * 10 buffers are left; use up 8 with small frames, so that the next
	 * big frame finds only 2 and must wait for the guest to post more.
	 */
	for (i = 0; i < 8; i++) {
		tv_host_send(&n, payload, 50);
		take_merged(&g, bufs, 1, flat, &total);
	}
	fill_payload(payload, 1000, 23);
	tv_host_send(&n, payload, 1000);
	tap_ok(tv_wait_stat(&g, TV_STAT(rx_no_buffers), 1, 3000) &&
	       driver_ring_used_idx(&g.rx.driver) == g.rx.driver.last_used,
	       "mrg: a frame needing 5 buffers with only 2 posted waits (rx_no_buffers) and uses none");
	for (i = 0; i < 3; i++) {
		uint16_t d = g.rx.driver.next_desc;

		bufs[d] = tv_alloc(&g, 256);
		post_rx(&g, bufs[d], 256);
	}
	tap_ok(take_merged(&g, bufs, 5, flat, &total) && h->num_buffers == 5 &&
	       rx_frame_ok(&n, flat, total, payload, 1000, false),
	       "mrg: after 3 more buffers and a kick it arrives over 5 buffers, exact");
	tv_guest_destroy(&g);
	tv_net_close(&n);
}

void tv_group_offload(void)
{
	uint8_t payload[500], *buf;
	const struct virtio_net_hdr_mrg_rxbuf *h;
	struct tv_guest g;
	uint32_t id, len;
	struct tv_net n;

	if (tv_net_create(&n, 6) || tv_guest_create(&g, 64, 0)) {
		tap_ok(false, "offload: set up");
		return;
	}
	/* What the launcher does when the guest takes VIRTIO_NET_F_GUEST_CSUM. */
	TAP_OK_CALL(ioctl(n.tap_fd, TUNSETOFFLOAD, TUN_F_CSUM),
		    "offload: TUNSETOFFLOAD(TUN_F_CSUM) on the tap");
	TAP_OK_CALL(tv_guest_attach(&g, n.tap_fd, 0), "offload: attach");
	buf = tv_alloc(&g, FRAME_MAX);
	h = (const void *)buf;
	post_rx(&g, buf, FRAME_MAX);
	fill_payload(payload, sizeof(payload), 31);
	tv_host_send(&n, payload, sizeof(payload));
	tap_ok(take_used(&g, &g.rx, &id, &len) &&
	       len == TV_HDR_LEN + TV_HEADERS + sizeof(payload),
	       "offload: the host's datagram arrives");
	tap_ok(h->hdr.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
	       h->hdr.csum_start == TV_ETH_LEN + TV_IP_LEN &&
	       h->hdr.csum_offset == 6,
	       "offload: its vnet header says NEEDS_CSUM at the UDP checksum (flags %u start %u offset %u)",
	       h->hdr.flags, h->hdr.csum_start, h->hdr.csum_offset);
	tap_ok(tv_check_frame(&n, buf + TV_HDR_LEN, len - TV_HDR_LEN, payload,
			      sizeof(payload), true),
	       "offload: the frame is exact, its UDP checksum left partial for the guest");
	tv_guest_destroy(&g);
	tv_net_close(&n);
}

#define BULK_FRAMES	3000
#define BULK_WINDOW	64

static size_t bulk_len(unsigned int seq)
{
	return 64 + (seq * 37) % 1300;
}

static unsigned int bulk_tx(struct tv_net *n, struct tv_guest *g)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	static uint8_t payload[FRAME_MAX], frame[FRAME_MAX], got[FRAME_MAX];
	unsigned int seq = 0, good = 0, i, want;
	uint32_t id, len;

	while (seq < BULK_FRAMES) {
		want = BULK_FRAMES - seq < BULK_WINDOW ? BULK_FRAMES - seq :
							  BULK_WINDOW;
		for (i = 0; i < want; i++) {
			size_t plen = bulk_len(seq + i), flen;

			fill_payload(payload, plen, seq + i);
			flen = tv_build_frame(n, frame, payload, plen, true);
			tv_send(g, &hdr, frame, flen);
		}
		for (i = 0; i < want; i++) {
			size_t plen = bulk_len(seq + i);
			long r = tv_host_recv(n, got, sizeof(got), 3000);

			fill_payload(payload, plen, seq + i);
			if (r == (long)plen && !memcmp(got, payload, plen))
				good++;
			else if (r < 0)
				break;
		}
		if (!tv_wait_used(g, &g->tx, want, 3000))
			break;
		while (driver_ring_get_used(&g->tx.driver, &id, &len))
			;
		seq += want;
	}
	return good;
}

static unsigned int bulk_rx(struct tv_net *n, struct tv_guest *g)
{
	static uint8_t payload[FRAME_MAX];
	unsigned int seq = 0, good = 0, i, want;
	uint8_t *slots = tv_alloc(g, (size_t)g->rx.num * FRAME_MAX);
	uint32_t id, len;

	if (!slots)
		return 0;
	for (i = 0; i < g->rx.num; i++)
		post_rx(g, slots + (size_t)g->rx.driver.next_desc * FRAME_MAX,
			FRAME_MAX);
	while (seq < BULK_FRAMES) {
		want = BULK_FRAMES - seq < BULK_WINDOW ? BULK_FRAMES - seq :
							  BULK_WINDOW;
		for (i = 0; i < want; i++) {
			fill_payload(payload, bulk_len(seq + i), seq + i);
			tv_host_send(n, payload, bulk_len(seq + i));
		}
		if (!tv_wait_used(g, &g->rx, want, 5000))
			break;
		for (i = 0; i < want; i++) {
			uint8_t *buf;

			if (!driver_ring_get_used(&g->rx.driver, &id, &len) || id >= g->rx.num)
				break;
			buf = slots + (size_t)id * FRAME_MAX;
			fill_payload(payload, bulk_len(seq + i), seq + i);
			if (rx_frame_ok(n, buf, len, payload, bulk_len(seq + i),
					true))
				good++;
			post_rx(g, slots + (size_t)g->rx.driver.next_desc * FRAME_MAX,
				FRAME_MAX);
		}
		seq += want;
	}
	return good;
}

void tv_group_bulk(void)
{
	struct tun_vring_stats st;
	struct tv_guest g;
	struct tv_net n;
	unsigned int good;
	bool ok;
	double t;

	if (!setup(&n, &g, 7, 256, 1ULL << VRINGFD_F_EVENT_IDX,
		   TUN_VRING_F_NUM_BUFFERS))
		return;
	t = now_ms();
	good = bulk_tx(&n, &g);
	tap_diag("tx: %u frames in %.0f ms", good, now_ms() - t);
	tap_ok(good == BULK_FRAMES,
	       "bulk: %d guest frames of 64..1363 payload bytes reach the host, every byte right (EVENT_IDX rings; %u did)",
	       BULK_FRAMES, good);
	t = now_ms();
	good = bulk_rx(&n, &g);
	tap_diag("rx: %u frames in %.0f ms", good, now_ms() - t);
	tap_ok(good == BULK_FRAMES,
	       "bulk: %d host datagrams reach the guest's buffers in order, every byte right (%u did)",
	       BULK_FRAMES, good);
	ok = tv_stats(&g, &st);
	tap_ok(ok && st.tx_packets == BULK_FRAMES &&
	       st.rx_packets == BULK_FRAMES && !st.tx_errors && !st.rx_dropped,
	       "bulk: counters agree: tx_packets %llu, rx_packets %llu, no errors or drops",
	       (unsigned long long)st.tx_packets,
	       (unsigned long long)st.rx_packets);
	tap_diag("worker runs: rx %llu, tx %llu; rx_no_buffers %llu; kicks sent %lu, suppressed %lu",
		 (unsigned long long)st.rx_runs, (unsigned long long)st.tx_runs,
		 (unsigned long long)st.rx_no_buffers, g.kicks, g.kicks_saved);
	tap_ok(arena_guards_intact(&g.ram),
	       "bulk: nothing was written outside guest RAM");
	tv_guest_destroy(&g);
	tv_net_close(&n);
}

/* Wait until the rx ring has `count` used entries in all; false on timeout. */
static bool rx_used_reach(struct tv_guest *g, uint16_t count, int timeout_ms)
{
	double end = now_ms() + timeout_ms;

	while ((uint16_t)(driver_ring_used_idx(&g->rx.driver) -
			  g->rx.driver.last_used) < count) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * Receive interrupt moderation (TUN_VRING_SET_RX_COALESCE).  Without a
 * gap, frames that come 5 ms apart get a signal each.  With a gap of a
 * second, the first frame after a quiet spell is signalled at once; the
 * nine that follow land in the ring at once too, but share one signal,
 * which comes when the gap has passed.  Setting 0 again: at once.
 */
void tv_group_coalesce(void)
{
	uint8_t payload[200], *buf;
	struct tv_guest g;
	struct tv_net n;
	unsigned int i;
	double t0, elapsed;
	uint64_t calls;
	bool ok;

	if (!setup(&n, &g, 15, 64, 0, TUN_VRING_F_NUM_BUFFERS))
		return;
	TAP_ERRNO(ioctl(g.binding, TUN_VRING_SET_RX_COALESCE,
			TUN_VRING_MAX_RX_COALESCE_USECS + 1), EINVAL,
		  "coalesce: a gap above TUN_VRING_MAX_RX_COALESCE_USECS: EINVAL");
	for (i = 0; i < 20; i++) {
		buf = tv_alloc(&g, FRAME_MAX);
		post_rx(&g, buf, FRAME_MAX);
	}
	eventfd_take(g.rx_call);

	for (i = 0; i < 5; i++) {
		fill_payload(payload, sizeof(payload), 20 + i);
		tv_host_send(&n, payload, sizeof(payload));
		rx_used_reach(&g, i + 1, 3000);
		usleep(5000);
	}
	calls = eventfd_take(g.rx_call);
	tap_ok(rx_used_reach(&g, 5, 0) && calls == 5,
	       "coalesce: none set: 5 frames 5 ms apart, 5 signals (%llu)",
	       (unsigned long long)calls);

	TAP_OK_CALL(ioctl(g.binding, TUN_VRING_SET_RX_COALESCE, 1000000UL),
		    "coalesce: a gap of one second");
	usleep(1100 * 1000);	/* quiet for longer than the gap */
	t0 = now_ms();
	tv_host_send(&n, payload, sizeof(payload));
	tap_ok(poll_one(g.rx_call, POLLIN, 500) > 0 && rx_used_reach(&g, 6, 0),
	       "coalesce: the first frame after a quiet spell is signalled at once");
	eventfd_take(g.rx_call);
	for (i = 0; i < 9; i++) {
		tv_host_send(&n, payload, sizeof(payload));
		usleep(2000);
	}
	ok = rx_used_reach(&g, 15, 500);
	elapsed = now_ms() - t0;
	tap_ok(ok && elapsed < 800 && !eventfd_take(g.rx_call),
	       "coalesce: 9 more frames at once are in the ring, not yet signalled (%.0f ms after the first)",
	       elapsed);
	ok = poll_one(g.rx_call, POLLIN, 2000) > 0;
	elapsed = now_ms() - t0;
	calls = eventfd_take(g.rx_call);
	tap_ok(ok && calls == 1 && elapsed >= 900,
	       "coalesce: ... they share one signal (%llu), a gap after the first (%.0f ms)",
	       (unsigned long long)calls, elapsed);

	TAP_OK_CALL(ioctl(g.binding, TUN_VRING_SET_RX_COALESCE, 0UL),
		    "coalesce: back to none");
	tv_host_send(&n, payload, sizeof(payload));
	tap_ok(poll_one(g.rx_call, POLLIN, 500) > 0 && rx_used_reach(&g, 16, 0),
	       "coalesce: and the next frame is signalled at once again");

	/*
	 * What the counters say of it: the rx ring (VRINGGETSTATS) used 16
	 * buffers and signalled 8 times, as the call eventfd counted (5, 1,
	 * the shared 1, 1), none turned down by the driver; tun_vring held
	 * at least one signal back for the timer.
	 */
	{
		struct vring_stats rs;
		struct tun_vring_stats ts;

		ok = ioctl(g.rx.fd, VRINGGETSTATS, &rs) == 0 && tv_stats(&g, &ts);
		tap_ok(ok && rs.used == 16 && rs.signals == 8 &&
		       rs.suppressed == 0 && ts.rx_coalesced >= 1 &&
		       ts.rx_coalesced <= 9,
		       "coalesce: the rx ring counted 16 used and 8 signals, tun_vring 1 to 9 held back (%llu, %llu, suppressed %llu; held %llu)",
		       (unsigned long long)rs.used,
		       (unsigned long long)rs.signals,
		       (unsigned long long)rs.suppressed,
		       (unsigned long long)ts.rx_coalesced);
	}
	tv_guest_destroy(&g);
	tv_net_close(&n);
}

/* Send one small frame with seed s; true if it reaches the host exact. */
static bool busy_send(struct tv_guest *g, struct tv_net *n, unsigned int s)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	uint8_t payload[100], frame[FRAME_MAX], got[FRAME_MAX];
	size_t flen;
	long r;

	fill_payload(payload, sizeof(payload), s);
	flen = tv_build_frame(n, frame, payload, sizeof(payload), true);
	tv_send(g, &hdr, frame, flen);
	r = tv_host_recv(n, got, sizeof(got), 3000);
	return r == sizeof(payload) && !memcmp(got, payload, r) &&
	       tv_wait_used(g, &g->tx, 1, 3000);
}

/*
 * Busy-polling (TUN_VRING_SET_BUSY_POLL, N:125).  Without it the
 * transmit loop asks for kicks as soon as the ring is dry, so a frame
 * sent a moment after the last one costs a kick.  With it, the loop
 * keeps kicks off and watches the ring: the next frame within the time
 * goes out with no kick at all, and busy_poll_hits counts it.
 */
void tv_group_busy_poll(void)
{
	struct vring_stats before, after;
	struct tun_vring_stats st;
	unsigned long kicks, saved;
	struct tv_guest g;
	struct tv_net n;
	uint32_t id, len;
	bool ok;

	if (!setup(&n, &g, 17, 64, 0, 0))
		return;
	TAP_ERRNO(ioctl(g.binding, TUN_VRING_SET_BUSY_POLL,
			TUN_VRING_MAX_BUSY_POLL_USECS + 1), EINVAL,
		  "busy-poll: more than TUN_VRING_MAX_BUSY_POLL_USECS: EINVAL");

	tap_ok(busy_send(&g, &n, 40), "busy-poll: off, a first frame goes out");
	driver_ring_get_used(&g.tx.driver, &id, &len);
	usleep(100 * 1000);		/* the loop has long gone idle */
	kicks = g.kicks;
	ok = busy_send(&g, &n, 41);
	kicks = g.kicks - kicks;
	tap_ok(ok && kicks == 1,
	       "busy-poll: off, the next frame 100 ms later needs a kick (%lu)",
	       kicks);
	driver_ring_get_used(&g.tx.driver, &id, &len);

	TAP_OK_CALL(ioctl(g.binding, TUN_VRING_SET_BUSY_POLL,
			  TUN_VRING_MAX_BUSY_POLL_USECS),
		    "busy-poll: one second");
	tap_ok(busy_send(&g, &n, 42), "busy-poll: on, a frame goes out");
	driver_ring_get_used(&g.tx.driver, &id, &len);
	ioctl(g.tx.fd, VRINGGETSTATS, &before);
	kicks = g.kicks;
	saved = g.kicks_saved;
	/* The loop is still watching: the device asked for no kick. */
	ok = busy_send(&g, &n, 43);
	ioctl(g.tx.fd, VRINGGETSTATS, &after);
	kicks = g.kicks - kicks;
	saved = g.kicks_saved - saved;
	tap_ok(ok && kicks == 0 && saved == 1 && after.kicks == before.kicks,
	       "busy-poll: on, the next frame goes out with no kick (kicks +%lu, saved +%lu, the ring took +%llu)",
	       kicks, saved, (unsigned long long)(after.kicks - before.kicks));
	ok = tv_stats(&g, &st);
	tap_ok(ok && st.busy_poll_hits >= 1,
	       "busy-poll: ... and busy_poll_hits counts it (%llu)",
	       (unsigned long long)st.busy_poll_hits);

	/*
	 * A kick by write() runs the loop in the owner's own thread (the
	 * launcher's vCPU, mid-exit): that one must not poll.
	 */
	usleep(1100 * 1000);	/* the worker's poll has ended */
	{
		struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
		uint8_t payload[100], frame[FRAME_MAX], got[FRAME_MAX];
		struct seg seg;
		double t0;
		size_t flen;
		long r;

		fill_payload(payload, sizeof(payload), 45);
		flen = tv_build_frame(&n, frame, payload, sizeof(payload), true);
		seg.buf = tv_alloc(&g, TV_HDR_LEN + flen);
		seg.len = TV_HDR_LEN + flen;
		seg.writable = false;
		memcpy(seg.buf, &hdr, TV_HDR_LEN);
		memcpy((uint8_t *)seg.buf + TV_HDR_LEN, frame, flen);
		ring_add_chain(&g.tx, &seg, 1);
		driver_ring_publish(&g.tx.driver);
		t0 = now_ms();
		ok = write(g.tx.fd, "", 0) == 0;
		t0 = now_ms() - t0;
		r = tv_host_recv(&n, got, sizeof(got), 3000);
		tap_ok(ok && t0 < 500 && r == sizeof(payload) &&
		       !memcmp(got, payload, r),
		       "busy-poll: a write() kick sends the frame and returns without polling (%.0f ms)",
		       t0);
		tv_wait_used(&g, &g.tx, 1, 3000);
		driver_ring_get_used(&g.tx.driver, &id, &len);
	}

	TAP_OK_CALL(ioctl(g.binding, TUN_VRING_SET_BUSY_POLL, 0UL),
		    "busy-poll: back to none");
	usleep(1100 * 1000);	/* any poll in progress has ended */
	kicks = g.kicks;
	ok = busy_send(&g, &n, 44);
	kicks = g.kicks - kicks;
	tap_ok(ok && kicks == 1,
	       "busy-poll: off again, a frame needs its kick (%lu)", kicks);
	tv_guest_destroy(&g);
	tv_net_close(&n);
}
