// SPDX-License-Identifier: GPL-2.0
/*
 * Local APICs driven the way Linux 6.1 drives them (arch/x86/kernel/apic/
 * apic.c: setup_local_APIC, lapic_setup_esr, calibrate_APIC_clock and the
 * lapic clock event in periodic, one-shot and TSC-deadline modes;
 * smpboot.c: wakeup_secondary_cpu_via_init; flat and x2APIC cluster IPIs),
 * and the way a hostile guest might: reserved bits, illegal vectors,
 * read-only registers, the wrong access path for the mode, SIPIs to
 * running CPUs, INIT of the BSP, a 1 ns periodic timer.  IPIs travel
 * between several APICs through route(), the loop the caller will run.
 */
#include "lg_emul.h"
#include "lgunit.h"

#define T0		1000000000ULL	/* the guest programs things 1 s in */
#define TSC_KHZ		2000000U	/* its TSC runs at 2 GHz */

#define ID		0x20
#define VERSION		0x30
#define TPR		0x80
#define PPR		0xa0
#define EOI		0xb0
#define LDR		0xd0
#define DFR		0xe0
#define SVR		0xf0
#define ISR		0x100
#define TMR		0x180
#define IRR		0x200
#define ESR		0x280
#define ICR		0x300
#define ICR2		0x310
#define LVTT		0x320
#define LVT0		0x350
#define LVT1		0x360
#define LVTERR		0x370
#define TMICT		0x380
#define TMCCT		0x390
#define TDCR		0x3e0

#define MASKED		0x10000
#define PERIODIC	0x20000
#define DEADLINE	0x40000

static struct lg_apic_time at(u64 ns)
{
	return (struct lg_apic_time){ .ns = ns, .tsc = ns * (TSC_KHZ / 1000000) };
}

static u32 rd_at(struct lg_lapic *apic, u32 reg, u64 ns)
{
	u64 val = 0xdeadbeef;

	CHECK_EQ(lg_lapic_mmio_read(apic, reg, 4, &val, at(ns)), 0);
	return val;
}

static u32 rd(struct lg_lapic *apic, u32 reg)
{
	return rd_at(apic, reg, T0);
}

static struct lg_lapic_out wr_at(struct lg_lapic *apic, u32 reg, u32 val,
				 u64 ns)
{
	struct lg_lapic_out out;

	memset(&out, 0xa5, sizeof(out));
	CHECK_EQ(lg_lapic_mmio_write(apic, reg, 4, val, at(ns), &out), 0);
	return out;
}

static struct lg_lapic_out wr(struct lg_lapic *apic, u32 reg, u32 val)
{
	return wr_at(apic, reg, val, T0);
}

static int rdmsr(struct lg_lapic *apic, u32 msr, u64 *val)
{
	return lg_lapic_msr_read(apic, msr, val, at(T0));
}

static int wrmsr_at(struct lg_lapic *apic, u32 msr, u64 val, u64 ns,
		    struct lg_lapic_out *out)
{
	return lg_lapic_msr_write(apic, msr, val, at(ns), out);
}

static int wrmsr(struct lg_lapic *apic, u32 msr, u64 val)
{
	struct lg_lapic_out out;

	return wrmsr_at(apic, msr, val, T0, &out);
}

/* A guest of n CPUs: CPU 0 the BSP, APIC IDs 0..n-1. */
static void boot(struct lg_lapic *apics, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		lg_lapic_init(&apics[i], i, i == 0, TSC_KHZ);
}

/* setup_local_APIC() and end_local_APIC_setup() on CPU cpu, flat model. */
static void linux_setup(struct lg_lapic *apic, unsigned int cpu)
{
	unsigned int i, loops;
	u32 v;

	wr(apic, SVR, rd(apic, SVR) & ~0x100);
	/* flat_init_apic_ldr() */
	wr(apic, DFR, 0xffffffff);
	wr(apic, LDR, (rd(apic, LDR) & ~0xff000000) | (1U << cpu) << 24);
	wr(apic, TPR, (rd(apic, TPR) & ~0xff) | 0x10);
	/* apic_pending_intr_clear(): EOI while anything is in service. */
	for (loops = 0; loops < 512; loops++) {
		bool busy = false;

		for (i = 0; i < 8; i++)
			busy |= rd(apic, ISR + i * 0x10) != 0;
		if (!busy)
			break;
		wr(apic, EOI, 0);
	}
	CHECK(loops < 512);
	v = (rd(apic, SVR) & ~0xff) | 0x100 | 0xff;
	wr(apic, SVR, v);
	v = rd(apic, LVT0) & MASKED;
	wr(apic, LVT0, !cpu && !v ? 0x700 : 0x700 | MASKED);
	wr(apic, LVT1, cpu ? 0x400 | MASKED : 0x400);
	/* lapic_setup_esr() */
	wr(apic, ESR, 0);
	rd(apic, ESR);
	wr(apic, LVTERR, 0xfe);
	wr(apic, ESR, 0);
	CHECK_EQ(rd(apic, ESR), 0);
}

/*
 * The caller's loop: give msg to every APIC that accepts it; lowest
 * priority goes to the first only.  Returns a bitmap of who took it and
 * the actions in act[].
 */
static u32 route(struct lg_lapic *apics, unsigned int n, unsigned int sender,
		 const struct lg_apic_msg *msg, enum lg_lapic_action *act)
{
	unsigned int i;
	u32 took = 0;

	for (i = 0; i < n; i++) {
		act[i] = LG_LAPIC_IGNORED;
		if (!lg_lapic_accepts(&apics[i], msg, i == sender))
			continue;
		if (msg->delivery_mode == LG_APIC_DM_LOWEST && took)
			continue;
		took |= 1U << i;
		act[i] = lg_lapic_deliver(&apics[i], msg->delivery_mode,
					  msg->vector, msg->level);
	}
	return took;
}

/* apic_icr_write() in xAPIC mode: ICR2 then ICR; the IPI, routed. */
static u32 send_xapic(struct lg_lapic *apics, unsigned int n,
		      unsigned int sender, u32 low, u8 dest,
		      enum lg_lapic_action *act)
{
	struct lg_lapic_out out;

	wr(&apics[sender], ICR2, (u32)dest << 24);
	out = wr(&apics[sender], ICR, low);
	CHECK_EQ(rd(&apics[sender], ICR) & 0x1000, 0);	/* idle */
	if (!(out.flags & LG_LAPIC_OUT_IPI))
		return 0;
	return route(apics, n, sender, &out.ipi, act);
}

static u32 send_x2apic(struct lg_lapic *apics, unsigned int n,
		       unsigned int sender, u32 low, u32 dest,
		       enum lg_lapic_action *act)
{
	struct lg_lapic_out out;

	CHECK_EQ(wrmsr_at(&apics[sender], 0x830, (u64)dest << 32 | low, T0,
			  &out), 0);
	if (!(out.flags & LG_LAPIC_OUT_IPI))
		return 0;
	return route(apics, n, sender, &out.ipi, act);
}

static void test_reset_state(void)
{
	struct lg_lapic apics[2];
	u64 val;

	boot(apics, 2);
	CHECK_EQ(rdmsr(&apics[0], 0x1b, &val), 0);
	CHECK_EQ(val, 0xfee00900);
	CHECK_EQ(rdmsr(&apics[1], 0x1b, &val), 0);
	CHECK_EQ(val, 0xfee00800);
	CHECK_EQ(rd(&apics[1], ID), 1U << 24);
	CHECK_EQ(rd(&apics[0], VERSION), 0x00060014);
	CHECK_EQ(rd(&apics[0], SVR), 0xff);
	CHECK_EQ(rd(&apics[0], DFR), 0xffffffff);
	CHECK_EQ(rd(&apics[1], LVTT), MASKED);
	CHECK_EQ(rd(&apics[1], LVT0), MASKED);
	CHECK_EQ(rd(&apics[0], TMCCT), 0);
	CHECK_EQ(apics[0].timer_due_ns, U64_MAX);
	tap_case("the BSP is left in virtual-wire mode");
	CHECK_EQ(rd(&apics[0], LVT0), 0x700);
	CHECK_EQ(rd(&apics[0], LVT1), 0x400);
	CHECK(lg_lapic_accepts_pic(&apics[0]));
	CHECK(!lg_lapic_accepts_pic(&apics[1]));
	CHECK(lg_lapic_owns_mmio(&apics[0], 0xfee00000));
	CHECK(lg_lapic_owns_mmio(&apics[0], 0xfee00ffc));
	CHECK(!lg_lapic_owns_mmio(&apics[0], 0xfee01000));
	CHECK(lg_lapic_owns_msr(0x1b) && lg_lapic_owns_msr(0x6e0));
	CHECK(lg_lapic_owns_msr(0x800) && lg_lapic_owns_msr(0x8ff));
	CHECK(!lg_lapic_owns_msr(0x900) && !lg_lapic_owns_msr(0x1a));
}

static void test_linux_setup(void)
{
	struct lg_lapic apics[2];

	boot(apics, 2);
	linux_setup(&apics[0], 0);
	linux_setup(&apics[1], 1);
	CHECK_EQ(rd(&apics[1], LDR), 0x02000000);
	CHECK_EQ(rd(&apics[0], SVR), 0x1ff);
	CHECK_EQ(rd(&apics[0], TPR), 0x10);
	CHECK_EQ(rd(&apics[0], PPR), 0x10);
	CHECK_EQ(rd(&apics[0], LVTERR), 0xfe);
	/* Software disable masked the BSP's LINT0 first: Linux masks it. */
	CHECK_EQ(rd(&apics[0], LVT0), 0x700 | MASKED);
	CHECK_EQ(rd(&apics[0], LVT1), 0x400);
	CHECK_EQ(rd(&apics[1], LVT1), 0x400 | MASKED);
	CHECK(!lg_lapic_accepts_pic(&apics[0]));
	CHECK_EQ(lg_lapic_lint(&apics[0], 1), LG_LAPIC_NMI);
	CHECK_EQ(lg_lapic_lint(&apics[1], 1), LG_LAPIC_IGNORED);
	CHECK_EQ(lg_lapic_pending(&apics[0]), -1);
}

static void test_priority(void)
{
	struct lg_lapic apic;

	lg_lapic_init(&apic, 0, true, TSC_KHZ);
	linux_setup(&apic, 0);
	CHECK_EQ(lg_lapic_deliver(&apic, 0, 0x31, false), LG_LAPIC_QUEUED);
	CHECK_EQ(lg_lapic_deliver(&apic, 0, 0x41, false), LG_LAPIC_QUEUED);
	CHECK_EQ(lg_lapic_deliver(&apic, 0, 0xec, false), LG_LAPIC_QUEUED);
	CHECK_EQ(rd(&apic, IRR + 0x70), 1U << (0xec - 0xe0));
	CHECK_EQ(lg_lapic_pending(&apic), 0xec);
	CHECK_EQ(lg_lapic_ack(&apic), 0xec);
	CHECK_EQ(rd(&apic, ISR + 0x70), 1U << (0xec - 0xe0));
	CHECK_EQ(rd(&apic, IRR + 0x70), 0);
	CHECK_EQ(rd(&apic, PPR), 0xe0);
	tap_case("lower classes wait for the handler's EOI");
	CHECK_EQ(lg_lapic_pending(&apic), -1);
	CHECK_EQ(lg_lapic_ack(&apic), -1);
	tap_case("a higher class interrupts the handler");
	lg_lapic_deliver(&apic, 0, 0xfd, false);
	CHECK_EQ(lg_lapic_ack(&apic), 0xfd);
	CHECK_EQ(rd(&apic, PPR), 0xf0);
	tap_case("the same class does not");
	lg_lapic_deliver(&apic, 0, 0xe1, false);
	CHECK_EQ(lg_lapic_pending(&apic), -1);
	wr(&apic, EOI, 0);			/* ends 0xfd */
	CHECK_EQ(lg_lapic_pending(&apic), -1);
	wr(&apic, EOI, 0);			/* ends 0xec */
	CHECK_EQ(lg_lapic_ack(&apic), 0xe1);
	wr(&apic, EOI, 0);
	tap_case("TPR holds off its class and below");
	wr(&apic, TPR, 0x41);
	CHECK_EQ(rd(&apic, PPR), 0x41);
	CHECK_EQ(lg_lapic_pending(&apic), -1);
	wr(&apic, TPR, 0x30);
	CHECK_EQ(lg_lapic_ack(&apic), 0x41);
	CHECK_EQ(rd(&apic, PPR), 0x40);
	wr(&apic, EOI, 0);
	CHECK_EQ(lg_lapic_pending(&apic), -1);	/* 0x31: class 3 = TPR */
	tap_case("CR8 is TPR[7:4]");
	lg_lapic_set_cr8(&apic, 2);
	CHECK_EQ(rd(&apic, TPR), 0x20);
	CHECK_EQ(lg_lapic_get_cr8(&apic), 2);
	CHECK_EQ(lg_lapic_ack(&apic), 0x31);
}

static void test_eoi(void)
{
	struct lg_lapic apic;
	struct lg_lapic_out out;

	lg_lapic_init(&apic, 0, true, TSC_KHZ);
	linux_setup(&apic, 0);
	CHECK_EQ(lg_lapic_deliver(&apic, 0, 0x41, true), LG_LAPIC_QUEUED);
	CHECK_EQ(rd(&apic, TMR + 0x20), 2);
	CHECK_EQ(lg_lapic_ack(&apic), 0x41);
	out = wr(&apic, EOI, 0);
	CHECK_EQ(out.flags, LG_LAPIC_OUT_EOI);
	CHECK_EQ(out.eoi_vector, 0x41);
	CHECK(out.eoi_level);
	tap_case("an edge vector's EOI concerns nobody else");
	lg_lapic_deliver(&apic, 0, 0x41, false);
	CHECK_EQ(rd(&apic, TMR + 0x20), 0);
	CHECK_EQ(lg_lapic_ack(&apic), 0x41);
	out = wr(&apic, EOI, 0);
	CHECK_EQ(out.flags, LG_LAPIC_OUT_EOI);
	CHECK(!out.eoi_level);
	tap_case("EOI with nothing in service");
	out = wr(&apic, EOI, 0);
	CHECK_EQ(out.flags, 0);
}

static void test_illegal_vectors(void)
{
	struct lg_lapic apics[2];
	enum lg_lapic_action act[2];
	struct lg_lapic_out out;
	u64 esr;

	boot(apics, 2);
	linux_setup(&apics[0], 0);
	linux_setup(&apics[1], 1);
	wr(&apics[1], LVTERR, 0xfe | MASKED);
	CHECK_EQ(lg_lapic_deliver(&apics[1], 0, 5, false), LG_LAPIC_IGNORED);
	CHECK_EQ(rd(&apics[1], IRR), 0);
	tap_case("ESR shows errors only after a write");
	CHECK_EQ(rd(&apics[1], ESR), 0);
	wr(&apics[1], ESR, 0);
	CHECK_EQ(rd(&apics[1], ESR), 0x40);
	CHECK_EQ(rd(&apics[1], ESR), 0x40);
	wr(&apics[1], ESR, 0);
	CHECK_EQ(rd(&apics[1], ESR), 0);
	tap_case("sending vector 3 is refused at the sender");
	CHECK_EQ(send_xapic(apics, 2, 0, 0x0003, 1, act), 0);
	CHECK_EQ(rd(&apics[1], IRR), 0);
	tap_case("and raises the error interrupt, vector 0xfe");
	CHECK_EQ(lg_lapic_ack(&apics[0]), 0xfe);
	wr(&apics[0], EOI, 0);
	wr(&apics[0], ESR, 0);
	CHECK_EQ(rd(&apics[0], ESR), 0x20);
	tap_case("an illegal error vector: one more error, no interrupt");
	wr(&apics[0], LVTERR, 0x02);
	lg_lapic_deliver(&apics[0], 0, 7, false);
	wr(&apics[0], ESR, 0);
	CHECK_EQ(rd(&apics[0], ESR), 0x40);
	CHECK_EQ(lg_lapic_pending(&apics[0]), -1);
	tap_case("a self IPI of vector 15 (x2APIC)");
	CHECK_EQ(wrmsr(&apics[0], 0x1b, 0xfee00c00 | 0x100), 0);
	CHECK_EQ(wrmsr_at(&apics[0], 0x83f, 15, T0, &out), 0);
	CHECK_EQ(lg_lapic_pending(&apics[0]), -1);
	CHECK_EQ(wrmsr(&apics[0], 0x828, 0), 0);
	CHECK_EQ(rdmsr(&apics[0], 0x828, &esr), 0);
	/* Sent illegal, and the error LVT's vector 2 is illegal too. */
	CHECK_EQ(esr, 0x60);
}

/* wakeup_secondary_cpu_via_init() for CPU 2 with trampoline 0x9a000. */
static void test_smpboot_xapic(void)
{
	struct lg_lapic apics[4];
	enum lg_lapic_action act[4];
	unsigned int i;

	boot(apics, 4);
	linux_setup(&apics[0], 0);
	wr(&apics[0], ESR, 0);
	rd(&apics[0], ESR);
	CHECK_EQ(send_xapic(apics, 4, 0, 0xc500, 2, act), 1U << 2);
	CHECK_EQ(act[2], LG_LAPIC_INIT);
	CHECK(apics[2].wait_for_sipi);
	CHECK(!apics[1].wait_for_sipi && !apics[3].wait_for_sipi);
	tap_case("INIT level de-assert sends nothing");
	CHECK_EQ(send_xapic(apics, 4, 0, 0x8500, 2, act), 0);
	CHECK(apics[2].wait_for_sipi);
	for (i = 0; i < 2; i++) {
		tap_case("STARTUP #%u", i + 1);
		wr(&apics[0], ESR, 0);
		rd(&apics[0], ESR);
		CHECK_EQ(send_xapic(apics, 4, 0, 0x0600 | 0x9a, 2, act),
			 1U << 2);
		CHECK_EQ(act[2], i ? LG_LAPIC_IGNORED : LG_LAPIC_SIPI);
		CHECK(!apics[2].wait_for_sipi);
		wr(&apics[0], ESR, 0);
		CHECK_EQ(rd(&apics[0], ESR) & 0xef, 0);	/* accept_status */
	}
	CHECK_EQ(LG_SIPI_CS(0x9a), 0x9a00);
	CHECK_EQ(LG_SIPI_BASE(0x9a), 0x9a000);
	tap_case("the AP comes up in xAPIC mode with its own ID");
	linux_setup(&apics[2], 2);
	CHECK_EQ(rd(&apics[2], ID), 2U << 24);
	CHECK_EQ(rd(&apics[2], LDR), 4U << 24);
}

static void test_init_sipi_hostile(void)
{
	struct lg_lapic apics[2];
	u64 base;

	boot(apics, 2);
	tap_case("SIPI to a CPU that was never INITed");
	CHECK_EQ(lg_lapic_deliver(&apics[1], LG_APIC_DM_SIPI, 0x10, false),
		 LG_LAPIC_IGNORED);
	tap_case("SIPI to a running CPU after its start");
	lg_lapic_deliver(&apics[1], LG_APIC_DM_INIT, 0, false);
	CHECK_EQ(lg_lapic_deliver(&apics[1], LG_APIC_DM_SIPI, 0x10, false),
		 LG_LAPIC_SIPI);
	CHECK_EQ(lg_lapic_deliver(&apics[1], LG_APIC_DM_SIPI, 0x20, false),
		 LG_LAPIC_IGNORED);
	tap_case("INIT to the BSP is a reset request, not wait-for-SIPI");
	linux_setup(&apics[0], 0);
	wr(&apics[0], ID, 7U << 24);
	lg_lapic_deliver(&apics[0], 0, 0x40, false);
	CHECK_EQ(lg_lapic_deliver(&apics[0], LG_APIC_DM_INIT, 0, false),
		 LG_LAPIC_INIT_BSP);
	CHECK(!apics[0].wait_for_sipi);
	CHECK_EQ(lg_lapic_deliver(&apics[0], LG_APIC_DM_SIPI, 0x10, false),
		 LG_LAPIC_IGNORED);
	tap_case("INIT resets the APIC but keeps its ID and base");
	CHECK_EQ(rd(&apics[0], ID), 7U << 24);
	CHECK_EQ(rdmsr(&apics[0], 0x1b, &base), 0);
	CHECK_EQ(base, 0xfee00900);
	CHECK_EQ(rd(&apics[0], SVR), 0xff);
	CHECK_EQ(rd(&apics[0], LVTERR), MASKED);
	CHECK_EQ(rd(&apics[0], LDR), 0);
	CHECK_EQ(rd(&apics[0], IRR + 0x20), 0);
	CHECK_EQ(lg_lapic_pending(&apics[0]), -1);
}

/* flat_send_IPI_mask(): logical destination, one bit per CPU. */
static void test_flat_ipis(void)
{
	struct lg_lapic apics[4];
	enum lg_lapic_action act[4];
	unsigned int i;

	boot(apics, 4);
	for (i = 0; i < 4; i++)
		linux_setup(&apics[i], i);
	CHECK_EQ(send_xapic(apics, 4, 0, 0x0800 | 0xfb, 0x0a, act), 0x0a);
	CHECK_EQ(act[1], LG_LAPIC_QUEUED);
	CHECK_EQ(act[3], LG_LAPIC_QUEUED);
	CHECK_EQ(lg_lapic_pending(&apics[1]), 0xfb);
	CHECK_EQ(lg_lapic_pending(&apics[2]), -1);
	tap_case("physical destination 2");
	CHECK_EQ(send_xapic(apics, 4, 0, 0x00fc, 2, act), 1U << 2);
	tap_case("physical broadcast 0xff");
	CHECK_EQ(send_xapic(apics, 4, 0, 0x00fc, 0xff, act), 0xf);
	tap_case("logical broadcast 0xff");
	CHECK_EQ(send_xapic(apics, 4, 0, 0x08fc, 0xff, act), 0xf);
	tap_case("all but self (apic_send_IPI_allbutself)");
	CHECK_EQ(send_xapic(apics, 4, 2, 0xc00fd, 0, act), 0xb);
	tap_case("all including self");
	CHECK_EQ(send_xapic(apics, 4, 2, 0x800fd, 0, act), 0xf);
	tap_case("self: the sender only");
	CHECK_EQ(send_xapic(apics, 4, 3, 0x400f3, 0, act), 1U << 3);
	CHECK_EQ(lg_lapic_pending(&apics[3]), 0xfd);
	CHECK_EQ(rd(&apics[3], IRR + 0x70), (1U << 0x1b) | (1U << 0x13) |
		 (1U << 0x1c) | (1U << 0x1d));
	tap_case("NMI to all but self (nmi_shootdown_cpus)");
	CHECK_EQ(send_xapic(apics, 4, 0, 0xc0400, 0, act), 0xe);
	CHECK_EQ(act[1], LG_LAPIC_NMI);
	tap_case("lowest priority: one CPU, the first match");
	CHECK_EQ(send_xapic(apics, 4, 0, 0x0900 | 0x50, 0x0c, act), 1U << 2);
}

static void test_cluster_ipis(void)
{
	struct lg_lapic apics[6];
	enum lg_lapic_action act[6];
	unsigned int i;

	boot(apics, 6);
	for (i = 0; i < 6; i++) {
		linux_setup(&apics[i], i);
		wr(&apics[i], DFR, 0x0fffffff);
		/* cluster i / 4, member bit i % 4 */
		wr(&apics[i], LDR, ((i / 4) << 4 | 1U << (i % 4)) << 24);
	}
	CHECK_EQ(rd(&apics[0], DFR), 0x0fffffff);
	CHECK_EQ(send_xapic(apics, 6, 0, 0x0860, 0x13, act), 0x30);
	CHECK_EQ(send_xapic(apics, 6, 0, 0x0860, 0x06, act), 0x06);
	CHECK_EQ(send_xapic(apics, 6, 0, 0x0860, 0x0f, act), 0x0f);
	CHECK_EQ(send_xapic(apics, 6, 0, 0x0860, 0x24, act), 0);
	CHECK_EQ(send_xapic(apics, 6, 0, 0x0860, 0xff, act), 0x3f);
}

static void enter_x2apic(struct lg_lapic *apic)
{
	u64 base;

	CHECK_EQ(rdmsr(apic, 0x1b, &base), 0);
	CHECK_EQ(wrmsr(apic, 0x1b, base | 0x400), 0);
}

/* x2apic_cluster: 20 CPUs, so two clusters. */
static void test_x2apic_cluster_ipis(void)
{
	struct lg_lapic apics[20];
	enum lg_lapic_action act[20];
	unsigned int i;
	u64 val;

	boot(apics, 20);
	for (i = 0; i < 20; i++) {
		enter_x2apic(&apics[i]);
		CHECK_EQ(wrmsr(&apics[i], 0x80f, 0x1ff), 0);
	}
	CHECK_EQ(rdmsr(&apics[17], 0x802, &val), 0);
	CHECK_EQ(val, 17);
	CHECK_EQ(rdmsr(&apics[17], 0x80d, &val), 0);
	CHECK_EQ(val, 0x10002);
	CHECK_EQ(rdmsr(&apics[3], 0x80d, &val), 0x0);
	CHECK_EQ(val, 0x8);
	tap_case("cluster 1, members 0 and 2: CPUs 16 and 18");
	CHECK_EQ(send_x2apic(apics, 20, 0, 0x08fb, 0x10005, act),
		 (1U << 16) | (1U << 18));
	CHECK_EQ(lg_lapic_pending(&apics[18]), 0xfb);
	tap_case("cluster 0, members 1, 3: CPUs 1 and 3");
	CHECK_EQ(send_x2apic(apics, 20, 0, 0x08fb, 0x0000a, act), 0xa);
	tap_case("physical 19");
	CHECK_EQ(send_x2apic(apics, 20, 0, 0x00fb, 19, act), 1U << 19);
	tap_case("physical 0xff is CPU 255 in x2APIC, not broadcast");
	CHECK_EQ(send_x2apic(apics, 20, 0, 0x00fb, 0xff, act), 0);
	tap_case("broadcast 0xffffffff");
	CHECK_EQ(send_x2apic(apics, 20, 0, 0x00fb, 0xffffffff, act), 0xfffff);
	tap_case("SELF IPI MSR");
	CHECK_EQ(wrmsr(&apics[5], 0x83f, 0xe3), 0);
	CHECK_EQ(lg_lapic_pending(&apics[5]), 0xfb);
	CHECK_EQ(rdmsr(&apics[5], 0x827, &val), 0);
	CHECK_EQ(val, (1U << 0x1b) | (1U << 0x03));
	tap_case("x2APIC INIT, SIPI to CPU 12");
	CHECK_EQ(send_x2apic(apics, 20, 0, 0xc500, 12, act), 1U << 12);
	CHECK_EQ(act[12], LG_LAPIC_INIT);
	CHECK_EQ(send_x2apic(apics, 20, 0, 0x8500, 12, act), 0);
	CHECK_EQ(send_x2apic(apics, 20, 0, 0x069a, 12, act), 1U << 12);
	CHECK_EQ(act[12], LG_LAPIC_SIPI);
	CHECK_EQ(rdmsr(&apics[0], 0x830, &val), 0);
	CHECK_EQ(val, 12ULL << 32 | 0x069a);
	tap_case("an 8-bit I/O APIC destination 0xff still broadcasts");
	{
		struct lg_apic_msg msg = { .dest = 0xff, .vector = 0x30 };

		CHECK_EQ(route(apics, 20, 99, &msg, act), 0xfffff);
	}
}

static void test_x2apic_msr_rules(void)
{
	struct lg_lapic apic;
	u64 val;

	lg_lapic_init(&apic, 0x123, false, TSC_KHZ);
	enter_x2apic(&apic);
	CHECK_EQ(rdmsr(&apic, 0x802, &val), 0);
	CHECK_EQ(val, 0x123);
	CHECK_EQ(rdmsr(&apic, 0x80d, &val), 0);
	CHECK_EQ(val, 0x120008);
	CHECK_EQ(rdmsr(&apic, 0x803, &val), 0);
	CHECK_EQ(val, 0x00060014);
	tap_case("read-only registers");
	CHECK_EQ(wrmsr(&apic, 0x802, 5), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x803, 0), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x80a, 0), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x80d, 1), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x810, 0), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x820, 0), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x839, 0), -EINVAL);
	tap_case("registers x2APIC does not have");
	CHECK_EQ(rdmsr(&apic, 0x80e, &val), -EINVAL);	/* DFR */
	CHECK_EQ(wrmsr(&apic, 0x80e, 0xffffffff), -EINVAL);
	CHECK_EQ(rdmsr(&apic, 0x809, &val), -EINVAL);	/* APR */
	CHECK_EQ(rdmsr(&apic, 0x831, &val), -EINVAL);	/* ICR2 */
	CHECK_EQ(rdmsr(&apic, 0x801, &val), -EINVAL);
	CHECK_EQ(rdmsr(&apic, 0x840, &val), -EINVAL);
	CHECK_EQ(rdmsr(&apic, 0x8ff, &val), -EINVAL);
	tap_case("write-only registers");
	CHECK_EQ(rdmsr(&apic, 0x80b, &val), -EINVAL);
	CHECK_EQ(rdmsr(&apic, 0x83f, &val), -EINVAL);
	tap_case("reserved bits");
	CHECK_EQ(wrmsr(&apic, 0x80b, 1), -EINVAL);	/* EOI: only 0 */
	CHECK_EQ(wrmsr(&apic, 0x80b, 0), 0);
	CHECK_EQ(wrmsr(&apic, 0x828, 1), -EINVAL);	/* ESR: only 0 */
	CHECK_EQ(wrmsr(&apic, 0x828, 0), 0);
	CHECK_EQ(wrmsr(&apic, 0x808, 0x100), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x808, 1ULL << 32), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x808, 0xff), 0);
	CHECK_EQ(wrmsr(&apic, 0x80f, 0x11ff), -EINVAL);	/* no directed EOI */
	CHECK_EQ(wrmsr(&apic, 0x83e, 0x4), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x83f, 0x1f0), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x832, 0x80000), -EINVAL);	/* LVTT bit 19 */
	CHECK_EQ(wrmsr(&apic, 0x835, 0x800), -EINVAL);	/* LINT0 bit 11 */
	CHECK_EQ(wrmsr(&apic, 0x830, 0x20fb), -EINVAL);	/* ICR bit 13 */
	CHECK_EQ(wrmsr(&apic, 0x830, 0x10fb), -EINVAL);	/* ICR bit 12 */
	CHECK_EQ(wrmsr(&apic, 0x830, 0x1000fb), -EINVAL);	/* ICR bit 20 */
	tap_case("read-modify-write of an LVT carries its status bits");
	CHECK_EQ(wrmsr(&apic, 0x832, 0x10ec | MASKED), 0);
	CHECK_EQ(rdmsr(&apic, 0x832, &val), 0);
	CHECK_EQ(val, 0xec | MASKED);
	CHECK_EQ(wrmsr(&apic, 0x835, 0x4700 | MASKED), 0);
	tap_case("TSC deadline MSR outside deadline mode: ignored");
	CHECK_EQ(wrmsr(&apic, 0x6e0, 12345), 0);
	CHECK_EQ(rdmsr(&apic, 0x6e0, &val), 0);
	CHECK_EQ(val, 0);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	CHECK_EQ(apic.tsc_deadline, 0);
}

static void test_wrong_access_path(void)
{
	struct lg_lapic apic;
	struct lg_lapic_out out;
	u64 val = 0;

	lg_lapic_init(&apic, 1, false, TSC_KHZ);
	tap_case("x2APIC MSRs in xAPIC mode");
	CHECK_EQ(rdmsr(&apic, 0x802, &val), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x808, 0x20), -EINVAL);
	CHECK_EQ(wrmsr(&apic, 0x830, 0xfb), -EINVAL);
	CHECK_EQ(rd(&apic, TPR), 0);
	tap_case("MMIO in x2APIC mode");
	enter_x2apic(&apic);
	CHECK(!lg_lapic_owns_mmio(&apic, 0xfee00020));
	CHECK_EQ(lg_lapic_mmio_read(&apic, ID, 4, &val, at(T0)), -ENODEV);
	CHECK_EQ(lg_lapic_mmio_write(&apic, TPR, 4, 0x20, at(T0), &out),
		 -ENODEV);
	CHECK_EQ(rdmsr(&apic, 0x808, &val), 0);
	CHECK_EQ(val, 0);
	tap_case("MMIO with the APIC disabled");
	CHECK_EQ(wrmsr(&apic, 0x1b, 0xfee00000), 0);
	CHECK(!lg_lapic_owns_mmio(&apic, 0xfee00020));
	CHECK_EQ(lg_lapic_mmio_read(&apic, ID, 4, &val, at(T0)), -ENODEV);
	CHECK_EQ(rdmsr(&apic, 0x802, &val), -EINVAL);
}

static void test_apic_base(void)
{
	struct lg_lapic apics[2];
	enum lg_lapic_action act[2];
	u64 val;

	boot(apics, 2);
	tap_case("reserved bits, EXTD without enable");
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00a00), -EINVAL);
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00801), -EINVAL);
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 1ULL << 52 | 0xfee00800), -EINVAL);
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00400), -EINVAL);
	tap_case("disabled straight to x2APIC");
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00000), 0);
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00c00), -EINVAL);
	CHECK_EQ(rdmsr(&apics[1], 0x1b, &val), 0);
	CHECK_EQ(val, 0xfee00000);
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00800), 0);
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00c00), 0);
	tap_case("x2APIC straight back to xAPIC");
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00800), -EINVAL);
	CHECK_EQ(rdmsr(&apics[1], 0x1b, &val), 0);
	CHECK_EQ(val, 0xfee00c00);
	tap_case("the BSP bit is not the guest's");
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00d00), 0);
	CHECK_EQ(rdmsr(&apics[1], 0x1b, &val), 0);
	CHECK_EQ(val, 0xfee00c00);
	CHECK_EQ(wrmsr(&apics[0], 0x1b, 0xfee00800), 0);
	CHECK_EQ(rdmsr(&apics[0], 0x1b, &val), 0);
	CHECK_EQ(val, 0xfee00900);
	tap_case("__x2apic_disable(): through disabled back to xAPIC");
	CHECK_EQ(wrmsr(&apics[1], 0x80f, 0x1ff), 0);
	CHECK_EQ(wrmsr(&apics[1], 0x808, 0x20), 0);
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00000), 0);
	tap_case("a disabled APIC takes nothing, and LINT pins pass through");
	{
		struct lg_apic_msg msg = { .dest = 0xff, .vector = 0x30 };

		CHECK_EQ(route(apics, 2, 0, &msg, act), 1);
	}
	CHECK_EQ(lg_lapic_deliver(&apics[1], 0, 0x30, false), LG_LAPIC_IGNORED);
	CHECK_EQ(lg_lapic_deliver(&apics[1], LG_APIC_DM_NMI, 0, false),
		 LG_LAPIC_IGNORED);
	CHECK(lg_lapic_accepts_pic(&apics[1]));
	CHECK_EQ(lg_lapic_lint(&apics[1], 0), LG_LAPIC_EXTINT);
	CHECK_EQ(lg_lapic_lint(&apics[1], 1), LG_LAPIC_NMI);
	CHECK_EQ(lg_lapic_pending(&apics[1]), -1);
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfee00800), 0);
	CHECK_EQ(rd(&apics[1], ID), 1U << 24);
	CHECK_EQ(rd(&apics[1], TPR), 0);
	CHECK_EQ(rd(&apics[1], SVR), 0xff);
	tap_case("a moved base moves the page");
	CHECK_EQ(wrmsr(&apics[1], 0x1b, 0xfed00800), 0);
	CHECK(lg_lapic_owns_mmio(&apics[1], 0xfed00030));
	CHECK(!lg_lapic_owns_mmio(&apics[1], 0xfee00030));
}

static void test_software_disable(void)
{
	struct lg_lapic apic;

	lg_lapic_init(&apic, 1, false, TSC_KHZ);
	linux_setup(&apic, 1);
	wr(&apic, LVTT, 0xec);
	CHECK_EQ(rd(&apic, LVTT), 0xec);
	lg_lapic_deliver(&apic, 0, 0x80, false);
	tap_case("SVR bit 8 clear masks every LVT entry");
	wr(&apic, SVR, 0xff);
	CHECK_EQ(rd(&apic, LVTT), 0xec | MASKED);
	CHECK_EQ(rd(&apic, LVTERR), 0xfe | MASKED);
	wr(&apic, LVTT, 0xec);
	CHECK_EQ(rd(&apic, LVTT), 0xec | MASKED);
	tap_case("fixed interrupts are refused, held ones stay");
	CHECK_EQ(lg_lapic_deliver(&apic, 0, 0x90, false), LG_LAPIC_IGNORED);
	CHECK_EQ(lg_lapic_pending(&apic), 0x80);
	tap_case("NMI and INIT still arrive");
	CHECK_EQ(lg_lapic_deliver(&apic, LG_APIC_DM_NMI, 0, false),
		 LG_LAPIC_NMI);
	CHECK_EQ(lg_lapic_deliver(&apic, LG_APIC_DM_INIT, 0, false),
		 LG_LAPIC_INIT);
	tap_case("enabled again, the masks can be cleared");
	wr(&apic, SVR, 0x1ff);
	wr(&apic, LVTT, 0xec);
	CHECK_EQ(rd(&apic, LVTT), 0xec);
}

static void test_xapic_registers(void)
{
	struct lg_lapic apic;
	struct lg_lapic_out out;
	u64 val;

	lg_lapic_init(&apic, 3, false, TSC_KHZ);
	linux_setup(&apic, 3);
	wr(&apic, LVTERR, 0xfe | MASKED);
	tap_case("read-only registers ignore writes");
	wr(&apic, VERSION, 0);
	wr(&apic, PPR, 0xff);
	wr(&apic, ISR, 0xffffffff);
	wr(&apic, IRR + 0x70, 0xffffffff);
	wr(&apic, TMCCT, 5);
	CHECK_EQ(rd(&apic, VERSION), 0x00060014);
	CHECK_EQ(rd(&apic, PPR), 0x10);
	CHECK_EQ(rd(&apic, ISR), 0);
	CHECK_EQ(rd(&apic, IRR + 0x70), 0);
	CHECK_EQ(rd(&apic, TMCCT), 0);
	wr(&apic, ESR, 0);
	CHECK_EQ(rd(&apic, ESR), 0);
	tap_case("reserved registers: illegal register address in ESR");
	CHECK_EQ(rd(&apic, 0x40), 0);
	wr(&apic, 0x3f0, 0xfb);		/* SELF IPI is x2APIC's */
	CHECK_EQ(lg_lapic_pending(&apic), -1);
	wr(&apic, ESR, 0);
	CHECK_EQ(rd(&apic, ESR), 0x80);
	tap_case("reserved bits are dropped");
	wr(&apic, TPR, 0xffffff20);
	CHECK_EQ(rd(&apic, TPR), 0x20);
	wr(&apic, DFR, 0x00000000);
	CHECK_EQ(rd(&apic, DFR), 0x0fffffff);
	wr(&apic, LDR, 0x12345678);
	CHECK_EQ(rd(&apic, LDR), 0x12000000);
	wr(&apic, LVT0, 0xffffffff);
	CHECK_EQ(rd(&apic, LVT0), 0x1a7ff);
	wr(&apic, TDCR, 0xff);
	CHECK_EQ(rd(&apic, TDCR), 0xb);
	tap_case("the xAPIC ID is writable, and moves the CPU's address");
	wr(&apic, ID, 0x09000000);
	CHECK_EQ(rd(&apic, ID), 0x09000000);
	{
		struct lg_apic_msg msg = { .dest = 9, .vector = 0x30 };

		CHECK(lg_lapic_accepts(&apic, &msg, false));
		msg.dest = 3;
		CHECK(!lg_lapic_accepts(&apic, &msg, false));
	}
	tap_case("sub-word reads and dropped sub-word writes");
	CHECK_EQ(lg_lapic_mmio_read(&apic, ID + 3, 1, &val, at(T0)), 0);
	CHECK_EQ(val, 0x09);
	CHECK_EQ(lg_lapic_mmio_read(&apic, VERSION + 2, 2, &val, at(T0)), 0);
	CHECK_EQ(val, 0x0006);
	CHECK_EQ(lg_lapic_mmio_read(&apic, VERSION + 4, 4, &val, at(T0)), 0);
	CHECK_EQ(val, 0);
	CHECK_EQ(lg_lapic_mmio_write(&apic, TPR, 1, 0x40, at(T0), &out), 0);
	CHECK_EQ(lg_lapic_mmio_write(&apic, TPR + 4, 4, 0x40, at(T0), &out), 0);
	CHECK_EQ(rd(&apic, TPR), 0x20);
	CHECK_EQ(lg_lapic_mmio_write(&apic, 0x1000, 4, 0, at(T0), &out), 0);
	tap_case("ICR delivery status always reads idle");
	wr(&apic, ICR, 0x10fb | 0x80000);
	CHECK_EQ(rd(&apic, ICR), 0x800fb);
}

static void test_icr_combinations(void)
{
	struct lg_lapic apics[3];
	enum lg_lapic_action act[3];
	unsigned int i;

	boot(apics, 3);
	for (i = 0; i < 3; i++)
		linux_setup(&apics[i], i);
	tap_case("only fixed to self or to all including self");
	CHECK_EQ(send_xapic(apics, 3, 1, 0x40400, 0, act), 0);	/* NMI self */
	CHECK_EQ(send_xapic(apics, 3, 1, 0x80500, 0, act), 0);	/* INIT all */
	CHECK_EQ(send_xapic(apics, 3, 1, 0x80600, 0, act), 0);	/* SIPI all */
	CHECK_EQ(send_xapic(apics, 3, 1, 0x80150, 0, act), 0);
	CHECK(!apics[0].wait_for_sipi && !apics[2].wait_for_sipi);
	tap_case("SMI and the reserved modes are not sent");
	CHECK_EQ(send_xapic(apics, 3, 0, 0x0250, 1, act), 0);
	CHECK_EQ(send_xapic(apics, 3, 0, 0x0350, 1, act), 0);
	CHECK_EQ(send_xapic(apics, 3, 0, 0x0750, 1, act), 0);
	tap_case("level-triggered IPIs count as edges; de-asserts as nothing");
	CHECK_EQ(send_xapic(apics, 3, 0, 0xc050, 1, act), 2);
	CHECK_EQ(rd(&apics[1], TMR + 0x20), 0);
	CHECK_EQ(send_xapic(apics, 3, 0, 0x8060, 1, act), 0);
	CHECK_EQ(lg_lapic_pending(&apics[1]), 0x50);
	tap_case("INIT to all but self: every AP waits for SIPI");
	CHECK_EQ(send_xapic(apics, 3, 0, 0xc4500, 0, act), 6);
	CHECK(apics[1].wait_for_sipi && apics[2].wait_for_sipi);
	tap_case("deliveries the APIC itself ignores");
	CHECK_EQ(lg_lapic_deliver(&apics[0], LG_APIC_DM_SMI, 0, false),
		 LG_LAPIC_IGNORED);
	CHECK_EQ(lg_lapic_deliver(&apics[0], 3, 0x40, false),
		 LG_LAPIC_IGNORED);
	CHECK_EQ(lg_lapic_deliver(&apics[0], LG_APIC_DM_EXTINT, 0, false),
		 LG_LAPIC_EXTINT);
}

static void test_lint(void)
{
	struct lg_lapic apic;

	lg_lapic_init(&apic, 0, true, TSC_KHZ);
	CHECK_EQ(lg_lapic_lint(&apic, 0), LG_LAPIC_EXTINT);
	CHECK_EQ(lg_lapic_lint(&apic, 1), LG_LAPIC_NMI);
	CHECK_EQ(lg_lapic_lint(&apic, 2), LG_LAPIC_IGNORED);
	wr(&apic, SVR, 0x1ff);
	tap_case("LINT0 as a fixed vector, LINT1 masked");
	wr(&apic, LVT0, 0x0031);
	wr(&apic, LVT1, 0x0400 | MASKED);
	CHECK(!lg_lapic_accepts_pic(&apic));
	CHECK_EQ(lg_lapic_lint(&apic, 0), LG_LAPIC_QUEUED);
	CHECK_EQ(lg_lapic_pending(&apic), 0x31);
	CHECK_EQ(lg_lapic_lint(&apic, 1), LG_LAPIC_IGNORED);
	tap_case("virtual wire again (pic_mode)");
	wr(&apic, LVT0, 0x0700);
	CHECK(lg_lapic_accepts_pic(&apic));
	wr(&apic, LVT0, 0x0700 | MASKED);
	CHECK(!lg_lapic_accepts_pic(&apic));
	CHECK_EQ(lg_lapic_lint(&apic, 0), LG_LAPIC_IGNORED);
}

/* lapic_timer_set_oneshot(), then lapic_next_event() deltas. */
static void test_timer_oneshot(void)
{
	struct lg_lapic apic;
	struct lg_lapic_out out;
	u64 t1 = T0 + 5000000;

	lg_lapic_init(&apic, 1, false, TSC_KHZ);
	linux_setup(&apic, 1);
	wr(&apic, LVTT, 0xec);
	wr(&apic, TDCR, (rd(&apic, TDCR) & ~0xf) | 0x3);	/* divide 16 */
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	out = wr(&apic, TMICT, 1000);
	CHECK(out.flags & LG_LAPIC_OUT_TIMER);
	CHECK_EQ(apic.timer_due_ns, T0 + 16000);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 1600), 900);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 15999), 1);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 15999), 0);
	CHECK_EQ(lg_lapic_pending(&apic), -1);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 16000), 1);
	CHECK_EQ(lg_lapic_pending(&apic), 0xec);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 16000), 0);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 1000000000), 0);
	CHECK_EQ(rd(&apic, TMICT), 1000);
	tap_case("the next event re-arms it");
	wr_at(&apic, TMICT, 62500, t1);			/* 1 ms */
	CHECK_EQ(apic.timer_due_ns, t1 + 1000000);
	tap_case("an expiry before a rewrite is not lost");
	CHECK_EQ(lg_lapic_ack(&apic), 0xec);
	wr(&apic, EOI, 0);
	wr_at(&apic, TMICT, 62500, t1 + 2000000);
	CHECK_EQ(lg_lapic_pending(&apic), 0xec);
	CHECK_EQ(apic.timer_due_ns, t1 + 3000000);
	tap_case("lapic_timer_shutdown(): mask, then count 0");
	wr_at(&apic, LVTT, rd(&apic, LVTT) | MASKED | 0xec, t1 + 2500000);
	wr_at(&apic, TMICT, 0, t1 + 2500000);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	CHECK_EQ(rd_at(&apic, TMCCT, t1 + 2600000), 0);
	tap_case("a masked timer still counts, and does not interrupt");
	CHECK_EQ(lg_lapic_ack(&apic), 0xec);
	wr(&apic, EOI, 0);
	wr_at(&apic, TMICT, 100, t1 + 3000000);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, t1 + 4000000), 1);
	CHECK_EQ(lg_lapic_pending(&apic), -1);
}

/*
 * calibrate_APIC_clock(): a masked periodic timer from 0xffffffff / 16
 * read at two ticks 100 ms apart; then the periodic clock event at
 * HZ = 250 with the period found.
 */
static void test_timer_calibration_periodic(void)
{
	struct lg_lapic apic;
	u32 t1, t2, period;

	lg_lapic_init(&apic, 0, true, TSC_KHZ);
	linux_setup(&apic, 0);
	wr(&apic, LVTT, 0xec | PERIODIC | MASKED);
	wr(&apic, TDCR, (rd(&apic, TDCR) & ~0xf) | 0x3);
	wr(&apic, TMICT, 0xffffffffU / 16);
	t1 = rd_at(&apic, TMCCT, T0 + 4000000);
	t2 = rd_at(&apic, TMCCT, T0 + 104000000);
	period = (t1 - t2) * 16 / 25;		/* LAPIC_CAL_LOOPS = 25 */
	CHECK_EQ(period, 4000000);		/* 1 GHz / HZ */
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 104000000), 0);
	tap_case("periodic at HZ = 250");
	wr_at(&apic, LVTT, 0xec | PERIODIC, T0 + 200000000);
	wr_at(&apic, TMICT, period / 16, T0 + 200000000);
	CHECK_EQ(apic.timer_due_ns, T0 + 204000000);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 204000000 - 1), 0);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 204000000), 1);
	CHECK_EQ(apic.timer_due_ns, T0 + 208000000);
	tap_case("missed periods come as one count");
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 242000000), 9);
	CHECK_EQ(apic.timer_due_ns, T0 + 244000000);
	CHECK_EQ(lg_lapic_pending(&apic), 0xec);
	tap_case("the count reloads");
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 204000000), 250000);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 204000016), 249999);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 207999999), 1);
}

/* A 1 ns periodic timer: interrupts no faster than every 200 us. */
static void test_timer_min_period(void)
{
	struct lg_lapic apic;

	lg_lapic_init(&apic, 0, true, TSC_KHZ);
	linux_setup(&apic, 0);
	wr(&apic, LVTT, 0xec | PERIODIC);
	wr(&apic, TDCR, 0xb);				/* divide by 1 */
	wr(&apic, TMICT, 1);
	CHECK_EQ(apic.timer_due_ns, T0 + 1);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 1), 1);
	CHECK_EQ(apic.timer_due_ns, T0 + 1 + LG_APIC_MIN_PERIOD_NS);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 1000000001), 5000);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 12345), 1);
	tap_case("divide 2, count 100000: 200 us itself is kept");
	wr(&apic, TDCR, 0x0);
	wr(&apic, TMICT, 100000);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 2000000), 10);
	tap_case("divide 128, count 1000: 128 us becomes 200 us");
	wr(&apic, TDCR, 0xa);
	wr(&apic, TMICT, 1000);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 128000), 1);
	CHECK_EQ(apic.timer_due_ns, T0 + 328000);
}

static void test_timer_divide_change(void)
{
	struct lg_lapic apic;

	lg_lapic_init(&apic, 0, true, TSC_KHZ);
	linux_setup(&apic, 0);
	wr(&apic, LVTT, 0xec);
	wr(&apic, TDCR, 0x0);				/* divide 2 */
	wr(&apic, TMICT, 1000);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 1000), 500);
	wr_at(&apic, TDCR, 0x1, T0 + 1000);		/* divide 4 */
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 1400), 400);
	CHECK_EQ(apic.timer_due_ns, T0 + 1000 + 2000);
	tap_case("one-shot to periodic with the count running");
	wr_at(&apic, LVTT, 0xec | PERIODIC, T0 + 2000);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 2000), 250);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 3000), 1);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 3000), 1000);
	CHECK_EQ(apic.timer_due_ns, T0 + 3000 + 4000 * 50);	/* clamped */
	tap_case("a one-shot that ran out stays at 0 when made periodic");
	wr_at(&apic, LVTT, 0xec, T0 + 5000);
	wr_at(&apic, TMICT, 10, T0 + 5000);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 6000), 1);
	wr_at(&apic, LVTT, 0xec | PERIODIC, T0 + 7000);
	CHECK_EQ(rd_at(&apic, TMCCT, T0 + 7010), 0);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
}

/* lapic_next_deadline(): TSC + delta * 8, and shutdown. */
static void test_timer_tsc_deadline(void)
{
	struct lg_lapic apic;
	struct lg_lapic_out out;
	u64 val;

	lg_lapic_init(&apic, 0, true, TSC_KHZ);
	linux_setup(&apic, 0);
	wr(&apic, LVTT, 0xec | DEADLINE);
	CHECK_EQ(wrmsr_at(&apic, 0x6e0, at(T0).tsc + 8 * 250000, T0, &out), 0);
	CHECK(out.flags & LG_LAPIC_OUT_TIMER);
	CHECK_EQ(apic.timer_due_ns, T0 + 1000000);	/* 2e6 cycles, 2 GHz */
	CHECK_EQ(rdmsr(&apic, 0x6e0, &val), 0);
	CHECK_EQ(val, at(T0).tsc + 2000000);
	CHECK_EQ(rd(&apic, TMCCT), 0);
	tap_case("initial count writes are ignored in deadline mode");
	wr(&apic, TMICT, 5);
	CHECK_EQ(rd(&apic, TMICT), 0);
	CHECK_EQ(apic.timer_due_ns, T0 + 1000000);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 999999), 0);
	CHECK_EQ(lg_lapic_timer_ticks(&apic, T0 + 1000000), 1);
	CHECK_EQ(lg_lapic_pending(&apic), 0xec);
	CHECK_EQ(rdmsr(&apic, 0x6e0, &val), 0);
	CHECK_EQ(val, 0);
	tap_case("a deadline already past fires at once");
	CHECK_EQ(wrmsr_at(&apic, 0x6e0, 1, T0 + 2000000, &out), 0);
	CHECK_EQ(apic.timer_due_ns, T0 + 2000000);
	tap_case("writing 0 disarms (lapic_timer_shutdown)");
	CHECK_EQ(wrmsr_at(&apic, 0x6e0, 0, T0 + 2000000, &out), 0);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	tap_case("a deadline centuries away is never, without overflow");
	CHECK_EQ(wrmsr_at(&apic, 0x6e0, U64_MAX, T0, &out), 0);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	CHECK_EQ(wrmsr_at(&apic, 0x6e0, at(T0).tsc + (1ULL << 62), T0, &out),
		 0);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	CHECK_EQ(wrmsr_at(&apic, 0x6e0, at(T0).tsc + (1ULL << 50), T0, &out),
		 0);
	CHECK_EQ(apic.timer_due_ns, T0 + (1ULL << 49));
	tap_case("leaving deadline mode disarms it");
	CHECK_EQ(wrmsr_at(&apic, 0x6e0, at(T0).tsc + 1000, T0, &out), 0);
	wr(&apic, LVTT, 0xec);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	CHECK_EQ(rdmsr(&apic, 0x6e0, &val), 0);
	CHECK_EQ(val, 0);
	tap_case("entering it stops a one-shot count");
	wr(&apic, TMICT, 1000);
	CHECK(apic.timer_due_ns != U64_MAX);
	wr(&apic, LVTT, 0xec | DEADLINE);
	CHECK_EQ(apic.timer_due_ns, U64_MAX);
	CHECK_EQ(rd(&apic, TMICT), 0);
	tap_case("x2APIC mode: the same through MSR 0x832");
	enter_x2apic(&apic);
	CHECK_EQ(wrmsr(&apic, 0x832, 0xec | DEADLINE), 0);
	CHECK_EQ(wrmsr_at(&apic, 0x6e0, at(T0).tsc + 2000, T0, &out), 0);
	CHECK_EQ(apic.timer_due_ns, T0 + 1000);
}


static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A random 32-bit value, often one made of a register's likely bits. */
static u32 rnd_value(void)
{
	static const u32 likely[] = {
		0, 0xff, 0x100, 0x1ff, 0xec, MASKED, PERIODIC | 0x30,
		DEADLINE | 0x40, 0xc500, 0x8500, 0x0610, 0xc4400, 0x800ef,
		0x700, 0x400, 0xb, 0x3, 1, 2, 0xffffffff,
	};

	return rnd() & 1 ? (u32)rnd() : likely[rnd() % ARRAY_SIZE(likely)];
}

/*
 * Random register, MSR, delivery and timer traffic from a hostile guest,
 * a fixed seed so a failure replays: whatever it does, the answers stay
 * in their ranges, vectors 0-15 never reach IRR or ISR, x2APIC mode
 * never shows the page, and the timer never expires faster than its
 * floor allows between reprogrammings.
 */
static void test_random_traffic(void)
{
	struct lg_lapic apic;
	struct lg_lapic_out out;
	u64 now = T0, start = T0, val, ticks = 0, rearms = 0;
	unsigned int i;
	int ret;

	lg_lapic_init(&apic, 1, false, TSC_KHZ);
	for (i = 0; i < 200000; i++) {
		u32 reg = (rnd() % 0x40) << 4, msr = 0x800 + rnd() % 0x48;

		out.flags = 0;
		switch (rnd() % 10) {
		case 0:
		case 1:
			ret = lg_lapic_mmio_write(&apic, reg, rnd() % 3 ? 4 :
						  1 + rnd() % 8, rnd_value(),
						  at(now), &out);
			CHECK(ret == 0 || ret == -ENODEV);
			break;
		case 2:
			ret = lg_lapic_mmio_read(&apic, reg | (rnd() % 16),
						 1 + rnd() % 8, &val, at(now));
			CHECK(ret == 0 || ret == -ENODEV);
			break;
		case 3:
			if (rnd() % 8 == 0)
				msr = rnd() % 2 ? 0x1b : 0x6e0;
			ret = lg_lapic_msr_write(&apic, msr, rnd() % 4 ?
						 rnd_value() : rnd(), at(now),
						 &out);
			CHECK(ret == 0 || ret == -EINVAL);
			break;
		case 4:
			if (rnd() % 16 == 0)	/* some way out of x2APIC */
				lg_lapic_msr_write(&apic, 0x1b, rnd() % 2 ?
						   0xfee00000 : 0xfee00800,
						   at(now), &out);
			ret = lg_lapic_msr_read(&apic, msr, &val, at(now));
			CHECK(ret == 0 || ret == -EINVAL);
			break;
		case 5:
			lg_lapic_deliver(&apic, rnd() % 8, rnd(), rnd() % 2);
			break;
		case 6:
			lg_lapic_ack(&apic);
			lg_lapic_lint(&apic, rnd() % 3);
			break;
		default:
			now += rnd() % 1000000;
			ticks += lg_lapic_timer_ticks(&apic, now);
			CHECK(apic.timer_due_ns > now);
			break;
		}
		if (out.flags & LG_LAPIC_OUT_TIMER)
			rearms++;
		CHECK((apic.irr[0] & 0xffff) == 0 && (apic.isr[0] & 0xffff) == 0);
		CHECK((apic.apic_base & 0xc00) != 0x400);
		CHECK_EQ(apic.icr_low & 0x1000, 0);
		if ((apic.apic_base & 0xc00) == 0xc00)
			CHECK(!lg_lapic_owns_mmio(&apic, 0xfee00000));
		if (tap_test_failing())
			break;
	}
	tap_diag("random traffic: %llu expiries, %llu re-arms, %llu ms",
		 (unsigned long long)ticks, (unsigned long long)rearms,
		 (unsigned long long)(now - start) / 1000000);
	CHECK(ticks <= rearms + (now - start) / LG_APIC_MIN_PERIOD_NS + 1);
}

const struct tap_test lapic_tests[] = {
	{ "lapic: power-on state, BSP in virtual wire", test_reset_state },
	{ "lapic: Linux setup_local_APIC and lapic_setup_esr", test_linux_setup },
	{ "lapic: priority classes, TPR, PPR, ack and EOI order", test_priority },
	{ "lapic: EOI says level or edge for the I/O APIC", test_eoi },
	{ "lapic: illegal vectors 0-15 set ESR, ESR write then read",
	  test_illegal_vectors },
	{ "lapic: wakeup_secondary_cpu_via_init INIT, de-assert, SIPI x2",
	  test_smpboot_xapic },
	{ "lapic: SIPI to a running CPU, INIT to the BSP", test_init_sipi_hostile },
	{ "lapic: flat logical, physical, broadcast and shorthand IPIs",
	  test_flat_ipis },
	{ "lapic: xAPIC cluster model", test_cluster_ipis },
	{ "lapic: x2APIC cluster and physical IPIs to several CPUs",
	  test_x2apic_cluster_ipis },
	{ "lapic: x2APIC read-only, missing and reserved-bit MSRs are #GP",
	  test_x2apic_msr_rules },
	{ "lapic: x2APIC MSRs in xAPIC mode, MMIO in x2APIC mode",
	  test_wrong_access_path },
	{ "lapic: IA32_APIC_BASE legal and illegal transitions", test_apic_base },
	{ "lapic: software disable masks the LVTs", test_software_disable },
	{ "lapic: xAPIC page read-only, reserved, sub-word accesses",
	  test_xapic_registers },
	{ "lapic: invalid ICR combinations are not sent", test_icr_combinations },
	{ "lapic: LINT0 and LINT1 through their LVTs", test_lint },
	{ "lapic: one-shot timer as Linux's clock event", test_timer_oneshot },
	{ "lapic: timer calibration and periodic HZ tick",
	  test_timer_calibration_periodic },
	{ "lapic: periodic count 1 divide 1 interrupts every 200 us",
	  test_timer_min_period },
	{ "lapic: divide and mode changes keep the count", test_timer_divide_change },
	{ "lapic: TSC-deadline timer", test_timer_tsc_deadline },
	{ "lapic: random hostile traffic keeps the invariants",
	  test_random_traffic },
};
const unsigned int lapic_test_count = ARRAY_SIZE(lapic_tests);
