// SPDX-License-Identifier: GPL-2.0
/*
 * The fake address space behind the unit tests and the fuzz target: see
 * fake_mem.h for what it checks.  This file also supplies the three
 * functions fs/vring_core.c expects its linker to provide.
 */
#include <stdio.h>
#include <string.h>

#include "fake_mem.h"

void fake_mem_init(struct fake_mem *mem)
{
	memset(mem, 0, sizeof(*mem));
}

struct fake_region *fake_mem_map(struct fake_mem *mem, const char *name,
				 u64 start, u64 size, void *bytes,
				 unsigned int perms)
{
	struct fake_region *region;

	if (mem->nregions == FAKE_MEM_MAX_REGIONS)
		return NULL;
	region = &mem->regions[mem->nregions++];
	region->name = name;
	region->start = start;
	region->size = size;
	region->bytes = bytes;
	region->perms = perms;
	return region;
}

struct fake_region *fake_mem_region(struct fake_mem *mem, const char *name)
{
	unsigned int i;

	for (i = 0; i < mem->nregions; i++)
		if (!strcmp(mem->regions[i].name, name))
			return &mem->regions[i];
	return NULL;
}

/* The region holding all of [addr, addr + len), if any. */
static struct fake_region *fake_mem_find(struct fake_mem *mem, u64 addr,
					 size_t len)
{
	unsigned int i;

	for (i = 0; i < mem->nregions; i++) {
		struct fake_region *region = &mem->regions[i];

		if (addr >= region->start &&
		    addr - region->start <= region->size &&
		    len <= region->size - (addr - region->start))
			return region;
	}
	return NULL;
}

void *fake_mem_host(struct fake_mem *mem, u64 addr, size_t len)
{
	struct fake_region *region = fake_mem_find(mem, addr, len);

	return region ? region->bytes + (addr - region->start) : NULL;
}

static bool fake_inside(u64 addr, size_t len, u64 start, u64 size)
{
	return addr >= start && addr - start <= size &&
	       len <= size - (addr - start);
}

/* Is [addr, addr + len) one of the ring's own parts? */
static bool fake_is_ring(const struct vring_core *vr, u64 addr, size_t len)
{
	return fake_inside(addr, len, vr->desc, vring_core_desc_size(vr->num)) ||
	       fake_inside(addr, len, vr->avail, vring_core_avail_size(vr->num)) ||
	       fake_inside(addr, len, vr->used, vring_core_used_size(vr->num));
}

/* Is it inside the buffer window [base, base + limit)? */
static bool fake_in_window(const struct vring_core *vr, u64 addr, size_t len)
{
	u64 end;

	if (addr < vr->base || __builtin_add_overflow(addr, len, &end))
		return false;
	return end - vr->base <= vr->limit;
}

static void fake_problem(struct fake_mem *mem, const char *what, u64 addr,
			 size_t len, bool write)
{
	if (mem->first_problem[0])
		return;
	snprintf(mem->first_problem, sizeof(mem->first_problem),
		 "%s: %s of %zu bytes at %#llx", what, write ? "write" : "read",
		 len, (unsigned long long)addr);
}

/* Checks one access; returns the host memory to use, or NULL for -EFAULT. */
static u8 *fake_access(struct vring_core *vr, u64 addr, size_t len,
		       bool write)
{
	struct fake_mem *mem = vr->mem;
	struct fake_region *region;
	unsigned int need = write ? FAKE_WRITE : FAKE_READ;
	bool ring = fake_is_ring(vr, addr, len);

	if (!ring && !fake_in_window(vr, addr, len)) {
		mem->escapes++;
		fake_problem(mem, "outside the ring and [base, base+limit)",
			     addr, len, write);
	}
	region = fake_mem_find(mem, addr, len);
	if (!region || !(region->perms & need)) {
		mem->faults++;
		mem->ring_faults += ring;
		fake_problem(mem, region ? "not permitted" : "unmapped",
			     addr, len, write);
		return NULL;
	}
	return region->bytes + (addr - region->start);
}

int vring_core_read(struct vring_core *vr, void *dst, u64 addr, size_t len)
{
	struct fake_mem *mem = vr->mem;
	u8 *src = fake_access(vr, addr, len, false);

	if (!src)
		return -EFAULT;
	mem->reads++;
	memcpy(dst, src, len);
	return 0;
}

int vring_core_write(struct vring_core *vr, u64 addr, const void *src,
		     size_t len)
{
	struct fake_mem *mem = vr->mem;
	u8 *dst = fake_access(vr, addr, len, true);

	if (!dst)
		return -EFAULT;
	mem->writes++;
	memcpy(dst, src, len);
	if (mem->after_write)
		mem->after_write(mem, addr, len);
	return 0;
}

/* One 2-byte access, checked like any other. */
int vring_core_get16(struct vring_core *vr, u64 addr, __le16 *val)
{
	return vring_core_read(vr, val, addr, sizeof(*val));
}

int vring_core_put16(struct vring_core *vr, u64 addr, __le16 val)
{
	return vring_core_write(vr, addr, &val, sizeof(val));
}

void vring_core_report(struct vring_core *vr)
{
	struct fake_mem *mem = vr->mem;

	mem->reports++;
	mem->reported = vr->broken;
}
