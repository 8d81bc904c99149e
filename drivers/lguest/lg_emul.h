/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of lg.ko that are pure computation over guest state: the 8259
 * PIC pair, the 8254 PIT, the x86 instruction decoder for MMIO and
 * instruction lengths, and the guest page-table walker.  Like
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
