/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher's virtio devices, as the rest of the launcher sees them: one
 * constructor per device.  Each constructor takes the next free 4 KiB
 * window at VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SIZE and the next free
 * interrupt line (5, 6, 7, 9, 10, 11, 12, 14, 15, 3), registers the window
 * with mmio_register() and announces the device on the guest's command line
 * with cmdline_append("virtio_mmio.device=4K@0x...:IRQ").  Call them before
 * the command line is written into the guest; they die() on a setup error
 * (a disk image that won't open), never on anything the guest does.
 *
 * Device-internal interfaces (the transport's ops for a device model) are
 * in virtio_device.h; nothing outside the virtio files needs them.
 */
#ifndef LGUEST_VIRTIO_MMIO_H
#define LGUEST_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "device.h"

/*
 * A block device backed by the file (or block device) at path, opened
 * read-write, or read-only if read_only (the guest then sees a read-only
 * disk and its writes fail with an I/O error).
 */
void virtio_blk_create(const struct guest_mem *mem, const char *path,
		       bool read_only);

/*
 * A console (hvc0 in the guest).  What the guest writes goes to out_fd
 * (e.g. STDOUT_FILENO); what can be read from in_fd goes to the guest
 * (in_fd < 0: no input).  The fds stay the caller's: not closed by us.
 */
void virtio_console_create(const struct guest_mem *mem, int out_fd,
			   int in_fd);

/* An entropy source (hwrng in the guest) fed from getrandom(). */
void virtio_rng_create(const struct guest_mem *mem);

/*
 * Who moves the network card's frames between its rings and the tap:
 *   COPY   we do, through a trap to us per notify and a read or write of
 *          the tap per frame (the original lguest way);
 *   VRING  the kernel does, from the driver's DRIVER_OK on: a vringfd per
 *          ring (/dev/vring) bound to the tap by tun_vring.ko
 *          (/dev/tun_vring);
 *   VHOST  the kernel does, with Linux's own vhost-net (/dev/vhost-net),
 *          vringfd's descendant: the same shape, its own ring walker.
 */
enum net_backend {
	NET_BACKEND_COPY,
	NET_BACKEND_VRING,
	NET_BACKEND_VHOST,
};

/* "copy", "vring" or "vhost". */
const char *net_backend_name(enum net_backend backend);

/*
 * What the card offers for frames towards the guest (N:445), for cards
 * created after this (--net-rx-offloads): each level adds to the one
 * before it.
 *   NONE  every frame arrives checksummed and cut to the MTU;
 *   CSUM  VIRTIO_NET_F_GUEST_CSUM: frames may come with the checksum
 *         still to do;
 *   MRG   and VIRTIO_NET_F_MRG_RXBUF: a frame may fill several receive
 *         buffers (not on the copy backend);
 *   TSO   and GUEST_TSO4, GUEST_TSO6, GUEST_ECN: TCP segments of up to
 *         64 KiB (not on the copy backend).
 * The default is TSO on the kernel backends, CSUM on the copy backend.
 */
enum net_rx_offloads {
	NET_RX_OFFLOADS_NONE,
	NET_RX_OFFLOADS_CSUM,
	NET_RX_OFFLOADS_MRG,
	NET_RX_OFFLOADS_TSO,
};

/* "none", "csum", "mrg" or "tso". */
const char *net_rx_offloads_name(enum net_rx_offloads level);
void virtio_net_set_rx_offloads(enum net_rx_offloads level);
/* The level a card on backend gets: the one set, or the default. */
enum net_rx_offloads net_rx_offloads_for(enum net_backend backend);

/*
 * A network card on the tap tap_fd (tunnet.c) with MAC address mac, its
 * frames moved by backend.  The tap fd is ours from now on.
 */
void virtio_net_create(const struct guest_mem *mem, int tap_fd,
		       const uint8_t mac[6], enum net_backend backend);

/*
 * The same with pairs (1 to LGUEST_NET_MAX_PAIRS) queue pairs, one per tap
 * queue file in tap_fds[] (a tap made with IFF_MULTI_QUEUE, opened pairs
 * times): with more than one, the card offers VIRTIO_NET_F_MQ and a
 * control queue.  The fds are ours from now on.
 */
#define LGUEST_NET_MAX_PAIRS	8
void virtio_net_create_mq(const struct guest_mem *mem, const int *tap_fds,
			  unsigned int pairs, const uint8_t mac[6],
			  enum net_backend backend);

/*
 * The vring backend's receive interrupt moderation for cards created
 * after this (--net-coalesce): at most one receive interrupt per usecs
 * microseconds while frames keep coming; 0 for none.  The default, a
 * quarter of a millisecond, is what a NIC's moderation typically allows
 * and doubled the small-packet rate the guest takes in make bench; a
 * lone packet is not delayed at all.
 */
#define LGUEST_NET_COALESCE_DEFAULT	250
#define LGUEST_NET_COALESCE_MAX		1000000
void virtio_net_set_rx_coalesce(unsigned int usecs);

/*
 * Busy-polling on the kernel backends (--net-busy-poll): a dry ring is
 * watched for up to usecs microseconds before the guest is asked to kick
 * again (tun_vring's N:125, vhost-net's busyloop); 0, the default, never.
 */
#define LGUEST_NET_BUSY_POLL_MAX	1000000
void virtio_net_set_busy_poll(unsigned int usecs);

/* Every device's counters (the models that keep any), for -v at exit. */
void virtio_print_stats(FILE *out);

/*
 * Free every virtio device and close the files they opened.  Only once the
 * guest is gone (the MMIO windows stay registered with the launcher).
 */
void virtio_destroy_all(void);

#endif /* LGUEST_VIRTIO_MMIO_H */
