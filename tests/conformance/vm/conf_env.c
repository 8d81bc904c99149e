// SPDX-License-Identifier: GPL-2.0
/*
 * A test's world: an arena, one ring (self mode) or two (pair mode), and
 * an echo attached to them.  Most tests are "post these chains, kick, and
 * check every used entry, every byte written and every byte not written".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "conf_env.h"

int env_open(struct conf_env *e, size_t arena_size,
	     const struct conf_ring_opts *o, bool pair)
{
	memset(e, 0, sizeof(*e));
	e->echo = -1;
	e->r.fd = e->out.fd = -1;
	e->r.callfd = e->out.callfd = -1;
	e->pair = pair;
	e->ar = arena_new(arena_size);
	if (ring_new(&e->r, e->ar, o))
		return -1;
	if (pair && ring_new(&e->out, e->ar, o))
		return -1;
	e->echo = echo_attach(&e->r, pair ? &e->out : NULL);
	return e->echo < 0 ? -1 : 0;
}

void env_close(struct conf_env *e)
{
	echo_close(e->echo);
	e->echo = -1;
	ring_close(&e->r);
	ring_close(&e->out);
	if (e->ar)
		arena_free(e->ar);
	e->ar = NULL;
}

struct conf_seg seg_r(struct conf_env *e, uint32_t len, enum conf_place p)
{
	struct conf_seg s = {
		.off = arena_buf(e->ar, len, CONF_READ, p),
		.len = len,
		.writable = false,
	};
	return s;
}

struct conf_seg seg_w(struct conf_env *e, uint32_t len, enum conf_place p)
{
	struct conf_seg s = {
		.off = arena_buf(e->ar, len, CONF_WRITE, p),
		.len = len,
		.writable = true,
	};
	return s;
}

struct conf_seg seg_zero(struct conf_env *e, bool writable)
{
	struct conf_seg s = {
		.off = arena_buf(e->ar, 0, writable ? CONF_WRITE : CONF_READ,
				 CONF_AT_END),
		.len = 0,
		.writable = writable,
	};
	return s;
}

unsigned int segs_make(struct conf_env *e, struct conf_seg *segs,
		       const uint32_t *rlens, const uint32_t *wlens)
{
	unsigned int n = 0, i;

	for (i = 0; rlens && rlens[i]; i++, n++)
		segs[n] = seg_r(e, rlens[i], n & 1 ? CONF_AT_END : CONF_AT_START);
	for (i = 0; wlens && wlens[i]; i++, n++)
		segs[n] = seg_w(e, wlens[i], n & 1 ? CONF_AT_END : CONF_AT_START);
	return n;
}

int env_not_broken(struct conf_ring *r, const char *what)
{
	char why[128];

	CONF_CHECK(!ring_broken(r, why, sizeof(why)),
		   "%s: vringfd marked the ring broken: %s", what, why);
	return 0;
}

static int env_kick_checked(struct conf_ring *r, const char *what)
{
	int err = ring_kick(r);
	char why[128] = "";

	if (err) {
		ring_broken(r, why, sizeof(why));
		fail("%s: kick failed: %s (ring status: %s)", what,
		     strerror(-err), why[0] ? why : "not broken");
		return -1;
	}
	return 0;
}

/*
 * Publish, kick, and check: exactly "expect" chains come back on each ring
 * (the "in" ring of a pair returns its chains with length 0), and nothing
 * but their used entries and written bytes changed.
 */
int env_run(struct conf_env *e, int expect, const char *what)
{
	ring_publish(&e->r);
	if (e->pair)
		ring_publish(&e->out);
	return env_kick_and_check(e, expect, what);
}

/* The same without publishing: the test stored avail idx itself. */
int env_kick_and_check(struct conf_env *e, int expect, const char *what)
{
	int n;

	audit_begin(e->ar);
	if (env_kick_checked(&e->r, what))
		return -1;
	if (env_not_broken(&e->r, what) ||
	    (e->pair && env_not_broken(&e->out, what)))
		return -1;
	n = e->pair ? ring_harvest_in(&e->r) : ring_harvest(&e->r, NULL);
	if (n < 0)
		return -1;
	CONF_CHECK(n == expect, "%s: %d chains used, expected %d", what, n,
		   expect);
	if (e->pair) {
		n = ring_harvest(&e->out, &e->r);
		if (n < 0)
			return -1;
		CONF_CHECK(n == expect, "%s: %d out chains used, expected %d",
			   what, n, expect);
	}
	return audit_check(e->ar, what);
}

/* poll() bits for a ring fd, without waiting. */
short env_poll(struct conf_ring *r)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, 0) < 0)
		tap_bail_out("poll: %m");
	return p.revents;
}

void pool_new(struct conf_env *e, struct conf_pool *p, unsigned int slots,
	      uint32_t slot_size)
{
	size_t pages = ((size_t)slots * slot_size + CONF_PAGE - 1) / CONF_PAGE;

	p->slots = slots;
	p->slot_size = slot_size;
	p->roff = arena_pages(e->ar, pages, CONF_READ);
	p->woff = arena_pages(e->ar, pages, CONF_WRITE);
}

int pool_post(struct conf_ring *r, const struct conf_pool *p, uint32_t rlen,
	      uint32_t wlen, uint32_t seed)
{
	size_t slot = (size_t)(r->posted % p->slots) * p->slot_size;
	struct conf_seg s[2] = {
		{ p->roff + slot, rlen, false },
		{ p->woff + slot, wlen, true },
	};

	if (rlen > p->slot_size || wlen > p->slot_size)
		tap_bail_out("pool_post: %u/%u bytes do not fit a slot of %u",
			     rlen, wlen, p->slot_size);
	return ring_post(r, s, 2, CONF_DIRECT, seed);
}
