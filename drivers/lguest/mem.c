// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory for lg.ko: the launcher's mapping of guest RAM, pinned page
 * by page as the guest touches it, behind nested page tables we build.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/io.h>

#include "lg.h"

/*H:200
 * Memory.  The launcher mmap()s the guest's RAM anywhere it likes and tells
 * us where with LHREQ_INITIALIZE: guest-physical address p is the launcher's
 * address mem_base + p.  The guest itself believes it owns physical memory
 * from 0 up, and it runs with its own page tables; with nested paging the
 * CPU translates each guest-physical address a second time through tables
 * we own (the "nested" page tables, whose root goes in the VMCB's N_CR3).
 *
 * We start with an empty nested PML4.  The first time the guest touches a
 * page, the CPU cannot translate it and leaves the guest with a nested page
 * fault; lg_map_guest_page() then finds the launcher's page behind that
 * address and maps it.  Anything above mem_size is not RAM at all: it is
 * MMIO, and svm.c hands it to the launcher.
 */

/* Nested page table entries: present, writable, and "user", which NPT wants. */
#define LG_NPT_PRESENT	BIT_ULL(0)
#define LG_NPT_FLAGS	(BIT_ULL(0) | BIT_ULL(1) | BIT_ULL(2))
#define LG_NPT_ADDR	GENMASK_ULL(51, 12)

bool lg_gpa_is_ram(struct lguest *lg, u64 gpa)
{
	return gpa < lg->mem_size;
}

/*H:210
 * The launcher's mapping must be page aligned, between LGUEST_MIN_MEM and
 * LGUEST_MAX_MEM, and be user memory we may write (access_ok only checks
 * that it is below the user/kernel split; the pages themselves are looked
 * up when the guest first touches them, and a hole is the guest's death).
 */
int lg_mem_init(struct lguest *lg, const struct lguest_init *init)
{
	unsigned long npages;

	if (init->flags || init->pad)
		return -EINVAL;
	if (!PAGE_ALIGNED(init->mem_base) || !PAGE_ALIGNED(init->mem_size))
		return -EINVAL;
	if (init->mem_size < LGUEST_MIN_MEM || init->mem_size > LGUEST_MAX_MEM)
		return -EINVAL;
	if (!access_ok((void __user *)(unsigned long)init->mem_base,
		       init->mem_size))
		return -EFAULT;

	npages = init->mem_size >> PAGE_SHIFT;
	lg->pinned = kvcalloc(npages, sizeof(*lg->pinned), GFP_KERNEL_ACCOUNT);
	if (!lg->pinned)
		return -ENOMEM;
	lg->npt_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!lg->npt_root) {
		kvfree(lg->pinned);
		lg->pinned = NULL;
		return -ENOMEM;
	}
	lg->nr_npt_pages = 1;
	lg->mem_base = init->mem_base;
	lg->mem_size = init->mem_size;
	return 0;
}

/* The next level down from a table entry, allocating it if missing. */
static u64 *lg_npt_next(struct lguest *lg, u64 *entry)
{
	u64 *table;

	if (*entry & LG_NPT_PRESENT)
		return phys_to_virt(*entry & LG_NPT_ADDR);
	table = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!table)
		return NULL;
	lg->nr_npt_pages++;
	*entry = virt_to_phys(table) | LG_NPT_FLAGS;
	return table;
}

/*H:220
 * Pinning.  The page behind mem_base + gpa belongs to the launcher, which
 * is the thread calling LHREQ_RUN, so current->mm is the right address
 * space and pin_user_pages_unlocked() faults it in (for writing: the guest
 * may write anything it can read) and keeps it from moving or being
 * swapped while the nested page table points at it.
 *
 * Like KVM, we pin on demand and do not charge the pages to RLIMIT_MEMLOCK:
 * a guest pins at most its own mem_size, which the launcher had to map
 * first, and only root can open /dev/lguest.  Everything is unpinned when
 * the file is released.
 */
int lg_map_guest_page(struct lguest *lg, u64 gpa)
{
	unsigned long pfn = gpa >> PAGE_SHIFT;
	u64 *table = lg->npt_root;
	struct page *page;
	int level, ret;

	if (lg->pinned[pfn])
		return -EEXIST;
	for (level = 3; level > 0; level--) {
		table = lg_npt_next(lg, &table[(gpa >> (12 + 9 * level)) & 511]);
		if (!table)
			return -ENOMEM;
	}
	ret = pin_user_pages_unlocked(lg->mem_base + (pfn << PAGE_SHIFT), 1,
				      &page, FOLL_WRITE);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	lg->pinned[pfn] = page;
	lg->nr_pinned++;
	table[pfn & 511] = ((u64)page_to_pfn(page) << PAGE_SHIFT) | LG_NPT_FLAGS;
	return 0;
}

/*H:230
 * The instruction decoder needs to read guest memory (the instruction bytes
 * of an MMIO access, and the guest's own page tables to find them).  We read
 * through the launcher's mapping, so a page the guest never touched costs
 * nothing more than a copy_from_user().
 */
int lg_read_phys(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	struct lguest *lg = ctx;

	if (gpa >= lg->mem_size || len > lg->mem_size - gpa)
		return -EFAULT;
	if (copy_from_user(buf, (void __user *)(lg->mem_base + gpa), len))
		return -EFAULT;
	return 0;
}

static void lg_npt_free(u64 *table, int level)
{
	int i;

	if (level > 0) {
		for (i = 0; i < 512; i++)
			if (table[i] & LG_NPT_PRESENT)
				lg_npt_free(phys_to_virt(table[i] & LG_NPT_ADDR),
					    level - 1);
	}
	free_page((unsigned long)table);
}

/*H:240 On release the tables go, and every pinned page is let go (dirty). */
void lg_mem_release(struct lguest *lg)
{
	unsigned long i, npages = lg->mem_size >> PAGE_SHIFT;

	if (lg->npt_root)
		lg_npt_free(lg->npt_root, 3);
	lg->npt_root = NULL;
	if (!lg->pinned)
		return;
	for (i = 0; i < npages; i++)
		if (lg->pinned[i])
			unpin_user_pages_dirty_lock(&lg->pinned[i], 1, true);
	kvfree(lg->pinned);
	lg->pinned = NULL;
	lg->nr_pinned = 0;
}
