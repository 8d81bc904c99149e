/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*R:205
 * vringfd: a file descriptor over a virtio split ring in user memory, as
 * its owner sees it.
 *
 * Open /dev/vring, describe the ring with VRINGSETUP, and the ring's
 * in-kernel consumer (an echo test module, tun_vring, ...) walks it in
 * place: it reads the buffers the ring's owner made available and
 * publishes used entries, without the owner copying anything.
 *
 *  - poll() reports EPOLLIN when used->idx differs from the owner's
 *    *last_used, EPOLLERR once the ring is broken.
 *  - write(fd, "", 0) kicks the consumer (the "notify" of virtio).
 *  - Every descriptor address is an offset: the buffer lives at
 *    base + addr in the owner's address space, and [addr, addr + len)
 *    must lie inside [0, limit) (VRINGSETBASE, VRINGSETLIMIT).
 *
 * Documentation/vringfd.rst describes the ABI in full.
 */
#ifndef _UAPI_LINUX_VRINGFD_H
#define _UAPI_LINUX_VRINGFD_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * 0xBE is unused in Documentation/userspace-api/ioctl/ioctl-number.rst
 * (the 2008 proposal used 0xAE, which belongs to KVM).
 */
#define VRINGFD_IOCTL_MAGIC	0xBE

/* Largest ring: the virtio split ring's limit (Queue Size <= 32768). */
#define VRINGFD_MAX_NUM		32768

/* Ring features VRINGSETUP accepts in vring_setup.features (bit numbers). */
#define VRINGFD_F_INDIRECT_DESC	28	/* VIRTIO_RING_F_INDIRECT_DESC */
#define VRINGFD_F_EVENT_IDX	29	/* VIRTIO_RING_F_EVENT_IDX */

/**
 * struct vring_setup - where a ring lives, for VRINGSETUP
 * @num:       number of descriptors: a power of two, 1 to 32768
 * @flags:     must be 0
 * @features:  negotiated ring features, as 1ULL << VRINGFD_F_*
 * @desc:      user address of the descriptor table (16-byte aligned)
 * @avail:     user address of the available ring (2-byte aligned)
 * @used:      user address of the used ring (4-byte aligned)
 * @last_used: user address of the owner's __u16 "last used index seen",
 *             which poll() compares with used->idx; 0 for none (poll then
 *             never reports EPOLLIN: use a call eventfd instead)
 *
 * The three ring addresses are plain user addresses (VRINGSETBASE does not
 * apply to them); only the buffer addresses inside descriptors are offsets.
 */
struct vring_setup {
	__u32 num;
	__u32 flags;
	__u64 features;
	__u64 desc;
	__u64 avail;
	__u64 used;
	__u64 last_used;
};

#define VRINGFD_REASON_LEN	96

/**
 * struct vring_status - the ring's state, for VRINGGETSTATUS
 * @num:        ring size, 0 before VRINGSETUP
 * @broken:     1 once the ring was found malformed; it stays broken until
 *              the next VRINGSETUP
 * @last_avail: the next avail->ring slot the consumer will read
 * @used_idx:   the used->idx the consumer last published
 * @attached:   1 while an in-kernel consumer is attached
 * @pad:        0
 * @base:       current VRINGSETBASE value
 * @limit:      current VRINGSETLIMIT value
 * @reason:     NUL-terminated text saying why the ring broke, or ""
 */
struct vring_status {
	__u32 num;
	__u32 broken;
	__u16 last_avail;
	__u16 used_idx;
	__u32 attached;
	__u32 pad;
	__u64 base;
	__u64 limit;
	char reason[VRINGFD_REASON_LEN];
};

/* Buckets of vring_stats.batches: runs of 0, 1, 2-3, 4-7, ..., 64+ entries. */
#define VRINGFD_BATCH_BUCKETS	8

/**
 * struct vring_stats - what the ring's consumer did, for VRINGGETSTATS
 * @kicks:      kicks taken: write()s and kick eventfd signals (several
 *              eventfd kicks that come while one waits make one run)
 * @runs:       times the consumer ran (kicked, or by its own doing: a
 *              frame arrived for tun_vring, a run's budget ran out)
 * @used:       used entries it published
 * @signals:    times it signalled the owner (poll waiters, call eventfd)
 * @suppressed: times it had published entries but the owner had asked
 *              for no signal (VRING_AVAIL_F_NO_INTERRUPT or used_event)
 * @batches:    runs by the used entries each published: [0] none,
 *              [b] 2^(b-1) to 2^b - 1, the last 64 or more
 * @reserved:   0
 *
 * Counted since VRINGSETUP.  Every field is read on its own, without
 * stopping the consumer, so fields may disagree by a run in flight; but
 * a run counted in @runs is always already in @batches and @used.
 */
struct vring_stats {
	__u64 kicks;
	__u64 runs;
	__u64 used;
	__u64 signals;
	__u64 suppressed;
	__u64 batches[VRINGFD_BATCH_BUCKETS];
	__u64 reserved[3];
};

/* Describe the ring; resets its indices and clears "broken". */
#define VRINGSETUP	_IOW(VRINGFD_IOCTL_MAGIC, 0x00, struct vring_setup)
/* Buffer addresses are offsets from this user address (by value). */
#define VRINGSETBASE	_IO(VRINGFD_IOCTL_MAGIC, 0x01)
/* Buffers must end at or below this offset (by value). */
#define VRINGSETLIMIT	_IO(VRINGFD_IOCTL_MAGIC, 0x02)
/* An eventfd whose signal kicks the consumer; -1 removes it (by value). */
#define VRINGSETKICKFD	_IO(VRINGFD_IOCTL_MAGIC, 0x03)
/* An eventfd signalled when the consumer signals the owner; -1 removes. */
#define VRINGSETCALLFD	_IO(VRINGFD_IOCTL_MAGIC, 0x04)
/* Read the ring's state and, if broken, why. */
#define VRINGGETSTATUS	_IOR(VRINGFD_IOCTL_MAGIC, 0x05, struct vring_status)
/* Read the consumer's counters. */
#define VRINGGETSTATS	_IOR(VRINGFD_IOCTL_MAGIC, 0x06, struct vring_stats)

#endif /* _UAPI_LINUX_VRINGFD_H */
