// SPDX-License-Identifier: GPL-2.0
/*
 * Bytes through the echo consumer: self mode and pair mode, legacy and
 * split layouts, indirect tables, odd chain shapes, index wrap-around and
 * the largest ring.  Every check compares the bytes that came back, and
 * the used entries, with what was sent.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vringfd.h"
#include "vringfd_tests.h"

#define INDIRECT (1ULL << VRINGFD_F_INDIRECT_DESC)
#define EVENT_IDX (1ULL << VRINGFD_F_EVENT_IDX)

/* Take the next used entry and compare it with what we expect. */
static bool expect_used(struct test_ring *r, uint16_t head, uint32_t len)
{
	uint32_t id, got_len;

	if (!driver_ring_get_used(&r->driver, &id, &got_len)) {
		tap_diag("  no used entry (used->idx %u)", driver_ring_used_idx(&r->driver));
		return false;
	}
	if (id != head || got_len != len) {
		tap_diag("  used {id %u, len %u}, want {%u, %u}", id, got_len,
			 head, len);
		return false;
	}
	return true;
}

static bool kick(struct test_ring *r)
{
	if (write(r->fd, "", 0) == 0)
		return true;
	tap_diag("  kick: %s", strerror(errno));
	return false;
}

static void test_echo_sizes(struct test_ring *r, struct arena *a)
{
	static const uint32_t sizes[] = { 0, 1, 100, 4096, 16384, 16385, 65536 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		tap_ok(echo_roundtrip(r, a->start, a->start + 128 * 1024,
				      sizes[i], 10 + i),
		       "self mode round trip, %u bytes", sizes[i]);
}

/* Several readable and writable pieces: the bytes flow across them. */
static void test_echo_scatter(struct test_ring *r, struct arena *a, int echo_fd)
{
	uint8_t *in = a->start, *out = a->start + 4096, *expect = a->start + 8192;
	struct seg segs[] = {
		{ in, 10, false }, { in + 100, 20, false }, { in + 200, 30, false },
		{ out, 25, true }, { out + 100, 100, true },
	};
	struct vring_echo_stats before, after;
	uint16_t head;

	pattern_fill(expect, 60, 77);
	memcpy(in, expect, 10);
	memcpy(in + 100, expect + 10, 20);
	memcpy(in + 200, expect + 30, 30);
	memset(out, 0, 300);
	head = ring_add_chain(r, segs, 5);
	driver_ring_publish(&r->driver);
	kick(r);
	tap_ok(expect_used(r, head, 60), "3 readable + 2 writable pieces: used len 60");
	tap_ok(!memcmp(out, expect, 25) && !memcmp(out + 100, expect + 25, 35) &&
	       out[135] == 0 && out[25] == 0,
	       "the 60 bytes landed across both writable pieces, in order");

	/* Too little room: the rest is dropped and counted. */
	echo_stats(echo_fd, &before);
	segs[0] = (struct seg){ in, 100, false };
	segs[1] = (struct seg){ out, 40, true };
	pattern_fill(in, 100, 78);
	memset(out, 0, 100);
	head = ring_add_chain(r, segs, 2);
	driver_ring_publish(&r->driver);
	kick(r);
	echo_stats(echo_fd, &after);
	tap_ok(expect_used(r, head, 40), "100 bytes into 40 bytes of room: used len 40");
	tap_ok(pattern_check(out, 40, 78) && out[40] == 0,
	       "the first 40 bytes came back, nothing past the buffer");
	tap_ok(after.truncated - before.truncated == 60 &&
	       after.bytes - before.bytes == 40 && after.chains - before.chains == 1,
	       "echo stats: +1 chain, +40 bytes, +60 truncated");

	/* No room at all, and empty descriptors sprinkled in. */
	head = ring_add_chain(r, segs, 1);
	driver_ring_publish(&r->driver);
	kick(r);
	tap_ok(expect_used(r, head, 0), "a chain with no writable part: used len 0");
	segs[0] = (struct seg){ in, 0, false };
	segs[1] = (struct seg){ in, 10, false };
	segs[2] = (struct seg){ out, 0, true };
	segs[3] = (struct seg){ out, 20, true };
	pattern_fill(in, 10, 79);
	memset(out, 0, 20);
	head = ring_add_chain(r, segs, 4);
	driver_ring_publish(&r->driver);
	kick(r);
	tap_ok(expect_used(r, head, 10) && pattern_check(out, 10, 79),
	       "zero-length descriptors are skipped: 10 bytes back");
}

/* Many chains, one kick: all used, in order, each with its own bytes. */
static void test_echo_batch(struct test_ring *r, struct arena *a, unsigned int n)
{
	uint16_t heads[256];
	unsigned int i, good = 0;

	for (i = 0; i < n; i++) {
		struct seg segs[2] = {
			{ a->start + i * 256, 100 + i % 50, false },
			{ a->start + 128 * 1024 + i * 256, 200, true },
		};

		pattern_fill(segs[0].buf, segs[0].len, 1000 + i);
		memset(segs[1].buf, 0, 200);
		heads[i] = ring_add_chain(r, segs, 2);
	}
	driver_ring_publish(&r->driver);
	tap_ok(kick(r), "one kick for %u chains", n);
	tap_ok(driver_ring_used_idx(&r->driver) == (uint16_t)(r->driver.last_used + n),
	       "all %u chains used by the time write() returned", n);
	for (i = 0; i < n; i++)
		if (expect_used(r, heads[i], 100 + i % 50) &&
		    pattern_check(a->start + 128 * 1024 + i * 256, 100 + i % 50, 1000 + i))
			good++;
	tap_ok(good == n, "%u of %u chains came back in order with their bytes", good, n);
}

/* A ring fully offered: avail->idx exactly num ahead is legal. */
static void test_echo_full(struct arena *a)
{
	struct test_ring r;
	unsigned int i;
	int echo;

	ring_create(&r, 8, 0, RING_LEGACY);
	echo = echo_open();
	echo_attach(echo, r.fd, -1);
	for (i = 0; i < 8; i++) {
		struct seg seg = { a->start + i * 64, 64, true };

		ring_add_chain(&r, &seg, 1);
	}
	driver_ring_publish(&r.driver);
	tap_ok(kick(&r) && driver_ring_used_idx(&r.driver) == 8,
	       "avail->idx exactly num (8) ahead: all 8 used");
	TAP_OK_CALL(echo_detach(echo), "detach");
	ring_clear(&r);
	ring_setup_again(&r);
	echo_attach(echo, r.fd, -1);
	{
		/* One chain of exactly num descriptors. */
		struct seg segs[8];

		for (i = 0; i < 8; i++)
			segs[i] = (struct seg){ a->start + i * 64, 16, i >= 4 };
		pattern_fill(a->start, 16, 5);
		pattern_fill(a->start + 64, 16, 6);
		pattern_fill(a->start + 128, 16, 7);
		pattern_fill(a->start + 192, 16, 8);
		ring_add_chain(&r, segs, 8);
		driver_ring_publish(&r.driver);
		kick(&r);
		tap_ok(expect_used(&r, 0, 64) &&
		       pattern_check(a->start + 256, 16, 5) &&
		       pattern_check(a->start + 448, 16, 8),
		       "a chain of exactly num (8) descriptors is echoed");
	}
	close(echo);
	ring_free(&r);
}

/* Buffers made available before the attach are processed by the attach. */
static void test_echo_attach_runs(struct arena *a)
{
	struct test_ring r;
	uint8_t *in = a->start, *out = a->start + 4096;
	struct seg segs[2] = { { in, 300, false }, { out, 300, true } };
	int echo;

	ring_create(&r, 16, 0, RING_LEGACY);
	pattern_fill(in, 300, 31);
	memset(out, 0, 300);
	ring_add_chain(&r, segs, 2);
	driver_ring_publish(&r.driver);
	echo = echo_open();
	TAP_OK_CALL(echo_attach(echo, r.fd, -1), "attach with a chain already waiting");
	tap_ok(wait_used_idx(&r, 1, 5000) && pattern_check(out, 300, 31),
	       "the attach alone echoed the waiting chain");
	close(echo);
	ring_free(&r);
}

/* Indices start at used->idx, and run through 65535 to 0. */
static void test_echo_indices(struct arena *a, uint16_t start)
{
	struct vring_status st;
	struct test_ring r;
	unsigned int i, good = 0;
	int echo;

	ring_alloc(&r, 16, 0, RING_LEGACY);
	r.driver.vr.used->idx = start;
	r.driver.vr.avail->idx = start;
	r.driver.last_used = start;
	r.driver.avail_idx = start;
	ring_open(&r);
	ring_status(&r, &st);
	tap_ok(st.last_avail == start && st.used_idx == start,
	       "set up with used->idx %u: status last_avail %u, used_idx %u",
	       start, st.last_avail, st.used_idx);
	echo = echo_open();
	echo_attach(echo, r.fd, -1);
	for (i = 0; i < 40; i++)
		good += echo_roundtrip(&r, a->start, a->start + 4096, 64, i);
	tap_ok(good == 40 && driver_ring_used_idx(&r.driver) == (uint16_t)(start + 40),
	       "40 round trips from index %u: all good, used->idx %u",
	       start, driver_ring_used_idx(&r.driver));
	close(echo);
	ring_free(&r);
}

/* A split ring with both features, and an indirect table. */
static void test_echo_split(struct arena *a)
{
	struct vring_desc *table = (struct vring_desc *)(a->start + 8192);
	uint8_t *in = a->start, *out = a->start + 4096;
	struct test_ring r;
	int echo;

	if (!TAP_OK_CALL(ring_create(&r, 64, INDIRECT | EVENT_IDX, RING_SPLIT),
			 "split layout ring with INDIRECT_DESC and EVENT_IDX"))
		return;
	echo = echo_open();
	echo_attach(echo, r.fd, -1);
	tap_ok(echo_roundtrip(&r, in, out, 1500, 90), "split ring: round trip");

	table[0] = (struct vring_desc){ (uintptr_t)in, 64, VRING_DESC_F_NEXT, 1 };
	table[1] = (struct vring_desc){ (uintptr_t)in + 1000, 36, VRING_DESC_F_NEXT, 2 };
	table[2] = (struct vring_desc){ (uintptr_t)out, 200, VRING_DESC_F_WRITE, 0 };
	pattern_fill(in, 64, 91);
	pattern_fill(in + 1000, 36, 92);
	memset(out, 0, 200);
	driver_ring_set_desc(&r.driver, 5, (uintptr_t)table, 3 * sizeof(*table),
			     VRING_DESC_F_INDIRECT, 0);
	driver_ring_add_head(&r.driver, 5);
	driver_ring_publish(&r.driver);
	kick(&r);
	tap_ok(expect_used(&r, 5, 100), "indirect chain: used {head 5, len 100}");
	tap_ok(pattern_check(out, 64, 91) && pattern_check(out + 64, 36, 92) &&
	       out[100] == 0, "indirect chain: both readable pieces came back");
	close(echo);
	ring_free(&r);
}

void test_echo(void)
{
	struct test_ring r;
	struct arena a;
	int echo;

	if (arena_create(&a, 256 * 1024) ||
	    !TAP_OK_CALL(ring_create(&r, 256, 0, RING_LEGACY),
			 "vringfd() on a 256-entry legacy ring"))
		return;
	echo = echo_open();
	TAP_OK_CALL(echo, "open /dev/vring_echo");
	TAP_OK_CALL(echo_attach(echo, r.fd, -1), "attach the echo in self mode");
	test_echo_sizes(&r, &a);
	test_echo_scatter(&r, &a, echo);
	/* Two descriptors a chain: 128 chains fill all 256 descriptors. */
	test_echo_batch(&r, &a, 128);
	close(echo);
	ring_free(&r);

	test_echo_full(&a);
	test_echo_attach_runs(&a);
	test_echo_indices(&a, 7);
	test_echo_indices(&a, 65520);
	test_echo_split(&a);
	arena_destroy(&a);
}

/* Pair mode: chains on "in" are copied into buffers on "out". */
static unsigned int pair_offer_out(struct test_ring *out, struct arena *a,
				   unsigned int first, unsigned int n)
{
	unsigned int i;

	for (i = first; i < first + n; i++) {
		struct seg seg = { a->start + 128 * 1024 + i * 2048, 1500, true };

		memset(seg.buf, 0, 1500);
		ring_add_chain(out, &seg, 1);
	}
	driver_ring_publish(&out->driver);
	return n;
}

static void pair_offer_in(struct test_ring *in, struct arena *a,
			  unsigned int first, unsigned int n)
{
	unsigned int i;

	for (i = first; i < first + n; i++) {
		struct seg seg = { a->start + i * 2048, 100 * (i + 1), false };

		pattern_fill(seg.buf, seg.len, 500 + i);
		ring_add_chain(in, &seg, 1);
	}
	driver_ring_publish(&in->driver);
}

/* Check n pairs: in used with len 0, out used with the in chain's bytes. */
static bool pair_check(struct test_ring *in, struct test_ring *out,
		       struct arena *a, unsigned int first, unsigned int n)
{
	unsigned int i;
	bool good = true;

	for (i = first; i < first + n; i++) {
		good &= expect_used(in, i, 0);
		good &= expect_used(out, i, 100 * (i + 1));
		if (!pattern_check(a->start + 128 * 1024 + i * 2048, 100 * (i + 1), 500 + i)) {
			tap_diag("  out buffer %u does not hold in chain %u's bytes", i, i);
			good = false;
		}
	}
	return good;
}

void test_pair(void)
{
	struct test_ring in, out;
	struct vring_echo_stats st;
	struct arena a;
	int echo, dup_fd;

	if (arena_create(&a, 256 * 1024) || ring_create(&in, 64, 0, RING_LEGACY) < 0 ||
	    ring_create(&out, 64, 0, RING_SPLIT) < 0) {
		tap_ok(false, "pair: rings: %s", strerror(errno));
		return;
	}
	echo = echo_open();
	dup_fd = dup(in.fd);
	TAP_ERRNO(echo_attach(echo, in.fd, dup_fd), EBUSY,
		  "pair attach with in and out the same ring (two fds) fails with EBUSY");
	close(dup_fd);
	TAP_OK_CALL(echo_attach(echo, in.fd, out.fd), "attach the echo in pair mode");

	pair_offer_out(&out, &a, 0, 4);
	pair_offer_in(&in, &a, 0, 4);
	tap_ok(kick(&in), "kick the in ring");
	tap_ok(driver_ring_used_idx(&in.driver) == 4 &&
	       driver_ring_used_idx(&out.driver) == 4,
	       "4 in chains and 4 out buffers used (in %u, out %u)",
	       driver_ring_used_idx(&in.driver), driver_ring_used_idx(&out.driver));
	tap_ok(pair_check(&in, &out, &a, 0, 4),
	       "in chains used with len 0, out buffers hold their bytes");

	/* No out buffer: the in chains wait, and a kick on out resumes. */
	pair_offer_in(&in, &a, 4, 3);
	kick(&in);
	tap_ok(driver_ring_used_idx(&in.driver) == 4 &&
	       driver_ring_used_idx(&out.driver) == 4,
	       "with no out buffer the in chains wait");
	pair_offer_out(&out, &a, 4, 2);
	tap_ok(kick(&out), "kick the out ring");
	tap_ok(driver_ring_used_idx(&in.driver) == 6 &&
	       driver_ring_used_idx(&out.driver) == 6,
	       "two out buffers let two in chains through (in %u, out %u)",
	       driver_ring_used_idx(&in.driver), driver_ring_used_idx(&out.driver));
	pair_offer_out(&out, &a, 6, 1);
	kick(&out);
	tap_ok(pair_check(&in, &out, &a, 4, 3), "the 3 late chains came back right");

	echo_stats(echo, &st);
	tap_ok(st.chains == 7 && st.bytes == 100 * (1 + 2 + 3 + 4 + 5 + 6 + 7) &&
	       st.truncated == 0,
	       "echo stats: 7 chains, 2800 bytes (%llu, %llu, %llu truncated)",
	       (unsigned long long)st.chains, (unsigned long long)st.bytes,
	       (unsigned long long)st.truncated);
	close(echo);
	ring_free(&in);
	ring_free(&out);
	arena_destroy(&a);
}

/*
 * The largest ring, 32768 entries, in the legacy layout: two batches of
 * 16384 two-descriptor chains fill every descriptor and every avail slot.
 */
#define BIG_NUM 32768
#define BIG_BATCH (BIG_NUM / 2)

void test_big_ring(void)
{
	struct test_ring r;
	struct arena a;
	unsigned int batch, i, good;
	double t0;
	int echo;

	if (arena_create(&a, BIG_BATCH * 32) ||
	    !TAP_OK_CALL(ring_create(&r, BIG_NUM, 0, RING_LEGACY),
			 "vringfd() on a %u-entry ring (%lu bytes)", BIG_NUM,
			 vringfd_legacy_size(BIG_NUM)))
		return;
	echo = echo_open();
	echo_attach(echo, r.fd, -1);
	for (batch = 0; batch < 3; batch++) {
		for (i = 0; i < BIG_BATCH; i++) {
			uint8_t *in = a.start + i * 32;
			struct seg segs[2] = { { in, 8, false }, { in + 8, 24, true } };

			pattern_fill(in, 8, batch * BIG_BATCH + i);
			memset(in + 8, 0, 24);
			ring_add_chain(&r, segs, 2);
		}
		driver_ring_publish(&r.driver);
		t0 = now_ms();
		kick(&r);
		tap_diag("batch %u: %u chains echoed in %.0f ms", batch,
			 BIG_BATCH, now_ms() - t0);
		good = 0;
		for (i = 0; i < BIG_BATCH; i++) {
			uint32_t id, len;

			if (driver_ring_get_used(&r.driver, &id, &len) && id == (2 * i) % BIG_NUM &&
			    len == 8 && pattern_check(a.start + i * 32 + 8, 8,
						       batch * BIG_BATCH + i))
				good++;
		}
		tap_ok(good == BIG_BATCH,
		       "big ring batch %u (avail slots %u..%u): %u of %u chains right",
		       batch, (batch * BIG_BATCH) % BIG_NUM,
		       (batch * BIG_BATCH) % BIG_NUM + BIG_BATCH - 1, good, BIG_BATCH);
	}
	close(echo);
	ring_free(&r);
	arena_destroy(&a);
}
