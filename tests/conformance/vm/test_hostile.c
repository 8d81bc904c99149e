// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile drivers: chains the spec forbids a driver to make.  The spec
 * says what the driver must not do; what a device does when a driver does
 * it anyway is vringfd's promise (Documentation/vringfd.rst): mark the
 * ring broken, use nothing from the bad chain on, write nothing that was
 * not offered.  These tests hold it to that.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf_env.h"

#define ARENA_HOSTILE	(512 * CONF_PAGE)

/*
 * Each hostile test builds the same scene: two good chains, then the
 * bad one, then two more good chains, all published at once, one kick.
 * Afterwards the ring must be broken with a reason; poll() must say
 * EPOLLERR and write() EIO; the used ring may hold the first two chains
 * (correctly) but never the bad one nor anything after it; and the audit
 * must find no byte changed outside the used ring and the good chains'
 * writable buffers.
 */
struct hostile {
	struct conf_env e;
	struct conf_pool pool;
	int good_before[2], good_after[2];
	int bad_head;		/* -1 when the bad thing is not a chain */
	bool published;		/* the test stored avail idx itself */
	bool allow_all_writable;	/* EFAULT mid-copy: good buffers may fill */
	struct conf_seg bad_w[4];	/* the bad chain's writable buffers */
	unsigned int nbad_w;
};

static int hostile_open(struct hostile *h, unsigned int num, uint64_t features,
			uint64_t limit)
{
	struct conf_ring_opts o = {
		.num = num, .features = features, .max_table = 4,
		.limit = limit,
	};

	memset(h, 0, sizeof(*h));
	h->bad_head = -1;
	if (env_open(&h->e, ARENA_HOSTILE, &o, false))
		return -1;
	pool_new(&h->e, &h->pool, num, 64);
	h->good_before[0] = pool_post(&h->e.r, &h->pool, 10, 20, 1);
	h->good_before[1] = pool_post(&h->e.r, &h->pool, 30, 20, 2);
	return 0;
}

/* A descriptor of a hand-made chain. */
static uint16_t hostile_desc(struct hostile *h, uint64_t addr, uint32_t len,
			     uint16_t flags, uint16_t next)
{
	uint16_t i = ring_take_desc(&h->e.r);
	struct conf_desc *d = &h->e.r.desc[i];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
	return i;
}

/* Make the hand-made chain with this head available. */
static void hostile_offer(struct hostile *h, uint16_t head)
{
	h->bad_head = head;
	ring_write_avail_slot(&h->e.r, h->e.r.avail_idx, head);
	h->e.r.avail_idx++;
}

/* A writable buffer for a bad chain, which must stay untouched. */
static uint64_t hostile_w(struct hostile *h, uint32_t len)
{
	struct conf_seg s = seg_w(&h->e, len, CONF_AT_START);

	if (h->nbad_w < 4)
		h->bad_w[h->nbad_w++] = s;
	return s.off;
}

static uint64_t hostile_r(struct hostile *h, uint32_t len)
{
	return seg_r(&h->e, len, CONF_AT_END).off;
}

/* Fill an indirect table with entries; returns its offset. */
static size_t hostile_table(struct hostile *h, const struct conf_desc *t,
			    unsigned int n)
{
	size_t off = arena_buf(h->e.ar, n * 16, CONF_READ, CONF_AT_END);

	memcpy(h->e.ar->drv + off, t, n * 16);
	return off;
}

static bool hostile_used_has(struct hostile *h, uint16_t from, uint16_t to,
			     int head)
{
	uint16_t i;

	for (i = from; i != to; i++)
		if ((int)h->e.r.used_ring[i & (h->e.r.num - 1)].id == head)
			return true;
	return false;
}

static int hostile_check_used(struct hostile *h, uint16_t before)
{
	struct conf_ring *r = &h->e.r;
	uint16_t now = ring_used_idx(r);
	int i;

	CONF_CHECK((uint16_t)(now - before) <= 2,
		   "%u chains used; only the 2 before the bad one may be",
		   (uint16_t)(now - before));
	CONF_CHECK(h->bad_head < 0 || !hostile_used_has(h, before, now, h->bad_head),
		   "the malformed chain (head %d) was used", h->bad_head);
	for (i = 0; i < 2; i++)
		CONF_CHECK(!hostile_used_has(h, before, now, h->good_after[i]),
			   "a chain after the malformed one (head %d) was used",
			   h->good_after[i]);
	return ring_harvest(r, NULL) < 0 ? -1 : 0;
}

static void hostile_allow_writable(struct hostile *h)
{
	struct conf_ring *r = &h->e.r;
	unsigned int i, k;

	for (i = 0; i < r->num; i++) {
		struct conf_chain *c = &r->chains[i];

		if (!c->busy)
			continue;
		for (k = 0; k < c->nsegs; k++)
			if (c->segs[k].writable)
				audit_allow(h->e.ar, c->segs[k].off,
					    c->segs[k].len);
	}
	for (i = 0; i < h->nbad_w; i++)
		audit_allow(h->e.ar, h->bad_w[i].off, h->bad_w[i].len);
}

static int hostile_run(struct hostile *h, const char *what)
{
	struct conf_ring *r = &h->e.r;
	uint16_t before = ring_used_idx(r);
	char why[128];
	int err;

	h->good_after[0] = pool_post(r, &h->pool, 11, 20, 3);
	h->good_after[1] = pool_post(r, &h->pool, 12, 20, 4);
	if (!h->published)
		ring_publish(r);
	audit_begin(h->e.ar);
	ring_kick(r);
	CONF_CHECK(ring_broken(r, why, sizeof(why)),
		   "%s: the ring is not marked broken", what);
	CONF_CHECK(why[0], "%s: broken, but with no reason given", what);
	tap_diag("%s: broken: %s", what, why);
	CONF_CHECK(env_poll(r) & POLLERR, "%s: poll() does not report EPOLLERR",
		   what);
	err = ring_kick(r);
	CONF_CHECK(err == -EIO, "%s: write() on the broken ring: %s, expected EIO",
		   what, err ? strerror(-err) : "success");
	if (hostile_check_used(h, before))
		return -1;
	if (h->allow_all_writable)
		hostile_allow_writable(h);
	return audit_check(h->e.ar, what);
}

static int hostile_finish(struct hostile *h, const char *what)
{
	int rc = hostile_run(h, what);

	env_close(&h->e);
	return rc;
}

/* ---- Broken chains ---- */

int test_hostile_loop(void)
{
	struct hostile h;
	uint16_t a, b;

	/* Two writable descriptors pointing at each other. */
	if (hostile_open(&h, 16, 0, 0))
		return -1;
	a = hostile_desc(&h, 0, 0, 0, 0);
	b = hostile_desc(&h, hostile_w(&h, 16), 16,
			 CONF_DESC_F_WRITE | CONF_DESC_F_NEXT, a);
	h.e.r.desc[a] = (struct conf_desc){ hostile_w(&h, 16), 16,
					    CONF_DESC_F_WRITE | CONF_DESC_F_NEXT, b };
	hostile_offer(&h, a);
	if (hostile_finish(&h, "two-descriptor loop"))
		return -1;
	/* One readable descriptor pointing at itself. */
	if (hostile_open(&h, 16, 0, 0))
		return -1;
	a = ring_take_desc(&h.e.r);
	h.e.r.desc[a] = (struct conf_desc){ hostile_r(&h, 16), 16,
					    CONF_DESC_F_NEXT, a };
	hostile_offer(&h, a);
	return hostile_finish(&h, "self loop");
}

int test_hostile_next_range(void)
{
	static const uint16_t nexts[] = { 16, 0xffff };
	struct hostile h;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (hostile_open(&h, 16, 0, 0))
			return -1;
		hostile_offer(&h, hostile_desc(&h, hostile_r(&h, 16), 16,
					       CONF_DESC_F_NEXT, nexts[i]));
		if (hostile_finish(&h, i ? "next 0xffff" : "next = queue size"))
			return -1;
	}
	return 0;
}

int test_hostile_head_range(void)
{
	static const uint16_t heads[] = { 16, 0xffff };
	struct hostile h;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (hostile_open(&h, 16, 0, 0))
			return -1;
		hostile_offer(&h, heads[i]);
		if (hostile_finish(&h, i ? "head 0xffff" : "head = queue size"))
			return -1;
	}
	return 0;
}

int test_hostile_avail_jump(void)
{
	struct hostile h;

	/* More than a ring's worth ahead. */
	if (hostile_open(&h, 16, 0, 0))
		return -1;
	ring_set_avail_idx(&h.e.r, (uint16_t)(h.e.r.avail_idx + 4 + 16 + 1));
	h.published = true;
	if (hostile_finish(&h, "avail idx N+1 ahead"))
		return -1;
	/* Moved back after chains were used. */
	if (hostile_open(&h, 16, 0, 0))
		return -1;
	if (env_run(&h.e, 2, "two good chains first"))
		goto fail;
	ring_set_avail_idx(&h.e.r, (uint16_t)(ring_used_idx(&h.e.r) - 1));
	h.published = true;
	return hostile_finish(&h, "avail idx moved back");
fail:
	env_close(&h.e);
	return -1;
}

int test_hostile_read_after_write(void)
{
	struct hostile h;
	uint16_t r_desc;

	if (hostile_open(&h, 16, 0, 0))
		return -1;
	r_desc = hostile_desc(&h, hostile_r(&h, 16), 16, 0, 0);
	hostile_offer(&h, hostile_desc(&h, hostile_w(&h, 16), 16,
				       CONF_DESC_F_WRITE | CONF_DESC_F_NEXT,
				       r_desc));
	return hostile_finish(&h, "readable after writable");
}

/*
 * Two 2 GiB readable descriptors and one more byte-sized one: more than
 * 2^32 - 1 bytes.  The limit is raised so that the length, not the
 * window, is what is wrong; the descriptors are readable, so even a
 * device that missed the check could only read.
 */
int test_hostile_over_4g(void)
{
	struct hostile h;
	uint16_t c, b;

	if (hostile_open(&h, 16, 0, 1ULL << 40))
		return -1;
	c = hostile_desc(&h, hostile_r(&h, 16), 16, 0, 0);
	b = hostile_desc(&h, 0, 0x80000000u, CONF_DESC_F_NEXT, c);
	hostile_offer(&h, hostile_desc(&h, 0, 0x80000000u, CONF_DESC_F_NEXT, b));
	return hostile_finish(&h, "4 GiB + 16 bytes");
}

int test_hostile_outside_limit(void)
{
	struct hostile h;
	uint64_t limit;
	unsigned int i;
	uint16_t w;

	for (i = 0; i < 3; i++) {
		if (hostile_open(&h, 16, 0, 0))
			return -1;
		limit = h.e.r.limit;
		w = hostile_desc(&h, hostile_w(&h, 16), 16, CONF_DESC_F_WRITE, 0);
		if (i == 0)	/* straddles the limit */
			hostile_offer(&h, hostile_desc(&h, limit - 8, 16,
						       CONF_DESC_F_NEXT, w));
		else if (i == 1)	/* wholly beyond it, writable */
			hostile_offer(&h, hostile_desc(&h, limit + 4096, 16,
						       CONF_DESC_F_WRITE, 0));
		else		/* one byte at the limit */
			hostile_offer(&h, hostile_desc(&h, limit, 1,
						       CONF_DESC_F_NEXT, w));
		if (hostile_finish(&h, i == 0 ? "straddling the limit" :
				   i == 1 ? "beyond the limit" :
				   "one byte at the limit"))
			return -1;
	}
	return 0;
}

/*
 * With no limit at all, an address that wraps base + addr round to page
 * 1 (0x1000): a device that adds without checking lands in unmapped low
 * memory rather than in something of ours.
 */
int test_hostile_base_overflow(void)
{
	struct hostile h;
	uint64_t addr;

	if (hostile_open(&h, 16, 0, ~0ULL))
		return -1;
	addr = 0x1000 - (uint64_t)(uintptr_t)h.e.ar->dev;
	hostile_offer(&h, hostile_desc(&h, addr, 16, CONF_DESC_F_WRITE, 0));
	return hostile_finish(&h, "base + addr wraps");
}

/* ---- Bad indirect descriptors ---- */

/* A valid-looking two-entry table: readable then writable. */
static size_t hostile_good_table(struct hostile *h)
{
	struct conf_desc t[2] = {
		{ hostile_r(h, 16), 16, CONF_DESC_F_NEXT, 1 },
		{ hostile_w(h, 16), 16, CONF_DESC_F_WRITE, 0 },
	};

	return hostile_table(h, t, 2);
}

int test_hostile_indirect_unnegotiated(void)
{
	struct hostile h;

	if (hostile_open(&h, 16, 0, 0))
		return -1;
	hostile_offer(&h, hostile_desc(&h, hostile_good_table(&h), 32,
				       CONF_DESC_F_INDIRECT, 0));
	return hostile_finish(&h, "INDIRECT without the feature");
}

int test_hostile_nested_indirect(void)
{
	struct hostile h;
	size_t inner;

	if (hostile_open(&h, 16, CONF_F_INDIRECT, 0))
		return -1;
	inner = hostile_good_table(&h);
	{
		struct conf_desc t[2] = {
			{ hostile_r(&h, 16), 16, CONF_DESC_F_NEXT, 1 },
			{ inner, 32, CONF_DESC_F_INDIRECT, 0 },
		};

		hostile_offer(&h, hostile_desc(&h, hostile_table(&h, t, 2), 32,
					       CONF_DESC_F_INDIRECT, 0));
	}
	return hostile_finish(&h, "a table inside a table");
}

int test_hostile_indirect_next(void)
{
	struct hostile h;
	uint16_t w;

	if (hostile_open(&h, 16, CONF_F_INDIRECT, 0))
		return -1;
	w = hostile_desc(&h, hostile_w(&h, 16), 16, CONF_DESC_F_WRITE, 0);
	hostile_offer(&h, hostile_desc(&h, hostile_good_table(&h), 32,
				       CONF_DESC_F_INDIRECT | CONF_DESC_F_NEXT,
				       w));
	return hostile_finish(&h, "INDIRECT and NEXT");
}

int test_hostile_indirect_len(void)
{
	static const uint32_t lens[] = { 0, 24, 8 };
	struct hostile h;
	unsigned int i;
	char what[64];

	for (i = 0; i < 3; i++) {
		if (hostile_open(&h, 16, CONF_F_INDIRECT, 0))
			return -1;
		hostile_offer(&h, hostile_desc(&h, hostile_good_table(&h),
					       lens[i], CONF_DESC_F_INDIRECT, 0));
		snprintf(what, sizeof(what), "indirect len %u", lens[i]);
		if (hostile_finish(&h, what))
			return -1;
	}
	return 0;
}

int test_hostile_indirect_loop(void)
{
	struct hostile h;
	struct conf_desc t[2];

	if (hostile_open(&h, 16, CONF_F_INDIRECT, 0))
		return -1;
	t[0] = (struct conf_desc){ hostile_w(&h, 16), 16,
				   CONF_DESC_F_WRITE | CONF_DESC_F_NEXT, 1 };
	t[1] = (struct conf_desc){ hostile_w(&h, 16), 16,
				   CONF_DESC_F_WRITE | CONF_DESC_F_NEXT, 0 };
	hostile_offer(&h, hostile_desc(&h, hostile_table(&h, t, 2), 32,
				       CONF_DESC_F_INDIRECT, 0));
	return hostile_finish(&h, "a loop inside a table");
}

int test_hostile_indirect_next_range(void)
{
	struct hostile h;
	struct conf_desc t[2];

	if (hostile_open(&h, 16, CONF_F_INDIRECT, 0))
		return -1;
	t[0] = (struct conf_desc){ hostile_r(&h, 16), 16, CONF_DESC_F_NEXT, 2 };
	t[1] = (struct conf_desc){ hostile_w(&h, 16), 16, CONF_DESC_F_WRITE, 0 };
	hostile_offer(&h, hostile_desc(&h, hostile_table(&h, t, 2), 32,
				       CONF_DESC_F_INDIRECT, 0));
	return hostile_finish(&h, "next beyond the table");
}

int test_hostile_indirect_too_long(void)
{
	struct hostile h;
	struct conf_desc t[17];
	unsigned int i;

	if (hostile_open(&h, 16, CONF_F_INDIRECT, 0))
		return -1;
	for (i = 0; i < 17; i++)
		t[i] = (struct conf_desc){ hostile_r(&h, 1), 1,
					   i < 16 ? CONF_DESC_F_NEXT : 0,
					   (uint16_t)(i + 1) };
	hostile_offer(&h, hostile_desc(&h, hostile_table(&h, t, 17), 17 * 16,
				       CONF_DESC_F_INDIRECT, 0));
	return hostile_finish(&h, "17 entries on a ring of 16");
}

/* ---- Memory the device cannot reach ---- */

int test_hostile_fault_ring(void)
{
	struct hostile h;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct conf_ring *r;

		if (hostile_open(&h, 16, 0, 0))
			return -1;
		r = &h.e.r;
		if (i == 0)
			arena_protect(h.e.ar, r->desc_off, conf_desc_size(16),
				      CONF_NONE);
		else
			arena_protect(h.e.ar, r->avail_off, conf_avail_size(16),
				      CONF_NONE);
		if (hostile_finish(&h, i ? "available ring unreadable" :
				   "descriptor table unreadable"))
			return -1;
	}
	return 0;
}

int test_hostile_fault_used(void)
{
	struct hostile h;

	if (hostile_open(&h, 16, 0, 0))
		return -1;
	arena_protect(h.e.ar, h.e.r.used_off, conf_used_size(16), CONF_READ);
	/* The first chain's bytes may land before its entry fails. */
	h.allow_all_writable = true;
	return hostile_finish(&h, "used ring read-only");
}

int test_hostile_fault_buffer(void)
{
	struct hostile h;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		size_t ro;
		uint16_t w;

		if (hostile_open(&h, 16, CONF_F_INDIRECT, 0))
			return -1;
		h.allow_all_writable = true;
		if (i == 0) {	/* writable buffer in a read-only page */
			ro = arena_buf(h.e.ar, 16, CONF_READ, CONF_AT_START);
			w = hostile_desc(&h, ro, 16, CONF_DESC_F_WRITE, 0);
			hostile_offer(&h, hostile_desc(&h, hostile_r(&h, 16), 16,
						       CONF_DESC_F_NEXT, w));
		} else if (i == 1) {	/* readable buffer in no page at all */
			w = hostile_desc(&h, hostile_w(&h, 16), 16,
					 CONF_DESC_F_WRITE, 0);
			hostile_offer(&h, hostile_desc(&h,
				arena_buf(h.e.ar, 16, CONF_NONE, CONF_AT_START),
				16, CONF_DESC_F_NEXT, w));
		} else {		/* indirect table in no page at all */
			hostile_offer(&h, hostile_desc(&h,
				arena_buf(h.e.ar, 32, CONF_NONE, CONF_AT_START),
				32, CONF_DESC_F_INDIRECT, 0));
		}
		if (hostile_finish(&h, i == 0 ? "writable buffer read-only" :
				   i == 1 ? "readable buffer inaccessible" :
				   "indirect table inaccessible"))
			return -1;
	}
	return 0;
}

/* ---- The device status analogues (2.1.2) ---- */

/*
 * DRIVER_OK's analogue is a consumer being attached: before that, kicks
 * do nothing and the ring's memory is left alone; attaching processes
 * what was already there.
 */
int test_no_use_before_ready(void)
{
	struct conf_ring_opts o = { .num = 16 };
	struct conf_env e;
	struct conf_pool pool;
	int rc = -1, i, got;

	memset(&e, 0, sizeof(e));
	e.echo = -1;
	e.out.fd = e.out.callfd = -1;
	e.ar = arena_new(ARENA_HOSTILE);
	if (ring_new(&e.r, e.ar, &o))
		goto out;
	pool_new(&e, &pool, 16, 64);
	for (i = 0; i < 3; i++)
		pool_post(&e.r, &pool, 10 + i, 40, i);
	ring_publish(&e.r);
	audit_begin(e.ar);
	for (i = 0; i < 5; i++)
		CONF_CHECK_OUT(!ring_kick(&e.r),
			       "kick with no consumer attached failed");
	CONF_CHECK_OUT(ring_used_idx(&e.r) == 0,
		       "used idx %u before any consumer was attached",
		       ring_used_idx(&e.r));
	CONF_CHECK_OUT(ring_calls(&e.r) == 0,
		       "a notification before any consumer was attached");
	if (audit_check(e.ar, "before a consumer is attached"))
		goto out;
	e.echo = echo_attach(&e.r, NULL);
	if (e.echo < 0)
		goto out;
	got = ring_harvest(&e.r, NULL);
	CONF_CHECK_OUT(got == 3, "attaching used %d of the 3 waiting chains", got);
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * DEVICE_NEEDS_RESET's analogue is "broken": once a ring breaks it stays
 * broken (EPOLLERR, EIO) until the owner sets it up again, after which it
 * works as new.
 */
int test_needs_reset(void)
{
	struct hostile h;
	struct conf_ring *r;
	uint16_t a;
	int rc = -1, i;

	if (hostile_open(&h, 16, 0, 0))
		return -1;
	r = &h.e.r;
	a = ring_take_desc(r);
	r->desc[a] = (struct conf_desc){ hostile_r(&h, 16), 16,
					 CONF_DESC_F_NEXT, a };
	hostile_offer(&h, a);
	if (hostile_run(&h, "self loop"))
		goto out;
	for (i = 0; i < 3; i++)
		CONF_CHECK_OUT(ring_kick(r) == -EIO,
			       "kick %d on the broken ring did not fail with EIO", i);
	CONF_CHECK_OUT(env_poll(r) & POLLERR, "EPOLLERR went away by itself");
	echo_close(h.e.echo);
	h.e.echo = -1;
	if (ring_resetup(r))
		goto out;
	CONF_CHECK_OUT(!ring_broken(r, NULL, 0), "still broken after VRINGSETUP");
	CONF_CHECK_OUT(!(env_poll(r) & POLLERR), "EPOLLERR after VRINGSETUP");
	h.e.echo = echo_attach(r, NULL);
	if (h.e.echo < 0)
		goto out;
	for (i = 0; i < 3; i++) {
		pool_post(r, &h.pool, 20, 20, 100 + i);
		pool_post(r, &h.pool, 7, 20, 200 + i);
		if (env_run(&h.e, 2, "after the reset"))
			goto out;
	}
	rc = 0;
out:
	env_close(&h.e);
	return rc;
}
