// SPDX-License-Identifier: GPL-2.0
/*
 * test_tun_vring: tun_vring.ko in the test host VM, with a real tap and the
 * host's own IPv4 stack on the other side.  Run by
 * tests/tunvring/vm/tunvring.sh after tun, vringfd.ko and tun_vring.ko are
 * loaded.  TAP on stdout; each group runs in a child with a time limit.
 *
 *   test_tun_vring [group...]     (default: all groups, in order)
 *
 * This file: main, the binding's life (attach, stats) and every way of
 * handing it the wrong fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "vringfd.h"
#include "tv.h"

static bool ring_attached(const struct test_ring *r)
{
	struct vring_status st;

	return ring_status(r, &st) == 0 && st.attached;
}

void tv_group_attach(void)
{
	struct tun_vring_attach again;
	struct tun_vring_stats st;
	struct vring_setup setup;
	struct tv_guest g;
	struct tv_net n;
	bool zero = true;
	unsigned int i;

	if (tv_net_create(&n, 1) || tv_guest_create(&g, 64, 0)) {
		tap_ok(false, "attach: set up a tap and two rings");
		return;
	}
	TAP_OK_CALL(tv_guest_attach(&g, n.tap_fd, 0),
		    "attach: TUN_VRING_ATTACH binds a tap and two rings");
	tap_ok(ring_attached(&g.rx) && ring_attached(&g.tx),
	       "attach: both rings report a consumer (VRINGGETSTATUS attached)");
	tap_ok(tv_stats(&g, &st), "attach: TUN_VRING_GETSTATS works");
	for (i = 0; i < sizeof(st) / sizeof(uint64_t); i++) {
		uint64_t v;

		memcpy(&v, (uint8_t *)&st + i * 8, 8);
		/* rx_runs and tx_runs may already count the first look. */
		if (i * 8 != TV_STAT(rx_runs) && i * 8 != TV_STAT(tx_runs) && v)
			zero = false;
	}
	tap_ok(zero, "attach: a new binding's packet counters are all 0");
	again = (struct tun_vring_attach){ n.tap_fd, g.rx.fd, g.tx.fd, 0 };
	TAP_ERRNO(ioctl(g.binding, TUN_VRING_ATTACH, &again), EBUSY,
		  "attach: a second TUN_VRING_ATTACH on the same file: EBUSY");
	ring_fill_setup(&g.rx, &setup);
	TAP_ERRNO(vringfd_setup(g.rx.fd, &setup), EBUSY,
		  "attach: an attached ring cannot be re-set up (EBUSY)");
	TAP_ERRNO(ioctl(g.binding, _IO(TUN_VRING_IOCTL_MAGIC, 0x7f)), ENOTTY,
		  "attach: an unknown ioctl: ENOTTY");
	TAP_ERRNO(ioctl(g.binding, TUN_VRING_GETSTATS, (void *)16), EFAULT,
		  "attach: GETSTATS to a bad pointer: EFAULT");
	tv_close(&g.binding);
	tap_ok(!ring_attached(&g.rx) && !ring_attached(&g.tx),
	       "attach: close() of the binding releases both rings");
	tv_guest_destroy(&g);
	tv_net_close(&n);
}

/* ATTACH on a fresh binding with these fds; -1 and errno on failure. */
static int try_attach(int tap_fd, int rx_fd, int tx_fd, uint32_t flags)
{
	struct tun_vring_attach at = { tap_fd, rx_fd, tx_fd, flags };
	int fd, ret, saved;

	fd = open("/dev/tun_vring", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, TUN_VRING_ATTACH, &at);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

void tv_group_bad_fds(void)
{
	int file_fd, udp_fd, bare_tun, bare_ring, closed_fd, dup_fd, fd;
	struct tv_guest g, other;
	struct tv_net n;
	long tun_refs;

	if (tv_net_create(&n, 2) || tv_guest_create(&g, 64, 0) ||
	    tv_guest_create(&other, 64, 0)) {
		tap_ok(false, "bad fds: set up a tap and rings");
		return;
	}
	file_fd = open("/tmp/tv_regular", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bare_tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	bare_ring = vringfd_open();
	/* A number no fd of ours will have: not open. */
	closed_fd = 1000;
	tun_refs = tv_module_refcnt("tun");

	TAP_ERRNO(try_attach(-1, g.rx.fd, g.tx.fd, 0), EBADF,
		  "bad fds: tap_fd -1: EBADF");
	TAP_ERRNO(try_attach(closed_fd, g.rx.fd, g.tx.fd, 0), EBADF,
		  "bad fds: tap_fd not open: EBADF");
	TAP_ERRNO(try_attach(file_fd, g.rx.fd, g.tx.fd, 0), ENOTSOCK,
		  "bad fds: tap_fd a regular file: ENOTSOCK");
	TAP_ERRNO(try_attach(udp_fd, g.rx.fd, g.tx.fd, 0), ENOTSOCK,
		  "bad fds: tap_fd a UDP socket: ENOTSOCK");
	TAP_ERRNO(try_attach(g.rx.fd, g.rx.fd, g.tx.fd, 0), ENOTSOCK,
		  "bad fds: tap_fd a /dev/vring fd: ENOTSOCK");
	TAP_ERRNO(try_attach(bare_tun, g.rx.fd, g.tx.fd, 0), EBADFD,
		  "bad fds: tap_fd /dev/net/tun without TUNSETIFF: EBADFD");
	TAP_ERRNO(try_attach(n.tap_fd, -1, g.tx.fd, 0), EBADF,
		  "bad fds: rx_fd -1: EBADF");
	TAP_ERRNO(try_attach(n.tap_fd, g.rx.fd, closed_fd, 0), EBADF,
		  "bad fds: tx_fd not open: EBADF");
	TAP_ERRNO(try_attach(n.tap_fd, file_fd, g.tx.fd, 0), EINVAL,
		  "bad fds: rx_fd a regular file: EINVAL");
	TAP_ERRNO(try_attach(n.tap_fd, g.rx.fd, n.tap_fd, 0), EINVAL,
		  "bad fds: tx_fd the tap: EINVAL");
	TAP_ERRNO(try_attach(n.tap_fd, g.rx.fd, g.rx.fd, 0), EINVAL,
		  "bad fds: rx_fd == tx_fd: EINVAL");
	dup_fd = dup(g.rx.fd);
	TAP_ERRNO(try_attach(n.tap_fd, g.rx.fd, dup_fd, 0), EINVAL,
		  "bad fds: tx_fd a dup() of rx_fd (same ring): EINVAL");
	close(dup_fd);
	TAP_ERRNO(try_attach(n.tap_fd, bare_ring, g.tx.fd, 0), ENXIO,
		  "bad fds: rx_fd a ring without VRINGSETUP: ENXIO");
	TAP_ERRNO(try_attach(n.tap_fd, g.rx.fd, g.tx.fd, 1U << 7), EINVAL,
		  "bad fds: an unknown flag: EINVAL");
	fd = open("/dev/tun_vring", O_RDWR | O_CLOEXEC);
	TAP_ERRNO(ioctl(fd, TUN_VRING_ATTACH, (void *)16), EFAULT,
		  "bad fds: ATTACH with a bad pointer: EFAULT");
	close(fd);

	TAP_OK_CALL(tv_guest_attach(&other, n.tap_fd, 0),
		    "bad fds: another binding takes rings of its own");
	TAP_ERRNO(try_attach(n.tap_fd, other.rx.fd, g.tx.fd, 0), EBUSY,
		  "bad fds: rx_fd already served by another binding: EBUSY");
	TAP_ERRNO(try_attach(n.tap_fd, g.rx.fd, other.tx.fd, 0), EBUSY,
		  "bad fds: tx_fd already served by another binding: EBUSY");
	tv_close(&other.binding);

	tap_ok(!ring_attached(&g.rx) && !ring_attached(&g.tx),
	       "bad fds: no failed ATTACH left a ring attached");
	tap_ok(tv_module_refcnt("tun") == tun_refs,
	       "bad fds: no failed ATTACH kept a tap file (tun refcnt %ld)",
	       tv_module_refcnt("tun"));
	tap_ok(tv_guest_attach(&g, n.tap_fd, 0) == 0,
	       "bad fds: the same rings and tap still bind afterwards");

	close(file_fd);
	unlink("/tmp/tv_regular");
	close(udp_fd);
	close(bare_tun);
	close(bare_ring);
	tv_guest_destroy(&other);
	tv_guest_destroy(&g);
	tv_net_close(&n);
}

static const struct tap_named_group groups[] = {
	{ "attach", tv_group_attach, 30 },
	{ "badfds", tv_group_bad_fds, 30 },
	{ "tx", tv_group_tx, 60 },
	{ "rx", tv_group_rx, 60 },
	{ "mrg", tv_group_mrg, 60 },
	{ "offload", tv_group_offload, 60 },
	{ "hostile", tv_group_hostile, 60 },
	{ "bulk", tv_group_bulk, 240 },
	{ "teardown", tv_group_teardown, 90 },
	{ "kill", tv_group_kill, 90 },
	{ "leak", tv_group_leak, 240 },
	{ "macvtap", tv_group_macvtap, 60 },
	{ "coalesce", tv_group_coalesce, 60 },
	{ "busypoll", tv_group_busy_poll, 60 },
	{ "retry", tv_group_retry, 60 },
};

int main(int argc, char **argv)
{
	tap_init();
	if (access("/dev/tun_vring", F_OK) || access("/dev/net/tun", F_OK))
		tap_bail_out("no /dev/tun_vring or /dev/net/tun");
	tv_net_global_setup();
	tap_run_groups(groups, sizeof(groups) / sizeof(groups[0]), argc, argv);
	return tap_finish();
}
