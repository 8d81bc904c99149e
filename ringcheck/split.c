// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's side of a split virtqueue (virtio 1.2, 2.7), written for
 * ringcheck from the specification: three parts in the driver's memory,
 * a free list of descriptors (2.7.13.1 lets a device use chains in any
 * order, so descriptors cannot be handed out in a circle), and every
 * store the driver makes mirrored into the audit snapshot, so that the
 * write audit (mem.c) sees only the device's writes.
 */
#include <stdlib.h>
#include <string.h>

#include "ringcheck.h"

size_t rc_split_desc_size(unsigned int num)
{
	return 16 * (size_t)num;
}

size_t rc_split_avail_size(unsigned int num)
{
	return 6 + 2 * (size_t)num;
}

size_t rc_split_used_size(unsigned int num)
{
	return 6 + 8 * (size_t)num;
}

static void drv_put16(struct rc_split *r, uint64_t addr, uint16_t v)
{
	rc_mem_put(r->mem, addr, &v, 2);
}

static uint16_t dev_get16(struct rc_split *r, uint64_t addr)
{
	return __atomic_load_n((uint16_t *)rc_mem_ptr(r->mem, addr),
			       __ATOMIC_ACQUIRE);
}

/*
 * The three parts at exactly the alignments 2.7 requires (16, 2, 4) and no
 * more, one after the other, with the descriptor table across a page
 * boundary: where a device that assumes the legacy layout (2.7.2: the
 * available ring right after the table, the used ring on the next page)
 * or a 4096-byte alignment looks, there is something else.
 */
static void place_tight(struct rc_split *r, unsigned int num)
{
	size_t total = 48 + rc_split_desc_size(num) + 2 +
		       rc_split_avail_size(num) + 8 + rc_split_used_size(num);
	uint64_t at = rc_mem_alloc(r->mem, RC_PAGE + total, RC_PAGE);

	r->desc_addr = at + RC_PAGE - 48;		/* 16, not 64 */
	r->avail_addr = r->desc_addr + rc_split_desc_size(num) + 2; /* 2, not 4 */
	r->used_addr = (r->avail_addr + rc_split_avail_size(num) + 3) & ~3ULL;
	if (!(r->used_addr & 7))
		r->used_addr += 4;			/* 4, not 8 */
}

int rc_split_init(struct rc_split *r, struct rc_mem *m, unsigned int num)
{
	return rc_split_init_at(r, m, num, false);
}

int rc_split_init_at(struct rc_split *r, struct rc_mem *m, unsigned int num,
		     bool tight)
{
	memset(r, 0, sizeof(*r));
	r->mem = m;
	r->num = num;
	if (tight) {
		place_tight(r, num);
	} else {
		/* The alignments of 2.7: 16, 2 and 4; each has its own page. */
		r->desc_addr = rc_mem_alloc(m, rc_split_desc_size(num), RC_PAGE);
		r->avail_addr = rc_mem_alloc(m, rc_split_avail_size(num), RC_PAGE);
		r->used_addr = rc_mem_alloc(m, rc_split_used_size(num), RC_PAGE);
	}
	r->table_slot = RC_MAX_SEGS;
	r->tables = rc_mem_alloc(m, (size_t)num * 16 * r->table_slot, RC_PAGE);
	r->free_next = calloc(num, sizeof(*r->free_next));
	r->chains = calloc(num, sizeof(*r->chains));
	r->heads = calloc(num, sizeof(*r->heads));
	if (!r->free_next || !r->chains || !r->heads) {
		rc_error("out of memory");
		return -1;
	}
	rc_split_reset(r);
	return 0;
}

void rc_split_free(struct rc_split *r)
{
	free(r->free_next);
	free(r->chains);
	free(r->heads);
	r->free_next = NULL;
	r->chains = NULL;
	r->heads = NULL;
}

void rc_split_reset(struct rc_split *r)
{
	rc_split_reset_at(r, 0);
}

void rc_split_reset_at(struct rc_split *r, uint16_t idx)
{
	r->avail_idx = idx;
	r->used_seen = idx;
	for (unsigned int i = 0; i < r->num; i++)
		r->free_next[i] = i + 1;
	r->free_head = 0;
	r->nfree = r->num;
	memset(r->chains, 0, r->num * sizeof(*r->chains));
	/*
	 * Flags 0, both rings' idx where the queue starts (the device is
	 * told the same: vhost's VRING_BASE), used_event and avail_event
	 * there too.
	 */
	drv_put16(r, r->avail_addr, 0);
	drv_put16(r, r->avail_addr + 2, idx);
	drv_put16(r, r->avail_addr + 4 + 2 * r->num, idx);
	drv_put16(r, r->used_addr, 0);
	drv_put16(r, r->used_addr + 2, idx);
	drv_put16(r, r->used_addr + 4 + 8 * r->num, idx);
}

void rc_chain_init(struct rc_chain *c, const struct rc_seg *segs,
		   unsigned int n, unsigned int ndesc, uint32_t tag)
{
	memset(c, 0, sizeof(*c));
	c->busy = true;
	c->nsegs = n;
	c->ndesc = ndesc;
	c->tag = tag;
	memcpy(c->segs, segs, n * sizeof(*segs));
	for (unsigned int i = 0; i < n; i++) {
		if (segs[i].writable)
			c->writable += segs[i].len;
		else
			c->readable += segs[i].len;
	}
}

static uint16_t take_desc(struct rc_split *r)
{
	uint16_t d = r->free_head;

	r->free_head = r->free_next[d];
	r->nfree--;
	return d;
}

int rc_split_post(struct rc_split *r, const struct rc_seg *segs,
		  unsigned int n, bool indirect, uint32_t tag)
{
	unsigned int need = indirect ? 1 : n;
	struct rc_chain *c;
	uint16_t descs[RC_MAX_SEGS];
	uint16_t head;

	if (!n || n > RC_MAX_SEGS || need > r->nfree)
		return -1;
	for (unsigned int i = 0; i < need; i++)
		descs[i] = take_desc(r);
	head = descs[0];
	c = &r->chains[head];
	rc_chain_init(c, segs, n, need, tag);
	if (indirect) {
		/* 2.7.5.3: the table's own descriptors chain by index. */
		c->table = r->tables + (uint64_t)head * 16 * r->table_slot;
		for (unsigned int i = 0; i < n; i++)
			rc_put_desc(r->mem, c->table + 16 * i, segs[i].addr,
				    segs[i].len,
				    (segs[i].writable ? RC_DESC_F_WRITE : 0) |
				    (i + 1 < n ? RC_DESC_F_NEXT : 0),
				    i + 1 < n ? i + 1 : 0);
		rc_put_desc(r->mem, r->desc_addr + 16 * head, c->table, 16 * n,
			    RC_DESC_F_INDIRECT, 0);
	} else {
		for (unsigned int i = 0; i < n; i++)
			rc_put_desc(r->mem, r->desc_addr + 16 * descs[i],
				    segs[i].addr, segs[i].len,
				    (segs[i].writable ? RC_DESC_F_WRITE : 0) |
				    (i + 1 < n ? RC_DESC_F_NEXT : 0),
				    i + 1 < n ? descs[i + 1] : 0);
	}
	drv_put16(r, r->avail_addr + 4 + 2 * (r->avail_idx % r->num), head);
	r->heads[r->avail_idx % r->num] = head;
	r->avail_idx++;
	return head;
}

void rc_split_publish(struct rc_split *r)
{
	uint16_t v = r->avail_idx;

	memcpy(r->mem->snap + r->avail_addr + 2, &v, 2);
	__atomic_store_n((uint16_t *)rc_mem_ptr(r->mem, r->avail_addr + 2), v,
			 __ATOMIC_RELEASE);
}

uint16_t rc_split_used_idx(struct rc_split *r)
{
	return dev_get16(r, r->used_addr + 2);
}

uint16_t rc_split_used_flags(struct rc_split *r)
{
	return dev_get16(r, r->used_addr);
}

uint16_t rc_split_avail_event(struct rc_split *r)
{
	return dev_get16(r, r->used_addr + 4 + 8 * r->num);
}

void rc_split_set_used_event(struct rc_split *r, uint16_t v)
{
	drv_put16(r, r->avail_addr + 4 + 2 * r->num, v);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void rc_split_set_avail_flags(struct rc_split *r, uint16_t v)
{
	drv_put16(r, r->avail_addr, v);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool rc_split_take(struct rc_split *r, uint32_t *id, uint32_t *len)
{
	uint64_t e;

	if (rc_split_used_idx(r) == r->used_seen)
		return false;
	e = r->used_addr + 4 + 8 * (uint64_t)(r->used_seen % r->num);
	memcpy(id, rc_mem_ptr(r->mem, e), 4);
	memcpy(len, rc_mem_ptr(r->mem, e + 4), 4);
	r->used_seen++;
	return true;
}

uint16_t rc_split_head_at(const struct rc_split *r, uint16_t idx)
{
	return r->heads[idx % r->num];
}

void rc_split_retire(struct rc_split *r, uint16_t head)
{
	struct rc_chain *c;
	uint16_t d = head;

	if (head >= r->num || !r->chains[head].busy)
		return;
	c = &r->chains[head];
	/* Walk our own record of the chain, never the (device's) table. */
	for (unsigned int i = 0; i < c->ndesc; i++) {
		uint16_t next;

		memcpy(&next, r->mem->snap + r->desc_addr + 16 * d + 14, 2);
		r->free_next[d] = r->free_head;
		r->free_head = d;
		r->nfree++;
		d = next;
	}
	c->busy = false;
}

void rc_split_allow_used(struct rc_split *r, uint16_t from, uint16_t to)
{
	/* used->flags and idx, avail_event, and the entries in between. */
	rc_audit_allow(r->mem, r->used_addr, 4);
	rc_audit_allow(r->mem, r->used_addr + 4 + 8 * r->num, 2);
	for (uint16_t i = from; i != to; i++)
		rc_audit_allow(r->mem, r->used_addr + 4 + 8 * (i % r->num), 8);
}
