// SPDX-License-Identifier: GPL-2.0
/*
 * The device-side statements of the packed virtqueue (virtio 1.2, 2.8)
 * that a driver can observe through a looped-back network device.  Where
 * a statement is the split ring's in other words (layouts, indirect
 * tables, chains as long as the queue, a full ring), the check is the
 * split one's body run on a packed ring (checks_split.c); the rest are
 * the packed ring's own: the wrap counters, the used descriptor's flags,
 * chains skipped whole, event suppression, hostile packed chains, and
 * vhost's GET_VRING_BASE with the wrap counter in bit 15.
 *
 * A target that does not offer VIRTIO_F_RING_PACKED gets every check
 * here as a SKIP with that reason.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

#define PACKED		RC_BIT(RC_F_RING_PACKED)

static bool offers(struct rc_target *t, unsigned int bit, const char *name)
{
	if (t->offered & RC_BIT(bit))
		return true;
	rc_why("%s does not offer %s", t->name, name);
	return false;
}

#define NEED(t, bit, name) do {				\
		if (!offers(t, bit, name))		\
			return RC_SKIP;			\
	} while (0)

#define NEED_PACKED(t) NEED(t, RC_F_RING_PACKED, "VIRTIO_F_RING_PACKED")

/* A check whose body is the split ring's (checks_split.c), on a packed ring. */
#define ON_PACKED(name, body)					\
	static enum rc_result name(struct rc_target *t)		\
	{							\
		NEED_PACKED(t);					\
		return body(t, PACKED);				\
	}

ON_PACKED(check_used_id, body_loop)
ON_PACKED(check_any_layout, body_any_layout)
ON_PACKED(check_zero_length, body_zero_length)
ON_PACKED(check_max_chain, body_max_chain)
ON_PACKED(check_indirect, body_indirect)
ON_PACKED(check_full_ring, body_full_ring)

/*
 * 2.8.7 packed-indirect-write: "In descriptors with VIRTQ_DESC_F_INDIRECT
 * set VIRTQ_DESC_F_WRITE is reserved and is ignored by the device": both
 * queues' indirect descriptors carry WRITE.
 */
static enum rc_result check_indirect_write(struct rc_target *t)
{
	static const uint32_t odd_tx[] = { 5, 7, 1, 30, 0 };
	static const uint32_t odd_rx[] = { RC_NET_HDR_LEN, 100, 1, 0 };
	const struct layout ind = { odd_rx, odd_tx, true, true };

	NEED_PACKED(t);
	NEED(t, RC_F_INDIRECT_DESC, "VIRTIO_RING_F_INDIRECT_DESC");
	START(&sess, t, PACKED | RC_BIT(RC_F_INDIRECT_DESC), 256);
	for (unsigned int round = 0; round < 2; round++) {
		uint16_t rx_from = vq_posted(&sess.q[RC_NET_RX]);

		if (round_trip_post(&sess, 16, &ind) != RC_PASS)
			return end(RC_FAIL);
		for (unsigned int i = 0; i < 2; i++) {
			struct rc_packed *p = &sess.q[i].pring;

			for (unsigned int k = 0; k < p->npending; k++)
				p->pending_flags[k] |= RC_DESC_F_WRITE;
		}
		if (round_trip_go(&sess, 16, rx_from) != RC_PASS)
			return end(RC_FAIL);
	}
	return end(RC_PASS);
}

static const uint32_t three[] = { RC_NET_HDR_LEN, 30, 0 };

/*
 * Frames out and back until 2000 have come back, in rounds of `round`
 * on a ring of 64: 2000 is 31 passes round it (more with chains of
 * several descriptors), so both wrap counters flip many times, and a
 * round that is no divisor of 64 puts chains across the ring's end.
 */
static enum rc_result laps(struct rc_target *t, const struct layout *l,
			   unsigned int round, bool id_last_only)
{
	START(&sess, t, PACKED, 64);
	sess.q[RC_NET_RX].pring.id_last_only = id_last_only;
	sess.q[RC_NET_TX].pring.id_last_only = id_last_only;
	while (sess.rx_done < 2000)
		if (round_trip(&sess, round, l) != RC_PASS)
			return end(RC_FAIL);
	return end(RC_PASS);
}

/* 2.8.1 packed-wrap: one descriptor a chain, 2000 of them. */
static enum rc_result check_wrap(struct rc_target *t)
{
	NEED_PACKED(t);
	return laps(t, NULL, 24, false);
}

/* 2.8.6 packed-chain-skip: three descriptors a chain, one used for each. */
static enum rc_result check_chain_skip(struct rc_target *t)
{
	const struct layout l = { three, three, false, false };

	NEED_PACKED(t);
	return laps(t, &l, 7, false);
}

/*
 * 2.8.6 packed-id-last: "Buffer ID is included in the last descriptor in
 * the list", and only there: the others name another id (2000 frames in
 * three descriptors each, five at a time).
 */
static enum rc_result check_id_last(struct rc_target *t)
{
	const struct layout l = { three, three, false, false };

	NEED_PACKED(t);
	return laps(t, &l, 5, true);
}

/*
 * 2.8.1 packed-used-flags: every used descriptor has AVAIL equal to USED
 * (net.c's harvest holds each to it), over both values of the counter.
 */
static enum rc_result check_used_flags(struct rc_target *t)
{
	NEED_PACKED(t);
	return laps(t, NULL, 16, false);
}

/* 2.8.3 packed-used-write-flag: WRITE in a used descriptor. */
static enum rc_result check_used_write_flag(struct rc_target *t)
{
	NEED_PACKED(t);
	START(&sess, t, PACKED, 256);
	if (round_trip(&sess, 64, NULL) != RC_PASS)
		return end(RC_FAIL);
	if (sess.write_flag_wrong) {
		rc_why_own("%u of 128 used descriptors had WRITE wrong (the first's flags: %#x): set when the device wrote into the buffer (every receive buffer here), clear when it did not (every transmit buffer)",
			   sess.write_flag_wrong, sess.first_write_flag);
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

/* 2.8.15 packed-no-write-readable: chained and indirect transmit buffers. */
static enum rc_result check_no_write_readable(struct rc_target *t)
{
	static const uint32_t odd_tx[] = { 5, 7, 1, 30, 0 };
	const struct layout chained = { NULL, odd_tx, false, false };
	const struct layout ind = { NULL, odd_tx, false, true };
	bool indirect = t->offered & RC_BIT(RC_F_INDIRECT_DESC);

	NEED_PACKED(t);
	START(&sess, t, PACKED | (indirect ? RC_BIT(RC_F_INDIRECT_DESC) : 0),
	      256);
	if (round_trip(&sess, 32, &chained) != RC_PASS ||
	    (indirect && round_trip(&sess, 32, &ind) != RC_PASS))
		return end(RC_FAIL);
	return end(RC_PASS);
}

/* 2.8.4 packed-used-len: len is the bytes written, over chained buffers. */
static enum rc_result check_used_len(struct rc_target *t)
{
	static const uint32_t rx3[] = { RC_NET_HDR_LEN, 100, 0 };
	const struct layout l = { rx3, NULL, false, false };

	NEED_PACKED(t);
	START(&sess, t, PACKED, 256);
	return end(round_trip(&sess, 48, &l));
}

/*
 * 2.8.15 packed-avail-flag: a device uses a descriptor only when its
 * AVAIL bit says so.  A complete descriptor in the next slot whose AVAIL
 * and USED bits are both the wrap counter (a used one, to a device) and
 * a kick: nothing may move.  Then the ring must still work.
 */
static enum rc_result check_avail_flag(struct rc_target *t)
{
	NEED_PACKED(t);
	START(&sess, t, PACKED, 256);
	if (round_trip(&sess, 8, NULL) != RC_PASS)
		return end(RC_FAIL);
	rc_audit_begin(&sess.mem);
	for (unsigned int i = 0; i < 2; i++) {
		struct rc_packed *p = &sess.q[i].pring;
		uint64_t at = p->desc_addr + 16 * (uint64_t)p->next_avail;
		uint16_t flags = (p->avail_wrap ? RC_PDESC_F_AVAIL | RC_PDESC_F_USED : 0) |
				 (i == RC_NET_RX ? RC_DESC_F_WRITE : 0);
		uint64_t addr = (i == RC_NET_RX ? sess.rx_bufs : sess.tx_bufs) +
				(uint64_t)(p->posted % p->num) * SLOT;
		uint32_t len = 200;
		uint16_t id = 0;

		/* A buffer the device may not take: the audit forbids all. */
		rc_mem_put(&sess.mem, at, &addr, 8);
		rc_mem_put(&sess.mem, at + 8, &len, 4);
		rc_mem_put(&sess.mem, at + 12, &id, 2);
		rc_mem_put(&sess.mem, at + 14, &flags, 2);
		rc_audit_allow(&sess.mem, p->device_addr, 4);
	}
	return end(kicks_change_nothing(&sess,
					"after kicks with a descriptor not made available, "));
}

/*
 * 2.8.10 event suppression: 16 frames received with the receive queue's
 * driver event flags as given (DESC: at the used descriptor `ahead`
 * entries on); want: whether a call must come, else none may.
 */
static enum rc_result events(struct rc_target *t, uint16_t flags, int ahead,
			     bool want)
{
	static const char *const name[] = { "ENABLE", "DISABLE", "DESC" };
	uint64_t f = PACKED, calls;
	char at[64] = "";

	NEED_PACKED(t);
	if (flags == RC_EVENT_DESC) {
		NEED(t, RC_F_EVENT_IDX, "VIRTIO_F_RING_EVENT_IDX");
		f |= RC_BIT(RC_F_EVENT_IDX);
		snprintf(at, sizeof(at), " at the descriptor %d entries ahead",
			 ahead);
	}
	if (calls_after(t, f, flags, ahead, &calls) != RC_PASS)
		return end(RC_FAIL);
	if (!calls == want) {
		rc_why("driver event flags %s%s: 16 entries used and %llu calls",
		       name[flags], at, (unsigned long long)calls);
		return end(RC_FAIL);
	}
	return end(RC_PASS);
}

static enum rc_result check_event_enable(struct rc_target *t)
{
	return events(t, RC_EVENT_ENABLE, -1, true);
}

static enum rc_result check_event_disable(struct rc_target *t)
{
	return events(t, RC_EVENT_DISABLE, -1, false);
}

static enum rc_result check_event_desc(struct rc_target *t)
{
	return events(t, RC_EVENT_DESC, 7, true);
}

static enum rc_result check_event_desc_far(struct rc_target *t)
{
	return events(t, RC_EVENT_DESC, 100, false);
}

/*
 * 2.8.14 packed-device-event-flags: what the device writes in its event
 * suppression structure is a defined value: ENABLE or DISABLE, DESC only
 * with EVENT_IDX, the reserved bits 0.
 */
static enum rc_result device_flags(struct rc_target *t, uint64_t f)
{
	START(&sess, t, PACKED | f, 256);
	for (unsigned int round = 0; round < 8; round++) {
		if (round_trip(&sess, 16, NULL) != RC_PASS)
			return end(RC_FAIL);
		for (unsigned int i = 0; i < 2; i++) {
			uint16_t v = rc_packed_device_event_flags(&sess.q[i].pring);

			if (v > RC_EVENT_DESC ||
			    (v == RC_EVENT_DESC && !(f & RC_BIT(RC_F_EVENT_IDX)))) {
				rc_why("the %s queue's device event flags are %#x%s",
				       i ? "transmit" : "receive", v,
				       f ? "" : " (without EVENT_IDX)");
				return end(RC_FAIL);
			}
		}
	}
	return end(RC_PASS);
}

static enum rc_result check_device_event_flags(struct rc_target *t)
{
	NEED_PACKED(t);
	return device_flags(t, t->offered & RC_BIT(RC_F_EVENT_IDX));
}

/* ---- hostile packed chains (net.c's hostile() runs them) ---- */

/* The last transmit chain posted (one descriptor): its id and head slot. */
static uint16_t last_id(struct rc_packed *p)
{
	return p->ids[(uint16_t)(p->posted - 1) % p->num];
}

static uint16_t last_head_slot(struct rc_packed *p)
{
	return (uint16_t)((p->next_avail + p->num - 1) % p->num);
}

/* Rewrite the head's address and length; its flags wait for publish. */
static void set_head(struct rc_packed *p, uint64_t addr, uint32_t len)
{
	uint64_t at = p->desc_addr + 16 * (uint64_t)last_head_slot(p);

	rc_mem_put(p->mem, at, &addr, 8);
	rc_mem_put(p->mem, at + 8, &len, 4);
}

static void set_head_flags(struct rc_packed *p, uint16_t or)
{
	p->pending_flags[p->npending - 1] |= or;
}

static void spoil_outside_memory(struct sess *s, struct rc_queue *q)
{
	set_head(&q->pring, s->mem.size + RC_PAGE, 100);
}

/*
 * A chain longer than the ring: every slot available, each with NEXT,
 * so the chain runs round the ring to its own head and on.
 */
static void spoil_chain_long(struct sess *s, struct rc_queue *q)
{
	struct rc_packed *p = &q->pring;
	uint16_t head = last_head_slot(p), id = last_id(p);
	uint64_t a = p->chains[id].segs[0].addr;

	(void)s;
	set_head(p, a, 50);
	set_head_flags(p, RC_DESC_F_NEXT);
	/* The head's lap runs to the ring's end; past it, the next lap. */
	bool wrap_head = p->next_avail == 0 ? !p->avail_wrap : p->avail_wrap;

	for (unsigned int k = 1; k < p->num; k++) {
		uint16_t slot = (uint16_t)((head + k) % p->num);
		bool wrap = slot > head ? wrap_head : !wrap_head;
		uint16_t flags = (wrap ? RC_PDESC_F_AVAIL : RC_PDESC_F_USED) |
				 RC_DESC_F_NEXT;
		uint64_t at = p->desc_addr + 16 * (uint64_t)slot;
		uint32_t len = 50;

		rc_mem_put(p->mem, at, &a, 8);
		rc_mem_put(p->mem, at + 8, &len, 4);
		rc_mem_put(p->mem, at + 12, &id, 2);
		rc_mem_put(p->mem, at + 14, &flags, 2);
	}
}

/* The head names an indirect table of the length given. */
static void indirect_head(struct rc_packed *p, uint32_t table_len)
{
	uint16_t id = last_id(p);
	uint64_t table = p->tables + (uint64_t)id * 16 * p->table_slot;
	const struct rc_seg *seg = &p->chains[id].segs[0];

	for (unsigned int i = 0; i < 2; i++) {
		uint64_t at = table + 16 * i;
		uint32_t len = seg->len / 2;
		uint64_t addr = seg->addr + i * len;
		uint32_t zero = 0;

		rc_mem_put(p->mem, at, &addr, 8);
		rc_mem_put(p->mem, at + 8, &len, 4);
		rc_mem_put(p->mem, at + 12, &zero, 4);
	}
	set_head(p, table, table_len);
	set_head_flags(p, RC_DESC_F_INDIRECT);
}

/* An indirect table whose length is no whole number of descriptors. */
static void spoil_indirect_len(struct sess *s, struct rc_queue *q)
{
	(void)s;
	indirect_head(&q->pring, 24);
}

/* An indirect table whose first entry is itself INDIRECT (2.8.19). */
static void spoil_nested_indirect(struct sess *s, struct rc_queue *q)
{
	struct rc_packed *p = &q->pring;
	uint64_t table = p->tables + (uint64_t)last_id(p) * 16 * p->table_slot;
	uint16_t flags = RC_DESC_F_INDIRECT;
	uint32_t len = 32;

	(void)s;
	indirect_head(p, 32);
	/* The first entry points at the table itself. */
	rc_mem_put(p->mem, table, &table, 8);
	rc_mem_put(p->mem, table + 8, &len, 4);
	rc_mem_put(p->mem, table + 14, &flags, 2);
}

static enum rc_result check_hostile_outside_memory(struct rc_target *t)
{
	NEED_PACKED(t);
	return hostile(t, PACKED, spoil_outside_memory);
}

static enum rc_result check_hostile_chain_long(struct rc_target *t)
{
	NEED_PACKED(t);
	return hostile(t, PACKED, spoil_chain_long);
}

static enum rc_result check_hostile_indirect_len(struct rc_target *t)
{
	NEED_PACKED(t);
	NEED(t, RC_F_INDIRECT_DESC, "VIRTIO_RING_F_INDIRECT_DESC");
	return hostile(t, PACKED | RC_BIT(RC_F_INDIRECT_DESC), spoil_indirect_len);
}

static enum rc_result check_hostile_nested_indirect(struct rc_target *t)
{
	NEED_PACKED(t);
	NEED(t, RC_F_INDIRECT_DESC, "VIRTIO_RING_F_INDIRECT_DESC");
	return hostile(t, PACKED | RC_BIT(RC_F_INDIRECT_DESC),
		       spoil_nested_indirect);
}

/*
 * vhost: GET_VRING_BASE of a packed ring says the next descriptor the
 * device will read in bits 0-14 and its wrap counter in bit 15.  300
 * one-descriptor chains on a ring of 256 from the reset state (slot 0,
 * counter 1): slot 44, counter 0.
 */
static enum rc_result check_vring_base(struct rc_target *t)
{
	NEED_PACKED(t);
	return body_vring_base(t, PACKED, rc_packed_pos(0, true), 300,
			       rc_packed_pos(44, false));
}

/*
 * vhost: SET_VRING_BASE of a packed ring gives the slot and, in bit 15,
 * the wrap counter the device starts from.  Three slots before the end
 * with the counter 0: the first chains cross the end at once; after 300
 * (two flips) GET_VRING_BASE must say slot 41, counter 0.
 */
static enum rc_result check_set_vring_base(struct rc_target *t)
{
	NEED_PACKED(t);
	return body_vring_base(t, PACKED, rc_packed_pos(253, false), 300,
			       rc_packed_pos((253 + 300) % 256, false));
}

#define C(sec, id, kind, text, fn) { sec, id, kind, text, fn }

const struct rc_check rc_packed_checks[] = {
	C("2.8", "packed-used-id", "device",
	  "A used descriptor's Buffer ID is that of a buffer in flight, each once; the bytes the device wrote are its len",
	  check_used_id),
	C("2.8.4", "packed-used-len", "device",
	  "A used descriptor's Element Length is the length of the buffer the device wrote (chained receive buffers)",
	  check_used_len),
	C("2.8.15", "packed-no-write-readable", "device MUST NOT",
	  "The device does not write to a device-readable buffer (chained and indirect)",
	  check_no_write_readable),
	C("2.8.3", "packed-used-write-flag", "device",
	  "WRITE in a used descriptor says whether the device wrote into the buffer",
	  check_used_write_flag),
	C("2.8.1", "packed-used-flags", "device",
	  "To mark a descriptor used the device sets USED to its wrap counter and AVAIL to the same",
	  check_used_flags),
	C("2.8.1", "packed-wrap", "device",
	  "The device's wrap counter starts at 1 and flips each time it passes the ring's last descriptor (31 passes)",
	  check_wrap),
	C("2.8.6", "packed-chain-skip", "device",
	  "One used descriptor for a whole chain, after which the device skips forward by the chain's length",
	  check_chain_skip),
	C("2.8.6", "packed-id-last", "device",
	  "The Buffer ID of a list is in its last descriptor: the device returns that one (the others hold another id)",
	  check_id_last),
	C("2.8.18", "packed-any-layout", "device MUST",
	  "The device uses a list's descriptors in the order made available, however the message is split",
	  check_any_layout),
	C("2.8.18", "packed-zero-length", "device MUST",
	  "Zero-length descriptors anywhere in a list change nothing",
	  check_zero_length),
	C("2.8.5", "packed-max-chain", "device",
	  "Unless the device limits it, a list may be as long as the queue: chains of N descriptors are accepted",
	  check_max_chain),
	C("2.8.7", "packed-indirect-table", "device",
	  "An INDIRECT descriptor's buffer is a table of len/16 descriptors in order, WRITE their only flag",
	  check_indirect),
	C("2.8.7", "packed-indirect-write", "device",
	  "WRITE in a descriptor that names an indirect table is reserved and ignored by the device",
	  check_indirect_write),
	C("2.8", "packed-full-ring", "device",
	  "A ring full of driver descriptors (N outstanding) is used like any other",
	  check_full_ring),
	C("2.8.15", "packed-avail-flag", "device MUST NOT",
	  "The device uses no descriptor whose AVAIL bit does not say it was made available",
	  check_avail_flag),
	C("2.8.10", "packed-event-enable", "device",
	  "Driver event flags ENABLE: the device notifies after using buffers",
	  check_event_enable),
	C("2.8.10", "packed-event-disable", "device",
	  "Driver event flags DISABLE: the device does not notify",
	  check_event_disable),
	C("2.8.10", "packed-event-desc", "device",
	  "With EVENT_IDX and flags DESC: the device notifies when it uses the descriptor at the offset and wrap counter given",
	  check_event_desc),
	C("2.8.10", "packed-event-desc-far", "device",
	  "With EVENT_IDX and flags DESC: no notification before that descriptor is used",
	  check_event_desc_far),
	C("2.8.14", "packed-device-event-flags", "device",
	  "The device's event suppression flags are ENABLE or DISABLE (DESC only with EVENT_IDX), reserved bits 0",
	  check_device_event_flags),
	C("2.8.4", "packed-hostile-outside-memory", "device vs bad driver",
	  "A buffer outside the memory the device was given: it writes nothing it was not given, and goes on answering",
	  check_hostile_outside_memory),
	C("2.8.17", "packed-hostile-chain-long", "device vs bad driver",
	  "A list longer than the queue (NEXT all round the ring): the device writes nothing it was not given, and goes on answering",
	  check_hostile_chain_long),
	C("2.8.7", "packed-hostile-indirect-len", "device vs bad driver",
	  "An indirect table of 24 bytes: the device writes nothing it was not given, and goes on answering",
	  check_hostile_indirect_len),
	C("2.8.19", "packed-hostile-nested-indirect", "device vs bad driver",
	  "An INDIRECT entry inside an indirect table: the device writes nothing it was not given, and goes on answering",
	  check_hostile_nested_indirect),
	C("vhost", "packed-vring-base", "vhost protocol",
	  "GET_VRING_BASE of a packed ring: the next descriptor the device reads, its wrap counter in bit 15",
	  check_vring_base),
	C("vhost", "packed-set-vring-base", "vhost protocol",
	  "SET_VRING_BASE of a packed ring: the device starts at the slot given, with the wrap counter in bit 15",
	  check_set_vring_base),
};

const unsigned int rc_packed_nchecks =
	sizeof(rc_packed_checks) / sizeof(rc_packed_checks[0]);
