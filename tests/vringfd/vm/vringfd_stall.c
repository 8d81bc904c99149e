// SPDX-License-Identifier: GPL-2.0
/*
 * test_vringfd group "stall": rings whose memory never answers stall only
 * their owner.
 *
 * Two "staller" processes, running as another user (nobody), each set up
 * STALL_RINGS_EACH rings on the echo consumer whose one buffer lies in a
 * page behind a userfaultfd that the test holds and never answers.  Every
 * ring's kick then waits in that page for ever.  Meanwhile this process
 * (root) echoes on a ring of its own, kicked through an eventfd as lg.ko
 * would: its rate beside the stalled rings must stay within a factor of
 * its rate alone.  With one shared workqueue (before R:235) the stalled
 * kicks take all of its 256 active slots and the healthy ring's kick never
 * runs.
 *
 * Then the stalled owners must still be able to let go: one closes all its
 * fds, the other is killed with SIGKILL; both must be done within seconds,
 * with no ring worker left behind.  Each ring's worker must also sit in
 * its owner's cgroup.
 *
 * Group "workers": a worker per ring must not let a user create kernel
 * threads without limit; they count against the owner's RLIMIT_NPROC.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uffd.h"
#include "vringfd.h"
#include "vringfd_tests.h"

#define STALL_PROCS		2
/* 300 in all: more than the 256 kicks the old shared workqueue ran at once. */
#define STALL_RINGS_EACH	150
#define STALL_UID		65534
#define STALL_CGROUP		"/sys/fs/cgroup/vring-stall"
#define RATE_MS			1500
#define ROUNDTRIP_WAIT_MS	3000
#define LET_GO_MS		15000

struct staller {
	pid_t pid;
	int sock;		/* our end of the control socket */
	int uffd;		/* the trap over its buffer page, never answered */
};

/* --- fd passing -------------------------------------------------------- */

static int send_fd(int sock, int fd)
{
	char data = 'u', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &data, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock, int timeout_ms)
{
	char data, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (poll_one(sock, POLLIN, timeout_ms) <= 0 ||
	    recvmsg(sock, &msg, 0) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* One byte from the socket within timeout_ms, or -1. */
static int recv_byte(int sock, int timeout_ms)
{
	unsigned char c;

	if (poll_one(sock, POLLIN, timeout_ms) <= 0 || read(sock, &c, 1) != 1)
		return -1;
	return c;
}

/* --- the staller (a child, another user) ------------------------------- */

static bool join_cgroup(void)
{
	int fd = open(STALL_CGROUP "/cgroup.procs", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok;
}

static void staller_main(int sock, bool cgroup)
{
	static struct test_ring rings[STALL_RINGS_EACH];
	static int echo[STALL_RINGS_EACH];
	uint8_t *trap, *out;
	unsigned char done = 'd';
	int uffd, i, c;

	if (cgroup && !join_cgroup())
		_exit(10);
	trap = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	out = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (trap == MAP_FAILED || out == MAP_FAILED)
		_exit(11);
	/* Created while root: the kernel may wait on it for us. */
	uffd = uffd_trap(trap, 4096);
	if (uffd < 0 || send_fd(sock, uffd))
		_exit(12);
	close(uffd);
	if (setgid(STALL_UID) || setuid(STALL_UID))
		_exit(13);

	for (i = 0; i < STALL_RINGS_EACH; i++) {
		struct seg segs[2] = {
			{ trap + (i % 64) * 64, 64, false },
			{ out + (i % 64) * 64, 64, true },
		};

		if (ring_create(&rings[i], 4, 0, RING_SPLIT) < 0)
			_exit(14);
		ring_add_chain(&rings[i], segs, 2);
		driver_ring_publish(&rings[i].driver);
		/* Attaching queues a kick: the worker walks into the trap. */
		echo[i] = echo_open();
		if (echo[i] < 0 || echo_attach(echo[i], rings[i].fd, -1))
			_exit(15);
	}
	if (write(sock, "r", 1) != 1)
		_exit(16);

	/* 'c': let go of everything by close(), say so, and exit. */
	c = recv_byte(sock, -1);
	if (c != 'c')
		_exit(17);
	for (i = 0; i < STALL_RINGS_EACH; i++) {
		close(echo[i]);
		ring_free(&rings[i]);
	}
	if (write(sock, &done, 1) != 1)
		_exit(18);
	_exit(0);
}

static bool staller_start(struct staller *s, bool cgroup)
{
	int sv[2];

	s->pid = -1;
	s->sock = s->uffd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	s->pid = fork();
	if (s->pid < 0)
		return false;
	if (s->pid == 0) {
		close(sv[0]);
		staller_main(sv[1], cgroup);
	}
	close(sv[1]);
	s->sock = sv[0];
	s->uffd = recv_fd(s->sock, 10000);
	if (s->uffd < 0) {
		tap_diag("  staller %d sent no userfaultfd", s->pid);
		return false;
	}
	/* Setting up 150 rings (150 threads) takes a while under TCG. */
	if (recv_byte(s->sock, 120000) != 'r') {
		tap_diag("  staller %d did not set its rings up", s->pid);
		return false;
	}
	return true;
}

/* waitpid() with a time limit: true if pid was reaped. */
static bool reap_within(pid_t pid, int timeout_ms, int *status)
{
	double end = now_ms() + timeout_ms;

	for (;;) {
		pid_t got = waitpid(pid, status, WNOHANG);

		if (got == pid)
			return true;
		if (got < 0 || now_ms() > end)
			return false;
		usleep(10000);
	}
}

/* --- what the workers look like ---------------------------------------- */

/* A cgroup v2 directory for the stallers; false if there is no cgroup2. */
static bool make_cgroup(void)
{
	if (access("/sys/fs/cgroup/cgroup.procs", F_OK)) {
		mkdir("/sys/fs/cgroup", 0755);
		if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL)) {
			tap_diag("  no cgroup2: %s", strerror(errno));
			return false;
		}
	}
	if (mkdir(STALL_CGROUP, 0755) && errno != EEXIST) {
		tap_diag("  mkdir %s: %s", STALL_CGROUP, strerror(errno));
		return false;
	}
	return true;
}

/* --- the healthy ring -------------------------------------------------- */

struct healthy {
	struct test_ring r;
	int echo, kick, call;
	uint8_t *in, *out;
};

static bool healthy_create(struct healthy *h)
{
	h->in = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	h->out = h->in + 2048;
	h->kick = eventfd_new();
	h->call = eventfd_new();
	h->echo = echo_open();
	if (h->in == MAP_FAILED || h->kick < 0 || h->call < 0 || h->echo < 0 ||
	    ring_create(&h->r, 16, 0, RING_SPLIT) < 0 ||
	    ioctl(h->r.fd, VRINGSETKICKFD, h->kick) < 0 ||
	    ioctl(h->r.fd, VRINGSETCALLFD, h->call) < 0 ||
	    echo_attach_settled(h->echo, h->r.fd, -1) < 0) {
		tap_diag("  healthy ring: %s", strerror(errno));
		return false;
	}
	return true;
}

/*
 * Echo 64 bytes at a time for ms milliseconds, each kicked through the
 * eventfd (so the ring's worker runs it) and awaited: round trips per
 * second.  A round trip that takes over ROUNDTRIP_WAIT_MS ends it.
 */
static double healthy_rate(struct healthy *h, int ms, bool *stuck)
{
	double start = now_ms(), end = start + ms;
	uint64_t one = 1;
	unsigned long n = 0;

	*stuck = false;
	while (now_ms() < end) {
		struct seg segs[2] = {
			{ h->in, 64, false }, { h->out, 64, true },
		};
		uint16_t want = h->r.driver.last_used + 1;
		double give_up = now_ms() + ROUNDTRIP_WAIT_MS;
		uint32_t id, len;

		ring_add_chain(&h->r, segs, 2);
		driver_ring_publish(&h->r.driver);
		if (write(h->kick, &one, sizeof(one)) != sizeof(one))
			break;
		while (driver_ring_used_idx(&h->r.driver) != want) {
			if (now_ms() > give_up) {
				*stuck = true;
				return n * 1000.0 / (now_ms() - start);
			}
			poll_one(h->call, POLLIN, 20);
			eventfd_take(h->call);
		}
		driver_ring_get_used(&h->r.driver, &id, &len);
		n++;
	}
	return n * 1000.0 / (now_ms() - start);
}

static void healthy_destroy(struct healthy *h)
{
	close(h->echo);
	ring_free(&h->r);
	close(h->kick);
	close(h->call);
	munmap(h->in, 4096);
}

/* --- the group ---------------------------------------------------------- */

void test_stall(void)
{
	struct staller st[STALL_PROCS];
	pid_t owners[STALL_PROCS];
	double alone, beside;
	bool cgroup, stuck, ok;
	struct healthy h;
	int i, faults = 0, status, n, in_cg;

	if (!healthy_create(&h)) {
		tap_ok(false, "stall: set up the healthy ring");
		return;
	}
	alone = healthy_rate(&h, RATE_MS, &stuck);
	tap_diag("  alone: %.0f round trips/s%s", alone, stuck ? " (stuck)" : "");

	cgroup = make_cgroup();
	ok = true;
	for (i = 0; i < STALL_PROCS; i++) {
		ok = staller_start(&st[i], cgroup) && ok;
		owners[i] = st[i].pid;
	}
	if (!tap_ok(ok, "stall: %d processes of user %d set up %d rings each, their buffers behind a userfaultfd nobody answers",
		    STALL_PROCS, STALL_UID, STALL_RINGS_EACH))
		goto out;
	/* The stalled kicks announce themselves on the userfaultfds. */
	for (i = 0; i < STALL_PROCS; i++)
		faults += uffd_read_faults(st[i].uffd, STALL_RINGS_EACH, 20000);
	tap_diag("  %d of %d rings' kicks wait in the trap", faults,
		 STALL_PROCS * STALL_RINGS_EACH);

	beside = healthy_rate(&h, RATE_MS, &stuck);
	tap_ok(!stuck && beside >= alone / 2,
	       "stall: another user's ring echoes beside %d stalled rings at %.0f round trips/s, alone %.0f (at least half)%s",
	       STALL_PROCS * STALL_RINGS_EACH, beside, alone,
	       stuck ? ": a round trip never came back" : "");

	if (cgroup) {
		ok = true;
		for (i = 0; i < STALL_PROCS; i++) {
			n = ring_workers_in(st[i].pid, "/vring-stall", &in_cg);
			tap_diag("  owner %d: %d ring workers, %d in its cgroup",
				 st[i].pid, n, in_cg);
			ok = ok && n == STALL_RINGS_EACH && in_cg == n;
		}
		tap_ok(ok, "stall: each ring has a worker of its own (vring-<owner pid>) in its owner's cgroup");
	} else {
		tap_skip("no cgroup2 here",
			 "stall: each ring's worker is in its owner's cgroup");
	}

	/* Let go: one closes everything, the other is killed. */
	ok = write(st[0].sock, "c", 1) == 1 &&
	     recv_byte(st[0].sock, LET_GO_MS) == 'd';
	tap_ok(ok, "stall: the stalled owner closes all its ring and echo fds within %d s",
	       LET_GO_MS / 1000);
	ok = reap_within(st[0].pid, LET_GO_MS, &status) &&
	     WIFEXITED(status) && WEXITSTATUS(status) == 0;
	tap_ok(ok, "stall: ... and exits");
	if (ok)
		st[0].pid = -1;
	kill(st[1].pid, SIGKILL);
	ok = reap_within(st[1].pid, LET_GO_MS, &status) && WIFSIGNALED(status);
	tap_ok(ok, "stall: a stalled owner killed with SIGKILL is gone within %d s",
	       LET_GO_MS / 1000);
	if (ok)
		st[1].pid = -1;

	n = 0;
	for (i = 0; i < STALL_PROCS; i++)
		n += ring_workers_gone(owners[i], 2000);
	tap_ok(n == 0, "stall: no ring worker outlives its owner by 2 s (%d left)", n);
	beside = healthy_rate(&h, 200, &stuck);
	tap_ok(!stuck && beside > 0,
	       "stall: the healthy ring still echoes afterwards");

out:
	/*
	 * Answering the traps (closing the last userfaultfd reference)
	 * frees whatever still waits there, so a failure above does not
	 * leave the stallers hung for ever.
	 */
	for (i = 0; i < STALL_PROCS; i++) {
		if (st[i].uffd >= 0)
			close(st[i].uffd);
		if (st[i].sock >= 0)
			close(st[i].sock);
		if (st[i].pid > 0) {
			kill(st[i].pid, SIGKILL);
			if (!reap_within(st[i].pid, 60000, &status))
				tap_diag("  staller %d still not gone", st[i].pid);
		}
	}
	healthy_destroy(&h);
	rmdir(STALL_CGROUP);
}

/* --- group "workers": a thread per ring, but not without limit --------- */

#define WORKERS_NPROC	5

static void workers_child(void)
{
	struct rlimit lim = { WORKERS_NPROC, WORKERS_NPROC };
	struct test_ring r[WORKERS_NPROC + 1];
	int i, made = 0, left;

	if (setgid(STALL_UID) || setuid(STALL_UID) ||
	    setrlimit(RLIMIT_NPROC, &lim)) {
		tap_ok(false, "workers: become user %d with RLIMIT_NPROC %d",
		       STALL_UID, WORKERS_NPROC);
		_exit(1);
	}
	for (i = 0; i < WORKERS_NPROC; i++)
		if (ring_create(&r[i], 4, 0, RING_SPLIT) >= 0)
			made++;
	tap_ok(made == WORKERS_NPROC && ring_workers(getpid()) == made,
	       "workers: user %d with RLIMIT_NPROC %d sets up %d rings, each with its worker (%d)",
	       STALL_UID, WORKERS_NPROC, made, ring_workers(getpid()));
	TAP_ERRNO(ring_create(&r[i], 4, 0, RING_SPLIT), EAGAIN,
		  "workers: one ring more: VRINGSETUP fails with EAGAIN");
	ring_free(&r[i]);
	TAP_OK_CALL(ring_setup_again(&r[0]),
		    "workers: a ring that has its worker can still be set up again");
	ring_free(&r[0]);
	TAP_OK_CALL(ring_create(&r[0], 4, 0, RING_SPLIT),
		    "workers: after one ring is closed, a new one can be set up");
	for (i = 0; i < WORKERS_NPROC; i++)
		ring_free(&r[i]);
	left = ring_workers_gone(getpid(), 2000);
	tap_ok(left == 0,
	       "workers: closing the rings ends their workers within 2 s (%d left)",
	       left);
	_exit(0);
}

void test_workers(void)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0)
		workers_child();
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		tap_ok(false, "workers: the unprivileged child ran to the end");
}
