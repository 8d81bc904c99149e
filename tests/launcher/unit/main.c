// SPDX-License-Identifier: GPL-2.0
/*
 * The runner: every test gets fresh fake guest memory and no devices, and
 * prints one TAP line.  A test fails if any expectation fails or if the
 * device code calls die() (the launcher's exit) during it.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

extern jmp_buf die_jump;
extern bool die_armed;
extern char die_message[256];

static char first_failure[256];
static unsigned int failures;

bool expect_at(bool ok, const char *what, const char *file, int line)
{
	if (!ok && !failures++)
		snprintf(first_failure, sizeof(first_failure), "%s:%d: %s",
			 file, line, what);
	return ok;
}

static bool run_one(const struct unit_test *test, unsigned int number)
{
	fake_reset();
	failures = 0;
	die_armed = true;
	if (setjmp(die_jump))
		expect_at(false, die_message, "die()", 0);
	else
		test->run();
	die_armed = false;
	if (failures) {
		printf("not ok %u - %s\n# %s\n", number, test->name, first_failure);
		return false;
	}
	printf("ok %u - %s\n", number, test->name);
	return true;
}

int main(void)
{
	const struct unit_test *suites[] = {
		transport_tests, blk_tests, rng_tests, console_tests,
		notify_tests, hostile_tests, net_tests,
	};
	unsigned int number = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned int s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		for (const struct unit_test *t = suites[s]; t->name; t++)
			failed += !run_one(t, ++number);
	printf("1..%u\n", number);
	virtio_destroy_all();
	free(test_mem.base);
	return failed ? 1 : 0;
}
