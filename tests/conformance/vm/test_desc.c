// SPDX-License-Identifier: GPL-2.0
/*
 * Message framing and the descriptor table (2.7.4, 2.7.5), indirect
 * descriptors (2.7.5.3) and the available ring (2.7.6).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "conf_env.h"

#define ARENA_SMALL	(4096 * CONF_PAGE)

static int desc_open(struct conf_env *e, unsigned int num, uint64_t features,
		     bool pair)
{
	struct conf_ring_opts o = {
		.num = num, .features = features, .max_table = 32,
	};

	return env_open(e, ARENA_SMALL, &o, pair);
}

/* Post one chain built from length lists, split as asked. */
static int desc_post(struct conf_env *e, struct conf_ring *r,
		     const uint32_t *rlens, const uint32_t *wlens,
		     unsigned int ndirect, uint32_t seed)
{
	struct conf_seg segs[64];
	unsigned int n = segs_make(e, segs, rlens, wlens);

	return ring_post_split(r, segs, n, ndirect < n ? ndirect : n, seed);
}

/*
 * Message framing.  The same 300-byte message goes through the ring
 * in seven different arrangements - one descriptor, three, thirty; split
 * unevenly; in an indirect table; half direct, half indirect - always with
 * the same seed, so the echo must write the same 300 bytes every time.
 * Then the same again with the echo in pair mode, where the readable and
 * the writable halves come from two different rings.
 */
static const uint32_t msg_300[] = { 300, 0 };
static const uint32_t msg_1_2_297[] = { 1, 2, 297, 0 };
static const uint32_t msg_100x3[] = { 100, 100, 100, 0 };
static const uint32_t msg_10x30[] = {
	10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10,
	10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0,
};
static const uint32_t msg_299_1[] = { 299, 1, 0 };
static const uint32_t msg_150x2[] = { 150, 150, 0 };
static const uint32_t msg_7_293[] = { 7, 293, 0 };
static const uint32_t msg_100_200[] = { 100, 200, 0 };

struct arrangement {
	const uint32_t *r, *w;
	unsigned int ndirect;	/* ~0u: all direct */
};

static const struct arrangement arrangements[] = {
	{ msg_300, msg_300, ~0u },
	{ msg_1_2_297, msg_100x3, ~0u },
	{ msg_10x30, msg_299_1, ~0u },
	{ msg_150x2, msg_7_293, ~0u },
	{ msg_1_2_297, msg_100x3, 0 },
	{ msg_100_200, msg_300, 1 },
	{ msg_1_2_297, msg_100x3, 4 },
};

#define NARRANGEMENTS (sizeof(arrangements) / sizeof(arrangements[0]))

int test_any_layout(void)
{
	struct conf_env e;
	unsigned int i;
	int rc = -1;

	if (desc_open(&e, 64, CONF_F_INDIRECT, false))
		goto out;
	for (i = 0; i < NARRANGEMENTS; i++)
		desc_post(&e, &e.r, arrangements[i].r, arrangements[i].w,
			  arrangements[i].ndirect, 0x300);
	if (env_run(&e, NARRANGEMENTS, "self mode, seven arrangements"))
		goto out;
	env_close(&e);

	if (desc_open(&e, 64, CONF_F_INDIRECT, true))
		goto out;
	for (i = 0; i < NARRANGEMENTS; i++) {
		const struct arrangement *a = &arrangements[i];
		const struct arrangement *b =
			&arrangements[(i + 3) % NARRANGEMENTS];

		desc_post(&e, &e.r, a->r, NULL, a->ndirect, 0x300);
		desc_post(&e, &e.out, NULL, b->w, b->ndirect, 0);
	}
	if (env_run(&e, NARRANGEMENTS, "pair mode, seven arrangements"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * Zero-length descriptors anywhere in a chain, each pointing at the first
 * byte of a guard page: they carry nothing, and touching them faults.
 */
int test_zero_length(void)
{
	struct conf_env e;
	int rc = -1;

	if (desc_open(&e, 32, CONF_F_INDIRECT, false))
		goto out;
	{	/* R0 R10 R0 | W0 W10 W0: len 10 */
		struct conf_seg t[6] = {
			seg_zero(&e, false), seg_r(&e, 10, CONF_AT_END),
			seg_zero(&e, false), seg_zero(&e, true),
			seg_w(&e, 10, CONF_AT_START), seg_zero(&e, true),
		};

		ring_post(&e.r, t, 6, CONF_DIRECT, 1);
	}
	{	/* a lone R0, a lone W0: len 0 */
		struct conf_seg r0 = seg_zero(&e, false);
		struct conf_seg w0 = seg_zero(&e, true);

		ring_post(&e.r, &r0, 1, CONF_DIRECT, 2);
		ring_post(&e.r, &w0, 1, CONF_DIRECT, 3);
	}
	{	/* R10 | W0 W0 W10: len 10 */
		struct conf_seg t[4] = {
			seg_r(&e, 10, CONF_AT_START), seg_zero(&e, true),
			seg_zero(&e, true), seg_w(&e, 10, CONF_AT_END),
		};

		ring_post(&e.r, t, 4, CONF_DIRECT, 4);
	}
	{	/* R0 R0 | W5: len 0 */
		struct conf_seg t[3] = {
			seg_zero(&e, false), seg_zero(&e, false),
			seg_w(&e, 5, CONF_AT_END),
		};

		ring_post(&e.r, t, 3, CONF_DIRECT, 5);
	}
	{	/* in a table: R0 R7 | W0 W7: len 7 */
		struct conf_seg t[4] = {
			seg_zero(&e, false), seg_r(&e, 7, CONF_AT_END),
			seg_zero(&e, true), seg_w(&e, 7, CONF_AT_START),
		};

		ring_post(&e.r, t, 4, CONF_INDIRECT, 6);
	}
	if (env_run(&e, 6, "zero-length descriptors"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/* A chain as long as the ring: N direct descriptors, or an N-entry table. */
int test_max_chain(void)
{
	static const uint32_t three8[] = { 3, 3, 3, 3, 3, 3, 3, 3, 0 };
	struct conf_env e;
	int rc = -1;

	if (desc_open(&e, 16, CONF_F_INDIRECT, false))
		goto out;
	desc_post(&e, &e.r, three8, three8, ~0u, 16);
	if (env_run(&e, 1, "a chain of 16 descriptors on a ring of 16"))
		goto out;
	desc_post(&e, &e.r, three8, three8, 0, 17);
	if (env_run(&e, 1, "an indirect table of 16 entries on a ring of 16"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * Readable buffers in read-only pages of the device's view (a write
 * faults), and in writable pages (where only the audit can tell), direct,
 * indirect and in pair mode, with more readable bytes than room so the
 * echo has every reason to look for space where there is none.
 */
static struct conf_seg seg_r_in_writable_page(struct conf_env *e, uint32_t len)
{
	struct conf_seg s = {
		.off = arena_buf(e->ar, len, CONF_WRITE, CONF_AT_END),
		.len = len,
		.writable = false,
	};
	return s;
}

int test_no_write_readable(void)
{
	static const uint32_t r_100_5000[] = { 100, 5000, 0 };
	static const uint32_t w_6000[] = { 6000, 0 };
	static const uint32_t w_50[] = { 50, 0 };
	static const uint32_t r_200[] = { 200, 0 };
	struct conf_env e;
	struct conf_seg s[3];
	int rc = -1, pair;

	for (pair = 0; pair < 2; pair++) {
		struct conf_ring *wr;

		if (desc_open(&e, 32, CONF_F_INDIRECT, pair))
			goto out;
		wr = pair ? &e.out : &e.r;
		desc_post(&e, &e.r, r_100_5000, pair ? NULL : w_6000, ~0u, 1);
		desc_post(&e, &e.r, r_200, pair ? NULL : w_50, ~0u, 2);
		desc_post(&e, &e.r, r_100_5000, pair ? NULL : w_6000, 0, 3);
		s[0] = seg_r_in_writable_page(&e, 64);
		s[1] = seg_r_in_writable_page(&e, 4000);
		s[2] = seg_w(&e, 1000, CONF_AT_START);
		ring_post(&e.r, s, pair ? 2 : 3, CONF_DIRECT, 4);
		if (pair) {
			desc_post(&e, wr, NULL, w_6000, ~0u, 0);
			desc_post(&e, wr, NULL, w_50, ~0u, 0);
			desc_post(&e, wr, NULL, w_6000, 0, 0);
			ring_post(wr, s + 2, 1, CONF_DIRECT, 0);
		}
		if (env_run(&e, 4, pair ? "pair mode" : "self mode"))
			goto out;
		env_close(&e);
	}
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * Writable space the echo has nothing to put in is PROT_NONE in the
 * device's view: reading it (or writing it) faults and breaks the ring.
 * x86 pages cannot be write-only, so where the device does write, a read
 * cannot be told from a write; this checks the part it must leave alone.
 */
static struct conf_seg seg_w_none(struct conf_env *e, uint32_t len)
{
	struct conf_seg s = {
		.off = arena_buf(e->ar, len, CONF_NONE, CONF_AT_START),
		.len = len,
		.writable = true,
	};
	return s;
}

int test_no_read_writable(void)
{
	struct conf_env e;
	struct conf_seg s[4];
	int rc = -1;

	if (desc_open(&e, 32, 0, false))
		goto out;
	s[0] = seg_r(&e, 16, CONF_AT_END);
	s[1] = seg_w(&e, 16, CONF_AT_START);
	s[2] = seg_w_none(&e, 4096);
	ring_post(&e.r, s, 3, CONF_DIRECT, 1);		/* len 16 */
	s[0] = seg_w_none(&e, 100);
	ring_post(&e.r, s, 1, CONF_DIRECT, 2);		/* len 0 */
	s[0] = seg_r(&e, 8, CONF_AT_START);
	s[1] = seg_w(&e, 8, CONF_AT_END);
	s[2] = seg_zero(&e, true);
	s[3] = seg_w_none(&e, 64);
	ring_post(&e.r, s, 4, CONF_DIRECT, 3);		/* len 8 */
	if (env_run(&e, 3, "self mode"))
		goto out;
	env_close(&e);

	if (desc_open(&e, 32, 0, true))
		goto out;
	s[0] = seg_r(&e, 10, CONF_AT_END);
	s[1] = seg_w_none(&e, 50);	/* an "in" chain is used with len 0 */
	ring_post(&e.r, s, 2, CONF_DIRECT, 4);
	s[0] = seg_w(&e, 10, CONF_AT_END);
	s[1] = seg_w_none(&e, 100);
	ring_post(&e.out, s, 2, CONF_DIRECT, 0);
	if (env_run(&e, 1, "pair mode"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * Readable buffers against guard pages on either side, of awkward
 * lengths, alone, several to a chain, and in indirect tables.  One byte
 * read too many, or too early, faults.
 */
int test_readable_bounds(void)
{
	static const uint32_t lens[] = { 1, 7, 64, 4095, 4096, 4097, 10000 };
	static const uint32_t multi[] = { 1, 4095, 4097, 3, 0 };
	static const uint32_t w_20000[] = { 20000, 0 };
	struct conf_env e;
	struct conf_seg s[2];
	unsigned int i, p;
	int rc = -1;

	if (desc_open(&e, 64, CONF_F_INDIRECT, false))
		goto out;
	for (i = 0; i < 7; i++)
		for (p = 0; p < 2; p++) {
			s[0] = seg_r(&e, lens[i], p ? CONF_AT_END : CONF_AT_START);
			s[1] = seg_w(&e, lens[i], CONF_AT_START);
			ring_post(&e.r, s, 2, i & 1 ? CONF_INDIRECT : CONF_DIRECT,
				  i * 2 + p);
		}
	desc_post(&e, &e.r, multi, w_20000, ~0u, 100);
	desc_post(&e, &e.r, multi, w_20000, 0, 101);
	if (env_run(&e, 16, "self mode"))
		goto out;
	env_close(&e);

	if (desc_open(&e, 64, CONF_F_INDIRECT, true))
		goto out;
	for (i = 0; i < 7; i++) {
		s[0] = seg_r(&e, lens[i], i & 1 ? CONF_AT_END : CONF_AT_START);
		ring_post(&e.r, s, 1, CONF_DIRECT, i);
		desc_post(&e, &e.out, NULL, w_20000, ~0u, 0);
	}
	if (env_run(&e, 7, "pair mode"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * Writable buffers against guard pages, smaller than what there is to
 * echo, so the device fills each to its last byte and not one further;
 * and one in the middle of a page whose other bytes must keep their
 * pattern.
 */
int test_writable_bounds(void)
{
	static const uint32_t lens[] = { 1, 100, 4095, 4096, 4097 };
	static const uint32_t r_16384[] = { 16384, 0 };
	static const uint32_t multi[] = { 1, 3000, 5000, 0 };
	struct conf_env e;
	struct conf_seg s[2];
	unsigned int i, p;
	int rc = -1, pair;

	for (pair = 0; pair < 2; pair++) {
		struct conf_ring *wr;

		if (desc_open(&e, 64, CONF_F_INDIRECT, pair))
			goto out;
		wr = pair ? &e.out : &e.r;
		for (i = 0; i < 5; i++)
			for (p = 0; p < 2; p++) {
				unsigned int n = 0;

				if (!pair)
					s[n++] = seg_r(&e, 16384, CONF_AT_START);
				else
					desc_post(&e, &e.r, r_16384, NULL, ~0u,
						  i * 2 + p);
				s[n++] = seg_w(&e, lens[i],
					       p ? CONF_AT_END : CONF_AT_START);
				ring_post(wr, s, n, i & 1 ? CONF_INDIRECT :
					  CONF_DIRECT, i * 2 + p);
			}
		desc_post(&e, &e.r, r_16384, pair ? NULL : multi, ~0u, 20);
		if (pair)
			desc_post(&e, wr, NULL, multi, ~0u, 0);
		s[0] = seg_r(&e, 1000, CONF_AT_START);
		s[1] = seg_w(&e, 4096, CONF_AT_START);
		s[1].off += 1000;
		s[1].len = 200;
		if (pair) {
			ring_post(&e.r, s, 1, CONF_DIRECT, 21);
			ring_post(wr, s + 1, 1, CONF_DIRECT, 0);
		} else {
			ring_post(wr, s, 2, CONF_DIRECT, 21);
		}
		if (env_run(&e, 12, pair ? "pair mode" : "self mode"))
			goto out;
		env_close(&e);
	}
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/* Scribble on next wherever NEXT is clear: the device must not care. */
static void desc_scribble_next(struct conf_ring *r, struct conf_chain *c)
{
	unsigned int i;

	for (i = 0; i < c->ndesc; i++)
		if (!(r->desc[c->descs[i]].flags & CONF_DESC_F_NEXT))
			r->desc[c->descs[i]].next = (uint16_t)(0xbeef + i);
	if (c->table_len) {
		struct conf_desc *t =
			(struct conf_desc *)(r->ar->drv + c->table_off);

		for (i = 0; i < c->table_len / 16; i++)
			if (!(t[i].flags & CONF_DESC_F_NEXT))
				t[i].next = (uint16_t)(0xfff0 + i);
	}
}

int test_next_without_flag(void)
{
	static const uint32_t r_3[] = { 30, 20, 10, 0 };
	static const uint32_t w_2[] = { 40, 25, 0 };
	struct conf_env e;
	int heads[5], rc = -1, i;

	if (desc_open(&e, 32, CONF_F_INDIRECT, false))
		goto out;
	heads[0] = desc_post(&e, &e.r, r_3, w_2, ~0u, 1);
	heads[1] = desc_post(&e, &e.r, r_3, NULL, ~0u, 2);
	heads[2] = desc_post(&e, &e.r, r_3, w_2, 0, 3);
	heads[3] = desc_post(&e, &e.r, r_3, w_2, 2, 4);
	heads[4] = desc_post(&e, &e.r, NULL, w_2, ~0u, 5);
	for (i = 0; i < 5; i++)
		desc_scribble_next(&e.r, &e.r.chains[heads[i]]);
	/* And one whose stale next would lead back to its own head. */
	e.r.desc[e.r.chains[heads[1]].descs[2]].next = (uint16_t)heads[1];
	if (env_run(&e, 5, "next set where NEXT is clear"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/* Move a chain's indirect table against a guard page. */
static void desc_move_table(struct conf_env *e, struct conf_ring *r, int head,
			    enum conf_place place)
{
	struct conf_chain *c = &r->chains[head];
	size_t off = arena_buf(e->ar, c->table_len, CONF_READ, place);

	memcpy(e->ar->drv + off, e->ar->drv + c->table_off, c->table_len);
	c->table_off = off;
	r->desc[c->descs[c->ndesc - 1]].addr = off;
}

int test_indirect(void)
{
	static const uint32_t r_40[] = { 40, 0 };
	static const uint32_t r_1234[] = { 1, 2, 3, 4, 0 };
	static const uint32_t w_5555[] = { 5, 5, 5, 5, 0 };
	static const uint32_t x8[] = { 10, 10, 10, 10, 10, 10, 10, 10, 0 };
	static const uint32_t x16[] = {
		9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0,
	};
	struct conf_env e;
	int rc = -1, h;

	if (desc_open(&e, 16, CONF_F_INDIRECT, false))
		goto out;
	desc_post(&e, &e.r, r_40, NULL, 0, 1);		/* 1 entry: len 0 */
	desc_post(&e, &e.r, r_40, r_40, 0, 2);		/* 2 entries */
	desc_post(&e, &e.r, r_1234, w_5555, 0, 3);	/* 8 entries */
	desc_post(&e, &e.r, x8, x8, 0, 4);		/* 16: the ring's size */
	h = desc_post(&e, &e.r, r_1234, w_5555, 0, 5);
	desc_move_table(&e, &e.r, h, CONF_AT_END);
	h = desc_post(&e, &e.r, r_1234, w_5555, 0, 6);
	desc_move_table(&e, &e.r, h, CONF_AT_START);
	if (env_run(&e, 6, "self mode"))
		goto out;
	env_close(&e);

	if (desc_open(&e, 16, CONF_F_INDIRECT, true))
		goto out;
	desc_post(&e, &e.r, x16, NULL, 0, 7);
	desc_post(&e, &e.out, NULL, w_5555, 0, 0);
	desc_post(&e, &e.r, r_1234, NULL, 0, 8);
	desc_post(&e, &e.out, NULL, x16, 0, 0);
	if (env_run(&e, 2, "pair mode"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

int test_indirect_write_flag(void)
{
	static const uint32_t r_20[] = { 20, 0 };
	static const uint32_t r_10_10[] = { 10, 10, 0 };
	static const uint32_t w_20[] = { 20, 0 };
	struct conf_env e;
	struct conf_chain *c;
	int rc = -1, h, i;

	if (desc_open(&e, 16, CONF_F_INDIRECT, false))
		goto out;
	for (i = 0; i < 3; i++) {
		if (i == 0)
			h = desc_post(&e, &e.r, r_20, w_20, 0, 1);
		else if (i == 1)
			h = desc_post(&e, &e.r, r_10_10, w_20, 1, 2);
		else
			h = desc_post(&e, &e.r, r_20, NULL, 0, 3);
		c = &e.r.chains[h];
		e.r.desc[c->descs[c->ndesc - 1]].flags |= CONF_DESC_F_WRITE;
	}
	if (env_run(&e, 3, "WRITE set on indirect descriptors"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

int test_chain_then_indirect(void)
{
	static const uint32_t r_567[] = { 5, 6, 7, 0 };
	static const uint32_t w_8_10[] = { 8, 10, 0 };
	struct conf_env e;
	unsigned int k;
	int rc = -1;

	if (desc_open(&e, 32, CONF_F_INDIRECT, false))
		goto out;
	for (k = 0; k <= 4; k++)
		desc_post(&e, &e.r, r_567, w_8_10, k, 10 + k);
	if (env_run(&e, 5, "0 to 4 direct descriptors, then a table"))
		goto out;
	env_close(&e);

	if (desc_open(&e, 32, CONF_F_INDIRECT, true))
		goto out;
	for (k = 1; k <= 2; k++) {
		desc_post(&e, &e.r, r_567, NULL, k, 20 + k);
		desc_post(&e, &e.out, NULL, w_8_10, 1, 0);
	}
	if (env_run(&e, 2, "pair mode"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * The available ring: the device takes heads from slot last % N up to
 * avail idx and no further.  Every slot beyond idx holds a head the device
 * would choke on (0xffff), idx starts near the end of the ring so the
 * slots wrap, and one round publishes only part of what it wrote.
 */
static void desc_poison_free_slots(struct conf_ring *r)
{
	uint16_t i, outstanding = (uint16_t)(r->posted - r->harvested);

	for (i = 0; i < r->num - outstanding; i++)
		ring_write_avail_slot(r, (uint16_t)(r->avail_idx + i), 0xffff);
}

int test_avail_ring(void)
{
	static const uint32_t r_33[] = { 33, 0 };
	struct conf_ring_opts o = { .num = 16, .start_idx = 13 };
	struct conf_env e;
	unsigned int round, i;
	char what[64];
	int rc = -1;

	if (env_open(&e, ARENA_SMALL, &o, false))
		goto out;
	for (round = 0; round < 6; round++) {
		for (i = 0; i < 5; i++)
			desc_post(&e, &e.r, r_33, r_33, ~0u, round * 10 + i);
		desc_poison_free_slots(&e.r);
		snprintf(what, sizeof(what), "round %u", round);
		if (round != 3) {
			if (env_run(&e, 5, what))
				goto out;
			continue;
		}
		ring_set_avail_idx(&e.r, (uint16_t)(e.r.avail_idx - 2));
		if (env_kick_and_check(&e, 3, "3 of 5 published"))
			goto out;
		if (env_run(&e, 2, "the other 2 published"))
			goto out;
	}
	rc = 0;
out:
	env_close(&e);
	return rc;
}
