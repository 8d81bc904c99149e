// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 over simulated time: the port sequences Linux uses (the i8253
 * clock event's periodic, one-shot and shutdown; pit_calibrate_tsc() and
 * quick_pit_calibrate() on channel 2 through port 0x61), checked against
 * counts and times worked out from the 1193182 Hz clock.
 */
#include "lg_emul.h"
#include "lgunit.h"

#define T0	1000000000ULL	/* the guest starts a timer 1 s in */

/* The first nanosecond by which the PIT has counted clocks: ceil(c/f). */
static u64 at_clock(u64 clocks)
{
	unsigned __int128 ns = (unsigned __int128)clocks * 1000000000ULL;

	return (u64)((ns + LG_PIT_HZ - 1) / LG_PIT_HZ);
}

static void out(struct lg_pit *pit, u16 port, u8 val, u64 now)
{
	CHECK_EQ(lg_pit_io(pit, port, true, &val, now), 0);
}

static u8 in(struct lg_pit *pit, u16 port, u64 now)
{
	u8 val = 0x5a;

	CHECK_EQ(lg_pit_io(pit, port, false, &val, now), 0);
	return val;
}

static u16 in16(struct lg_pit *pit, u16 port, u64 now)
{
	u16 lsb = in(pit, port, now);

	return lsb | in(pit, port, now) << 8;
}

static void test_clock_helper(void)
{
	/* The values the other tests rely on, against the datasheet rate. */
	CHECK_EQ(at_clock(4773), 4000228);
	CHECK_EQ(at_clock(59659), 49999917);
	CHECK_EQ(at_clock(1193182), 1000000000);
}

static void test_ports(void)
{
	struct lg_pit pit;
	u8 val = 0;

	lg_pit_reset(&pit);
	CHECK(lg_pit_owns_port(0x40) && lg_pit_owns_port(0x43));
	CHECK(lg_pit_owns_port(0x61));
	CHECK(!lg_pit_owns_port(0x44) && !lg_pit_owns_port(0x60));
	CHECK_EQ(lg_pit_io(&pit, 0x44, false, &val, 0), -EINVAL);
	CHECK_EQ(pit.irq_due_ns, U64_MAX);
	CHECK_EQ(lg_pit_ticks(&pit, T0), 0);
}

/* pit_set_periodic(): 0x34, then LATCH for HZ=250 (4773), lsb then msb. */
static void test_periodic(void)
{
	struct lg_pit pit;

	lg_pit_reset(&pit);
	out(&pit, 0x43, 0x34, T0);
	out(&pit, 0x40, 4773 & 0xff, T0);
	out(&pit, 0x40, 4773 >> 8, T0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(4773));
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(4773) - 1), 0);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(4773)), 1);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(4773)), 0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(2 * 4773));
	tap_case("10.5 periods in: edges 2..10 reported at once");
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(10 * 4773 + 2386)), 9);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(11 * 4773));
	tap_case("an hour later, without overflow");
	CHECK_EQ(lg_pit_ticks(&pit, T0 + 3600ULL * 1000000000ULL),
		 3600ULL * LG_PIT_HZ / 4773 - 10);
}

/* The one-shot clock event: mode 4 (0x38), then each event's delta. */
static void test_oneshot(void)
{
	struct lg_pit pit;
	u64 t1 = T0 + 5000000;

	lg_pit_reset(&pit);
	out(&pit, 0x43, 0x38, T0);
	CHECK_EQ(pit.irq_due_ns, U64_MAX);
	out(&pit, 0x40, 1193 & 0xff, T0);
	out(&pit, 0x40, 1193 >> 8, T0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(1193));
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(1193) - 1), 0);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(1193)), 1);
	CHECK_EQ(pit.irq_due_ns, U64_MAX);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + 10 * 1000000000ULL), 0);
	tap_case("the next event re-arms it");
	out(&pit, 0x40, 100, t1);
	out(&pit, 0x40, 0, t1);
	CHECK_EQ(pit.irq_due_ns, t1 + at_clock(100));
	CHECK_EQ(lg_pit_ticks(&pit, t1 + 1000000), 1);
	tap_case("mode 0 one-shot, as a guest may use it");
	out(&pit, 0x43, 0x30, t1);
	out(&pit, 0x40, 100, t1);
	out(&pit, 0x40, 0, t1);
	CHECK_EQ(lg_pit_ticks(&pit, t1 + at_clock(100) - 1), 0);
	CHECK_EQ(lg_pit_ticks(&pit, t1 + at_clock(100)), 1);
	CHECK_EQ(lg_pit_ticks(&pit, t1 + 1000000000), 0);
}

/* clockevent_i8253_disable(): 0x30, 0, 0, 0x30 stops everything. */
static void test_shutdown(void)
{
	struct lg_pit pit;

	lg_pit_reset(&pit);
	out(&pit, 0x43, 0x34, T0);
	out(&pit, 0x40, 0xa5, T0);
	out(&pit, 0x40, 0x12, T0);
	CHECK(pit.irq_due_ns != U64_MAX);
	out(&pit, 0x43, 0x30, T0 + 1000);
	out(&pit, 0x40, 0, T0 + 1000);
	out(&pit, 0x40, 0, T0 + 1000);
	out(&pit, 0x43, 0x30, T0 + 2000);
	CHECK_EQ(pit.irq_due_ns, U64_MAX);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + 60 * 1000000000ULL), 0);
}

static void test_count_and_latch(void)
{
	struct lg_pit pit;
	u64 t = T0 + at_clock(1000);

	lg_pit_reset(&pit);
	out(&pit, 0x43, 0x34, T0);
	out(&pit, 0x40, 0xa5, T0);
	out(&pit, 0x40, 0x12, T0);
	CHECK_EQ(in16(&pit, 0x40, T0), 4773);
	CHECK_EQ(in16(&pit, 0x40, t), 4773 - 1000);
	tap_case("counter latch command holds the value");
	out(&pit, 0x43, 0x00, t);
	out(&pit, 0x43, 0x00, t + 500000);	/* ignored: one is held */
	CHECK_EQ(in16(&pit, 0x40, t + 1000000), 4773 - 1000);
	CHECK_EQ(in16(&pit, 0x40, T0 + at_clock(4000)), 773);
	tap_case("the rate generator reloads: reads 1..4773");
	CHECK_EQ(in16(&pit, 0x40, T0 + at_clock(4772)), 1);
	CHECK_EQ(in16(&pit, 0x40, T0 + at_clock(4773)), 4773);
	CHECK_EQ(in16(&pit, 0x40, T0 + at_clock(4773 + 3)), 4770);
}

static void test_read_back(void)
{
	struct lg_pit pit;
	u64 t = T0 + at_clock(10);

	lg_pit_reset(&pit);
	out(&pit, 0x43, 0x34, T0);
	/* Null count: a mode is set but no count written yet. */
	out(&pit, 0x43, 0xe2, T0);
	CHECK_EQ(in(&pit, 0x40, T0), 0xf4);
	out(&pit, 0x40, 0xa5, T0);
	out(&pit, 0x40, 0x12, T0);
	tap_case("read-back of count and status (0xc2)");
	out(&pit, 0x43, 0xc2, t);
	CHECK_EQ(in(&pit, 0x40, t + 5000), 0xb4);
	CHECK_EQ(in16(&pit, 0x40, t + 9000), 4763);
	tap_case("status only (0xe2), then a live count");
	out(&pit, 0x43, 0xe2, t);
	CHECK_EQ(in(&pit, 0x40, t), 0xb4);
	CHECK_EQ(in16(&pit, 0x40, T0 + at_clock(20)), 4753);
	tap_case("channel 2 in mode 0 before it expires: output low");
	out(&pit, 0x61, 0x01, T0);
	out(&pit, 0x43, 0xb0, T0);
	out(&pit, 0x42, 0x10, T0);
	out(&pit, 0x42, 0x00, T0);
	out(&pit, 0x43, 0xe8, T0 + 1000);
	CHECK_EQ(in(&pit, 0x42, T0 + 1000), 0x30);
	out(&pit, 0x43, 0xe8, T0 + at_clock(16));
	CHECK_EQ(in(&pit, 0x42, T0 + at_clock(16)), 0xb0);
}

/*
 * pit_calibrate_tsc(): gate up, speaker off, channel 2 mode 0 with 50 ms
 * (CAL_LATCH 59659), then spin on port 0x61 bit 5.
 */
static void test_tsc_calibration(void)
{
	struct lg_pit pit;
	u64 done = T0 + at_clock(59659);
	u8 v;

	lg_pit_reset(&pit);
	v = in(&pit, 0x61, T0);
	out(&pit, 0x61, (v & ~0x02) | 0x01, T0);
	CHECK_EQ(in(&pit, 0x61, T0) & 0x0f, 0x01);
	out(&pit, 0x43, 0xb0, T0);
	out(&pit, 0x42, 59659 & 0xff, T0);
	out(&pit, 0x42, 59659 >> 8, T0);
	CHECK_EQ(in(&pit, 0x61, T0) & 0x20, 0);
	CHECK_EQ(in(&pit, 0x61, T0 + 25000000) & 0x20, 0);
	CHECK_EQ(in(&pit, 0x61, done - 1) & 0x20, 0);
	CHECK_EQ(in(&pit, 0x61, done) & 0x20, 0x20);
	CHECK_EQ(in(&pit, 0x61, done + 1000000000) & 0x20, 0x20);
	/* Channel 2 raises no interrupt. */
	CHECK_EQ(lg_pit_ticks(&pit, done), 0);
}

/* quick_pit_calibrate(): mode 0 from 0xffff, watch the msb step down. */
static void test_quick_calibration(void)
{
	struct lg_pit pit;
	unsigned int i;

	lg_pit_reset(&pit);
	out(&pit, 0x61, 0x01, T0);
	out(&pit, 0x43, 0xb0, T0);
	out(&pit, 0x42, 0xff, T0);
	out(&pit, 0x42, 0xff, T0);
	for (i = 0; i < 8; i++) {
		u64 t = T0 + at_clock(256 * i + 1);

		tap_case("msb after %u x 256 clocks", i);
		in(&pit, 0x42, t);
		CHECK_EQ(in(&pit, 0x42, t), 0xff - i);
		in(&pit, 0x42, t + at_clock(254));
		CHECK_EQ(in(&pit, 0x42, t + at_clock(254)), 0xff - i);
	}
}

static void test_gate(void)
{
	struct lg_pit pit;
	u64 t1 = T0 + at_clock(100), t2 = t1 + 1000000000;

	lg_pit_reset(&pit);
	out(&pit, 0x43, 0xb0, T0);
	out(&pit, 0x42, 0x00, T0);
	out(&pit, 0x42, 0x01, T0);	/* 256 */
	/* Gate low (the reset state): the count waits. */
	CHECK_EQ(in16(&pit, 0x42, T0 + 5000000), 256);
	out(&pit, 0x61, 0x01, T0);
	CHECK_EQ(in16(&pit, 0x42, t1), 156);
	tap_case("gate low pauses mode 0");
	out(&pit, 0x61, 0x00, t1);
	CHECK_EQ(in16(&pit, 0x42, t2), 156);
	CHECK_EQ(in(&pit, 0x61, t2) & 0x20, 0);
	out(&pit, 0x61, 0x01, t2);
	CHECK_EQ(in16(&pit, 0x42, t2 + at_clock(56)), 100);
	CHECK_EQ(in(&pit, 0x61, t2 + at_clock(156) - 1) & 0x20, 0);
	CHECK_EQ(in(&pit, 0x61, t2 + at_clock(156)) & 0x20, 0x20);
}

/* Modes 2 and 1 on channel 2: a rising gate (re)starts from the count. */
static void test_gate_restart(void)
{
	struct lg_pit pit;
	u64 t1 = T0 + at_clock(30), t2 = t1 + 1000000;

	lg_pit_reset(&pit);
	out(&pit, 0x61, 0x01, T0);
	out(&pit, 0x43, 0xb4, T0);
	out(&pit, 0x42, 100, T0);
	out(&pit, 0x42, 0, T0);
	CHECK_EQ(in16(&pit, 0x42, t1), 70);
	out(&pit, 0x61, 0x00, t1);
	CHECK_EQ(in16(&pit, 0x42, t2), 70);
	CHECK_EQ(in(&pit, 0x61, t2) & 0x20, 0x20);
	out(&pit, 0x61, 0x01, t2);
	CHECK_EQ(in16(&pit, 0x42, t2), 100);
	CHECK_EQ(in16(&pit, 0x42, t2 + at_clock(10)), 90);
	tap_case("mode 1 waits for the gate's edge, then counts once");
	out(&pit, 0x43, 0xb2, T0);
	out(&pit, 0x42, 100, T0);
	out(&pit, 0x42, 0, T0);
	CHECK_EQ(in(&pit, 0x61, t1) & 0x20, 0x20);
	CHECK_EQ(in16(&pit, 0x42, t1), 100);
	out(&pit, 0x61, 0x00, t1);
	out(&pit, 0x61, 0x01, t2);
	CHECK_EQ(in(&pit, 0x61, t2) & 0x20, 0);
	CHECK_EQ(in16(&pit, 0x42, t2 + at_clock(40)), 60);
	CHECK_EQ(in(&pit, 0x61, t2 + at_clock(100) - 1) & 0x20, 0);
	CHECK_EQ(in(&pit, 0x61, t2 + at_clock(100)) & 0x20, 0x20);
	tap_case("mode 1 retriggers from the full count");
	out(&pit, 0x61, 0x00, t2 + at_clock(150));
	out(&pit, 0x61, 0x01, t2 + at_clock(150));
	CHECK_EQ(in16(&pit, 0x42, t2 + at_clock(150)), 100);
	CHECK_EQ(in(&pit, 0x61, t2 + at_clock(200)) & 0x20, 0);
}

static void test_square_wave(void)
{
	struct lg_pit pit;

	lg_pit_reset(&pit);
	out(&pit, 0x61, 0x01, T0);
	out(&pit, 0x43, 0xb6, T0);
	out(&pit, 0x42, 100, T0);
	out(&pit, 0x42, 0, T0);
	CHECK_EQ(in(&pit, 0x61, T0 + at_clock(49)) & 0x20, 0x20);
	CHECK_EQ(in(&pit, 0x61, T0 + at_clock(50)) & 0x20, 0);
	CHECK_EQ(in(&pit, 0x61, T0 + at_clock(99)) & 0x20, 0);
	CHECK_EQ(in(&pit, 0x61, T0 + at_clock(100)) & 0x20, 0x20);
	/* It counts down by two in each half. */
	CHECK_EQ(in16(&pit, 0x42, T0 + at_clock(10)), 80);
	CHECK_EQ(in16(&pit, 0x42, T0 + at_clock(60)), 80);
	tap_case("channel 0 in mode 3: one edge per period");
	out(&pit, 0x43, 0x36, T0);
	out(&pit, 0x40, 0x2c, T0);	/* 300 */
	out(&pit, 0x40, 0x01, T0);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(3000)), 10);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(3299)), 0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(3300));
}

/*
 * A periodic count below 239 clocks (200 us) still counts as written, but
 * its IRQ 0 edges come no faster than every 239 clocks: a count of 1
 * would be 1.2 million host timer interrupts a second.
 */
static void test_min_period(void)
{
	struct lg_pit pit;

	lg_pit_reset(&pit);
	out(&pit, 0x43, 0x34, T0);	/* channel 0, lsb/msb, mode 2 */
	out(&pit, 0x40, 1, T0);
	out(&pit, 0x40, 0, T0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(239));
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(238)), 0);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(239)), 1);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(2 * 239));
	/* One second: 4992 edges, not 1193182. */
	CHECK_EQ(lg_pit_ticks(&pit, T0 + 1000000000ULL), 1193182 / 239 - 1);
	tap_case("mode 2, count 1: IRQ 0 at most every 239 clocks (200 us)");
	out(&pit, 0x43, 0x36, T0);	/* mode 3, count 2 */
	out(&pit, 0x40, 2, T0);
	out(&pit, 0x40, 0, T0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(239));
	tap_case("mode 3, count 2: the same limit");
	out(&pit, 0x43, 0x34, T0);	/* 239 itself is not changed */
	out(&pit, 0x40, 239, T0);
	out(&pit, 0x40, 0, T0);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(239 * 10)), 10);
	out(&pit, 0x43, 0x34, T0);
	out(&pit, 0x40, 240 & 0xff, T0);
	out(&pit, 0x40, 0, T0);
	CHECK_EQ(lg_pit_ticks(&pit, T0 + at_clock(240 * 10)), 10);
	tap_case("counts of 239 and more keep their own period");
}

static void test_access_modes(void)
{
	struct lg_pit pit;

	lg_pit_reset(&pit);
	out(&pit, 0x43, 0x10, T0);	/* lsb only, mode 0 */
	out(&pit, 0x40, 100, T0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(100));
	CHECK_EQ(in(&pit, 0x40, T0 + at_clock(1)), 99);
	out(&pit, 0x43, 0x20, T0);	/* msb only */
	out(&pit, 0x40, 0x01, T0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(256));
	CHECK_EQ(in(&pit, 0x40, T0 + at_clock(1)), 0x00);
	CHECK_EQ(in(&pit, 0x40, T0 + at_clock(257)), 0xff);
	tap_case("mode 0, lsb/msb: the first byte stops the count");
	out(&pit, 0x43, 0x30, T0);
	out(&pit, 0x40, 0x00, T0);
	out(&pit, 0x40, 0x10, T0);
	CHECK(pit.irq_due_ns != U64_MAX);
	out(&pit, 0x40, 0x00, T0 + 1000);
	CHECK_EQ(pit.irq_due_ns, U64_MAX);
	out(&pit, 0x40, 0x20, T0 + 2000);
	CHECK_EQ(pit.irq_due_ns, T0 + 2000 + at_clock(0x2000));
	tap_case("BCD: 1000 decimal");
	out(&pit, 0x43, 0x31, T0);
	out(&pit, 0x40, 0x00, T0);
	out(&pit, 0x40, 0x10, T0);
	CHECK_EQ(pit.irq_due_ns, T0 + at_clock(1000));
	CHECK_EQ(in16(&pit, 0x40, T0 + at_clock(1)), 0x0999);
}

const struct tap_test pit_tests[] = {
	{ "pit: clock arithmetic of the tests", test_clock_helper },
	{ "pit: ports owned and refused", test_ports },
	{ "pit: periodic mode 2 ticks over time", test_periodic },
	{ "pit: one-shot modes 4 and 0", test_oneshot },
	{ "pit: Linux clockevent shutdown stops it", test_shutdown },
	{ "pit: counter reads and latch command", test_count_and_latch },
	{ "pit: read-back command", test_read_back },
	{ "pit: pit_calibrate_tsc on channel 2 and port 0x61", test_tsc_calibration },
	{ "pit: quick_pit_calibrate msb reads", test_quick_calibration },
	{ "pit: channel 2 gate", test_gate },
	{ "pit: channel 2 gate restarts modes 2 and 1", test_gate_restart },
	{ "pit: mode 3 square wave", test_square_wave },
	{ "pit: periodic IRQ 0 no faster than 200 us", test_min_period },
	{ "pit: lsb-only, msb-only, mode 0 reload, BCD", test_access_modes },
};
const unsigned int pit_test_count = ARRAY_SIZE(pit_tests);
