// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for fs/vring_core.c, run in userspace against a fake address
 * space (fake_mem.c) and a ring whose driver side the tests play by hand
 * (ring_fixture.c).  One TAP line per behaviour.
 *
 * The hostile cases all end the same way, and check_broken() says how: the
 * call returns -EIO, vr->broken holds a reason, vring_core_report() ran
 * exactly once, no access left the ring or [base, base + limit), and the
 * ring refuses further work.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ring_fixture.h"
#include "tap.h"

/* A byte pattern that differs at every window offset we use. */
static u8 pattern(u64 offset)
{
	return (u8)(offset * 7 + 3 + (offset >> 8));
}

static void fill_pattern(struct ring_fixture *fx, u64 offset, u32 len)
{
	u8 *p = fixture_buf(fx, offset);
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = pattern(offset + i);
}

static bool fixture_ok(struct ring_fixture *fx)
{
	return CHECK_EQ(fx->init_result, 0) && CHECK(!fx->vr.broken);
}

static int take(struct ring_fixture *fx, struct vring_chain *chain)
{
	return vring_core_next_avail(&fx->vr, chain);
}

/* Everything a broken ring must show; see the comment at the top. */
static void check_broken(struct ring_fixture *fx, int result,
			 bool faults_expected)
{
	struct vring_chain chain;

	bool failed_before = tap_test_failing();

	CHECK_EQ(result, -EIO);
	CHECK(fx->vr.broken != NULL);
	CHECK_EQ(fx->mem.reports, 1);
	CHECK(fx->mem.reported == fx->vr.broken);
	CHECK_EQ(fx->mem.escapes, 0);
	CHECK(fixture_guards_intact(fx));
	if (!faults_expected)
		CHECK_EQ(fx->mem.faults, 0);
	CHECK_EQ(take(fx, &chain), -EIO);
	CHECK_EQ(fx->mem.reports, 1);
	if (tap_test_failing() && !failed_before)
		printf("#   reason: %s; memory: %s\n",
		       fx->vr.broken ? fx->vr.broken : "(not broken)",
		       fx->mem.first_problem[0] ? fx->mem.first_problem : "ok");
}

/* Publish a one-descriptor chain at head and expect next_avail to break. */
static void expect_chain_breaks(struct ring_fixture *fx, u16 head)
{
	struct vring_chain chain;

	driver_ring_publish_head(&fx->driver, head);
	check_broken(fx, take(fx, &chain), false);
}

/* ---- Layout ------------------------------------------------------- */

static void test_layout_num_powers_of_two(void)
{
	u32 num;

	for (num = 1; num <= 32768; num <<= 1)
		CHECK_EQ(vring_core_check_layout(num, 0, 0x1000, 0x2000,
						 0x3000), 0);
}

static void test_layout_num_rejected(void)
{
	static const u32 bad[] = { 0, 3, 6, 12, 1000, 32767, 32769, 65536,
				   1U << 31, 0xffffffff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		tap_case("num %u", bad[i]);
		CHECK_EQ(vring_core_check_layout(bad[i], 0, 0x1000, 0x2000,
						 0x3000), -EINVAL);
	}
}

static void test_layout_alignment(void)
{
	u64 off;

	CHECK_EQ(vring_core_check_layout(8, 0, 0x1010, 0x2002, 0x3004), 0);
	for (off = 1; off < 16; off++)
		CHECK_EQ(vring_core_check_layout(8, 0, 0x1000 + off, 0x2000,
						 0x3000), -EINVAL);
	CHECK_EQ(vring_core_check_layout(8, 0, 0x1000, 0x2001, 0x3000),
		 -EINVAL);
	for (off = 1; off < 4; off++)
		CHECK_EQ(vring_core_check_layout(8, 0, 0x1000, 0x2000,
						 0x3000 + off), -EINVAL);
}

static void test_layout_features(void)
{
	unsigned int bit;

	CHECK_EQ(vring_core_check_layout(8, FEAT_INDIRECT | FEAT_EVENT_IDX,
					 0x1000, 0x2000, 0x3000), 0);
	for (bit = 0; bit < 64; bit++) {
		u64 features = 1ULL << bit;
		int expect = (features & (FEAT_INDIRECT | FEAT_EVENT_IDX)) ?
			     0 : -EINVAL;

		tap_case("feature bit %u", bit);
		CHECK_EQ(vring_core_check_layout(8, features, 0x1000, 0x2000,
						 0x3000), expect);
	}
}

/* Sizes from the uapi structures, event words included. */
static void test_part_sizes(void)
{
	u32 num;

	for (num = 1; num <= 32768; num <<= 1) {
		CHECK_EQ(vring_core_desc_size(num),
			 sizeof(struct vring_desc) * num);
		CHECK_EQ(vring_core_avail_size(num),
			 offsetof(struct vring_avail, ring) +
			 sizeof(__virtio16) * (num + 1));
		CHECK_EQ(vring_core_used_size(num),
			 offsetof(struct vring_used, ring) +
			 sizeof(struct vring_used_elem) * num +
			 sizeof(__virtio16));
	}
}

/* vring_init()'s legacy single-block layout passes and fits the sizes. */
static void test_legacy_vring_init_layout(void)
{
	const unsigned long align = 4096;
	u32 num;

	for (num = 1; num <= 32768; num <<= 1) {
		size_t size = vring_size(num, align);
		u8 *block = aligned_alloc(align, ALIGN(size, align));
		struct vring ring;
		u64 desc, avail, used;

		vring_init(&ring, num, block, align);
		desc = (u64)(uintptr_t)ring.desc;
		avail = (u64)(uintptr_t)ring.avail;
		used = (u64)(uintptr_t)ring.used;
		CHECK_EQ(vring_core_check_layout(num, FEAT_EVENT_IDX, desc,
						 avail, used), 0);
		CHECK_EQ(desc + vring_core_desc_size(num), avail);
		CHECK(avail + vring_core_avail_size(num) <= used);
		CHECK_EQ(used + vring_core_used_size(num) - desc, size);
		free(block);
	}
}

/* A ring laid out by vring_init() works: chains in, used entries out. */
static void test_legacy_layout_ring(void)
{
	struct ring_fixture *fx = fixture_new_legacy(16, FEAT_EVENT_IDX);
	struct vring_chain chain;
	u32 id, len;

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 15, 0x100, 32, VRING_DESC_F_NEXT, 14);
	driver_ring_set_desc(&fx->driver, 14, 0x200, 64, VRING_DESC_F_WRITE, 0);
	driver_ring_publish_head(&fx->driver, 15);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, 15);
	CHECK_EQ(chain.readable_len, 32);
	CHECK_EQ(chain.writable_len, 64);
	CHECK_EQ(vring_core_push_used(&fx->vr, chain.head, 48), 0);
	CHECK_EQ(driver_ring_used_idx(&fx->driver), 1);
	driver_ring_used_elem(&fx->driver, 0, &id, &len);
	CHECK_EQ(id, 15);
	CHECK_EQ(len, 48);
	CHECK_EQ(vring_core_enable_kicks(&fx->vr), 0);
	CHECK_EQ(driver_ring_avail_event(&fx->driver), 1);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* ---- Setup -------------------------------------------------------- */

static void test_init_fresh_ring(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;

	fixture_ok(fx);
	CHECK_EQ(fx->vr.last_avail, 0);
	CHECK_EQ(fx->vr.used_idx, 0);
	CHECK_EQ(take(fx, &chain), 0);
	CHECK_EQ(fx->mem.reports, 0);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* A ring handed over mid-stream carries on from used->idx. */
static void test_init_resumes_from_used_idx(void)
{
	struct ring_fixture *fx = fixture_new_uninit(8, 0, false);
	const u16 start = 0xfffe;
	struct vring_chain chain;
	u32 id, len;

	fx->driver.vr.used->idx = htole16(start);
	driver_ring_set_avail_idx(&fx->driver, start);
	fx->init_result = vring_core_init(&fx->vr, fx->segs, fx->vr.num);
	fixture_ok(fx);
	CHECK_EQ(fx->vr.last_avail, start);
	CHECK_EQ(fx->vr.used_idx, start);

	driver_ring_set_desc(&fx->driver, 5, 0x100, 16, 0, 0);
	driver_ring_set_desc(&fx->driver, 6, 0x200, 16, VRING_DESC_F_WRITE, 0);
	driver_ring_publish_head(&fx->driver, 5);
	driver_ring_publish_head(&fx->driver, 6);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, 5);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, 6);
	CHECK_EQ(vring_core_push_used(&fx->vr, 5, 0), 0);
	CHECK_EQ(vring_core_push_used(&fx->vr, 6, 16), 0);
	CHECK_EQ(driver_ring_used_idx(&fx->driver), (u16)(start + 2));
	driver_ring_used_elem(&fx->driver, start, &id, &len);
	CHECK_EQ(id, 5);
	CHECK_EQ(len, 0);
	driver_ring_used_elem(&fx->driver, (u16)(start + 1), &id, &len);
	CHECK_EQ(id, 6);
	CHECK_EQ(len, 16);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* A setup the core cannot read is the caller's error: -EFAULT, no log. */
static void test_init_unreadable_used_ring(void)
{
	struct ring_fixture *fx = fixture_new_uninit(8, 0, false);

	fake_mem_region(&fx->mem, "used")->perms = 0;
	CHECK_EQ(vring_core_init(&fx->vr, fx->segs, fx->vr.num), -EFAULT);
	CHECK_EQ(fx->mem.reports, 0);
	CHECK_EQ(fx->mem.escapes, 0);
	fixture_free(fx);
}

/* ---- Taking chains ------------------------------------------------ */

static void test_single_readable_descriptor(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 3, 0x1230, 100, 0, 0);
	driver_ring_publish_head(&fx->driver, 3);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, 3);
	CHECK_EQ(chain.nsegs, 1);
	CHECK_EQ(chain.nreadable, 1);
	CHECK_EQ(chain.readable_len, 100);
	CHECK_EQ(chain.writable_len, 0);
	CHECK_EQ(chain.segs[0].addr, FIXTURE_BASE + 0x1230);
	CHECK_EQ(chain.segs[0].len, 100);
	CHECK_EQ(chain.segs[0].writable, 0);
	CHECK_EQ(take(fx, &chain), 0);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* Two readable then two writable, linked out of table order. */
static void test_multi_descriptor_chain(void)
{
	static const struct { u16 index; u64 addr; u32 len; u16 flags; } d[] = {
		{ 6, 0x100, 10, 0 },
		{ 2, 0x300, 20, 0 },
		{ 7, 0x500, 30, VRING_DESC_F_WRITE },
		{ 0, 0x700, 40, VRING_DESC_F_WRITE },
	};
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;
	unsigned int i;

	fixture_ok(fx);
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		bool last = i + 1 == ARRAY_SIZE(d);

		driver_ring_set_desc(&fx->driver, d[i].index, d[i].addr, d[i].len,
				     d[i].flags | (last ? 0 : VRING_DESC_F_NEXT),
				     last ? 0 : d[i + 1].index);
	}
	driver_ring_publish_head(&fx->driver, d[0].index);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, d[0].index);
	CHECK_EQ(chain.nsegs, ARRAY_SIZE(d));
	CHECK_EQ(chain.nreadable, 2);
	CHECK_EQ(chain.readable_len, d[0].len + d[1].len);
	CHECK_EQ(chain.writable_len, d[2].len + d[3].len);
	for (i = 0; i < chain.nsegs && i < ARRAY_SIZE(d); i++) {
		CHECK_EQ(chain.segs[i].addr, FIXTURE_BASE + d[i].addr);
		CHECK_EQ(chain.segs[i].len, d[i].len);
		CHECK_EQ(chain.segs[i].writable,
			 !!(d[i].flags & VRING_DESC_F_WRITE));
	}
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

static void test_chains_in_avail_order(void)
{
	static const u16 heads[] = { 4, 1, 7 };
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;
	unsigned int i;

	fixture_ok(fx);
	for (i = 0; i < ARRAY_SIZE(heads); i++) {
		driver_ring_set_desc(&fx->driver, heads[i], 0x100 * i, 8, VRING_DESC_F_WRITE, 0);
		driver_ring_publish_head(&fx->driver, heads[i]);
	}
	for (i = 0; i < ARRAY_SIZE(heads); i++) {
		CHECK_EQ(take(fx, &chain), 1);
		CHECK_EQ(chain.head, heads[i]);
		CHECK_EQ(chain.writable_len, 8);
		CHECK_EQ(chain.segs[0].addr, FIXTURE_BASE + 0x100 * i);
	}
	CHECK_EQ(take(fx, &chain), 0);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* A chain as long as the ring is legal. */
static void test_chain_of_num_descriptors(void)
{
	const u32 num = 8;
	struct ring_fixture *fx = fixture_new(num, 0);
	struct vring_chain chain;
	u16 i;

	fixture_ok(fx);
	for (i = 0; i < num; i++)
		driver_ring_set_desc(&fx->driver, i, 0x40 * i, 0x10,
				     i + 1u < num ? VRING_DESC_F_NEXT : 0, i + 1);
	driver_ring_publish_head(&fx->driver, 0);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.nsegs, num);
	CHECK_EQ(chain.readable_len, 0x10 * num);
	CHECK(!fx->vr.broken);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* Empty descriptors carry nothing and leave no segment. */
static void test_zero_length_descriptor(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 0, 0x100, 0, VRING_DESC_F_NEXT, 1);
	driver_ring_set_desc(&fx->driver, 1, 0x200, 12, VRING_DESC_F_WRITE, 0);
	driver_ring_publish_head(&fx->driver, 0);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.readable_len, 0);
	CHECK_EQ(chain.writable_len, 12);
	CHECK_EQ(chain.nsegs, 1);
	CHECK_EQ(chain.nreadable, 0);
	CHECK_EQ(chain.segs[0].addr, FIXTURE_BASE + 0x200);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

static void test_indirect_table(void)
{
	const u64 table = 0x800;
	struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);
	struct vring_chain chain;

	fixture_ok(fx);
	/* The walk starts at entry 0; next indexes the table: 0, 2, 1. */
	fixture_table_desc(fx, table, 0, 0x1000, 14, VRING_DESC_F_NEXT, 2);
	fixture_table_desc(fx, table, 2, 0x2000, 15, VRING_DESC_F_NEXT, 1);
	fixture_table_desc(fx, table, 1, 0x3000, 16, VRING_DESC_F_WRITE, 0);
	driver_ring_set_desc(&fx->driver, 5, table, 3 * sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	driver_ring_publish_head(&fx->driver, 5);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, 5);
	CHECK_EQ(chain.nsegs, 3);
	CHECK_EQ(chain.nreadable, 2);
	CHECK_EQ(chain.readable_len, 14 + 15);
	CHECK_EQ(chain.writable_len, 16);
	if (chain.nsegs == 3) {
		CHECK_EQ(chain.segs[0].addr, FIXTURE_BASE + 0x1000);
		CHECK_EQ(chain.segs[1].addr, FIXTURE_BASE + 0x2000);
		CHECK_EQ(chain.segs[2].addr, FIXTURE_BASE + 0x3000);
		CHECK_EQ(chain.segs[2].writable, 1);
	}
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* A table of entries chained in order, each 8 bytes: taken whole. */
static void expect_table_taken(struct ring_fixture *fx, u16 entries)
{
	const u64 table = 0x800;
	struct vring_chain chain;
	u16 i;

	fixture_ok(fx);
	for (i = 0; i < entries; i++)
		fixture_table_desc(fx, table, i, 0x40 * i, 8,
				   i + 1u < entries ? VRING_DESC_F_NEXT : 0,
				   i + 1);
	driver_ring_set_desc(&fx->driver, 0, table,
			     entries * sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	driver_ring_publish_head(&fx->driver, 0);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.nsegs, entries);
	CHECK_EQ(chain.readable_len, 8 * entries);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* An indirect table of exactly num entries is as long as a chain may be. */
static void test_indirect_table_of_num_entries(void)
{
	expect_table_taken(fixture_new(4, FEAT_INDIRECT), 4);
}

/*
 * With max_segs above num, a table may be longer than the ring: Linux
 * sizes indirect tables by the device's seg_max, and the launcher takes
 * 256 entries on a ring of 16.
 */
static void test_indirect_table_longer_than_ring(void)
{
	expect_table_taken(fixture_new_max_segs(4, FEAT_INDIRECT, 16), 16);
}

/* A segment array shorter than the ring could not hold a legal chain. */
static void test_init_max_segs_below_num(void)
{
	struct ring_fixture *fx = fixture_new_max_segs(8, 0, 7);

	CHECK_EQ(fx->init_result, -EINVAL);
	CHECK_EQ(fx->mem.reports, 0);
	fixture_free(fx);
}

/* ---- Giving chains back ------------------------------------------- */

static void test_push_used(void)
{
	struct ring_fixture *fx = fixture_new(4, 0);
	struct vring_chain chain;
	u32 id, len;

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 2, 0x100, 64, VRING_DESC_F_WRITE, 0);
	driver_ring_set_desc(&fx->driver, 3, 0x200, 64, VRING_DESC_F_WRITE, 0);
	driver_ring_publish_head(&fx->driver, 2);
	driver_ring_publish_head(&fx->driver, 3);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(driver_ring_used_idx(&fx->driver), 0);
	/* Out of order, as a device may. */
	CHECK_EQ(vring_core_push_used(&fx->vr, 3, 33), 0);
	CHECK_EQ(driver_ring_used_idx(&fx->driver), 1);
	CHECK_EQ(vring_core_push_used(&fx->vr, 2, 22), 0);
	CHECK_EQ(driver_ring_used_idx(&fx->driver), 2);
	driver_ring_used_elem(&fx->driver, 0, &id, &len);
	CHECK_EQ(id, 3);
	CHECK_EQ(len, 33);
	driver_ring_used_elem(&fx->driver, 1, &id, &len);
	CHECK_EQ(id, 2);
	CHECK_EQ(len, 22);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/*
 * A driver polling used->idx must never see it cover an element not yet
 * written.  The hook looks at the ring at the moment used->idx is stored.
 */
static void check_elem_before_idx(struct fake_mem *mem, u64 addr, size_t len)
{
	struct ring_fixture *fx = mem->hook_data;
	u16 idx = driver_ring_used_idx(&fx->driver);
	u32 id, elem_len;

	(void)len;
	if (addr != fixture_ring_addr(fx, &fx->driver.vr.used->idx) || !idx)
		return;
	driver_ring_used_elem(&fx->driver, (u16)(idx - 1), &id, &elem_len);
	CHECK_EQ(id, (u32)(idx - 1) * 3 % 8);
	CHECK_EQ(elem_len, 100 + idx - 1);
}

static void test_push_used_element_before_index(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	u16 i;

	fixture_ok(fx);
	fx->mem.hook_data = fx;
	fx->mem.after_write = check_elem_before_idx;
	for (i = 0; i < 12; i++)
		CHECK_EQ(vring_core_push_used(&fx->vr, i * 3 % 8, 100 + i), 0);
	CHECK_EQ(driver_ring_used_idx(&fx->driver), 12);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

static void test_discard_returns_chains_again(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;
	u16 i;

	fixture_ok(fx);
	for (i = 0; i < 3; i++) {
		driver_ring_set_desc(&fx->driver, i, 0x100 * i, 10 + i, 0, 0);
		driver_ring_publish_head(&fx->driver, i);
	}
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(take(fx, &chain), 1);
	vring_core_discard(&fx->vr, 2);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, 1);
	CHECK_EQ(chain.readable_len, 11);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, 2);
	CHECK_EQ(take(fx, &chain), 0);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/*
 * More than 65536 buffers through a 4-entry ring: the 16-bit indices wrap
 * on both sides.  Every buffer carries its sequence number, so one taken
 * twice or skipped shows.  With EVENT_IDX the driver alternates between
 * "signal me now" and "not yet", and the core must agree across the wrap.
 */
static void run_wraparound(u64 features)
{
	const u32 num = 4, total = 70000, batch = 3;
	struct ring_fixture *fx = fixture_new(num, features);
	bool event_idx = features & FEAT_EVENT_IDX;
	u32 sent = 0, done = 0, round = 0;
	struct vring_chain chain;

	if (!fixture_ok(fx))
		goto out;
	while (done < total && !tap_test_failing()) {
		u32 i, seq, n = min(batch, total - sent);
		bool want = !(round & 1);
		u16 used;

		for (i = 0; i < n; i++, sent++) {
			driver_ring_set_desc(&fx->driver, i, 0x10 * i, 4, 0, 0);
			*(u32 *)fixture_buf(fx, 0x10 * i) = sent;
			driver_ring_publish_head(&fx->driver, i);
		}
		if (event_idx)
			driver_ring_set_used_event(&fx->driver, want ? fx->driver.last_used :
						   (u16)(fx->driver.last_used - 1));
		for (i = 0; i < n; i++) {
			CHECK_EQ(take(fx, &chain), 1);
			CHECK_EQ(vring_core_copy_from_chain(&fx->vr, &chain, 0,
							    &seq, 4), 4);
			CHECK_EQ(seq, done + i);
			CHECK_EQ(vring_core_push_used(&fx->vr, chain.head,
						      seq), 0);
		}
		CHECK_EQ(take(fx, &chain), 0);
		if (event_idx && round > 0)
			CHECK_EQ(vring_core_need_signal(&fx->vr), want);
		else
			CHECK(vring_core_need_signal(&fx->vr));
		used = driver_ring_used_idx(&fx->driver);
		CHECK_EQ(used, (u16)(fx->driver.last_used + n));
		for (i = 0; fx->driver.last_used != used; i++, fx->driver.last_used++) {
			u32 id, len;

			driver_ring_used_elem(&fx->driver, fx->driver.last_used, &id, &len);
			CHECK_EQ(id, i);
			CHECK_EQ(len, done + i);
		}
		done += n;
		round++;
	}
	CHECK_EQ(done, total);
	CHECK_EQ(driver_ring_used_idx(&fx->driver), (u16)total);
	CHECK_EQ(fx->vr.last_avail, (u16)total);
	CHECK(!fx->vr.broken);
	CHECK(fixture_memory_clean(fx));
out:
	fixture_free(fx);
}

static void test_index_wraparound(void)
{
	run_wraparound(0);
}

static void test_index_wraparound_event_idx(void)
{
	run_wraparound(FEAT_EVENT_IDX);
}

/* ---- Signalling the driver ---------------------------------------- */

/* One available-and-used buffer, so there is something to signal about. */
static void use_one(struct ring_fixture *fx, u16 head)
{
	struct vring_chain chain;

	driver_ring_set_desc(&fx->driver, head, 0x100, 8, VRING_DESC_F_WRITE, 0);
	driver_ring_publish_head(&fx->driver, head);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(vring_core_push_used(&fx->vr, chain.head, 8), 0);
}

static void test_signal_without_event_idx(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);

	fixture_ok(fx);
	use_one(fx, 0);
	CHECK(vring_core_need_signal(&fx->vr));
	fx->driver.vr.avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	use_one(fx, 1);
	CHECK(!vring_core_need_signal(&fx->vr));
	fx->driver.vr.avail->flags = 0;
	use_one(fx, 2);
	CHECK(vring_core_need_signal(&fx->vr));
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/*
 * The counters (R:095): signals due and signals the driver's flag turned
 * down, and each run filed by how many entries it published.  A decision
 * with nothing published is neither.
 */
static void test_stats(void)
{
	struct ring_fixture *fx = fixture_new(128, 0);
	static const uint64_t want[VRING_CORE_BATCH_BUCKETS] = {
		1, 1, 1, 1, 0, 0, 0, 1,
	};
	unsigned int runs[] = { 0, 1, 3, 7, 70 }, i, k;
	uint16_t slot = 0;

	fixture_ok(fx);
	CHECK(!vring_core_need_signal(&fx->vr));
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		for (k = 0; k < runs[i]; k++, slot++)
			use_one(fx, slot % 128);
		vring_core_count_run(&fx->vr);
	}
	CHECK_EQ(fx->vr.stats.used, 81);
	for (i = 0; i < VRING_CORE_BATCH_BUCKETS; i++)
		CHECK_EQ(fx->vr.stats.batches[i], want[i]);
	CHECK(vring_core_need_signal(&fx->vr));
	fx->driver.vr.avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	use_one(fx, slot % 128);
	CHECK(!vring_core_need_signal(&fx->vr));
	CHECK(!vring_core_need_signal(&fx->vr));
	CHECK_EQ(fx->vr.stats.signals, 1);
	CHECK_EQ(fx->vr.stats.suppressed, 1);
	/* A fresh start (VRINGSETUP, a device reset) counts from zero. */
	CHECK_EQ(vring_core_init(&fx->vr, fx->vr.segs, fx->vr.max_segs), 0);
	CHECK_EQ(fx->vr.stats.used, 0);
	CHECK_EQ(fx->vr.stats.batches[7], 0);
	CHECK_EQ(fx->vr.stats.signals, 0);
	fixture_free(fx);
}

/* Nothing published since the last decision: no signal, flag or not. */
static void test_signal_nothing_new_without_event_idx(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);

	fixture_ok(fx);
	CHECK(!vring_core_need_signal(&fx->vr));
	use_one(fx, 0);
	CHECK(vring_core_need_signal(&fx->vr));
	CHECK(!vring_core_need_signal(&fx->vr));
	use_one(fx, 1);
	CHECK(vring_core_need_signal(&fx->vr));
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/*
 * The first batch is judged against used_event like any other: a fresh
 * ring behaves as if the device had just signalled at used->idx.
 */
static void test_signal_event_idx_first(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_EVENT_IDX);

	fixture_ok(fx);
	driver_ring_set_used_event(&fx->driver, 0x8000);
	use_one(fx, 0);
	CHECK(!vring_core_need_signal(&fx->vr));
	fixture_free(fx);

	fx = fixture_new(8, FEAT_EVENT_IDX);
	fixture_ok(fx);
	driver_ring_set_used_event(&fx->driver, 0);	/* "tell me when 0 is used" */
	use_one(fx, 0);
	CHECK(vring_core_need_signal(&fx->vr));
	use_one(fx, 1);
	CHECK(!vring_core_need_signal(&fx->vr));
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* Signal exactly when the batch stepped over used_event. */
static void test_signal_event_idx_crossing(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_EVENT_IDX);
	u16 i;

	fixture_ok(fx);
	use_one(fx, 0);				/* used->idx 1 */
	CHECK(vring_core_need_signal(&fx->vr));
	driver_ring_set_used_event(&fx->driver, 2);	/* "tell me when 2 is used" */
	use_one(fx, 1);				/* used->idx 2: not yet */
	CHECK(!vring_core_need_signal(&fx->vr));
	use_one(fx, 2);				/* used->idx 3: crossed */
	CHECK(vring_core_need_signal(&fx->vr));
	use_one(fx, 3);				/* 2 is behind us now */
	use_one(fx, 4);
	CHECK(!vring_core_need_signal(&fx->vr));
	driver_ring_set_used_event(&fx->driver, 6);	/* inside the next batch */
	for (i = 5; i < 8; i++)
		use_one(fx, i);			/* used->idx 5 -> 8 */
	CHECK(vring_core_need_signal(&fx->vr));
	/* Nothing new published: nothing to signal. */
	CHECK(!vring_core_need_signal(&fx->vr));
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* With EVENT_IDX the NO_INTERRUPT flag means nothing. */
static void test_signal_event_idx_ignores_flag(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_EVENT_IDX);

	fixture_ok(fx);
	fx->driver.vr.avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	use_one(fx, 0);
	CHECK(vring_core_need_signal(&fx->vr));
	driver_ring_set_used_event(&fx->driver, 1);
	use_one(fx, 1);
	CHECK(vring_core_need_signal(&fx->vr));
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* ---- Asking for kicks --------------------------------------------- */

static void test_kicks_used_flags(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);

	fixture_ok(fx);
	CHECK_EQ(vring_core_disable_kicks(&fx->vr), 0);
	CHECK(driver_ring_used_flags(&fx->driver) & VRING_USED_F_NO_NOTIFY);
	CHECK_EQ(vring_core_disable_kicks(&fx->vr), 0);
	CHECK(driver_ring_used_flags(&fx->driver) & VRING_USED_F_NO_NOTIFY);
	CHECK_EQ(vring_core_enable_kicks(&fx->vr), 0);
	CHECK(!(driver_ring_used_flags(&fx->driver) & VRING_USED_F_NO_NOTIFY));
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* With EVENT_IDX, going idle writes avail_event = the next avail index. */
static void test_kicks_avail_event(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_EVENT_IDX);
	struct vring_chain chain;
	u16 i;

	fixture_ok(fx);
	for (i = 0; i < 3; i++) {
		driver_ring_set_desc(&fx->driver, i, 0x100, 8, 0, 0);
		driver_ring_publish_head(&fx->driver, i);
	}
	vring_avail_event(&fx->driver.vr) = htole16(0x4242);
	CHECK_EQ(vring_core_disable_kicks(&fx->vr), 0);
	while (take(fx, &chain) == 1)
		;
	CHECK_EQ(vring_core_enable_kicks(&fx->vr), 0);
	CHECK_EQ(driver_ring_avail_event(&fx->driver), 3);
	CHECK_EQ(driver_ring_avail_event(&fx->driver), fx->vr.last_avail);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* Buffers already waiting: enable_kicks says "go round again". */
static void test_kicks_enable_sees_pending(void)
{
	static const u64 schemes[] = { 0, FEAT_EVENT_IDX };
	unsigned int s;

	for (s = 0; s < ARRAY_SIZE(schemes); s++) {
		struct ring_fixture *fx = fixture_new(8, schemes[s]);

		fixture_ok(fx);
		CHECK_EQ(vring_core_disable_kicks(&fx->vr), 0);
		driver_ring_set_desc(&fx->driver, 0, 0x100, 8, 0, 0);
		driver_ring_publish_head(&fx->driver, 0);
		CHECK_EQ(vring_core_enable_kicks(&fx->vr), 1);
		CHECK(fixture_memory_clean(fx));
		fixture_free(fx);
	}
}

/*
 * The race enable_kicks exists for: the driver publishes right after the
 * device re-enabled kicks but (as far as the device knows) before it
 * looked again.  The hook plays the driver at that exact moment.
 */
static void publish_after_enable(struct fake_mem *mem, u64 addr, size_t len)
{
	struct ring_fixture *fx = mem->hook_data;
	u64 watch = (fx->vr.features & FEAT_EVENT_IDX) ?
		    fixture_ring_addr(fx, &vring_avail_event(&fx->driver.vr)) :
		    fx->vr.used;

	(void)len;
	if (addr != watch || fx->driver.avail_idx != fx->vr.last_avail)
		return;
	driver_ring_set_desc(&fx->driver, 1, 0x100, 8, 0, 0);
	driver_ring_publish_head(&fx->driver, 1);
}

static void test_kicks_enable_race(void)
{
	static const u64 schemes[] = { 0, FEAT_EVENT_IDX };
	unsigned int s;

	for (s = 0; s < ARRAY_SIZE(schemes); s++) {
		struct ring_fixture *fx = fixture_new(8, schemes[s]);
		struct vring_chain chain;

		fixture_ok(fx);
		CHECK_EQ(vring_core_disable_kicks(&fx->vr), 0);
		CHECK_EQ(take(fx, &chain), 0);
		fx->mem.hook_data = fx;
		fx->mem.after_write = publish_after_enable;
		CHECK_EQ(vring_core_enable_kicks(&fx->vr), 1);
		fx->mem.after_write = NULL;
		CHECK_EQ(fx->driver.avail_idx, 1);
		CHECK_EQ(take(fx, &chain), 1);
		CHECK_EQ(chain.head, 1);
		CHECK(fixture_memory_clean(fx));
		fixture_free(fx);
	}
}

/* ---- Copying ------------------------------------------------------ */

/* Readable segments of 5, 7 and 11 bytes, writable ones of 3 and 9. */
static const struct { u64 addr; u32 len; u16 flags; } copy_chain[] = {
	{ 0x100, 5, 0 },
	{ 0x200, 7, 0 },
	{ 0x300, 11, 0 },
	{ 0x400, 3, VRING_DESC_F_WRITE },
	{ 0x500, 9, VRING_DESC_F_WRITE },
};

static struct ring_fixture *copy_fixture(struct vring_chain *chain)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	u16 i, n = ARRAY_SIZE(copy_chain);

	fixture_ok(fx);
	fill_pattern(fx, 0, FIXTURE_LIMIT);
	for (i = 0; i < n; i++)
		driver_ring_set_desc(&fx->driver, i, copy_chain[i].addr, copy_chain[i].len,
				     copy_chain[i].flags |
				     (i + 1 < n ? VRING_DESC_F_NEXT : 0), i + 1);
	driver_ring_publish_head(&fx->driver, 0);
	CHECK_EQ(take(fx, chain), 1);
	return fx;
}

/* The window offset of byte 'pos' within the readable or writable part. */
static u64 chain_offset(bool writable, size_t pos)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(copy_chain); i++) {
		if (!!(copy_chain[i].flags & VRING_DESC_F_WRITE) != writable)
			continue;
		if (pos < copy_chain[i].len)
			return copy_chain[i].addr + pos;
		pos -= copy_chain[i].len;
	}
	return U64_MAX;
}

static void check_copy_from(struct ring_fixture *fx,
			    const struct vring_chain *chain, size_t offset,
			    size_t len, long expect)
{
	u8 dst[64];
	long i, got;

	tap_case("copy_from offset %zu len %zu", offset, len);
	memset(dst, 0xee, sizeof(dst));
	got = vring_core_copy_from_chain(&fx->vr, chain, offset, dst, len);
	CHECK_EQ(got, expect);
	for (i = 0; i < expect && i < got; i++)
		CHECK_EQ(dst[i], pattern(chain_offset(false, offset + i)));
	for (i = expect; i < (long)sizeof(dst); i++)
		CHECK_EQ(dst[i], 0xee);
}

static void test_copy_from_chain(void)
{
	struct vring_chain chain;
	struct ring_fixture *fx = copy_fixture(&chain);

	check_copy_from(fx, &chain, 0, 23, 23);		/* all of it */
	check_copy_from(fx, &chain, 3, 10, 10);		/* across 5|7 */
	check_copy_from(fx, &chain, 5, 7, 7);		/* one segment */
	check_copy_from(fx, &chain, 4, 16, 16);		/* three segments */
	check_copy_from(fx, &chain, 20, 10, 3);		/* runs out */
	check_copy_from(fx, &chain, 0, 64, 23);		/* short chain */
	check_copy_from(fx, &chain, 23, 4, 0);		/* at the end */
	check_copy_from(fx, &chain, 1000, 4, 0);	/* past it */
	check_copy_from(fx, &chain, 2, 0, 0);		/* nothing asked */
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

static void check_copy_to(struct ring_fixture *fx,
			  const struct vring_chain *chain, size_t offset,
			  size_t len, long expect)
{
	u8 src[64], before[FIXTURE_LIMIT];
	long i, got;
	u64 o;

	for (i = 0; i < (long)sizeof(src); i++)
		src[i] = (u8)(0x80 + i);
	fill_pattern(fx, 0, FIXTURE_LIMIT);
	memcpy(before, fixture_buf(fx, 0), FIXTURE_LIMIT);
	tap_case("copy_to offset %zu len %zu", offset, len);
	got = vring_core_copy_to_chain(&fx->vr, chain, offset, src, len);
	CHECK_EQ(got, expect);
	/* Exactly the bytes the copy covered changed, to src. */
	for (i = 0; i < expect; i++) {
		o = chain_offset(true, offset + i);
		CHECK_EQ(*(u8 *)fixture_buf(fx, o), src[i]);
		before[o] = src[i];
	}
	CHECK(!memcmp(before, fixture_buf(fx, 0), FIXTURE_LIMIT));
}

static void test_copy_to_chain(void)
{
	struct vring_chain chain;
	struct ring_fixture *fx = copy_fixture(&chain);

	check_copy_to(fx, &chain, 0, 12, 12);		/* all of it */
	check_copy_to(fx, &chain, 2, 4, 4);		/* across 3|9 */
	check_copy_to(fx, &chain, 3, 9, 9);		/* second segment */
	check_copy_to(fx, &chain, 5, 20, 7);		/* runs out */
	check_copy_to(fx, &chain, 12, 4, 0);		/* at the end */
	check_copy_to(fx, &chain, 1, 0, 0);		/* nothing asked */
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

/* ---- Hostile drivers ---------------------------------------------- */

static void test_hostile_descriptor_loop(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 0, 0x100, 16, VRING_DESC_F_NEXT, 1);
	driver_ring_set_desc(&fx->driver, 1, 0x200, 16, VRING_DESC_F_NEXT, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);

	fx = fixture_new(8, 0);
	driver_ring_set_desc(&fx->driver, 3, 0x100, 16, VRING_DESC_F_NEXT, 3);
	expect_chain_breaks(fx, 3);
	fixture_free(fx);
}

/* Without a loop, the only way past num descriptors is a big table. */
static void test_hostile_chain_longer_than_num(void)
{
	const u32 num = 4;
	const u64 table = 0x800;
	struct ring_fixture *fx = fixture_new(num, FEAT_INDIRECT);
	u16 i;

	fixture_ok(fx);
	for (i = 0; i <= num; i++)
		fixture_table_desc(fx, table, i, 0x40 * i, 8,
				   i < num ? VRING_DESC_F_NEXT : 0, i + 1);
	driver_ring_set_desc(&fx->driver, 0, table, (num + 1) * sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);
}

/*
 * A table with more entries than a chain may hold is refused before it is
 * walked, even when the chain in it is short: no honest driver makes one,
 * and the launcher has refused them since its first walker.
 */
static void test_hostile_indirect_table_longer_than_max_segs(void)
{
	static const u32 shapes[][2] = { { 4, 4 }, { 4, 16 } };
	const u64 table = 0x800;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		u32 num = shapes[i][0], max_segs = shapes[i][1];
		struct ring_fixture *fx =
			fixture_new_max_segs(num, FEAT_INDIRECT, max_segs);

		fixture_ok(fx);
		fixture_table_desc(fx, table, 0, 0x100, 8, 0, 0);
		driver_ring_set_desc(&fx->driver, 0, table,
				     (max_segs + 1) * sizeof(struct vring_desc),
				     VRING_DESC_F_INDIRECT, 0);
		tap_case("num %u, max_segs %u", num, max_segs);
		expect_chain_breaks(fx, 0);
		fixture_free(fx);
	}
}

static void test_hostile_indirect_loop(void)
{
	const u64 table = 0x800;
	struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);

	fixture_ok(fx);
	fixture_table_desc(fx, table, 0, 0x100, 8, VRING_DESC_F_NEXT, 1);
	fixture_table_desc(fx, table, 1, 0x200, 8, VRING_DESC_F_NEXT, 0);
	driver_ring_set_desc(&fx->driver, 0, table, 2 * sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);
}

static void test_hostile_nested_indirect(void)
{
	const u64 table = 0x800, inner = 0x900;
	struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);

	fixture_ok(fx);
	fixture_table_desc(fx, inner, 0, 0x100, 8, 0, 0);
	fixture_table_desc(fx, table, 0, inner, sizeof(struct vring_desc),
			   VRING_DESC_F_INDIRECT, 0);
	driver_ring_set_desc(&fx->driver, 0, table, sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);
}

static void test_hostile_indirect_with_next(void)
{
	const u64 table = 0x800;
	struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);

	fixture_ok(fx);
	fixture_table_desc(fx, table, 0, 0x100, 8, 0, 0);
	driver_ring_set_desc(&fx->driver, 1, 0x200, 8, 0, 0);
	driver_ring_set_desc(&fx->driver, 0, table, sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);
}

static void test_hostile_indirect_bad_length(void)
{
	static const u32 lens[] = { 0, 8, 24, 17, 15 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);

		fixture_ok(fx);
		fixture_table_desc(fx, 0x800, 0, 0x100, 8, 0, 0);
		fixture_table_desc(fx, 0x800, 1, 0x100, 8, 0, 0);
		driver_ring_set_desc(&fx->driver, 0, 0x800, lens[i], VRING_DESC_F_INDIRECT, 0);
		tap_case("indirect len %u", lens[i]);
		expect_chain_breaks(fx, 0);
		fixture_free(fx);
	}
}

static void test_hostile_indirect_without_feature(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_EVENT_IDX);

	fixture_ok(fx);
	fixture_table_desc(fx, 0x800, 0, 0x100, 8, 0, 0);
	driver_ring_set_desc(&fx->driver, 0, 0x800, sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);
}

static void test_hostile_indirect_next_beyond_table(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);

	fixture_ok(fx);
	fixture_table_desc(fx, 0x800, 0, 0x100, 8, VRING_DESC_F_NEXT, 1);
	fixture_table_desc(fx, 0x800, 1, 0x100, 8, VRING_DESC_F_NEXT, 2);
	/* Entry 2 exists in memory but is outside the 2-entry table. */
	fixture_table_desc(fx, 0x800, 2, 0x100, 8, 0, 0);
	driver_ring_set_desc(&fx->driver, 0, 0x800, 2 * sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);
}

static void test_hostile_indirect_table_outside_limit(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 0, FIXTURE_LIMIT - sizeof(struct vring_desc),
			     2 * sizeof(struct vring_desc), VRING_DESC_F_INDIRECT, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);
}

/* Exactly num waiting is fine; num + 1 (or a step back) is a lie. */
static void test_hostile_avail_idx_too_far_ahead(void)
{
	static const u16 ahead[] = { 9, 0x8000, 0xffff };
	struct vring_chain chain;
	struct ring_fixture *fx;
	unsigned int i;

	fx = fixture_new(8, 0);
	fixture_ok(fx);
	for (i = 0; i < 8; i++) {
		driver_ring_set_desc(&fx->driver, i, 0x100, 8, 0, 0);
		driver_ring_publish_head(&fx->driver, i);
	}
	for (i = 0; i < 8; i++)
		CHECK_EQ(take(fx, &chain), 1);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);

	for (i = 0; i < ARRAY_SIZE(ahead); i++) {
		fx = fixture_new(8, 0);
		fixture_ok(fx);
		driver_ring_set_avail_idx(&fx->driver, ahead[i]);
		tap_case("avail->idx %u ahead of 0", ahead[i]);
		check_broken(fx, take(fx, &chain), false);
		fixture_free(fx);
	}
}

static void test_hostile_head_beyond_ring(void)
{
	static const u16 heads[] = { 8, 9, 0xffff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(heads); i++) {
		struct ring_fixture *fx = fixture_new(8, 0);

		fixture_ok(fx);
		expect_chain_breaks(fx, heads[i]);
		fixture_free(fx);
	}
}

static void test_hostile_next_beyond_ring(void)
{
	static const u16 nexts[] = { 8, 0xffff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nexts); i++) {
		struct ring_fixture *fx = fixture_new(8, 0);

		fixture_ok(fx);
		driver_ring_set_desc(&fx->driver, 0, 0x100, 8, VRING_DESC_F_NEXT, nexts[i]);
		expect_chain_breaks(fx, 0);
		fixture_free(fx);
	}
}

/* The last bytes of the window are usable; one byte more is not. */
static void test_buffer_at_end_of_window(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;
	u8 got[16], want[16];

	fixture_ok(fx);
	fill_pattern(fx, FIXTURE_LIMIT - 16, 16);
	memcpy(want, fixture_buf(fx, FIXTURE_LIMIT - 16), 16);
	driver_ring_set_desc(&fx->driver, 0, FIXTURE_LIMIT - 16, 16, 0, 0);
	driver_ring_publish_head(&fx->driver, 0);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(vring_core_copy_from_chain(&fx->vr, &chain, 0, got, 16), 16);
	CHECK(!memcmp(got, want, 16));
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

static void test_hostile_buffer_outside_limit(void)
{
	static const struct { u64 addr; u32 len; } bad[] = {
		{ FIXTURE_LIMIT - 16, 17 },
		{ FIXTURE_LIMIT, 1 },
		{ FIXTURE_LIMIT + 0x100, 4 },
		{ U64_MAX - 4, 16 },
		{ U64_MAX, 1 },
		{ 0x100, 0xffffffff },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct ring_fixture *fx = fixture_new(8, 0);

		fixture_ok(fx);
		driver_ring_set_desc(&fx->driver, 0, bad[i].addr, bad[i].len, 0, 0);
		tap_case("addr %#llx len %#x",
			 (unsigned long long)bad[i].addr, bad[i].len);
		expect_chain_breaks(fx, 0);
		fixture_free(fx);
	}
}

/* limit covers everything, but base + addr wraps past 2^64. */
static void test_hostile_base_plus_addr_overflow(void)
{
	static const u64 flags[] = { 0, VRING_DESC_F_INDIRECT };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);

		fixture_ok(fx);
		fx->vr.base = U64_MAX - 0xfff;
		fx->vr.limit = U64_MAX;
		driver_ring_set_desc(&fx->driver, 0, 0x1000, sizeof(struct vring_desc),
				     flags[i], 0);
		expect_chain_breaks(fx, 0);
		fixture_free(fx);
	}
}

/* 4 GiB - 1 in a chain is allowed, 4 GiB is not (in whatever direction). */
static void test_hostile_chain_length_overflow(void)
{
	static const struct { u32 a; u32 b; u16 b_flags; bool ok; } c[] = {
		{ 0xfffffffe, 1, 0, true },
		{ 0xffffffff, 1, 0, false },
		{ 0x80000000, 0x80000000, VRING_DESC_F_WRITE, false },
		{ 0xffffffff, 0xffffffff, VRING_DESC_F_WRITE, false },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		struct ring_fixture *fx = fixture_new(8, 0);
		struct vring_chain chain;
		int got;

		fixture_ok(fx);
		fx->vr.limit = 1ULL << 40;
		driver_ring_set_desc(&fx->driver, 0, 0, c[i].a, VRING_DESC_F_NEXT, 1);
		driver_ring_set_desc(&fx->driver, 1, 0, c[i].b, c[i].b_flags, 0);
		driver_ring_publish_head(&fx->driver, 0);
		got = take(fx, &chain);
		tap_case("lengths %#x + %#x", c[i].a, c[i].b);
		if (c[i].ok) {
			CHECK_EQ(got, 1);
			CHECK_EQ(chain.readable_len, (u64)c[i].a + c[i].b);
			CHECK(fixture_memory_clean(fx));
		} else {
			check_broken(fx, got, false);
		}
		fixture_free(fx);
	}
}

static void test_hostile_readable_after_writable(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 0, 0x100, 8,
			     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	driver_ring_set_desc(&fx->driver, 1, 0x200, 8, 0, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);

	fx = fixture_new(8, FEAT_INDIRECT);
	fixture_table_desc(fx, 0x800, 0, 0x100, 8,
			   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	fixture_table_desc(fx, 0x800, 1, 0x200, 8, 0, 0);
	driver_ring_set_desc(&fx->driver, 0, 0x800, 2 * sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	expect_chain_breaks(fx, 0);
	fixture_free(fx);
}

/* ---- Ring memory the core cannot reach ----------------------------- */

static void test_efault_descriptor_table(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 0, 0x100, 8, 0, 0);
	driver_ring_publish_head(&fx->driver, 0);
	fake_mem_region(&fx->mem, "desc")->perms = 0;
	check_broken(fx, take(fx, &chain), true);
	fixture_free(fx);
}

static void test_efault_avail_ring(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;

	fixture_ok(fx);
	fake_mem_region(&fx->mem, "avail")->perms = 0;
	check_broken(fx, take(fx, &chain), true);
	fixture_free(fx);

	/* need_signal reads avail->flags: it fails quietly, ring broken. */
	fx = fixture_new(8, 0);
	use_one(fx, 0);
	fake_mem_region(&fx->mem, "avail")->perms = 0;
	CHECK(!vring_core_need_signal(&fx->vr));
	check_broken(fx, -EIO, true);
	fixture_free(fx);
}

static void test_efault_used_ring(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 0, 0x100, 8, 0, 0);
	driver_ring_publish_head(&fx->driver, 0);
	CHECK_EQ(take(fx, &chain), 1);
	fake_mem_region(&fx->mem, "used")->perms = FAKE_READ;
	check_broken(fx, vring_core_push_used(&fx->vr, 0, 0), true);
	fixture_free(fx);

	fx = fixture_new(8, 0);
	fake_mem_region(&fx->mem, "used")->perms = FAKE_READ;
	check_broken(fx, vring_core_disable_kicks(&fx->vr), true);
	fixture_free(fx);

	fx = fixture_new(8, FEAT_EVENT_IDX);
	fake_mem_region(&fx->mem, "used")->perms = FAKE_READ;
	check_broken(fx, vring_core_enable_kicks(&fx->vr), true);
	fixture_free(fx);
}

static void test_efault_buffers(void)
{
	struct vring_chain chain;
	struct ring_fixture *fx = copy_fixture(&chain);
	u8 bytes[8] = { 0 };

	fake_mem_region(&fx->mem, "buffers")->perms = FAKE_READ;
	check_broken(fx, (int)vring_core_copy_to_chain(&fx->vr, &chain, 0,
						       bytes, 8), true);
	fixture_free(fx);

	fx = copy_fixture(&chain);
	fake_mem_region(&fx->mem, "buffers")->perms = 0;
	check_broken(fx, (int)vring_core_copy_from_chain(&fx->vr, &chain, 0,
							 bytes, 8), true);
	fixture_free(fx);
}

static void test_efault_indirect_table(void)
{
	struct ring_fixture *fx = fixture_new(8, FEAT_INDIRECT);
	struct vring_chain chain;

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 0, 0x800, sizeof(struct vring_desc),
			     VRING_DESC_F_INDIRECT, 0);
	driver_ring_publish_head(&fx->driver, 0);
	fake_mem_region(&fx->mem, "buffers")->perms = 0;
	check_broken(fx, take(fx, &chain), true);
	fixture_free(fx);
}

/* ---- Broken is final (until set up again) ------------------------- */

static void test_broken_ring_refuses_everything(void)
{
	struct vring_chain chain;
	struct ring_fixture *fx = copy_fixture(&chain);
	u8 bytes[8] = { 0 };
	unsigned long writes;

	driver_ring_set_desc(&fx->driver, 7, 0x100, 8, VRING_DESC_F_NEXT, 7);
	driver_ring_publish_head(&fx->driver, 7);
	CHECK_EQ(take(fx, &chain), -EIO);
	writes = fx->mem.writes;
	CHECK_EQ(take(fx, &chain), -EIO);
	CHECK_EQ(vring_core_push_used(&fx->vr, 0, 1), -EIO);
	CHECK(!vring_core_need_signal(&fx->vr));
	CHECK_EQ(vring_core_disable_kicks(&fx->vr), -EIO);
	CHECK_EQ(vring_core_enable_kicks(&fx->vr), -EIO);
	CHECK_EQ(vring_core_copy_from_chain(&fx->vr, &chain, 0, bytes, 8),
		 -EIO);
	CHECK_EQ(vring_core_copy_to_chain(&fx->vr, &chain, 0, bytes, 8),
		 -EIO);
	CHECK_EQ(fx->mem.writes, writes);
	CHECK_EQ(driver_ring_used_idx(&fx->driver), 0);
	CHECK_EQ(fx->mem.reports, 1);
	CHECK(fixture_memory_clean(fx));
	fixture_free(fx);
}

static void test_break_from_outside(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	static const char first[] = "consumer found a bad header";
	struct vring_chain chain;

	fixture_ok(fx);
	vring_core_break(&fx->vr, first);
	vring_core_break(&fx->vr, "a second reason");
	CHECK(fx->vr.broken == first);
	CHECK_EQ(fx->mem.reports, 1);
	CHECK(fx->mem.reported == first);
	CHECK_EQ(take(fx, &chain), -EIO);
	fixture_free(fx);
}

static void test_init_clears_broken(void)
{
	struct ring_fixture *fx = fixture_new(8, 0);
	struct vring_chain chain;

	fixture_ok(fx);
	driver_ring_set_desc(&fx->driver, 0, 0x100, 8, 0, 0);
	expect_chain_breaks(fx, 9);
	/* The driver fixes its ring and sets it up again from used->idx. */
	driver_ring_set_avail_idx(&fx->driver, 0);
	driver_ring_publish_head(&fx->driver, 0);
	CHECK_EQ(vring_core_init(&fx->vr, fx->segs, fx->vr.num), 0);
	CHECK(!fx->vr.broken);
	CHECK_EQ(take(fx, &chain), 1);
	CHECK_EQ(chain.head, 0);
	fixture_free(fx);
}

#define T(fn) { #fn + 5, fn }

static const struct tap_test tests[] = {
	T(test_layout_num_powers_of_two),
	T(test_layout_num_rejected),
	T(test_layout_alignment),
	T(test_layout_features),
	T(test_part_sizes),
	T(test_legacy_vring_init_layout),
	T(test_legacy_layout_ring),
	T(test_init_fresh_ring),
	T(test_init_resumes_from_used_idx),
	T(test_init_unreadable_used_ring),
	T(test_single_readable_descriptor),
	T(test_multi_descriptor_chain),
	T(test_chains_in_avail_order),
	T(test_chain_of_num_descriptors),
	T(test_zero_length_descriptor),
	T(test_indirect_table),
	T(test_indirect_table_of_num_entries),
	T(test_indirect_table_longer_than_ring),
	T(test_init_max_segs_below_num),
	T(test_push_used),
	T(test_push_used_element_before_index),
	T(test_discard_returns_chains_again),
	T(test_index_wraparound),
	T(test_index_wraparound_event_idx),
	T(test_signal_without_event_idx),
	T(test_stats),
	T(test_signal_nothing_new_without_event_idx),
	T(test_signal_event_idx_first),
	T(test_signal_event_idx_crossing),
	T(test_signal_event_idx_ignores_flag),
	T(test_kicks_used_flags),
	T(test_kicks_avail_event),
	T(test_kicks_enable_sees_pending),
	T(test_kicks_enable_race),
	T(test_copy_from_chain),
	T(test_copy_to_chain),
	T(test_hostile_descriptor_loop),
	T(test_hostile_chain_longer_than_num),
	T(test_hostile_indirect_table_longer_than_max_segs),
	T(test_hostile_indirect_loop),
	T(test_hostile_nested_indirect),
	T(test_hostile_indirect_with_next),
	T(test_hostile_indirect_bad_length),
	T(test_hostile_indirect_without_feature),
	T(test_hostile_indirect_next_beyond_table),
	T(test_hostile_indirect_table_outside_limit),
	T(test_hostile_avail_idx_too_far_ahead),
	T(test_hostile_head_beyond_ring),
	T(test_hostile_next_beyond_ring),
	T(test_buffer_at_end_of_window),
	T(test_hostile_buffer_outside_limit),
	T(test_hostile_base_plus_addr_overflow),
	T(test_hostile_chain_length_overflow),
	T(test_hostile_readable_after_writable),
	T(test_efault_descriptor_table),
	T(test_efault_avail_ring),
	T(test_efault_used_ring),
	T(test_efault_buffers),
	T(test_efault_indirect_table),
	T(test_broken_ring_refuses_everything),
	T(test_break_from_outside),
	T(test_init_clears_broken),
};

int main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
