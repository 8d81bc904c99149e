// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/lguest from a test launcher's point of view: tiny guests that do
 * port I/O, MMIO, CPUID, MSRs, HLT, triple faults, interrupts and virtio
 * interrupt status reads, and the ABI's error cases.  TAP on stdout.
 *
 *   test_lguest          every group
 *   test_lguest quick    one guest doing port I/O (for the kvm_amd checks)
 *   test_lguest irq-once N
 *                        "one delivery per interrupt", N times (a loop to
 *                        hunt for a lost interrupt)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>

#include "guest.h"
#include "tap.h"

/* ---- the guests ---------------------------------------------------------- */

GUEST_BLOB(g_out);
GUEST_BLOB(g_in);
GUEST_BLOB(g_mmio);
GUEST_BLOB(g_cpuid);
GUEST_BLOB(g_msr);
GUEST_BLOB(g_efer);
GUEST_BLOB(g_halt);
GUEST_BLOB(g_int3);
GUEST_BLOB(g_pit);
GUEST_BLOB(g_irq5);
GUEST_BLOB(g_irq3);
GUEST_BLOB(g_spin);
GUEST_BLOB(g_idle);
GUEST_BLOB(g_touch);
GUEST_BLOB(g_badmmio);
GUEST_BLOB(g_badcr3);
GUEST_BLOB(g_ioeventfd);
GUEST_BLOB(g_isr);

#define PIC_INIT(mask) \
	"	mov $0x11, %al\n	out %al, $0x20\n" \
	"	mov $0x20, %al\n	out %al, $0x21\n" \
	"	mov $0x04, %al\n	out %al, $0x21\n" \
	"	mov $0x01, %al\n	out %al, $0x21\n" \
	"	mov $0x11, %al\n	out %al, $0xa0\n" \
	"	mov $0x28, %al\n	out %al, $0xa1\n" \
	"	mov $0x02, %al\n	out %al, $0xa1\n" \
	"	mov $0x01, %al\n	out %al, $0xa1\n" \
	"	mov $0xff, %al\n	out %al, $0xa1\n" \
	"	mov $" #mask ", %al\n	out %al, $0x21\n"

#define OUT_EAX "	mov $0x3f8, %dx\n	out %eax, %dx\n"

/*
 * "My PIC is programmed": set by guests that wait for interrupts from
 * another thread, which must not raise a line before then.  ICW1 clears
 * the PIC's requests, as on a real 8259, so a pulse that comes while the
 * guest is still initialising it is rightly lost.
 */
#define GUEST_READY	(GUEST_DATA + 24)
#define SAY_READY	"	movl $1, 0x9018\n"

asm(".pushsection .rodata\n"
    "g_out_start:\n"
    "	mov $0x3f8, %dx\n"
    "	mov $'A', %al\n"
    "	out %al, %dx\n"
    "	cli\n"
    "	hlt\n"
    "g_out_end:\n"

    "g_in_start:\n"
    "	mov $0x11223344, %eax\n"
    "	mov $0x3f9, %dx\n"
    "	in %dx, %al\n"
    OUT_EAX
    "	mov $0x500, %dx\n"
    "	in %dx, %eax\n"
    OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_in_end:\n"

    "g_mmio_start:\n"
    "	mov $0xfeb00000, %ebx\n"
    "	movl $0xdeadbeef, (%rbx)\n"
    "	mov $0x1122334455667788, %rax\n"
    "	mov %rax, 8(%rbx)\n"
    "	mov 0x10(%rbx), %ecx\n"
    "	mov %ecx, %eax\n"
    OUT_EAX
    "	mov 0x18(%rbx), %r9\n"
    "	mov %r9, %rax\n"
    OUT_EAX
    "	shr $32, %rax\n"
    OUT_EAX
    "	movzbl 0x20(%rbx), %eax\n"
    OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_mmio_end:\n"

    "g_cpuid_start:\n"
    "	mov $1, %eax\n	cpuid\n	mov %ecx, %eax\n" OUT_EAX
    "	mov $1, %eax\n	cpuid\n	mov %edx, %eax\n" OUT_EAX
    "	mov $1, %eax\n	cpuid\n" OUT_EAX
    "	mov $0x80000001, %eax\n	cpuid\n	mov %ecx, %eax\n" OUT_EAX
    "	mov $0x40000000, %eax\n	cpuid\n	mov %edx, %esi\n"
    "	mov %ebx, %eax\n" OUT_EAX
    "	mov %ecx, %eax\n" OUT_EAX
    "	mov %esi, %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_cpuid_end:\n"

    "g_msr_start:\n"
    "	mov $0xc0000080, %ecx\n	rdmsr\n" OUT_EAX
    "	mov $0x277, %ecx\n	rdmsr\n" OUT_EAX
    "	mov $0xc0000102, %ecx\n	mov $0x12345678, %eax\n	xor %edx, %edx\n"
    "	wrmsr\n	xor %eax, %eax\n	rdmsr\n" OUT_EAX
    /* TSC_ADJUST: 0, then 2^40 written moves the TSC by as much. */
    "	mov $0x3b, %ecx\n	rdmsr\n" OUT_EAX
    "	rdtsc\n	mov %edx, %r8d\n"
    "	mov $0x3b, %ecx\n	xor %eax, %eax\n	mov $0x100, %edx\n	wrmsr\n"
    "	rdtsc\n	mov %edx, %eax\n	sub %r8d, %eax\n" OUT_EAX
    "	mov $0x3b, %ecx\n	rdmsr\n	mov %edx, %eax\n" OUT_EAX
    "	mov $0xc0010015, %ecx\n	rdmsr\n" OUT_EAX
    "	mov $7, %eax\n	xor %ecx, %ecx\n	cpuid\n	mov %ebx, %eax\n" OUT_EAX
    "	mov $0x4b564d00, %ecx\n	rdmsr\n"
    "	mov $'N', %al\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_msr_end:\n"

    /*
     * EFER.LMA is read-only: a write with it clear leaves it set.  LME
     * may not change while paging is on: that write is #GP ('G').
     */
    "g_efer_start:\n"
    "	mov $0xc0000080, %ecx\n	rdmsr\n	and $~0x400, %eax\n	wrmsr\n"
    "	rdmsr\n" OUT_EAX
    "	and $~0x100, %eax\n	wrmsr\n"
    "	mov $'N', %al\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_efer_end:\n"

    "g_halt_start:\n"
    "	cli\n"
    "	hlt\n"
    "g_halt_end:\n"

    "g_int3_start:\n"
    "	int3\n"
    "	cli\n"
    "	hlt\n"
    "g_int3_end:\n"

    "g_pit_start:\n"
    PIC_INIT(0xfe)
    "	mov $0x34, %al\n	out %al, $0x43\n"
    "	mov $0x9c, %al\n	out %al, $0x40\n"
    "	mov $0x2e, %al\n	out %al, $0x40\n"
    "	sti\n"
    "1:	hlt\n"
    "	cmpl $10, 0x9000\n"
    "	jb 1b\n"
    "	cli\n"
    "	mov 0x9000, %eax\n" OUT_EAX
    "	hlt\n"
    "g_pit_end:\n"

    "g_irq5_start:\n"
    PIC_INIT(0xdf)
    SAY_READY
    "	sti\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "g_irq5_end:\n"

    /*
     * Take IRQ 3 (HANDLER_IRQ3_SLOW) until GUEST_DATA + 4 reaches the
     * count at GUEST_DATA + 20, then report how many deliveries found the
     * handler already running.  CLI, look, STI;HLT: no interrupt can slip
     * in between the look and the halt.
     */
    "g_irq3_start:\n"
    PIC_INIT(0xf7)
    SAY_READY
    "1:	cli\n"
    "	mov 0x9014, %eax\n"
    "	cmp %eax, 0x9004\n"
    "	jae 2f\n"
    "	sti\n"
    "	hlt\n"
    "	jmp 1b\n"
    "2:	mov 0x900c, %eax\n" OUT_EAX
    "	hlt\n"
    "g_irq3_end:\n"

    "g_spin_start:\n"
    "1:	cmpl $0, 0x9000\n"
    "	je 1b\n"
    "	mov $'S', %al\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_spin_end:\n"

    "g_idle_start:\n"
    "	sti\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "g_idle_end:\n"

    "g_touch_start:\n"
    "	mov $0x100000, %edi\n"
    "1:	movb $1, (%rdi)\n"
    "	add $0x1000, %rdi\n"
    "	cmp $0x400000, %rdi\n"
    "	jb 1b\n"
    "	mov $'T', %al\n" OUT_EAX
    "2:	jmp 2b\n"
    "g_touch_end:\n"

    "g_badmmio_start:\n"
    "	mov $0xfeb00000, %ebx\n"
    "	add (%rbx), %eax\n"
    "	cli\n"
    "	hlt\n"
    "g_badmmio_end:\n"

    /* Page tables at 1 GiB, far outside the 4 MiB of RAM: the next
     * instruction fetch makes the CPU walk them. */
    "g_badcr3_start:\n"
    "	mov $0x40000000, %eax\n"
    "	mov %rax, %cr3\n"
    "	mov 0x9000, %eax\n"
    "	cli\n"
    "	hlt\n"
    "g_badcr3_end:\n"

    "g_ioeventfd_start:\n"
    "	mov $0xfeb00000, %ebx\n"
    "	movl $7, 0x50(%rbx)\n"
    "	movl $8, 0x50(%rbx)\n"
    "	mov $'E', %al\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_ioeventfd_end:\n"

    /*
     * A virtio_mmio driver's interrupt handling: read InterruptStatus at
     * 0xfeb00060, write it back to InterruptACK at 0xfeb00064.  Each OUT
     * is a point where test_isr checks and changes the bindings.
     */
    "g_isr_start:\n"
    PIC_INIT(0xdf)
    SAY_READY
    "	mov $0xfeb00000, %ebx\n"
    "	sti\n"
    "	hlt\n"
    "	cli\n"
    "	mov 0x60(%rbx), %eax\n" OUT_EAX
    "	movl %eax, 0x64(%rbx)\n"
    "	mov 0x60(%rbx), %eax\n" OUT_EAX
    "	sti\n"
    "	hlt\n"
    "	cli\n"
    "	mov 0x60(%rbx), %eax\n" OUT_EAX
    "	movzwl 0x60(%rbx), %eax\n" OUT_EAX
    "	movw $1, 0x64(%rbx)\n"
    "	mov 0x60(%rbx), %eax\n" OUT_EAX
    "	mov 0x60(%rbx), %eax\n" OUT_EAX
    "	mov 0x60(%rbx), %eax\n" OUT_EAX
    "	movl $1, 0x64(%rbx)\n"
    "	cli\n"
    "	hlt\n"
    "g_isr_end:\n"
    ".popsection\n");

/* ---- helpers ------------------------------------------------------------- */

/* ---- port I/O, MMIO, CPUID, MSRs, HLT, reset ----------------------------- */

static void test_out(void)
{
	struct lguest_run run;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_out)))
		return;
	if (guest_run_expect(&g, &run, LGUEST_EXIT_IO, "OUT"))
		tap_ok(run.io.port == 0x3f8 && run.io.size == 1 &&
		       run.io.is_write && run.io.data == 'A',
		       "OUT %%al to 0x3f8 arrives as EXIT_IO with the byte (port %#x size %u data %#x)",
		       run.io.port, run.io.size, run.io.data);
	if (guest_run_expect(&g, &run, LGUEST_EXIT_HALT, "HLT with IF=0"))
		tap_ok(true, "HLT with interrupts off gives LGUEST_EXIT_HALT");
	guest_destroy(&g);
}

static void test_in(void)
{
	struct lguest_run run;
	struct guest g;
	int64_t v;

	if (!guest_new(&g, GUEST_CODE_OF(g_in)))
		return;
	if (guest_run_expect(&g, &run, LGUEST_EXIT_IO, "IN")) {
		tap_ok(run.io.port == 0x3f9 && run.io.size == 1 &&
		       !run.io.is_write,
		       "IN from 0x3f9 arrives as an EXIT_IO read of 1 byte");
		run.io.data = 0x5a;
		if (guest_run(&g, &run) == 0 &&
		    run.exit_reason == LGUEST_EXIT_IO && run.io.is_write)
			tap_ok(run.io.data == 0x1122335a,
			       "IN %%al completes with the launcher's byte, rest of eax kept (%#x)",
			       run.io.data);
		else
			tap_ok(false, "IN %%al completes");
	}
	if (guest_run_expect(&g, &run, LGUEST_EXIT_IO, "IN eax")) {
		tap_ok(run.io.port == 0x500 && run.io.size == 4,
		       "IN %%eax arrives with size 4");
		run.io.data = 0x12345678;
		v = guest_run_out_after(&g, &run, "IN eax completion");
		tap_ok(v == 0x12345678, "IN %%eax completes with 0x12345678 (%#llx)",
		       (long long)v);
	}
	guest_destroy(&g);
}

static bool mmio_is(struct lguest_run *run, uint64_t addr, unsigned int len,
		    int is_write)
{
	return run->exit_reason == LGUEST_EXIT_MMIO && run->mmio.addr == addr &&
		run->mmio.len == len && run->mmio.is_write == is_write;
}

static void test_mmio(void)
{
	struct lguest_run run;
	uint64_t v64 = 0x0123456789abcdefULL;
	uint32_t v32;
	struct guest g;
	int64_t lo, hi, b;

	if (!guest_new(&g, GUEST_CODE_OF(g_mmio)))
		return;
	if (guest_run(&g, &run) == 0 && mmio_is(&run, GUEST_MMIO, 4, 1)) {
		memcpy(&v32, run.mmio.data, 4);
		tap_ok(v32 == 0xdeadbeef,
		       "MMIO write of an immediate: EXIT_MMIO at 0xfeb00000, len 4, data %#x",
		       v32);
	} else {
		tap_ok(false, "MMIO write arrives as EXIT_MMIO (exit %s)",
		       guest_exit_name(run.exit_reason));
	}
	if (guest_run(&g, &run) == 0 && mmio_is(&run, GUEST_MMIO + 8, 8, 1)) {
		memcpy(&v64, run.mmio.data, 8);
		tap_ok(v64 == 0x1122334455667788ULL,
		       "MMIO write of %%rax: len 8, data %#llx",
		       (unsigned long long)v64);
	} else {
		tap_ok(false, "8-byte MMIO write arrives");
	}
	if (guest_run(&g, &run) == 0 && mmio_is(&run, GUEST_MMIO + 0x10, 4, 0)) {
		v32 = 0xcafef00d;
		memcpy(run.mmio.data, &v32, 4);
		tap_ok(guest_run_out_after(&g, &run, "MMIO read") == 0xcafef00d,
		       "MMIO read into %%ecx completes with the launcher's value");
	} else {
		tap_ok(false, "MMIO read arrives as EXIT_MMIO");
	}
	if (guest_run(&g, &run) == 0 && mmio_is(&run, GUEST_MMIO + 0x18, 8, 0)) {
		v64 = 0x0123456789abcdefULL;
		memcpy(run.mmio.data, &v64, 8);
		lo = guest_run_out_after(&g, &run, "MMIO read r9 low");
		hi = guest_run_out(&g, "MMIO read r9 high");
		tap_ok(lo == 0x89abcdef && hi == 0x01234567,
		       "8-byte MMIO read into %%r9 completes (%#llx %#llx)",
		       (long long)hi, (long long)lo);
	} else {
		tap_ok(false, "8-byte MMIO read arrives");
	}
	if (guest_run(&g, &run) == 0 && mmio_is(&run, GUEST_MMIO + 0x20, 1, 0)) {
		memset(run.mmio.data, 0, 8);
		run.mmio.data[0] = 0xf0;
		b = guest_run_out_after(&g, &run, "movzbl");
		tap_ok(b == 0xf0, "movzbl MMIO read zero-extends (%#llx)",
		       (long long)b);
	} else {
		tap_ok(false, "1-byte MMIO read arrives");
	}
	guest_destroy(&g);
}

static void test_cpuid(void)
{
	unsigned int a, b, c, d;
	int64_t ecx1, edx1, eax1, ecx8, sig[3];
	struct guest g;
	char name[13];
	int i;

	if (!guest_new(&g, GUEST_CODE_OF(g_cpuid)))
		return;
	ecx1 = guest_run_out(&g, "cpuid 1 ecx");
	edx1 = guest_run_out(&g, "cpuid 1 edx");
	eax1 = guest_run_out(&g, "cpuid 1 eax");
	ecx8 = guest_run_out(&g, "cpuid 0x80000001 ecx");
	for (i = 0; i < 3; i++)
		sig[i] = guest_run_out(&g, "cpuid 0x40000000");
	tap_ok(ecx1 >= 0 && (ecx1 & (1U << 31)),
	       "CPUID 1: hypervisor bit set (ecx %#llx)", (long long)ecx1);
	tap_ok(edx1 >= 0 && !(edx1 & (1 << 9)),
	       "CPUID 1: APIC bit clear (edx %#llx)", (long long)edx1);
	tap_ok(ecx1 >= 0 && !(ecx1 & (1 << 21)) && !(ecx1 & (1 << 3)),
	       "CPUID 1: x2APIC and MONITOR clear");
	tap_ok(ecx8 >= 0 && !(ecx8 & (1 << 2)),
	       "CPUID 0x80000001: SVM clear (ecx %#llx)", (long long)ecx8);
	__cpuid(1, a, b, c, d);
	tap_ok(eax1 == a, "CPUID 1: the host's family/model/stepping (%#llx, host %#x)",
	       (long long)eax1, a);
	for (i = 0; i < 3; i++)
		memcpy(name + 4 * i, &sig[i], 4);
	name[12] = 0;
	tap_ok(!strcmp(name, "LguestLguest"),
	       "CPUID 0x40000000: signature \"%s\"", name);
	guest_destroy(&g);
}

static void test_msr(void)
{
	int64_t efer, pat, kgs, adj0, jump, adj, hwcr, cpuid7, gp;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_msr)))
		return;
	efer = guest_run_out(&g, "rdmsr EFER");
	pat = guest_run_out(&g, "rdmsr PAT");
	kgs = guest_run_out(&g, "wrmsr/rdmsr KERNEL_GS_BASE");
	adj0 = guest_run_out(&g, "rdmsr TSC_ADJUST");
	jump = guest_run_out(&g, "the TSC after a TSC_ADJUST write");
	adj = guest_run_out(&g, "rdmsr TSC_ADJUST after the write");
	hwcr = guest_run_out(&g, "rdmsr HWCR");
	cpuid7 = guest_run_out(&g, "CPUID 7 EBX");
	gp = guest_run_out(&g, "rdmsr unknown");
	tap_ok(efer == 0x500, "rdmsr EFER: LME|LMA, SVME hidden (%#llx)",
	       (long long)efer);
	tap_ok(pat == 0x00070406, "rdmsr PAT: the reset value (%#llx)",
	       (long long)pat);
	tap_ok(kgs == 0x12345678, "wrmsr then rdmsr KERNEL_GS_BASE (%#llx)",
	       (long long)kgs);
	/*
	 * What lets a guest Linux trust its TSC (H:442): TSC_ADJUST in
	 * CPUID and working, and HWCR saying the TSC counts at P0.
	 */
	tap_ok(adj0 == 0 && adj == 0x100 && (jump == 0x100 || jump == 0x101),
	       "TSC_ADJUST reads 0, and writing 2^40 moves the TSC by 2^40 (high words: +%#llx, reads back %#llx)",
	       (long long)jump, (long long)adj);
	tap_ok(cpuid7 >= 0 && (cpuid7 & 2),
	       "CPUID 7 EBX shows TSC_ADJUST (%#llx)", (long long)cpuid7);
	tap_ok(hwcr >= 0 && (hwcr & (1 << 24)),
	       "rdmsr HWCR: TscFreqSel, the TSC counts at P0 (%#llx)",
	       (long long)hwcr);
	tap_ok(gp == 'G', "rdmsr of an unknown MSR raises #GP in the guest (got %#llx)",
	       (long long)gp);
	guest_destroy(&g);

	if (!guest_new(&g, GUEST_CODE_OF(g_efer)))
		return;
	efer = guest_run_out(&g, "EFER after a write with LMA clear");
	gp = guest_run_out(&g, "a write clearing LME with paging on");
	tap_ok(efer == 0x500, "wrmsr EFER with LMA clear: LMA is read-only, stays set (%#llx)",
	       (long long)efer);
	tap_ok(gp == 'G', "wrmsr EFER clearing LME with paging on raises #GP (got %#llx)",
	       (long long)gp);
	guest_destroy(&g);
}

static void test_reset(void)
{
	unsigned long long rip, rip_gpa;
	struct lguest_run run;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_int3)))
		return;
	g.regs.idt.base = 0;
	g.regs.idt.limit = 0;
	if (ioctl(g.fd, LHREQ_SETREGS, &g.regs)) {
		tap_ok(false, "SETREGS with an empty IDT");
	} else if (guest_run_expect(&g, &run, LGUEST_EXIT_RESET, "triple fault")) {
		tap_ok(true, "int3 with an empty IDT: triple fault gives LGUEST_EXIT_RESET");
		run.reason[sizeof(run.reason) - 1] = '\0';
		tap_diag("reset reason: %s", run.reason);
		tap_ok(sscanf(run.reason, "triple fault: rip %llx->%llx",
			      &rip, &rip_gpa) == 2 &&
		       (rip & ~0xfffULL) == GUEST_CODE && rip_gpa == rip &&
		       strstr(run.reason, " cr3 0x1000 event 0x800004") &&
		       !strstr(run.reason, "differs"),
		       "... and says where: the int3 in its code and where its page tables put it, its page tables, the #BP it was delivering");
	}
	guest_destroy(&g);
}

static void test_getregs(void)
{
	struct lguest_regs r;
	struct lguest_run run;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_halt)))
		return;
	if (!guest_run_expect(&g, &run, LGUEST_EXIT_HALT, "halt guest"))
		goto out;
	if (ioctl(g.fd, LHREQ_GETREGS, &r)) {
		tap_ok(false, "GETREGS: %s", strerror(errno));
		goto out;
	}
	tap_ok(r.rip == GUEST_CODE + 2 && r.cr3 == g.regs.cr3 &&
	       r.efer == 0x500 && r.cs.attrib == 0x29b && r.rsp == GUEST_STACK,
	       "GETREGS after HLT: rip past the hlt (%#llx), cr3, efer, cs as set",
	       (unsigned long long)r.rip);
out:
	guest_destroy(&g);
}

static void test_killed(void)
{
	struct lguest_run run;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_badmmio)))
		return;
	if (guest_run_expect(&g, &run, LGUEST_EXIT_KILLED, "undecodable MMIO")) {
		tap_diag("kill reason: %s", run.reason);
		tap_ok(strstr(run.reason, "decode") != NULL,
		       "an undecodable MMIO instruction kills the guest with a reason");
	}
	if (guest_run_expect(&g, &run, LGUEST_EXIT_KILLED, "killed again"))
		tap_ok(strstr(run.reason, "decode") != NULL,
		       "a killed guest stays dead: RUN gives the same reason");
	guest_destroy(&g);
}

static void test_bad_page_tables(void)
{
	struct lguest_run run;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_badcr3)))
		return;
	if (guest_run_expect(&g, &run, LGUEST_EXIT_KILLED, "CR3 outside RAM")) {
		tap_diag("kill reason: %s", run.reason);
		tap_ok(strstr(run.reason, "page tables outside guest RAM (0x40000") &&
		       strstr(run.reason, "cr3 0x40000000"),
		       "page tables outside RAM kill the guest, saying where they pointed");
	}
	guest_destroy(&g);
}

/* ---- interrupts ---------------------------------------------------------- */

static void test_pit(void)
{
	struct lguest_stats st;
	struct guest g;
	double t0, t;
	int64_t count;

	if (!guest_new(&g, GUEST_CODE_OF(g_pit)))
		return;
	t0 = guest_now();
	count = guest_run_out(&g, "PIT count");
	t = guest_now() - t0;
	tap_ok(count >= 10 && count < 1000,
	       "PIT at 100 Hz: the guest's IRQ 0 handler ran %lld times",
	       (long long)count);
	tap_ok(t >= 0.08 && t < 10,
	       "10 ticks at 100 Hz took about 0.1 s (%.3f s)", t);
	if (guest_stats(&g, &st))
		tap_ok(st.count[LGUEST_STAT_IRQS_INJECTED] >= 10 &&
		       st.count[LGUEST_STAT_HALTS] >= 1,
		       "stats: %llu irqs injected, %llu halts slept",
		       (unsigned long long)st.count[LGUEST_STAT_IRQS_INJECTED],
		       (unsigned long long)st.count[LGUEST_STAT_HALTS]);
	else
		tap_ok(false, "GETSTATS");
	guest_destroy(&g);
}

/* Wait up to secs for the guest's word at gpa to reach at least min. */
static bool wait_word(struct guest *g, uint64_t gpa, uint32_t min, double secs)
{
	double deadline = guest_now() + secs;

	while (guest_read32(g, gpa) < min) {
		if (guest_now() > deadline)
			return false;
		usleep(200);
	}
	return true;
}

struct delayed {
	struct guest *g;
	int fd;
	unsigned long request;
	void *arg;
	int eventfd;
	int ret;
};

static void *delayed_thread(void *p)
{
	struct delayed *d = p;
	uint64_t one = 1;

	/* Once its PIC is ready, give the guest time to halt. */
	wait_word(d->g, GUEST_READY, 1, 10);
	usleep(300 * 1000);
	if (d->eventfd >= 0)
		d->ret = write(d->eventfd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
	else
		d->ret = ioctl(d->fd, d->request, d->arg);
	return NULL;
}

static void run_woken(struct guest *g, struct delayed *d, const char *what)
{
	pthread_t thread;
	int64_t v;
	double t0;

	t0 = guest_now();
	d->g = g;
	pthread_create(&thread, NULL, delayed_thread, d);
	v = guest_run_out(g, what);
	pthread_join(thread, NULL);
	tap_ok(v == 'I' && d->ret == 0 && guest_now() - t0 >= 0.25,
	       "%s wakes the halted guest into its IRQ 5 handler (%.3f s)",
	       what, guest_now() - t0);
}

static void test_irq(void)
{
	struct lguest_irq irq = { .line = 5, .level = LGUEST_IRQ_PULSE };
	struct delayed d;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_irq5)))
		return;
	d = (struct delayed){ .fd = g.fd, .request = LHREQ_IRQ, .arg = &irq,
			      .eventfd = -1 };
	run_woken(&g, &d, "LHREQ_IRQ from another thread");
	guest_destroy(&g);
}

/*
 * One interrupt, one delivery.  The guest's IRQ 3 handler spins with
 * interrupts off for a few milliseconds before it does anything that
 * exits, and notes if it is ever entered while already running.  Under
 * QEMU's TCG an interrupt injected through EVENTINJ is delivered a second
 * time, interrupts off or not, if QEMU's CPU loop is asked to stop in that
 * stretch (H:400): this test saw it within a few hundred interrupts, and
 * a Linux guest deadlocks on it (its timer handler, entered twice).
 *
 * The pulses start only once the guest says its PIC is programmed
 * (GUEST_READY).  They used to start at once, and with a host thread per
 * test VM CPU the first pulse came during the guest's ICW1-ICW4, which
 * cleared it as a real 8259 does: the guest then halted for good.  With
 * one TCG thread the guest always got there first.
 */
#define SLOW_IRQS	300
#define SLOW_SPIN	1000000

struct pulser {
	struct guest *g;
	pthread_t runner;
	unsigned int sent;
	int err;
};

/* A handler that does nothing: its signal only ends a blocking RUN. */
static void on_signal(int sig)
{
	(void)sig;
}

/*
 * A pulse went unhandled: say what the guest and lg.ko were doing, see
 * whether one more pulse gets through (then the first was lost, not just
 * late), and end the RUN call with a signal so the test fails with all of
 * this in its log rather than by its group's alarm.
 */
static void pulse_stalled(struct pulser *ps)
{
	struct guest *g = ps->g;
	unsigned int handled = guest_read32(g, GUEST_DATA + 4);
	struct lguest_stats st;

	if (guest_stats(g, &st))
		tap_diag("pulse %u unhandled for 10 s: guest handled %u, in its handler %u; lg.ko: %llu injected, %llu exits (%llu intr, %llu vintr, %llu hlt, %llu io), %llu halts",
			 ps->sent + 1, handled, guest_read32(g, GUEST_DATA + 8),
			 (unsigned long long)st.count[LGUEST_STAT_IRQS_INJECTED],
			 (unsigned long long)st.count[LGUEST_STAT_EXITS],
			 (unsigned long long)st.count[LGUEST_STAT_EXIT_INTR],
			 (unsigned long long)st.count[LGUEST_STAT_EXIT_VINTR],
			 (unsigned long long)st.count[LGUEST_STAT_EXIT_HLT],
			 (unsigned long long)st.count[LGUEST_STAT_EXIT_IO],
			 (unsigned long long)st.count[LGUEST_STAT_HALTS]);
	else
		tap_diag("pulse %u unhandled for 10 s; LHREQ_GETSTATS: %s",
			 ps->sent + 1, strerror(errno));
	ps->sent++;
	if (ioctl(g->fd, LHREQ_IRQ, &(struct lguest_irq){
			.line = 3, .level = LGUEST_IRQ_PULSE }) == 0)
		tap_diag("one more pulse: %s",
			 wait_word(g, GUEST_DATA + 4, handled + 1, 3) ?
			 "handled (so the stalled one was lost)" :
			 "not handled either");
	pthread_kill(ps->runner, SIGUSR1);
}

static void *pulse_thread(void *p)
{
	struct lguest_irq irq = { .line = 3, .level = LGUEST_IRQ_PULSE };
	struct pulser *ps = p;

	if (!wait_word(ps->g, GUEST_READY, 1, 10)) {
		tap_diag("the guest did not program its PIC in 10 s");
		ps->err = ETIMEDOUT;
		pthread_kill(ps->runner, SIGUSR1);
		return NULL;
	}
	for (ps->sent = 0; ps->sent < SLOW_IRQS; ps->sent++) {
		if (ioctl(ps->g->fd, LHREQ_IRQ, &irq)) {
			ps->err = errno;
			return NULL;
		}
		/* The next pulse only once this one is handled: none merge. */
		if (!wait_word(ps->g, GUEST_DATA + 4, ps->sent + 1, 10)) {
			ps->err = ETIMEDOUT;
			pulse_stalled(ps);
			return NULL;
		}
	}
	return NULL;
}

static void test_irq_once(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct pulser ps = { 0 };
	struct lguest_regs regs;
	pthread_t thread;
	struct guest g;
	int64_t nested;
	double t0;

	if (!guest_new(&g, GUEST_CODE_OF(g_irq3)))
		return;
	sigaction(SIGUSR1, &sa, NULL);
	guest_write32(&g, GUEST_DATA + 16, SLOW_SPIN);
	guest_write32(&g, GUEST_DATA + 20, SLOW_IRQS);
	ps.g = &g;
	ps.runner = pthread_self();
	t0 = guest_now();
	pthread_create(&thread, NULL, pulse_thread, &ps);
	nested = guest_run_out(&g, "slow IRQ 3");
	pthread_join(thread, NULL);
	if (ps.err == ETIMEDOUT && ioctl(g.fd, LHREQ_GETREGS, &regs) == 0)
		tap_diag("the guest stopped at rip %#llx, rflags %#llx",
			 (unsigned long long)regs.rip,
			 (unsigned long long)regs.rflags);
	tap_ok(ps.err == 0 && guest_read32(&g, GUEST_DATA + 4) == SLOW_IRQS,
	       "%u pulses of IRQ 3, %u handled (%s, %.1f s)", ps.sent,
	       guest_read32(&g, GUEST_DATA + 4),
	       ps.err ? strerror(ps.err) : "no error", guest_now() - t0);
	tap_ok(nested == 0,
	       "every interrupt delivered once, never while the guest had interrupts off (%lld handler entries while it ran)",
	       (long long)nested);
	guest_destroy(&g);
}

static void test_irqfd(void)
{
	struct lguest_irqfd irqfd = { .line = 5 };
	struct lguest_stats st;
	struct delayed d;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(g_irq5)))
		return;
	irqfd.fd = eventfd(0, EFD_CLOEXEC);
	if (!TAP_OK_CALL(ioctl(g.fd, LHREQ_IRQFD, &irqfd), "LHREQ_IRQFD binds an eventfd to line 5"))
		goto out;
	d = (struct delayed){ .eventfd = irqfd.fd };
	run_woken(&g, &d, "an irqfd eventfd write");
	tap_ok(guest_stats(&g, &st) && st.count[LGUEST_STAT_IRQFD] == 1,
	       "stats: one irqfd signal");
	irqfd.flags = LGUEST_IRQFD_DEASSIGN;
	TAP_OK_CALL(ioctl(g.fd, LHREQ_IRQFD, &irqfd), "LHREQ_IRQFD deassign");
	TAP_ERRNO(ioctl(g.fd, LHREQ_IRQFD, &irqfd), ENOENT,
		  "deassigning again: ENOENT");
out:
	close(irqfd.fd);
	guest_destroy(&g);
}

static void test_ioeventfd(void)
{
	struct lguest_ioeventfd io = {
		.addr = GUEST_MMIO + 0x50, .len = 4,
		.flags = LGUEST_IOEVENTFD_DATAMATCH, .datamatch = 7,
	};
	struct lguest_stats st;
	struct lguest_run run;
	uint64_t count = 0;
	struct guest g;
	uint32_t v;

	if (!guest_new(&g, GUEST_CODE_OF(g_ioeventfd)))
		return;
	io.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!TAP_OK_CALL(ioctl(g.fd, LHREQ_IOEVENTFD, &io),
			 "LHREQ_IOEVENTFD binds 0xfeb00050 (value 7)"))
		goto out;
	/* The write of 7 matches and never reaches us; 8 does. */
	if (guest_run(&g, &run) == 0 && mmio_is(&run, GUEST_MMIO + 0x50, 4, 1)) {
		memcpy(&v, run.mmio.data, 4);
		tap_ok(v == 8, "the matching write was consumed; the next one (%u) came to the launcher",
		       v);
	} else {
		tap_ok(false, "the non-matching MMIO write comes to the launcher (exit %s)",
		       guest_exit_name(run.exit_reason));
	}
	tap_ok(read(io.fd, &count, sizeof(count)) == sizeof(count) && count == 1,
	       "the eventfd was signalled once (%llu)", (unsigned long long)count);
	tap_ok(guest_run_out(&g, "after ioeventfd") == 'E', "the guest went on");
	tap_ok(guest_stats(&g, &st) && st.count[LGUEST_STAT_IOEVENTFD] == 1 &&
	       st.count[LGUEST_STAT_EXIT_MMIO] == 2 &&
	       st.count[LGUEST_STAT_EXIT_MMIO_USER] == 1,
	       "stats: 2 MMIO exits, 1 to the launcher, 1 ioeventfd");
	io.flags |= LGUEST_IOEVENTFD_DEASSIGN;
	TAP_OK_CALL(ioctl(g.fd, LHREQ_IOEVENTFD, &io), "LHREQ_IOEVENTFD deassign");
out:
	close(io.fd);
	guest_destroy(&g);
}

/* ---- virtio-mmio interrupt status in lg.ko (LGUEST_IRQFD_VIRTIO_ISR) ----- */

#define ISR_ADDR	(GUEST_MMIO + 0x60)	/* InterruptStatus */
#define ACK_ADDR	(GUEST_MMIO + 0x64)	/* InterruptACK */

static int bind_isr_irqfd(struct guest *g, int fd, uint32_t flags,
			  uint64_t isr_addr)
{
	struct lguest_irqfd irqfd = {
		.fd = fd, .line = 5, .flags = flags, .isr_addr = isr_addr,
	};

	return ioctl(g->fd, LHREQ_IRQFD, &irqfd);
}

static void isr_stats(struct guest *g, struct lguest_stats *st)
{
	if (!guest_stats(g, st))
		memset(st, 0xff, sizeof(*st));
	tap_diag("stats: mmio %llu, mmio-user %llu, isr-reads %llu, isr-acks %llu, irqfd %llu",
		 (unsigned long long)st->count[LGUEST_STAT_EXIT_MMIO],
		 (unsigned long long)st->count[LGUEST_STAT_EXIT_MMIO_USER],
		 (unsigned long long)st->count[LGUEST_STAT_ISR_READS],
		 (unsigned long long)st->count[LGUEST_STAT_ISR_ACKS],
		 (unsigned long long)st->count[LGUEST_STAT_IRQFD]);
}

/* The next exit is an MMIO access we expect; complete a read with value. */
static bool isr_mmio_exit(struct guest *g, struct lguest_run *run,
			  uint64_t addr, unsigned int len, int is_write,
			  uint32_t value, const char *what)
{
	if (guest_run(g, run) || !mmio_is(run, addr, len, is_write)) {
		tap_diag("%s: exit %s at %#llx len %u write %u", what,
			 guest_exit_name(run->exit_reason),
			 (unsigned long long)run->mmio.addr, run->mmio.len,
			 run->mmio.is_write);
		return tap_ok(false, "%s comes to the launcher as EXIT_MMIO",
			      what);
	}
	if (!is_write)
		memcpy(run->mmio.data, &value, sizeof(value));
	return tap_ok(true, "%s comes to the launcher as EXIT_MMIO", what);
}

static void test_isr(void)
{
	int rx = eventfd(0, EFD_CLOEXEC), tx = eventfd(0, EFD_CLOEXEC);
	struct lguest_stats st;
	struct lguest_run run;
	struct delayed d;
	struct guest g;
	int64_t v;

	if (!guest_new(&g, GUEST_CODE_OF(g_isr)))
		goto out_fds;
	if (!TAP_OK_CALL(bind_isr_irqfd(&g, rx, LGUEST_IRQFD_VIRTIO_ISR, ISR_ADDR),
			 "LHREQ_IRQFD with LGUEST_IRQFD_VIRTIO_ISR at 0xfeb00060 (rx)") ||
	    !TAP_OK_CALL(bind_isr_irqfd(&g, tx, LGUEST_IRQFD_VIRTIO_ISR, ISR_ADDR),
			 "a second irqfd (tx) names the same InterruptStatus"))
		goto out;

	d = (struct delayed){ .eventfd = rx };
	run_woken(&g, &d, "a signal of the rx eventfd");
	v = guest_run_out(&g, "InterruptStatus after the signal");
	tap_ok(v == 1, "the guest reads InterruptStatus 1 (used buffer) after the signal (%#llx)",
	       (long long)v);
	v = guest_run_out(&g, "InterruptStatus after the ACK");
	tap_ok(v == 0, "after writing it to InterruptACK the guest reads 0 (%#llx)",
	       (long long)v);

	d = (struct delayed){ .eventfd = tx };
	run_woken(&g, &d, "a signal of the tx eventfd");
	v = guest_run_out(&g, "InterruptStatus after the tx signal");
	tap_ok(v == 1, "rx and tx share the latch: a tx signal reads as 1 (%#llx)",
	       (long long)v);
	isr_stats(&g, &st);
	tap_ok(st.count[LGUEST_STAT_EXIT_MMIO] == 4 &&
	       st.count[LGUEST_STAT_EXIT_MMIO_USER] == 0 &&
	       st.count[LGUEST_STAT_ISR_READS] == 3 &&
	       st.count[LGUEST_STAT_ISR_ACKS] == 1 &&
	       st.count[LGUEST_STAT_IRQFD] == 2,
	       "stats: 3 status reads and 1 ACK answered by lg.ko, no MMIO exit reached the launcher");

	/* Other sizes are the launcher's, as before. */
	if (isr_mmio_exit(&g, &run, ISR_ADDR, 2, 0, 0x5a5a,
			  "a 2-byte InterruptStatus read")) {
		v = guest_run_out_after(&g, &run, "2-byte read");
		tap_ok(v == 0x5a5a, "and completes with the launcher's value (%#llx)",
		       (long long)v);
	}
	if (isr_mmio_exit(&g, &run, ACK_ADDR, 2, 1, 0, "a 2-byte InterruptACK write")) {
		v = guest_run_out_after(&g, &run, "after the 2-byte ACK");
		tap_ok(v == 1, "which clears nothing: the guest still reads 1 (%#llx)",
		       (long long)v);
	}

	TAP_OK_CALL(bind_isr_irqfd(&g, rx, LGUEST_IRQFD_DEASSIGN, 0),
		    "deassign the rx irqfd");
	v = guest_run_out(&g, "InterruptStatus with tx still bound");
	isr_stats(&g, &st);
	tap_ok(v == 1 && st.count[LGUEST_STAT_ISR_READS] == 5 &&
	       st.count[LGUEST_STAT_EXIT_MMIO_USER] == 2,
	       "with tx still bound the latch stays in lg.ko (read %#llx, no new exit)",
	       (long long)v);

	TAP_OK_CALL(bind_isr_irqfd(&g, tx, LGUEST_IRQFD_DEASSIGN, 0),
		    "deassign the tx irqfd, the latch's last user");
	if (isr_mmio_exit(&g, &run, ISR_ADDR, 4, 0, 0x77,
			  "then a 4-byte InterruptStatus read")) {
		v = guest_run_out_after(&g, &run, "read after deassign");
		tap_ok(v == 0x77, "and the guest gets the launcher's value (%#llx)",
		       (long long)v);
	}
	isr_mmio_exit(&g, &run, ACK_ADDR, 4, 1, 0, "and a 4-byte InterruptACK write");
	isr_stats(&g, &st);
	tap_ok(st.count[LGUEST_STAT_ISR_READS] == 5 &&
	       st.count[LGUEST_STAT_ISR_ACKS] == 1 &&
	       st.count[LGUEST_STAT_EXIT_MMIO_USER] == 4,
	       "stats: still 5 reads and 1 ACK in lg.ko, 4 MMIO exits to the launcher");
out:
	guest_destroy(&g);
out_fds:
	close(rx);
	close(tx);
}

static void test_isr_bad(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct guest g;
	int fd;

	fd = open("/dev/lguest", O_RDWR);
	if (fd >= 0) {
		struct lguest_irqfd irqfd = {
			.fd = efd, .line = 5, .flags = LGUEST_IRQFD_VIRTIO_ISR,
			.isr_addr = ISR_ADDR,
		};

		TAP_ERRNO(ioctl(fd, LHREQ_IRQFD, &irqfd), EINVAL,
			  "VIRTIO_ISR before INITIALIZE (RAM unknown): EINVAL");
		close(fd);
	}
	if (!guest_new(&g, GUEST_CODE_OF(g_halt)))
		goto out_fd;
	TAP_ERRNO(bind_isr_irqfd(&g, efd, LGUEST_IRQFD_VIRTIO_ISR, 0x1000),
		  EINVAL, "isr_addr inside RAM: EINVAL");
	TAP_ERRNO(bind_isr_irqfd(&g, efd, LGUEST_IRQFD_VIRTIO_ISR, 0),
		  EINVAL, "isr_addr 0 (RAM) with VIRTIO_ISR: EINVAL");
	TAP_ERRNO(bind_isr_irqfd(&g, efd, LGUEST_IRQFD_VIRTIO_ISR, ISR_ADDR + 2),
		  EINVAL, "isr_addr not 4-byte aligned: EINVAL");
	TAP_ERRNO(bind_isr_irqfd(&g, efd, LGUEST_IRQFD_VIRTIO_ISR,
				 0xfffffffffffffffcULL),
		  EINVAL, "isr_addr whose ACK would wrap: EINVAL");
	TAP_ERRNO(bind_isr_irqfd(&g, efd, 0, ISR_ADDR),
		  EINVAL, "isr_addr without LGUEST_IRQFD_VIRTIO_ISR: EINVAL");
	TAP_ERRNO(bind_isr_irqfd(&g, efd, 1U << 2, 0), EINVAL,
		  "an unknown flag: EINVAL");
	TAP_ERRNO(bind_isr_irqfd(&g, g.fd, LGUEST_IRQFD_VIRTIO_ISR, ISR_ADDR),
		  EINVAL, "VIRTIO_ISR with /dev/lguest as the fd (not an eventfd): EINVAL");
	TAP_ERRNO(bind_isr_irqfd(&g, efd, LGUEST_IRQFD_DEASSIGN, 0), ENOENT,
		  "nothing was bound by the refused calls: deassign gives ENOENT");
	guest_destroy(&g);
out_fd:
	close(efd);
}

/* ---- signals, stats, release --------------------------------------------- */

static void arm_alarm(unsigned int ms)
{
	struct itimerval it = { .it_value = { 0, ms * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void test_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct lguest_run run;
	struct guest g;
	int ret, err;

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	if (!guest_new(&g, GUEST_CODE_OF(g_spin)))
		return;
	arm_alarm(200);
	ret = guest_run(&g, &run);
	err = errno;
	tap_ok(ret == -1 && err == EINTR,
	       "SIGALRM interrupts RUN of a spinning guest with EINTR");
	guest_write32(&g, GUEST_DATA, 1);
	tap_ok(guest_run_out(&g, "spin released") == 'S',
	       "RUN continues after EINTR and the guest sees our memory write");
	guest_destroy(&g);

	if (!guest_new(&g, GUEST_CODE_OF(g_idle)))
		return;
	arm_alarm(200);
	ret = guest_run(&g, &run);
	err = errno;
	tap_ok(ret == -1 && err == EINTR,
	       "SIGALRM interrupts RUN of a guest sleeping in HLT with EINTR");
	arm_alarm(100);
	ret = guest_run(&g, &run);
	err = errno;
	tap_ok(ret == -1 && err == EINTR, "and again after RUN resumed the sleep");
	guest_destroy(&g);
}

static void test_stats(void)
{
	struct lguest_stats st;
	struct guest g;
	int i;

	if (!guest_new(&g, GUEST_CODE_OF(g_in)))
		return;
	for (i = 0; i < 4; i++) {
		struct lguest_run run;

		if (guest_run(&g, &run))
			break;
	}
	if (!guest_stats(&g, &st)) {
		tap_ok(false, "GETSTATS: %s", strerror(errno));
	} else {
		tap_ok(st.count[LGUEST_STAT_RUNS] == 4 &&
		       st.count[LGUEST_STAT_EXIT_IO_USER] == 4 &&
		       st.count[LGUEST_STAT_EXIT_IO] == 4 &&
		       st.count[LGUEST_STAT_EXITS] >= 4 &&
		       st.count[LGUEST_STAT_EXIT_NPF] >= 3,
		       "stats: 4 runs, 4 I/O exits to the launcher, %llu exits, %llu NPF",
		       (unsigned long long)st.count[LGUEST_STAT_EXITS],
		       (unsigned long long)st.count[LGUEST_STAT_EXIT_NPF]);
	}
	guest_destroy(&g);
}

/* A child runs a guest that touches all its RAM; we SIGKILL it mid-run. */
static void test_sigkill(void)
{
	long before, during = 0, after;
	int pipefd[2], status, i;
	char c;

	before = pinned_now();
	for (i = 0; i < 3; i++) {
		pid_t pid;

		if (pipe(pipefd))
			return;
		pid = fork();
		if (pid == 0) {
			struct lguest_run run;
			struct guest g;

			if (guest_create(&g, GUEST_CODE_OF(g_touch)) ||
			    guest_run(&g, &run) || run.io.data != 'T')
				_exit(1);
			c = 'T';
			if (write(pipefd[1], &c, 1) != 1)
				_exit(1);
			guest_run(&g, &run);	/* spins until killed */
			_exit(2);
		}
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1) {
			tap_ok(false, "child guest touched its RAM");
			waitpid(pid, &status, 0);
			close(pipefd[0]);
			return;
		}
		usleep(100 * 1000);
		if (i == 0)
			during = pinned_now();
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(pipefd[0]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			tap_ok(false, "child was in RUN when killed (status %#x)",
			       status);
			return;
		}
	}
	after = pinned_now();
	tap_diag("pinned pages: before %ld, during a run %ld, after %ld",
		 before, during, after);
	tap_ok(during - before >= 768,
	       "a running guest that touched 3 MiB has about 768 pages pinned (%ld)",
	       during - before);
	tap_ok(after == before,
	       "3 launchers killed mid-RUN with SIGKILL leave no page pinned");
}

/* ---- bad input ----------------------------------------------------------- */

static void test_bad_input(void)
{
	struct lguest_init init = { 0 };
	struct lguest_irq irq = { .line = 16, .level = 1 };
	struct lguest_ioeventfd io = { .addr = GUEST_MMIO, .len = 3 };
	struct lguest_run run;
	void *mem;
	int fd;

	fd = open("/dev/lguest", O_RDWR);
	if (!TAP_OK_CALL(fd, "open /dev/lguest"))
		return;
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TAP_ERRNO(ioctl(fd, LHREQ_RUN, &run), EINVAL,
		  "RUN before INITIALIZE: EINVAL");
	init.mem_base = (uintptr_t)mem;
	init.mem_size = 1 << 20;
	TAP_ERRNO(ioctl(fd, LHREQ_INITIALIZE, &init), EINVAL,
		  "INITIALIZE with 1 MiB (below LGUEST_MIN_MEM): EINVAL");
	init.mem_size = GUEST_MEM + 100;
	TAP_ERRNO(ioctl(fd, LHREQ_INITIALIZE, &init), EINVAL,
		  "INITIALIZE with a size not a page multiple: EINVAL");
	init.mem_size = LGUEST_MAX_MEM + 4096;
	TAP_ERRNO(ioctl(fd, LHREQ_INITIALIZE, &init), EINVAL,
		  "INITIALIZE above LGUEST_MAX_MEM: EINVAL");
	init.mem_size = GUEST_MEM;
	init.mem_base = (uintptr_t)mem + 8;
	TAP_ERRNO(ioctl(fd, LHREQ_INITIALIZE, &init), EINVAL,
		  "INITIALIZE with an unaligned base: EINVAL");
	init.mem_base = (uintptr_t)mem;
	init.flags = 1;
	TAP_ERRNO(ioctl(fd, LHREQ_INITIALIZE, &init), EINVAL,
		  "INITIALIZE with unknown flags: EINVAL");
	init.flags = 0;
	init.mem_base = 0xffff800000000000ULL;
	TAP_ERRNO(ioctl(fd, LHREQ_INITIALIZE, &init), EFAULT,
		  "INITIALIZE with a kernel address: EFAULT");
	init.mem_base = (uintptr_t)mem;
	TAP_OK_CALL(ioctl(fd, LHREQ_INITIALIZE, &init), "INITIALIZE 4 MiB");
	TAP_ERRNO(ioctl(fd, LHREQ_INITIALIZE, &init), EBUSY,
		  "a second INITIALIZE: EBUSY");
	TAP_ERRNO(ioctl(fd, LHREQ_IRQ, &irq), EINVAL, "LHREQ_IRQ line 16: EINVAL");
	io.fd = eventfd(0, 0);
	TAP_ERRNO(ioctl(fd, LHREQ_IOEVENTFD, &io), EINVAL,
		  "LHREQ_IOEVENTFD with len 3: EINVAL");
	io.len = 4;
	io.addr = 0x1000;
	TAP_ERRNO(ioctl(fd, LHREQ_IOEVENTFD, &io), EINVAL,
		  "LHREQ_IOEVENTFD inside RAM: EINVAL");
	close(io.fd);
	TAP_ERRNO(ioctl(fd, _IO(LGUEST_IOCTL_MAGIC, 0x7f)), ENOTTY,
		  "an unknown ioctl: ENOTTY");
	close(fd);
	munmap(mem, GUEST_MEM);
}

static void test_quick(void)
{
	test_out();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_init();
	if (argc > 1 && !strcmp(argv[1], "quick")) {
		tap_group("lguest guest does port I/O", test_quick, 60);
		return tap_finish();
	}
	if (argc > 2 && !strcmp(argv[1], "irq-once")) {
		for (int i = atoi(argv[2]); i > 0; i--)
			tap_group("one delivery per interrupt", test_irq_once, 120);
		return tap_finish();
	}
	tap_group("bad input", test_bad_input, 30);
	tap_group("OUT and HLT", test_out, 60);
	tap_group("IN", test_in, 60);
	tap_group("MMIO", test_mmio, 60);
	tap_group("CPUID", test_cpuid, 60);
	tap_group("MSRs", test_msr, 60);
	tap_group("triple fault", test_reset, 60);
	tap_group("GETREGS", test_getregs, 60);
	tap_group("kill", test_killed, 60);
	tap_group("bad page tables", test_bad_page_tables, 60);
	tap_group("stats", test_stats, 60);
	tap_group("PIT", test_pit, 120);
	tap_group("LHREQ_IRQ", test_irq, 60);
	tap_group("one delivery per interrupt", test_irq_once, 120);
	tap_group("irqfd", test_irqfd, 60);
	tap_group("ioeventfd", test_ioeventfd, 60);
	tap_group("virtio-mmio interrupt status in lg.ko", test_isr, 60);
	tap_group("virtio-mmio interrupt status: bad input", test_isr_bad, 30);
	tap_group("signals", test_signal, 60);
	tap_group("SIGKILL mid-run", test_sigkill, 120);
	return tap_finish();
}
