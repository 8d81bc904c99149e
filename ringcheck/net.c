// SPDX-License-Identifier: GPL-2.0
/*
 * A session with a network device whose far end loops frames back: the
 * memory, both queues (receive 0, transmit 1), frames that say who they
 * are, and the harvest that holds each returned buffer against what the
 * driver offered.  The checks (checks_split.c) are built from these.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define SESS_MEM	(2UL << 20)	/* rings and 2 x 256 slots, with room */

int sess_start(struct sess *s, struct rc_target *t, uint64_t features,
	       unsigned int num)
{
	return sess_start_at(s, t, features, num, false,
			     SESS_START_RESET(features));
}

int sess_start_at(struct sess *s, struct rc_target *t, uint64_t features,
		  unsigned int num, bool tight, uint16_t start)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->q[0].kick = s->q[0].call = s->q[0].err = -1;
	s->q[1].kick = s->q[1].call = s->q[1].err = -1;
	if (!(t->offered & RC_BIT(RC_F_VERSION_1))) {
		rc_why("%s does not offer VIRTIO_F_VERSION_1 (legacy devices are not checked)",
		       t->name);
		return 1;
	}
	if (rc_mem_init(&s->mem, SESS_MEM))
		return -1;
	s->started = true;
	t->features = (features | RC_BIT(RC_F_VERSION_1)) & t->offered;
	for (unsigned int i = 0; i < 2; i++) {
		struct rc_queue *q = &s->q[i];

		q->packed = t->features & RC_BIT(RC_F_RING_PACKED);
		if (q->packed ? rc_packed_init(&q->pring, &s->mem, num) :
		    rc_split_init_at(&q->ring, &s->mem, num, tight))
			return -1;
		if (q->packed) {
			q->pring.next_avail = q->pring.next_used =
				(start & 0x7fff) % num;
			q->pring.avail_wrap = q->pring.used_wrap =
				start & 0x8000;
		} else {
			rc_split_reset_at(&q->ring, start);
		}
		q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick < 0 || q->call < 0 || q->err < 0) {
			rc_why("eventfd: %s", strerror(errno));
			return -1;
		}
	}
	/* Buffers: one slot per descriptor of each ring, a frame's worth. */
	s->rx_bufs = rc_mem_alloc(&s->mem, (size_t)num * SLOT, RC_PAGE);
	s->tx_bufs = rc_mem_alloc(&s->mem, (size_t)num * SLOT, RC_PAGE);
	if (t->ops->start(t, &s->mem, s->q, 2)) {
		rc_why("%s: the queues did not start (see above)", t->name);
		return -1;
	}
	return 0;
}

void sess_end(struct sess *s)
{
	if (!s->t)
		return;
	for (unsigned int i = 0; i < 2; i++) {
		struct rc_queue *q = &s->q[i];

		if (q->packed)
			rc_packed_free(&q->pring);
		else
			rc_split_free(&q->ring);
		if (q->kick >= 0)
			close(q->kick);
		if (q->call >= 0)
			close(q->call);
		if (q->err >= 0)
			close(q->err);
	}
	if (s->started)
		rc_mem_free(&s->mem);
	memset(s, 0, sizeof(*s));
}

/*
 * The queue, whichever its layout: what the session and the checks share
 * between split and packed rings.
 */
unsigned int vq_num(const struct rc_queue *q)
{
	return q->packed ? q->pring.num : q->ring.num;
}

int vq_post(struct rc_queue *q, const struct rc_seg *segs, unsigned int n,
	    bool indirect, uint32_t tag)
{
	return q->packed ? rc_packed_post(&q->pring, segs, n, indirect, tag) :
			   rc_split_post(&q->ring, segs, n, indirect, tag);
}

void vq_publish(struct rc_queue *q)
{
	if (q->packed)
		rc_packed_publish(&q->pring);
	else
		rc_split_publish(&q->ring);
}

uint16_t vq_posted(const struct rc_queue *q)
{
	return q->packed ? q->pring.posted : q->ring.avail_idx;
}

const struct rc_chain *vq_chain_at(const struct rc_queue *q, uint16_t k)
{
	if (q->packed)
		return &q->pring.chains[q->pring.ids[k % q->pring.num]];
	return &q->ring.chains[rc_split_head_at(&q->ring, k)];
}

const struct rc_chain *vq_chain(const struct rc_queue *q, uint32_t id)
{
	const struct rc_chain *c = NULL;

	if (id < vq_num(q))
		c = q->packed ? &q->pring.chains[id] : &q->ring.chains[id];
	return c && c->busy ? c : NULL;
}

bool vq_take(struct rc_queue *q, uint32_t *id, uint32_t *len, uint16_t *flags)
{
	*flags = 0;
	return q->packed ? rc_packed_take(&q->pring, id, len, flags) :
			   rc_split_take(&q->ring, id, len);
}

void vq_retire(struct rc_queue *q, uint32_t id)
{
	if (q->packed)
		rc_packed_retire(&q->pring, (uint16_t)id);
	else
		rc_split_retire(&q->ring, (uint16_t)id);
}

void vq_allow_used(struct rc_queue *q, unsigned int n)
{
	if (q->packed)
		rc_packed_allow_used(&q->pring);
	else
		rc_split_allow_used(&q->ring, q->ring.used_seen,
				    q->ring.used_seen + n);
}

void sess_kick(struct sess *s, unsigned int queue)
{
	uint64_t one = 1;

	if (write(s->q[queue].kick, &one, 8) != 8)
		rc_why("kick: %s", strerror(errno));
}

uint64_t sess_calls(struct sess *s, unsigned int queue)
{
	uint64_t n = 0;

	if (read(s->q[queue].call, &n, 8) != 8)
		return 0;
	return n;
}

uint64_t sess_wait_calls(struct sess *s, unsigned int queue, unsigned int ms)
{
	struct pollfd p = { .fd = s->q[queue].call, .events = POLLIN };

	if (poll(&p, 1, (int)ms) != 1)
		return 0;
	return sess_calls(s, queue);
}

bool sess_broken(struct sess *s, unsigned int queue)
{
	uint64_t n = 0;

	if (s->t->ops->broken)
		return s->t->ops->broken(s->t, queue);
	return read(s->q[queue].err, &n, 8) == 8 && n;
}

/* Frame bytes: an Ethernet header, then the tag and its pattern. */
unsigned char frame_byte(uint32_t tag, uint32_t i)
{
	static const unsigned char eth[14] = {
		0x02, 0, 0, 0, 0, 0x01,		/* to: a local address */
		0x02, 0, 0, 0, 0, 0x02,		/* from */
		0x88, 0xb5,			/* local experimental type */
	};

	if (i < 14)
		return eth[i];
	if (i < 18)
		return (unsigned char)(tag >> (8 * (i - 14)));
	return (unsigned char)((tag * 131 + i * 7) ^ (i >> 8));
}

/* The tag of the frame whose bytes start at p, len bytes. */
static bool frame_tag(const unsigned char *p, uint32_t len, uint32_t *tag)
{
	if (len < 18)
		return false;
	*tag = p[14] | p[15] << 8 | p[16] << 16 | (uint32_t)p[17] << 24;
	return true;
}

/* Write len bytes of frame tag into a chain's segments after skip bytes. */
static void fill_segs(struct rc_mem *m, const struct rc_seg *segs,
		      unsigned int n, uint32_t skip, uint32_t tag, uint32_t len)
{
	uint32_t pos = 0;

	for (unsigned int i = 0; i < n; i++) {
		unsigned char *p = rc_mem_ptr(m, segs[i].addr);

		for (uint32_t j = 0; j < segs[i].len; j++, pos++) {
			unsigned char b = 0;	/* the virtio-net header */

			if (pos >= skip && pos - skip < len)
				b = frame_byte(tag, pos - skip);
			if (pos < skip || pos - skip < len) {
				p[j] = b;
				m->snap[segs[i].addr + j] = b;
			}
		}
	}
}

/*
 * Cut [addr, addr+total) into pieces of the lengths given (a 0-ended
 * list); the last piece takes what is left.
 */
static unsigned int cut(struct rc_seg *segs, uint64_t addr, uint32_t total,
			const uint32_t *pieces, bool writable)
{
	unsigned int n = 0;

	while (total) {
		uint32_t len = total;

		if (pieces && n < RC_MAX_SEGS - 1 && pieces[n] &&
		    pieces[n] < total)
			len = pieces[n];
		segs[n++] = (struct rc_seg){ addr, len, writable };
		addr += len;
		total -= len;
	}
	return n;
}

int sess_post_rx_segs(struct sess *s, const struct rc_seg *layout,
		      unsigned int n, bool indirect)
{
	struct rc_queue *q = &s->q[RC_NET_RX];
	struct rc_seg segs[RC_MAX_SEGS];
	unsigned int slot = s->rx_posted % vq_num(q);
	uint64_t addr = s->rx_bufs + (uint64_t)slot * SLOT;
	int head;

	for (unsigned int i = 0; i < n; i++)
		segs[i] = (struct rc_seg){ addr + layout[i].addr, layout[i].len,
					   true };
	rc_mem_fill(&s->mem, addr, SLOT);
	head = vq_post(q, segs, n, indirect, slot);
	if (head >= 0)
		s->rx_posted++;
	return head;
}

int sess_post_tx_segs(struct sess *s, const struct rc_seg *layout,
		      unsigned int n, bool indirect, uint32_t tag)
{
	struct rc_queue *q = &s->q[RC_NET_TX];
	struct rc_seg segs[RC_MAX_SEGS];
	unsigned int slot = s->tx_posted % vq_num(q);
	uint64_t addr = s->tx_bufs + (uint64_t)slot * SLOT;
	uint32_t total = 0;
	int head;

	for (unsigned int i = 0; i < n; i++) {
		segs[i] = (struct rc_seg){ addr + layout[i].addr, layout[i].len,
					   false };
		total += layout[i].len;
	}
	if (total < RC_NET_HDR_LEN + 18)
		return -1;
	fill_segs(&s->mem, segs, n, RC_NET_HDR_LEN, tag,
		  total - RC_NET_HDR_LEN);
	head = vq_post(q, segs, n, indirect, tag);
	if (head >= 0) {
		s->tx_posted++;
		s->sent_len[tag % MAX_TAGS] = total - RC_NET_HDR_LEN;
		s->delivered[tag % MAX_TAGS] = false;
	}
	return head;
}

int sess_post_rx(struct sess *s, uint32_t size, const uint32_t *pieces,
		 bool indirect)
{
	struct rc_seg layout[RC_MAX_SEGS];

	return sess_post_rx_segs(s, layout, cut(layout, 0, size, pieces, true),
				 indirect);
}

int sess_post_tx(struct sess *s, uint32_t frame_len, const uint32_t *pieces,
		 bool indirect, uint32_t tag)
{
	struct rc_seg layout[RC_MAX_SEGS];
	unsigned int n = cut(layout, 0, RC_NET_HDR_LEN + frame_len, pieces,
			     false);

	return sess_post_tx_segs(s, layout, n, indirect, tag);
}

/*
 * A packed used descriptor's flags: AVAIL equal to USED (2.8.1, or it is
 * not a used descriptor at all), and WRITE saying whether the device wrote
 * into the buffer (2.8.3), counted for the check that asks.
 */
static bool used_flags_wrong(struct sess *s, struct rc_queue *q,
			     const struct rc_chain *c, uint16_t flags,
			     const char *which)
{
	if (!q->packed)
		return false;
	if (!(flags & RC_PDESC_F_AVAIL) != !(flags & RC_PDESC_F_USED)) {
		rc_why("%s queue: a used descriptor (id %u) has flags %#x: USED is the wrap counter but AVAIL differs (2.8.1)",
		       which, (unsigned int)(c - q->pring.chains), flags);
		return true;
	}
	if (!(flags & RC_DESC_F_WRITE) != !c->writable && !s->write_flag_wrong++)
		s->first_write_flag = flags;
	return false;
}

/* Copy a returned receive chain's first len bytes out, in order. */
static uint32_t gather(struct rc_mem *m, const struct rc_chain *c,
		       unsigned char *out, uint32_t len)
{
	uint32_t done = 0;

	for (unsigned int i = 0; i < c->nsegs && done < len; i++) {
		uint32_t k = c->segs[i].len < len - done ?
			     c->segs[i].len : len - done;

		memcpy(out + done, rc_mem_ptr(m, c->segs[i].addr), k);
		done += k;
	}
	return done;
}

int sess_harvest_rx(struct sess *s)
{
	struct rc_queue *q = &s->q[RC_NET_RX];
	static unsigned char buf[SLOT];
	uint32_t id, len, tag;
	uint16_t flags;
	int got = 0;

	while (vq_take(q, &id, &len, &flags)) {
		const struct rc_chain *c = vq_chain(q, id);
		uint16_t num_buffers;

		if (!c || used_flags_wrong(s, q, c, flags, "receive")) {
			if (!c)
				rc_why("receive queue: used id %u is not %s in flight (%s)",
				       id, q->packed ? "a buffer id" : "the head of a chain",
				       q->packed ? "2.8" : "2.7.8");
			return -1;
		}
		if (len < RC_NET_HDR_LEN + 18 || len > c->writable) {
			rc_why("receive queue: used len %u for a chain of %u writable bytes; a frame of ours takes %u to %u",
			       len, c->writable, RC_NET_HDR_LEN + 60,
			       RC_NET_HDR_LEN + 1514);
			return -1;
		}
		gather(&s->mem, c, buf, len);
		if (!frame_tag(buf + RC_NET_HDR_LEN, len - RC_NET_HDR_LEN, &tag) ||
		    s->sent_len[tag % MAX_TAGS] + RC_NET_HDR_LEN != len) {
			rc_why("receive queue: used len %u, but the frame there (tag %u) was %u bytes plus the %u-byte header (more than written breaks %s; less loses the frame's tail)",
			       len, tag, s->sent_len[tag % MAX_TAGS],
			       RC_NET_HDR_LEN, q->packed ? "2.8.4" : "2.7.8.2");
			return -1;
		}
		for (uint32_t i = RC_NET_HDR_LEN; i < len; i++) {
			if (buf[i] != frame_byte(tag, i - RC_NET_HDR_LEN)) {
				rc_why("receive queue: frame %u differs at byte %u: %#x, sent %#x",
				       tag, i - RC_NET_HDR_LEN, buf[i],
				       frame_byte(tag, i - RC_NET_HDR_LEN));
				return -1;
			}
		}
		memcpy(&num_buffers, buf + 10, 2);
		if (num_buffers != 1 && !s->bad_num_buffers++) {
			s->first_num_buffers = num_buffers;
			s->first_num_buffers_tag = tag;
		}
		if (s->delivered[tag % MAX_TAGS]) {
			rc_why("receive queue: frame %u arrived twice", tag);
			return -1;
		}
		s->delivered[tag % MAX_TAGS] = true;
		s->rx_done++;
		vq_retire(q, id);
		got++;
	}
	return got;
}

int sess_harvest_tx(struct sess *s)
{
	struct rc_queue *q = &s->q[RC_NET_TX];
	uint32_t id, len;
	uint16_t flags;
	int got = 0;

	while (vq_take(q, &id, &len, &flags)) {
		const struct rc_chain *c = vq_chain(q, id);

		if (!c || used_flags_wrong(s, q, c, flags, "transmit")) {
			if (!c)
				rc_why("transmit queue: used id %u is not %s in flight (%s)",
				       id, q->packed ? "a buffer id" : "the head of a chain",
				       q->packed ? "2.8" : "2.7.8");
			return -1;
		}
		/* A packed used descriptor's len means nothing without WRITE. */
		if (len != 0 && (!q->packed || (flags & RC_DESC_F_WRITE)))
			s->tx_nonzero_len++;
		s->tx_done++;
		vq_retire(q, id);
		got++;
	}
	return got;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sess_wait(struct sess *s, uint32_t rx_want, uint32_t tx_want,
	      unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	for (;;) {
		if (s->t->ops->pump)
			s->t->ops->pump(s->t);
		if (sess_harvest_rx(s) < 0 || sess_harvest_tx(s) < 0)
			return -1;
		if (s->rx_done >= rx_want && s->tx_done >= tx_want)
			return 0;
		if (now_ms() > end) {
			rc_why("after %u ms: %u of %u frames back on the receive queue, %u of %u transmit buffers used",
			       ms, s->rx_done, rx_want, s->tx_done, tx_want);
			return -1;
		}
		usleep(200);
	}
}

/* ---- round trips: what the split and the packed checks are built of ---- */

struct sess sess;

uint32_t frame_len(uint32_t i)
{
	return 60 + (i * 397) % (1514 - 60 + 1);
}

enum rc_result sess_start_check_at(struct sess *s, struct rc_target *t,
				   uint64_t features, unsigned int num,
				   bool tight, uint16_t idx)
{
	int r = sess_start_at(s, t, features, num, tight, idx);

	return r > 0 ? RC_SKIP : r < 0 ? RC_FAIL : RC_PASS;
}

enum rc_result sess_start_check(struct sess *s, struct rc_target *t,
				uint64_t features, unsigned int num)
{
	return sess_start_check_at(s, t, features, num, false,
				   SESS_START_RESET(features));
}

enum rc_result end(enum rc_result r)
{
	sess_end(&sess);
	return r;
}

static bool in(uint64_t addr, uint64_t start, uint64_t len)
{
	return addr >= start && addr < start + len;
}

/* What a ring address is, for a failure message ("" if none of its). */
static const char *ring_part(const struct rc_queue *q, uint64_t addr)
{
	unsigned int num = vq_num(q);
	const struct rc_split *r = &q->ring;
	const struct rc_packed *p = &q->pring;

	if (q->packed) {
		if (in(addr, p->desc_addr, 16 * (uint64_t)num))
			return "descriptor ring";
		if (in(addr, p->driver_addr, 4))
			return "driver event suppression structure";
		if (in(addr, p->device_addr, 4))
			return "device event suppression structure";
		if (in(addr, p->tables, (uint64_t)num * 16 * p->table_slot))
			return "indirect tables";
		return "";
	}
	if (in(addr, r->desc_addr, rc_split_desc_size(num)))
		return "descriptor table";
	if (in(addr, r->avail_addr, rc_split_avail_size(num)))
		return "available ring";
	if (in(addr, r->used_addr, rc_split_used_size(num)))
		return "used ring";
	if (in(addr, r->tables, (uint64_t)num * 16 * r->table_slot))
		return "indirect tables";
	return "";
}

/* What an address in the session's memory is, for a failure message. */
static void where(struct sess *s, uint64_t addr, char *out, size_t len)
{
	for (unsigned int i = 0; i < 2; i++) {
		const char *part = ring_part(&s->q[i], addr);

		if (*part) {
			snprintf(out, len, "the %s queue's %s",
				 i == RC_NET_RX ? "receive" : "transmit", part);
			return;
		}
	}
	if (in(addr, s->tx_bufs, (uint64_t)vq_num(&s->q[1]) * SLOT)) {
		snprintf(out, len, "transmit buffer slot %llu, byte %llu (device-readable)",
			 (unsigned long long)((addr - s->tx_bufs) / SLOT),
			 (unsigned long long)((addr - s->tx_bufs) % SLOT));
		return;
	}
	if (in(addr, s->rx_bufs, (uint64_t)vq_num(&s->q[0]) * SLOT)) {
		snprintf(out, len, "receive buffer slot %llu, byte %llu",
			 (unsigned long long)((addr - s->rx_bufs) / SLOT),
			 (unsigned long long)((addr - s->rx_bufs) % SLOT));
		return;
	}
	snprintf(out, len, "memory no ring or buffer uses");
}

bool audit_passed(struct sess *s, const char *after)
{
	char what[96];
	int64_t bad;

	if (s->t->ops->pump)
		s->t->ops->pump(s->t);
	bad = rc_audit_end(&s->mem);
	if (bad < 0)
		return true;
	where(s, (uint64_t)bad, what, sizeof(what));
	rc_why("%sthe device wrote at %#llx, in %s: it was given no such right",
	       after, (unsigned long long)bad, what);
	return false;
}

void allow_rx_chains(struct sess *s, uint16_t from)
{
	struct rc_queue *rx = &s->q[RC_NET_RX];

	for (uint16_t i = from; i != vq_posted(rx); i++) {
		const struct rc_chain *c = vq_chain_at(rx, i);

		for (unsigned int k = 0; k < c->nsegs; k++)
			rc_audit_allow(&s->mem, c->segs[k].addr, c->segs[k].len);
	}
}

enum rc_result round_trip_post(struct sess *s, unsigned int n,
			       const struct layout *l)
{
	for (unsigned int i = 0; i < n; i++) {
		int head = sess_post_rx(s, RX_SIZE, l ? l->rx_pieces : NULL,
					l && l->rx_indirect);

		if (head < 0 ||
		    sess_post_tx(s, frame_len(s->tx_posted),
				 l ? l->tx_pieces : NULL, l && l->tx_indirect,
				 s->tx_posted) < 0) {
			rc_why("no room in the rings for %u chains", n);
			return RC_FAIL;
		}
	}
	return RC_PASS;
}

void sess_go(struct sess *s, unsigned int rx_n, unsigned int tx_n,
	     uint16_t rx_from)
{
	rc_audit_begin(&s->mem);
	allow_rx_chains(s, rx_from);
	vq_allow_used(&s->q[RC_NET_RX], rx_n);
	vq_allow_used(&s->q[RC_NET_TX], tx_n);
	vq_publish(&s->q[RC_NET_RX]);
	vq_publish(&s->q[RC_NET_TX]);
	sess_kick(s, RC_NET_RX);
	sess_kick(s, RC_NET_TX);
}

enum rc_result round_trip_go(struct sess *s, unsigned int n, uint16_t rx_from)
{
	uint32_t rx_want = s->rx_done + n, tx_want = s->tx_done + n;

	sess_go(s, n, n, rx_from);
	if (sess_wait(s, rx_want, tx_want, WAIT_MS))
		return RC_FAIL;
	return audit_passed(s, "") ? RC_PASS : RC_FAIL;
}

enum rc_result round_trip(struct sess *s, unsigned int n,
			  const struct layout *l)
{
	uint16_t rx_from = vq_posted(&s->q[RC_NET_RX]);

	if (round_trip_post(s, n, l) != RC_PASS)
		return RC_FAIL;
	return round_trip_go(s, n, rx_from);
}

enum rc_result round_trip_segs(struct sess *s, unsigned int n,
			       const struct rc_seg *rx_layout, unsigned int rx_n,
			       const struct rc_seg *tx_layout, unsigned int tx_n)
{
	uint16_t rx_from = vq_posted(&s->q[RC_NET_RX]);

	for (unsigned int i = 0; i < n; i++) {
		if (sess_post_rx_segs(s, rx_layout, rx_n, false) < 0 ||
		    sess_post_tx_segs(s, tx_layout, tx_n, false,
				      s->tx_posted) < 0) {
			rc_why("no room in the rings for %u chains", n);
			return RC_FAIL;
		}
	}
	return round_trip_go(s, n, rx_from);
}

/* Where the driver's next chain goes, as GET_VRING_BASE would say it. */
static uint16_t vq_avail_pos(const struct rc_queue *q)
{
	if (q->packed)
		return rc_packed_pos(q->pring.next_avail, q->pring.avail_wrap);
	return q->ring.avail_idx;
}

/* Has the device used an entry we have not taken yet? */
static bool vq_used_pending(struct rc_queue *q)
{
	uint64_t at;
	uint16_t f;

	if (!q->packed)
		return rc_split_used_idx(&q->ring) != q->ring.used_seen;
	at = q->pring.desc_addr + 16 * (uint64_t)q->pring.next_used + 14;
	f = __atomic_load_n((uint16_t *)rc_mem_ptr(&sess.mem, at),
			    __ATOMIC_ACQUIRE);
	return !!(f & RC_PDESC_F_USED) == q->pring.used_wrap;
}

enum rc_result hostile(struct rc_target *t, uint64_t features,
		       void (*spoil)(struct sess *s, struct rc_queue *tx))
{
	struct rc_queue *tx = &sess.q[RC_NET_TX];
	uint16_t rx_from, past, avail = 0;
	bool reached;

	START(&sess, t, features, 256);
	if (round_trip(&sess, 4, NULL) != RC_PASS)
		return end(RC_FAIL);
	/*
	 * Receive buffers waiting, so that a device which takes a frame
	 * only when it has somewhere to put it does read the bad chain.
	 */
	rx_from = vq_posted(&sess.q[RC_NET_RX]);
	for (unsigned int i = 0; i < 4; i++)
		if (sess_post_rx(&sess, RX_SIZE, NULL, false) < 0)
			return end(RC_FAIL);
	if (sess_post_tx(&sess, 100, NULL, false, 1000) < 0)
		return end(RC_FAIL);
	past = vq_avail_pos(tx);
	spoil(&sess, tx);
	sess_go(&sess, 4, 1, rx_from);
	/*
	 * A split ring's used ring is the device's to write: after a bad
	 * driver (an avail idx that jumped, say) it may say what it likes
	 * there, so only the driver's memory is held to account.
	 */
	if (!tx->packed)
		rc_split_allow_used(&tx->ring, tx->ring.used_seen,
				    tx->ring.used_seen + tx->ring.num);
	usleep(100000);
	if (!audit_passed(&sess, "after a malformed chain, "))
		return end(RC_FAIL);
	/*
	 * Did the device reach the bad chain at all?  It said so on the
	 * error eventfd, or used it, or its available index went past it.
	 */
	reached = sess_broken(&sess, RC_NET_TX) || vq_used_pending(tx);
	if (!reached && t->ops->stop && t->ops->alive(t) &&
	    t->ops->stop(t, RC_NET_TX, &avail) == 0)
		reached = avail == past;
	sess_end(&sess);
	/* Alive: a new connection must carry frames again. */
	t->ops->close(t);
	if (t->ops->open(t, t->arg) ||
	    sess_start_check(&sess, t, features, 256) != RC_PASS ||
	    round_trip(&sess, 4, NULL) != RC_PASS) {
		rc_why_clear();
		rc_why("%s no longer carries frames after a malformed chain",
		       t->name);
		return end(RC_FAIL);
	}
	if (!reached) {
		rc_why("not shown: the device neither used the malformed chain, nor signalled an error, nor moved its available index past it (it stopped the queue there, or never read it)");
		return end(RC_SKIP);
	}
	return end(RC_PASS);
}

enum rc_result kicks_change_nothing(struct sess *s, const char *after)
{
	for (unsigned int k = 0; k < 5; k++) {
		sess_kick(s, RC_NET_RX);
		sess_kick(s, RC_NET_TX);
		usleep(10000);
	}
	if (!audit_passed(s, after))
		return RC_FAIL;
	return round_trip(s, 8, NULL);
}
