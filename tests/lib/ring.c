// SPDX-License-Identifier: GPL-2.0
/*
 * vringfd rings for the tests and the benchmark: see ring.h.  The driver's
 * side of the ring, barriers and all, is tests/lib/driver_ring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vringfd.h"
#include "ring.h"

#define PAGE 4096UL
#define CANARY 0xa5

static size_t page_round(size_t n)
{
	return (n + PAGE - 1) & ~(PAGE - 1);
}

size_t ring_desc_bytes(unsigned int num)
{
	return 16UL * num;
}

/* flags, idx, ring[num], used_event */
size_t ring_avail_bytes(unsigned int num)
{
	return 2 + 2 + 2UL * num + 2;
}

/* flags, idx, ring[num] of {id, len}, avail_event */
size_t ring_used_bytes(unsigned int num)
{
	return 2 + 2 + 8UL * num + 2;
}

static void *map_zeroed(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int ring_alloc(struct test_ring *r, unsigned int num, uint64_t features,
	       enum ring_layout layout)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->num = num;
	r->features = features;
	r->layout = layout;
	if (layout == RING_LEGACY) {
		r->map_len[0] = page_round(vringfd_legacy_size(num));
	} else {
		r->map_len[0] = page_round(ring_desc_bytes(num));
		r->map_len[1] = page_round(ring_avail_bytes(num));
		r->map_len[2] = page_round(ring_used_bytes(num));
	}
	for (i = 0; i < 3; i++) {
		if (!r->map_len[i])
			continue;
		r->map[i] = map_zeroed(r->map_len[i]);
		if (!r->map[i]) {
			ring_free(r);
			return -1;
		}
	}
	if (layout == RING_LEGACY) {
		vring_init(&r->driver.vr, num, r->map[0], VRINGFD_LEGACY_ALIGN);
		driver_ring_reset(&r->driver);
	} else {
		driver_ring_init(&r->driver, num, r->map[0], r->map[1],
				 r->map[2]);
	}
	return 0;
}

void ring_fill_setup(const struct test_ring *r, struct vring_setup *s)
{
	vringfd_layout(s, r->num, r->features, r->driver.vr.desc,
		       r->driver.vr.avail, r->driver.vr.used,
		       (uint16_t *)&r->driver.last_used);
}

/*
 * A legacy ring goes through the 2008-style vringfd() call, so that every
 * test on a legacy ring also exercises the library's layout arithmetic.
 */
int ring_open(struct test_ring *r)
{
	if (r->layout == RING_LEGACY && r->features == 0)
		r->fd = vringfd(r->map[0], r->num, &r->driver.last_used);
	else
		r->fd = vringfd_open_layout(r->num, r->features,
					    r->driver.vr.desc,
					    r->driver.vr.avail,
					    r->driver.vr.used,
					    &r->driver.last_used);
	return r->fd;
}

int ring_create(struct test_ring *r, unsigned int num, uint64_t features,
		enum ring_layout layout)
{
	int saved_errno;

	if (ring_alloc(r, num, features, layout) < 0)
		return -1;
	if (ring_open(r) < 0) {
		saved_errno = errno;
		ring_free(r);
		errno = saved_errno;
		return -1;
	}
	return r->fd;
}

void ring_clear(struct test_ring *r)
{
	int i;

	for (i = 0; i < 3; i++)
		if (r->map[i])
			memset(r->map[i], 0, r->map_len[i]);
	driver_ring_reset(&r->driver);
}

int ring_setup_again(struct test_ring *r)
{
	struct vring_setup s;

	ring_fill_setup(r, &s);
	return vringfd_setup(r->fd, &s);
}

void ring_free(struct test_ring *r)
{
	int i;

	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	for (i = 0; i < 3; i++) {
		if (r->map[i])
			munmap(r->map[i], r->map_len[i]);
		r->map[i] = NULL;
	}
}

uint64_t ring_addr(const struct test_ring *r, const void *p)
{
	return (uintptr_t)p - r->base;
}

uint16_t ring_add_chain(struct test_ring *r, const struct seg *segs,
			unsigned int nsegs)
{
	struct driver_buf bufs[nsegs ? nsegs : 1];
	unsigned int i;

	for (i = 0; i < nsegs; i++)
		bufs[i] = (struct driver_buf){ ring_addr(r, segs[i].buf),
					       segs[i].len, segs[i].writable };
	return driver_ring_add_chain(&r->driver, bufs, nsegs);
}

int ring_status(const struct test_ring *r, struct vring_status *st)
{
	memset(st, 0, sizeof(*st));
	return vringfd_get_status(r->fd, st);
}

int echo_open(void)
{
	return open("/dev/vring_echo", O_RDWR | O_CLOEXEC);
}

int echo_attach(int echo_fd, int in_fd, int out_fd)
{
	struct vring_echo_attach at = { .in_fd = in_fd, .out_fd = out_fd };

	return ioctl(echo_fd, VRING_ECHO_ATTACH, &at);
}

/*
 * Attaching queues one run of the echo on a vringfd worker, for buffers
 * already waiting.  A test that then changes the ring under the echo
 * (offers a chain, then takes its memory away) must not have that run
 * land in between: wait until the echo has counted it.  The echo counts
 * a run under the lock GETSTATS takes, so a changed count means the run
 * is over.  Only for a ring that is set up and not broken (otherwise the
 * worker has nothing to run and this waits its 5 s out: ETIMEDOUT).
 */
int echo_attach_settled(int echo_fd, int in_fd, int out_fd)
{
	struct timespec ms = { 0, 1000000 };
	struct vring_echo_stats st;
	uint64_t before;
	int i;

	if (echo_stats(echo_fd, &st))
		return -1;
	before = st.kicks;
	if (echo_attach(echo_fd, in_fd, out_fd))
		return -1;
	for (i = 0; i < 5000; i++) {
		if (echo_stats(echo_fd, &st))
			return -1;
		if (st.kicks != before)
			return 0;
		nanosleep(&ms, NULL);
	}
	errno = ETIMEDOUT;
	return -1;
}

int echo_detach(int echo_fd)
{
	return ioctl(echo_fd, VRING_ECHO_DETACH);
}

int echo_stats(int echo_fd, struct vring_echo_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	return ioctl(echo_fd, VRING_ECHO_GETSTATS, stats);
}

int poll_one(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n = poll(&pfd, 1, timeout_ms);

	if (n <= 0)
		return n;
	return pfd.revents;
}

uint64_t eventfd_take(int efd)
{
	uint64_t count;

	if (read(efd, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

int eventfd_new(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int arena_create(struct arena *a, size_t len)
{
	a->len = page_round(len);
	a->map_len = a->len + 2 * PAGE;
	a->map = map_zeroed(a->map_len);
	if (!a->map)
		return -1;
	a->start = a->map + PAGE;
	memset(a->map, CANARY, PAGE);
	memset(a->start + a->len, CANARY, PAGE);
	return 0;
}

void arena_destroy(struct arena *a)
{
	if (a->map)
		munmap(a->map, a->map_len);
	a->map = NULL;
}

void arena_fill(struct arena *a, uint8_t seed)
{
	pattern_fill(a->start, a->len, seed);
}

static bool all_canary(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != CANARY)
			return false;
	return true;
}

bool arena_guards_intact(const struct arena *a)
{
	return all_canary(a->map, PAGE) &&
	       all_canary(a->start + a->len, PAGE);
}

/* A byte sequence that differs with seed and position, never all zero. */
static uint8_t pattern_byte(size_t i, unsigned int seed)
{
	return (uint8_t)((i * 131 + seed * 29 + (i >> 8) + 7) ^ (seed >> 8));
}

void pattern_fill(void *buf, size_t len, unsigned int seed)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(i, seed);
}

bool pattern_check(const void *buf, size_t len, unsigned int seed)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(i, seed))
			return false;
	return true;
}
