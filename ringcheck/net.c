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
	return sess_start_at(s, t, features, num, false, 0);
}

int sess_start_at(struct sess *s, struct rc_target *t, uint64_t features,
		  unsigned int num, bool tight, uint16_t idx)
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
	for (unsigned int i = 0; i < 2; i++) {
		struct rc_queue *q = &s->q[i];

		if (rc_split_init_at(&q->ring, &s->mem, num, tight))
			return -1;
		rc_split_reset_at(&q->ring, idx);
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
	t->features = (features | RC_BIT(RC_F_VERSION_1)) & t->offered;
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
	struct rc_split *r = &s->q[RC_NET_RX].ring;
	struct rc_seg segs[RC_MAX_SEGS];
	unsigned int slot = s->rx_posted % r->num;
	uint64_t addr = s->rx_bufs + (uint64_t)slot * SLOT;
	int head;

	for (unsigned int i = 0; i < n; i++)
		segs[i] = (struct rc_seg){ addr + layout[i].addr, layout[i].len,
					   true };
	rc_mem_fill(&s->mem, addr, SLOT);
	head = rc_split_post(r, segs, n, indirect, slot);
	if (head >= 0)
		s->rx_posted++;
	return head;
}

int sess_post_tx_segs(struct sess *s, const struct rc_seg *layout,
		      unsigned int n, bool indirect, uint32_t tag)
{
	struct rc_split *r = &s->q[RC_NET_TX].ring;
	struct rc_seg segs[RC_MAX_SEGS];
	unsigned int slot = s->tx_posted % r->num;
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
	head = rc_split_post(r, segs, n, indirect, tag);
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
	struct rc_split *r = &s->q[RC_NET_RX].ring;
	static unsigned char buf[SLOT];
	uint32_t id, len, tag;
	int got = 0;

	while (rc_split_take(r, &id, &len)) {
		const struct rc_chain *c = id < r->num ? &r->chains[id] : NULL;
		uint16_t num_buffers;

		if (!c || !c->busy) {
			rc_why("receive queue: used id %u is not the head of a chain in flight (2.7.8)",
			       id);
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
			rc_why("receive queue: used len %u, but the frame there (tag %u) was %u bytes plus the %u-byte header (more than written breaks 2.7.8.2; less loses the frame's tail)",
			       len, tag, s->sent_len[tag % MAX_TAGS],
			       RC_NET_HDR_LEN);
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
		rc_split_retire(r, id);
		got++;
	}
	return got;
}

int sess_harvest_tx(struct sess *s)
{
	struct rc_split *r = &s->q[RC_NET_TX].ring;
	uint32_t id, len;
	int got = 0;

	while (rc_split_take(r, &id, &len)) {
		const struct rc_chain *c = id < r->num ? &r->chains[id] : NULL;

		if (!c || !c->busy) {
			rc_why("transmit queue: used id %u is not the head of a chain in flight (2.7.8)",
			       id);
			return -1;
		}
		if (len != 0)
			s->tx_nonzero_len++;
		s->tx_done++;
		rc_split_retire(r, id);
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
