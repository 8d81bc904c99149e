/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring-walking core of vringfd: everything that reads and writes a
 * virtio split ring, and nothing that knows where the ring's memory is.
 *
 * The same file compiles into vringfd.ko and into userspace programs (the
 * launcher, unit tests, the fuzz targets), the way Linux's tools/virtio
 * builds vringh.c.  The core reaches memory only through the accessors
 * below, which each side defines: the module with copy_from_user() and
 * friends, the launcher over guest RAM (lguest/vring_mem.c), the tests
 * over a fake address space that checks every access.
 */
#ifndef VRING_CORE_H
#define VRING_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "vring_core_user.h"
#endif

/* One piece of a buffer chain, as an address in the owner's memory. */
struct vring_seg {
	u64 addr;		/* base + descriptor address */
	u32 len;
	u32 writable;		/* 1: the device writes it; 0: it reads it */
};

/*
 * The chain vring_core_next_avail() returned: its head (what goes back in
 * the used ring) and its segments, readable ones first.
 */
struct vring_chain {
	u16 head;
	unsigned int nsegs;
	unsigned int nreadable;		/* segs[0 .. nreadable) are readable */
	u32 readable_len;
	u32 writable_len;
	struct vring_seg *segs;
};

/*
 * What a ring's consumer did, for people watching the data path: the
 * used entries it published, the signals due (the driver wanted them) and
 * suppressed (it had asked for none, R:100), and how many entries each
 * consumer run published, as a histogram of runs by powers of two
 * (0, 1, 2-3, 4-7, ..., 64 and more).  Only the consumer writes them; a
 * reader elsewhere reads each word on its own (READ_ONCE).
 */
#define VRING_CORE_BATCH_BUCKETS	8
struct vring_core_stats {
	u64 used;
	u64 signals;
	u64 suppressed;
	u64 batches[VRING_CORE_BATCH_BUCKETS];
};

struct vring_core {
	/* What VRINGSETUP said. */
	u32 num;
	u64 features;
	u64 desc;
	u64 avail;
	u64 used;
	/* Where descriptor addresses point: base + addr, below limit. */
	u64 base;
	u64 limit;

	/* Our position: the next avail slot, and the used index we wrote. */
	u16 last_avail;
	u16 avail_seen;		/* avail->idx when we last read it */
	u16 used_idx;
	u16 used_flags;
	/* used->idx when we last decided whether to signal (EVENT_IDX). */
	u16 signalled_used;

	/* Why the ring is unusable, or NULL while it is sound. */
	const char *broken;
	/*
	 * Somewhere to write the chain, and how many descriptors one chain
	 * may have: at least num, more if indirect tables may be longer than
	 * the ring (vring_core_init() says so).
	 */
	struct vring_seg *segs;
	u32 max_segs;
	/* Caller's cookie for the memory accessors. */
	void *mem;

	/* Since vring_core_init(); run_mark is stats.used at the last run's end. */
	struct vring_core_stats stats;
	u64 run_mark;
};

/* Provided by whoever links the core in: 0, or -EFAULT. */
int vring_core_read(struct vring_core *vr, void *dst, u64 addr, size_t len);
int vring_core_write(struct vring_core *vr, u64 addr, const void *src,
		     size_t len);
/*
 * The 16-bit ring words (indices, flags, head slots, event words), each
 * moved in one 2-byte access at a 2-byte aligned address: the other side
 * polls them, and must never see half of an update.
 */
int vring_core_get16(struct vring_core *vr, u64 addr, __le16 *val);
int vring_core_put16(struct vring_core *vr, u64 addr, __le16 val);
/* Called once when the ring breaks, to log the reason (rate-limited). */
void vring_core_report(struct vring_core *vr);

/* Checks num and alignment; 0 or -EINVAL. */
int vring_core_check_layout(u32 num, u64 features, u64 desc, u64 avail,
			    u64 used);
/* Sizes of the three parts, including the event index words. */
size_t vring_core_desc_size(u32 num);
size_t vring_core_avail_size(u32 num);
size_t vring_core_used_size(u32 num);

/*
 * Reset indices for a freshly set-up ring.  segs holds max_segs entries,
 * the longest chain accepted, which is num or more: a direct chain is
 * never longer than num, but a chain through an indirect table may be up
 * to max_segs.  Reads used->idx so that a ring set up mid-stream (after a
 * launcher restart, say) carries on where it was.  0, -EINVAL (max_segs
 * smaller than num) or -EFAULT.
 */
int vring_core_init(struct vring_core *vr, struct vring_seg *segs,
		    u32 max_segs);

/* 1 and a chain, 0 when nothing is available, -EIO when broken. */
int vring_core_next_avail(struct vring_core *vr, struct vring_chain *chain);
/* 1 if the driver has made a chain available we have not taken, 0, -EIO. */
int vring_core_avail_pending(struct vring_core *vr);
/* Give back the last n chains taken (they will be returned again). */
void vring_core_discard(struct vring_core *vr, unsigned int n);
/* Publish one used entry and the new used->idx. */
int vring_core_push_used(struct vring_core *vr, u16 head, u32 len);
/*
 * Should the owner be signalled about what was published since the last
 * time we asked?  Nothing published: no.
 */
bool vring_core_need_signal(struct vring_core *vr);
/*
 * The end of one consumer run (one kick served): file the used entries it
 * published since the last call in the batch histogram.
 */
void vring_core_count_run(struct vring_core *vr);
/* Ask the owner not to kick / to kick again. */
int vring_core_disable_kicks(struct vring_core *vr);
/* Returns 1 if buffers arrived meanwhile (process them), 0, or -EIO. */
int vring_core_enable_kicks(struct vring_core *vr);
/* Mark the ring broken for a reason found outside the core. */
void vring_core_break(struct vring_core *vr, const char *why);

/* Copy between a chain's segments and a flat buffer; bytes copied. */
long vring_core_copy_from_chain(struct vring_core *vr,
				const struct vring_chain *chain,
				size_t offset, void *dst, size_t len);
long vring_core_copy_to_chain(struct vring_core *vr,
			      const struct vring_chain *chain,
			      size_t offset, const void *src, size_t len);

#endif /* VRING_CORE_H */
