/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of lg.ko that are pure computation over guest state: the 8259
 * PIC pair, the 8254 PIT, the local APICs and the I/O APIC of SMP guests,
 * the x86 instruction decoder for MMIO and instruction lengths, and the
 * guest page-table walker.  Like
 * fs/vring_core.c, they compile both in the kernel and in userspace (with
 * tests/lg/unit/lg_emul_user.h) so they are unit-tested on the host.
 * None of them locks: the caller (svm.c, under the vCPU's run) serialises.
 */
#ifndef LG_EMUL_H
#define LG_EMUL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "lg_emul_user.h"
#endif

/* ---- 8259 PIC pair: master ports 0x20-0x21, slave 0xa0-0xa1, ELCR 0x4d0-0x4d1 */

struct lg_pic_chip {
	u8 irr;			/* requests waiting */
	u8 imr;			/* masked lines */
	u8 isr;			/* in service */
	u8 line_level;		/* current input levels, for edge detection */
	u8 elcr;		/* 1 = level-triggered line */
	u8 vector_base;		/* ICW2 */
	u8 init_step;		/* 0 = ready; 1..3 = expecting ICW2..ICW4 */
	u8 icw4_needed;
	u8 auto_eoi;
	u8 read_isr;		/* OCW3: reads of the command port give ISR */
	u8 special_mask;
	u8 poll;
	u8 priority_base;	/* the lowest-priority line (7; rotation) */
	u8 single;		/* ICW1 SNGL: no ICW3 in the init sequence */
	u8 rotate_on_aeoi;	/* OCW2 "rotate in automatic EOI mode" */
};

struct lg_pic {
	struct lg_pic_chip chip[2];	/* 0 master, 1 slave on master line 2 */
};

void lg_pic_reset(struct lg_pic *pic);
/* Set input line 0-15 to level 0 or 1; an edge (0->1) latches a request. */
void lg_pic_set_line(struct lg_pic *pic, unsigned int line, int level);
bool lg_pic_owns_port(u16 port);
/* 1-byte port access; returns 0, or -EINVAL for a port not ours. */
int lg_pic_io(struct lg_pic *pic, u16 port, bool is_write, u8 *val);
/* Is an unmasked request waiting that beats what is in service? */
bool lg_pic_has_interrupt(const struct lg_pic *pic);
/* The INTA cycle: the vector to deliver (a spurious 7/15 if it vanished). */
u8 lg_pic_ack(struct lg_pic *pic);

/* ---- 8254 PIT: ports 0x40-0x43, and port 0x61 (gate 2, speaker) */

#define LG_PIT_HZ	1193182ULL

struct lg_pit_channel {
	u16 reload;		/* count written (0 means 65536) */
	u8 mode;		/* 0-5 */
	u8 rw_mode;		/* 1 lsb, 2 msb, 3 lsb then msb */
	u8 bcd;
	u8 write_lsb_next;	/* for rw_mode 3: which byte the next write is */
	u8 read_lsb_next;
	u8 latched;		/* a count is latched */
	u16 latch;
	u8 status_latched;
	u8 status;
	u8 gate;
	u8 armed;		/* a count was loaded since the mode was set */
	u64 start_ns;		/* when counting (re)started */
	u16 start_count;	/* the count at start_ns (0 means 65536) */
	u8 paused;		/* gate low (or mode 1/5 not triggered yet) */
	u8 expired;		/* mode 0: output went high before start_ns */
	u8 write_lsb;		/* rw_mode 3: the low byte waiting for its msb */
};

struct lg_pit {
	struct lg_pit_channel ch[3];
	u64 irq_due_ns;		/* channel 0: next output edge, or U64_MAX */
	u8 port61;		/* port 0x61 bits 0-3 as last written */
};

void lg_pit_reset(struct lg_pit *pit);
bool lg_pit_owns_port(u16 port);
/* Also updates irq_due_ns when the guest reprograms channel 0. */
int lg_pit_io(struct lg_pit *pit, u16 port, bool is_write, u8 *val,
	      u64 now_ns);
/*
 * Channel 0 drives IRQ 0.  Returns how many output edges happened up to
 * now_ns since the last call (the caller pulses IRQ 0 if non-zero; it may
 * coalesce them) and updates irq_due_ns to the next one, for the caller's
 * hrtimer.  U64_MAX means no tick is coming (one-shot done, or stopped).
 */
unsigned int lg_pit_ticks(struct lg_pit *pit, u64 now_ns);

/* ---- Local APIC: one per vCPU of an SMP guest (lapic.c) */

/*
 * Where the guest finds it: IA32_APIC_BASE (MSR 0x1b) gives the 4 KiB page
 * of the xAPIC registers (at 0xfee00000 after reset) and the mode; in
 * x2APIC mode the registers are MSRs 0x800 + offset / 16 instead, and the
 * page is not an APIC at all.  IA32_TSC_DEADLINE (0x6e0) arms the timer in
 * TSC-deadline mode.  lg_lapic_owns_msr() says which MSRs are ours.
 */
#define LG_APIC_DEFAULT_BASE	0xfee00000ULL
#define LG_APIC_PAGE_SIZE	0x1000
#define LG_MSR_APIC_BASE	0x1b
#define LG_MSR_TSC_DEADLINE	0x6e0
#define LG_MSR_X2APIC_FIRST	0x800
#define LG_MSR_X2APIC_LAST	0x8ff
#define LG_APIC_BASE_BSP	BIT_ULL(8)	/* read-only: set by lg_lapic_init */
#define LG_APIC_BASE_EXTD	BIT_ULL(10)	/* x2APIC mode */
#define LG_APIC_BASE_ENABLE	BIT_ULL(11)	/* the APIC is on (globally) */

/*
 * The timer's input clock: a 1 GHz "bus", so one count is one nanosecond
 * at divide-by-1 (KVM's choice too).  The guest has to learn it: Linux
 * calibrates against the PIT, or with CPUID leaf 0x15 (ECX: the crystal
 * in Hz, LG_APIC_BUS_HZ) or 0x16 (ECX: bus MHz, LG_APIC_BUS_MHZ) on Intel
 * vendor strings; a caller may put these values there.  With TSC-deadline
 * mode offered in CPUID (leaf 1, ECX bit 24), Linux skips the calibration.
 */
#define LG_APIC_BUS_HZ		1000000000U
#define LG_APIC_BUS_MHZ		1000U

/*
 * The shortest period at which a periodic APIC timer interrupts (H:740):
 * shorter periods are stretched to it, as KVM does by default.  One-shot
 * and TSC-deadline timers are not stretched, since each arming costs the
 * guest an exit; a caller that wants a floor there too should use this.
 */
#define LG_APIC_MIN_PERIOD_NS	200000ULL

/* Delivery modes, as the ICR, the LVTs and the I/O APIC encode them. */
#define LG_APIC_DM_FIXED	0
#define LG_APIC_DM_LOWEST	1
#define LG_APIC_DM_SMI		2
#define LG_APIC_DM_NMI		4
#define LG_APIC_DM_INIT		5
#define LG_APIC_DM_SIPI		6
#define LG_APIC_DM_EXTINT	7

/* Destination shorthands (ICR bits 19:18). */
#define LG_APIC_SH_NONE		0
#define LG_APIC_SH_SELF		1
#define LG_APIC_SH_ALL		2	/* all including self */
#define LG_APIC_SH_OTHERS	3	/* all excluding self */

/*
 * One interrupt message on its way to local APICs: an IPI from an ICR
 * write (self IPIs too, with LG_APIC_SH_SELF), or a redirection entry of
 * the I/O APIC firing.  The caller walks its vCPUs and, for each whose
 * APIC lg_lapic_accepts() the message, calls lg_lapic_deliver().  Lowest
 * priority is delivered as fixed, to the first APIC that accepts it.
 */
struct lg_apic_msg {
	u32 dest;		/* destination field (8 or 32 bits, see x2apic) */
	u8 vector;
	u8 delivery_mode;	/* LG_APIC_DM_* */
	u8 shorthand;		/* LG_APIC_SH_*: NONE for the I/O APIC */
	bool logical;		/* destination mode: logical, not physical */
	bool level;		/* trigger mode: level, not edge */
	/* dest is 32 bits, 0xffffffff broadcast; else 8 bits, 0xff */
	bool x2apic;
};

/* CMCI, timer, thermal, perf, LINT0, LINT1, error */
#define LG_LAPIC_NR_LVT		7

struct lg_lapic {
	u64 apic_base;		/* IA32_APIC_BASE */
	u32 initial_id;		/* the hardware id; x2APIC ID */
	u8 xapic_id;		/* the xAPIC ID register (bits 31:24) */
	u8 tpr;
	u32 ldr;		/* xAPIC mode; derived from the id in x2APIC */
	u32 dfr;
	u32 svr;
	u32 esr;		/* what ESR reads: latched by the last write */
	u32 esr_pending;	/* errors since the last write */
	u32 icr_low, icr_high;
	u32 lvt[LG_LAPIC_NR_LVT];
	u32 irr[8], isr[8], tmr[8];	/* 256-bit sets, vector v: [v/32] bit v%32 */
	u32 timer_initial;	/* TMICT */
	u32 timer_dcr;		/* divide configuration */
	u64 timer_start_ns;	/* the count was timer_start_count then */
	u32 timer_start_count;
	u64 tsc_deadline;	/* armed IA32_TSC_DEADLINE, or 0 */
	u32 tsc_khz;		/* the guest TSC's rate, for deadline mode */
	bool wait_for_sipi;	/* INITed, not started yet */
	/*
	 * When the timer next expires (host ns), or U64_MAX: the caller
	 * sleeps on an hrtimer until then and calls lg_lapic_timer_ticks().
	 */
	u64 timer_due_ns;
};

/*
 * How the caller (svm.c, events.c) runs the APICs of a guest:
 *
 *  - Each vCPU's lg_lapic and the guest's lg_ioapic are touched from
 *    several threads (the vCPU's own exits, other vCPUs' IPIs, device
 *    lines, hrtimers): the caller serialises each under a lock; these
 *    functions never sleep and never allocate.
 *  - MMIO to lg_lapic_owns_mmio() and MSRs in lg_lapic_owns_msr() go to
 *    lg_lapic_mmio_*() and lg_lapic_msr_*(); -EINVAL from an MSR means
 *    inject #GP(0).  Then act on out.flags: route out.ipi (below), give
 *    an out.eoi_level EOI to lg_ioapic_eoi() and route the pins it
 *    returns, and re-arm the vCPU's hrtimer when OUT_TIMER is set.
 *  - Routing a message: for every vCPU whose APIC lg_lapic_accepts() it
 *    (is_sender: that vCPU sent it), call lg_lapic_deliver() and do what
 *    it says; for LG_APIC_DM_LOWEST stop after the first.  The I/O APIC
 *    never sees the CPUs: it hands back pins, lg_ioapic_msg() gives each
 *    one's message.
 *  - Before each VMRUN: lg_lapic_pending() >= 0 means an interrupt is
 *    waiting; lg_lapic_ack() takes it (IRR to ISR) when it is handed to
 *    V_IRQ, as lg_pic_ack() is today.  Keep V_TPR and TPR in step with
 *    lg_lapic_get_cr8()/lg_lapic_set_cr8().  The PIC reaches a vCPU only
 *    while lg_lapic_accepts_pic() says so (the BSP in virtual wire).
 *  - The timer: sleep until timer_due_ns (host ktime_get_ns() time, the
 *    same clock every struct lg_apic_time carries) and then call
 *    lg_lapic_timer_ticks(); its vector is queued for you.
 *  - A vCPU with wait_for_sipi set must not run until a SIPI starts it.
 */

/* The moment of an access: host time, and the guest's TSC at that time. */
struct lg_apic_time {
	u64 ns;
	u64 tsc;
};

/* What a register write leaves for the caller to do (flags say which). */
struct lg_lapic_out {
	unsigned int flags;
	struct lg_apic_msg ipi;	/* LG_LAPIC_OUT_IPI: route it */
	u8 eoi_vector;		/* LG_LAPIC_OUT_EOI: this vector ended; */
	bool eoi_level;		/* level-triggered: lg_ioapic_eoi() it */
};

#define LG_LAPIC_OUT_IPI	BIT(0)
#define LG_LAPIC_OUT_EOI	BIT(1)
#define LG_LAPIC_OUT_TIMER	BIT(2)	/* timer_due_ns changed: re-arm */

/* What lg_lapic_deliver() and lg_lapic_lint() ask of the caller. */
enum lg_lapic_action {
	LG_LAPIC_IGNORED,	/* dropped (masked, disabled, illegal vector) */
	LG_LAPIC_QUEUED,	/* a vector waits in IRR: kick the vCPU */
	LG_LAPIC_NMI,		/* inject an NMI into this vCPU */
	LG_LAPIC_INIT,		/* APIC reset; the vCPU now waits for SIPI */
	/*
	 * INIT of the BSP: it would restart at the reset vector, where we
	 * have no firmware.  Treat it as the guest asking for a reset.
	 */
	LG_LAPIC_INIT_BSP,
	LG_LAPIC_SIPI,		/* start the vCPU: LG_SIPI_CS/BASE(vector) */
	LG_LAPIC_EXTINT,	/* the PIC's turn: inject lg_pic_ack() */
};

/* A started AP begins in real mode at CS = vector << 8, IP 0. */
#define LG_SIPI_CS(vector)	((u16)(vector) << 8)
#define LG_SIPI_BASE(vector)	((u32)(vector) << 12)

/*
 * Power-on state: APIC enabled in xAPIC mode at 0xfee00000, software
 * disabled, LVTs masked.  The BSP's LINT0 is left in virtual-wire mode
 * (ExtINT) and LINT1 as NMI, as a PC's firmware leaves them, so the PIC
 * reaches the BSP until the guest sets up its APIC.  tsc_khz must not be 0.
 */
void lg_lapic_init(struct lg_lapic *apic, u32 id, bool bsp, u32 tsc_khz);
bool lg_lapic_owns_msr(u32 msr);
/* Is gpa in this APIC's xAPIC page right now (enabled, not x2APIC)? */
bool lg_lapic_owns_mmio(const struct lg_lapic *apic, u64 gpa);
/*
 * MMIO at offset 0-0xfff of the page, size 1-8.  Registers are 32 bits
 * at 16-byte aligned offsets; reads of other sizes get the register's
 * bytes (zeros past its 4), writes other than an aligned 32-bit one are
 * dropped.  -ENODEV when the page is not an APIC (x2APIC mode, disabled):
 * the caller treats the access as one to nothing.
 */
int lg_lapic_mmio_read(struct lg_lapic *apic, u32 offset, unsigned int size,
		       u64 *val, struct lg_apic_time now);
int lg_lapic_mmio_write(struct lg_lapic *apic, u32 offset, unsigned int size,
			u64 val, struct lg_apic_time now,
			struct lg_lapic_out *out);
/*
 * RDMSR/WRMSR of IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC MSRs.
 * 0, or -EINVAL where the CPU raises #GP: the caller injects #GP(0).
 */
int lg_lapic_msr_read(struct lg_lapic *apic, u32 msr, u64 *val,
		      struct lg_apic_time now);
int lg_lapic_msr_write(struct lg_lapic *apic, u32 msr, u64 val,
		       struct lg_apic_time now, struct lg_lapic_out *out);

/* Does this APIC take the message?  is_sender: it is the IPI's source. */
bool lg_lapic_accepts(const struct lg_lapic *apic,
		      const struct lg_apic_msg *msg, bool is_sender);
/* A message arriving at this APIC (after lg_lapic_accepts()). */
enum lg_lapic_action lg_lapic_deliver(struct lg_lapic *apic, u8 delivery_mode,
				      u8 vector, bool level);
/* An edge on LINT0 (pin 0) or LINT1 (pin 1), through its LVT entry. */
enum lg_lapic_action lg_lapic_lint(struct lg_lapic *apic, unsigned int pin);
/* May the PIC's INTR reach this CPU (virtual wire, or APIC off)? */
bool lg_lapic_accepts_pic(const struct lg_lapic *apic);

/* The highest vector that may interrupt now (IRR above PPR), or -1. */
int lg_lapic_pending(const struct lg_lapic *apic);
/* Inject it: move it from IRR to ISR; the vector, or -1 if none. */
int lg_lapic_ack(struct lg_lapic *apic);
/* CR8 is TPR[7:4]: for the VMCB's V_TPR, both ways. */
u8 lg_lapic_get_cr8(const struct lg_lapic *apic);
void lg_lapic_set_cr8(struct lg_lapic *apic, u8 cr8);
/*
 * The timer at now_ns: how many times it expired since the last call
 * (periodic ticks missed meanwhile are counted, not replayed).  The timer
 * vector is queued here if its LVT entry is unmasked: a non-zero return
 * means kick the vCPU.  Updates timer_due_ns.
 */
unsigned int lg_lapic_timer_ticks(struct lg_lapic *apic, u64 now_ns);

/* ---- I/O APIC: one, 24 input pins, registers at 0xfec00000 (ioapic.c) */

#define LG_IOAPIC_BASE		0xfec00000ULL
#define LG_IOAPIC_PAGE_SIZE	0x1000
#define LG_IOAPIC_PINS		24

struct lg_ioapic {
	u8 id;			/* ID register bits 27:24 */
	u8 ioregsel;		/* the register IOWIN reaches */
	u32 line_level;	/* input levels (bit per pin), for edges */
	u64 redir[LG_IOAPIC_PINS];	/* redirection table */
};

/*
 * The functions that can make pins fire return them as a mask (bit n:
 * pin n); for each, the caller gets the message with lg_ioapic_msg() and
 * gives it to every local APIC that lg_lapic_accepts() it (is_sender
 * false), or for lowest priority to the first one only.  A pin fires once
 * per call at most, so at most 24 messages come of one call.
 */
void lg_ioapic_reset(struct lg_ioapic *ioapic);
bool lg_ioapic_owns_mmio(u64 gpa);
/* 32-bit accesses at IOREGSEL (0x00), IOWIN (0x10) and EOI (0x40). */
u64 lg_ioapic_mmio_read(struct lg_ioapic *ioapic, u32 offset,
			unsigned int size);
u32 lg_ioapic_mmio_write(struct lg_ioapic *ioapic, u32 offset,
			 unsigned int size, u64 val);
/* Pin 0-23 to level 0 or 1 (1: asserted, whatever the polarity bit). */
u32 lg_ioapic_set_line(struct lg_ioapic *ioapic, unsigned int pin, int level);
/* A local APIC's EOI broadcast of a level-triggered vector. */
u32 lg_ioapic_eoi(struct lg_ioapic *ioapic, u8 vector);
/* The message pin sends (delivery mode, vector, destination, trigger). */
void lg_ioapic_msg(const struct lg_ioapic *ioapic, unsigned int pin,
		   struct lg_apic_msg *msg);

/* ---- Instruction decoding (64-bit mode, the forms Linux uses) */

enum lg_mmio_extend {
	LG_EXT_NONE,		/* plain mov: 32-bit results zero the top half */
	LG_EXT_ZERO,		/* movzx */
	LG_EXT_SIGN,		/* movsx */
};

struct lg_mmio_insn {
	u8 length;		/* whole instruction, prefixes included */
	u8 size;		/* bytes accessed in memory: 1, 2, 4 or 8 */
	u8 dest_size;		/* register size for reads (movzx/movsx) */
	bool is_write;
	bool has_imm;		/* writes an immediate, not a register */
	s8 reg;			/* 0 rax .. 15 r15, for the register operand */
	/* ah/ch/dh/bh (no REX, reg 4-7, size 1): reg is then 0-3 (rax-rbx) */
	bool high_byte;
	enum lg_mmio_extend extend;
	u64 imm;
};

/*
 * Decode a memory-access instruction from bytes[0..avail): mov r/m<->reg
 * (88, 89, 8a, 8b), mov imm->r/m (c6, c7), movzx/movsx (0f b6/b7/be/bf),
 * mov moffs (a0-a3), with 66/REX/segment prefixes.  0, or -EINVAL.
 */
int lg_decode_mmio(const u8 *bytes, unsigned int avail,
		   struct lg_mmio_insn *insn);
/*
 * Length of the instructions we intercept without NRIP save: cpuid,
 * rdmsr, wrmsr, hlt, vmmcall, xsetbv, in/out, and any of the decodable
 * movs.  Returns the length, or -EINVAL if bytes is not one of them.
 */
int lg_insn_length(const u8 *bytes, unsigned int avail);

/*
 * mov to or from a debug register (0f 21 /r, 0f 23 /r) or a control
 * register (0f 20 /r, 0f 22 /r).
 */
struct lg_movreg_insn {
	u8 length;		/* whole instruction, prefixes included */
	u8 reg;			/* DRn or CRn: 0-7; 8-15 with REX.R */
	u8 gpr;			/* 0 rax .. 15 r15 */
	bool is_write;		/* mov to the debug or control register */
};

/* Decode one from bytes[0..avail): 0, or -EINVAL if it is not one. */
int lg_decode_mov_dr(const u8 *bytes, unsigned int avail,
		     struct lg_movreg_insn *insn);
int lg_decode_mov_cr(const u8 *bytes, unsigned int avail,
		     struct lg_movreg_insn *insn);

/* Apply a completed MMIO read to a register image (rax..r15 order). */
void lg_mmio_complete_read(const struct lg_mmio_insn *insn, u64 *regs,
			   const u8 *data);
/* The value an MMIO write stores, from a register image. */
u64 lg_mmio_write_value(const struct lg_mmio_insn *insn, const u64 *regs);

/* ---- Guest page-table walk (4-level, long mode; and paging off) */

/* Read guest-physical memory: 0 or -EFAULT. */
typedef int (*lg_read_phys_t)(void *ctx, u64 gpa, void *buf, unsigned int len);

/*
 * Translate a guest-virtual address with the guest's CR0/CR3/CR4/EFER.
 * 0 and *gpa, -EFAULT when not mapped (the caller injects #PF or kills).
 */
int lg_walk(u64 cr0, u64 cr3, u64 cr4, u64 efer, u64 gva,
	    lg_read_phys_t read_phys, void *ctx, u64 *gpa);

#endif /* LG_EMUL_H */
