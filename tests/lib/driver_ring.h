/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver's side of a virtio split ring, for the tests that play the
 * driver against a device: the launcher's virtio devices in fake guest
 * memory (tests/launcher/unit), fs/vring_core.c in a fake address space
 * (tests/vringfd/unit), vringfd and tun_vring in the test VM
 * (tests/vringfd/vm, tests/tunvring/vm, and bench/echo_bench).
 *
 * It knows only the three parts and the driver's own indices: where the
 * parts are, and what a descriptor address means (a guest-physical
 * address, a core address, an offset from VRINGSETBASE), is the caller's
 * business.  It is deliberately plain - descriptors are handed out in a
 * circle, no free list - so that a test can also scribble on any part of
 * the ring by hand to make it hostile.
 *
 * The barriers are the ones a virtio driver needs: descriptors and
 * avail->ring[] entries are visible before the avail->idx that publishes
 * them (release), and a used entry is read only after the used->idx that
 * covers it (acquire).  The device may run on another CPU (a vringfd
 * worker, a launcher thread), so these matter even in a test.  Ring words
 * are little-endian, as virtio 1.x has them.
 *
 * tests/conformance/conf_ring.c keeps a builder of its own on purpose: see
 * the comment at its top.
 */
#ifndef TESTS_LIB_DRIVER_RING_H
#define TESTS_LIB_DRIVER_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

struct driver_ring {
	struct vring vr;	/* num and the driver's pointers to the parts */
	uint16_t avail_idx;	/* the avail->idx driver_ring_publish() stores */
	uint16_t last_used;	/* used entries taken (vringfd polls on it) */
	uint16_t next_desc;	/* where driver_ring_add_chain() starts */
};

/* One buffer of a chain, at an address in the device's terms. */
struct driver_buf {
	uint64_t addr;
	uint32_t len;
	bool writable;
};

/* A ring over parts the caller placed; the driver's indices at 0. */
void driver_ring_init(struct driver_ring *dr, unsigned int num, void *desc,
		      void *avail, void *used);
/* The driver's indices back to 0 (the parts are the caller's to clear). */
void driver_ring_reset(struct driver_ring *dr);

/* Write a descriptor: in the ring's table, or in an indirect table. */
void driver_desc_fill(struct vring_desc *desc, uint64_t addr, uint32_t len,
		      uint16_t flags, uint16_t next);
void driver_ring_set_desc(struct driver_ring *dr, uint16_t i, uint64_t addr,
			  uint32_t len, uint16_t flags, uint16_t next);
/*
 * Put a chain in consecutive descriptors from next_desc (wrapping at num)
 * and its head in the next avail slot: its head.  Not visible to the
 * device until driver_ring_publish().
 */
uint16_t driver_ring_add_chain(struct driver_ring *dr,
			       const struct driver_buf *bufs,
			       unsigned int count);
/* Put a head (of a chain built by hand) in the next avail slot. */
void driver_ring_add_head(struct driver_ring *dr, uint16_t head);
/* Make everything added so far visible: avail->idx = avail_idx. */
void driver_ring_publish(struct driver_ring *dr);
/* Both: one head in the next avail slot, visible at once. */
void driver_ring_publish_head(struct driver_ring *dr, uint16_t head);
/* Move avail->idx (and avail_idx) anywhere, as a hostile driver may. */
void driver_ring_set_avail_idx(struct driver_ring *dr, uint16_t idx);

/* used->idx as the device last wrote it. */
uint16_t driver_ring_used_idx(const struct driver_ring *dr);
/* Take the next used entry after last_used: false if there is none. */
bool driver_ring_get_used(struct driver_ring *dr, uint32_t *id,
			  uint32_t *len);
/* The used entry in slot idx (mod num), without taking it. */
void driver_ring_used_elem(const struct driver_ring *dr, uint16_t idx,
			   uint32_t *id, uint32_t *len);
uint16_t driver_ring_used_flags(const struct driver_ring *dr);

/*
 * Does the device want a kick for the chains published since avail->idx
 * was old?  Asked the way a virtio driver asks: avail_event with
 * VIRTIO_RING_F_EVENT_IDX, VRING_USED_F_NO_NOTIFY without.
 */
bool driver_ring_kick_wanted(const struct driver_ring *dr, uint16_t old,
			     bool event_idx);

/* VIRTIO_RING_F_EVENT_IDX's two words. */
void driver_ring_set_used_event(struct driver_ring *dr, uint16_t idx);
uint16_t driver_ring_avail_event(const struct driver_ring *dr);

#endif /* TESTS_LIB_DRIVER_RING_H */
