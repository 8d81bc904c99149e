// SPDX-License-Identifier: GPL-2.0
/*
 * 2.7.8.2: the order of the device's writes.  len, and the bytes, before
 * used idx.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/userfaultfd.h>
#include "conf_env.h"

/*
 * Ordering cannot be seen by looking at memory afterwards, and a
 * second thread watching used->idx only catches a bad order if it happens
 * to look at the wrong moment.  userfaultfd makes it deterministic: we
 * write-protect one page of the device's view, and the device's first
 * store to that page stops the device until our handler thread lets it
 * go.  While it is stopped we look at used->idx.
 *
 * The used ring is placed so that the len field of the entry the device
 * will fill is the first word of a page of its own (its id is the last
 * word of the page before); the writable buffer is on a page of its own
 * too.  When the device first stores to the len page, or to the last page
 * of the buffer, used->idx must still hold its old value: an index that
 * covered an entry whose len (or bytes) were not yet written would let a
 * driver read them too early.
 */
#define ORDER_NUM	1024
#define ORDER_SLOT	500		/* the used entry straddling two pages */

struct order_watch {
	int uffd;
	struct conf_arena *ar;
	struct conf_ring *r;
	size_t page[2];			/* arena offsets: len page, data page */
	int faults[2];
	uint16_t idx_at_fault[2];
	volatile int done;
	char error[128];
};

static int order_uffd_open(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
	};
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int order_register(struct order_watch *w, size_t off)
{
	struct uffdio_register reg = {
		.range = { (uintptr_t)(w->ar->dev + off), CONF_PAGE },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	return ioctl(w->uffd, UFFDIO_REGISTER, &reg);
}

static int order_protect(struct order_watch *w, size_t off, bool on)
{
	struct uffdio_writeprotect wp = {
		.range = { (uintptr_t)(w->ar->dev + off), CONF_PAGE },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(w->uffd, UFFDIO_WRITEPROTECT, &wp);
}

static void order_on_fault(struct order_watch *w, uint64_t addr)
{
	size_t off = (size_t)(addr - (uintptr_t)w->ar->dev) & ~(CONF_PAGE - 1);
	int i;

	for (i = 0; i < 2; i++)
		if (off == w->page[i] && !w->faults[i]++)
			w->idx_at_fault[i] = ring_used_idx(w->r);
	/* Let the device go on (this also wakes it). */
	if (order_protect(w, off, false) && !w->error[0])
		snprintf(w->error, sizeof(w->error),
			 "UFFDIO_WRITEPROTECT off: %s", strerror(errno));
}

static void *order_handler(void *arg)
{
	struct order_watch *w = arg;
	struct pollfd p = { .fd = w->uffd, .events = POLLIN };
	struct uffd_msg msg;

	while (!w->done) {
		if (poll(&p, 1, 20) <= 0)
			continue;
		if (read(w->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			order_on_fault(w, msg.arg.pagefault.address);
	}
	return NULL;
}

/* Make a page present and writable in the device's view. */
static void order_touch(struct conf_arena *ar, size_t off)
{
	volatile unsigned char *p = ar->dev + off;

	*p = *p;
}

struct order_result {
	int faults[2];
	uint16_t idx_at_fault[2];
	uint16_t old_idx;
};

/*
 * One chain through a ring laid out as described above; the buffer is
 * data_len bytes from the start of a page, the watched page is its last.
 */
static int order_run(uint64_t features, uint32_t data_len,
		     struct order_result *res)
{
	struct conf_ring_opts o = {
		.num = ORDER_NUM, .features = features,
		.start_idx = ORDER_SLOT,
		.used_in_page = CONF_PAGE - 8 - 8 * ORDER_SLOT,
	};
	struct order_watch w = { .uffd = -1 };
	struct conf_env e;
	struct conf_seg s[2];
	pthread_t thread;
	int rc = -1, kicked;

	if (env_open(&e, 1024 * CONF_PAGE, &o, false))
		goto out;
	s[0] = seg_r(&e, data_len, CONF_AT_START);
	s[1] = seg_w(&e, data_len, CONF_AT_START);
	ring_post(&e.r, s, 2, CONF_DIRECT, data_len);
	ring_publish(&e.r);
	w.ar = e.ar;
	w.r = &e.r;
	w.page[0] = e.r.used_off + 4 + 8 * ORDER_SLOT + 4;
	w.page[1] = (s[1].off + data_len - 1) & ~(CONF_PAGE - 1);
	CONF_CHECK_OUT(!(w.page[0] & (CONF_PAGE - 1)),
		       "internal: len field of slot %d not page aligned", ORDER_SLOT);
	w.uffd = order_uffd_open();
	if (w.uffd < 0 || order_register(&w, w.page[0]) ||
	    order_register(&w, w.page[1])) {
		rc = conf_skip("userfaultfd write-protect of shared memory unavailable: %s",
			       strerror(errno));
		goto out;
	}
	order_touch(e.ar, w.page[0]);
	order_touch(e.ar, w.page[1]);
	CONF_CHECK_OUT(!order_protect(&w, w.page[0], true) &&
		       !order_protect(&w, w.page[1], true),
		       "UFFDIO_WRITEPROTECT: %m");
	res->old_idx = ring_used_idx(&e.r);
	if (pthread_create(&thread, NULL, order_handler, &w))
		tap_bail_out("pthread_create failed");
	audit_begin(e.ar);
	kicked = ring_kick(&e.r);
	w.done = 1;
	pthread_join(thread, NULL);
	CONF_CHECK_OUT(!w.error[0], "%s", w.error);
	CONF_CHECK_OUT(!kicked, "kick: %s", strerror(-kicked));
	if (env_not_broken(&e.r, "under write-protect faults"))
		goto out;
	CONF_CHECK_OUT(ring_harvest(&e.r, NULL) == 1, "the chain did not come back");
	if (audit_check(e.ar, "ordering run"))
		goto out;
	memcpy(res->faults, w.faults, sizeof(w.faults));
	memcpy(res->idx_at_fault, w.idx_at_fault, sizeof(w.idx_at_fault));
	rc = 0;
out:
	if (w.uffd >= 0)
		close(w.uffd);
	env_close(&e);
	return rc;
}

static int order_test(int which, const char *what)
{
	static const struct {
		uint64_t features;
		uint32_t len;
	} runs[] = {
		{ 0, 100 }, { CONF_F_EVENT_IDX, 100 }, { 0, 6000 },
		{ CONF_F_EVENT_IDX, 4096 },
	};
	struct order_result res;
	unsigned int i;
	int rc;

	for (i = 0; i < 4; i++) {
		memset(&res, 0, sizeof(res));
		rc = order_run(runs[i].features, runs[i].len, &res);
		if (rc)
			return rc;
		CONF_CHECK(res.faults[which],
			   "run %u: the device never wrote the %s page", i, what);
		CONF_CHECK(res.idx_at_fault[which] == res.old_idx,
			   "run %u (features 0x%llx, %u bytes): used idx was already %u when the device first wrote the %s; it should still be %u",
			   i, (unsigned long long)runs[i].features, runs[i].len,
			   res.idx_at_fault[which], what, res.old_idx);
	}
	return 0;
}

int test_len_before_idx(void)
{
	return order_test(0, "used entry's len");
}

int test_data_before_idx(void)
{
	return order_test(1, "buffer's last");
}
