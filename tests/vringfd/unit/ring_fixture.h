/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A ring in fake memory, and the driver's side of it, for the unit tests.
 *
 * The fixture puts the ring's three parts far apart, as virtio 1.x allows,
 * with unmapped gaps between them, so that reading a descriptor past the
 * table (or any part past its end) faults instead of landing in the next
 * part.  fixture_new_legacy() uses the single-block vring_init() layout of
 * <linux/virtio_ring.h> instead.  Either way each part is its own region,
 * desc and avail read-only (the device never writes them), and a buffer
 * window [FIXTURE_BASE, FIXTURE_BASE + FIXTURE_LIMIT) is mapped with guard
 * bytes on both sides.  The test then plays the driver through
 * fx->driver (tests/lib/driver_ring.h, over the host view of the parts)
 * and the core through fx->vr.
 */
#ifndef RING_FIXTURE_H
#define RING_FIXTURE_H

#include "driver_ring.h"
#include "fake_mem.h"

#define FIXTURE_RING_ADDR	0x10000000ULL
#define FIXTURE_PART_GAP	0x01000000ULL	/* between parts, unmapped */
#define FIXTURE_BASE		0x40000000ULL
#define FIXTURE_LIMIT		0x10000ULL
#define FIXTURE_GUARD		0x1000ULL
#define FIXTURE_ALIGN		4096

#define FEAT_INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define FEAT_EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)

struct ring_fixture {
	struct fake_mem mem;
	struct vring_core vr;
	struct vring_seg *segs;
	struct driver_ring driver;	/* the driver's (host) view */
	u8 *ring_bytes;		/* legacy: the block; else desc, avail, used */
	u8 *avail_bytes;
	u8 *used_bytes;
	u64 ring_addr[3];	/* core address of ring_bytes, avail, used */
	u8 *buf_bytes;		/* FIXTURE_GUARD bytes, the window, a guard */
	int init_result;
};

/* Builds the ring; fx->init_result holds vring_core_init()'s answer. */
struct ring_fixture *fixture_new(u32 num, u64 features);
/* Builds it but stops before vring_core_init(), to preset indices. */
struct ring_fixture *fixture_new_uninit(u32 num, u64 features, bool legacy);
/*
 * A ring whose chains may be max_segs long through an indirect table (the
 * launcher's rings: 256 whatever num is).  segs holds max_segs entries,
 * so AddressSanitizer sees a walk that writes more.
 */
struct ring_fixture *fixture_new_max_segs(u32 num, u64 features, u32 max_segs);
/* The same ring in one block laid out by vring_init(). */
struct ring_fixture *fixture_new_legacy(u32 num, u64 features);
void fixture_free(struct ring_fixture *fx);

/* Core address of ring part 'p' (a host pointer inside fx->driver.vr). */
u64 fixture_ring_addr(const struct ring_fixture *fx, const void *p);
/* Host pointer to the buffer window at an offset (descriptor address). */
void *fixture_buf(struct ring_fixture *fx, u64 offset);

/* Driver: fill entry i of an indirect table at offset table in the window. */
void fixture_table_desc(struct ring_fixture *fx, u64 table, u16 i, u64 addr,
			u32 len, u16 flags, u16 next);

/* True when no access faulted, escaped the window, or hit a guard byte. */
bool fixture_memory_clean(struct ring_fixture *fx);
/* True when the guard bytes around the window are untouched. */
bool fixture_guards_intact(const struct ring_fixture *fx);

#endif /* RING_FIXTURE_H */
