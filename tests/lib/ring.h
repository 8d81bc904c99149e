/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver side of a virtio split ring, as the tests and the benchmark
 * play it: allocate the ring, hand out descriptors, publish chains on the
 * available ring, collect used entries.  It is deliberately plain (a bump
 * allocator for descriptors, no free list) so that a test can also scribble
 * on any part of the ring by hand to make it hostile.
 */
#ifndef VRING_TEST_RING_H
#define VRING_TEST_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>
#include <linux/vringfd.h>
#include <vring_echo.h>

enum ring_layout {
	RING_LEGACY,	/* one block, vring_init(..., 4096), via vringfd() */
	RING_SPLIT,	/* desc, avail and used in three separate mappings */
};

struct test_ring {
	unsigned int num;
	uint64_t features;
	enum ring_layout layout;
	struct vring vr;
	/* The mappings the ring lives in (one for legacy, three for split). */
	void *map[3];
	size_t map_len[3];
	/* The driver's own state. */
	uint16_t last_used;	/* handed to the kernel for poll() */
	uint16_t avail_idx;	/* avail->idx we publish next */
	uint16_t next_desc;	/* next descriptor ring_add_chain() uses */
	uint64_t base;		/* what we told VRINGSETBASE */
	int fd;
};

/* One buffer of a chain: user pointer, length, device-writable or not. */
struct seg {
	void *buf;
	uint32_t len;
	bool writable;
};

/* Map zeroed memory for a ring; 0 or -1 and errno.  r->fd stays -1. */
int ring_alloc(struct test_ring *r, unsigned int num, uint64_t features,
	       enum ring_layout layout);
/* Open /dev/vring and set this ring up: the fd, or -1 and errno. */
int ring_open(struct test_ring *r);
/* Both of the above. */
int ring_create(struct test_ring *r, unsigned int num, uint64_t features,
		enum ring_layout layout);
/* Zero the ring memory and the driver state (keeps the fd). */
void ring_clear(struct test_ring *r);
/* VRINGSETUP again on the open fd, for the same memory. */
int ring_setup_again(struct test_ring *r);
/* Close the fd (if open) and unmap. */
void ring_free(struct test_ring *r);

/* Where the ring's parts are, and how big they are (with event words). */
void ring_fill_setup(const struct test_ring *r, struct vring_setup *s);
size_t ring_desc_bytes(unsigned int num);
size_t ring_avail_bytes(unsigned int num);
size_t ring_used_bytes(unsigned int num);

/* The descriptor address for a user pointer: offset from r->base. */
uint64_t ring_addr(const struct test_ring *r, const void *p);
/* Write one descriptor by hand. */
void ring_set_desc(struct test_ring *r, uint16_t i, uint64_t addr,
		   uint32_t len, uint16_t flags, uint16_t next);
/*
 * Put a chain in consecutive descriptors (wrapping at num) and its head
 * in the next avail slot; not visible to the device until ring_publish().
 */
uint16_t ring_add_chain(struct test_ring *r, const struct seg *segs,
			unsigned int nsegs);
/* Put a head (already built) in the next avail slot. */
void ring_add_head(struct test_ring *r, uint16_t head);
/* Make everything added so far visible: avail->idx = avail_idx. */
void ring_publish(struct test_ring *r);
/* used->idx as the device last wrote it. */
uint16_t ring_used_idx(const struct test_ring *r);
/* Next used entry after last_used: 1 (and id, len), or 0 if none. */
int ring_get_used(struct test_ring *r, uint32_t *id, uint32_t *len);

/* VRINGGETSTATUS into *st; 0 or -1. */
int ring_status(const struct test_ring *r, struct vring_status *st);

/* The echo module: open /dev/vring_echo, attach (out_fd -1: self mode). */
int echo_open(void);
int echo_attach(int echo_fd, int in_fd, int out_fd);
/* Attach, then wait until the run attaching queues is over (-1 ETIMEDOUT). */
int echo_attach_settled(int echo_fd, int in_fd, int out_fd);
int echo_detach(int echo_fd);
int echo_stats(int echo_fd, struct vring_echo_stats *stats);

/* poll() one fd: the revents, 0 on timeout, -1 on error. */
int poll_one(int fd, short events, int timeout_ms);
/* Read an eventfd without blocking: its count, 0 if not signalled. */
uint64_t eventfd_take(int efd);
/* A non-blocking eventfd. */
int eventfd_new(void);
/* Milliseconds on the monotonic clock. */
double now_ms(void);

/*
 * An arena: len usable bytes with a guard page on each side, the guards
 * filled with a canary pattern.  Rings set VRINGSETBASE = start and
 * VRINGSETLIMIT = len, so any device write outside shows up as a changed
 * canary.
 */
struct arena {
	uint8_t *map;
	size_t map_len;
	uint8_t *start;
	size_t len;
};

int arena_create(struct arena *a, size_t len);
void arena_destroy(struct arena *a);
/* Fill the usable part with a pattern derived from seed. */
void arena_fill(struct arena *a, uint8_t seed);
/* true while both guards still hold the canary. */
bool arena_guards_intact(const struct arena *a);

/* Fill buf with bytes derived from seed, so each buffer is recognisable. */
void pattern_fill(void *buf, size_t len, unsigned int seed);
bool pattern_check(const void *buf, size_t len, unsigned int seed);

#endif /* VRING_TEST_RING_H */
