// SPDX-License-Identifier: GPL-2.0
/* The program's main(): every file's tests, in order, under one plan. */
#include <string.h>

#include "lgunit.h"

/*
 * A test whose name ends in TAP's "# TODO why" asserts what is right
 * about a known bug that drivers/ has yet to fix.  Its "not ok" line
 * stays in the output, but as TAP says, it does not fail the run.
 */
static bool tap_is_todo(const struct tap_test *test)
{
	return strstr(test->name, "# TODO") != NULL;
}

int main(void)
{
	const struct tap_test *const groups[] = {
		pic_tests, pit_tests, lapic_tests, ioapic_tests, decode_tests,
		walk_tests, events_tests, apic_wiring_tests,
	};
	const unsigned int counts[] = {
		pic_test_count, pit_test_count, lapic_test_count,
		ioapic_test_count, decode_test_count, walk_test_count,
		events_test_count, apic_wiring_test_count,
	};
	unsigned int g, i, total = 0, failed = 0, todo_failed = 0;
	int status;

	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		total += counts[g];
	tap_init();
	tap_plan(total);
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (i = 0; i < counts[g]; i++)
			if (!tap_run_test(&groups[g][i])) {
				failed++;
				todo_failed += tap_is_todo(&groups[g][i]);
			}
	status = tap_finish();
	/* tap.c counts every "not ok"; the TODOs alone are no failure. */
	if (status && failed && failed == todo_failed) {
		tap_diag("%u failed test(s), all of them TODO", todo_failed);
		return 0;
	}
	return status;
}
