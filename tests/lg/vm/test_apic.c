// SPDX-License-Identifier: GPL-2.0
/*
 * Local APICs and the I/O APIC of SMP guests (LGUEST_INIT_APIC, H:700):
 * tiny guests drive their APICs through the xAPIC page at 0xfee00000,
 * and the checks are what a launcher can see: values the guest read back,
 * exit reasons, kill and reset reasons, lg.ko's counters.  TAP on stdout.
 *
 *   basics     each CPU's APIC ID and version, CPUID and IA32_APIC_BASE,
 *              the I/O APIC's ID; a guest without LGUEST_INIT_APIC has no
 *              APIC (its MMIO goes to the launcher, its MSRs #GP)
 *   ap-start   INIT + SIPI start a sleeping CPU in real mode at the page
 *              the vector names; a second SIPI is ignored; INIT + SIPI
 *              restart a halted AP; a CPU never started sleeps in RUN
 *              until a signal, and the guest ends cleanly around it
 *   ipi        fixed, self, all-excluding-self and logical destinations;
 *              an IPI to a CPU outside RUN waits for it
 *   icr        ICR garbage: reserved bits dropped, vectors 0-15 not sent
 *              (ESR "send illegal vector"), SMI and reserved modes not sent
 *   lvt        LVT garbage: reserved bits read 0, masks hold; a periodic
 *              timer on an illegal vector errors through the error LVT
 *   storm      2 s of fixed IPIs and 1 s of NMIs at one CPU, every thread
 *              on one host CPU: the host still wakes a sleeper in time
 *              and the target still runs
 *   init-bsp   INIT to the boot CPU resets the guest, on every CPU
 *   nmi        each NMI runs the handler once, an NMI during the handler
 *              waits for its IRET, an NMI wakes an AP halted with IF=0
 *   timer      a periodic timer with an initial count of 1 interrupts at
 *              most every LG_APIC_MIN_PERIOD_NS (200 us); a TSC-deadline
 *              timer fires once
 *   x2apic     x2APIC is not offered: IA32_APIC_BASE.EXTD and the x2APIC
 *              MSRs are #GP, and the xAPIC page goes on working
 *
 *   test_apic            every group
 *   test_apic NAME...    the groups named
 *
 * Every CPU runs one program, the interpreter below: it executes a list
 * of commands the test wrote into its per-CPU page (MMIO reads and
 * writes, MSRs, CPUID, waiting for interrupts), then says "DONE" with an
 * OUT to 0x3f8, which ends that CPU's RUN; the test reads the results out
 * of guest memory, writes the next list and runs the CPU again.  So a
 * check reads like the sequence of register accesses it makes, and every
 * CPU's RUN can be in a thread of its own while another CPU sends it IPIs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "tap.h"
#include "vcpu_run.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- the guest's memory ------------------------------------------------ */

/*
 * guest.c's builder opens its guests without LGUEST_INIT_APIC and maps no
 * APIC pages, so these guests are built here, on the same plan: identity
 * page tables with 2 MiB pages (RAM, and the I/O APIC and local APIC
 * pages at 0xfec00000 and 0xfee00000), one 64-bit code segment, an IDT.
 */
#define PML4		0x1000UL
#define PDPT		0x2000UL
#define PD_LOW		0x3000UL
#define PD_HIGH		0x4000UL	/* 3..4 GiB */
#define GDT		0x5000UL
#define IDT		0x6000UL
#define TSS		0x7000UL
#define SIPI_PAGE	0x8000UL	/* real-mode code for started APs */
#define SIPI_VECTOR	(SIPI_PAGE >> 12)
#define INTERP		0x10000UL	/* the command interpreter */
#define ISR_STUBS	0x20000UL	/* 16 bytes a vector, then the common part */
#define STACK(n)	(0x80000UL - 0x8000UL * (n))
#define PERCPU(n)	(0x100000UL + 0x10000UL * (n))

/* Words every CPU sees. */
#define AP_COUNT	0x9000UL	/* real-mode starts of an AP */
#define AP_GO		0x9008UL	/* a started AP spins until this is set */
#define STOP		0x9010UL	/* ends OP_STORM and the waits on it */

/* In each CPU's page at PERCPU(n), found by the guest through R15. */
#define PC_COUNT(v)	(4UL * (v))	/* interrupts and exceptions taken */
#define PC_FAULT	0x400UL		/* 0x100 | vector of the last exception */
#define PC_LAST		0x404UL		/* the last vector taken */
#define PC_NMI_DEPTH	0x408UL		/* NMI handlers running now */
#define PC_NMI_NESTED	0x40cUL		/* NMI handler entered inside another */
#define PC_NMI_HOLD	0x410UL		/* the NMI handler waits while set */
#define PC_RECOVER	0x418UL		/* where an exception returns to */
#define PC_CMDS		0x800UL
#define MAX_CMDS	64

#define COUNT(n, v)	(PERCPU(n) + PC_COUNT(v))

/* The xAPIC page and the I/O APIC. */
#define APIC		0xfee00000UL
#define APIC_ID		(APIC + 0x20)
#define APIC_VERSION	(APIC + 0x30)
#define APIC_LDR	(APIC + 0xd0)
#define APIC_DFR	(APIC + 0xe0)
#define APIC_SVR	(APIC + 0xf0)
#define APIC_ESR	(APIC + 0x280)
#define APIC_LVT_CMCI	(APIC + 0x2f0)
#define APIC_ICR	(APIC + 0x300)
#define APIC_ICR2	(APIC + 0x310)
#define APIC_LVT_TIMER	(APIC + 0x320)
#define APIC_LVT_ERROR	(APIC + 0x370)
#define APIC_TMICT	(APIC + 0x380)
#define APIC_TDCR	(APIC + 0x3e0)
#define IOAPIC		0xfec00000UL
#define IOAPIC_SEL	IOAPIC
#define IOAPIC_WIN	(IOAPIC + 0x10)

#define SVR_ON		0x1ff		/* software enabled, spurious vector 0xff */
#define DEST(n)		((uint64_t)(n) << 24)	/* ICR2: physical APIC ID n */
#define ICR_NMI		0x400
#define ICR_INIT	0x500
#define ICR_SIPI	0x600
#define ICR_LOGICAL	0x800
#define ICR_ASSERT	0x4000
#define ICR_LEVEL	0x8000
#define ICR_SELF	0x40000
#define ICR_OTHERS	0xc0000
#define ESR_SEND_ILLEGAL	0x20
#define ESR_RECV_ILLEGAL	0x40
#define LVT_MASKED	0x10000
#define LVT_PERIODIC	0x20000
#define LVT_DEADLINE	0x40000
#define MSR_APIC_BASE	0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_EXTD	0x400
#define FAULT_GP	(0x100 | 13)

/* The interpreter's commands, 64 bytes each at PERCPU(n) + PC_CMDS. */
enum op {
	OP_END,
	OP_READ32,	/* r = *(u32 *)a (MMIO or RAM) */
	OP_WRITE32,	/* *(u32 *)a = b */
	OP_RDMSR,	/* r = MSR a */
	OP_WRMSR,	/* MSR a = b */
	OP_CPUID,	/* leaf a, subleaf b: r = ecx | edx << 32, r2 = eax | ebx << 32 */
	OP_HLT_UNTIL,	/* sti; hlt until *(u32 *)a >= b; ends with IF clear */
	OP_SPIN_UNTIL,	/* spin, IF clear, until *(u32 *)a >= b */
	OP_STORM,	/* *(u32 *)a = b until STOP: r = how many writes */
	OP_DEADLINE,	/* IA32_TSC_DEADLINE = TSC now + b */
	OP_HALT,	/* cli; hlt (once) */
	OP_DELAY,	/* b pauses with interrupts on */
};

struct cmd {
	uint64_t op, a, b;
	uint64_t r, r2;		/* results */
	uint64_t fault;		/* 0x100 | vector of an exception it took, or 0 */
	uint64_t pad[2];
};

#define RD(addr)		{ .op = OP_READ32, .a = (addr) }
#define WR(addr, val)		{ .op = OP_WRITE32, .a = (addr), .b = (val) }
#define RDMSR(msr)		{ .op = OP_RDMSR, .a = (msr) }
#define WRMSR(msr, val)		{ .op = OP_WRMSR, .a = (msr), .b = (val) }
#define CPUID(leaf)		{ .op = OP_CPUID, .a = (leaf) }
#define HLT_UNTIL(addr, val)	{ .op = OP_HLT_UNTIL, .a = (addr), .b = (val) }
#define SPIN_UNTIL(addr, val)	{ .op = OP_SPIN_UNTIL, .a = (addr), .b = (val) }
#define STORM(addr, val)	{ .op = OP_STORM, .a = (addr), .b = (val) }
#define DEADLINE(cycles)	{ .op = OP_DEADLINE, .b = (cycles) }
#define HALT()			{ .op = OP_HALT }
#define DELAY(n)		{ .op = OP_DELAY, .b = (n) }

#define DONE		0x454e4f44	/* "DONE" */
#define AP_MARK		0x31504121	/* "!AP1": OUT by the real-mode code */

GUEST_BLOB(interp);
GUEST_BLOB(isr);
GUEST_BLOB(ap16);

asm(".pushsection .rodata\n"
    /*
     * The interpreter.  R15 is this CPU's page (nothing else touches
     * R15, so the handlers can rely on it); RBX walks the commands.
     * Before each command it points PC_RECOVER at the command's end, so
     * an exception (a #GP from an MSR, say) is recorded and skipped.
     */
    "interp_start:\n"
    "ip_top:\n"
    "	lea 0x800(%r15), %rbx\n"
    "ip_loop:\n"
    "	mov (%rbx), %eax\n"
    "	test %eax, %eax\n"
    "	jz ip_done\n"
    "	movl $0, 0x400(%r15)\n"
    "	lea ip_next(%rip), %rcx\n"
    "	mov %rcx, 0x418(%r15)\n"
    "	mov 8(%rbx), %rcx\n"
    "	mov 16(%rbx), %rsi\n"
    "	cmp $1, %eax\n	je ip_read\n"
    "	cmp $2, %eax\n	je ip_write\n"
    "	cmp $3, %eax\n	je ip_rdmsr\n"
    "	cmp $4, %eax\n	je ip_wrmsr\n"
    "	cmp $5, %eax\n	je ip_cpuid\n"
    "	cmp $6, %eax\n	je ip_hlt_until\n"
    "	cmp $7, %eax\n	je ip_spin_until\n"
    "	cmp $8, %eax\n	je ip_storm\n"
    "	cmp $9, %eax\n	je ip_deadline\n"
    "	cmp $10, %eax\n	je ip_halt\n"
    "	cmp $11, %eax\n	je ip_delay\n"
    "	ud2\n"
    "ip_read:\n"
    "	mov (%rcx), %eax\n"
    "	mov %rax, 24(%rbx)\n"
    "	jmp ip_next\n"
    "ip_write:\n"
    "	mov %esi, (%rcx)\n"
    "	jmp ip_next\n"
    "ip_rdmsr:\n"
    "	rdmsr\n"
    "	shl $32, %rdx\n"
    "	or %rdx, %rax\n"
    "	mov %rax, 24(%rbx)\n"
    "	jmp ip_next\n"
    "ip_wrmsr:\n"
    "	mov %esi, %eax\n"
    "	mov %rsi, %rdx\n"
    "	shr $32, %rdx\n"
    "	wrmsr\n"
    "	jmp ip_next\n"
    "ip_cpuid:\n"
    "	mov %ecx, %eax\n"
    "	mov %esi, %ecx\n"
    "	push %rbx\n"
    "	cpuid\n"
    "	mov %ebx, %edi\n"
    "	pop %rbx\n"
    "	mov %ecx, %ecx\n"
    "	shl $32, %rdx\n"
    "	or %rdx, %rcx\n"
    "	mov %rcx, 24(%rbx)\n"
    "	mov %eax, %eax\n"
    "	shl $32, %rdi\n"
    "	or %rdi, %rax\n"
    "	mov %rax, 32(%rbx)\n"
    "	jmp ip_next\n"
    /* Test with interrupts off, then sti; hlt (the sti shadow covers the
     * hlt), so a wakeup between the test and the hlt is not missed. */
    "ip_hlt_until:\n"
    "	cli\n"
    "	cmp %esi, (%rcx)\n"
    "	jae ip_next\n"
    "	sti\n"
    "	hlt\n"
    "	jmp ip_hlt_until\n"
    "ip_spin_until:\n"
    "	cmp %esi, (%rcx)\n"
    "	jae ip_next\n"
    "	pause\n"
    "	jmp ip_spin_until\n"
    "ip_storm:\n"
    "	xor %edi, %edi\n"
    "1:	mov %esi, (%rcx)\n"
    "	inc %rdi\n"
    "	cmpl $0, 0x9010\n"
    "	je 1b\n"
    "	mov %rdi, 24(%rbx)\n"
    "	jmp ip_next\n"
    "ip_deadline:\n"
    "	rdtsc\n"
    "	shl $32, %rdx\n"
    "	or %rdx, %rax\n"
    "	add %rsi, %rax\n"
    "	mov %rax, %rdx\n"
    "	shr $32, %rdx\n"
    "	mov $0x6e0, %ecx\n"
    "	wrmsr\n"
    "	jmp ip_next\n"
    "ip_halt:\n"
    "	cli\n"
    "	hlt\n"
    "	jmp ip_next\n"
    "ip_delay:\n"
    "	sti\n"
    "1:	pause\n"
    "	dec %rsi\n"
    "	jnz 1b\n"
    "	cli\n"
    "ip_next:\n"
    "	mov 0x400(%r15), %eax\n"
    "	mov %rax, 40(%rbx)\n"
    "	add $64, %rbx\n"
    "	jmp ip_loop\n"
    "ip_done:\n"
    "	mov $0x454e4f44, %eax\n"
    "	mov $0x3f8, %dx\n"
    "	out %eax, %dx\n"
    "	jmp ip_top\n"
    "interp_end:\n"

    /*
     * One 16-byte stub per vector pushes the vector and joins the common
     * part, which counts it in this CPU's page.  Interrupts (32 and up)
     * get an EOI, except the spurious vector, which must not.  NMIs
     * (vector 2) note whether one is already running, and wait while
     * PC_NMI_HOLD is set so that a test can send another meanwhile.
     * Other exceptions record themselves in PC_FAULT and return to
     * PC_RECOVER, dropping their error code if they pushed one.
     */
    "	.balign 16\n"
    "isr_start:\n"
    "	.set isr_v, 0\n"
    "	.rept 256\n"
    "	.balign 16\n"
    "	pushq $isr_v\n"
    "	jmp isr_common\n"
    "	.set isr_v, isr_v + 1\n"
    "	.endr\n"
    "isr_common:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	mov 16(%rsp), %rax\n"
    "	lock incl (%r15,%rax,4)\n"
    "	mov %eax, 0x404(%r15)\n"
    "	cmp $2, %eax\n"
    "	je isr_nmi\n"
    "	cmp $32, %eax\n"
    "	jb isr_exception\n"
    "	cmp $0xff, %eax\n"
    "	je 1f\n"
    "	mov $0xfee00000, %ecx\n"
    "	movl $0, 0xb0(%rcx)\n"
    "1:	pop %rcx\n"
    "	pop %rax\n"
    "	add $8, %rsp\n"
    "	iretq\n"
    "isr_nmi:\n"
    "	incl 0x408(%r15)\n"
    "	cmpl $1, 0x408(%r15)\n"
    "	je 1f\n"
    "	incl 0x40c(%r15)\n"
    "1:	cmpl $0, 0x410(%r15)\n"
    "	je 2f\n"
    "	pause\n"
    "	jmp 1b\n"
    "2:	decl 0x408(%r15)\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	add $8, %rsp\n"
    "	iretq\n"
    "isr_exception:\n"
    "	or $0x100, %eax\n"
    "	mov %eax, 0x400(%r15)\n"
    "	and $0xff, %eax\n"
    /* 8, 10-14, 17, 21, 29 and 30 push an error code */
    "	mov $0x60227d00, %ecx\n"
    "	bt %eax, %ecx\n"
    "	mov 0x418(%r15), %rcx\n"
    "	jnc 1f\n"
    "	mov %rcx, 32(%rsp)\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	add $16, %rsp\n"
    "	iretq\n"
    "1:	mov %rcx, 24(%rsp)\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	add $8, %rsp\n"
    "	iretq\n"
    "isr_end:\n"

    /*
     * What a started AP runs, in real mode at CS:IP = 0x0800:0000: count
     * the start, say so, spin until AP_GO and then halt with interrupts
     * off, for good (an AP sleeps there until INIT or NMI).
     */
    ".code16\n"
    "ap16_start:\n"
    "	xor %ax, %ax\n"
    "	mov %ax, %ds\n"
    "	lock incl 0x9000\n"
    "	mov $0x3f8, %dx\n"
    "	mov $0x31504121, %eax\n"
    "	out %eax, %dx\n"
    "1:	pause\n"
    "	cmpl $0, 0x9008\n"
    "	je 1b\n"
    "	cli\n"
    "2:	hlt\n"
    "	jmp 2b\n"
    "ap16_end:\n"
    ".code64\n"
    ".popsection\n");

/* ---- building and running a guest -------------------------------------- */

struct apic_guest {
	struct guest g;		/* g.fd is CPU 0, g.mem the RAM */
	unsigned int cpus;
	int fd[LGUEST_MAX_VCPUS];
	/* Each CPU's RUN in a thread of its own (vcpu_run.h) ... */
	struct vcpu_run v[LGUEST_MAX_VCPUS];
	/* ... and the commands it runs, to copy the results back. */
	struct cmd *cmds[LGUEST_MAX_VCPUS];
	unsigned int ncmds[LGUEST_MAX_VCPUS];
};

static void put64(struct guest *g, uint64_t gpa, uint64_t val)
{
	memcpy(g->mem + gpa, &val, sizeof(val));
}

static void load(struct guest *g, uint64_t gpa, struct guest_code code)
{
	memcpy(g->mem + gpa, code.start, code.end - code.start);
}

static void build_memory(struct guest *g)
{
	unsigned int v;
	uint64_t stub, lo;

	put64(g, PML4, PDPT | 3);
	put64(g, PDPT, PD_LOW | 3);
	put64(g, PDPT + 3 * 8, PD_HIGH | 3);
	put64(g, PD_LOW, 0x000000 | 0x83);
	put64(g, PD_LOW + 8, 0x200000 | 0x83);
	/* The APIC pages uncached (PCD PWT), as a kernel maps them. */
	put64(g, PD_HIGH + ((IOAPIC >> 21) & 511) * 8, IOAPIC | 0x9b);
	put64(g, PD_HIGH + ((APIC >> 21) & 511) * 8, APIC | 0x9b);

	put64(g, GDT + 8, 0x00209a0000000000ULL);	/* 0x08: 64-bit code */
	put64(g, GDT + 16, 0x00cf92000000ffffULL);	/* 0x10: data */

	load(g, INTERP, GUEST_CODE_OF(interp));
	load(g, ISR_STUBS, GUEST_CODE_OF(isr));
	load(g, SIPI_PAGE, GUEST_CODE_OF(ap16));
	for (v = 0; v < 256; v++) {
		stub = ISR_STUBS + 16 * v;
		lo = (stub & 0xffff) | (0x8ULL << 16) | (0x8eULL << 40) |
		     ((stub >> 16 & 0xffff) << 48);
		put64(g, IDT + 16 * v, lo);
		put64(g, IDT + 16 * v + 8, stub >> 32);
	}
}

static struct lguest_segment segment(uint16_t sel, uint16_t attrib,
				     uint64_t base, uint32_t limit)
{
	struct lguest_segment s = {
		.base = base, .limit = limit, .selector = sel, .attrib = attrib,
	};
	return s;
}

/* CPU n in long mode at the interpreter, interrupts off. */
static void cpu_regs(struct lguest_regs *r, unsigned int n)
{
	memset(r, 0, sizeof(*r));
	r->rip = INTERP;
	r->rsp = STACK(n);
	r->r15 = PERCPU(n);
	r->rflags = 0x2;
	r->cr0 = 0x80050033;
	r->cr3 = PML4;
	r->cr4 = 0x620;
	r->efer = 0x500;
	r->cs = segment(0x08, 0x29b, 0, 0xffffffff);
	r->ds = segment(0x10, 0xc93, 0, 0xffffffff);
	r->es = r->ds;
	r->ss = r->ds;
	r->fs = r->ds;
	r->gs = r->ds;
	r->tr = segment(0x18, 0x8b, TSS, 0x67);
	r->ldtr = segment(0, 0x82, 0, 0xffff);
	r->gdt.base = GDT;
	r->gdt.limit = 3 * 8 - 1;
	r->idt.base = IDT;
	r->idt.limit = 256 * 16 - 1;
}

/* Open /dev/lguest and INITIALIZE with these flags and cpus: fd or -1. */
static int open_guest(struct guest *g, uint32_t flags, uint32_t cpus)
{
	struct lguest_init init;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED) {
		g->mem = NULL;
		return -1;
	}
	g->fd = open("/dev/lguest", O_RDWR);
	if (g->fd < 0)
		return -1;
	init = (struct lguest_init){
		.mem_base = (uintptr_t)g->mem, .mem_size = GUEST_MEM,
		.flags = flags, .cpus = cpus,
	};
	return ioctl(g->fd, LHREQ_INITIALIZE, &init) ? -1 : g->fd;
}

/*
 * A guest of cpus CPUs (with local APICs if apic; then cpus goes to
 * INITIALIZE), each at the interpreter.  CPU 0 and CPUs 1 .. started - 1
 * get SETREGS; the others are left for INIT and SIPI.  False and a
 * "not ok" if something failed.
 */
static bool ag_new(struct apic_guest *a, bool apic, unsigned int cpus,
		   unsigned int started)
{
	struct lguest_regs r;
	unsigned int n;

	memset(a, 0, sizeof(*a));
	a->cpus = cpus;
	for (n = 0; n < LGUEST_MAX_VCPUS; n++) {
		a->fd[n] = -1;
		a->v[n].joined = true;
	}
	if (open_guest(&a->g, apic ? LGUEST_INIT_APIC : 0, apic ? cpus : 0) < 0) {
		tap_ok(false, "open and INITIALIZE a guest (%s%u CPUs): %s",
		       apic ? "LGUEST_INIT_APIC, " : "", cpus, strerror(errno));
		return false;
	}
	a->fd[0] = a->g.fd;
	build_memory(&a->g);
	for (n = 0; n < cpus; n++) {
		if (n) {
			a->fd[n] = ioctl(a->g.fd, LHREQ_CREATE_VCPU, n);
			if (a->fd[n] < 0) {
				tap_ok(false, "CREATE_VCPU %u: %s", n, strerror(errno));
				return false;
			}
		}
		if (n >= started)
			continue;
		cpu_regs(&r, n);
		if (ioctl(a->fd[n], LHREQ_SETREGS, &r)) {
			tap_ok(false, "SETREGS on CPU %u: %s", n, strerror(errno));
			return false;
		}
	}
	return true;
}

static void ag_destroy(struct apic_guest *a)
{
	unsigned int n;

	for (n = 0; n < LGUEST_MAX_VCPUS; n++)
		if (a->fd[n] >= 0)
			close(a->fd[n]);
	if (a->g.mem)
		munmap(a->g.mem, GUEST_MEM);
}

static uint32_t peek(struct apic_guest *a, uint64_t gpa)
{
	return __atomic_load_n((uint32_t *)(a->g.mem + gpa), __ATOMIC_ACQUIRE);
}

static void poke(struct apic_guest *a, uint64_t gpa, uint32_t val)
{
	__atomic_store_n((uint32_t *)(a->g.mem + gpa), val, __ATOMIC_RELEASE);
}

/* RUN CPU n in a new thread, with its run as the last exit left it. */
static bool run_start(struct apic_guest *a, unsigned int n)
{
	vcpu_run_catch_usr1();
	return vcpu_run_start(&a->v[n], a->fd[n]);
}

/* Wait up to secs for CPU n's RUN to return; true if it did. */
static bool run_wait(struct apic_guest *a, unsigned int n, double secs)
{
	return vcpu_run_wait(&a->v[n], secs);
}

static void run_stop(struct apic_guest *a, unsigned int n)
{
	vcpu_run_stop(&a->v[n]);
}

static void run_stop_all(struct apic_guest *a)
{
	unsigned int n;

	for (n = 0; n < LGUEST_MAX_VCPUS; n++)
		run_stop(a, n);
}

static void diag_exit(struct apic_guest *a, unsigned int n)
{
	char who[16];

	snprintf(who, sizeof(who), "CPU %u", n);
	vcpu_run_diag(who, &a->v[n]);
}

/* Give CPU n these commands (and an OP_END) and RUN it in its thread. */
static bool cpu_start(struct apic_guest *a, unsigned int n, struct cmd *c,
		      unsigned int count)
{
	struct cmd *list = (struct cmd *)(a->g.mem + PERCPU(n) + PC_CMDS);

	if (count >= MAX_CMDS)
		tap_bail_out("%u commands for CPU %u: at most %d", count, n,
			     MAX_CMDS - 1);
	memcpy(list, c, count * sizeof(*c));
	memset(&list[count], 0, sizeof(list[count]));
	a->cmds[n] = c;
	a->ncmds[n] = count;
	return run_start(a, n);
}

/*
 * Wait up to secs for CPU n to finish its commands (its RUN returns with
 * the interpreter's DONE) and copy their results back.  False, with a
 * "not ok - what" and where the CPU was, if it did not.
 */
static bool cpu_finish(struct apic_guest *a, unsigned int n, double secs,
		       const char *what)
{
	struct vcpu_run *v = &a->v[n];
	struct cmd *list = (struct cmd *)(a->g.mem + PERCPU(n) + PC_CMDS);

	if (!run_wait(a, n, secs)) {
		tap_diag("CPU %u still in RUN after %.0f s", n, secs);
		run_stop(a, n);
		diag_exit(a, n);
		tap_ok(false, "%s", what);
		return false;
	}
	if (!vcpu_run_exit_is_out(v, DONE)) {
		diag_exit(a, n);
		tap_ok(false, "%s", what);
		return false;
	}
	if (a->cmds[n])
		memcpy(a->cmds[n], list, a->ncmds[n] * sizeof(*list));
	return true;
}

/* Run CPU n through its commands, in a thread, with a time limit. */
static bool cpu_call(struct apic_guest *a, unsigned int n, struct cmd *c,
		     unsigned int count, const char *what)
{
	return cpu_start(a, n, c, count) && cpu_finish(a, n, 30, what);
}

#define CALL(a, n, c, what)	cpu_call(a, n, c, ARRAY_SIZE(c), what)
#define START(a, n, c)		cpu_start(a, n, c, ARRAY_SIZE(c))

static bool stats_of(int fd, struct lguest_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, LHREQ_GETSTATS, st) == 0;
}

static unsigned long long stat_of(int fd, enum lguest_stat which)
{
	struct lguest_stats st;

	return stats_of(fd, &st) ? st.count[which] : 0;
}

/* Wait up to secs for counter which of fd to reach at least want. */
static bool stat_reaches(int fd, enum lguest_stat which,
			 unsigned long long want, double secs)
{
	double end = guest_now() + secs;

	while (stat_of(fd, which) < want) {
		if (guest_now() > end)
			return false;
		usleep(2000);
	}
	return true;
}

/*
 * Start CPU n on its commands and wait (5 s at most) until it sleeps in
 * HLT, so that what comes next has to wake it.  An IPI sent before it
 * sleeps would still be taken, so this only makes the checks stricter.
 */
static bool start_asleep(struct apic_guest *a, unsigned int n, struct cmd *c,
			 unsigned int count)
{
	unsigned long long halts = stat_of(a->fd[n], LGUEST_STAT_HALTS);

	if (!cpu_start(a, n, c, count))
		return false;
	if (!stat_reaches(a->fd[n], LGUEST_STAT_HALTS, halts + 1, 5))
		tap_diag("CPU %u did not sleep in HLT within 5 s", n);
	return true;
}

#define START_ASLEEP(a, n, c)	start_asleep(a, n, c, ARRAY_SIZE(c))

/* Wait up to secs for the guest word at gpa to reach at least want. */
static bool word_reaches(struct apic_guest *a, uint64_t gpa, uint32_t want,
			 double secs)
{
	double end = guest_now() + secs;

	while (peek(a, gpa) < want) {
		if (guest_now() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* Sum of CPU n's counts for vectors from..to. */
static uint32_t counts(struct apic_guest *a, unsigned int n, unsigned int from,
		       unsigned int to)
{
	uint32_t sum = 0;

	for (; from <= to; from++)
		sum += peek(a, COUNT(n, from));
	return sum;
}

/* ---- basics ------------------------------------------------------------ */

/*
 * With APICs the CPUs are the N that INITIALIZE names, as the guest's
 * CPUID and MP table count them: CPU N would have the I/O APIC's ID.
 */
static void test_cpu_counts(void)
{
	struct guest g;
	int fd;

	if (open_guest(&g, LGUEST_INIT_APIC, 2) < 0) {
		tap_ok(false, "open and INITIALIZE a guest of 2 CPUs: %s",
		       strerror(errno));
		goto out;
	}
	TAP_ERRNO(ioctl(g.fd, LHREQ_CREATE_VCPU, 2), EINVAL,
		  "a guest of 2 CPUs with APICs: CREATE_VCPU 2 is EINVAL");
	fd = ioctl(g.fd, LHREQ_CREATE_VCPU, 1);
	tap_ok(fd >= 0, "... and CREATE_VCPU 1 gives a file (%d)", fd);
	if (fd >= 0)
		close(fd);
	guest_destroy(&g);

	/* A CPU made before INITIALIZE that the count leaves out. */
	memset(&g, 0, sizeof(g));
	g.fd = open("/dev/lguest", O_RDWR);
	fd = g.fd < 0 ? -1 : ioctl(g.fd, LHREQ_CREATE_VCPU, 3);
	if (fd < 0) {
		tap_ok(false, "CREATE_VCPU 3 before INITIALIZE: %s",
		       strerror(errno));
		goto out;
	}
	g.mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.mem == MAP_FAILED) {
		g.mem = NULL;
		tap_ok(false, "mmap: %s", strerror(errno));
	} else {
		struct lguest_init init = {
			.mem_base = (uintptr_t)g.mem, .mem_size = GUEST_MEM,
			.flags = LGUEST_INIT_APIC, .cpus = 2,
		};

		TAP_ERRNO(ioctl(g.fd, LHREQ_INITIALIZE, &init), EINVAL,
			  "CPU 3 made, then INITIALIZE with APICs for 2 CPUs: EINVAL");
	}
	close(fd);
out:
	guest_destroy(&g);
}

static void test_init_args(void)
{
	struct lguest_init init;
	struct guest g;
	void *mem;

	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		tap_ok(false, "mmap: %s", strerror(errno));
		return;
	}
	struct {
		uint32_t flags, cpus;
		const char *what;
	} bad[] = {
		{ LGUEST_INIT_APIC, 0, "LGUEST_INIT_APIC with 0 CPUs" },
		{ LGUEST_INIT_APIC, LGUEST_MAX_VCPUS + 1,
		  "LGUEST_INIT_APIC with LGUEST_MAX_VCPUS + 1 CPUs" },
		{ 0, 2, "cpus without LGUEST_INIT_APIC" },
		{ 1U << 31, 0, "an unknown flag" },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		g.fd = open("/dev/lguest", O_RDWR);
		if (g.fd < 0) {
			tap_ok(false, "open /dev/lguest: %s", strerror(errno));
			break;
		}
		init = (struct lguest_init){
			.mem_base = (uintptr_t)mem, .mem_size = GUEST_MEM,
			.flags = bad[i].flags, .cpus = bad[i].cpus,
		};
		TAP_ERRNO(ioctl(g.fd, LHREQ_INITIALIZE, &init), EINVAL,
			  "INITIALIZE refuses %s: EINVAL", bad[i].what);
		close(g.fd);
	}
	munmap(mem, GUEST_MEM);
	test_cpu_counts();
}

static void test_basics(void)
{
	struct apic_guest a;
	struct vcpu_run *v;
	uint64_t ecx_edx, base;
	uint32_t ebx;
	unsigned int n;

	test_init_args();

	if (!ag_new(&a, true, 2, 2))
		goto out;
	for (n = 0; n < 2; n++) {
		struct cmd c[] = {
			RD(APIC_ID), RD(APIC_VERSION), CPUID(1),
			RDMSR(MSR_APIC_BASE), RDMSR(MSR_TSC_DEADLINE),
		};
		char what[64];

		snprintf(what, sizeof(what), "CPU %u reads its APIC", n);
		if (!CALL(&a, n, c, what))
			goto out;
		tap_ok(c[0].r == (uint64_t)n << 24 && !c[0].fault,
		       "CPU %u: the APIC ID register reads %#llx (ID %u)", n,
		       (unsigned long long)c[0].r, n);
		/* An integrated APIC (0x1X), with at least the six LVT
		 * entries timer..error (max LVT index >= 5). */
		tap_ok((c[1].r & 0xf0) == 0x10 && ((c[1].r >> 16) & 0xff) >= 5,
		       "CPU %u: the version register says integrated APIC, >= 6 LVT entries (%#llx)",
		       n, (unsigned long long)c[1].r);
		ecx_edx = c[2].r;
		ebx = c[2].r2 >> 32;
		tap_ok((ecx_edx >> 32 & (1U << 9)) && (ecx_edx & (1U << 24)) &&
		       !(ecx_edx & (1U << 21)),
		       "CPU %u: CPUID 1 offers the APIC (EDX bit 9) and TSC-deadline (ECX bit 24), not x2APIC (ECX bit 21) (ecx %#x edx %#x)",
		       n, (uint32_t)ecx_edx, (uint32_t)(ecx_edx >> 32));
		tap_ok(ebx >> 24 == n && (ebx >> 16 & 0xff) == a.cpus,
		       "CPU %u: CPUID 1 EBX gives the initial APIC ID %u and %u logical CPUs (ebx %#x)",
		       n, n, a.cpus, ebx);
		base = n ? 0xfee00800 : 0xfee00900;
		tap_ok(c[3].r == base && !c[3].fault,
		       "CPU %u: IA32_APIC_BASE reads %#llx (enabled at 0xfee00000%s; got %#llx)",
		       n, (unsigned long long)base, n ? "" : ", BSP",
		       (unsigned long long)c[3].r);
		tap_ok(!c[4].fault && c[4].r == 0,
		       "CPU %u: IA32_TSC_DEADLINE reads 0, unarmed (%#llx, fault %#llx)",
		       n, (unsigned long long)c[4].r,
		       (unsigned long long)c[4].fault);
	}
	{
		struct cmd c[] = {
			WR(IOAPIC_SEL, 0), RD(IOAPIC_WIN),
			WR(IOAPIC_SEL, 1), RD(IOAPIC_WIN),
		};

		if (!CALL(&a, 0, c, "CPU 0 reads the I/O APIC"))
			goto out;
		tap_ok((c[1].r >> 24 & 0xf) == a.cpus,
		       "the I/O APIC's ID is the number of CPUs, %u (%#llx)",
		       a.cpus, (unsigned long long)c[1].r);
		tap_ok((c[3].r >> 16 & 0xff) == 23,
		       "the I/O APIC has 24 pins (version %#llx)",
		       (unsigned long long)c[3].r);
	}
	ag_destroy(&a);

	/* Without LGUEST_INIT_APIC there is no APIC to find. */
	if (!ag_new(&a, false, 1, 1))
		goto out;
	{
		struct cmd c[] = {
			CPUID(1), RDMSR(MSR_APIC_BASE),
			RDMSR(MSR_TSC_DEADLINE), RD(APIC_ID),
		};

		if (!cpu_start(&a, 0, c, ARRAY_SIZE(c)) || !run_wait(&a, 0, 30))
			goto out;
		v = &a.v[0];
		if (v->ret || v->run.exit_reason != LGUEST_EXIT_MMIO) {
			diag_exit(&a, 0);
			tap_ok(false, "without LGUEST_INIT_APIC, a read at 0xfee00020 exits to the launcher as MMIO");
			goto out;
		}
		tap_ok(v->run.mmio.addr == APIC_ID && v->run.mmio.len == 4 &&
		       !v->run.mmio.is_write,
		       "without LGUEST_INIT_APIC, a read at 0xfee00020 exits to the launcher as MMIO (%#llx, %u bytes, %s)",
		       (unsigned long long)v->run.mmio.addr, v->run.mmio.len,
		       v->run.mmio.is_write ? "write" : "read");
		memcpy(v->run.mmio.data, "\x78\x56\x34\x12", 4);
		if (!run_start(&a, 0) ||
		    !cpu_finish(&a, 0, 30, "the guest goes on after the MMIO read"))
			goto out;
		tap_ok(c[3].r == 0x12345678,
		       "... and the guest reads what the launcher answered (%#llx)",
		       (unsigned long long)c[3].r);
		ecx_edx = c[0].r;
		tap_ok(!(ecx_edx >> 32 & (1U << 9)) && !(ecx_edx & (1U << 24)),
		       "without LGUEST_INIT_APIC, CPUID 1 shows no APIC and no TSC-deadline (ecx %#x edx %#x)",
		       (uint32_t)ecx_edx, (uint32_t)(ecx_edx >> 32));
		tap_ok(c[1].fault == FAULT_GP,
		       "without LGUEST_INIT_APIC, RDMSR IA32_APIC_BASE is #GP (fault %#llx, value %#llx)",
		       (unsigned long long)c[1].fault, (unsigned long long)c[1].r);
		tap_ok(c[2].fault == FAULT_GP,
		       "without LGUEST_INIT_APIC, RDMSR IA32_TSC_DEADLINE is #GP (fault %#llx)",
		       (unsigned long long)c[2].fault);
	}
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/* ---- starting APs ------------------------------------------------------ */

/* Linux's wakeup_secondary_cpu_via_init(): INIT assert, de-assert, 2 SIPIs. */
#define INIT_SIPI(n)						\
	WR(APIC_ICR2, DEST(n)),					\
	WR(APIC_ICR, ICR_LEVEL | ICR_ASSERT | ICR_INIT),	\
	WR(APIC_ICR, ICR_LEVEL | ICR_INIT),			\
	WR(APIC_ICR, ICR_SIPI | SIPI_VECTOR),			\
	WR(APIC_ICR, ICR_SIPI | SIPI_VECTOR)

static void test_ap_start(void)
{
	struct lguest_regs r;
	struct apic_guest a;
	struct vcpu_run *v1 = &a.v[1], *v2 = &a.v[2];
	long pinned_before, pinned_after;
	bool in_run;

	pinned_before = pinned_now();
	if (!ag_new(&a, true, 3, 1))
		goto out;
	/* CPUs 1 and 2 had no SETREGS: their RUNs wait for a SIPI. */
	if (!run_start(&a, 1) || !run_start(&a, 2))
		goto out;
	in_run = stat_reaches(a.fd[1], LGUEST_STAT_RUNS, 1, 10) &&
		 stat_reaches(a.fd[2], LGUEST_STAT_RUNS, 1, 10);
	usleep(300000);
	tap_ok(in_run && !vcpu_run_done(v1) && !vcpu_run_done(v2) && !peek(&a, AP_COUNT),
	       "with APICs, RUN on a CPU never started sleeps (CPUs 1 and 2 still in RUN after 0.3 s)");
	if (vcpu_run_done(v1) || vcpu_run_done(v2)) {
		diag_exit(&a, 1);
		diag_exit(&a, 2);
		goto out;
	}

	{
		struct cmd c[] = { WR(APIC_SVR, SVR_ON), INIT_SIPI(1) };

		if (!CALL(&a, 0, c, "CPU 0 sends INIT and SIPI to CPU 1"))
			goto out;
	}
	if (!run_wait(&a, 1, 20) || !vcpu_run_exit_is_out(v1, AP_MARK)) {
		diag_exit(&a, 1);
		tap_ok(false, "INIT + SIPI from CPU 0 start CPU 1: its RUN returns with its real-mode OUT");
		goto out;
	}
	tap_ok(true, "INIT + SIPI from CPU 0 start CPU 1: its RUN returns with its real-mode OUT");
	if (ioctl(a.fd[1], LHREQ_GETREGS, &r) == 0)
		tap_ok(r.cs.selector == SIPI_VECTOR << 8 &&
		       r.cs.base == SIPI_PAGE && !(r.cr0 & 1) &&
		       r.rip < 0x100,
		       "CPU 1 runs in real mode at CS %#x (base %#llx), the page the SIPI vector named (cs %#x base %#llx cr0 %#llx ip %#llx)",
		       (unsigned int)(SIPI_VECTOR << 8),
		       (unsigned long long)SIPI_PAGE, r.cs.selector,
		       (unsigned long long)r.cs.base,
		       (unsigned long long)r.cr0, (unsigned long long)r.rip);
	else
		tap_ok(false, "GETREGS on CPU 1: %s", strerror(errno));
	tap_ok(peek(&a, AP_COUNT) == 1,
	       "CPU 1 started once, though Linux's sequence sends two SIPIs (count %u)",
	       peek(&a, AP_COUNT));
	tap_ok(!vcpu_run_done(v2),
	       "CPU 2, not addressed, still sleeps in RUN");

	/* CPU 1 now spins in real mode: a SIPI must not move it. */
	if (!run_start(&a, 1))
		goto out;
	usleep(100000);
	{
		struct cmd c[] = { WR(APIC_ICR, ICR_SIPI | SIPI_VECTOR) };

		if (!CALL(&a, 0, c, "CPU 0 sends a SIPI to the running CPU 1"))
			goto out;
	}
	usleep(300000);
	tap_ok(!vcpu_run_done(v1) && peek(&a, AP_COUNT) == 1,
	       "a SIPI to a running CPU is ignored: it does not restart (count %u, CPU 1 %s)",
	       peek(&a, AP_COUNT), vcpu_run_done(v1) ? "left RUN" : "still in RUN");
	if (vcpu_run_done(v1)) {
		diag_exit(&a, 1);
		goto out;
	}

	/* Let it halt with interrupts off: it sleeps in RUN, no EXIT_HALT. */
	poke(&a, AP_GO, 1);
	if (!stat_reaches(a.fd[1], LGUEST_STAT_HALTS, 1, 10))
		tap_diag("CPU 1 counted no halt that slept");
	usleep(200000);
	tap_ok(!vcpu_run_done(v1) && stat_of(a.fd[1], LGUEST_STAT_HALTS) >= 1,
	       "an AP halted with interrupts off sleeps in RUN (no LGUEST_EXIT_HALT; halts %llu)",
	       stat_of(a.fd[1], LGUEST_STAT_HALTS));
	if (vcpu_run_done(v1)) {
		diag_exit(&a, 1);
		goto out;
	}
	{
		struct cmd c[] = { WR(APIC_ICR, ICR_SIPI | SIPI_VECTOR) };

		if (!CALL(&a, 0, c, "CPU 0 sends a SIPI alone to the halted CPU 1"))
			goto out;
	}
	usleep(300000);
	tap_ok(!vcpu_run_done(v1) && peek(&a, AP_COUNT) == 1,
	       "a SIPI without INIT to a halted AP is ignored (count %u)",
	       peek(&a, AP_COUNT));
	{
		struct cmd c[] = { INIT_SIPI(1) };

		if (!CALL(&a, 0, c, "CPU 0 sends INIT and SIPI to the halted CPU 1"))
			goto out;
	}
	tap_ok(run_wait(&a, 1, 20) && vcpu_run_exit_is_out(v1, AP_MARK) &&
	       peek(&a, AP_COUNT) == 2,
	       "INIT + SIPI restart the halted AP in real mode (count %u)",
	       peek(&a, AP_COUNT));
	if (!vcpu_run_done(v1) || !vcpu_run_exit_is_out(v1, AP_MARK))
		diag_exit(&a, 1);
	run_stop(&a, 1);

	/* CPU 2 was never started: only a signal brings its RUN back. */
	tap_ok(!vcpu_run_done(v2), "CPU 2, never started, sleeps in RUN all along");
	run_stop(&a, 2);
	tap_ok(v2->ret == -1 && v2->err == EINTR,
	       "a signal to CPU 2's thread ends its RUN with EINTR (%d, %s)",
	       v2->ret, strerror(v2->err));
	/* Again, and close every other file under it. */
	if (!run_start(&a, 2))
		goto out;
	if (!stat_reaches(a.fd[2], LGUEST_STAT_RUNS, 2, 10))
		tap_diag("CPU 2's second RUN was not counted");
	close(a.fd[0]);
	close(a.fd[1]);
	a.fd[0] = a.fd[1] = -1;
	usleep(300000);
	tap_ok(!vcpu_run_done(v2),
	       "with the guest's and CPU 1's files closed, CPU 2's file keeps the guest: its RUN sleeps on");
	run_stop(&a, 2);
	tap_ok(v2->ret == -1 && v2->err == EINTR,
	       "and a signal still ends it with EINTR (%d, %s)", v2->ret,
	       strerror(v2->err));
	close(a.fd[2]);
	a.fd[2] = -1;
	pinned_after = pinned_now();
	tap_ok(pinned_after == pinned_before,
	       "closing CPU 2's file, the last, frees the guest: no page stays pinned (%ld before, %ld after)",
	       pinned_before, pinned_after);
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/*
 * A process that exits while a CPU never started sleeps in RUN in another
 * thread: the exit ends that RUN and frees the guest.
 */
static void test_exit_sleeping(void)
{
	long pinned_before, pinned_after;
	int status = -1;
	double end;
	pid_t pid;

	pinned_before = pinned_now();
	pid = fork();
	if (pid == 0) {
		struct apic_guest a;

		if (!ag_new(&a, true, 2, 1) || !run_start(&a, 1))
			_exit(2);
		if (!stat_reaches(a.fd[1], LGUEST_STAT_RUNS, 1, 10))
			_exit(3);
		usleep(100000);
		_exit(vcpu_run_done(&a.v[1]) ? 4 : 0);
	}
	if (pid < 0) {
		tap_ok(false, "fork: %s", strerror(errno));
		return;
	}
	end = guest_now() + 20;
	while (waitpid(pid, &status, WNOHANG) == 0 && guest_now() < end)
		usleep(10000);
	if (guest_now() >= end) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		tap_ok(false, "a process exits with a CPU asleep in RUN in another thread (stuck 20 s)");
		return;
	}
	pinned_after = pinned_now();
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	       pinned_after == pinned_before,
	       "a process exits with a never-started CPU asleep in RUN: it exits (status %#x) and frees the guest (pinned %ld before, %ld after)",
	       status, pinned_before, pinned_after);
}

static void test_ap(void)
{
	test_ap_start();
	test_exit_sleeping();
}

/* ---- IPIs -------------------------------------------------------------- */

static void test_ipi(void)
{
	struct apic_guest a;
	unsigned long long ipis0, ipis;

	if (!ag_new(&a, true, 3, 3))
		goto out;
	{
		struct cmd c1[] = { WR(APIC_SVR, SVR_ON), HLT_UNTIL(COUNT(1, 0x40), 1) };
		struct cmd c2[] = { WR(APIC_SVR, SVR_ON), HLT_UNTIL(COUNT(2, 0x42), 1) };

		if (!START_ASLEEP(&a, 1, c1) || !START_ASLEEP(&a, 2, c2))
			goto out;
	}
	ipis0 = stat_of(a.fd[0], LGUEST_STAT_IPIS);

	{
		struct cmd c[] = {
			WR(APIC_SVR, SVR_ON), WR(APIC_ICR2, DEST(1)),
			WR(APIC_ICR, 0x40), RD(APIC_ICR),
		};

		if (!CALL(&a, 0, c, "CPU 0 sends a fixed IPI to CPU 1"))
			goto out;
		tap_ok(c[3].r == 0x40,
		       "the ICR reads back what was sent, delivery status idle (%#llx)",
		       (unsigned long long)c[3].r);
	}
	if (cpu_finish(&a, 1, 20, "a fixed IPI from CPU 0 wakes CPU 1"))
		tap_ok(peek(&a, COUNT(1, 0x40)) == 1 &&
		       peek(&a, COUNT(0, 0x40)) == 0 &&
		       peek(&a, COUNT(2, 0x40)) == 0,
		       "a fixed IPI from CPU 0 runs CPU 1's handler for its vector, once, and no one else's (counts %u %u %u)",
		       peek(&a, COUNT(0, 0x40)), peek(&a, COUNT(1, 0x40)),
		       peek(&a, COUNT(2, 0x40)));
	tap_ok(!vcpu_run_done(&a.v[2]), "CPU 2 sleeps on");

	{
		struct cmd c[] = {
			WR(APIC_ICR, ICR_SELF | 0x41),
			HLT_UNTIL(COUNT(0, 0x41), 1),
		};

		if (CALL(&a, 0, c, "CPU 0 sends itself an IPI and takes it"))
			tap_ok(peek(&a, COUNT(0, 0x41)) == 1 &&
			       peek(&a, COUNT(1, 0x41)) == 0 &&
			       peek(&a, COUNT(2, 0x41)) == 0,
			       "a self IPI (shorthand 01) interrupts the sender alone, once (counts %u %u %u)",
			       peek(&a, COUNT(0, 0x41)), peek(&a, COUNT(1, 0x41)),
			       peek(&a, COUNT(2, 0x41)));
	}

	{
		struct cmd c1[] = { HLT_UNTIL(COUNT(1, 0x42), 1) };
		struct cmd c[] = { WR(APIC_ICR, ICR_OTHERS | 0x42) };

		if (!START_ASLEEP(&a, 1, c1))
			goto out;
		if (!CALL(&a, 0, c, "CPU 0 sends an IPI to all excluding self"))
			goto out;
		if (cpu_finish(&a, 1, 20, "all-excluding-self reaches CPU 1") &&
		    cpu_finish(&a, 2, 20, "all-excluding-self reaches CPU 2"))
			tap_ok(peek(&a, COUNT(1, 0x42)) == 1 &&
			       peek(&a, COUNT(2, 0x42)) == 1 &&
			       peek(&a, COUNT(0, 0x42)) == 0,
			       "an all-excluding-self IPI (shorthand 11) interrupts CPUs 1 and 2 once each, not CPU 0 (counts %u %u %u)",
			       peek(&a, COUNT(0, 0x42)), peek(&a, COUNT(1, 0x42)),
			       peek(&a, COUNT(2, 0x42)));
	}

	/* Flat logical mode, Linux's choice for up to 8 CPUs on xAPIC. */
	{
		struct cmd c1[] = {
			WR(APIC_DFR, 0xffffffff), WR(APIC_LDR, 0x02000000),
			HLT_UNTIL(COUNT(1, 0x43), 1),
		};
		struct cmd c2[] = {
			WR(APIC_DFR, 0xffffffff), WR(APIC_LDR, 0x04000000),
			HLT_UNTIL(COUNT(2, 0x43), 1),
		};
		struct cmd c[] = {
			WR(APIC_ICR2, 0x04000000),
			WR(APIC_ICR, ICR_LOGICAL | 0x43),
		};
		struct cmd c_again[] = {
			WR(APIC_ICR2, 0x02000000),
			WR(APIC_ICR, ICR_LOGICAL | 0x43),
		};

		if (!START_ASLEEP(&a, 1, c1) || !START_ASLEEP(&a, 2, c2))
			goto out;
		if (!CALL(&a, 0, c, "CPU 0 sends to logical destination 0x04"))
			goto out;
		if (cpu_finish(&a, 2, 20, "logical destination 0x04 reaches CPU 2")) {
			usleep(200000);
			tap_ok(!vcpu_run_done(&a.v[1]) && peek(&a, COUNT(1, 0x43)) == 0 &&
			       peek(&a, COUNT(2, 0x43)) == 1,
			       "a logical (flat) IPI to 0x04 interrupts the CPU whose LDR is 0x04, not the one with 0x02");
		}
		if (!CALL(&a, 0, c_again, "CPU 0 sends to logical destination 0x02"))
			goto out;
		if (cpu_finish(&a, 1, 20, "logical destination 0x02 reaches CPU 1"))
			tap_ok(peek(&a, COUNT(1, 0x43)) == 1,
			       "... and one to 0x02 the CPU with 0x02");
	}

	/* CPU 1 is outside RUN now: the IPI waits in its APIC. */
	{
		struct cmd c[] = { WR(APIC_ICR2, DEST(1)), WR(APIC_ICR, 0x44) };
		struct cmd c1[] = { HLT_UNTIL(COUNT(1, 0x44), 1) };

		if (!CALL(&a, 0, c, "CPU 0 sends an IPI to CPU 1, which is outside RUN"))
			goto out;
		usleep(100000);
		if (CALL(&a, 1, c1, "CPU 1 runs again"))
			tap_ok(peek(&a, COUNT(1, 0x44)) == 1,
			       "an IPI sent while its target was outside RUN is taken when it runs again");
	}
	ipis = stat_of(a.fd[0], LGUEST_STAT_IPIS) - ipis0;
	tap_ok(ipis == 7,
	       "LGUEST_STAT_IPIS counts each IPI's targets: 1 + 1 (self) + 2 + 1 + 1 + 1 = 7 (%llu)",
	       ipis);
	tap_diag("APIC accesses: %llu",
		 stat_of(a.fd[0], LGUEST_STAT_EXIT_APIC));
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/* ---- ICR garbage ------------------------------------------------------- */

static void test_icr(void)
{
	struct cmd bad[40];
	unsigned int nbad = 0, v;
	unsigned long long ipis0, ipis;
	struct apic_guest a;
	uint32_t sent_esr, clear_esr;

	if (!ag_new(&a, true, 2, 2))
		goto out;
	{
		struct cmd c1[] = { WR(APIC_SVR, SVR_ON), HLT_UNTIL(COUNT(1, 0x40), 1) };

		if (!START_ASLEEP(&a, 1, c1))
			goto out;
	}
	ipis0 = stat_of(a.fd[0], LGUEST_STAT_IPIS);

	/*
	 * From CPU 0 to CPU 1: fixed IPIs with each vector 0-15, lowest
	 * priority and all-excluding-self with an illegal vector, an SMI,
	 * the reserved delivery mode 3, an INIT de-assert, and a good IPI to
	 * an APIC ID no CPU has.  None may reach CPU 1.
	 */
	bad[nbad++] = (struct cmd)WR(APIC_SVR, SVR_ON);
	bad[nbad++] = (struct cmd)WR(APIC_ESR, 0);
	bad[nbad++] = (struct cmd)WR(APIC_ICR2, DEST(1));
	for (v = 0; v < 16; v++)
		bad[nbad++] = (struct cmd)WR(APIC_ICR, v);
	bad[nbad++] = (struct cmd)WR(APIC_ICR, 0x100 | 5);	/* lowest priority */
	bad[nbad++] = (struct cmd)WR(APIC_ICR, ICR_OTHERS | 7);
	bad[nbad++] = (struct cmd)WR(APIC_ESR, 0);
	bad[nbad++] = (struct cmd)RD(APIC_ESR);
	sent_esr = nbad - 1;
	bad[nbad++] = (struct cmd)WR(APIC_ESR, 0);
	bad[nbad++] = (struct cmd)RD(APIC_ESR);
	clear_esr = nbad - 1;
	bad[nbad++] = (struct cmd)WR(APIC_ICR, 0x200 | 0x40);	/* SMI */
	bad[nbad++] = (struct cmd)WR(APIC_ICR, 0x300 | 0x40);	/* reserved */
	bad[nbad++] = (struct cmd)WR(APIC_ICR, ICR_LEVEL | ICR_INIT);
	bad[nbad++] = (struct cmd)WR(APIC_ICR2, DEST(5));	/* no such CPU */
	bad[nbad++] = (struct cmd)WR(APIC_ICR, 0x40);
	if (!cpu_call(&a, 0, bad, nbad, "CPU 0 writes garbage to its ICR"))
		goto out;
	tap_ok(bad[sent_esr].r & ESR_SEND_ILLEGAL,
	       "IPIs with vectors 0-15 set the sender's ESR \"send illegal vector\" bit (ESR %#llx)",
	       (unsigned long long)bad[sent_esr].r);
	tap_ok(bad[clear_esr].r == 0,
	       "... which the next ESR write clears (ESR %#llx)",
	       (unsigned long long)bad[clear_esr].r);
	usleep(300000);
	tap_ok(!vcpu_run_done(&a.v[1]) && counts(&a, 1, 0, 255) == 0,
	       "none of them reaches CPU 1: it sleeps on, having taken nothing (%u interrupts and exceptions)",
	       counts(&a, 1, 0, 255));
	if (vcpu_run_done(&a.v[1]))
		diag_exit(&a, 1);
	ipis = stat_of(a.fd[0], LGUEST_STAT_IPIS) - ipis0;
	tap_ok(ipis == 0, "and LGUEST_STAT_IPIS counts none of them (%llu)", ipis);

	/* Reserved bits in ICR and ICR2 are dropped; the rest is an IPI. */
	{
		struct cmd c[] = {
			WR(APIC_ICR2, 0x01ffffff), RD(APIC_ICR2),
			WR(APIC_ICR, 0xfff33040), RD(APIC_ICR),
		};

		if (!CALL(&a, 0, c, "CPU 0 sets reserved bits in the ICR"))
			goto out;
		tap_ok(c[1].r == 0x01000000 && c[3].r == 0x40,
		       "reserved ICR and ICR2 bits read back 0 (ICR2 %#llx, ICR %#llx)",
		       (unsigned long long)c[1].r, (unsigned long long)c[3].r);
	}
	if (cpu_finish(&a, 1, 20, "the IPI under the reserved bits reaches CPU 1"))
		tap_ok(peek(&a, COUNT(1, 0x40)) == 1 && counts(&a, 1, 0, 255) == 1,
		       "the IPI under the reserved bits reaches CPU 1, once, and nothing else did (%u)",
		       counts(&a, 1, 0, 255));
	{
		struct cmd c[] = { WR(APIC_ESR, 0), RD(APIC_ESR) };

		if (CALL(&a, 1, c, "CPU 1 reads its ESR"))
			tap_ok(c[1].r == 0,
			       "the receiver's ESR shows no error: the illegal vectors never left CPU 0 (%#llx)",
			       (unsigned long long)c[1].r);
	}
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/* ---- LVT garbage ------------------------------------------------------- */

static void test_lvt(void)
{
	static const uint64_t lvts[] = {
		APIC_LVT_CMCI, APIC + 0x320, APIC + 0x330, APIC + 0x340,
		APIC + 0x350, APIC + 0x360, APIC + 0x370,
	};
	struct cmd c[2 * ARRAY_SIZE(lvts) + 4];
	unsigned long long t0, t1;
	unsigned int n = 0, i, bad = 0;
	struct apic_guest a;
	uint32_t esr;

	if (!ag_new(&a, true, 2, 2))
		goto out;
	c[n++] = (struct cmd)WR(APIC_SVR, SVR_ON);
	for (i = 0; i < ARRAY_SIZE(lvts); i++)
		c[n++] = (struct cmd)WR(lvts[i], 0xffffffff);
	for (i = 0; i < ARRAY_SIZE(lvts); i++)
		c[n++] = (struct cmd)RD(lvts[i]);
	c[n++] = (struct cmd)WR(APIC_TDCR, 0xffffffff);
	c[n++] = (struct cmd)RD(APIC_TDCR);
	c[n++] = (struct cmd)DELAY(100000);
	/* CPU 1: not the BSP, so no LINT0 virtual wire in its way. */
	if (!cpu_call(&a, 1, c, n, "CPU 1 writes all-ones to every LVT entry"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(lvts); i++) {
		uint64_t got = c[1 + ARRAY_SIZE(lvts) + i].r;

		/* Bits 31:19 are reserved, 12 (delivery status) reads idle. */
		if ((got & 0xfff81000) || !(got & LVT_MASKED)) {
			tap_diag("LVT at %#llx reads %#llx",
				 (unsigned long long)lvts[i],
				 (unsigned long long)got);
			bad++;
		}
	}
	tap_ok(!bad,
	       "all-ones in every LVT entry: reserved bits and delivery status read 0, the mask bit 1 (%u wrong)",
	       bad);
	tap_ok((c[n - 2].r & ~0xbULL) == 0,
	       "all-ones in the divide configuration: only bits 0, 1 and 3 stick (%#llx)",
	       (unsigned long long)c[n - 2].r);
	tap_ok(counts(&a, 1, 0, 255) == 0,
	       "and nothing interrupted the CPU meanwhile (%u)",
	       counts(&a, 1, 0, 255));

	/*
	 * A periodic timer on vector 15, which no APIC may deliver: each
	 * expiry is a receive error instead, and with the error LVT on a
	 * good vector, an error interrupt.
	 */
	{
		struct cmd t[] = {
			WR(APIC_LVT_ERROR, 0x51),
			WR(APIC_TDCR, 0xb),
			WR(APIC_LVT_TIMER, LVT_PERIODIC | 15),
			WR(APIC_TMICT, 1),
			HLT_UNTIL(COUNT(1, 0x51), 20),
			WR(APIC_TMICT, 0),
			WR(APIC_ESR, 0), RD(APIC_ESR),
		};

		t0 = stat_of(a.fd[0], LGUEST_STAT_APIC_TIMER);
		if (!CALL(&a, 1, t, "a periodic timer on vector 15 raises error interrupts"))
			goto out;
		t1 = stat_of(a.fd[0], LGUEST_STAT_APIC_TIMER);
		esr = t[7].r;
		tap_ok(peek(&a, COUNT(1, 15)) == 0 && peek(&a, COUNT(1, 0x51)) >= 20,
		       "a periodic timer on vector 15 never delivers vector 15; its expiries come as error interrupts (vector 15: %u, error vector: %u)",
		       peek(&a, COUNT(1, 15)), peek(&a, COUNT(1, 0x51)));
		tap_ok(esr & ESR_RECV_ILLEGAL,
		       "... and the ESR says \"receive illegal vector\" (%#x)", esr);
		tap_diag("APIC timer expiries meanwhile: %llu", t1 - t0);
	}
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/* ---- IPI storm --------------------------------------------------------- */

/* A host thread sleeping 1 ms at a time: how late it wakes at worst. */
struct latency {
	pthread_t thread;
	int stop;
	double worst;
	long wakeups;
};

static void *latency_thread(void *p)
{
	struct latency *l = p;
	struct timespec ms = { 0, 1000000 };
	double t, late;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		t = guest_now();
		nanosleep(&ms, NULL);
		late = guest_now() - t - 0.001;
		if (late > l->worst)
			l->worst = late;
		l->wakeups++;
	}
	return NULL;
}

static void *hog_thread(void *p)
{
	while (!__atomic_load_n((int *)p, __ATOMIC_ACQUIRE))
		;
	return NULL;
}

static bool latency_start(struct latency *l)
{
	memset(l, 0, sizeof(*l));
	return pthread_create(&l->thread, NULL, latency_thread, l) == 0;
}

static void latency_stop(struct latency *l)
{
	__atomic_store_n(&l->stop, 1, __ATOMIC_RELEASE);
	pthread_join(l->thread, NULL);
}

/*
 * How late a 1 ms sleep may wake while the guest storms: a storm that
 * kept lg.ko from rescheduling would show as its whole length, seconds.
 * Under TCG on a loaded machine the test VM itself stalls for tens of
 * milliseconds now and then (150 ms seen), hence the margin.
 */
#define WORST_WAKEUP	0.5

/*
 * CPU 0 writes icr, an IPI to CPU 1, into its ICR as fast as it can for
 * secs while CPU 1 waits in HLT for STOP; then one more IPI (vector
 * 0x50), since a CPU asleep in HLT does not see STOP change.  Every
 * thread on one host CPU, so that the guest's two CPUs and the latency
 * thread compete for it.
 */
static void storm(struct apic_guest *a, uint32_t icr, double secs,
		  const char *kind)
{
	struct lguest_stats s0, s1, t0, t1;
	struct cmd c1[] = { WR(APIC_SVR, SVR_ON), HLT_UNTIL(STOP, 1) };
	struct cmd c0[] = {
		WR(APIC_ICR2, DEST(1)), STORM(APIC_ICR, icr), WR(APIC_ICR, 0x50),
	};
	struct latency lat;
	unsigned long long ipis, nmis, writes, took, exits;
	double t, stopped;
	bool ok0, ok1;

	poke(a, STOP, 0);
	if (!START_ASLEEP(a, 1, c1))
		return;
	stats_of(a->fd[0], &s0);
	stats_of(a->fd[1], &t0);
	if (!latency_start(&lat)) {
		tap_ok(false, "start the latency thread");
		return;
	}
	t = guest_now();
	if (!START(a, 0, c0)) {
		latency_stop(&lat);
		return;
	}
	usleep(secs * 1e6);
	poke(a, STOP, 1);
	stopped = guest_now();
	ok0 = cpu_finish(a, 0, 30, "CPU 0 ends its storm when told");
	ok1 = cpu_finish(a, 1, 30, "CPU 1 goes on through the storm and sees STOP");
	stopped = guest_now() - stopped;
	t = guest_now() - t;
	latency_stop(&lat);
	if (!ok0 || !ok1)
		return;
	stats_of(a->fd[0], &s1);
	stats_of(a->fd[1], &t1);
	writes = c0[1].r;
	ipis = s1.count[LGUEST_STAT_IPIS] - s0.count[LGUEST_STAT_IPIS];
	nmis = t1.count[LGUEST_STAT_NMIS_INJECTED] -
	       t0.count[LGUEST_STAT_NMIS_INJECTED];
	exits = s1.count[LGUEST_STAT_EXIT_APIC] - s0.count[LGUEST_STAT_EXIT_APIC];
	took = (icr & 0x700) == ICR_NMI ? peek(a, COUNT(1, 2)) :
	       peek(a, COUNT(1, icr & 0xff));
	tap_diag("%s storm: %llu ICR writes in %.2f s, %llu IPIs counted, CPU 1 took %llu (%llu NMIs injected), APIC exits %llu; the latency thread woke %ld times, worst %.1f ms late; both CPUs back %.2f s after STOP",
		 kind, writes, t, ipis, took, nmis, exits, lat.wakeups, lat.worst * 1e3, stopped);
	tap_ok(writes > 0 && ipis == writes + 1,
	       "%s storm: every ICR write sent one IPI, and LGUEST_STAT_IPIS counts them (%llu writes and the wakeup, %llu IPIs)",
	       kind, writes, ipis);
	tap_ok(took >= 1 && took <= writes,
	       "%s storm: CPU 1 took between 1 and as many as were sent (%llu of %llu), and still runs",
	       kind, took, writes);
	if ((icr & 0x700) == ICR_NMI)
		tap_ok(took == nmis,
		       "%s storm: each NMI lg.ko injected ran CPU 1's handler once (%llu injected, %llu handled)",
		       kind, nmis, took);
	tap_ok(lat.wakeups > 0 && lat.worst < WORST_WAKEUP,
	       "%s storm: a host thread on the same CPU still wakes from a 1 ms sleep at most %.0f ms late (worst %.1f ms, %ld wakeups)",
	       kind, WORST_WAKEUP * 1e3, lat.worst * 1e3, lat.wakeups);
	tap_ok(stopped < 10,
	       "%s storm: both CPUs answer within 10 s of being told to stop (%.2f s)",
	       kind, stopped);
}

static void test_storm(void)
{
	struct latency idle;
	struct apic_guest a;
	cpu_set_t one;

	/* Everything from here on (the RUN threads too) on one CPU. */
	CPU_ZERO(&one);
	if (sched_getaffinity(0, sizeof(one), &one) == 0) {
		int first = 0;

		while (first < CPU_SETSIZE && !CPU_ISSET(first, &one))
			first++;
		CPU_ZERO(&one);
		CPU_SET(first, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			tap_diag("sched_setaffinity: %s", strerror(errno));
	}
	/* For comparison: the same with two plain CPU hogs instead. */
	if (latency_start(&idle)) {
		pthread_t hog[2];
		int stop = 0, i, made = 0;

		for (i = 0; i < 2; i++)
			made += pthread_create(&hog[i], NULL, hog_thread, &stop) == 0;
		usleep(1000000);
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		for (i = 0; i < made; i++)
			pthread_join(hog[i], NULL);
		latency_stop(&idle);
		tap_diag("with %d busy threads instead of a guest, a 1 ms sleep woke at worst %.1f ms late (%ld wakeups)",
			 made, idle.worst * 1e3, idle.wakeups);
	}
	if (!ag_new(&a, true, 2, 2))
		goto out;
	storm(&a, 0x40, 2.0, "fixed IPI");
	storm(&a, ICR_NMI, 1.0, "NMI");
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/* ---- INIT to the boot CPU ---------------------------------------------- */

/*
 * CPU 1 sends INIT to CPU 0, which sleeps in HLT, and spins on: the reset
 * comes out of CPU 0's RUN loop a little later, and must kick CPU 1 out
 * of the guest too.  (Had CPU 1 left RUN meanwhile, its next RUN would
 * return the reset: the ABI's "every CPU" either way.)
 */
static void test_init_bsp(void)
{
	struct cmd c0[] = { WR(APIC_SVR, SVR_ON), HLT_UNTIL(STOP, 1) };
	struct cmd c1[] = {
		WR(APIC_ICR2, DEST(0)), WR(APIC_ICR, ICR_ASSERT | ICR_INIT),
		SPIN_UNTIL(STOP, 1),
	};
	struct lguest_run run = { 0 };
	struct vcpu_run *v0, *v1;
	struct apic_guest a;
	struct lguest_regs r;
	bool ok0, ok1;

	if (!ag_new(&a, true, 2, 2))
		goto out;
	v0 = &a.v[0];
	v1 = &a.v[1];
	if (!START_ASLEEP(&a, 0, c0) || !START(&a, 1, c1))
		goto out;
	ok1 = run_wait(&a, 1, 20);
	ok0 = run_wait(&a, 0, 20);
	if (!ok0 || !ok1)
		run_stop_all(&a);
	v0->run.reason[sizeof(v0->run.reason) - 1] = '\0';
	v1->run.reason[sizeof(v1->run.reason) - 1] = '\0';
	tap_diag("CPU 0: %s", v0->run.reason);
	tap_diag("CPU 1: %s", v1->run.reason);
	tap_ok(ok1 && v1->ret == 0 && v1->run.exit_reason == LGUEST_EXIT_RESET &&
	       strstr(v1->run.reason, "INIT"),
	       "CPU 1 sends INIT to CPU 0, the boot CPU, and spins on: CPU 1's RUN returns LGUEST_EXIT_RESET, with a reason that says INIT");
	if (v1->run.exit_reason != LGUEST_EXIT_RESET)
		diag_exit(&a, 1);
	tap_ok(ok0 && v0->ret == 0 && v0->run.exit_reason == LGUEST_EXIT_RESET &&
	       strstr(v0->run.reason, "INIT"),
	       "CPU 0, asleep in HLT, returns LGUEST_EXIT_RESET too, with a reason that says INIT");
	if (v0->run.exit_reason != LGUEST_EXIT_RESET)
		diag_exit(&a, 0);
	TAP_ERRNO(ioctl(a.fd[0], LHREQ_RUN, &run), EINVAL,
		  "after the reset CPU 0 needs SETREGS: RUN gives EINVAL");
	cpu_regs(&r, 0);
	if (ioctl(a.fd[0], LHREQ_SETREGS, &r)) {
		tap_ok(false, "SETREGS on CPU 0 after the reset: %s", strerror(errno));
		goto out;
	}
	{
		struct cmd c[] = { RD(APIC_ID), RDMSR(MSR_APIC_BASE), RD(APIC_SVR) };

		if (!CALL(&a, 0, c, "CPU 0 runs after SETREGS"))
			goto out;
		tap_ok(c[0].r == 0 && c[1].r == 0xfee00900,
		       "after SETREGS CPU 0 runs again, its APIC at 0xfee00000 (ID %#llx, base %#llx)",
		       (unsigned long long)c[0].r, (unsigned long long)c[1].r);
		tap_ok(c[2].r == 0xff,
		       "the reset put CPU 0's APIC back to its power-on state (SVR %#llx, was %#x)",
		       (unsigned long long)c[2].r, SVR_ON);
	}
	/* CPU 1 is an AP again, waiting for its SIPI (H:830). */
	if (!run_start(&a, 1))
		goto out;
	usleep(300000);
	tap_ok(!vcpu_run_done(v1),
	       "after the reset CPU 1 waits for a SIPI again: its RUN sleeps");
	if (vcpu_run_done(v1)) {
		diag_exit(&a, 1);
		goto out;
	}
	{
		struct cmd c[] = { WR(APIC_SVR, SVR_ON), INIT_SIPI(1) };

		if (!CALL(&a, 0, c, "CPU 0 sends INIT and SIPI to CPU 1 after the reset"))
			goto out;
	}
	tap_ok(run_wait(&a, 1, 20) && vcpu_run_exit_is_out(v1, AP_MARK),
	       "and INIT + SIPI start it, in real mode, as at boot");
	if (!vcpu_run_done(v1) || !vcpu_run_exit_is_out(v1, AP_MARK))
		diag_exit(&a, 1);
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/* ---- NMIs -------------------------------------------------------------- */

static void test_nmi(void)
{
	unsigned long long nmis0, irets0;
	struct apic_guest a;

	if (!ag_new(&a, true, 2, 2))
		goto out;
	nmis0 = stat_of(a.fd[1], LGUEST_STAT_NMIS_INJECTED);
	irets0 = stat_of(a.fd[0], LGUEST_STAT_EXIT_IRET);
	/* Three NMIs, each sent after the last one's handler started. */
	{
		struct cmd c1[] = { SPIN_UNTIL(COUNT(1, 2), 3) };
		struct cmd c0[] = {
			WR(APIC_ICR2, DEST(1)),
			WR(APIC_ICR, ICR_NMI), SPIN_UNTIL(COUNT(1, 2), 1),
			WR(APIC_ICR, ICR_NMI), SPIN_UNTIL(COUNT(1, 2), 2),
			WR(APIC_ICR, ICR_NMI), SPIN_UNTIL(COUNT(1, 2), 3),
			DELAY(100000),
		};

		if (!START(&a, 1, c1) ||
		    !CALL(&a, 0, c0, "CPU 0 sends three NMIs to CPU 1") ||
		    !cpu_finish(&a, 1, 20, "CPU 1 takes three NMIs"))
			goto out;
		usleep(100000);
		tap_ok(peek(&a, COUNT(1, 2)) == 3 && peek(&a, COUNT(0, 2)) == 0,
		       "three NMI IPIs run CPU 1's NMI handler three times, CPU 0's never (%u, %u)",
		       peek(&a, COUNT(1, 2)), peek(&a, COUNT(0, 2)));
		tap_ok(stat_of(a.fd[1], LGUEST_STAT_NMIS_INJECTED) - nmis0 == 3,
		       "LGUEST_STAT_NMIS_INJECTED on CPU 1's file grew by 3 (%llu)",
		       stat_of(a.fd[1], LGUEST_STAT_NMIS_INJECTED) - nmis0);
	}

	/* An NMI sent while the handler runs waits for its IRET. */
	poke(&a, PERCPU(1) + PC_NMI_HOLD, 1);
	{
		struct cmd c1[] = { SPIN_UNTIL(COUNT(1, 2), 5) };
		struct cmd c0[] = {
			WR(APIC_ICR, ICR_NMI), SPIN_UNTIL(COUNT(1, 2), 4),
			WR(APIC_ICR, ICR_NMI),
		};

		if (!START(&a, 1, c1) ||
		    !CALL(&a, 0, c0, "CPU 0 sends an NMI, and another while its handler runs"))
			goto out;
		usleep(300000);
		tap_ok(peek(&a, COUNT(1, 2)) == 4 &&
		       peek(&a, PERCPU(1) + PC_NMI_NESTED) == 0,
		       "an NMI sent while CPU 1's NMI handler runs does not interrupt the handler (count %u, nested %u)",
		       peek(&a, COUNT(1, 2)), peek(&a, PERCPU(1) + PC_NMI_NESTED));
		poke(&a, PERCPU(1) + PC_NMI_HOLD, 0);
		if (cpu_finish(&a, 1, 20, "the second NMI comes after the handler's IRET"))
			tap_ok(peek(&a, COUNT(1, 2)) == 5 &&
			       peek(&a, PERCPU(1) + PC_NMI_NESTED) == 0,
			       "... it runs the handler once, after the first one's IRET (count %u, nested %u)",
			       peek(&a, COUNT(1, 2)),
			       peek(&a, PERCPU(1) + PC_NMI_NESTED));
		tap_ok(stat_of(a.fd[0], LGUEST_STAT_EXIT_IRET) > irets0,
		       "lg.ko watched for the IRETs that end NMIs (LGUEST_STAT_EXIT_IRET %llu)",
		       stat_of(a.fd[0], LGUEST_STAT_EXIT_IRET) - irets0);
	}

	/* An AP halted with interrupts off wakes for an NMI. */
	{
		struct cmd c1[] = { HALT() };
		struct cmd c0[] = { WR(APIC_ICR, ICR_NMI) };

		if (!START_ASLEEP(&a, 1, c1))
			goto out;
		usleep(200000);
		if (vcpu_run_done(&a.v[1])) {
			diag_exit(&a, 1);
			tap_ok(false, "CPU 1 halted with interrupts off sleeps in RUN");
			goto out;
		}
		if (!CALL(&a, 0, c0, "CPU 0 sends an NMI to the halted CPU 1"))
			goto out;
		if (cpu_finish(&a, 1, 20, "an NMI wakes an AP halted with interrupts off"))
			tap_ok(peek(&a, COUNT(1, 2)) == 6,
			       "an NMI wakes an AP halted with interrupts off, and its handler runs (count %u)",
			       peek(&a, COUNT(1, 2)));
	}
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/* ---- the timer --------------------------------------------------------- */

static void test_timer(void)
{
	struct cmd c[] = {
		WR(APIC_SVR, SVR_ON), WR(APIC_TDCR, 0xb),
		WR(APIC_LVT_TIMER, LVT_PERIODIC | 0x50), WR(APIC_TMICT, 1),
		HLT_UNTIL(STOP, 1), WR(APIC_TMICT, 0),
	};
	unsigned long long e0, e1, e2;
	struct lguest_info info;
	struct apic_guest a;
	uint32_t n0, n1;
	double t0, t1, most;

	if (!ag_new(&a, true, 1, 1))
		goto out;
	if (!START(&a, 0, c))
		goto out;
	if (!word_reaches(&a, COUNT(0, 0x50), 1, 20)) {
		tap_ok(false, "a periodic APIC timer with initial count 1 interrupts at all");
		goto out;
	}
	t0 = guest_now();
	n0 = peek(&a, COUNT(0, 0x50));
	e0 = stat_of(a.fd[0], LGUEST_STAT_APIC_TIMER);
	usleep(500000);
	t1 = guest_now();
	n1 = peek(&a, COUNT(0, 0x50));
	e1 = stat_of(a.fd[0], LGUEST_STAT_APIC_TIMER);
	poke(&a, STOP, 1);
	if (!cpu_finish(&a, 0, 20, "the guest stops its timer"))
		goto out;
	/* One interrupt per 200 us at most, with room for the edges. */
	most = (t1 - t0) / 200e-6 * 1.05 + 10;
	tap_diag("periodic timer, count 1 at divide 1: %u interrupts, %llu expiries in %.3f s (at most %.0f)",
		 n1 - n0, e1 - e0, t1 - t0, most);
	tap_ok(n1 > n0 && n1 - n0 <= most,
	       "a periodic timer with initial count 1 (1 ns) interrupts the guest at most every 200 us (%u in %.3f s)",
	       n1 - n0, t1 - t0);
	tap_ok(e1 - e0 <= most,
	       "... and fires lg.ko's hrtimer at most that often (%llu expiries)",
	       e1 - e0);
	usleep(100000);
	e1 = stat_of(a.fd[0], LGUEST_STAT_APIC_TIMER);
	usleep(200000);
	e2 = stat_of(a.fd[0], LGUEST_STAT_APIC_TIMER);
	tap_ok(e2 == e1, "an initial count of 0 stops it: no expiry in 0.2 s (%llu)",
	       e2 - e1);

	/* TSC-deadline mode: one interrupt, then the MSR reads 0. */
	memset(&info, 0, sizeof(info));
	ioctl(a.fd[0], LHREQ_GETINFO, &info);
	{
		uint64_t ms = info.tsc_khz ? info.tsc_khz : 1000000;
		struct cmd d[] = {
			WR(APIC_LVT_TIMER, LVT_DEADLINE | 0x51),
			DEADLINE(ms), HLT_UNTIL(COUNT(0, 0x51), 1),
			DELAY(100000), RDMSR(MSR_TSC_DEADLINE),
		};

		if (CALL(&a, 0, d, "a TSC-deadline timer 1 ms ahead fires"))
			tap_ok(peek(&a, COUNT(0, 0x51)) == 1 && d[4].r == 0 &&
			       !d[1].fault,
			       "a TSC-deadline timer 1 ms ahead interrupts once, and IA32_TSC_DEADLINE then reads 0 (%u, %#llx)",
			       peek(&a, COUNT(0, 0x51)), (unsigned long long)d[4].r);
	}
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

/* ---- x2APIC is not offered --------------------------------------------- */

static void test_x2apic(void)
{
	unsigned long long ipis0;
	struct apic_guest a;

	if (!ag_new(&a, true, 2, 2))
		goto out;
	ipis0 = stat_of(a.fd[0], LGUEST_STAT_IPIS);
	{
		struct cmd c[] = {
			WRMSR(MSR_APIC_BASE, 0xfee00000 | 0x800 | APIC_BASE_EXTD),
			RDMSR(MSR_APIC_BASE),
			RDMSR(0x802),			/* the x2APIC ID */
			WRMSR(0x830, 0x40),		/* the x2APIC ICR */
			WRMSR(MSR_APIC_BASE, 0xfee00000 | 0x800 | 0x200),
			RD(APIC_ID),
		};

		if (!CALL(&a, 1, c, "CPU 1 tries to enable x2APIC"))
			goto out;
		tap_ok(c[0].fault == FAULT_GP,
		       "x2APIC is not offered: WRMSR IA32_APIC_BASE with EXTD is #GP (fault %#llx)",
		       (unsigned long long)c[0].fault);
		tap_ok(c[1].r == 0xfee00800,
		       "... and leaves IA32_APIC_BASE as it was (%#llx)",
		       (unsigned long long)c[1].r);
		tap_ok(c[2].fault == FAULT_GP && c[3].fault == FAULT_GP,
		       "the x2APIC MSRs are #GP in xAPIC mode (RDMSR 0x802 %#llx, WRMSR 0x830 %#llx)",
		       (unsigned long long)c[2].fault,
		       (unsigned long long)c[3].fault);
		tap_ok(c[4].fault == FAULT_GP,
		       "a reserved bit (9) in IA32_APIC_BASE is #GP (fault %#llx)",
		       (unsigned long long)c[4].fault);
		tap_ok(c[5].r == 0x01000000 &&
		       stat_of(a.fd[0], LGUEST_STAT_IPIS) == ipis0,
		       "the xAPIC page still answers (ID %#llx), and the x2APIC ICR write sent nothing (IPIs %llu)",
		       (unsigned long long)c[5].r,
		       stat_of(a.fd[0], LGUEST_STAT_IPIS) - ipis0);
	}
out:
	run_stop_all(&a);
	ag_destroy(&a);
}

int main(int argc, char **argv)
{
	static const struct tap_named_group groups[] = {
		{ "basics", test_basics, 60 },
		{ "ap-start", test_ap, 90 },
		{ "ipi", test_ipi, 90 },
		{ "icr", test_icr, 60 },
		{ "lvt", test_lvt, 60 },
		{ "storm", test_storm, 120 },
		{ "init-bsp", test_init_bsp, 60 },
		{ "nmi", test_nmi, 60 },
		{ "timer", test_timer, 60 },
		{ "x2apic", test_x2apic, 60 },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_init();
	tap_run_groups(groups, ARRAY_SIZE(groups), argc, argv);
	return tap_finish();
}
