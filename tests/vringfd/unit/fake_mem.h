/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake address space for testing fs/vring_core.c in userspace.
 *
 * The core reaches memory only through vring_core_read() and
 * vring_core_write(); here those go to a handful of named regions, each
 * backed by host memory and each with its own permissions.  Every access
 * is checked twice:
 *
 *  - it must fall wholly inside one region that allows it, or it fails
 *    with -EFAULT and counts as a fault (this is how tests make a ring
 *    part unreadable);
 *  - unless it is inside one of the ring's three parts (desc, avail, used,
 *    as the vring_core describes them), it is a buffer access and must lie
 *    inside [base, base + limit).  The buffer region is mapped a little
 *    wider than that window (guard bytes), so a core that forgot the limit
 *    would succeed in reading or writing outside it; the access is then
 *    counted as an escape, which no test allows.
 */
#ifndef FAKE_MEM_H
#define FAKE_MEM_H

#include "vring_core.h"

#define FAKE_MEM_MAX_REGIONS	8

enum {
	FAKE_READ = 1,
	FAKE_WRITE = 2,
};

struct fake_region {
	const char *name;
	u64 start;		/* address as the core sees it */
	u64 size;
	u8 *bytes;		/* host memory behind it */
	unsigned int perms;	/* FAKE_READ | FAKE_WRITE */
};

struct fake_mem {
	struct fake_region regions[FAKE_MEM_MAX_REGIONS];
	unsigned int nregions;

	unsigned long reads;
	unsigned long writes;
	unsigned long faults;	/* refused: no region, or not permitted */
	unsigned long ring_faults;	/* of those, inside a ring part */
	unsigned long escapes;	/* buffer access outside [base, base+limit) */
	unsigned long reports;	/* vring_core_report() calls */
	const char *reported;	/* vr->broken when it was reported */
	char first_problem[192];	/* the first fault or escape, in words */

	/*
	 * Called after every successful write, so a test can play the
	 * driver racing with the device (publish a buffer right after the
	 * core asked for kicks, say).
	 */
	void (*after_write)(struct fake_mem *mem, u64 addr, size_t len);
	void *hook_data;
};

void fake_mem_init(struct fake_mem *mem);
/* Maps a region over host memory; returns it (for later permission changes). */
struct fake_region *fake_mem_map(struct fake_mem *mem, const char *name,
				 u64 start, u64 size, void *bytes,
				 unsigned int perms);
struct fake_region *fake_mem_region(struct fake_mem *mem, const char *name);
/* Host pointer for a core address, or NULL if unmapped (for test asserts). */
void *fake_mem_host(struct fake_mem *mem, u64 addr, size_t len);

#endif /* FAKE_MEM_H */
