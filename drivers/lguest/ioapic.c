// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC of SMP guests: 24 interrupt input pins, each with a
 * redirection entry that turns it into a message to local APICs; its
 * registers behind the IOREGSEL/IOWIN pair at 0xfec00000, and the EOI
 * register of version 0x20 I/O APICs at 0xfec00040.
 */

/*H:770 The I/O APIC is the 8259's successor for SMP machines: a device's
 * line goes into one of its pins, and the pin's redirection entry says
 * what to send, to whom: a vector, a delivery mode, a destination in
 * physical or logical mode, edge or level trigger, masked or not.  It
 * has no idea how many CPUs there are, and neither has this file: a pin
 * firing is a message (lg_ioapic_msg()) that the caller offers to every
 * local APIC, just like an IPI (H:720).
 *
 * Its registers sit behind a pair at its MMIO page: write a register's
 * index to IOREGSEL (offset 0x00), then read or write it through IOWIN
 * (0x10).  Index 0 is the ID, 1 the version (0x20, with 23 as the highest
 * redirection entry), 2 the arbitration ID, and 0x10 + 2n, 0x11 + 2n the
 * two halves of pin n's 64-bit entry.  Anything else reads 0 and ignores
 * writes, as the chip does: no guest access can make us fail.
 */
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/string.h>
#include <linux/types.h>
#endif

#include "lg_emul.h"

#define LG_IOAPIC_IOREGSEL	0x00
#define LG_IOAPIC_IOWIN		0x10
#define LG_IOAPIC_EOI		0x40

#define LG_IOAPIC_REG_ID	0x00
#define LG_IOAPIC_REG_VERSION	0x01
#define LG_IOAPIC_REG_ARB	0x02
#define LG_IOAPIC_REG_REDIR	0x10
#define LG_IOAPIC_VERSION_VALUE	(0x20 | (LG_IOAPIC_PINS - 1) << 16)

#define LG_RTE_LOGICAL		BIT_ULL(11)
#define LG_RTE_REMOTE_IRR	BIT_ULL(14)
#define LG_RTE_LEVEL		BIT_ULL(15)
#define LG_RTE_MASKED		BIT_ULL(16)
/*
 * Vector, delivery mode, destination mode, polarity, trigger, mask, and
 * the 8-bit destination.  Delivery status (12) and remote IRR (14) are
 * the chip's; bits 17-55 are reserved.
 */
#define LG_RTE_WRITABLE		(GENMASK_ULL(63, 56) | 0x1afffULL)

static u8 lg_rte_mode(u64 rte)
{
	return (rte >> 8) & 7;
}

/*H:780 When a pin sends.  An edge-triggered pin sends once per rising
 * edge, and an edge that arrives while the pin is masked is lost, as the
 * 82093AA datasheet says.  A level-triggered pin sends while its line is
 * high, but only once until the guest ends the interrupt: sending sets
 * the entry's remote IRR bit, and only an EOI for its vector clears it,
 * either broadcast by a local APIC when the handler is done or written to
 * the EOI register.  If the line is still high then, it sends again.
 *
 * That is also what keeps a hostile guest bounded.  A level line whose
 * handler never EOIs sends once and then stays quiet; one whose handler
 * EOIs without quieting the device gets one message per EOI, and every
 * EOI is an exit the guest pays for.  Non-fixed delivery modes (NMI,
 * INIT, ExtINT) never get an EOI, so for them we ignore the level bit and
 * send on edges only; the reserved modes (3, 6) and SMI send nothing.  A
 * vector below 16 is sent, and refused by the local APIC (its ESR records
 * it); a level pin then waits for the guest to fix the entry or to write
 * the EOI register.
 */
static bool lg_ioapic_level_pin(u64 rte)
{
	u8 mode = lg_rte_mode(rte);

	return (rte & LG_RTE_LEVEL) &&
	       (mode == LG_APIC_DM_FIXED || mode == LG_APIC_DM_LOWEST);
}

static bool lg_ioapic_sendable(u64 rte)
{
	switch (lg_rte_mode(rte)) {
	case LG_APIC_DM_FIXED:
	case LG_APIC_DM_LOWEST:
	case LG_APIC_DM_NMI:
	case LG_APIC_DM_INIT:
	case LG_APIC_DM_EXTINT:
		return !(rte & LG_RTE_MASKED);
	}
	return false;
}

/* A level pin whose line is high: send unless already waiting for EOI. */
static u32 lg_ioapic_level_service(struct lg_ioapic *ioapic, unsigned int pin)
{
	u64 *rte = &ioapic->redir[pin];

	if (!(ioapic->line_level & BIT(pin)) || (*rte & LG_RTE_REMOTE_IRR) ||
	    !lg_ioapic_sendable(*rte))
		return 0;
	*rte |= LG_RTE_REMOTE_IRR;
	return BIT(pin);
}

u32 lg_ioapic_set_line(struct lg_ioapic *ioapic, unsigned int pin, int level)
{
	bool was_high;

	if (pin >= LG_IOAPIC_PINS)
		return 0;
	was_high = ioapic->line_level & BIT(pin);
	if (level)
		ioapic->line_level |= BIT(pin);
	else
		ioapic->line_level &= ~BIT(pin);
	if (lg_ioapic_level_pin(ioapic->redir[pin]))
		return lg_ioapic_level_service(ioapic, pin);
	if (level && !was_high && lg_ioapic_sendable(ioapic->redir[pin]))
		return BIT(pin);
	return 0;
}

u32 lg_ioapic_eoi(struct lg_ioapic *ioapic, u8 vector)
{
	unsigned int pin;
	u32 fire = 0;

	for (pin = 0; pin < LG_IOAPIC_PINS; pin++) {
		u64 *rte = &ioapic->redir[pin];

		if ((*rte & 0xff) != vector || !(*rte & LG_RTE_REMOTE_IRR))
			continue;
		*rte &= ~LG_RTE_REMOTE_IRR;
		if (lg_ioapic_level_pin(*rte))
			fire |= lg_ioapic_level_service(ioapic, pin);
	}
	return fire;
}

void lg_ioapic_msg(const struct lg_ioapic *ioapic, unsigned int pin,
		   struct lg_apic_msg *msg)
{
	u64 rte = pin < LG_IOAPIC_PINS ? ioapic->redir[pin] : 0;

	memset(msg, 0, sizeof(*msg));
	msg->dest = rte >> 56;
	msg->vector = rte & 0xff;
	msg->delivery_mode = lg_rte_mode(rte);
	msg->shorthand = LG_APIC_SH_NONE;
	msg->logical = rte & LG_RTE_LOGICAL;
	msg->level = lg_ioapic_level_pin(rte);
	msg->x2apic = false;
}

void lg_ioapic_reset(struct lg_ioapic *ioapic)
{
	unsigned int pin;

	memset(ioapic, 0, sizeof(*ioapic));
	for (pin = 0; pin < LG_IOAPIC_PINS; pin++)
		ioapic->redir[pin] = LG_RTE_MASKED;
}

bool lg_ioapic_owns_mmio(u64 gpa)
{
	return gpa >= LG_IOAPIC_BASE && gpa - LG_IOAPIC_BASE < LG_IOAPIC_PAGE_SIZE;
}

static u32 lg_ioapic_reg_read(const struct lg_ioapic *ioapic)
{
	unsigned int index = ioapic->ioregsel, pin;

	switch (index) {
	case LG_IOAPIC_REG_ID:
	case LG_IOAPIC_REG_ARB:
		return (u32)ioapic->id << 24;
	case LG_IOAPIC_REG_VERSION:
		return LG_IOAPIC_VERSION_VALUE;
	}
	if (index < LG_IOAPIC_REG_REDIR ||
	    index >= LG_IOAPIC_REG_REDIR + 2 * LG_IOAPIC_PINS)
		return 0;
	pin = (index - LG_IOAPIC_REG_REDIR) / 2;
	return ioapic->redir[pin] >> (index & 1 ? 32 : 0);
}

/*
 * A redirection entry half.  The new entry may let a level pin send at
 * once: unmasked while its line is high.  Turning a pin to edge-triggered
 * clears remote IRR (Linux's clear_IO_APIC_pin() relies on it), and so
 * does any change after which no EOI will come for it (NMI, INIT, ...).
 */
static u32 lg_ioapic_redir_write(struct lg_ioapic *ioapic, unsigned int pin,
				 bool high, u32 val)
{
	u64 *rte = &ioapic->redir[pin];
	u64 keep = high ? GENMASK_ULL(31, 0) : GENMASK_ULL(63, 32);
	u64 fresh = high ? (u64)val << 32 : val;

	*rte = (*rte & (keep | LG_RTE_REMOTE_IRR)) |
	       (fresh & ~keep & LG_RTE_WRITABLE);
	if (!lg_ioapic_level_pin(*rte)) {
		*rte &= ~LG_RTE_REMOTE_IRR;
		return 0;
	}
	return lg_ioapic_level_service(ioapic, pin);
}

static u32 lg_ioapic_reg_write(struct lg_ioapic *ioapic, u32 val)
{
	unsigned int index = ioapic->ioregsel;

	if (index == LG_IOAPIC_REG_ID) {
		ioapic->id = (val >> 24) & 0xf;
		return 0;
	}
	if (index < LG_IOAPIC_REG_REDIR ||
	    index >= LG_IOAPIC_REG_REDIR + 2 * LG_IOAPIC_PINS)
		return 0;	/* version, arbitration, reserved: read-only */
	return lg_ioapic_redir_write(ioapic, (index - LG_IOAPIC_REG_REDIR) / 2,
				     index & 1, val);
}

u64 lg_ioapic_mmio_read(struct lg_ioapic *ioapic, u32 offset,
			unsigned int size)
{
	u32 byte = offset & 3;
	u64 value = 0;

	if (byte + size > 4)
		size = 4 - byte;
	switch (offset & ~3U) {
	case LG_IOAPIC_IOREGSEL:
		value = ioapic->ioregsel;
		break;
	case LG_IOAPIC_IOWIN:
		value = lg_ioapic_reg_read(ioapic);
		break;
	}
	value >>= 8 * byte;
	return value & (BIT_ULL(8 * size) - 1);
}

/* IOREGSEL is an 8-bit register: a byte write reaches it too. */
u32 lg_ioapic_mmio_write(struct lg_ioapic *ioapic, u32 offset,
			 unsigned int size, u64 val)
{
	if (offset == LG_IOAPIC_IOREGSEL && size) {
		ioapic->ioregsel = val;
		return 0;
	}
	if (size != 4)
		return 0;
	switch (offset) {
	case LG_IOAPIC_IOWIN:
		return lg_ioapic_reg_write(ioapic, val);
	case LG_IOAPIC_EOI:
		return lg_ioapic_eoi(ioapic, val);
	}
	return 0;
}
