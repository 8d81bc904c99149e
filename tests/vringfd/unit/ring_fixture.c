// SPDX-License-Identifier: GPL-2.0
/* The fake ring the unit tests drive: see ring_fixture.h. */
#include <stdio.h>
#include <stdlib.h>

#include "ring_fixture.h"

#define GUARD_BYTE	0xa5

static void *alloc_or_die(size_t size)
{
	void *p = aligned_alloc(FIXTURE_ALIGN,
				(size + FIXTURE_ALIGN - 1) & ~(size_t)(FIXTURE_ALIGN - 1));

	if (!p) {
		perror("aligned_alloc");
		exit(1);
	}
	memset(p, 0, size);
	return p;
}

static bool host_within(const void *p, const u8 *block, size_t size)
{
	uintptr_t at = (uintptr_t)p, start = (uintptr_t)block;

	return at >= start && at - start < size;
}

/* Which part a host pointer is in, so we can translate it. */
u64 fixture_ring_addr(const struct ring_fixture *fx, const void *p)
{
	u32 num = fx->driver.vr.num;

	if (fx->avail_bytes &&
	    host_within(p, fx->avail_bytes, vring_core_avail_size(num)))
		return fx->ring_addr[1] + (u64)((const u8 *)p - fx->avail_bytes);
	if (fx->used_bytes &&
	    host_within(p, fx->used_bytes, vring_core_used_size(num)))
		return fx->ring_addr[2] + (u64)((const u8 *)p - fx->used_bytes);
	return fx->ring_addr[0] + (u64)((const u8 *)p - fx->ring_bytes);
}

/* One block: vring_init() decides where avail and used go. */
static void fixture_lay_out_legacy(struct ring_fixture *fx, u32 num)
{
	fx->ring_bytes = alloc_or_die(vring_size(num, FIXTURE_ALIGN));
	vring_init(&fx->driver.vr, num, fx->ring_bytes, FIXTURE_ALIGN);
	fx->ring_addr[0] = FIXTURE_RING_ADDR;
}

/* Three blocks, FIXTURE_PART_GAP apart in the core's address space. */
static void fixture_lay_out_apart(struct ring_fixture *fx, u32 num)
{
	unsigned int i;

	fx->ring_bytes = alloc_or_die(vring_core_desc_size(num));
	fx->avail_bytes = alloc_or_die(vring_core_avail_size(num));
	fx->used_bytes = alloc_or_die(vring_core_used_size(num));
	for (i = 0; i < 3; i++)
		fx->ring_addr[i] = FIXTURE_RING_ADDR + i * FIXTURE_PART_GAP;
	driver_ring_init(&fx->driver, num, fx->ring_bytes, fx->avail_bytes,
			 fx->used_bytes);
}

static void fixture_map_ring(struct ring_fixture *fx, u32 num)
{
	struct vring *ring = &fx->driver.vr;

	fake_mem_map(&fx->mem, "desc", fixture_ring_addr(fx, ring->desc),
		     vring_core_desc_size(num), ring->desc, FAKE_READ);
	fake_mem_map(&fx->mem, "avail", fixture_ring_addr(fx, ring->avail),
		     vring_core_avail_size(num), ring->avail, FAKE_READ);
	fake_mem_map(&fx->mem, "used", fixture_ring_addr(fx, ring->used),
		     vring_core_used_size(num), ring->used,
		     FAKE_READ | FAKE_WRITE);
}

struct ring_fixture *fixture_new_uninit(u32 num, u64 features, bool legacy)
{
	struct ring_fixture *fx = alloc_or_die(sizeof(*fx));
	size_t buf_size = FIXTURE_LIMIT + 2 * FIXTURE_GUARD;

	fake_mem_init(&fx->mem);
	if (legacy)
		fixture_lay_out_legacy(fx, num);
	else
		fixture_lay_out_apart(fx, num);
	fixture_map_ring(fx, num);

	fx->buf_bytes = alloc_or_die(buf_size);
	memset(fx->buf_bytes, GUARD_BYTE, buf_size);
	memset(fx->buf_bytes + FIXTURE_GUARD, 0, FIXTURE_LIMIT);
	fake_mem_map(&fx->mem, "buffers", FIXTURE_BASE - FIXTURE_GUARD,
		     buf_size, fx->buf_bytes, FAKE_READ | FAKE_WRITE);

	fx->segs = alloc_or_die(sizeof(*fx->segs) * num);
	fx->vr.num = num;
	fx->vr.features = features;
	fx->vr.desc = fixture_ring_addr(fx, fx->driver.vr.desc);
	fx->vr.avail = fixture_ring_addr(fx, fx->driver.vr.avail);
	fx->vr.used = fixture_ring_addr(fx, fx->driver.vr.used);
	fx->vr.base = FIXTURE_BASE;
	fx->vr.limit = FIXTURE_LIMIT;
	fx->vr.mem = &fx->mem;
	return fx;
}

static struct ring_fixture *fixture_start(struct ring_fixture *fx)
{
	fx->init_result = vring_core_init(&fx->vr, fx->segs, fx->vr.num);
	return fx;
}

struct ring_fixture *fixture_new_legacy(u32 num, u64 features)
{
	return fixture_start(fixture_new_uninit(num, features, true));
}

struct ring_fixture *fixture_new(u32 num, u64 features)
{
	return fixture_start(fixture_new_uninit(num, features, false));
}

struct ring_fixture *fixture_new_max_segs(u32 num, u64 features, u32 max_segs)
{
	struct ring_fixture *fx = fixture_new_uninit(num, features, false);

	free(fx->segs);
	fx->segs = alloc_or_die(sizeof(*fx->segs) * max_segs);
	fx->init_result = vring_core_init(&fx->vr, fx->segs, max_segs);
	return fx;
}

void fixture_free(struct ring_fixture *fx)
{
	free(fx->segs);
	free(fx->buf_bytes);
	free(fx->used_bytes);
	free(fx->avail_bytes);
	free(fx->ring_bytes);
	free(fx);
}

void *fixture_buf(struct ring_fixture *fx, u64 offset)
{
	return fx->buf_bytes + FIXTURE_GUARD + offset;
}

void fixture_table_desc(struct ring_fixture *fx, u64 table, u16 i, u64 addr,
			u32 len, u16 flags, u16 next)
{
	struct vring_desc *t = fixture_buf(fx, table);

	driver_desc_fill(&t[i], addr, len, flags, next);
}

bool fixture_guards_intact(const struct ring_fixture *fx)
{
	const u8 *after = fx->buf_bytes + FIXTURE_GUARD + FIXTURE_LIMIT;
	u64 i;

	for (i = 0; i < FIXTURE_GUARD; i++)
		if (fx->buf_bytes[i] != GUARD_BYTE || after[i] != GUARD_BYTE)
			return false;
	return true;
}

bool fixture_memory_clean(struct ring_fixture *fx)
{
	bool clean = !fx->mem.faults && !fx->mem.escapes &&
		     fixture_guards_intact(fx);

	if (!clean)
		printf("#   memory: %lu faults, %lu escapes, guards %s; %s\n",
		       fx->mem.faults, fx->mem.escapes,
		       fixture_guards_intact(fx) ? "intact" : "overwritten",
		       fx->mem.first_problem);
	return clean;
}
