// SPDX-License-Identifier: GPL-2.0
/*
 * Guests against their host: tiny guests (guest.h) that try what the
 * isolation review found a guest could do to the machine under it, and a
 * launcher that shares its /dev/lguest file.  Each group says what the
 * guest tried and what it must get instead.  TAP on stdout.
 *
 *   instructions   RDTSCP, RDPID, RDPMC, INVD and WBINVD: the host's
 *                  TSC_AUX (its CPU number) must not come back, and the
 *                  cache instructions must come to lg.ko
 *   single-step    every #DB goes through lg.ko, so a #DB that faults
 *                  again in its own delivery loops through the host
 *                  instead of inside the CPU (CVE-2015-8104); and an
 *                  instruction lg.ko completes still traps
 *   debug regs     a guest reading DR0 must not find the launcher's
 *                  watchpoint, its own breakpoints must not cost the
 *                  launcher its watchpoint, and its DR6/DR7 follow the
 *                  architecture
 *   ownership      a guest is its creator's: the fd in a child after
 *                  fork() does nothing
 *   triple fault   RUN after a triple fault waits for new registers
 *   PIT            a count of 1 gives at most 5,000 host timer
 *                  interrupts a second, not a million
 *   CR4            the guest cannot switch on what its CPUID hides:
 *                  OSXSAVE would show it another process's YMM
 *                  registers, PKE would let its PKRU kill the launcher
 *   ASID           lg.ko flushes its TLB entries before another
 *                  hypervisor can reuse its ASID (asid-flushed, run
 *                  while test_kvm holds a KVM VM)
 *   bindings       ioeventfds and irqfds per guest are capped
 *   locked memory  guest RAM counts against RLIMIT_MEMLOCK, and a page
 *                  pinned for it does not stay in ZONE_MOVABLE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cpuid.h>
#include <linux/capability.h>

#include "guest.h"
#include "tap.h"

GUEST_BLOB(g_rdtscp);
GUEST_BLOB(g_rdpid);
GUEST_BLOB(g_rdpmc);
GUEST_BLOB(g_cache);
GUEST_BLOB(g_sstep);
GUEST_BLOB(g_dr);
GUEST_BLOB(g_out);
GUEST_BLOB(g_int3);
GUEST_BLOB(g_pitfast);
GUEST_BLOB(g_hltstep);
GUEST_BLOB(g_mmioidt);
GUEST_BLOB(g_cr4pge);
GUEST_BLOB(g_cr4pae);
GUEST_BLOB(g_osxsave);
GUEST_BLOB(g_ymm);
GUEST_BLOB(g_pkru);
GUEST_BLOB(g_vex);
GUEST_BLOB(g_out5);
GUEST_BLOB(g_prefixed);
GUEST_BLOB(g_kgs_set);
GUEST_BLOB(g_kgs_get);

#define OUT_EAX "	mov $0x3f8, %dx\n	out %eax, %dx\n"
#define DB_COUNT	(GUEST_DATA + 28)	/* HANDLER_DB counts here */

asm(".pushsection .rodata\n"
    "g_rdtscp_start:\n"
    "	rdtscp\n"
    "	mov %ecx, %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_rdtscp_end:\n"

    "g_rdpid_start:\n"
    "	rdpid %rax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_rdpid_end:\n"

    "g_rdpmc_start:\n"
    "	xor %ecx, %ecx\n"
    "	rdpmc\n"
    "	mov $'P', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_rdpmc_end:\n"

    "g_cache_start:\n"
    "	wbinvd\n"
    "	invd\n"
    "	mov $'W', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_cache_end:\n"

    /*
     * Eight NOPs and a CPUID with TF set, then clear it: a trap after
     * each of the eight, the CPUID (which lg.ko completes for the guest),
     * the PUSHF, the AND and the POPF that clears it.
     */
    "g_sstep_start:\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "	nop\n	nop\n	nop\n	nop\n	nop\n	nop\n	nop\n	nop\n"
    "	cpuid\n"
    "	pushfq\n"
    "	andq $~0x100, (%rsp)\n"
    "	popfq\n"
    "	mov 0x901c, %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_sstep_end:\n"

    /*
     * HLT with TF and IF set and nothing pending: the single-step #DB for
     * the HLT comes at once, then one for each of PUSHF, AND and POPF.
     */
    "g_hltstep_start:\n"
    "	pushfq\n"
    "	orq $0x300, (%rsp)\n"
    "	popfq\n"
    "	hlt\n"
    "	pushfq\n"
    "	andq $~0x100, (%rsp)\n"
    "	popfq\n"
    "	cli\n"
    "	mov 0x901c, %eax\n" OUT_EAX
    "	hlt\n"
    "g_hltstep_end:\n"

    /* A #GP (non-canonical address) whose IDT the test puts in MMIO. */
    "g_mmioidt_start:\n"
    "	mov $0x8000000000000000, %rax\n"
    "	mov (%rax), %ebx\n"
    "	mov $'Z', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_mmioidt_end:\n"

    /*
     * Report DR0 (low, high), DR1|DR2|DR3 (low, high), DR7 and DR6 as
     * found; then arm a breakpoint of its own and read it back; clear DR6;
     * and last write DR7 with a reserved upper bit, which is #GP.
     */
    "g_dr_start:\n"
    "	mov %dr0, %rax\n"
    "	mov %rax, %rbx\n" OUT_EAX
    "	mov %rbx, %rax\n	shr $32, %rax\n" OUT_EAX
    "	mov %dr1, %rax\n"
    "	mov %dr2, %rcx\n	or %rcx, %rax\n"
    "	mov %dr3, %rcx\n	or %rcx, %rax\n"
    "	mov %rax, %rbx\n" OUT_EAX
    "	mov %rbx, %rax\n	shr $32, %rax\n" OUT_EAX
    "	mov %dr7, %rax\n" OUT_EAX
    "	mov %dr6, %rax\n" OUT_EAX
    "	mov $0x12345678abc, %rax\n	mov %rax, %dr0\n"
    "	mov $0xd0001, %rax\n	mov %rax, %dr7\n"
    "	mov %dr0, %rax\n"
    "	mov %rax, %rbx\n" OUT_EAX
    "	mov %rbx, %rax\n	shr $32, %rax\n" OUT_EAX
    "	mov %dr7, %rax\n" OUT_EAX
    "	xor %eax, %eax\n	mov %rax, %dr7\n"
    "	mov %rax, %dr6\n"
    "	mov %dr6, %rax\n" OUT_EAX
    "	mov $1, %eax\n	shl $32, %rax\n	mov %rax, %dr7\n"
    "	mov $'N', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_dr_end:\n"

    "g_out_start:\n"
    "	mov $'A', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_out_end:\n"

    "g_int3_start:\n"
    "	int3\n"
    "g_int3_end:\n"

    /* Channel 0, mode 2, count 1; then halt for good. */
    "g_pitfast_start:\n"
    "	mov $0x34, %al\n	out %al, $0x43\n"
    "	mov $1, %al\n	out %al, $0x40\n"
    "	xor %al, %al\n	out %al, $0x40\n"
    "	cli\n"
    "	hlt\n"
    "g_pitfast_end:\n"

    /* Set CR4.PGE (the test starts with PAE, OSFXSR, OSXMMEXCPT). */
    "g_cr4pge_start:\n"
    "	mov %cr4, %rax\n"
    "	or $0x80, %rax\n"
    "	mov %rax, %cr4\n"
    "	mov %cr4, %rax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_cr4pge_end:\n"

    /* Leave PAE in long mode: #GP. */
    "g_cr4pae_start:\n"
    "	mov %cr4, %rax\n"
    "	and $~0x20, %rax\n"
    "	mov %rax, %cr4\n"
    "	mov $'P', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_cr4pae_end:\n"

    "g_osxsave_start:\n"
    "	mov %cr4, %rax\n"
    "	or $0x40000, %rax\n"
    "	mov %rax, %r9\n"
    "	mov %r9, %cr4\n"
    "	mov $'S', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_osxsave_end:\n"

    /*
     * Set OSXSAVE, say so, then look at the upper half of YMM0 (which
     * this guest never wrote) until it holds the other process's pattern.
     */
    "g_ymm_start:\n"
    "	mov %cr4, %rax\n"
    "	or $0x40000, %rax\n"
    "	mov %rax, %cr4\n"
    "	mov $'S', %eax\n" OUT_EAX
    "	mov $0x5a5a5a5ac3c3c3c3, %rbx\n"
    "1:	vextractf128 $1, %ymm0, %xmm1\n"
    "	movq %xmm1, %rax\n"
    "	cmp %rbx, %rax\n"
    "	jne 1b\n"
    "	mov $'L', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_ymm_end:\n"

    /* Set PKE and deny every protection key, the launcher's pages too. */
    "g_pkru_start:\n"
    "	mov %cr4, %rax\n"
    "	or $0x400000, %rax\n"
    "	mov %rax, %cr4\n"
    "	xor %ecx, %ecx\n"
    "	xor %edx, %edx\n"
    "	mov $0x55555555, %eax\n"
    "	wrpkru\n"
    "	mov $'K', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_pkru_end:\n"

    /* A VEX instruction with CR4.OSXSAVE clear: #UD. */
    "g_vex_start:\n"
    "	vextractf128 $1, %ymm0, %xmm1\n"
    "	mov $'V', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_vex_end:\n"

    "g_out5_start:\n"
    "	mov $5, %ecx\n"
    "1:	mov $'A', %eax\n" OUT_EAX
    "	loop 1b\n"
    "	cli\n"
    "	hlt\n"
    "g_out5_end:\n"

    /* Intercepted instructions with prefixes the CPU ignores. */
    "g_prefixed_start:\n"
    "	xor %eax, %eax\n"
    "	.byte 0x48, 0x0f, 0xa2\n"		/* rex.w cpuid */
    "	.byte 0x66, 0x0f, 0x09\n"		/* data16 wbinvd */
    "	mov $'C', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_prefixed_end:\n"

    /* KernelGSBase = 0x1234, then a triple fault (the test empties the IDT). */
    "g_kgs_set_start:\n"
    "	mov $0xc0000102, %ecx\n"
    "	mov $0x1234, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	int3\n"
    "g_kgs_set_end:\n"

    "g_kgs_get_start:\n"
    "	mov $0xc0000102, %ecx\n"
    "	rdmsr\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_kgs_get_end:\n"
    ".popsection\n");

static int64_t out_of(struct guest_code code, const char *what)
{
	struct guest g;
	int64_t v;

	if (!guest_new(&g, code))
		return -1;
	v = guest_run_out(&g, what);
	guest_destroy(&g);
	return v;
}

/* ---- instructions ---------------------------------------------------------- */

static void test_instructions(void)
{
	unsigned int a, b, c, d;
	struct lguest_stats st;
	bool has_rdpid = false;
	struct guest g;
	int64_t v;

	v = out_of(GUEST_CODE_OF(g_rdtscp), "rdtscp");
	tap_ok(v == 'U',
	       "RDTSCP raises #UD, as CPUID says the guest has none (got %#llx; the host's TSC_AUX would be its CPU number)",
	       (long long)v);
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		has_rdpid = c & (1U << 22);
	v = out_of(GUEST_CODE_OF(g_rdpid), "rdpid");
	tap_ok(v == (has_rdpid ? 0 : 'U'),
	       "RDPID reads TSC_AUX 0, not the host's (this CPU %s RDPID; got %#llx)",
	       has_rdpid ? "has" : "has no", (long long)v);
	if (!guest_new(&g, GUEST_CODE_OF(g_rdpmc)))
		return;
	v = guest_run_out(&g, "rdpmc");
	tap_ok(v == 'G', "RDPMC raises #GP: the guest has no counters (got %#llx)",
	       (long long)v);
	/* The #GP frame: error code, RIP, CS, RFLAGS from the guest's RSP. */
	if (ioctl(g.fd, LHREQ_GETREGS, &g.regs) == 0) {
		uint32_t flags = guest_read32(&g, g.regs.rsp + 24);

		tap_ok(flags & 0x10000,
		       "... and, a fault, it pushes RF so the RDPMC is not broken into again (RFLAGS %#x)",
		       flags);
	} else {
		tap_ok(false, "GETREGS after the #GP");
	}
	guest_destroy(&g);
	v = out_of(GUEST_CODE_OF(g_prefixed), "prefixed cpuid, wbinvd");
	tap_ok(v == 'C',
	       "CPUID and WBINVD with prefixes the CPU ignores complete, and the guest goes on after them (got %#llx)",
	       (long long)v);
	if (!guest_new(&g, GUEST_CODE_OF(g_cache)))
		return;
	v = guest_run_out(&g, "wbinvd, invd");
	if (!guest_stats(&g, &st))
		memset(&st, 0xff, sizeof(st));
	tap_ok(v == 'W' && st.count[LGUEST_STAT_EXIT_OTHER] == 2,
	       "WBINVD and INVD come to lg.ko (%llu exits) and the guest goes on (%#llx)",
	       (unsigned long long)st.count[LGUEST_STAT_EXIT_OTHER],
	       (long long)v);
	guest_destroy(&g);
}

/* ---- single-step ----------------------------------------------------------- */

static void test_single_step(void)
{
	struct lguest_stats st;
	struct guest g;
	int64_t traps;

	if (!guest_new(&g, GUEST_CODE_OF(g_sstep)))
		return;
	traps = guest_run_out(&g, "single-step");
	tap_ok(traps == 12,
	       "the guest's #DB handler saw a trap after each of 12 instructions run with TF, the CPUID lg.ko completed included (%lld)",
	       (long long)traps);
	if (!guest_stats(&g, &st))
		memset(&st, 0xff, sizeof(st));
	tap_ok(st.count[LGUEST_STAT_EXIT_EXCEPTION] == 11,
	       "the 11 #DBs the CPU raised came to lg.ko first (%llu exception exits), so a #DB that repeats in its own delivery cannot hold the host CPU",
	       (unsigned long long)st.count[LGUEST_STAT_EXIT_EXCEPTION]);
	guest_destroy(&g);
}

static void test_hlt_step(void)
{
	int64_t traps = out_of(GUEST_CODE_OF(g_hltstep), "HLT under TF");

	tap_ok(traps == 4,
	       "a HLT run with TF traps at once instead of sleeping, like the 3 instructions after it (%lld traps)",
	       (long long)traps);
}

/* ---- events through MMIO --------------------------------------------------- */

/*
 * An exception whose delivery reads an IDT in MMIO space: the instruction
 * at RIP (a decodable MOV) never made that access, so it must not be
 * completed as MMIO; the guest is killed, saying so.
 */
static void test_event_mmio(void)
{
	struct lguest_run run;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_mmioidt)))
		return;
	g.regs.idt.base = GUEST_MMIO;
	if (tap_ok(ioctl(g.fd, LHREQ_SETREGS, &g.regs) == 0,
		   "SETREGS with the IDT in MMIO space") &&
	    guest_run_expect(&g, &run, LGUEST_EXIT_KILLED,
			     "#GP through an IDT in MMIO")) {
		tap_diag("kill reason: %s", run.reason);
		tap_ok(strstr(run.reason, "delivering event 0x80000b0d") != NULL,
		       "an event whose delivery touches MMIO kills the guest, naming the event (#GP), not an MMIO read by the MOV at RIP");
	}
	guest_destroy(&g);
}

/* ---- debug registers ------------------------------------------------------- */

static volatile uint32_t watched;

/* Two OUTs, low half first: a 64-bit value, or -1. */
static int64_t out64(struct guest *g, const char *what)
{
	int64_t lo = guest_run_out(g, what), hi = guest_run_out(g, what);

	if (lo < 0 || hi < 0)
		return -1;
	return (int64_t)((uint64_t)hi << 32 | (uint64_t)lo);
}

static void test_debug_regs(void)
{
	int64_t dr0, dr123, dr7, dr6, mine, mine7, cleared6, gp;
	long long before, after;
	struct lguest_stats st;
	struct guest g;
	int wfd;

	wfd = host_watchpoint(&watched);
	if (!tap_ok(wfd >= 0, "the launcher watches a variable with a hardware breakpoint (perf)"))
		tap_diag("perf_event_open: %s", strerror(errno));
	watched++;
	before = wfd >= 0 ? host_watch_count(wfd) : -1;
	if (!guest_new(&g, GUEST_CODE_OF(g_dr)))
		goto out;
	dr0 = out64(&g, "DR0");
	dr123 = out64(&g, "DR1-DR3");
	dr7 = guest_run_out(&g, "DR7");
	dr6 = guest_run_out(&g, "DR6");
	tap_diag("the watched variable is at %p", (void *)&watched);
	tap_ok(dr0 == 0 && dr123 == 0,
	       "the guest reads DR0-DR3 as its own (0), not the launcher's watchpoint (DR0 %#llx, DR1|DR2|DR3 %#llx)",
	       (long long)dr0, (long long)dr123);
	tap_ok(dr7 == 0x400 && dr6 == 0xffff0ff0,
	       "DR7 and DR6 read their reset values (%#llx, %#llx)",
	       (long long)dr7, (long long)dr6);
	mine = out64(&g, "DR0 written");
	mine7 = guest_run_out(&g, "DR7 written");
	tap_ok(mine == 0x12345678abcLL && mine7 == 0xd0401,
	       "the guest's own breakpoint reads back: DR0 %#llx, DR7 %#llx (bit 10 reads as 1)",
	       (long long)mine, (long long)mine7);
	cleared6 = guest_run_out(&g, "DR6 cleared");
	tap_ok(cleared6 == 0xffff0ff0,
	       "writing 0 to DR6 leaves its always-one bits (%#llx)",
	       (long long)cleared6);
	gp = guest_run_out(&g, "DR7 bit 32");
	tap_ok(gp == 'G', "a DR7 write with bit 32 set raises #GP (got %#llx)",
	       (long long)gp);
	if (!guest_stats(&g, &st))
		memset(&st, 0xff, sizeof(st));
	tap_ok(st.count[LGUEST_STAT_EXIT_DR] == 14,
	       "each of the 14 debug register moves came to lg.ko (%llu)",
	       (unsigned long long)st.count[LGUEST_STAT_EXIT_DR]);
	guest_destroy(&g);
	if (wfd >= 0) {
		watched++;
		watched++;
		after = host_watch_count(wfd);
		tap_ok(after == before + 2,
		       "after a guest armed a breakpoint of its own, the launcher's watchpoint still fires (%lld hits, want %lld)",
		       after, before + 2);
	}
out:
	if (wfd >= 0)
		close(wfd);
}

/* ---- ownership ------------------------------------------------------------- */

/*
 * A child after fork() holds the same /dev/lguest file, and its own copy
 * of the guest's RAM.  Every ioctl must fail with EIO there: bit n of the
 * child's exit status is set if check n did not.
 */
static void test_owner(void)
{
	struct lguest_regs regs;
	struct lguest_run run;
	struct lguest_irq irq = { .line = 4, .level = 1 };
	struct guest g;
	int status;
	int64_t v;
	pid_t pid;

	if (!guest_new(&g, GUEST_CODE_OF(g_out)))
		return;
	pid = fork();
	if (pid == 0) {
		int bad = 0;

		memset(&run, 0, sizeof(run));
		if (ioctl(g.fd, LHREQ_RUN, &run) != -1 || errno != EIO)
			bad |= 1;
		if (ioctl(g.fd, LHREQ_GETREGS, &regs) != -1 || errno != EIO)
			bad |= 2;
		if (ioctl(g.fd, LHREQ_SETREGS, &g.regs) != -1 || errno != EIO)
			bad |= 4;
		if (ioctl(g.fd, LHREQ_IRQ, &irq) != -1 || errno != EIO)
			bad |= 8;
		_exit(bad);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		tap_ok(false, "fork a child holding the guest's fd");
		guest_destroy(&g);
		return;
	}
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "in a child after fork(), RUN, GETREGS, SETREGS and IRQ on the guest's fd fail with EIO (failed checks: %#x)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 0xff);
	v = guest_run_out(&g, "the creator runs it");
	tap_ok(v == 'A', "the creator still runs its guest (%#llx)", (long long)v);
	guest_destroy(&g);
}

/* ---- triple fault ---------------------------------------------------------- */

static void test_after_reset(void)
{
	struct lguest_run run;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_int3)))
		return;
	g.regs.idt.limit = 0;
	if (!tap_ok(ioctl(g.fd, LHREQ_SETREGS, &g.regs) == 0,
		    "SETREGS with an empty IDT"))
		goto out;
	if (!guest_run_expect(&g, &run, LGUEST_EXIT_RESET, "triple fault"))
		goto out;
	errno = 0;
	tap_ok(ioctl(g.fd, LHREQ_RUN, &run) == -1 && errno == EINVAL,
	       "RUN after a triple fault fails with EINVAL: the CPU state is undefined (%s)",
	       strerror(errno));
	if (tap_ok(ioctl(g.fd, LHREQ_SETREGS, &g.regs) == 0,
		   "SETREGS gives it new state"))
		tap_ok(guest_run(&g, &run) == 0 &&
		       run.exit_reason == LGUEST_EXIT_RESET,
		       "and then it runs again (into the same triple fault)");
out:
	guest_destroy(&g);
}

/*
 * After a triple fault, SETREGS starts the CPU from reset: what the guest
 * set before and SETREGS does not name (here KernelGSBase) is gone.
 */
static void test_reset_state(void)
{
	struct guest_code get = GUEST_CODE_OF(g_kgs_get);
	struct lguest_run run;
	struct guest g;
	int64_t v;

	if (!guest_new(&g, GUEST_CODE_OF(g_kgs_set)))
		return;
	g.regs.idt.limit = 0;
	if (ioctl(g.fd, LHREQ_SETREGS, &g.regs) != 0 ||
	    !guest_run_expect(&g, &run, LGUEST_EXIT_RESET,
			      "set KernelGSBase, then triple fault"))
		goto out;
	memcpy(g.mem + GUEST_CODE, get.start, get.end - get.start);
	g.regs.idt.limit = 256 * 16 - 1;
	if (!tap_ok(ioctl(g.fd, LHREQ_SETREGS, &g.regs) == 0,
		    "SETREGS after the triple fault"))
		goto out;
	v = guest_run_out(&g, "read KernelGSBase");
	tap_ok(v == 0,
	       "after the triple fault and SETREGS, KernelGSBase is 0 as after reset, not the guest's 0x1234 (%#llx)",
	       (long long)v);
out:
	guest_destroy(&g);
}

/*
 * A state the CPU refuses (a reserved bit in CR3): the guest
 * dies saying VMRUN failed, and neither the reason nor GETREGS shows the
 * host's addresses, which QEMU stores in the VMCB when it refuses.
 */
static void test_refused_state(void)
{
	struct lguest_run run;
	struct lguest_regs r;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_out)))
		return;
	g.regs.cr3 |= 1ULL << 63;
	if (!tap_ok(ioctl(g.fd, LHREQ_SETREGS, &g.regs) == 0,
		    "SETREGS: CR3 with bit 63 set"))
		goto out;
	if (!guest_run_expect(&g, &run, LGUEST_EXIT_KILLED, "a state the CPU refuses"))
		goto out;
	tap_ok(strstr(run.reason, "VMRUN failed") && !strstr(run.reason, "0xffff"),
	       "the kill reason says VMRUN failed and names no host address (%s)",
	       run.reason);
	if (tap_ok(ioctl(g.fd, LHREQ_GETREGS, &r) == 0, "GETREGS after it"))
		tap_ok(r.rip < 0xffff800000000000ULL &&
		       r.rsp < 0xffff800000000000ULL &&
		       r.gdt.base < 0xffff800000000000ULL,
		       "GETREGS shows no host kernel address (rip %#llx rsp %#llx gdt %#llx)",
		       (unsigned long long)r.rip, (unsigned long long)r.rsp,
		       (unsigned long long)r.gdt.base);
out:
	guest_destroy(&g);
}

/* ---- the PIT --------------------------------------------------------------- */

/* Local timer interrupts so far, all CPUs together (/proc/interrupts). */
static long long timer_irqs(void)
{
	char line[4096], *p, *end;
	long long sum = -1;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "LOC:", 4))
			continue;
		sum = 0;
		for (p += 4;; p = end) {
			long long n = strtoll(p, &end, 10);

			if (end == p)
				break;
			sum += n;
		}
	}
	fclose(f);
	return sum;
}

static void test_pit_fastest(void)
{
	struct lguest_stats s0, s1;
	long long loc0, loc1, idle;
	struct lguest_run run;
	unsigned long long n;
	struct guest g;
	double t0, t;

	/* The host's own timer interrupts in a second, for comparison. */
	loc0 = timer_irqs();
	usleep(1000 * 1000);
	idle = timer_irqs() - loc0;

	if (!guest_new(&g, GUEST_CODE_OF(g_pitfast)))
		return;
	if (!guest_run_expect(&g, &run, LGUEST_EXIT_HALT,
			      "PIT count 1, then halt"))
		goto out;
	/* The guest is done; its timer is not.  We sleep outside RUN. */
	t0 = guest_now();
	loc0 = timer_irqs();
	if (!guest_stats(&g, &s0))
		goto out;
	usleep(1000 * 1000);
	if (!guest_stats(&g, &s1))
		goto out;
	loc1 = timer_irqs();
	t = guest_now() - t0;
	n = s1.count[LGUEST_STAT_PIT_TIMER] - s0.count[LGUEST_STAT_PIT_TIMER];
	tap_diag("PIT timer: %llu expiries in %.3f s with the launcher asleep; host timer interrupts %lld (%lld in a second without the guest)",
		 n, t, loc1 - loc0, idle);
	tap_ok(n > 0 && n <= 5000 * t + 2,
	       "a PIT count of 1 fires lg.ko's timer at most 5,000 times a second, not 1.2 million (%.0f/s)",
	       n / t);
	tap_ok(loc0 >= 0 && loc1 - loc0 - idle <= 5000 * t + 500,
	       "... and the host takes at most 5,000 more timer interrupts a second for it (%lld more)",
	       loc1 - loc0 - idle);
out:
	guest_destroy(&g);
}

/* ---- CR4: what the guest's CPUID hides stays off ---------------------------- */

static void test_cr4(void)
{
	struct lguest_stats st;
	struct guest g;
	int64_t v;

	if (!guest_new(&g, GUEST_CODE_OF(g_cr4pge)))
		return;
	v = guest_run_out(&g, "set CR4.PGE");
	if (!guest_stats(&g, &st))
		memset(&st, 0xff, sizeof(st));
	tap_ok(v == 0x6a0 && st.count[LGUEST_STAT_EXIT_CR4] == 1,
	       "an ordinary CR4 write (PGE) goes through lg.ko and takes effect (CR4 %#llx, %llu CR4 exits)",
	       (long long)v, (unsigned long long)st.count[LGUEST_STAT_EXIT_CR4]);
	guest_destroy(&g);
	v = out_of(GUEST_CODE_OF(g_cr4pae), "clear CR4.PAE in long mode");
	tap_ok(v == 'G', "clearing CR4.PAE in long mode is #GP (got %#llx)",
	       (long long)v);
	v = out_of(GUEST_CODE_OF(g_osxsave), "set CR4.OSXSAVE");
	tap_ok(v == 'G',
	       "setting CR4.OSXSAVE is #GP: the guest's CPUID has no XSAVE (got %#llx; 'S' if it was set)",
	       (long long)v);
	v = out_of(GUEST_CODE_OF(g_vex), "a VEX instruction");
	tap_ok(v == 'U', "so AVX instructions are #UD in the guest (got %#llx)",
	       (long long)v);

	if (!guest_new(&g, GUEST_CODE_OF(g_out)))
		return;
	g.regs.cr4 |= 0x40000;
	errno = 0;
	tap_ok(ioctl(g.fd, LHREQ_SETREGS, &g.regs) == -1 && errno == EINVAL,
	       "SETREGS with CR4.OSXSAVE fails with EINVAL (%s)",
	       strerror(errno));
	guest_destroy(&g);
}

/* The host CPU runs AVX for user space: AVX in CPUID, YMM on in XCR0. */
static bool host_has_avx(void)
{
	unsigned int a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1U << 28)) ||
	    !(c & (1U << 27)))
		return false;
	asm volatile("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
	return (lo & 6) == 6;
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Another process on the guest's CPU keeps a pattern in the upper halves
 * of its YMM registers.  The guest tries to switch AVX on and look for it:
 * on lg.ko before the CR4 intercept it found it within a second.
 */
static void test_ymm(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct lguest_run run = { 0 };
	const char *seen = "nothing";
	struct guest g;
	pid_t spinner;
	int status;
	double t0;

	if (!host_has_avx()) {
		tap_skip("the host CPU has no AVX", "another process's YMM registers");
		return;
	}
	pin_to_cpu0();
	spinner = fork();
	if (spinner == 0) {
		static const unsigned long long pattern[4] = {
			0, 0, 0x5a5a5a5ac3c3c3c3ULL, 0x5a5a5a5ac3c3c3c3ULL,
		};

		for (;;)
			asm volatile("vmovdqu %0, %%ymm0\n\t"
				     "vmovdqu %0, %%ymm1\n\t"
				     "pause" : : "m" (pattern));
	}
	if (spinner < 0 || !guest_new(&g, GUEST_CODE_OF(g_ymm))) {
		tap_ok(false, "start a process that fills YMM, and a guest");
		goto out;
	}
	sigaction(SIGALRM, &sa, NULL);
	alarm(3);
	t0 = guest_now();
	while (guest_now() - t0 < 2.5) {
		if (ioctl(g.fd, LHREQ_RUN, &run) != 0) {
			if (errno != EINTR)
				seen = "a RUN error";
			break;
		}
		if (run.exit_reason != LGUEST_EXIT_IO) {
			seen = guest_exit_name(run.exit_reason);
			break;
		}
		if (run.io.data == 'G') {
			seen = "#GP";
			break;
		}
		if (run.io.data == 'L') {
			seen = "the other process's YMM pattern";
			break;
		}
		seen = "CR4.OSXSAVE set, then nothing";
	}
	alarm(0);
	tap_ok(!strcmp(seen, "#GP"),
	       "a guest looking for another process's YMM registers gets #GP for CR4.OSXSAVE (it got %s)",
	       seen);
	guest_destroy(&g);
out:
	if (spinner > 0) {
		kill(spinner, SIGKILL);
		waitpid(spinner, &status, 0);
	}
}

/*
 * The guest writes a PKRU that denies every key.  Had it reached the
 * launcher (the kernel does not reload PKRU on the way to user mode), the
 * child's next touch of its own memory would be SIGSEGV.
 */
static void test_pkru(void)
{
	unsigned int a, b, c, d;
	struct guest g;
	int status;
	pid_t pid;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1U << 4))) {
		tap_skip("the host has no PKU in use (run the suite with -cpu EPYC,+pku)",
			 "the guest's PKRU and the launcher");
		return;
	}
	pid = fork();
	if (pid == 0) {
		int64_t v;

		if (!guest_new(&g, GUEST_CODE_OF(g_pkru)))
			_exit(100);
		v = guest_run_out(&g, "set CR4.PKE and write PKRU");
		guest_destroy(&g);
		_exit(v == 'G' ? 0 : v == 'K' ? 101 : 102);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		tap_ok(false, "fork a launcher");
		return;
	}
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "a guest's CR4.PKE is #GP and the launcher lives on (launcher %s %d; 101: PKE was set but the launcher lived)",
	       WIFSIGNALED(status) ? "killed by signal" : "exit status",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* ---- ASID ------------------------------------------------------------------- */

/*
 * Five OUTs, each back to the launcher: with another hypervisor's SVM on
 * (EFER.SVME), each RUN ends with a flush of our ASID (H:424); without,
 * none.  The emulated CPU does not tag its TLB with ASIDs, so the flush
 * itself cannot be seen here; the count says the path ran.
 */
static int asid_flushes(unsigned long long *runs)
{
	struct lguest_stats st;
	struct guest g;
	int i, n = -1;

	if (!guest_new(&g, GUEST_CODE_OF(g_out5)))
		return -1;
	for (i = 0; i < 5; i++)
		if (guest_run_out(&g, "OUT to the launcher") != 'A')
			goto out;
	if (guest_stats(&g, &st)) {
		n = st.count[LGUEST_STAT_ASID_FLUSH];
		*runs = st.count[LGUEST_STAT_RUNS];
	}
out:
	guest_destroy(&g);
	return n;
}

static void test_asid(void)
{
	unsigned long long runs = 0;
	int n;

	if (access("/sys/module/kvm_amd", F_OK) == 0) {
		tap_skip("kvm_amd is loaded", "no ASID flush without another hypervisor");
		return;
	}
	n = asid_flushes(&runs);
	tap_ok(n == 0,
	       "with no other hypervisor's SVM on, leaving the CPU costs no ASID flush (%d in %llu runs)",
	       n, runs);
}

static int asid_flushed(void)
{
	unsigned long long runs = 0;
	int n = asid_flushes(&runs);

	printf("# asid-flushed: %d ASID flushes in %llu runs\n", n, runs);
	return n >= 5 && (unsigned long long)n >= runs ? 0 : 1;
}

/* ---- bindings -------------------------------------------------------------- */

/*
 * Every binding is kernel memory and an eventfd reference, and every
 * guest MMIO write walks the ioeventfds: LGUEST_MAX_IOEVENTFDS and
 * LGUEST_MAX_IRQFDS hold, and a freed slot can be used again.
 */
static void test_bind_caps(void)
{
	struct lguest_ioeventfd io = { .len = 4 };
	struct lguest_irqfd irq = { 0 };
	unsigned int i, nio = 0, nirq = 0;
	struct guest g;
	int efd;

	if (!guest_new(&g, GUEST_CODE_OF(g_out)))
		return;
	efd = eventfd(0, EFD_CLOEXEC);
	if (!tap_ok(efd >= 0, "eventfd"))
		goto out;
	io.fd = efd;
	irq.fd = efd;
	for (i = 0; i < LGUEST_MAX_IOEVENTFDS; i++) {
		io.addr = GUEST_MMIO + 4 * i;
		if (ioctl(g.fd, LHREQ_IOEVENTFD, &io) == 0)
			nio++;
	}
	for (i = 0; i < LGUEST_MAX_IRQFDS; i++) {
		irq.line = i % 16;
		if (ioctl(g.fd, LHREQ_IRQFD, &irq) == 0)
			nirq++;
	}
	tap_ok(nio == LGUEST_MAX_IOEVENTFDS && nirq == LGUEST_MAX_IRQFDS,
	       "a guest may have %u ioeventfds and %u irqfds (got %u and %u)",
	       LGUEST_MAX_IOEVENTFDS, LGUEST_MAX_IRQFDS, nio, nirq);
	io.addr = GUEST_MMIO + 4 * i;
	TAP_ERRNO(ioctl(g.fd, LHREQ_IOEVENTFD, &io), ENOSPC,
		  "one ioeventfd more fails with ENOSPC");
	TAP_ERRNO(ioctl(g.fd, LHREQ_IRQFD, &irq), ENOSPC,
		  "one irqfd more fails with ENOSPC");
	io.addr = GUEST_MMIO;
	io.flags = LGUEST_IOEVENTFD_DEASSIGN;
	irq.line = 0;
	irq.flags = LGUEST_IRQFD_DEASSIGN;
	if (ioctl(g.fd, LHREQ_IOEVENTFD, &io) == 0 &&
	    ioctl(g.fd, LHREQ_IRQFD, &irq) == 0) {
		io.flags = 0;
		irq.flags = 0;
		TAP_OK_CALL(ioctl(g.fd, LHREQ_IOEVENTFD, &io) == 0 &&
			    ioctl(g.fd, LHREQ_IRQFD, &irq) == 0 ? 0 : -1,
			    "after removing bindings there is room again");
	} else {
		tap_ok(false, "removing bindings: %s", strerror(errno));
	}
	tap_ok(guest_run_out(&g, "the guest with all its bindings") == 'A',
	       "the guest runs with all its bindings");
	close(efd);
out:
	guest_destroy(&g);
}

/* ---- locked memory --------------------------------------------------------- */

/* This process's VmLck in KiB, or -1. */
static long vm_locked_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static bool set_memlock(unsigned long bytes)
{
	struct rlimit lim = { .rlim_cur = bytes, .rlim_max = bytes };

	return setrlimit(RLIMIT_MEMLOCK, &lim) == 0;
}

/* Give up CAP_IPC_LOCK, which goes past RLIMIT_MEMLOCK (this process only). */
static bool drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	data[0].effective &= ~(1U << CAP_IPC_LOCK);
	data[0].permitted &= ~(1U << CAP_IPC_LOCK);
	data[0].inheritable &= ~(1U << CAP_IPC_LOCK);
	return syscall(SYS_capset, &hdr, data) == 0;
}

/*
 * lg.ko pins guest RAM for the guest's life, so it is locked memory:
 * charged to the creator's VmLck at INITIALIZE and refused (ENOMEM) over
 * RLIMIT_MEMLOCK, unless the creator has CAP_IPC_LOCK.  The group runs in
 * its own process (tap_group), so the limit and the dropped capability
 * stay here.
 */
static void test_memlock(void)
{
	long base, with, after;
	struct guest g, g2;
	int err;

	if (!tap_ok(set_memlock(1 << 20), "RLIMIT_MEMLOCK of 1 MiB"))
		return;
	base = vm_locked_kib();
	if (guest_new(&g, GUEST_CODE_OF(g_out))) {
		with = vm_locked_kib();
		tap_ok(with - base == (long)(GUEST_MEM >> 10),
		       "with CAP_IPC_LOCK a %lu MiB guest goes past the limit, and is counted in VmLck (%ld -> %ld kB)",
		       GUEST_MEM >> 20, base, with);
		guest_destroy(&g);
		after = vm_locked_kib();
		tap_ok(after == base, "closing it gives the VmLck back (%ld kB)",
		       after);
	}

	if (!tap_ok(drop_ipc_lock(), "drop CAP_IPC_LOCK"))
		return;
	errno = 0;
	err = guest_create(&g, GUEST_CODE_OF(g_out)) ? errno : 0;
	tap_ok(err == ENOMEM,
	       "without it, a %lu MiB guest over a 1 MiB limit: INITIALIZE fails with ENOMEM (%s)",
	       GUEST_MEM >> 20, err ? strerror(err) : "it succeeded");
	if (!err)
		guest_destroy(&g);

	if (!tap_ok(set_memlock(GUEST_MEM + GUEST_MEM / 2),
		    "RLIMIT_MEMLOCK of 1.5 guests"))
		return;
	if (!guest_new(&g, GUEST_CODE_OF(g_out)))
		return;
	tap_ok(guest_run_out(&g, "a guest under the limit") == 'A',
	       "under the limit the guest is made and runs");
	errno = 0;
	err = guest_create(&g2, GUEST_CODE_OF(g_out)) ? errno : 0;
	tap_ok(err == ENOMEM,
	       "a second guest would go over the limit with the first: ENOMEM (%s)",
	       err ? strerror(err) : "it succeeded");
	if (!err)
		guest_destroy(&g2);
	guest_destroy(&g);
	if (tap_ok(guest_new(&g2, GUEST_CODE_OF(g_out)),
		   "once the first is closed, the second fits"))
		guest_destroy(&g2);
}

/* ---- long-term pins -------------------------------------------------------- */

#define MEMORY_SYSFS "/sys/devices/system/memory"

static bool sysfs_write(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return fclose(f) == 0 && ok;
}

static bool sysfs_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	return ok;
}

/* The physical frame behind addr in this process (root only), or 0. */
static uint64_t pfn_of(const void *addr)
{
	uint64_t entry = 0;
	FILE *f = fopen("/proc/self/pagemap", "r");

	if (!f)
		return 0;
	if (fseek(f, (long)((uintptr_t)addr / 4096 * 8), SEEK_SET) ||
	    fread(&entry, sizeof(entry), 1, f) != 1)
		entry = 0;
	fclose(f);
	return (entry >> 63) ? entry & ((1ULL << 55) - 1) : 0;
}

/*
 * Make a memory block ZONE_MOVABLE: the highest one that goes offline,
 * onlined movable.  Its number, or -1 (and why) if this kernel or VM
 * cannot.
 */
static long movable_block(const char **why)
{
	char path[128], buf[128];
	long n, top = -1;
	int err = 0;

	for (n = 0; n < 4096; n++) {
		snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%ld/state", n);
		if (sysfs_read(path, buf, sizeof(buf)) &&
		    !strncmp(buf, "online", 6))
			top = n;
	}
	*why = "no memory blocks in sysfs";
	for (n = top; n > 0 && n > top - 4; n--) {
		snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%ld/state", n);
		if (!sysfs_write(path, "offline")) {
			err = errno;
			*why = "no memory block near the top goes offline";
			continue;
		}
		if (sysfs_write(path, "online_movable"))
			return n;
		err = errno;
		sysfs_write(path, "online");
		*why = "a memory block cannot be onlined movable";
	}
	if (err)
		tap_diag("memory blocks up to %ld: %s", top, strerror(err));
	return -1;
}

/*
 * A pin that lasts as long as the guest must not hold a page in
 * ZONE_MOVABLE, which the kernel promises it can empty (memory offline,
 * huge page allocation): FOLL_LONGTERM moves the page out first.  The
 * guest's code page is faulted in by the test, from a movable block,
 * then the guest touches it.
 */
static void test_longterm_pin(void)
{
	unsigned long long block_bytes = 0;
	uint64_t before, after, per_block;
	const char *why;
	char path[128], buf[64];
	struct guest g;
	long block;

	if (sysfs_read(MEMORY_SYSFS "/block_size_bytes", buf, sizeof(buf)))
		block_bytes = strtoull(buf, NULL, 16);
	if (!block_bytes) {
		tap_skip("no memory hotplug in sysfs", "a pinned guest page leaves ZONE_MOVABLE");
		return;
	}
	per_block = block_bytes / 4096;
	block = movable_block(&why);
	if (block < 0) {
		tap_skip(why, "a pinned guest page leaves ZONE_MOVABLE");
		return;
	}
	if (!guest_new(&g, GUEST_CODE_OF(g_out)))
		goto restore;
	before = pfn_of(g.mem + GUEST_CODE);
	if (!before || before / per_block != (uint64_t)block) {
		tap_skip("the allocator did not put the page in the movable block",
			 "a pinned guest page leaves ZONE_MOVABLE (pfn %#llx)",
			 (unsigned long long)before);
		guest_destroy(&g);
		goto restore;
	}
	tap_ok(guest_run_out(&g, "touch the code page") == 'A',
	       "the guest runs from a page in ZONE_MOVABLE");
	after = pfn_of(g.mem + GUEST_CODE);
	tap_ok(after && after / per_block != (uint64_t)block,
	       "pinning it for the guest moved it out of ZONE_MOVABLE first (pfn %#llx -> %#llx, movable block %ld)",
	       (unsigned long long)before, (unsigned long long)after, block);
	guest_destroy(&g);
restore:
	snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%ld/state", block);
	if (!sysfs_write(path, "offline") || !sysfs_write(path, "online"))
		tap_diag("memory block %ld stays as it is: %s", block,
			 strerror(errno));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "asid-flushed"))
		return asid_flushed();
	tap_init();
	tap_group("instructions that read or touch the host", test_instructions, 60);
	tap_group("single-step goes through lg.ko", test_single_step, 60);
	tap_group("single-step over HLT", test_hlt_step, 20);
	tap_group("an event delivered through MMIO", test_event_mmio, 20);
	tap_group("debug registers", test_debug_regs, 60);
	tap_group("a guest belongs to its creator", test_owner, 60);
	tap_group("RUN after a triple fault", test_after_reset, 60);
	tap_group("SETREGS after a triple fault starts from reset", test_reset_state, 60);
	tap_group("a state the CPU refuses", test_refused_state, 60);
	tap_group("the PIT at its fastest", test_pit_fastest, 60);
	tap_group("CR4 holds to the guest's CPUID", test_cr4, 60);
	tap_group("another process's YMM registers", test_ymm, 30);
	tap_group("the guest's PKRU and the launcher", test_pkru, 30);
	tap_group("ASID flush when alone", test_asid, 30);
	tap_group("bindings per guest are capped", test_bind_caps, 60);
	tap_group("guest RAM is locked memory", test_memlock, 60);
	tap_group("guest RAM is pinned long-term", test_longterm_pin, 60);
	return tap_finish();
}
