// SPDX-License-Identifier: GPL-2.0
/*
 * test_tun_vring: what must not crash or leak.  Hostile chains break the
 * ring they are on and nothing else; the binding, the tap and the rings
 * can be closed in any order, or all at once by kill -9 in the middle of
 * traffic, and afterwards every reference is back where it was.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/virtio_ring.h>

#include "tv.h"

static bool setup(struct tv_net *n, struct tv_guest *g, unsigned int index)
{
	if (tv_net_create(n, index) || tv_guest_create(g, 64, 0) ||
	    tv_guest_attach(g, n->tap_fd, 0)) {
		tap_ok(false, "set up a tap, two rings and a binding (%s)",
		       strerror(errno));
		return false;
	}
	return true;
}

/* A tx frame reaches the host's socket with its exact payload. */
static bool tx_works(struct tv_net *n, struct tv_guest *g, unsigned int seed)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	uint8_t payload[64], frame[256], got[256];
	uint32_t id, len;
	size_t flen;

	pattern_fill(payload, sizeof(payload), seed);
	flen = tv_build_frame(n, frame, payload, sizeof(payload), true);
	tv_send(g, &hdr, frame, flen);
	if (tv_host_recv(n, got, sizeof(got), 3000) != sizeof(payload) ||
	    memcmp(got, payload, sizeof(payload))) {
		tap_diag("tx frame did not arrive");
		return false;
	}
	tv_wait_used(g, &g->tx, 1, 3000);
	while (driver_ring_get_used(&g->tx.driver, &id, &len))
		;
	return true;
}

/* A host datagram reaches a fresh rx buffer, exact. */
static bool rx_works(struct tv_net *n, struct tv_guest *g, unsigned int seed)
{
	struct seg seg = { .len = 256, .writable = true };
	uint8_t payload[64], *buf;
	uint32_t id, len;

	pattern_fill(payload, sizeof(payload), seed);
	buf = tv_alloc(g, 256);
	seg.buf = buf;
	tv_post(g, &g->rx, &seg, 1);
	if (tv_host_send(n, payload, sizeof(payload)) ||
	    !tv_wait_used(g, &g->rx, 1, 3000) ||
	    !driver_ring_get_used(&g->rx.driver, &id, &len) ||
	    !tv_check_frame(n, buf + TV_HDR_LEN, len - TV_HDR_LEN, payload,
			    sizeof(payload), false)) {
		tap_diag("rx frame did not arrive");
		return false;
	}
	return true;
}

static bool both_ways(struct tv_net *n, struct tv_guest *g, unsigned int seed)
{
	return tx_works(n, g, seed) && rx_works(n, g, seed + 1000);
}

/* Put one hand-made descriptor chain on a ring and kick it. */
static void post_raw(struct tv_guest *g, struct test_ring *r, uint16_t head)
{
	driver_ring_add_head(&r->driver, head);
	driver_ring_publish(&r->driver);
	tv_kick(g, r);
}

static bool reason_has(const struct test_ring *r, const char *what)
{
	const char *reason = tv_broken_reason(r);

	if (!strstr(reason, what))
		tap_diag("broken reason: \"%s\"", reason);
	return strstr(reason, what) != NULL;
}

void tv_group_hostile(void)
{
	struct tv_guest g;
	struct tv_net n;
	uint8_t *hole;
	bool ok;

	/* tx: a buffer beyond VRINGSETLIMIT. */
	if (!setup(&n, &g, 10))
		return;
	driver_ring_set_desc(&g.tx.driver, 0, g.ram.len - 8, 100, 0, 0);
	post_raw(&g, &g.tx, 0);
	ok = tv_wait_broken(&g.tx, 3000) && reason_has(&g.tx, "limit");
	tap_ok(ok,
	       "hostile: a tx buffer beyond the RAM limit breaks the tx ring (\"%s\")",
	       tv_broken_reason(&g.tx));
	tap_ok(rx_works(&n, &g, 1) && !*tv_broken_reason(&g.rx),
	       "hostile: ... while the rx ring of the same binding keeps receiving");
	tv_guest_destroy(&g);
	tv_net_close(&n);

	/* tx: a loop in the "next" links. */
	if (!setup(&n, &g, 10))
		return;
	driver_ring_set_desc(&g.tx.driver, 0, 0, 100, VRING_DESC_F_NEXT, 1);
	driver_ring_set_desc(&g.tx.driver, 1, 256, 100, VRING_DESC_F_NEXT, 0);
	post_raw(&g, &g.tx, 0);
	ok = tv_wait_broken(&g.tx, 3000) && reason_has(&g.tx, "loop");
	tap_ok(ok,
	       "hostile: a tx chain that loops breaks the tx ring (\"%s\")",
	       tv_broken_reason(&g.tx));
	tv_guest_destroy(&g);
	tv_net_close(&n);

	/* rx: a buffer beyond the limit, found when a frame comes. */
	if (!setup(&n, &g, 10))
		return;
	driver_ring_set_desc(&g.rx.driver, 0, g.ram.len, 2048, VRING_DESC_F_WRITE, 0);
	post_raw(&g, &g.rx, 0);
	tv_host_send(&n, "x", 1);
	ok = tv_wait_broken(&g.rx, 3000) && reason_has(&g.rx, "limit");
	tap_ok(ok,
	       "hostile: an rx buffer beyond the RAM limit breaks the rx ring (\"%s\")",
	       tv_broken_reason(&g.rx));
	tv_guest_destroy(&g);
	tv_net_close(&n);

	/* rx: a receive buffer we may only read. */
	if (!setup(&n, &g, 10))
		return;
	driver_ring_set_desc(&g.rx.driver, 0, 4096, 2048, 0, 0);
	post_raw(&g, &g.rx, 0);
	tv_host_send(&n, "x", 1);
	ok = tv_wait_broken(&g.rx, 3000) && reason_has(&g.rx, "writable");
	tap_ok(ok,
	       "hostile: an rx chain with no writable buffer breaks the rx ring (\"%s\")",
	       tv_broken_reason(&g.rx));
	tv_guest_destroy(&g);
	tv_net_close(&n);

	/*
	 * A hole in guest RAM: inside the limit, but not mapped readable or
	 * writable in the owner.  The tap's own copy fails with EFAULT.
	 */
	if (!setup(&n, &g, 10))
		return;
	hole = g.ram.start + (1UL << 20);
	mprotect(hole, 4096, PROT_NONE);
	driver_ring_set_desc(&g.tx.driver, 0, hole - g.ram.start, 100, 0, 0);
	post_raw(&g, &g.tx, 0);
	ok = tv_wait_broken(&g.tx, 3000) && reason_has(&g.tx, "bad address");
	tap_ok(ok,
	       "hostile: a tx buffer in an unmapped hole of guest RAM breaks the tx ring (\"%s\")",
	       tv_broken_reason(&g.tx));
	driver_ring_set_desc(&g.rx.driver, 0, hole - g.ram.start, 2048,
			     VRING_DESC_F_WRITE, 0);
	post_raw(&g, &g.rx, 0);
	tv_host_send(&n, "x", 1);
	ok = tv_wait_broken(&g.rx, 3000) && reason_has(&g.rx, "bad address");
	tap_ok(ok,
	       "hostile: an rx buffer in the hole breaks the rx ring (\"%s\")",
	       tv_broken_reason(&g.rx));
	mprotect(hole, 4096, PROT_READ | PROT_WRITE);
	tap_ok(arena_guards_intact(&g.ram),
	       "hostile: nothing was written outside guest RAM");
	tv_guest_destroy(&g);
	tv_net_close(&n);
	tap_ok(tv_module_refcnt("tun_vring") == 0,
	       "hostile: all bindings with broken rings closed cleanly (tun_vring refcnt 0)");
}

/* Wait (up to 3 s: closes can finish in a work item) for all to be back. */
static bool all_released(const char *tap, long vringfd_refs, long tun_refs)
{
	double end = now_ms() + 3000;

	for (;;) {
		bool done = !tv_netdev_exists(tap) &&
			    tv_module_refcnt("tun_vring") == 0 &&
			    tv_module_refcnt("vringfd") == vringfd_refs &&
			    tv_module_refcnt("tun") == tun_refs;

		if (done)
			return true;
		if (now_ms() > end) {
			tap_diag("%s %s; refcnt tun_vring %ld, vringfd %ld (want %ld), tun %ld (want %ld)",
				 tap, tv_netdev_exists(tap) ? "exists" : "gone",
				 tv_module_refcnt("tun_vring"),
				 tv_module_refcnt("vringfd"), vringfd_refs,
				 tv_module_refcnt("tun"), tun_refs);
			return false;
		}
		usleep(10000);
	}
}

void tv_group_teardown(void)
{
	long vringfd_refs = tv_module_refcnt("vringfd");
	long tun_refs = tv_module_refcnt("tun");
	struct tun_vring_stats st;
	struct tv_guest g;
	struct tv_net n;
	char name[IFNAMSIZ];

	/* The user closes the tap first, then the rings, then the binding. */
	if (!setup(&n, &g, 11))
		return;
	snprintf(name, sizeof(name), "%s", n.name);
	tv_close(&n.tap_fd);
	tap_ok(tv_netdev_exists(name) && both_ways(&n, &g, 1),
	       "teardown: with its tap fd closed, the binding still moves frames both ways");
	tv_close(&g.rx.fd);
	tv_close(&g.tx.fd);
	tap_ok(both_ways(&n, &g, 2),
	       "teardown: with the ring fds closed too, still both ways");
	tv_close(&g.binding);
	tap_ok(all_released(name, vringfd_refs, tun_refs),
	       "teardown: closing the binding last frees the tap, both rings and itself");
	tv_guest_destroy(&g);
	tv_net_close(&n);

	/* Rings first, then the binding, then the tap. */
	if (!setup(&n, &g, 11))
		return;
	tv_close(&g.rx.fd);
	tv_close(&g.tx.fd);
	tap_ok(both_ways(&n, &g, 3),
	       "teardown: rings closed first: the binding still works");
	tv_close(&g.binding);
	tap_ok(tv_netdev_exists(name) && tv_module_refcnt("tun_vring") == 0,
	       "teardown: binding closed next: the user's tap fd keeps the tap");
	tv_close(&n.tap_fd);
	tap_ok(all_released(name, vringfd_refs, tun_refs),
	       "teardown: tap closed last: everything is released");
	tv_guest_destroy(&g);
	tv_net_close(&n);

	/* The binding first, the others after. */
	if (!setup(&n, &g, 11))
		return;
	both_ways(&n, &g, 4);
	tv_close(&g.binding);
	tap_ok(tv_module_refcnt("tun_vring") == 0,
	       "teardown: binding closed first while the rest stays open: tun_vring refcnt 0");
	tv_guest_destroy(&g);
	tv_net_close(&n);
	tap_ok(all_released(name, vringfd_refs, tun_refs),
	       "teardown: then rings and tap: everything is released");

	/* The tap device is deleted under a working binding. */
	if (!setup(&n, &g, 11))
		return;
	tv_close(&n.tap_fd);
	TAP_OK_CALL(tv_netdev_delete(name),
		    "teardown: delete the tap device under the binding (RTM_DELLINK)");
	{
		struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
		uint8_t frame[128];
		size_t flen = tv_build_frame(&n, frame, "gone", 4, true);

		tv_send(&g, &hdr, frame, flen);
	}
	tap_ok(tv_wait_used(&g, &g.tx, 1, 3000) && tv_stats(&g, &st) &&
	       st.tx_errors == 1 && st.tx_refused == 1,
	       "teardown: a frame sent to the deleted tap comes back used, counted as a tx error the tap refused");
	tv_guest_destroy(&g);
	tv_net_close(&n);
	tap_ok(all_released(name, vringfd_refs, tun_refs),
	       "teardown: closing it all after the device went away releases everything");
}

/* The child of the kill test: set up, then traffic until killed. */
static void traffic_until_killed(int ready_fd)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	uint8_t payload[512], frame[700];
	struct tv_guest g;
	struct tv_net n;
	uint32_t id, len;
	unsigned int i;
	size_t flen;

	if (tv_net_create(&n, 12) || tv_guest_create(&g, 256, 0) ||
	    tv_guest_attach(&g, n.tap_fd, 0))
		_exit(1);
	for (i = 0; i < 200; i++) {
		struct seg seg = { tv_alloc(&g, 2048), 2048, true };

		ring_add_chain(&g.rx, &seg, 1);
	}
	driver_ring_publish(&g.rx.driver);
	tv_kick(&g, &g.rx);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	pattern_fill(payload, sizeof(payload), 9);
	flen = tv_build_frame(&n, frame, payload, sizeof(payload), true);
	for (;;) {
		for (i = 0; i < 32; i++)
			tv_send(&g, &hdr, frame, flen);
		tv_wait_used(&g, &g.tx, 32, 1000);
		while (driver_ring_get_used(&g.tx.driver, &id, &len))
			;
	}
}

void tv_group_kill(void)
{
	long vringfd_refs = tv_module_refcnt("vringfd");
	long tun_refs = tv_module_refcnt("tun");
	struct sockaddr_in guest = {
		.sin_family = AF_INET,
		.sin_port = htons(TV_PORT_GUEST),
		.sin_addr.s_addr = htonl(0x0a4d0c02),	/* the child's guest */
	};
	unsigned int round;
	int udp_fd;

	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (round = 1; round <= 3; round++) {
		int pipefd[2], status;
		char c;
		pid_t pid;
		double end;

		if (pipe(pipefd) < 0)
			break;
		pid = fork();
		if (pid == 0) {
			close(pipefd[0]);
			traffic_until_killed(pipefd[1]);
		}
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1) {
			tap_ok(false, "kill: round %u: the child set up", round);
			close(pipefd[0]);
			waitpid(pid, &status, 0);
			continue;
		}
		close(pipefd[0]);
		/* Frames in both directions while it dies. */
		end = now_ms() + 300 * round;
		while (now_ms() < end)
			sendto(udp_fd, "ping", 4, MSG_DONTWAIT,
			       (struct sockaddr *)&guest, sizeof(guest));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		       all_released("tvr12", vringfd_refs, tun_refs),
		       "kill: round %u: kill -9 of a process in mid-traffic releases the tap, the rings and the binding",
		       round);
	}
	close(udp_fd);
}

/* One full life: rings, binding on this tap, a frame each way, close. */
static bool one_cycle(struct tv_net *n, unsigned int seed)
{
	struct tv_guest g;
	bool ok;

	if (tv_guest_create(&g, 64, 0))
		return false;
	ok = tv_guest_attach(&g, n->tap_fd, 0) == 0 && both_ways(n, &g, seed);
	tv_guest_destroy(&g);
	return ok;
}

void tv_group_leak(void)
{
	long vringfd_refs = tv_module_refcnt("vringfd");
	long tun_refs = tv_module_refcnt("tun");
	unsigned int i, good = 0, cycles = 200;
	long before, after;
	struct tv_net n;
	double t;

	if (tv_net_create(&n, 13)) {
		tap_ok(false, "leak: set up a tap");
		return;
	}
	for (i = 0; i < 20; i++)
		one_cycle(&n, i);
	sleep(1);
	before = tv_sunreclaim_kib();
	t = now_ms();
	for (i = 0; i < cycles; i++)
		good += one_cycle(&n, i);
	tap_diag("%u cycles in %.0f ms", cycles, now_ms() - t);
	sleep(1);
	after = tv_sunreclaim_kib();
	tap_ok(good == cycles,
	       "leak: %u bind/traffic/close cycles on one tap all worked (%u did)",
	       cycles, good);
	tap_ok(after - before < 1024,
	       "leak: unreclaimable slab grew by %ld KiB over %u cycles (less than 1 MiB)",
	       after - before, cycles);
	tap_ok(tv_module_refcnt("tun_vring") == 0 &&
	       tv_module_refcnt("vringfd") == vringfd_refs,
	       "leak: afterwards tun_vring holds no reference and vringfd is back to %ld",
	       vringfd_refs);
	tv_net_close(&n);

	/* The tap too, each time: it must go away with the last reference. */
	good = 0;
	for (i = 0; i < 20; i++) {
		if (tv_net_create(&n, 14))
			break;
		good += one_cycle(&n, i);
		tv_net_close(&n);
		good += all_released("tvr14", vringfd_refs, tun_refs) ? 0 : 1000;
	}
	tap_ok(good == 20,
	       "leak: 20 cycles creating the tap too: each works and the tap disappears each time");
}
