// SPDX-License-Identifier: GPL-2.0
/*
 * Notification suppression, both ways: used buffer notifications (the
 * device signalling the driver, 2.7.7) and available buffer notifications
 * (the driver kicking the device, 2.7.10).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/vringfd.h>
#include "conf_env.h"

#define ARENA_NOTIFY	(1024 * CONF_PAGE)

/*
 * A "used buffer notification" is vringfd signalling the call
 * eventfd (and waking poll()).  The suite reads the eventfd after each
 * synchronous kick (write() on the ring fd runs the echo before it
 * returns), so the count it reads is exactly the notifications that kick
 * caused.
 */
struct notify_env {
	struct conf_env e;
	struct conf_pool pool;
	uint32_t seed;
};

static int notify_open(struct notify_env *n, uint64_t features,
		       uint16_t start)
{
	struct conf_ring_opts o = {
		.num = 16, .features = features, .start_idx = start,
	};

	if (env_open(&n->e, ARENA_NOTIFY, &o, false))
		return -1;
	pool_new(&n->e, &n->pool, 16, 64);
	ring_calls(&n->e.r);	/* anything from attaching */
	return 0;
}

/* Post k chains, kick, check them; returns the notifications, or -1. */
static long notify_kick(struct notify_env *n, unsigned int k,
			const char *what)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		pool_post(&n->e.r, &n->pool, 20 + i, 40, n->seed++);
	if (env_run(&n->e, k, what))
		return -1;
	return (long)ring_calls(&n->e.r);
}

int test_flags0_notify(void)
{
	static const unsigned int ks[] = { 1, 1, 1, 2, 4, 7, 1, 8 };
	struct notify_env n = { .seed = 1 };
	unsigned int i;
	char what[64];
	long calls;
	int rc = -1;

	if (notify_open(&n, 0, 0))
		goto out;
	for (i = 0; i < 8; i++) {
		snprintf(what, sizeof(what), "kick %u (%u buffers)", i, ks[i]);
		calls = notify_kick(&n, ks[i], what);
		if (calls < 0)
			goto out;
		CONF_CHECK_OUT(calls >= 1,
			       "%s with avail flags 0: no notification", what);
	}
	rc = 0;
out:
	env_close(&n.e);
	return rc;
}

int test_flags1_no_notify(void)
{
	struct notify_env n = { .seed = 2 };
	unsigned int i;
	char what[64];
	long calls, total = 0;
	int rc = -1;

	if (notify_open(&n, 0, 0))
		goto out;
	ring_set_avail_flags(&n.e.r, CONF_AVAIL_F_NO_INTERRUPT);
	for (i = 0; i < 20; i++) {
		snprintf(what, sizeof(what), "kick %u", i);
		calls = notify_kick(&n, 1 + i % 3, what);
		if (calls < 0)
			goto out;
		total += calls;
	}
	CONF_CHECK_OUT(total == 0,
		       "%ld notifications over 20 kicks with VRING_AVAIL_F_NO_INTERRUPT set",
		       total);
	/* The eventfd does work: clear the flag and one must come. */
	ring_set_avail_flags(&n.e.r, 0);
	calls = notify_kick(&n, 1, "kick with the flag cleared");
	if (calls < 0)
		goto out;
	CONF_CHECK_OUT(calls >= 1,
		       "no notification after clearing NO_INTERRUPT either: the check above proves nothing");
	rc = 0;
out:
	env_close(&n.e);
	return rc;
}

/* Without EVENT_IDX, used_event values that would suppress are ignored. */
int test_ignore_used_event(void)
{
	static const int16_t deltas[] = { 100, -5, 1, 30000, -1 };
	struct notify_env n = { .seed = 3 };
	unsigned int i;
	char what[64];
	long calls;
	int rc = -1;

	if (notify_open(&n, 0, 0))
		goto out;
	for (i = 0; i < 5; i++) {
		uint16_t ue = (uint16_t)(ring_used_idx(&n.e.r) + deltas[i]);

		ring_set_used_event(&n.e.r, ue);
		snprintf(what, sizeof(what), "used_event %u (used idx %u)", ue,
			 ring_used_idx(&n.e.r));
		calls = notify_kick(&n, 1, what);
		if (calls < 0)
			goto out;
		CONF_CHECK_OUT(calls >= 1, "%s, no EVENT_IDX: no notification",
			       what);
	}
	rc = 0;
out:
	env_close(&n.e);
	return rc;
}

/* With EVENT_IDX, NO_INTERRUPT in avail flags means nothing. */
int test_event_ignore_flags(void)
{
	struct notify_env n = { .seed = 4 };
	unsigned int i;
	char what[64];
	long calls;
	int rc = -1;

	if (notify_open(&n, CONF_F_EVENT_IDX, 0))
		goto out;
	ring_set_avail_flags(&n.e.r, CONF_AVAIL_F_NO_INTERRUPT);
	for (i = 0; i < 6; i++) {
		ring_set_used_event(&n.e.r, ring_used_idx(&n.e.r));
		snprintf(what, sizeof(what), "kick %u", i);
		calls = notify_kick(&n, 1 + i % 2, what);
		if (calls < 0)
			goto out;
		CONF_CHECK_OUT(calls >= 1,
			       "%s: used_event crossed, avail flags 1: no notification",
			       what);
	}
	rc = 0;
out:
	env_close(&n.e);
	return rc;
}

/*
 * EVENT_IDX: set used_event to used idx + delta and use k buffers.  The
 * entries written are at indices [old, old + k); the device MUST notify
 * when used_event is one of them and SHOULD NOT otherwise.
 */
struct event_step {
	int16_t delta;
	uint8_t k;
};

static const struct event_step event_steps[] = {
	{ 100, 1 },	/* the first batch after setup, not crossing */
	{ 0, 1 }, { 1, 1 }, { 0, 3 }, { 5, 3 }, { 2, 3 }, { -1, 2 },
	{ 1, 2 }, { 3, 4 }, { 4, 4 }, { 6, 7 }, { -30, 5 }, { 7, 7 },
	{ 0, 8 }, { 200, 8 },
};

/* Every step is checked, so a report names all the steps that fail. */
static int event_steps_run(bool check_crossing)
{
	struct notify_env n = { .seed = 5 };
	unsigned int i, bad = 0;
	char what[96];
	long calls;
	int rc = -1;

	if (notify_open(&n, CONF_F_EVENT_IDX, 0))
		goto out;
	for (i = 0; i < sizeof(event_steps) / sizeof(event_steps[0]); i++) {
		const struct event_step *s = &event_steps[i];
		uint16_t old = ring_used_idx(&n.e.r);
		uint16_t ue = (uint16_t)(old + s->delta);
		bool crossing = s->delta >= 0 && s->delta < s->k;

		ring_set_used_event(&n.e.r, ue);
		snprintf(what, sizeof(what),
			 "step %u: used_event %u, entries %u..%u", i, ue, old,
			 (uint16_t)(old + s->k - 1));
		calls = notify_kick(&n, s->k, what);
		if (calls < 0)
			goto out;
		if (check_crossing && crossing && calls < 1) {
			fail("%s: no notification", what);
			bad++;
		}
		if (!check_crossing && !crossing && calls) {
			fail("%s: %ld notification(s)%s", what, calls, i ? "" :
			     " (the first batch after VRINGSETUP)");
			bad++;
		}
	}
	rc = bad ? -1 : 0;
out:
	env_close(&n.e);
	return rc;
}

int test_event_crossing(void)
{
	return event_steps_run(true);
}

int test_event_no_crossing(void)
{
	return event_steps_run(false);
}

/*
 * Modulo 2^16: used_event 0 is crossed by the entry after 65535, and
 * used_event 65535 by a batch that wraps.  Each ring's first step crosses
 * (so the device has signalled once before the steps that matter).
 */
struct wrap_step {
	int32_t used_event;	/* -1: leave as is */
	uint8_t k;
	bool notify;
};

static int event_wrap_run(const struct wrap_step *steps, unsigned int nsteps,
			  uint32_t seed)
{
	struct notify_env n = { .seed = seed };
	unsigned int i;
	char what[96];
	long calls;
	int rc = -1;

	if (notify_open(&n, CONF_F_EVENT_IDX, 65520))
		goto out;
	for (i = 0; i < nsteps; i++) {
		uint16_t old = ring_used_idx(&n.e.r);

		if (steps[i].used_event >= 0)
			ring_set_used_event(&n.e.r, (uint16_t)steps[i].used_event);
		snprintf(what, sizeof(what),
			 "used_event %u, entries %u..%u",
			 n.e.r.avail[2 + n.e.r.num], old,
			 (uint16_t)(old + steps[i].k - 1));
		calls = notify_kick(&n, steps[i].k, what);
		if (calls < 0)
			goto out;
		if (steps[i].notify)
			CONF_CHECK_OUT(calls >= 1, "%s: no notification", what);
		else
			CONF_CHECK_OUT(calls == 0, "%s: %ld notification(s)", what,
				       calls);
	}
	rc = 0;
out:
	env_close(&n.e);
	return rc;
}

int test_event_wrap(void)
{
	static const struct wrap_step zero[] = {
		{ 65520, 1, true }, { 0, 7, false }, { -1, 8, false },
		{ -1, 2, true }, { -1, 1, false },
	};
	static const struct wrap_step last[] = {
		{ 65520, 1, true }, { 65535, 7, false }, { -1, 6, false },
		{ -1, 4, true }, { -1, 3, false },
	};

	if (event_wrap_run(zero, 5, 10) || event_wrap_run(last, 5, 20))
		return -1;
	return 0;
}

/*
 * used->flags, sampled.  A thread reads used->flags in a tight loop
 * while the main thread pushes buffers through, so values the device
 * stores only while it is busy are seen too (with two or more CPUs).
 */
struct flags_sampler {
	struct conf_ring *r;
	volatile int stop;
	unsigned long samples, ones;
	int bad;		/* first value not allowed, or -1 */
	uint16_t allowed_mask;	/* 1: only 0; 3: 0 or 1 */
};

static void *flags_sample(void *arg)
{
	struct flags_sampler *s = arg;

	while (!s->stop) {
		uint16_t f = ring_used_flags(s->r);

		s->samples++;
		if (f == 1)
			s->ones++;
		if (f > 1 || (f == 1 && s->allowed_mask == 1)) {
			if (s->bad < 0)
				s->bad = f;
		}
	}
	return NULL;
}

static int flags_run(uint64_t features, uint16_t allowed_mask)
{
	struct notify_env n = { .seed = 6 };
	struct flags_sampler s = { .bad = -1, .allowed_mask = allowed_mask };
	pthread_t thread;
	unsigned int i;
	bool started = false;
	char what[64];
	int rc = -1;

	if (notify_open(&n, features, 0))
		goto out;
	s.r = &n.e.r;
	if (pthread_create(&thread, NULL, flags_sample, &s))
		tap_bail_out("pthread_create failed");
	started = true;
	for (i = 0; i < 300; i++) {
		uint16_t f;

		snprintf(what, sizeof(what), "kick %u", i);
		if (notify_kick(&n, 1 + i % 8, what) < 0)
			goto out;
		f = ring_used_flags(&n.e.r);
		CONF_CHECK_OUT(f == 0 || (f == 1 && allowed_mask == 3),
			       "used flags %u after %s", f, what);
	}
	rc = 0;
out:
	if (started) {
		s.stop = 1;
		pthread_join(thread, NULL);
		tap_diag("%lu samples of used flags, %lu with NO_NOTIFY", s.samples,
		     s.ones);
		if (!rc && s.bad >= 0) {
			fail("used flags took the value %d (features 0x%llx)",
			     s.bad, (unsigned long long)features);
			rc = -1;
		}
	}
	env_close(&n.e);
	return rc;
}

int test_used_flags_values(void)
{
	return flags_run(0, 3);
}

int test_event_used_flags_zero(void)
{
	return flags_run(CONF_F_EVENT_IDX, 1);
}

/* vringfd's use of avail_event: "kick me at the next buffer" when idle. */
static int avail_event_run(uint16_t start)
{
	struct notify_env n = { .seed = 7 };
	unsigned int i;
	char what[64];
	int rc = -1;

	if (notify_open(&n, CONF_F_EVENT_IDX, start))
		goto out;
	CONF_CHECK_OUT(ring_avail_event(&n.e.r) == start,
		       "avail_event %u after attaching to an idle ring, avail idx %u",
		       ring_avail_event(&n.e.r), start);
	for (i = 0; i < 20; i++) {
		snprintf(what, sizeof(what), "start %u, kick %u", start, i);
		if (notify_kick(&n, 1 + i % 8, what) < 0)
			goto out;
		CONF_CHECK_OUT(ring_avail_event(&n.e.r) == n.e.r.avail_idx,
			       "%s: idle with avail_event %u, avail idx %u", what,
			       ring_avail_event(&n.e.r), n.e.r.avail_idx);
	}
	rc = 0;
out:
	env_close(&n.e);
	return rc;
}

int test_avail_event(void)
{
	if (avail_event_run(0) || avail_event_run(65500))
		return -1;
	return 0;
}

/* ---- Kicks ---- */

static int notify_kickfd(struct conf_ring *r)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		tap_bail_out("eventfd: %m");
	if (ioctl(r->fd, VRINGSETKICKFD, fd))
		tap_bail_out("VRINGSETKICKFD: %m");
	return fd;
}

static void notify_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		tap_bail_out("eventfd write: %m");
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Kicks with nothing new to do, through write() and through a kick
 * eventfd, before and after real work.  Nothing may break, nothing may be
 * used twice, nothing may be written but the used ring's header words.
 */
static int spurious_run(uint64_t features)
{
	struct notify_env n = { .seed = 8 };
	int kickfd = -1, rc = -1, i, got;

	if (notify_open(&n, features, 0))
		goto out;
	kickfd = notify_kickfd(&n.e.r);
	audit_begin(n.e.ar);
	for (i = 0; i < 50; i++) {
		CONF_CHECK_OUT(!ring_kick(&n.e.r), "spurious kick %d failed", i);
		notify_signal(kickfd);
	}
	sleep_ms(200);
	if (env_not_broken(&n.e.r, "after 100 spurious kicks"))
		goto out;
	CONF_CHECK_OUT(ring_used_idx(&n.e.r) == 0,
		       "used idx %u after kicks on an empty ring",
		       ring_used_idx(&n.e.r));
	ring_allow_used(&n.e.r, 0, 0);
	if (audit_check(n.e.ar, "spurious kicks on an empty ring"))
		goto out;
	pool_post(&n.e.r, &n.pool, 30, 30, 1);
	pool_post(&n.e.r, &n.pool, 31, 31, 2);
	ring_publish(&n.e.r);
	for (i = 0; i < 5; i++) {
		CONF_CHECK_OUT(!ring_kick(&n.e.r), "kick %d failed", i);
		notify_signal(kickfd);
	}
	sleep_ms(200);
	got = ring_harvest(&n.e.r, NULL);
	CONF_CHECK_OUT(got == 2, "2 buffers and many kicks: %d used", got);
	for (i = 0; i < 20; i++) {
		CONF_CHECK_OUT(!ring_kick(&n.e.r), "kick %d failed", i);
		notify_signal(kickfd);
	}
	sleep_ms(200);
	CONF_CHECK_OUT(ring_used_idx(&n.e.r) == 2,
		       "used idx %u after more spurious kicks, expected 2",
		       ring_used_idx(&n.e.r));
	if (env_not_broken(&n.e.r, "at the end"))
		goto out;
	rc = 0;
out:
	if (kickfd >= 0)
		close(kickfd);
	env_close(&n.e);
	return rc;
}

int test_spurious_kick(void)
{
	if (spurious_run(0) || spurious_run(CONF_F_EVENT_IDX))
		return -1;
	return 0;
}

/*
 * The test that matters most for a real driver: kick only when the
 * device asks for it (used flags without NO_NOTIFY, or avail_event
 * crossed), wait only for notifications the driver asked for (used_event
 * = the next entry it wants, re-checked after setting it), and let the
 * device work from its own worker thread through a kick eventfd.  If the
 * device's hints are ever wrong, or published too late, a buffer sits in
 * the ring with nobody going to look at it, and the driver waits forever.
 */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

static bool driver_should_kick(struct conf_ring *r, uint16_t old_avail)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (r->features & CONF_F_EVENT_IDX)
		return need_event(ring_avail_event(r), r->avail_idx, old_avail);
	return !(ring_used_flags(r) & CONF_USED_F_NO_NOTIFY);
}

/* Wait until used idx moves; 0, or -1 after saying why it did not. */
static int driver_wait(struct conf_ring *r)
{
	struct pollfd p = { .fd = r->callfd, .events = POLLIN };

	if (r->features & CONF_F_EVENT_IDX)
		ring_set_used_event(r, r->used_seen);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ring_used_idx(r) != r->used_seen)
		return 0;
	if (poll(&p, 1, 10000) == 1) {
		ring_calls(r);
		return 0;
	}
	if (ring_used_idx(r) != r->used_seen)
		fail("used idx moved to %u without a notification (used_event %u)",
		     ring_used_idx(r), r->used_seen);
	else
		fail("stalled: avail idx %u, used idx %u, used flags %u, avail_event %u - the device asked not to be kicked and went idle",
		     r->avail_idx, ring_used_idx(r), ring_used_flags(r),
		     ring_avail_event(r));
	return -1;
}

static int kick_discipline_run(uint64_t features, unsigned int total)
{
	struct notify_env n = { .seed = 9 };
	struct conf_ring *r = &n.e.r;
	unsigned int done = 0, kicks = 0, posts = 0;
	int kickfd = -1, rc = -1, got;

	if (notify_open(&n, features, 0))
		goto out;
	kickfd = notify_kickfd(r);
	while (done < total) {
		unsigned int room = r->num / 2 - (r->posted - r->harvested);
		unsigned int k = room ? 1 + conf_rand() % room : 0;
		uint16_t old = r->avail_idx;

		if (k > total - done - (r->posted - r->harvested))
			k = total - done - (r->posted - r->harvested);
		while (k--)
			pool_post(r, &n.pool, 1 + conf_rand() % 64, 64,
				  n.seed++);
		if (r->avail_idx != old) {
			ring_publish(r);
			posts++;
			if (driver_should_kick(r, old)) {
				notify_signal(kickfd);
				kicks++;
			}
		}
		if (r->posted == r->harvested)
			continue;
		if (conf_rand() % 4 && room > 1)
			continue;
		if (driver_wait(r))
			goto out;
		got = ring_harvest(r, NULL);
		if (got < 0)
			goto out;
		done += got;
	}
	tap_diag("features 0x%llx: %u buffers, %u publishes, %u kicks",
	     (unsigned long long)features, total, posts, kicks);
	if (env_not_broken(r, "at the end"))
		goto out;
	rc = 0;
out:
	if (kickfd >= 0)
		close(kickfd);
	env_close(&n.e);
	return rc;
}

int test_no_missed_kick(void)
{
	if (kick_discipline_run(0, 3000) ||
	    kick_discipline_run(CONF_F_EVENT_IDX, 3000))
		return -1;
	return 0;
}
