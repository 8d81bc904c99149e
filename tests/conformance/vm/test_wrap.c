// SPDX-License-Identifier: GPL-2.0
/*
 * 2.7.13.3: idx always increments and wraps naturally at 65536.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

#include "conf_env.h"

/*
 * The long run.  More than 65536 buffers go through one ring of 256
 * descriptors, 128 two-descriptor chains per kick, so both indices pass
 * 65535 -> 0 with a ring full of work around them.  Every used entry is
 * checked (id, len, bytes) and every batch audited, and a second thread
 * watches used->idx the whole time: it may only ever move forward, and
 * never past the avail idx the driver had published when it looked (so a
 * step backwards, which modulo 2^16 is a huge step forwards, shows up).  With EVENT_IDX
 * negotiated and used_event set to the next entry wanted, every batch
 * must also bring a notification, including the ones across the wrap.
 */
#define WRAP_NUM	256
#define WRAP_BATCH	128
#define WRAP_TOTAL	(65536 + 1024)

struct idx_watcher {
	struct conf_ring *r;
	volatile int stop;
	unsigned long samples, moves;
	int bad;		/* set once idx went backwards or jumped */
	uint16_t bad_from, bad_to;
};

static void *idx_watch(void *arg)
{
	struct idx_watcher *w = arg;
	uint16_t prev = ring_used_idx(w->r), cur, avail;

	while (!w->stop) {
		/* used idx first: it can never be ahead of a later avail idx */
		cur = ring_used_idx(w->r);
		avail = __atomic_load_n(&w->r->avail[1], __ATOMIC_ACQUIRE);
		w->samples++;
		if (cur == prev)
			continue;
		w->moves++;
		if ((uint16_t)(cur - prev) > (uint16_t)(avail - prev) &&
		    !w->bad) {
			w->bad = 1;
			w->bad_from = prev;
			w->bad_to = cur;
		}
		prev = cur;
	}
	return NULL;
}

static int wrap_batches(struct conf_env *e, struct conf_pool *pool)
{
	struct conf_ring *r = &e->r;
	unsigned int sent = 0, i;
	char what[64];

	while (sent < WRAP_TOTAL) {
		for (i = 0; i < WRAP_BATCH; i++)
			pool_post(r, pool, 1 + (sent + i) % 64, 64, sent + i);
		ring_set_used_event(r, r->used_seen);
		snprintf(what, sizeof(what), "buffers %u..%u (used idx %u)",
			 sent, sent + WRAP_BATCH - 1, r->used_seen);
		if (env_run(e, WRAP_BATCH, what))
			return -1;
		CONF_CHECK(ring_calls(r) >= 1, "%s: no notification", what);
		sent += WRAP_BATCH;
	}
	CONF_CHECK(ring_used_idx(r) == (uint16_t)WRAP_TOTAL,
		   "after %u buffers used idx is %u, expected %u", WRAP_TOTAL,
		   ring_used_idx(r), (uint16_t)WRAP_TOTAL);
	CONF_CHECK(r->posted == r->harvested, "%u posted, %u came back", r->posted,
		   r->harvested);
	return 0;
}

int test_idx_wrap(void)
{
	struct conf_ring_opts o = {
		.num = WRAP_NUM, .features = CONF_F_EVENT_IDX,
	};
	struct idx_watcher w = { 0 };
	struct conf_pool pool;
	struct conf_env e;
	pthread_t thread;
	int rc = -1;

	if (env_open(&e, 1024 * CONF_PAGE, &o, false))
		goto out;
	pool_new(&e, &pool, WRAP_NUM, 64);
	w.r = &e.r;
	if (pthread_create(&thread, NULL, idx_watch, &w))
		tap_bail_out("pthread_create failed");
	rc = wrap_batches(&e, &pool);
	w.stop = 1;
	pthread_join(thread, NULL);
	tap_diag("used idx sampled %lu times, seen moving %lu times", w.samples,
	     w.moves);
	if (!rc && w.bad) {
		fail("used idx went from %u to %u: backwards, or past avail idx",
		     w.bad_from, w.bad_to);
		rc = -1;
	}
out:
	env_close(&e);
	return rc;
}
