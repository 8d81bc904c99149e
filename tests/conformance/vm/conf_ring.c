// SPDX-License-Identifier: GPL-2.0
/*
 * The driver side of a split ring, written from the spec (virtio 1.2
 * section 2.7.13 "Supplying Buffers to The Device" and 2.7.14 "Receiving
 * Used Buffers From The Device"), plus the vringfd and echo plumbing.
 *
 * The other tests share one driver-side ring builder, tests/lib/
 * driver_ring.c; this suite keeps its own on purpose.  It is the judge of
 * the ring ABI, so it must not rest on code written by the people, and
 * with the assumptions, it judges: a misreading of the spec shared by the
 * shared builder and vringfd would pass every other test, and only a
 * builder written again from the spec's text can catch it.  It also
 * needs what no other test does - ring parts at odd offsets against guard
 * pages, indirect tables from a pool, a record of every chain in flight
 * for the harvest - so keep changes to the shared builder out of here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/vringfd.h>
#include "vring_echo.h"
#include "conformance.h"

/*
 * Laying out a ring.  Each of the three parts gets its own pages, with
 * a guard page in front, so the device cannot reach one part by running
 * off the end of another.  A test can ask for a part to start at an odd
 * place inside its page (to check the device accepts the minimum alignment
 * of section 2.7's table), or to end exactly where its guard begins (to
 * check the device reads no further than the sizes in that table).
 */
static size_t ring_place(struct conf_arena *ar, size_t size, size_t in_page,
			 size_t align, bool at_end, enum conf_access acc)
{
	size_t npages = (in_page + size + CONF_PAGE - 1) / CONF_PAGE;
	size_t off = arena_pages(ar, npages, acc);

	if (at_end)
		return (off + npages * CONF_PAGE - size) & ~(align - 1);
	return off + in_page;
}

static void ring_init_memory(struct conf_ring *r, uint16_t start)
{
	/* 2.7.10.1: the driver initialises used->flags to 0. */
	r->used_hdr[0] = 0;
	r->used_hdr[1] = start;
	r->avail[0] = 0;
	r->avail[1] = start;
	r->avail_idx = start;
	r->used_seen = start;
	r->start_idx = start;
}

static void ring_shuffle_free(struct conf_ring *r)
{
	unsigned int i, j;
	uint16_t t;

	for (i = 0; i < r->num; i++)
		r->free_desc[i] = (uint16_t)i;
	/* Heads in a scrambled order: a used id must name the real head. */
	for (i = r->num - 1; i > 0; i--) {
		j = conf_rand() % (i + 1);
		t = r->free_desc[i];
		r->free_desc[i] = r->free_desc[j];
		r->free_desc[j] = t;
	}
	r->nfree = r->num;
}

static void ring_alloc_driver_state(struct conf_ring *r, size_t max_table)
{
	r->chains = calloc(r->num, sizeof(*r->chains));
	r->free_desc = calloc(r->num, sizeof(*r->free_desc));
	r->hist = calloc(65536, sizeof(*r->hist));
	if (!r->chains || !r->free_desc || !r->hist)
		tap_bail_out("out of memory");
	ring_shuffle_free(r);
	if (r->features & CONF_F_INDIRECT) {
		r->table_slot = (max_table ? max_table : 16) * 16;
		r->table_pool = arena_pages(r->ar,
			(r->num * r->table_slot + CONF_PAGE - 1) / CONF_PAGE,
			CONF_READ);
	}
}

static int ring_setup_ioctl(struct conf_ring *r)
{
	struct conf_arena *ar = r->ar;
	struct vring_setup setup = {
		.num = r->num,
		.features = r->features,
		.desc = arena_dev_addr(ar, r->desc_off),
		.avail = arena_dev_addr(ar, r->avail_off),
		.used = arena_dev_addr(ar, r->used_off),
	};

	return ioctl(r->fd, VRINGSETUP, &setup);
}

static int ring_setup_fd(struct conf_ring *r)
{
	struct conf_arena *ar = r->ar;

	r->fd = conf_open_vring();
	r->callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->callfd < 0)
		tap_bail_out("eventfd: %m");
	/* Buffer addresses are offsets into the device's view. */
	if (ioctl(r->fd, VRINGSETBASE, (unsigned long)ar->dev) ||
	    ioctl(r->fd, VRINGSETLIMIT, (unsigned long)r->limit))
		tap_bail_out("VRINGSETBASE/VRINGSETLIMIT: %m");
	if (ring_setup_ioctl(r)) {
		fail("VRINGSETUP num %u features 0x%llx: %m", r->num,
		     (unsigned long long)r->features);
		return -1;
	}
	if (ioctl(r->fd, VRINGSETCALLFD, r->callfd))
		tap_bail_out("VRINGSETCALLFD: %m");
	return 0;
}

int ring_new(struct conf_ring *r, struct conf_arena *ar,
	     const struct conf_ring_opts *o)
{
	unsigned int num = o->num;

	memset(r, 0, sizeof(*r));
	r->ar = ar;
	r->num = num;
	r->features = o->features;
	r->fd = -1;
	r->callfd = -1;
	r->limit = o->limit ? o->limit : ar->size;
	r->desc_off = ring_place(ar, conf_desc_size(num), o->desc_in_page, 16,
				 o->parts_at_end, CONF_READ);
	r->avail_off = ring_place(ar, conf_avail_size(num), o->avail_in_page,
				  2, o->parts_at_end, CONF_READ);
	r->used_off = ring_place(ar, conf_used_size(num), o->used_in_page, 4,
				 o->parts_at_end, CONF_WRITE);
	r->desc = (struct conf_desc *)(ar->drv + r->desc_off);
	r->avail = (uint16_t *)(ar->drv + r->avail_off);
	r->used_hdr = (uint16_t *)(ar->drv + r->used_off);
	r->used_ring = (struct conf_used_elem *)(ar->drv + r->used_off + 4);
	r->avail_event = (uint16_t *)(ar->drv + r->used_off + 4 + 8 * num);
	ring_init_memory(r, o->start_idx);
	ring_alloc_driver_state(r, o->max_table);
	if (o->no_device)
		return 0;
	return ring_setup_fd(r);
}

/*
 * Start over on the same memory: the driver forgets its chains, and
 * VRINGSETUP picks up at whatever used->idx now holds.
 */
int ring_resetup(struct conf_ring *r)
{
	unsigned int i;
	uint16_t idx = ring_used_idx(r);

	for (i = 0; i < r->num; i++)
		r->chains[i].busy = false;
	ring_shuffle_free(r);
	r->avail_idx = idx;
	r->used_seen = idx;
	r->harvested = r->posted;
	ring_set_avail_idx(r, idx);
	if (ring_setup_ioctl(r)) {
		fail("VRINGSETUP again: %m");
		return -1;
	}
	return 0;
}

void ring_close(struct conf_ring *r)
{
	unsigned int i;

	if (r->fd >= 0)
		close(r->fd);
	if (r->callfd >= 0)
		close(r->callfd);
	if (r->chains)
		for (i = 0; i < r->num; i++) {
			free(r->chains[i].segs);
			free(r->chains[i].descs);
		}
	free(r->chains);
	free(r->free_desc);
	free(r->hist);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->callfd = -1;
}

/* ---- Contents ---- */

unsigned char gen_byte(uint32_t seed, uint32_t i)
{
	uint32_t x = seed * 0x9e3779b1u ^ (i * 0x85ebca6bu);

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return (unsigned char)x;
}

void fill_readable(struct conf_ring *r, struct conf_chain *c)
{
	uint32_t n = 0, i, k;

	for (i = 0; i < c->nsegs; i++) {
		if (c->segs[i].writable) {
			arena_fill_pattern(r->ar, c->segs[i].off,
					   c->segs[i].len);
			continue;
		}
		for (k = 0; k < c->segs[i].len; k++)
			r->ar->drv[c->segs[i].off + k] = gen_byte(c->seed, n++);
	}
}

/* ---- Making buffers available (2.7.13) ---- */

uint16_t ring_take_desc(struct conf_ring *r)
{
	if (!r->nfree)
		tap_bail_out("ring of %u: out of descriptors", r->num);
	return r->free_desc[--r->nfree];
}

static void ring_fill_desc(struct conf_desc *d, const struct conf_seg *s,
			   bool more, uint16_t next)
{
	d->addr = s->off;
	d->len = s->len;
	d->flags = (s->writable ? CONF_DESC_F_WRITE : 0) |
		   (more ? CONF_DESC_F_NEXT : 0);
	d->next = more ? next : 0;
}

/*
 * An indirect table: entry 0 first, as the spec requires, but the rest
 * stored back to front, so a device that walks the table in storage order
 * instead of following "next" gets the bytes wrong.
 */
static void ring_fill_table(struct conf_ring *r, struct conf_chain *c,
			    uint16_t head, const struct conf_seg *segs,
			    unsigned int n)
{
	struct conf_desc *table;
	unsigned int k, pos, next;

	if (n * 16 > r->table_slot)
		tap_bail_out("indirect table of %u entries: pool slot too small", n);
	c->table_off = r->table_pool + (size_t)head * r->table_slot;
	c->table_len = n * 16;
	table = (struct conf_desc *)(r->ar->drv + c->table_off);
	for (k = 0; k < n; k++) {
		pos = k ? n - k : 0;
		next = k + 1 < n ? n - (k + 1) : 0;
		ring_fill_desc(&table[pos], &segs[k], k + 1 < n,
			       (uint16_t)next);
	}
}

static void ring_record(struct conf_ring *r, struct conf_chain *c,
			const struct conf_seg *segs, unsigned int n,
			uint32_t seed)
{
	unsigned int i;

	c->busy = true;
	c->nsegs = n;
	free(c->segs);
	c->segs = malloc(n * sizeof(*segs));
	if (!c->segs)
		tap_bail_out("out of memory");
	memcpy(c->segs, segs, n * sizeof(*segs));
	c->readable = 0;
	c->writable = 0;
	for (i = 0; i < n; i++) {
		if (segs[i].writable)
			c->writable += segs[i].len;
		else
			c->readable += segs[i].len;
	}
	c->seed = seed;
	c->post_seq = r->posted;
	r->hist[r->posted & 0xffff].seed = seed;
	r->hist[r->posted & 0xffff].readable = c->readable;
	r->posted++;
	fill_readable(r, c);
}

/*
 * Post a chain: the first ndirect segments in ring descriptors, the rest
 * (if any) in an indirect table that the last ring descriptor points to.
 */
int ring_post_split(struct conf_ring *r, const struct conf_seg *segs,
		    unsigned int n, unsigned int ndirect, uint32_t seed)
{
	unsigned int nring = ndirect + (ndirect < n ? 1 : 0);
	uint16_t descs[nring ? nring : 1];
	struct conf_chain *c;
	unsigned int i;

	if (!n || ndirect > n)
		tap_bail_out("ring_post: bad chain shape");
	if (r->nfree < nring)
		tap_bail_out("ring of %u: out of descriptors", r->num);
	for (i = 0; i < nring; i++)
		descs[i] = ring_take_desc(r);
	c = &r->chains[descs[0]];
	if (c->busy)
		tap_bail_out("descriptor %u already in flight", descs[0]);
	for (i = 0; i < ndirect; i++)
		ring_fill_desc(&r->desc[descs[i]], &segs[i], i + 1 < nring,
			       i + 1 < nring ? descs[i + 1] : 0);
	if (ndirect < n) {
		struct conf_desc *d = &r->desc[descs[nring - 1]];

		ring_fill_table(r, c, descs[0], segs + ndirect, n - ndirect);
		d->addr = c->table_off;
		d->len = (uint32_t)c->table_len;
		d->flags = CONF_DESC_F_INDIRECT;
		d->next = 0;
	}
	free(c->descs);
	c->descs = malloc(nring * sizeof(*descs));
	if (!c->descs)
		tap_bail_out("out of memory");
	memcpy(c->descs, descs, nring * sizeof(*descs));
	c->ndesc = nring;
	ring_record(r, c, segs, n, seed);
	ring_write_avail_slot(r, r->avail_idx, descs[0]);
	r->avail_idx++;
	return descs[0];
}

int ring_post(struct conf_ring *r, const struct conf_seg *segs,
	      unsigned int n, enum conf_layout layout, uint32_t seed)
{
	switch (layout) {
	case CONF_DIRECT:
		return ring_post_split(r, segs, n, n, seed);
	case CONF_INDIRECT:
		return ring_post_split(r, segs, n, 0, seed);
	default:
		if (n < 2)
			tap_bail_out("ring_post: a mixed chain needs two segments");
		return ring_post_split(r, segs, n, 1, seed);
	}
}

void ring_write_avail_slot(struct conf_ring *r, uint16_t idx, uint16_t head)
{
	r->avail[2 + (idx & (r->num - 1))] = head;
}

/* 2.7.13.3.1: a barrier before the idx update - here a release store. */
void ring_publish(struct conf_ring *r)
{
	__atomic_store_n(&r->avail[1], r->avail_idx, __ATOMIC_RELEASE);
}

void ring_set_avail_idx(struct conf_ring *r, uint16_t idx)
{
	__atomic_store_n(&r->avail[1], idx, __ATOMIC_RELEASE);
}

int ring_kick(struct conf_ring *r)
{
	ssize_t n = write(r->fd, "k", 1);

	if (n == 1)
		return 0;
	return n < 0 ? -errno : -EIO;
}

uint64_t ring_calls(struct conf_ring *r)
{
	uint64_t v;

	if (read(r->callfd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

uint16_t ring_used_idx(struct conf_ring *r)
{
	return __atomic_load_n(&r->used_hdr[1], __ATOMIC_ACQUIRE);
}

uint16_t ring_used_flags(struct conf_ring *r)
{
	return __atomic_load_n(&r->used_hdr[0], __ATOMIC_ACQUIRE);
}

uint16_t ring_avail_event(struct conf_ring *r)
{
	return __atomic_load_n(r->avail_event, __ATOMIC_ACQUIRE);
}

void ring_set_used_event(struct conf_ring *r, uint16_t v)
{
	__atomic_store_n(&r->avail[2 + r->num], v, __ATOMIC_SEQ_CST);
}

void ring_set_avail_flags(struct conf_ring *r, uint16_t v)
{
	__atomic_store_n(&r->avail[0], v, __ATOMIC_SEQ_CST);
}

bool ring_broken(struct conf_ring *r, char *why, size_t whylen)
{
	struct vring_status st;

	memset(&st, 0, sizeof(st));
	if (ioctl(r->fd, VRINGGETSTATUS, &st))
		tap_bail_out("VRINGGETSTATUS: %m");
	if (why && whylen) {
		snprintf(why, whylen, "%.*s", VRINGFD_REASON_LEN, st.reason);
	}
	return st.broken;
}

/* ---- Taking buffers back (2.7.14) ---- */

void ring_allow_used(struct conf_ring *r, uint16_t from, uint16_t to)
{
	struct conf_arena *ar = r->ar;
	uint16_t i;

	audit_allow(ar, r->used_off, 4);		/* flags, idx */
	audit_allow(ar, r->used_off + 4 + 8 * (size_t)r->num, 2);
	for (i = from; i != to; i++)
		audit_allow(ar, r->used_off + 4 +
			    8 * (size_t)(i & (r->num - 1)), 8);
}

/* Allow, and check, the first len bytes of a chain's writable part. */
static int ring_check_written(struct conf_ring *r, struct conf_chain *c,
			      uint32_t len, uint32_t seed, uint16_t head)
{
	uint32_t done = 0, k, n;
	unsigned int i;

	for (i = 0; i < c->nsegs && done < len; i++) {
		const struct conf_seg *s = &c->segs[i];

		if (!s->writable)
			continue;
		n = len - done < s->len ? len - done : s->len;
		audit_allow(r->ar, s->off, n);
		for (k = 0; k < n; k++) {
			unsigned char want = gen_byte(seed, done + k);
			unsigned char got = r->ar->drv[s->off + k];

			if (got != want) {
				fail("chain %u: written byte %u is 0x%02x, the readable bytes had 0x%02x",
				     head, done + k, got, want);
				return -1;
			}
		}
		done += n;
	}
	return 0;
}

static void ring_retire(struct conf_ring *r, struct conf_chain *c)
{
	unsigned int i;

	c->busy = false;
	for (i = 0; i < c->ndesc; i++)
		r->free_desc[r->nfree++] = c->descs[i];
}

/*
 * One used entry.  In self mode the echo copies a chain's readable bytes
 * into its own writable part; fed by src (pair mode) it copies the bytes
 * of the src chain posted at the same position.
 */
static int ring_check_entry(struct conf_ring *r, struct conf_ring *src,
			    uint16_t slot, int in_only)
{
	struct conf_used_elem e = r->used_ring[slot & (r->num - 1)];
	struct conf_chain *c;
	uint32_t want, seed, readable;

	CONF_CHECK(e.id < r->num && r->chains[e.id].busy,
		   "used entry %u has id %u, which is not the head of a chain in flight",
		   slot, e.id);
	c = &r->chains[e.id];
	if (src) {
		const struct conf_history *h = &src->hist[c->post_seq & 0xffff];

		CONF_CHECK(c->post_seq < src->posted,
			   "chain %u used before its partner was posted", e.id);
		seed = h->seed;
		readable = h->readable;
	} else {
		seed = c->seed;
		readable = c->readable;
	}
	want = in_only ? 0 : readable < c->writable ? readable : c->writable;
	CONF_CHECK(e.len == want,
		   "used entry %u (head %u, %u readable, %u writable bytes): len %u, expected %u",
		   slot, e.id, readable, c->writable, e.len, want);
	if (ring_check_written(r, c, e.len, seed, e.id))
		return -1;
	ring_retire(r, c);
	return 0;
}

static int ring_harvest_mode(struct conf_ring *r, struct conf_ring *src,
			     int in_only)
{
	uint16_t idx = ring_used_idx(r);
	uint16_t n = idx - r->used_seen;
	uint32_t inflight = r->posted - r->harvested;
	uint16_t i;

	CONF_CHECK(n <= inflight,
		   "used->idx moved from %u to %u: %u entries, but only %u chains are in flight",
		   r->used_seen, idx, n, inflight);
	for (i = r->used_seen; i != idx; i++)
		if (ring_check_entry(r, src, i, in_only))
			return -1;
	ring_allow_used(r, r->used_seen, idx);
	r->used_seen = idx;
	r->harvested += n;
	return n;
}

int ring_harvest(struct conf_ring *r, struct conf_ring *src)
{
	return ring_harvest_mode(r, src, 0);
}

int ring_harvest_in(struct conf_ring *r)
{
	return ring_harvest_mode(r, NULL, 1);
}

/* ---- The echo consumer ---- */

int echo_attach(struct conf_ring *in, struct conf_ring *out)
{
	struct vring_echo_attach arg = {
		.in_fd = in->fd,
		.out_fd = out ? out->fd : -1,
	};
	int fd = open("/dev/vring_echo", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap_bail_out("open /dev/vring_echo: %m (is vring_echo.ko loaded?)");
	if (ioctl(fd, VRING_ECHO_ATTACH, &arg)) {
		fail("VRING_ECHO_ATTACH: %m");
		close(fd);
		return -1;
	}
	if (echo_settle(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Attaching runs the echo once from a vringfd worker.  Wait for that run
 * to finish, so that it cannot overlap what the test does next: the echo
 * counts a run when it starts, under the lock GETSTATS also takes.
 */
int echo_settle(int echo_fd)
{
	struct vring_echo_stats st;
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000; i++) {
		if (ioctl(echo_fd, VRING_ECHO_GETSTATS, &st))
			tap_bail_out("VRING_ECHO_GETSTATS: %m");
		if (st.kicks)
			return 0;
		nanosleep(&ts, NULL);
	}
	fail("the echo did not run within 5 s of attaching");
	return -1;
}

void echo_close(int echo_fd)
{
	if (echo_fd >= 0)
		close(echo_fd);
}
