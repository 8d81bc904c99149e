// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's interrupt controller: a pair of Intel 8259A PICs, master at
 * ports 0x20-0x21 and slave at 0xa0-0xa1 cascaded on the master's line 2,
 * plus the chipset's edge/level control registers (ELCR) at 0x4d0-0x4d1.
 */

/*H:500 Our guest has no local APIC, so every interrupt it ever sees comes
 * through the oldest interrupt controller of the PC: two 8259As.  Each chip
 * has eight input lines and three 8-bit registers: IRR (lines asking for
 * service), IMR (lines the guest masked) and ISR (lines being serviced,
 * whose handler has not yet said "end of interrupt").  The slave's output
 * is wired to the master's line 2, which is why the guest's IRQ 2 never
 * exists and IRQs 8-15 come "through" it.
 *
 * We emulate it in the host module rather than in the launcher because the
 * question "does the guest have an interrupt to take?" is asked on every
 * entry into the guest; a trip to userspace for it would cost more than
 * the whole world switch.
 */
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#endif

#include "lg_emul.h"

#define LG_PIC_MASTER_CMD	0x20
#define LG_PIC_MASTER_DATA	0x21
#define LG_PIC_SLAVE_CMD	0xa0
#define LG_PIC_SLAVE_DATA	0xa1
#define LG_PIC_ELCR_MASTER	0x4d0
#define LG_PIC_ELCR_SLAVE	0x4d1
#define LG_PIC_CASCADE_LINE	2

/* Command port bits that tell ICW1, OCW2 and OCW3 apart. */
#define LG_PIC_ICW1		0x10
#define LG_PIC_OCW3		0x08
#define LG_PIC_ICW1_IC4		0x01
#define LG_PIC_ICW1_SNGL	0x02
#define LG_PIC_ICW4_AEOI	0x02
#define LG_PIC_OCW3_RIS		0x01
#define LG_PIC_OCW3_RR		0x02
#define LG_PIC_OCW3_POLL	0x04
#define LG_PIC_OCW3_SMM		0x20
#define LG_PIC_OCW3_ESMM	0x40

/*
 * On a PC chipset the timer, keyboard and cascade lines (0, 1, 2) and the
 * RTC and FPU lines (8, 13) are always edge-triggered: their ELCR bits read
 * as zero whatever is written.  Linux's save_ELCR() masks the same bits.
 */
#define LG_PIC_ELCR_MASTER_BITS	0xf8
#define LG_PIC_ELCR_SLAVE_BITS	0xde

static void lg_pic_chip_reset(struct lg_pic_chip *chip)
{
	u8 level = chip->line_level, elcr = chip->elcr;

	memset(chip, 0, sizeof(*chip));
	chip->line_level = level;
	chip->elcr = elcr;
	chip->priority_base = 7;
}

void lg_pic_reset(struct lg_pic *pic)
{
	memset(pic, 0, sizeof(*pic));
	lg_pic_chip_reset(&pic->chip[0]);
	lg_pic_chip_reset(&pic->chip[1]);
}

/*H:510 Priorities on an 8259 go round in a circle: the line after
 * priority_base is the most important, priority_base itself the least.
 * After a reset priority_base is 7, so line 0 (the timer) wins over line 1
 * and so on; the "rotate" commands move the circle so that a line just
 * served goes to the back of the queue.  rank() turns a line number into
 * its place in that circle: 0 is the highest priority.
 */
static unsigned int lg_pic_rank(const struct lg_pic_chip *chip,
				unsigned int line)
{
	return (line - chip->priority_base - 1) & 7;
}

/* The highest-priority line set in bits, or -1 if none is. */
static int lg_pic_highest(const struct lg_pic_chip *chip, u8 bits)
{
	unsigned int i, line;

	for (i = 0; i < 8; i++) {
		line = (chip->priority_base + 1 + i) & 7;
		if (bits & BIT(line))
			return line;
	}
	return -1;
}

/*
 * The line this chip would deliver if asked now, given its requests
 * (already masked), or -1.  A request must beat everything in service:
 * the fully nested mode.  In special mask mode the guest asks for the
 * opposite: a masked line in service no longer blocks anything, so that a
 * handler which masks its own line lets lower-priority interrupts in.
 */
static int lg_pic_chip_pending(const struct lg_pic_chip *chip, u8 requests)
{
	u8 blocking = chip->isr;
	int line, busy;

	if (chip->init_step)
		return -1;
	if (chip->special_mask)
		blocking &= ~chip->imr;
	line = lg_pic_highest(chip, requests);
	if (line < 0)
		return -1;
	busy = lg_pic_highest(chip, blocking);
	if (busy >= 0 && lg_pic_rank(chip, busy) <= lg_pic_rank(chip, line))
		return -1;
	return line;
}

static int lg_pic_slave_pending(const struct lg_pic *pic)
{
	const struct lg_pic_chip *slave = &pic->chip[1];

	return lg_pic_chip_pending(slave, slave->irr & ~slave->imr);
}

static int lg_pic_master_pending(const struct lg_pic *pic)
{
	const struct lg_pic_chip *master = &pic->chip[0];

	return lg_pic_chip_pending(master, master->irr & ~master->imr);
}

bool lg_pic_has_interrupt(const struct lg_pic *pic)
{
	return lg_pic_master_pending(pic) >= 0;
}

/*H:520 An edge-triggered line asks once, when it goes from low to high:
 * the request stays latched in IRR until the CPU acknowledges it, even if
 * the line drops again.  A level-triggered line (its ELCR bit set: the
 * chipset runs it so that PCI-style shared interrupts work) asks for as
 * long as it is high, and stops asking the moment it goes low.  That is
 * what lets a device lower its interrupt when the driver has read its
 * status, without the guest ever seeing a stale one.
 */
static void lg_pic_chip_set_line(struct lg_pic_chip *chip, unsigned int line,
				 int level)
{
	u8 bit = BIT(line);

	if (chip->elcr & bit) {
		if (level)
			chip->irr |= bit;
		else
			chip->irr &= ~bit;
	} else if (level && !(chip->line_level & bit)) {
		chip->irr |= bit;
	}
	if (level)
		chip->line_level |= bit;
	else
		chip->line_level &= ~bit;
}

/*
 * The slave's output is an input of the master, line 2, edge-triggered
 * like the others: when the slave starts asking, the master latches a
 * request on line 2 and keeps it even if the slave's request goes away
 * (which is how a spurious IRQ 15 happens).  Every change to the slave's
 * state passes through here.
 */
static void lg_pic_update_cascade(struct lg_pic *pic)
{
	lg_pic_chip_set_line(&pic->chip[0], LG_PIC_CASCADE_LINE,
			     lg_pic_slave_pending(pic) >= 0);
}

void lg_pic_set_line(struct lg_pic *pic, unsigned int line, int level)
{
	/* Line 2 is the slave's wire; nothing else can drive it. */
	if (line > 15 || line == LG_PIC_CASCADE_LINE)
		return;
	lg_pic_chip_set_line(&pic->chip[line >> 3], line & 7, level);
	lg_pic_update_cascade(pic);
}

/*
 * The chip takes the line: it leaves IRR (a level line that is still high
 * asks again at once, but ISR holds it back until the EOI) and enters ISR,
 * unless the chip ends interrupts by itself (auto-EOI).
 */
static void lg_pic_chip_accept(struct lg_pic_chip *chip, unsigned int line)
{
	u8 bit = BIT(line);

	chip->irr &= ~bit;
	if ((chip->elcr & bit) && (chip->line_level & bit))
		chip->irr |= bit;
	if (!chip->auto_eoi)
		chip->isr |= bit;
	else if (chip->rotate_on_aeoi)
		chip->priority_base = line;
}

/*H:530 The CPU acknowledges an interrupt with two INTA cycles; on the
 * second one the chip puts the vector on the bus.  When the master's
 * winner is line 2, the slave supplies the vector instead.  If the request
 * that raised the interrupt went away in between (a level line dropped, or
 * the guest masked it), the chip has nothing to give and answers with its
 * line 7 vector without setting any ISR bit: the famous "spurious IRQ 7",
 * or IRQ 15 when the slave is the one that lost its request (the master
 * then did take line 2, so its ISR bit 2 is set and wants an EOI, which
 * Linux sends).
 */
u8 lg_pic_ack(struct lg_pic *pic)
{
	struct lg_pic_chip *master = &pic->chip[0], *slave = &pic->chip[1];
	int line = lg_pic_master_pending(pic);
	int slave_line;

	if (line < 0)
		return master->vector_base | 7;
	if (line != LG_PIC_CASCADE_LINE) {
		lg_pic_chip_accept(master, line);
		return master->vector_base | line;
	}
	slave_line = lg_pic_slave_pending(pic);
	lg_pic_chip_accept(master, LG_PIC_CASCADE_LINE);
	if (slave_line >= 0)
		lg_pic_chip_accept(slave, slave_line);
	/*
	 * The slave lowers its output for the acknowledge: if it still has
	 * something to say afterwards, that is a new edge for the master.
	 */
	master->line_level &= ~BIT(LG_PIC_CASCADE_LINE);
	lg_pic_update_cascade(pic);
	return slave->vector_base | (slave_line < 0 ? 7 : slave_line);
}

/*
 * Poll mode: instead of interrupting, the guest reads the chip, and that
 * read is the acknowledge: bit 7 says whether a line was waiting, bits 0-2
 * which one.
 */
static u8 lg_pic_poll(struct lg_pic *pic, unsigned int which)
{
	struct lg_pic_chip *chip = &pic->chip[which];
	int line;

	chip->poll = 0;
	if (which == 0)
		line = lg_pic_master_pending(pic);
	else
		line = lg_pic_slave_pending(pic);
	if (line < 0)
		return 0;
	lg_pic_chip_accept(chip, line);
	return 0x80 | line;
}

/*H:540 The end of interrupt (OCW2).  Linux sends a "specific" EOI naming
 * the line (0x60 + line), to the slave and then to the master's line 2 for
 * IRQs 8-15; other systems send a "non-specific" one, which ends whatever
 * has the highest priority in service.  The rotating variants also move
 * the priority circle so the line just ended becomes the least important.
 */
static void lg_pic_ocw2(struct lg_pic_chip *chip, u8 val)
{
	unsigned int level = val & 7;
	int line;

	switch (val >> 5) {
	case 0:		/* clear rotate in automatic EOI mode */
	case 4:		/* set it */
		chip->rotate_on_aeoi = (val >> 5) == 4;
		break;
	case 1:		/* non-specific EOI */
	case 5:		/* ... and rotate */
		line = lg_pic_highest(chip, chip->isr);
		if (line < 0)
			break;
		chip->isr &= ~BIT(line);
		if (val & 0x80)
			chip->priority_base = line;
		break;
	case 3:		/* specific EOI */
	case 7:		/* ... and rotate */
		chip->isr &= ~BIT(level);
		if (val & 0x80)
			chip->priority_base = level;
		break;
	case 6:		/* set priority: level becomes the lowest */
		chip->priority_base = level;
		break;
	default:	/* 2: no operation */
		break;
	}
}

static void lg_pic_ocw3(struct lg_pic_chip *chip, u8 val)
{
	if (val & LG_PIC_OCW3_ESMM)
		chip->special_mask = !!(val & LG_PIC_OCW3_SMM);
	if (val & LG_PIC_OCW3_POLL)
		chip->poll = 1;
	if (val & LG_PIC_OCW3_RR)
		chip->read_isr = !!(val & LG_PIC_OCW3_RIS);
}

/*H:550 Initialisation is a little state machine: a write to the command
 * port with bit 4 set (ICW1) starts it and resets the chip; then the data
 * port takes ICW2 (the vector base: the top five bits), ICW3 (who is
 * cascaded where; our wiring is fixed, so we only step over it) and, if
 * ICW1 asked for it, ICW4 (8086 mode, auto-EOI).  Linux's init_8259A()
 * sends 0x11, 0x30, 0x04, 0x01 to the master and 0x11, 0x38, 0x02, 0x01
 * to the slave.  After ICW1 the edge detectors start afresh: a line that
 * is already high must go low and high again before it is seen, except a
 * level-triggered one, which is simply still asking.
 */
static void lg_pic_icw1(struct lg_pic_chip *chip, u8 val)
{
	lg_pic_chip_reset(chip);
	chip->irr = chip->elcr & chip->line_level;
	chip->icw4_needed = !!(val & LG_PIC_ICW1_IC4);
	chip->single = !!(val & LG_PIC_ICW1_SNGL);
	chip->init_step = 1;
}

static void lg_pic_init_word(struct lg_pic_chip *chip, u8 val)
{
	switch (chip->init_step) {
	case 1:			/* ICW2 */
		chip->vector_base = val & 0xf8;
		chip->init_step = chip->single ? 3 : 2;
		break;
	case 2:			/* ICW3: the cascade wiring is fixed */
		chip->init_step = 3;
		break;
	default:		/* ICW4 */
		chip->auto_eoi = !!(val & LG_PIC_ICW4_AEOI);
		chip->init_step = 0;
		return;
	}
	if (chip->init_step == 3 && !chip->icw4_needed)
		chip->init_step = 0;
}

static void lg_pic_write(struct lg_pic *pic, unsigned int which, bool data,
			 u8 val)
{
	struct lg_pic_chip *chip = &pic->chip[which];

	if (data) {
		if (chip->init_step)
			lg_pic_init_word(chip, val);
		else
			chip->imr = val;
	} else if (val & LG_PIC_ICW1) {
		lg_pic_icw1(chip, val);
	} else if (val & LG_PIC_OCW3) {
		lg_pic_ocw3(chip, val);
	} else {
		lg_pic_ocw2(chip, val);
	}
}

static u8 lg_pic_read(struct lg_pic *pic, unsigned int which, bool data)
{
	struct lg_pic_chip *chip = &pic->chip[which];

	if (chip->poll)
		return lg_pic_poll(pic, which);
	if (data)
		return chip->imr;
	if (chip->read_isr)
		return chip->isr;
	return chip->irr;
}

bool lg_pic_owns_port(u16 port)
{
	switch (port) {
	case LG_PIC_MASTER_CMD:
	case LG_PIC_MASTER_DATA:
	case LG_PIC_SLAVE_CMD:
	case LG_PIC_SLAVE_DATA:
	case LG_PIC_ELCR_MASTER:
	case LG_PIC_ELCR_SLAVE:
		return true;
	}
	return false;
}

/*
 * Making a line level-triggered while it is high turns it into a request
 * at once; making it edge-triggered keeps what is latched.
 */
static void lg_pic_elcr_write(struct lg_pic_chip *chip, u8 val, u8 allowed)
{
	chip->elcr = val & allowed;
	chip->irr |= chip->elcr & chip->line_level;
	chip->irr &= ~(chip->elcr & ~chip->line_level);
}

int lg_pic_io(struct lg_pic *pic, u16 port, bool is_write, u8 *val)
{
	unsigned int which;

	switch (port) {
	case LG_PIC_ELCR_MASTER:
	case LG_PIC_ELCR_SLAVE:
		which = port - LG_PIC_ELCR_MASTER;
		if (is_write)
			lg_pic_elcr_write(&pic->chip[which], *val,
					  which ? LG_PIC_ELCR_SLAVE_BITS :
						  LG_PIC_ELCR_MASTER_BITS);
		else
			*val = pic->chip[which].elcr;
		lg_pic_update_cascade(pic);
		return 0;
	case LG_PIC_MASTER_CMD:
	case LG_PIC_MASTER_DATA:
	case LG_PIC_SLAVE_CMD:
	case LG_PIC_SLAVE_DATA:
		which = port >= LG_PIC_SLAVE_CMD;
		if (is_write)
			lg_pic_write(pic, which, port & 1, *val);
		else
			*val = lg_pic_read(pic, which, port & 1);
		/* Even a read can change the slave (poll, or its ELCR). */
		lg_pic_update_cascade(pic);
		return 0;
	}
	return -EINVAL;
}
