// SPDX-License-Identifier: GPL-2.0
/*
 * vu_loop: a small vhost-user back-end for ringcheck's self-test.
 *
 *	vu_loop SOCKET [MUTANT]
 *
 * A virtio-net device whose far end is a loop: every frame the driver
 * transmits comes back in its next receive buffer.  It keeps the split
 * ring's rules as the specification has them, so ringcheck must pass
 * every check against it; and given MUTANT, the id of one of ringcheck's
 * checks, it breaks exactly the rule that check is about, so that check
 * must fail.  Between the two, no check can pass whatever the device
 * does.  It serves split rings (2.7) and, when the front-end negotiates
 * VIRTIO_F_RING_PACKED, packed ones (2.8); a mutant named packed-ID
 * breaks rule ID on packed rings only.  Written from the virtio
 * specification and the vhost-user protocol; it is a test fixture, not a
 * back-end to build on (one connection at a time, one thread, no dirty
 * log).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NQ		2	/* receive 0, transmit 1 */
#define HDR_LEN		12
#define F_INDIRECT	(1ULL << 28)
#define F_EVENT_IDX	(1ULL << 29)
#define F_VERSION_1	(1ULL << 32)
#define F_RING_PACKED	(1ULL << 34)
#define OFFERED		(F_INDIRECT | F_EVENT_IDX | F_VERSION_1 | F_RING_PACKED)

/* Packed descriptor flags and event suppression values (2.8.1, 2.8.10). */
#define PF_AVAIL	(1 << 7)
#define PF_USED		(1 << 15)
#define EV_DISABLE	1
#define EV_DESC		2

static const char *mutant = "";

/*
 * A queue.  Packed rings use desc as the descriptor ring, avail as the
 * driver event suppression structure and used as the device's; the
 * indices are then descriptor slots, with a wrap counter each, and
 * used_seq counts the slots the device has used (for event suppression).
 */
struct vq {
	unsigned int num;
	uint64_t desc_ua, avail_ua, used_ua;	/* front-end addresses */
	unsigned char *desc, *avail, *used;	/* ours */
	uint16_t last_avail, used_idx;
	bool avail_wrap, used_wrap;
	uint32_t used_seq;
	int kick, call, err;
	bool started, broken;
};

static struct {
	int conn;
	uint64_t features;
	unsigned char *mem;
	uint64_t mem_size, mem_ua, mem_gpa;
	struct vq vq[NQ];
} dev;

static bool packed(void)
{
	return dev.features & F_RING_PACKED;
}

/* Mutant ID on split rings; packed-ID on packed ones. */
static bool mutant_is(const char *id)
{
	if (packed())
		return !strncmp(mutant, "packed-", 7) && !strcmp(mutant + 7, id);
	return !strcmp(mutant, id);
}

static void die(const char *what)
{
	fprintf(stderr, "vu_loop: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reset(void)
{
	if (dev.mem)
		munmap(dev.mem, dev.mem_size);
	for (int i = 0; i < NQ; i++) {
		struct vq *q = &dev.vq[i];

		if (q->kick >= 0)
			close(q->kick);
		if (q->call >= 0)
			close(q->call);
		if (q->err >= 0)
			close(q->err);
	}
	if (dev.conn >= 0)
		close(dev.conn);
	memset(&dev, 0, sizeof(dev));
	dev.conn = -1;
	for (int i = 0; i < NQ; i++)
		dev.vq[i].kick = dev.vq[i].call = dev.vq[i].err = -1;
}

/* Guest-physical to ours; NULL unless all of [gpa, gpa+len) is memory. */
static unsigned char *gpa_ptr(uint64_t gpa, uint64_t len)
{
	if (gpa < dev.mem_gpa || len > dev.mem_size ||
	    gpa - dev.mem_gpa > dev.mem_size - len)
		return NULL;
	return dev.mem + (gpa - dev.mem_gpa);
}

static unsigned char *ua_ptr(uint64_t ua, uint64_t len)
{
	if (ua < dev.mem_ua || len > dev.mem_size || ua - dev.mem_ua > dev.mem_size - len)
		return NULL;
	return dev.mem + (ua - dev.mem_ua);
}

static uint16_t ld16(const unsigned char *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void st16(unsigned char *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

/* ---- the rings ---- */

struct seg {
	unsigned char *p;
	uint32_t len;
	bool w;
};

#define MAX_SEGS 64

/* One descriptor of a table: split (next at 14) or packed (id, flags). */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next, id;
};

static void read_desc(const unsigned char *d, struct desc *out)
{
	memcpy(&out->addr, d, 8);
	memcpy(&out->len, d + 8, 4);
	if (packed()) {
		memcpy(&out->id, d + 12, 2);
		memcpy(&out->flags, d + 14, 2);
		out->next = 0;
	} else {
		memcpy(&out->flags, d + 12, 2);
		memcpy(&out->next, d + 14, 2);
		out->id = 0;
	}
}

/*
 * The chain at head (an index into the descriptor table, or the packed
 * ring's slot): its segments, or -1 for a chain no device may use (the
 * caller breaks the ring: the error eventfd, nothing used).  A packed
 * chain's ring descriptors go to *ndesc and its buffer id to *id.
 *
 * Split chains follow next; packed ones run on to the next slot (round
 * the ring) while NEXT is set, and a packed indirect table is len/16
 * entries in order with no NEXT at all (2.8.7).
 */
static int walk(struct vq *q, uint16_t head, struct seg *segs,
		unsigned int *ndesc, uint16_t *id)
{
	const unsigned char *table = q->desc;
	unsigned int n = 0, limit = q->num, i = head;
	bool indirect = false, extra = false;

	*ndesc = 0;
	if (head >= q->num && !mutant_is("hostile-head-range"))
		return -1;
	for (unsigned int steps = 0;;) {
		struct desc d;
		bool more;

		if (steps++ >= limit) {
			if (mutant_is("hostile-loop") ||
			    mutant_is("hostile-chain-long"))
				exit(3);	/* a device that dies of it */
			return -1;
		}
		if (i >= limit) {
			if (mutant_is("hostile-next-range") ||
			    mutant_is("hostile-head-range"))
				exit(3);
			return -1;
		}
		read_desc(table + 16 * i, &d);
		if (!indirect) {
			/* The list's id is in its last descriptor (2.8.6). */
			if (!*ndesc || !mutant_is("id-last"))
				*id = d.id;
			++*ndesc;
		}
		if ((d.flags & 4) && !mutant_is("indirect-table")) {
			if (indirect && mutant_is("hostile-nested-indirect"))
				exit(3);
			if (d.len % 16 && mutant_is("hostile-indirect-len"))
				exit(3);
			if ((d.flags & 2) && mutant_is("indirect-write"))
				return -1;	/* "a writable table is no table" */
			if (indirect || !(dev.features & F_INDIRECT) ||
			    (packed() && (d.flags & 1)) ||
			    d.len % 16 || !d.len || !(table = gpa_ptr(d.addr, d.len)))
				return -1;
			indirect = true;
			limit = d.len / 16;
			i = 0;
			steps = 0;
			continue;
		}
		if (n == MAX_SEGS) {
			if (mutant_is("hostile-loop") ||
			    mutant_is("hostile-chain-long"))
				exit(3);
			return -1;
		}
		if (mutant_is("max-chain") && n == 8)
			return -1;	/* "nobody chains more than 8" */
		if (mutant_is("zero-length") && !d.len)
			return n;	/* "an empty descriptor ends the chain" */
		segs[n].p = gpa_ptr(d.addr, d.len);
		segs[n].len = d.len;
		segs[n].w = d.flags & 2;
		if (!segs[n].p) {
			if (mutant_is("hostile-outside-memory"))
				exit(3);
			return -1;
		}
		n++;
		more = packed() && indirect ? i + 1 < limit : d.flags & 1;
		if (!more) {
			/* The mutant follows next once more anyway. */
			if (!mutant_is("next-without-flag") || extra || indirect)
				return n;
			extra = true;
		}
		if (packed())
			i = indirect ? i + 1 : (i + 1) % q->num;
		else
			i = d.next;
	}
}

static void ring_broken(struct vq *q)
{
	uint64_t one = 1;

	q->broken = true;
	if (mutant_is("hostile-scribble"))
		q->desc[0] ^= 0xff;	/* "clean up" the bad chain */
	if (q->err >= 0 && write(q->err, &one, 8) != 8)
		die("error eventfd");
}

/*
 * A packed used descriptor in the next used slot: len and id, then the
 * flags (AVAIL and USED both our wrap counter, WRITE if we wrote into
 * the buffer) with a release store; then past the chain's ndesc slots.
 */
static void put_used_packed(struct vq *q, uint16_t id, uint32_t len,
			    unsigned int ndesc, bool wrote)
{
	unsigned char *d = q->desc + 16 * q->used_idx;
	uint16_t flags = q->used_wrap ? PF_AVAIL | PF_USED : 0;

	if (wrote && !mutant_is("used-write-flag"))
		flags |= 2;
	if (mutant_is("used-flags"))
		flags ^= PF_AVAIL;
	if (mutant_is("chain-skip"))
		ndesc = 1;	/* "one used descriptor, one slot" */
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &id, 2);
	st16(d + 14, flags);
	q->used_seq += ndesc;
	q->used_idx += ndesc;
	if (q->used_idx >= q->num) {
		q->used_idx -= q->num;
		q->used_wrap = !q->used_wrap;
	}
}

static void put_used(struct vq *q, uint32_t id, uint32_t len,
		     unsigned int ndesc, bool wrote)
{
	unsigned char *e = q->used + 4 + 8 * (q->used_idx % q->num);

	if (mutant_is("used-id"))
		id ^= 1;
	if (packed()) {
		put_used_packed(q, (uint16_t)id, len, ndesc, wrote);
		return;
	}
	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	q->used_idx++;
	if (mutant_is("used-idx") && q->used_idx == 10)
		q->used_idx++;
}

static void call(struct vq *q)
{
	uint64_t one = 1;

	if (q->call >= 0 && write(q->call, &one, 8) != 8)
		die("call eventfd");
}

/*
 * Packed: the used descriptors are out; signal if the driver event
 * suppression structure asks (2.8.10).  DESC names the slot and wrap
 * counter of a used descriptor: signal if this batch, slots [old, now)
 * in used_seq's count, wrote it.  A wrap counter other than ours puts
 * the slot in the lap before.
 */
static void publish_packed(struct vq *q, uint32_t old)
{
	uint16_t off_wrap = ld16(q->avail), flags = ld16(q->avail + 2) & 3;
	uint32_t batch = q->used_seq - old;
	bool notify;

	/* Our own structure: kicks always welcome. */
	st16(q->used, 0);
	st16(q->used + 2, mutant_is("device-event-flags") ? 3 : 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (flags == EV_DESC && (dev.features & F_EVENT_IDX)) {
		uint32_t ev = q->used_seq - q->used_idx + (off_wrap & 0x7fff);

		if (!!(off_wrap >> 15) != q->used_wrap)
			ev -= q->num;
		notify = ev - old < batch;
		if (mutant_is("event-desc"))
			notify = false;
		if (mutant_is("event-desc-far"))
			notify = true;
	} else {
		notify = flags != EV_DISABLE;
		if (mutant_is("event-enable") && flags != EV_DISABLE)
			notify = false;
		if (mutant_is("event-disable") && flags == EV_DISABLE)
			notify = true;
	}
	if (notify && batch)
		call(q);
}

/* Publish used entries [old, used_idx) and signal if the driver wants. */
static void publish(struct vq *q, uint32_t old)
{
	uint16_t flags = 0, avail_flags, used_event;
	bool event = dev.features & F_EVENT_IDX, call_it;

	if (!q->started)
		return;
	if (packed()) {
		publish_packed(q, old);
		return;
	}
	if (mutant_is("used-flags-values"))
		flags = 2;
	if (mutant_is("event-used-flags-zero") && event)
		flags = 1;
	st16(q->used, flags);
	st16(q->used + 2, q->used_idx);
	if (event)	/* avail_event: how far we have read */
		st16(q->used + 4 + 8 * q->num, q->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail_flags = ld16(q->avail);
	used_event = ld16(q->avail + 4 + 2 * q->num);
	if (event)
		call_it = (uint16_t)(q->used_idx - used_event - 1) <
			  (uint16_t)(q->used_idx - old);
	else
		call_it = !(avail_flags & 1);
	if (mutant_is("flags0-notify") && !event)
		call_it = false;
	if (mutant_is("flags1-no-notify") && !event)
		call_it = true;
	if (mutant_is("event-crossing") && event)
		call_it = false;
	if (mutant_is("event-no-crossing") && event)
		call_it = true;
	if (mutant_is("event-ignore-flags") && event && (avail_flags & 1))
		call_it = false;
	if (mutant_is("ignore-used-event") && !event)	/* honoured anyway */
		call_it = (uint16_t)(q->used_idx - used_event - 1) <
			  (uint16_t)(q->used_idx - old);
	if (mutant_is("event-wrap") && event)	/* compared without the wrap */
		call_it = old <= used_event && used_event < q->used_idx;
	if (call_it && q->used_idx != (uint16_t)old)
		call(q);
}

/* Chains the driver made available and we have not taken. */
static uint16_t pending(struct vq *q)
{
	uint16_t idx = ld16(q->avail + 2), n = idx - q->last_avail;

	/* Indices compared as plain numbers: stuck at the wrap. */
	if (mutant_is("idx-wrap") && idx < q->last_avail)
		return 0;
	if (mutant_is("full-ring") && n == q->num)
		return 0;
	/* More than the ring holds: the driver is broken (2.7.6.1). */
	if (n > q->num) {
		if (mutant_is("hostile-avail-jump"))
			exit(3);
		if (!q->broken)
			ring_broken(q);
		return 0;
	}
	return n;
}

static uint16_t next_head(struct vq *q)
{
	return ld16(q->avail + 4 + 2 * (q->last_avail++ % q->num));
}

/*
 * Packed: is the descriptor in the next slot available?  Its AVAIL bit
 * is our wrap counter and its USED bit is not (2.8.1, 2.8.15).
 */
static bool packed_avail(struct vq *q)
{
	uint16_t f = ld16(q->desc + 16 * q->last_avail + 14);
	bool avail = f & PF_AVAIL, used = f & PF_USED;

	if (mutant_is("avail-flag"))
		return avail == q->avail_wrap;	/* "AVAIL is enough" */
	return avail == q->avail_wrap && used != q->avail_wrap;
}

static bool has_avail(struct vq *q)
{
	return packed() ? packed_avail(q) : pending(q) != 0;
}

/*
 * Take the next chain the driver made available: its segments (n, or -1
 * for a bad chain), its id (split: head) and its ring descriptors.
 */
static int next_chain(struct vq *q, struct seg *segs, uint16_t *id,
		      unsigned int *ndesc)
{
	int n;

	if (!packed()) {
		uint16_t unused;

		*id = next_head(q);
		return walk(q, *id, segs, ndesc, &unused);
	}
	n = walk(q, q->last_avail, segs, ndesc, id);
	if (n < 0)
		return n;
	q->last_avail += *ndesc;
	if (q->last_avail >= q->num) {
		q->last_avail -= q->num;
		if (!mutant_is("wrap"))	/* "the counter never flips" */
			q->avail_wrap = !q->avail_wrap;
	}
	return n;
}

/* The spurious-kick mutant: a kick with nothing new uses an entry. */
static void spurious(int kick)
{
	for (int i = 0; i < NQ; i++) {
		struct vq *q = &dev.vq[i];
		uint16_t old = q->used_idx;

		if (q->kick != kick || !q->started || packed() || pending(q) ||
		    !mutant_is("spurious-kick"))
			continue;
		put_used(q, 0, 0, 1, false);
		publish(q, old);
	}
}

/* Move frames from the transmit ring to the receive ring while we can. */
static void loop_frames(void)
{
	struct vq *rx = &dev.vq[0], *tx = &dev.vq[1];
	static unsigned char frame[65536];
	struct seg segs[MAX_SEGS];
	/* Split: used indices; packed: slots used, counted. */
	uint32_t rx_old = packed() ? rx->used_seq : rx->used_idx;
	uint32_t tx_old = packed() ? tx->used_seq : tx->used_idx;
	unsigned int taken = 0;

	while (rx->started && tx->started && !rx->broken && !tx->broken &&
	       has_avail(tx) && has_avail(rx)) {
		uint16_t head, rhead;
		unsigned int ndesc, rndesc;
		uint32_t len = 0, off;
		int n;

		/* "A ring full of chains": never take the N-th at once. */
		if (packed() && mutant_is("full-ring") && ++taken == tx->num)
			break;
		n = next_chain(tx, segs, &head, &ndesc);

		if (n < 0) {
			ring_broken(tx);
			break;
		}
		for (int i = 0; i < n; i++) {
			if (segs[i].w || len + segs[i].len > sizeof(frame)) {
				n = -1;
				break;
			}
			memcpy(frame + len, segs[i].p, segs[i].len);
			len += segs[i].len;
		}
		if (n < 0 || len < HDR_LEN) {
			ring_broken(tx);
			break;
		}
		if (mutant_is("any-layout") && segs[0].len != HDR_LEN &&
		    segs[0].len < len) {
			/* "The header is the first descriptor": wrong. */
			memmove(frame + HDR_LEN, frame + segs[0].len,
				len - segs[0].len);
			len -= segs[0].len - HDR_LEN;
		}
		if (mutant_is("write-readable"))
			segs[0].p[0] ^= 0x5a;
		put_used(tx, head, mutant_is("used-len-tx") ? len : 0, ndesc,
			 false);

		n = next_chain(rx, segs, &rhead, &rndesc);
		if (n < 0) {
			ring_broken(rx);
			break;
		}
		/* The header: no offloads, one buffer. */
		memset(frame, 0, HDR_LEN);
		if (!mutant_is("num-buffers"))
			frame[10] = 1;
		off = 0;
		for (int i = 0; i < n && off < len; i++) {
			uint32_t k = segs[i].len < len - off ?
				     segs[i].len : len - off;

			if (!segs[i].w)
				continue;
			memcpy(segs[i].p, frame + off, k);
			off += k;
		}
		if (mutant_is("writable-bounds") && n && segs[n - 1].w)
			segs[n - 1].p[segs[n - 1].len] ^= 0x5a;
		if (mutant_is("used-len"))	/* "the whole buffer" */
			for (int i = off = 0; i < n; i++)
				off += segs[i].len;
		put_used(rx, rhead, off, rndesc, off != 0);
	}
	publish(tx, tx_old);
	publish(rx, rx_old);
}

/* ---- the protocol ---- */

enum {
	GET_FEATURES = 1, SET_FEATURES = 2, SET_OWNER = 3, SET_MEM_TABLE = 5,
	SET_VRING_NUM = 8, SET_VRING_ADDR = 9, SET_VRING_BASE = 10,
	GET_VRING_BASE = 11, SET_VRING_KICK = 12, SET_VRING_CALL = 13,
	SET_VRING_ERR = 14,
};

struct msg {
	uint32_t request, flags, size;
	unsigned char payload[256];
} __attribute__((packed));

static void reply(struct msg *m, const void *payload, uint32_t size)
{
	m->flags = 0x1 | 0x4;
	m->size = size;
	memcpy(m->payload, payload, size);
	if (send(dev.conn, m, 12 + size, MSG_NOSIGNAL) != (ssize_t)(12 + size))
		die("reply");
}

/* One message; false when the front-end has gone. */
static bool handle(void)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct msg m;
	struct iovec iov = { .iov_base = &m, .iov_len = 12 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control) };
	struct cmsghdr *cm;
	uint32_t index;
	int fd = -1;
	struct vq *q;

	if (recvmsg(dev.conn, &mh, MSG_CMSG_CLOEXEC) != 12)
		return false;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (m.size > sizeof(m.payload) ||
	    (m.size && recv(dev.conn, m.payload, m.size, MSG_WAITALL) !=
	     (ssize_t)m.size))
		return false;
	memcpy(&index, m.payload, 4);
	q = &dev.vq[(index & 0xff) < NQ ? index & 0xff : 0];
	switch (m.request) {
	case GET_FEATURES: {
		uint64_t f = OFFERED;

		reply(&m, &f, 8);
		break;
	}
	case SET_FEATURES:
		memcpy(&dev.features, m.payload, 8);
		break;
	case SET_OWNER:
		break;
	case SET_MEM_TABLE: {
		uint64_t r[4];	/* gpa, size, user address, offset */

		memcpy(r, m.payload + 8, sizeof(r));
		dev.mem = mmap(NULL, r[1], PROT_READ | PROT_WRITE, MAP_SHARED,
			       fd, r[3]);
		if (dev.mem == MAP_FAILED)
			die("mmap of the memory table");
		dev.mem_gpa = r[0];
		dev.mem_size = r[1];
		dev.mem_ua = r[2];
		close(fd);
		fd = -1;
		break;
	}
	case SET_VRING_NUM:
		memcpy(&q->num, m.payload + 4, 4);
		break;
	case SET_VRING_BASE: {
		uint32_t base;

		memcpy(&base, m.payload + 4, 4);
		q->last_avail = q->used_idx = base;
		q->used_seq = 0;
		if (packed()) {
			/* Packed: the slot, and the wrap counter in bit 15. */
			q->last_avail = q->used_idx = base & 0x7fff;
			q->avail_wrap = q->used_wrap = base & 0x8000;
			if (mutant_is("set-vring-base"))	/* "always 1" */
				q->avail_wrap = q->used_wrap = true;
		}
		break;
	}
	case SET_VRING_ADDR:
		memcpy(&q->desc_ua, m.payload + 8, 8);
		memcpy(&q->used_ua, m.payload + 16, 8);
		memcpy(&q->avail_ua, m.payload + 24, 8);
		if (mutant_is("alignment")) {
			/* The legacy layout assumed (2.7.2), not the one given. */
			q->avail_ua = q->desc_ua + 16 * q->num;
			q->used_ua = (q->avail_ua + 6 + 2 * q->num + 4095) &
				     ~4095ULL;
		}
		q->desc = ua_ptr(q->desc_ua, 16 * q->num);
		/* Packed: the device and driver event suppression areas. */
		q->used = ua_ptr(q->used_ua, packed() ? 4 : 6 + 8 * q->num);
		q->avail = ua_ptr(q->avail_ua, packed() ? 4 : 6 + 2 * q->num);
		break;
	case SET_VRING_CALL:
	case SET_VRING_ERR:
	case SET_VRING_KICK: {
		int *slot = m.request == SET_VRING_CALL ? &q->call :
			    m.request == SET_VRING_ERR ? &q->err : &q->kick;

		if (*slot >= 0)
			close(*slot);
		*slot = fd;
		fd = -1;
		if (m.request == SET_VRING_KICK)
			q->started = q->desc && q->used && q->avail && q->num;
		break;
	}
	case GET_VRING_BASE: {
		uint32_t s[2] = { index, q->last_avail };

		if (packed())
			s[1] = q->last_avail |
			       (q->avail_wrap != mutant_is("vring-base") ?
				0x8000 : 0);
		else if (mutant_is("vring-base"))
			s[1] = q->used_idx + 1;
		q->started = mutant_is("ring-stop") && q->started;
		reply(&m, s, 8);
		break;
	}
	default:
		fprintf(stderr, "vu_loop: request %u not handled\n", m.request);
		return false;
	}
	if (fd >= 0)
		close(fd);
	return true;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	if (argc < 2 || argc > 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: vu_loop SOCKET [MUTANT]\n");
		return 2;
	}
	if (argc == 3)
		mutant = argv[2];
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Bound under another name and renamed once listening: whoever
	 * waits for SOCKET to appear may connect at once (between bind()
	 * and listen() a connect() is refused).
	 */
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.new", argv[1]) >=
	    (int)sizeof(sa.sun_path))
		die(argv[1]);
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1) || rename(sa.sun_path, argv[1]))
		die(argv[1]);
	dev.conn = -1;
	reset();
	for (;;) {
		struct pollfd p[1 + NQ];
		unsigned int n = 1;

		if (dev.conn < 0) {
			dev.conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (dev.conn < 0)
				die("accept");
			continue;
		}
		p[0] = (struct pollfd){ .fd = dev.conn, .events = POLLIN };
		for (int i = 0; i < NQ; i++)
			if (dev.vq[i].kick >= 0)
				p[n++] = (struct pollfd){ .fd = dev.vq[i].kick,
							  .events = POLLIN };
		if (poll(p, n, -1) < 0 && errno != EINTR)
			die("poll");
		for (unsigned int i = 1; i < n; i++) {
			uint64_t v;

			if (!(p[i].revents & POLLIN))
				continue;
			if (read(p[i].fd, &v, 8) != 8 && errno != EAGAIN)
				die("kick");
			spurious(p[i].fd);
		}
		if (n > 1)
			loop_frames();
		if ((p[0].revents & (POLLIN | POLLHUP)) && !handle())
			reset();
	}
}
