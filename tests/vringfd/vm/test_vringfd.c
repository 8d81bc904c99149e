// SPDX-License-Identifier: GPL-2.0
/*
 * test_vringfd: the /dev/vring ABI through the vring_echo consumer.
 *
 *   test_vringfd            every group
 *   test_vringfd NAME...    only the named groups (setup, echo, ...)
 *
 * Needs vringfd.ko and vring_echo.ko loaded, and root (for the kernel log
 * and /proc/slabinfo).  Prints TAP; exits 0 when every check passed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vringfd_tests.h"

static const struct tap_named_group groups[] = {
	{ "setup", test_setup, 60 },
	{ "window", test_window, 60 },
	{ "echo", test_echo, 120 },
	{ "pair", test_pair, 120 },
	{ "big_ring", test_big_ring, 180 },
	{ "notify", test_notify, 120 },
	{ "suppress", test_suppress, 120 },
	{ "hostile", test_hostile, 180 },
	{ "lifetime", test_lifetime, 120 },
	{ "leaks", test_leaks, 300 },
	{ "stall", test_stall, 400 },
	{ "workers", test_workers, 60 },
	{ "kernel_log", test_kernel_log, 30 },
};

int main(int argc, char **argv)
{
	tap_init();
	if (access("/dev/vring", R_OK | W_OK) || access("/dev/vring_echo", R_OK | W_OK))
		tap_bail_out("/dev/vring or /dev/vring_echo missing: load vringfd.ko and vring_echo.ko");
	kernel_log_start = kernel_log_now();
	tap_run_groups(groups, sizeof(groups) / sizeof(groups[0]), argc, argv);
	return tap_finish();
}
