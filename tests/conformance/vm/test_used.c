// SPDX-License-Identifier: GPL-2.0
/*
 * The used ring (2.7.8): what goes in an entry, and where.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "conf_env.h"

#define ARENA_USED	(2048 * CONF_PAGE)

/*
 * A used entry names the head of the chain it returns.  Heads here
 * come from a shuffled free list, so they are neither in order nor equal
 * to the avail slot; every chain has the same lengths and differs only in
 * its bytes, so a wrong id shows up as the wrong bytes in the buffer the
 * id names.  Every chain must come back exactly once.
 */
int test_used_id(void)
{
	struct conf_ring_opts o = {
		.num = 64, .features = CONF_F_INDIRECT, .max_table = 8,
	};
	struct conf_env e;
	struct conf_seg s[3];
	unsigned int round, i;
	char what[64];
	int rc = -1, pair;

	for (pair = 0; pair < 2; pair++) {
		if (env_open(&e, ARENA_USED, &o, pair))
			goto out;
		for (round = 0; round < 5; round++) {
			for (i = 0; i < 20; i++) {
				enum conf_layout l = (enum conf_layout)(i % 3);

				s[0] = seg_r(&e, 20, CONF_AT_END);
				s[1] = seg_r(&e, 20, CONF_AT_START);
				s[2] = seg_w(&e, 40, CONF_AT_END);
				if (pair) {
					ring_post(&e.r, s, 2, l, round * 100 + i);
					ring_post(&e.out, s + 2, 1, CONF_DIRECT, 0);
				} else {
					ring_post(&e.r, s, 3, l, round * 100 + i);
				}
			}
			snprintf(what, sizeof(what), "%s, round %u",
				 pair ? "pair mode" : "self mode", round);
			if (env_run(&e, 20, what))
				goto out;
		}
		CONF_CHECK_OUT(e.r.posted == e.r.harvested,
			       "%u chains posted, %u came back",
			       e.r.posted, e.r.harvested);
		env_close(&e);
	}
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * len is the number of bytes written: as much as was readable when it
 * fits, as much as fits when it does not, 0 when there is nothing to read
 * or nowhere to write, and 0 for an "in" chain in pair mode.  The audit
 * adds that no byte beyond len changed.
 */
struct len_case {
	uint32_t r[3], w[4];
};

static const struct len_case len_cases[] = {
	{ { 50 }, { 50 } },
	{ { 10 }, { 100 } },
	{ { 100 }, { 10 } },
	{ { 0 }, { 30 } },
	{ { 30 }, { 0 } },
	{ { 3, 4 }, { 2, 2, 2 } },
	{ { 4096 }, { 4095, 2 } },
};

#define NLEN_CASES (sizeof(len_cases) / sizeof(len_cases[0]))

int test_used_len(void)
{
	static const uint32_t w_10[] = { 10, 0 };
	struct conf_ring_opts o = { .num = 32 };
	struct conf_env e;
	struct conf_seg s[8];
	unsigned int i, n;
	int rc = -1;

	if (env_open(&e, ARENA_USED, &o, false))
		goto out;
	for (i = 0; i < NLEN_CASES; i++) {
		n = segs_make(&e, s, len_cases[i].r, len_cases[i].w);
		ring_post(&e.r, s, n, CONF_DIRECT, i);
	}
	if (env_run(&e, NLEN_CASES, "self mode"))
		goto out;
	env_close(&e);

	if (env_open(&e, ARENA_USED, &o, true))
		goto out;
	for (i = 0; i < NLEN_CASES; i++) {
		/* "in" chains with writable parts of their own: len 0. */
		if (!len_cases[i].r[0])
			continue;
		n = segs_make(&e, s, len_cases[i].r, w_10);
		ring_post(&e.r, s, n, CONF_DIRECT, i);
		n = segs_make(&e, s, NULL, len_cases[(i + 1) % NLEN_CASES].w[0] ?
			      len_cases[(i + 1) % NLEN_CASES].w : w_10);
		ring_post(&e.out, s, n, CONF_DIRECT, 0);
	}
	if (env_run(&e, NLEN_CASES - 1, "pair mode"))
		goto out;
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * used idx is where the next entry goes: it starts where the ring starts
 * (0 for a new ring; vringfd continues from whatever used->idx holds at
 * VRINGSETUP) and goes up by exactly one per entry, across 65535 -> 0.
 */
static int used_idx_from(uint16_t start)
{
	static const unsigned int batches[] = { 1, 3, 2, 4, 1, 4 };
	struct conf_ring_opts o = { .num = 8, .start_idx = start };
	struct conf_env e;
	uint16_t expect = start;
	unsigned int b, k;
	char what[64];
	int rc = -1;

	if (env_open(&e, ARENA_USED, &o, false))
		goto out;
	CONF_CHECK_OUT(ring_used_idx(&e.r) == expect,
		       "used idx %u after setup and attach, expected %u",
		       ring_used_idx(&e.r), expect);
	for (b = 0; b < 6; b++) {
		for (k = 0; k < batches[b]; k++) {
			struct conf_seg s[2] = {
				seg_r(&e, 16, CONF_AT_END),
				seg_w(&e, 16, CONF_AT_START),
			};

			ring_post(&e.r, s, 2, CONF_DIRECT, b * 10 + k);
		}
		snprintf(what, sizeof(what), "start %u, batch %u", start, b);
		if (env_run(&e, batches[b], what))
			goto out;
		expect += batches[b];
		CONF_CHECK_OUT(ring_used_idx(&e.r) == expect,
			       "%s: used idx %u, expected %u", what,
			       ring_used_idx(&e.r), expect);
	}
	rc = 0;
out:
	env_close(&e);
	return rc;
}

int test_used_idx(void)
{
	if (used_idx_from(0) || used_idx_from(1234) || used_idx_from(65533))
		return -1;
	return 0;
}
