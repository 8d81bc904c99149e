// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications both ways.  Owner to consumer: write() on the ring fd, or
 * the kick eventfd (VRINGSETKICKFD).  Consumer to owner: poll()/epoll
 * readiness and the call eventfd (VRINGSETCALLFD), subject to the ring's
 * suppression rules (VRING_AVAIL_F_NO_INTERRUPT, or EVENT_IDX's
 * used_event).  And the consumer's own request not to be kicked while it
 * works (VRING_USED_F_NO_NOTIFY, or avail_event with EVENT_IDX).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vringfd.h"
#include "vringfd_tests.h"

#define EVENT_IDX (1ULL << VRINGFD_F_EVENT_IDX)

/* A ring with an echo attached and one arena for buffers. */
struct notify_ring {
	struct test_ring r;
	struct arena a;
	int echo;
	unsigned int seed;
};

static bool notify_ring_create(struct notify_ring *n, uint64_t features)
{
	memset(n, 0, sizeof(*n));
	if (arena_create(&n->a, 65536) ||
	    ring_create(&n->r, 64, features,
			features ? RING_SPLIT : RING_LEGACY) < 0) {
		tap_ok(false, "notify ring: %s", strerror(errno));
		return false;
	}
	n->echo = echo_open();
	/* Settled: the echo's own run at attach is over (R:265's counts). */
	if (echo_attach_settled(n->echo, n->r.fd, -1) < 0) {
		tap_ok(false, "notify ring: attach: %s", strerror(errno));
		return false;
	}
	return true;
}

static void notify_ring_destroy(struct notify_ring *n)
{
	close(n->echo);
	ring_free(&n->r);
	arena_destroy(&n->a);
}

/* Offer one 64-byte chain, without kicking. */
static void offer(struct notify_ring *n)
{
	struct seg segs[2] = {
		{ n->a.start, 64, false }, { n->a.start + 4096, 64, true },
	};

	pattern_fill(n->a.start, 64, ++n->seed);
	memset(n->a.start + 4096, 0, 64);
	ring_add_chain(&n->r, segs, 2);
	driver_ring_publish(&n->r.driver);
}

/* Did the last offered chain come back, with its bytes?  Consumes it. */
static bool came_back(struct notify_ring *n)
{
	uint32_t id, len;

	return driver_ring_get_used(&n->r.driver, &id, &len) && len == 64 &&
	       pattern_check(n->a.start + 4096, 64, n->seed);
}

static void test_poll_readiness(struct notify_ring *n)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int ep;

	tap_ok(poll_one(n->r.fd, POLLIN, 0) == 0, "poll: nothing to read on a fresh ring");
	tap_ok(poll_one(n->r.fd, POLLOUT, 0) == POLLOUT, "poll: always writable");
	offer(n);
	write(n->r.fd, "", 0);
	tap_ok(poll_one(n->r.fd, POLLIN, 0) == POLLIN,
	       "poll: POLLIN once the echo used a buffer");
	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, n->r.fd, &ev);
	tap_ok(epoll_wait(ep, &got, 1, 0) == 1 && got.events == EPOLLIN,
	       "epoll: EPOLLIN while a used buffer is unseen");
	tap_ok(came_back(n), "the buffer came back");
	tap_ok(poll_one(n->r.fd, POLLIN, 0) == 0, "poll: nothing once last_used caught up");
	tap_ok(epoll_wait(ep, &got, 1, 0) == 0, "epoll: nothing once last_used caught up");
	close(ep);
}

/* Something another thread does while the main thread sleeps in poll(). */
struct waker {
	struct notify_ring *n;
	int kick_efd;		/* -1: kick with write() on the ring fd */
	int delay_ms;
	bool hostile;		/* offer a looping chain instead */
	long result;
};

static void *waker_main(void *arg)
{
	struct waker *w = arg;
	uint64_t one = 1;

	usleep(w->delay_ms * 1000);
	if (w->hostile) {
		struct test_ring *r = &w->n->r;
		uint16_t d = r->driver.next_desc;

		driver_ring_set_desc(&r->driver, d, (uintptr_t)w->n->a.start, 16,
				     VRING_DESC_F_NEXT, d);
		driver_ring_add_head(&r->driver, d);
		driver_ring_publish(&r->driver);
	} else {
		offer(w->n);
	}
	if (w->kick_efd >= 0)
		w->result = write(w->kick_efd, &one, sizeof(one));
	else
		w->result = write(w->n->r.fd, "wake", 4);
	return NULL;
}

/* Block in poll(); return the revents and how long it took. */
static int blocked_poll(struct waker *w, double *ms)
{
	struct pollfd pfd = { .fd = w->n->r.fd, .events = POLLIN };
	pthread_t thread;
	double t0 = now_ms();
	int ret;

	pthread_create(&thread, NULL, waker_main, w);
	ret = poll(&pfd, 1, 20000);
	*ms = now_ms() - t0;
	pthread_join(thread, NULL);
	return ret == 1 ? pfd.revents : ret;
}

static void test_poll_wakeups(struct notify_ring *n, int kick_efd)
{
	struct waker w = { .n = n, .kick_efd = -1, .delay_ms = 300 };
	double ms;
	int revents;

	revents = blocked_poll(&w, &ms);
	tap_ok(revents == POLLIN && ms >= 250 && ms < 20000 && w.result == 4,
	       "a poll() blocked in one thread wakes with POLLIN when another kicks (%.0f ms)",
	       ms);
	tap_ok(came_back(n), "the kicked buffer came back");

	w.kick_efd = kick_efd;
	revents = blocked_poll(&w, &ms);
	tap_ok(revents == POLLIN && ms >= 250 && ms < 20000 && w.result == 8,
	       "a blocked poll() wakes when another thread signals the kick eventfd (%.0f ms)",
	       ms);
	tap_ok(came_back(n), "the buffer kicked through the eventfd came back");
}

/*
 * VRINGGETSTATS into *st once its runs reach `runs` (a run is counted
 * just after the consumer returns, so a moment after its buffers show),
 * or after 2 s; true if it got there.
 */
static bool stats_after_runs(int fd, struct vring_stats *st, uint64_t runs)
{
	for (int i = 0; i < 200; i++) {
		if (ioctl(fd, VRINGGETSTATS, st) < 0)
			return false;
		if (st->runs >= runs)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

static void test_kick_eventfd(struct notify_ring *n, int kick_efd)
{
	struct vring_stats before, after;
	uint64_t one = 1;
	int pipe_fds[2];
	bool ok;

	TAP_OK_CALL(ioctl(n->r.fd, VRINGGETSTATS, &before), "VRINGGETSTATS");
	offer(n);
	write(kick_efd, &one, sizeof(one));
	tap_ok(poll_one(n->r.fd, POLLIN, 5000) == POLLIN && came_back(n),
	       "kick eventfd: a signal on it gets the buffer echoed");
	offer(n);
	write(kick_efd, &one, sizeof(one));
	tap_ok(poll_one(n->r.fd, POLLIN, 5000) == POLLIN && came_back(n),
	       "kick eventfd: a second signal (counter not reset by us) works too");
	ok = stats_after_runs(n->r.fd, &after, before.runs + 2);
	tap_ok(ok && after.kicks - before.kicks == 2 && after.runs - before.runs == 2 &&
	       after.used - before.used == 2 &&
	       after.batches[1] - before.batches[1] == 2,
	       "VRINGGETSTATS: 2 eventfd kicks, 2 runs of one used entry each (kicks +%llu, runs +%llu, used +%llu, runs of 1 +%llu)",
	       (unsigned long long)(after.kicks - before.kicks),
	       (unsigned long long)(after.runs - before.runs),
	       (unsigned long long)(after.used - before.used),
	       (unsigned long long)(after.batches[1] - before.batches[1]));

	TAP_OK_CALL(vringfd_set_kick_fd(n->r.fd, -1), "VRINGSETKICKFD -1 unbinds it");
	offer(n);
	write(kick_efd, &one, sizeof(one));
	tap_ok(poll_one(n->r.fd, POLLIN, 500) == 0,
	       "after unbinding, a signal on the eventfd kicks nothing");
	write(n->r.fd, "", 0);
	tap_ok(came_back(n), "the waiting buffer goes with a write() kick");

	/* Bound while already signalled: that counts as a kick. */
	offer(n);
	TAP_OK_CALL(vringfd_set_kick_fd(n->r.fd, kick_efd),
		    "VRINGSETKICKFD with an already signalled eventfd");
	tap_ok(poll_one(n->r.fd, POLLIN, 5000) == POLLIN && came_back(n),
	       "binding a signalled eventfd kicks at once");

	pipe(pipe_fds);
	TAP_ERRNO(vringfd_set_kick_fd(n->r.fd, pipe_fds[0]), EINVAL,
		  "VRINGSETKICKFD with a pipe fails with EINVAL");
	TAP_ERRNO(vringfd_set_kick_fd(n->r.fd, 1000), EBADF,
		  "VRINGSETKICKFD with a closed fd fails with EBADF");
	TAP_ERRNO(vringfd_set_call_fd(n->r.fd, pipe_fds[0]), EINVAL,
		  "VRINGSETCALLFD with a pipe fails with EINVAL");
	TAP_ERRNO(vringfd_set_call_fd(n->r.fd, 1000), EBADF,
		  "VRINGSETCALLFD with a closed fd fails with EBADF");
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	vringfd_set_kick_fd(n->r.fd, kick_efd);
}

static void test_call_eventfd(struct notify_ring *n, int kick_efd)
{
	int call_efd = eventfd_new();
	uint64_t one = 1, count;

	TAP_OK_CALL(vringfd_set_call_fd(n->r.fd, call_efd), "VRINGSETCALLFD");
	tap_ok(eventfd_take(call_efd) == 0, "call eventfd: quiet before any work");
	offer(n);
	write(n->r.fd, "", 0);
	count = eventfd_take(call_efd);
	tap_ok(count >= 1 && came_back(n),
	       "call eventfd: signalled after the echo (count %llu)",
	       (unsigned long long)count);

	/* The whole path with no system call on the ring fd. */
	offer(n);
	write(kick_efd, &one, sizeof(one));
	tap_ok(poll_one(call_efd, POLLIN, 5000) == POLLIN && eventfd_take(call_efd) >= 1 &&
	       came_back(n),
	       "kick eventfd in, call eventfd out: the buffer came back");

	TAP_OK_CALL(vringfd_set_call_fd(n->r.fd, -1), "VRINGSETCALLFD -1 unbinds it");
	offer(n);
	write(n->r.fd, "", 0);
	tap_ok(came_back(n) && eventfd_take(call_efd) == 0,
	       "after unbinding, the call eventfd stays quiet");

	/* A ring that breaks tells the owner, too. */
	vringfd_set_call_fd(n->r.fd, call_efd);
	{
		struct waker w = { .n = n, .kick_efd = -1, .hostile = true };
		double ms;
		int revents = blocked_poll(&w, &ms);

		tap_ok(revents & POLLERR,
		       "a blocked poll() wakes with POLLERR when the ring breaks (%#x)",
		       revents);
	}
	tap_ok(eventfd_take(call_efd) >= 1, "the call eventfd is signalled when the ring breaks");
	close(call_efd);
}

void test_notify(void)
{
	struct notify_ring n;
	int kick_efd;

	if (!notify_ring_create(&n, 0))
		return;
	kick_efd = eventfd_new();
	TAP_OK_CALL(vringfd_set_kick_fd(n.r.fd, kick_efd), "VRINGSETKICKFD");
	test_poll_readiness(&n);
	test_poll_wakeups(&n, kick_efd);
	test_kick_eventfd(&n, kick_efd);
	test_call_eventfd(&n, kick_efd);
	close(kick_efd);
	notify_ring_destroy(&n);
}

/* One chain through, by write(); how much did the call eventfd say? */
static uint64_t through(struct notify_ring *n, int call_efd, unsigned int chains)
{
	unsigned int i;

	for (i = 0; i < chains; i++)
		offer(n);
	write(n->r.fd, "", 0);
	n->r.driver.last_used = driver_ring_used_idx(&n->r.driver);
	return eventfd_take(call_efd);
}

static void test_no_interrupt(void)
{
	struct notify_ring n;
	int call_efd = eventfd_new();

	if (!notify_ring_create(&n, 0))
		return;
	vringfd_set_call_fd(n.r.fd, call_efd);
	n.r.driver.vr.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	offer(&n);
	write(n.r.fd, "", 0);
	tap_ok(driver_ring_used_idx(&n.r.driver) == 1 && eventfd_take(call_efd) == 0,
	       "NO_INTERRUPT: the buffer was used, the call eventfd stayed quiet");
	tap_ok(poll_one(n.r.fd, POLLIN, 0) == POLLIN,
	       "NO_INTERRUPT: poll() still sees the used buffer when asked");
	came_back(&n);
	n.r.driver.vr.avail->flags = 0;
	tap_ok(through(&n, call_efd, 1) >= 1,
	       "NO_INTERRUPT cleared: the call eventfd is signalled again");
	tap_ok(!(n.r.driver.vr.used->flags & VRING_USED_F_NO_NOTIFY),
	       "the idle consumer leaves used->flags asking for kicks (%#x)",
	       n.r.driver.vr.used->flags);
	close(call_efd);
	notify_ring_destroy(&n);
}

/*
 * EVENT_IDX: the owner names in used_event the used index it wants to
 * hear about; the consumer signals when a batch moves used->idx past it.
 */
static void test_event_idx(void)
{
	struct notify_ring n;
	int call_efd = eventfd_new();
	uint16_t *used_event;

	if (!notify_ring_create(&n, EVENT_IDX))
		return;
	used_event = &vring_used_event(&n.r.driver.vr);
	vringfd_set_call_fd(n.r.fd, call_efd);
	tap_ok(through(&n, call_efd, 1) >= 1, "EVENT_IDX: the first used buffer signals");

	*used_event = 3;			/* used->idx is 1 */
	tap_ok(through(&n, call_efd, 1) == 0, "used_event 3: used 1 -> 2 does not signal");
	tap_ok(through(&n, call_efd, 1) == 0, "used_event 3: used 2 -> 3 does not signal");
	tap_ok(through(&n, call_efd, 1) >= 1, "used_event 3: used 3 -> 4 signals");

	*used_event = 10;
	tap_ok(through(&n, call_efd, 3) == 0, "used_event 10: a batch 4 -> 7 does not signal");
	tap_ok(through(&n, call_efd, 5) >= 1, "used_event 10: a batch 7 -> 12 signals");

	*used_event = driver_ring_used_idx(&n.r.driver) - 1;
	tap_ok(through(&n, call_efd, 2) == 0, "a used_event already passed does not signal");

	*used_event = driver_ring_used_idx(&n.r.driver);
	n.r.driver.vr.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	tap_ok(through(&n, call_efd, 1) >= 1,
	       "with EVENT_IDX, avail->flags is ignored: used_event crossed signals");
	n.r.driver.vr.avail->flags = 0;

	tap_ok(vring_avail_event(&n.r.driver.vr) == n.r.driver.avail_idx,
	       "idle consumer asks to be kicked at the next avail index (avail_event %u, avail %u)",
	       vring_avail_event(&n.r.driver.vr), n.r.driver.avail_idx);
	tap_ok(n.r.driver.vr.used->flags == 0,
	       "with EVENT_IDX the consumer leaves used->flags alone (%#x)",
	       n.r.driver.vr.used->flags);

	/*
	 * The counters saw all of it: 8 write() kicks, each one run, in
	 * batches of 1, 1, 1, 1, 3, 5, 2 and 1 (runs of 2-3 and 4-7 in
	 * their own buckets), 4 signals and 4 the owner's used_event
	 * turned down; and before them the echo's own run at attach, which
	 * found nothing to do (bucket 0).
	 */
	{
		struct vring_stats st;
		static const uint64_t want[VRINGFD_BATCH_BUCKETS] = {
			1, 5, 2, 1, 0, 0, 0, 0,
		};
		bool same = stats_after_runs(n.r.fd, &st, 9);

		for (int b = 0; b < VRINGFD_BATCH_BUCKETS; b++)
			same = same && st.batches[b] == want[b];
		tap_ok(same && st.runs == 9 && st.kicks == 8 && st.used == 15 &&
		       st.signals == 4 && st.suppressed == 4,
		       "VRINGGETSTATS: kicks 8, runs 9 (the echo's own at attach too), used 15, signals 4, suppressed 4, batches 1 5 2 1 0 0 0 0 (got %llu, %llu, %llu, %llu, %llu, %llu %llu %llu %llu %llu %llu %llu %llu)",
		       (unsigned long long)st.kicks, (unsigned long long)st.runs,
		       (unsigned long long)st.used, (unsigned long long)st.signals,
		       (unsigned long long)st.suppressed,
		       (unsigned long long)st.batches[0],
		       (unsigned long long)st.batches[1],
		       (unsigned long long)st.batches[2],
		       (unsigned long long)st.batches[3],
		       (unsigned long long)st.batches[4],
		       (unsigned long long)st.batches[5],
		       (unsigned long long)st.batches[6],
		       (unsigned long long)st.batches[7]);
		TAP_ERRNO(ioctl(n.r.fd, VRINGGETSTATS, (void *)16), EFAULT,
			  "VRINGGETSTATS into a bad address: EFAULT");
		echo_detach(n.echo);
		TAP_OK_CALL(ring_setup_again(&n.r), "VRINGSETUP again");
		tap_ok(ioctl(n.r.fd, VRINGGETSTATS, &st) == 0 && !st.kicks &&
		       !st.runs && !st.used && !st.signals && !st.batches[1],
		       "VRINGSETUP starts the counters again");
	}
	close(call_efd);
	notify_ring_destroy(&n);
}

void test_suppress(void)
{
	test_no_interrupt();
	test_event_idx();
}
