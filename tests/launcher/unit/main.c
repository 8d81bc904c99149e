// SPDX-License-Identifier: GPL-2.0
/*
 * The runner: every test gets fresh fake guest memory and no devices, and
 * prints one TAP line.  A test fails if any CHECK fails or if the device
 * code calls die() (the launcher's exit) during it.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

extern jmp_buf die_jump;
extern bool die_armed;
extern char die_message[256];

static void run_one(const struct tap_test *test)
{
	fake_reset();
	tap_test_begin();
	die_armed = true;
	if (setjmp(die_jump))
		tap_check("die()", 0, die_message, false);
	else
		test->run();
	die_armed = false;
	tap_test_end(test->name);
}

int main(void)
{
	const struct tap_test *suites[] = {
		transport_tests, blk_tests, rng_tests, console_tests,
		notify_tests, hostile_tests, net_tests, strict_tests,
	};
	const unsigned int nsuites = sizeof(suites) / sizeof(suites[0]);
	unsigned int count = 0;
	int status;

	tap_init();
	for (unsigned int s = 0; s < nsuites; s++)
		for (const struct tap_test *t = suites[s]; t->name; t++)
			count++;
	tap_plan(count);
	for (unsigned int s = 0; s < nsuites; s++)
		for (const struct tap_test *t = suites[s]; t->name; t++)
			run_one(t);
	status = tap_finish();
	virtio_destroy_all();
	free(test_mem.base);
	return status;
}
