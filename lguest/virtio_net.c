// SPDX-License-Identifier: GPL-2.0
/*N:430
 * The guest's network card: virtio-net, one receive queue (0) and one
 * transmit queue (1), on a tap device (tunnet.c); with --queues=N, N such
 * pairs (N:700).  Every buffer the guest gives a queue starts with the
 * 12-byte virtio network header, which is exactly what a tap made with
 * IFF_VNET_HDR expects in front of each frame, so a frame crosses between
 * guest and tap as it is.
 *
 * Two backends move the frames, and the difference between them is the
 * point of this project:
 *
 *  - copy: the original lguest way.  A guest notify on the transmit queue
 *    exits to us, and we writev() its buffers to the tap; the I/O thread
 *    waits for the tap to be readable and readv()s each frame into the
 *    next receive buffer, then raises the interrupt.  Every packet costs
 *    at least one exit to the launcher and one or two system calls.
 *
 *  - vring (the default): we hand the two rings to the kernel once, when
 *    the driver says DRIVER_OK, and never touch a packet again.  Each ring
 *    becomes a vringfd whose buffer addresses are guest-physical
 *    (VRINGSETBASE = where guest RAM sits in our address space,
 *    VRINGSETLIMIT = its size); tun_vring.ko binds both to the tap; the
 *    guest's notify write is an ioeventfd that kicks the ring in the
 *    kernel, and the ring's "used" signal is an irqfd that interrupts the
 *    guest.  The launcher is out of the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/tun_vring.h>
#include <linux/vhost.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/vringfd.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio_device.h"
#include "virtio_mmio.h"

/*N:700
 * Multiqueue.  With --queues=N the card has N queue pairs instead of one:
 * receive queue k is virtqueue 2k, transmit queue k is 2k + 1, and one
 * more queue, the control queue (2N), carries the driver's commands to
 * the device.  The tap behind it is opened N times with IFF_MULTI_QUEUE,
 * one file per pair, so each pair is a separate path from guest to host
 * that can run beside the others: on the vring backend each pair has its
 * own two rings and its own tun_vring binding (its own kernel worker).
 *
 * Why at most 8 (NET_MAX_PAIRS): every pair the driver turns on keeps a
 * full receive ring of buffers posted, 256 buffers of about 1.5 KiB,
 * close to 0.5 MiB of a guest that may have only 64 MiB; each pair also
 * costs us two vringfds, a binding, two eventfds and an I/O-thread watch
 * (the I/O thread polls at most 64 fds).  And there is little to gain
 * past the CPUs either side has: our guest has one vCPU.  Eight is the
 * issue's figure, the tap would take 256.
 */
#define NET_MAX_PAIRS	LGUEST_NET_MAX_PAIRS
#define NET_RX_QUEUE(pair)	(2 * (pair))
#define NET_TX_QUEUE(pair)	(2 * (pair) + 1)
#define NET_PAIR_OF(queue)	((queue) / 2)
/* struct virtio_net_hdr_v1, in front of every frame. */
#define VNET_HDR_SIZE	12
/* Frames taken per wakeup before the interrupt goes out. */
#define NET_RX_BATCH	64

struct virtio_net;

/* One queue pair: a tap queue file and what serves it. */
struct net_pair {
	struct virtio_net *net;
	unsigned int index;
	int tap_fd;
	/* Is the tap queue attached (the tap steers frames to it)? */
	bool attached;

	/* copy: is the I/O thread watching the tap queue for us? */
	bool rx_watching;

	/* vring: the kernel's objects, while the driver is running, */
	int rx_ring_fd, tx_ring_fd;
	int bind_fd;
	/* and the notify eventfds, bound into the hypervisor for good. */
	int rx_kick_fd, tx_kick_fd;

	/* vhost: the pair's vhost-net device and its error eventfd. */
	int vhost_fd;
	int vhost_err_fd;

	/*
	 * Frames in (to the guest) and out, for -v.  The copy backend counts
	 * them itself; on the vring backend they are what tun_vring counted
	 * for bindings already closed (a live one is asked at print time).
	 */
	uint64_t rx_packets, tx_packets;
};

struct virtio_net {
	struct virtio_device *dev;
	/* The model, per device: the queue count depends on --queues. */
	struct virtio_device_model model;
	enum net_backend backend;
	unsigned int pairs;		/* what we offer: max_virtqueue_pairs */
	unsigned int used_pairs;	/* the driver's: pairs with MQ, else 1 */
	unsigned int active_pairs;	/* what the driver asked for (1 at reset) */
	bool has_ctrl;			/* the driver took CTRL_VQ */
	unsigned int ctrl_queue;	/* 2 * used_pairs (N:725) */
	struct virtio_net_config config;
	struct virtqueue_chain chain;
	struct net_pair pair[NET_MAX_PAIRS];
	/* vring: one "used" eventfd for every ring: the interrupt line. */
	int call_fd;
	bool events_bound;
};

/*N:440
 * What we offer, from the guest outwards.  CSUM: the guest may send frames
 * with a partial checksum (the vnet header says where to finish it);
 * HOST_TSO4/6 and HOST_ECN: it may send TCP segments of up to 64 KiB that
 * the host's stack (or NIC) cuts up.  Everything passes through the tap in
 * the vnet header.  The other direction is N:445.
 */
#define NET_FEATURES	((1ULL << VIRTIO_NET_F_MAC) | \
			 (1ULL << VIRTIO_NET_F_STATUS) | \
			 (1ULL << VIRTIO_NET_F_CSUM) | \
			 (1ULL << VIRTIO_NET_F_HOST_TSO4) | \
			 (1ULL << VIRTIO_NET_F_HOST_TSO6) | \
			 (1ULL << VIRTIO_NET_F_HOST_ECN))

/*N:445
 * Towards the guest, the same offloads are worth even more: the host's
 * stack hands the tap 64 KiB TCP segments, and a guest that can take them
 * (GUEST_TSO4/6, with GUEST_ECN for their ECN bit, and GUEST_CSUM, since
 * such a segment's checksum is never done) gets a megabyte in about 16
 * to 60 frames instead of about 724: a tenth or less of the ring
 * entries, interrupts and passes through its stack per byte.  A 64 KiB
 * frame needs room, though.  Without MRG_RXBUF each receive buffer would
 * have to hold one whole (Linux then posts 64 KiB chains: 16 MiB for a
 * ring of 256, a quarter of a 64 MiB guest); with it, the guest posts
 * ordinary buffers and a frame takes as many as it fills, the count in
 * the header's num_buffers (tun_vring's N:200; vhost-net does the same).
 * So we offer GUEST_TSO only with MRG_RXBUF, and neither on the copy
 * backend, whose readv() takes a frame into one buffer.
 * --net-rx-offloads picks the level, to measure what each gives.
 */
static int rx_offloads = -1;	/* not set: the backend's default */

void virtio_net_set_rx_offloads(enum net_rx_offloads level)
{
	rx_offloads = level;
}

enum net_rx_offloads net_rx_offloads_for(enum net_backend backend)
{
	if (rx_offloads >= 0)
		return rx_offloads;
	return backend == NET_BACKEND_COPY ? NET_RX_OFFLOADS_CSUM :
					     NET_RX_OFFLOADS_TSO;
}

static uint64_t rx_offload_features(enum net_rx_offloads level)
{
	uint64_t features = 0;

	switch (level) {
	case NET_RX_OFFLOADS_TSO:
		features |= (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
			    (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
			    (1ULL << VIRTIO_NET_F_GUEST_ECN);
		/* fall through */
	case NET_RX_OFFLOADS_MRG:
		features |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
		/* fall through */
	case NET_RX_OFFLOADS_CSUM:
		features |= 1ULL << VIRTIO_NET_F_GUEST_CSUM;
		/* fall through */
	case NET_RX_OFFLOADS_NONE:
		break;
	}
	return features;
}

const char *net_rx_offloads_name(enum net_rx_offloads level)
{
	static const char *const names[] = { "none", "csum", "mrg", "tso" };

	return level <= NET_RX_OFFLOADS_TSO ? names[level] : "?";
}
/*
 * With more than one pair: MQ needs the control queue (CTRL_VQ), which is
 * how the driver says how many pairs it uses.  We offer none of the other
 * control classes (CTRL_RX, CTRL_VLAN, ...), so MQ is all it carries.
 */
#define NET_MQ_FEATURES	((1ULL << VIRTIO_NET_F_MQ) | \
			 (1ULL << VIRTIO_NET_F_CTRL_VQ))

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*N:450
 * The tap must know what the guest can take: with GUEST_CSUM it may hand
 * us frames whose checksum is still to be done (TUN_F_CSUM), with
 * GUEST_TSO4/6 TCP segments of up to 64 KiB (TUN_F_TSO4/6, TUN_F_TSO_ECN
 * for GUEST_ECN); what the guest did not take, the tap does before frames
 * reach us.  (The offloads are the tap's, not a queue's: any of its files
 * sets them.)
 */
static void set_tap_offloads(struct virtio_net *net)
{
	unsigned int offloads = 0;

	if (virtio_negotiated(net->dev, VIRTIO_NET_F_GUEST_CSUM))
		offloads |= TUN_F_CSUM;
	/* The tap takes segmentation offloads only with TUN_F_CSUM. */
	if (offloads & TUN_F_CSUM) {
		if (virtio_negotiated(net->dev, VIRTIO_NET_F_GUEST_TSO4))
			offloads |= TUN_F_TSO4;
		if (virtio_negotiated(net->dev, VIRTIO_NET_F_GUEST_TSO6))
			offloads |= TUN_F_TSO6;
		if ((offloads & (TUN_F_TSO4 | TUN_F_TSO6)) &&
		    virtio_negotiated(net->dev, VIRTIO_NET_F_GUEST_ECN))
			offloads |= TUN_F_TSO_ECN;
	}
	if (ioctl(net->pair[0].tap_fd, TUNSETOFFLOAD, offloads) < 0)
		fprintf(stderr, "lguest: virtio-net: TUNSETOFFLOAD: %m\n");
}

/* --- the copy backend --------------------------------------------------- */

/*N:460
 * Transmit, copy backend: the guest's notify write trapped out to us (we
 * are on the vCPU thread, the guest waits).  Each chain is a vnet header
 * and a frame, in as many pieces as the driver liked; one writev() sends
 * it, into the pair's own tap queue.  The tap can refuse (its queue full,
 * the frame malformed): the frame is dropped, as a real NIC would, and
 * the guest is told it is done.
 */
static void net_transmit(struct net_pair *pair)
{
	struct virtio_device *dev = pair->net->dev;
	unsigned int queue = NET_TX_QUEUE(pair->index);
	struct virtqueue *vq = &dev->queues[queue];
	struct virtqueue_chain *chain = &pair->net->chain;

	while (virtqueue_pop(vq, chain) == 1) {
		/*
		 * Dropped without a word: a full queue (EAGAIN), a device gone
		 * (EIO), a frame the tap refused (EINVAL), and a queue the
		 * driver has just given up, so detached (EBADFD, N:720).
		 */
		if (chain->out_count) {
			if (writev(pair->tap_fd, chain->out, chain->out_count) >= 0)
				pair->tx_packets++;
			else if (errno != EAGAIN && errno != EIO &&
				 errno != EINVAL && errno != EBADFD)
				fprintf(stderr, "lguest: virtio-net: tap write: %m\n");
		}
		virtqueue_push(vq, chain->head, 0);
	}
	virtio_queue_done(dev, queue);
}

static void net_tap_readable(void *opaque);

static void watch_tap(struct net_pair *pair, bool on)
{
	if (on == pair->rx_watching)
		return;
	if (on ? io_watch(pair->tap_fd, net_tap_readable, pair) :
		 io_unwatch(pair->tap_fd))
		die("virtio-net: can't %s the tap", on ? "watch" : "unwatch");
	pair->rx_watching = on;
}

/*N:470
 * Receive, copy backend, on the I/O thread: the tap has frames.  Each goes
 * with one readv() straight into the next receive buffer.  When the guest
 * has no buffer left we stop watching the tap (it would stay readable and
 * poll() would spin) until the guest's next notify on the receive queue.
 * Frames the tap gets before the driver is up are read and dropped.
 */
static void net_receive(struct net_pair *pair)
{
	struct virtio_device *dev = pair->net->dev;
	unsigned int queue = NET_RX_QUEUE(pair->index);
	struct virtqueue *vq = &dev->queues[queue];
	struct virtqueue_chain *chain = &pair->net->chain;
	const uint16_t one = 1;	/* little-endian, as we are */
	unsigned int done;
	ssize_t got;

	for (done = 0; done < NET_RX_BATCH; done++) {
		if (virtqueue_pop(vq, chain) != 1) {
			if (!virtqueue_broken(vq))
				watch_tap(pair, false);
			break;
		}
		got = readv(pair->tap_fd, chain->in, chain->in_count);
		if (got < 0) {
			virtqueue_unpop(vq);
			break;
		}
		/*
		 * The tap leaves the header's last field alone: num_buffers,
		 * which says 1 when buffers aren't mergeable.
		 */
		if (got >= VNET_HDR_SIZE)
			iov_copy_to(chain->in, chain->in_count, 10, &one,
				    sizeof(one));
		virtqueue_push(vq, chain->head, got);
		pair->rx_packets++;
	}
	virtio_queue_done(dev, queue);
}

/*
 * (pair->net->dev is set by net_reset(), which the transport calls before
 * it returns the device to virtio_net_create(), and before we watch.)
 */
static void net_tap_readable(void *opaque)
{
	struct net_pair *pair = opaque;
	struct virtio_device *dev = pair->net->dev;
	char frame[2048];

	pthread_mutex_lock(&dev->lock);
	if (virtio_device_running(dev))
		net_receive(pair);
	else if (read(pair->tap_fd, frame, sizeof(frame)) < 0 && errno != EAGAIN)
		watch_tap(pair, false);
	pthread_mutex_unlock(&dev->lock);
}

/* --- the vring backend -------------------------------------------------- */

/*
 * What tun_vring counted for a binding, added to the pair's totals when
 * the binding goes (a driver reset), so -v shows the whole run.
 */
static void pair_add_kernel_stats(struct net_pair *pair, uint64_t *rx,
				  uint64_t *tx)
{
	struct tun_vring_stats stats;

	if (pair->bind_fd < 0 ||
	    ioctl(pair->bind_fd, TUN_VRING_GETSTATS, &stats) < 0)
		return;
	*rx += stats.rx_packets;
	*tx += stats.tx_packets;
}

static void pair_stop(struct net_pair *pair)
{
	pair_add_kernel_stats(pair, &pair->rx_packets, &pair->tx_packets);
	/* Closing the binding stops tun_vring before the rings go. */
	close_fd(&pair->bind_fd);
	/* vhost-net's release stops its worker and lets go of the tap. */
	if (pair->vhost_err_fd >= 0)
		io_unwatch(pair->vhost_err_fd);
	close_fd(&pair->vhost_fd);
	close_fd(&pair->vhost_err_fd);
	if (pair->rx_ring_fd >= 0)
		io_unwatch(pair->rx_ring_fd);
	if (pair->tx_ring_fd >= 0)
		io_unwatch(pair->tx_ring_fd);
	close_fd(&pair->rx_ring_fd);
	close_fd(&pair->tx_ring_fd);
}

static void kernel_backend_stop(struct virtio_net *net)
{
	for (unsigned int k = 0; k < net->pairs; k++)
		pair_stop(&net->pair[k]);
}

static void ring_broken(struct virtio_device *dev, int fd, unsigned int queue)
{
	struct vring_status status;

	if (fd < 0 || ioctl(fd, VRINGGETSTATUS, &status) < 0 || !status.broken)
		return;
	io_unwatch(fd);
	status.reason[sizeof(status.reason) - 1] = '\0';
	virtio_device_broken(dev, queue, status.reason);
}

/*N:490
 * A ring the kernel serves can still break (a hostile driver), and then
 * poll() on its vringfd says EPOLLERR.  We learn why from VRINGGETSTATUS
 * and do what the transport does for a ring it serves itself: the device
 * needs a reset, said once.  (No interrupt: lg.ko answers InterruptStatus
 * reads itself on this path, so a config-change bit of ours wouldn't be
 * seen.  The driver finds DEVICE_NEEDS_RESET at its next status read.)
 */
static void net_ring_error(void *opaque)
{
	struct net_pair *pair = opaque;
	struct virtio_device *dev = pair->net->dev;

	pthread_mutex_lock(&dev->lock);
	ring_broken(dev, pair->rx_ring_fd, NET_RX_QUEUE(pair->index));
	ring_broken(dev, pair->tx_ring_fd, NET_TX_QUEUE(pair->index));
	pthread_mutex_unlock(&dev->lock);
}

static int new_kick_fd(struct virtio_device *dev, unsigned int queue)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0 ||
	    notify_bind(dev->mmio_base + VIRTIO_MMIO_QUEUE_NOTIFY, queue, fd))
		die("virtio-net: can't bind queue %u's notify: %m", queue);
	return fd;
}

/*N:480
 * The hand-over.  Once per device: an eventfd per ring that the guest's
 * notify write (QueueNotify, offset 0x50, with the queue's number as the
 * value) signals inside the hypervisor, and one eventfd for every ring's
 * "used" signal, which becomes our interrupt line, with InterruptStatus
 * answered in the kernel too.  Then, at every DRIVER_OK: a vringfd per
 * ring over the very memory the driver described, bounded to guest RAM,
 * and the binding to the tap.  One write() to each ring starts it, in
 * case the driver filled it before we were listening.  The control queue
 * gets no eventfd: its notifies must reach us (N:730).
 */
static void bind_events(struct virtio_net *net)
{
	struct virtio_device *dev = net->dev;

	if (!net->events_bound) {
		net->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (net->call_fd < 0 ||
		    irq_bind(net->call_fd, dev->irq,
			     dev->mmio_base + VIRTIO_MMIO_INTERRUPT_STATUS))
			die("virtio-net: can't bind interrupt line %u: %m",
			    dev->irq);
		dev->irq_external = true;
		net->events_bound = true;
	}
	/*
	 * Only the pairs the driver can use: without MQ, queue 2 is the
	 * control queue (if anything), whose notifies must stay ours.
	 */
	for (unsigned int k = 0; k < net->used_pairs; k++) {
		if (net->pair[k].rx_kick_fd >= 0)
			continue;
		net->pair[k].rx_kick_fd = new_kick_fd(dev, NET_RX_QUEUE(k));
		net->pair[k].tx_kick_fd = new_kick_fd(dev, NET_TX_QUEUE(k));
	}
}

static int open_ring(struct virtio_net *net, unsigned int q, int kick_fd)
{
	struct virtqueue *vq = &net->dev->queues[q];
	const struct guest_mem *mem = net->dev->mem;
	struct vring_setup setup = {
		.num = vq->size,
		.desc = (uintptr_t)guest_ptr(mem, vq->desc_gpa, 16ULL * vq->size),
		.avail = (uintptr_t)guest_ptr(mem, vq->avail_gpa, 6 + 2ULL * vq->size),
		.used = (uintptr_t)guest_ptr(mem, vq->used_gpa, 6 + 8ULL * vq->size),
	};
	int fd;

	if (vq->event_idx)
		setup.features |= 1ULL << VRINGFD_F_EVENT_IDX;
	if (vq->indirect)
		setup.features |= 1ULL << VRINGFD_F_INDIRECT_DESC;
	fd = open("/dev/vring", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, VRINGSETUP, &setup) < 0 ||
	    ioctl(fd, VRINGSETBASE, (unsigned long)(uintptr_t)mem->base) < 0 ||
	    ioctl(fd, VRINGSETLIMIT, (unsigned long)mem->size) < 0 ||
	    ioctl(fd, VRINGSETKICKFD, kick_fd) < 0 ||
	    ioctl(fd, VRINGSETCALLFD, net->call_fd) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* --- the vhost backend ------------------------------------------------- */

/*N:760
 * The third backend is not ours: Linux's vhost-net, the descendant of
 * vringfd and tun_vring (Rusty's vringfd of 2008 became vhost in 2010),
 * serving the same two rings from the same tap.  It is here so that our
 * path can be measured against the one QEMU and most KVM users take, on
 * the same launcher, guest and tap.  The shape is the one of N:480: the
 * guest's notify is an eventfd vhost-net polls (its "kick"), and the
 * eventfd it signals when it has used buffers (its "call") is our
 * interrupt line.  Where a vringfd gets a base and a limit (VRINGSETBASE,
 * VRINGSETLIMIT), vhost-net gets a memory table: one region, guest
 * physical 0 to the end of RAM, at our mapping of it.  The rings'
 * addresses we give it are in our address space, not the guest's.
 *
 * The header: we give vhost-net VIRTIO_F_VERSION_1, so it expects the
 * 12-byte header from the tap (whose vnet header size is 12, tunnet.c)
 * and passes it through both ways, and MRG_RXBUF if the driver took it
 * (N:445), so it spreads a frame over buffers and writes num_buffers.
 * Without MRG_RXBUF it leaves num_buffers as the tap left it (unwritten),
 * where the spec wants 1 (tun_vring writes it: TUN_VRING_F_NUM_BUFFERS).
 * Linux's driver reads it only with MRG_RXBUF, so this works; it is a
 * deviation all the same.
 *
 * A ring vhost-net cannot use (a hostile driver) makes it stop that ring
 * and signal its error eventfd, one per pair here: we then say the device
 * needs a reset, as N:490 does for a vringfd.
 */
static void net_vhost_error(void *opaque)
{
	struct net_pair *pair = opaque;
	struct virtio_device *dev = pair->net->dev;
	char reason[64];
	eventfd_t count;

	/* A reset on a vCPU thread may be closing the pair meanwhile. */
	pthread_mutex_lock(&dev->lock);
	if (pair->vhost_err_fd >= 0 &&
	    eventfd_read(pair->vhost_err_fd, &count) == 0) {
		io_unwatch(pair->vhost_err_fd);
		snprintf(reason, sizeof(reason),
			 "vhost-net stopped queue pair %u: a ring it cannot use",
			 pair->index);
		virtio_device_broken(dev, NET_RX_QUEUE(pair->index), reason);
	}
	pthread_mutex_unlock(&dev->lock);
}

/*N:717
 * Busy-polling, --net-busy-poll microseconds (tun_vring's N:125):
 * the same knob vhost-net calls its busyloop timeout, so both kernel
 * backends get it the same way.  Asked for only when given, so that a
 * kernel module from before the knob still serves a launcher that does
 * not use it.
 */
static unsigned int busy_poll_usecs;

void virtio_net_set_busy_poll(unsigned int usecs)
{
	busy_poll_usecs = usecs;
}

/* One ring: vhost-net's 0 is the pair's receive queue, 1 its transmit one. */
static int vhost_ring(struct net_pair *pair, unsigned int index,
		      unsigned int queue, int kick_fd)
{
	struct virtio_net *net = pair->net;
	const struct guest_mem *mem = net->dev->mem;
	struct virtqueue *vq = &net->dev->queues[queue];
	void *desc = guest_ptr(mem, vq->desc_gpa, 16ULL * vq->size);
	void *avail = guest_ptr(mem, vq->avail_gpa, 6 + 2ULL * vq->size);
	void *used = guest_ptr(mem, vq->used_gpa, 6 + 8ULL * vq->size);
	struct vhost_vring_state num = { .index = index, .num = vq->size };
	/* The ring starts where the driver's does after a reset: at 0. */
	struct vhost_vring_state base = { .index = index, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = index,
		.desc_user_addr = (uintptr_t)desc,
		.avail_user_addr = (uintptr_t)avail,
		.used_user_addr = (uintptr_t)used,
	};
	struct vhost_vring_file kick = { .index = index, .fd = kick_fd };
	struct vhost_vring_file call = { .index = index, .fd = net->call_fd };
	struct vhost_vring_file err = { .index = index, .fd = pair->vhost_err_fd };
	struct vhost_vring_file backend = { .index = index, .fd = pair->tap_fd };
	struct vhost_vring_state busyloop = {
		.index = index, .num = busy_poll_usecs,
	};

	if (!desc || !avail || !used) {
		errno = EFAULT;
		return -1;
	}
	if (ioctl(pair->vhost_fd, VHOST_SET_VRING_NUM, &num) < 0 ||
	    ioctl(pair->vhost_fd, VHOST_SET_VRING_BASE, &base) < 0 ||
	    ioctl(pair->vhost_fd, VHOST_SET_VRING_ADDR, &addr) < 0 ||
	    ioctl(pair->vhost_fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
	    ioctl(pair->vhost_fd, VHOST_SET_VRING_CALL, &call) < 0 ||
	    ioctl(pair->vhost_fd, VHOST_SET_VRING_ERR, &err) < 0 ||
	    (busy_poll_usecs &&
	     ioctl(pair->vhost_fd, VHOST_SET_VRING_BUSYLOOP_TIMEOUT,
		   &busyloop) < 0) ||
	    ioctl(pair->vhost_fd, VHOST_NET_SET_BACKEND, &backend) < 0)
		return -1;
	return 0;
}

static bool vhost_pair_start(struct net_pair *pair)
{
	struct virtio_net *net = pair->net;
	struct virtio_device *dev = net->dev;
	const struct guest_mem *mem = dev->mem;
	struct {
		struct vhost_memory table;
		struct vhost_memory_region region;
	} memory = {
		.table.nregions = 1,
		.region = {
			.guest_phys_addr = 0,
			.memory_size = mem->size,
			.userspace_addr = (uintptr_t)mem->base,
		},
	};
	uint64_t offered, features = 1ULL << VIRTIO_F_VERSION_1;
	const char *what = "open /dev/vhost-net";

	/* What the driver took that concerns the rings and the header. */
	if (virtio_negotiated(dev, VIRTIO_RING_F_EVENT_IDX))
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (virtio_negotiated(dev, VIRTIO_RING_F_INDIRECT_DESC))
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (virtio_negotiated(dev, VIRTIO_NET_F_MRG_RXBUF))
		features |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	pair->vhost_fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (pair->vhost_fd < 0)
		goto fail;
	what = "eventfd";
	pair->vhost_err_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pair->vhost_err_fd < 0)
		goto fail;
	what = "VHOST_SET_OWNER";
	if (ioctl(pair->vhost_fd, VHOST_SET_OWNER) < 0)
		goto fail;
	what = "VHOST_GET_FEATURES";
	if (ioctl(pair->vhost_fd, VHOST_GET_FEATURES, &offered) < 0)
		goto fail;
	what = "a feature the driver took is not offered";
	errno = EOPNOTSUPP;
	if ((offered & features) != features)
		goto fail;
	what = "VHOST_SET_FEATURES";
	if (ioctl(pair->vhost_fd, VHOST_SET_FEATURES, &features) < 0)
		goto fail;
	what = "VHOST_SET_MEM_TABLE";
	if (ioctl(pair->vhost_fd, VHOST_SET_MEM_TABLE, &memory) < 0)
		goto fail;
	what = "the receive ring";
	if (vhost_ring(pair, 0, NET_RX_QUEUE(pair->index), pair->rx_kick_fd) < 0)
		goto fail;
	what = "the transmit ring";
	if (vhost_ring(pair, 1, NET_TX_QUEUE(pair->index), pair->tx_kick_fd) < 0)
		goto fail;
	if (io_watch(pair->vhost_err_fd, net_vhost_error, pair))
		die("virtio-net: can't watch vhost-net's error eventfd");
	return true;
fail:
	fprintf(stderr, "lguest: virtio-net: queue pair %u: vhost-net: %s: %m\n",
		pair->index, what);
	close_fd(&pair->vhost_fd);
	close_fd(&pair->vhost_err_fd);
	virtio_device_broken(dev, NET_RX_QUEUE(pair->index),
			     "vhost-net refused the queue pair");
	return false;
}

/*N:710
 * One pair on the vring backend: two rings, one binding of the pair's tap
 * queue file.  All the rings share the one "used" eventfd: the device has
 * one interrupt line anyway, and the driver looks at every ring of the
 * device when it fires.  A pair whose queues the driver didn't make ready
 * is left alone: a driver may set up fewer queues than we offer.
 */
/*N:715
 * One more thing per binding: receive interrupt moderation (tun_vring's
 * N:235), --net-coalesce microseconds between two receive interrupts
 * while frames keep coming.
 */
static unsigned int rx_coalesce_usecs = LGUEST_NET_COALESCE_DEFAULT;

void virtio_net_set_rx_coalesce(unsigned int usecs)
{
	rx_coalesce_usecs = usecs;
}

static bool pair_start(struct net_pair *pair)
{
	struct virtio_net *net = pair->net;
	struct virtio_device *dev = net->dev;
	unsigned int rx = NET_RX_QUEUE(pair->index), tx = NET_TX_QUEUE(pair->index);
	struct tun_vring_attach attach = {
		.tap_fd = pair->tap_fd,
		/*
		 * Our 12-byte header has num_buffers: how many buffers the
		 * frame filled with MRG_RXBUF (N:445), else 1.
		 */
		.flags = virtio_negotiated(dev, VIRTIO_NET_F_MRG_RXBUF) ?
			 TUN_VRING_F_MRG_RXBUF : TUN_VRING_F_NUM_BUFFERS,
	};

	if (!dev->queues[rx].ready && !dev->queues[tx].ready)
		return true;
	if (!dev->queues[rx].ready || !dev->queues[tx].ready) {
		virtio_device_broken(dev, dev->queues[rx].ready ? tx : rx,
				     "queue not ready at DRIVER_OK");
		return false;
	}
	if (net->backend == NET_BACKEND_VHOST)
		return vhost_pair_start(pair);
	pair->rx_ring_fd = open_ring(net, rx, pair->rx_kick_fd);
	pair->tx_ring_fd = pair->rx_ring_fd < 0 ? -1 :
			   open_ring(net, tx, pair->tx_kick_fd);
	if (pair->rx_ring_fd < 0 || pair->tx_ring_fd < 0) {
		fprintf(stderr, "lguest: virtio-net: queue pair %u: vringfd: %m\n",
			pair->index);
		virtio_device_broken(dev, rx, "the kernel refused the ring");
		return false;
	}
	attach.rx_fd = pair->rx_ring_fd;
	attach.tx_fd = pair->tx_ring_fd;
	pair->bind_fd = open("/dev/tun_vring", O_RDWR | O_CLOEXEC);
	if (pair->bind_fd < 0 ||
	    ioctl(pair->bind_fd, TUN_VRING_ATTACH, &attach) < 0 ||
	    ioctl(pair->bind_fd, TUN_VRING_SET_RX_COALESCE,
		  (unsigned long)rx_coalesce_usecs) < 0 ||
	    (busy_poll_usecs &&
	     ioctl(pair->bind_fd, TUN_VRING_SET_BUSY_POLL,
		   (unsigned long)busy_poll_usecs) < 0)) {
		fprintf(stderr, "lguest: virtio-net: queue pair %u: tun_vring: %m\n",
			pair->index);
		close_fd(&pair->bind_fd);
		virtio_device_broken(dev, rx, "the kernel refused the tap binding");
		return false;
	}
	if (io_watch(pair->rx_ring_fd, net_ring_error, pair) ||
	    io_watch(pair->tx_ring_fd, net_ring_error, pair))
		die("virtio-net: can't watch the rings");
	return true;
}

static void kernel_backend_start(struct virtio_net *net)
{
	/*
	 * A notify binding cannot be taken back: a driver that used several
	 * pairs and, after a reset, takes CTRL_VQ without MQ would send its
	 * commands into pair 1's kick.  Say so rather than let it wait.
	 */
	if (net->has_ctrl && net->ctrl_queue == NET_RX_QUEUE(1) &&
	    net->pair[1].rx_kick_fd >= 0) {
		virtio_device_broken(net->dev, net->ctrl_queue,
				     "the control queue moved onto pair 1's receive queue after a reset");
		return;
	}
	bind_events(net);
	for (unsigned int k = 0; k < net->used_pairs; k++) {
		if (!pair_start(&net->pair[k])) {
			kernel_backend_stop(net);
			return;
		}
	}
}

/* --- queue pairs in use ------------------------------------------------- */

/*N:720
 * The driver uses only the first pair until it says otherwise (the spec's
 * rule after every reset), and later only the pairs it asked for.  The
 * tap spreads incoming flows over the queue files attached to it, so we
 * attach exactly the pairs in use (TUNSETQUEUE, the same for a macvtap):
 * a flow steered to a queue whose receive ring the driver never fills
 * would simply be lost.  On the copy backend the I/O thread watches the
 * pairs in use; the others have nothing to say.
 */
static void set_tap_queue(struct net_pair *pair, bool attach)
{
	struct ifreq ifr = {
		.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE,
	};

	if (attach == pair->attached)
		return;
	if (ioctl(pair->tap_fd, TUNSETQUEUE, &ifr) < 0) {
		fprintf(stderr, "lguest: virtio-net: queue pair %u: can't %s the tap queue: %m\n",
			pair->index, attach ? "attach" : "detach");
		return;
	}
	pair->attached = attach;
}

static void set_active_pairs(struct virtio_net *net, unsigned int active)
{
	net->active_pairs = active;
	for (unsigned int k = 0; k < net->pairs; k++) {
		struct net_pair *pair = &net->pair[k];

		/* Attach first, so the tap never has no queue at all. */
		if (k < active)
			set_tap_queue(pair, true);
		if (net->backend == NET_BACKEND_COPY)
			watch_tap(pair, k < active);
	}
	for (unsigned int k = active; k < net->pairs; k++)
		set_tap_queue(&net->pair[k], false);
}

/* --- the control queue -------------------------------------------------- */

/*N:730
 * The control queue.  The driver puts a command in it, a two-byte header
 * (class, command) and the command's data, followed by one byte for our
 * answer, VIRTIO_NET_OK or VIRTIO_NET_ERR, and kicks it.  Commands are
 * rare (the number of pairs changes when the user says so), so we serve
 * the queue ourselves on both backends: its notify exits to us, and we
 * answer at once, on the vCPU thread.  Linux's driver spins until it sees
 * the answer, so answering inside the notify write is what it hopes for.
 *
 * The one command we know is VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1 to N
 * pairs.  Anything else, or a command too short to read, gets ERR; a
 * chain with no byte to answer in gets nothing but its return.
 */
static uint8_t net_command(struct virtio_net *net,
			   const struct virtqueue_chain *chain)
{
	struct virtio_net_ctrl_hdr hdr;
	uint16_t pairs;	/* little-endian, as we are */

	if (iov_copy_from(chain->out, chain->out_count, 0, &hdr,
			  sizeof(hdr)) != sizeof(hdr) ||
	    hdr.class != VIRTIO_NET_CTRL_MQ ||
	    hdr.cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
	    iov_copy_from(chain->out, chain->out_count, sizeof(hdr), &pairs,
			  sizeof(pairs)) != sizeof(pairs))
		return VIRTIO_NET_ERR;
	if (!virtio_negotiated(net->dev, VIRTIO_NET_F_MQ) ||
	    pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > net->used_pairs)
		return VIRTIO_NET_ERR;
	if (pairs != net->active_pairs)
		fprintf(stderr, "lguest: virtio-net: the guest uses %u queue pair%s\n",
			pairs, pairs == 1 ? "" : "s");
	set_active_pairs(net, pairs);
	return VIRTIO_NET_OK;
}

/*
 * On the vring backend the interrupt line belongs to the call eventfd,
 * and lg.ko answers InterruptStatus from the latch that eventfd sets: so
 * the control queue's interrupt goes through the eventfd too.
 */
static void ctrl_done(struct virtio_net *net)
{
	struct virtio_device *dev = net->dev;
	struct virtqueue *vq = &dev->queues[net->ctrl_queue];

	if (!net->events_bound) {
		virtio_queue_done(dev, net->ctrl_queue);
		return;
	}
	if (virtqueue_needs_interrupt(vq) && eventfd_write(net->call_fd, 1) < 0)
		fprintf(stderr, "lguest: virtio-net: interrupt: %m\n");
	if (virtqueue_broken(vq))
		virtio_device_broken(dev, net->ctrl_queue, virtqueue_broken(vq));
}

static void net_control(struct virtio_net *net)
{
	struct virtqueue *vq = &net->dev->queues[net->ctrl_queue];
	struct virtqueue_chain *chain = &net->chain;
	uint8_t ack;

	while (virtqueue_pop(vq, chain) == 1) {
		if (!chain->in_bytes) {
			virtqueue_push(vq, chain->head, 0);
			continue;
		}
		ack = net_command(net, chain);
		iov_copy_to(chain->in, chain->in_count, chain->in_bytes - 1,
			    &ack, 1);
		virtqueue_push(vq, chain->head, 1);
	}
	ctrl_done(net);
}

/* --- what the transport calls ------------------------------------------- */

/*N:725
 * Where the queues are depends on what the driver took, so we settle it
 * at DRIVER_OK.  With MQ it may use all N pairs, and the control queue
 * comes after them (queue 2N); with CTRL_VQ alone it has one pair and the
 * control queue is queue 2; with neither, the card is the single-queue
 * one.  MQ without CTRL_VQ we refuse at FEATURES_OK: the driver could
 * never say how many pairs it wants.
 */
static bool net_features_ok(const struct virtio_device *dev)
{
	return !virtio_negotiated(dev, VIRTIO_NET_F_MQ) ||
	       virtio_negotiated(dev, VIRTIO_NET_F_CTRL_VQ);
}

static void net_layout(struct virtio_net *net)
{
	net->used_pairs = virtio_negotiated(net->dev, VIRTIO_NET_F_MQ) ?
			  net->pairs : 1;
	net->has_ctrl = virtio_negotiated(net->dev, VIRTIO_NET_F_CTRL_VQ);
	net->ctrl_queue = NET_RX_QUEUE(net->used_pairs);
}

static void net_driver_ok(struct virtio_device *dev)
{
	struct virtio_net *net = dev->priv;

	net_layout(net);
	set_tap_offloads(net);
	if (net->backend != NET_BACKEND_COPY)
		kernel_backend_start(net);
}

/*
 * A notify that reached us: the control queue's, always; on the vring
 * backend a ring's only when the transport makes one at DRIVER_OK (the
 * guest's own go to the kernel).
 */
static void net_queue_notify(struct virtio_device *dev, unsigned int queue)
{
	struct virtio_net *net = dev->priv;
	struct net_pair *pair;
	int ring_fd;

	if (net->has_ctrl && queue == net->ctrl_queue) {
		net_control(net);
		return;
	}
	/* A queue of a pair the driver cannot be using: nothing to do. */
	if (NET_PAIR_OF(queue) >= net->used_pairs)
		return;
	pair = &net->pair[NET_PAIR_OF(queue)];
	if (net->backend == NET_BACKEND_VHOST) {
		/* vhost-net listens to the kick eventfd alone. */
		if (eventfd_write(queue & 1 ? pair->tx_kick_fd : pair->rx_kick_fd, 1) < 0)
			fprintf(stderr, "lguest: virtio-net: kick: %m\n");
		return;
	}
	if (net->backend == NET_BACKEND_VRING) {
		ring_fd = queue & 1 ? pair->tx_ring_fd : pair->rx_ring_fd;
		if (ring_fd >= 0 && write(ring_fd, "", 0) < 0)
			fprintf(stderr, "lguest: virtio-net: kick: %m\n");
		return;
	}
	if (queue & 1) {
		net_transmit(pair);
	} else if (pair->index < net->active_pairs) {
		/* A pair out of use: its tap queue is detached (N:720). */
		watch_tap(pair, true);
		net_receive(pair);
	}
}

static void net_reset(struct virtio_device *dev)
{
	struct virtio_net *net = dev->priv;

	net->dev = dev;
	if (net->backend != NET_BACKEND_COPY)
		kernel_backend_stop(net);
	net->used_pairs = 1;
	net->has_ctrl = false;
	/* Only the first pair until the driver asks for more (N:720). */
	set_active_pairs(net, 1);
	/* copy: pair 0 is watched, to drain the tap while the driver is away. */
}

/*
 * A ring's counters (L:528): ours on the copy backend, vringfd's on the
 * vring backend.  Nothing while the kernel's ring is not there (the
 * driver is not running).
 */
static void print_ring(struct virtio_net *net, struct net_pair *pair,
		       unsigned int queue, FILE *out)
{
	int fd = queue & 1 ? pair->tx_ring_fd : pair->rx_ring_fd;
	const char *what = queue & 1 ? "tx" : "rx";
	struct vring_stats st;

	if (net->backend == NET_BACKEND_COPY) {
		if (!net->dev->queues[queue].ready)
			return;
		virtqueue_get_stats(&net->dev->queues[queue], &st);
	} else if (fd < 0 || ioctl(fd, VRINGGETSTATS, &st) < 0) {
		return;
	}
	ring_stats_print(out, "virtio-net", queue, what, &st);
}

/* tun_vring's drops by reason, and where its loops stopped. */
static void print_binding(struct net_pair *pair, FILE *out)
{
	struct tun_vring_stats st;

	if (pair->bind_fd < 0 ||
	    ioctl(pair->bind_fd, TUN_VRING_GETSTATS, &st) < 0)
		return;
	fprintf(out, "lguest: virtio-net queue pair %u: tun_vring: rx dropped %llu (too big %llu, refused %llu), tx errors %llu (malformed %llu, refused %llu), rx no buffers %llu, tx blocked %llu, rx signals coalesced %llu, busy-poll hits %llu\n",
		pair->index, (unsigned long long)st.rx_dropped,
		(unsigned long long)st.rx_too_big,
		(unsigned long long)st.rx_refused,
		(unsigned long long)st.tx_errors,
		(unsigned long long)st.tx_malformed,
		(unsigned long long)st.tx_refused,
		(unsigned long long)st.rx_no_buffers,
		(unsigned long long)st.tx_blocked,
		(unsigned long long)st.rx_coalesced,
		(unsigned long long)st.busy_poll_hits);
}

/*N:740
 * The per-pair counters, for -v at exit and for kill -USR1 at any time:
 * frames that went to the guest (rx) and came from it (tx) on each pair,
 * from tun_vring's counters on the vring backend and our own on the copy
 * backend (vhost-net has none to read); then each ring's kicks, runs,
 * signals and batch sizes (L:528), and on the vring backend tun_vring's
 * drops by reason.  With several flows and several pairs in use, more
 * than one pair should show traffic.
 */
static void net_print_stats(struct virtio_device *dev, FILE *out)
{
	struct virtio_net *net = dev->priv;

	for (unsigned int k = 0; k < net->pairs; k++) {
		struct net_pair *pair = &net->pair[k];
		uint64_t rx = pair->rx_packets, tx = pair->tx_packets;

		/* vhost-net keeps no count a user can read. */
		if (net->backend == NET_BACKEND_VHOST) {
			fprintf(out, "lguest: virtio-net queue pair %u: vhost-net (it counts no frames)\n",
				k);
			continue;
		}

		pair_add_kernel_stats(pair, &rx, &tx);
		fprintf(out, "lguest: virtio-net queue pair %u: rx %llu packets, tx %llu packets\n",
			k, (unsigned long long)rx, (unsigned long long)tx);
		if (k >= net->used_pairs)
			continue;
		print_ring(net, pair, NET_RX_QUEUE(k), out);
		print_ring(net, pair, NET_TX_QUEUE(k), out);
		if (net->backend == NET_BACKEND_VRING)
			print_binding(pair, out);
	}
}

static void net_destroy(struct virtio_device *dev)
{
	struct virtio_net *net = dev->priv;

	kernel_backend_stop(net);
	for (unsigned int k = 0; k < net->pairs; k++) {
		close_fd(&net->pair[k].rx_kick_fd);
		close_fd(&net->pair[k].tx_kick_fd);
		close_fd(&net->pair[k].tap_fd);
	}
	close_fd(&net->call_fd);
	free(net);
}

static const struct virtio_device_model net_model = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.features = NET_FEATURES,
	.queue_count = 2,
	.queue_notify = net_queue_notify,
	.driver_ok = net_driver_ok,
	.features_ok = net_features_ok,
	.reset = net_reset,
	.print_stats = net_print_stats,
	.destroy = net_destroy,
};

/*N:750
 * With one pair the card is exactly the single-queue one: no MQ, no
 * control queue, nothing in max_virtqueue_pairs.  With N it offers MQ and
 * CTRL_VQ, says N in max_virtqueue_pairs, and has 2N + 1 queues.
 */
void virtio_net_create_mq(const struct guest_mem *mem, const int *tap_fds,
			  unsigned int pairs, const uint8_t mac[6],
			  enum net_backend backend)
{
	struct virtio_net *net = calloc(1, sizeof(*net));

	if (!net)
		die("out of memory for virtio-net");
	if (pairs < 1 || pairs > NET_MAX_PAIRS)
		die("virtio-net: %u queue pairs (1 to %d)", pairs, NET_MAX_PAIRS);
	net->model = net_model;
	net->backend = backend;
	if (backend == NET_BACKEND_COPY &&
	    net_rx_offloads_for(backend) > NET_RX_OFFLOADS_CSUM)
		die("virtio-net: receive offloads '%s' need a kernel backend",
		    net_rx_offloads_name(net_rx_offloads_for(backend)));
	net->model.features |= rx_offload_features(net_rx_offloads_for(backend));
	net->pairs = pairs;
	net->used_pairs = 1;
	net->call_fd = -1;
	for (unsigned int k = 0; k < pairs; k++) {
		struct net_pair *pair = &net->pair[k];

		pair->net = net;
		pair->index = k;
		pair->tap_fd = tap_fds[k];
		pair->attached = true;
		pair->rx_ring_fd = pair->tx_ring_fd = pair->bind_fd = -1;
		pair->rx_kick_fd = pair->tx_kick_fd = -1;
		pair->vhost_fd = pair->vhost_err_fd = -1;
		/*
		 * The copy backend reads the tap on the I/O thread and must
		 * never block there; tun_vring needs nothing from the flags.
		 */
		if (backend == NET_BACKEND_COPY &&
		    fcntl(pair->tap_fd, F_SETFL, O_NONBLOCK) < 0)
			die("virtio-net: can't make the tap non-blocking: %m");
	}
	if (pairs > 1) {
		net->model.features |= NET_MQ_FEATURES;
		net->model.queue_count = 2 * pairs + 1;
		net->config.max_virtqueue_pairs = pairs;
	}
	memcpy(net->config.mac, mac, 6);
	net->config.status = VIRTIO_NET_S_LINK_UP;
	/* Creating the device resets it, which starts the copy backend. */
	net->dev = virtio_device_create(&net->model, mem, net, &net->config,
			     sizeof(net->config));
}

void virtio_net_create(const struct guest_mem *mem, int tap_fd,
		       const uint8_t mac[6], enum net_backend backend)
{
	virtio_net_create_mq(mem, &tap_fd, 1, mac, backend);
}

const char *net_backend_name(enum net_backend backend)
{
	switch (backend) {
	case NET_BACKEND_COPY:
		return "copy";
	case NET_BACKEND_VRING:
		return "vring";
	case NET_BACKEND_VHOST:
		return "vhost";
	}
	return "?";
}

/*N:990
 * You now know a frame's whole way.  The guest's driver puts it in a
 * ring.  On the vring backend its notify write becomes an eventfd signal
 * inside lg.ko (H:320), that signal a kick of a vringfd (R:230), and the
 * kick a sendmsg() into the tap from tun_vring (N:100); the way back is a
 * recvmsg() into the guest's own buffers (N:220) and an irqfd interrupt
 * (H:330), with the launcher nowhere on the path.  On the copy backend the
 * launcher does the same work itself, with an exit and a system call or
 * two per frame (N:430).  That is the whole of a guest's life; the ending
 * looks back over it (E:010).
 */
