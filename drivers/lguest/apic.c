// SPDX-License-Identifier: GPL-2.0
/*
 * The interrupt controllers of an SMP guest wired to its vCPUs: a local
 * APIC per vCPU and one I/O APIC, whose registers lapic.c and ioapic.c
 * compute, here given a lock, timers, routes between them and a way into
 * each vCPU's RUN loop.
 */
#include <linux/hrtimer.h>

#include "lg.h"

/*H:800
 * Many CPUs.  A guest given LGUEST_INIT_APIC has what a small PC has: a
 * local APIC in every CPU, an I/O APIC for the devices' lines, and the
 * old PIC pair still there behind them for early boot.  Everything an
 * interrupt controller does is a message from one of them to another:
 *
 * - A CPU writes its APIC's interrupt command register (ICR): an IPI,
 *   to one CPU or to a shorthand ("all but me").  Linux sends these to
 *   make another CPU reschedule, run a function, flush its TLB (H:820),
 *   start up (H:830) or dump its stack by NMI (H:840).
 * - A device raises a line: the I/O APIC looks up the pin's redirection
 *   entry, which the guest programmed with a vector and a destination,
 *   and sends that message to the destination's APIC.
 * - An APIC's own timer expires and queues its vector locally.
 *
 * lapic.c and ioapic.c say what each register access and each message
 * does to the controller's state and hand back whatever must travel
 * on; they know nothing of vCPUs.  This file is the bus between them.
 * All of it, every APIC and the I/O APIC, lives under the guest's lock,
 * the same spinlock the PIC already had (H:300): a message touches two
 * APICs at once (sender and receiver) and the guest has at most eight,
 * so one lock is simpler than one per APIC and costs little.  The lock
 * is never held across a kick: each route collects the CPUs it reached
 * in a mask and they are kicked after it is dropped.
 */

static struct lg_vcpu *lg_vcpu_at(struct lguest *lg, unsigned int i)
{
	/* Pairs with the release in lguest_create_vcpu(). */
	return smp_load_acquire(&lg->vcpus[i]);
}

/* Now, as the APIC sees it: host time and this vCPU's TSC. */
static struct lg_apic_time lg_apic_now(struct lg_vcpu *vcpu)
{
	return (struct lg_apic_time) {
		.ns = ktime_get_ns(),
		.tsc = lg_guest_tsc(vcpu),
	};
}

/*H:805
 * The APIC timer.  lapic.c turns every timer register into one number,
 * when the timer next expires in host time; a vCPU's hrtimer sleeps
 * until then, as the PIT's does (H:315), and its callback lets lapic.c
 * queue the timer's vector and work out the next expiry.  Each arming
 * comes from a guest register write, a VM exit of its own, and a
 * periodic timer is held to LG_APIC_MIN_PERIOD_NS, so the host takes no
 * more timer interrupts for a guest than the guest pays exits for, or
 * 5000 a second per CPU.
 */
static void lg_apic_arm(struct lg_vcpu *vcpu)
{
	u64 due = vcpu->apic.timer_due_ns;

	lockdep_assert_held(&vcpu->lg->lock);
	if (due == U64_MAX)
		hrtimer_try_to_cancel(&vcpu->apic_timer);
	else
		hrtimer_start(&vcpu->apic_timer, ns_to_ktime(due),
			      HRTIMER_MODE_ABS);
}

static enum hrtimer_restart lg_apic_timer_fn(struct hrtimer *timer)
{
	struct lg_vcpu *vcpu = container_of(timer, struct lg_vcpu, apic_timer);
	struct lguest *lg = vcpu->lg;
	unsigned long flags;
	unsigned int ticks;

	spin_lock_irqsave(&lg->lock, flags);
	lg->stats[LGUEST_STAT_APIC_TIMER]++;
	ticks = lg_lapic_timer_ticks(&vcpu->apic, ktime_get_ns());
	/* A masked timer counts on, but has nothing for the CPU. */
	if (ticks && lg_lapic_pending(&vcpu->apic) < 0)
		ticks = 0;
	lg_apic_arm(vcpu);
	spin_unlock_irqrestore(&lg->lock, flags);
	if (ticks)
		lg_vcpu_kick(vcpu);
	return HRTIMER_NORESTART;
}

/* ---- messages ---- */

/*H:810
 * A message has arrived at a vCPU's APIC, and lapic.c said what it
 * means for the CPU.  A fixed interrupt now waits in the APIC's IRR and
 * goes in through V_IRQ like the PIC's did (H:400); the rest are things
 * only the vCPU's own RUN loop can do to its registers, so they are left
 * as flags for it: an NMI to inject, a start-up vector, a reset.  In
 * every case the vCPU is kicked, out of the guest or out of HLT, to look.
 */
static void lg_apic_act(struct lg_vcpu *v, enum lg_lapic_action act,
			u8 vector, u32 *kick)
{
	switch (act) {
	case LG_LAPIC_IGNORED:
		return;
	case LG_LAPIC_QUEUED:
	case LG_LAPIC_EXTINT:
		break;
	case LG_LAPIC_NMI:
		v->nmi_pending = true;
		break;
	case LG_LAPIC_INIT:
		/* Whatever it was doing is void; it waits for a SIPI now. */
		v->nmi_pending = false;
		v->start_pending = false;
		lg_apic_arm(v);
		break;
	case LG_LAPIC_INIT_BSP:
		v->init_reset = true;
		lg_apic_arm(v);
		break;
	case LG_LAPIC_SIPI:
		v->start_pending = true;
		v->start_vector = vector;
		break;
	}
	*kick |= BIT(v->id);
}

/*
 * Give a message to every APIC it is for (H:720 says which); lowest
 * priority goes to the first one that takes it.  sender is the vCPU
 * whose ICR sent it, or NULL for the I/O APIC.
 */
static void lg_apic_route(struct lguest *lg, const struct lg_apic_msg *msg,
			  struct lg_vcpu *sender, u32 *kick)
{
	enum lg_lapic_action act;
	struct lg_vcpu *v;
	unsigned int i;

	for (i = 0; i < LGUEST_MAX_VCPUS; i++) {
		v = lg_vcpu_at(lg, i);
		if (!v || !lg_lapic_accepts(&v->apic, msg, v == sender))
			continue;
		act = lg_lapic_deliver(&v->apic, msg->delivery_mode,
				       msg->vector, msg->level);
		lg_apic_act(v, act, msg->vector, kick);
		if (sender)
			sender->stats[LGUEST_STAT_IPIS]++;
		/* Arbitration is among APICs that take it (not disabled). */
		if (msg->delivery_mode == LG_APIC_DM_LOWEST &&
		    act != LG_LAPIC_IGNORED)
			break;
	}
}

/* The I/O APIC's pins that fired: each sends its redirection entry. */
static void lg_ioapic_fire(struct lguest *lg, u32 pins, u32 *kick)
{
	struct lg_apic_msg msg;
	unsigned int pin;

	while (pins) {
		pin = __ffs(pins);
		pins &= pins - 1;
		lg_ioapic_msg(&lg->ioapic, pin, &msg);
		lg_apic_route(lg, &msg, NULL, kick);
	}
}

/*H:820
 * An IPI's way, end to end.  Take the one Linux sends most, a TLB
 * shootdown: CPU 0 has changed a page table that CPU 1 may have cached,
 * and must make CPU 1 flush before it goes on.  In xAPIC mode Linux reads
 * the ICR until it is idle, writes CPU 1's APIC ID into the ICR's high
 * half (0xfee00310) and then the vector with "fixed, physical" into its
 * low half (0xfee00300): three MOVs, three nested page faults outside
 * RAM, each decoded by svm.c (H:470) and given to lg_apic_mmio() (H:815).
 * The last one makes lapic.c build a message (H:720 says who takes it);
 * lg_apic_out() below routes it: CPU 1's APIC takes it, the vector goes
 * into CPU 1's IRR, and CPU 1 goes into the kick mask.  Once the lock is
 * dropped, the kick (H:305): a wakeup if CPU 1 sleeps in HLT, a host IPI
 * if it runs the guest on another host CPU, which makes it leave the
 * guest (#VMEXIT(INTR)).  Either way CPU 1's RUN loop comes round to
 * lg_prepare_interrupts(), finds the vector above its priority (H:710),
 * moves it from IRR to ISR and hands it over in V_IRQ (H:400); the guest
 * takes it through its IDT at its very first instruction, flushes its
 * TLB, sets the flag CPU 0 waits on in memory (which lg.ko never sees),
 * and ends with a write to EOI, one more exit, which clears the ISR bit.
 * All told: three exits on the sender, one kick, and on the receiver an
 * exit for the kick (or a wakeup) and one for the EOI.
 */

/* What a register write of vcpu's APIC left to do (lg_emul.h). */
static void lg_apic_out(struct lg_vcpu *vcpu, const struct lg_lapic_out *out,
			u32 *kick)
{
	struct lguest *lg = vcpu->lg;

	if (out->flags & LG_LAPIC_OUT_IPI)
		lg_apic_route(lg, &out->ipi, vcpu, kick);
	if ((out->flags & LG_LAPIC_OUT_EOI) && out->eoi_level)
		lg_ioapic_fire(lg, lg_ioapic_eoi(&lg->ioapic, out->eoi_vector),
			       kick);
	if (out->flags & LG_LAPIC_OUT_TIMER)
		lg_apic_arm(vcpu);
}

/* A device line moved (under lock): the I/O APIC's pin of that number. */
void lg_ioapic_line_locked(struct lguest *lg, unsigned int line, int level,
			   u32 *kick)
{
	lockdep_assert_held(&lg->lock);
	if (!lg->apics || line >= LG_IOAPIC_PINS)
		return;
	lg_ioapic_fire(lg, lg_ioapic_set_line(&lg->ioapic, line, level), kick);
}

/* ---- the guest's accesses ---- */

/*H:815
 * The registers.  An xAPIC is a page of MMIO at 0xfee00000 and the I/O
 * APIC another at 0xfec00000, both outside the guest's RAM, so every
 * access is a nested page fault that svm.c decodes (H:470) and hands
 * here before the launcher could see it.  Each CPU's access reaches its
 * own APIC at the same address, as on hardware.  The MSRs (the APIC
 * base, the TSC deadline) come from svm.c's RDMSR and WRMSR.  x2APIC,
 * the MSR interface to the same registers, is in lapic.c but not in the
 * guest's CPUID: Linux 6.1 takes x2APIC without interrupt remapping only
 * from hypervisors it knows by name, so an unmodified kernel would turn
 * it off again; and a mode CPUID does not offer cannot be entered (#GP).
 */
bool lg_apic_mmio(struct lg_vcpu *vcpu, u64 gpa, unsigned int size,
		  bool is_write, u64 *val)
{
	struct lguest *lg = vcpu->lg;
	struct lg_lapic_out out = { 0 };
	struct lg_apic_time now;
	unsigned long flags;
	u32 offset, kick = 0;
	bool ours = true;

	if (!READ_ONCE(lg->apics))
		return false;
	now = lg_apic_now(vcpu);
	spin_lock_irqsave(&lg->lock, flags);
	if (lg_lapic_owns_mmio(&vcpu->apic, gpa)) {
		offset = gpa & (LG_APIC_PAGE_SIZE - 1);
		if (is_write) {
			if (!lg_lapic_mmio_write(&vcpu->apic, offset, size, *val,
						 now, &out))
				lg_apic_out(vcpu, &out, &kick);
		} else if (lg_lapic_mmio_read(&vcpu->apic, offset, size, val,
					      now)) {
			*val = 0;
		}
	} else if (lg_ioapic_owns_mmio(gpa)) {
		offset = gpa - LG_IOAPIC_BASE;
		if (is_write)
			lg_ioapic_fire(lg, lg_ioapic_mmio_write(&lg->ioapic,
								offset, size,
								*val), &kick);
		else
			*val = lg_ioapic_mmio_read(&lg->ioapic, offset, size);
	} else {
		ours = false;
	}
	spin_unlock_irqrestore(&lg->lock, flags);
	lg_kick_mask(lg, kick);
	if (ours)
		vcpu->stats[LGUEST_STAT_EXIT_APIC]++;
	return ours;
}

/* 0, -EINVAL for #GP, or -ENOENT: not an APIC MSR (or no APIC). */
int lg_apic_msr(struct lg_vcpu *vcpu, u32 msr, bool is_write, u64 *val)
{
	struct lguest *lg = vcpu->lg;
	struct lg_lapic_out out = { 0 };
	struct lg_apic_time now;
	unsigned long flags;
	u32 kick = 0;
	int err;

	if (!READ_ONCE(lg->apics) || !lg_lapic_owns_msr(msr))
		return -ENOENT;
	vcpu->stats[LGUEST_STAT_EXIT_APIC]++;
	if (is_write && msr == LG_MSR_APIC_BASE && (*val & LG_APIC_BASE_EXTD))
		return -EINVAL;
	now = lg_apic_now(vcpu);
	spin_lock_irqsave(&lg->lock, flags);
	if (is_write) {
		err = lg_lapic_msr_write(&vcpu->apic, msr, *val, now, &out);
		if (!err)
			lg_apic_out(vcpu, &out, &kick);
	} else {
		err = lg_lapic_msr_read(&vcpu->apic, msr, val, now);
	}
	spin_unlock_irqrestore(&lg->lock, flags);
	lg_kick_mask(lg, kick);
	return err;
}

/* ---- what the RUN loop asks ---- */

/* Under lock: may the PIC's INTR reach this vCPU (H:300)? */
bool lg_pic_reaches(struct lg_vcpu *vcpu)
{
	return vcpu->id == 0 &&
	       (!vcpu->lg->apics || lg_lapic_accepts_pic(&vcpu->apic));
}

/*
 * Something for this vCPU that no IF can hold off: INIT, SIPI, or an NMI
 * unless one is being handled (H:840), which holds the next off as the
 * CPU would.  Asked by the vCPU's own RUN, which owns nmi_masked.
 */
bool lg_vcpu_event_pending(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	unsigned long flags;
	bool pending;

	if (!READ_ONCE(lg->apics))
		return false;
	spin_lock_irqsave(&lg->lock, flags);
	pending = (vcpu->nmi_pending && !vcpu->nmi_masked) ||
		  vcpu->init_reset || vcpu->start_pending ||
		  vcpu->apic.wait_for_sipi;
	spin_unlock_irqrestore(&lg->lock, flags);
	return pending;
}

bool lg_waits_for_sipi(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	unsigned long flags;
	bool waits;

	if (!READ_ONCE(lg->apics))
		return false;
	spin_lock_irqsave(&lg->lock, flags);
	waits = vcpu->apic.wait_for_sipi && !vcpu->start_pending;
	spin_unlock_irqrestore(&lg->lock, flags);
	return waits;
}

/* ---- setting up ---- */

/* Under lock: the APIC as at power-on; an AP waits for its SIPI. */
static void lg_apic_vcpu_reset_locked(struct lg_vcpu *vcpu)
{
	lg_lapic_init(&vcpu->apic, vcpu->id, vcpu->id == 0, lg_tsc_khz());
	vcpu->apic.wait_for_sipi = vcpu->id != 0;
	vcpu->nmi_pending = false;
	vcpu->start_pending = false;
	vcpu->init_reset = false;
	lg_apic_arm(vcpu);
}

/*
 * LHREQ_INITIALIZE with LGUEST_INIT_APIC (cpus checked), under setup_lock: the CPUs
 * made so far get their APICs, and every later one gets one as it is
 * made (lg_apic_vcpu_init()).
 */
void lg_apic_init_guest(struct lguest *lg, u32 cpus)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&lg->lock, flags);
	lg->nr_cpus = cpus;
	lg_ioapic_reset(&lg->ioapic);
	/* After the CPUs' APIC IDs, as the launcher's MP table says. */
	lg->ioapic.id = cpus;
	for (i = 0; i < LGUEST_MAX_VCPUS; i++) {
		if (!lg->vcpus[i])
			continue;
		lg_apic_vcpu_reset_locked(lg->vcpus[i]);
		/* An AP SETREGS has set up already runs from there. */
		if (!lg->vcpus[i]->needs_regs)
			lg->vcpus[i]->apic.wait_for_sipi = false;
	}
	WRITE_ONCE(lg->apics, true);
	spin_unlock_irqrestore(&lg->lock, flags);
}

/* A new vCPU, under setup_lock, before anyone else can see it. */
void lg_apic_vcpu_init(struct lg_vcpu *vcpu)
{
	unsigned long flags;

	hrtimer_init(&vcpu->apic_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	vcpu->apic_timer.function = lg_apic_timer_fn;
	if (!vcpu->lg->apics)
		return;
	spin_lock_irqsave(&vcpu->lg->lock, flags);
	lg_apic_vcpu_reset_locked(vcpu);
	spin_unlock_irqrestore(&vcpu->lg->lock, flags);
}

/*
 * A reset (H:045), under lock, as it is counted: every APIC as at
 * power-on (the APs waiting for their SIPIs again, every APIC timer
 * stopped) and the I/O APIC too, so that nothing from before the reset
 * fires into the machine starting again, and an INIT or SIPI the
 * rebooted guest sends an AP is kept for it whenever its thread comes
 * back into RUN.
 */
void lg_apic_reset_locked(struct lguest *lg)
{
	unsigned int i;

	lockdep_assert_held(&lg->lock);
	if (!lg->apics)
		return;
	for (i = 0; i < LGUEST_MAX_VCPUS; i++)
		if (lg->vcpus[i])
			lg_apic_vcpu_reset_locked(lg->vcpus[i]);
	lg_ioapic_reset(&lg->ioapic);
	lg->ioapic.id = lg->nr_cpus;
}

/* The boot CPU's SETREGS after a reset: the machine starts from here. */
void lg_apic_vcpu_reset(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	unsigned long flags;

	if (!READ_ONCE(lg->apics) || vcpu->id != 0)
		return;
	spin_lock_irqsave(&lg->lock, flags);
	lg_apic_vcpu_reset_locked(vcpu);
	lg_ioapic_reset(&lg->ioapic);
	lg->ioapic.id = lg->nr_cpus;
	spin_unlock_irqrestore(&lg->lock, flags);
}

/* When the guest goes: no timer may fire after this. */
void lg_apic_vcpu_release(struct lg_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->apic_timer);
}

/* SETREGS said where this vCPU runs: it waits for no SIPI any more. */
void lg_apic_vcpu_started(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	unsigned long flags;

	if (!READ_ONCE(lg->apics))
		return;
	spin_lock_irqsave(&lg->lock, flags);
	vcpu->apic.wait_for_sipi = false;
	vcpu->start_pending = false;
	spin_unlock_irqrestore(&lg->lock, flags);
}
