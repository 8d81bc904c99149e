// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net on the copy backend, driven as Linux's virtio_net driver
 * drives it.  Each queue pair's tap is a fake: one end of a SOCK_SEQPACKET
 * socket pair, so that one writev() is one datagram just as one write to
 * a tap is one frame.  The device gets that end; the test keeps the other
 * and plays the network: it sees exactly the bytes a tap would have got,
 * and hands the device frames "from the wire".  The TUN ioctls the device
 * makes on its taps are answered here too (see ioctl() below), so the
 * tests can tell which tap queues it attached and detached.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

/* The first virtio device created gets the first line, 5. */
#define NET_IRQ		5
/* struct virtio_net_hdr_v1: what goes in front of every frame. */
#define HDR_SIZE	12
/* Bytes 10-11 of it: num_buffers, which the device fills in on receive. */
#define NUM_BUFFERS_AT	10
/* What an answer byte holds until the device writes it. */
#define NO_ACK		0xee
/* A filler the device's writes must replace (or must leave alone). */
#define UNTOUCHED	0xaa
/* A receive buffer for a whole frame: header and a 1514-byte frame. */
#define RX_BUF_SIZE	(HDR_SIZE + 1514)
#define RX(pair)	(2 * (pair))
#define TX(pair)	(2 * (pair) + 1)
#define BIT(feature)	(1ULL << (feature))
/*
 * All the device offers but EVENT_IDX: without it every used buffer asks
 * for an interrupt, so each check can expect one.
 */
#define WANTED		(~BIT(VIRTIO_RING_F_EVENT_IDX))

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x6c, 0x67, 0x01 };

/* --- fake taps ------------------------------------------------------ */

struct fake_tap {
	int fd;		/* the device's end: its "tap queue file" */
	int peer;	/* ours: the network's side */
	bool attached;
	unsigned int attaches, detaches;
	/* TUNSETQUEUE calls tun would have refused (EINVAL). */
	unsigned int refused;
	long offloads;	/* the last TUNSETOFFLOAD, -1 before any */
};

static struct fake_tap taps[LGUEST_NET_MAX_PAIRS];
static unsigned int tap_count;

static struct fake_tap *tap_of(int fd)
{
	for (unsigned int i = 0; i < tap_count; i++)
		if (taps[i].fd == fd)
			return &taps[i];
	return NULL;
}

/*
 * Our ends are ours to close; the device's ends are the device's once it
 * was created (virtio_net_create_mq() takes them), and before that ours.
 * Also called at the next setup, for a test that ended in die().
 */
static void forget_taps(bool device_ends_too)
{
	for (unsigned int i = 0; i < tap_count; i++) {
		close(taps[i].peer);
		if (device_ends_too)
			close(taps[i].fd);
	}
	tap_count = 0;
}

/*
 * tun's rules for TUNSETQUEUE: attaching a queue that is attached, or
 * detaching one that isn't, is EINVAL.  A freshly opened multiqueue tap
 * file is attached, which is what the device assumes at creation.
 */
static int tap_set_queue(struct fake_tap *tap, const struct ifreq *ifr)
{
	bool attach = ifr->ifr_flags & IFF_ATTACH_QUEUE;

	if (!(ifr->ifr_flags & (IFF_ATTACH_QUEUE | IFF_DETACH_QUEUE)) ||
	    attach == tap->attached) {
		tap->refused++;
		errno = EINVAL;
		return -1;
	}
	tap->attached = attach;
	if (attach)
		tap->attaches++;
	else
		tap->detaches++;
	return 0;
}

/*
 * A socket answers the TUN ioctls with ENOTTY, and the device, seeing
 * TUNSETQUEUE fail, would go on believing every queue attached.  So this
 * program has its own ioctl(), which the device's calls reach instead of
 * libc's: on a fake tap it does what tun does with the two requests the
 * copy backend makes, and records them; other fds go to the kernel.
 * (Every ioctl argument is passed as one pointer-sized word; TUNSETOFFLOAD's
 * is an unsigned int, which is all we keep of it.)
 */
int ioctl(int fd, unsigned long request, ...)
{
	struct fake_tap *tap = tap_of(fd);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!tap)
		return (int)syscall(SYS_ioctl, fd, request, arg);
	switch (request) {
	case TUNSETQUEUE:
		return tap_set_queue(tap, arg);
	case TUNSETOFFLOAD:
		tap->offloads = (unsigned int)(uintptr_t)arg;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

/* --- the fixture ---------------------------------------------------- */

struct net_fixture {
	struct test_driver drv;
	unsigned int pairs;
	/* irq_pulses[NET_IRQ] when we last looked. */
	unsigned int irqs_seen;
	/* One page for control commands: header, data, answer. */
	uint64_t ctrl_gpa;
	/* The control queue: 2N, or 2 when the driver took no MQ. */
	unsigned int ctrl;
};

static unsigned int queue_count(unsigned int pairs)
{
	return pairs > 1 ? 2 * pairs + 1 : 2;
}

static unsigned int ctrl_queue(const struct net_fixture *f)
{
	return f->ctrl;
}

/* A card with pairs fake taps, not yet probed. */
static bool net_create(struct net_fixture *f, unsigned int pairs)
{
	int fds[LGUEST_NET_MAX_PAIRS], sv[2];

	forget_taps(false);
	memset(f, 0, sizeof(*f));
	f->pairs = pairs;
	f->ctrl = 2 * pairs;
	for (unsigned int k = 0; k < pairs; k++) {
		if (!CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
					0, sv))) {
			forget_taps(true);
			return false;
		}
		taps[tap_count++] = (struct fake_tap){
			.fd = sv[0], .peer = sv[1], .attached = true,
			.offloads = -1 };
		fds[k] = sv[0];
	}
	virtio_net_create_mq(&test_mem, fds, pairs, test_mac, NET_BACKEND_COPY);
	f->ctrl_gpa = guest_alloc(4096);
	return true;
}

/* ... and probed, every queue set up, as Linux's driver does. */
static bool net_setup(struct net_fixture *f, unsigned int pairs)
{
	return net_create(f, pairs) &&
	       CHECK(driver_probe(&f->drv, &fake_windows[0], WANTED,
				   queue_count(pairs)));
}

/* The device closes its ends; then ours go. */
static void net_teardown(void)
{
	virtio_destroy_all();
	forget_taps(false);
}

/* Did the device interrupt since we last looked?  Ack, as the handler does. */
static bool interrupted(struct net_fixture *f)
{
	uint32_t status = mmio_read32(f->drv.win, VIRTIO_MMIO_INTERRUPT_STATUS);
	bool pulsed = irq_pulses[NET_IRQ] != f->irqs_seen;

	f->irqs_seen = irq_pulses[NET_IRQ];
	mmio_write32(f->drv.win, VIRTIO_MMIO_INTERRUPT_ACK, status);
	return pulsed && (status & VIRTIO_MMIO_INT_VRING);
}

static bool needs_reset(struct net_fixture *f)
{
	return mmio_read32(f->drv.win, VIRTIO_MMIO_STATUS) &
	       VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* Config space as Linux's virtio_mmio reads it: at the field's width. */
static void config_read(struct net_fixture *f, size_t offset, void *buf,
			unsigned int len)
{
	f->drv.win->ops->read(f->drv.win->opaque, 0x100 + offset, buf, len);
}

static uint16_t config16(struct net_fixture *f, size_t offset)
{
	uint16_t value = 0xffff;

	config_read(f, offset, &value, 2);
	return value;
}

/*
 * A vnet header asking for a checksum to be finished (so it isn't all
 * zeroes), then an Ethernet frame whose payload depends on seed: frames
 * of different pairs and tests differ, and a misplaced one shows.
 */
static void make_packet(uint8_t *pkt, size_t len, uint8_t seed)
{
	static const uint8_t hdr[HDR_SIZE] = {
		VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE,
		0, 0, 0, 0, 34, 0, 16, 0, 0, 0 };

	memcpy(pkt, hdr, HDR_SIZE);
	memset(pkt + HDR_SIZE, 0xff, 6);
	memcpy(pkt + HDR_SIZE + 6, test_mac, 6);
	pkt[HDR_SIZE + 12] = 0x08;
	pkt[HDR_SIZE + 13] = 0x00;
	for (size_t i = HDR_SIZE + 14; i < len; i++)
		pkt[i] = seed * 31 + i * 7;
}

/* Transmit pkt on pair's queue, in two descriptors cut after cut bytes. */
static uint16_t send_packet(struct net_fixture *f, unsigned int pair,
			    const uint8_t *pkt, uint32_t len, uint32_t cut)
{
	struct driver_buf bufs[2] = {
		{ guest_alloc(cut), cut, false },
		{ guest_alloc(len - cut), len - cut, false },
	};
	uint16_t head;

	memcpy(host(bufs[0].addr), pkt, cut);
	memcpy(host(bufs[1].addr), pkt + cut, len - cut);
	head = driver_add(&f->drv, TX(pair), bufs, 2);
	driver_kick(&f->drv, TX(pair));
	return head;
}

/* Did exactly pkt come out of pair's tap, and nothing else? */
static bool tap_got(unsigned int pair, const uint8_t *pkt, size_t len)
{
	uint8_t frame[2048];
	ssize_t got = recv(taps[pair].peer, frame, sizeof(frame), MSG_DONTWAIT);

	return got == (ssize_t)len && !memcmp(frame, pkt, len) &&
	       recv(taps[pair].peer, frame, sizeof(frame), MSG_DONTWAIT) < 0 &&
	       errno == EAGAIN;
}

static bool tap_empty(unsigned int pair)
{
	uint8_t frame[2048];

	return recv(taps[pair].peer, frame, sizeof(frame), MSG_DONTWAIT) < 0 &&
	       errno == EAGAIN;
}

/* A frame "from the network" on pair's tap, and the I/O thread's wakeup. */
static bool tap_deliver(unsigned int pair, const uint8_t *pkt, size_t len)
{
	return send(taps[pair].peer, pkt, len, 0) == (ssize_t)len &&
	       fake_fd_ready(taps[pair].fd);
}

/* Post one whole-frame receive buffer on pair, kick; its address. */
static uint64_t post_rx(struct net_fixture *f, unsigned int pair,
			uint16_t *head)
{
	struct driver_buf buf = { guest_alloc(RX_BUF_SIZE), RX_BUF_SIZE, true };
	uint16_t h;

	memset(host(buf.addr), UNTOUCHED, RX_BUF_SIZE);
	h = driver_add(&f->drv, RX(pair), &buf, 1);
	if (head)
		*head = h;
	driver_kick(&f->drv, RX(pair));
	return buf.addr;
}

/*
 * A received buffer holds pkt: the header as the tap wrote it but with
 * num_buffers = 1 (little-endian), then the frame; len is what the used
 * entry said, and nothing past it was written.
 */
static bool rx_holds(const uint8_t *buf, uint32_t len, const uint8_t *pkt,
		     size_t pkt_len)
{
	return len == pkt_len &&
	       !memcmp(buf, pkt, NUM_BUFFERS_AT) &&
	       buf[NUM_BUFFERS_AT] == 1 && buf[NUM_BUFFERS_AT + 1] == 0 &&
	       !memcmp(buf + HDR_SIZE, pkt + HDR_SIZE, pkt_len - HDR_SIZE) &&
	       buf[pkt_len] == UNTOUCHED;
}

/*
 * A control command: class, command, data_len bytes of the little-endian
 * value (2 for VQ_PAIRS_SET; fewer for a truncated one), then the answer
 * byte, each in its own descriptor as Linux puts them.  The answer, or
 * NO_ACK if the device didn't write it or didn't return the chain.
 */
static uint8_t ctrl_command(struct net_fixture *f, uint8_t class, uint8_t cmd,
			    uint16_t value, uint32_t data_len)
{
	uint8_t *page = host(f->ctrl_gpa);
	struct driver_buf bufs[3];
	unsigned int n = 0;
	uint32_t id, len = ~0U;
	uint16_t head;

	page[0] = class;
	page[1] = cmd;
	memcpy(page + 16, &value, sizeof(value));
	page[64] = NO_ACK;
	bufs[n++] = (struct driver_buf){ f->ctrl_gpa, 2, false };
	if (data_len)
		bufs[n++] = (struct driver_buf){ f->ctrl_gpa + 16, data_len, false };
	bufs[n++] = (struct driver_buf){ f->ctrl_gpa + 64, 1, true };
	head = driver_add(&f->drv, ctrl_queue(f), bufs, n);
	driver_kick(&f->drv, ctrl_queue(f));
	if (!CHECK(driver_used(&f->drv, ctrl_queue(f), &id, &len)) ||
	    !CHECK(id == head && len == 1))
		return NO_ACK;
	return page[64];
}

static uint8_t set_pairs(struct net_fixture *f, uint16_t pairs)
{
	return ctrl_command(f, VIRTIO_NET_CTRL_MQ,
			    VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs, 2);
}

/*
 * Pairs [0, n) in use, the rest not: the tap steers frames only to the
 * queues in use (attached), and the I/O thread reads only those
 * (watched).  A pair in use is watched while its receive ring has
 * buffers, so callers post some first, as the driver does.  No call was
 * one that tun would have refused.
 */
static bool pairs_in_use(struct net_fixture *f, unsigned int n)
{
	bool ok = true;

	for (unsigned int k = 0; k < f->pairs; k++) {
		ok &= taps[k].attached == (k < n);
		ok &= fake_watched(taps[k].fd) == (k < n);
		ok &= !taps[k].refused;
	}
	return ok;
}

/* What -v prints at exit, for this card. */
static bool stats_say(const char *line)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	bool found;

	if (!out)
		return false;
	virtio_print_stats(out);
	fclose(out);
	found = text && strstr(text, line);
	free(text);
	return found;
}

/* --- the tests ------------------------------------------------------ */

static void single_pair_features_config(void)
{
	struct net_fixture f;
	uint8_t mac[6];

	if (!net_setup(&f, 1))
		return;
	CHECK(f.drv.features & BIT(VIRTIO_NET_F_MAC));
	CHECK(f.drv.features & BIT(VIRTIO_NET_F_STATUS));
	CHECK(f.drv.features & BIT(VIRTIO_NET_F_CSUM));
	/* One pair is the plain card: no control queue, no MQ. */
	CHECK(!(f.drv.features & (BIT(VIRTIO_NET_F_MQ) |
				   BIT(VIRTIO_NET_F_CTRL_VQ))));
	mmio_write32(f.drv.win, VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK(mmio_read32(f.drv.win, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0);
	for (unsigned int i = 0; i < 6; i++)
		config_read(&f, offsetof(struct virtio_net_config, mac) + i,
			    &mac[i], 1);
	CHECK(!memcmp(mac, test_mac, 6));
	CHECK(config16(&f, offsetof(struct virtio_net_config, status)) ==
	       VIRTIO_NET_S_LINK_UP);
	CHECK(config16(&f, offsetof(struct virtio_net_config,
				     max_virtqueue_pairs)) == 0);
	/*
	 * The driver took GUEST_CSUM: the tap may hand it frames whose
	 * checksum is still to be done.  A driver without it gets them done.
	 */
	CHECK(taps[0].offloads == TUN_F_CSUM);
	CHECK(driver_probe(&f.drv, f.drv.win,
			    WANTED & ~BIT(VIRTIO_NET_F_GUEST_CSUM), 2));
	CHECK(taps[0].offloads == 0);
	net_teardown();
}

static void transmit_reaches_tap(void)
{
	struct net_fixture f;
	uint8_t pkt[HDR_SIZE + 60];
	uint32_t id, len;
	uint16_t head;

	if (!net_setup(&f, 1))
		return;
	make_packet(pkt, sizeof(pkt), 1);
	/* Header and frame in separate descriptors, as Linux sends them. */
	head = send_packet(&f, 0, pkt, sizeof(pkt), HDR_SIZE);
	CHECK(tap_got(0, pkt, sizeof(pkt)));
	CHECK(driver_used(&f.drv, TX(0), &id, &len) && id == head && len == 0);
	CHECK(interrupted(&f));
	/* Cut inside the header: still one frame, the same bytes. */
	make_packet(pkt, sizeof(pkt), 2);
	head = send_packet(&f, 0, pkt, sizeof(pkt), 5);
	CHECK(tap_got(0, pkt, sizeof(pkt)));
	CHECK(driver_used(&f.drv, TX(0), &id, &len) && id == head && len == 0);
	CHECK(interrupted(&f));
	CHECK(!driver_used(&f.drv, TX(0), &id, &len));
	CHECK(stats_say("queue pair 0: rx 0 packets, tx 2 packets"));
	net_teardown();
}

static void receive_fills_buffer(void)
{
	struct net_fixture f;
	/* num_buffers comes first in the second descriptor: a split chain. */
	struct driver_buf bufs[2] = {
		{ 0, NUM_BUFFERS_AT, true }, { 0, RX_BUF_SIZE - NUM_BUFFERS_AT, true },
	};
	uint8_t pkt[HDR_SIZE + 90], got[RX_BUF_SIZE];
	uint32_t id, len;
	uint64_t gpa;
	uint16_t head;

	if (!net_setup(&f, 1))
		return;
	for (unsigned int i = 0; i < 2; i++) {
		bufs[i].addr = guest_alloc(bufs[i].len);
		memset(host(bufs[i].addr), UNTOUCHED, bufs[i].len);
	}
	head = driver_add(&f.drv, RX(0), bufs, 2);
	driver_kick(&f.drv, RX(0));
	CHECK(fake_watched(taps[0].fd));
	/* The tap leaves num_buffers as it was: zero here, 1 is the device's. */
	make_packet(pkt, sizeof(pkt), 3);
	CHECK(tap_deliver(0, pkt, sizeof(pkt)));
	CHECK(driver_used(&f.drv, RX(0), &id, &len) && id == head);
	memcpy(got, host(bufs[0].addr), bufs[0].len);
	memcpy(got + bufs[0].len, host(bufs[1].addr), bufs[1].len);
	CHECK(rx_holds(got, len, pkt, sizeof(pkt)));
	CHECK(interrupted(&f));

	/*
	 * The ring is empty now, so the device stops watching the tap (it
	 * would stay readable, and poll() spin).  The next frame waits in
	 * the tap until the driver posts a buffer and kicks.
	 */
	CHECK(!fake_watched(taps[0].fd));
	make_packet(pkt, sizeof(pkt), 4);
	CHECK(send(taps[0].peer, pkt, sizeof(pkt), 0) == sizeof(pkt));
	CHECK(!driver_used(&f.drv, RX(0), &id, &len));
	gpa = post_rx(&f, 0, &head);
	CHECK(driver_used(&f.drv, RX(0), &id, &len) && id == head);
	CHECK(rx_holds(host(gpa), len, pkt, sizeof(pkt)));
	CHECK(interrupted(&f));
	CHECK(stats_say("queue pair 0: rx 2 packets, tx 0 packets"));
	net_teardown();
}

/*
 * Frames the tap gets while the driver is away are read and dropped, not
 * kept for a driver that comes later (they would be stale by then).
 */
static void receive_before_driver_dropped(void)
{
	struct net_fixture f;
	uint8_t pkt[HDR_SIZE + 50];
	uint32_t id, len;
	uint64_t gpa;
	uint16_t head;

	if (!net_create(&f, 1))
		return;
	make_packet(pkt, sizeof(pkt), 5);
	CHECK(tap_deliver(0, pkt, sizeof(pkt)));
	if (!CHECK(driver_probe(&f.drv, &fake_windows[0], WANTED, 2)))
		goto out;
	gpa = post_rx(&f, 0, &head);
	CHECK(!driver_used(&f.drv, RX(0), &id, &len));
	/* The buffer is still there, for the first frame after DRIVER_OK. */
	make_packet(pkt, sizeof(pkt), 6);
	CHECK(tap_deliver(0, pkt, sizeof(pkt)));
	CHECK(driver_used(&f.drv, RX(0), &id, &len) && id == head);
	CHECK(rx_holds(host(gpa), len, pkt, sizeof(pkt)));
out:
	net_teardown();
}

static void mq_pairs_set(void)
{
	struct net_fixture f;
	uint8_t pkt[HDR_SIZE + 70];
	uint32_t id, len;
	uint64_t gpa[4];
	uint16_t head;

	if (!net_setup(&f, 4))
		return;
	CHECK(f.drv.features & BIT(VIRTIO_NET_F_MQ));
	CHECK(f.drv.features & BIT(VIRTIO_NET_F_CTRL_VQ));
	CHECK(config16(&f, offsetof(struct virtio_net_config,
				     max_virtqueue_pairs)) == 4);
	/* After DRIVER_OK the driver has only pair 0 until it says more. */
	gpa[0] = post_rx(&f, 0, NULL);
	CHECK(pairs_in_use(&f, 1));
	for (unsigned int k = 1; k < 4; k++)
		CHECK(taps[k].detaches == 1 && taps[k].attaches == 0);
	CHECK(taps[0].detaches == 0 && taps[0].attaches == 0);

	CHECK(set_pairs(&f, 4) == VIRTIO_NET_OK);
	CHECK(interrupted(&f));
	for (unsigned int k = 1; k < 4; k++)
		gpa[k] = post_rx(&f, k, NULL);
	CHECK(pairs_in_use(&f, 4));
	for (unsigned int k = 1; k < 4; k++)
		CHECK(taps[k].attaches == 1);

	/* Pair 3's transmit queue goes to pair 3's tap, and only there. */
	make_packet(pkt, sizeof(pkt), 7);
	head = send_packet(&f, 3, pkt, sizeof(pkt), HDR_SIZE);
	CHECK(tap_got(3, pkt, sizeof(pkt)));
	CHECK(tap_empty(0) && tap_empty(1) && tap_empty(2));
	CHECK(driver_used(&f.drv, TX(3), &id, &len) && id == head);

	/* A frame on pair 2's tap lands in pair 2's ring, and only there. */
	make_packet(pkt, sizeof(pkt), 8);
	CHECK(tap_deliver(2, pkt, sizeof(pkt)));
	CHECK(driver_used(&f.drv, RX(2), &id, &len));
	CHECK(rx_holds(host(gpa[2]), len, pkt, sizeof(pkt)));
	CHECK(!driver_used(&f.drv, RX(0), &id, &len));
	CHECK(!driver_used(&f.drv, RX(1), &id, &len));
	CHECK(!driver_used(&f.drv, RX(3), &id, &len));

	/* Back to 2: pairs 2 and 3 leave the tap and the I/O thread. */
	CHECK(set_pairs(&f, 2) == VIRTIO_NET_OK);
	CHECK(pairs_in_use(&f, 2));
	CHECK(taps[2].detaches == 2 && taps[3].detaches == 2);
	CHECK(taps[0].detaches == 0 && taps[1].detaches == 1);
	CHECK(stats_say("queue pair 2: rx 1 packets, tx 0 packets"));
	CHECK(stats_say("queue pair 3: rx 0 packets, tx 1 packets"));
	/* A pair out of use stays out, whatever its queues are told. */
	post_rx(&f, 3, NULL);
	CHECK(pairs_in_use(&f, 2));
	net_teardown();
}

static void mq_bad_commands(void)
{
	static const struct {
		const char *what;
		uint8_t class, cmd;
		uint16_t value;
		uint32_t data_len;
	} bad[] = {
		{ "VQ_PAIRS_SET 0 answered ERR", VIRTIO_NET_CTRL_MQ,
		  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 2 },
		{ "VQ_PAIRS_SET 5 of 4 answered ERR", VIRTIO_NET_CTRL_MQ,
		  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 5, 2 },
		/* The data of these would be a good VQ_PAIRS_SET: 3. */
		{ "unknown class answered ERR", 0x7f,
		  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 2 },
		{ "class CTRL_RX (not offered) answered ERR", VIRTIO_NET_CTRL_RX,
		  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 2 },
		{ "RSS_CONFIG (not offered) answered ERR", VIRTIO_NET_CTRL_MQ,
		  VIRTIO_NET_CTRL_MQ_RSS_CONFIG, 3, 2 },
		{ "VQ_PAIRS_SET with 1 byte of 2 answered ERR",
		  VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 1 },
		{ "VQ_PAIRS_SET with no data answered ERR",
		  VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 0 },
	};
	struct net_fixture f;
	struct fake_tap before[4];
	struct driver_buf no_answer[2];
	uint32_t id, len;
	uint16_t head;

	if (!net_setup(&f, 4))
		return;
	/* From 2 pairs, so that "changed nothing" can't be a reset to 1. */
	post_rx(&f, 0, NULL);
	CHECK(set_pairs(&f, 2) == VIRTIO_NET_OK);
	post_rx(&f, 1, NULL);
	CHECK(pairs_in_use(&f, 2));
	memcpy(before, taps, sizeof(before));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_check(__FILE__, __LINE__, bad[i].what,
			  ctrl_command(&f, bad[i].class, bad[i].cmd,
				       bad[i].value, bad[i].data_len) ==
			  VIRTIO_NET_ERR);
	CHECK(pairs_in_use(&f, 2));
	/* Not one TUNSETQUEUE: the counts are what they were. */
	CHECK(!memcmp(before, taps, sizeof(before)));

	/*
	 * A good command with nowhere to answer: returned, nothing written,
	 * and not obeyed either (the driver can't learn it was).
	 */
	no_answer[0] = (struct driver_buf){ f.ctrl_gpa, 2, false };
	no_answer[1] = (struct driver_buf){ f.ctrl_gpa + 16, 2, false };
	*(uint8_t *)host(f.ctrl_gpa) = VIRTIO_NET_CTRL_MQ;
	*(uint8_t *)host(f.ctrl_gpa + 1) = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
	*(uint16_t *)host(f.ctrl_gpa + 16) = 3;
	head = driver_add(&f.drv, ctrl_queue(&f), no_answer, 2);
	driver_kick(&f.drv, ctrl_queue(&f));
	CHECK(driver_used(&f.drv, ctrl_queue(&f), &id, &len) && id == head &&
	       len == 0);
	CHECK(pairs_in_use(&f, 2));
	CHECK(!memcmp(before, taps, sizeof(before)));

	/* Nothing broke: no reset needed, and the next command works. */
	CHECK(!needs_reset(&f));
	CHECK(set_pairs(&f, 3) == VIRTIO_NET_OK);
	post_rx(&f, 2, NULL);
	CHECK(pairs_in_use(&f, 3));
	net_teardown();
}

static void mq_reset_back_to_one_pair(void)
{
	struct net_fixture f;
	uint8_t pkt[HDR_SIZE + 40];

	if (!net_setup(&f, 4))
		return;
	post_rx(&f, 0, NULL);
	CHECK(set_pairs(&f, 4) == VIRTIO_NET_OK);
	for (unsigned int k = 1; k < 4; k++)
		post_rx(&f, k, NULL);
	CHECK(pairs_in_use(&f, 4));
	/* Reset: pair 0 only, and watched to drain the tap meanwhile. */
	mmio_write32(f.drv.win, VIRTIO_MMIO_STATUS, 0);
	CHECK(pairs_in_use(&f, 1));
	if (!CHECK(driver_probe(&f.drv, f.drv.win, WANTED, queue_count(4))))
		goto out;
	post_rx(&f, 0, NULL);
	CHECK(pairs_in_use(&f, 1));
	make_packet(pkt, sizeof(pkt), 9);
	send_packet(&f, 0, pkt, sizeof(pkt), HDR_SIZE);
	CHECK(tap_got(0, pkt, sizeof(pkt)));
	CHECK(set_pairs(&f, 3) == VIRTIO_NET_OK);
	post_rx(&f, 1, NULL);
	post_rx(&f, 2, NULL);
	CHECK(pairs_in_use(&f, 3));
out:
	net_teardown();
}

/* The most we offer: 8 pairs, 17 queues, the control queue the last. */
static void mq_eight_pairs(void)
{
	struct net_fixture f;
	uint8_t pkt[HDR_SIZE + 80];

	if (!net_setup(&f, LGUEST_NET_MAX_PAIRS))
		return;
	CHECK(config16(&f, offsetof(struct virtio_net_config,
				     max_virtqueue_pairs)) ==
	       LGUEST_NET_MAX_PAIRS);
	CHECK(set_pairs(&f, LGUEST_NET_MAX_PAIRS + 1) == VIRTIO_NET_ERR);
	CHECK(set_pairs(&f, LGUEST_NET_MAX_PAIRS) == VIRTIO_NET_OK);
	for (unsigned int k = 0; k < LGUEST_NET_MAX_PAIRS; k++)
		post_rx(&f, k, NULL);
	CHECK(pairs_in_use(&f, LGUEST_NET_MAX_PAIRS));
	make_packet(pkt, sizeof(pkt), 10);
	send_packet(&f, 7, pkt, sizeof(pkt), HDR_SIZE);
	CHECK(tap_got(7, pkt, sizeof(pkt)));
	net_teardown();
}

/*
 * MQ needs CTRL_VQ (the driver could never ask for more than one pair):
 * a driver that takes MQ alone gets FEATURES_OK refused.  One that takes
 * CTRL_VQ alone has one pair and its control queue at 2, where pair 1's
 * receive queue would be with MQ: its commands are answered there (a
 * VQ_PAIRS_SET with ERR, MQ not being on), and pair 0 works.
 */
static void mq_feature_combinations(void)
{
	struct net_fixture f;
	uint8_t pkt[HDR_SIZE + 60];

	if (!net_create(&f, 4))
		return;
	CHECK(!driver_probe(&f.drv, &fake_windows[0],
			     WANTED & ~BIT(VIRTIO_NET_F_CTRL_VQ), queue_count(4)));
	net_teardown();
	fake_reset();	/* the next card gets the first window again */

	if (!net_create(&f, 4))
		return;
	if (!CHECK(driver_probe(&f.drv, &fake_windows[0],
				 WANTED & ~BIT(VIRTIO_NET_F_MQ), 3)))
		goto out;
	f.ctrl = 2;
	post_rx(&f, 0, NULL);
	CHECK(set_pairs(&f, 1) == VIRTIO_NET_ERR);
	CHECK(set_pairs(&f, 2) == VIRTIO_NET_ERR);
	CHECK(pairs_in_use(&f, 1));
	CHECK(!needs_reset(&f));
	make_packet(pkt, sizeof(pkt), 11);
	send_packet(&f, 0, pkt, sizeof(pkt), HDR_SIZE);
	CHECK(tap_got(0, pkt, sizeof(pkt)));
	CHECK(tap_empty(1));
out:
	net_teardown();
}

const struct tap_test net_tests[] = {
	{ "net: one pair offers MAC, STATUS, CSUM; config has MAC, link up",
	  single_pair_features_config },
	{ "net: transmit reaches the tap as header + frame, used, interrupt",
	  transmit_reaches_tap },
	{ "net: receive fills the buffer, num_buffers 1; waits when ring empty",
	  receive_fills_buffer },
	{ "net: frames before DRIVER_OK are dropped", receive_before_driver_dropped },
	{ "net: 4 pairs, VQ_PAIRS_SET attaches/detaches and steers per pair",
	  mq_pairs_set },
	{ "net: bad control commands answered ERR, change nothing",
	  mq_bad_commands },
	{ "net: reset goes back to one pair", mq_reset_back_to_one_pair },
	{ "net: 8 pairs, the most, all usable", mq_eight_pairs },
	{ "net: MQ without CTRL_VQ refused; CTRL_VQ alone: control queue 2",
	  mq_feature_combinations },
	{ NULL, NULL },
};
