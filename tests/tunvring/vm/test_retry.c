// SPDX-License-Identifier: GPL-2.0
/*
 * test_tun_vring group "retry": a TUN_VRING_ATTACH that fails must leave
 * nothing behind for the next ATTACH on the same binding.
 *
 * The receive loop may hold rx chains for a frame it could not fit yet.
 * To get it to do that inside a failing ATTACH, the ATTACH must be held
 * between attaching its rx ring and failing on its tx ring: the tx ring
 * given is another binding's, whose worker waits (holding the ring's lock)
 * in a transmit buffer behind a userfaultfd.  While the ATTACH waits for
 * that lock, a write() kick on the rx ring runs the receive loop, which
 * takes the ring's one small buffer for a larger frame waiting on the tap.
 * Then the trap is answered, the ATTACH fails with EBUSY, and a retry
 * with fresh rings must receive the frame into the new ring alone: before
 * the fix it wrote the frame's first bytes into the failed ring's buffer
 * and published that buffer's head on the new ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uffd.h"
#include "vringfd.h"
#include "tv.h"

#define RETRY_OLD_BUF	20	/* smaller than any frame: it cannot fit */
#define RETRY_PAYLOAD	100

struct attach_job {
	int binding;
	struct tun_vring_attach at;
	int ret, err;
};

static void *attach_thread(void *arg)
{
	struct attach_job *job = arg;

	job->ret = ioctl(job->binding, TUN_VRING_ATTACH, &job->at);
	job->err = errno;
	return NULL;
}

static bool wait_attached(const struct test_ring *r, int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	struct vring_status st;

	while (now_ms() < end) {
		if (ring_status(r, &st) == 0 && st.attached)
			return true;
		usleep(2000);
	}
	return false;
}

void tv_group_retry(void)
{
	uint8_t payload[RETRY_PAYLOAD], *trap, *old_buf, *new_buf;
	uint8_t before[RETRY_OLD_BUF];
	struct tv_guest a, b, c;
	struct attach_job job;
	struct vring_status st;
	struct tv_net n, n2;
	uint32_t id, len;
	pthread_t thread;
	struct seg seg;
	uint16_t head;
	int uffd, i;
	bool ok;

	if (tv_net_create(&n, 30) || tv_net_create(&n2, 31) ||
	    tv_guest_create(&a, 64, 0) || tv_guest_create(&b, 64, 0) ||
	    tv_guest_create(&c, 64, 0)) {
		tap_ok(false, "retry: set up two taps and three pairs of rings");
		return;
	}

	/* B's transmit buffer lies in a page nobody will fault in yet. */
	trap = b.ram.start + b.ram.len - 4096;
	uffd = uffd_trap(trap, 4096);
	if (uffd < 0) {
		tap_ok(false, "retry: userfaultfd: %s", strerror(errno));
		return;
	}
	seg = (struct seg){ trap, TV_HDR_LEN + 60, false };
	ring_add_chain(&b.tx, &seg, 1);
	driver_ring_publish(&b.tx.driver);
	TAP_OK_CALL(tv_guest_attach(&b, n2.tap_fd, 0),
		    "retry: binding B attaches; its tx ring's one frame is in a trapped page");
	tap_ok(uffd_read_faults(uffd, 1, 10000) == 1,
	       "retry: B's transmit waits in the trap, holding its tx ring");

	/* One rx buffer on A's ring, too small for the frame that waits. */
	old_buf = tv_alloc(&a, RETRY_OLD_BUF);
	memset(old_buf, 0x5a, RETRY_OLD_BUF);
	seg = (struct seg){ old_buf, RETRY_OLD_BUF, true };
	ring_add_chain(&a.rx, &seg, 1);
	driver_ring_publish(&a.rx.driver);
	for (i = 0; i < RETRY_PAYLOAD; i++)
		payload[i] = i * 7;
	tv_host_send(&n, payload, sizeof(payload));

	/* ATTACH A's rx with B's tx: it stops on B's tx ring's lock. */
	job = (struct attach_job){
		.binding = open("/dev/tun_vring", O_RDWR | O_CLOEXEC),
		.at = { n.tap_fd, a.rx.fd, b.tx.fd, TUN_VRING_F_MRG_RXBUF },
	};
	if (job.binding < 0 ||
	    pthread_create(&thread, NULL, attach_thread, &job)) {
		tap_ok(false, "retry: start the ATTACH");
		return;
	}
	tap_ok(wait_attached(&a.rx, 10000),
	       "retry: the ATTACH has taken the rx ring and waits for the tx ring");
	/* A kick now: the receive loop takes the small buffer and holds it. */
	if (write(a.rx.fd, "k", 1) != 1)
		tap_diag("rx kick: %s", strerror(errno));
	ok = ring_status(&a.rx, &st) == 0 && st.last_avail == 1 &&
	     st.used_idx == 0;
	tap_ok(ok, "retry: the receive loop holds the rx buffer for the larger frame (last_avail %u, used %u)",
	       st.last_avail, st.used_idx);

	/* Answer the trap: B sends, its lock is free, the ATTACH fails. */
	uffd_zero(uffd, trap, 4096);
	pthread_join(thread, NULL);
	tap_ok(job.ret == -1 && job.err == EBUSY,
	       "retry: the ATTACH fails with EBUSY (B serves that tx ring)");
	tap_ok(!wait_attached(&a.rx, 0),
	       "retry: the failed ATTACH let go of its rx ring");

	/* Retry on the same binding with fresh rings and a roomy buffer. */
	memcpy(before, old_buf, RETRY_OLD_BUF);
	new_buf = tv_alloc(&c, 2048);
	memset(new_buf, 0xee, 2048);
	head = c.rx.driver.next_desc;
	seg = (struct seg){ new_buf, 2048, true };
	ring_add_chain(&c.rx, &seg, 1);
	driver_ring_publish(&c.rx.driver);
	job.at = (struct tun_vring_attach){ n.tap_fd, c.rx.fd, c.tx.fd,
					    TUN_VRING_F_MRG_RXBUF };
	TAP_OK_CALL(ioctl(job.binding, TUN_VRING_ATTACH, &job.at),
		    "retry: ATTACH again on the same binding, with new rings");
	tap_ok(tv_wait_used(&c, &c.rx, 1, 5000),
	       "retry: the waiting frame arrives on the new rx ring");
	usleep(100000);
	tap_ok(!memcmp(before, old_buf, RETRY_OLD_BUF),
	       "retry: the failed ATTACH's rx buffer is not written by the new binding");
	ok = driver_ring_get_used(&c.rx.driver, &id, &len) == 1 && id == head &&
	     len == TV_HDR_LEN + TV_HEADERS + RETRY_PAYLOAD &&
	     driver_ring_get_used(&c.rx.driver, &id, &len) == 0;
	tap_ok(ok, "retry: one used entry, the new buffer's, with the whole frame");
	tap_ok(((struct virtio_net_hdr_mrg_rxbuf *)new_buf)->num_buffers == 1 &&
	       tv_check_frame(&n, new_buf + TV_HDR_LEN,
			      TV_HEADERS + RETRY_PAYLOAD, payload,
			      RETRY_PAYLOAD, false),
	       "retry: the new buffer holds the frame, num_buffers 1");

	close(job.binding);
	close(uffd);
	tv_guest_destroy(&c);
	tv_guest_destroy(&b);
	tv_guest_destroy(&a);
	tv_net_close(&n2);
	tv_net_close(&n);
}
