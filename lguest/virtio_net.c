// SPDX-License-Identifier: GPL-2.0
/*N:430
 * The guest's network card: virtio-net, one receive queue (0) and one
 * transmit queue (1), on a tap device (tunnet.c).  Every buffer the guest
 * gives either queue starts with the 12-byte virtio network header, which
 * is exactly what a tap made with IFF_VNET_HDR expects in front of each
 * frame, so a frame crosses between guest and tap as it is.
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
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/vringfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio_device.h"
#include "virtio_mmio.h"

#define NET_RX_QUEUE	0
#define NET_TX_QUEUE	1
#define NET_QUEUES	2
/* struct virtio_net_hdr_v1, in front of every frame. */
#define VNET_HDR_SIZE	12
/* Frames taken per wakeup before the interrupt goes out. */
#define NET_RX_BATCH	64

struct virtio_net {
	struct virtio_device *dev;
	int tap_fd;
	bool vring_backend;
	struct virtio_net_config config;
	struct virtqueue_chain chain;

	/* copy: is the I/O thread watching the tap for us? */
	bool rx_watching;

	/* vring: the kernel's objects, while the driver is running. */
	int ring_fd[NET_QUEUES];
	int bind_fd;
	/* and the eventfds, bound into the hypervisor once for good. */
	int kick_fd[NET_QUEUES];
	int call_fd;
	bool events_bound;
};

/*N:440
 * What we offer.  CSUM: the guest may send frames with a partial checksum
 * (the vnet header says where to finish it), and GUEST_CSUM: we may give it
 * such frames; HOST_TSO4/6 and HOST_ECN: the guest may send TCP segments
 * of up to 64 KiB that the host's stack (or NIC) cuts up.  Everything passes
 * through the tap in the vnet header.  We don't offer GUEST_TSO: the guest
 * would then post 64 KiB receive buffers, a lot for a 64 MiB guest.
 */
#define NET_FEATURES	((1ULL << VIRTIO_NET_F_MAC) | \
			 (1ULL << VIRTIO_NET_F_STATUS) | \
			 (1ULL << VIRTIO_NET_F_CSUM) | \
			 (1ULL << VIRTIO_NET_F_GUEST_CSUM) | \
			 (1ULL << VIRTIO_NET_F_HOST_TSO4) | \
			 (1ULL << VIRTIO_NET_F_HOST_TSO6) | \
			 (1ULL << VIRTIO_NET_F_HOST_ECN))

/*N:450
 * The tap must know what the guest can take: with GUEST_CSUM it may hand
 * us frames whose checksum is still to be done (TUN_F_CSUM); without it,
 * the tap finishes checksums before frames reach us.
 */
static void set_tap_offloads(struct virtio_net *net)
{
	unsigned int offloads = 0;

	if (virtio_negotiated(net->dev, VIRTIO_NET_F_GUEST_CSUM))
		offloads |= TUN_F_CSUM;
	if (ioctl(net->tap_fd, TUNSETOFFLOAD, offloads) < 0)
		fprintf(stderr, "lguest: virtio-net: TUNSETOFFLOAD: %m\n");
}

/* --- the copy backend --------------------------------------------------- */

/*N:460
 * Transmit, copy backend: the guest's notify write trapped out to us (we
 * are on the vCPU thread, the guest waits).  Each chain is a vnet header
 * and a frame, in as many pieces as the driver liked; one writev() sends
 * it.  The tap can refuse (its queue full, the frame malformed): the
 * frame is dropped, as a real NIC would, and the guest is told it is done.
 */
static void net_transmit(struct virtio_net *net)
{
	struct virtqueue *vq = &net->dev->queues[NET_TX_QUEUE];
	struct virtqueue_chain *chain = &net->chain;

	while (virtqueue_pop(vq, chain) == 1) {
		if (chain->out_count &&
		    writev(net->tap_fd, chain->out, chain->out_count) < 0 &&
		    errno != EAGAIN && errno != EIO && errno != EINVAL)
			fprintf(stderr, "lguest: virtio-net: tap write: %m\n");
		virtqueue_push(vq, chain->head, 0);
	}
	virtio_queue_done(net->dev, NET_TX_QUEUE);
}

static void net_tap_readable(void *opaque);

/*
 * (dev, not net->dev: the transport resets a device, which calls us, before
 * virtio_device_create() has returned it.)
 */
static void watch_tap(struct virtio_device *dev, bool on)
{
	struct virtio_net *net = dev->priv;

	if (on == net->rx_watching)
		return;
	if (on ? io_watch(net->tap_fd, net_tap_readable, dev) :
		 io_unwatch(net->tap_fd))
		die("virtio-net: can't %s the tap", on ? "watch" : "unwatch");
	net->rx_watching = on;
}

/*N:470
 * Receive, copy backend, on the I/O thread: the tap has frames.  Each goes
 * with one readv() straight into the next receive buffer.  When the guest
 * has no buffer left we stop watching the tap (it would stay readable and
 * poll() would spin) until the guest's next notify on the receive queue.
 * Frames the tap gets before the driver is up are read and dropped.
 */
static void net_receive(struct virtio_net *net)
{
	struct virtqueue *vq = &net->dev->queues[NET_RX_QUEUE];
	struct virtqueue_chain *chain = &net->chain;
	const uint16_t one = 1;	/* little-endian, as we are */
	unsigned int done;
	ssize_t got;

	for (done = 0; done < NET_RX_BATCH; done++) {
		if (virtqueue_pop(vq, chain) != 1) {
			if (!vq->broken)
				watch_tap(net->dev, false);
			break;
		}
		got = readv(net->tap_fd, chain->in, chain->in_count);
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
	}
	virtio_queue_done(net->dev, NET_RX_QUEUE);
}

static void net_tap_readable(void *opaque)
{
	struct virtio_device *dev = opaque;
	struct virtio_net *net = dev->priv;
	char frame[2048];

	pthread_mutex_lock(&dev->lock);
	if (virtio_device_running(dev))
		net_receive(net);
	else if (read(net->tap_fd, frame, sizeof(frame)) < 0 && errno != EAGAIN)
		watch_tap(dev, false);
	pthread_mutex_unlock(&dev->lock);
}

/* --- the vring backend -------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void vring_backend_stop(struct virtio_net *net)
{
	/* Closing the binding stops tun_vring before the rings go. */
	close_fd(&net->bind_fd);
	for (unsigned int q = 0; q < NET_QUEUES; q++) {
		if (net->ring_fd[q] >= 0)
			io_unwatch(net->ring_fd[q]);
		close_fd(&net->ring_fd[q]);
	}
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
	struct virtio_device *dev = opaque;
	struct virtio_net *net = dev->priv;
	struct vring_status status;

	pthread_mutex_lock(&dev->lock);
	for (unsigned int q = 0; q < NET_QUEUES; q++) {
		if (net->ring_fd[q] < 0 ||
		    ioctl(net->ring_fd[q], VRINGGETSTATUS, &status) < 0 ||
		    !status.broken)
			continue;
		io_unwatch(net->ring_fd[q]);
		status.reason[sizeof(status.reason) - 1] = '\0';
		virtio_device_broken(dev, q, status.reason);
	}
	pthread_mutex_unlock(&dev->lock);
}

/*N:480
 * The hand-over.  Once per device: an eventfd per queue that the guest's
 * notify write (QueueNotify, offset 0x50, with the queue's number as the
 * value) signals inside the hypervisor, and one eventfd for both rings'
 * "used" signals, which becomes our interrupt line, with InterruptStatus
 * answered in the kernel too.  Then, at every DRIVER_OK: a vringfd per
 * ring over the very memory the driver described, bounded to guest RAM,
 * and the binding to the tap.  One write() to each ring starts it, in
 * case the driver filled it before we were listening.
 */
static void bind_events(struct virtio_net *net)
{
	struct virtio_device *dev = net->dev;

	for (unsigned int q = 0; q < NET_QUEUES; q++) {
		net->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (net->kick_fd[q] < 0 ||
		    notify_bind(dev->mmio_base + VIRTIO_MMIO_QUEUE_NOTIFY, q,
				net->kick_fd[q]))
			die("virtio-net: can't bind queue %u's notify: %m", q);
	}
	net->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (net->call_fd < 0 ||
	    irq_bind(net->call_fd, dev->irq,
		     dev->mmio_base + VIRTIO_MMIO_INTERRUPT_STATUS))
		die("virtio-net: can't bind interrupt line %u: %m", dev->irq);
	dev->irq_external = true;
	net->events_bound = true;
}

static int open_ring(struct virtio_net *net, unsigned int q)
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
	    ioctl(fd, VRINGSETKICKFD, net->kick_fd[q]) < 0 ||
	    ioctl(fd, VRINGSETCALLFD, net->call_fd) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void vring_backend_start(struct virtio_net *net)
{
	struct virtio_device *dev = net->dev;
	struct tun_vring_attach attach = {
		.tap_fd = net->tap_fd,
		/* Our 12-byte header has num_buffers, which must say 1. */
		.flags = TUN_VRING_F_NUM_BUFFERS,
	};

	if (!net->events_bound)
		bind_events(net);
	for (unsigned int q = 0; q < NET_QUEUES; q++) {
		if (!dev->queues[q].ready) {
			virtio_device_broken(dev, q, "queue not ready at DRIVER_OK");
			goto fail;
		}
		net->ring_fd[q] = open_ring(net, q);
		if (net->ring_fd[q] < 0) {
			fprintf(stderr, "lguest: virtio-net: queue %u: vringfd: %m\n", q);
			virtio_device_broken(dev, q, "the kernel refused the ring");
			goto fail;
		}
	}
	attach.rx_fd = net->ring_fd[NET_RX_QUEUE];
	attach.tx_fd = net->ring_fd[NET_TX_QUEUE];
	net->bind_fd = open("/dev/tun_vring", O_RDWR | O_CLOEXEC);
	if (net->bind_fd < 0 || ioctl(net->bind_fd, TUN_VRING_ATTACH, &attach) < 0) {
		fprintf(stderr, "lguest: virtio-net: tun_vring: %m\n");
		virtio_device_broken(dev, NET_RX_QUEUE, "the kernel refused the tap binding");
		goto fail;
	}
	for (unsigned int q = 0; q < NET_QUEUES; q++) {
		if (io_watch(net->ring_fd[q], net_ring_error, dev))
			die("virtio-net: can't watch the rings");
	}
	return;
fail:
	vring_backend_stop(net);
}

/* --- what the transport calls ------------------------------------------- */

static void net_driver_ok(struct virtio_device *dev)
{
	struct virtio_net *net = dev->priv;

	set_tap_offloads(net);
	if (net->vring_backend)
		vring_backend_start(net);
}

/*
 * A notify that reached us.  On the vring backend that's only the one
 * the transport makes at DRIVER_OK; the guest's own go to the kernel.
 */
static void net_queue_notify(struct virtio_device *dev, unsigned int queue)
{
	struct virtio_net *net = dev->priv;

	if (net->vring_backend) {
		if (net->ring_fd[queue] >= 0 && write(net->ring_fd[queue], "", 0) < 0)
			fprintf(stderr, "lguest: virtio-net: kick: %m\n");
		return;
	}
	if (queue == NET_TX_QUEUE) {
		net_transmit(net);
	} else {
		watch_tap(dev, true);
		net_receive(net);
	}
}

static void net_reset(struct virtio_device *dev)
{
	struct virtio_net *net = dev->priv;

	if (net->vring_backend)
		vring_backend_stop(net);
	else if (net->tap_fd >= 0)
		watch_tap(dev, true);	/* to drain it while the driver is away */
}

static void net_destroy(struct virtio_device *dev)
{
	struct virtio_net *net = dev->priv;

	vring_backend_stop(net);
	for (unsigned int q = 0; q < NET_QUEUES; q++)
		close_fd(&net->kick_fd[q]);
	close_fd(&net->call_fd);
	free(net);
}

static const struct virtio_device_model net_model = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.features = NET_FEATURES,
	.queue_count = NET_QUEUES,
	.queue_notify = net_queue_notify,
	.driver_ok = net_driver_ok,
	.reset = net_reset,
	.destroy = net_destroy,
};

void virtio_net_create(const struct guest_mem *mem, int tap_fd,
		       const uint8_t mac[6], bool vring_backend)
{
	struct virtio_net *net = calloc(1, sizeof(*net));

	if (!net)
		die("out of memory for virtio-net");
	net->tap_fd = tap_fd;
	net->vring_backend = vring_backend;
	net->bind_fd = net->call_fd = -1;
	for (unsigned int q = 0; q < NET_QUEUES; q++)
		net->ring_fd[q] = net->kick_fd[q] = -1;
	memcpy(net->config.mac, mac, 6);
	net->config.status = VIRTIO_NET_S_LINK_UP;
	/*
	 * The copy backend reads the tap on the I/O thread and must never
	 * block there; tun_vring needs nothing from the fd's flags.
	 */
	if (!vring_backend && fcntl(tap_fd, F_SETFL, O_NONBLOCK) < 0)
		die("virtio-net: can't make the tap non-blocking: %m");
	/* Creating the device resets it, which starts the copy backend. */
	net->dev = virtio_device_create(&net_model, mem, net, &net->config,
					sizeof(net->config));
}
