// SPDX-License-Identifier: GPL-2.0
/*
 * Section 2.7's layout table: sizes, alignments, queue sizes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vringfd.h>
#include "conf_env.h"

/* Room for a ring of num and some buffers. */
static size_t layout_arena(unsigned int num)
{
	return conf_desc_size(num) + conf_avail_size(num) +
	       conf_used_size(num) + 2 * (size_t)num * 32 + 256 * CONF_PAGE;
}

/* One R+W chain (or, on a ring of one descriptor, a readable one). */
static int layout_post(struct conf_env *e, size_t rpool, size_t wpool,
		       unsigned int slot, uint32_t len, uint32_t seed)
{
	struct conf_seg s[2] = {
		{ rpool + slot * 32, len, false },
		{ wpool + slot * 32, len, true },
	};

	return ring_post(&e->r, s, e->r.num == 1 ? 1 : 2, CONF_DIRECT, seed);
}

static int layout_traffic(struct conf_env *e, unsigned int per_round,
			  unsigned int rounds, const char *what)
{
	size_t rpool = arena_pages(e->ar, 1 + per_round * 32 / CONF_PAGE,
				   CONF_READ);
	size_t wpool = arena_pages(e->ar, 1 + per_round * 32 / CONF_PAGE,
				   CONF_WRITE);
	unsigned int round, i;
	char buf[96];

	for (round = 0; round < rounds; round++) {
		for (i = 0; i < per_round; i++)
			layout_post(e, rpool, wpool, i, 24 + i % 8,
				    round * 1000 + i);
		snprintf(buf, sizeof(buf), "%s, round %u", what, round);
		if (env_run(e, per_round, buf))
			return -1;
	}
	return 0;
}

/*
 * Queue Size is a power of two up to 32768, and a device has to work
 * at every one of them: the suite runs buffers through rings of 1, 2, 4,
 * ... 32768 descriptors, three rounds each so the indices go round the
 * smaller rings several times.
 */
int test_queue_size(void)
{
	unsigned int num;
	char what[64];

	for (num = 1; num <= 32768; num *= 2) {
		struct conf_ring_opts o = { .num = num };
		struct conf_env e;
		unsigned int per = num == 1 ? 1 : num / 2 < 4 ? num / 2 : 4;
		int rc;

		snprintf(what, sizeof(what), "queue size %u", num);
		rc = env_open(&e, layout_arena(num), &o, false);
		if (!rc)
			rc = layout_traffic(&e, per, 3, what);
		env_close(&e);
		if (rc)
			return -1;
	}
	return 0;
}

/*
 * 2.7.13: the maximum size is 32768 so that a 16-bit idx can tell a full
 * ring from an empty one.  Fill a 32768 ring completely (avail idx exactly
 * N ahead of used idx), twice, so the second round ends with idx at 65536
 * = 0.  Single-descriptor readable chains: each must come back with len 0.
 */
int test_full_ring(void)
{
	const unsigned int num = 32768;
	struct conf_ring_opts o = { .num = num };
	struct conf_env e;
	unsigned int round, i;
	size_t pool;
	int rc = -1;

	if (env_open(&e, layout_arena(num), &o, false))
		goto out;
	pool = arena_pages(e.ar, num * 8 / CONF_PAGE, CONF_READ);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < num; i++) {
			struct conf_seg s = { pool + 8 * (size_t)i, 8, false };

			ring_post(&e.r, &s, 1, CONF_DIRECT, i);
		}
		if (env_run(&e, num, round ? "second full ring" :
					     "first full ring"))
			goto out;
	}
	CONF_CHECK_OUT(ring_used_idx(&e.r) == 0,
		       "after 65536 buffers used idx is %u, not 0", ring_used_idx(&e.r));
	rc = 0;
out:
	env_close(&e);
	return rc;
}

/*
 * The table gives minimum alignments: 16 for descriptors, 2 for the
 * available ring, 4 for the used ring.  Put each part at an address with
 * exactly that alignment and no more (48, 2 and 12 bytes into a page).
 */
int test_alignment(void)
{
	static const uint64_t features[] = {
		0, CONF_F_EVENT_IDX, CONF_F_INDIRECT | CONF_F_EVENT_IDX,
	};
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct conf_ring_opts o = {
			.num = 16, .features = features[i],
			.desc_in_page = 48, .avail_in_page = 2,
			.used_in_page = 12,
		};
		struct conf_env e;
		char what[64];
		int rc;

		snprintf(what, sizeof(what), "features 0x%llx",
			 (unsigned long long)features[i]);
		rc = env_open(&e, layout_arena(16), &o, false);
		if (!rc)
			rc = layout_traffic(&e, 6, 3, what);
		env_close(&e);
		if (rc)
			return -1;
	}
	return 0;
}

/*
 * The device must keep within 16*N, 6+2*N and 6+8*N bytes.  Each part
 * sits first right after a guard page, then right before one, and enough
 * traffic goes through to use every descriptor and every ring slot,
 * including the event index words at the very end (EVENT_IDX).
 */
int test_part_sizes(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		struct conf_ring_opts o = {
			.num = 64,
			.features = i & 1 ? CONF_F_EVENT_IDX : 0,
			.parts_at_end = i >= 2,
		};
		struct conf_env e;
		char what[64];
		int rc;

		snprintf(what, sizeof(what), "parts %s guard pages%s",
			 i >= 2 ? "ending at" : "starting after",
			 i & 1 ? ", EVENT_IDX" : "");
		rc = env_open(&e, layout_arena(64), &o, false);
		if (!rc)
			rc = layout_traffic(&e, 32, 4, what);
		env_close(&e);
		if (rc)
			return -1;
	}
	return 0;
}

/* Not a spec statement: vringfd's own refusal of impossible layouts. */
static int setup_expect_einval(int fd, const char *what,
			       struct vring_setup s)
{
	errno = 0;
	CONF_CHECK(ioctl(fd, VRINGSETUP, &s) == -1 && errno == EINVAL,
		   "VRINGSETUP with %s: %s, expected EINVAL", what,
		   errno ? strerror(errno) : "accepted");
	return 0;
}

int test_setup_rejects(void)
{
	struct conf_arena *ar = arena_new(64 * CONF_PAGE);
	size_t d = arena_pages(ar, 2, CONF_READ);
	size_t a = arena_pages(ar, 1, CONF_READ);
	size_t u = arena_pages(ar, 1, CONF_WRITE);
	struct vring_setup good = {
		.num = 64,
		.desc = arena_dev_addr(ar, d),
		.avail = arena_dev_addr(ar, a),
		.used = arena_dev_addr(ar, u),
	}, s;
	static const unsigned int bad_num[] = { 0, 3, 6, 48, 32769, 65536 };
	static const uint64_t bad_features[] = {
		1ULL << 0, 1ULL << 27, 1ULL << 32, 1ULL << 34, 1ULL << 35,
	};
	int fd = conf_open_vring(), rc = -1;
	unsigned int i;
	char what[64];

	memset(ar->drv + u, 0, 4);
	for (i = 0; i < sizeof(bad_num) / sizeof(bad_num[0]); i++) {
		s = good;
		s.num = bad_num[i];
		snprintf(what, sizeof(what), "num %u", bad_num[i]);
		if (setup_expect_einval(fd, what, s))
			goto out;
	}
	for (i = 0; i < sizeof(bad_features) / sizeof(bad_features[0]); i++) {
		s = good;
		s.features = bad_features[i];
		snprintf(what, sizeof(what), "features 0x%llx",
			 (unsigned long long)bad_features[i]);
		if (setup_expect_einval(fd, what, s))
			goto out;
	}
	s = good;
	s.desc += 8;
	if (setup_expect_einval(fd, "desc 8-byte aligned", s))
		goto out;
	s = good;
	s.avail += 1;
	if (setup_expect_einval(fd, "avail at an odd address", s))
		goto out;
	s = good;
	s.used += 2;
	if (setup_expect_einval(fd, "used 2-byte aligned", s))
		goto out;
	s = good;
	s.flags = 1;
	if (setup_expect_einval(fd, "flags 1", s))
		goto out;
	CONF_CHECK_OUT(ioctl(fd, VRINGSETUP, &good) == 0,
		       "VRINGSETUP of a valid ring after the refusals: %m");
	rc = 0;
out:
	close(fd);
	arena_free(ar);
	return rc;
}
