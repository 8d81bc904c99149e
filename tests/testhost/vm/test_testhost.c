// SPDX-License-Identifier: GPL-2.0
/*
 * The test host's QEMU, tested through lg.ko: tiny guests on /dev/lguest
 * that provoke SVM emulation bugs of QEMU 7.2's TCG (Debian 12), each of
 * which took down the whole test VM or a guest.  On a QEMU with the fixes
 * (tests/vm/qemu/patches/) every check passes; on the stock QEMU each
 * group fails, most often by killing the VM it runs in, which the suite
 * runner reports.  TAP on stdout.
 *
 *   test_testhost [-t SECS] [GROUP...]
 *
 * GROUPs, run in the order given (default: hflags2 dr7 dr7-host):
 *
 *   hflags2   an exit-heavy guest on CPU 0 while CPU 1 runs FXRSTOR in a
 *             loop, for SECS seconds (default 30): the multi-threaded TCG
 *             race on the first CPU's hflags2 (needs -accel
 *             tcg,thread=multi and two CPUs)
 *   dr7       one guest arms a data watchpoint and exits, the next one
 *             changes DR7: QEMU's world switch stored DR7 without moving
 *             its breakpoint objects
 *   dr7-host  a guest changes DR7 while the host has a watchpoint armed
 *             (perf_event_open), which must still count every write
 *   sstep     a guest single-steps with a data watchpoint on the stack
 *             slot its #DB frames go to: QEMU's watchpoint code took the
 *             big QEMU lock twice and aborted (patch 0005)
 *   irq-cut   a guest's interrupt on vector 13 (its PIC's base moved to
 *             8) whose delivery a nested page fault cuts short: QEMU
 *             recorded it in EXITINTINFO as a #GP with an error code, and
 *             lg.ko's re-injection pushed that error code into an
 *             interrupt frame (patch 0003)
 *   shadow    a guest does STI and then touches a page lg.ko has not
 *             mapped (data, or the fetch of the next instruction, HLT):
 *             QEMU's VMRUN dropped the STI shadow saved at that exit, so
 *             the interrupt came before the instruction after STI, and
 *             after "sti; hlt" the guest slept for good (patch 0006)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "tap.h"

/* Where these guests keep things, besides guest.h's fixed layout. */
#define DB_HANDLER	0x30000UL	/* our #DB handler (vector 1) */
#define DB_COUNT	0x9200UL	/* #DB handler entries */
#define DB_LAST_DR6	0x9204UL	/* DR6 as the last entry found it */
#define DB_ALL_DR6	0x9208UL	/* every DR6 bit any entry found */
#define STEP_WANTED	0x9210UL	/* sstep: traps before TF goes off */
#define STEP_COUNT	0x9214UL	/* sstep: single-step traps so far */
#define STEP_RIPS	0x9400UL	/* sstep: the RIP of each trap */
#define PATTERN		0x200000UL	/* hflags2: 2 MiB of known words */
#define PATTERN_MUL	0x9e3779b97f4a7c15ULL	/* word at A is A * this */

/*
 * irq-cut and shadow: an interrupt handler (on a page of its own, so that
 * the guest's first interrupt is also its first fetch there) and what it
 * records.  Each entry fills a slot of 64 bytes (the first four entries
 * of a round): RSP at entry, then the five words from there up (an
 * interrupt frame: RIP, CS, RFLAGS, RSP, SS), or for shadow just the
 * saved RIP.  The guests' fresh pages are two apart.
 */
#define IRQ_HANDLER	0x31000UL	/* the handler */
#define IRQ_ENTRIES	0x9800UL	/* handler entries this round */
#define IRQ_TOP		0x9808UL	/* irq-cut: this round's stack top */
#define IRQ_SLOTS	0x9840UL	/* what each entry saw */
#define IRQ_SLOT_SIZE	64
#define IRQ_MAX_SLOTS	4
#define IRQ_LINE	5		/* the PIC input the test pulses */
#define IRQ_ROUNDS	6		/* rounds per kind, each on fresh pages */
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define CUT_STACKS	0x100000UL	/* irq-cut: round r's stack page at +0x2000 r */
#define SHADOW_DATA	0x100000UL	/* shadow: round r reads the page at +0x2000 r */
#define SHADOW_STUBS	0x180000UL	/* shadow: round r's STI ends the page at +0x2000 r */
#define MARK_DONE	0xd0e		/* a round's end: interrupts off again */
#define MARK_BAD	0xbad		/* irq-cut: a frame the handler cannot read */

/* ---- the guests ---------------------------------------------------------- */

GUEST_BLOB(h_db);
GUEST_BLOB(g_churn);
GUEST_BLOB(g_plain);
GUEST_BLOB(g_dr_first);
GUEST_BLOB(g_dr_second);
GUEST_BLOB(g_dr_host);
GUEST_BLOB(g_sstep);
extern const unsigned char g_sstep_movdr7[], g_sstep_incs[];
GUEST_BLOB(h_cut);
GUEST_BLOB(g_cut);
extern const unsigned char g_cut_window[], g_cut_window_end[];
GUEST_BLOB(h_shadow);
GUEST_BLOB(g_shadow);
extern const unsigned char g_shadow_mov[], g_shadow_after[];

#define OUT_EAX "	mov $0x3f8, %dx\n	out %eax, %dx\n"

/*
 * Both PICs initialised (edge-triggered, 8086 mode), the master's vectors
 * from base, the slave's from 0x70, everything masked but IRQ_LINE.
 */
#define PIC_INIT(base) \
	"	mov $0x11, %al\n	out %al, $0x20\n" \
	"	mov $" #base ", %al\n	out %al, $0x21\n" \
	"	mov $0x04, %al\n	out %al, $0x21\n" \
	"	mov $0x01, %al\n	out %al, $0x21\n" \
	"	mov $0x11, %al\n	out %al, $0xa0\n" \
	"	mov $0x70, %al\n	out %al, $0xa1\n" \
	"	mov $0x02, %al\n	out %al, $0xa1\n" \
	"	mov $0x01, %al\n	out %al, $0xa1\n" \
	"	mov $0xff, %al\n	out %al, $0xa1\n" \
	"	mov $0xdf, %al\n	out %al, $0x21\n"

/*
 * With interrupts on, wait (a bounded number of times round) for the
 * handler's entry, and a little longer for a second one that should not
 * come; then interrupts off.
 */
#define WAIT_ENTRY \
	"	mov $10000000, %ecx\n" \
	"9:	cmpl $0, 0x9800\n" \
	"	jne 8f\n" \
	"	dec %ecx\n" \
	"	jnz 9b\n" \
	"8:	mov $1000, %ecx\n" \
	"7:	dec %ecx\n" \
	"	jnz 7b\n"
/* Report the #DB handler's count and the last DR6 it saw. */
#define OUT_DB "	mov 0x9200, %eax\n" OUT_EAX "	mov 0x9204, %eax\n" OUT_EAX

asm(".pushsection .rodata\n"
    /*
     * Vector 1.  Counts, notes DR6 and resets it (the CPU never clears
     * DR6 itself).  For sstep: a trap that interrupted guest code (not
     * this handler: a #DB raised while a #DB was being delivered comes in
     * at our first instruction) is a single-step trap; its RIP goes in
     * the list, and at the wanted number TF goes off in the frame.
     * After our two pushes: RIP at 16(%rsp), RFLAGS at 32(%rsp).
     */
    "h_db_start:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	incl 0x9200\n"
    "	mov %dr6, %rax\n"
    "	mov %eax, 0x9204\n"
    "	or %eax, 0x9208\n"
    "	mov $0xffff0ff0, %eax\n"
    "	mov %rax, %dr6\n"
    "	mov 16(%rsp), %rcx\n"
    "	cmp $0x30000, %rcx\n"
    "	jae 1f\n"
    "	mov 0x9214, %eax\n"
    "	cmp $64, %eax\n"
    "	jae 1f\n"
    "	mov %rcx, 0x9400(,%rax,8)\n"
    "	inc %eax\n"
    "	mov %eax, 0x9214\n"
    "	cmp 0x9210, %eax\n"
    "	jb 1f\n"
    "	andl $~0x100, 32(%rsp)\n"
    "1:	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    "h_db_end:\n"

    /*
     * hflags2: exits as fast as lg.ko can take them (CPUID, answered in
     * the kernel), and after each one a check that the guest's world is
     * still its own: CPUID 0x40000000 says "Lgue", and a word of the 2 MiB
     * pattern read through the guest's page tables and lg.ko's nested
     * ones holds its own address times PATTERN_MUL.  Every 64 exits the
     * number of rounds goes to GUEST_DATA and out to the launcher; a
     * failed check sends 0xc0de0001 (CPUID) or 0xc0de0002 (memory) and
     * the word's index, and halts.
     */
    "g_churn_start:\n"
    "	xor %r12d, %r12d\n"
    "	xor %r14d, %r14d\n"
    "	movabs $0x9e3779b97f4a7c15, %r15\n"
    "1:	mov $64, %r13d\n"
    "2:	mov $0x40000000, %eax\n"
    "	cpuid\n"
    "	cmp $0x6575674c, %ebx\n"
    "	jne 8f\n"
    "	mov %r14, %rax\n"
    "	shl $12, %rax\n"
    "	mov %r14, %rcx\n"
    "	shr $9, %rcx\n"
    "	lea (%rax,%rcx,8), %rax\n"
    "	and $0x1ffff8, %eax\n"
    "	or $0x200000, %eax\n"
    "	mov %rax, %rcx\n"
    "	imul %r15, %rcx\n"
    "	cmp (%rax), %rcx\n"
    "	jne 9f\n"
    "	inc %r14\n"
    "	dec %r13d\n"
    "	jnz 2b\n"
    "	inc %r12d\n"
    "	mov %r12d, 0x9000\n"
    "	mov %r12d, %eax\n"
    OUT_EAX
    "	jmp 1b\n"
    "8:	mov $0xc0de0001, %eax\n"
    "	jmp 7f\n"
    "9:	mov $0xc0de0002, %eax\n"
    "7:" OUT_EAX
    "	mov %r14d, %eax\n"
    OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_churn_end:\n"

    /* A guest that leaves the debug registers alone. */
    "g_plain_start:\n"
    "	mov $'P', %eax\n"
    OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_plain_end:\n"

    /*
     * dr7, first guest: a 4-byte write watchpoint on 0x9100 in DR0.  A
     * write next to it must not trap, a write to it must, once, with
     * DR6.B0.  Then it halts for good with the watchpoint still armed.
     */
    "g_dr_first_start:\n"
    "	mov $0x9100, %eax\n"
    "	mov %rax, %dr0\n"
    "	mov $0xd0401, %eax\n"		/* L0, RW0 = write, LEN0 = 4 */
    "	mov %rax, %dr7\n"
    "	movl $1, 0x9104\n"
    "	movl $1, 0x9100\n"
    OUT_DB
    "	cli\n"
    "	hlt\n"
    "g_dr_first_end:\n"

    /*
     * dr7, second guest: arms its own watchpoint, on 0x9110 in DR1.  The
     * first guest's address must not trap here, its own must, with B1.
     */
    "g_dr_second_start:\n"
    "	mov %dr7, %rax\n"
    OUT_EAX
    "	mov $0x9110, %eax\n"
    "	mov %rax, %dr1\n"
    "	mov $0xd00404, %eax\n"		/* L1, RW1 = write, LEN1 = 4 */
    "	mov %rax, %dr7\n"
    "	movl $2, 0x9100\n"
    "	movl $2, 0x9110\n"
    OUT_DB
    "	mov $0x400, %eax\n"
    "	mov %rax, %dr7\n"
    "	cli\n"
    "	hlt\n"
    "g_dr_second_end:\n"

    /*
     * dr7-host: the host's watchpoint is in DR0 (the first free slot),
     * so this guest stays off DR0-DR2 (lg.ko does not switch them) and
     * arms a watchpoint on 0x9120 in DR3; then disarms it.
     */
    "g_dr_host_start:\n"
    "	mov %dr7, %rax\n"
    OUT_EAX
    "	mov $0x9120, %eax\n"
    "	mov %rax, %dr3\n"
    "	mov $0xd0000440, %eax\n"	/* L3, RW3 = write, LEN3 = 4 */
    "	mov %rax, %dr7\n"
    "	movl $3, 0x9120\n"
    OUT_DB
    "	mov $0x400, %eax\n"
    "	mov %rax, %dr7\n"
    "	cli\n"
    "	hlt\n"
    "g_dr_host_end:\n"

    /*
     * sstep: DR0 watches writes to the 8 bytes at 0x7fff8, where the
     * 64-bit #DB frame's first push (SS) lands with RSP at GUEST_STACK.
     * TF goes on with POPF (whose own push and pop touch that slot before
     * the watchpoint is armed), so the MOV after the POPF is the first
     * instruction to trap; the next, MOV to DR7, arms the watchpoint, and
     * from then on every trap's frame writes the watched slot.  The
     * handler turns TF off at the tenth trap; 32 INCs leave room for it.
     * Reports: handler entries, single-step traps, every DR6 bit seen,
     * and ECX (32: all INCs ran).
     */
    "g_sstep_start:\n"
    "	mov $0x7fff8, %eax\n"
    "	mov %rax, %dr0\n"
    "	movl $10, 0x9210\n"
    "	xor %ecx, %ecx\n"
    "	pushf\n"
    "	orl $0x100, (%rsp)\n"
    "	popf\n"
    "	mov $0x90401, %eax\n"		/* L0, RW0 = write, LEN0 = 8 */
    "g_sstep_movdr7:\n"
    "	mov %rax, %dr7\n"
    "g_sstep_incs:\n"
    "	.rept 32\n"
    "	inc %ecx\n"
    "	.endr\n"
    "	mov $0x400, %eax\n"
    "	mov %rax, %dr7\n"
    "	mov 0x9200, %eax\n" OUT_EAX
    "	mov 0x9214, %eax\n" OUT_EAX
    "	mov 0x9208, %eax\n" OUT_EAX
    "	mov %ecx, %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_sstep_end:\n"

    /*
     * irq-cut's handler, behind vector 13 as an interrupt gate.  It notes
     * RSP and the five words from there up in the entry's slot, counts the
     * entry and EOIs.  An interrupt frame starts 40 bytes below the
     * round's stack top (IRQ_TOP, 16-byte aligned); a frame 8 bytes lower
     * carries an error code, which an interrupt must not have: the handler
     * steps over it (so the guest goes on and the test can say what
     * happened) and returns.  Anything else: MARK_BAD and halt.
     */
    "h_cut_start:\n"
    "	mov %rsp, 0x9810\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	push %rsi\n"
    "	push %rdi\n"
    "	mov 0x9810, %rsi\n"
    "	mov 0x9800, %eax\n"
    "	incl 0x9800\n"
    "	cmp $3, %eax\n"
    "	jbe 1f\n"
    "	mov $3, %eax\n"
    "1:	shl $6, %eax\n"
    "	lea 0x9840(%rax), %rdi\n"
    "	mov %rsi, (%rdi)\n"
    "	mov (%rsi), %rcx\n	mov %rcx, 8(%rdi)\n"
    "	mov 8(%rsi), %rcx\n	mov %rcx, 16(%rdi)\n"
    "	mov 16(%rsi), %rcx\n	mov %rcx, 24(%rdi)\n"
    "	mov 24(%rsi), %rcx\n	mov %rcx, 32(%rdi)\n"
    "	mov 32(%rsi), %rcx\n	mov %rcx, 40(%rdi)\n"
    "	mov $0x20, %al\n"
    "	out %al, $0x20\n"
    "	mov 0x9808, %rax\n"
    "	sub $40, %rax\n"
    "	cmp %rax, %rsi\n"
    "	je 2f\n"
    "	sub $8, %rax\n"
    "	cmp %rax, %rsi\n"
    "	jne 3f\n"
    "	pop %rdi\n"
    "	pop %rsi\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	add $8, %rsp\n"
    "	iretq\n"
    "2:	pop %rdi\n"
    "	pop %rsi\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    "3:	mov $0xbad, %eax\n"
    OUT_EAX
    "	cli\n"
    "	hlt\n"
    "h_cut_end:\n"

    /*
     * irq-cut: the PIC's vectors start at 8, so IRQ 5 is vector 13.  Each
     * round moves RSP to the top of a page never touched (so the frame's
     * push is the page's first touch), asks for the interrupt with an OUT
     * of the round number while interrupts are off, and turns them on:
     * the interrupt comes in the window after STI's shadow (NOP).  The
     * first round's delivery is also the first touch of the IDT and the
     * GDT.  MARK_DONE with interrupts off again ends the round; 'E' and
     * HLT the guest.
     */
    "g_cut_start:\n"
    PIC_INIT(0x08)
    "	xor %r12d, %r12d\n"
    "1:	mov %r12, %rax\n"
    "	shl $13, %rax\n"
    "	add $0x101000, %rax\n"
    "	mov %rax, 0x9808\n"
    "	mov %rax, %rsp\n"
    "	movl $0, 0x9800\n"
    "	mov %r12d, %eax\n"
    OUT_EAX
    "	sti\n"
    "	nop\n"
    "g_cut_window:\n"
    WAIT_ENTRY
    "g_cut_window_end:\n"
    "	cli\n"
    "	mov $0xd0e, %eax\n"
    OUT_EAX
    "	inc %r12d\n"
    "	cmp $" STR(IRQ_ROUNDS) ", %r12d\n"
    "	jb 1b\n"
    "	mov $'E', %eax\n"
    OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_cut_end:\n"

    /*
     * shadow's handler, behind vector 0x25 (IRQ 5): notes the saved RIP
     * in the entry's slot, counts the entry, EOIs and returns.
     */
    "h_shadow_start:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	mov 0x9800, %eax\n"
    "	incl 0x9800\n"
    "	cmp $3, %eax\n"
    "	jbe 1f\n"
    "	mov $3, %eax\n"
    "1:	shl $6, %eax\n"
    "	mov 16(%rsp), %rcx\n"
    "	mov %rcx, 0x9848(%rax)\n"
    "	mov $0x20, %al\n"
    "	out %al, $0x20\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    "h_shadow_end:\n"

    /*
     * shadow: every round asks for IRQ 5 with an OUT while interrupts are
     * off (the PIC then holds it and lg.ko waits for the interrupt window
     * with V_IRQ and the VINTR intercept), and turns interrupts on with
     * STI.  First a warm-up ('W'), so that the IDT, GDT, stack and
     * handler pages are mapped.  Then the data rounds (their number):
     * the instruction in STI's shadow reads a page never touched, so the
     * guest exits (a nested page fault) inside the shadow.  Then the HLT
     * rounds (0x100 + their number): the STI is the last byte of a fresh
     * page and the HLT the first of the next one, so the fetch of the HLT
     * exits inside the shadow; the test program wrote those stubs
     * (STI | HLT, NOP, RET).  MARK_DONE with interrupts off ends a round;
     * 'E' and HLT the guest.
     */
    "g_shadow_start:\n"
    PIC_INIT(0x20)
    "	movl $0, 0x9800\n"
    "	mov $'W', %eax\n"
    OUT_EAX
    "	sti\n"
    "	nop\n"
    WAIT_ENTRY
    "	cli\n"
    "	mov $0xd0e, %eax\n"
    OUT_EAX
    "	xor %r12d, %r12d\n"
    "1:	mov %r12, %rbx\n"
    "	shl $13, %rbx\n"
    "	add $0x100000, %rbx\n"
    "	movl $0, 0x9800\n"
    "	mov %r12d, %eax\n"
    OUT_EAX
    "	sti\n"
    "g_shadow_mov:\n"
    "	mov (%rbx), %eax\n"
    "g_shadow_after:\n"
    WAIT_ENTRY
    "	cli\n"
    "	mov $0xd0e, %eax\n"
    OUT_EAX
    "	inc %r12d\n"
    "	cmp $" STR(IRQ_ROUNDS) ", %r12d\n"
    "	jb 1b\n"
    "	xor %r12d, %r12d\n"
    "2:	mov %r12, %rbx\n"
    "	shl $13, %rbx\n"
    "	add $0x180fff, %rbx\n"
    "	movl $0, 0x9800\n"
    "	lea 0x100(%r12), %eax\n"
    OUT_EAX
    "	call *%rbx\n"
    WAIT_ENTRY
    "	cli\n"
    "	mov $0xd0e, %eax\n"
    OUT_EAX
    "	inc %r12d\n"
    "	cmp $" STR(IRQ_ROUNDS) ", %r12d\n"
    "	jb 2b\n"
    "	mov $'E', %eax\n"
    OUT_EAX
    "	cli\n"
    "	hlt\n"
    "g_shadow_end:\n"
    ".popsection\n");

/* ---- helpers ------------------------------------------------------------- */

static void diag_exit(const char *what, int ret, struct lguest_run *run)
{
	if (ret) {
		tap_diag("%s: RUN failed: %s", what, strerror(errno));
		return;
	}
	run->reason[sizeof(run->reason) - 1] = '\0';
	if (run->exit_reason == LGUEST_EXIT_RESET ||
	    run->exit_reason == LGUEST_EXIT_KILLED)
		tap_diag("%s: exit %s: %s", what, guest_exit_name(run->exit_reason),
			 run->reason);
	else
		tap_diag("%s: exit %s, port %#x, data %#x", what,
			 guest_exit_name(run->exit_reason), run->io.port,
			 run->io.data);
}

/*
 * What a RUN that returned @ret and @run says: the value of the guest's
 * OUT to GUEST_PORT, or -1 (with the reason) for any other end.
 */
static int64_t out_value(const char *what, int ret, struct lguest_run *run)
{
	if (ret || run->exit_reason != LGUEST_EXIT_IO ||
	    run->io.port != GUEST_PORT || !run->io.is_write) {
		diag_exit(what, ret, run);
		return -1;
	}
	return run->io.data;
}

/* RUN until the guest's next OUT to GUEST_PORT: its value, or -1. */
static int64_t run_out(struct guest *g, const char *what)
{
	struct lguest_run run = { 0 };
	int ret = guest_run(g, &run);

	return out_value(what, ret, &run);
}

static bool run_halt(struct guest *g, const char *what)
{
	struct lguest_run run = { 0 };
	int ret = guest_run(g, &run);

	if (ret || run.exit_reason != LGUEST_EXIT_HALT) {
		diag_exit(what, ret, &run);
		return false;
	}
	return true;
}

static bool pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

/* Point vector at addr, through a 64-bit interrupt gate. */
static void set_gate(struct guest *g, unsigned int vector, uint64_t addr)
{
	uint64_t gate, lo, hi;

	gate = g->regs.idt.base + vector * 16;
	lo = (addr & 0xffff) | (0x8ULL << 16) | (0x8eULL << 40) |
		((addr >> 16 & 0xffff) << 48);
	hi = addr >> 32;
	memcpy(g->mem + gate, &lo, sizeof(lo));
	memcpy(g->mem + gate + 8, &hi, sizeof(hi));
}

/* A guest with our #DB handler behind vector 1 (an interrupt gate). */
static bool new_db_guest(struct guest *g, struct guest_code code)
{
	if (guest_create(g, code)) {
		tap_ok(false, "set up a guest (%s)", strerror(errno));
		return false;
	}
	memcpy(g->mem + DB_HANDLER, h_db_start, h_db_end - h_db_start);
	set_gate(g, 1, DB_HANDLER);
	return true;
}

static double secs = 30;

/* ---- hflags2: the x87 load on another CPU -------------------------------- */

/*
 * QEMU 7.2's cpu_clear_ignne() runs on every x87 state load (FXRSTOR,
 * XRSTOR, FRSTOR, FLDENV with FPUS.SE clear) of any virtual CPU, on that
 * CPU's own host thread under -accel tcg,thread=multi, and does a plain
 * read-modify-write of the *first* CPU's env->hflags2.  The first CPU's
 * thread changes that word in every world switch (VMRUN sets the nested
 * paging, GIF and virtual interrupt bits, #VMEXIT clears them, CLGI and
 * STGI flip GIF), so the store from the other thread can put back bits
 * from before a switch.  With lg.ko on CPU 0 that looked like: the test
 * VM's kernel triple-faulting right after a #VMEXIT (nested paging still
 * on in the host), a guest killed with "host state in the guest's VMCB"
 * (the host's page walk faulted through the guest's nested tables, and
 * QEMU took that as a second #VMEXIT), or a guest triple-faulting at an
 * instruction that cannot fault (nested paging off inside the guest: its
 * walk read host memory).  Two busy guests hit it within seconds.
 *
 * So: the guest above exits to lg.ko tens of thousands of times a second
 * on CPU 0 and checks after each exit that CPUID and its memory are its
 * own, while a process on CPU 1 does nothing but FXRSTOR.  It must run
 * its SECS seconds with every report in order and correct.
 */

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	(void)sig;
	ticks++;
}

/* A tick a second, so that a RUN that does not come back is noticed. */
static timer_t tick_timer;

static bool start_ticks(void)
{
	struct sigaction sa = { .sa_handler = on_tick };
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1,
	};
	struct itimerspec its = {
		.it_value = { 1, 0 }, .it_interval = { 1, 0 },
	};

	sigaction(SIGUSR1, &sa, NULL);
	if (timer_create(CLOCK_MONOTONIC, &sev, &tick_timer) ||
	    timer_settime(tick_timer, 0, &its, NULL)) {
		tap_ok(false, "timer: %s", strerror(errno));
		return false;
	}
	return true;
}

/* CPU 1: FXRSTOR of a clean image (FSW.ES clear) as fast as it goes. */
static void __attribute__((noreturn)) fxrstor_loop(volatile uint64_t *count,
						   unsigned int limit)
{
	static unsigned char area[512] __attribute__((aligned(64)));
	unsigned long n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(limit);		/* never outlive the test, whatever happens */
	if (!pin_to(1))
		_exit(1);
	asm volatile("fxsave64 %0" : "=m"(area));
	for (;;) {
		n = 1000;
		asm volatile("1:	fxrstor64 %1\n"
			     "	dec %0\n"
			     "	jnz 1b"
			     : "+r"(n) : "m"(area) : "memory");
		*count += 1000;
	}
}

static void fill_pattern(struct guest *g)
{
	uint64_t a, v;

	for (a = PATTERN; a < PATTERN + (2UL << 20); a += 8) {
		v = a * PATTERN_MUL;
		memcpy(g->mem + a, &v, sizeof(v));
	}
}

static void test_hflags2(void)
{
	volatile uint64_t *fx_count;
	unsigned int expected = 1;
	int last_tick = 0;
	struct lguest_stats st;
	struct lguest_run run;
	bool ran = true, right = true, ended = false;
	double start, end, t;
	struct guest g;
	pid_t loader;
	int ret, status;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		tap_skip("one CPU", "hflags2: a guest on CPU 0, FXRSTOR on CPU 1");
		return;
	}
	if (!tap_ok(pin_to(0), "hflags2: pinned to CPU 0 (QEMU's first CPU)"))
		return;
	fx_count = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fx_count == MAP_FAILED) {
		tap_ok(false, "hflags2: mmap: %s", strerror(errno));
		return;
	}
	if (guest_create(&g, GUEST_CODE_OF(g_churn))) {
		tap_ok(false, "hflags2: set up a guest (%s)", strerror(errno));
		return;
	}
	fill_pattern(&g);

	loader = fork();
	if (loader == 0)
		fxrstor_loop(fx_count, (unsigned int)secs + 60);
	if (loader < 0) {
		tap_ok(false, "hflags2: fork: %s", strerror(errno));
		guest_destroy(&g);
		return;
	}

	/* The guest starts once the loads do (they cannot take 10 s to). */
	start = guest_now();
	while (!*fx_count && guest_now() < start + 10)
		usleep(1000);
	if (!tap_ok(*fx_count > 0, "hflags2: CPU 1 runs FXRSTOR in a loop")) {
		kill(loader, SIGKILL);
		waitpid(loader, &status, 0);
		guest_destroy(&g);
		return;
	}

	/* A tick a second gets RUN out with EINTR, to watch the clock. */
	if (!start_ticks()) {
		kill(loader, SIGKILL);
		waitpid(loader, &status, 0);
		guest_destroy(&g);
		return;
	}

	start = guest_now();
	end = start + secs;
	tap_diag("hflags2: %.0f s of guest exits on CPU 0, FXRSTOR on CPU 1",
		 secs);
	while (!ended) {
		memset(&run, 0, sizeof(run));
		ret = guest_run(&g, &run);
		t = guest_now();
		if (ret && errno == EINTR) {
			if (ticks >= last_tick + 5) {
				last_tick = ticks;
				if (ioctl(g.fd, LHREQ_GETSTATS, &st))
					memset(&st, 0, sizeof(st));
				tap_diag("hflags2: %.0f s: %u reports, %llu exits, %llu FXRSTORs on CPU 1",
					 t - start, expected - 1,
					 (unsigned long long)st.count[LGUEST_STAT_EXITS],
					 (unsigned long long)*fx_count);
			}
			if (t >= end)
				ended = true;
			continue;
		}
		if (ret || run.exit_reason != LGUEST_EXIT_IO ||
		    run.io.port != GUEST_PORT) {
			diag_exit("hflags2 guest", ret, &run);
			tap_diag("hflags2: ended after %.1f s, %u reports",
				 t - start, expected - 1);
			ran = false;
			break;
		}
		if (run.io.data != expected ||
		    guest_read32(&g, GUEST_DATA) != expected) {
			tap_diag("hflags2: after %.1f s: report %#x (in memory %#x), expected %#x",
				 t - start, run.io.data,
				 guest_read32(&g, GUEST_DATA), expected);
			if ((run.io.data & 0xfffffff0) == 0xc0de0000)
				tap_diag("hflags2: the guest's check failed (%s) at word %lld",
					 run.io.data == 0xc0de0001 ? "CPUID" : "memory",
					 (long long)run_out(&g, "hflags2 index"));
			right = false;
			break;
		}
		expected++;
		if (t >= end)
			ended = true;
	}
	timer_delete(tick_timer);
	kill(loader, SIGKILL);
	waitpid(loader, &status, 0);
	t = guest_now() - start;
	if (ioctl(g.fd, LHREQ_GETSTATS, &st))
		memset(&st, 0, sizeof(st));
	tap_diag("hflags2: %.1f s: %u reports, %llu exits (%.0f/s, %llu CPUID), %llu FXRSTORs on CPU 1 (%.0f/s)",
		 t, expected - 1,
		 (unsigned long long)st.count[LGUEST_STAT_EXITS],
		 st.count[LGUEST_STAT_EXITS] / t,
		 (unsigned long long)st.count[LGUEST_STAT_EXIT_CPUID],
		 (unsigned long long)*fx_count, *fx_count / t);
	tap_ok(ran && right,
	       "hflags2: the guest on CPU 0 ran its %.0f s: not killed by lg.ko, no triple fault",
	       secs);
	/* 64 exits a report: a few reports is the least that shows exits. */
	tap_ok(right && expected - 1 >= 5,
	       "hflags2: its reports came in order, every CPUID and memory check in it right (%u reports of 64 exits)",
	       expected - 1);
	guest_destroy(&g);
}

/* ---- dr7: breakpoint objects across the world switch --------------------- */

/*
 * QEMU keeps what DR0-DR3 watch as breakpoint or watchpoint objects, in a
 * union (env->cpu_breakpoint[i] / cpu_watchpoint[i]) whose member DR7's
 * type bits pick; only cpu_x86_update_dr7() keeps objects and DR7 in step.
 * QEMU 7.2's helper_vmrun() and do_vmexit() stored DR7 with a plain
 * assignment, so objects outlived the world that made them: a guest's
 * watchpoint stayed armed in the host and in the next guest, and the next
 * DR7 change there removed it by the *new* DR7's type, as a breakpoint.
 * QEMU segfaulted at once (at the watchpoint's address + 0x18: the list
 * links of a breakpoint are where a watchpoint keeps its hit address),
 * and the whole test VM with it.
 */

/*
 * The watchpoint guests report how often their #DB handler ran and the DR6
 * it last saw, then halt: one trap, with DR6's bit for the register that
 * fired (@bit), is what the guest expects; @desc says what that proves.
 */
static void expect_one_trap(struct guest *g, const char *who,
			    unsigned int bit, const char *desc)
{
	int64_t count = run_out(g, who);
	int64_t dr6 = run_out(g, who);

	tap_ok(count == 1 && dr6 >= 0 && (dr6 & 0xf) == bit,
	       "%s (%lld traps, DR6 %#llx)", desc, (long long)count,
	       (long long)dr6);
}

static void test_dr7(void)
{
	struct guest g1, g2;
	int64_t dr7;

	/* Both guests on one CPU: the objects are per virtual CPU. */
	if (!tap_ok(pin_to(0), "dr7: pinned to one CPU"))
		return;
	if (!new_db_guest(&g1, GUEST_CODE_OF(g_dr_first)))
		return;
	expect_one_trap(&g1, "first guest's #DB report", 0x1,
			"dr7: a guest's write watchpoint in DR0 traps once, on its own address, with DR6.B0");
	tap_ok(run_halt(&g1, "first guest's HLT"),
	       "dr7: ... and the guest halts with it armed");

	if (!new_db_guest(&g2, GUEST_CODE_OF(g_dr_second))) {
		guest_destroy(&g1);
		return;
	}
	dr7 = run_out(&g2, "second guest's DR7");
	tap_ok(dr7 >= 0 && (dr7 & 0xff) == 0,
	       "dr7: the next guest starts with no breakpoint enabled (DR7 %#llx)",
	       (long long)dr7);
	/* Stock QEMU 7.2 segfaults at this guest's MOV to DR7. */
	expect_one_trap(&g2, "second guest's #DB report", 0x2,
			"dr7: it changes DR7, and its own watchpoint in DR1 traps once with DR6.B1, the first guest's address not at all");
	tap_ok(run_halt(&g2, "second guest's HLT"),
	       "dr7: ... and it halts");
	guest_destroy(&g2);
	guest_destroy(&g1);
}

/*
 * The same union seen from the host: with a watchpoint of the host's in
 * DR0, VMRUN loaded the guest's DR7 (nothing enabled) beside the host's
 * watchpoint object, and the guest's first MOV to DR7 removed that object
 * as a breakpoint: a segfault, or, for a change of enable bits only, the
 * object lost and the host's watchpoint silently dead after the guest.
 * The host's watchpoint here is a perf breakpoint on a variable of this
 * process; it must count exactly the writes we make, before and after.
 */
static volatile uint32_t watched __attribute__((aligned(8)));

static void write_watched(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		watched = i;
}

static void test_dr7_host(void)
{
	struct guest g;
	int64_t dr7, p;
	long long c;
	int fd;

	if (!tap_ok(pin_to(0), "dr7-host: pinned to one CPU"))
		return;
	fd = host_watchpoint(&watched);
	if (!TAP_OK_CALL(fd, "dr7-host: a perf write watchpoint on a variable of ours"))
		return;

	write_watched(5);
	c = host_watch_count(fd);
	tap_ok(c == 5, "dr7-host: it counts our 5 writes (%lld)", c);

	if (!new_db_guest(&g, GUEST_CODE_OF(g_plain)))
		goto out;
	p = run_out(&g, "plain guest");
	tap_ok(p == 'P' && run_halt(&g, "plain guest's HLT"),
	       "dr7-host: a guest that leaves the debug registers alone runs");
	guest_destroy(&g);
	write_watched(3);
	c = host_watch_count(fd);
	tap_ok(c == 8, "dr7-host: after it the watchpoint counts 3 more writes (%lld, want 8)",
	       c);

	if (!new_db_guest(&g, GUEST_CODE_OF(g_dr_host)))
		goto out;
	dr7 = run_out(&g, "guest's DR7");
	tap_ok(dr7 >= 0 && (dr7 & 0xff) == 0,
	       "dr7-host: the guest sees its own DR7, nothing enabled (%#llx)",
	       (long long)dr7);
	/* Stock QEMU 7.2 segfaults at this guest's MOV to DR7. */
	expect_one_trap(&g, "guest's #DB report", 0x8,
			"dr7-host: it changes DR7, and its own watchpoint in DR3 traps once with DR6.B3");
	tap_ok(run_halt(&g, "guest's HLT"), "dr7-host: ... and it halts");
	guest_destroy(&g);

	write_watched(7);
	c = host_watch_count(fd);
	tap_ok(c == 15,
	       "dr7-host: after that guest the host's watchpoint still counts exactly our writes (%lld, want 15)",
	       c);
out:
	close(fd);
}

/* ---- sstep: a watchpoint hit while an exception is delivered ------------- */

/*
 * A guest of lg.ko that single-stepped with its debug registers set made
 * QEMU 7.2 abort: "qemu_mutex_lock_iothread_impl: assertion failed:
 * (!qemu_mutex_iothread_locked())".  QEMU delivers an exception holding
 * its big lock; a write of the exception frame that hits a watchpoint
 * went through cpu_check_watchpoint(), whose first hit abandoned the
 * delivery (that single-step trap was lost) and left the hit recorded,
 * and whose next hit, in the next delivery, took the big lock again.
 * (tests/vm/qemu/patches/0005-softmmu-watchpoint-hit-during-event-delivery.patch)
 *
 * The guest below single-steps ten instructions with a data watchpoint on
 * the stack slot its #DB frames are written to.  It must finish, and its
 * handler must have seen one trap per instruction, each at the next
 * instruction's address: none lost.
 */
static void test_sstep(void)
{
	uint64_t movdr7 = GUEST_CODE + (g_sstep_movdr7 - g_sstep_start);
	uint64_t incs = GUEST_CODE + (g_sstep_incs - g_sstep_start);
	int64_t entries, steps, dr6s, ecx;
	uint64_t rip, want;
	struct guest g;
	bool in_order;
	unsigned int i;

	if (!new_db_guest(&g, GUEST_CODE_OF(g_sstep)))
		return;
	/* Stock QEMU 7.2 aborts during this RUN. */
	entries = run_out(&g, "sstep: #DB entries");
	steps = run_out(&g, "sstep: single-step traps");
	dr6s = run_out(&g, "sstep: DR6 bits");
	ecx = run_out(&g, "sstep: ECX");
	tap_diag("sstep: %lld #DB entries, %lld single-step traps, DR6 bits seen %#llx, ECX %lld",
		 (long long)entries, (long long)steps, (long long)dr6s,
		 (long long)ecx);
	tap_ok(steps >= 0 && ecx == 32 && run_halt(&g, "sstep: HLT"),
	       "sstep: a guest single-stepping with a watchpoint on its #DB frame's stack slot runs to its end");
	in_order = steps == 10;
	for (i = 0; in_order && i < 10; i++) {
		memcpy(&rip, g.mem + STEP_RIPS + 8 * i, sizeof(rip));
		/* The first trap follows the MOV after POPF, then one an INC. */
		want = i == 0 ? movdr7 : incs + 2 * (i - 1);
		if (rip != want) {
			tap_diag("sstep: trap %u at %#llx, expected %#llx", i,
				 (unsigned long long)rip,
				 (unsigned long long)want);
			in_order = false;
		}
	}
	tap_ok(in_order,
	       "sstep: one single-step trap per instruction, at the next one's address, none lost (%lld of 10)",
	       (long long)steps);
	guest_destroy(&g);
}

/* ---- irq-cut and shadow: interrupts around nested page faults ----------- */

/*
 * lg.ko fills its nested page table lazily: a guest page is mapped on the
 * guest's first touch of it, which exits to lg.ko as a nested page fault
 * (H:475).  These two groups use that to make the emulated CPU exit at a
 * chosen moment: a page the guest has never touched is an exit on demand.
 */

/* What one handler entry saw: RSP, and the five words from there up. */
struct irq_slot {
	uint64_t rsp, w[5];
};

static void read_slot(struct guest *g, unsigned int i, struct irq_slot *s)
{
	memcpy(s, g->mem + IRQ_SLOTS + i * IRQ_SLOT_SIZE, sizeof(*s));
}

/* A guest with handler at IRQ_HANDLER behind vector. */
static bool new_irq_guest(struct guest *g, struct guest_code code,
			  struct guest_code handler, unsigned int vector)
{
	if (guest_create(g, code)) {
		tap_ok(false, "set up a guest (%s)", strerror(errno));
		return false;
	}
	memcpy(g->mem + IRQ_HANDLER, handler.start,
	       handler.end - handler.start);
	set_gate(g, vector, IRQ_HANDLER);
	return true;
}

static uint64_t stat_of(struct guest *g, unsigned int which)
{
	struct lguest_stats st;

	if (ioctl(g->fd, LHREQ_GETSTATS, &st))
		return 0;
	return st.count[which];
}

static bool pulse_irq(struct guest *g)
{
	struct lguest_irq irq = { .line = IRQ_LINE, .level = LGUEST_IRQ_PULSE };

	if (ioctl(g->fd, LHREQ_IRQ, &irq)) {
		tap_diag("LHREQ_IRQ: %s", strerror(errno));
		return false;
	}
	return true;
}

#define RUN_ASLEEP	(-2)
#define RUN_LIMIT	30	/* seconds; a round takes a fraction of one */

/*
 * RUN until the guest's next OUT to GUEST_PORT, for at most RUN_LIMIT
 * seconds: its value, -1, or RUN_ASLEEP.  These guests never wait in HLT
 * with interrupts on; one that does (lg.ko counts a halt that sleeps) has
 * already taken the interrupt it was waiting for, and nothing will wake
 * it.
 */
static int64_t run_out_limited(struct guest *g, const char *what)
{
	uint64_t halts = stat_of(g, LGUEST_STAT_HALTS);
	double end = guest_now() + RUN_LIMIT;
	struct lguest_run run;
	int ret;

	for (;;) {
		memset(&run, 0, sizeof(run));
		ret = guest_run(g, &run);
		if (!ret || errno != EINTR)
			break;
		if (stat_of(g, LGUEST_STAT_HALTS) != halts) {
			tap_diag("%s: the guest sleeps in HLT with interrupts on",
				 what);
			return RUN_ASLEEP;
		}
		if (guest_now() > end) {
			tap_diag("%s: no exit in %d s", what, RUN_LIMIT);
			return -1;
		}
	}
	return out_value(what, ret, &run);
}

/* The guest's last words: 'E', then HLT with interrupts off. */
static bool run_to_end(struct guest *g, const char *what)
{
	return run_out_limited(g, what) == 'E' && run_halt(g, what);
}

/* ---- irq-cut: an interrupt on vector 13, cut short ------------------------ */

/*
 * When a #VMEXIT cuts the delivery of an event short (here: a nested page
 * fault on the page the interrupt frame is pushed to), EXITINTINFO says
 * what was being delivered, and the hypervisor delivers it again on the
 * next VMRUN.  QEMU 7.2's handle_even_inj() typed every event but INT n
 * as an exception, external interrupts included, with an error code for
 * vectors 8, 10-14 and 17.  lg.ko hands interrupts to the CPU through
 * V_IRQ, so QEMU itself delivers them and writes that record; lg.ko
 * re-delivers an "exception" with a vector of 32 or more as an interrupt
 * (a workaround), but below 32 it must trust the type and injects an
 * exception through EVENTINJ, error code and all.
 * (tests/vm/qemu/patches/0003-target-i386-svm-record-an-interrupted-external-interrupt-as-one.patch)
 *
 * A guest that moves its PIC's vectors to 8-15 (as real-mode PC software
 * does) gets IRQ 5 on vector 13.  On the stock QEMU its handler finds an
 * error code word on top of the frame (entry RSP 8 lower), and, since
 * V_IRQ is still set after the exception, a second entry as soon as it
 * returns; an IRETQ through that frame would have "returned" to RIP 0
 * (our handler steps over the extra word so that the guest goes on and
 * every round can say what it saw).  On a fixed QEMU: one entry, an
 * interrupt frame, in every round.  The first round's delivery is also
 * the first touch of the IDT and GDT pages (three cuts); every round's is
 * the first touch of its stack page.
 */
static bool check_cut_round(struct guest *g, unsigned int r, int64_t v,
			    uint64_t npf)
{
	uint64_t lo = GUEST_CODE + (g_cut_window - g_cut_start);
	uint64_t hi = GUEST_CODE + (g_cut_window_end - g_cut_start);
	uint64_t top = CUT_STACKS + 0x2000 * r + 0x1000;
	uint32_t entries = guest_read32(g, IRQ_ENTRIES);
	struct irq_slot s;
	unsigned int i;
	bool ok;

	read_slot(g, 0, &s);
	ok = v == MARK_DONE && entries == 1 && npf >= 1 &&
		s.rsp == top - 40 &&
		s.w[0] >= lo && s.w[0] <= hi &&		/* RIP */
		s.w[1] == 0x08 &&			/* CS */
		(s.w[2] & 0x202) == 0x202 && s.w[2] < 0x400000 && /* RFLAGS, IF */
		s.w[3] == top &&			/* RSP */
		s.w[4] == 0x10;				/* SS */
	if (!ok) {
		tap_diag("irq-cut round %u: guest said %#llx, %u handler entries, %llu nested page faults",
			 r, (long long)v, entries, (unsigned long long)npf);
		for (i = 0; i < entries && i < IRQ_MAX_SLOTS; i++) {
			read_slot(g, i, &s);
			tap_diag("irq-cut round %u entry %u: RSP stack top - %lld; words %#llx %#llx %#llx %#llx %#llx",
				 r, i, (long long)(top - s.rsp),
				 (unsigned long long)s.w[0],
				 (unsigned long long)s.w[1],
				 (unsigned long long)s.w[2],
				 (unsigned long long)s.w[3],
				 (unsigned long long)s.w[4]);
			if (s.rsp == top - 48)
				tap_diag("irq-cut round %u entry %u: an error code (%#llx) on an interrupt frame: the interrupt came back as exception 13 (EXITINTINFO typed it as one)",
					 r, i, (unsigned long long)s.w[0]);
		}
		if (npf == 0)
			tap_diag("irq-cut round %u: no nested page fault: lg.ko had the stack page mapped, nothing cut the delivery short",
				 r);
	}
	return tap_ok(ok,
		      "irq-cut round %u: IRQ %u on vector 13, its delivery cut short by a nested page fault, arrives once with an interrupt's frame: no error code, RIP in the window, CS, RFLAGS, RSP, SS as they were (%u entries, %llu nested page faults)",
		      r, IRQ_LINE, entries, (unsigned long long)npf);
}

static void test_irq_cut(void)
{
	bool went_on = false;
	struct guest g;
	unsigned int r;
	uint64_t npf;
	int64_t v;

	if (!new_irq_guest(&g, GUEST_CODE_OF(g_cut), GUEST_CODE_OF(h_cut), 13))
		return;
	if (!start_ticks())
		goto out;
	for (r = 0; r < IRQ_ROUNDS; r++) {
		v = run_out_limited(&g, "irq-cut: the guest's request");
		if (v != r) {
			tap_diag("irq-cut round %u: the guest said %#llx, not its round number",
				 r, (long long)v);
			break;
		}
		npf = stat_of(&g, LGUEST_STAT_EXIT_NPF);
		if (!pulse_irq(&g))
			break;
		v = run_out_limited(&g, "irq-cut: the round's end");
		npf = stat_of(&g, LGUEST_STAT_EXIT_NPF) - npf;
		check_cut_round(&g, r, v, npf);
		if (v != MARK_DONE)
			break;
	}
	if (r == IRQ_ROUNDS)
		went_on = run_to_end(&g, "irq-cut: the guest's end");
	tap_ok(went_on, "irq-cut: the guest went through its %u rounds to its end",
	       IRQ_ROUNDS);
	timer_delete(tick_timer);
out:
	guest_destroy(&g);
}

/* ---- shadow: the STI shadow across an exit -------------------------------- */

/*
 * STI enables interrupts only after the next instruction: an interrupt
 * pending at STI is taken after it (which is what makes "sti; hlt" wake).
 * If that instruction exits to the hypervisor (a nested page fault on its
 * data, or on its fetch), the CPU saves the shadow in the VMCB's
 * int_state, and VMRUN must load it again.  QEMU 7.2's helper_vmrun()
 * never did.  lg.ko, seeing the shadow, asks for the interrupt window
 * with V_IRQ and the VINTR intercept (H:400); QEMU, having dropped the
 * shadow, found the window open at once, and the interrupt came *before*
 * the instruction in the shadow: its saved RIP is the instruction after
 * STI.  After "sti; hlt" the handler returns to the HLT, and the guest
 * sleeps with nothing left to wake it (Linux's idle loop: lost wakeups).
 * (tests/vm/qemu/patches/0006-target-i386-svm-load-the-interrupt-shadow-at-vmrun.patch)
 *
 * The interrupt is pending on the PIC before the STI (the guest asks for
 * it with interrupts off), so where it lands is not a matter of timing.
 * Data rounds: "sti; mov (fresh page), %eax": the interrupt must come
 * after the MOV.  HLT rounds: STI as the last byte of a fresh page and
 * HLT as the first of the next: the interrupt must come after the HLT,
 * and the guest must not sleep.  The saved RIP is then past the HLT or
 * past the NOP that follows it: lg.ko steps over an intercepted HLT
 * without clearing the shadow the CPU reported in int_state, so the NOP
 * runs in that shadow too (a hypervisor that clears it takes the
 * interrupt right after the HLT).
 */
static void test_shadow(void)
{
	uint64_t mov = GUEST_CODE + (g_shadow_mov - g_shadow_start);
	uint64_t after = GUEST_CODE + (g_shadow_after - g_shadow_start);
	static const unsigned char hlt_nop_ret[] = { 0xf4, 0x90, 0xc3 };
	uint64_t npf, rip, hlt;
	bool went_on = false, ok;
	uint32_t entries;
	struct irq_slot s;
	struct guest g;
	unsigned int r;
	int64_t v;

	if (!new_irq_guest(&g, GUEST_CODE_OF(g_shadow),
			   GUEST_CODE_OF(h_shadow), 0x25))
		return;
	for (r = 0; r < IRQ_ROUNDS; r++) {
		hlt = SHADOW_STUBS + 0x2000 * r + 0x1000;
		g.mem[hlt - 1] = 0xfb;		/* STI */
		memcpy(g.mem + hlt, hlt_nop_ret, sizeof(hlt_nop_ret));
	}
	if (!start_ticks())
		goto out;

	v = run_out_limited(&g, "shadow: the warm-up request");
	if (v == 'W' && pulse_irq(&g))
		v = run_out_limited(&g, "shadow: the warm-up's end");
	entries = guest_read32(&g, IRQ_ENTRIES);
	if (!tap_ok(v == MARK_DONE && entries == 1,
		    "shadow: a first interrupt (IRQ %u, vector 0x25) arrives once, mapping the pages an interrupt needs (%u entries)",
		    IRQ_LINE, entries))
		goto out_timer;

	for (r = 0; r < IRQ_ROUNDS; r++) {
		v = run_out_limited(&g, "shadow: the guest's request");
		if (v != r || !pulse_irq(&g))
			goto out_timer;
		npf = stat_of(&g, LGUEST_STAT_EXIT_NPF);
		v = run_out_limited(&g, "shadow: the round's end");
		npf = stat_of(&g, LGUEST_STAT_EXIT_NPF) - npf;
		entries = guest_read32(&g, IRQ_ENTRIES);
		read_slot(&g, 0, &s);
		rip = s.w[0];
		ok = v == MARK_DONE && entries == 1 && npf >= 1 && rip == after;
		if (!ok && rip == mov && entries)
			tap_diag("shadow round %u: the interrupt came at the MOV in STI's shadow: VMRUN dropped the shadow the nested page fault's exit saved",
				 r);
		tap_ok(ok,
		       "shadow round %u: STI, then a MOV from a page never touched (a nested page fault inside STI's shadow): the pending interrupt comes after the MOV (%u entries, saved RIP %#llx, want %#llx; MOV at %#llx; %llu nested page faults)",
		       r, entries, (unsigned long long)rip,
		       (unsigned long long)after, (unsigned long long)mov,
		       (unsigned long long)npf);
		if (v != MARK_DONE)
			goto out_timer;
	}

	for (r = 0; r < IRQ_ROUNDS; r++) {
		hlt = SHADOW_STUBS + 0x2000 * r + 0x1000;
		v = run_out_limited(&g, "shadow: the guest's HLT request");
		if (v != 0x100 + r || !pulse_irq(&g))
			goto out_timer;
		npf = stat_of(&g, LGUEST_STAT_EXIT_NPF);
		v = run_out_limited(&g, "shadow: the HLT round's end");
		npf = stat_of(&g, LGUEST_STAT_EXIT_NPF) - npf;
		entries = guest_read32(&g, IRQ_ENTRIES);
		read_slot(&g, 0, &s);
		rip = s.w[0];
		ok = v == MARK_DONE && entries == 1 && npf >= 2 &&
			(rip == hlt + 1 || rip == hlt + 2);
		if (v == RUN_ASLEEP && entries && rip == hlt)
			tap_diag("shadow HLT round %u: the interrupt came at the HLT in STI's shadow, its handler returned to the HLT, and the guest sleeps: a lost wakeup",
				 r);
		tap_ok(ok,
		       "shadow HLT round %u: STI ending a fresh page, HLT starting the next (its fetch a nested page fault inside STI's shadow): the pending interrupt comes after the HLT and the guest goes on (%u entries, saved RIP %#llx, HLT at %#llx; %llu nested page faults%s)",
		       r, entries, (unsigned long long)rip,
		       (unsigned long long)hlt, (unsigned long long)npf,
		       v == RUN_ASLEEP ? "; asleep in HLT" : "");
		/* A guest asleep: a second interrupt wakes it for the next round. */
		if (v == RUN_ASLEEP && pulse_irq(&g))
			v = run_out_limited(&g, "shadow: the HLT round's end, woken");
		if (v != MARK_DONE)
			goto out_timer;
	}
	went_on = run_to_end(&g, "shadow: the guest's end");
out_timer:
	tap_ok(went_on, "shadow: the guest went through its rounds to its end");
	timer_delete(tick_timer);
out:
	guest_destroy(&g);
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
	const char *name, *title;
	void (*fn)(void);
	unsigned int timeout;	/* beyond secs, for hflags2 */
} groups[] = {
	{ "hflags2", "x87 loads on CPU 1 while a guest exits on CPU 0",
	  test_hflags2, 120 },
	{ "dr7", "DR7 across the world switch, guest to guest", test_dr7, 60 },
	{ "dr7-host", "DR7 changed in a guest under a host watchpoint",
	  test_dr7_host, 60 },
	{ "sstep", "single-step with a watchpoint on the #DB frame",
	  test_sstep, 60 },
	{ "irq-cut", "an interrupt on vector 13 whose delivery is cut short",
	  test_irq_cut, 120 },
	{ "shadow", "the STI shadow across a nested page fault",
	  test_shadow, 120 },
};

static void usage(void)
{
	fprintf(stderr, "usage: test_testhost [-t SECS] [hflags2|dr7|dr7-host|sstep|irq-cut|shadow]...\n");
	exit(2);
}

static void run_group(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcmp(groups[i].name, name))
			continue;
		tap_group(groups[i].title, groups[i].fn,
			  groups[i].timeout +
			  (groups[i].fn == test_hflags2 ? (unsigned int)secs : 0));
		return;
	}
	usage();
}

int main(int argc, char **argv)
{
	int opt, i;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			usage();
		secs = atof(optarg);
		if (secs <= 0)
			usage();
	}
	tap_init();
	if (optind == argc) {
		run_group("hflags2");
		run_group("dr7");
		run_group("dr7-host");
	}
	for (i = optind; i < argc; i++)
		run_group(argv[i]);
	return tap_finish();
}
