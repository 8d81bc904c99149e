// SPDX-License-Identifier: GPL-2.0
/*
 * Just enough of an x86-64 instruction decoder for a hypervisor without
 * decode assists: the memory moves a guest uses on MMIO, and the lengths
 * of the instructions we intercept.
 */

/*H:650 When the guest touches a virtio-mmio register, nested paging
 * faults and the CPU tells us the guest-physical address, but nothing
 * else: our SVM (TCG's, in the test host) has no "decode assists" and no
 * "next RIP".  So we fetch the instruction bytes ourselves (through the
 * guest's page tables: see walk.c) and work out what the guest wanted:
 * which register, how many bytes, read or write, and how long the
 * instruction is so we can step over it.
 *
 * Happily Linux's readl()/writel() and friends are single "mov"
 * instructions written in inline assembly, so a handful of opcodes covers
 * every driver: 88/89/8a/8b (mov to and from a register), c6/c7 (mov an
 * immediate), a0-a3 (mov with a 64-bit absolute address), and the
 * movzx/movsx forms a compiler may choose for a volatile byte or word.
 * Anything else gets -EINVAL, and the caller kills the guest with a reason
 * instead of guessing.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/types.h>
#endif

#include "lg_emul.h"

/* The architecture's limit: longer is #GP on real hardware. */
#define LG_INSN_MAX		15

#define LG_REX_W		0x08
#define LG_REX_R		0x04
#define LG_REX_B		0x01

struct lg_prefixes {
	unsigned int count;	/* bytes of prefix, REX included */
	u8 rex;			/* 0, or the REX byte right before the opcode */
	bool opsize;		/* 0x66 */
	bool addrsize;		/* 0x67 */
	bool rep;		/* 0xf2 or 0xf3 */
	bool lock;		/* 0xf0 */
};

/*H:660 Prefixes come first, in any order and any number (up to the
 * 15-byte limit): 0x66 makes a 32-bit operation 16-bit, 0x67 shrinks
 * addresses to 32 bits, the segment overrides mean nothing to us (fs and
 * gs bases are already in the linear address that faulted), and a REX
 * byte (0x40-0x4f) adds a fourth bit to register numbers and W for 64-bit
 * operands.  A REX counts only when it is the last prefix: one followed by
 * another prefix is ignored by the CPU, and so by us.
 */
static int lg_parse_prefixes(const u8 *bytes, unsigned int avail,
			     struct lg_prefixes *p)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < avail && i < LG_INSN_MAX; i++) {
		u8 b = bytes[i];

		if (b >= 0x40 && b <= 0x4f) {
			p->rex = b;
			continue;
		}
		switch (b) {
		case 0x66:
			p->opsize = true;
			break;
		case 0x67:
			p->addrsize = true;
			break;
		case 0xf0:
			p->lock = true;
			break;
		case 0xf2:
		case 0xf3:
			p->rep = true;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0x64:
		case 0x65:
			break;
		default:
			p->count = i;
			return 0;
		}
		p->rex = 0;
	}
	return -EINVAL;
}

/*
 * The length of a ModRM byte and what follows it (SIB, displacement),
 * starting at bytes[pos].  In 64-bit mode mod=00 rm=101 is RIP-relative
 * with a 32-bit displacement, and a SIB byte whose base is 101 under
 * mod=00 has a 32-bit displacement and no base.  The address-size prefix
 * changes none of this.  Register operands (mod=11) are no memory access:
 * -EINVAL, as is a displacement cut off by the end of the bytes we have.
 */
static int lg_modrm_length(const u8 *bytes, unsigned int avail,
			   unsigned int pos)
{
	u8 modrm, mod, rm;
	int len = 1;

	if (pos >= avail)
		return -EINVAL;
	modrm = bytes[pos];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return -EINVAL;
	if (rm == 4) {
		if (pos + 1 >= avail)
			return -EINVAL;
		len++;
		if (mod == 0 && (bytes[pos + 1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		len += 4;
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	if (pos + len > avail)
		return -EINVAL;
	return len;
}

static u64 lg_get_le(const u8 *p, unsigned int size)
{
	u64 v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

/* The size of a full-width operand: REX.W beats 0x66. */
static u8 lg_operand_size(const struct lg_prefixes *p)
{
	if (p->rex & LG_REX_W)
		return 8;
	return p->opsize ? 2 : 4;
}

/*
 * mov between memory and a register, and movzx/movsx.  A byte register
 * numbered 4-7 with no REX at all is ah, ch, dh or bh: the second byte of
 * rax..rbx.  With any REX, even a bare 0x40, it is spl, bpl, sil or dil.
 */
static int lg_decode_modrm_mov(const u8 *bytes, unsigned int avail,
			       const struct lg_prefixes *p, unsigned int pos,
			       struct lg_mmio_insn *insn)
{
	int len = lg_modrm_length(bytes, avail, pos);
	u8 reg;

	if (len < 0)
		return len;
	reg = (bytes[pos] >> 3) & 7;
	if (p->rex & LG_REX_R)
		reg |= 8;
	if (insn->size == 1 && insn->dest_size == 1 && !p->rex && reg >= 4) {
		insn->high_byte = true;
		reg -= 4;
	}
	insn->reg = reg;
	insn->length = pos + len;
	return 0;
}

/*
 * mov of an immediate: c6 /0 ib and c7 /0 iw/id.  The 32-bit immediate of
 * a 64-bit store is sign-extended, as the CPU does.
 */
static int lg_decode_imm_mov(const u8 *bytes, unsigned int avail,
			     unsigned int pos, struct lg_mmio_insn *insn)
{
	int len = lg_modrm_length(bytes, avail, pos);
	unsigned int imm_size;
	u64 imm;

	if (len < 0 || ((bytes[pos] >> 3) & 7) != 0)
		return -EINVAL;
	imm_size = min_t(unsigned int, insn->size, 4);
	pos += len;
	if (pos + imm_size > avail)
		return -EINVAL;
	imm = lg_get_le(bytes + pos, imm_size);
	if (insn->size == 8)
		imm = (u64)(s64)(s32)imm;
	insn->imm = imm;
	insn->has_imm = true;
	insn->reg = -1;
	insn->length = pos + imm_size;
	return 0;
}

static int lg_decode_twobyte(const u8 *bytes, unsigned int avail,
			     const struct lg_prefixes *p, unsigned int pos,
			     struct lg_mmio_insn *insn)
{
	if (pos >= avail)
		return -EINVAL;
	switch (bytes[pos]) {
	case 0xb6:	/* movzx r, r/m8 */
	case 0xb7:	/* movzx r, r/m16 */
		insn->extend = LG_EXT_ZERO;
		break;
	case 0xbe:	/* movsx r, r/m8 */
	case 0xbf:	/* movsx r, r/m16 */
		insn->extend = LG_EXT_SIGN;
		break;
	default:
		return -EINVAL;
	}
	insn->size = (bytes[pos] & 1) ? 2 : 1;
	insn->dest_size = lg_operand_size(p);
	return lg_decode_modrm_mov(bytes, avail, p, pos + 1, insn);
}

/* a0-a3: the accumulator and an absolute address of 8 (with 0x67: 4) bytes. */
static int lg_decode_moffs(unsigned int avail, const struct lg_prefixes *p,
			   unsigned int pos, struct lg_mmio_insn *insn)
{
	unsigned int addr_size = p->addrsize ? 4 : 8;

	if (pos + 1 + addr_size > avail)
		return -EINVAL;
	insn->reg = 0;
	insn->length = pos + 1 + addr_size;
	return 0;
}

int lg_decode_mmio(const u8 *bytes, unsigned int avail,
		   struct lg_mmio_insn *insn)
{
	struct lg_prefixes p;
	unsigned int pos;
	u8 op;
	int err;

	memset(insn, 0, sizeof(*insn));
	if (lg_parse_prefixes(bytes, avail, &p) || p.lock || p.rep)
		return -EINVAL;
	pos = p.count;
	op = bytes[pos];
	/* Byte forms have an even opcode, except 8a whose partner is 8b. */
	insn->size = (op & 1) ? lg_operand_size(&p) : 1;
	insn->dest_size = insn->size;
	insn->extend = LG_EXT_NONE;
	switch (op) {
	case 0x88:
	case 0x89:
		insn->is_write = true;
		fallthrough;
	case 0x8a:
	case 0x8b:
		err = lg_decode_modrm_mov(bytes, avail, &p, pos + 1, insn);
		break;
	case 0xc6:
	case 0xc7:
		insn->is_write = true;
		err = lg_decode_imm_mov(bytes, avail, pos + 1, insn);
		break;
	case 0xa2:
	case 0xa3:
		insn->is_write = true;
		fallthrough;
	case 0xa0:
	case 0xa1:
		err = lg_decode_moffs(avail, &p, pos, insn);
		break;
	case 0x0f:
		err = lg_decode_twobyte(bytes, avail, &p, pos + 1, insn);
		break;
	default:
		err = -EINVAL;
	}
	if (!err && insn->length > LG_INSN_MAX)
		err = -EINVAL;
	if (err)
		memset(insn, 0, sizeof(*insn));
	return err;
}

/*H:685 The guest's debug registers are ours to keep (H:495), so every
 * "mov %drN, %reg" and "mov %reg, %drN" exits, and again nothing says
 * which register: 0f 21 /r reads a debug register into the general
 * register in ModRM.rm, 0f 23 /r writes one.  The CPU ignores ModRM.mod
 * here (the operand is always a register) and any 66, f2 or f3 in front;
 * REX.B picks r8-r15 and REX.R would name DR8-DR15, which do not exist
 * (the caller raises #UD).  A write to CR4 (H:497) is the same shape one
 * opcode lower: 0f 22 /r, with 0f 20 /r for the read.
 */
static int lg_decode_mov_special(const u8 *bytes, unsigned int avail,
				 u8 read_op, struct lg_movreg_insn *insn)
{
	struct lg_prefixes p;
	unsigned int pos;
	u8 modrm;

	memset(insn, 0, sizeof(*insn));
	if (lg_parse_prefixes(bytes, avail, &p) || p.lock)
		return -EINVAL;
	pos = p.count;
	if (pos + 3 > avail || pos + 3 > LG_INSN_MAX || bytes[pos] != 0x0f ||
	    (bytes[pos + 1] != read_op && bytes[pos + 1] != read_op + 2))
		return -EINVAL;
	modrm = bytes[pos + 2];
	insn->is_write = bytes[pos + 1] == read_op + 2;
	insn->reg = (modrm >> 3) & 7;
	if (p.rex & LG_REX_R)
		insn->reg |= 8;
	insn->gpr = modrm & 7;
	if (p.rex & LG_REX_B)
		insn->gpr |= 8;
	insn->length = pos + 3;
	return 0;
}

int lg_decode_mov_dr(const u8 *bytes, unsigned int avail,
		     struct lg_movreg_insn *insn)
{
	return lg_decode_mov_special(bytes, avail, 0x21, insn);
}

int lg_decode_mov_cr(const u8 *bytes, unsigned int avail,
		     struct lg_movreg_insn *insn)
{
	return lg_decode_mov_special(bytes, avail, 0x20, insn);
}

/*H:670 Without "next RIP" we must also measure the instructions we
 * intercept and complete ourselves (H:427): cpuid, rdmsr/wrmsr, hlt, invd
 * and wbinvd.  Each has a fixed encoding, so a table of their opcode bytes
 * does it; prefixes in front only add their own length.  The table also
 * knows the other fixed encodings a guest might make exit: port I/O
 * (which EXITINFO2 steps over, H:460), and rdtsc, rdtscp, vmmcall and
 * xsetbv (not intercepted, or answered with #UD, so never stepped over).
 * They cost nothing to measure, and a change of mind about one of them
 * then needs no change here.
 */
struct lg_fixed_insn {
	u8 len;		/* opcode bytes that identify it */
	u8 bytes[3];
	u8 extra;	/* bytes after those (the port number of in/out) */
};

static const struct lg_fixed_insn lg_fixed_insns[] = {
	{ 2, { 0x0f, 0xa2 }, 0 },		/* cpuid */
	{ 2, { 0x0f, 0x32 }, 0 },		/* rdmsr */
	{ 2, { 0x0f, 0x30 }, 0 },		/* wrmsr */
	{ 2, { 0x0f, 0x31 }, 0 },		/* rdtsc */
	{ 2, { 0x0f, 0x08 }, 0 },		/* invd */
	{ 2, { 0x0f, 0x09 }, 0 },		/* wbinvd */
	{ 1, { 0xf4 }, 0 },			/* hlt */
	{ 3, { 0x0f, 0x01, 0xd9 }, 0 },		/* vmmcall */
	{ 3, { 0x0f, 0x01, 0xd1 }, 0 },		/* xsetbv */
	{ 3, { 0x0f, 0x01, 0xf9 }, 0 },		/* rdtscp */
	{ 1, { 0xe4 }, 1 },			/* in al, imm8 */
	{ 1, { 0xe5 }, 1 },			/* in eax, imm8 */
	{ 1, { 0xe6 }, 1 },			/* out imm8, al */
	{ 1, { 0xe7 }, 1 },			/* out imm8, eax */
	{ 1, { 0xec }, 0 },			/* in al, dx */
	{ 1, { 0xed }, 0 },			/* in eax, dx */
	{ 1, { 0xee }, 0 },			/* out dx, al */
	{ 1, { 0xef }, 0 },			/* out dx, eax */
	{ 1, { 0x6c }, 0 },			/* insb */
	{ 1, { 0x6d }, 0 },			/* insd */
	{ 1, { 0x6e }, 0 },			/* outsb */
	{ 1, { 0x6f }, 0 },			/* outsd */
};

int lg_insn_length(const u8 *bytes, unsigned int avail)
{
	const struct lg_fixed_insn *f;
	struct lg_mmio_insn insn;
	struct lg_prefixes p;
	unsigned int i, len;

	if (lg_parse_prefixes(bytes, avail, &p) || p.lock)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(lg_fixed_insns); i++) {
		f = &lg_fixed_insns[i];
		len = p.count + f->len + f->extra;
		if (len > avail || len > LG_INSN_MAX ||
		    memcmp(bytes + p.count, f->bytes, f->len))
			continue;
		/* Only the string forms of port I/O take a rep prefix. */
		if (p.rep && (f->bytes[0] & 0xfc) != 0x6c)
			continue;
		return len;
	}
	if (lg_decode_mmio(bytes, avail, &insn))
		return -EINVAL;
	return insn.length;
}

/*H:680 Writing the result of an MMIO read back into the guest's register
 * follows the CPU's rules, which are not uniform: a 32-bit destination
 * clears the top half of the 64-bit register, while 8- and 16-bit ones
 * leave the other bits alone.  movzx and movsx first widen the value read
 * to the destination's size.
 */
void lg_mmio_complete_read(const struct lg_mmio_insn *insn, u64 *regs,
			   const u8 *data)
{
	unsigned int bits = insn->size * 8;
	u64 value = lg_get_le(data, insn->size);
	u64 *reg = &regs[insn->reg];

	if (insn->extend == LG_EXT_SIGN && bits < 64 &&
	    (value & (1ULL << (bits - 1))))
		value |= ~0ULL << bits;
	switch (insn->dest_size) {
	case 1:
		if (insn->high_byte)
			*reg = (*reg & ~0xff00ULL) | (value & 0xff) << 8;
		else
			*reg = (*reg & ~0xffULL) | (value & 0xff);
		break;
	case 2:
		*reg = (*reg & ~0xffffULL) | (value & 0xffff);
		break;
	case 4:
		*reg = value & 0xffffffffULL;
		break;
	default:
		*reg = value;
		break;
	}
}

u64 lg_mmio_write_value(const struct lg_mmio_insn *insn, const u64 *regs)
{
	u64 value;

	if (insn->has_imm)
		value = insn->imm;
	else if (insn->high_byte)
		value = regs[insn->reg] >> 8;
	else
		value = regs[insn->reg];
	if (insn->size < 8)
		value &= (1ULL << (insn->size * 8)) - 1;
	return value;
}
