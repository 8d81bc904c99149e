/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lg.ko emulation tests: one table of test functions per file, run in
 * order under one TAP plan by main.c.
 */
#ifndef LGUNIT_H
#define LGUNIT_H

#include "tap.h"

extern const struct tap_test pic_tests[], pit_tests[], lapic_tests[],
	ioapic_tests[], decode_tests[], walk_tests[], events_tests[],
	apic_wiring_tests[];
extern const unsigned int pic_test_count, pit_test_count, lapic_test_count,
	ioapic_test_count, decode_test_count, walk_test_count,
	events_test_count, apic_wiring_test_count;

#endif /* LGUNIT_H */
