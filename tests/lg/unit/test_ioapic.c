// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC through IOREGSEL/IOWIN as Linux 6.1's io_apic.c programs it
 * (ioapic_write_entry(): high half then low; mask_ioapic_irq();
 * clear_IO_APIC_pin() with the version 0x20 EOI register), its pins as
 * devices drive them, its messages routed into local APICs, and the ways a
 * hostile guest could program it.
 */
#include "lg_emul.h"
#include "lgunit.h"

#define MASKED		0x10000U
#define LEVEL		0x8000U
#define REMOTE_IRR	0x4000U
#define LOGICAL		0x800U

static u32 io_read(struct lg_ioapic *io, u8 index)
{
	CHECK_EQ(lg_ioapic_mmio_write(io, 0x00, 4, index), 0);
	return lg_ioapic_mmio_read(io, 0x10, 4);
}

static u32 io_write(struct lg_ioapic *io, u8 index, u32 val)
{
	CHECK_EQ(lg_ioapic_mmio_write(io, 0x00, 4, index), 0);
	return lg_ioapic_mmio_write(io, 0x10, 4, val);
}

/* ioapic_write_entry(): the high half (destination) first. */
static u32 write_entry(struct lg_ioapic *io, unsigned int pin, u32 low,
		       u8 dest)
{
	u32 fire = io_write(io, 0x11 + 2 * pin, (u32)dest << 24);

	return fire | io_write(io, 0x10 + 2 * pin, low);
}

static u32 entry_low(struct lg_ioapic *io, unsigned int pin)
{
	return io_read(io, 0x10 + 2 * pin);
}

static void test_registers(void)
{
	struct lg_ioapic io;
	unsigned int pin;

	lg_ioapic_reset(&io);
	CHECK(lg_ioapic_owns_mmio(0xfec00000) && lg_ioapic_owns_mmio(0xfec00fff));
	CHECK(!lg_ioapic_owns_mmio(0xfec01000) && !lg_ioapic_owns_mmio(0xfebfffff));
	CHECK_EQ(io_read(&io, 1), 0x00170020);
	CHECK_EQ(io_read(&io, 0), 0);
	for (pin = 0; pin < 24; pin++) {
		tap_case("pin %u masked after reset", pin);
		CHECK_EQ(entry_low(&io, pin), MASKED);
		CHECK_EQ(io_read(&io, 0x11 + 2 * pin), 0);
	}
	tap_case("the ID (setup_ioapic_ids_from_mpc) and arbitration");
	io_write(&io, 0, 0x0f000000 | 0xf0ffffff);
	CHECK_EQ(io_read(&io, 0), 0x0f000000);
	CHECK_EQ(io_read(&io, 2), 0x0f000000);
	io_write(&io, 0, 2U << 24);
	CHECK_EQ(io_read(&io, 0), 2U << 24);
	tap_case("version and arbitration are read-only");
	io_write(&io, 1, 0);
	io_write(&io, 2, 0x0c000000);
	CHECK_EQ(io_read(&io, 1), 0x00170020);
	CHECK_EQ(io_read(&io, 2), 2U << 24);
	tap_case("IOREGSEL reads back");
	lg_ioapic_mmio_write(&io, 0x00, 4, 0x13);
	CHECK_EQ(lg_ioapic_mmio_read(&io, 0x00, 4), 0x13);
}

/* An ISA line, edge-triggered, fixed, physical to APIC 1. */
static void test_edge_pin(void)
{
	struct lg_ioapic io;
	struct lg_apic_msg msg;

	lg_ioapic_reset(&io);
	CHECK_EQ(write_entry(&io, 4, 0x0031, 1), 0);
	CHECK_EQ(entry_low(&io, 4), 0x31);
	CHECK_EQ(io_read(&io, 0x19), 1U << 24);
	CHECK_EQ(lg_ioapic_set_line(&io, 4, 1), 1U << 4);
	lg_ioapic_msg(&io, 4, &msg);
	CHECK_EQ(msg.dest, 1);
	CHECK_EQ(msg.vector, 0x31);
	CHECK_EQ(msg.delivery_mode, LG_APIC_DM_FIXED);
	CHECK_EQ(msg.shorthand, LG_APIC_SH_NONE);
	CHECK(!msg.logical && !msg.level && !msg.x2apic);
	tap_case("a line held high sends once");
	CHECK_EQ(lg_ioapic_set_line(&io, 4, 1), 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 4, 0), 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 4, 1), 1U << 4);
	CHECK_EQ(entry_low(&io, 4) & REMOTE_IRR, 0);
	tap_case("logical destination");
	write_entry(&io, 4, 0x0031 | LOGICAL, 0x0c);
	lg_ioapic_msg(&io, 4, &msg);
	CHECK(msg.logical);
	CHECK_EQ(msg.dest, 0x0c);
	tap_case("an edge on a masked pin is lost (82093AA)");
	lg_ioapic_set_line(&io, 4, 0);
	io_write(&io, 0x18, entry_low(&io, 4) | MASKED);	/* mask_ioapic_irq */
	CHECK_EQ(lg_ioapic_set_line(&io, 4, 1), 0);
	CHECK_EQ(io_write(&io, 0x18, entry_low(&io, 4) & ~MASKED), 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 4, 1), 0);
}

static void test_level_pin(void)
{
	struct lg_ioapic io;
	struct lg_apic_msg msg;

	lg_ioapic_reset(&io);
	CHECK_EQ(write_entry(&io, 10, 0x0041 | LEVEL, 0), 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 10, 1), 1U << 10);
	lg_ioapic_msg(&io, 10, &msg);
	CHECK(msg.level);
	CHECK_EQ(entry_low(&io, 10), 0x41 | LEVEL | REMOTE_IRR);
	tap_case("still high, no EOI yet: nothing more");
	CHECK_EQ(lg_ioapic_set_line(&io, 10, 1), 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 10, 0), 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 10, 1), 0);
	tap_case("EOI of another vector changes nothing");
	CHECK_EQ(lg_ioapic_eoi(&io, 0x42), 0);
	CHECK(entry_low(&io, 10) & REMOTE_IRR);
	tap_case("EOI while the line is high sends again");
	CHECK_EQ(lg_ioapic_eoi(&io, 0x41), 1U << 10);
	CHECK(entry_low(&io, 10) & REMOTE_IRR);
	tap_case("EOI after the device went quiet");
	lg_ioapic_set_line(&io, 10, 0);
	CHECK_EQ(lg_ioapic_eoi(&io, 0x41), 0);
	CHECK_EQ(entry_low(&io, 10) & REMOTE_IRR, 0);
	tap_case("the EOI register (version 0x20) does the same");
	CHECK_EQ(lg_ioapic_set_line(&io, 10, 1), 1U << 10);
	CHECK_EQ(lg_ioapic_mmio_write(&io, 0x40, 4, 0x41), 1U << 10);
	lg_ioapic_set_line(&io, 10, 0);
	CHECK_EQ(lg_ioapic_mmio_write(&io, 0x40, 4, 0x41), 0);
	CHECK_EQ(entry_low(&io, 10) & REMOTE_IRR, 0);
	tap_case("a level line raised while masked sends on unmask");
	io_write(&io, 0x24, 0x0041 | LEVEL | MASKED);
	CHECK_EQ(lg_ioapic_set_line(&io, 10, 1), 0);
	CHECK_EQ(io_write(&io, 0x24, 0x0041 | LEVEL), 1U << 10);
	tap_case("one EOI serves every pin of the vector");
	write_entry(&io, 11, 0x0041 | LEVEL, 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 11, 1), 1U << 11);
	CHECK_EQ(lg_ioapic_eoi(&io, 0x41), (1U << 10) | (1U << 11));
}

/* A device that never stops asserting and a handler that never EOIs. */
static void test_level_storm(void)
{
	struct lg_ioapic io;
	unsigned int i, sent = 0;

	lg_ioapic_reset(&io);
	write_entry(&io, 5, 0x0051 | LEVEL, 0);
	for (i = 0; i < 100000; i++)
		sent += !!lg_ioapic_set_line(&io, 5, i & 1 ? 0 : 1);
	CHECK_EQ(sent, 1);
	tap_case("with EOIs: one message per EOI, no more");
	lg_ioapic_set_line(&io, 5, 1);
	for (i = 0; i < 1000; i++)
		sent += !!lg_ioapic_eoi(&io, 0x51);
	CHECK_EQ(sent, 1001);
}

/* clear_IO_APIC_pin(): masked, set to level, EOI register, then zeroed. */
static void test_clear_pin(void)
{
	struct lg_ioapic io;

	lg_ioapic_reset(&io);
	write_entry(&io, 3, 0x0033 | LEVEL, 0);
	lg_ioapic_set_line(&io, 3, 1);
	lg_ioapic_set_line(&io, 3, 0);
	CHECK(entry_low(&io, 3) & REMOTE_IRR);
	CHECK_EQ(io_write(&io, 0x16, entry_low(&io, 3) | MASKED), 0);
	CHECK_EQ(entry_low(&io, 3), 0x33 | LEVEL | REMOTE_IRR | MASKED);
	CHECK_EQ(lg_ioapic_mmio_write(&io, 0x40, 4, 0x33), 0);
	CHECK_EQ(entry_low(&io, 3), 0x33 | LEVEL | MASKED);
	write_entry(&io, 3, MASKED, 0);			/* ioapic_mask_entry */
	CHECK_EQ(entry_low(&io, 3), MASKED);
	tap_case("switching a pin to edge clears remote IRR");
	write_entry(&io, 3, 0x0033 | LEVEL, 0);
	lg_ioapic_set_line(&io, 3, 1);
	CHECK(entry_low(&io, 3) & REMOTE_IRR);
	io_write(&io, 0x16, 0x0033 | MASKED);
	CHECK_EQ(entry_low(&io, 3), 0x33 | MASKED);
	tap_case("and so does turning it to NMI, which gets no EOI");
	write_entry(&io, 3, 0x0033 | LEVEL, 0);
	lg_ioapic_set_line(&io, 3, 0);
	lg_ioapic_set_line(&io, 3, 1);
	CHECK(entry_low(&io, 3) & REMOTE_IRR);
	io_write(&io, 0x16, 0x0400 | LEVEL);
	CHECK_EQ(entry_low(&io, 3), 0x400 | LEVEL);
}

static void test_hostile(void)
{
	struct lg_ioapic io;
	struct lg_apic_msg msg;
	unsigned int mode;

	lg_ioapic_reset(&io);
	tap_case("reserved bits and the chip's own bits do not stick");
	write_entry(&io, 0, 0xffffffff & ~MASKED & ~LEVEL, 0xff);
	CHECK_EQ(entry_low(&io, 0), 0x1afff & ~MASKED & ~LEVEL);
	io_write(&io, 0x11, 0xffffffff);
	CHECK_EQ(io_read(&io, 0x11), 0xff000000);
	tap_case("delivery modes that send nothing: SMI, 3, SIPI (6)");
	for (mode = 2; mode <= 6; mode++) {
		if (mode == 4 || mode == 5)
			continue;
		write_entry(&io, 7, mode << 8 | 0x60, 0);
		lg_ioapic_set_line(&io, 7, 0);
		CHECK_EQ(lg_ioapic_set_line(&io, 7, 1), 0);
		write_entry(&io, 7, mode << 8 | 0x60 | LEVEL, 0);
		lg_ioapic_set_line(&io, 7, 0);
		CHECK_EQ(lg_ioapic_set_line(&io, 7, 1), 0);
		CHECK_EQ(entry_low(&io, 7) & REMOTE_IRR, 0);
	}
	tap_case("NMI with the level bit: edges only, no remote IRR");
	write_entry(&io, 7, 0x0400 | LEVEL, 0);
	lg_ioapic_set_line(&io, 7, 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 7, 1), 1U << 7);
	CHECK_EQ(lg_ioapic_set_line(&io, 7, 1), 0);
	CHECK_EQ(entry_low(&io, 7) & REMOTE_IRR, 0);
	lg_ioapic_msg(&io, 7, &msg);
	CHECK(!msg.level);
	CHECK_EQ(msg.delivery_mode, LG_APIC_DM_NMI);
	tap_case("ExtINT on pin 0 (the 8259 through the I/O APIC)");
	write_entry(&io, 0, 0x0700, 0);
	lg_ioapic_set_line(&io, 0, 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 0, 1), 1U << 0);
	tap_case("indexes past the table, offsets that are no register");
	io_write(&io, 0x40, 0x12345678);
	CHECK_EQ(io_read(&io, 0x40), 0);
	CHECK_EQ(io_read(&io, 0xff), 0);
	CHECK_EQ(io_read(&io, 0x03), 0);
	CHECK_EQ(lg_ioapic_mmio_read(&io, 0x20, 4), 0);
	CHECK_EQ(lg_ioapic_mmio_read(&io, 0x40, 4), 0);
	CHECK_EQ(lg_ioapic_mmio_read(&io, 0xffc, 4), 0);
	CHECK_EQ(lg_ioapic_mmio_write(&io, 0xffc, 4, 1), 0);
	tap_case("sub-word accesses");
	lg_ioapic_mmio_write(&io, 0x00, 4, 0x01);
	CHECK_EQ(lg_ioapic_mmio_read(&io, 0x12, 1), 0x17);
	CHECK_EQ(lg_ioapic_mmio_read(&io, 0x10, 8), 0x00170020);
	CHECK_EQ(lg_ioapic_mmio_write(&io, 0x10, 2, 0xffff), 0);
	CHECK_EQ(io_read(&io, 0x01), 0x00170020);
	CHECK_EQ(lg_ioapic_mmio_write(&io, 0x00, 1, 0x10), 0);
	CHECK_EQ(lg_ioapic_mmio_read(&io, 0x00, 4), 0x10);
	write_entry(&io, 0, MASKED, 0);
	lg_ioapic_mmio_write(&io, 0x00, 4, 0x10);
	CHECK_EQ(lg_ioapic_mmio_write(&io, 0x10, 1, 0x31), 0);
	CHECK_EQ(entry_low(&io, 0), MASKED);
	tap_case("pins that do not exist");
	CHECK_EQ(lg_ioapic_set_line(&io, 24, 1), 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 1000000, 1), 0);
	lg_ioapic_msg(&io, 99, &msg);
	CHECK_EQ(msg.vector, 0);
	CHECK_EQ(msg.dest, 0);
}

/*
 * Messages into local APICs, the caller's way: a level pin to CPU 1, an
 * illegal vector refused by the APIC, flat logical to two CPUs.
 */
static void test_with_local_apics(void)
{
	struct lg_lapic apics[2];
	struct lg_lapic_out out;
	struct lg_apic_time now = { 1000000000, 0 };
	struct lg_ioapic io;
	struct lg_apic_msg msg;
	unsigned int i;
	u64 esr;

	lg_ioapic_reset(&io);
	for (i = 0; i < 2; i++) {
		lg_lapic_init(&apics[i], i, !i, 1000000);
		lg_lapic_mmio_write(&apics[i], 0xf0, 4, 0x1ff, now, &out);
		lg_lapic_mmio_write(&apics[i], 0xd0, 4, (1U << i) << 24, now,
				    &out);
	}
	write_entry(&io, 9, 0x0049 | LEVEL, 1);
	CHECK_EQ(lg_ioapic_set_line(&io, 9, 1), 1U << 9);
	lg_ioapic_msg(&io, 9, &msg);
	CHECK(!lg_lapic_accepts(&apics[0], &msg, false));
	CHECK(lg_lapic_accepts(&apics[1], &msg, false));
	CHECK_EQ(lg_lapic_deliver(&apics[1], msg.delivery_mode, msg.vector,
				  msg.level), LG_LAPIC_QUEUED);
	CHECK_EQ(lg_lapic_ack(&apics[1]), 0x49);
	tap_case("the APIC's EOI comes back as level, and re-sends");
	lg_lapic_mmio_write(&apics[1], 0xb0, 4, 0, now, &out);
	CHECK_EQ(out.flags, LG_LAPIC_OUT_EOI);
	CHECK(out.eoi_level);
	CHECK_EQ(lg_ioapic_eoi(&io, out.eoi_vector), 1U << 9);
	lg_ioapic_set_line(&io, 9, 0);
	tap_case("vector 5: refused by the APIC, the pin waits");
	write_entry(&io, 8, 0x0005 | LEVEL, 0);
	CHECK_EQ(lg_ioapic_set_line(&io, 8, 1), 1U << 8);
	lg_ioapic_msg(&io, 8, &msg);
	CHECK_EQ(lg_lapic_deliver(&apics[0], msg.delivery_mode, msg.vector,
				  msg.level), LG_LAPIC_IGNORED);
	lg_lapic_mmio_write(&apics[0], 0x280, 4, 0, now, &out);
	lg_lapic_mmio_read(&apics[0], 0x280, 4, &esr, now);
	CHECK_EQ(esr, 0x40);
	CHECK_EQ(lg_ioapic_set_line(&io, 8, 1), 0);
	CHECK_EQ(lg_ioapic_mmio_write(&io, 0x40, 4, 5), 1U << 8);
	tap_case("flat logical 0x3: both CPUs");
	write_entry(&io, 12, 0x0061 | LOGICAL, 0x03);
	CHECK_EQ(lg_ioapic_set_line(&io, 12, 1), 1U << 12);
	lg_ioapic_msg(&io, 12, &msg);
	CHECK(lg_lapic_accepts(&apics[0], &msg, false));
	CHECK(lg_lapic_accepts(&apics[1], &msg, false));
}


static u64 rng_state = 0x2545f4914f6cdd1dULL;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Random programming and line traffic: only pins that exist fire, the
 * reserved bits stay clear, and a level pin waiting for its EOI never
 * fires from its line.
 */
static void test_random_traffic(void)
{
	static const u32 offsets[] = { 0x00, 0x10, 0x40, 0x04, 0x20, 0xffc };
	struct lg_ioapic io;
	unsigned int i, pin;
	u32 fire;

	lg_ioapic_reset(&io);
	for (i = 0; i < 200000; i++) {
		pin = rnd() % 28;
		fire = 0;
		switch (rnd() % 4) {
		case 0:
			fire = lg_ioapic_mmio_write(&io,
					offsets[rnd() % ARRAY_SIZE(offsets)],
					rnd() % 3 ? 4 : 1 + rnd() % 8,
					rnd() % 2 ? rnd() % 0x40 : rnd());
			break;
		case 1:
			lg_ioapic_mmio_read(&io, offsets[rnd() %
					    ARRAY_SIZE(offsets)], 1 + rnd() % 8);
			break;
		case 2: {
			bool waiting = pin < 24 &&
				       (io.redir[pin] & REMOTE_IRR);

			fire = lg_ioapic_set_line(&io, pin, rnd() % 2);
			if (waiting)
				CHECK_EQ(fire & (1U << pin), 0);
			break;
		}
		default:
			fire = lg_ioapic_eoi(&io, rnd());
			break;
		}
		CHECK_EQ(fire >> 24, 0);
		if (pin < 24) {
			CHECK_EQ(io.redir[pin] & 0x00fffffffffe0000ULL, 0);
			if (io.redir[pin] & REMOTE_IRR)
				CHECK(io.redir[pin] & LEVEL);
		}
		if (tap_test_failing())
			break;
	}
}

const struct tap_test ioapic_tests[] = {
	{ "ioapic: registers after reset, ID, version, IOREGSEL", test_registers },
	{ "ioapic: edge pin as Linux programs it; masked edges lost",
	  test_edge_pin },
	{ "ioapic: level pin, remote IRR, EOI broadcast and EOI register",
	  test_level_pin },
	{ "ioapic: a level storm without EOI is one message", test_level_storm },
	{ "ioapic: clear_IO_APIC_pin and edge clearing remote IRR",
	  test_clear_pin },
	{ "ioapic: hostile programming stays bounded", test_hostile },
	{ "ioapic: messages routed into local APICs", test_with_local_apics },
	{ "ioapic: random hostile traffic keeps the invariants",
	  test_random_traffic },
};
const unsigned int ioapic_test_count = ARRAY_SIZE(ioapic_tests);
