// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_guest: hostile guests built from seeds, run through /dev/lguest
 * until each one ends, and a host that must come through every one of
 * them.  TAP on stdout.
 *
 *   fuzz_guest [options] [SEED...]
 *     --corpus FILE   replay the seeds listed in FILE ("N  # why", one a
 *                     line; may be given more than once)
 *     --base N        fresh seeds N, N+1, ... (with --count or --secs)
 *     --count C       how many fresh seeds
 *     --secs S        start fresh seeds until S seconds have passed since
 *                     the program started (the corpus counts too)
 *     --ms T          wall-time cap for one guest (default 100)
 *     --exits K       cap on the exits the launcher handles for one guest
 *                     (default 300)
 *     --check-every M run the known-good guest after every M seeds
 *                     (default 20) and at the end
 *     --kmsg          write "fuzz-guest: seed N" to the kernel log before
 *                     each seed, so a host that dies names its killer
 *     -v              print each generated guest and every exit
 *     --dump          print what the seeds would build; run nothing
 *
 * A seed is a 64-bit number.  It picks, through a PRNG of our own
 * (splitmix64, so the same seed builds the same guest on any machine for
 * the same GENERATOR version): a CPU mode (64-bit, compatibility, 32-bit
 * protected with or without paging, PAE, 16-bit, real mode, CPL 3, or
 * nonsense), register values, random edits to the page tables, GDT, IDT
 * and TSS, how its exception handlers behave (skip a byte and return,
 * return to the same instruction, or halt), and a stream of instructions
 * biased toward what a hypervisor has to intercept or emulate: control and
 * debug register moves, MSRs, port and string I/O, MMIO, SVM and other
 * privileged instructions, INT n, IRET and far transfers into other
 * modes, segment and descriptor-table loads, SYSCALL, XSETBV, CPUID, HLT,
 * page-table writes, self-modifying code and prefixes.  The launcher side
 * is random too: port and MMIO reads get random data, interrupt lines are
 * pulsed, registers are sometimes replaced in the middle of a run, and a
 * triple fault is sometimes answered with SETREGS and another RUN.  Only
 * the timing of host interrupts is not the seed's.
 *
 * Each guest runs until it halts, resets, is killed, or uses up its exits
 * or its time (an interval timer ends RUN with EINTR).  One comment line
 * per seed says how it ended, with lg.ko's kill reason.  The host must
 * survive every seed; these are failures ("not ok", and a "# SAVE-SEED N
 * why" line for `make fuzz-guest` to keep):
 *   - RUN does not come back within HANG_SECS after its timer fired (a
 *     host CPU held by the guest); the seeds run in a child process that
 *     a supervisor watches, so a hang or a crash costs one seed, not the
 *     run;
 *   - the launcher dies of a signal, or its own XMM15/YMM15, MXCSR, x87
 *     control word or PKRU differ after RUN from what it set before;
 *   - the kernel logs a warning, BUG, oops, lockup, RCU stall or an
 *     unchecked MSR access;
 *   - a known-good guest, run every --check-every seeds, does not print
 *     what it should (then every seed since the last good run is named).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>
#include <ctype.h>

#include "guest.h"
#include "tap.h"

/* Bump when a seed builds a different guest: saved seeds name theirs. */
#define GENERATOR	1

#define HANG_SECS	15	/* RUN still out this long after its timer */

/* ---- the guest's memory ---------------------------------------------------- */

/*
 * Guest-physical layout.  The first five pages are where guest.c puts its
 * tables too; everything else is ours.
 */
#define IVT		0x0000UL	/* real mode: 256 far pointers */
#define PML4		0x1000UL
#define PDPT		0x2000UL
#define PD_LOW		0x3000UL	/* 0..1 GiB: 2 MiB pages */
#define PD_HIGH		0x4000UL	/* 3..4 GiB: the MMIO window */
#define GDT		0x5000UL
#define LDT		0x5800UL
#define IDT64		0x6000UL
#define TSS64		0x7000UL
#define TSS32		0x7800UL
#define IDT32		0x8000UL
#define COUNTS		0x9100UL	/* the handlers count here */
#define PD32		0xa000UL	/* 32-bit paging: 4 MiB pages */
#define PDPT_PAE	0xb000UL	/* PAE paging: points at PD_LOW/PD_HIGH */
#define CODE		GUEST_CODE	/* 0x10000 */
#define CODE_MAX	0x8000UL
#define HANDLERS	0x30000UL
#define DATA		0x40000UL	/* pseudo-descriptors, far pointers */
#define DATA_SIZE	0x4000UL
#define STACK		GUEST_STACK	/* 0x80000 */
#define RSP0		0x7c000UL
#define IST_TOP		0x7a000UL
#define REAL_SS		0x7000		/* real mode: SS:SP 0x7000:0xfffe */

#define GDT_LIMIT	0x87
/* The GDT's selectors. */
#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_TSS64	0x18
#define SEL_CODE32	0x28
#define SEL_CODE16	0x30
#define SEL_UCODE64	0x3b
#define SEL_UDATA	0x43
#define SEL_UCODE32	0x4b
#define SEL_DATA16	0x50
#define SEL_LDT		0x58
#define SEL_CALLGATE	0x68
#define SEL_TSS32	0x78

/* Handler entry points (offsets from HANDLERS). */
#define H64_NOERR	0x000
#define H64_ERR		0x040
#define H64_IRQ		0x080
#define H32_NOERR	0x100
#define H32_ERR		0x140
#define H32_IRQ		0x180
#define H16_NOERR	0x200
#define H16_IRQ		0x240

/* Vectors whose exceptions push an error code. */
static bool has_error_code(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
		v == 29 || v == 30;
}

/*
 * What the test host's QEMU cannot take: each of these aborts the QEMU
 * process that runs the test VM (the VM is gone, with no bug in lg.ko to
 * show for it), so the generator steers around them, spending the same
 * random numbers either way so that a seed builds the same guest
 * otherwise; --no-dodge puts them back (for a fixed QEMU or real
 * hardware).
 *
 * - CR8 writes become CR8 reads.  A MOV to CR8 while the hypervisor has a
 *   virtual interrupt pending for the guest (V_IRQ, which lg.ko sets
 *   whenever the guest cannot take an interrupt yet, H:400) makes QEMU's
 *   helper_write_crN() call cpu_interrupt() without the iothread lock:
 *   "tcg_handle_interrupt: assertion failed: (qemu_mutex_iothread_locked())".
 * - TR is loaded as an available TSS, not a busy one (TR_ATTRIB).
 * - EFER.LME is never written (efer_value()), so the guest cannot be in
 *   protected mode with paging and CR4.PAE off and LME on.  From there,
 *   QEMU's #VMEXIT restores the host's CR0 before its CR4 and EFER, and
 *   cpu_x86_update_cr0() quietly refuses to turn paging on with LME set
 *   and PAE clear: the host goes on with the guest's CR0, paging off in
 *   long mode, and that test VM CPU is lost (RCU stalls, then nothing).
 *   Nor does a MOV to CR4 clear PAE, nor a MOV to CR0 clear PG or PE
 *   or set bits above 31 (gen_cr()): QEMU lets 64-bit code clear CR0.PG,
 *   even PE, and truncates the upper half (a real CPU raises #GP for
 *   each), which leaves LME on with paging off, and the #VMEXIT after
 *   that left the host with the guest's CR0 in two 600 s runs (seeds
 *   4028343725 and 1941956090), not only when PAE was off too.
 * - LTR always loads a non-null selector (gen_fixed(), gen_random()).
 *   QEMU's LTR takes a null selector (a real CPU raises #GP) and leaves
 *   TR not present; the next interrupt that needs a stack from the TSS
 *   (a change of privilege, or an IST) ends in "qemu: fatal: invalid
 *   tss".  Any guest can do this, nested or not.
 */
static bool dodge_qemu = true;

/*
 * --no-xsetbv: XSETBV becomes XGETBV, to hunt past the finding that an
 * XSETBV reaches the test host's XCR0 (Documentation/lguest.rst).
 */
static bool no_xsetbv;

/* ---- the PRNG ---------------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(struct rng *r, unsigned int n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

#define PICK(r, arr) ((arr)[below((r), sizeof(arr) / sizeof((arr)[0]))])

/* Values that sit on some edge a CPU or a hypervisor cares about. */
static const uint64_t edge_values[] = {
	0, 1, 2, 3, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff,
	0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000ULL, 0x00007fffffffffffULL, 0x0000800000000000ULL,
	0xffff800000000000ULL, 0xffff7fffffffffffULL, 0x8000000000000000ULL,
	0x7fffffffffffffffULL, ~0ULL, ~0ULL - 7, GUEST_MEM, GUEST_MEM - 8,
	GUEST_MEM - 1, GUEST_MMIO, GUEST_MMIO + 0x60, 0xfec00000, 0xfee00000,
	0xfffff000, PML4, GDT, IDT64, TSS64, CODE, STACK, STACK - 3, COUNTS,
	DATA, 1ULL << 40, 1ULL << 52, 0x000ffffffffff000ULL, HANDLERS,
};

static uint64_t value(struct rng *r)
{
	switch (below(r, 8)) {
	case 0:
		return rnd(r);
	case 1:
		return below(r, 64);
	case 2:
		return (uint32_t)rnd(r);
	default:
		return PICK(r, edge_values);
	}
}

/* ---- what a seed builds ------------------------------------------------ */

enum mode {
	MODE_LONG, MODE_COMPAT, MODE_USER, MODE_PROT32, MODE_PAGED32,
	MODE_PAE32, MODE_PROT16, MODE_REAL, MODE_NONSENSE, MODE_COUNT
};

static const char * const mode_names[] = {
	"64-bit", "compatibility", "64-bit CPL 3", "32-bit protected",
	"32-bit paged", "PAE", "16-bit protected", "real", "nonsense",
};

enum handler_style { STYLE_SKIP, STYLE_RETRY, STYLE_HALT };

/* The launcher's side of a seed: how it answers and what it throws in. */
struct plan {
	enum mode mode;
	enum handler_style style;
	unsigned int irq_percent;	/* pulse a PIC line before a RUN */
	unsigned int setregs_percent;	/* new registers mid-run */
	unsigned int resets;		/* triple faults answered with SETREGS */
	bool halt_goes_on;		/* RUN again after HALT */
	bool eventfds;			/* an ioeventfd and an irqfd */
	unsigned int in_style;		/* 0 random, 1 zero, 2 all ones */
};

struct gen {
	struct rng *r;
	uint8_t *mem;			/* GUEST_MEM bytes */
	struct lguest_regs *regs;
	struct plan *plan;
	size_t len;			/* code bytes so far, at CODE */
	unsigned int data_used;		/* bytes of DATA handed out */
	bool verbose;
};

static void note(struct gen *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	if (!g->verbose)
		return;
	printf("#   gen: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void put8(uint8_t *mem, uint64_t gpa, uint8_t v)
{
	mem[gpa] = v;
}

static void put16(uint8_t *mem, uint64_t gpa, uint16_t v)
{
	memcpy(mem + gpa, &v, sizeof(v));
}

static void put32(uint8_t *mem, uint64_t gpa, uint32_t v)
{
	memcpy(mem + gpa, &v, sizeof(v));
}

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, sizeof(v));
}

static uint64_t get64(const uint8_t *mem, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, mem + gpa, sizeof(v));
	return v;
}

/* Room in DATA for an operand the code points at: its address. */
static uint64_t data_slot(struct gen *g, unsigned int size)
{
	uint64_t at;

	if (g->data_used + size > DATA_SIZE)
		g->data_used = 0;
	at = DATA + g->data_used;
	g->data_used += (size + 15) & ~15U;
	return at;
}

/* ---- emitting code ----------------------------------------------------- */

static bool code_full(struct gen *g)
{
	return g->len + 64 > CODE_MAX;
}

static void e8(struct gen *g, uint8_t b)
{
	if (g->len < CODE_MAX)
		g->mem[CODE + g->len++] = b;
}

static void ebytes(struct gen *g, const char *bytes, size_t n)
{
	while (n--)
		e8(g, (uint8_t)*bytes++);
}

#define EMIT(g, s) ebytes((g), (s), sizeof(s) - 1)

static void e16(struct gen *g, uint16_t v)
{
	e8(g, v);
	e8(g, v >> 8);
}

static void e32(struct gen *g, uint32_t v)
{
	e16(g, v);
	e16(g, v >> 16);
}

static void e64(struct gen *g, uint64_t v)
{
	e32(g, v);
	e32(g, v >> 32);
}

/* Guest address of the next byte. */
static uint64_t here(struct gen *g)
{
	return CODE + g->len;
}

static uint8_t modrm(unsigned int mod, unsigned int reg, unsigned int rm)
{
	return (mod << 6) | ((reg & 7) << 3) | (rm & 7);
}

/* REX with W, R (reg) and B (rm) as needed; none if it would be 0x40. */
static void rex(struct gen *g, bool w, unsigned int reg, unsigned int rm)
{
	uint8_t b = 0x40 | (w ? 8 : 0) | (reg & 8 ? 4 : 0) | (rm & 8 ? 1 : 0);

	if (b != 0x40)
		e8(g, b);
}

/* mov $v, %reg: 32-bit form (zero-extending) when it fits. */
static void mov_imm(struct gen *g, unsigned int reg, uint64_t v)
{
	if (v <= 0xffffffff) {
		rex(g, false, 0, reg);
		e8(g, 0xb8 + (reg & 7));
		e32(g, v);
	} else {
		rex(g, true, 0, reg);
		e8(g, 0xb8 + (reg & 7));
		e64(g, v);
	}
}

/* ModRM (+SIB) for an absolute 32-bit address: [disp32]. */
static void mem_abs(struct gen *g, unsigned int reg, uint32_t addr)
{
	e8(g, modrm(0, reg, 4));
	e8(g, 0x25);
	e32(g, addr);
}

/* ModRM (+SIB/disp) for [base register]. */
static void mem_reg(struct gen *g, unsigned int reg, unsigned int base)
{
	if ((base & 7) == 4) {
		e8(g, modrm(0, reg, 4));
		e8(g, 0x24);
	} else if ((base & 7) == 5) {
		e8(g, modrm(1, reg, 5));
		e8(g, 0);
	} else {
		e8(g, modrm(0, reg, base));
	}
}

static unsigned int any_reg(struct gen *g)
{
	unsigned int r;

	do
		r = below(g->r, 16);
	while (r == 4 && chance(g->r, 90));	/* %rsp: now and then */
	return r;
}

/* ---- instruction generators -------------------------------------------- */

static void gen_random(struct gen *g)
{
	unsigned int n = 1 + below(g->r, 8);
	size_t from = g->len;

	while (n--)
		e8(g, rnd(g->r));
	/* No LTR of a random (maybe null) selector: 0f 00 becomes 0f 01. */
	for (; dodge_qemu && from + 1 < g->len; from++)
		if (g->mem[CODE + from] == 0x0f && g->mem[CODE + from + 1] == 0x00)
			g->mem[CODE + from + 1] = 0x01;
}

static void gen_movimm(struct gen *g)
{
	mov_imm(g, any_reg(g), value(g->r));
}

static uint64_t flip_bits(struct rng *r, uint64_t v, const uint8_t *bits,
			  size_t nbits)
{
	unsigned int n = 1 + below(r, 2);

	while (n--)
		v ^= 1ULL << bits[below(r, nbits)];
	return v;
}

static uint64_t cr0_value(struct rng *r)
{
	static const uint8_t bits[] = { 0, 1, 2, 3, 4, 5, 16, 18, 29, 30, 31 };

	if (chance(r, 15))
		return value(r);
	return flip_bits(r, 0x80050033, bits, sizeof(bits));
}

static uint64_t cr4_value(struct rng *r)
{
	if (chance(r, 15))
		return value(r);
	return 0x620 ^ (1ULL << below(r, 24)) ^
		(chance(r, 30) ? 1ULL << below(r, 24) : 0);
}

static uint64_t cr3_value(struct rng *r)
{
	static const uint64_t v[] = {
		PML4, PML4 | 0x18, PML4 | (1ULL << 63), PD32, PDPT_PAE, PDPT,
		PD_LOW, GUEST_MEM, GUEST_MMIO, 1ULL << 40, 0, 0xfff,
	};

	return chance(r, 10) ? rnd(r) : PICK(r, v);
}

static void gen_cr(struct gen *g)
{
	static const unsigned int crs[] = { 0, 0, 0, 2, 3, 3, 4, 4, 4, 8, 1, 5, 9 };
	unsigned int cr = PICK(g->r, crs), reg = any_reg(g);
	uint64_t v;

	if (chance(g->r, 30)) {		/* a read */
		rex(g, false, cr, reg);
		e8(g, 0x0f);
		e8(g, 0x20);
		e8(g, modrm(3, cr, reg));
		return;
	}
	v = cr == 0 ? cr0_value(g->r) : cr == 3 ? cr3_value(g->r) :
		cr == 4 ? cr4_value(g->r) : cr == 8 ? below(g->r, 17) : value(g->r);
	if (chance(g->r, 85))
		mov_imm(g, reg, v);
	/*
	 * CR0 keeps PE and PG and nothing above bit 31 (dodge_qemu): mov
	 * %reg32, %reg32; bts $31, %reg; bts $0, %reg.
	 */
	if (dodge_qemu && cr == 0) {
		rex(g, false, reg, reg);
		e8(g, 0x89);
		e8(g, modrm(3, reg, reg));
		rex(g, true, 0, reg);
		EMIT(g, "\x0f\xba");
		e8(g, modrm(3, 5, reg));
		e8(g, 31);
		rex(g, true, 0, reg);
		EMIT(g, "\x0f\xba");
		e8(g, modrm(3, 5, reg));
		e8(g, 0);
	}
	/* CR4.PAE stays on (dodge_qemu): or $0x20, %reg first. */
	if (dodge_qemu && cr == 4) {
		rex(g, true, 0, reg);
		e8(g, 0x83);
		e8(g, modrm(3, 1, reg));
		e8(g, 0x20);
	}
	rex(g, false, cr, reg);
	e8(g, 0x0f);
	e8(g, dodge_qemu && cr == 8 ? 0x20 : 0x22);	/* see dodge_qemu */
	e8(g, modrm(3, cr, reg));
}

static uint64_t dr7_value(struct rng *r)
{
	static const uint64_t v[] = {
		0x400, 0xd0001, 0xf0003, 0x30002, 0x2000, 0x27ff, 0x702,
		0xffff03ff, 0x100000000ULL, 0x1, 0x20002, 0x10002,
	};

	return chance(r, 15) ? value(r) : PICK(r, v);
}

static uint64_t breakpoint_address(struct gen *g)
{
	static const uint64_t v[] = {
		STACK - 8, STACK - 16, RSP0 - 8, COUNTS, TSS64, IDT64 + 16,
		HANDLERS, GUEST_MMIO, PML4,
	};

	if (chance(g->r, 40))
		return here(g) + below(g->r, 64);
	return chance(g->r, 10) ? value(g->r) : PICK(g->r, v);
}

static void gen_dr(struct gen *g)
{
	static const unsigned int drs[] = { 0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 6, 0, 8 };
	unsigned int dr = PICK(g->r, drs), reg = any_reg(g);

	if (chance(g->r, 35)) {
		rex(g, false, dr, reg);
		e8(g, 0x0f);
		e8(g, 0x21);
		e8(g, modrm(3, dr, reg));
		return;
	}
	if (chance(g->r, 85))
		mov_imm(g, reg, dr == 7 || dr == 5 ? dr7_value(g->r) :
			dr < 4 ? breakpoint_address(g) : value(g->r));
	rex(g, false, dr, reg);
	e8(g, 0x0f);
	e8(g, 0x23);
	e8(g, modrm(3, dr, reg));
}

/*
 * The #DB delivery loop (CVE-2015-8104): a data breakpoint on the stack
 * the #DB frame is pushed to, then something that traps.
 */
static void gen_db_loop(struct gen *g)
{
	EMIT(g, "\x48\x89\xe0");		/* mov %rsp, %rax */
	EMIT(g, "\x48\x83\xe8");		/* sub $N, %rax */
	e8(g, 8 * (1 + below(g->r, 5)));
	EMIT(g, "\x0f\x23\xc0");		/* mov %rax, %dr0 */
	mov_imm(g, 0, chance(g->r, 50) ? 0xf0003 : 0xd0002);
	EMIT(g, "\x0f\x23\xf8");		/* mov %rax, %dr7 */
	switch (below(g->r, 4)) {
	case 0:
		EMIT(g, "\xcc");		/* int3 */
		break;
	case 1:
		EMIT(g, "\x9c\x48\x81\x0c\x24\x00\x01\x00\x00\x9d\x90");
		break;				/* TF on */
	case 2:
		EMIT(g, "\x50\x58");		/* push, pop */
		break;
	default:
		EMIT(g, "\xf1");		/* int1 */
		break;
	}
}

/*
 * The #AC delivery loop (CVE-2015-5307): an IDT gate for #AC into a CPL 3
 * code segment, so it is delivered on the same misaligned user stack,
 * then CPL 3 with EFLAGS.AC and a misaligned RSP.  With CR0.AM the first
 * push faults, and so does every delivery of that fault.
 */
static void gen_ac_loop(struct gen *g)
{
	uint64_t gate = IDT64 + 17 * 16, target;
	size_t at;

	mov_imm(g, 0, (HANDLERS + H64_ERR) | ((uint64_t)SEL_UCODE64 << 16) |
		(0xeeULL << 40));
	EMIT(g, "\x48\x89\x04\x25");		/* mov %rax, gate */
	e32(g, gate);
	/* iretq to CPL 3 with AC, on a stack one byte off. */
	EMIT(g, "\x6a");			/* push $SEL_UDATA */
	e8(g, SEL_UDATA);
	EMIT(g, "\x68");			/* push $STACK - 0x1001 */
	e32(g, STACK - 0x1001);
	EMIT(g, "\x68");			/* push $(AC | fixed) */
	e32(g, 0x40002);
	EMIT(g, "\x6a");			/* push $SEL_UCODE64 */
	e8(g, SEL_UCODE64);
	at = g->len;
	EMIT(g, "\x68");			/* push $target */
	e32(g, 0);
	EMIT(g, "\x48\xcf");			/* iretq */
	target = here(g);
	put32(g->mem, CODE + at + 1, target);
	EMIT(g, "\x50\x50\x50");		/* push %rax (x3) */
}

static const uint32_t msrs[] = {
	0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xc1, 0xe7, 0xe8, 0xfe, 0x174,
	0x175, 0x176, 0x179, 0x17a, 0x17b, 0x1d9, 0x1db, 0x1dc, 0x200, 0x201,
	0x20f, 0x250, 0x277, 0x2ff, 0x400, 0x401, 0x6e0, 0x802, 0x80b, 0x830,
	0x10a, 0x122, 0xc0000080, 0xc0000080, 0xc0000080, 0xc0000081,
	0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101,
	0xc0000102, 0xc0000103, 0xc0000104, 0xc0010000, 0xc0010004,
	0xc0010010, 0xc0010015, 0xc001001f, 0xc0010055, 0xc0010058,
	0xc0010114, 0xc0010115, 0xc0010117, 0xc0010117, 0xc0010131,
	0xc0010140, 0xc0011020, 0xc0011029, 0xc00110e2, 0x40000000,
	0x4b564d00, 0xffffffff,
};

static uint64_t efer_value(struct rng *r)
{
	static const uint64_t v[] = {
		0x500, 0x501, 0xd01, 0xd00, 0x100, 0x1000, 0x1d01, 0x2000,
		0x8000, 0x4500, 0, 0x400, 0x901,
	};

	uint64_t efer = chance(r, 10) ? value(r) : PICK(r, v);

	/* LME only where paging and PAE are on already (dodge_qemu). */
	return dodge_qemu ? efer & ~0x100ULL : efer;
}

static void gen_msr(struct gen *g)
{
	uint32_t msr = chance(g->r, 8) ? (uint32_t)rnd(g->r) : PICK(g->r, msrs);
	uint64_t v = msr == 0xc0000080 ? efer_value(g->r) : value(g->r);

	mov_imm(g, 1, msr);			/* %ecx */
	if (chance(g->r, 40)) {
		EMIT(g, "\x0f\x32");		/* rdmsr */
		return;
	}
	mov_imm(g, 0, (uint32_t)v);
	mov_imm(g, 2, v >> 32);
	EMIT(g, "\x0f\x30");			/* wrmsr */
}

static void gen_cpuid(struct gen *g)
{
	static const uint32_t leaves[] = {
		0, 1, 2, 4, 5, 6, 7, 0xb, 0xd, 0x14, 0x40000000, 0x40000001,
		0x80000000, 0x80000001, 0x80000007, 0x80000008, 0x8000000a,
		0x8000001f, 0x80000021, 0xffffffff,
	};

	mov_imm(g, 0, chance(g->r, 10) ? (uint32_t)rnd(g->r) : PICK(g->r, leaves));
	mov_imm(g, 1, below(g->r, 3));
	EMIT(g, "\x0f\xa2");
}

static void gen_svm(struct gen *g)
{
	static const uint64_t addrs[] = {
		DATA, GUEST_MMIO, PML4, 0, GUEST_MEM, 0x1234, ~0ULL,
	};

	if (chance(g->r, 70))
		mov_imm(g, 0, chance(g->r, 20) ? value(g->r) : PICK(g->r, addrs));
	e8(g, 0x0f);
	e8(g, 0x01);
	e8(g, 0xd8 + below(g->r, 8));	/* vmrun ... invlpga */
}

static uint16_t selector(struct rng *r);

/* Fixed instructions a hypervisor has reasons to care about. */
static const struct {
	const char *bytes;
	unsigned int len;
} fixed[] = {
#define F(s) { s, sizeof(s) - 1 }
	F("\x0f\x08"),		/* invd */
	F("\x0f\x09"),		/* wbinvd */
	F("\xf3\x0f\x09"),	/* wbnoinvd */
	F("\x0f\x06"),		/* clts */
	F("\xf4"),		/* hlt */
	F("\xfa"),		/* cli */
	F("\xfb"),		/* sti */
	F("\xfb\xf4"),		/* sti; hlt */
	F("\xfb\xf4"),
	F("\x0f\x01\xc8"),	/* monitor */
	F("\x0f\x01\xc9"),	/* mwait */
	F("\x0f\x01\xd0"),	/* xgetbv */
	F("\x0f\x01\xd1"),	/* xsetbv */
	F("\x0f\x01\xf8"),	/* swapgs */
	F("\x0f\x01\xf9"),	/* rdtscp */
	F("\xf3\x0f\xc7\xf8"),	/* rdpid %rax */
	F("\x0f\x31"),		/* rdtsc */
	F("\x0f\x33"),		/* rdpmc */
	F("\x0f\x01\xfd"),	/* rdpru */
	F("\x48\x0f\xc7\xf0"),	/* rdrand %rax */
	F("\x48\x0f\xc7\xf8"),	/* rdseed %rax */
	F("\x0f\x01\xca"),	/* clac */
	F("\x0f\x01\xcb"),	/* stac */
	F("\x0f\x01\xcf"),	/* encls */
	F("\x0f\x01\xc1"),	/* vmcall */
	F("\x0f\x01\xc2"),	/* vmlaunch */
	F("\x0f\x01\xc4"),	/* vmxoff */
	F("\x0f\x01\xee"),	/* rdpkru */
	F("\x31\xc9\x31\xd2\x0f\x01\xef"),	/* wrpkru */
	F("\x0f\x01\xfe"),	/* invlpgb */
	F("\x0f\x01\xff"),	/* tlbsync */
	F("\x0f\x01\xe8"),	/* serialize */
	F("\x0f\x01\xfa"),	/* monitorx */
	F("\x0f\x01\xfb"),	/* mwaitx */
	F("\x0f\x01\xfc"),	/* clzero */
	F("\x0f\x01\xd5"),	/* xend */
	F("\x0f\x01\xd6"),	/* xtest */
	F("\x0f\x0b"),		/* ud2 */
	F("\xcc"),		/* int3 */
	F("\xf1"),		/* int1 */
	F("\xce"),		/* into */
	F("\x48\xcf"),		/* iretq */
	F("\xcf"),		/* iret */
	F("\xc3"),		/* ret */
	F("\xcb"),		/* lret */
	F("\x48\xcb"),		/* lretq */
	F("\xc9"),		/* leave */
	F("\xf3\x90"),		/* pause */
	F("\xf0\x90"),		/* lock nop: #UD */
	F("\x0f\x05"),		/* syscall */
	F("\x0f\x07"),		/* sysret */
	F("\x48\x0f\x07"),	/* sysretq */
	F("\x0f\x34"),		/* sysenter */
	F("\x0f\x35"),		/* sysexit */
	F("\x0f\xaa"),		/* rsm */
	F("\x0f\x01\xf0"),	/* lmsw %ax */
	F("\x0f\x01\xe0"),	/* smsw %eax */
	F("\x0f\x00\xc8"),	/* str %eax */
	F("\x0f\x00\xc0"),	/* sldt %eax */
	F("\x0f\x00\xd8"),	/* ltr %ax */
	F("\x0f\x00\xd0"),	/* lldt %ax */
	F("\x0f\x00\xe0"),	/* verr %ax */
	F("\x0f\x02\xc0"),	/* lar %ax, %eax */
	F("\x0f\x03\xc0"),	/* lsl %ax, %eax */
	F("\xdb\xe3"),		/* fninit */
	F("\x9b"),		/* fwait */
	F("\x0f\x77"),		/* emms */
	F("\xc5\xf8\x77"),	/* vzeroupper */
	F("\xc5\xfc\x77"),	/* vzeroall */
	F("\xc5\xfe\x6f\xc1"),	/* vmovdqu %ymm1, %ymm0 */
	F("\x62\xf1\x7c\x48\x28\xc1"),	/* vmovaps %zmm1, %zmm0 */
	F("\xc4\xe1\xf8\x90\xc1"),	/* kmovq %k1, %k0 */
	F("\xf3\x48\x0f\xae\xc0"),	/* rdfsbase %rax */
	F("\xf3\x48\x0f\xae\xd0"),	/* wrfsbase %rax */
	F("\xf3\x48\x0f\xae\xd8"),	/* wrgsbase %rax */
	F("\x0f\xa2"),		/* cpuid */
	F("\x8e\xd0\xcc"),	/* mov %eax, %ss; int3 */
	F("\x8e\xd0\x0f\x05"),	/* mov %eax, %ss; syscall */
	F("\x8e\xd0\xf4"),	/* mov %eax, %ss; hlt */
	F("\x17"),		/* pop %ss */
	F("\x0e"),		/* push %cs */
	F("\x1f"),		/* pop %ds */
	F("\x0f\xa1"),		/* pop %fs */
	F("\x0f\xa9"),		/* pop %gs */
	F("\x37"),		/* aaa */
	F("\x9c\x58"),		/* pushf; pop %rax */
	F("\x50\x9d"),		/* push %rax; popf */
	F("\xeb\xfe"),		/* jmp . */
	F("\x66\x0f\x38\x80\x00"),	/* invept */
	F("\x0f\x01\x38"),	/* invlpg (%rax) */
	F("\x0f\x01\xdf"),	/* invlpga */
	F("\x0f\xae\x38"),	/* clflush (%rax) */
	F("\xf3\x0f\xae\xf0"),	/* umonitor %rax */
	F("\x66\x0f\xae\xf0"),	/* tpause %eax */
	F("\xf2\x0f\x01\xe8"),	/* xsusldtrk */
	F("\xf3\x0f\x1e\xfa"),	/* endbr64 */
	F("\xf3\x0f\x01\xfa"),	/* mcommit */
	F("\x0f\x01\xc5"),	/* pconfig */
	F("\xc7\xf8\x00\x00\x00\x00"),	/* xbegin */
#undef F
};

static void gen_fixed(struct gen *g)
{
	unsigned int i = below(g->r, sizeof(fixed) / sizeof(fixed[0]));
	uint16_t sel;

	if (!strcmp(fixed[i].bytes, "\x0f\x00\xd8")) {	/* ltr %ax */
		sel = selector(g->r) | 8;
		if (dodge_qemu) {		/* never a null TR */
			EMIT(g, "\x66\xb8");
			e16(g, sel);
		}
	}
	if (no_xsetbv && !strcmp(fixed[i].bytes, "\x0f\x01\xd1"))
		i--;				/* xgetbv, the entry before */
	ebytes(g, fixed[i].bytes, fixed[i].len);
}

/* XSETBV with interesting XCR0 values (and XCR numbers). */
static void gen_xsetbv(struct gen *g)
{
	static const uint64_t xcr0[] = {
		1, 3, 7, 0xe7, 0x207, 0x2ff, 0, 2, 5, 0x1ff, ~0ULL,
	};
	uint64_t v = PICK(g->r, xcr0);

	mov_imm(g, 1, chance(g->r, 85) ? 0 : below(g->r, 3));
	mov_imm(g, 0, (uint32_t)v);
	mov_imm(g, 2, v >> 32);
	EMIT(g, "\x0f\x01");
	e8(g, no_xsetbv ? 0xd0 : 0xd1);
}

/* XSAVE-family and FPU state loads from memory we filled with garbage. */
static void gen_xstate(struct gen *g)
{
	uint64_t at = data_slot(g, 4096);
	unsigned int i;

	for (i = 0; i < 1024; i += 8)
		put64(g->mem, at + i, chance(g->r, 70) ? 0 : value(g->r));
	put32(g->mem, at + 24, chance(g->r, 50) ? 0x1f80 : (uint32_t)rnd(g->r));
	at = (at + 63) & ~63ULL;
	mov_imm(g, 0, ~0ULL >> below(g->r, 64));
	mov_imm(g, 2, chance(g->r, 50) ? 0 : ~0U);
	switch (below(g->r, 7)) {
	case 0:		/* fxrstor64 */
		EMIT(g, "\x48\x0f\xae");
		mem_abs(g, 1, at);
		break;
	case 1:		/* xrstor64 */
		EMIT(g, "\x48\x0f\xae");
		mem_abs(g, 5, at);
		break;
	case 2:		/* xsave64 */
		EMIT(g, "\x48\x0f\xae");
		mem_abs(g, 4, at);
		break;
	case 3:		/* xrstors64 */
		EMIT(g, "\x48\x0f\xc7");
		mem_abs(g, 3, at);
		break;
	case 4:		/* ldmxcsr */
		EMIT(g, "\x0f\xae");
		mem_abs(g, 2, at + 24);
		break;
	case 5:		/* fldcw, then divide by zero and wait: #MF or FERR */
		put16(g->mem, at, 0x360 | below(g->r, 0x40));
		EMIT(g, "\xd9");
		mem_abs(g, 5, at);
		EMIT(g, "\xd9\xe8\xd9\xee\xde\xf9\x9b");	/* fld1 fldz fdivrp fwait */
		break;
	default:	/* unmasked SSE divide by zero: #XM or #UD */
		put32(g->mem, at, 0x1d00);	/* #I and #Z unmasked */
		EMIT(g, "\x0f\xae");
		mem_abs(g, 2, at);
		EMIT(g, "\x0f\x57\xc9\xf3\x0f\x5e\xc1");	/* xorps; divss */
		break;
	}
}

static uint16_t io_port(struct rng *r)
{
	static const uint16_t ports[] = {
		0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43,
		0x61, 0x3f8, 0x3f9, 0x3fd, 0x64, 0x70, 0x71, 0xcf8, 0xcfc, 0x80,
		0x92, 0xe9, 0x402, 0x501, 0xffff, 0x21, 0x43, 0x40,
	};

	return chance(r, 15) ? (uint16_t)rnd(r) : PICK(r, ports);
}

static void gen_io(struct gen *g)
{
	uint16_t port = io_port(g->r);
	bool in = chance(g->r, 40), dx = port > 0xff || chance(g->r, 50);
	unsigned int size = below(g->r, 3);	/* 8, 16, 32 bits */

	if (!in)
		mov_imm(g, 0, value(g->r));
	if (dx) {
		EMIT(g, "\x66\xba");		/* mov $port, %dx */
		e16(g, port);
	}
	if (size == 1)
		e8(g, 0x66);
	e8(g, (dx ? 0xec : 0xe4) | (in ? 0 : 2) | (size ? 1 : 0));
	if (!dx)
		e8(g, port);
}

static void gen_io_string(struct gen *g)
{
	EMIT(g, "\x66\xba");
	e16(g, io_port(g->r));
	mov_imm(g, 6, chance(g->r, 70) ? DATA : value(g->r));	/* %rsi */
	mov_imm(g, 7, chance(g->r, 70) ? DATA : value(g->r));	/* %rdi */
	mov_imm(g, 1, below(g->r, 4));				/* %rcx */
	if (chance(g->r, 50))
		e8(g, 0xf3);
	e8(g, 0x6c + below(g->r, 4));
}

static void out_al(struct gen *g, uint8_t port, uint8_t v)
{
	e8(g, 0xb0);
	e8(g, v);
	e8(g, 0xe6);
	e8(g, port);
}

/* Program a PIC, mostly sensibly. */
static void gen_pic(struct gen *g)
{
	uint8_t base = chance(g->r, 30) ? 0xa0 : 0x20;

	switch (below(g->r, 3)) {
	case 0:		/* ICW1-ICW4 */
		out_al(g, base, chance(g->r, 80) ? 0x11 : 0x10 | below(g->r, 16));
		out_al(g, base + 1, chance(g->r, 60) ? (base == 0x20 ? 0x20 : 0x28) :
		       (uint8_t)rnd(g->r));
		out_al(g, base + 1, base == 0x20 ? 4 : 2);
		out_al(g, base + 1, chance(g->r, 80) ? 1 : below(g->r, 32));
		out_al(g, base + 1, chance(g->r, 50) ? 0 : (uint8_t)rnd(g->r));
		break;
	case 1:		/* OCW2/OCW3: EOIs, priorities, poll, special mask */
		out_al(g, base, PICK(g->r, ((const uint8_t[]){
			0x20, 0x60, 0x61, 0x67, 0xa0, 0xc0, 0xc7, 0xe0, 0x0a,
			0x0b, 0x0c, 0x68, 0x48, 0x80 })));
		break;
	default:	/* mask or ELCR */
		if (chance(g->r, 30)) {
			EMIT(g, "\x66\xba");
			e16(g, 0x4d0 + below(g->r, 2));
			e8(g, 0xb0);
			e8(g, rnd(g->r));
			e8(g, 0xee);
		} else {
			out_al(g, base + 1, rnd(g->r));
		}
		break;
	}
}

/* Program the PIT, often fast. */
static void gen_pit(struct gen *g)
{
	static const uint8_t modes[] = {
		0x34, 0x36, 0x30, 0x32, 0x38, 0x3a, 0xb0, 0xb6, 0x74, 0x00,
		0xc2, 0xe2, 0xd2, 0xff, 0x14, 0x24,
	};
	static const uint16_t counts[] = { 0, 1, 2, 3, 0xffff, 100, 1193, 0x8000 };
	uint16_t count = chance(g->r, 10) ? (uint16_t)rnd(g->r) : PICK(g->r, counts);

	out_al(g, 0x43, PICK(g->r, modes));
	out_al(g, 0x40, count);
	if (chance(g->r, 80))
		out_al(g, 0x40, count >> 8);
	if (chance(g->r, 20))
		out_al(g, 0x61, rnd(g->r));
	if (chance(g->r, 30))
		EMIT(g, "\xe4\x40");		/* in $0x40, %al */
}

static uint64_t mmio_address(struct rng *r)
{
	static const uint64_t v[] = {
		GUEST_MMIO, GUEST_MMIO + 0x60, GUEST_MMIO + 0x64,
		GUEST_MMIO + 0x50, GUEST_MMIO + 0xffc, GUEST_MMIO + 0x70,
		GUEST_MMIO - 0x100000, 0xfec00000, 0xfee00000, 0xfffffffc,
		GUEST_MEM, GUEST_MEM - 4, GUEST_MEM + 0x200000,
	};

	if (chance(r, 20))
		return GUEST_MMIO + below(r, 0x100000);
	return PICK(r, v);
}

/* Memory instructions on an MMIO address: the decoder's diet. */
static void gen_mmio(struct gen *g)
{
	unsigned int base = any_reg(g), reg = any_reg(g);
	uint64_t addr = mmio_address(g->r);

	if (base == 4)
		base = 3;
	if (chance(g->r, 15)) {		/* mov moffs64 */
		e8(g, chance(g->r, 50) ? 0x48 : 0x66);
		e8(g, 0xa0 + below(g->r, 4));
		e64(g, addr);
		return;
	}
	mov_imm(g, base, addr);
	if (chance(g->r, 20))
		e8(g, PICK(g->r, ((const uint8_t[]){ 0x66, 0x67, 0xf0, 0xf3,
						      0x64, 0x65, 0x2e })));
	switch (below(g->r, 14)) {
	case 0: case 1: case 2:		/* mov r/m <-> r, all sizes */
		rex(g, chance(g->r, 40), reg, base);
		e8(g, PICK(g->r, ((const uint8_t[]){ 0x88, 0x89, 0x8a, 0x8b })));
		mem_reg(g, reg, base);
		break;
	case 3:				/* mov $imm */
		rex(g, chance(g->r, 40), 0, base);
		if (chance(g->r, 50)) {
			e8(g, 0xc6);
			mem_reg(g, 0, base);
			e8(g, rnd(g->r));
		} else {
			e8(g, 0xc7);
			mem_reg(g, 0, base);
			e32(g, rnd(g->r));
		}
		break;
	case 4:				/* movzx/movsx */
		rex(g, chance(g->r, 40), reg, base);
		e8(g, 0x0f);
		e8(g, PICK(g->r, ((const uint8_t[]){ 0xb6, 0xb7, 0xbe, 0xbf })));
		mem_reg(g, reg, base);
		break;
	case 5:				/* read-modify-write: add, xchg, cmpxchg */
		rex(g, chance(g->r, 40), reg, base);
		if (chance(g->r, 50)) {
			e8(g, PICK(g->r, ((const uint8_t[]){ 0x01, 0x87, 0x85, 0x31 })));
		} else {
			e8(g, 0x0f);
			e8(g, PICK(g->r, ((const uint8_t[]){ 0xb1, 0xc1, 0xa3, 0xab })));
		}
		mem_reg(g, reg, base);
		break;
	case 6:				/* string moves to and from MMIO */
		mov_imm(g, 6, chance(g->r, 50) ? addr : DATA);
		mov_imm(g, 7, chance(g->r, 50) ? addr : DATA);
		mov_imm(g, 1, below(g->r, 4));
		if (chance(g->r, 60))
			e8(g, 0xf3);
		e8(g, PICK(g->r, ((const uint8_t[]){ 0xa4, 0xa5, 0xaa, 0xab, 0xac,
						      0xad, 0xa6 })));
		break;
	case 7:				/* push/pop memory, call/jmp through it */
		rex(g, false, 0, base);
		e8(g, chance(g->r, 70) ? 0xff : 0x8f);
		mem_reg(g, PICK(g->r, ((const unsigned int[]){ 6, 2, 4, 0 })), base);
		break;
	case 8:				/* SSE and friends */
		e8(g, PICK(g->r, ((const uint8_t[]){ 0x66, 0xf3, 0xf2, 0x0f })));
		if (g->mem[CODE + g->len - 1] != 0x0f)
			e8(g, 0x0f);
		e8(g, PICK(g->r, ((const uint8_t[]){ 0x6f, 0x7f, 0x10, 0x11,
						      0xd6, 0x7e, 0xc3, 0x2b })));
		mem_reg(g, reg, base);
		break;
	case 9:				/* a stack in MMIO */
		rex(g, true, base, 4);		/* mov %base, %rsp */
		e8(g, 0x89);
		e8(g, modrm(3, base, 4));
		EMIT(g, "\x50\x58");		/* push %rax; pop %rax */
		break;
	case 10:			/* clflush, prefetch, lgdt from MMIO */
		e8(g, 0x0f);
		if (chance(g->r, 50)) {
			e8(g, 0xae);
			mem_reg(g, 7, base);
		} else {
			e8(g, 0x01);
			mem_reg(g, below(g->r, 4), base);
		}
		break;
	case 11:			/* an instruction longer than 15 bytes */
		for (unsigned int i = 0; i < 14; i++)
			e8(g, 0x66);
		e8(g, 0x8b);
		mem_reg(g, reg, base);
		break;
	default:			/* vex */
		EMIT(g, "\xc5\xfa\x6f");	/* vmovdqu (base), %xmm */
		mem_reg(g, reg, base);
		break;
	}
}

/* A table entry somewhere the CPU looks. */
static uint64_t table_entry_address(struct gen *g)
{
	switch (below(g->r, 9)) {
	case 0:
		return PML4 + 8 * (chance(g->r, 60) ? 0 : below(g->r, 512));
	case 1:
		return PDPT + 8 * (chance(g->r, 50) ? below(g->r, 4) : below(g->r, 512));
	case 2:
		return PD_LOW + 8 * (chance(g->r, 60) ? below(g->r, 3) : below(g->r, 512));
	case 3:
		return PD_HIGH + 8 * (chance(g->r, 50) ? 0x1f5 : below(g->r, 512));
	case 4:
		return GDT + 8 * below(g->r, GDT_LIMIT / 8 + 2);
	case 5:
		return IDT64 + 8 * below(g->r, 512);
	case 6:
		return TSS64 + 4 + 8 * below(g->r, 12);
	case 7:
		return HANDLERS + below(g->r, 0x260);
	default:
		return here(g) + 8 + below(g->r, 64);	/* code ahead */
	}
}

static uint64_t pte_value(struct rng *r)
{
	static const uint64_t targets[] = {
		0, 0x200000, GUEST_MEM, 0xfea00000, PML4, PDPT, PD_LOW, 1ULL << 40,
		0xfffff000, GUEST_MEM - 0x1000,
	};
	uint64_t flags = 1 | (rnd(r) & 0x1fe) | (chance(r, 10) ? 1ULL << 63 : 0);

	if (chance(r, 10))
		return rnd(r);
	return PICK(r, targets) | flags;
}

/* Guest code writing its own tables (and code). */
static void gen_table_write(struct gen *g)
{
	uint64_t at = table_entry_address(g);

	mov_imm(g, 0, chance(g->r, 60) ? pte_value(g->r) : value(g->r));
	EMIT(g, "\x48\x89");			/* mov %rax, at */
	mem_abs(g, 0, at);
	switch (below(g->r, 4)) {
	case 0:
		EMIT(g, "\x0f\x20\xd8\x0f\x22\xd8");	/* reload %cr3 */
		break;
	case 1:
		mov_imm(g, 0, chance(g->r, 50) ? here(g) : value(g->r));
		EMIT(g, "\x0f\x01\x38");	/* invlpg (%rax) */
		break;
	}
}

/* LGDT/LIDT (or SGDT/SIDT) of a pseudo-descriptor in DATA. */
static void gen_dtable(struct gen *g)
{
	static const uint64_t bases[] = {
		GDT, IDT64, IDT32, 0, GUEST_MMIO, GUEST_MEM - 8,
		0x8000000000000000ULL, DATA, CODE,
	};
	static const uint16_t limits[] = { 0, 7, 0xf, 0xff, 0x7ff, 0xfff, 0xffff, GDT_LIMIT };
	uint64_t at = data_slot(g, 16);

	put16(g->mem, at, chance(g->r, 10) ? (uint16_t)rnd(g->r) : PICK(g->r, limits));
	put64(g->mem, at + 2, chance(g->r, 10) ? rnd(g->r) : PICK(g->r, bases));
	e8(g, 0x0f);
	e8(g, 0x01);
	mem_abs(g, below(g->r, 4), at);		/* sgdt sidt lgdt lidt */
}

static uint16_t selector(struct rng *r)
{
	static const uint16_t s[] = {
		0, 3, SEL_CODE64, SEL_DATA, SEL_DATA | 3, SEL_TSS64, 0x20,
		SEL_CODE32, SEL_CODE16, SEL_UCODE64, SEL_UDATA, SEL_UCODE32,
		SEL_DATA16, SEL_LDT, SEL_CALLGATE, SEL_TSS32, 0x4, 0xc, 0xffff,
		0x88, 0x80,
	};

	return chance(r, 10) ? (uint16_t)rnd(r) : PICK(r, s);
}

static void gen_segment(struct gen *g)
{
	uint64_t at;

	if (chance(g->r, 70)) {			/* mov %ax, %sreg */
		EMIT(g, "\x66\xb8");
		e16(g, selector(g->r));
		e8(g, 0x8e);
		e8(g, modrm(3, PICK(g->r, ((const unsigned int[]){ 0, 2, 3, 4, 5, 1, 6, 2, 3 })), 0));
		return;
	}
	at = data_slot(g, 16);			/* lss/lfs/lgs m16:64 */
	put64(g->mem, at, chance(g->r, 60) ? STACK - 0x100 : value(g->r));
	put16(g->mem, at + 8, selector(g->r));
	if (chance(g->r, 50))
		e8(g, 0x48);
	e8(g, 0x0f);
	e8(g, PICK(g->r, ((const uint8_t[]){ 0xb2, 0xb4, 0xb5 })));
	mem_abs(g, 0, at);
}

static uint64_t flags_value(struct rng *r)
{
	static const uint32_t bits[] = {
		0x100, 0x200, 0x400, 0x4000, 0x3000, 0x10000, 0x20000, 0x40000,
		0x80000, 0x100000, 0x200000, 0x1, 0x40,
	};
	uint64_t f = 2;
	unsigned int n = below(r, 4);

	while (n--)
		f |= PICK(r, bits);
	return f;
}

/* IRET or a far transfer, usually to the next instruction. */
static void gen_far(struct gen *g)
{
	uint16_t cs = selector(g->r);
	uint64_t ptr, target;
	size_t at;
	bool wide;

	switch (below(g->r, 4)) {
	case 0: case 1:				/* iretq / iretd frame */
		if (chance(g->r, 70)) {		/* 64-bit frame */
			EMIT(g, "\x6a");	/* push $ss */
			e8(g, chance(g->r, 60) ? SEL_DATA : selector(g->r));
			EMIT(g, "\x48\x89\xe0\x50");	/* mov %rsp, %rax; push %rax */
			EMIT(g, "\x68");
			e32(g, flags_value(g->r));
			EMIT(g, "\x68");
			e32(g, chance(g->r, 50) ? SEL_CODE64 : cs);
			at = g->len;
			EMIT(g, "\x68");
			e32(g, 0);
			EMIT(g, "\x48\xcf");
		} else {			/* 32-bit frame, maybe into vm86 */
			EMIT(g, "\x6a\x00\x6a\x00\x6a\x00\x6a\x00");	/* gs fs ds es */
			EMIT(g, "\x6a");
			e8(g, SEL_DATA);
			EMIT(g, "\x68");
			e32(g, STACK - 0x200);
			EMIT(g, "\x68");
			e32(g, flags_value(g->r) | (chance(g->r, 40) ? 0x20000 : 0));
			EMIT(g, "\x68");
			e32(g, chance(g->r, 50) ? SEL_CODE32 : cs);
			at = g->len;
			EMIT(g, "\x68");
			e32(g, 0);
			EMIT(g, "\xcf");
		}
		put32(g->mem, CODE + at + 1, chance(g->r, 85) ? here(g) : value(g->r));
		break;
	case 2:					/* ljmp/lcall *m16:64 */
		ptr = data_slot(g, 16);
		wide = chance(g->r, 50);
		if (wide)
			e8(g, 0x48);
		e8(g, 0xff);
		mem_abs(g, chance(g->r, 50) ? 5 : 3, ptr);
		target = chance(g->r, 85) ? here(g) : value(g->r);
		if (wide) {			/* m16:64 */
			put64(g->mem, ptr, target);
			put16(g->mem, ptr + 8, cs);
		} else {			/* m16:32 */
			put32(g->mem, ptr, target);
			put16(g->mem, ptr + 4, cs);
		}
		break;
	default:				/* ljmp $cs, $next (not in 64-bit) */
		e8(g, chance(g->r, 70) ? 0xea : 0x9a);
		at = g->len;
		e32(g, 0);
		e16(g, cs);
		put32(g->mem, CODE + at, here(g));
		break;
	}
}

/* mov $0, %reg32 with room to patch the immediate in later: its offset. */
static size_t mov_imm_later(struct gen *g, unsigned int reg)
{
	size_t at;

	rex(g, false, 0, reg);
	e8(g, 0xb8 + (reg & 7));
	at = g->len;
	e32(g, 0);
	return at;
}

static void patch32(struct gen *g, size_t at, uint32_t v)
{
	if (at + 4 <= CODE_MAX)
		put32(g->mem, CODE + at, v);
}

/* SYSCALL through an LSTAR that leads right after it, or SYSRET. */
static void gen_syscall(struct gen *g)
{
	static const uint64_t odd[] = {
		0, 0x8000000000000000ULL, 0x0000800000000000ULL, GUEST_MMIO,
	};
	uint64_t v;
	size_t at;

	if (chance(g->r, 60)) {			/* STAR: kernel 0x08, user 0x23 */
		mov_imm(g, 1, 0xc0000081);
		mov_imm(g, 0, 0);
		mov_imm(g, 2, chance(g->r, 70) ? 0x00230008 : (uint32_t)rnd(g->r));
		EMIT(g, "\x0f\x30");
	}
	if (chance(g->r, 50)) {
		mov_imm(g, 1, 0xc0000082);	/* LSTAR */
		v = PICK(g->r, odd);
		at = mov_imm_later(g, 0);
		mov_imm(g, 2, chance(g->r, 70) ? 0 : v >> 32);
		EMIT(g, "\x0f\x30\x0f\x05");	/* wrmsr; syscall */
		patch32(g, at, chance(g->r, 80) ? here(g) : v);
	} else {
		at = mov_imm_later(g, 1);	/* %rcx: where SYSRET goes */
		mov_imm(g, 11, flags_value(g->r));
		EMIT(g, "\x48\x0f\x07");	/* sysretq */
		patch32(g, at, chance(g->r, 70) ? here(g) : PICK(g->r, odd));
	}
}

static void gen_stack(struct gen *g)
{
	static const uint64_t v[] = {
		STACK, STACK - 1, STACK - 3, GUEST_MMIO + 0x100, GUEST_MEM,
		0x8000000000000000ULL, 0, TSS64 + 0x68, IDT64 + 0x100, PML4 + 8,
		0x1000000, COUNTS + 0x80,
	};

	mov_imm(g, 4, chance(g->r, 15) ? value(g->r) : PICK(g->r, v));
}

static void gen_flags(struct gen *g)
{
	e8(g, 0x68);
	e32(g, flags_value(g->r));
	e8(g, 0x9d);				/* popf */
}

static void gen_jump(struct gen *g)
{
	static const uint64_t far[] = {
		0, GUEST_MMIO, 0x8000000000000000ULL, HANDLERS, 0x100000,
		GUEST_MEM - 2, PML4, 0xfff,
	};

	switch (below(g->r, 5)) {
	case 0:
		e8(g, 0xeb);
		e8(g, rnd(g->r));
		break;
	case 1:
		e8(g, 0xe8);			/* call */
		e32(g, below(g->r, 64));
		break;
	case 2:
		mov_imm(g, 0, chance(g->r, 40) ? here(g) + 12 + below(g->r, 64) :
			PICK(g->r, far));
		EMIT(g, "\xff\xe0");		/* jmp *%rax */
		break;
	case 3:					/* loop back a little */
		e8(g, 0xe2);
		e8(g, 0x100 - 2 - below(g->r, 32));
		break;
	default:
		e8(g, 0x70 + below(g->r, 16));	/* jcc */
		e8(g, below(g->r, 32));
		break;
	}
}

static void gen_int(struct gen *g)
{
	static const uint8_t v[] = {
		0, 1, 2, 3, 4, 6, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19, 29, 30,
		0x20, 0x21, 0x27, 0x28, 0x2f, 0x80, 0xff,
	};

	e8(g, 0xcd);
	e8(g, chance(g->r, 20) ? (uint8_t)rnd(g->r) : PICK(g->r, v));
}

static void gen_divide(struct gen *g)
{
	if (chance(g->r, 50)) {
		EMIT(g, "\x31\xd2\x31\xc9\x48\xf7\xf1");	/* div by 0 */
	} else {
		mov_imm(g, 0, 0x8000000000000000ULL);
		EMIT(g, "\x48\x99\x48\xc7\xc1\xff\xff\xff\xff\x48\xf7\xf9");
	}
}

/* Trap flag over a few instructions that exit. */
static void gen_single_step(struct gen *g)
{
	static const char *const after[] = {
		"\x0f\xa2", "\xf4", "\xe4\x61", "\xe6\x80", "\x0f\x32", "\x0f\x21\xf8",
		"\x0f\x09", "\xcc", "\x0f\x01\xd9",
	};
	unsigned int n = 1 + below(g->r, 4);
	const char *s;

	EMIT(g, "\x9c\x48\x81\x0c\x24\x00\x01\x00\x00\x9d");
	while (n--) {
		s = PICK(g->r, after);
		ebytes(g, s, strlen(s));
	}
}

/* Self-modifying code: random bytes just ahead. */
static void gen_self_modify(struct gen *g)
{
	EMIT(g, "\xc7\x04\x25");
	e32(g, here(g) + 9 + below(g->r, 16));
	e32(g, rnd(g->r));
}

static void gen_prefixes(struct gen *g);

static const struct {
	void (*fn)(struct gen *g);
	unsigned int weight;
} generators[] = {
	{ gen_random, 6 },
	{ gen_prefixes, 4 },
	{ gen_movimm, 8 },
	{ gen_cr, 10 },
	{ gen_dr, 6 },
	{ gen_db_loop, 1 },
	{ gen_ac_loop, 1 },
	{ gen_msr, 8 },
	{ gen_cpuid, 3 },
	{ gen_svm, 4 },
	{ gen_fixed, 14 },
	{ gen_xsetbv, 3 },
	{ gen_xstate, 3 },
	{ gen_io, 8 },
	{ gen_io_string, 2 },
	{ gen_pic, 3 },
	{ gen_pit, 3 },
	{ gen_mmio, 8 },
	{ gen_table_write, 5 },
	{ gen_dtable, 3 },
	{ gen_segment, 4 },
	{ gen_far, 5 },
	{ gen_syscall, 2 },
	{ gen_stack, 2 },
	{ gen_flags, 3 },
	{ gen_jump, 3 },
	{ gen_int, 4 },
	{ gen_divide, 1 },
	{ gen_single_step, 2 },
	{ gen_self_modify, 1 },
};

static void gen_one(struct gen *g, bool prefixes_ok)
{
	unsigned int total = 0, i, pick;

	for (i = 0; i < sizeof(generators) / sizeof(generators[0]); i++)
		total += generators[i].weight;
	do {
		pick = below(g->r, total);
		for (i = 0; pick >= generators[i].weight; i++)
			pick -= generators[i].weight;
	} while (!prefixes_ok && generators[i].fn == gen_prefixes);
	generators[i].fn(g);
}

static void gen_prefixes(struct gen *g)
{
	static const uint8_t p[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65,
		0x40, 0x41, 0x44, 0x48, 0x4f,
	};
	unsigned int n = 1 + below(g->r, 3);
	uint8_t b;

	while (n--) {
		b = PICK(g->r, p);
		/* No REX.R: it would make a CR0 move one of CR8 (dodge_qemu). */
		e8(g, dodge_qemu && (b & 0xf4) == 0x44 ? b & ~4 : b);
	}
	gen_one(g, false);
}

/* ---- the fixed parts: tables, handlers, modes ------------------------------ */

/*
 * The handlers.  Each counts in COUNTS, sends a non-specific EOI to both
 * PICs (lg.ko's, no exit), and returns; for the "skip" style, one byte
 * past where it was, so a guest made of random bytes keeps moving.
 */
static const uint8_t h64_body[] = {
	0x50,					/* push %rax */
	0xff, 0x04, 0x25, 0x00, 0x91, 0x00, 0x00,	/* incl 0x9100 */
	0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20,	/* EOI both */
	0x58,					/* pop %rax */
};
static const uint8_t h64_skip[] = { 0x48, 0x83, 0x04, 0x24, 0x01 };	/* addq $1, (%rsp) */
static const uint8_t h64_iret[] = { 0x48, 0xcf };
static const uint8_t h64_pop_error[] = { 0x48, 0x83, 0xc4, 0x08 };	/* add $8, %rsp */
static const uint8_t h32_body[] = {
	0x50, 0xff, 0x05, 0x00, 0x91, 0x00, 0x00,	/* push; incl 0x9100 */
	0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58,
};
static const uint8_t h32_skip[] = { 0x83, 0x04, 0x24, 0x01 };		/* addl $1, (%esp) */
static const uint8_t h32_iret[] = { 0xcf };
static const uint8_t h32_pop_error[] = { 0x83, 0xc4, 0x04 };		/* add $4, %esp */
/* 16-bit: push %ax; push %bp; mov %sp, %bp; incw 4(%bp); pop %bp; ... */
static const uint8_t h16_skip[] = { 0x50, 0x55, 0x89, 0xe5, 0xff, 0x46, 0x04, 0x5d, 0x58 };
static const uint8_t h16_body[] = { 0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58 };
static const uint8_t h_halt[] = { 0xfa, 0xf4, 0xeb, 0xfc };	/* cli; hlt; jmp */

static void put_bytes(uint8_t *mem, uint64_t *at, const uint8_t *b, size_t n)
{
	memcpy(mem + *at, b, n);
	*at += n;
}

/* One width's handler pieces, and where its three handlers go. */
struct bytes {
	const uint8_t *b;
	size_t n;
};
#define BYTES(a) ((struct bytes){ a, sizeof(a) })

struct handler_set {
	uint64_t noerr, err, irq;
	struct bytes pop_error, body, skip, iret;
};

static void put(uint8_t *mem, uint64_t *at, struct bytes b)
{
	put_bytes(mem, at, b.b, b.n);
}

/* The no-error and error-code exception handlers, then the IRQ one. */
static void build_handler_set(struct gen *g, const struct handler_set *h)
{
	bool skip = g->plan->style == STYLE_SKIP;
	uint8_t *m = g->mem;
	uint64_t at;
	int i;

	for (i = 0; i < 2; i++) {
		at = HANDLERS + (i ? h->err : h->noerr);
		if (g->plan->style == STYLE_HALT) {
			put(m, &at, BYTES(h_halt));
			continue;
		}
		if (i)
			put(m, &at, h->pop_error);
		put(m, &at, h->body);
		if (skip)
			put(m, &at, h->skip);
		put(m, &at, h->iret);
	}
	at = HANDLERS + h->irq;
	put(m, &at, h->body);
	put(m, &at, h->iret);
}

static void build_handlers(struct gen *g)
{
	const struct handler_set h64 = {
		H64_NOERR, H64_ERR, H64_IRQ, BYTES(h64_pop_error),
		BYTES(h64_body), BYTES(h64_skip), BYTES(h64_iret),
	};
	const struct handler_set h32 = {
		H32_NOERR, H32_ERR, H32_IRQ, BYTES(h32_pop_error),
		BYTES(h32_body), BYTES(h32_skip), BYTES(h32_iret),
	};
	bool skip = g->plan->style == STYLE_SKIP;
	uint8_t *m = g->mem;
	uint64_t at;

	memset(m + HANDLERS, 0xcc, 0x300);
	build_handler_set(g, &h64);
	build_handler_set(g, &h32);

	at = HANDLERS + H16_NOERR;
	if (g->plan->style == STYLE_HALT) {
		put(m, &at, BYTES(h_halt));
	} else {
		put(m, &at, skip ? BYTES(h16_skip) : BYTES(h16_body));
		put(m, &at, BYTES(h32_iret));
	}
	at = HANDLERS + H16_IRQ;
	put(m, &at, BYTES(h16_body));
	put(m, &at, BYTES(h32_iret));
}

static uint64_t gate64(uint64_t addr, uint16_t sel, uint8_t type, unsigned int ist)
{
	return (addr & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)ist << 32) |
		((uint64_t)type << 40) | ((addr >> 16 & 0xffff) << 48);
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint16_t flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
		((uint64_t)(flags & 0xff) << 40) |
		((uint64_t)(limit >> 16 & 0xf) << 48) |
		((uint64_t)(flags >> 12 & 0xf) << 52) |
		((uint64_t)(base >> 24) << 56);
}

static void build_tables(struct gen *g)
{
	uint8_t *m = g->mem;
	uint8_t type64 = chance(g->r, 80) ? 0x8e : 0x8f;	/* interrupt/trap gate */
	bool ist = chance(g->r, 15);
	unsigned int v;
	uint64_t h;

	memset(m + PML4, 0, 0x5000);
	put64(m, PML4, PDPT | 7);
	put64(m, PDPT, PD_LOW | 7);
	put64(m, PDPT + 3 * 8, PD_HIGH | 7);
	put64(m, PD_LOW, 0x000000 | 0x87);
	put64(m, PD_LOW + 8, 0x200000 | 0x87);
	put64(m, PD_HIGH + ((GUEST_MMIO >> 21) & 511) * 8,
	      (GUEST_MMIO & ~0x1fffffUL) | 0x87);

	memset(m + PD32, 0, 0x2000);
	put32(m, PD32, 0x87);
	put32(m, PD32 + (GUEST_MMIO >> 22) * 4, (GUEST_MMIO & ~0x3fffffUL) | 0x87);
	put64(m, PDPT_PAE, PD_LOW | 1);
	put64(m, PDPT_PAE + 3 * 8, PD_HIGH | 1);

	memset(m + GDT, 0, 0x1000);
	put64(m, GDT + SEL_CODE64, 0x00209a0000000000ULL);
	put64(m, GDT + SEL_DATA, 0x00cf92000000ffffULL);
	put64(m, GDT + SEL_TSS64, seg_desc(TSS64, 0x67, 0x89));
	put64(m, GDT + SEL_CODE32, 0x00cf9a000000ffffULL);
	put64(m, GDT + SEL_CODE16, 0x00009a000000ffffULL);
	put64(m, GDT + (SEL_UCODE64 & ~3), 0x0020fa0000000000ULL);
	put64(m, GDT + (SEL_UDATA & ~3), 0x00cff2000000ffffULL);
	put64(m, GDT + (SEL_UCODE32 & ~3), 0x00cffa000000ffffULL);
	put64(m, GDT + SEL_DATA16, 0x000092000000ffffULL);
	put64(m, GDT + SEL_LDT, seg_desc(LDT, 0xff, 0x82));
	put64(m, GDT + SEL_CALLGATE, gate64(CODE, SEL_CODE64, 0x8c, 0));
	put64(m, GDT + SEL_TSS32, seg_desc(TSS32, 0x67, 0x89));
	put64(m, LDT, 0x00209a0000000000ULL);
	put64(m, LDT + 8, 0x00cf92000000ffffULL);

	memset(m + IDT64, 0, 0x1000);
	memset(m + IDT32, 0, 0x800);
	for (v = 0; v < 256; v++) {
		h = HANDLERS + (has_error_code(v) ? H64_ERR :
				v >= 0x20 && v < 0x30 ? H64_IRQ : H64_NOERR);
		put64(m, IDT64 + 16 * v, gate64(h, SEL_CODE64, type64,
						 ist && (v == 8 || v == 2 || v == 1 || v == 18) ?
						 1 + below(g->r, 7) : 0));
		h = HANDLERS + (has_error_code(v) ? H32_ERR :
				v >= 0x20 && v < 0x30 ? H32_IRQ : H32_NOERR);
		put64(m, IDT32 + 8 * v, gate64(h, SEL_CODE32, type64, 0));
		/* Real mode: segment HANDLERS >> 4. */
		put16(m, IVT + 4 * v, (v >= 8 && v < 0x10) || (v >= 0x70 && v < 0x78) ?
		      H16_IRQ : H16_NOERR);
		put16(m, IVT + 4 * v + 2, HANDLERS >> 4);
	}

	memset(m + TSS64, 0, 0x1000);
	put64(m, TSS64 + 4, RSP0);
	for (v = 1; v <= 7; v++)
		put64(m, TSS64 + 0x24 + 8 * (v - 1), IST_TOP - 0x800 * (v - 1));
	put16(m, TSS64 + 0x66, 0x68);
	/* The 32-bit TSS a task switch goes to: back into our code. */
	put32(m, TSS32 + 4, RSP0);
	put32(m, TSS32 + 8, SEL_DATA);
	put32(m, TSS32 + 0x1c, PD32);
	put32(m, TSS32 + 0x20, CODE);
	put32(m, TSS32 + 0x24, 2);
	put32(m, TSS32 + 0x38, STACK - 0x400);
	put32(m, TSS32 + 0x48, SEL_DATA);
	put32(m, TSS32 + 0x4c, SEL_CODE32);
	put32(m, TSS32 + 0x50, SEL_DATA);
	put32(m, TSS32 + 0x54, SEL_DATA);
	put32(m, TSS32 + 0x58, SEL_DATA);
	put32(m, TSS32 + 0x5c, SEL_DATA);
	put16(m, TSS32 + 0x66, 0x68);

	memset(m + COUNTS, 0, 64);
	memset(m + DATA, 0, DATA_SIZE);
}

static struct lguest_segment seg(uint16_t sel, uint16_t attrib, uint64_t base,
				 uint32_t limit)
{
	struct lguest_segment s = {
		.base = base, .limit = limit, .selector = sel, .attrib = attrib,
	};
	return s;
}

/*
 * TR as an available TSS (type 9), not the busy one (0xb) a real CPU
 * holds after LTR and guest.c sets: the test host's QEMU aborts outright
 * ("qemu: fatal: invalid tss type", the whole test VM gone) when a guest
 * whose TR says busy takes an interrupt to a more privileged level in
 * legacy mode, and the guest can get there from 64-bit mode by itself.
 * LTR and task switches in QEMU only ever cache type 9, so a TR given by
 * VMRUN is the one way in: we leave it out until QEMU is fixed
 * (Documentation/lguest.rst, "hostile-guest fuzzer").
 */
#define TR_ATTRIB	(dodge_qemu ? 0x89 : 0x8b)

static void set_data_segs(struct lguest_regs *r, struct lguest_segment s)
{
	r->ds = s;
	r->es = s;
	r->fs = s;
	r->gs = s;
	r->ss = s;
}

static void build_mode(struct gen *g)
{
	struct lguest_regs *r = g->regs;
	struct rng *rng = g->r;

	memset(r, 0, sizeof(*r));
	r->rip = CODE;
	r->rsp = STACK;
	r->rflags = 2;
	r->gdt.base = GDT;
	r->gdt.limit = GDT_LIMIT;
	r->ldtr = seg(0, 0x82, 0, 0xffff);
	/* 64-bit to start with; the other modes change what they need. */
	r->cr0 = 0x80050033;
	r->cr3 = PML4;
	r->cr4 = 0x620;
	r->efer = 0x500;
	r->cs = seg(SEL_CODE64, 0x29b, 0, 0xffffffff);
	set_data_segs(r, seg(SEL_DATA, 0xc93, 0, 0xffffffff));
	r->tr = seg(SEL_TSS64, TR_ATTRIB, TSS64, 0x67);
	r->idt.base = IDT64;
	r->idt.limit = 0xfff;

	switch (g->plan->mode) {
	case MODE_LONG:
		break;
	case MODE_COMPAT:
		r->cs = seg(SEL_CODE32, 0xc9b, 0, 0xffffffff);
		break;
	case MODE_USER:
		r->cs = seg(SEL_UCODE64, 0x2fb, 0, 0xffffffff);
		set_data_segs(r, seg(SEL_UDATA, 0xcf3, 0, 0xffffffff));
		r->rsp = STACK - 0x1000;
		break;
	case MODE_PAGED32:
	case MODE_PAE32:
	case MODE_PROT32:
		r->efer = 0;
		r->cr0 = g->plan->mode == MODE_PROT32 ? 0x11 : 0x80000011;
		r->cr4 = g->plan->mode == MODE_PAE32 ? 0x20 : 0x10;
		r->cr3 = g->plan->mode == MODE_PAE32 ? PDPT_PAE : PD32;
		r->cs = seg(SEL_CODE32, 0xc9b, 0, 0xffffffff);
		r->tr = seg(SEL_TSS32, TR_ATTRIB, TSS32, 0x67);
		r->idt.base = IDT32;
		r->idt.limit = 0x7ff;
		break;
	case MODE_PROT16:
		r->efer = 0;
		r->cr0 = 0x11;
		r->cr4 = 0;
		r->cs = seg(SEL_CODE16, 0x09b, CODE, 0xffff);
		r->rip = 0;
		r->rsp = 0xfff0;
		set_data_segs(r, seg(SEL_DATA16, 0x093, 0, 0xffff));
		r->ss = seg(SEL_DATA16, 0x093, 0x70000, 0xffff);
		r->tr = seg(SEL_TSS32, TR_ATTRIB, TSS32, 0x67);
		r->idt.base = IDT32;
		r->idt.limit = 0x7ff;
		break;
	case MODE_REAL:
		r->efer = 0;
		r->cr0 = 0x10;
		r->cr4 = 0;
		r->cr3 = 0;
		r->cs = seg(CODE >> 4, 0x9b, CODE, 0xffff);
		r->rip = 0;
		set_data_segs(r, seg(0, 0x93, 0, 0xffff));
		r->ss = seg(REAL_SS, 0x93, REAL_SS << 4, 0xffff);
		r->rsp = 0xfffe;
		r->tr = seg(0, TR_ATTRIB, 0, 0xffff);
		r->idt.base = IVT;
		r->idt.limit = 0x3ff;
		break;
	case MODE_NONSENSE:
	case MODE_COUNT:
		r->cr0 = cr0_value(rng);
		r->cr4 = cr4_value(rng);
		r->cr3 = cr3_value(rng);
		r->efer = efer_value(rng);
		if (chance(rng, 50))
			r->cs.attrib = rnd(rng) & 0xfff;
		if (chance(rng, 50))
			r->ss.attrib = rnd(rng) & 0xfff;
		if (chance(rng, 30))
			r->cs.base = value(rng);
		if (chance(rng, 30))
			r->rip = value(rng);
		if (chance(rng, 20))
			r->gdt.base = value(rng);
		if (chance(rng, 20))
			r->idt.base = value(rng);
		break;
	}
	/* Extra CR4/EFER bits now and then, in any mode. */
	if (chance(rng, 15))
		r->cr4 |= 1ULL << PICK(rng, ((const uint8_t[]){ 2, 3, 7, 8, 11, 16, 18, 20, 21, 22 }));
	if (chance(rng, 15) && (r->efer & 0x400))
		r->efer |= PICK(rng, ((const uint64_t[]){ 1, 0x800, 0x4000, 0x1000 }));
}

static void build_registers(struct gen *g)
{
	struct lguest_regs *r = g->regs;
	__u64 *gpr[] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	unsigned int i;

	for (i = 0; i < sizeof(gpr) / sizeof(gpr[0]); i++)
		*gpr[i] = value(g->r);
	if (chance(g->r, 10))
		r->rsp = value(g->r);
	if (chance(g->r, 40))
		r->rflags = flags_value(g->r);
	r->cr2 = chance(g->r, 20) ? value(g->r) : 0;
}

/* Edits to the tables after they were built: what a broken guest has. */
static void edit_tables(struct gen *g)
{
	unsigned int n = below(g->r, 7), v;
	uint64_t at;

	while (n--) {
		switch (below(g->r, 9)) {
		case 0:		/* flip a bit in a page-table entry */
			at = table_entry_address(g) & ~7ULL;
			if (at >= GDT)
				at = PD_LOW + 8 * below(g->r, 3);
			put64(g->mem, at, get64(g->mem, at) ^ (1ULL << below(g->r, 64)));
			note(g, "page table %#" PRIx64 ": flipped a bit", at);
			break;
		case 1:		/* map more: beyond RAM, aliases, tables as pages */
			at = PD_LOW + 8 * (2 + below(g->r, 510));
			put64(g->mem, at, pte_value(g->r) | (chance(g->r, 70) ? 0x80 : 0));
			note(g, "PD_LOW[%u] = %#" PRIx64, (unsigned int)((at - PD_LOW) / 8),
			     get64(g->mem, at));
			break;
		case 2:		/* a recursive or odd upper-level entry */
			at = PICK(g->r, ((const uint64_t[]){ PML4 + 511 * 8, PML4 + 256 * 8,
							      PDPT + 8, PDPT + 16 }));
			put64(g->mem, at, PICK(g->r, ((const uint64_t[]){
				PML4 | 3, PDPT | 3, 0x87, 0x40000087, PD_LOW | 3 })));
			note(g, "table entry %#" PRIx64 " = %#" PRIx64, at, get64(g->mem, at));
			break;
		case 3:		/* a random GDT descriptor */
			at = GDT + 8 * (1 + below(g->r, GDT_LIMIT / 8));
			put64(g->mem, at, chance(g->r, 50) ? rnd(g->r) :
			      seg_desc(value(g->r), value(g->r), rnd(g->r) & 0xf0ff));
			note(g, "GDT %#x = %#" PRIx64, (unsigned int)(at - GDT), get64(g->mem, at));
			break;
		case 4:		/* an IDT gate gone wrong */
			v = PICK(g->r, ((const unsigned int[]){ 1, 3, 6, 8, 13, 14, 17, 18,
								 0x20, 0x21, 0x80, 2 }));
			at = IDT64 + 16 * v;
			put64(g->mem, at, gate64(chance(g->r, 60) ? get64(g->mem, at) & 0xffff :
						 value(g->r), selector(g->r),
						 PICK(g->r, ((const uint8_t[]){
							 0x8e, 0x8f, 0x0e, 0xee, 0x8c, 0x85, 0x86, 0x00 })),
						 below(g->r, 8)));
			if (chance(g->r, 30))
				put64(g->mem, at + 8, value(g->r));
			note(g, "IDT[%u] = %#" PRIx64 " %#" PRIx64, v, get64(g->mem, at),
			     get64(g->mem, at + 8));
			break;
		case 5:		/* the 32-bit IDT, the IVT */
			v = below(g->r, 32);
			if (chance(g->r, 50))
				put64(g->mem, IDT32 + 8 * v, rnd(g->r));
			else
				put32(g->mem, IVT + 4 * v, rnd(g->r));
			note(g, "32-bit IDT or IVT entry %u", v);
			break;
		case 6:		/* TSS stacks */
			at = TSS64 + 4 + 8 * below(g->r, 12);
			put64(g->mem, at, value(g->r));
			note(g, "TSS %#x = %#" PRIx64, (unsigned int)(at - TSS64), get64(g->mem, at));
			break;
		case 7:		/* descriptor-table limits */
			if (chance(g->r, 50))
				g->regs->idt.limit = PICK(g->r, ((const uint16_t[]){ 0, 7, 0x7f, 0xef, 0x10f }));
			else
				g->regs->gdt.limit = PICK(g->r, ((const uint16_t[]){ 0, 7, 0xf, 0x1f }));
			note(g, "limits: IDT %#x GDT %#x", g->regs->idt.limit, g->regs->gdt.limit);
			break;
		default:	/* a handler byte */
			at = HANDLERS + below(g->r, 0x260);
			put8(g->mem, at, rnd(g->r));
			note(g, "handler byte %#" PRIx64, at);
			break;
		}
	}
}

static void build_plan(struct rng *r, struct plan *p)
{
	static const unsigned int mode_weights[MODE_COUNT] = {
		40, 8, 8, 8, 5, 5, 3, 8, 5,
	};
	unsigned int pick = below(r, 90), m;

	for (m = 0; pick >= mode_weights[m]; m++)
		pick -= mode_weights[m];
	memset(p, 0, sizeof(*p));
	p->mode = m;
	p->style = chance(r, 70) ? STYLE_SKIP : chance(r, 50) ? STYLE_RETRY : STYLE_HALT;
	p->irq_percent = PICK(r, ((const unsigned int[]){ 0, 0, 5, 30 }));
	p->setregs_percent = chance(r, 10) ? 3 : 0;
	p->resets = chance(r, 20) ? 1 + below(r, 3) : 0;
	p->halt_goes_on = chance(r, 50);
	p->eventfds = chance(r, 15);
	p->in_style = below(r, 3);
}

/*
 * Everything a seed builds: the plan, memory from PML4 up, registers.  The
 * same seed and GENERATOR give the same bytes.
 */
static void generate(uint64_t seed, uint8_t *mem, struct lguest_regs *regs,
		     struct plan *plan, bool verbose)
{
	struct rng r = { seed ^ 0x6c67756573740000ULL };
	struct gen g = {
		.r = &r, .mem = mem, .regs = regs, .plan = plan, .verbose = verbose,
	};
	unsigned int n, i;

	build_plan(&r, plan);
	build_tables(&g);
	build_handlers(&g);
	build_mode(&g);
	build_registers(&g);
	edit_tables(&g);

	memset(mem + CODE, 0, CODE_MAX);
	n = PICK(&r, ((const unsigned int[]){ 8, 32, 32, 128, 128, 512 }));
	for (i = 0; i < n && !code_full(&g); i++)
		gen_one(&g, true);
	switch (below(&r, 5)) {
	case 0: case 1: case 2:			/* round again */
		e8(&g, 0xe9);
		e32(&g, -(int32_t)(g.len + 4));
		break;
	case 3:
		EMIT(&g, "\xfa\xf4");		/* cli; hlt */
		break;
	default:				/* off the end, into zeroes */
		break;
	}
	note(&g, "%s mode, %s handlers, %u instructions in %zu bytes",
	     mode_names[plan->mode],
	     plan->style == STYLE_SKIP ? "skipping" : plan->style == STYLE_RETRY ?
	     "retrying" : "halting", n, g.len);
}

static void dump_guest(uint64_t seed, const uint8_t *mem,
		       const struct lguest_regs *r, const struct plan *p)
{
	size_t i, len = CODE_MAX;

	while (len && !mem[CODE + len - 1])
		len--;
	printf("# seed %" PRIu64 " (generator %d): %s mode; launcher: irq %u%%, setregs %u%%, %u resets, halt %s, eventfds %s, IN %s\n",
	       seed, GENERATOR, mode_names[p->mode], p->irq_percent,
	       p->setregs_percent, p->resets, p->halt_goes_on ? "goes on" : "ends",
	       p->eventfds ? "bound" : "none",
	       p->in_style == 0 ? "random" : p->in_style == 1 ? "zero" : "ones");
	printf("#   rip %#llx rsp %#llx rflags %#llx cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx\n",
	       (unsigned long long)r->rip, (unsigned long long)r->rsp,
	       (unsigned long long)r->rflags, (unsigned long long)r->cr0,
	       (unsigned long long)r->cr3, (unsigned long long)r->cr4,
	       (unsigned long long)r->efer);
	printf("#   cs %#x/%#x base %#llx ss %#x/%#x tr %#x/%#x gdt %#llx/%#x idt %#llx/%#x\n",
	       r->cs.selector, r->cs.attrib, (unsigned long long)r->cs.base,
	       r->ss.selector, r->ss.attrib, r->tr.selector, r->tr.attrib,
	       (unsigned long long)r->gdt.base, r->gdt.limit,
	       (unsigned long long)r->idt.base, r->idt.limit);
	for (i = 0; i < len; i += 32) {
		size_t j;

		printf("#   %05zx:", CODE + i);
		for (j = i; j < i + 32 && j < len; j++)
			printf(" %02x", mem[CODE + j]);
		printf("\n");
	}
}

/* ---- the launcher's own state across RUN ------------------------------- */

static bool have_avx, have_pku;

static void probe_cpu(void)
{
	unsigned int a, b, c, d, xcr0_lo, xcr0_hi;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1U << 27)) && (c & (1U << 28))) {
		asm volatile("xgetbv" : "=a" (xcr0_lo), "=d" (xcr0_hi) : "c" (0));
		have_avx = (xcr0_lo & 6) == 6;
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		have_pku = c & (1U << 4);	/* OSPKE */
}

static uint32_t rdpkru(void)
{
	uint32_t pkru, edx;

	asm volatile(".byte 0x0f, 0x01, 0xee" : "=a" (pkru), "=d" (edx) : "c" (0));
	return pkru;
}

/*
 * LHREQ_RUN with marks in the launcher's vector and FPU control
 * registers, read back after the system call: the guest's values must
 * never come back in them.  A mismatch is described into bad (empty if
 * none).
 */
static long run_marked(int fd, struct lguest_run *run, char *bad, size_t badlen)
{
	static const uint64_t mark[4] = {
		0x0123456789abcdefULL, 0xfedcba9876543210ULL,
		0x1111222233334444ULL, 0x5555666677778888ULL,
	};
	uint32_t mx_in = 0x3fc0, mx_out = 0, mx_def = 0x1f80;
	uint16_t cw_in = 0x27f, cw_out = 0, cw_def = 0x37f;
	uint64_t back[4] = { 0 };
	uint32_t pkru_in = 0, pkru_out = 0;
	long ret;

	if (have_pku)
		pkru_in = rdpkru();
	if (have_avx) {
		asm volatile("ldmxcsr %[mx_in]\n\t"
			     "fldcw %[cw_in]\n\t"
			     "vmovdqu %[mark], %%ymm15\n\t"
			     "syscall\n\t"
			     "vmovdqu %%ymm15, %[back]\n\t"
			     "stmxcsr %[mx_out]\n\t"
			     "fnstcw %[cw_out]\n\t"
			     "ldmxcsr %[mx_def]\n\t"
			     "fldcw %[cw_def]\n\t"
			     "vzeroupper"
			     : "=a" (ret), [back] "=m" (back), [mx_out] "=m" (mx_out),
			       [cw_out] "=m" (cw_out)
			     : "a" ((long)SYS_ioctl), "D" ((long)fd),
			       "S" ((long)LHREQ_RUN), "d" (run), [mark] "m" (mark),
			       [mx_in] "m" (mx_in), [cw_in] "m" (cw_in),
			       [mx_def] "m" (mx_def), [cw_def] "m" (cw_def)
			     : "rcx", "r11", "memory", "xmm15");
	} else {
		asm volatile("ldmxcsr %[mx_in]\n\t"
			     "fldcw %[cw_in]\n\t"
			     "movdqu %[mark], %%xmm15\n\t"
			     "syscall\n\t"
			     "movdqu %%xmm15, %[back]\n\t"
			     "stmxcsr %[mx_out]\n\t"
			     "fnstcw %[cw_out]\n\t"
			     "ldmxcsr %[mx_def]\n\t"
			     "fldcw %[cw_def]"
			     : "=a" (ret), [back] "=m" (back), [mx_out] "=m" (mx_out),
			       [cw_out] "=m" (cw_out)
			     : "a" ((long)SYS_ioctl), "D" ((long)fd),
			       "S" ((long)LHREQ_RUN), "d" (run), [mark] "m" (mark),
			       [mx_in] "m" (mx_in), [cw_in] "m" (cw_in),
			       [mx_def] "m" (mx_def), [cw_def] "m" (cw_def)
			     : "rcx", "r11", "memory", "xmm15");
		back[2] = mark[2];
		back[3] = mark[3];
	}
	if (have_pku)
		pkru_out = rdpkru();
	bad[0] = 0;
	if (memcmp(back, mark, sizeof(mark)))
		snprintf(bad, badlen, "%s15 came back %016llx%016llx...",
			 have_avx ? "YMM" : "XMM", (unsigned long long)back[1],
			 (unsigned long long)back[0]);
	else if (mx_out != mx_in)
		snprintf(bad, badlen, "MXCSR came back %#x, not %#x", mx_out, mx_in);
	else if (cw_out != cw_in)
		snprintf(bad, badlen, "the x87 control word came back %#x, not %#x",
			 cw_out, cw_in);
	else if (pkru_out != pkru_in)
		snprintf(bad, badlen, "PKRU came back %#x, not %#x", pkru_out, pkru_in);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

/* ---- the kernel log ------------------------------------------------------- */

static int kmsg_fd = -1, kmsg_mark_fd = -1;

static void kmsg_open(bool marks)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	if (marks)
		kmsg_mark_fd = open("/dev/kmsg", O_WRONLY);
}

static void kmsg_mark(uint64_t seed)
{
	char line[64];
	int n;

	if (kmsg_mark_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "<5>fuzz-guest: seed %" PRIu64 "\n", seed);
	if (write(kmsg_mark_fd, line, n) < 0)
		kmsg_mark_fd = -1;
}

static const char * const kernel_trouble[] = {
	"WARNING:", "BUG:", "Oops", "general protection", "lockup", "rcu_sched",
	"rcu: INFO", "self-detected stall", "unchecked MSR", "Call Trace",
	"invalid opcode", "double fault", "Kernel panic", "segfault", "traps:",
	"stack segment", "NMI", "hung_task", "blocked for more than",
};

/*
 * New kernel messages since the last call: the first that spells trouble
 * goes into bad (empty if none); lines mentioning lguest are printed.
 */
static void kmsg_scan(char *bad, size_t badlen)
{
	char rec[2048], *msg;
	unsigned int i;
	ssize_t n;

	bad[0] = 0;
	if (kmsg_fd < 0)
		return;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;		/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (!strncmp(msg, "fuzz-guest:", 11))
			continue;
		for (i = 0; i < sizeof(kernel_trouble) / sizeof(kernel_trouble[0]); i++) {
			if (strstr(msg, kernel_trouble[i]) && !bad[0])
				snprintf(bad, badlen, "kernel: %.200s", msg);
		}
		if (strstr(msg, "lguest") || strstr(msg, "lg:"))
			tap_diag("kernel: %s", msg);
	}
}

/* ---- running one seed ------------------------------------------------------ */

struct options {
	unsigned int ms;
	unsigned int exits;
	unsigned int check_every;
	bool verbose;
	bool dump;
	bool kmsg;
};

/* What one seed did: its outcome line and any harm to the host. */
struct result {
	char outcome[200];
	char harm[300];			/* empty: the host is fine */
	unsigned long long exits, user_exits;
	double ms;
};

static void on_alarm(int sig)
{
	(void)sig;
}

static void arm_timer(unsigned int ms)
{
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 },
		/* If RUN was not in the kernel when it fired, fire again. */
		.it_interval = { .tv_sec = 0, .tv_usec = 20000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_timer(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void bind_eventfds(struct guest *g, struct rng *r, int *efd)
{
	struct lguest_ioeventfd io = {
		.addr = GUEST_MMIO + 0x50, .len = 4,
	};
	struct lguest_irqfd irq = {
		.line = below(r, 16), .flags = LGUEST_IRQFD_VIRTIO_ISR,
		.isr_addr = GUEST_MMIO + 0x60,
	};

	*efd = eventfd(0, EFD_NONBLOCK);
	if (*efd < 0)
		return;
	io.fd = *efd;
	irq.fd = *efd;
	ioctl(g->fd, LHREQ_IOEVENTFD, &io);
	ioctl(g->fd, LHREQ_IRQFD, &irq);
}

static double ms_since(double t0)
{
	return (guest_now() - t0) * 1000;
}

static bool is_hex_word(const char *w, size_t n)
{
	bool digit = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (w[i] >= '0' && w[i] <= '9')
			digit = true;
		else if (!(w[i] >= 'a' && w[i] <= 'f') && !(i == 1 && w[i] == 'x'))
			return false;
	}
	/* Instruction bytes have two letters; "be" and "a" are English. */
	return digit || (n == 2 && strncmp(w, "be", 2));
}

/*
 * A kill reason with its numbers (and instruction bytes) as "#", and a
 * run of them as one: reasons alike count as one shape.
 */
static void shape_of(const char *s, char *out, size_t len)
{
	size_t o = 0, n;

	while (*s && o + 2 < len) {
		n = strspn(s, "0123456789abcdefx");
		if (n && is_hex_word(s, n) && !isalnum((unsigned char)s[n]) &&
		    (!o || !isalnum((unsigned char)out[o - 1]))) {
			s += n;
			if (o >= 2 && out[o - 1] == ' ' && out[o - 2] == '#')
				o--;		/* "# #" -> "#" */
			else
				out[o++] = '#';
			continue;
		}
		out[o++] = *s++;
	}
	out[o] = 0;
}

static void run_seed(uint64_t seed, const struct options *opt, struct result *res)
{
	struct lguest_regs first;
	struct lguest_stats st;
	struct lguest_run run;
	struct plan plan;
	struct guest g;
	struct rng r = { seed ^ 0x72756e0000000000ULL };
	unsigned int resets = 0;
	char bad[200];
	double t0;
	int efd = -1;
	long ret;

	memset(res, 0, sizeof(*res));
	if (guest_open(&g)) {
		snprintf(res->outcome, sizeof(res->outcome), "cannot set up a guest: %s",
			 strerror(errno));
		snprintf(res->harm, sizeof(res->harm), "a new guest cannot be set up (%s)",
			 strerror(errno));
		return;
	}
	generate(seed, g.mem, &g.regs, &plan, opt->verbose);
	if (opt->verbose)
		dump_guest(seed, g.mem, &g.regs, &plan);
	first = g.regs;
	if (ioctl(g.fd, LHREQ_SETREGS, &g.regs)) {
		snprintf(res->outcome, sizeof(res->outcome), "SETREGS failed: %s",
			 strerror(errno));
		goto out;
	}
	if (plan.eventfds)
		bind_eventfds(&g, &r, &efd);

	memset(&run, 0, sizeof(run));
	t0 = guest_now();
	arm_timer(opt->ms);
	for (;;) {
		if (ms_since(t0) >= opt->ms) {
			snprintf(res->outcome, sizeof(res->outcome), "time limit");
			break;
		}
		if (res->user_exits >= opt->exits) {
			snprintf(res->outcome, sizeof(res->outcome), "exit limit");
			break;
		}
		if (plan.irq_percent && chance(&r, plan.irq_percent)) {
			struct lguest_irq irq = {
				.line = below(&r, 16), .level = below(&r, 3),
			};

			ioctl(g.fd, LHREQ_IRQ, &irq);
		}
		if (efd >= 0 && chance(&r, 10)) {
			uint64_t one = 1;

			ssize_t n = write(efd, &one, sizeof(one));

			(void)n;
		}
		if (plan.setregs_percent && chance(&r, plan.setregs_percent) &&
		    !ioctl(g.fd, LHREQ_GETREGS, &g.regs)) {
			/*
			 * Not in TR, nor (dodge_qemu) in CR4 or EFER, whose PAE
			 * and LME QEMU cannot always take (see dodge_qemu).
			 */
			uint64_t *w = (uint64_t *)&g.regs;
			size_t n = offsetof(struct lguest_regs, tr) / 8;
			size_t word = below(&r, n);
			unsigned int bit = below(&r, 64);

			if (dodge_qemu &&
			    (word == offsetof(struct lguest_regs, cr4) / 8 ||
			     word == offsetof(struct lguest_regs, efer) / 8))
				word = offsetof(struct lguest_regs, rip) / 8;
			w[word] ^= 1ULL << bit;
			if (opt->verbose)
				tap_diag("  setregs with a bit flipped");
			ioctl(g.fd, LHREQ_SETREGS, &g.regs);
		}
		ret = run_marked(g.fd, &run, bad, sizeof(bad));
		if (bad[0]) {
			snprintf(res->harm, sizeof(res->harm),
				 "the launcher's registers changed across RUN: %s", bad);
			snprintf(res->outcome, sizeof(res->outcome), "launcher state changed");
			break;
		}
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			snprintf(res->outcome, sizeof(res->outcome), "RUN failed: %s",
				 strerror(errno));
			break;
		}
		if (opt->verbose && run.exit_reason == LGUEST_EXIT_MMIO)
			tap_diag("  exit MMIO %#llx len %u %s",
				 (unsigned long long)run.mmio.addr, run.mmio.len,
				 run.mmio.is_write ? "write" : "read");
		else if (opt->verbose && run.exit_reason >= LGUEST_EXIT_RESET)
			tap_diag("  exit %s: %.120s", guest_exit_name(run.exit_reason),
				 run.reason);
		else if (opt->verbose)
			tap_diag("  exit %s port %#x size %u %s %#x",
				 guest_exit_name(run.exit_reason), run.io.port,
				 run.io.size, run.io.is_write ? "write" : "read",
				 run.io.data);
		if (run.exit_reason == LGUEST_EXIT_IO) {
			res->user_exits++;
			if (!run.io.is_write)
				run.io.data = plan.in_style == 0 ? (uint32_t)rnd(&r) :
					plan.in_style == 1 ? 0 : ~0U;
		} else if (run.exit_reason == LGUEST_EXIT_MMIO) {
			uint64_t v = rnd(&r);

			res->user_exits++;
			if (!run.mmio.is_write)
				memcpy(run.mmio.data, &v, sizeof(v));
		} else if (run.exit_reason == LGUEST_EXIT_HALT) {
			res->user_exits++;
			if (!plan.halt_goes_on) {
				snprintf(res->outcome, sizeof(res->outcome), "halted");
				break;
			}
		} else if (run.exit_reason == LGUEST_EXIT_RESET) {
			res->user_exits++;
			if (resets++ < plan.resets &&
			    !ioctl(g.fd, LHREQ_SETREGS, &first))
				continue;
			snprintf(res->outcome, sizeof(res->outcome), "reset: %.150s",
				 run.reason);
			break;
		} else if (run.exit_reason == LGUEST_EXIT_KILLED) {
			char again[LGUEST_REASON_LEN];

			memcpy(again, run.reason, sizeof(again));
			again[sizeof(again) - 1] = 0;
			snprintf(res->outcome, sizeof(res->outcome), "killed: %.150s",
				 again);
			/* A dead guest stays dead, for the same reason. */
			memset(&run, 0, sizeof(run));
			if (ioctl(g.fd, LHREQ_RUN, &run) ||
			    run.exit_reason != LGUEST_EXIT_KILLED ||
			    strcmp(run.reason, again))
				snprintf(res->outcome, sizeof(res->outcome),
					 "killed, but a second RUN gave exit %s (%s): %.80s",
					 guest_exit_name(run.exit_reason), strerror(errno),
					 again);
			break;
		} else {
			snprintf(res->outcome, sizeof(res->outcome), "exit %u?",
				 run.exit_reason);
			break;
		}
	}
	disarm_timer();
	res->ms = ms_since(t0);
	if (!ioctl(g.fd, LHREQ_GETSTATS, &st))
		res->exits = st.count[LGUEST_STAT_EXITS];
out:
	if (efd >= 0)
		close(efd);
	guest_destroy(&g);
}

/* ---- the known-good guest ------------------------------------------------- */

GUEST_BLOB(good);

/*
 * 'O', CPUID's hypervisor name, a sum computed in SSE registers, three
 * PIT ticks through the PIC (the IRQ 0 handler counts in GUEST_DATA),
 * 'K', and a halt for good.
 */
asm(".pushsection .rodata\n"
    "good_start:\n"
    "	mov $0x3f8, %dx\n"
    "	mov $'O', %al\n"
    "	out %al, %dx\n"
    "	mov $0x40000000, %eax\n"
    "	cpuid\n"
    "	mov %ebx, %eax\n"
    "	mov $0x3f8, %dx\n"
    "	out %eax, %dx\n"
    "	xor %ecx, %ecx\n"
    "	pxor %xmm0, %xmm0\n"
    "	mov $1, %eax\n"
    "1:	movd %eax, %xmm1\n"
    "	paddd %xmm1, %xmm0\n"
    "	inc %eax\n"
    "	cmp $1000, %eax\n"
    "	jbe 1b\n"
    "	movd %xmm0, %eax\n"
    "	out %eax, %dx\n"
    "	mov $0x11, %al\n	out %al, $0x20\n"
    "	mov $0x20, %al\n	out %al, $0x21\n"
    "	mov $0x04, %al\n	out %al, $0x21\n"
    "	mov $0x01, %al\n	out %al, $0x21\n"
    "	mov $0xfe, %al\n	out %al, $0x21\n"
    "	mov $0x34, %al\n	out %al, $0x43\n"
    "	mov $0xa9, %al\n	out %al, $0x40\n"	/* 1193: 1 ms */
    "	mov $0x04, %al\n	out %al, $0x40\n"
    "	sti\n"
    "2:	hlt\n"
    "	cmpl $3, 0x9000\n"
    "	jb 2b\n"
    "	cli\n"
    "	mov $0x3f8, %dx\n"
    "	mov $'K', %al\n"
    "	out %al, %dx\n"
    "	hlt\n"
    "good_end:\n"
    ".popsection\n");

/* Run it: true if it said all it should.  why says what went wrong. */
static bool known_good(char *why, size_t len)
{
	static const uint32_t want[] = { 'O', 0x6575674c, 500500, 'K' };
	struct lguest_run run;
	struct guest g;
	unsigned int n = 0;
	double t0 = guest_now();

	why[0] = 0;
	if (guest_create(&g, GUEST_CODE_OF(good))) {
		snprintf(why, len, "cannot create it: %s", strerror(errno));
		return false;
	}
	memset(&run, 0, sizeof(run));
	arm_timer(5000);
	for (;;) {
		if (guest_run(&g, &run)) {
			if (errno == EINTR && ms_since(t0) < 5000)
				continue;
			snprintf(why, len, "RUN: %s after %u lines (%.0f ms)",
				 strerror(errno), n, ms_since(t0));
			break;
		}
		if (run.exit_reason == LGUEST_EXIT_HALT) {
			if (n != 4)
				snprintf(why, len, "halted after %u of 4 lines", n);
			break;
		}
		if (run.exit_reason != LGUEST_EXIT_IO || !run.io.is_write ||
		    run.io.port != GUEST_PORT || n >= 4 || run.io.data != want[n]) {
			snprintf(why, len, "exit %s port %#x data %#x after %u lines%s%.100s",
				 guest_exit_name(run.exit_reason), run.io.port,
				 run.io.data, n,
				 run.exit_reason == LGUEST_EXIT_KILLED ? ": " : "",
				 run.exit_reason == LGUEST_EXIT_KILLED ? run.reason : "");
			break;
		}
		n++;
	}
	disarm_timer();
	guest_destroy(&g);
	return !why[0];
}

/* ---- the seeds, the supervisor and the worker -------------------------------- */

/*
 * Seeds are numbered: first the corpus (and seeds named on the command
 * line), then fresh ones, base + 0, base + 1, ...
 */
struct seeds {
	uint64_t *list;
	size_t n, cap;
	uint64_t base;
};

static uint64_t seed_at(const struct seeds *s, size_t i)
{
	return i < s->n ? s->list[i] : s->base + (i - s->n);
}

static void add_seed(struct seeds *s, uint64_t seed)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->list = realloc(s->list, s->cap * sizeof(*s->list));
		if (!s->list)
			tap_bail_out("out of memory");
	}
	s->list[s->n++] = seed;
}

static bool parse_number(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && end != s && *s != '-' &&
		(!*end || *end == ' ' || *end == '\t' || *end == '#' || *end == '\n');
}

/* A corpus file: a seed a line, "#" starts a comment. */
static int read_corpus(const char *file, struct seeds *s)
{
	char line[512], *p;
	unsigned int lineno = 0;
	uint64_t seed;
	FILE *f = fopen(file, "r");

	if (!f)
		tap_bail_out("%s: %s", file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (!parse_number(p, &seed))
			tap_bail_out("%s:%u: not a seed: %.*s", file, lineno,
				     (int)strcspn(line, "\n"), line);
		add_seed(s, seed);
	}
	fclose(f);
	return 0;
}

#define MAX_SHAPES	64
#define MAX_HARMED	5		/* then stop: the host is not well */
#define NOT_RUNNING	(~(size_t)0)

struct shape {
	char text[96];
	unsigned int count;
	uint64_t first;
};

/* What the worker and the supervisor share. */
struct shared {
	size_t next;			/* index of the next seed to run */
	size_t running;			/* index of the seed in RUN, or NOT_RUNNING */
	double started;			/* when it (or the known-good guest) started */
	bool in_known_good;
	size_t since_good;		/* first index the known-good guest has not vouched for */
	unsigned int harmed;		/* seeds that hurt the host */
	unsigned int known_good_runs, known_good_fails;
	unsigned int launcher_bad, kernel_bad, deaths, hangs;
	unsigned long long exits;
	struct shape shapes[MAX_SHAPES];
	unsigned int other_shapes;
};

static struct shared *sh;

static void count_shape(const char *outcome, uint64_t seed)
{
	char text[96];
	unsigned int i;

	shape_of(outcome, text, sizeof(text));
	for (i = 0; i < MAX_SHAPES && sh->shapes[i].count; i++) {
		if (!strcmp(sh->shapes[i].text, text)) {
			sh->shapes[i].count++;
			return;
		}
	}
	if (i == MAX_SHAPES) {
		sh->other_shapes++;
		return;
	}
	snprintf(sh->shapes[i].text, sizeof(sh->shapes[i].text), "%s", text);
	sh->shapes[i].count = 1;
	sh->shapes[i].first = seed;
}

static void harm(uint64_t seed, const char *what)
{
	sh->harmed++;
	tap_ok(false, "seed %" PRIu64 " hurt the host: %s", seed, what);
	printf("# SAVE-SEED %" PRIu64 " generator %d: %s\n", seed, GENERATOR, what);
	fflush(stdout);
}

static void check_known_good(const struct seeds *s, size_t upto)
{
	char why[256], what[400];
	size_t i;

	sh->started = guest_now();
	sh->in_known_good = true;
	sh->known_good_runs++;
	if (!known_good(why, sizeof(why))) {
		sh->known_good_fails++;
		snprintf(what, sizeof(what),
			 "the known-good guest failed after the %zu seeds from %" PRIu64 " on (this one among them): %s",
			 upto - sh->since_good, seed_at(s, sh->since_good), why);
		for (i = sh->since_good; i < upto; i++)
			harm(seed_at(s, i), what);
	}
	sh->since_good = upto;
	sh->in_known_good = false;
}

/*
 * The worker: run seeds from sh->next up to end, or until deadline (if
 * not 0), then the known-good guest once more.
 */
static void worker(const struct seeds *s, size_t end, double deadline,
		   const struct options *opt)
{
	struct sigaction sa;
	struct result res;
	char bad[300];
	uint64_t seed;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: RUN returns EINTR */
	while ((i = sh->next) < end && sh->harmed < MAX_HARMED &&
	       !(deadline && guest_now() >= deadline)) {
		seed = seed_at(s, i);
		sh->next = i + 1;
		kmsg_mark(seed);
		sh->started = guest_now();
		sh->running = i;
		run_seed(seed, opt, &res);
		sh->running = NOT_RUNNING;
		sh->exits += res.exits;
		count_shape(res.outcome, seed);
		tap_diag("seed %" PRIu64 ": %s; %llu exits (%llu to the launcher), %.0f ms",
			 seed, res.outcome, res.exits, res.user_exits, res.ms);
		if (res.harm[0]) {
			sh->launcher_bad++;
			harm(seed, res.harm);
		}
		kmsg_scan(bad, sizeof(bad));
		if (bad[0]) {
			sh->kernel_bad++;
			harm(seed, bad);
		}
		if (opt->check_every && (i + 1) % opt->check_every == 0)
			check_known_good(s, i + 1);
	}
	if (sh->since_good < sh->next)
		check_known_good(s, sh->next);
	kmsg_scan(bad, sizeof(bad));
	if (bad[0]) {
		sh->kernel_bad++;
		harm(seed_at(s, sh->next ? sh->next - 1 : 0), bad);
	}
	fflush(stdout);
}

/* Copy what the worker printed so far to our stdout; false at its end. */
static bool forward(int fd)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			fwrite(buf, 1, n, stdout);
			fflush(stdout);
			continue;
		}
		return n < 0 && errno == EAGAIN;
	}
}

/*
 * The supervisor runs the worker in a child and watches it: a child that
 * dies of a signal costs the seed it was on (a finding), and one still in
 * RUN HANG_SECS after its seed's time is up is a host hang (a finding,
 * and the end of the run if it cannot even be killed).  A new child
 * carries on with the next seed.  The child prints into a pipe that we
 * copy out, so that one stuck in the kernel for good does not keep the
 * suite's output open.  False if the run must stop.
 */
static bool supervise(const struct seeds *s, size_t end, double deadline,
		      const struct options *opt)
{
	double limit = opt->ms / 1000.0 + HANG_SECS, now, last, seen, slack = 0;
	struct pollfd pfd = { .events = POLLIN };
	char what[200];
	int status, t, out[2];
	pid_t pid, w;
	size_t i;

	while (sh->next < end && sh->harmed < MAX_HARMED &&
	       !(deadline && guest_now() >= deadline)) {
		sh->running = NOT_RUNNING;
		sh->in_known_good = false;
		fflush(stdout);
		if (pipe(out)) {
			tap_ok(false, "pipe: %s", strerror(errno));
			return false;
		}
		pid = fork();
		if (pid < 0) {
			tap_ok(false, "fork: %s", strerror(errno));
			return false;
		}
		if (pid == 0) {
			close(out[0]);
			dup2(out[1], 1);
			dup2(out[1], 2);
			close(out[1]);
			worker(s, end, deadline, opt);
			_exit(0);
		}
		close(out[1]);
		fcntl(out[0], F_SETFL, O_NONBLOCK);
		pfd.fd = out[0];
		last = guest_now();
		seen = -1;
		while ((w = waitpid(pid, &status, WNOHANG)) == 0) {
			now = guest_now();
			/*
			 * A gap in our own polling means the whole test VM
			 * stood still (its host, under load, did not run it):
			 * that time is nobody's hang.
			 */
			if (sh->started != seen) {
				seen = sh->started;
				slack = 0;
			}
			if (now - last > 1)
				slack += now - last;
			last = now;
			if ((sh->running != NOT_RUNNING || sh->in_known_good) &&
			    now - sh->started - slack > limit + (sh->in_known_good ? 5 : 0))
				break;
			poll(&pfd, 1, 50);
			forward(out[0]);
		}
		if (w == pid) {
			fcntl(out[0], F_SETFL, 0);
			forward(out[0]);	/* up to its end */
		} else {
			forward(out[0]);
		}
		close(out[0]);
		if (w == 0) {		/* hung */
			i = sh->running != NOT_RUNNING ? sh->running :
				sh->next ? sh->next - 1 : 0;
			snprintf(what, sizeof(what),
				 "%s still in RUN %.0f s after its time was up (a host CPU held by the guest?)",
				 sh->in_known_good ? "the known-good guest after it was" : "it was",
				 (double)HANG_SECS);
			sh->hangs++;
			harm(seed_at(s, i), what);
			kill(pid, SIGKILL);
			for (t = 0; t < 50 && waitpid(pid, &status, WNOHANG) != pid; t++)
				usleep(100000);
			if (t == 50) {
				tap_diag("the worker does not die: it is stuck in the kernel; stopping");
				return false;
			}
			continue;
		}
		if (WIFSIGNALED(status)) {
			i = sh->running != NOT_RUNNING ? sh->running :
				sh->next ? sh->next - 1 : 0;
			snprintf(what, sizeof(what), "the launcher died of signal %d (%s)%s",
				 WTERMSIG(status), strsignal(WTERMSIG(status)),
				 sh->in_known_good ? " in the known-good guest after it" : "");
			sh->deaths++;
			harm(seed_at(s, i), what);
			continue;
		}
		break;			/* the worker is done */
	}
	return sh->harmed < MAX_HARMED;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz_guest [--corpus FILE]... [--base N (--count C | --secs S)]\n"
		"                  [--ms T] [--exits K] [--check-every M] [--kmsg] [--no-dodge] [--no-xsetbv]\n"
		"                  [-v] [--dump] [SEED...]\n");
	exit(2);
}

static uint64_t number(const char *opt, const char *s)
{
	uint64_t v;

	if (!s || !parse_number(s, &v)) {
		fprintf(stderr, "fuzz_guest: %s wants a number, not '%s'\n", opt,
			s ? s : "");
		exit(2);
	}
	return v;
}

static void print_shapes(void)
{
	unsigned int i, j, best;
	struct shape t;

	tap_diag("how the guests ended (numbers as #; the first seed of each):");
	for (i = 0; i < MAX_SHAPES && sh->shapes[i].count; i++) {
		/* Most common first: a selection sort over a few dozen. */
		best = i;
		for (j = i + 1; j < MAX_SHAPES && sh->shapes[j].count; j++)
			if (sh->shapes[j].count > sh->shapes[best].count)
				best = j;
		t = sh->shapes[i];
		sh->shapes[i] = sh->shapes[best];
		sh->shapes[best] = t;
		tap_diag("  %6u  %s  (seed %" PRIu64 ")", sh->shapes[i].count,
			 sh->shapes[i].text, sh->shapes[i].first);
	}
	if (sh->other_shapes)
		tap_diag("  %6u  others", sh->other_shapes);
}

static void dump(const struct seeds *s, size_t end)
{
	uint8_t *mem = calloc(1, GUEST_MEM);
	struct lguest_regs regs;
	struct plan plan;
	size_t i;

	for (i = 0; mem && i < end; i++) {
		generate(seed_at(s, i), mem, &regs, &plan, true);
		dump_guest(seed_at(s, i), mem, &regs, &plan);
	}
	free(mem);
}

int main(int argc, char **argv)
{
	struct options opt = { .ms = 100, .exits = 300, .check_every = 20 };
	struct seeds s = { 0 };
	uint64_t count = 0, secs = 0;
	bool have_base = false, go_on = true;
	size_t named, from, end;
	double start = guest_now(), deadline = 0, t0;
	unsigned int before;
	int a;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(arg, "--corpus")) {
			if (!val)
				usage();
			if (read_corpus(val, &s))
				return 1;
			a++;
		} else if (!strcmp(arg, "--base")) {
			s.base = number(arg, val);
			have_base = true;
			a++;
		} else if (!strcmp(arg, "--count")) {
			count = number(arg, val);
			a++;
		} else if (!strcmp(arg, "--secs")) {
			secs = number(arg, val);
			a++;
		} else if (!strcmp(arg, "--ms")) {
			opt.ms = number(arg, val);
			a++;
		} else if (!strcmp(arg, "--exits")) {
			opt.exits = number(arg, val);
			a++;
		} else if (!strcmp(arg, "--check-every")) {
			opt.check_every = number(arg, val);
			a++;
		} else if (!strcmp(arg, "--kmsg")) {
			opt.kmsg = true;
		} else if (!strcmp(arg, "-v")) {
			opt.verbose = true;
		} else if (!strcmp(arg, "--no-xsetbv")) {
			no_xsetbv = true;
		} else if (!strcmp(arg, "--no-dodge")) {
			dodge_qemu = false;
		} else if (!strcmp(arg, "--dump")) {
			opt.dump = true;
		} else if (arg[0] == '-') {
			usage();
		} else {
			add_seed(&s, number("SEED", arg));
		}
	}
	if (!opt.ms || !opt.exits || (have_base && !count && !secs) ||
	    (!have_base && (count || secs)) || (!s.n && !have_base))
		usage();
	named = s.n;
	/* Without a count, as many fresh seeds as the time allows. */
	end = named + (have_base ? (count ? count : SIZE_MAX - named) : 0);
	if (opt.dump) {
		dump(&s, have_base && !count ? named + 1 : end);
		return 0;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_init();
	probe_cpu();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		tap_bail_out("mmap: %s", strerror(errno));
	/* One reader of the kernel log for all workers: none misses a line. */
	kmsg_open(opt.kmsg);
	if (secs)
		deadline = start + secs;
	tap_diag("fuzz-guest: generator %d; %zu seeds from the corpus and the command line; fresh seeds %s%" PRIu64 "%s; %u ms and %u launcher exits a seed; the known-good guest every %u seeds",
		 GENERATOR, named, have_base ? "from " : "", have_base ? s.base : 0,
		 !have_base ? " (none)" : count ? "" : " on, until the time is up",
		 opt.ms, opt.exits, opt.check_every);
	tap_diag("replay a seed: make fuzz-guest SEED=N (in the test VM: fuzz_guest -v N)");

	if (named) {
		t0 = guest_now();
		before = sh->harmed;
		go_on = supervise(&s, named, 0, &opt);
		tap_ok(sh->harmed == before && sh->next == named,
		       "%zu of %zu named seeds ran in %.0f s and the host came through each",
		       sh->next, named, guest_now() - t0);
	}
	if (have_base && go_on) {
		t0 = guest_now();
		from = sh->next;
		before = sh->harmed;
		supervise(&s, end, deadline, &opt);
		tap_ok(sh->harmed == before && sh->next > from,
		       "fresh seeds %" PRIu64 "..%" PRIu64 " (%zu in %.0f s) and the host came through each",
		       s.base, s.base + (sh->next > from ? sh->next - from - 1 : 0),
		       sh->next - from, guest_now() - t0);
	}
	print_shapes();
	tap_ok(sh->known_good_fails == 0,
	       "a known-good guest ran as it should every %u seeds and at the end (%u runs, %u failed)",
	       opt.check_every, sh->known_good_runs, sh->known_good_fails);
	tap_ok(sh->launcher_bad == 0 && sh->deaths == 0,
	       "the launcher lived through every seed, and its XMM15%s, MXCSR, x87 control word%s came back from every RUN as it set them (%u died, %u changed)",
	       have_avx ? "/YMM15" : "", have_pku ? " and PKRU" : "",
	       sh->deaths, sh->launcher_bad);
	tap_ok(sh->hangs == 0, "every RUN came back within %d s of its time (%u did not)",
	       HANG_SECS, sh->hangs);
	tap_ok(sh->kernel_bad == 0,
	       "the kernel logged no warning, BUG, oops, lockup, stall or MSR fault (%u seeds made it)",
	       sh->kernel_bad);
	tap_diag("%llu VM exits in all", sh->exits);
	return tap_finish();
}
