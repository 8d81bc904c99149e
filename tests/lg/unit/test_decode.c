// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO decoder against real encodings.  Each row's bytes were written
 * from the manuals' encoding rules and checked with GNU as (the AT&T text
 * beside them assembles to exactly those bytes), so a mistake in the
 * decoder cannot hide behind the same mistake in the table.
 */
#include "lg_emul.h"
#include "lgunit.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define RSP 4
#define R9 9
#define R10 10
#define R11 11
#define R15 15

struct mov_case {
	const char *text;	/* AT&T syntax, for failure messages */
	u8 bytes[15];
	u8 length, size, dest_size;
	bool is_write, has_imm, high_byte;
	s8 reg;
	enum lg_mmio_extend extend;
	u64 imm;
};

#define R(t, b, len, sz, r)	{ t, b, len, sz, sz, false, false, false, r, \
				  LG_EXT_NONE, 0 }
#define W(t, b, len, sz, r)	{ t, b, len, sz, sz, true, false, false, r, \
				  LG_EXT_NONE, 0 }
#define RH(t, b, len, r)	{ t, b, len, 1, 1, false, false, true, r, \
				  LG_EXT_NONE, 0 }
#define WH(t, b, len, r)	{ t, b, len, 1, 1, true, false, true, r, \
				  LG_EXT_NONE, 0 }
#define WI(t, b, len, sz, i)	{ t, b, len, sz, sz, true, true, false, -1, \
				  LG_EXT_NONE, i }
#define RX(t, b, len, sz, dsz, r, e) { t, b, len, sz, dsz, false, false, \
				       false, r, e, 0 }
#define B(...)			{ __VA_ARGS__ }

static const struct mov_case mov_cases[] = {
	/* readl()/writel() and friends: mov with ModRM */
	R("mov (%rdi),%eax", B(0x8b, 0x07), 2, 4, RAX),
	W("mov %eax,(%rdi)", B(0x89, 0x07), 2, 4, RAX),
	R("mov (%rsi),%ecx", B(0x8b, 0x0e), 2, 4, RCX),
	W("mov %r9d,(%rax)", B(0x44, 0x89, 0x08), 3, 4, R9),
	R("mov (%r8),%r10", B(0x4d, 0x8b, 0x10), 3, 8, R10),
	W("mov %rax,(%rdi)", B(0x48, 0x89, 0x07), 3, 8, RAX),
	W("mov %r15,(%rbx)", B(0x4c, 0x89, 0x3b), 3, 8, R15),
	W("mov %ax,(%rdi)", B(0x66, 0x89, 0x07), 3, 2, RAX),
	R("mov (%rdi),%dx", B(0x66, 0x8b, 0x17), 3, 2, RDX),
	W("mov %al,(%rdi)", B(0x88, 0x07), 2, 1, RAX),
	R("mov (%rdi),%bl", B(0x8a, 0x1f), 2, 1, RBX),
	/* displacements, SIB, RIP-relative */
	R("mov 0x10(%rsi),%edx", B(0x8b, 0x56, 0x10), 3, 4, RDX),
	R("mov -0x8(%rbp),%edx", B(0x8b, 0x55, 0xf8), 3, 4, RDX),
	R("mov 0x1000(%rsi),%edx", B(0x8b, 0x96, 0x00, 0x10, 0x00, 0x00),
	  6, 4, RDX),
	R("mov (%rax,%rbx,4),%ecx", B(0x8b, 0x0c, 0x98), 3, 4, RCX),
	R("mov 0x8(%rsp),%ecx", B(0x8b, 0x4c, 0x24, 0x08), 4, 4, RCX),
	R("mov 0x100(%rsp,%rcx,8),%ecx",
	  B(0x8b, 0x8c, 0xcc, 0x00, 0x01, 0x00, 0x00), 7, 4, RCX),
	R("mov 0x12345678(,%rax,1),%ecx",
	  B(0x8b, 0x0c, 0x05, 0x78, 0x56, 0x34, 0x12), 7, 4, RCX),
	R("mov 0x100(%rip),%eax", B(0x8b, 0x05, 0x00, 0x01, 0x00, 0x00),
	  6, 4, RAX),
	R("mov (%r12),%eax", B(0x41, 0x8b, 0x04, 0x24), 4, 4, RAX),
	W("mov %eax,0x0(%r13)", B(0x41, 0x89, 0x45, 0x00), 4, 4, RAX),
	W("mov %r11d,(%r8,%r9,2)", B(0x47, 0x89, 0x1c, 0x48), 4, 4, R11),
	/* high-byte registers exist only without REX */
	WH("mov %ah,(%rdi)", B(0x88, 0x27), 2, RAX),
	RH("mov (%rdi),%bh", B(0x8a, 0x3f), 2, RBX),
	RH("mov 0x4(%rsi),%ch", B(0x8a, 0x6e, 0x04), 3, RCX),
	W("mov %spl,(%rdi)", B(0x40, 0x88, 0x27), 3, 1, RSP),
	R("mov (%rdi),%r11b", B(0x44, 0x8a, 0x1f), 3, 1, R11),
	/* prefixes: segments are ignored, REX.W beats 0x66 */
	R("mov %fs:(%rax),%eax", B(0x64, 0x8b, 0x00), 3, 4, RAX),
	R("mov %gs:0x10(%rax),%ecx", B(0x65, 0x8b, 0x48, 0x10), 4, 4, RCX),
	W("mov %es:%eax,(%rdi)", B(0x26, 0x89, 0x07), 3, 4, RAX),
	R("mov (%edi),%eax", B(0x67, 0x8b, 0x07), 3, 4, RAX),
	W("data16 mov %rax,(%rdi)", B(0x66, 0x48, 0x89, 0x07), 4, 8, RAX),
	W("rex.W data16 mov %ax,(%rdi)", B(0x48, 0x66, 0x89, 0x07), 4, 2, RAX),
	/* immediates */
	WI("movb $0x5a,(%rdi)", B(0xc6, 0x07, 0x5a), 3, 1, 0x5a),
	WI("movw $0x1234,(%rdi)", B(0x66, 0xc7, 0x07, 0x34, 0x12), 5, 2,
	   0x1234),
	WI("movl $0xdeadbeef,(%rdi)", B(0xc7, 0x07, 0xef, 0xbe, 0xad, 0xde),
	   6, 4, 0xdeadbeef),
	WI("movq $0xfffffffffffffffe,(%rdi)",
	   B(0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff), 7, 8,
	   0xfffffffffffffffeULL),
	WI("movq $0x7fffffff,(%rdi)",
	   B(0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0x7f), 7, 8, 0x7fffffff),
	WI("movl $0x1,0x10(%rip)",
	   B(0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00),
	   10, 4, 1),
	WI("movb $0x1,0x8(%rsp)", B(0xc6, 0x44, 0x24, 0x08, 0x01), 5, 1, 1),
	/* movzx / movsx */
	RX("movzbl (%rdi),%eax", B(0x0f, 0xb6, 0x07), 3, 1, 4, RAX,
	   LG_EXT_ZERO),
	RX("movzwl (%rdi),%eax", B(0x0f, 0xb7, 0x07), 3, 2, 4, RAX,
	   LG_EXT_ZERO),
	RX("movzbw (%rdi),%cx", B(0x66, 0x0f, 0xb6, 0x0f), 4, 1, 2, RCX,
	   LG_EXT_ZERO),
	RX("movsbl (%rdi),%eax", B(0x0f, 0xbe, 0x07), 3, 1, 4, RAX,
	   LG_EXT_SIGN),
	RX("movswq (%rdi),%r10", B(0x4c, 0x0f, 0xbf, 0x17), 4, 2, 8, R10,
	   LG_EXT_SIGN),
	RX("movsbw (%rdi),%ax", B(0x66, 0x0f, 0xbe, 0x07), 4, 1, 2, RAX,
	   LG_EXT_SIGN),
	RX("movzbl (%rdi),%esi", B(0x0f, 0xb6, 0x37), 3, 1, 4, 6,
	   LG_EXT_ZERO),
	/* the accumulator with a 64-bit absolute address */
	R("movabs 0xfeb00000,%eax",
	  B(0xa1, 0x00, 0x00, 0xb0, 0xfe, 0x00, 0x00, 0x00, 0x00), 9, 4, RAX),
	R("movabs 0xfeb00000,%al",
	  B(0xa0, 0x00, 0x00, 0xb0, 0xfe, 0x00, 0x00, 0x00, 0x00), 9, 1, RAX),
	W("movabs %al,0xfeb00000",
	  B(0xa2, 0x00, 0x00, 0xb0, 0xfe, 0x00, 0x00, 0x00, 0x00), 9, 1, RAX),
	W("movabs %rax,0xfeb00000",
	  B(0x48, 0xa3, 0x00, 0x00, 0xb0, 0xfe, 0x00, 0x00, 0x00, 0x00),
	  10, 8, RAX),
	W("movabs %ax,0xfeb00000",
	  B(0x66, 0xa3, 0x00, 0x00, 0xb0, 0xfe, 0x00, 0x00, 0x00, 0x00),
	  10, 2, RAX),
	R("addr32 mov 0xfeb00010,%eax",
	  B(0x67, 0xa1, 0x10, 0x00, 0xb0, 0xfe), 6, 4, RAX),
};

static void test_mov_table(void)
{
	struct lg_mmio_insn insn;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mov_cases); i++) {
		const struct mov_case *c = &mov_cases[i];

		tap_case("%s", c->text);
		if (!CHECK_EQ(lg_decode_mmio(c->bytes, c->length, &insn), 0))
			continue;
		CHECK_EQ(insn.length, c->length);
		CHECK_EQ(insn.size, c->size);
		CHECK_EQ(insn.dest_size, c->dest_size);
		CHECK_EQ(insn.is_write, c->is_write);
		CHECK_EQ(insn.has_imm, c->has_imm);
		CHECK_EQ(insn.high_byte, c->high_byte);
		CHECK_EQ(insn.reg, c->reg);
		CHECK_EQ(insn.extend, c->extend);
		if (c->has_imm)
			CHECK_EQ(insn.imm, c->imm);
		/* The same bytes followed by others: the same length. */
		CHECK_EQ(lg_insn_length(c->bytes, sizeof(c->bytes)), c->length);
	}
}

static void test_truncated(void)
{
	struct lg_mmio_insn insn;
	unsigned int i, n;

	/* Every instruction cut short by even one byte is refused. */
	for (i = 0; i < ARRAY_SIZE(mov_cases); i++) {
		const struct mov_case *c = &mov_cases[i];

		tap_case("%s", c->text);
		for (n = 0; n < c->length; n++) {
			CHECK_EQ(lg_decode_mmio(c->bytes, n, &insn), -EINVAL);
			CHECK_EQ(lg_insn_length(c->bytes, n), -EINVAL);
		}
	}
}

struct bad_case {
	const char *text;
	u8 bytes[16];
	u8 len;
};

static const struct bad_case bad_cases[] = {
	{ "add %eax,(%rdi)", B(0x01, 0x07), 2 },
	{ "cmp %eax,(%rdi)", B(0x39, 0x07), 2 },
	{ "movsb", B(0xa4), 1 },
	{ "rep movsb", B(0xf3, 0xa4), 2 },
	{ "rep stos %eax,(%rdi)", B(0xf3, 0xab), 2 },
	{ "mov %eax,%ebx", B(0x89, 0xc3), 2 },
	{ "mov %ebx,%eax", B(0x8b, 0xc3), 2 },
	{ "lock mov %eax,(%rdi)", B(0xf0, 0x89, 0x07), 3 },
	{ "c7 /1 (undefined)", B(0xc7, 0x0f, 0x01, 0x00, 0x00, 0x00), 6 },
	{ "movzbl %al,%eax", B(0x0f, 0xb6, 0xc0), 3 },
	{ "xchg %eax,(%rdi)", B(0x87, 0x07), 2 },
	{ "test %eax,(%rdi)", B(0x85, 0x07), 2 },
	{ "movnti %eax,(%rdi)", B(0x0f, 0xc3, 0x07), 3 },
	{ "16 bytes: 14 prefixes then mov",
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x89, 0x07), 16 },
	{ "only prefixes", B(0x66, 0x48), 2 },
};

static void test_rejected(void)
{
	struct lg_mmio_insn insn;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		tap_case("%s", bad_cases[i].text);
		memset(&insn, 0xaa, sizeof(insn));
		CHECK_EQ(lg_decode_mmio(bad_cases[i].bytes, bad_cases[i].len,
					&insn), -EINVAL);
		CHECK_EQ(insn.length, 0);
		CHECK_EQ(lg_insn_length(bad_cases[i].bytes,
					bad_cases[i].len), -EINVAL);
	}
}

struct len_case {
	const char *text;
	u8 bytes[8];
	u8 avail;
	int length;
};

static const struct len_case len_cases[] = {
	{ "cpuid", B(0x0f, 0xa2), 2, 2 },
	{ "rdmsr", B(0x0f, 0x32), 2, 2 },
	{ "wrmsr", B(0x0f, 0x30), 2, 2 },
	{ "rdtsc", B(0x0f, 0x31), 2, 2 },
	{ "rdtscp", B(0x0f, 0x01, 0xf9), 3, 3 },
	{ "wbinvd", B(0x0f, 0x09), 2, 2 },
	{ "hlt", B(0xf4), 1, 1 },
	{ "vmmcall", B(0x0f, 0x01, 0xd9), 3, 3 },
	{ "xsetbv", B(0x0f, 0x01, 0xd1), 3, 3 },
	{ "in $0x71,%al", B(0xe4, 0x71), 2, 2 },
	{ "in $0x40,%eax", B(0xe5, 0x40), 2, 2 },
	{ "in $0x40,%ax", B(0x66, 0xe5, 0x40), 3, 3 },
	{ "out %al,$0x80", B(0xe6, 0x80), 2, 2 },
	{ "out %eax,$0x80", B(0xe7, 0x80), 2, 2 },
	{ "in (%dx),%al", B(0xec), 1, 1 },
	{ "in (%dx),%eax", B(0xed), 1, 1 },
	{ "out %al,(%dx)", B(0xee), 1, 1 },
	{ "out %ax,(%dx)", B(0x66, 0xef), 2, 2 },
	{ "rep outsb (%rsi),(%dx)", B(0xf3, 0x6e), 2, 2 },
	{ "rep insw (%dx),(%rdi)", B(0x66, 0xf3, 0x6d), 3, 3 },
	{ "cpuid with trailing bytes", B(0x0f, 0xa2, 0x90, 0x90), 4, 2 },
	{ "in $imm8 cut short", B(0xe4), 1, -EINVAL },
	{ "vmmcall cut short", B(0x0f, 0x01), 2, -EINVAL },
	{ "vmrun (not intercepted as ours)", B(0x0f, 0x01, 0xd8), 3, -EINVAL },
	{ "ud2", B(0x0f, 0x0b), 2, -EINVAL },
	{ "rep hlt", B(0xf3, 0xf4), 2, -EINVAL },
	{ "lock cpuid", B(0xf0, 0x0f, 0xa2), 3, -EINVAL },
	{ "nothing", B(0), 0, -EINVAL },
};

static void test_lengths(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(len_cases); i++) {
		tap_case("%s", len_cases[i].text);
		CHECK_EQ(lg_insn_length(len_cases[i].bytes,
					len_cases[i].avail),
			 len_cases[i].length);
	}
}

static struct lg_mmio_insn decode(const u8 *bytes, unsigned int len)
{
	struct lg_mmio_insn insn;

	CHECK_EQ(lg_decode_mmio(bytes, len, &insn), 0);
	return insn;
}

static void test_complete_read(void)
{
	static const u8 movl[] = { 0x8b, 0x07 };	/* mov (%rdi),%eax */
	static const u8 movw[] = { 0x66, 0x8b, 0x17 };	/* mov (%rdi),%dx */
	static const u8 movb[] = { 0x8a, 0x1f };	/* mov (%rdi),%bl */
	static const u8 movbh[] = { 0x8a, 0x3f };	/* mov (%rdi),%bh */
	static const u8 movq[] = { 0x4d, 0x8b, 0x10 };	/* mov (%r8),%r10 */
	static const u8 r11b[] = { 0x44, 0x8a, 0x1f };	/* mov (%rdi),%r11b */
	static const u8 data[8] = { 0x80, 0x90, 0xa0, 0xb0, 1, 2, 3, 4 };
	struct lg_mmio_insn insn;
	u64 regs[16];
	unsigned int i;

	for (i = 0; i < 16; i++)
		regs[i] = 0x1111111111111111ULL * (i + 1) | 1ULL << 63;
	insn = decode(movl, sizeof(movl));
	lg_mmio_complete_read(&insn, regs, data);
	tap_case("a 32-bit load zeroes the top half");
	CHECK_EQ(regs[RAX], 0xb0a09080ULL);
	tap_case("16- and 8-bit loads keep the other bits");
	insn = decode(movw, sizeof(movw));
	lg_mmio_complete_read(&insn, regs, data);
	CHECK_EQ(regs[RDX], 0xb333333333339080ULL);
	insn = decode(movb, sizeof(movb));
	lg_mmio_complete_read(&insn, regs, data);
	CHECK_EQ(regs[RBX], 0xc444444444444480ULL);
	insn = decode(movbh, sizeof(movbh));
	lg_mmio_complete_read(&insn, regs, data + 2);
	CHECK_EQ(regs[RBX], 0xc44444444444a080ULL);
	insn = decode(r11b, sizeof(r11b));
	lg_mmio_complete_read(&insn, regs, data + 3);
	CHECK_EQ(regs[R11], 0xcccccccccccccc00ULL | 0xb0);
	tap_case("a 64-bit load");
	insn = decode(movq, sizeof(movq));
	lg_mmio_complete_read(&insn, regs, data);
	CHECK_EQ(regs[R10], 0x04030201b0a09080ULL);
	/* Nothing else moved. */
	CHECK_EQ(regs[RCX], 0xa222222222222222ULL);
	CHECK_EQ(regs[R9], 0xaaaaaaaaaaaaaaaaULL);
}

static void test_extend(void)
{
	static const u8 movzbl[] = { 0x0f, 0xb6, 0x07 };
	static const u8 movsbl[] = { 0x0f, 0xbe, 0x07 };
	static const u8 movswq[] = { 0x4c, 0x0f, 0xbf, 0x17 };
	static const u8 movsbw[] = { 0x66, 0x0f, 0xbe, 0x07 };
	static const u8 movzwl[] = { 0x0f, 0xb7, 0x07 };
	static const u8 neg[2] = { 0x80, 0xff }, pos[2] = { 0x7f, 0x12 };
	struct lg_mmio_insn insn;
	u64 regs[16];

	memset(regs, 0xee, sizeof(regs));
	insn = decode(movzbl, sizeof(movzbl));
	lg_mmio_complete_read(&insn, regs, neg);
	CHECK_EQ(regs[RAX], 0x80);
	insn = decode(movsbl, sizeof(movsbl));
	lg_mmio_complete_read(&insn, regs, neg);
	CHECK_EQ(regs[RAX], 0xffffff80ULL);
	lg_mmio_complete_read(&insn, regs, pos);
	CHECK_EQ(regs[RAX], 0x7f);
	insn = decode(movswq, sizeof(movswq));
	lg_mmio_complete_read(&insn, regs, neg);
	CHECK_EQ(regs[R10], 0xffffffffffffff80ULL);
	lg_mmio_complete_read(&insn, regs, pos);
	CHECK_EQ(regs[R10], 0x127f);
	insn = decode(movsbw, sizeof(movsbw));
	regs[RAX] = 0x1111111111111111ULL;
	lg_mmio_complete_read(&insn, regs, neg);
	CHECK_EQ(regs[RAX], 0x111111111111ff80ULL);
	insn = decode(movzwl, sizeof(movzwl));
	lg_mmio_complete_read(&insn, regs, neg);
	CHECK_EQ(regs[RAX], 0xff80);
}

static void test_write_value(void)
{
	static const u8 movb_ah[] = { 0x88, 0x27 };	/* mov %ah,(%rdi) */
	static const u8 movb_spl[] = { 0x40, 0x88, 0x27 };
	static const u8 movw[] = { 0x66, 0x89, 0x07 };
	static const u8 movl_r9[] = { 0x44, 0x89, 0x08 };
	static const u8 movq[] = { 0x48, 0x89, 0x07 };
	static const u8 imm64[] = { 0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff };
	static const u8 imm32[] = { 0xc7, 0x07, 0xef, 0xbe, 0xad, 0xde };
	struct lg_mmio_insn insn;
	u64 regs[16] = { 0 };

	regs[RAX] = 0x0123456789abcdefULL;
	regs[RSP] = 0xfedcba9876543210ULL;
	regs[R9] = 0x1122334455667788ULL;
	insn = decode(movb_ah, sizeof(movb_ah));
	CHECK_EQ(lg_mmio_write_value(&insn, regs), 0xcd);
	insn = decode(movb_spl, sizeof(movb_spl));
	CHECK_EQ(lg_mmio_write_value(&insn, regs), 0x10);
	insn = decode(movw, sizeof(movw));
	CHECK_EQ(lg_mmio_write_value(&insn, regs), 0xcdef);
	insn = decode(movl_r9, sizeof(movl_r9));
	CHECK_EQ(lg_mmio_write_value(&insn, regs), 0x55667788);
	insn = decode(movq, sizeof(movq));
	CHECK_EQ(lg_mmio_write_value(&insn, regs), 0x0123456789abcdefULL);
	insn = decode(imm64, sizeof(imm64));
	CHECK_EQ(lg_mmio_write_value(&insn, regs), 0xfffffffffffffffeULL);
	insn = decode(imm32, sizeof(imm32));
	CHECK_EQ(lg_mmio_write_value(&insn, regs), 0xdeadbeef);
}

/* mov to and from debug registers, as a guest kernel writes them. */
struct dr_case {
	u8 bytes[6];
	u8 len;
	u8 length, dr, gpr;
	bool is_write;
};

static const struct dr_case dr_cases[] = {
	{ { 0x0f, 0x21, 0xc0 }, 3, 3, 0, 0, false },	/* mov %dr0, %rax */
	{ { 0x0f, 0x21, 0xfb }, 3, 3, 7, 3, false },	/* mov %dr7, %rbx */
	{ { 0x0f, 0x23, 0xf1 }, 3, 3, 6, 1, true },	/* mov %rcx, %dr6 */
	{ { 0x41, 0x0f, 0x23, 0xdf }, 4, 4, 3, 15, true },	/* mov %r15, %dr3 */
	{ { 0x44, 0x0f, 0x21, 0xc0 }, 4, 4, 8, 0, false },	/* REX.R: dr8 */
	{ { 0x0f, 0x21, 0x3a }, 3, 3, 7, 2, false },	/* mod ignored */
	{ { 0x66, 0x0f, 0x21, 0xe6 }, 4, 4, 4, 6, false },	/* 66, dr4 */
};

typedef int (*movreg_decoder)(const u8 *bytes, unsigned int avail,
			      struct lg_movreg_insn *insn);

/* Each case decodes as listed, and cut short anywhere it is refused. */
static void check_movreg_cases(movreg_decoder decode,
			       const struct dr_case *cases, unsigned int count,
			       const u8 (*not_ours)[3], unsigned int not_count)
{
	struct lg_movreg_insn insn;
	unsigned int i, n;

	for (i = 0; i < count; i++) {
		const struct dr_case *c = &cases[i];

		if (!CHECK_EQ(decode(c->bytes, c->len, &insn), 0))
			continue;
		CHECK_EQ(insn.length, c->length);
		CHECK_EQ(insn.reg, c->dr);
		CHECK_EQ(insn.gpr, c->gpr);
		CHECK_EQ(insn.is_write, c->is_write);
		for (n = 0; n < c->len; n++)
			CHECK_EQ(decode(c->bytes, n, &insn), -EINVAL);
	}
	for (i = 0; i < not_count; i++)
		CHECK_EQ(decode(not_ours[i], 3, &insn), -EINVAL);
}

static void test_mov_dr(void)
{
	static const u8 not_dr[][3] = {
		{ 0x0f, 0x20, 0xc0 },		/* mov %cr0, %rax */
		{ 0x0f, 0x22, 0xd8 },		/* mov %rax, %cr3 */
		{ 0x0f, 0xa2, 0x90 },		/* cpuid */
	};
	const u8 lock[] = { 0xf0, 0x0f, 0x21, 0xc0 };
	struct lg_movreg_insn insn;

	check_movreg_cases(lg_decode_mov_dr, dr_cases, ARRAY_SIZE(dr_cases),
			   not_dr, ARRAY_SIZE(not_dr));
	CHECK_EQ(lg_decode_mov_dr(lock, sizeof(lock), &insn), -EINVAL);
	tap_case("%u mov %%drN encodings, each cut short; control register moves, other opcodes and LOCK refused",
		   (unsigned int)ARRAY_SIZE(dr_cases));
}

static const struct dr_case cr_cases[] = {
	{ { 0x0f, 0x22, 0xe0 }, 3, 3, 4, 0, true },	/* mov %rax, %cr4 */
	{ { 0x41, 0x0f, 0x22, 0xe1 }, 4, 4, 4, 9, true },	/* mov %r9, %cr4 */
	{ { 0x0f, 0x20, 0xe3 }, 3, 3, 4, 3, false },	/* mov %cr4, %rbx */
	{ { 0x44, 0x0f, 0x22, 0xe0 }, 4, 4, 12, 0, true },	/* REX.R: cr12 */
	{ { 0x0f, 0x22, 0x26 }, 3, 3, 4, 6, true },	/* mod ignored */
};

static void test_mov_cr(void)
{
	static const u8 not_cr[][3] = {
		{ 0x0f, 0x21, 0xc0 },		/* mov %dr0, %rax */
		{ 0x0f, 0x23, 0xe0 },		/* mov %rax, %dr4 */
		{ 0x0f, 0x01, 0xd1 },		/* xsetbv */
	};

	check_movreg_cases(lg_decode_mov_cr, cr_cases, ARRAY_SIZE(cr_cases),
			   not_cr, ARRAY_SIZE(not_cr));
	tap_case("%u mov %%crN encodings, each cut short; debug register moves and other opcodes refused",
		   (unsigned int)ARRAY_SIZE(cr_cases));
}

const struct tap_test decode_tests[] = {
	{ "decode: table of mov encodings", test_mov_table },
	{ "decode: truncated instructions refused", test_truncated },
	{ "decode: unsupported instructions refused", test_rejected },
	{ "decode: lengths of intercepted instructions", test_lengths },
	{ "decode: completed reads and register widths", test_complete_read },
	{ "decode: movzx/movsx extension", test_extend },
	{ "decode: values written, registers and immediates",
	  test_write_value },
	{ "decode: mov to and from debug registers", test_mov_dr },
	{ "decode: mov to and from control registers", test_mov_cr },
};
const unsigned int decode_test_count = ARRAY_SIZE(decode_tests);
