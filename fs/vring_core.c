// SPDX-License-Identifier: GPL-2.0
/*
 * The ring-walking core of vringfd.
 */

/*R:010 A virtio split ring is three arrays in the driver's memory: a table
 * of descriptors (address, length, flags, next), an "available" ring where
 * the driver lists the heads of chains it wants the device to process, and
 * a "used" ring where the device hands heads back with the number of bytes
 * it wrote.  Every word of it lives in memory the other side can change at
 * any moment, so this file reads each field once, checks it, and never
 * trusts it again.
 *
 * Nothing here knows whose memory the ring is in: vring_core_read() and
 * vring_core_write() are supplied by the module (user memory), by the
 * launcher (guest RAM, for the virtqueues of its own devices) or by the
 * unit tests (a fake address space that checks every access).
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/virtio_ring.h>
#include <asm/barrier.h>
#endif

#include "vring_core.h"

#define VRING_DESC_SIZE		((u32)sizeof(struct vring_desc))

static bool vring_core_has(const struct vring_core *vr, unsigned int bit)
{
	return vr->features & BIT_ULL(bit);
}

/*R:020 A broken ring stays broken: the first bad thing we see is recorded
 * so the owner (and, later, the launcher saying why a guest's device
 * needs a reset, N:490) can say what it was, and every later call fails
 * fast with -EIO.
 */
void vring_core_break(struct vring_core *vr, const char *why)
{
	if (vr->broken)
		return;
	vr->broken = why;
	vring_core_report(vr);
}

static int vring_core_fail(struct vring_core *vr, const char *why)
{
	vring_core_break(vr, why);
	return -EIO;
}

size_t vring_core_desc_size(u32 num)
{
	return (size_t)num * VRING_DESC_SIZE;
}

/* flags, idx, ring[num], used_event */
size_t vring_core_avail_size(u32 num)
{
	return sizeof(u16) * (3 + (size_t)num);
}

/* flags, idx, ring[num] of (id, len), avail_event */
size_t vring_core_used_size(u32 num)
{
	return sizeof(u16) * 3 + sizeof(struct vring_used_elem) * (size_t)num;
}

/*R:030 The layout rules of the split ring: the size is a power of two no
 * bigger than 32768, and each part has its own alignment (16 bytes for
 * descriptors, 2 for the available ring, 4 for the used ring).  Virtio 1.x
 * lets the three parts live apart; the legacy layout is just one choice of
 * addresses.
 */
int vring_core_check_layout(u32 num, u64 features, u64 desc, u64 avail,
			    u64 used)
{
	u64 known = BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
		    BIT_ULL(VIRTIO_RING_F_EVENT_IDX);

	if (!num || num > 32768 || !is_power_of_2(num))
		return -EINVAL;
	if (features & ~known)
		return -EINVAL;
	if (!IS_ALIGNED(desc, 16) || !IS_ALIGNED(avail, 2) ||
	    !IS_ALIGNED(used, 4))
		return -EINVAL;
	return 0;
}

static int vring_core_read16(struct vring_core *vr, u64 addr, u16 *val)
{
	__le16 raw;

	if (vring_core_get16(vr, addr, &raw))
		return vring_core_fail(vr, "cannot read the ring (bad address)");
	*val = le16_to_cpu(raw);
	return 0;
}

static int vring_core_write16(struct vring_core *vr, u64 addr, u16 val)
{
	__le16 raw = cpu_to_le16(val);

	if (vring_core_put16(vr, addr, raw))
		return vring_core_fail(vr, "cannot write the ring (bad address)");
	return 0;
}

/* Where the fields live: avail is flags, idx, ring[]; used likewise. */
static u64 vring_avail_idx_addr(const struct vring_core *vr)
{
	return vr->avail + 2;
}

static u64 vring_avail_slot_addr(const struct vring_core *vr, u16 idx)
{
	return vr->avail + 4 + 2 * (u64)(idx & (vr->num - 1));
}

static u64 vring_used_event_addr(const struct vring_core *vr)
{
	return vr->avail + 4 + 2 * (u64)vr->num;
}

static u64 vring_used_idx_addr(const struct vring_core *vr)
{
	return vr->used + 2;
}

static u64 vring_used_elem_addr(const struct vring_core *vr, u16 idx)
{
	return vr->used + 4 + 8 * (u64)(idx & (vr->num - 1));
}

static u64 vring_avail_event_addr(const struct vring_core *vr)
{
	return vr->used + 4 + 8 * (u64)vr->num;
}

int vring_core_init(struct vring_core *vr, struct vring_seg *segs,
		    u32 max_segs)
{
	__le16 used_idx;

	if (max_segs < vr->num)
		return -EINVAL;
	vr->segs = segs;
	vr->max_segs = max_segs;
	vr->broken = NULL;
	vr->used_flags = 0;
	/*R:040 We pick up where used->idx says the device left off, which is
	 * 0 for a ring the driver just zeroed (as the spec asks it to) and
	 * the right place for a ring handed over by a restarted owner.
	 */
	if (vring_core_get16(vr, vring_used_idx_addr(vr), &used_idx))
		return -EFAULT;
	vr->used_idx = le16_to_cpu(used_idx);
	vr->last_avail = vr->used_idx;
	vr->avail_seen = vr->used_idx;
	/*
	 * As if we had just signalled at this index: the first batch is then
	 * judged against used_event like any other (virtio 1.2, 2.7.7.2).
	 */
	vr->signalled_used = vr->used_idx;
	vr->stats = (struct vring_core_stats){ 0 };
	vr->run_mark = 0;
	return 0;
}

/* One writer (the consumer), readers elsewhere: whole words only. */
static void vring_core_stat_add(u64 *counter, u64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

/*R:050 Every buffer address in a descriptor is an offset into the owner's
 * window [base, base + limit).  The check is written so no sum can wrap:
 * first against the limit, then the translation to a real address.
 */
static int vring_core_translate(struct vring_core *vr, u64 addr, u32 len,
				u64 *uaddr)
{
	if (addr > vr->limit || len > vr->limit - addr)
		return vring_core_fail(vr, "buffer past the limit of the memory the ring may use");
	if (check_add_overflow(vr->base, addr, uaddr) ||
	    *uaddr + len < *uaddr)
		return vring_core_fail(vr, "buffer address overflows base");
	return 0;
}

/* Walking state, so the direct and indirect loops share the checks. */
struct vring_walk {
	struct vring_chain *chain;
	unsigned int count;	/* descriptors seen, direct or indirect */
	u64 total;		/* bytes in the chain */
	bool seen_writable;
};

static int vring_core_add_seg(struct vring_core *vr, struct vring_walk *w,
			      const struct vring_desc *desc)
{
	struct vring_chain *chain = w->chain;
	u16 flags = le16_to_cpu(desc->flags);
	u32 len = le32_to_cpu(desc->len);
	bool writable = flags & VRING_DESC_F_WRITE;
	struct vring_seg *seg;
	u64 uaddr;
	int err;

	err = vring_core_translate(vr, le64_to_cpu(desc->addr), len, &uaddr);
	if (err)
		return err;
	/* The device reads its input before it writes its output. */
	if (writable)
		w->seen_writable = true;
	else if (w->seen_writable)
		return vring_core_fail(vr, "readable descriptor after a writable one");
	w->total += len;
	if (w->total > U32_MAX)
		return vring_core_fail(vr, "chain longer than 4 GiB");
	/* Empty descriptors carry nothing: accept them, keep no segment. */
	if (!len)
		return 0;
	/*
	 * The walk's count keeps nsegs below max_segs already; this says so
	 * where the write is, should that count ever change.
	 */
	if (chain->nsegs >= vr->max_segs)
		return vring_core_fail(vr, "chain has more buffers than the ring allows");
	seg = &chain->segs[chain->nsegs++];
	seg->addr = uaddr;
	seg->len = len;
	seg->writable = writable;
	if (writable) {
		chain->writable_len += len;
	} else {
		chain->readable_len += len;
		chain->nreadable++;
	}
	return 0;
}

/*R:060 A loop in the "next" links, or a chain longer than the ring,
 * shows up here: the spec forbids chains longer than the queue size, so
 * counting descriptors bounds every walk without remembering which ones we
 * visited.  Through an indirect table the bound is the owner's max_segs,
 * never less than num: Linux sizes its tables by what the device says
 * a request may hold (virtio-blk's seg_max), not by the ring, and the
 * launcher takes up to 256 on a ring of 16.
 */
static int vring_core_count(struct vring_core *vr, struct vring_walk *w,
			    u32 most)
{
	if (++w->count > most)
		return vring_core_fail(vr, "descriptor chain longer than the ring allows (loop?)");
	return 0;
}

/*R:070 An indirect descriptor points at a table of descriptors in buffer
 * memory.  It must be the last descriptor of its chain, its table must be
 * a whole number of descriptors, no more than a chain may hold, and the
 * table may not point at another table.  Its entries chain with "next"
 * indices relative to the table.
 */
static int vring_core_walk_indirect(struct vring_core *vr,
				    struct vring_walk *w,
				    const struct vring_desc *ind)
{
	u16 flags = le16_to_cpu(ind->flags);
	u32 len = le32_to_cpu(ind->len);
	struct vring_desc desc;
	u32 entries, i = 0;
	u64 table;
	int err;

	if (!vring_core_has(vr, VIRTIO_RING_F_INDIRECT_DESC))
		return vring_core_fail(vr, "indirect descriptor without the feature");
	if (flags & VRING_DESC_F_NEXT)
		return vring_core_fail(vr, "indirect descriptor with NEXT set");
	if (!len || len % VRING_DESC_SIZE)
		return vring_core_fail(vr, "indirect table length 0 or not a multiple of 16");
	entries = len / VRING_DESC_SIZE;
	if (entries > vr->max_segs)
		return vring_core_fail(vr, "indirect table longer than the ring allows a chain");
	err = vring_core_translate(vr, le64_to_cpu(ind->addr), len, &table);
	if (err)
		return err;
	for (;;) {
		err = vring_core_count(vr, w, vr->max_segs);
		if (err)
			return err;
		if (vring_core_read(vr, &desc, table + (u64)i * VRING_DESC_SIZE,
				    sizeof(desc)))
			return vring_core_fail(vr, "cannot read an indirect table");
		flags = le16_to_cpu(desc.flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return vring_core_fail(vr, "nested indirect table");
		err = vring_core_add_seg(vr, w, &desc);
		if (err)
			return err;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu(desc.next);
		if (i >= entries)
			return vring_core_fail(vr, "indirect next index beyond its table");
	}
}

static int vring_core_walk(struct vring_core *vr, u16 head,
			   struct vring_chain *chain)
{
	struct vring_walk w = { .chain = chain };
	struct vring_desc desc;
	u16 flags, i = head;
	int err;

	for (;;) {
		err = vring_core_count(vr, &w, vr->num);
		if (err)
			return err;
		if (vring_core_read(vr, &desc,
				    vr->desc + (u64)i * VRING_DESC_SIZE,
				    sizeof(desc)))
			return vring_core_fail(vr, "cannot read the descriptor table");
		flags = le16_to_cpu(desc.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			/* Undo the count for the pointer itself. */
			w.count--;
			return vring_core_walk_indirect(vr, &w, &desc);
		}
		err = vring_core_add_seg(vr, &w, &desc);
		if (err)
			return err;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu(desc.next);
		if (i >= vr->num)
			return vring_core_fail(vr, "next index beyond the ring");
	}
}

/*R:080 Taking the next chain.  avail->idx is the driver's count of chains
 * it has ever offered; ours is last_avail.  Their difference (mod 2^16) is
 * how many are waiting, and can never honestly exceed the ring size.  The
 * read barrier orders "idx moved" before "the slot it covers": the driver
 * wrote the slot first.
 */
int vring_core_next_avail(struct vring_core *vr, struct vring_chain *chain)
{
	u16 head, waiting;
	int err;

	if (vr->broken)
		return -EIO;
	if (vr->last_avail == vr->avail_seen) {
		err = vring_core_read16(vr, vring_avail_idx_addr(vr),
					&vr->avail_seen);
		if (err)
			return err;
		waiting = vr->avail_seen - vr->last_avail;
		if (waiting > vr->num)
			return vring_core_fail(vr, "avail index more than the ring size ahead");
		if (!waiting)
			return 0;
		/* Read the slots only after the index that covers them. */
		smp_rmb();
	}
	err = vring_core_read16(vr, vring_avail_slot_addr(vr, vr->last_avail),
				&head);
	if (err)
		return err;
	if (head >= vr->num)
		return vring_core_fail(vr, "head index beyond the ring");

	chain->head = head;
	chain->nsegs = 0;
	chain->nreadable = 0;
	chain->readable_len = 0;
	chain->writable_len = 0;
	chain->segs = vr->segs;
	err = vring_core_walk(vr, head, chain);
	if (err)
		return err;
	vr->last_avail++;
	return 1;
}

int vring_core_avail_pending(struct vring_core *vr)
{
	u16 avail_idx;

	if (vr->broken)
		return -EIO;
	if (vring_core_read16(vr, vring_avail_idx_addr(vr), &avail_idx))
		return -EIO;
	return avail_idx != vr->last_avail;
}

void vring_core_discard(struct vring_core *vr, unsigned int n)
{
	vr->last_avail -= n;
}

/*R:090 Handing a buffer back: the element first, then (after a write
 * barrier) the index that makes it visible.  A driver reading used->idx
 * must never see an index covering an element not yet written.
 */
int vring_core_push_used(struct vring_core *vr, u16 head, u32 len)
{
	struct vring_used_elem elem = {
		.id = cpu_to_le32(head),
		.len = cpu_to_le32(len),
	};
	int err;

	if (vr->broken)
		return -EIO;
	if (vring_core_write(vr, vring_used_elem_addr(vr, vr->used_idx),
			     &elem, sizeof(elem)))
		return vring_core_fail(vr, "cannot write the used ring");
	/* The element must be visible before the index that covers it. */
	smp_wmb();
	vr->used_idx++;
	err = vring_core_write16(vr, vring_used_idx_addr(vr), vr->used_idx);
	if (!err)
		vring_core_stat_add(&vr->stats.used, 1);
	return err;
}

/*R:095 Batches.  A consumer run that publishes 32 entries costs the
 * driver at most one interrupt and the device one wake-up; 32 runs of one
 * entry cost up to 32 of each.  So the size of a run is the first thing
 * to look at when a ring seems slow, and each ring keeps a histogram of
 * them: bucket 0 for runs that published nothing (a kick with no work
 * behind it), bucket b for runs of 2^(b-1) to 2^b - 1 entries.
 */
void vring_core_count_run(struct vring_core *vr)
{
	u64 n = vr->stats.used - vr->run_mark;
	unsigned int b = 0;

	while (n && b < VRING_CORE_BATCH_BUCKETS - 1) {
		n >>= 1;
		b++;
	}
	vr->run_mark = vr->stats.used;
	vring_core_stat_add(&vr->stats.batches[b], 1);
}

/*R:100 Should we interrupt the driver?  An interrupt costs the driver a
 * handler run (and a guest, an exit), and a kick costs the device a
 * wakeup, so each side may ask the other to hold back.  Without EVENT_IDX
 * the asking is a flag: the driver's VRING_AVAIL_F_NO_INTERRUPT says
 * "no interrupts", the device's VRING_USED_F_NO_NOTIFY "no kicks", and
 * both are only hints.  With EVENT_IDX (VIRTIO_RING_F_EVENT_IDX) each side
 * names an index instead, in a spare word at the end of the ring it
 * writes: the driver puts in used_event the used index it wants to hear
 * about, the device puts in avail_event the avail index it wants a kick
 * at, and a signal is due only if the last batch stepped over that index
 * (vring_need_event()).
 *
 * So here we signal if we published something since we last decided
 * (else the driver would find no work, and Linux counts such interrupts
 * against the line: enough of them and it is switched off), and if the
 * driver did not say "no", or our used->idx went past used_event since we
 * last signalled.  The full barrier orders our used->idx store before the
 * load of the driver's wish: otherwise both sides could decide the other
 * will act, and a buffer would sit unnoticed.
 */
static bool vring_core_driver_wants_signal(struct vring_core *vr, u16 old)
{
	u16 event, flags;

	if (!vring_core_has(vr, VIRTIO_RING_F_EVENT_IDX)) {
		if (vring_core_read16(vr, vr->avail, &flags))
			return false;
		return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (vring_core_read16(vr, vring_used_event_addr(vr), &event))
		return false;
	return vring_need_event(event, vr->used_idx, old);
}

bool vring_core_need_signal(struct vring_core *vr)
{
	u16 old = vr->signalled_used;
	bool signal;

	if (vr->broken || old == vr->used_idx)
		return false;
	vr->signalled_used = vr->used_idx;
	/* Our used->idx store before the driver's used_event or flags. */
	smp_mb();
	signal = vring_core_driver_wants_signal(vr, old);
	if (signal)
		vring_core_stat_add(&vr->stats.signals, 1);
	else if (!vr->broken)
		vring_core_stat_add(&vr->stats.suppressed, 1);
	return signal;
}

/*R:110 The other direction: telling the driver whether to kick us.  While
 * we are busy draining the ring, kicks are wasted work, so we ask for none
 * (VRING_USED_F_NO_NOTIFY, or with EVENT_IDX simply leaving avail_event
 * behind, R:100).  Before going idle we ask again and then look once
 * more, after a full barrier, because a buffer may have slipped in before
 * the driver saw our request.  Every consumer's loop has this shape: kicks
 * off, drain, kicks on, look again.
 */
int vring_core_disable_kicks(struct vring_core *vr)
{
	if (vr->broken)
		return -EIO;
	if (vring_core_has(vr, VIRTIO_RING_F_EVENT_IDX))
		return 0;
	if (vr->used_flags & VRING_USED_F_NO_NOTIFY)
		return 0;
	vr->used_flags |= VRING_USED_F_NO_NOTIFY;
	return vring_core_write16(vr, vr->used, vr->used_flags);
}

int vring_core_enable_kicks(struct vring_core *vr)
{
	u16 avail_idx;
	int err;

	if (vr->broken)
		return -EIO;
	if (vring_core_has(vr, VIRTIO_RING_F_EVENT_IDX)) {
		err = vring_core_write16(vr, vring_avail_event_addr(vr),
					 vr->last_avail);
	} else {
		vr->used_flags &= ~VRING_USED_F_NO_NOTIFY;
		err = vring_core_write16(vr, vr->used, vr->used_flags);
	}
	if (err)
		return err;
	/* Our "kick me" store before we look at avail->idx again. */
	smp_mb();
	err = vring_core_read16(vr, vring_avail_idx_addr(vr), &avail_idx);
	if (err)
		return err;
	return avail_idx != vr->last_avail;
}

/*
 * Copy between a chain and a flat buffer.  The direction decides which
 * segments take part: reads come from the readable ones, writes go to the
 * writable ones; offset counts bytes within that part.
 */
static long vring_core_copy(struct vring_core *vr,
			    const struct vring_chain *chain, bool to_chain,
			    size_t offset, void *buf, size_t len)
{
	unsigned int i = to_chain ? chain->nreadable : 0;
	unsigned int end = to_chain ? chain->nsegs : chain->nreadable;
	size_t done = 0;

	for (; i < end && done < len; i++) {
		const struct vring_seg *seg = &chain->segs[i];
		size_t n;
		int err;

		if (offset >= seg->len) {
			offset -= seg->len;
			continue;
		}
		n = min_t(size_t, seg->len - offset, len - done);
		if (to_chain)
			err = vring_core_write(vr, seg->addr + offset,
					       (u8 *)buf + done, n);
		else
			err = vring_core_read(vr, (u8 *)buf + done,
					      seg->addr + offset, n);
		if (err)
			return vring_core_fail(vr, "cannot access a buffer (bad address)");
		done += n;
		offset = 0;
	}
	return done;
}

long vring_core_copy_from_chain(struct vring_core *vr,
				const struct vring_chain *chain,
				size_t offset, void *dst, size_t len)
{
	if (vr->broken)
		return -EIO;
	return vring_core_copy(vr, chain, false, offset, dst, len);
}

long vring_core_copy_to_chain(struct vring_core *vr,
			      const struct vring_chain *chain,
			      size_t offset, const void *src, size_t len)
{
	if (vr->broken)
		return -EIO;
	return vring_core_copy(vr, chain, true, offset, (void *)src, len);
}
