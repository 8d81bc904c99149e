// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table walker over hand-built tables in a fake guest-physical
 * memory of 4 MiB; any read outside it fails, as the module's read of
 * something that is not guest RAM does.
 */
#include <stdlib.h>

#include "lg_emul.h"
#include "lgunit.h"

#define MEM_SIZE	(4u << 20)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define P		0x001ULL	/* present */
#define RW		0x002ULL
#define PS		0x080ULL
#define NX		(1ULL << 63)
/* Software-available and protection-key bits the walk must not take. */
#define HIGH_JUNK	(0x7fULL << 52)

#define PML4		0x1000
#define PDPT		0x2000
#define PD		0x3000
#define PT		0x4000

struct fake_mem {
	u8 *bytes;
	unsigned int reads;
};

static int fake_read(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	struct fake_mem *mem = ctx;

	mem->reads++;
	if (len != 8 || gpa >= MEM_SIZE || MEM_SIZE - gpa < len)
		return -EFAULT;
	memcpy(buf, mem->bytes + gpa, len);
	return 0;
}

static void set_entry(struct fake_mem *mem, u64 table, unsigned int index,
		      u64 entry)
{
	u64 le = htole64(entry);

	memcpy(mem->bytes + table + index * 8, &le, 8);
}

static unsigned int idx(u64 gva, unsigned int shift)
{
	return (gva >> shift) & 511;
}

/* gva 0xffffffff81234567: the kernel text mapping's neighbourhood. */
#define GVA	0xffffffff81234567ULL

static void build(struct fake_mem *mem)
{
	mem->bytes = calloc(1, MEM_SIZE);
	mem->reads = 0;
	set_entry(mem, PML4, idx(GVA, 39), PDPT | P | RW);
	set_entry(mem, PDPT, idx(GVA, 30), PD | P | RW);
	set_entry(mem, PD, idx(GVA, 21), PT | P | RW);
	set_entry(mem, PT, idx(GVA, 12), 0x200000 | P | NX | HIGH_JUNK);
}

static int walk(struct fake_mem *mem, u64 cr3, u64 gva, u64 *gpa)
{
	return lg_walk(CR0_PG | 1, cr3, CR4_PAE, EFER_LME | EFER_LMA, gva,
		       fake_read, mem, gpa);
}

static void test_paging_off(void)
{
	struct fake_mem mem = { NULL, 0 };
	u64 gpa = 0;

	CHECK_EQ(lg_walk(1, 0, 0, 0, 0x12345, fake_read, &mem, &gpa), 0);
	CHECK_EQ(gpa, 0x12345);
	/* Without paging there is no long mode: 32-bit addresses. */
	CHECK_EQ(lg_walk(0, PML4, CR4_PAE, EFER_LME, 0x100001234ULL,
			 fake_read, &mem, &gpa), 0);
	CHECK_EQ(gpa, 0x1234);
	CHECK_EQ(mem.reads, 0);
}

static void test_4k(void)
{
	struct fake_mem mem;
	u64 gpa = 0;

	build(&mem);
	CHECK_EQ(walk(&mem, PML4, GVA, &gpa), 0);
	CHECK_EQ(gpa, 0x200567);
	CHECK_EQ(mem.reads, 4);
	tap_case("CR3's PCID and flag bits are not address bits");
	CHECK_EQ(walk(&mem, PML4 | 0x018 | 1ULL << 63, GVA + 0x10, &gpa), 0);
	CHECK_EQ(gpa, 0x200577);
	free(mem.bytes);
}

static void test_2m(void)
{
	struct fake_mem mem;
	u64 gpa = 0, gva = GVA + (1ULL << 21);

	build(&mem);
	/* Bit 12 of a large-page entry is PAT, not an address bit. */
	set_entry(&mem, PD, idx(gva, 21), 0x600000 | P | PS | 0x1000 | NX);
	CHECK_EQ(walk(&mem, PML4, gva, &gpa), 0);
	CHECK_EQ(gpa, 0x600000 | (gva & 0x1fffff));
	CHECK_EQ(mem.reads, 3);
	free(mem.bytes);
}

static void test_1g(void)
{
	struct fake_mem mem;
	u64 gpa = 0, gva = 0xffff888000000000ULL + 0x12345678;

	build(&mem);
	set_entry(&mem, PML4, idx(gva, 39), PDPT | P);
	set_entry(&mem, PDPT, idx(gva, 30), 0x80000000ULL | P | PS | HIGH_JUNK);
	CHECK_EQ(walk(&mem, PML4, gva, &gpa), 0);
	CHECK_EQ(gpa, 0x80000000ULL + 0x12345678);
	CHECK_EQ(mem.reads, 2);
	tap_case("a PS bit in the PML4 is reserved");
	set_entry(&mem, PML4, idx(gva, 39), 0x80000000ULL | P | PS);
	CHECK_EQ(walk(&mem, PML4, gva, &gpa), -EFAULT);
	free(mem.bytes);
}

static void test_not_present(void)
{
	static const struct {
		u64 table;
		unsigned int shift;
	} levels[] = {
		{ PML4, 39 }, { PDPT, 30 }, { PD, 21 }, { PT, 12 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		struct fake_mem mem;
		u64 gpa = 0x5a5a, entry;

		build(&mem);
		tap_case("not present at level %u", 4 - i);
		memcpy(&entry, mem.bytes + levels[i].table +
		       idx(GVA, levels[i].shift) * 8, 8);
		set_entry(&mem, levels[i].table, idx(GVA, levels[i].shift),
			  le64toh(entry) & ~P);
		CHECK_EQ(walk(&mem, PML4, GVA, &gpa), -EFAULT);
		CHECK_EQ(mem.reads, i + 1);
		free(mem.bytes);
	}
}

static void test_refused(void)
{
	struct fake_mem mem;
	u64 gpa = 0;

	build(&mem);
	tap_case("a table outside guest memory");
	set_entry(&mem, PD, idx(GVA, 21), 0x7ffff000ULL | P);
	CHECK_EQ(walk(&mem, PML4, GVA, &gpa), -EFAULT);
	tap_case("CR3 outside guest memory");
	CHECK_EQ(walk(&mem, 0x40000000, GVA, &gpa), -EFAULT);
	tap_case("non-canonical address");
	CHECK_EQ(walk(&mem, PML4, 0x0000800000000000ULL, &gpa), -EFAULT);
	CHECK_EQ(walk(&mem, PML4, 0xfff0ffff81234567ULL, &gpa), -EFAULT);
	tap_case("5-level paging and legacy paging are not ours");
	CHECK_EQ(lg_walk(CR0_PG, PML4, CR4_PAE | CR4_LA57, EFER_LMA, GVA,
			 fake_read, &mem, &gpa), -EFAULT);
	CHECK_EQ(lg_walk(CR0_PG, PML4, CR4_PAE, 0, 0x1000, fake_read, &mem,
			 &gpa), -EFAULT);
	free(mem.bytes);
}

const struct tap_test walk_tests[] = {
	{ "walk: paging off is identity (32-bit)", test_paging_off },
	{ "walk: 4 KiB page through four levels", test_4k },
	{ "walk: 2 MiB page", test_2m },
	{ "walk: 1 GiB page", test_1g },
	{ "walk: not present at each level", test_not_present },
	{ "walk: refused tables and modes", test_refused },
};
const unsigned int walk_test_count = ARRAY_SIZE(walk_tests);
