// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile rings.  Each case builds a ring that lies in one way, kicks it,
 * and checks what the owner must see: the kick fails with EIO, poll()
 * reports POLLERR, a second kick fails with EIO too, VRINGGETSTATUS says
 * broken with a reason naming the fault, and no byte outside the window
 * [base, base + limit) changed (the window sits between two canary-filled
 * guard pages).  Then a fresh VRINGSETUP must make the ring work again.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vringfd.h"
#include "vringfd_tests.h"

#define INDIRECT (1ULL << VRINGFD_F_INDIRECT_DESC)
#define HOSTILE_NUM 8
#define ARENA_LEN (64 * 1024)

/* Offsets in the arena (the window) where the cases put things. */
#define IN_OFF		0
#define OUT_OFF		4096
#define TABLE_OFF	8192
#define TABLE2_OFF	12288
#define HOLE_OFF	16384	/* a page the cases may mprotect */

enum window { WINDOW_ARENA, WINDOW_NONE, WINDOW_HUGE };

struct hostile {
	struct test_ring r;
	struct arena a;
	int echo;
};

struct hostile_case {
	const char *name;
	const char *reason;	/* a word the broken reason must contain */
	uint64_t features;
	enum window window;
	void (*build)(struct hostile *h);
	void (*repair)(struct hostile *h);
};

/* A descriptor pointing at an arena offset. */
static void desc(struct hostile *h, uint16_t i, uint64_t off, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	driver_ring_set_desc(&h->r.driver, i, off, len, flags, next);
}

static struct vring_desc *table(struct hostile *h, size_t off)
{
	return (struct vring_desc *)(h->a.start + off);
}

static void offer(struct hostile *h, uint16_t head)
{
	driver_ring_add_head(&h->r.driver, head);
	driver_ring_publish(&h->r.driver);
}

/* Both readable, so that only the loop is wrong with it. */
static void build_loop(struct hostile *h)
{
	desc(h, 0, IN_OFF, 16, VRING_DESC_F_NEXT, 1);
	desc(h, 1, IN_OFF + 16, 16, VRING_DESC_F_NEXT, 0);
	offer(h, 0);
}

static void build_self_loop(struct hostile *h)
{
	desc(h, 3, IN_OFF, 16, VRING_DESC_F_NEXT, 3);
	offer(h, 3);
}

static void build_next_beyond(struct hostile *h)
{
	desc(h, 0, IN_OFF, 16, VRING_DESC_F_NEXT, HOSTILE_NUM);
	offer(h, 0);
}

static void build_head_beyond(struct hostile *h)
{
	desc(h, 0, IN_OFF, 16, 0, 0);
	offer(h, HOSTILE_NUM);
}

static void build_head_ffff(struct hostile *h)
{
	offer(h, 0xffff);
}

static void build_avail_ahead(struct hostile *h)
{
	desc(h, 0, IN_OFF, 16, 0, 0);
	h->r.driver.avail_idx += HOSTILE_NUM + 1;
	driver_ring_publish(&h->r.driver);
}

static void build_avail_backwards(struct hostile *h)
{
	h->r.driver.avail_idx -= 1;
	driver_ring_publish(&h->r.driver);
}

/* A valid two-entry table: readable then writable. */
static void good_table(struct hostile *h, size_t off)
{
	struct vring_desc *t = table(h, off);

	t[0] = (struct vring_desc){ IN_OFF, 16, VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ OUT_OFF, 16, VRING_DESC_F_WRITE, 0 };
}

static void build_indirect_unnegotiated(struct hostile *h)
{
	good_table(h, TABLE_OFF);
	desc(h, 0, TABLE_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

static void build_indirect_next(struct hostile *h)
{
	good_table(h, TABLE_OFF);
	desc(h, 0, TABLE_OFF, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	desc(h, 1, OUT_OFF, 16, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
}

static void build_indirect_len24(struct hostile *h)
{
	good_table(h, TABLE_OFF);
	desc(h, 0, TABLE_OFF, 24, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

static void build_indirect_len0(struct hostile *h)
{
	desc(h, 0, TABLE_OFF, 0, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

static void build_indirect_nested(struct hostile *h)
{
	good_table(h, TABLE2_OFF);
	table(h, TABLE_OFF)[0] = (struct vring_desc){
		TABLE2_OFF, 32, VRING_DESC_F_INDIRECT, 0 };
	desc(h, 0, TABLE_OFF, 16, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

static void build_indirect_loop(struct hostile *h)
{
	struct vring_desc *t = table(h, TABLE_OFF);

	t[0] = (struct vring_desc){ IN_OFF, 16, VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ IN_OFF, 16, VRING_DESC_F_NEXT, 0 };
	desc(h, 0, TABLE_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

/* 2 * num entries chained in order: no loop, just too long. */
static void build_indirect_too_long(struct hostile *h)
{
	struct vring_desc *t = table(h, TABLE_OFF);
	uint16_t i, n = 2 * HOSTILE_NUM;

	for (i = 0; i < n; i++)
		t[i] = (struct vring_desc){ IN_OFF + 16 * i, 16,
			i + 1 < n ? VRING_DESC_F_NEXT : 0, i + 1 };
	desc(h, 0, TABLE_OFF, 16 * n, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

static void build_indirect_next_beyond(struct hostile *h)
{
	good_table(h, TABLE_OFF);
	table(h, TABLE_OFF)[0].next = 2;
	desc(h, 0, TABLE_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

static void build_indirect_outside(struct hostile *h)
{
	desc(h, 0, ARENA_LEN - 16, 32, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

static void build_read_after_write(struct hostile *h)
{
	desc(h, 0, OUT_OFF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	desc(h, 1, IN_OFF, 16, 0, 0);
	offer(h, 0);
}

static void build_indirect_read_after_write(struct hostile *h)
{
	struct vring_desc *t = table(h, TABLE_OFF);

	t[0] = (struct vring_desc){ OUT_OFF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ IN_OFF, 16, 0, 0 };
	desc(h, 0, TABLE_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
}

static void build_write_crosses_limit(struct hostile *h)
{
	pattern_fill(h->a.start, 64, 1);
	desc(h, 0, IN_OFF, 64, VRING_DESC_F_NEXT, 1);
	desc(h, 1, ARENA_LEN - 8, 64, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
}

static void build_read_crosses_limit(struct hostile *h)
{
	desc(h, 0, ARENA_LEN - 8, 64, VRING_DESC_F_NEXT, 1);
	desc(h, 1, OUT_OFF, 64, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
}

static void build_at_limit(struct hostile *h)
{
	desc(h, 0, IN_OFF, 16, VRING_DESC_F_NEXT, 1);
	desc(h, 1, ARENA_LEN, 1, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
}

static void build_far_beyond_limit(struct hostile *h)
{
	desc(h, 0, 1ULL << 62, 16, 0, 0);
	offer(h, 0);
}

static void build_addr_len_wraps(struct hostile *h)
{
	desc(h, 0, ~0ULL - 4, 16, 0, 0);
	offer(h, 0);
}

/* With the limit at 2^64 - 1, base + addr itself wraps. */
static void build_base_overflow(struct hostile *h)
{
	desc(h, 0, ~0ULL - 15, 8, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
}

/* Two 2 GiB readable descriptors: 4 GiB in one chain. */
static void build_chain_4g(struct hostile *h)
{
	uint64_t p = (uintptr_t)h->a.start;

	desc(h, 0, p, 0x80000000u, VRING_DESC_F_NEXT, 1);
	desc(h, 1, p, 0x80000000u, VRING_DESC_F_NEXT, 2);
	desc(h, 2, p + OUT_OFF, 16, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
}

/* A well-formed chain, for the cases where the ring memory is the fault. */
static void build_head_ok(struct hostile *h)
{
	desc(h, 0, IN_OFF, 16, VRING_DESC_F_NEXT, 1);
	desc(h, 1, OUT_OFF, 16, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
}

static void protect(void *p, size_t len, int prot)
{
	if (mprotect(p, len, prot))
		tap_diag("mprotect: %s", strerror(errno));
}

static void build_desc_unreadable(struct hostile *h)
{
	build_head_ok(h);
	protect(h->r.map[0], h->r.map_len[0], PROT_NONE);
}

static void build_avail_unreadable(struct hostile *h)
{
	build_head_ok(h);
	protect(h->r.map[1], h->r.map_len[1], PROT_NONE);
}

static void build_used_readonly(struct hostile *h)
{
	build_head_ok(h);
	protect(h->r.map[2], h->r.map_len[2], PROT_READ);
}

static void repair_ring(struct hostile *h)
{
	int i;

	for (i = 0; i < 3; i++)
		protect(h->r.map[i], h->r.map_len[i], PROT_READ | PROT_WRITE);
}

static void build_in_hole(struct hostile *h)
{
	desc(h, 0, HOLE_OFF, 64, VRING_DESC_F_NEXT, 1);
	desc(h, 1, OUT_OFF, 64, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
	protect(h->a.start + HOLE_OFF, 4096, PROT_NONE);
}

static void build_out_readonly(struct hostile *h)
{
	desc(h, 0, IN_OFF, 64, VRING_DESC_F_NEXT, 1);
	desc(h, 1, HOLE_OFF, 64, VRING_DESC_F_WRITE, 0);
	offer(h, 0);
	protect(h->a.start + HOLE_OFF, 4096, PROT_READ);
}

static void build_table_in_hole(struct hostile *h)
{
	desc(h, 0, HOLE_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	offer(h, 0);
	protect(h->a.start + HOLE_OFF, 4096, PROT_NONE);
}

static void repair_hole(struct hostile *h)
{
	protect(h->a.start + HOLE_OFF, 4096, PROT_READ | PROT_WRITE);
}

static const struct hostile_case cases[] = {
	{ "two descriptors looping", "longer than the ring", 0, WINDOW_ARENA, build_loop, NULL },
	{ "a descriptor pointing at itself", "longer than the ring", 0, WINDOW_ARENA,
	  build_self_loop, NULL },
	{ "next index >= num", "next", 0, WINDOW_ARENA, build_next_beyond, NULL },
	{ "head index == num", "head", 0, WINDOW_ARENA, build_head_beyond, NULL },
	{ "head index 0xffff", "head", 0, WINDOW_ARENA, build_head_ffff, NULL },
	{ "avail->idx num + 1 ahead", "avail", 0, WINDOW_ARENA, build_avail_ahead, NULL },
	{ "avail->idx moved backwards", "avail", 0, WINDOW_ARENA, build_avail_backwards, NULL },
	{ "indirect without the feature", "feature", 0, WINDOW_ARENA,
	  build_indirect_unnegotiated, NULL },
	{ "indirect with NEXT", "NEXT", INDIRECT, WINDOW_ARENA, build_indirect_next, NULL },
	{ "indirect table of 24 bytes", "multiple of 16", INDIRECT, WINDOW_ARENA,
	  build_indirect_len24, NULL },
	{ "indirect table of 0 bytes", "indirect", INDIRECT, WINDOW_ARENA,
	  build_indirect_len0, NULL },
	{ "nested indirect table", "nested", INDIRECT, WINDOW_ARENA, build_indirect_nested, NULL },
	{ "loop inside an indirect table", "longer than the ring", INDIRECT, WINDOW_ARENA,
	  build_indirect_loop, NULL },
	{ "indirect chain longer than num", "longer than the ring", INDIRECT, WINDOW_ARENA,
	  build_indirect_too_long, NULL },
	{ "indirect next beyond its table", "beyond its table", INDIRECT, WINDOW_ARENA,
	  build_indirect_next_beyond, NULL },
	{ "indirect table crossing the limit", "limit", INDIRECT, WINDOW_ARENA,
	  build_indirect_outside, NULL },
	{ "readable after writable", "readable", 0, WINDOW_ARENA, build_read_after_write, NULL },
	{ "readable after writable in an indirect table", "readable", INDIRECT,
	  WINDOW_ARENA, build_indirect_read_after_write, NULL },
	{ "writable buffer crossing the limit", "limit", 0, WINDOW_ARENA,
	  build_write_crosses_limit, NULL },
	{ "readable buffer crossing the limit", "limit", 0, WINDOW_ARENA,
	  build_read_crosses_limit, NULL },
	{ "buffer starting at the limit", "limit", 0, WINDOW_ARENA, build_at_limit, NULL },
	{ "buffer 2^62 past base", "limit", 0, WINDOW_ARENA, build_far_beyond_limit, NULL },
	{ "addr + len wrapping 2^64", "limit", 0, WINDOW_ARENA, build_addr_len_wraps, NULL },
	{ "base + addr wrapping 2^64", "overflow", 0, WINDOW_HUGE, build_base_overflow, NULL },
	{ "chain of 4 GiB", "4 GiB", 0, WINDOW_NONE, build_chain_4g, NULL },
	{ "descriptor table unreadable", "descriptor table", 0, WINDOW_ARENA,
	  build_desc_unreadable, repair_ring },
	{ "avail ring unreadable", "read", 0, WINDOW_ARENA, build_avail_unreadable,
	  repair_ring },
	{ "used ring read-only", "write", 0, WINDOW_ARENA, build_used_readonly,
	  repair_ring },
	{ "readable buffer unmapped", "buffer", 0, WINDOW_ARENA, build_in_hole,
	  repair_hole },
	{ "writable buffer read-only", "buffer", 0, WINDOW_ARENA, build_out_readonly,
	  repair_hole },
	{ "indirect table unreadable", "indirect", INDIRECT, WINDOW_ARENA,
	  build_table_in_hole, repair_hole },
};

static bool hostile_create(struct hostile *h, uint64_t features, enum window w)
{
	memset(h, 0, sizeof(*h));
	h->echo = -1;
	if (arena_create(&h->a, ARENA_LEN) ||
	    ring_create(&h->r, HOSTILE_NUM, features, RING_SPLIT) < 0)
		return false;
	if (w != WINDOW_NONE) {
		h->r.base = (uintptr_t)h->a.start;
		if (vringfd_set_base(h->r.fd, h->r.base) ||
		    vringfd_set_limit(h->r.fd, w == WINDOW_HUGE ? ~0ULL : ARENA_LEN))
			return false;
	}
	/*
	 * Settled: the cases below offer a chain and then protect the ring's
	 * memory, and the attach's own run must not echo it in between.
	 */
	h->echo = echo_open();
	return echo_attach_settled(h->echo, h->r.fd, -1) == 0;
}

static void hostile_destroy(struct hostile *h)
{
	if (h->echo >= 0)
		close(h->echo);
	ring_free(&h->r);
	arena_destroy(&h->a);
}

/* After the break: detach, VRINGSETUP afresh, and it must echo again. */
static bool hostile_recover(struct hostile *h)
{
	struct vring_status st;

	if (echo_detach(h->echo)) {
		tap_diag("  detach: %s", strerror(errno));
		return false;
	}
	ring_clear(&h->r);
	if (ring_setup_again(&h->r)) {
		tap_diag("  VRINGSETUP: %s", strerror(errno));
		return false;
	}
	ring_status(&h->r, &st);
	if (st.broken || st.reason[0]) {
		tap_diag("  still broken after VRINGSETUP: \"%s\"", st.reason);
		return false;
	}
	if (echo_attach(h->echo, h->r.fd, -1)) {
		tap_diag("  attach: %s", strerror(errno));
		return false;
	}
	return echo_roundtrip(&h->r, h->a.start + IN_OFF, h->a.start + OUT_OFF,
			      100, 4242);
}

static bool log_has_break(const char *reason)
{
	char *log = kernel_log(), want[160];
	bool found;

	if (!log)
		return false;
	snprintf(want, sizeof(want), "vringfd: ring broken: %s", reason);
	found = strstr(log, want) != NULL;
	free(log);
	return found;
}

static void run_case(const struct hostile_case *c, bool check_log)
{
	struct vring_status st;
	struct hostile h;
	ssize_t n;
	int revents;

	if (!hostile_create(&h, c->features, c->window)) {
		tap_ok(false, "%s: set up the ring: %s", c->name, strerror(errno));
		hostile_destroy(&h);
		return;
	}
	tap_ok(echo_roundtrip(&h.r, h.a.start + IN_OFF, h.a.start + OUT_OFF, 100, 1),
	       "%s: the ring works before", c->name);
	c->build(&h);
	n = write(h.r.fd, "", 0);
	tap_ok(n == -1 && errno == EIO, "%s: the kick that meets it fails with EIO",
	       c->name);
	revents = poll_one(h.r.fd, POLLIN, 0);
	tap_ok(revents > 0 && (revents & POLLERR),
	       "%s: poll reports POLLERR (%#x)", c->name, revents);
	TAP_ERRNO(write(h.r.fd, "", 0), EIO, "%s: the next kick fails with EIO", c->name);
	ring_status(&h.r, &st);
	tap_ok(st.broken == 1 && status_reason_has(&st, c->reason),
	       "%s: status broken, reason \"%s\" mentions \"%s\"", c->name,
	       st.reason, c->reason);
	tap_ok(arena_guards_intact(&h.a), "%s: memory around the window unchanged",
	       c->name);
	if (check_log)
		tap_ok(log_has_break(st.reason),
		       "kernel log has \"vringfd: ring broken: %s\"", st.reason);
	if (c->repair)
		c->repair(&h);
	tap_ok(hostile_recover(&h), "%s: a fresh VRINGSETUP makes the ring work again",
	       c->name);
	hostile_destroy(&h);
}

/* Found by the kick eventfd's worker rather than by write(). */
static void test_hostile_async(void)
{
	struct hostile h;
	int kick_efd = eventfd_new();
	uint64_t one = 1;

	if (!hostile_create(&h, 0, WINDOW_ARENA)) {
		tap_ok(false, "async hostile ring: %s", strerror(errno));
		return;
	}
	vringfd_set_kick_fd(h.r.fd, kick_efd);
	build_loop(&h);
	write(kick_efd, &one, sizeof(one));
	tap_ok(poll_one(h.r.fd, POLLIN, 5000) & POLLERR,
	       "a loop found by the kick eventfd's worker: poll wakes with POLLERR");
	TAP_ERRNO(write(h.r.fd, "", 0), EIO, "and write() fails with EIO");
	close(kick_efd);
	hostile_destroy(&h);
}

/* Pair mode: the in ring breaking must not break, or lose, the out ring. */
static void test_hostile_pair(void)
{
	struct test_ring out;
	struct vring_status st;
	struct hostile h;
	struct seg seg;
	uint32_t id, len;

	if (!hostile_create(&h, 0, WINDOW_ARENA) ||
	    ring_create(&out, HOSTILE_NUM, 0, RING_LEGACY) < 0) {
		tap_ok(false, "pair hostile rings: %s", strerror(errno));
		return;
	}
	echo_detach(h.echo);
	echo_attach(h.echo, h.r.fd, out.fd);
	seg = (struct seg){ h.a.start + OUT_OFF, 64, true };
	ring_add_chain(&out, &seg, 1);
	driver_ring_publish(&out.driver);
	build_loop(&h);
	write(h.r.fd, "", 0);
	ring_status(&h.r, &st);
	tap_ok(st.broken, "pair mode: the looping in ring is broken");
	vringfd_get_status(out.fd, &st);
	tap_ok(!st.broken && st.last_avail == 0 && driver_ring_used_idx(&out.driver) == 0,
	       "pair mode: the out ring is not broken and its buffer was given back");
	close(h.echo);
	h.echo = -1;
	ring_clear(&h.r);
	ring_setup_again(&h.r);
	h.echo = echo_open();
	echo_attach(h.echo, h.r.fd, out.fd);
	seg = (struct seg){ h.a.start + IN_OFF, 50, false };
	pattern_fill(seg.buf, 50, 9);
	ring_add_chain(&h.r, &seg, 1);
	driver_ring_publish(&h.r.driver);
	write(h.r.fd, "", 0);
	tap_ok(driver_ring_get_used(&out.driver, &id, &len) && id == 0 && len == 50 &&
	       pattern_check(h.a.start + OUT_OFF, 50, 9),
	       "pair mode: after a fresh setup of in, the old out buffer is filled");
	ring_free(&out);
	hostile_destroy(&h);
}

static unsigned int count_breaks(void)
{
	char *log = kernel_log(), *p;
	unsigned int n = 0;

	for (p = log; p && (p = strstr(p, "vringfd: ring broken")); p++)
		n++;
	free(log);
	return n;
}

/* A hostile owner must not be able to flood the kernel log. */
static void test_hostile_ratelimit(void)
{
	const unsigned int breaks = 200;
	unsigned int i, broke = 0, before, printed;
	struct test_ring r;
	double t0;
	int echo = echo_open();

	ring_create(&r, 1, 0, RING_LEGACY);
	driver_ring_set_desc(&r.driver, 0, 0, 0, VRING_DESC_F_NEXT, 0);
	driver_ring_add_head(&r.driver, 0);
	driver_ring_publish(&r.driver);
	/*
	 * The cases above may have used up this interval's burst: wait out
	 * the printk rate limit's interval (5 s) so some messages may pass.
	 */
	sleep(6);
	before = count_breaks();
	t0 = now_ms();
	for (i = 0; i < breaks; i++) {
		ring_setup_again(&r);
		echo_attach(echo, r.fd, -1);
		if (write(r.fd, "", 0) < 0 && errno == EIO)
			broke++;
		echo_detach(echo);
	}
	printed = count_breaks() - before;
	tap_ok(broke == breaks, "%u looping rings set up and broken in %.0f ms (%u)",
	       breaks, now_ms() - t0, broke);
	tap_ok(printed >= 1 && printed < breaks / 2,
	       "the \"ring broken\" message is rate-limited (%u printed for %u breaks)",
	       printed, breaks);
	close(echo);
	ring_free(&r);
}

void test_hostile(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], i == 0);
	test_hostile_async();
	test_hostile_pair();
	test_hostile_ratelimit();
}
