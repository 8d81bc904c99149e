// SPDX-License-Identifier: GPL-2.0
/*
 * The arena: where the suite keeps its rings and buffers.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conformance.h"

/*
 * The whole suite rests on one trick.  A virtio device may read the
 * descriptor table, the available ring and the device-readable buffers,
 * and may write only the used ring and the device-writable buffers.  A
 * test that merely looks at memory afterwards can miss a device that
 * wrote something and then wrote it back, and cannot see reads at all.
 *
 * So every ring lives in a memfd mapped twice.  The driver (this program)
 * uses one mapping, read-write everywhere.  The device gets the other:
 * its address goes to VRINGSETBASE and VRINGSETUP, and in it each page
 * carries exactly the rights the spec gives the device.  Pages nobody
 * offered the device are PROT_NONE.  When vringfd touches memory it was
 * not given, copy_from_user() or copy_to_user() fails, vringfd reports
 * the ring broken with EFAULT, and the test sees it.  A ring that is not
 * broken at the end of a test therefore proves the device stayed inside
 * the lines - reads included.
 */
struct conf_arena *arena_new(size_t size)
{
	struct conf_arena *ar = calloc(1, sizeof(*ar));

	if (!ar)
		tap_bail_out("out of memory");
	size = (size + CONF_PAGE - 1) & ~(CONF_PAGE - 1);
	ar->size = size;
	ar->memfd = memfd_create("ring-conformance", MFD_CLOEXEC);
	if (ar->memfd < 0)
		tap_bail_out("memfd_create: %m");
	if (ftruncate(ar->memfd, size))
		tap_bail_out("ftruncate: %m");
	ar->drv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       ar->memfd, 0);
	ar->dev = mmap(NULL, size, PROT_NONE, MAP_SHARED, ar->memfd, 0);
	if (ar->drv == MAP_FAILED || ar->dev == MAP_FAILED)
		tap_bail_out("mmap of %zu bytes: %m", size);
	ar->snap = malloc(size);
	ar->mask = malloc(size);
	if (!ar->snap || !ar->mask)
		tap_bail_out("out of memory");
	return ar;
}

void arena_free(struct conf_arena *ar)
{
	munmap(ar->drv, ar->size);
	munmap(ar->dev, ar->size);
	close(ar->memfd);
	free(ar->snap);
	free(ar->mask);
	free(ar->regions);
	free(ar);
}

static int conf_prot(enum conf_access acc)
{
	switch (acc) {
	case CONF_READ:
		return PROT_READ;
	case CONF_WRITE:
		return PROT_READ | PROT_WRITE;
	default:
		return PROT_NONE;
	}
}

void arena_protect(struct conf_arena *ar, size_t off, size_t len,
		   enum conf_access acc)
{
	size_t start = off & ~(CONF_PAGE - 1);
	size_t end = (off + len + CONF_PAGE - 1) & ~(CONF_PAGE - 1);

	if (mprotect(ar->dev + start, end - start, conf_prot(acc)))
		tap_bail_out("mprotect: %m");
}

/* The byte a pattern-filled location holds: it depends on where it is. */
unsigned char conf_pattern(size_t off)
{
	return (unsigned char)((off * 131 + (off >> 8) * 7 + 0x5a) | 1);
}

void arena_fill_pattern(struct conf_arena *ar, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		ar->drv[off + i] = conf_pattern(off + i);
}

bool arena_is_pattern(struct conf_arena *ar, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (ar->drv[off + i] != conf_pattern(off + i))
			return false;
	return true;
}

/*
 * Every allocation starts with a guard page: the device view is PROT_NONE
 * until a region is handed out, so the page before each region (and the
 * rest of the arena after the last one) stays inaccessible to the device.
 */
size_t arena_pages(struct conf_arena *ar, size_t npages, enum conf_access acc)
{
	size_t off = ar->top + CONF_PAGE;
	size_t len = npages * CONF_PAGE;

	if (off + len + CONF_PAGE > ar->size)
		tap_bail_out("arena of %zu bytes is full", ar->size);
	ar->top = off + len;
	arena_protect(ar, off, len, acc);
	arena_fill_pattern(ar, off, len);
	if (ar->nregions == ar->maxregions) {
		ar->maxregions = ar->maxregions ? 2 * ar->maxregions : 64;
		ar->regions = realloc(ar->regions,
				      ar->maxregions * sizeof(*ar->regions));
		if (!ar->regions)
			tap_bail_out("out of memory");
	}
	ar->regions[ar->nregions].off = off;
	ar->regions[ar->nregions].len = len;
	ar->nregions++;
	return off;
}

size_t arena_buf(struct conf_arena *ar, size_t len, enum conf_access acc,
		 enum conf_place place)
{
	size_t npages = (len + CONF_PAGE - 1) / CONF_PAGE;
	size_t off;

	if (!npages)
		npages = 1;
	off = arena_pages(ar, npages, acc);
	if (place == CONF_AT_END)
		off += npages * CONF_PAGE - len;
	return off;
}

/*
 * The audit.  Before the device runs we copy every region; after,
 * each byte that changed must lie in a range the test allowed: a used
 * entry the device published, used->idx, used->flags, avail_event, or the
 * first "len" bytes of a writable buffer it returned.  Anything else is a
 * stray write, and we say where it landed.
 */
void audit_begin(struct conf_arena *ar)
{
	unsigned int i;

	for (i = 0; i < ar->nregions; i++) {
		memcpy(ar->snap + ar->regions[i].off,
		       ar->drv + ar->regions[i].off, ar->regions[i].len);
		memset(ar->mask + ar->regions[i].off, 0, ar->regions[i].len);
	}
}

void audit_allow(struct conf_arena *ar, size_t off, size_t len)
{
	if (off + len > ar->size)
		tap_bail_out("audit_allow beyond the arena");
	memset(ar->mask + off, 1, len);
}

static int audit_region(struct conf_arena *ar, size_t off, size_t len,
			const char *when)
{
	size_t pos, i, end;

	for (pos = off; pos < off + len; pos += 256) {
		end = pos + 256 < off + len ? pos + 256 : off + len;
		if (!memcmp(ar->drv + pos, ar->snap + pos, end - pos))
			continue;
		for (i = pos; i < end; i++) {
			if (ar->drv[i] == ar->snap[i] || ar->mask[i])
				continue;
			fail("%s: the device changed a byte it does not own: arena offset 0x%zx (region 0x%zx+0x%zx) 0x%02x -> 0x%02x",
			     when, i, off, len, ar->snap[i], ar->drv[i]);
			return -1;
		}
	}
	return 0;
}

int audit_check(struct conf_arena *ar, const char *when)
{
	unsigned int i;

	for (i = 0; i < ar->nregions; i++)
		if (audit_region(ar, ar->regions[i].off, ar->regions[i].len,
				 when))
			return -1;
	return 0;
}
