// SPDX-License-Identifier: GPL-2.0
/*
 * Translating a guest-virtual address the way the guest's own MMU would:
 * needed to fetch the instruction at the guest's RIP (decode.c) when the
 * hardware does not hand it to us.
 */

/*H:690 With nested paging the guest runs its own page tables and we never
 * look at them, except in one place: to read the instruction that caused
 * an MMIO exit we need the guest-physical address of its RIP.  So this is
 * the x86-64 four-level walk done by hand: CR3 points at the PML4; each
 * level's entry, picked by nine bits of the address, gives the next table
 * in bits 12-51, and may instead map a 1 GiB (PDPT) or 2 MiB (PD) page
 * directly when its PS bit is set.  Entries are read through read_phys(),
 * guest-physical accesses the caller checks against the guest's RAM: the
 * tables are guest memory, and a guest can point them anywhere.
 *
 * We only read.  The CPU would set accessed bits on the way; nothing in
 * the guest depends on that for a fetch it already made once.
 *
 * That is lg.ko running a guest with one CPU: entering it, its exits, its
 * memory, its PIC and PIT.  A guest with several CPUs needs more than the
 * PIC can give: next, the local APIC (H:700).
 */
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#endif

#include "lg_emul.h"

#define LG_CR0_PG		BIT_ULL(31)
#define LG_CR4_PAE		BIT_ULL(5)
#define LG_CR4_LA57		BIT_ULL(12)
#define LG_EFER_LMA		BIT_ULL(10)

#define LG_PTE_PRESENT		BIT_ULL(0)
#define LG_PTE_PS		BIT_ULL(7)
/* Physical address bits 12-51; NX (63) and the software bits are not. */
#define LG_PTE_ADDR		GENMASK_ULL(51, 12)

static int lg_walk_entry(lg_read_phys_t read_phys, void *ctx, u64 table,
			 u64 gva, unsigned int shift, u64 *entry)
{
	u64 gpa = (table & LG_PTE_ADDR) + ((gva >> shift) & 511) * 8;
	__le64 raw;

	if (read_phys(ctx, gpa, &raw, sizeof(raw)))
		return -EFAULT;
	*entry = le64_to_cpu(raw);
	return (*entry & LG_PTE_PRESENT) ? 0 : -EFAULT;
}

/*
 * Is gva canonical: bits 63-47 all equal?  Anything else faults (#GP)
 * before the page tables are ever looked at.
 */
static bool lg_walk_canonical(u64 gva)
{
	s64 top = (s64)gva >> 47;

	return top == 0 || top == -1;
}

int lg_walk(u64 cr0, u64 cr3, u64 cr4, u64 efer, u64 gva,
	    lg_read_phys_t read_phys, void *ctx, u64 *gpa)
{
	u64 entry = cr3;
	unsigned int shift;
	int err;

	/*
	 * Paging off means 32-bit (or real) mode: linear is physical, and
	 * only 32 bits of it exist.
	 */
	if (!(cr0 & LG_CR0_PG)) {
		*gpa = (u32)gva;
		return 0;
	}
	/* Legacy 32-bit and PAE paging, and 5-level paging: not our guests. */
	if (!(efer & LG_EFER_LMA) || !(cr4 & LG_CR4_PAE) ||
	    (cr4 & LG_CR4_LA57) || !lg_walk_canonical(gva))
		return -EFAULT;

	for (shift = 39; shift >= 12; shift -= 9) {
		err = lg_walk_entry(read_phys, ctx, entry, gva, shift, &entry);
		if (err)
			return err;
		if (shift == 12 || !(entry & LG_PTE_PS))
			continue;
		/* A PS bit in a PML4 entry is reserved: the CPU faults. */
		if (shift == 39)
			return -EFAULT;
		*gpa = (entry & LG_PTE_ADDR & ~(BIT_ULL(shift) - 1)) |
		       (gva & (BIT_ULL(shift) - 1));
		return 0;
	}
	*gpa = (entry & LG_PTE_ADDR) | (gva & 0xfff);
	return 0;
}
