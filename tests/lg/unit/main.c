// SPDX-License-Identifier: GPL-2.0
/* The program's main(): every file's tests, in order, under one plan. */
#include "lgunit.h"

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
	unsigned int g, i, total = 0;

	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		total += counts[g];
	tap_init();
	tap_plan(total);
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (i = 0; i < counts[g]; i++)
			tap_run_test(&groups[g][i]);
	return tap_finish();
}
