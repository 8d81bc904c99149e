// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair, driven through its ports the way Linux's i8259 driver
 * does (arch/x86/kernel/i8259.c: probe_8259A, init_8259A, the specific
 * EOIs of mask_and_ack_8259A) and checked through what the guest can see:
 * register reads and the vectors the INTA cycle returns.
 */
#include "lg_emul.h"
#include "lgunit.h"

static u8 pic_in(struct lg_pic *pic, u16 port)
{
	u8 val = 0x5a;

	CHECK_EQ(lg_pic_io(pic, port, false, &val), 0);
	return val;
}

static void pic_out(struct lg_pic *pic, u16 port, u8 val)
{
	CHECK_EQ(lg_pic_io(pic, port, true, &val), 0);
}

/* init_8259A(): mask all, ICW1-4 to master then slave, restore masks. */
static void pic_linux_init(struct lg_pic *pic, bool auto_eoi)
{
	lg_pic_reset(pic);
	/* probe_8259A(): mask the slave, write a master mask, read it. */
	pic_out(pic, 0xa1, 0xff);
	pic_out(pic, 0x21, 0xfb);
	CHECK_EQ(pic_in(pic, 0x21), 0xfb);

	pic_out(pic, 0x21, 0xff);
	pic_out(pic, 0x20, 0x11);
	pic_out(pic, 0x21, 0x30);
	pic_out(pic, 0x21, 0x04);
	pic_out(pic, 0x21, auto_eoi ? 0x03 : 0x01);
	pic_out(pic, 0xa0, 0x11);
	pic_out(pic, 0xa1, 0x38);
	pic_out(pic, 0xa1, 0x02);
	pic_out(pic, 0xa1, 0x01);
	/* Everything masked but the cascade, as Linux's cached mask. */
	pic_out(pic, 0x21, 0xfb);
	pic_out(pic, 0xa1, 0xff);
}

static void pulse(struct lg_pic *pic, unsigned int line)
{
	lg_pic_set_line(pic, line, 1);
	lg_pic_set_line(pic, line, 0);
}

static u8 read_isr(struct lg_pic *pic, u16 cmd)
{
	u8 isr;

	pic_out(pic, cmd, 0x0b);
	isr = pic_in(pic, cmd);
	pic_out(pic, cmd, 0x0a);
	return isr;
}

static void test_linux_init(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	CHECK_EQ(pic_in(&pic, 0x21), 0xfb);
	CHECK_EQ(pic_in(&pic, 0xa1), 0xff);
	CHECK_EQ(pic.chip[0].vector_base, 0x30);
	CHECK_EQ(pic.chip[1].vector_base, 0x38);
	CHECK_EQ(pic.chip[0].init_step, 0);
	CHECK_EQ(pic.chip[1].init_step, 0);
	CHECK(!lg_pic_has_interrupt(&pic));
	/* enable_8259A_irq(0) then a timer edge: vector 0x30. */
	pic_out(&pic, 0x21, 0xfa);
	pulse(&pic, 0);
	CHECK(lg_pic_has_interrupt(&pic));
	CHECK_EQ(lg_pic_ack(&pic), 0x30);
	CHECK(!lg_pic_has_interrupt(&pic));
}

static void test_ports(void)
{
	struct lg_pic pic;
	u8 val = 0;

	lg_pic_reset(&pic);
	CHECK(lg_pic_owns_port(0x20) && lg_pic_owns_port(0x21));
	CHECK(lg_pic_owns_port(0xa0) && lg_pic_owns_port(0xa1));
	CHECK(lg_pic_owns_port(0x4d0) && lg_pic_owns_port(0x4d1));
	CHECK(!lg_pic_owns_port(0x22) && !lg_pic_owns_port(0x40));
	CHECK_EQ(lg_pic_io(&pic, 0x22, false, &val), -EINVAL);
	CHECK_EQ(lg_pic_io(&pic, 0x4d2, true, &val), -EINVAL);
}

static void test_mask(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pulse(&pic, 1);
	CHECK(!lg_pic_has_interrupt(&pic));
	/* The request is latched in IRR though (OCW3 0x0a: read IRR). */
	pic_out(&pic, 0x20, 0x0a);
	CHECK_EQ(pic_in(&pic, 0x20) & 0x02, 0x02);
	pic_out(&pic, 0x21, 0xf9);
	CHECK(lg_pic_has_interrupt(&pic));
	CHECK_EQ(lg_pic_ack(&pic), 0x31);
	CHECK_EQ(pic_in(&pic, 0x20) & 0x02, 0);
}

static void test_edge_latch(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x21, 0xf3);	/* unmask 3 */
	pulse(&pic, 3);
	CHECK(lg_pic_has_interrupt(&pic));
	CHECK_EQ(lg_pic_ack(&pic), 0x33);
	pic_out(&pic, 0x20, 0x63);
	/* A line held high asks once: no new edge, no new request. */
	lg_pic_set_line(&pic, 3, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x33);
	pic_out(&pic, 0x20, 0x63);
	CHECK(!lg_pic_has_interrupt(&pic));
	lg_pic_set_line(&pic, 3, 1);
	CHECK(!lg_pic_has_interrupt(&pic));
	lg_pic_set_line(&pic, 3, 0);
	lg_pic_set_line(&pic, 3, 1);
	CHECK(lg_pic_has_interrupt(&pic));
}

static void test_eoi(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x21, 0xe0);	/* lines 0-4 open */
	pulse(&pic, 4);
	CHECK_EQ(lg_pic_ack(&pic), 0x34);
	CHECK_EQ(read_isr(&pic, 0x20), 0x10);
	/* The same line again waits for the EOI. */
	pulse(&pic, 4);
	CHECK(!lg_pic_has_interrupt(&pic));
	tap_case("specific EOI 0x64");
	pic_out(&pic, 0x20, 0x64);
	CHECK_EQ(read_isr(&pic, 0x20), 0);
	CHECK(lg_pic_has_interrupt(&pic));
	CHECK_EQ(lg_pic_ack(&pic), 0x34);
	tap_case("nested: line 1 preempts 4; non-specific EOI ends 1");
	pulse(&pic, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x31);
	CHECK_EQ(read_isr(&pic, 0x20), 0x12);
	pic_out(&pic, 0x20, 0x20);
	CHECK_EQ(read_isr(&pic, 0x20), 0x10);
	pic_out(&pic, 0x20, 0x20);
	CHECK_EQ(read_isr(&pic, 0x20), 0);
}

static void test_priority(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x21, 0x00);
	pulse(&pic, 4);
	pulse(&pic, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x31);
	/* Line 4 is lower than the 1 in service: it waits. */
	CHECK(!lg_pic_has_interrupt(&pic));
	pulse(&pic, 0);
	CHECK_EQ(lg_pic_ack(&pic), 0x30);
	pic_out(&pic, 0x20, 0x60);
	pic_out(&pic, 0x20, 0x61);
	CHECK_EQ(lg_pic_ack(&pic), 0x34);
	pic_out(&pic, 0x20, 0x64);

	tap_case("set priority (OCW2 0xc3): line 4 first, then 1");
	pic_out(&pic, 0x20, 0xc3);
	pulse(&pic, 1);
	pulse(&pic, 4);
	CHECK_EQ(lg_pic_ack(&pic), 0x34);
	pic_out(&pic, 0x20, 0x64);
	CHECK_EQ(lg_pic_ack(&pic), 0x31);
	pic_out(&pic, 0x20, 0x61);

	tap_case("rotate on non-specific EOI (0xa0) sends 1 to the back");
	pic_out(&pic, 0x20, 0xc7);
	pulse(&pic, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x31);
	pic_out(&pic, 0x20, 0xa0);
	CHECK_EQ(pic.chip[0].priority_base, 1);
	pulse(&pic, 1);
	pulse(&pic, 6);
	CHECK_EQ(lg_pic_ack(&pic), 0x36);
	pic_out(&pic, 0x20, 0xe6);	/* rotate on specific EOI */
	CHECK_EQ(pic.chip[0].priority_base, 6);
	CHECK_EQ(lg_pic_ack(&pic), 0x31);
}

static void test_cascade(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x21, 0xf1);	/* 1, 2, 3 open */
	pic_out(&pic, 0xa1, 0xef);	/* 12 open */
	lg_pic_set_line(&pic, 12, 1);
	CHECK(lg_pic_has_interrupt(&pic));
	/* The master sees the slave on line 2 of its IRR. */
	pic_out(&pic, 0x20, 0x0a);
	CHECK_EQ(pic_in(&pic, 0x20), 0x04);
	pic_out(&pic, 0xa0, 0x0a);
	CHECK_EQ(pic_in(&pic, 0xa0), 0x10);
	CHECK_EQ(lg_pic_ack(&pic), 0x3c);
	CHECK_EQ(read_isr(&pic, 0x20), 0x04);
	CHECK_EQ(read_isr(&pic, 0xa0), 0x10);
	tap_case("line 3 waits behind the cascade, line 1 does not");
	pulse(&pic, 3);
	CHECK(!lg_pic_has_interrupt(&pic));
	pulse(&pic, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x31);
	pic_out(&pic, 0x20, 0x61);
	tap_case("Linux's EOI for IRQ 12: slave 0x64, master 0x62");
	pic_out(&pic, 0xa0, 0x64);
	pic_out(&pic, 0x20, 0x62);
	CHECK_EQ(read_isr(&pic, 0x20), 0);
	CHECK_EQ(read_isr(&pic, 0xa0), 0);
	CHECK_EQ(lg_pic_ack(&pic), 0x33);
	tap_case("a masked slave line does not reach the master");
	pic_out(&pic, 0x20, 0x63);
	pic_out(&pic, 0xa1, 0xff);
	lg_pic_set_line(&pic, 12, 0);
	lg_pic_set_line(&pic, 12, 1);
	CHECK(!lg_pic_has_interrupt(&pic));
}

/*
 * With the slave in auto-EOI and two requests, the slave keeps asking
 * after the first acknowledge: the master must see that as a new edge.
 */
static void test_cascade_aeoi(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, true);
	pic_out(&pic, 0xa0, 0x11);
	pic_out(&pic, 0xa1, 0x38);
	pic_out(&pic, 0xa1, 0x02);
	pic_out(&pic, 0xa1, 0x03);
	pic_out(&pic, 0xa1, 0xf9);	/* 9 and 10 open */
	lg_pic_set_line(&pic, 10, 1);
	lg_pic_set_line(&pic, 9, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x39);
	CHECK(lg_pic_has_interrupt(&pic));
	CHECK_EQ(lg_pic_ack(&pic), 0x3a);
	CHECK(!lg_pic_has_interrupt(&pic));
	CHECK_EQ(read_isr(&pic, 0x20), 0);
	CHECK_EQ(read_isr(&pic, 0xa0), 0);
}

static void test_spurious_master(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x21, 0xf3);
	pulse(&pic, 3);
	CHECK(lg_pic_has_interrupt(&pic));
	/* The guest masks the line before the CPU acknowledges. */
	pic_out(&pic, 0x21, 0xfb);
	CHECK_EQ(lg_pic_ack(&pic), 0x37);
	CHECK_EQ(read_isr(&pic, 0x20), 0);
	CHECK_EQ(read_isr(&pic, 0xa0), 0);
}

static void test_spurious_slave(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x4d1, 0x04);	/* IRQ 10 level-triggered */
	pic_out(&pic, 0xa1, 0xfb);
	lg_pic_set_line(&pic, 10, 1);
	CHECK(lg_pic_has_interrupt(&pic));
	lg_pic_set_line(&pic, 10, 0);
	CHECK_EQ(lg_pic_ack(&pic), 0x3f);
	CHECK_EQ(read_isr(&pic, 0xa0), 0);
	/* The master did take line 2: Linux EOIs it for IRQ 15 too. */
	CHECK_EQ(read_isr(&pic, 0x20), 0x04);
	pic_out(&pic, 0x20, 0x62);
	CHECK_EQ(read_isr(&pic, 0x20), 0);
}

static void test_elcr_level(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x4d0, 0xff);
	pic_out(&pic, 0x4d1, 0xff);
	/* Lines 0-2, 8 and 13 are edge-only on a PC chipset. */
	CHECK_EQ(pic_in(&pic, 0x4d0), 0xf8);
	CHECK_EQ(pic_in(&pic, 0x4d1), 0xde);
	pic_out(&pic, 0x4d0, 0x20);
	pic_out(&pic, 0x4d1, 0x00);
	pic_out(&pic, 0x21, 0xdb);	/* 5 open */
	lg_pic_set_line(&pic, 5, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x35);
	pic_out(&pic, 0x20, 0x65);
	/* Still high after the EOI: still asking. */
	CHECK(lg_pic_has_interrupt(&pic));
	CHECK_EQ(lg_pic_ack(&pic), 0x35);
	lg_pic_set_line(&pic, 5, 0);
	pic_out(&pic, 0x20, 0x65);
	CHECK(!lg_pic_has_interrupt(&pic));
	pic_out(&pic, 0x20, 0x0a);
	CHECK_EQ(pic_in(&pic, 0x20) & 0x20, 0);
	tap_case("switching a high line to level makes it ask");
	pic_out(&pic, 0x4d0, 0x00);
	lg_pic_set_line(&pic, 5, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x35);
	pic_out(&pic, 0x20, 0x65);
	CHECK(!lg_pic_has_interrupt(&pic));
	pic_out(&pic, 0x4d0, 0x20);
	CHECK(lg_pic_has_interrupt(&pic));
}

static void test_poll(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x21, 0xf8);
	pic_out(&pic, 0x20, 0x0c);
	CHECK_EQ(pic_in(&pic, 0x20), 0x00);
	pulse(&pic, 1);
	pic_out(&pic, 0x20, 0x0c);
	CHECK_EQ(pic_in(&pic, 0x20), 0x81);
	CHECK_EQ(read_isr(&pic, 0x20), 0x02);
	CHECK(!lg_pic_has_interrupt(&pic));
	/* The poll applies to one read: the next shows IRR again. */
	CHECK_EQ(pic_in(&pic, 0x20), 0x00);
}

static void test_auto_eoi(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, true);
	pic_out(&pic, 0x21, 0xfa);
	pulse(&pic, 0);
	CHECK_EQ(lg_pic_ack(&pic), 0x30);
	CHECK_EQ(read_isr(&pic, 0x20), 0);
	pulse(&pic, 0);
	CHECK(lg_pic_has_interrupt(&pic));
	tap_case("rotate in auto-EOI mode (OCW2 0x80)");
	pic_out(&pic, 0x20, 0x80);
	CHECK_EQ(lg_pic_ack(&pic), 0x30);
	CHECK_EQ(pic.chip[0].priority_base, 0);
}

static void test_special_mask(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x21, 0xd3);	/* 2, 3, 5 open */
	pulse(&pic, 3);
	CHECK_EQ(lg_pic_ack(&pic), 0x33);
	pulse(&pic, 5);
	CHECK(!lg_pic_has_interrupt(&pic));
	/* The handler masks its own line and sets special mask mode. */
	pic_out(&pic, 0x21, 0xdb);
	pic_out(&pic, 0x20, 0x68);
	CHECK(lg_pic_has_interrupt(&pic));
	CHECK_EQ(lg_pic_ack(&pic), 0x35);
	pic_out(&pic, 0x20, 0x48);	/* reset special mask */
	pic_out(&pic, 0x20, 0x65);
	pulse(&pic, 5);
	CHECK(!lg_pic_has_interrupt(&pic));
}

static void test_reinit_and_single(void)
{
	struct lg_pic pic;

	pic_linux_init(&pic, false);
	pic_out(&pic, 0x21, 0xfe);
	pulse(&pic, 0);
	/* ICW1 forgets latched edges and clears the mask. */
	pic_out(&pic, 0x20, 0x11);
	CHECK(!lg_pic_has_interrupt(&pic));
	pic_out(&pic, 0x21, 0x50);
	pic_out(&pic, 0x21, 0x04);
	pic_out(&pic, 0x21, 0x01);
	CHECK_EQ(pic_in(&pic, 0x21), 0x00);
	pulse(&pic, 0);
	CHECK_EQ(lg_pic_ack(&pic), 0x50);
	tap_case("a high level-triggered line still asks after ICW1");
	pic_out(&pic, 0x4d0, 0x08);
	lg_pic_set_line(&pic, 3, 1);
	pic_out(&pic, 0x20, 0x11);
	pic_out(&pic, 0x21, 0x50);
	pic_out(&pic, 0x21, 0x04);
	pic_out(&pic, 0x21, 0x01);
	CHECK_EQ(lg_pic_ack(&pic), 0x53);
	pic_out(&pic, 0x4d0, 0x00);
	lg_pic_set_line(&pic, 3, 0);
	tap_case("single mode without ICW4: ICW2 ends the sequence");
	pic_out(&pic, 0x20, 0x12);
	pic_out(&pic, 0x21, 0x67);	/* low three bits ignored */
	CHECK_EQ(pic.chip[0].init_step, 0);
	pic_out(&pic, 0x21, 0xfd);
	CHECK_EQ(pic_in(&pic, 0x21), 0xfd);
	pulse(&pic, 1);
	CHECK_EQ(lg_pic_ack(&pic), 0x61);
}

const struct tap_test pic_tests[] = {
	{ "pic: Linux probe and init_8259A sequence", test_linux_init },
	{ "pic: ports owned and refused", test_ports },
	{ "pic: mask holds a latched request", test_mask },
	{ "pic: edge latching", test_edge_latch },
	{ "pic: specific and non-specific EOI", test_eoi },
	{ "pic: priorities and rotation", test_priority },
	{ "pic: slave cascaded on master line 2", test_cascade },
	{ "pic: slave in auto-EOI with two requests", test_cascade_aeoi },
	{ "pic: spurious IRQ 7", test_spurious_master },
	{ "pic: spurious IRQ 15 via the slave", test_spurious_slave },
	{ "pic: ELCR level-triggered lines", test_elcr_level },
	{ "pic: poll mode", test_poll },
	{ "pic: auto-EOI", test_auto_eoi },
	{ "pic: special mask mode", test_special_mask },
	{ "pic: re-initialisation and single mode", test_reinit_and_single },
};
const unsigned int pic_test_count = ARRAY_SIZE(pic_tests);
