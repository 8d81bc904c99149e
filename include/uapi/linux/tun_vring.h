/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*N:050
 * tun_vring: bind a tap queue to two vringfds, so that a guest's network
 * rings are served inside the kernel.  This is the whole interface the
 * launcher uses (N:480).
 *
 * Open /dev/tun_vring (one binding per open file), set up an rx and a tx
 * ring on /dev/vring (VRINGSETUP, VRINGSETBASE, VRINGSETLIMIT, and usually
 * VRINGSETKICKFD / VRINGSETCALLFD), then TUN_VRING_ATTACH with a tap fd.
 * From then on:
 *
 *  - every chain made available on the tx ring (a virtio_net_hdr and an
 *    Ethernet frame, over any number of readable descriptors) is sent into
 *    the tap and returned as used with length 0;
 *  - every frame the tap has for us is written into the next chain(s) of
 *    the rx ring, virtio_net_hdr first, and returned as used with the
 *    number of bytes written.
 *
 * close() of the /dev/tun_vring file undoes the binding.  The binding holds
 * its own references on the tap file and on both ring files, so the fds
 * passed in may be closed at any time after TUN_VRING_ATTACH.
 *
 * Documentation/tun_vring.rst describes the ABI in full.
 */
#ifndef _UAPI_LINUX_TUN_VRING_H
#define _UAPI_LINUX_TUN_VRING_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * 0xBC is unused in Documentation/userspace-api/ioctl/ioctl-number.rst of
 * Linux 6.1 (lguest's other devices use 0xBD, 0xBE and 0xBF).
 */
#define TUN_VRING_IOCTL_MAGIC	0xBC

/*
 * Receive buffers are mergeable (VIRTIO_NET_F_MRG_RXBUF): a frame may be
 * spread over several rx chains, and num_buffers (the little-endian __u16
 * at offset 10 of the 12-byte header) says over how many.
 */
#define TUN_VRING_F_MRG_RXBUF	(1U << 0)
/*
 * The header is the 12-byte virtio 1.x one but buffers are not mergeable:
 * write num_buffers = 1 into every received header, as the virtio spec
 * asks of a device.  Implied by TUN_VRING_F_MRG_RXBUF.
 */
#define TUN_VRING_F_NUM_BUFFERS	(1U << 1)

/**
 * struct tun_vring_attach - what TUN_VRING_ATTACH binds together
 * @tap_fd: a /dev/net/tun fd after TUNSETIFF with IFF_TAP | IFF_NO_PI |
 *          IFF_VNET_HDR (TUNSETVNETHDRSZ 12 for virtio 1.x), or a
 *          macvtap fd (/dev/tapN) set up the same way
 * @rx_fd:  a /dev/vring fd: the guest's receive ring (we write its buffers)
 * @tx_fd:  a /dev/vring fd: the guest's transmit ring (we read its buffers)
 * @flags:  TUN_VRING_F_*; the two flags need a 12-byte vnet header
 */
struct tun_vring_attach {
	__s32 tap_fd;
	__s32 rx_fd;
	__s32 tx_fd;
	__u32 flags;
};

/**
 * struct tun_vring_stats - counters since TUN_VRING_ATTACH
 * @rx_packets:    frames written into the rx ring
 * @rx_bytes:      bytes written into the rx ring (headers included)
 * @rx_dropped:    frames thrown away: larger than the buffers posted for
 *                 them, or the buffer was smaller than the vnet header
 * @tx_packets:    frames taken from the tx ring and accepted by the tap
 * @tx_bytes:      bytes of those chains (headers included)
 * @tx_errors:     tx chains that could not be sent (no readable bytes,
 *                 writable descriptors, a header the tap refused, ...);
 *                 each is still returned as used
 * @rx_runs:       times the rx worker ran
 * @tx_runs:       times the tx worker ran
 * @rx_no_buffers: times rx stopped with a frame waiting and no buffer
 * @tx_blocked:    times tx stopped because the tap's send buffer was full
 * @rx_too_big:    of rx_dropped, frames larger than all the buffers posted
 *                 for them
 * @rx_refused:    of rx_dropped, frames the tap would not write into the
 *                 buffers (an error from it: a buffer smaller than the
 *                 vnet header, say)
 * @tx_malformed:  of tx_errors, chains with nothing to send, a buffer for
 *                 us to write, or more pieces than we take
 * @tx_refused:    of tx_errors, frames the tap refused (a bad vnet header,
 *                 a queue detached from its device)
 * @rx_coalesced:  rx signals held back for TUN_VRING_SET_RX_COALESCE's
 *                 timer (the timer's signal then covers them)
 * @busy_poll_hits: times busy-polling (TUN_VRING_SET_BUSY_POLL) found
 *                 work, on either ring: each a kick or a wake-up saved
 */
struct tun_vring_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 rx_dropped;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 tx_errors;
	__u64 rx_runs;
	__u64 tx_runs;
	__u64 rx_no_buffers;
	__u64 tx_blocked;
	__u64 rx_too_big;
	__u64 rx_refused;
	__u64 tx_malformed;
	__u64 tx_refused;
	__u64 rx_coalesced;
	__u64 busy_poll_hits;
};

/* Bind a tap to an rx and a tx ring; once per open file. */
#define TUN_VRING_ATTACH	_IOW(TUN_VRING_IOCTL_MAGIC, 0x00, \
				     struct tun_vring_attach)
/* Read the counters. */
#define TUN_VRING_GETSTATS	_IOR(TUN_VRING_IOCTL_MAGIC, 0x01, \
				     struct tun_vring_stats)
/*
 * Receive interrupt moderation, the argument by value, in microseconds
 * (0 to TUN_VRING_MAX_RX_COALESCE_USECS): while frames keep coming, the
 * rx ring's user is signalled at most once per that time; a frame after
 * a quieter spell is signalled at once.  0, the default, signals after
 * every batch of received frames.  Any time, before or after ATTACH.
 */
#define TUN_VRING_SET_RX_COALESCE	_IO(TUN_VRING_IOCTL_MAGIC, 0x02)
#define TUN_VRING_MAX_RX_COALESCE_USECS	1000000
/*
 * Busy-polling, the argument by value, in microseconds (0 to
 * TUN_VRING_MAX_BUSY_POLL_USECS): when a ring runs dry, keep looking at
 * it (tx: the guest's avail ring; rx: the tap) for up to that long, with
 * the guest's kicks still off, before asking for kicks again.  A frame
 * that comes meanwhile costs no kick (a guest exit) and no wake-up.  The
 * looking stops early for any other task that wants the CPU.  0, the
 * default, never polls.  Any time, before or after ATTACH.
 */
#define TUN_VRING_SET_BUSY_POLL		_IO(TUN_VRING_IOCTL_MAGIC, 0x03)
#define TUN_VRING_MAX_BUSY_POLL_USECS	1000000

#endif /* _UAPI_LINUX_TUN_VRING_H */
