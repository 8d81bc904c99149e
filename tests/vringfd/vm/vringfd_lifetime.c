// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes: closing the ring fd, the echo fd and the eventfds in every
 * order, with buffers in flight; other processes touching a ring that is
 * not theirs; a process exiting with everything open.  Then a leak check
 * over many such cycles (slab caches, file count, module references) and
 * a look at the kernel log for anything the kernel complained about.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vringfd.h"
#include "vringfd_tests.h"

/* /sys/module/vringfd/refcnt: open rings and attached consumers hold it. */
static long module_refs(void)
{
	FILE *f = fopen("/sys/module/vringfd/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Closing files is partly deferred (task work, RCU): allow it a moment. */
static bool refs_back_to(long want)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (module_refs() == want)
			return true;
		usleep(10000);
	}
	tap_diag("  vringfd refcnt %ld, want %ld", module_refs(), want);
	return false;
}

static void offer_pair(struct test_ring *r, struct arena *a, unsigned int i)
{
	struct seg segs[2] = {
		{ a->start + i * 512, 100, false },
		{ a->start + i * 512 + 256, 200, true },
	};

	pattern_fill(segs[0].buf, 100, 700 + i);
	memset(segs[1].buf, 0, 200);
	ring_add_chain(r, segs, 2);
	driver_ring_publish(&r->driver);
}

/* The ring fd closed first: the echo keeps the ring alive and working. */
static void test_ring_closed_first(struct arena *a, long refs0)
{
	struct test_ring r;
	int echo = echo_open(), kick_efd = eventfd_new();
	struct vring_echo_stats st;
	uint64_t one = 1;

	ring_create(&r, 16, 0, RING_LEGACY);
	vringfd_set_kick_fd(r.fd, kick_efd);
	echo_attach(echo, r.fd, -1);
	TAP_OK_CALL(close(r.fd), "close the ring fd while the echo is attached");
	r.fd = -1;
	offer_pair(&r, a, 0);
	write(kick_efd, &one, sizeof(one));
	tap_ok(wait_used_idx(&r, 1, 5000) && pattern_check(a->start + 256, 100, 700),
	       "the ring still echoes through its kick eventfd after its fd is closed");
	TAP_OK_CALL(echo_stats(echo, &st), "echo stats still readable");
	tap_ok(st.chains == 1, "the echo counted that chain (%llu)",
	       (unsigned long long)st.chains);
	close(echo);
	close(kick_efd);
	tap_ok(refs_back_to(refs0), "closing the echo let the ring go (module refs back)");
	ring_free(&r);
}

/* The echo closed first: the ring goes back to having no consumer. */
static void test_echo_closed_first(struct arena *a)
{
	struct vring_status st;
	struct test_ring r;
	int echo = echo_open();

	ring_create(&r, 16, 0, RING_LEGACY);
	echo_attach(echo, r.fd, -1);
	TAP_OK_CALL(close(echo), "close the echo fd while attached");
	ring_status(&r, &st);
	tap_ok(!st.attached, "the ring is no longer attached");
	offer_pair(&r, a, 0);
	tap_ok(write(r.fd, "kick", 4) == 4 && driver_ring_used_idx(&r.driver) == 0,
	       "a kick with no consumer returns n and uses nothing");
	TAP_OK_CALL(ring_setup_again(&r), "VRINGSETUP works again (no EBUSY)");

	echo = echo_open();
	echo_attach(echo, r.fd, -1);
	TAP_OK_CALL(echo_detach(echo), "VRING_ECHO_DETACH");
	ring_status(&r, &st);
	tap_ok(!st.attached, "detached");
	TAP_OK_CALL(echo_attach(echo, r.fd, -1), "the same echo attaches again");
	write(r.fd, "", 0);
	tap_ok(driver_ring_used_idx(&r.driver) == 1 &&
	       pattern_check(a->start + 256, 100, 700),
	       "and echoes the chain that waited");
	close(echo);
	ring_free(&r);
}

/*
 * Pair mode with chains stuck on "in" (no out buffers) and a kick queued
 * on the eventfd, then every order of closing the three fds.
 */
static void test_close_orders(struct arena *a, long refs0)
{
	/* i: the in ring's fd, o: the out ring's fd, e: the echo's fd */
	static const char orders[][4] = { "ioe", "eio", "oei", "ieo", "oie" };
	unsigned int o, i;

	for (o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		struct test_ring in, out;
		int echo = echo_open(), kick_efd = eventfd_new();
		uint64_t one = 1;

		ring_create(&in, 16, 0, RING_LEGACY);
		ring_create(&out, 16, 0, RING_SPLIT);
		vringfd_set_kick_fd(in.fd, kick_efd);
		echo_attach(echo, in.fd, out.fd);
		for (i = 0; i < 4; i++)
			offer_pair(&in, a, i);
		write(in.fd, "", 0);
		write(kick_efd, &one, sizeof(one));
		for (i = 0; i < 3; i++)
			close(orders[o][i] == 'i' ? in.fd :
			      orders[o][i] == 'o' ? out.fd : echo);
		in.fd = out.fd = -1;
		close(kick_efd);
		tap_ok(driver_ring_used_idx(&in.driver) == 0 && refs_back_to(refs0),
		       "pair with 4 chains pending and a kick queued, closed in the order %s (in/out/echo): all released",
		       orders[o]);
		ring_free(&in);
		ring_free(&out);
	}
}

static void test_attach_errors(void)
{
	struct test_ring r, r2;
	int echo = echo_open(), echo2 = echo_open(), fds[2], raw;

	ring_create(&r, 16, 0, RING_LEGACY);
	ring_create(&r2, 16, 0, RING_LEGACY);
	raw = vringfd_open();
	pipe(fds);
	TAP_ERRNO(echo_attach(echo, fds[0], -1), EINVAL,
		  "attaching the echo to a pipe fails with EINVAL");
	TAP_ERRNO(echo_attach(echo, 1000, -1), EBADF,
		  "attaching the echo to a closed fd fails with EBADF");
	TAP_ERRNO(echo_attach(echo, raw, -1), ENXIO,
		  "attaching the echo to a ring before VRINGSETUP fails with ENXIO");
	TAP_ERRNO(echo_attach(echo, r.fd, fds[0]), EINVAL,
		  "a pipe as the out ring fails with EINVAL");
	TAP_OK_CALL(echo_attach(echo, r.fd, -1), "the failed attaches left the echo free");
	TAP_ERRNO(echo_attach(echo2, r.fd, -1), EBUSY,
		  "a second consumer on the same ring fails with EBUSY");
	TAP_ERRNO(echo_attach(echo, r2.fd, -1), EBUSY,
		  "an attached echo cannot attach again (EBUSY)");
	TAP_OK_CALL(echo_attach(echo2, r2.fd, -1), "the second echo takes the other ring");
	close(fds[0]);
	close(fds[1]);
	close(raw);
	close(echo);
	close(echo2);
	ring_free(&r);
	ring_free(&r2);
}

/*
 * The echo's attach kicks once from a worker.  Wait until that run has
 * used our first chain and gone idle (used->flags back to asking for
 * kicks), so that a later chain can only move if somebody kicks.
 */
static bool attach_settled(struct test_ring *r)
{
	if (!wait_used_idx(r, 1, 5000))
		return false;
	while (r->driver.vr.used->flags & VRING_USED_F_NO_NOTIFY)
		usleep(1000);
	usleep(50000);
	return true;
}

/* A ring belongs to the address space that opened it. */
static void test_other_process(struct arena *a)
{
	struct test_ring r;
	int echo = echo_open(), status;
	pid_t pid;

	ring_create(&r, 16, 0, RING_LEGACY);
	offer_pair(&r, a, 0);
	echo_attach(echo, r.fd, -1);
	tap_ok(attach_settled(&r), "the attach echoed the chain that waited");
	offer_pair(&r, a, 1);
	pid = fork();
	if (pid == 0) {
		struct vring_status st;
		int bad = 0;

		if (!(vringfd_get_status(r.fd, &st) == -1 && errno == EPERM))
			bad |= 1;
		if (!(write(r.fd, "", 0) == -1 && errno == EPERM))
			bad |= 2;
		if (!(vringfd_set_base(r.fd, 0) == -1 && errno == EPERM))
			bad |= 4;
		if (poll_one(r.fd, POLLIN, 0) & POLLIN)
			bad |= 8;
		_exit(bad);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "a forked child gets EPERM for ioctl and write on the parent's ring (%#x)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	tap_ok(driver_ring_used_idx(&r.driver) == 1,
	       "and its kick did not run the echo (used->idx %u)",
	       driver_ring_used_idx(&r.driver));
	close(echo);
	ring_free(&r);
}

/* A process that exits with rings, eventfds and an echo all open. */
static void test_exit_with_everything_open(long refs0)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct test_ring r;
		struct arena a;
		uint64_t one = 1;
		int echo = echo_open(), kick_efd = eventfd_new();
		unsigned int i;

		arena_create(&a, 65536);
		ring_create(&r, 64, 0, RING_LEGACY);
		vringfd_set_kick_fd(r.fd, kick_efd);
		vringfd_set_call_fd(r.fd, eventfd_new());
		echo_attach(echo, r.fd, -1);
		for (i = 0; i < 16; i++)
			offer_pair(&r, &a, i);
		write(kick_efd, &one, sizeof(one));
		_exit(0);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && refs_back_to(refs0),
	       "a process exiting mid-kick with everything open releases it all");
}

/* The ring's memory unmapped under an attached consumer. */
static void test_unmapped_ring(void)
{
	struct vring_status st;
	struct test_ring r;
	int echo = echo_open();

	ring_create(&r, 16, 0, RING_SPLIT);
	echo_attach(echo, r.fd, -1);
	munmap(r.map[0], r.map_len[0]);
	r.map[0] = NULL;
	r.driver.vr.avail->ring[0] = 0;
	r.driver.avail_idx = 1;
	driver_ring_publish(&r.driver);
	TAP_ERRNO(write(r.fd, "", 0), EIO,
		  "descriptor table unmapped under the echo: the kick fails with EIO");
	ring_status(&r, &st);
	tap_ok(st.broken, "and the ring is broken: \"%s\"", st.reason);
	close(echo);
	ring_free(&r);
}

void test_lifetime(void)
{
	struct arena a;
	long refs0;

	arena_create(&a, 65536);
	refs0 = module_refs();
	tap_ok(refs0 >= 0, "read /sys/module/vringfd/refcnt (%ld)", refs0);
	test_ring_closed_first(&a, refs0);
	test_echo_closed_first(&a);
	test_close_orders(&a, refs0);
	test_attach_errors();
	test_other_process(&a);
	test_exit_with_everything_open(refs0);
	test_unmapped_ring();
	tap_ok(refs_back_to(refs0), "module references back to %ld at the end", refs0);
	arena_destroy(&a);
}

/*
 * Leak check.  One cycle opens, sets up, attaches, echoes, breaks or
 * closes in one of several ways; a leak of even one object per cycle
 * shows up as a slab cache that grows with the number of cycles.
 */
static void leak_cycle(struct arena *a, unsigned int i)
{
	struct test_ring r, out;
	int echo = echo_open(), kick_efd = eventfd_new(), call_efd = eventfd_new();
	uint64_t one = 1;

	ring_create(&r, 256, 0, i % 2 ? RING_SPLIT : RING_LEGACY);
	vringfd_set_kick_fd(r.fd, kick_efd);
	vringfd_set_call_fd(r.fd, call_efd);
	switch (i % 4) {
	case 0:		/* self mode, write kick, eventfd kick */
		echo_attach(echo, r.fd, -1);
		offer_pair(&r, a, 0);
		write(r.fd, "", 0);
		offer_pair(&r, a, 1);
		write(kick_efd, &one, sizeof(one));
		wait_used_idx(&r, 2, 2000);
		break;
	case 1:		/* pair mode, chains left pending */
		ring_create(&out, 64, 0, RING_LEGACY);
		echo_attach(echo, r.fd, out.fd);
		offer_pair(&r, a, 0);
		write(r.fd, "", 0);
		ring_free(&out);
		break;
	case 2:		/* broken ring, set up again */
		echo_attach(echo, r.fd, -1);
		driver_ring_set_desc(&r.driver, 0, 0, 0, VRING_DESC_F_NEXT, 0);
		driver_ring_add_head(&r.driver, 0);
		driver_ring_publish(&r.driver);
		write(r.fd, "", 0);
		echo_detach(echo);
		ring_setup_again(&r);
		break;
	case 3:		/* re-setup and failed setups, no consumer */
		ring_setup_again(&r);
		r.num = 3;
		ring_setup_again(&r);
		r.num = 256;
		break;
	}
	close(echo);
	close(kick_efd);
	close(call_efd);
	ring_free(&r);
}

#define MAX_CACHES 512

struct slab_snapshot {
	unsigned int n;
	char name[MAX_CACHES][40];
	long objs[MAX_CACHES];
	long objsize[MAX_CACHES];
};

static bool slab_snapshot(struct slab_snapshot *s)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];

	s->n = 0;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
		long active, total, size;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%39s %ld %ld %ld", s->name[s->n], &active, &total,
			   &size) == 4) {
			s->objs[s->n] = active;
			s->objsize[s->n] = size;
			s->n++;
		}
	}
	fclose(f);
	return s->n > 0;
}

/*
 * The cache that grew most between two snapshots, in objects.  Not
 * vmap_area: every ring's worker thread has a vmalloc'ed stack, and the
 * kernel frees the address ranges of freed stacks lazily, in batches of
 * tens of MiB that these cycles do not reach.  That the workers
 * themselves are gone is checked directly.
 */
static long slab_worst(const struct slab_snapshot *a, const struct slab_snapshot *b,
		       const char **name)
{
	long worst = 0;
	unsigned int i, j;

	*name = "-";
	for (i = 0; i < b->n; i++)
		for (j = 0; j < a->n; j++)
			if (!strcmp(a->name[j], b->name[i]) &&
			    strcmp(b->name[i], "vmap_area") &&
			    b->objs[i] - a->objs[j] > worst) {
				worst = b->objs[i] - a->objs[j];
				*name = b->name[i];
			}
	return worst;
}

static void run_cycles(struct arena *a, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		leak_cycle(a, i);
	/* Let deferred frees (RCU, work items) finish. */
	usleep(500000);
}

void test_leaks(void)
{
	static struct slab_snapshot s0, s1, s2;
	const unsigned int n = 800;
	long refs0, sunreclaim0, avail0, grew, grew2;
	int left;
	const char *cache, *cache2;
	struct arena a;
	double t0;

	arena_create(&a, 65536);
	run_cycles(&a, 100);		/* warm the caches up */
	refs0 = module_refs();
	sunreclaim0 = meminfo_kb("SUnreclaim");
	avail0 = meminfo_kb("MemAvailable");
	if (!tap_ok(slab_snapshot(&s0), "read /proc/slabinfo"))
		return;
	t0 = now_ms();
	run_cycles(&a, n);
	tap_diag("%u cycles in %.0f ms", n, now_ms() - t0);
	slab_snapshot(&s1);
	grew = slab_worst(&s0, &s1, &cache);
	if (grew >= n / 2) {
		/* Maybe noise: a leak grows again by as much. */
		tap_diag("cache %s grew by %ld objects; running %u more cycles", cache, grew, n);
		run_cycles(&a, n);
		slab_snapshot(&s2);
		grew2 = slab_worst(&s1, &s2, &cache2);
		if (grew2 < (long)n / 2 || strcmp(cache, cache2))
			grew = grew2;
	}
	tap_ok(grew < (long)n / 2,
	       "no slab cache grew by %u+ objects over %u cycles (worst: %s, +%ld)",
	       n / 2, n, cache, grew);
	tap_ok(meminfo_kb("SUnreclaim") - sunreclaim0 < 2048,
	       "SUnreclaim grew by less than 2 MiB (%ld -> %ld kB)", sunreclaim0,
	       meminfo_kb("SUnreclaim"));
	tap_ok(avail0 - meminfo_kb("MemAvailable") < 16384,
	       "MemAvailable fell by less than 16 MiB (%ld -> %ld kB)", avail0,
	       meminfo_kb("MemAvailable"));
	tap_ok(module_refs() == refs0, "vringfd module references: %ld before, %ld after",
	       refs0, module_refs());
	left = ring_workers_gone(getpid(), 2000);
	tap_ok(left == 0,
	       "no ring worker thread outlives its ring by 2 s (%d left)", left);
	arena_destroy(&a);
}

/* Nothing we did may have made the kernel complain. */
void test_kernel_log(void)
{
	static const char *const bad[] = {
		"BUG", "WARNING", "Oops", "general protection", "KASAN", "UBSAN",
		"refcount_t", "list_add corruption", "list_del corruption",
		"hung_task", "blocked for more than", "stack-protector",
	};
	char *log = kernel_log(), *line, *save;
	unsigned int found = 0, i;

	if (!tap_ok(log != NULL, "read the kernel log"))
		return;
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* Boot messages (e.g. CPU vulnerability notes) are not ours. */
		if (kernel_log_stamp(line) <= kernel_log_start)
			continue;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(line, bad[i])) {
				tap_diag("kernel: %s", line);
				found++;
				break;
			}
		}
	}
	tap_ok(found == 0,
	       "the kernel log since %.1f s has no BUG, WARNING, Oops or similar (%u lines)",
	       kernel_log_start, found);
	free(log);
}
