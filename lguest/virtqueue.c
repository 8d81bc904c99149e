// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher's side of a virtio split ring in guest memory.
 *
 * The guest shares three arrays with us: the descriptor table, the
 * "available" ring (the driver's list of chains for us) and the "used" ring
 * (our list of chains given back).  Walking them is fs/vring_core.c's job,
 * the same walker vringfd.ko uses on the rings the kernel serves; this file
 * is what the launcher adds: the queue as the transport's registers
 * describe it, our limits, and iovecs for the devices.
 */
#include <stddef.h>
#include <string.h>
#include <linux/vringfd.h>

#include "virtqueue.h"

void virtqueue_reset(struct virtqueue *vq, const struct guest_mem *mem)
{
	const struct virtqueue_observer *observer = vq->observer;
	struct strict_queue *strict = vq->strict;

	memset(vq, 0, offsetof(struct virtqueue, segs));
	vq->mem = mem;
	vq->strict = strict;
	vq->observer = observer;
}

/* A ring we won't start: the transport reports the reason (L:695). */
static bool virtqueue_refuse(struct virtqueue *vq, const char *reason)
{
	vring_core_break(&vq->core, reason);
	return false;
}

/*L:525
 * When the driver sets QueueReady, it has told us the queue's size and
 * where its three parts are.  The size is ours to bound (QueueNumMax), and
 * all three parts must lie wholly inside guest RAM.  Everything else about
 * the ring is the ring walker's, fs/vring_core.c, the one vringfd.ko runs,
 * which the next chapter tells: the layout rules (R:030), where it starts
 * (R:040), and the window every buffer must lie in (R:050).  Ours is guest
 * RAM itself, base 0 and limit the RAM's size, so a descriptor's address
 * is guest-physical and every buffer the walker accepts is one guest_ptr()
 * maps.
 */
bool virtqueue_start(struct virtqueue *vq, bool event_idx, bool indirect)
{
	struct vring_core *core = &vq->core;
	uint16_t size = vq->size;

	memset(core, 0, sizeof(*core));
	vq->kicks = 0;
	vq->runs = 0;
	/* The walker's accessors only read the guest_mem it points to. */
	core->mem = (void *)vq->mem;
	if (!size || size > VIRTQUEUE_MAX_SIZE || (size & (size - 1)))
		return virtqueue_refuse(vq, "queue size not a power of 2 <= 256");
	core->num = size;
	core->features = (event_idx ? BIT_ULL(VIRTIO_RING_F_EVENT_IDX) : 0) |
			 (indirect ? BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) : 0);
	core->desc = vq->desc_gpa;
	core->avail = vq->avail_gpa;
	core->used = vq->used_gpa;
	core->base = 0;
	core->limit = vq->mem->size;
	if (vring_core_check_layout(size, core->features, core->desc,
				    core->avail, core->used))
		return virtqueue_refuse(vq, "ring part misaligned");
	if (!guest_ptr(vq->mem, core->desc, vring_core_desc_size(size)) ||
	    !guest_ptr(vq->mem, core->avail, vring_core_avail_size(size)) ||
	    !guest_ptr(vq->mem, core->used, vring_core_used_size(size)) ||
	    vring_core_init(core, vq->segs, ARRAY_SIZE(vq->segs)))
		return virtqueue_refuse(vq, "ring outside guest memory");

	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->ready = true;
	if (vq->observer)
		vq->observer->started(vq);
	return true;
}

/*
 * The walker's segments as iovecs into guest RAM.  It has bounded each
 * by guest RAM already (its limit), so guest_ptr() cannot refuse one; if
 * it ever did, the ring breaks rather than the launcher.
 */
static int virtqueue_map(struct virtqueue *vq, const struct vring_chain *walked,
			 struct virtqueue_chain *chain)
{
	/* A chain of all-readable or all-writable segments must fit. */
	_Static_assert(ARRAY_SIZE(chain->in) >= ARRAY_SIZE(vq->segs) &&
		       ARRAY_SIZE(chain->out) >= ARRAY_SIZE(vq->segs),
		       "a chain's iovecs hold every segment the walker returns");
	chain->head = walked->head;
	chain->out_count = chain->in_count = 0;
	chain->out_bytes = walked->readable_len;
	chain->in_bytes = walked->writable_len;
	for (unsigned int i = 0; i < walked->nsegs; i++) {
		const struct vring_seg *seg = &walked->segs[i];
		struct iovec *iov = seg->writable ?
			&chain->in[chain->in_count++] :
			&chain->out[chain->out_count++];

		iov->iov_base = guest_ptr(vq->mem, seg->addr, seg->len);
		iov->iov_len = seg->len;
		if (!iov->iov_base) {
			vring_core_break(&vq->core, "buffer outside guest memory");
			return -1;
		}
	}
	return 1;
}

/*L:542
 * A device asks for work.  Taking the next chain and checking every
 * descriptor of it is the walker's (R:060 to R:080), with our limit of
 * 256 descriptors through an indirect table; a ring that breaks a rule
 * stays broken (R:020), and the transport tells the guest it needs a
 * reset (L:695).  What we add is the mapping: each segment becomes an
 * iovec pointing straight into guest RAM, so devices read and write the
 * guest's buffers in place, never through a copy.
 *
 * We never ask the guest to hold its kicks back: a kick is an exit we
 * serve at once.  Without EVENT_IDX that is all: the flag that would
 * silence the guest is never set, so it kicks for every chain.  With
 * EVENT_IDX the guest kicks only past the index we last left it, so
 * finding the ring empty is when we leave the next one and look once more
 * (R:110): a chain added meanwhile is taken now rather than left waiting
 * for a kick that will not come.
 * Giving chains back and deciding about the interrupt are the walker's
 * too (R:090, R:100).
 */
int virtqueue_pop(struct virtqueue *vq, struct virtqueue_chain *chain)
{
	struct vring_chain walked;
	int ret;

	if (!vq->ready)
		return virtqueue_broken(vq) ? -1 : 0;
	if (vq->observer)
		vq->observer->available(vq);
	ret = vring_core_next_avail(&vq->core, &walked);
	if (ret == 0 && vq->event_idx &&
	    vring_core_enable_kicks(&vq->core) == 1) {
		if (vq->observer)
			vq->observer->available(vq);
		ret = vring_core_next_avail(&vq->core, &walked);
	}
	if (ret <= 0)
		return ret < 0 || virtqueue_broken(vq) ? -1 : 0;
	/*
	 * The walker read avail->idx after the observer did, so the guest
	 * (another vCPU, or its only one while the I/O thread pops) may have
	 * published the chain just taken in between: the observer looks
	 * again, so that it has seen the chain before the device uses it.
	 */
	if (vq->observer)
		vq->observer->available(vq);
	return virtqueue_map(vq, &walked, chain);
}

void virtqueue_unpop(struct virtqueue *vq)
{
	vring_core_discard(&vq->core, 1);
}

void virtqueue_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	if (!vq->ready)
		return;
	if (vq->observer)
		vq->observer->used(vq, head);
	vring_core_push_used(&vq->core, head, written);
}

bool virtqueue_needs_interrupt(struct virtqueue *vq)
{
	return vq->ready && vring_core_need_signal(&vq->core);
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

void virtqueue_get_stats(const struct virtqueue *vq, struct vring_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->kicks = vq->kicks;
	st->runs = vq->runs;
	st->used = vq->core.stats.used;
	st->signals = vq->core.stats.signals;
	st->suppressed = vq->core.stats.suppressed;
	for (unsigned int b = 0; b < VRINGFD_BATCH_BUCKETS; b++)
		st->batches[b] = vq->core.stats.batches[b];
}

/*L:528
 * A ring's counters, in one line whoever serves the ring.  Read the batch
 * histogram first: "1:900 2-3:10" means nearly every run found a single
 * buffer to use, so each paid a wake-up and perhaps an interrupt of its
 * own; "16-31:40" means the work came in bursts and the costs were
 * shared.  suppressed counts signals the driver's own flags or used_event
 * saved (R:100).
 */
void ring_stats_print(FILE *out, const char *name, unsigned int queue,
		      const char *what, const struct vring_stats *st)
{
	static const char *const bucket[VRINGFD_BATCH_BUCKETS] = {
		"0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64+",
	};

	fprintf(out, "lguest: %s queue %u (%s): kicks %llu, runs %llu, used %llu, signals %llu, suppressed %llu, batches",
		name, queue, what, (unsigned long long)st->kicks,
		(unsigned long long)st->runs, (unsigned long long)st->used,
		(unsigned long long)st->signals,
		(unsigned long long)st->suppressed);
	for (unsigned int b = 0; b < VRINGFD_BATCH_BUCKETS; b++)
		fprintf(out, " %s:%llu", bucket[b],
			(unsigned long long)st->batches[b]);
	fputc('\n', out);
}
