// SPDX-License-Identifier: GPL-2.0
/*
 * The device-side statements of the split virtqueue (virtio 1.2, 2.7)
 * that a driver can observe through a looped-back network device, one
 * function each.  Sections and ids are those of the conformance suite
 * (tests/conformance, Documentation/ring-conformance.md), so results for
 * vringfd and for other targets line up statement by statement.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

/*
 * The bodies below take the features to ask for, the ring's layout among
 * them: checks_packed.c runs the same bodies on a packed ring.
 */

/* 2.7.8 used-id, used-len; 2.7.5.1 no-write-readable; 2.7.5 writable-bounds. */
enum rc_result body_loop(struct rc_target *t, uint64_t f)
{
	START(&sess, t, f, 256);
	if (round_trip(&sess, 64, NULL) != RC_PASS)
		return end(RC_FAIL);
	/* One chain in flight: a wrong id cannot name another in flight. */
	for (unsigned int i = 0; i < 8; i++)
		if (round_trip(&sess, 1, NULL) != RC_PASS)
			return end(RC_FAIL);
	if (sess.tx_nonzero_len) {
		rc_why("%u transmit chains (device-readable only) came back with a used len other than 0",
		       sess.tx_nonzero_len);
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

static const uint32_t odd_tx[] = { 5, 7, 1, 30, 0 };
static const uint32_t odd_rx[] = { RC_NET_HDR_LEN, 100, 1, 0 };
static const uint32_t hdr_apart[] = { RC_NET_HDR_LEN, 0 };

/* 2.7.4.1 any-layout: the header split and merged anyhow. */
enum rc_result body_any_layout(struct rc_target *t, uint64_t f)
{
	const struct layout odd = { odd_rx, odd_tx, false, false };
	const struct layout apart = { hdr_apart, hdr_apart, false, false };

	START(&sess, t, f, 256);
	if (round_trip(&sess, 32, &odd) != RC_PASS ||
	    round_trip(&sess, 32, &apart) != RC_PASS)
		return end(RC_FAIL);
	return end(RC_PASS);
}

/* 2.7.5.3 indirect-table. */
enum rc_result body_indirect(struct rc_target *t, uint64_t f)
{
	const struct layout ind = { odd_rx, odd_tx, true, true };

	if (!(t->offered & RC_BIT(RC_F_INDIRECT_DESC))) {
		rc_why("%s does not offer VIRTIO_RING_F_INDIRECT_DESC", t->name);
		return RC_SKIP;
	}
	START(&sess, t, f | RC_BIT(RC_F_INDIRECT_DESC), 256);
	return end(round_trip(&sess, 32, &ind));
}

/* 2.7.4.1 zero-length: empty descriptors inside both kinds of chain. */
enum rc_result body_zero_length(struct rc_target *t, uint64_t f)
{
	static const struct rc_seg tx[] = {
		{ 0, 0, false }, { 0, RC_NET_HDR_LEN, false },
		{ RC_NET_HDR_LEN, 0, false }, { RC_NET_HDR_LEN, 300, false },
		{ RC_NET_HDR_LEN + 300, 0, false },
		{ RC_NET_HDR_LEN + 300, 200, false },
	};
	static const struct rc_seg rx[] = {
		{ 0, RC_NET_HDR_LEN, true }, { RC_NET_HDR_LEN, 0, true },
		{ RC_NET_HDR_LEN, 100, true }, { RC_NET_HDR_LEN + 100, 0, true },
		{ RC_NET_HDR_LEN + 100, 1514 - 100, true },
	};

	START(&sess, t, f, 256);
	return end(round_trip_segs(&sess, 16, rx, 5, tx, 6));
}

/* 2.7.5 max-chain: chains as long as the queue (16 descriptors). */
enum rc_result body_max_chain(struct rc_target *t, uint64_t f)
{
	struct rc_seg tx[16], rx[16];
	uint32_t off = 0;

	for (unsigned int i = 0; i < 16; i++) {
		uint32_t len = i == 0 ? RC_NET_HDR_LEN : 40 + i;

		tx[i] = (struct rc_seg){ off, len, false };
		off += len;
	}
	for (unsigned int i = 0; i < 16; i++)
		rx[i] = (struct rc_seg){ i * 96, i < 15 ? 96 : 1526 - 15 * 96,
					 true };
	START(&sess, t, f, 16);
	return end(round_trip_segs(&sess, 1, rx, 16, tx, 16));
}

/* The last descriptor of a direct chain, from our own record of it. */
static uint16_t chain_last_desc(struct rc_split *r, uint16_t head)
{
	uint16_t d = head;

	for (unsigned int i = 1; i < r->chains[head].ndesc; i++)
		memcpy(&d, r->mem->snap + r->desc_addr + 16 * (uint64_t)d + 14, 2);
	return d;
}

/* A driver store into a descriptor's next field. */
static void set_next(struct rc_split *r, uint16_t d, uint16_t next)
{
	uint64_t at = r->desc_addr + 16 * (uint64_t)d + 14;

	rc_mem_put(r->mem, at, &next, 2);
}

/*
 * 2.7.5 next-without-flag: the last descriptor of each chain has a next
 * that points somewhere (another descriptor of the table); without NEXT
 * it means nothing.
 */
static enum rc_result check_next_without_flag(struct rc_target *t)
{
	static const uint32_t three[] = { RC_NET_HDR_LEN, 30, 0 };
	const struct layout l = { three, three, false, false };
	struct rc_split *tx, *rx;
	enum rc_result r = RC_PASS;

	START(&sess, t, 0, 256);
	tx = &sess.q[RC_NET_TX].ring;
	rx = &sess.q[RC_NET_RX].ring;
	for (unsigned int round = 0; round < 4 && r == RC_PASS; round++) {
		uint16_t rx_from = rx->avail_idx, tx_from = tx->avail_idx;

		if (round_trip_post(&sess, 8, &l) != RC_PASS)
			return end(RC_FAIL);
		for (uint16_t i = 0; i < 8; i++) {
			uint16_t th = rc_split_head_at(tx, tx_from + i);
			uint16_t rh = rc_split_head_at(rx, rx_from + i);

			set_next(tx, chain_last_desc(tx, th), (th + 5) % tx->num);
			set_next(rx, chain_last_desc(rx, rh), (rh + 5) % rx->num);
		}
		r = round_trip_go(&sess, 8, rx_from);
	}
	return end(r);
}

/* 2.7.10.2 spurious-kick: kicks with nothing new change nothing. */
static enum rc_result check_spurious_kick(struct rc_target *t)
{
	START(&sess, t, 0, 256);
	if (round_trip(&sess, 8, NULL) != RC_PASS)
		return end(RC_FAIL);
	rc_audit_begin(&sess.mem);
	/* used->flags and avail_event may move; nothing else may. */
	for (unsigned int i = 0; i < 2; i++) {
		struct rc_split *r = &sess.q[i].ring;

		rc_split_allow_used(r, r->used_seen, r->used_seen);
	}
	return end(kicks_change_nothing(&sess, "after kicks with nothing new, "));
}

/* 2.7.8 used-idx: from 0, by one per entry. */
static enum rc_result check_used_idx(struct rc_target *t)
{
	uint16_t rx, tx;

	START(&sess, t, 0, 256);
	if (rc_split_used_idx(&sess.q[0].ring) || rc_split_used_idx(&sess.q[1].ring)) {
		rc_why("used idx %u and %u after the queues started, want 0",
		       rc_split_used_idx(&sess.q[0].ring),
		       rc_split_used_idx(&sess.q[1].ring));
		return end(RC_FAIL);
	}
	if (round_trip(&sess, 50, NULL) != RC_PASS)
		return end(RC_FAIL);
	rx = rc_split_used_idx(&sess.q[0].ring);
	tx = rc_split_used_idx(&sess.q[1].ring);
	if (rx != 50 || tx != 50) {
		rc_why("used idx %u (receive) and %u (transmit) after 50 frames, want 50",
		       rx, tx);
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* 2.7.13 full-ring: N chains outstanding on both rings at once. */
enum rc_result body_full_ring(struct rc_target *t, uint64_t f)
{
	START(&sess, t, f, 64);
	if (round_trip(&sess, 64, NULL) != RC_PASS ||
	    round_trip(&sess, 64, NULL) != RC_PASS)
		return end(RC_FAIL);
	return end(RC_PASS);
}

/* 2.7.13.3 idx-wrap: past 65536, in rounds of half a ring. */
static enum rc_result check_idx_wrap(struct rc_target *t)
{
	START(&sess, t, 0, 256);
	while (sess.rx_done < 70000)
		if (round_trip(&sess, 128, NULL) != RC_PASS)
			return end(RC_FAIL);
	return end(RC_PASS);
}

/*
 * Frames out and back with the receive queue's suppression as given:
 * split, avail flags and used_event (used_event entries ahead, if not
 * negative); packed, the driver event flags and, with a used_event, the
 * descriptor offset and wrap counter of the entry that many ahead.  A
 * split ring's queues start at index idx.
 */
enum rc_result calls_after_at(struct rc_target *t, uint64_t features,
			      uint16_t avail_flags, int used_event,
			      uint16_t idx, uint64_t *calls)
{
	struct rc_queue *rx = &sess.q[RC_NET_RX];

	START_AT(&sess, t, features, 256, false, idx);
	/* Whatever the start-up said, before the frames. */
	if (round_trip(&sess, 1, NULL) != RC_PASS)
		return RC_FAIL;
	sess_wait_calls(&sess, RC_NET_RX, 200);
	usleep(50000);
	sess_calls(&sess, RC_NET_RX);
	if (rx->packed) {
		/* One descriptor a chain: entries ahead are slots ahead. */
		unsigned int slot = rx->pring.next_used + (used_event > 0 ? used_event : 0);
		bool wrap = rx->pring.used_wrap ^ (slot >= rx->pring.num);

		rc_packed_set_driver_event(&rx->pring, avail_flags,
					   rc_packed_pos(slot % rx->pring.num, wrap));
	} else {
		rc_split_set_avail_flags(&rx->ring, avail_flags);
		if (used_event >= 0)
			rc_split_set_used_event(&rx->ring,
						(uint16_t)(rx->ring.used_seen + used_event));
	}
	if (round_trip(&sess, 16, NULL) != RC_PASS)
		return RC_FAIL;
	/* A call may come late: wait up to a second for the first. */
	*calls = sess_wait_calls(&sess, RC_NET_RX, 1000);
	usleep(50000);
	*calls += sess_calls(&sess, RC_NET_RX);
	return RC_PASS;
}

/* used_event is that many entries past the used index reached. */
enum rc_result calls_after(struct rc_target *t, uint64_t features,
			   uint16_t avail_flags, int used_event,
			   uint64_t *calls)
{
	return calls_after_at(t, features, avail_flags, used_event,
			      SESS_START_RESET(features), calls);
}

/* 2.7.7.2 flags0-notify */
static enum rc_result check_flags0_notify(struct rc_target *t)
{
	uint64_t calls;

	if (calls_after(t, 0, 0, -1, &calls) != RC_PASS)
		return end(RC_FAIL);
	if (!calls) {
		rc_why("16 frames received with avail flags 0 and no call");
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* 2.7.7.2 flags1-no-notify */
static enum rc_result check_flags1_no_notify(struct rc_target *t)
{
	uint64_t calls;

	if (calls_after(t, 0, RC_AVAIL_F_NO_INTERRUPT, -1, &calls) != RC_PASS)
		return end(RC_FAIL);
	if (calls) {
		rc_why("%llu calls for 16 frames received with VRING_AVAIL_F_NO_INTERRUPT set",
		       (unsigned long long)calls);
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

static enum rc_result need_event_idx(struct rc_target *t)
{
	if (t->offered & RC_BIT(RC_F_EVENT_IDX))
		return RC_PASS;
	rc_why("%s does not offer VIRTIO_RING_F_EVENT_IDX", t->name);
	return RC_SKIP;
}

/* 2.7.7.2 event-crossing: used_event inside the batch. */
static enum rc_result check_event_crossing(struct rc_target *t)
{
	uint64_t calls;

	if (need_event_idx(t) != RC_PASS)
		return RC_SKIP;
	if (calls_after(t, RC_BIT(RC_F_EVENT_IDX), 0, 7, &calls) != RC_PASS)
		return end(RC_FAIL);
	if (!calls) {
		rc_why("used_event was 7 entries ahead, 16 entries were used, and no call came");
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* 2.7.7.2 event-no-crossing: used_event beyond the batch. */
static enum rc_result check_event_no_crossing(struct rc_target *t)
{
	uint64_t calls;

	if (need_event_idx(t) != RC_PASS)
		return RC_SKIP;
	if (calls_after(t, RC_BIT(RC_F_EVENT_IDX), 0, 1000, &calls) != RC_PASS)
		return end(RC_FAIL);
	if (calls) {
		rc_why("used_event was 1000 entries ahead, 16 entries were used, and %llu calls came",
		       (unsigned long long)calls);
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* 2.7.7.2 event-ignore-flags: with EVENT_IDX, NO_INTERRUPT means nothing. */
static enum rc_result check_event_ignore_flags(struct rc_target *t)
{
	uint64_t calls;

	if (need_event_idx(t) != RC_PASS)
		return RC_SKIP;
	if (calls_after(t, RC_BIT(RC_F_EVENT_IDX), RC_AVAIL_F_NO_INTERRUPT, 7,
			&calls) != RC_PASS)
		return end(RC_FAIL);
	if (!calls) {
		rc_why("with EVENT_IDX, avail flags 1 and used_event 7 entries ahead: 16 entries used and no call");
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* 2.7.10.2 used-flags-values and event-used-flags-zero. */
static enum rc_result used_flags(struct rc_target *t, uint64_t features,
				 uint16_t allowed_mask)
{
	START(&sess, t, features, 256);
	for (unsigned int round = 0; round < 8; round++) {
		if (round_trip(&sess, 16, NULL) != RC_PASS)
			return end(RC_FAIL);
		for (unsigned int i = 0; i < 2; i++) {
			uint16_t f = rc_split_used_flags(&sess.q[i].ring);

			if (f & ~allowed_mask) {
				rc_why("the %s queue's used flags are %#x",
				       i ? "transmit" : "receive", f);
				return end(RC_FAIL);
			}
		}
	}
	return end(RC_PASS);
}

static enum rc_result check_used_flags_values(struct rc_target *t)
{
	return used_flags(t, 0, RC_USED_F_NO_NOTIFY);
}

static enum rc_result check_event_used_flags_zero(struct rc_target *t)
{
	if (need_event_idx(t) != RC_PASS)
		return RC_SKIP;
	return used_flags(t, RC_BIT(RC_F_EVENT_IDX), 0);
}

/* 2.7 alignment: the parts at their least alignments, packed together. */
static enum rc_result check_alignment(struct rc_target *t)
{
	START_AT(&sess, t, 0, 256, true, 0);
	if (round_trip(&sess, 64, NULL) != RC_PASS)
		return end(RC_FAIL);
	return end(RC_PASS);
}

/* 2.7.7.2 ignore-used-event: without EVENT_IDX, used_event means nothing. */
static enum rc_result check_ignore_used_event(struct rc_target *t)
{
	uint64_t calls;

	if (calls_after(t, 0, 0, 1000, &calls) != RC_PASS)
		return end(RC_FAIL);
	if (!calls) {
		rc_why("without EVENT_IDX, avail flags 0 and used_event 1000 entries ahead: 16 entries used and no call");
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* 2.7.7.2 event-wrap: used_event crossed where the index wraps. */
static enum rc_result check_event_wrap(struct rc_target *t)
{
	uint64_t calls;

	if (need_event_idx(t) != RC_PASS)
		return RC_SKIP;
	/* From 65530: one frame, then 16 with used_event at 3 (65539). */
	if (calls_after_at(t, RC_BIT(RC_F_EVENT_IDX), 0, 8, 65530,
			   &calls) != RC_PASS)
		return end(RC_FAIL);
	if (!calls) {
		rc_why("the queues began at index 65530; used_event was 3, the used index went from 65531 to 11, and no call came");
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* vhost: a ring stopped by GET_VRING_BASE is left alone. */
static enum rc_result check_ring_stop(struct rc_target *t)
{
	struct rc_split *rx = &sess.q[RC_NET_RX].ring, *tx = &sess.q[RC_NET_TX].ring;
	uint16_t avail, rx_from;

	if (!t->ops->stop) {
		rc_why("not applicable: %s is not a vhost device", t->name);
		return RC_SKIP;
	}
	START(&sess, t, 0, 256);
	if (round_trip(&sess, 8, NULL) != RC_PASS)
		return end(RC_FAIL);
	if (t->ops->stop(t, RC_NET_TX, &avail))
		return end(RC_FAIL);
	rx_from = rx->avail_idx;
	if (round_trip_post(&sess, 4, NULL) != RC_PASS)
		return end(RC_FAIL);
	rc_audit_begin(&sess.mem);
	allow_rx_chains(&sess, rx_from);
	rc_split_allow_used(rx, rx->used_seen, rx->used_seen + 4);
	rc_split_allow_used(tx, tx->used_seen, tx->used_seen);
	rc_split_publish(rx);
	rc_split_publish(tx);
	sess_kick(&sess, RC_NET_RX);
	sess_kick(&sess, RC_NET_TX);
	usleep(200000);
	if (!audit_passed(&sess, "after the transmit queue was stopped, "))
		return end(RC_FAIL);
	if (rc_split_used_idx(tx) != 8) {
		rc_why("the transmit queue was stopped (GET_VRING_BASE said %u) after 8 chains, yet its used index went on to %u",
		       avail, rc_split_used_idx(tx));
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* 5.1.6.4.1 num-buffers: 1 without MRG_RXBUF. */
static enum rc_result check_num_buffers(struct rc_target *t)
{
	if (t->ops->raw_loop) {
		rc_why("not applicable: %s is not a network device (its far end returns the transmit header as it was sent)",
		       t->name);
		return RC_SKIP;
	}
	START(&sess, t, 0, 256);
	if (round_trip(&sess, 16, NULL) != RC_PASS)
		return end(RC_FAIL);
	if (sess.bad_num_buffers) {
		rc_why_own("%u of 16 received headers had num_buffers other than 1 (the first: %u, frame %u)",
		       sess.bad_num_buffers, sess.first_num_buffers,
		       sess.first_num_buffers_tag);
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* Overwrite descriptor d of a ring's table. */
static void set_desc(struct rc_split *r, uint16_t d, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	rc_put_desc(r->mem, r->desc_addr + 16 * (uint64_t)d, addr, len, flags,
		    next);
}

static uint16_t last_head(struct rc_split *r)
{
	return rc_split_head_at(r, r->avail_idx - 1);
}

static void spoil_next_range(struct sess *s, struct rc_queue *q)
{
	struct rc_split *tx = &q->ring;
	uint16_t h = last_head(tx);

	(void)s;
	set_desc(tx, h, tx->chains[h].segs[0].addr, 50, RC_DESC_F_NEXT,
		 tx->num + 5);
}

static void spoil_loop(struct sess *s, struct rc_queue *q)
{
	struct rc_split *tx = &q->ring;
	uint16_t h = last_head(tx), other = (h + 1) % tx->num;
	uint64_t a = tx->chains[h].segs[0].addr;

	(void)s;
	set_desc(tx, h, a, 50, RC_DESC_F_NEXT, other);
	set_desc(tx, other, a, 50, RC_DESC_F_NEXT, h);
}

static void spoil_head_range(struct sess *s, struct rc_queue *q)
{
	struct rc_split *tx = &q->ring;
	uint16_t bad = tx->num + 3;
	uint64_t at = tx->avail_addr + 4 +
		      2 * ((uint16_t)(tx->avail_idx - 1) % tx->num);

	(void)s;
	rc_mem_put(tx->mem, at, &bad, 2);
}

static void spoil_outside_memory(struct sess *s, struct rc_queue *q)
{
	struct rc_split *tx = &q->ring;
	uint16_t h = last_head(tx);

	set_desc(tx, h, s->mem.size + RC_PAGE, 100, 0, 0);
}

/* avail idx moved by more than the ring holds (2.7.6.1 no-decrement's kin). */
static void spoil_avail_jump(struct sess *s, struct rc_queue *q)
{
	(void)s;
	q->ring.avail_idx += q->ring.num + 3;
}

/*
 * The last transmit chain (one descriptor) made indirect: its two halves
 * in a table of its own, the head naming the table with the length given.
 */
static uint64_t indirect_head(struct rc_split *tx, uint32_t table_len)
{
	uint16_t h = last_head(tx);
	const struct rc_seg *seg = &tx->chains[h].segs[0];
	uint64_t table = tx->tables + (uint64_t)h * 16 * tx->table_slot;
	uint32_t half = seg->len / 2;

	rc_put_desc(tx->mem, table, seg->addr, half, RC_DESC_F_NEXT, 1);
	rc_put_desc(tx->mem, table + 16, seg->addr + half, seg->len - half,
		    0, 0);
	set_desc(tx, h, table, table_len, RC_DESC_F_INDIRECT, 0);
	return table;
}

/* An indirect table whose first entry is itself INDIRECT (2.7.5.3.1). */
static void spoil_nested_indirect(struct sess *s, struct rc_queue *q)
{
	uint64_t table = indirect_head(&q->ring, 32);

	(void)s;
	rc_put_desc(q->ring.mem, table, table, 32, RC_DESC_F_INDIRECT, 0);
}

/* An indirect table whose length is not a whole number of entries. */
static void spoil_indirect_len(struct sess *s, struct rc_queue *q)
{
	(void)s;
	indirect_head(&q->ring, 24);
}

static enum rc_result check_hostile_avail_jump(struct rc_target *t)
{
	return hostile(t, 0, spoil_avail_jump);
}

static enum rc_result hostile_indirect(struct rc_target *t,
				       void (*spoil)(struct sess *s,
						     struct rc_queue *q))
{
	if (!(t->offered & RC_BIT(RC_F_INDIRECT_DESC))) {
		rc_why("%s does not offer VIRTIO_RING_F_INDIRECT_DESC", t->name);
		return RC_SKIP;
	}
	return hostile(t, RC_BIT(RC_F_INDIRECT_DESC), spoil);
}

static enum rc_result check_hostile_nested_indirect(struct rc_target *t)
{
	return hostile_indirect(t, spoil_nested_indirect);
}

static enum rc_result check_hostile_indirect_len(struct rc_target *t)
{
	return hostile_indirect(t, spoil_indirect_len);
}

static enum rc_result check_hostile_next_range(struct rc_target *t)
{
	return hostile(t, 0, spoil_next_range);
}

static enum rc_result check_hostile_loop(struct rc_target *t)
{
	return hostile(t, 0, spoil_loop);
}

static enum rc_result check_hostile_head_range(struct rc_target *t)
{
	return hostile(t, 0, spoil_head_range);
}

static enum rc_result check_hostile_outside_memory(struct rc_target *t)
{
	return hostile(t, 0, spoil_outside_memory);
}

/* vhost: GET_VRING_BASE after the queue stopped says how far it read. */
enum rc_result body_vring_base(struct rc_target *t, uint64_t f,
			       uint16_t start, unsigned int n, uint16_t want)
{
	uint16_t avail;

	if (!t->ops->stop) {
		rc_why("not applicable: %s is not a vhost device", t->name);
		return RC_SKIP;
	}
	START_AT(&sess, t, f, 256, false, start);
	for (unsigned int done = 0; done < n; done += 100)
		if (round_trip(&sess, n - done < 100 ? n - done : 100,
			       NULL) != RC_PASS)
			return end(RC_FAIL);
	if (t->ops->stop(t, RC_NET_TX, &avail))
		return end(RC_FAIL);
	if (avail != want) {
		rc_why("GET_VRING_BASE of the transmit queue says %u (%#x) after it used %u chains from %#x; want %u (%#x)",
		       avail, avail, n, start, want, want);
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

static enum rc_result check_vring_base(struct rc_target *t)
{
	return body_vring_base(t, 0, 0, 40, 40);
}

/* The shared bodies on a split ring (checks_packed.c runs them on packed). */
#define ON_SPLIT(name, body)					\
	static enum rc_result name(struct rc_target *t)		\
	{							\
		return body(t, 0);				\
	}

ON_SPLIT(check_loop, body_loop)
ON_SPLIT(check_any_layout, body_any_layout)
ON_SPLIT(check_indirect, body_indirect)
ON_SPLIT(check_zero_length, body_zero_length)
ON_SPLIT(check_max_chain, body_max_chain)
ON_SPLIT(check_full_ring, body_full_ring)

#define C(sec, id, kind, text, fn) { sec, id, kind, text, fn }

const struct rc_check rc_split_checks[] = {
	C("2.7.8", "used-id", "device",
	  "A used entry's id is the head of the descriptor chain it returns; len is the bytes written (0 for a device-readable chain)",
	  check_loop),
	C("2.7.4.1", "any-layout", "device MUST NOT",
	  "The device makes no assumption about how a message is split over descriptors",
	  check_any_layout),
	C("2.7.4.1", "zero-length", "device MUST NOT",
	  "No assumption about the arrangement: zero-length descriptors anywhere in a chain",
	  check_zero_length),
	C("2.7.5", "max-chain", "device",
	  "The queue size is the longest possible chain: chains of N descriptors are accepted",
	  check_max_chain),
	C("2.7.5", "next-without-flag", "device",
	  "next is meaningful only when NEXT is set: a chain ends at a descriptor without NEXT",
	  check_next_without_flag),
	C("2.7.5.3", "indirect-table", "device",
	  "An INDIRECT descriptor's buffer is a table of descriptors that the device follows",
	  check_indirect),
	C("2.7", "alignment", "device",
	  "The parts at their least alignments (descriptors 16, available 2, used 4), packed one after another across a page boundary, work",
	  check_alignment),
	C("2.7.8", "used-idx", "device",
	  "used idx is where the device puts the next entry (mod N); it starts at 0 and only increases",
	  check_used_idx),
	C("2.7.13", "full-ring", "device",
	  "The 16-bit idx tells a full ring (N buffers outstanding) from an empty one",
	  check_full_ring),
	C("2.7.13.3", "idx-wrap", "device",
	  "idx always increments and wraps naturally at 65536",
	  check_idx_wrap),
	C("2.7.7.2", "flags0-notify", "device MUST",
	  "Without EVENT_IDX, avail flags 0: the device notifies after using buffers",
	  check_flags0_notify),
	C("2.7.7.2", "flags1-no-notify", "device SHOULD NOT",
	  "Without EVENT_IDX, avail flags 1 (NO_INTERRUPT): the device does not notify",
	  check_flags1_no_notify),
	C("2.7.7.2", "event-crossing", "device MUST",
	  "With EVENT_IDX, writing the used entry at index used_event: the device notifies",
	  check_event_crossing),
	C("2.7.7.2", "event-no-crossing", "device SHOULD NOT",
	  "With EVENT_IDX, otherwise the device does not notify",
	  check_event_no_crossing),
	C("2.7.7.2", "ignore-used-event", "device MUST",
	  "Without EVENT_IDX the device ignores used_event: avail flags 0 still mean notify",
	  check_ignore_used_event),
	C("2.7.7.2", "event-wrap", "device MUST",
	  "With EVENT_IDX, used_event is crossed where the 16-bit index wraps: the device notifies",
	  check_event_wrap),
	C("2.7.7.2", "event-ignore-flags", "device MUST",
	  "With EVENT_IDX the device ignores the lower bit of avail flags",
	  check_event_ignore_flags),
	C("2.7.10.2", "used-flags-values", "device MUST",
	  "Without EVENT_IDX the device sets used flags to 0 or 1",
	  check_used_flags_values),
	C("2.7.10.2", "event-used-flags-zero", "device MUST",
	  "With EVENT_IDX the device sets used flags to 0",
	  check_event_used_flags_zero),
	C("2.7.10.2", "spurious-kick", "device MUST",
	  "The device handles spurious notifications: kicks with nothing new change nothing",
	  check_spurious_kick),
	C("5.1.6.4.1", "num-buffers", "device MUST",
	  "Without MRG_RXBUF the device sets num_buffers to 1 in every received header",
	  check_num_buffers),
	C("2.7.5", "hostile-next-range", "device vs bad driver",
	  "next beyond the table: the device writes nothing it was not given, and goes on answering",
	  check_hostile_next_range),
	C("2.7.5.2", "hostile-loop", "device vs bad driver",
	  "A descriptor loop: the device writes nothing it was not given, and goes on answering",
	  check_hostile_loop),
	C("2.7.6", "hostile-head-range", "device vs bad driver",
	  "An available head beyond the table: the device writes nothing it was not given, and goes on answering",
	  check_hostile_head_range),
	C("2.7.5", "hostile-outside-memory", "device vs bad driver",
	  "A buffer outside the memory the device was given: it writes nothing it was not given, and goes on answering",
	  check_hostile_outside_memory),
	C("2.7.6.1", "hostile-avail-jump", "device vs bad driver",
	  "avail idx moved on by more than the queue size: the device writes nothing it was not given, and goes on answering",
	  check_hostile_avail_jump),
	C("2.7.5.3.1", "hostile-nested-indirect", "device vs bad driver",
	  "An INDIRECT descriptor inside an indirect table: the device writes nothing it was not given, and goes on answering",
	  check_hostile_nested_indirect),
	C("2.7.5.3", "hostile-indirect-len", "device vs bad driver",
	  "An indirect table whose length is not a multiple of 16: the device writes nothing it was not given, and goes on answering",
	  check_hostile_indirect_len),
	C("vhost", "vring-base", "vhost protocol",
	  "GET_VRING_BASE stops a ring and returns the available index the device has reached",
	  check_vring_base),
	C("vhost", "ring-stop", "vhost protocol",
	  "After GET_VRING_BASE the device leaves the ring alone: new chains and kicks are not used",
	  check_ring_stop),
};

const unsigned int rc_split_nchecks =
	sizeof(rc_split_checks) / sizeof(rc_split_checks[0]);
