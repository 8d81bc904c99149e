// SPDX-License-Identifier: GPL-2.0
/*
 * A local APIC, one per vCPU of an SMP guest: its registers through the
 * xAPIC page and the x2APIC MSRs, interrupt acceptance and priority, the
 * interrupt command register, INIT and SIPI, and the LVT timer.
 */

/*H:700 An SMP guest cannot live on the 8259 alone: its CPUs interrupt each
 * other (to flush TLBs, to reschedule, to start at all) and each keeps its
 * own clock.  On a PC that is the local APIC, one per CPU, plus an I/O APIC
 * taking the devices' lines (H:770).  This file is one local APIC, done the
 * way pic.c does the 8259: a struct of state and functions computing over
 * it, no locks, no struct lguest, so it runs in lg.ko and in the host unit
 * tests alike.
 *
 * An APIC cannot reach another CPU by itself, so it never tries.  When the
 * guest writes its interrupt command register we hand back a message
 * (struct lg_apic_msg); the caller asks each APIC whether it accepts it
 * and delivers it there.  The I/O APIC's messages travel the
 * same road, so "who is vCPU 3" is decided in one place: here, from the
 * APIC's own ID, LDR and DFR, as the hardware would.
 *
 * Every register has one implementation, addressed by its offset in the
 * xAPIC page.  The x2APIC MSR 0x800 + n is the register at offset n * 16,
 * with stricter rules: a read-only or missing register, or a reserved bit
 * written as 1, is #GP there where the xAPIC page ignores it.
 */
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/types.h>
#endif

#include "lg_emul.h"

/* Register offsets in the xAPIC page. */
#define LG_APIC_ID		0x20
#define LG_APIC_VERSION		0x30
#define LG_APIC_TPR		0x80
#define LG_APIC_APR		0x90
#define LG_APIC_PPR		0xa0
#define LG_APIC_EOI		0xb0
#define LG_APIC_RRD		0xc0
#define LG_APIC_LDR		0xd0
#define LG_APIC_DFR		0xe0
#define LG_APIC_SVR		0xf0
#define LG_APIC_ISR		0x100
#define LG_APIC_TMR		0x180
#define LG_APIC_IRR		0x200
#define LG_APIC_ESR		0x280
#define LG_APIC_LVT_CMCI	0x2f0
#define LG_APIC_ICR		0x300
#define LG_APIC_ICR2		0x310
#define LG_APIC_LVT_TIMER	0x320
#define LG_APIC_LVT_ERROR	0x370
#define LG_APIC_TMICT		0x380
#define LG_APIC_TMCCT		0x390
#define LG_APIC_TDCR		0x3e0
#define LG_APIC_SELF_IPI	0x3f0

/* Indexes into lvt[], in register order after CMCI. */
#define LG_LVT_CMCI		0
#define LG_LVT_TIMER		1
#define LG_LVT_LINT0		4
#define LG_LVT_LINT1		5
#define LG_LVT_ERROR		6

#define LG_LVT_MASKED		BIT(16)
#define LG_LVT_LEVEL		BIT(15)
#define LG_LVT_STATUS		BIT(12)	/* delivery status: always idle */
#define LG_LVT_REMOTE_IRR	BIT(14)	/* LINT0/1: not modelled, reads 0 */
#define LG_TIMER_ONESHOT	0
#define LG_TIMER_PERIODIC	1
#define LG_TIMER_DEADLINE	2

#define LG_SVR_ENABLE		BIT(8)

#define LG_ICR_LOGICAL		BIT(11)
#define LG_ICR_ASSERT		BIT(14)
#define LG_ICR_LEVEL		BIT(15)
/* vector, delivery mode, destination mode, level, trigger, shorthand */
#define LG_ICR_WRITABLE		0x000ccfffU

#define LG_ESR_SEND_ILLEGAL	BIT(5)
#define LG_ESR_RECV_ILLEGAL	BIT(6)
#define LG_ESR_ILLEGAL_REG	BIT(7)

/*
 * Version 0x14, an integrated APIC; seven LVT entries (CMCI to error), so
 * "max LVT entry" is 6; bit 24 clear: no directed EOI, since our I/O APIC
 * takes the EOI broadcast every APIC makes.
 */
#define LG_APIC_VERSION_VALUE	(0x14 | (LG_LAPIC_NR_LVT - 1) << 16)

#define LG_APIC_BASE_ADDR	GENMASK_ULL(51, 12)
#define LG_APIC_BASE_RESERVED	(GENMASK_ULL(63, 52) | BIT_ULL(9) | \
				 GENMASK_ULL(7, 0))
#define LG_APIC_MODE_X2APIC	(LG_APIC_BASE_ENABLE | LG_APIC_BASE_EXTD)

static bool lg_lapic_enabled(const struct lg_lapic *apic)
{
	return apic->apic_base & LG_APIC_BASE_ENABLE;
}

static bool lg_lapic_x2apic(const struct lg_lapic *apic)
{
	return (apic->apic_base & LG_APIC_MODE_X2APIC) == LG_APIC_MODE_X2APIC;
}

static bool lg_lapic_sw_enabled(const struct lg_lapic *apic)
{
	return apic->svr & LG_SVR_ENABLE;
}

/* ---- 256-bit vector sets */

static void lg_vset(u32 *set, u8 v)
{
	set[v / 32] |= BIT(v % 32);
}

static void lg_vclear(u32 *set, u8 v)
{
	set[v / 32] &= ~BIT(v % 32);
}

static bool lg_vtest(const u32 *set, u8 v)
{
	return set[v / 32] & BIT(v % 32);
}

/* The highest vector in the set, or -1. */
static int lg_vhighest(const u32 *set)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (set[i])
			return i * 32 + 31 - __builtin_clz(set[i]);
	return -1;
}

/*H:710 Which interrupt the CPU takes next.  Vectors live in three 256-bit
 * sets: IRR (requested), ISR (in service: the handler runs, no EOI yet)
 * and TMR (came level-triggered, so its EOI must reach the I/O APIC).  The
 * upper four bits of a vector are its priority class.  The processor
 * priority, PPR, is the higher of the task priority the guest wrote (TPR)
 * and the class of the highest vector in service; a request interrupts
 * only if its class is above PPR's.  So a handler is never interrupted by
 * its own class or below, and the guest can hold off classes with TPR.
 * EOI ends the highest vector in service, whichever one the guest meant.
 */
static u8 lg_lapic_ppr(const struct lg_lapic *apic)
{
	int in_service = lg_vhighest(apic->isr);
	u8 isr_class = in_service < 0 ? 0 : in_service & 0xf0;

	return (apic->tpr & 0xf0) >= isr_class ? apic->tpr : isr_class;
}

int lg_lapic_pending(const struct lg_lapic *apic)
{
	int v = lg_vhighest(apic->irr);

	if (!lg_lapic_enabled(apic) || v < 0)
		return -1;
	if ((v & 0xf0) <= (lg_lapic_ppr(apic) & 0xf0))
		return -1;
	return v;
}

int lg_lapic_ack(struct lg_lapic *apic)
{
	int v = lg_lapic_pending(apic);

	if (v < 0)
		return -1;
	lg_vclear(apic->irr, v);
	lg_vset(apic->isr, v);
	return v;
}

u8 lg_lapic_get_cr8(const struct lg_lapic *apic)
{
	return apic->tpr >> 4;
}

void lg_lapic_set_cr8(struct lg_lapic *apic, u8 cr8)
{
	apic->tpr = (cr8 & 0xf) << 4;
}

static void lg_lapic_eoi(struct lg_lapic *apic, struct lg_lapic_out *out)
{
	int v = lg_vhighest(apic->isr);

	if (v < 0)
		return;
	lg_vclear(apic->isr, v);
	out->flags |= LG_LAPIC_OUT_EOI;
	out->eoi_vector = v;
	out->eoi_level = lg_vtest(apic->tmr, v);
}

static bool lg_lapic_accept_fixed(struct lg_lapic *apic, u8 vector,
				  bool level);

/*
 * An error the APIC detected, latched for the next ESR write, and an
 * interrupt through the error LVT entry.  An error vector that is itself
 * illegal records one more error and stops there.
 */
static void lg_lapic_error(struct lg_lapic *apic, u32 bits)
{
	u32 lvt = apic->lvt[LG_LVT_ERROR];

	apic->esr_pending |= bits;
	if (lvt & LG_LVT_MASKED)
		return;
	if ((lvt & 0xff) < 16)
		apic->esr_pending |= LG_ESR_RECV_ILLEGAL;
	else
		lg_lapic_accept_fixed(apic, lvt & 0xff, false);
}

/*
 * A fixed interrupt arriving.  Vectors 0-15 are the CPU's exceptions and
 * cannot be sent as interrupts: the receiver records the error and drops
 * it.  A software-disabled APIC takes no fixed interrupts at all.
 */
static bool lg_lapic_accept_fixed(struct lg_lapic *apic, u8 vector,
				  bool level)
{
	if (vector < 16) {
		lg_lapic_error(apic, LG_ESR_RECV_ILLEGAL);
		return false;
	}
	if (!lg_lapic_sw_enabled(apic))
		return false;
	lg_vset(apic->irr, vector);
	if (level)
		lg_vset(apic->tmr, vector);
	else
		lg_vclear(apic->tmr, vector);
	return true;
}

/* ---- The timer */

static unsigned int lg_lapic_timer_mode(const struct lg_lapic *apic)
{
	return (apic->lvt[LG_LVT_TIMER] >> 17) & 3;
}

/*
 * Divide configuration bits 0, 1 and 3 pick 2, 4, ... 128, or 1 for
 * 0b1011.  With the 1 GHz bus, that is also the nanoseconds per count.
 */
static u32 lg_lapic_divisor(const struct lg_lapic *apic)
{
	u32 code = (apic->timer_dcr & 3) | ((apic->timer_dcr >> 1) & 4);

	return 1U << ((code + 1) & 7);
}

/* The current count (TMCCT) at now_ns, in one-shot and periodic modes. */
static u32 lg_lapic_timer_count(const struct lg_lapic *apic, u64 now_ns)
{
	u64 elapsed;

	if (lg_lapic_timer_mode(apic) == LG_TIMER_DEADLINE ||
	    !apic->timer_initial || !apic->timer_start_count)
		return 0;	/* stopped, or a one-shot that ran out */
	elapsed = now_ns <= apic->timer_start_ns ? 0 :
		  (now_ns - apic->timer_start_ns) / lg_lapic_divisor(apic);
	if (elapsed < apic->timer_start_count)
		return apic->timer_start_count - elapsed;
	if (lg_lapic_timer_mode(apic) != LG_TIMER_PERIODIC)
		return 0;
	return apic->timer_initial -
	       (elapsed - apic->timer_start_count) % apic->timer_initial;
}

/*H:740 The LVT timer counts down from the initial count at the bus clock
 * over a divider, and interrupts when it reaches zero: once (one-shot), or
 * reloading each time (periodic); or, in TSC-deadline mode, when the TSC
 * passes the value written to IA32_TSC_DEADLINE.  As with the PIT (H:600),
 * nothing ticks: we remember when the count was what, compute the count
 * when the guest reads it, and keep timer_due_ns, the next expiry, for the
 * caller's hrtimer.
 *
 * Our bus runs at 1 GHz, so a count is a nanosecond times the divider.  A
 * periodic timer's period is the guest's to choose, down to 1 ns: a million
 * host timer interrupts a second if we obeyed.  Its interrupts come at
 * most every LG_APIC_MIN_PERIOD_NS (200 us, as KVM's floor) instead; the
 * count the guest reads is untouched.  One-shot and deadline timers are
 * not stretched: re-arming them costs the guest an exit each time, so it
 * pays for its own storm, and Linux's clock events need short one-shots.
 */
static void lg_lapic_timer_arm(struct lg_lapic *apic)
{
	apic->timer_due_ns = U64_MAX;
	if (lg_lapic_timer_mode(apic) == LG_TIMER_DEADLINE ||
	    !apic->timer_initial || !apic->timer_start_count)
		return;
	apic->timer_due_ns = apic->timer_start_ns +
		(u64)apic->timer_start_count * lg_lapic_divisor(apic);
}

/* Freeze the count where it is now, to go on from there. */
static void lg_lapic_timer_freeze(struct lg_lapic *apic, u64 now_ns)
{
	apic->timer_start_count = lg_lapic_timer_count(apic, now_ns);
	apic->timer_start_ns = now_ns;
}

static u64 lg_lapic_timer_period(const struct lg_lapic *apic)
{
	return max_t(u64, (u64)apic->timer_initial * lg_lapic_divisor(apic),
		     LG_APIC_MIN_PERIOD_NS);
}

unsigned int lg_lapic_timer_ticks(struct lg_lapic *apic, u64 now_ns)
{
	u64 due = apic->timer_due_ns, period, n = 1;
	u32 lvt = apic->lvt[LG_LVT_TIMER];

	if (due == U64_MAX || now_ns < due)
		return 0;
	switch (lg_lapic_timer_mode(apic)) {
	case LG_TIMER_PERIODIC:
		period = lg_lapic_timer_period(apic);
		n = (now_ns - due) / period + 1;
		apic->timer_due_ns = due + n * period;
		break;
	case LG_TIMER_DEADLINE:
		apic->tsc_deadline = 0;
		fallthrough;
	default:
		apic->timer_due_ns = U64_MAX;
		break;
	}
	if (!(lvt & LG_LVT_MASKED))
		lg_lapic_accept_fixed(apic, lvt & 0xff, false);
	return min_t(u64, n, UINT_MAX);
}

/* Guest TSC cycles from now to the deadline, as host nanoseconds. */
static u64 lg_lapic_deadline_ns(const struct lg_lapic *apic,
				struct lg_apic_time now)
{
	u64 cycles, whole, ns;

	if (apic->tsc_deadline <= now.tsc)
		return now.ns;
	cycles = apic->tsc_deadline - now.tsc;
	/* Over 2^40 ms (34 years) away is never, and cannot overflow. */
	whole = cycles / apic->tsc_khz;
	if (whole >= BIT_ULL(40))
		return U64_MAX;
	ns = whole * 1000000 + mul_u64_u32_div(cycles % apic->tsc_khz,
					       1000000, apic->tsc_khz);
	return now.ns > U64_MAX - 1 - ns ? U64_MAX : now.ns + ns;
}

static void lg_lapic_set_deadline(struct lg_lapic *apic, u64 deadline,
				  struct lg_apic_time now,
				  struct lg_lapic_out *out)
{
	if (!lg_lapic_enabled(apic) ||
	    lg_lapic_timer_mode(apic) != LG_TIMER_DEADLINE)
		return;		/* ignored outside deadline mode */
	lg_lapic_timer_ticks(apic, now.ns);
	apic->tsc_deadline = deadline;
	apic->timer_due_ns = deadline ? lg_lapic_deadline_ns(apic, now) :
			     U64_MAX;
	out->flags |= LG_LAPIC_OUT_TIMER;
}

static void lg_lapic_set_initial(struct lg_lapic *apic, u32 count, u64 now_ns)
{
	if (lg_lapic_timer_mode(apic) == LG_TIMER_DEADLINE)
		return;		/* ignored in deadline mode */
	apic->timer_initial = count;
	apic->timer_start_count = count;
	apic->timer_start_ns = now_ns;
	lg_lapic_timer_arm(apic);
}

static void lg_lapic_set_divide(struct lg_lapic *apic, u32 dcr, u64 now_ns)
{
	lg_lapic_timer_freeze(apic, now_ns);
	apic->timer_dcr = dcr;
	lg_lapic_timer_arm(apic);
}

/*
 * A new timer LVT entry.  Going into or out of TSC-deadline mode disarms
 * the timer (the SDM's rule); one-shot and periodic trade places with the
 * count running on.
 */
static void lg_lapic_set_lvt_timer(struct lg_lapic *apic, u32 val, u64 now_ns)
{
	bool was_deadline = lg_lapic_timer_mode(apic) == LG_TIMER_DEADLINE;

	lg_lapic_timer_freeze(apic, now_ns);
	apic->lvt[LG_LVT_TIMER] = val;
	if (was_deadline != (lg_lapic_timer_mode(apic) == LG_TIMER_DEADLINE)) {
		apic->timer_initial = 0;
		apic->timer_start_count = 0;
		apic->tsc_deadline = 0;
		apic->timer_due_ns = U64_MAX;
	}
	if (lg_lapic_timer_mode(apic) != LG_TIMER_DEADLINE)
		lg_lapic_timer_arm(apic);
}

/* ---- Reset */

/*
 * The state of power-on, INIT and hardware disable: everything clear,
 * software disabled, every LVT masked.  IA32_APIC_BASE and the ID stay.
 */
static void lg_lapic_reset_regs(struct lg_lapic *apic)
{
	unsigned int i;

	apic->tpr = 0;
	apic->ldr = 0;
	apic->dfr = U32_MAX;
	apic->svr = 0xff;
	apic->esr = 0;
	apic->esr_pending = 0;
	apic->icr_low = 0;
	apic->icr_high = 0;
	for (i = 0; i < LG_LAPIC_NR_LVT; i++)
		apic->lvt[i] = LG_LVT_MASKED;
	memset(apic->irr, 0, sizeof(apic->irr));
	memset(apic->isr, 0, sizeof(apic->isr));
	memset(apic->tmr, 0, sizeof(apic->tmr));
	apic->timer_initial = 0;
	apic->timer_dcr = 0;
	apic->timer_start_ns = 0;
	apic->timer_start_count = 0;
	apic->tsc_deadline = 0;
	apic->timer_due_ns = U64_MAX;
}

void lg_lapic_init(struct lg_lapic *apic, u32 id, bool bsp, u32 tsc_khz)
{
	memset(apic, 0, sizeof(*apic));
	apic->initial_id = id;
	apic->xapic_id = id;
	apic->tsc_khz = tsc_khz ? tsc_khz : 1;
	apic->apic_base = LG_APIC_DEFAULT_BASE | LG_APIC_BASE_ENABLE;
	lg_lapic_reset_regs(apic);
	if (bsp) {
		apic->apic_base |= LG_APIC_BASE_BSP;
		apic->lvt[LG_LVT_LINT0] = LG_APIC_DM_EXTINT << 8;
		apic->lvt[LG_LVT_LINT1] = LG_APIC_DM_NMI << 8;
	}
}

/* ---- Delivery into this APIC */

/*H:730 How a CPU starts.  Only the bootstrap processor runs at power-on;
 * the others sit waiting.  To start one, Linux (smpboot.c) sends it an
 * INIT IPI, which resets the CPU and its APIC and leaves it waiting for a
 * start-up IPI; then a SIPI whose vector names the 4 KiB page where the
 * CPU begins in real mode: CS = vector << 8, IP = 0.  Linux sends a second
 * SIPI in case the first was lost; a CPU already running ignores it, as
 * it ignores any SIPI it is not waiting for, so a guest cannot yank a busy
 * CPU to a new address.  The INIT "de-assert" Linux sends in between
 * resynchronised arbitration IDs on the old three-wire APIC bus; today's
 * APICs ignore it, and so do we.
 *
 * INIT of the bootstrap processor would send it to the reset vector at
 * 0xfffffff0, into firmware we do not have; we hand that to the caller as
 * a reset request.
 */
enum lg_lapic_action lg_lapic_deliver(struct lg_lapic *apic, u8 delivery_mode,
				      u8 vector, bool level)
{
	if (!lg_lapic_enabled(apic))
		return LG_LAPIC_IGNORED;
	switch (delivery_mode) {
	case LG_APIC_DM_FIXED:
	case LG_APIC_DM_LOWEST:
		return lg_lapic_accept_fixed(apic, vector, level) ?
		       LG_LAPIC_QUEUED : LG_LAPIC_IGNORED;
	case LG_APIC_DM_NMI:
		return LG_LAPIC_NMI;
	case LG_APIC_DM_INIT:
		lg_lapic_reset_regs(apic);
		if (apic->apic_base & LG_APIC_BASE_BSP)
			return LG_LAPIC_INIT_BSP;
		apic->wait_for_sipi = true;
		return LG_LAPIC_INIT;
	case LG_APIC_DM_SIPI:
		if (!apic->wait_for_sipi)
			return LG_LAPIC_IGNORED;
		apic->wait_for_sipi = false;
		return LG_LAPIC_SIPI;
	case LG_APIC_DM_EXTINT:
		return LG_LAPIC_EXTINT;
	default:	/* SMI (we have no SMM), and the reserved 3 */
		return LG_LAPIC_IGNORED;
	}
}

/*
 * The LINT pins.  With the APIC off (IA32_APIC_BASE enable clear) the CPU
 * works as one without an APIC: LINT0 is the INTR pin, LINT1 the NMI pin.
 */
enum lg_lapic_action lg_lapic_lint(struct lg_lapic *apic, unsigned int pin)
{
	u32 lvt;

	if (pin > 1)
		return LG_LAPIC_IGNORED;
	if (!lg_lapic_enabled(apic))
		return pin ? LG_LAPIC_NMI : LG_LAPIC_EXTINT;
	lvt = apic->lvt[pin ? LG_LVT_LINT1 : LG_LVT_LINT0];
	if (lvt & LG_LVT_MASKED)
		return LG_LAPIC_IGNORED;
	switch ((lvt >> 8) & 7) {
	case LG_APIC_DM_FIXED:
	case LG_APIC_DM_NMI:
	case LG_APIC_DM_INIT:
	case LG_APIC_DM_EXTINT:
		return lg_lapic_deliver(apic, (lvt >> 8) & 7, lvt & 0xff,
					lvt & LG_LVT_LEVEL);
	default:
		return LG_LAPIC_IGNORED;
	}
}

bool lg_lapic_accepts_pic(const struct lg_lapic *apic)
{
	u32 lvt = apic->lvt[LG_LVT_LINT0];

	if (!lg_lapic_enabled(apic))
		return true;
	return !(lvt & LG_LVT_MASKED) &&
	       ((lvt >> 8) & 7) == LG_APIC_DM_EXTINT;
}

/* ---- Destinations */

static u32 lg_lapic_x2apic_ldr(const struct lg_lapic *apic)
{
	return (apic->initial_id >> 4) << 16 | BIT(apic->initial_id & 15);
}

/*H:720 Who a message is for.  In physical mode the destination is an APIC
 * ID.  In logical mode it is matched against the logical destination
 * register each CPU's kernel programmed: xAPIC's flat model (DFR 0xf...)
 * gives each of up to eight CPUs one bit of LDR[31:24], and a destination
 * names any set of them at once; the cluster model (DFR 0x0...) makes the
 * top nibble a cluster and the low nibble four members.  x2APIC has only
 * clusters, fixed by the hardware: sixteen CPUs each, cluster in bits
 * 31:16 of the destination and member bits below.  All-ones is broadcast
 * in either width; an 8-bit destination from the I/O APIC or an xAPIC
 * sender reaching an APIC in x2APIC mode is read as the same number.
 */
static bool lg_lapic_match_x2apic(const struct lg_lapic *apic,
				  const struct lg_apic_msg *msg)
{
	u32 ldr = lg_lapic_x2apic_ldr(apic);

	if (msg->dest == U32_MAX || (!msg->x2apic && msg->dest == 0xff))
		return true;
	if (!msg->logical)
		return msg->dest == apic->initial_id;
	return (msg->dest >> 16) == (ldr >> 16) && (msg->dest & ldr & 0xffff);
}

static bool lg_lapic_match_xapic(const struct lg_lapic *apic,
				 const struct lg_apic_msg *msg)
{
	u8 dest = msg->dest, ldr = apic->ldr >> 24;

	if ((msg->x2apic && msg->dest == U32_MAX) ||
	    (!msg->x2apic && dest == 0xff))
		return true;
	if (msg->x2apic && msg->dest > 0xff)
		return false;
	if (!msg->logical)
		return dest == apic->xapic_id;
	if ((apic->dfr >> 28) == 0xf)	/* flat */
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

bool lg_lapic_accepts(const struct lg_lapic *apic,
		      const struct lg_apic_msg *msg, bool is_sender)
{
	if (!lg_lapic_enabled(apic))
		return false;
	switch (msg->shorthand) {
	case LG_APIC_SH_SELF:
		return is_sender;
	case LG_APIC_SH_ALL:
		return true;
	case LG_APIC_SH_OTHERS:
		return !is_sender;
	}
	if (lg_lapic_x2apic(apic))
		return lg_lapic_match_x2apic(apic, msg);
	return lg_lapic_match_xapic(apic, msg);
}

/*
 * An ICR write: the IPI leaves as a message for the caller, unless it is
 * one the SDM's table of valid combinations rules out.  A level-triggered
 * IPI counts as edge-triggered when it asserts and as nothing when it
 * de-asserts; to self, or to all including self, only fixed interrupts go;
 * SMI and the reserved modes are not sent.  Lowest priority is sent as
 * fixed: the caller gives it to the first APIC that accepts it.
 */
static void lg_lapic_send_ipi(struct lg_lapic *apic, u32 low, u32 dest,
			      struct lg_lapic_out *out)
{
	u8 vector = low & 0xff, mode = (low >> 8) & 7;
	u8 shorthand = (low >> 18) & 3;
	struct lg_apic_msg *msg = &out->ipi;

	if ((low & LG_ICR_LEVEL) && !(low & LG_ICR_ASSERT))
		return;
	switch (mode) {
	case LG_APIC_DM_FIXED:
	case LG_APIC_DM_LOWEST:
		if (vector < 16) {
			lg_lapic_error(apic, LG_ESR_SEND_ILLEGAL);
			return;
		}
		if (mode == LG_APIC_DM_LOWEST && (shorthand == LG_APIC_SH_SELF ||
						  shorthand == LG_APIC_SH_ALL))
			return;
		break;
	case LG_APIC_DM_NMI:
	case LG_APIC_DM_INIT:
	case LG_APIC_DM_SIPI:
		if (shorthand == LG_APIC_SH_SELF || shorthand == LG_APIC_SH_ALL)
			return;
		break;
	default:
		return;
	}
	msg->dest = dest;
	msg->vector = vector;
	msg->delivery_mode = mode;
	msg->shorthand = shorthand;
	msg->logical = low & LG_ICR_LOGICAL;
	msg->level = false;
	msg->x2apic = lg_lapic_x2apic(apic);
	out->flags |= LG_LAPIC_OUT_IPI;
}

/* ---- Registers */

enum lg_reg_kind {
	LG_REG_RESERVED,	/* no such register in this mode */
	LG_REG_READ_ONLY,
	LG_REG_WRITE_ONLY,
	LG_REG_READ_WRITE,
};

static bool lg_lapic_is_lvt(u32 reg)
{
	return reg == LG_APIC_LVT_CMCI ||
	       (reg >= LG_APIC_LVT_TIMER && reg <= LG_APIC_LVT_ERROR);
}

static unsigned int lg_lapic_lvt_index(u32 reg)
{
	return reg == LG_APIC_LVT_CMCI ? LG_LVT_CMCI :
	       (reg - LG_APIC_LVT_TIMER) / 16 + LG_LVT_TIMER;
}

/*
 * What the register at offset reg is in the APIC's current mode, and for
 * writable ones which bits may be 1 (*writable) and which read-only bits a
 * read-modify-write may carry back without fault (*tolerated).
 */
static enum lg_reg_kind lg_lapic_reg_kind(const struct lg_lapic *apic, u32 reg,
					  u32 *writable, u32 *tolerated)
{
	bool x2 = lg_lapic_x2apic(apic);

	*writable = 0;
	*tolerated = 0;
	if (reg >= LG_APIC_ISR && reg < LG_APIC_ESR)
		return LG_REG_READ_ONLY;
	if (lg_lapic_is_lvt(reg)) {
		*tolerated = LG_LVT_STATUS;
		switch (reg) {
		case LG_APIC_LVT_TIMER:
			*writable = 0x700ff;
			break;
		case LG_APIC_LVT_ERROR:
			*writable = 0x100ff;
			break;
		case LG_APIC_LVT_TIMER + 0x30:	/* LINT0 */
		case LG_APIC_LVT_TIMER + 0x40:	/* LINT1 */
			*writable = 0x1a7ff;
			*tolerated |= LG_LVT_REMOTE_IRR;
			break;
		default:			/* CMCI, thermal, perf */
			*writable = 0x107ff;
			break;
		}
		return LG_REG_READ_WRITE;
	}
	switch (reg) {
	case LG_APIC_ID:
	case LG_APIC_LDR:
		*writable = 0xff000000;
		return x2 ? LG_REG_READ_ONLY : LG_REG_READ_WRITE;
	case LG_APIC_VERSION:
	case LG_APIC_PPR:
	case LG_APIC_TMCCT:
		return LG_REG_READ_ONLY;
	case LG_APIC_APR:
	case LG_APIC_RRD:
		return x2 ? LG_REG_RESERVED : LG_REG_READ_ONLY;
	case LG_APIC_TPR:
		*writable = 0xff;
		return LG_REG_READ_WRITE;
	case LG_APIC_EOI:
		return LG_REG_WRITE_ONLY;
	case LG_APIC_DFR:
		*writable = 0xf0000000;
		return x2 ? LG_REG_RESERVED : LG_REG_READ_WRITE;
	case LG_APIC_SVR:
		/* vector, enable, focus check (kept, has no effect) */
		*writable = 0x3ff;
		return LG_REG_READ_WRITE;
	case LG_APIC_ESR:
		return LG_REG_READ_WRITE;
	case LG_APIC_ICR:
		*writable = LG_ICR_WRITABLE;
		*tolerated = x2 ? 0 : BIT(12);
		return LG_REG_READ_WRITE;
	case LG_APIC_ICR2:
		*writable = 0xff000000;
		return x2 ? LG_REG_RESERVED : LG_REG_READ_WRITE;
	case LG_APIC_TMICT:
		*writable = U32_MAX;
		return LG_REG_READ_WRITE;
	case LG_APIC_TDCR:
		*writable = 0xb;
		return LG_REG_READ_WRITE;
	case LG_APIC_SELF_IPI:
		*writable = 0xff;
		return x2 ? LG_REG_WRITE_ONLY : LG_REG_RESERVED;
	}
	return LG_REG_RESERVED;
}

/* The value of a readable register (lg_lapic_reg_kind() said so). */
static u32 lg_lapic_reg_value(const struct lg_lapic *apic, u32 reg, u64 now_ns)
{
	bool x2 = lg_lapic_x2apic(apic);

	if (reg >= LG_APIC_ISR && reg < LG_APIC_TMR)
		return apic->isr[(reg - LG_APIC_ISR) / 16];
	if (reg >= LG_APIC_TMR && reg < LG_APIC_IRR)
		return apic->tmr[(reg - LG_APIC_TMR) / 16];
	if (reg >= LG_APIC_IRR && reg < LG_APIC_ESR)
		return apic->irr[(reg - LG_APIC_IRR) / 16];
	if (lg_lapic_is_lvt(reg))
		return apic->lvt[lg_lapic_lvt_index(reg)];
	switch (reg) {
	case LG_APIC_ID:
		return x2 ? apic->initial_id : (u32)apic->xapic_id << 24;
	case LG_APIC_VERSION:
		return LG_APIC_VERSION_VALUE;
	case LG_APIC_TPR:
		return apic->tpr;
	case LG_APIC_PPR:
		return lg_lapic_ppr(apic);
	case LG_APIC_LDR:
		return x2 ? lg_lapic_x2apic_ldr(apic) : apic->ldr;
	case LG_APIC_DFR:
		return apic->dfr;
	case LG_APIC_SVR:
		return apic->svr;
	case LG_APIC_ESR:
		return apic->esr;
	case LG_APIC_ICR:
		return apic->icr_low;
	case LG_APIC_ICR2:
		return apic->icr_high;
	case LG_APIC_TMICT:
		return apic->timer_initial;
	case LG_APIC_TMCCT:
		return lg_lapic_timer_count(apic, now_ns);
	case LG_APIC_TDCR:
		return apic->timer_dcr;
	}
	return 0;	/* APR, RRD, and the write-only ones */
}

/*
 * Software disable (SVR bit 8 clear) masks every LVT entry, and while it
 * lasts the masks cannot be cleared: so the hardware does.
 */
static void lg_lapic_set_svr(struct lg_lapic *apic, u32 val)
{
	unsigned int i;

	apic->svr = val;
	if (val & LG_SVR_ENABLE)
		return;
	for (i = 0; i < LG_LAPIC_NR_LVT; i++)
		apic->lvt[i] |= LG_LVT_MASKED;
}

/* A write the mode allows, of bits the register has (val is masked). */
static void lg_lapic_reg_store(struct lg_lapic *apic, u32 reg, u32 val,
			       struct lg_apic_time now,
			       struct lg_lapic_out *out)
{
	if (lg_lapic_is_lvt(reg)) {
		if (!lg_lapic_sw_enabled(apic))
			val |= LG_LVT_MASKED;
		if (reg != LG_APIC_LVT_TIMER) {
			apic->lvt[lg_lapic_lvt_index(reg)] = val;
			return;
		}
	}
	switch (reg) {
	case LG_APIC_ID:
		apic->xapic_id = val >> 24;
		break;
	case LG_APIC_TPR:
		apic->tpr = val;
		break;
	case LG_APIC_EOI:
		lg_lapic_eoi(apic, out);
		break;
	case LG_APIC_LDR:
		apic->ldr = val;
		break;
	case LG_APIC_DFR:
		apic->dfr = val | 0x0fffffff;
		break;
	case LG_APIC_SVR:
		lg_lapic_set_svr(apic, val);
		break;
	case LG_APIC_ESR:
		/* The write latches the errors since the last one for reading. */
		apic->esr = apic->esr_pending;
		apic->esr_pending = 0;
		break;
	case LG_APIC_ICR:
		apic->icr_low = val;
		lg_lapic_send_ipi(apic, val, apic->icr_high >> 24, out);
		break;
	case LG_APIC_ICR2:
		apic->icr_high = val;
		break;
	case LG_APIC_SELF_IPI:
		if (val < 16)
			lg_lapic_error(apic, LG_ESR_SEND_ILLEGAL);
		else
			lg_lapic_accept_fixed(apic, val, false);
		break;
	case LG_APIC_LVT_TIMER:
	case LG_APIC_TMICT:
	case LG_APIC_TDCR:
		/* What expired before the change was delivered before it. */
		lg_lapic_timer_ticks(apic, now.ns);
		if (reg == LG_APIC_LVT_TIMER)
			lg_lapic_set_lvt_timer(apic, val, now.ns);
		else if (reg == LG_APIC_TMICT)
			lg_lapic_set_initial(apic, val, now.ns);
		else
			lg_lapic_set_divide(apic, val, now.ns);
		out->flags |= LG_LAPIC_OUT_TIMER;
		break;
	}
}

/* ---- The xAPIC page */

bool lg_lapic_owns_mmio(const struct lg_lapic *apic, u64 gpa)
{
	u64 base = apic->apic_base & LG_APIC_BASE_ADDR;

	return lg_lapic_enabled(apic) && !lg_lapic_x2apic(apic) &&
	       gpa >= base && gpa - base < LG_APIC_PAGE_SIZE;
}

/*
 * The page only decodes registers at 16-byte boundaries.  Touching a
 * reserved one records "illegal register address" in ESR (an xAPIC rule);
 * writes to read-only registers and to reserved bits are just dropped.
 */
int lg_lapic_mmio_read(struct lg_lapic *apic, u32 offset, unsigned int size,
		       u64 *val, struct lg_apic_time now)
{
	u32 reg = offset & 0xff0, byte = offset & 0xf, writable, tolerated;
	enum lg_reg_kind kind;
	u64 value = 0;

	if (!lg_lapic_enabled(apic) || lg_lapic_x2apic(apic))
		return -ENODEV;
	kind = lg_lapic_reg_kind(apic, reg, &writable, &tolerated);
	if (offset >= LG_APIC_PAGE_SIZE || kind == LG_REG_RESERVED)
		lg_lapic_error(apic, LG_ESR_ILLEGAL_REG);
	else if (byte < 4)
		value = lg_lapic_reg_value(apic, reg, now.ns) >> (8 * byte);
	if (size < 8)
		value &= BIT_ULL(8 * size) - 1;
	*val = value;
	return 0;
}

int lg_lapic_mmio_write(struct lg_lapic *apic, u32 offset, unsigned int size,
			u64 val, struct lg_apic_time now,
			struct lg_lapic_out *out)
{
	u32 reg = offset & 0xff0, writable, tolerated;
	enum lg_reg_kind kind;

	out->flags = 0;
	if (!lg_lapic_enabled(apic) || lg_lapic_x2apic(apic))
		return -ENODEV;
	kind = lg_lapic_reg_kind(apic, reg, &writable, &tolerated);
	if (offset >= LG_APIC_PAGE_SIZE || kind == LG_REG_RESERVED) {
		lg_lapic_error(apic, LG_ESR_ILLEGAL_REG);
		return 0;
	}
	if (size != 4 || (offset & 0xf) || kind == LG_REG_READ_ONLY)
		return 0;
	lg_lapic_reg_store(apic, reg, (u32)val & writable, now, out);
	return 0;
}

/* ---- MSRs */

bool lg_lapic_owns_msr(u32 msr)
{
	return msr == LG_MSR_APIC_BASE || msr == LG_MSR_TSC_DEADLINE ||
	       (msr >= LG_MSR_X2APIC_FIRST && msr <= LG_MSR_X2APIC_LAST);
}

/*H:750 IA32_APIC_BASE: where the xAPIC page is, and the mode.  Bit 11
 * turns the APIC on, bit 10 with it selects x2APIC.  The SDM allows the
 * moves disabled <-> xAPIC -> x2APIC -> disabled and nothing else: x2APIC
 * back to xAPIC must go through disabled (so the APIC forgets its state),
 * disabled cannot jump to x2APIC, and "x2APIC without enable" does not
 * exist; each of those, and any reserved bit, is #GP.  Turning the APIC
 * off resets it; the BSP bit is the hardware's, not the guest's.  Entering
 * x2APIC mode replaces the xAPIC ID and LDR with ones derived from the
 * initial APIC ID, which the guest can no longer change.
 */
static int lg_lapic_set_base(struct lg_lapic *apic, u64 val,
			     struct lg_lapic_out *out)
{
	u64 old_mode = apic->apic_base & LG_APIC_MODE_X2APIC;
	u64 new_mode = val & LG_APIC_MODE_X2APIC;

	if (val & LG_APIC_BASE_RESERVED)
		return -EINVAL;
	if (new_mode == LG_APIC_BASE_EXTD ||
	    (old_mode == 0 && new_mode == LG_APIC_MODE_X2APIC) ||
	    (old_mode == LG_APIC_MODE_X2APIC && new_mode == LG_APIC_BASE_ENABLE))
		return -EINVAL;
	apic->apic_base = (val & ~LG_APIC_BASE_BSP) |
			  (apic->apic_base & LG_APIC_BASE_BSP);
	if (old_mode && !new_mode) {
		lg_lapic_reset_regs(apic);
		apic->xapic_id = apic->initial_id;
		apic->wait_for_sipi = false;
		out->flags |= LG_LAPIC_OUT_TIMER;
	}
	return 0;
}

static u32 lg_lapic_msr_reg(u32 msr)
{
	return (msr - LG_MSR_X2APIC_FIRST) << 4;
}

int lg_lapic_msr_read(struct lg_lapic *apic, u32 msr, u64 *val,
		      struct lg_apic_time now)
{
	u32 reg = lg_lapic_msr_reg(msr), writable, tolerated;
	enum lg_reg_kind kind;

	if (msr == LG_MSR_APIC_BASE) {
		*val = apic->apic_base;
		return 0;
	}
	if (msr == LG_MSR_TSC_DEADLINE) {
		*val = lg_lapic_timer_mode(apic) == LG_TIMER_DEADLINE ?
		       apic->tsc_deadline : 0;
		return 0;
	}
	if (!lg_lapic_owns_msr(msr) || !lg_lapic_x2apic(apic))
		return -EINVAL;
	kind = lg_lapic_reg_kind(apic, reg, &writable, &tolerated);
	if (kind == LG_REG_RESERVED || kind == LG_REG_WRITE_ONLY)
		return -EINVAL;
	*val = lg_lapic_reg_value(apic, reg, now.ns);
	if (reg == LG_APIC_ICR)
		*val |= (u64)apic->icr_high << 32;
	return 0;
}

/*
 * x2APIC WRMSR: 64 bits, of which only the ICR uses the upper half (the
 * 32-bit destination).  Writing a read-only register, or a 1 in a
 * reserved bit, is #GP; so is a non-zero write to EOI or ESR.
 */
int lg_lapic_msr_write(struct lg_lapic *apic, u32 msr, u64 val,
		       struct lg_apic_time now, struct lg_lapic_out *out)
{
	u32 reg = lg_lapic_msr_reg(msr), writable, tolerated;
	enum lg_reg_kind kind;

	out->flags = 0;
	if (msr == LG_MSR_APIC_BASE)
		return lg_lapic_set_base(apic, val, out);
	if (msr == LG_MSR_TSC_DEADLINE) {
		lg_lapic_set_deadline(apic, val, now, out);
		return 0;
	}
	if (!lg_lapic_owns_msr(msr) || !lg_lapic_x2apic(apic))
		return -EINVAL;
	kind = lg_lapic_reg_kind(apic, reg, &writable, &tolerated);
	if (kind == LG_REG_RESERVED || kind == LG_REG_READ_ONLY)
		return -EINVAL;
	if (reg == LG_APIC_ICR) {
		if ((u32)val & ~writable)
			return -EINVAL;
		apic->icr_low = val;
		apic->icr_high = val >> 32;
		lg_lapic_send_ipi(apic, val, val >> 32, out);
		return 0;
	}
	if ((val >> 32) || ((u32)val & ~(writable | tolerated)))
		return -EINVAL;
	lg_lapic_reg_store(apic, reg, (u32)val & writable, now, out);
	return 0;
}
