// SPDX-License-Identifier: GPL-2.0
/*
 * drivers/lguest/apic.c, the wiring between the vCPUs and their
 * interrupt controllers, over the checked kernel stand-ins of
 * kmock/kmock.h.  test_lapic.c and test_ioapic.c already say what each
 * register does; these cases ask what only the wiring can get wrong: that
 * a guest access reaches the accessing vCPU's own APIC, that a message
 * lands in the right vCPUs and kicks exactly those (never under lg->lock),
 * that INIT, SIPI and NMI leave the flags the RUN loop reads, that device
 * lines go through the I/O APIC and an EOI back to it, that the PIC
 * reaches CPU 0 through LINT0 only, and that each APIC timer drives its
 * vCPU's hrtimer.  Every case ends by checking the lock discipline.
 */
#include "kmock.h"
#include "lg.h"
#include "lgunit.h"

#define T0		1000000000ULL

/* xAPIC register offsets, as a guest addresses them (Intel SDM 10.4.1). */
#define APIC_ID		0x20
#define APIC_VERSION	0x30
#define APIC_TPR	0x80
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SVR	0xf0
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_LINT0	0x350
#define APIC_TMICT	0x380
#define APIC_TDCR	0x3e0

/* ICR low bits: delivery mode, destination mode, level, shorthand. */
#define ICR_FIXED	0x000
#define ICR_LOWEST	0x100
#define ICR_NMI		0x400
#define ICR_INIT	0x500
#define ICR_SIPI	0x600
#define ICR_LOGICAL	0x800
#define ICR_ASSERT	0x4000
#define ICR_LEVEL	0x8000
#define ICR_SELF	0x40000
#define ICR_ALL		0x80000
#define ICR_OTHERS	0xc0000

#define LVT_MASKED	0x10000
#define LVT_EXTINT	0x700
#define TIMER_PERIODIC	0x20000
#define TIMER_DEADLINE	0x40000
#define TDCR_DIV1	0xb
#define SVR_ON		0x1ff	/* enabled, spurious vector 0xff */

/* The I/O APIC's registers and redirection entry bits. */
#define IOREGSEL	0x00
#define IOWIN		0x10
#define RTE_LEVEL	0x8000
#define RTE_REMOTE_IRR	0x4000
#define RTE_MASKED	0x10000

#define NS_1MS		1000000ULL

/*
 * A guest as main.c makes one: vCPUs get their hrtimer (and, after
 * INITIALIZE, their APIC) in lg_apic_vcpu_init() before they are
 * published.  Each vCPU has a thread in RUN (t[i]) so that kicks show up
 * as kick_process() calls as well as wakeups.
 */
struct rig {
	struct lguest *lg;
	struct lg_vcpu *v[LGUEST_MAX_VCPUS];
	struct task_struct t[LGUEST_MAX_VCPUS];
	struct task_struct launcher;
};

static struct lg_vcpu *rig_add_vcpu(struct rig *r, unsigned int n)
{
	struct lg_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	vcpu->lg = r->lg;
	vcpu->id = n;
	init_waitqueue_head(&vcpu->wq);
	vcpu->task = &r->t[n];
	/* As main.c makes them: an AP without APICs waits for SETREGS. */
	vcpu->needs_regs = n != 0 && !r->lg->apics;
	lg_apic_vcpu_init(vcpu);
	smp_store_release(&r->lg->vcpus[n], vcpu);
	r->v[n] = vcpu;
	return vcpu;
}

/* A triple fault's reset of the interrupt controllers (main.c). */
static void rig_reset(struct rig *r)
{
	unsigned long flags;

	spin_lock_irqsave(&r->lg->lock, flags);
	lg_apic_reset_locked(r->lg);
	spin_unlock_irqrestore(&r->lg->lock, flags);
}

/* cpus vCPUs; with apics, INITIALIZE with LGUEST_INIT_APIC after them. */
static struct rig *rig_new(unsigned int cpus, bool apics)
{
	struct rig *r = calloc(1, sizeof(*r));
	unsigned int i;

	kmock_violations = 0;
	kmock_use_after_free = 0;
	kmock_warnings = 0;
	kmock_kicks_locked = 0;
	kmock_spinlocks_held = 0;
	kmock_now_ns = T0;
	r->lg = calloc(1, sizeof(*r->lg));
	lg_events_init(r->lg);
	for (i = 0; i < cpus; i++)
		rig_add_vcpu(r, i);
	if (apics)
		lg_apic_init_guest(r->lg, cpus);
	/* Lines come from the launcher's thread unless a test says else. */
	current = &r->launcher;
	return r;
}

/* Forget the kicks so far, so the next checks count from zero. */
static void rig_quiet(struct rig *r)
{
	for (unsigned int i = 0; i < LGUEST_MAX_VCPUS; i++) {
		r->t[i].kicks = 0;
		if (r->v[i])
			r->v[i]->wq.wakeups = 0;
	}
}

/* The vCPUs woken since rig_quiet(), as a mask. */
static u32 woken(struct rig *r)
{
	u32 mask = 0;

	for (unsigned int i = 0; i < LGUEST_MAX_VCPUS; i++)
		if (r->v[i] && r->v[i]->wq.wakeups)
			mask |= BIT(i);
	return mask;
}

/* The vCPU threads kick_process() reached since rig_quiet(). */
static u32 prodded(struct rig *r)
{
	u32 mask = 0;

	for (unsigned int i = 0; i < LGUEST_MAX_VCPUS; i++)
		if (r->t[i].kicks)
			mask |= BIT(i);
	return mask;
}

/*
 * The lock discipline, after every case: no kmock rule broken, no kick
 * while a spinlock was held, lg->lock free again; then free it all.
 */
static void rig_done(struct rig *r)
{
	tap_case("lock discipline");
	CHECK_EQ(kmock_violations, 0);
	CHECK_EQ(kmock_kicks_locked, 0);
	CHECK_EQ(kmock_use_after_free, 0);
	CHECK_EQ(kmock_spinlocks_held, 0);
	CHECK_EQ(r->lg->lock.held, 0);
	for (unsigned int i = 0; i < LGUEST_MAX_VCPUS; i++)
		if (r->v[i])
			lg_apic_vcpu_release(r->v[i]);
	lg_events_release(r->lg);
	for (unsigned int i = 0; i < LGUEST_MAX_VCPUS; i++)
		free(r->v[i]);
	free(r->lg);
	free(r);
	current = NULL;
}

/* ---- the guest's accesses, as svm.c hands them over ---- */

/* A vCPU's own MOV to an APIC register: it runs on that vCPU's thread. */
static void apic_w(struct lg_vcpu *v, u32 reg, u32 val)
{
	u64 x = val;

	current = v->task;
	CHECK(lg_apic_mmio(v, LG_APIC_DEFAULT_BASE + reg, 4, true, &x));
}

static u32 apic_r(struct lg_vcpu *v, u32 reg)
{
	u64 x = ~0ULL;

	current = v->task;
	CHECK(lg_apic_mmio(v, LG_APIC_DEFAULT_BASE + reg, 4, false, &x));
	return x;
}

/* Linux's xAPIC send: destination into ICR2, then ICR sends. */
static void ipi(struct lg_vcpu *from, u8 dest, u32 icr)
{
	apic_w(from, APIC_ICR2, (u32)dest << 24);
	apic_w(from, APIC_ICR, icr);
}

static void io_w(struct lg_vcpu *v, u8 index, u32 val)
{
	u64 sel = index, x = val;

	current = v->task;
	CHECK(lg_apic_mmio(v, LG_IOAPIC_BASE + IOREGSEL, 4, true, &sel));
	CHECK(lg_apic_mmio(v, LG_IOAPIC_BASE + IOWIN, 4, true, &x));
}

static u32 io_r(struct lg_vcpu *v, u8 index)
{
	u64 sel = index, x = ~0ULL;

	current = v->task;
	CHECK(lg_apic_mmio(v, LG_IOAPIC_BASE + IOREGSEL, 4, true, &sel));
	CHECK(lg_apic_mmio(v, LG_IOAPIC_BASE + IOWIN, 4, false, &x));
	return x;
}

/* clear_IO_APIC_pin()'s way: the version 0x20 EOI register at 0x40. */
static void io_eoi(struct lg_vcpu *v, u8 vector)
{
	u64 x = vector;

	current = v->task;
	CHECK(lg_apic_mmio(v, LG_IOAPIC_BASE + 0x40, 4, true, &x));
}

/* ioapic_write_entry(): the destination half first, then the low half. */
static void set_pin(struct lg_vcpu *v, unsigned int pin, u32 low, u8 dest)
{
	io_w(v, 0x11 + 2 * pin, (u32)dest << 24);
	io_w(v, 0x10 + 2 * pin, low);
}

static int msr_w(struct lg_vcpu *v, u32 msr, u64 val)
{
	current = v->task;
	return lg_apic_msr(v, msr, true, &val);
}

/* Is vector in the APIC's IRR (requested, not yet taken)? */
static bool irr_has(struct lg_vcpu *v, u8 vector)
{
	return v->apic.irr[vector / 32] & BIT(vector % 32);
}

static bool irr_empty(struct lg_vcpu *v)
{
	for (unsigned int i = 0; i < 8; i++)
		if (v->apic.irr[i])
			return false;
	return true;
}

/* svm.c's lg_prepare_interrupts() taking the vector, under lg->lock. */
static int take_interrupt(struct lg_vcpu *v)
{
	unsigned long flags;
	int vector;

	spin_lock_irqsave(&v->lg->lock, flags);
	vector = lg_lapic_ack(&v->apic);
	spin_unlock_irqrestore(&v->lg->lock, flags);
	return vector;
}

/* svm.c's lg_take_start(): the vector a SIPI left, or -1. */
static int take_start(struct lg_vcpu *v)
{
	unsigned long flags;
	int vector = -1;

	spin_lock_irqsave(&v->lg->lock, flags);
	if (v->start_pending) {
		v->start_pending = false;
		vector = v->start_vector;
	}
	spin_unlock_irqrestore(&v->lg->lock, flags);
	return vector;
}

static bool pic_reaches(struct lg_vcpu *v)
{
	unsigned long flags;
	bool reaches;

	spin_lock_irqsave(&v->lg->lock, flags);
	reaches = lg_pic_reaches(v);
	spin_unlock_irqrestore(&v->lg->lock, flags);
	return reaches;
}

/*
 * The APs started (SETREGS) and each CPU ran Linux's setup_local_APIC(),
 * which software-enables its APIC: a disabled one takes no fixed vector.
 */
static void enable_apics(struct rig *r)
{
	for (unsigned int i = 0; i < LGUEST_MAX_VCPUS; i++) {
		if (!r->v[i])
			continue;
		lg_apic_vcpu_started(r->v[i]);
		apic_w(r->v[i], APIC_SVR, SVR_ON);
	}
}

/* The hrtimer is armed exactly when, and for when, lapic.c says. */
static bool timer_matches_apic(struct lg_vcpu *v)
{
	if (v->apic.timer_due_ns == U64_MAX)
		return !v->apic_timer.queued;
	return v->apic_timer.queued &&
	       (u64)v->apic_timer.expires == v->apic.timer_due_ns;
}

/* The hrtimer core runs the callback at its expiry, on some host CPU. */
static void fire_timer(struct lg_vcpu *v)
{
	kmock_now_ns = v->apic_timer.expires;
	current = NULL;
	kmock_hrtimer_expire(&v->apic_timer);
}

/* ---- the registers reach the accessing vCPU's own APIC ---- */

static void test_own_apic(void)
{
	struct rig *r = rig_new(3, true);
	unsigned int i;

	tap_case("each vCPU reads its own APIC ID at 0xfee00020");
	for (i = 0; i < 3; i++)
		CHECK_EQ(apic_r(r->v[i], APIC_ID), i << 24);
	CHECK_EQ(apic_r(r->v[2], APIC_VERSION), 0x00060014);
	tap_case("a write reaches the writer's APIC only");
	apic_w(r->v[1], APIC_TPR, 0x20);
	CHECK_EQ(apic_r(r->v[1], APIC_TPR), 0x20);
	CHECK_EQ(apic_r(r->v[0], APIC_TPR), 0);
	CHECK_EQ(apic_r(r->v[2], APIC_TPR), 0);
	tap_case("one I/O APIC for all, its ID after the CPUs' (MP table)");
	CHECK_EQ(io_r(r->v[0], 0), 3 << 24);
	CHECK_EQ(io_r(r->v[2], 1), 0x00170020);
	io_w(r->v[1], 0x10 + 2 * 7, 0x10047);
	CHECK_EQ(io_r(r->v[2], 0x10 + 2 * 7), 0x10047);
	tap_case("each access counts as an APIC exit of its vCPU");
	/* ID, version, TPR, and two IOREGSEL/IOWIN pairs on CPU 2 */
	CHECK_EQ(r->v[2]->stats[LGUEST_STAT_EXIT_APIC], 1 + 1 + 1 + 2 + 2);
	CHECK_EQ(r->v[1]->stats[LGUEST_STAT_EXIT_APIC], 1 + 2 + 2);
	tap_case("a register access kicks nobody");
	CHECK_EQ(woken(r), 0);
	rig_done(r);
}

/* Accesses lg_apic_mmio() must leave to ioeventfds and the launcher. */
static void test_not_ours(void)
{
	static const u64 elsewhere[] = {
		LG_IOAPIC_BASE - 4, LG_IOAPIC_BASE + LG_IOAPIC_PAGE_SIZE,
		0xfed00000,	/* an HPET, which we have not */
		LG_APIC_DEFAULT_BASE - 4,
		LG_APIC_DEFAULT_BASE + LG_APIC_PAGE_SIZE,
		0xd0000000,	/* virtio-mmio */
	};
	struct rig *r = rig_new(2, true);
	struct lg_vcpu *v0 = r->v[0];
	u64 x;

	for (unsigned int i = 0; i < ARRAY_SIZE(elsewhere); i++) {
		tap_case("gpa %#llx is no APIC's",
			 (unsigned long long)elsewhere[i]);
		x = 0x1234;
		CHECK(!lg_apic_mmio(v0, elsewhere[i], 4, true, &x));
		CHECK(!lg_apic_mmio(v0, elsewhere[i], 4, false, &x));
		CHECK_EQ(x, 0x1234);
	}
	CHECK_EQ(v0->stats[LGUEST_STAT_EXIT_APIC], 0);

	tap_case("the last bytes of both pages are ours");
	CHECK(lg_apic_mmio(v0, LG_APIC_DEFAULT_BASE + 0xffc, 4, false, &x));
	CHECK(lg_apic_mmio(v0, LG_IOAPIC_BASE + 0xffc, 4, false, &x));

	tap_case("a relocated APIC page moves with IA32_APIC_BASE");
	CHECK_EQ(msr_w(v0, LG_MSR_APIC_BASE, 0xfed00000 | LG_APIC_BASE_ENABLE |
		       LG_APIC_BASE_BSP), 0);
	CHECK(lg_apic_mmio(v0, 0xfed00000 + APIC_ID, 4, false, &x));
	CHECK_EQ(x, 0);
	CHECK(!lg_apic_mmio(v0, LG_APIC_DEFAULT_BASE + APIC_ID, 4, false, &x));
	tap_case("... for that vCPU only");
	CHECK(!lg_apic_mmio(r->v[1], 0xfed00000 + APIC_ID, 4, false, &x));
	CHECK(lg_apic_mmio(r->v[1], LG_APIC_DEFAULT_BASE + APIC_ID, 4, false,
			   &x));
	CHECK_EQ(x, 1 << 24);

	tap_case("a globally disabled APIC has no page; the I/O APIC stays");
	CHECK_EQ(msr_w(r->v[1], LG_MSR_APIC_BASE, LG_APIC_DEFAULT_BASE), 0);
	CHECK(!lg_apic_mmio(r->v[1], LG_APIC_DEFAULT_BASE + APIC_ID, 4, false,
			    &x));
	CHECK(lg_apic_mmio(r->v[1], LG_IOAPIC_BASE + IOWIN, 4, false, &x));
	rig_done(r);
}

/* Without LGUEST_INIT_APIC a guest is the uniprocessor PC it was. */
static void test_no_apics(void)
{
	struct rig *r = rig_new(2, false);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];
	u64 x = 0x1234;

	tap_case("no page is ours");
	CHECK(!lg_apic_mmio(v0, LG_APIC_DEFAULT_BASE + APIC_ID, 4, false, &x));
	CHECK(!lg_apic_mmio(v0, LG_IOAPIC_BASE + IOWIN, 4, true, &x));
	CHECK(!lg_apic_mmio(v1, LG_APIC_DEFAULT_BASE + APIC_ICR, 4, true, &x));
	CHECK_EQ(x, 0x1234);
	tap_case("no MSR is ours");
	CHECK_EQ(lg_apic_msr(v0, LG_MSR_APIC_BASE, false, &x), -ENOENT);
	CHECK_EQ(lg_apic_msr(v0, LG_MSR_APIC_BASE, true, &x), -ENOENT);
	CHECK_EQ(lg_apic_msr(v1, LG_MSR_TSC_DEADLINE, true, &x), -ENOENT);
	CHECK_EQ(lg_apic_msr(v1, 0x802, false, &x), -ENOENT);
	CHECK_EQ(v0->stats[LGUEST_STAT_EXIT_APIC], 0);
	tap_case("no CPU waits for a SIPI or has an event");
	CHECK(!lg_waits_for_sipi(v0));
	CHECK(!lg_waits_for_sipi(v1));
	CHECK(!lg_vcpu_event_pending(v1));
	lg_apic_vcpu_started(v1);
	lg_apic_vcpu_reset(v1);
	CHECK(!lg_waits_for_sipi(v1));
	tap_case("the PIC reaches CPU 0, and only CPU 0");
	CHECK(pic_reaches(v0));
	CHECK(!pic_reaches(v1));
	tap_case("a line goes to the PIC alone");
	lg_set_irq(r->lg, 4, 1);
	CHECK_EQ(r->lg->ioapic.line_level, 0);
	CHECK_EQ(woken(r), BIT(0));
	CHECK(lg_interrupt_pending(v0));
	CHECK(!lg_interrupt_pending(v1));
	lg_set_irq(r->lg, 4, 0);
	rig_done(r);
}

/* ---- IPIs ---- */

static void test_fixed_ipi(void)
{
	struct rig *r = rig_new(3, true);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1], *v2 = r->v[2];

	enable_apics(r);
	rig_quiet(r);
	ipi(v0, 1, ICR_FIXED | ICR_ASSERT | 0x40);
	tap_case("CPU 0 -> CPU 1, vector 0x40: in CPU 1's IRR");
	CHECK(irr_has(v1, 0x40));
	CHECK_EQ(lg_lapic_pending(&v1->apic), 0x40);
	CHECK(lg_interrupt_pending(v1));
	tap_case("and nowhere else");
	CHECK(irr_empty(v0));
	CHECK(irr_empty(v2));
	CHECK(!lg_interrupt_pending(v2));
	tap_case("CPU 1 is woken and its thread kicked, no one else");
	CHECK_EQ(woken(r), BIT(1));
	CHECK_EQ(prodded(r), BIT(1));
	CHECK_EQ(r->t[1].kicks, 1);
	tap_case("the sender counts one IPI");
	CHECK_EQ(v0->stats[LGUEST_STAT_IPIS], 1);
	CHECK_EQ(v1->stats[LGUEST_STAT_IPIS], 0);

	tap_case("CPU 1 takes it and EOIs: nothing more happens");
	CHECK_EQ(take_interrupt(v1), 0x40);
	rig_quiet(r);
	apic_w(v1, APIC_EOI, 0);
	CHECK(irr_empty(v1));
	CHECK_EQ(woken(r), 0);

	tap_case("an IPI to an APIC ID no vCPU has reaches nobody");
	rig_quiet(r);
	ipi(v2, 5, ICR_FIXED | ICR_ASSERT | 0x41);
	CHECK(irr_empty(v0) && irr_empty(v1) && irr_empty(v2));
	CHECK_EQ(woken(r), 0);
	CHECK_EQ(v2->stats[LGUEST_STAT_IPIS], 0);

	tap_case("a software-disabled APIC drops it, and is not kicked");
	apic_w(v2, APIC_SVR, 0xff);
	rig_quiet(r);
	ipi(v0, 2, ICR_FIXED | ICR_ASSERT | 0x42);
	CHECK(irr_empty(v2));
	CHECK_EQ(woken(r), 0);
	rig_done(r);
}

static void test_shorthands(void)
{
	struct rig *r = rig_new(4, true);
	unsigned int i;

	enable_apics(r);
	rig_quiet(r);
	/* sending CPU's own thread is current: it wakes, nobody kicks it */
	ipi(r->v[2], 0, ICR_SELF | ICR_FIXED | 0x50);
	tap_case("self IPI: the sender only");
	for (i = 0; i < 4; i++)
		CHECK_EQ(irr_has(r->v[i], 0x50), i == 2);
	CHECK_EQ(woken(r), BIT(2));
	CHECK_EQ(prodded(r), 0);
	CHECK_EQ(r->v[2]->stats[LGUEST_STAT_IPIS], 1);

	rig_quiet(r);
	ipi(r->v[1], 0, ICR_OTHERS | ICR_FIXED | 0x51);
	tap_case("all excluding self: every other CPU");
	for (i = 0; i < 4; i++)
		CHECK_EQ(irr_has(r->v[i], 0x51), i != 1);
	CHECK_EQ(woken(r), BIT(0) | BIT(2) | BIT(3));
	CHECK_EQ(prodded(r), BIT(0) | BIT(2) | BIT(3));
	tap_case("the sender counts each target");
	CHECK_EQ(r->v[1]->stats[LGUEST_STAT_IPIS], 3);

	rig_quiet(r);
	ipi(r->v[3], 0, ICR_ALL | ICR_FIXED | 0x52);
	tap_case("all including self: every CPU");
	for (i = 0; i < 4; i++)
		CHECK(irr_has(r->v[i], 0x52));
	CHECK_EQ(woken(r), 0xf);
	CHECK_EQ(prodded(r), BIT(0) | BIT(1) | BIT(2));
	CHECK_EQ(r->v[3]->stats[LGUEST_STAT_IPIS], 4);

	rig_quiet(r);
	ipi(r->v[0], 0xff, ICR_FIXED | 0x53);
	tap_case("physical broadcast 0xff: every CPU, the sender too");
	for (i = 0; i < 4; i++)
		CHECK(irr_has(r->v[i], 0x53));
	CHECK_EQ(woken(r), 0xf);
	rig_done(r);
}

/* Flat logical mode as Linux's default_init_apic_ldr() sets it up. */
static struct rig *rig_flat_logical(void)
{
	struct rig *r = rig_new(4, true);
	unsigned int i;

	enable_apics(r);
	for (i = 0; i < 4; i++) {
		apic_w(r->v[i], APIC_DFR, 0xffffffff);
		apic_w(r->v[i], APIC_LDR, BIT(24 + i));
	}
	return r;
}

static void test_logical_lowest(void)
{
	struct rig *r = rig_flat_logical();
	unsigned int i;

	rig_quiet(r);
	ipi(r->v[3], 0x05, ICR_LOGICAL | ICR_FIXED | 0x60);
	tap_case("logical 0x05: CPUs 0 and 2");
	for (i = 0; i < 4; i++)
		CHECK_EQ(irr_has(r->v[i], 0x60), i == 0 || i == 2);
	CHECK_EQ(woken(r), BIT(0) | BIT(2));
	CHECK_EQ(r->v[3]->stats[LGUEST_STAT_IPIS], 2);

	rig_quiet(r);
	ipi(r->v[0], 0x0e, ICR_LOGICAL | ICR_LOWEST | 0x61);
	tap_case("lowest priority to 0x0e: exactly one of CPUs 1-3");
	CHECK_EQ(irr_has(r->v[1], 0x61) + irr_has(r->v[2], 0x61) +
		 irr_has(r->v[3], 0x61), 1);
	CHECK(!irr_has(r->v[0], 0x61));
	CHECK_EQ(__builtin_popcount(woken(r)), 1);
	CHECK(!(woken(r) & BIT(0)));
	CHECK_EQ(r->v[0]->stats[LGUEST_STAT_IPIS], 1);
	rig_done(r);
}

/*
 * Lowest priority is arbitrated among the APICs that can take a fixed
 * interrupt: a software-disabled one drops it (lapic.c), so it must not
 * win the arbitration and lose the interrupt while another in the set
 * would have taken it (KVM's kvm_irq_delivery_to_apic() skips them too).
 * lg_apic_route() once stopped after the first APIC that
 * lg_lapic_accepts() the message, taken or not, and lost it.
 */
static void test_lowest_skips_disabled(void)
{
	struct rig *r = rig_flat_logical();

	/* CPUs 1 and 2 software-disabled, as an AP going offline leaves it */
	apic_w(r->v[1], APIC_SVR, 0xff);
	apic_w(r->v[2], APIC_SVR, 0xff);
	rig_quiet(r);
	ipi(r->v[0], 0x0e, ICR_LOGICAL | ICR_LOWEST | 0x62);
	tap_case("an IPI to logical 0x0e goes to CPU 3, the only one enabled");
	CHECK(irr_has(r->v[3], 0x62));
	CHECK_EQ(woken(r), BIT(3));

	tap_case("so does an I/O APIC pin's lowest-priority message");
	apic_w(r->v[0], APIC_LVT_LINT0, LVT_MASKED | LVT_EXTINT);
	set_pin(r->v[0], 5, 0x800 | 0x100 | 0x35, 0x0e);
	rig_quiet(r);
	current = &r->launcher;
	lg_set_irq(r->lg, 5, LGUEST_IRQ_PULSE);
	CHECK(irr_has(r->v[3], 0x35));
	CHECK_EQ(woken(r), BIT(3));
	rig_done(r);
}

/* ---- INIT, SIPI, NMI: flags for the RUN loop ---- */

static void test_init_sipi(void)
{
	struct rig *r = rig_new(3, true);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1], *v2 = r->v[2];

	tap_case("at INITIALIZE the APs wait for a SIPI, the BSP does not");
	CHECK(!lg_waits_for_sipi(v0));
	CHECK(lg_waits_for_sipi(v1));
	CHECK(lg_waits_for_sipi(v2));
	CHECK(!lg_vcpu_event_pending(v0));
	CHECK(lg_vcpu_event_pending(v1));

	/* smpboot.c's wakeup_secondary_cpu_via_init(), for CPU 1 */
	rig_quiet(r);
	ipi(v0, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	tap_case("INIT: CPU 1 waits for its SIPI and is kicked to see it");
	CHECK(lg_waits_for_sipi(v1));
	CHECK_EQ(woken(r), BIT(1));
	CHECK_EQ(prodded(r), BIT(1));
	tap_case("the INIT de-assert changes nothing and kicks nobody");
	rig_quiet(r);
	ipi(v0, 1, ICR_INIT | ICR_LEVEL);
	CHECK(lg_waits_for_sipi(v1));
	CHECK_EQ(woken(r), 0);

	rig_quiet(r);
	ipi(v0, 1, ICR_SIPI | 0x9a);
	tap_case("SIPI 0x9a: start_pending with vector 0x9a, kicked");
	CHECK(v1->start_pending);
	CHECK_EQ(v1->start_vector, 0x9a);
	CHECK(!lg_waits_for_sipi(v1));
	CHECK(lg_vcpu_event_pending(v1));
	CHECK_EQ(woken(r), BIT(1));
	CHECK_EQ(prodded(r), BIT(1));
	tap_case("not CPU 2, which still waits");
	CHECK(!v2->start_pending);
	CHECK(lg_waits_for_sipi(v2));

	rig_quiet(r);
	ipi(v0, 1, ICR_SIPI | 0x9b);
	tap_case("the second SIPI, CPU 1 no longer waiting, is ignored");
	CHECK_EQ(v1->start_vector, 0x9a);
	CHECK_EQ(woken(r), 0);

	tap_case("CPU 1's RUN takes the start-up vector");
	CHECK_EQ(take_start(v1), 0x9a);
	tap_case("once started, nothing is pending");
	CHECK(!v1->start_pending);
	CHECK(!lg_waits_for_sipi(v1));
	CHECK(!lg_vcpu_event_pending(v1));
	ipi(v0, 1, ICR_SIPI | 0x9c);
	CHECK_EQ(take_start(v1), -1);

	tap_case("SETREGS starts CPU 2 without a SIPI: it waits no more");
	lg_apic_vcpu_started(v2);
	CHECK(!lg_waits_for_sipi(v2));
	CHECK(!lg_vcpu_event_pending(v2));
	ipi(v0, 2, ICR_SIPI | 0x9d);
	CHECK_EQ(take_start(v2), -1);

	tap_case("INIT resets the AP's APIC: it is software-disabled again");
	ipi(v0, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	CHECK(lg_waits_for_sipi(v1));
	CHECK_EQ(apic_r(v1, APIC_SVR), 0xff);
	CHECK(!v0->init_reset && !v1->init_reset);
	rig_done(r);
}

static void test_init_bsp(void)
{
	struct rig *r = rig_new(2, true);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	lg_apic_vcpu_started(v1);
	rig_quiet(r);
	ipi(v1, 0, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	tap_case("INIT to CPU 0 asks for a reset");
	CHECK(v0->init_reset);
	CHECK(lg_vcpu_event_pending(v0));
	tap_case("it does not make the BSP wait for a SIPI");
	CHECK(!lg_waits_for_sipi(v0));
	CHECK(!v0->apic.wait_for_sipi);
	tap_case("CPU 0 is kicked to see it, CPU 1 is not");
	CHECK_EQ(woken(r), BIT(0));
	CHECK_EQ(prodded(r), BIT(0));
	CHECK(!v1->init_reset);
	rig_done(r);
}

static void test_nmi(void)
{
	struct rig *r = rig_new(2, true);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	lg_apic_vcpu_started(v1);
	rig_quiet(r);
	/* arch_trigger_cpumask_backtrace(): an NMI IPI, vector ignored */
	ipi(v0, 1, ICR_NMI | ICR_ASSERT);
	tap_case("NMI IPI: nmi_pending on CPU 1, an event, a kick");
	CHECK(v1->nmi_pending);
	CHECK(lg_vcpu_event_pending(v1));
	CHECK_EQ(woken(r), BIT(1));
	CHECK_EQ(prodded(r), BIT(1));
	tap_case("nothing for the IRR, nothing for CPU 0");
	CHECK(irr_empty(v1));
	CHECK(!v0->nmi_pending);
	CHECK(!lg_vcpu_event_pending(v0));
	/*
	 * A CPU in its NMI handler that halts (Linux's crash_nmi_callback()
	 * does) is not woken by the next NMI: it would spin through HLT.
	 */
	tap_case("an NMI while one is being handled wakes no HLT");
	v1->nmi_masked = true;
	CHECK(!lg_vcpu_event_pending(v1));
	v1->nmi_masked = false;
	CHECK(lg_vcpu_event_pending(v1));
	tap_case("an INIT voids the NMI: the CPU waits for its SIPI");
	ipi(v0, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	CHECK(!v1->nmi_pending);
	CHECK(lg_waits_for_sipi(v1));
	tap_case("an INIT voids a start not yet taken too");
	ipi(v0, 1, ICR_SIPI | 0x9a);
	CHECK(v1->start_pending);
	ipi(v0, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	CHECK(!v1->start_pending);
	CHECK(lg_waits_for_sipi(v1));
	rig_done(r);
}

/*
 * A CPU made after INITIALIZE gets its APIC from lg_apic_vcpu_init();
 * the resets of SETREGS (an AP's) and of H:045 (the BSP's, which takes
 * the I/O APIC with it) put them back as at power-on.
 */
static void test_late_vcpu_and_reset(void)
{
	struct rig *r = rig_new(1, false);
	struct lg_vcpu *v0 = r->v[0], *v2;

	lg_apic_init_guest(r->lg, 3);
	v2 = rig_add_vcpu(r, 2);
	tap_case("a vCPU made after INITIALIZE has its APIC and waits");
	CHECK(lg_waits_for_sipi(v2));
	CHECK_EQ(apic_r(v2, APIC_ID), 2 << 24);
	CHECK_EQ(io_r(v2, 0), 3 << 24);
	tap_case("a SIPI reaches it, though slot 1 is empty");
	rig_quiet(r);
	ipi(v0, 2, ICR_SIPI | 0x9a);
	CHECK(v2->start_pending);
	CHECK_EQ(v2->start_vector, 0x9a);
	CHECK_EQ(woken(r), BIT(2));
	CHECK_EQ(v0->stats[LGUEST_STAT_IPIS], 1);

	tap_case("the guest's reset: an AP waits for a SIPI again, nothing pending");
	lg_apic_vcpu_started(v2);
	apic_w(v2, APIC_SVR, SVR_ON);
	v2->nmi_pending = true;
	rig_reset(r);
	CHECK(lg_waits_for_sipi(v2));
	CHECK(!v2->nmi_pending && !v2->start_pending);
	CHECK_EQ(apic_r(v2, APIC_SVR), 0xff);

	tap_case("the BSP's reset resets the I/O APIC, its ID after the CPUs'");
	enable_apics(r);
	set_pin(v0, 4, 0x34, 2);
	io_w(v0, 0, 0x0f000000);
	CHECK_EQ(io_r(v0, 0), 0x0f000000);
	apic_w(v0, APIC_LVT_LINT0, LVT_MASKED | LVT_EXTINT);
	v0->init_reset = true;
	lg_apic_vcpu_reset(v0);
	CHECK_EQ(io_r(v0, 0), 3 << 24);
	CHECK_EQ(io_r(v0, 0x10 + 2 * 4), RTE_MASKED);
	CHECK(!v0->init_reset);
	CHECK(!lg_waits_for_sipi(v0));
	tap_case("and the BSP's LINT0 is the PIC's virtual wire again");
	CHECK(pic_reaches(v0));
	tap_case("an AP's SETREGS-time reset is nothing: the reset came first");
	set_pin(v0, 4, 0x34, 2);
	apic_w(v2, APIC_SVR, SVR_ON);
	lg_apic_vcpu_reset(v2);
	CHECK_EQ(io_r(v0, 0x10 + 2 * 4), 0x34);
	CHECK_EQ(apic_r(v2, APIC_SVR), SVR_ON);
	rig_done(r);
}

/* ---- the I/O APIC's lines ---- */

/*
 * Linux in symmetric I/O mode: the PIC's virtual wire (CPU 0's LINT0) is
 * masked, devices go through the I/O APIC.  Every APIC is on.
 */
static struct rig *rig_ioapic(unsigned int cpus)
{
	struct rig *r = rig_new(cpus, true);

	enable_apics(r);
	apic_w(r->v[0], APIC_LVT_LINT0, LVT_MASKED | LVT_EXTINT);
	rig_quiet(r);
	current = &r->launcher;
	return r;
}

static void test_ioapic_edge(void)
{
	struct rig *r = rig_ioapic(3);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	/* the UART's IRQ 4: vector 0x34, fixed, physical CPU 1, edge */
	set_pin(v0, 4, 0x34, 1);
	tap_case("programming a pin sends nothing");
	CHECK(irr_empty(v1));
	CHECK_EQ(io_r(v0, 0x10 + 2 * 4), 0x34);
	CHECK_EQ(io_r(v0, 0x11 + 2 * 4), 1 << 24);
	CHECK_EQ(woken(r), 0);

	current = &r->launcher;
	lg_set_irq(r->lg, 4, LGUEST_IRQ_PULSE);
	tap_case("a pulse on line 4 queues 0x34 on CPU 1");
	CHECK(irr_has(v1, 0x34));
	CHECK_EQ(lg_lapic_pending(&v1->apic), 0x34);
	CHECK(!(v1->apic.tmr[0x34 / 32] & BIT(0x34 % 32)));
	tap_case("only CPU 1: not CPU 0, not CPU 2");
	CHECK(irr_empty(v0));
	CHECK(irr_empty(r->v[2]));
	CHECK(!lg_interrupt_pending(v0));
	tap_case("CPU 1 is kicked, no one else");
	CHECK_EQ(woken(r), BIT(1));
	CHECK_EQ(prodded(r), BIT(1));
	tap_case("a device's message counts as no vCPU's IPI");
	CHECK_EQ(v0->stats[LGUEST_STAT_IPIS] + v1->stats[LGUEST_STAT_IPIS], 0);

	tap_case("a line held high sends once, at its rising edge");
	CHECK_EQ(take_interrupt(v1), 0x34);
	apic_w(v1, APIC_EOI, 0);
	rig_quiet(r);
	current = &r->launcher;
	lg_set_irq(r->lg, 4, 1);
	CHECK(irr_has(v1, 0x34));
	CHECK_EQ(take_interrupt(v1), 0x34);
	apic_w(v1, APIC_EOI, 0);
	current = &r->launcher;
	lg_set_irq(r->lg, 4, 1);
	CHECK(irr_empty(v1));
	CHECK_EQ(woken(r), BIT(1));
	lg_set_irq(r->lg, 4, 0);

	tap_case("a pin to another destination follows its entry");
	set_pin(v0, 3, 0x33, 2);
	rig_quiet(r);
	current = &r->launcher;
	lg_set_irq(r->lg, 3, LGUEST_IRQ_PULSE);
	CHECK(irr_has(r->v[2], 0x33));
	CHECK(!irr_has(v1, 0x33));
	CHECK_EQ(woken(r), BIT(2));
	rig_done(r);
}

static void test_ioapic_masked(void)
{
	struct rig *r = rig_ioapic(2);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	tap_case("a pin masked since reset sends nothing, kicks nobody");
	current = &r->launcher;
	lg_set_irq(r->lg, 4, LGUEST_IRQ_PULSE);
	CHECK(irr_empty(v0) && irr_empty(v1));
	CHECK_EQ(woken(r), 0);

	tap_case("nor one the guest masked");
	set_pin(v0, 4, RTE_MASKED | 0x34, 1);
	rig_quiet(r);
	current = &r->launcher;
	lg_set_irq(r->lg, 4, LGUEST_IRQ_PULSE);
	CHECK(irr_empty(v0) && irr_empty(v1));
	CHECK_EQ(woken(r), 0);

	tap_case("an edge while masked is lost when unmasked (82093AA)");
	set_pin(v0, 4, 0x34, 1);
	CHECK(irr_empty(v1));
	CHECK_EQ(woken(r), 0);
	rig_done(r);
}

/*
 * A level-triggered pin: sent once, then held by remote IRR until CPU 1's
 * EOI comes back to the I/O APIC (lg_apic_out()), and re-sent then only
 * if the device still holds the line high.
 */
static void test_ioapic_level(void)
{
	struct rig *r = rig_ioapic(2);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	set_pin(v0, 9, RTE_LEVEL | 0x39, 1);
	current = &r->launcher;
	lg_set_irq(r->lg, 9, 1);
	tap_case("the line goes high: 0x39 on CPU 1, level (TMR), kicked");
	CHECK(irr_has(v1, 0x39));
	CHECK(v1->apic.tmr[0x39 / 32] & BIT(0x39 % 32));
	CHECK(io_r(v0, 0x10 + 2 * 9) & RTE_REMOTE_IRR);
	CHECK_EQ(woken(r), BIT(1));
	CHECK(irr_empty(v0));

	tap_case("still high, not yet EOIed: nothing more");
	CHECK_EQ(take_interrupt(v1), 0x39);
	rig_quiet(r);
	current = &r->launcher;
	lg_set_irq(r->lg, 9, 1);
	CHECK(irr_empty(v1));
	CHECK_EQ(woken(r), 0);

	tap_case("CPU 1's EOI with the line high: sent again, CPU 1 kicked");
	rig_quiet(r);
	apic_w(v1, APIC_EOI, 0);
	CHECK(irr_has(v1, 0x39));
	CHECK(io_r(v0, 0x10 + 2 * 9) & RTE_REMOTE_IRR);
	CHECK_EQ(woken(r), BIT(1));
	CHECK(irr_empty(v0));

	tap_case("the device lowers it; the EOI then sends nothing");
	CHECK_EQ(take_interrupt(v1), 0x39);
	current = &r->launcher;
	lg_set_irq(r->lg, 9, 0);
	rig_quiet(r);
	apic_w(v1, APIC_EOI, 0);
	CHECK(irr_empty(v1));
	CHECK(!(io_r(v0, 0x10 + 2 * 9) & RTE_REMOTE_IRR));
	CHECK_EQ(woken(r), 0);

	tap_case("an edge vector's EOI does not end a level pin's wait");
	current = &r->launcher;
	lg_set_irq(r->lg, 9, 1);
	CHECK_EQ(take_interrupt(v1), 0x39);
	ipi(v1, 1, ICR_SELF | ICR_FIXED | 0x45);	/* above 0x39 */
	CHECK_EQ(take_interrupt(v1), 0x45);
	rig_quiet(r);
	apic_w(v1, APIC_EOI, 0);	/* ends 0x45 */
	CHECK(irr_empty(v1));
	CHECK(io_r(v0, 0x10 + 2 * 9) & RTE_REMOTE_IRR);
	CHECK_EQ(woken(r), 0);
	apic_w(v1, APIC_EOI, 0);	/* ends 0x39, line still high */
	CHECK(irr_has(v1, 0x39));
	CHECK_EQ(woken(r), BIT(1));
	rig_done(r);
}

/* The guest's own I/O APIC write can send: lg_apic_mmio() routes it. */
static void test_ioapic_unmask_sends(void)
{
	struct rig *r = rig_ioapic(2);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	set_pin(v0, 10, RTE_MASKED | RTE_LEVEL | 0x3a, 1);
	current = &r->launcher;
	lg_set_irq(r->lg, 10, 1);
	tap_case("a masked level pin with its line high waits");
	CHECK(irr_empty(v1));
	CHECK_EQ(woken(r), 0);
	tap_case("CPU 0 unmasks it: CPU 1 gets 0x3a and a kick");
	io_w(v0, 0x10 + 2 * 10, RTE_LEVEL | 0x3a);
	CHECK(irr_has(v1, 0x3a));
	CHECK(irr_empty(v0));
	CHECK_EQ(woken(r), BIT(1));
	CHECK_EQ(prodded(r), BIT(1));
	tap_case("the I/O APIC's EOI register ends it too, and re-sends");
	CHECK_EQ(take_interrupt(v1), 0x3a);
	rig_quiet(r);
	io_eoi(v0, 0x3a);
	CHECK(irr_has(v1, 0x3a));
	CHECK_EQ(woken(r), BIT(1));
	rig_done(r);
}

/* ---- the PIC's virtual wire ---- */

static void test_pic_wire(void)
{
	struct rig *r = rig_new(2, true);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	tap_case("at reset the PIC reaches CPU 0 through LINT0 (ExtINT)");
	CHECK(pic_reaches(v0));
	CHECK(!pic_reaches(v1));
	current = &r->launcher;
	lg_set_irq(r->lg, 4, LGUEST_IRQ_PULSE);
	CHECK(lg_interrupt_pending(v0));
	CHECK_EQ(woken(r), BIT(0));
	CHECK_EQ(prodded(r), BIT(0));

	enable_apics(r);
	tap_case("CPU 1's LINT0 set to ExtINT does not make it CPU 1's");
	apic_w(v1, APIC_LVT_LINT0, LVT_EXTINT);
	CHECK_EQ(apic_r(v1, APIC_LVT_LINT0), LVT_EXTINT);
	CHECK(!pic_reaches(v1));
	CHECK(!lg_interrupt_pending(v1));

	tap_case("CPU 0 masks LINT0: the PIC no longer reaches it");
	apic_w(v0, APIC_LVT_LINT0, LVT_MASKED | LVT_EXTINT);
	CHECK(!pic_reaches(v0));
	CHECK(!lg_interrupt_pending(v0));
	rig_quiet(r);
	current = &r->launcher;
	lg_set_irq(r->lg, 3, LGUEST_IRQ_PULSE);
	CHECK_EQ(woken(r), 0);

	tap_case("unmasked again, it does; with a fixed LINT0 it does not");
	apic_w(v0, APIC_LVT_LINT0, LVT_EXTINT);
	CHECK(pic_reaches(v0));
	apic_w(v0, APIC_LVT_LINT0, 0x31);
	CHECK(!pic_reaches(v0));

	tap_case("CPU 0's APIC globally off: the PIC is its INTR pin again");
	CHECK_EQ(msr_w(v0, LG_MSR_APIC_BASE, LG_APIC_DEFAULT_BASE), 0);
	CHECK(pic_reaches(v0));
	CHECK(!pic_reaches(v1));
	rig_done(r);
}

/* ---- the APIC timer and its hrtimer ---- */

static void test_timer_periodic(void)
{
	struct rig *r = rig_new(2, true);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	enable_apics(r);
	tap_case("no timer runs after INITIALIZE");
	CHECK(!v0->apic_timer.queued && !v1->apic_timer.queued);

	/* Linux's lapic_timer_set_periodic(): divide 1, LVT, count */
	apic_w(v1, APIC_TDCR, TDCR_DIV1);
	apic_w(v1, APIC_LVT_TIMER, TIMER_PERIODIC | 0xec);
	CHECK(!v1->apic_timer.queued);
	apic_w(v1, APIC_TMICT, 1000000);
	tap_case("1000000 counts at 1 GHz: CPU 1's hrtimer at now + 1 ms");
	CHECK(v1->apic_timer.queued);
	CHECK_EQ(v1->apic_timer.expires, T0 + NS_1MS);
	CHECK(timer_matches_apic(v1));
	tap_case("CPU 0's stays off");
	CHECK(!v0->apic_timer.queued);

	rig_quiet(r);
	fire_timer(v1);
	tap_case("it fires: 0xec in CPU 1's IRR, CPU 1 kicked");
	CHECK(irr_has(v1, 0xec));
	CHECK_EQ(lg_lapic_pending(&v1->apic), 0xec);
	CHECK(irr_empty(v0));
	CHECK_EQ(woken(r), BIT(1));
	CHECK_EQ(prodded(r), BIT(1));
	CHECK_EQ(r->lg->stats[LGUEST_STAT_APIC_TIMER], 1);
	tap_case("and re-arms itself one period on");
	CHECK(v1->apic_timer.queued);
	CHECK_EQ(v1->apic_timer.expires, T0 + 2 * NS_1MS);
	CHECK(timer_matches_apic(v1));

	tap_case("late by 3.5 periods: one kick, next expiry in the future");
	CHECK_EQ(take_interrupt(v1), 0xec);
	apic_w(v1, APIC_EOI, 0);
	rig_quiet(r);
	kmock_now_ns = T0 + 5 * NS_1MS + NS_1MS / 2;
	current = NULL;
	kmock_hrtimer_expire(&v1->apic_timer);
	CHECK(irr_has(v1, 0xec));
	CHECK_EQ(r->t[1].kicks, 1);
	CHECK_EQ(v1->apic_timer.expires, T0 + 6 * NS_1MS);
	CHECK(timer_matches_apic(v1));

	tap_case("a masked timer goes on but queues nothing");
	CHECK_EQ(take_interrupt(v1), 0xec);
	apic_w(v1, APIC_LVT_TIMER, LVT_MASKED | TIMER_PERIODIC | 0xec);
	fire_timer(v1);
	CHECK(irr_empty(v1));
	CHECK(timer_matches_apic(v1));
	CHECK(v1->apic_timer.queued);

	tap_case("an initial count of 0 stops it");
	apic_w(v1, APIC_TMICT, 0);
	CHECK(!v1->apic_timer.queued);
	rig_done(r);
}

/* H:805: a guest cannot make the host take more than 5000 a second. */
static void test_timer_min_period(void)
{
	struct rig *r = rig_new(1, true);
	struct lg_vcpu *v0 = r->v[0];
	u64 first;

	enable_apics(r);
	apic_w(v0, APIC_TDCR, TDCR_DIV1);
	apic_w(v0, APIC_LVT_TIMER, TIMER_PERIODIC | 0xec);
	apic_w(v0, APIC_TMICT, 1);
	tap_case("an initial count of 1: armed, at most 200 us away");
	CHECK(v0->apic_timer.queued);
	first = v0->apic_timer.expires;
	CHECK(first > T0 && first <= T0 + LG_APIC_MIN_PERIOD_NS);
	for (unsigned int i = 1; i <= 3; i++) {
		tap_case("expiry %u: the next is LG_APIC_MIN_PERIOD_NS on", i);
		fire_timer(v0);
		CHECK(irr_has(v0, 0xec));
		CHECK_EQ(v0->apic_timer.expires,
			 first + i * LG_APIC_MIN_PERIOD_NS);
		CHECK(timer_matches_apic(v0));
	}
	CHECK_EQ(r->lg->stats[LGUEST_STAT_APIC_TIMER], 3);
	rig_done(r);
}

static void test_timer_oneshot(void)
{
	struct rig *r = rig_new(1, true);
	struct lg_vcpu *v0 = r->v[0];

	enable_apics(r);
	apic_w(v0, APIC_TDCR, TDCR_DIV1);
	apic_w(v0, APIC_LVT_TIMER, 0xef);
	kmock_now_ns = T0 + 5;
	apic_w(v0, APIC_TMICT, 250000);
	tap_case("one-shot of 250000 counts: armed at now + 250 us");
	CHECK_EQ(v0->apic_timer.expires, T0 + 5 + 250000);
	CHECK(v0->apic_timer.queued);
	rig_quiet(r);
	fire_timer(v0);
	tap_case("it fires once, queues 0xef, and is not re-armed");
	CHECK(irr_has(v0, 0xef));
	CHECK_EQ(woken(r), BIT(0));
	CHECK(!v0->apic_timer.queued);
	CHECK(timer_matches_apic(v0));
	tap_case("a new count re-arms it from now");
	kmock_now_ns += 1000;
	apic_w(v0, APIC_TMICT, 1000);
	CHECK(v0->apic_timer.queued);
	CHECK_EQ(v0->apic_timer.expires, kmock_now_ns + 1000);
	rig_done(r);
}

/* TSC-deadline mode: lg_guest_tsc() is kmock_now_ns here, a 1 GHz TSC. */
static void test_timer_deadline(void)
{
	struct rig *r = rig_new(2, true);
	struct lg_vcpu *v1 = r->v[1];
	u64 x;

	enable_apics(r);
	apic_w(v1, APIC_LVT_TIMER, TIMER_DEADLINE | 0xec);
	kmock_now_ns = T0 + 100;
	tap_case("IA32_TSC_DEADLINE = TSC + 500 us arms the hrtimer then");
	CHECK_EQ(msr_w(v1, LG_MSR_TSC_DEADLINE, T0 + 500000), 0);
	CHECK(v1->apic_timer.queued);
	CHECK_EQ(v1->apic_timer.expires, T0 + 500000);
	CHECK_EQ(v1->stats[LGUEST_STAT_EXIT_APIC], 1 + 1 + 1);
	tap_case("it reads back");
	current = v1->task;
	CHECK_EQ(lg_apic_msr(v1, LG_MSR_TSC_DEADLINE, false, &x), 0);
	CHECK_EQ(x, T0 + 500000);
	tap_case("writing 0 disarms it");
	CHECK_EQ(msr_w(v1, LG_MSR_TSC_DEADLINE, 0), 0);
	CHECK(!v1->apic_timer.queued);

	CHECK_EQ(msr_w(v1, LG_MSR_TSC_DEADLINE, T0 + 700000), 0);
	CHECK_EQ(v1->apic_timer.expires, T0 + 700000);
	rig_quiet(r);
	fire_timer(v1);
	tap_case("at the deadline: 0xec queued, kicked, not re-armed");
	CHECK(irr_has(v1, 0xec));
	CHECK_EQ(woken(r), BIT(1));
	CHECK(!v1->apic_timer.queued);
	current = v1->task;
	CHECK_EQ(lg_apic_msr(v1, LG_MSR_TSC_DEADLINE, false, &x), 0);
	CHECK_EQ(x, 0);

	tap_case("a deadline already past fires now");
	CHECK_EQ(msr_w(v1, LG_MSR_TSC_DEADLINE, T0), 0);
	CHECK(v1->apic_timer.queued);
	CHECK_EQ(v1->apic_timer.expires, kmock_now_ns);

	tap_case("leaving deadline mode disarms it");
	apic_w(v1, APIC_LVT_TIMER, 0xec);
	CHECK(!v1->apic_timer.queued);
	tap_case("outside deadline mode the MSR arms nothing");
	CHECK_EQ(msr_w(v1, LG_MSR_TSC_DEADLINE, kmock_now_ns + 1000), 0);
	CHECK(!v1->apic_timer.queued);
	rig_done(r);
}

struct rewrite {
	struct lg_vcpu *v;
	u32 count;
};

static void vcpu_writes_tmict(void *arg)
{
	struct rewrite *w = arg;

	apic_w(w->v, APIC_TMICT, w->count);
}

/*
 * The hrtimer fires on one host CPU; before its callback has lg->lock,
 * the vCPU on another CPU writes a new count (and starts the hrtimer),
 * or stops the timer.  The callback must leave the hrtimer as the new
 * count says, and must not move the expiry of a queued timer.
 */
static void test_timer_races(void)
{
	struct rig *r = rig_new(1, true);
	struct lg_vcpu *v0 = r->v[0];
	struct rewrite w = { v0, 2000000 };

	enable_apics(r);
	apic_w(v0, APIC_TDCR, TDCR_DIV1);
	apic_w(v0, APIC_LVT_TIMER, TIMER_PERIODIC | 0xec);
	apic_w(v0, APIC_TMICT, 1000000);
	kmock_interleave(KMOCK_AT_LOCK, vcpu_writes_tmict, &w);
	fire_timer(v0);
	tap_case("re-programmed meanwhile: armed 2 ms from the write");
	CHECK(v0->apic_timer.queued);
	CHECK_EQ(v0->apic_timer.expires, T0 + NS_1MS + 2 * NS_1MS);
	CHECK(timer_matches_apic(v0));
	tap_case("the expiry before the write still delivered its vector");
	CHECK(irr_has(v0, 0xec));
	CHECK_EQ(kmock_violations, 0);

	w.count = 0;
	kmock_interleave(KMOCK_AT_LOCK, vcpu_writes_tmict, &w);
	fire_timer(v0);
	tap_case("stopped meanwhile: stays stopped");
	CHECK(!v0->apic_timer.queued);
	CHECK_EQ(v0->apic.timer_due_ns, U64_MAX);
	rig_done(r);
}

/* Whatever ends an APIC's life ends its hrtimer with it. */
static void test_timer_stops(void)
{
	struct rig *r = rig_new(2, true);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];

	enable_apics(r);
	apic_w(v1, APIC_TDCR, TDCR_DIV1);
	apic_w(v1, APIC_LVT_TIMER, TIMER_PERIODIC | 0xec);
	apic_w(v1, APIC_TMICT, 1000000);
	CHECK(v1->apic_timer.queued);
	tap_case("an INIT IPI to CPU 1 stops its timer");
	ipi(v0, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	CHECK(!v1->apic_timer.queued);

	apic_w(v0, APIC_TDCR, TDCR_DIV1);
	apic_w(v0, APIC_LVT_TIMER, TIMER_PERIODIC | 0xec);
	apic_w(v0, APIC_TMICT, 1000000);
	CHECK(v0->apic_timer.queued);
	tap_case("an INIT to CPU 0 (a reset request) stops its timer");
	lg_apic_vcpu_started(v1);
	apic_w(v1, APIC_SVR, SVR_ON);
	ipi(v1, 0, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	CHECK(v0->init_reset);
	CHECK(!v0->apic_timer.queued);

	tap_case("disabling the APIC in IA32_APIC_BASE stops it");
	apic_w(v1, APIC_SVR, SVR_ON);
	apic_w(v1, APIC_LVT_TIMER, TIMER_PERIODIC | 0xec);
	apic_w(v1, APIC_TMICT, 1000000);
	CHECK(v1->apic_timer.queued);
	CHECK_EQ(msr_w(v1, LG_MSR_APIC_BASE, LG_APIC_DEFAULT_BASE), 0);
	CHECK(!v1->apic_timer.queued);

	tap_case("a vCPU reset stops it");
	CHECK_EQ(msr_w(v1, LG_MSR_APIC_BASE, LG_APIC_DEFAULT_BASE |
		       LG_APIC_BASE_ENABLE), 0);
	apic_w(v1, APIC_SVR, SVR_ON);
	apic_w(v1, APIC_LVT_TIMER, TIMER_PERIODIC | 0xec);
	apic_w(v1, APIC_TMICT, 1000000);
	CHECK(v1->apic_timer.queued);
	rig_reset(r);
	CHECK(!v1->apic_timer.queued);

	tap_case("lg_apic_vcpu_release() cancels it");
	lg_apic_vcpu_started(v1);
	apic_w(v1, APIC_SVR, SVR_ON);
	apic_w(v1, APIC_LVT_TIMER, TIMER_PERIODIC | 0xec);
	apic_w(v1, APIC_TMICT, 1000000);
	CHECK(v1->apic_timer.queued);
	lg_apic_vcpu_release(v1);
	CHECK(!v1->apic_timer.queued);
	rig_done(r);
}

/* ---- MSRs ---- */

static void test_msrs(void)
{
	struct rig *r = rig_new(2, true);
	struct lg_vcpu *v0 = r->v[0], *v1 = r->v[1];
	u64 x, exits;

	tap_case("IA32_APIC_BASE: enabled xAPIC at 0xfee00000, BSP on CPU 0");
	current = v0->task;
	CHECK_EQ(lg_apic_msr(v0, LG_MSR_APIC_BASE, false, &x), 0);
	CHECK_EQ(x, LG_APIC_DEFAULT_BASE | LG_APIC_BASE_ENABLE |
		 LG_APIC_BASE_BSP);
	current = v1->task;
	CHECK_EQ(lg_apic_msr(v1, LG_MSR_APIC_BASE, false, &x), 0);
	CHECK_EQ(x, LG_APIC_DEFAULT_BASE | LG_APIC_BASE_ENABLE);

	tap_case("x2APIC mode is refused with #GP, and not entered");
	CHECK_EQ(msr_w(v0, LG_MSR_APIC_BASE, LG_APIC_DEFAULT_BASE |
		       LG_APIC_BASE_ENABLE | LG_APIC_BASE_EXTD |
		       LG_APIC_BASE_BSP), -EINVAL);
	CHECK_EQ(msr_w(v1, LG_MSR_APIC_BASE, LG_APIC_DEFAULT_BASE |
		       LG_APIC_BASE_ENABLE | LG_APIC_BASE_EXTD), -EINVAL);
	CHECK_EQ(v0->apic.apic_base, LG_APIC_DEFAULT_BASE |
		 LG_APIC_BASE_ENABLE | LG_APIC_BASE_BSP);
	CHECK_EQ(apic_r(v0, APIC_ID), 0);
	tap_case("x2APIC registers are #GP in xAPIC mode");
	current = v0->task;
	CHECK_EQ(lg_apic_msr(v0, 0x802, false, &x), -EINVAL);
	CHECK_EQ(msr_w(v0, 0x80b, 0), -EINVAL);

	tap_case("other MSRs are not ours");
	exits = v0->stats[LGUEST_STAT_EXIT_APIC];
	CHECK_EQ(lg_apic_msr(v0, 0x10, false, &x), -ENOENT);
	CHECK_EQ(msr_w(v0, 0x10, 0), -ENOENT);
	CHECK_EQ(msr_w(v0, 0xc0000080, 0), -ENOENT);
	CHECK_EQ(lg_apic_msr(v0, 0x7ff, false, &x), -ENOENT);
	CHECK_EQ(lg_apic_msr(v0, 0x900, false, &x), -ENOENT);
	tap_case("they do not count as APIC exits");
	CHECK_EQ(v0->stats[LGUEST_STAT_EXIT_APIC], exits);
	tap_case("an MSR write kicks nobody");
	CHECK_EQ(woken(r), 0);
	rig_done(r);
}

const struct tap_test apic_wiring_tests[] = {
	{ "apic wiring: each vCPU's xAPIC page is its own APIC",
	  test_own_apic },
	{ "apic wiring: other addresses are not ours", test_not_ours },
	{ "apic wiring: a guest without LGUEST_INIT_APIC has none",
	  test_no_apics },
	{ "apic wiring: a fixed IPI reaches its destination only",
	  test_fixed_ipi },
	{ "apic wiring: self, all and all-but-self shorthands",
	  test_shorthands },
	{ "apic wiring: logical and lowest-priority destinations",
	  test_logical_lowest },
	{ "apic wiring: lowest priority skips a software-disabled APIC",
	  test_lowest_skips_disabled },
	{ "apic wiring: INIT and SIPI start an AP once", test_init_sipi },
	{ "apic wiring: INIT to CPU 0 is a reset request", test_init_bsp },
	{ "apic wiring: an NMI IPI, and INIT voiding it", test_nmi },
	{ "apic wiring: a late vCPU, AP and BSP resets",
	  test_late_vcpu_and_reset },
	{ "apic wiring: an I/O APIC edge pin reaches its destination only",
	  test_ioapic_edge },
	{ "apic wiring: a masked I/O APIC pin sends nothing",
	  test_ioapic_masked },
	{ "apic wiring: a level pin is re-sent at EOI only while high",
	  test_ioapic_level },
	{ "apic wiring: an I/O APIC register write that sends",
	  test_ioapic_unmask_sends },
	{ "apic wiring: the PIC reaches CPU 0 through LINT0 only",
	  test_pic_wire },
	{ "apic wiring: a periodic APIC timer drives its vCPU's hrtimer",
	  test_timer_periodic },
	{ "apic wiring: a short period is held to LG_APIC_MIN_PERIOD_NS",
	  test_timer_min_period },
	{ "apic wiring: a one-shot APIC timer", test_timer_oneshot },
	{ "apic wiring: the TSC-deadline timer", test_timer_deadline },
	{ "apic wiring: the timer fires while its vCPU rewrites it",
	  test_timer_races },
	{ "apic wiring: INIT, disable, reset and release stop the timer",
	  test_timer_stops },
	{ "apic wiring: x2APIC refused, other MSRs not ours", test_msrs },
};
const unsigned int apic_wiring_test_count = ARRAY_SIZE(apic_wiring_tests);
