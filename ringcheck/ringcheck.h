/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringcheck: the virtio ring rules, checked against someone else's device.
 *
 * ringcheck plays the driver.  It owns the memory the rings and buffers
 * live in (one memfd, shared with the device the way a VMM shares guest
 * RAM), builds every ring by hand, and judges what the device did to it:
 * which bytes it wrote, which indices it moved, when it signalled.  Each
 * check is one normative statement of the virtio specification (1.2 and
 * 1.3 number them alike for what we check), named by its section.
 *
 * The device is a "target" (target_*.c): the transport that gives it the
 * memory and the rings, and its kick and call eventfds.  Every target so
 * far is a network device, and the checks drive it as one: a frame the
 * driver makes available on the transmit queue comes back on the receive
 * queue, because the far end loops it (testpmd's io forwarding on its one
 * port does; for a tap, ringcheck itself does).  That loop is what lets
 * a driver see what a device did with its buffers.
 */
#ifndef RINGCHECK_H
#define RINGCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RC_PAGE		4096UL

/* Feature bits (virtio 1.2, 6 "Reserved Feature Bits" and 5.1.3). */
#define RC_F_NET_MRG_RXBUF	15
#define RC_F_INDIRECT_DESC	28
#define RC_F_EVENT_IDX		29
#define RC_F_VERSION_1		32
#define RC_F_RING_PACKED	34
#define RC_BIT(n)		(1ULL << (n))

/* The split ring's flags (2.7.5, 2.7.6, 2.7.8). */
#define RC_DESC_F_NEXT		1
#define RC_DESC_F_WRITE		2
#define RC_DESC_F_INDIRECT	4
#define RC_AVAIL_F_NO_INTERRUPT	1
#define RC_USED_F_NO_NOTIFY	1

/* The packed ring's flags and event suppression values (2.8.1, 2.8.10). */
#define RC_PDESC_F_AVAIL	(1 << 7)
#define RC_PDESC_F_USED		(1 << 15)
#define RC_EVENT_ENABLE		0
#define RC_EVENT_DISABLE	1
#define RC_EVENT_DESC		2

/* The network device's queues and header (5.1.2, 5.1.6). */
#define RC_NET_RX		0
#define RC_NET_TX		1
#define RC_NET_HDR_LEN		12	/* with VERSION_1 or MRG_RXBUF */

/* ---- the driver's memory ---- */

/*
 * One memfd, mapped here read-write.  A "guest-physical" address, what a
 * descriptor holds, is an offset into it; the target tells the device so
 * (vhost-user's memory table: one region from address 0).
 */
struct rc_mem {
	int fd;
	size_t size;
	unsigned char *base;
	size_t top;		/* next free byte */
	unsigned char *snap;	/* contents when the audit began */
	unsigned char *allow;	/* 1: the device may write this byte */
};

int rc_mem_init(struct rc_mem *m, size_t size);
void rc_mem_free(struct rc_mem *m);
/* len bytes, aligned to align, filled with the pattern; its address. */
uint64_t rc_mem_alloc(struct rc_mem *m, size_t len, size_t align);
static inline void *rc_mem_ptr(struct rc_mem *m, uint64_t addr)
{
	return m->base + addr;
}
/* Deterministic bytes: the pattern unwritten memory keeps. */
unsigned char rc_pattern(uint64_t addr);
/* Driver stores: into the memory and into the audit's snapshot. */
void rc_mem_fill(struct rc_mem *m, uint64_t addr, size_t len);
void rc_mem_put(struct rc_mem *m, uint64_t addr, const void *src, size_t len);
/*
 * A driver store of one 16-byte descriptor at at: both layouts have the
 * address, the length, then two 16-bit words (a split ring's flags and
 * next, a packed ring's buffer id and flags).
 */
void rc_put_desc(struct rc_mem *m, uint64_t at, uint64_t addr, uint32_t len,
		 uint16_t w12, uint16_t w14);
/* The first address in [addr, addr+len) that is not the pattern, or -1. */
int64_t rc_mem_unpatterned(struct rc_mem *m, uint64_t addr, size_t len);
/*
 * The write audit: begin, allow the ranges the device may write, end: the
 * first byte it changed anywhere else since the session began (-1: none).
 */
void rc_audit_begin(struct rc_mem *m);
void rc_audit_allow(struct rc_mem *m, uint64_t addr, size_t len);
int64_t rc_audit_end(struct rc_mem *m);

/* ---- the driver's side of a split ring (2.7) ---- */

struct rc_seg {
	uint64_t addr;
	uint32_t len;
	bool writable;
};

#define RC_MAX_SEGS	16

struct rc_chain {
	bool busy;
	unsigned int nsegs;
	struct rc_seg segs[RC_MAX_SEGS];
	unsigned int ndesc;		/* ring descriptors it holds */
	uint64_t table;			/* its indirect table, or 0 */
	uint32_t readable, writable;	/* bytes of each kind */
	uint32_t tag;			/* the test's own */
};

/* Our record of a chain in flight: n segments, ndesc ring descriptors. */
void rc_chain_init(struct rc_chain *c, const struct rc_seg *segs,
		   unsigned int n, unsigned int ndesc, uint32_t tag);

struct rc_split {
	struct rc_mem *mem;
	unsigned int num;
	uint64_t desc_addr, avail_addr, used_addr;
	uint16_t avail_idx;		/* what we published */
	uint16_t used_seen;		/* next used entry to take */
	uint16_t *free_next;		/* free list of descriptors */
	uint16_t free_head;
	unsigned int nfree;
	struct rc_chain *chains;	/* by head */
	uint16_t *heads;		/* what we put in each avail slot */
	uint64_t tables;		/* indirect tables: num slots */
	unsigned int table_slot;	/* entries per slot */
};

int rc_split_init(struct rc_split *r, struct rc_mem *m, unsigned int num);
/* tight: each part at its least alignment, one after the other. */
int rc_split_init_at(struct rc_split *r, struct rc_mem *m, unsigned int num,
		     bool tight);
void rc_split_free(struct rc_split *r);
/* Forget every chain, zero both rings' indices (a device reset). */
void rc_split_reset(struct rc_split *r);
/* The same, the queue starting at index idx (targets pass it on). */
void rc_split_reset_at(struct rc_split *r, uint16_t idx);
/*
 * Build a chain of n segments, direct or through an indirect table, put
 * its head in the next available slot (not yet published): the head, or
 * -1 if the ring has no room.
 */
int rc_split_post(struct rc_split *r, const struct rc_seg *segs,
		  unsigned int n, bool indirect, uint32_t tag);
/* avail->idx = what was posted (a release store). */
void rc_split_publish(struct rc_split *r);
/* The next used entry, if the device published one (acquire). */
bool rc_split_take(struct rc_split *r, uint32_t *id, uint32_t *len);
uint16_t rc_split_used_idx(struct rc_split *r);
uint16_t rc_split_used_flags(struct rc_split *r);
uint16_t rc_split_avail_event(struct rc_split *r);
void rc_split_set_used_event(struct rc_split *r, uint16_t v);
void rc_split_set_avail_flags(struct rc_split *r, uint16_t v);
/* The head we made available at avail index idx (our record, not the ring). */
uint16_t rc_split_head_at(const struct rc_split *r, uint16_t idx);
/* Release a chain the test took from the used ring. */
void rc_split_retire(struct rc_split *r, uint16_t head);
/* Allow the device's writes to the used ring for entries [from, to). */
void rc_split_allow_used(struct rc_split *r, uint16_t from, uint16_t to);
/* Bytes each part takes (2.7, the table at its start). */
size_t rc_split_desc_size(unsigned int num);
size_t rc_split_avail_size(unsigned int num);
size_t rc_split_used_size(unsigned int num);

/* ---- the driver's side of a packed ring (2.8) ---- */

struct rc_packed {
	struct rc_mem *mem;
	unsigned int num;
	/* The descriptor ring and the two event suppression structures. */
	uint64_t desc_addr, driver_addr, device_addr;
	uint16_t next_avail;		/* slot the next chain starts at */
	bool avail_wrap;		/* the Driver Ring Wrap Counter */
	uint16_t next_used;		/* slot the next used descriptor is in */
	bool used_wrap;			/* its wrap counter, as we follow it */
	uint16_t posted;		/* chains made available, free-running */
	unsigned int inflight;		/* descriptors not yet used */
	uint16_t *free_ids;		/* stack of free buffer ids */
	unsigned int nfree;
	struct rc_chain *chains;	/* by buffer id */
	uint16_t *ids;			/* id of the k-th chain posted (mod num) */
	/* Heads written but not yet made available (their flags last). */
	uint16_t *pending_slot, *pending_flags;
	unsigned int npending;
	uint64_t tables;		/* indirect tables: num slots */
	unsigned int table_slot;	/* entries per slot */
	/*
	 * The buffer id in a list's last descriptor only (2.8.6 asks no
	 * more); the others name the next id, which is not this buffer.
	 */
	bool id_last_only;
};

int rc_packed_init(struct rc_packed *r, struct rc_mem *m, unsigned int num);
void rc_packed_free(struct rc_packed *r);
/*
 * Build a chain of n segments in the ring from next_avail on (or one
 * descriptor naming an indirect table), every flag but the head's
 * written: the buffer id, or -1 if the ring has no room.
 */
int rc_packed_post(struct rc_packed *r, const struct rc_seg *segs,
		   unsigned int n, bool indirect, uint32_t tag);
/* Make the posted chains available: their heads' flags, in ring order. */
void rc_packed_publish(struct rc_packed *r);
/*
 * The next used descriptor, if the device wrote one (its USED bit is our
 * used wrap counter): its id, len and flags.  With a known id, next_used
 * moves past the chain's descriptors (2.8.6).
 */
bool rc_packed_take(struct rc_packed *r, uint32_t *id, uint32_t *len,
		    uint16_t *flags);
void rc_packed_retire(struct rc_packed *r, uint16_t id);
/* Allow the device's used descriptors over every slot in flight. */
void rc_packed_allow_used(struct rc_packed *r);
/* The driver event suppression structure (read by the device). */
void rc_packed_set_driver_event(struct rc_packed *r, uint16_t flags,
				uint16_t off_wrap);
/* The device event suppression structure's flags (written by it). */
uint16_t rc_packed_device_event_flags(struct rc_packed *r);
/* Slot and wrap counter as one 16-bit value: slot | wrap << 15. */
uint16_t rc_packed_pos(uint16_t slot, bool wrap);

/* ---- targets ---- */

struct rc_queue {
	bool packed;		/* the layout: pring, else ring */
	struct rc_split ring;
	struct rc_packed pring;
	int kick;		/* eventfd we write */
	int call;		/* eventfd the device writes */
	int err;		/* eventfd the device writes on a broken ring */
};

struct rc_target;

struct rc_target_ops {
	const char *kind;
	/* Connect; the device's feature bits in t->offered. */
	int (*open)(struct rc_target *t, const char *arg);
	/*
	 * Negotiate t->features, give the device the memory and the
	 * queues (set up by the caller, indices 0), and start them.
	 */
	int (*start)(struct rc_target *t, struct rc_mem *m,
		     struct rc_queue *q, unsigned int nq);
	/*
	 * Stop queue i; where the device had got to in its available ring.
	 * NULL: the target has no such request (only vhost's do).
	 */
	int (*stop)(struct rc_target *t, unsigned int i, uint16_t *avail);
	/*
	 * Has the device declared queue i broken?  NULL: it says so on the
	 * queue's error eventfd (vhost's VRING_ERR).
	 */
	bool (*broken)(struct rc_target *t, unsigned int i);
	/* Does the device still answer? */
	bool (*alive)(struct rc_target *t);
	/* The far end's loop, if ringcheck must run it (NULL: the device's). */
	void (*pump)(struct rc_target *t);
	void (*close)(struct rc_target *t);
	/*
	 * The far end gives back the driver's bytes as they were, header
	 * and all: a ring-level loop, not a network device, so what 5.1.6
	 * says of received headers does not apply.
	 */
	bool raw_loop;
};

struct rc_target {
	const struct rc_target_ops *ops;
	const char *arg;
	char name[128];
	uint64_t offered;	/* the device's features */
	uint64_t features;	/* what start() negotiates */
	int fd;
	void *priv;
};

extern const struct rc_target_ops rc_vhost_user_ops;
extern const struct rc_target_ops rc_vhost_net_ops;
extern const struct rc_target_ops rc_vringfd_ops;

/* A line naming what went wrong, on stderr, for a target's failure. */
void rc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- checks ---- */

enum rc_result { RC_PASS, RC_FAIL, RC_SKIP };

struct rc_check {
	const char *section;	/* "2.7.8.2" */
	const char *id;		/* "used-len" */
	const char *kind;	/* "device MUST", ... */
	const char *text;	/* the statement, paraphrased */
	enum rc_result (*run)(struct rc_target *t);
};

extern const struct rc_check rc_split_checks[];
extern const unsigned int rc_split_nchecks;
extern const struct rc_check rc_packed_checks[];
extern const unsigned int rc_packed_nchecks;

/* Why a check failed or was skipped: the first call wins. */
void rc_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The same for a failure that is the statement's own finding (not one on
 * the way to it): only such a failure can be a listed known deviation.
 */
void rc_why_own(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *rc_why_text(void);
void rc_why_clear(void);

#endif /* RINGCHECK_H */
