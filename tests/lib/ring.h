/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A ring for vringfd, as the tests and the benchmark use it: its memory
 * (one legacy block, or three mappings), its /dev/vring fd, and the
 * driver's side of it, which tests/lib/driver_ring.c keeps (r->driver:
 * descriptors, the avail ring, used entries).  Descriptor addresses are
 * offsets from what VRINGSETBASE was told (r->base); ring_add_chain()
 * takes user pointers and makes them so.
 */
#ifndef VRING_TEST_RING_H
#define VRING_TEST_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>
#include <linux/vringfd.h>
#include <vring_echo.h>

#include "driver_ring.h"

enum ring_layout {
	RING_LEGACY,	/* one block, vring_init(..., 4096), via vringfd() */
	RING_SPLIT,	/* desc, avail and used in three separate mappings */
};

struct test_ring {
	unsigned int num;
	uint64_t features;
	enum ring_layout layout;
	/* The parts, and the driver's indices; last_used goes to vringfd. */
	struct driver_ring driver;
	/* The mappings the ring lives in (one for legacy, three for split). */
	void *map[3];
	size_t map_len[3];
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
/*
 * driver_ring_add_chain() for buffers at user pointers: consecutive
 * descriptors from r->driver.next_desc, the head in the next avail slot;
 * not visible to the device until driver_ring_publish().
 */
uint16_t ring_add_chain(struct test_ring *r, const struct seg *segs,
			unsigned int nsegs);

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
