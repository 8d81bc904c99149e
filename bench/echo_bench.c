// SPDX-License-Identifier: GPL-2.0
/*
 * echo_bench: how fast do bytes go through a vring pair, compared with a
 * pipe, in the same VM in the same run?
 *
 * The vring side plays a network driver: an "in" ring (like a transmit
 * queue) of buffers the echo consumer reads, and an "out" ring (like a
 * receive queue) of empty buffers it fills.  We keep both rings full,
 * kick once per batch, and recycle every buffer the moment it comes back,
 * checking that it carries the sequence number we expect.  The echo copies
 * each in buffer into an out buffer inside the kernel: one copy per byte,
 * straight between two places in our memory.
 *
 * The pipe side moves the same number of buffers of the same size with
 * write() and read() in batches of the same size: two copies per byte
 * (into the pipe, out of it) and a system call per buffer.
 *
 * Absolute numbers mean little under TCG; the ratio is the result.
 *
 *   echo_bench [seconds per measurement, default 2]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vringfd.h"
#include "ring.h"

#define BATCH 256		/* ring size, and the pipe's batch */
#define ROUNDS 2		/* best of this many, vring and pipe interleaved */

struct result {
	unsigned long buffers;
	double ms;
	bool good;
};

struct vring_pair {
	struct test_ring in, out;
	uint8_t *in_bufs, *out_bufs;
	int echo;
	size_t size;
};

static uint8_t *map_bufs(size_t size)
{
	void *p = mmap(NULL, BATCH * size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Descriptor i always points at buffer i: recycling is re-offering a head. */
static bool pair_create(struct vring_pair *p, size_t size)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->size = size;
	p->in_bufs = map_bufs(size);
	p->out_bufs = map_bufs(size);
	if (!p->in_bufs || !p->out_bufs ||
	    ring_create(&p->in, BATCH, 0, RING_LEGACY) < 0 ||
	    ring_create(&p->out, BATCH, 0, RING_LEGACY) < 0)
		return false;
	for (i = 0; i < BATCH; i++) {
		pattern_fill(p->in_bufs + i * size, size, i);
		driver_ring_set_desc(&p->in.driver, i, (uintptr_t)(p->in_bufs + i * size),
				     size, 0, 0);
		driver_ring_set_desc(&p->out.driver, i, (uintptr_t)(p->out_bufs + i * size),
				     size, VRING_DESC_F_WRITE, 0);
	}
	p->echo = echo_open();
	return p->echo >= 0 && echo_attach(p->echo, p->in.fd, p->out.fd) == 0;
}

static void pair_destroy(struct vring_pair *p)
{
	if (p->echo > 0)
		close(p->echo);
	ring_free(&p->in);
	ring_free(&p->out);
	munmap(p->in_bufs, BATCH * p->size);
	munmap(p->out_bufs, BATCH * p->size);
}

static void tag(uint8_t *buf, uint64_t seq)
{
	memcpy(buf, &seq, sizeof(seq));
}

static bool tagged(const uint8_t *buf, uint64_t seq)
{
	uint64_t got;

	memcpy(&got, buf, sizeof(got));
	return got == seq;
}

/*
 * Run until `seconds` have passed (count == 0) or count buffers came back.
 * In order: the echo takes in chains and out buffers in ring order.
 */
static struct result run_vring(size_t size, double seconds, unsigned long count)
{
	struct result res = { .good = true };
	struct vring_pair p;
	uint64_t sent = 0, received = 0;
	double t0, deadline;
	unsigned int i;

	if (!pair_create(&p, size)) {
		printf("# vring pair setup failed: %s\n", strerror(errno));
		res.good = false;
		pair_destroy(&p);
		return res;
	}
	t0 = now_ms();
	deadline = t0 + seconds * 1000;
	for (i = 0; i < BATCH; i++) {
		driver_ring_add_head(&p.out.driver, i);
		if (!count || sent < count) {
			tag(p.in_bufs + i * size, sent++);
			driver_ring_add_head(&p.in.driver, i);
		}
	}
	while (count ? received < count : now_ms() < deadline) {
		uint32_t head, len;
		unsigned int nfree = 0;
		uint16_t free_out[BATCH];

		driver_ring_publish(&p.in.driver);
		driver_ring_publish(&p.out.driver);
		/* One kick for the whole batch; write() runs the echo now. */
		if (write(p.in.fd, "", 0) < 0) {
			printf("# kick: %s\n", strerror(errno));
			res.good = false;
			break;
		}
		while (driver_ring_get_used(&p.out.driver, &head, &len)) {
			if (len != size || !tagged(p.out_bufs + head * size, received))
				res.good = false;
			received++;
			free_out[nfree++] = head;
		}
		if (!nfree) {
			printf("# vring pair made no progress\n");
			res.good = false;
			break;
		}
		/* Every buffer sent gets a buffer to come back in, no more. */
		while (driver_ring_get_used(&p.in.driver, &head, &len)) {
			if (count && sent >= count)
				continue;
			tag(p.in_bufs + head * size, sent++);
			driver_ring_add_head(&p.in.driver, head);
			driver_ring_add_head(&p.out.driver, free_out[--nfree]);
		}
	}
	res.ms = now_ms() - t0;
	res.buffers = received;
	pair_destroy(&p);
	return res;
}

/* The same buffers through a pipe, BATCH writes then BATCH reads. */
static struct result run_pipe(size_t size, unsigned long count)
{
	struct result res = { .good = true };
	uint8_t *src = map_bufs(size), *dst = map_bufs(size);
	uint64_t sent = 0, received = 0;
	unsigned int i, batch;
	int fds[2];
	double t0;

	if (!src || !dst || pipe(fds) ||
	    fcntl(fds[1], F_SETPIPE_SZ, (int)(BATCH * size)) < (int)(BATCH * size)) {
		printf("# pipe setup failed: %s\n", strerror(errno));
		res.good = false;
		return res;
	}
	for (i = 0; i < BATCH; i++)
		pattern_fill(src + i * size, size, i);
	t0 = now_ms();
	while (received < count) {
		batch = count - sent < BATCH ? count - sent : BATCH;
		for (i = 0; i < batch; i++) {
			tag(src + i * size, sent++);
			if (write(fds[1], src + i * size, size) != (ssize_t)size)
				res.good = false;
		}
		for (i = 0; i < batch; i++) {
			if (read(fds[0], dst + i * size, size) != (ssize_t)size ||
			    !tagged(dst + i * size, received))
				res.good = false;
			received++;
		}
		if (!res.good)
			break;
	}
	res.ms = now_ms() - t0;
	res.buffers = received;
	close(fds[0]);
	close(fds[1]);
	munmap(src, BATCH * size);
	munmap(dst, BATCH * size);
	return res;
}

static double per_second(const struct result *r)
{
	return r->ms > 0 ? r->buffers * 1000.0 / r->ms : 0;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 1500 };
	double seconds = argc > 1 ? atof(argv[1]) : 2;
	unsigned int s, round, test = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bench: echo_bench: vring pair through vring_echo vs pipe write/read, batches of %d, best of %d\n",
	       BATCH, ROUNDS);
	printf("bench: %6s %10s %12s %10s %12s %10s %10s\n", "size", "buffers",
	       "vring buf/s", "vring MB/s", "pipe buf/s", "pipe MB/s", "vring/pipe");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct result best_vring = { 0 }, best_pipe = { 0 };
		bool good = true;
		unsigned long count = 0;

		for (round = 0; round < ROUNDS; round++) {
			struct result v, p;

			/* The first vring run sets the count for all the others. */
			v = run_vring(sizes[s], seconds, count);
			if (!count)
				count = v.buffers;
			p = run_pipe(sizes[s], count);
			good &= v.good && p.good && v.buffers == count &&
				p.buffers == count;
			if (per_second(&v) > per_second(&best_vring))
				best_vring = v;
			if (per_second(&p) > per_second(&best_pipe))
				best_pipe = p;
		}
		printf("bench: %6zu %10lu %12.0f %10.2f %12.0f %10.2f %10.2f\n",
		       sizes[s], count, per_second(&best_vring),
		       per_second(&best_vring) * sizes[s] / 1e6, per_second(&best_pipe),
		       per_second(&best_pipe) * sizes[s] / 1e6,
		       per_second(&best_pipe) > 0 ?
		       per_second(&best_vring) / per_second(&best_pipe) : 0);
		printf("%sok %u - echo_bench %zu B: %lu buffers each way came back in order, intact\n",
		       good && count > 0 ? "" : "not ", ++test, sizes[s], count);
		failed += !(good && count > 0);
	}
	printf("1..%u\n", test);
	return failed ? 1 : 0;
}
