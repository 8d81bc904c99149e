/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The launcher's side of a virtio split ring living in guest memory: take
 * the guest's descriptor chains, hand back used buffers, decide whether
 * the guest wants to hear about it.  The ring itself is walked by
 * fs/vring_core.c, the walker vringfd.ko runs and the unit tests and the
 * fuzzers check, reaching guest RAM through lguest/vring_mem.c; what is
 * the launcher's own is here: the queue registers the transport fills in,
 * our limits, and turning the walker's chains into iovecs that point
 * straight into guest memory.
 */
#ifndef LGUEST_VIRTQUEUE_H
#define LGUEST_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "device.h"
#include "vring_core.h"

/*
 * The largest queue we offer (QueueNumMax), and the longest chain we take:
 * a direct chain is at most the queue's size, one through an indirect
 * table at most this, whatever the size (Linux sizes its tables by the
 * device's seg_max, not by the queue it got).
 */
#define VIRTQUEUE_MAX_SIZE	256

struct strict_queue;
struct virtqueue;

/*
 * Someone watching what the driver does with a ring (strict mode, L:725):
 * told when the queue starts, before the device looks for chains and
 * again once it took one (so a chain published meanwhile is seen before
 * it is used), and before it gives one back.  Through pointers, so that what links the
 * queues alone (the fuzz target) needs nothing of strict mode.
 */
struct virtqueue_observer {
	void (*started)(struct virtqueue *vq);
	void (*available)(struct virtqueue *vq);
	void (*used)(struct virtqueue *vq, uint16_t head);
};

struct virtqueue {
	const struct guest_mem *mem;
	/* What the driver wrote into the transport's queue registers. */
	uint16_t size;
	bool ready;
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
	/* Negotiated features that change how the ring is read. */
	bool event_idx;
	bool indirect;
	/*
	 * The walker's state for this ring (our place in it, why it broke),
	 * and the array it writes a chain into.
	 */
	struct vring_core core;
	/*
	 * Notifies that reached us and device runs that served the ring,
	 * beside the walker's own counters (R:095), for -v and kill -USR1.
	 */
	uint64_t kicks, runs;
	/*
	 * --virtio-strict's view of this ring (L:725) and its hooks, or
	 * NULL; a reset keeps them.
	 */
	struct strict_queue *strict;
	const struct virtqueue_observer *observer;
	struct vring_seg segs[VIRTQUEUE_MAX_SIZE];
};

/*
 * One descriptor chain, mapped: out[] are the buffers the device reads
 * (driver -> device), in[] those it writes.  The iovecs point straight
 * into guest memory, each already bounds-checked.  Empty descriptors get
 * no iovec.
 */
struct virtqueue_chain {
	uint16_t head;
	unsigned int out_count, in_count;
	uint64_t out_bytes, in_bytes;
	struct iovec out[VIRTQUEUE_MAX_SIZE];
	struct iovec in[VIRTQUEUE_MAX_SIZE];
};

/* Why the guest broke this queue (one line), or NULL while it is sound. */
static inline const char *virtqueue_broken(const struct virtqueue *vq)
{
	return vq->core.broken;
}

/* Forget everything: the state after a device reset. */
void virtqueue_reset(struct virtqueue *vq, const struct guest_mem *mem);

/*
 * The driver set QueueReady: check the size and the ring's addresses and
 * start from the ring's current used->idx.  false (and a reason in
 * virtqueue_broken()) if the ring can't be used.
 */
bool virtqueue_start(struct virtqueue *vq, bool event_idx, bool indirect);

/*
 * Take the next available chain: 1 and *chain filled, 0 if there is none,
 * -1 if the ring is broken (virtqueue_broken() says why).
 */
int virtqueue_pop(struct virtqueue *vq, struct virtqueue_chain *chain);

/*
 * Put back the chain the last virtqueue_pop() took, unused (the data it
 * was for wasn't there after all): the next pop returns it again.
 */
void virtqueue_unpop(struct virtqueue *vq);

/* Give a chain back: written = bytes the device wrote into its in[]. */
void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/*
 * After a batch of pushes: does the guest want an interrupt for them?
 * Also tells the guest (EVENT_IDX) from which avail index on we want a
 * kick.  Call once per batch, then raise the interrupt if true.
 */
bool virtqueue_needs_interrupt(struct virtqueue *vq);

struct vring_stats;
/* The ring's counters in vringfd's form (struct vring_stats). */
void virtqueue_get_stats(const struct virtqueue *vq, struct vring_stats *st);
/*
 * One line of a ring's counters: "lguest: NAME queue Q (WHAT): kicks ...".
 * The same for a ring we serve and one the kernel serves (VRINGGETSTATS).
 */
void ring_stats_print(FILE *out, const char *name, unsigned int queue,
		      const char *what, const struct vring_stats *st);

/* Copy between an iovec array and a flat buffer, from byte offset skip. */
size_t iov_copy_from(const struct iovec *iov, unsigned int count,
		     size_t skip, void *buf, size_t len);
size_t iov_copy_to(const struct iovec *iov, unsigned int count,
		   size_t skip, const void *buf, size_t len);

/*
 * Fill dst[] (room for dst_max) with the part [skip, skip + len) of
 * src[]; returns how many entries were used.
 */
unsigned int iov_slice(const struct iovec *src, unsigned int count,
		       size_t skip, size_t len, struct iovec *dst,
		       unsigned int dst_max);

#endif /* LGUEST_VIRTQUEUE_H */
