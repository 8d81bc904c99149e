// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's side of a packed virtqueue (virtio 1.2, 2.8), written for
 * ringcheck from the specification.  One ring of 16-byte descriptors
 * that both sides write: the driver makes a descriptor available by
 * setting its AVAIL bit to the Driver Ring Wrap Counter and USED to the
 * inverse; the device marks it used by setting both to its own counter.
 * Each counter starts at 1 and flips when its side passes the last slot.
 *
 * Descriptors go out in ring order, but a device may finish buffers in
 * any order (2.8, the note on out-of-order completion), so buffer ids
 * come from a free stack, and the driver remembers how many slots each
 * id's chain took: the device writes one used descriptor per chain and
 * skips the rest (2.8.6), and so must we when we read.
 *
 * As in split.c, every driver store goes into the audit snapshot too.
 */
#include <stdlib.h>
#include <string.h>

#include "ringcheck.h"

uint16_t rc_packed_pos(uint16_t slot, bool wrap)
{
	return (uint16_t)(slot | (wrap ? 0x8000 : 0));
}

/* The AVAIL and USED bits of an available descriptor (2.8.1). */
static uint16_t avail_bits(bool wrap)
{
	return wrap ? RC_PDESC_F_AVAIL : RC_PDESC_F_USED;
}

int rc_packed_init(struct rc_packed *r, struct rc_mem *m, unsigned int num)
{
	memset(r, 0, sizeof(*r));
	r->mem = m;
	r->num = num;
	/* Alignments of 2.8.10.1: 16, 4 and 4; a page each, as split.c. */
	r->desc_addr = rc_mem_alloc(m, 16 * (size_t)num, RC_PAGE);
	r->driver_addr = rc_mem_alloc(m, 4, RC_PAGE);
	r->device_addr = rc_mem_alloc(m, 4, RC_PAGE);
	r->table_slot = RC_MAX_SEGS;
	r->tables = rc_mem_alloc(m, (size_t)num * 16 * r->table_slot, RC_PAGE);
	r->free_ids = calloc(num, sizeof(*r->free_ids));
	r->chains = calloc(num, sizeof(*r->chains));
	r->ids = calloc(num, sizeof(*r->ids));
	r->pending_slot = calloc(num, sizeof(*r->pending_slot));
	r->pending_flags = calloc(num, sizeof(*r->pending_flags));
	if (!r->free_ids || !r->chains || !r->ids || !r->pending_slot ||
	    !r->pending_flags) {
		rc_error("out of memory");
		return -1;
	}
	/* "The descriptor ring is zero-initialized" (2.8.13). */
	for (unsigned int i = 0; i < num; i++) {
		rc_put_desc(m, r->desc_addr + 16 * (uint64_t)i, 0, 0, 0, 0);
		r->free_ids[i] = num - 1 - i;	/* id 0 on top */
	}
	r->nfree = num;
	r->avail_wrap = r->used_wrap = true;
	rc_packed_set_driver_event(r, RC_EVENT_ENABLE, 0);
	rc_mem_put(m, r->device_addr, "\0\0\0\0", 4);
	return 0;
}

void rc_packed_free(struct rc_packed *r)
{
	free(r->free_ids);
	free(r->chains);
	free(r->ids);
	free(r->pending_slot);
	free(r->pending_flags);
	memset(r, 0, sizeof(*r));
}

int rc_packed_post(struct rc_packed *r, const struct rc_seg *segs,
		   unsigned int n, bool indirect, uint32_t tag)
{
	unsigned int need = indirect ? 1 : n;
	struct rc_chain *c;
	uint16_t id;

	if (!n || n > RC_MAX_SEGS || !r->nfree || need > r->num - r->inflight)
		return -1;
	id = r->free_ids[--r->nfree];
	c = &r->chains[id];
	rc_chain_init(c, segs, n, need, tag);
	if (indirect) {
		/* 2.8.7: entries in order, WRITE their only flag, no id. */
		c->table = r->tables + (uint64_t)id * 16 * r->table_slot;
		for (unsigned int i = 0; i < n; i++)
			rc_put_desc(r->mem, c->table + 16 * i, segs[i].addr,
				 segs[i].len, 0,
				 segs[i].writable ? RC_DESC_F_WRITE : 0);
	}
	for (unsigned int i = 0; i < need; i++) {
		uint16_t slot = r->next_avail;
		uint16_t flags = avail_bits(r->avail_wrap);
		uint64_t at = r->desc_addr + 16 * (uint64_t)slot;
		uint16_t desc_id = id;

		if (r->id_last_only && i + 1 < need)
			desc_id = (uint16_t)((id + 1) % r->num);

		if (indirect)
			flags |= RC_DESC_F_INDIRECT;
		else
			flags |= (segs[i].writable ? RC_DESC_F_WRITE : 0) |
				 (i + 1 < n ? RC_DESC_F_NEXT : 0);
		/*
		 * The id goes in every descriptor unless id_last_only (2.8.6
		 * asks for it in the last); the head's flags wait for
		 * rc_packed_publish(), so the device never sees part of a
		 * chain.
		 */
		if (i == 0) {
			uint16_t old;

			memcpy(&old, r->mem->snap + at + 14, 2);
			rc_put_desc(r->mem, at,
				    indirect ? c->table : segs[i].addr,
				    indirect ? 16 * n : segs[i].len, desc_id, old);
			r->pending_slot[r->npending] = slot;
			r->pending_flags[r->npending++] = flags;
		} else {
			rc_put_desc(r->mem, at, segs[i].addr, segs[i].len,
				    desc_id, flags);
		}
		if (++r->next_avail == r->num) {
			r->next_avail = 0;
			r->avail_wrap = !r->avail_wrap;
		}
	}
	r->inflight += need;
	r->ids[r->posted++ % r->num] = id;
	return id;
}

void rc_packed_publish(struct rc_packed *r)
{
	for (unsigned int i = 0; i < r->npending; i++) {
		uint64_t at = r->desc_addr + 16 * (uint64_t)r->pending_slot[i] + 14;
		uint16_t v = r->pending_flags[i];

		memcpy(r->mem->snap + at, &v, 2);
		__atomic_store_n((uint16_t *)rc_mem_ptr(r->mem, at), v,
				 __ATOMIC_RELEASE);
	}
	r->npending = 0;
}

bool rc_packed_take(struct rc_packed *r, uint32_t *id, uint32_t *len,
		    uint16_t *flags)
{
	uint64_t at = r->desc_addr + 16 * (uint64_t)r->next_used;
	uint16_t f, i;

	if (!r->inflight)
		return false;
	f = __atomic_load_n((uint16_t *)rc_mem_ptr(r->mem, at + 14),
			    __ATOMIC_ACQUIRE);
	if (!!(f & RC_PDESC_F_USED) != r->used_wrap)
		return false;
	memcpy(len, rc_mem_ptr(r->mem, at + 8), 4);
	memcpy(&i, rc_mem_ptr(r->mem, at + 12), 2);
	*id = i;
	*flags = f;
	if (i < r->num && r->chains[i].busy) {
		r->next_used += r->chains[i].ndesc;
		if (r->next_used >= r->num) {
			r->next_used -= r->num;
			r->used_wrap = !r->used_wrap;
		}
	}
	return true;
}

void rc_packed_retire(struct rc_packed *r, uint16_t id)
{
	if (id >= r->num || !r->chains[id].busy)
		return;
	r->inflight -= r->chains[id].ndesc;
	r->chains[id].busy = false;
	r->free_ids[r->nfree++] = id;
}

void rc_packed_allow_used(struct rc_packed *r)
{
	/*
	 * A used descriptor is len, id and flags (2.8.4: its address is
	 * unused), in the slots of chains in flight; and the device's
	 * own event suppression structure.
	 */
	for (unsigned int k = 0; k < r->inflight; k++)
		rc_audit_allow(r->mem, r->desc_addr +
			       16 * (uint64_t)((r->next_used + k) % r->num) + 8, 8);
	rc_audit_allow(r->mem, r->device_addr, 4);
}

void rc_packed_set_driver_event(struct rc_packed *r, uint16_t flags,
				uint16_t off_wrap)
{
	uint16_t v[2] = { off_wrap, flags };

	rc_mem_put(r->mem, r->driver_addr, v, 4);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint16_t rc_packed_device_event_flags(struct rc_packed *r)
{
	return __atomic_load_n((uint16_t *)rc_mem_ptr(r->mem, r->device_addr + 2),
			       __ATOMIC_ACQUIRE);
}
