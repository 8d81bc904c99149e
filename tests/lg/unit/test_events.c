// SPDX-License-Identifier: GPL-2.0
/*
 * drivers/lguest/events.c against the checked kernel stand-ins of
 * kmock/kmock.h: the PIT's hrtimer when the guest reprograms the PIT on
 * one CPU while the timer fires on another, the vCPU kick when the
 * thread in RUN exits at the worst moment, and whom a line or a kill
 * kicks when the guest has several CPUs.  The other CPU acts at a
 * preemption point the test picks (kmock_interleave()).
 */
#include "kmock.h"
#include "lg.h"
#include "lgunit.h"

#define T0	1000000000ULL
#define PIT_1MS	1193		/* clocks */
#define PIT_2MS	2386

bool lg_gpa_is_ram(struct lguest *lg, u64 gpa)
{
	return gpa < lg->mem_size;
}

/* svm.c's, for apic.c: a TSC that counts nanoseconds, at 1 GHz. */
u64 lg_guest_tsc(struct lg_vcpu *vcpu)
{
	return kmock_now_ns;
}

unsigned int lg_tsc_khz(void)
{
	return 1000000;
}

/* CPU n of lg, as main.c makes one, as far as events.c looks. */
static struct lg_vcpu *new_vcpu(struct lguest *lg, unsigned int n)
{
	struct lg_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	vcpu->lg = lg;
	vcpu->id = n;
	init_waitqueue_head(&vcpu->wq);
	lg->vcpus[n] = vcpu;
	return vcpu;
}

static struct lguest *new_guest(void)
{
	struct lguest *lg = calloc(1, sizeof(*lg));

	kmock_violations = 0;
	kmock_use_after_free = 0;
	kmock_warnings = 0;
	kmock_now_ns = T0;
	current = NULL;
	lg_events_init(lg);
	new_vcpu(lg, 0);
	return lg;
}

static void free_guest(struct lguest *lg)
{
	lg_events_release(lg);
	for (unsigned int i = 0; i < LGUEST_MAX_VCPUS; i++)
		free(lg->vcpus[i]);
	free(lg);
}

static void pit_out(struct lguest *lg, u16 port, u8 val)
{
	CHECK_EQ(lg_pit_io(&lg->pit, port, true, &val, kmock_now_ns), 0);
}

/* What svm.c does for a guest OUT to the PIT: under lg->lock, then arm. */
static void guest_pit_write(struct lguest *lg, u16 port, u8 val)
{
	unsigned long flags;

	spin_lock_irqsave(&lg->lock, flags);
	pit_out(lg, port, val);
	lg_pit_update_timer(lg);
	spin_unlock_irqrestore(&lg->lock, flags);
}

/* Channel 0, mode 2 (rate generator), a 16-bit count. */
static void guest_pit_periodic(struct lguest *lg, u16 count)
{
	guest_pit_write(lg, 0x43, 0x34);
	guest_pit_write(lg, 0x40, count & 0xff);
	guest_pit_write(lg, 0x40, count >> 8);
}

static bool timer_matches_pit(struct lguest *lg)
{
	return lg->pit_timer.queued &&
	       (u64)lg->pit_timer.expires == lg->pit.irq_due_ns;
}

static void test_pit_expiry(void)
{
	struct lguest *lg = new_guest();

	guest_pit_periodic(lg, PIT_1MS);
	CHECK(timer_matches_pit(lg));
	kmock_now_ns = lg->pit_timer.expires;
	kmock_hrtimer_expire(&lg->pit_timer);
	CHECK_EQ(lg->stats[LGUEST_STAT_PIT_TIMER], 1);
	CHECK(timer_matches_pit(lg));
	CHECK((u64)lg->pit_timer.expires > kmock_now_ns);
	CHECK_EQ(kmock_violations, 0);
	free_guest(lg);
}

static void other_cpu_reprograms(void *arg)
{
	guest_pit_periodic(arg, PIT_2MS);
}

/*
 * The timer fires on one CPU; before its callback gets lg->lock, the
 * vCPU on another CPU writes the PIT and starts the timer again.  The
 * callback must not then move the expiry of a queued timer.
 */
static void test_pit_rearm_race(void)
{
	struct lguest *lg = new_guest();

	guest_pit_periodic(lg, PIT_1MS);
	kmock_now_ns = lg->pit_timer.expires;
	kmock_interleave(KMOCK_AT_LOCK, other_cpu_reprograms, lg);
	kmock_hrtimer_expire(&lg->pit_timer);
	tap_case("hrtimer_set_expires() on a timer queued meanwhile");
	CHECK_EQ(kmock_violations, 0);
	tap_case("the timer is due when the new PIT count says");
	CHECK(timer_matches_pit(lg));
	free_guest(lg);
}

static void other_cpu_stops_pit(void *arg)
{
	/* A control word alone stops channel 0 until its count comes. */
	guest_pit_write(arg, 0x43, 0x30);
}

static void test_pit_stop_race(void)
{
	struct lguest *lg = new_guest();

	guest_pit_periodic(lg, PIT_1MS);
	kmock_now_ns = lg->pit_timer.expires;
	kmock_interleave(KMOCK_AT_LOCK, other_cpu_stops_pit, lg);
	kmock_hrtimer_expire(&lg->pit_timer);
	CHECK_EQ(lg->pit.irq_due_ns, U64_MAX);
	CHECK(!lg->pit_timer.queued);
	CHECK_EQ(kmock_violations, 0);
	free_guest(lg);
}

static void test_kick(void)
{
	struct task_struct vcpu = { 0 }, launcher = { 0 };
	struct lguest *lg = new_guest();

	lg->vcpus[0]->task = &vcpu;
	current = &launcher;
	lg_set_irq(lg, 4, LGUEST_IRQ_PULSE);
	CHECK_EQ(vcpu.kicks, 1);
	CHECK_EQ(lg->vcpus[0]->wq.wakeups, 1);
	current = &vcpu;
	lg_set_irq(lg, 4, LGUEST_IRQ_PULSE);
	CHECK_EQ(vcpu.kicks, 1);	/* the vCPU does not kick itself */
	free_guest(lg);
}

struct exit_race {
	struct lguest *lg;
	struct task_struct *vcpu;
};

/* The thread in RUN leaves it, returns to the launcher and exits. */
static void vcpu_thread_exits(void *arg)
{
	struct exit_race *r = arg;

	WRITE_ONCE(r->lg->vcpus[0]->task, NULL);
	kmock_task_exit(r->vcpu);
}

/*
 * An irqfd or LHREQ_IRQ on another thread raises a line while the vCPU
 * thread exits: the kicker has read the task when the thread goes.
 */
static void test_kick_exit_race(void)
{
	struct task_struct *vcpu = calloc(1, sizeof(*vcpu));
	struct task_struct launcher = { 0 };
	struct lguest *lg = new_guest();
	struct exit_race r = { lg, vcpu };

	lg->vcpus[0]->task = vcpu;
	current = &launcher;
	kmock_interleave(KMOCK_AT_READ_ONCE, vcpu_thread_exits, &r);
	lg_set_irq(lg, 4, LGUEST_IRQ_PULSE);
	tap_case("kick_process() on a task freed after lg_kick() read it");
	CHECK_EQ(kmock_use_after_free, 0);
	tap_case("the task is freed once the kicker is done");
	CHECK(vcpu->freed);
	free(vcpu);
	free_guest(lg);
}

/*
 * With three CPUs: a line is CPU 0's alone (the PIC's output), and a
 * kill or reset (lg_kick_all()) kicks every CPU but the killer's own
 * thread, and wakes every one, also one with no thread in RUN.
 */
static void test_kick_cpus(void)
{
	struct task_struct t0 = { 0 }, t1 = { 0 }, t2 = { 0 };
	struct lguest *lg = new_guest();
	struct lg_vcpu *v1 = new_vcpu(lg, 1), *v3 = new_vcpu(lg, 3);

	lg->vcpus[0]->task = &t0;
	v1->task = &t1;
	current = &t2;
	lg_set_irq(lg, 4, LGUEST_IRQ_PULSE);
	tap_case("a line kicks and wakes CPU 0");
	CHECK_EQ(t0.kicks, 1);
	CHECK_EQ(lg->vcpus[0]->wq.wakeups, 1);
	tap_case("and no other CPU");
	CHECK_EQ(t1.kicks, 0);
	CHECK_EQ(v1->wq.wakeups, 0);
	CHECK_EQ(v3->wq.wakeups, 0);
	CHECK(!lg_interrupt_pending(v1));
	CHECK(lg_interrupt_pending(lg->vcpus[0]));

	v3->task = &t2;		/* the killer, in RUN on CPU 3 */
	lg_kick_all(lg);
	tap_case("a kill kicks every other CPU's thread in RUN");
	CHECK_EQ(t0.kicks, 2);
	CHECK_EQ(t1.kicks, 1);
	CHECK_EQ(t2.kicks, 0);
	tap_case("and wakes every CPU that might sleep in HLT");
	CHECK_EQ(lg->vcpus[0]->wq.wakeups, 2);
	CHECK_EQ(v1->wq.wakeups, 1);
	CHECK_EQ(v3->wq.wakeups, 1);
	CHECK_EQ(kmock_violations, 0);
	free_guest(lg);
}

const struct tap_test events_tests[] = {
	{ "events: PIT expiry re-arms for the next period", test_pit_expiry },
	{ "events: PIT reprogrammed while its timer fires", test_pit_rearm_race },
	{ "events: PIT stopped while its timer fires", test_pit_stop_race },
	{ "events: a raised line kicks the vCPU thread", test_kick },
	{ "events: the vCPU thread exits while it is kicked", test_kick_exit_race },
	{ "events: a line kicks CPU 0, a kill every CPU", test_kick_cpus },
};
const unsigned int events_test_count = ARRAY_SIZE(events_tests);
