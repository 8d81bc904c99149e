// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher's side of a virtio split ring in guest memory.
 *
 * The guest shares three arrays with us: the descriptor table, the
 * "available" ring (the driver's list of chains for us) and the "used" ring
 * (our list of chains given back).  We are x86-64 only, host and guest, so
 * the ring's little-endian fields are read as they are.
 */
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>

#include "virtqueue.h"

/* The ring parts' sizes for a queue of size entries (virtio 1.x 2.7). */
static uint64_t desc_table_bytes(uint16_t size)
{
	return 16ULL * size;
}

static uint64_t avail_ring_bytes(uint16_t size)
{
	return 6ULL + 2ULL * size;	/* flags, idx, ring[size], used_event */
}

static uint64_t used_ring_bytes(uint16_t size)
{
	return 6ULL + 8ULL * size;	/* flags, idx, ring[size], avail_event */
}

static uint16_t *avail_flags(struct virtqueue *vq)
{
	return guest_ptr(vq->mem, vq->avail_gpa, 2);
}

static uint16_t *avail_idx(struct virtqueue *vq)
{
	return guest_ptr(vq->mem, vq->avail_gpa + 2, 2);
}

static uint16_t *avail_entry(struct virtqueue *vq, uint16_t i)
{
	return guest_ptr(vq->mem, vq->avail_gpa + 4 + 2ULL * i, 2);
}

static uint16_t *used_event(struct virtqueue *vq)
{
	return avail_entry(vq, vq->size);
}

static uint16_t *used_idx(struct virtqueue *vq)
{
	return guest_ptr(vq->mem, vq->used_gpa + 2, 2);
}

static struct vring_used_elem *used_entry(struct virtqueue *vq, uint16_t i)
{
	return guest_ptr(vq->mem, vq->used_gpa + 4 + 8ULL * i, 8);
}

static uint16_t *avail_event(struct virtqueue *vq)
{
	return guest_ptr(vq->mem, vq->used_gpa + 4 + 8ULL * vq->size, 2);
}

void virtqueue_reset(struct virtqueue *vq, const struct guest_mem *mem)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
}

static bool virtqueue_break(struct virtqueue *vq, const char *reason)
{
	if (!vq->broken) {
		vq->broken = true;
		vq->broken_reason = reason;
	}
	return false;
}

static void *virtqueue_break_null(struct virtqueue *vq, const char *reason)
{
	virtqueue_break(vq, reason);
	return NULL;
}

/*L:525
 * When the driver sets QueueReady, it has told us the queue's size and
 * where its three parts are.  We check all of that once, here: the size is
 * a power of two we support, each part is aligned as the spec demands
 * (which also keeps our atomic accesses aligned) and lies wholly inside
 * guest RAM.  Guest RAM never moves, so the ring accessors above can't
 * fail after this; they still go through guest_ptr() each time, because
 * the few nanoseconds are cheaper than the argument that they needn't.
 */
bool virtqueue_start(struct virtqueue *vq, bool event_idx, bool indirect)
{
	uint16_t size = vq->size;
	uint16_t *used;

	vq->broken = false;
	vq->broken_reason = NULL;
	if (!size || size > VIRTQUEUE_MAX_SIZE || (size & (size - 1)))
		return virtqueue_break(vq, "queue size not a power of 2 <= 256");
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return virtqueue_break(vq, "ring part misaligned");
	if (!guest_ptr(vq->mem, vq->desc_gpa, desc_table_bytes(size)) ||
	    !guest_ptr(vq->mem, vq->avail_gpa, avail_ring_bytes(size)) ||
	    !guest_ptr(vq->mem, vq->used_gpa, used_ring_bytes(size)))
		return virtqueue_break(vq, "ring outside guest memory");

	vq->event_idx = event_idx;
	vq->indirect = indirect;
	used = used_idx(vq);
	vq->used_idx = __atomic_load_n(used, __ATOMIC_ACQUIRE);
	vq->last_avail = vq->used_idx;
	vq->signalled_used = vq->used_idx;
	vq->ready = true;
	return true;
}

/*
 * How many chains the driver has made available that we haven't taken.
 * The acquire pairs with the driver's barrier before it bumps avail->idx:
 * once we see the new index, we see the ring entries and descriptors it
 * wrote before.
 */
static int virtqueue_pending(struct virtqueue *vq)
{
	uint16_t idx = __atomic_load_n(avail_idx(vq), __ATOMIC_ACQUIRE);
	uint16_t pending = idx - vq->last_avail;

	if (pending > vq->size)
		return virtqueue_break(vq, "avail index more than queue size ahead");
	return pending;
}

/*L:545
 * With VIRTIO_RING_F_EVENT_IDX the guest kicks us only when its avail->idx
 * passes the value we leave in avail_event.  We leave it when we find the
 * ring empty: "wake me for the next one".  Then we must look again, after
 * a full barrier, since the driver may have added a chain and read the old
 * avail_event in between: without the second look that chain would sit
 * there with no kick coming.
 */
static int virtqueue_pending_or_arm(struct virtqueue *vq)
{
	int pending = virtqueue_pending(vq);

	if (pending || !vq->event_idx || vq->broken)
		return pending;
	__atomic_store_n(avail_event(vq), vq->last_avail, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtqueue_pending(vq);
}

/*
 * One buffer of the chain.  The copy of the descriptor is ours: the guest
 * can scribble on its table while we look, and we must judge and use the
 * same values.  limit bounds the chain's length: the queue size, or our
 * own maximum inside an indirect table (Linux sizes those by the device's
 * seg_max, not by the queue size it picked).  Either way it is no more
 * than the iovec arrays hold.
 */
static bool chain_add(struct virtqueue *vq, struct virtqueue_chain *chain,
		      const struct vring_desc *desc, unsigned int limit)
{
	void *host;
	struct iovec *iov;

	if (chain->out_count + chain->in_count >= limit)
		return virtqueue_break(vq, "descriptor chain too long (loop?)");
	host = guest_ptr(vq->mem, desc->addr, desc->len);
	if (!host)
		return virtqueue_break(vq, "buffer outside guest memory");

	if (desc->flags & VRING_DESC_F_WRITE) {
		iov = &chain->in[chain->in_count++];
		chain->in_bytes += desc->len;
	} else {
		if (chain->in_count)
			return virtqueue_break(vq, "readable buffer after a writable one");
		iov = &chain->out[chain->out_count++];
		chain->out_bytes += desc->len;
	}
	iov->iov_base = host;
	iov->iov_len = desc->len;
	if (chain->out_bytes + chain->in_bytes > UINT32_MAX)
		return virtqueue_break(vq, "chain longer than 4 GiB");
	return true;
}

/*L:555
 * An indirect descriptor points at a table of further descriptors
 * somewhere in guest memory; the chain continues there, from entry 0, and
 * never comes back.  The rules keep that walk finite: the feature must
 * have been negotiated, the table must hold a whole number of
 * descriptors, the indirect descriptor ends its chain (no NEXT), and an
 * indirect table can't point to another.
 */
static const struct vring_desc *indirect_table(struct virtqueue *vq,
					       const struct vring_desc *desc,
					       bool nested, uint16_t *entries)
{
	const struct vring_desc *table;

	if (!vq->indirect)
		return virtqueue_break_null(vq, "indirect descriptor not negotiated");
	if (nested)
		return virtqueue_break_null(vq, "nested indirect descriptor");
	if (desc->flags & VRING_DESC_F_NEXT)
		return virtqueue_break_null(vq, "indirect descriptor with NEXT");
	if (!desc->len || desc->len % 16 || desc->len / 16 > VIRTQUEUE_MAX_SIZE)
		return virtqueue_break_null(vq, "bad indirect table length");
	table = guest_ptr(vq->mem, desc->addr, desc->len);
	if (!table)
		return virtqueue_break_null(vq, "indirect table outside guest memory");
	*entries = desc->len / 16;
	return table;
}

/*L:550
 * A chain is a linked list through the descriptor table, starting at the
 * head the avail ring gave us.  A hostile guest can make it loop, point
 * past the table, or point outside its memory.  We bound the walk by the
 * queue size (no honest chain is longer, so a loop trips it), check each
 * next index against the table it indexes, and let chain_add() check each
 * buffer.
 */
static bool walk_chain(struct virtqueue *vq, struct virtqueue_chain *chain)
{
	const struct vring_desc *table = guest_ptr(vq->mem, vq->desc_gpa,
						   desc_table_bytes(vq->size));
	uint16_t entries = vq->size, i = chain->head;
	bool in_indirect = false;
	struct vring_desc desc;

	for (;;) {
		memcpy(&desc, &table[i], sizeof(desc));
		if (desc.flags & VRING_DESC_F_INDIRECT) {
			table = indirect_table(vq, &desc, in_indirect, &entries);
			if (!table)
				return false;
			in_indirect = true;
			i = 0;
			continue;
		}
		if (!chain_add(vq, chain, &desc,
			       in_indirect ? VIRTQUEUE_MAX_SIZE : vq->size))
			return false;
		if (!(desc.flags & VRING_DESC_F_NEXT))
			return true;
		i = desc.next;
		if (i >= entries)
			return virtqueue_break(vq, "next index past the table");
	}
}

/*L:542
 * A device asks for work.  The avail ring's entry at last_avail names the
 * head of the next chain; we map the whole chain into iovecs pointing
 * straight into guest memory (no copies), and move on.  Anything wrong
 * breaks the queue: we stop using it rather than guess what the guest
 * meant, and the transport tells the guest it needs a reset.
 */
int virtqueue_pop(struct virtqueue *vq, struct virtqueue_chain *chain)
{
	int pending;
	uint16_t head;

	if (!vq->ready || vq->broken)
		return vq->broken ? -1 : 0;
	pending = virtqueue_pending_or_arm(vq);
	if (pending <= 0)
		return vq->broken ? -1 : 0;

	head = __atomic_load_n(avail_entry(vq, vq->last_avail % vq->size),
			       __ATOMIC_RELAXED);
	if (head >= vq->size) {
		virtqueue_break(vq, "chain head past the table");
		return -1;
	}
	chain->head = head;
	chain->out_count = chain->in_count = 0;
	chain->out_bytes = chain->in_bytes = 0;
	if (!walk_chain(vq, chain))
		return -1;
	vq->last_avail++;
	return 1;
}

void virtqueue_unpop(struct virtqueue *vq)
{
	vq->last_avail--;
}

/*L:670
 * The device is done with a chain: one entry in the used ring says which
 * (the head) and how many bytes we wrote into it.  The release store of
 * used->idx publishes the entry: the guest that sees the new index sees
 * the entry and the data we wrote into its buffers.
 */
void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	struct vring_used_elem *elem;

	if (!vq->ready || vq->broken)
		return;
	elem = used_entry(vq, vq->used_idx % vq->size);
	elem->id = head;
	elem->len = written;
	vq->used_idx++;
	__atomic_store_n(used_idx(vq), vq->used_idx, __ATOMIC_RELEASE);
}

/*L:680
 * Interrupts cost the guest an exit and a handler run, so it can ask for
 * fewer.  Without EVENT_IDX, it sets VRING_AVAIL_F_NO_INTERRUPT while it
 * doesn't want any.  With EVENT_IDX, it writes into used_event the used
 * index it wants to hear about: we interrupt only if this batch took
 * used->idx past that value.  The full barrier orders our used->idx store
 * before our read of the guest's wish; the guest does the mirror image,
 * so one of us always sees the other's update.
 */
bool virtqueue_needs_interrupt(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, event;

	if (!vq->ready || old == new)
		return false;
	vq->signalled_used = new;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(__atomic_load_n(avail_flags(vq), __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	event = __atomic_load_n(used_event(vq), __ATOMIC_RELAXED);
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

size_t iov_copy_from(const struct iovec *iov, unsigned int count,
		     size_t skip, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < count && done < len; i++) {
		size_t part;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		part = iov[i].iov_len - skip;
		if (part > len - done)
			part = len - done;
		memcpy((char *)buf + done, (char *)iov[i].iov_base + skip, part);
		done += part;
		skip = 0;
	}
	return done;
}

size_t iov_copy_to(const struct iovec *iov, unsigned int count,
		   size_t skip, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < count && done < len; i++) {
		size_t part;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		part = iov[i].iov_len - skip;
		if (part > len - done)
			part = len - done;
		memcpy((char *)iov[i].iov_base + skip, (const char *)buf + done, part);
		done += part;
		skip = 0;
	}
	return done;
}

unsigned int iov_slice(const struct iovec *src, unsigned int count,
		       size_t skip, size_t len, struct iovec *dst,
		       unsigned int dst_max)
{
	unsigned int used = 0;

	for (unsigned int i = 0; i < count && len && used < dst_max; i++) {
		size_t part;

		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		part = src[i].iov_len - skip;
		if (part > len)
			part = len;
		if (part) {
			dst[used].iov_base = (char *)src[i].iov_base + skip;
			dst[used].iov_len = part;
			used++;
		}
		len -= part;
		skip = 0;
	}
	return used;
}
