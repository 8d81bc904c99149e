// SPDX-License-Identifier: GPL-2.0
/*
 * The driver side of a split ring for the tests and the benchmark.
 *
 * The memory barriers are the ones a virtio driver needs: descriptors and
 * avail->ring[] entries must be visible before the avail->idx that
 * publishes them (release), and a used entry may be read only after the
 * used->idx that covers it (acquire).  The kernel side runs on another CPU
 * when the kick comes from an eventfd, so these matter even in a test.
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
	r->vr.num = num;
	if (layout == RING_LEGACY) {
		vring_init(&r->vr, num, r->map[0], VRINGFD_LEGACY_ALIGN);
	} else {
		r->vr.desc = r->map[0];
		r->vr.avail = r->map[1];
		r->vr.used = r->map[2];
	}
	return 0;
}

void ring_fill_setup(const struct test_ring *r, struct vring_setup *s)
{
	vringfd_layout(s, r->num, r->features, r->vr.desc, r->vr.avail,
		       r->vr.used, (uint16_t *)&r->last_used);
}

/*
 * A legacy ring goes through the 2008-style vringfd() call, so that every
 * test on a legacy ring also exercises the library's layout arithmetic.
 */
int ring_open(struct test_ring *r)
{
	if (r->layout == RING_LEGACY && r->features == 0)
		r->fd = vringfd(r->map[0], r->num, &r->last_used);
	else
		r->fd = vringfd_open_layout(r->num, r->features, r->vr.desc,
					    r->vr.avail, r->vr.used,
					    &r->last_used);
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
	r->last_used = 0;
	r->avail_idx = 0;
	r->next_desc = 0;
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

void ring_set_desc(struct test_ring *r, uint16_t i, uint64_t addr,
		   uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc *d = &r->vr.desc[i];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

void ring_add_head(struct test_ring *r, uint16_t head)
{
	r->vr.avail->ring[r->avail_idx % r->num] = head;
	r->avail_idx++;
}

uint16_t ring_add_chain(struct test_ring *r, const struct seg *segs,
			unsigned int nsegs)
{
	uint16_t head = r->next_desc, i = head, next;
	unsigned int s;

	for (s = 0; s < nsegs; s++) {
		uint16_t flags = segs[s].writable ? VRING_DESC_F_WRITE : 0;

		next = (i + 1) % r->num;
		if (s + 1 < nsegs)
			flags |= VRING_DESC_F_NEXT;
		ring_set_desc(r, i, ring_addr(r, segs[s].buf), segs[s].len,
			      flags, s + 1 < nsegs ? next : 0);
		i = next;
	}
	r->next_desc = i;
	ring_add_head(r, head);
	return head;
}

void ring_publish(struct test_ring *r)
{
	__atomic_store_n(&r->vr.avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}

uint16_t ring_used_idx(const struct test_ring *r)
{
	return __atomic_load_n(&r->vr.used->idx, __ATOMIC_ACQUIRE);
}

int ring_get_used(struct test_ring *r, uint32_t *id, uint32_t *len)
{
	struct vring_used_elem *e;

	if (ring_used_idx(r) == r->last_used)
		return 0;
	e = &r->vr.used->ring[r->last_used % r->num];
	*id = e->id;
	*len = e->len;
	r->last_used++;
	return 1;
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
