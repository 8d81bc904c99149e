// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory for lg.ko: the launcher's mapping of guest RAM, pinned page
 * by page as the guest touches it, behind nested page tables we build.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
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
 *
 * All of it is charged here to the launcher's locked memory (H:225).
 */
int lg_mem_init(struct lguest *lg, const struct lguest_init *init)
{
	unsigned long npages;
	int err;

	if (!PAGE_ALIGNED(init->mem_base) || !PAGE_ALIGNED(init->mem_size))
		return -EINVAL;
	if (init->mem_size < LGUEST_MIN_MEM || init->mem_size > LGUEST_MAX_MEM)
		return -EINVAL;
	if (!access_ok((void __user *)(unsigned long)init->mem_base,
		       init->mem_size))
		return -EFAULT;

	npages = init->mem_size >> PAGE_SHIFT;
	err = account_locked_vm(lg->mm, npages, true);
	if (err)
		return err;
	err = -ENOMEM;
	lg->pinned = kvcalloc(npages, sizeof(*lg->pinned), GFP_KERNEL_ACCOUNT);
	if (!lg->pinned)
		goto out_unaccount;
	lg->npt_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!lg->npt_root)
		goto out_free;
	lg->nr_npt_pages = 1;
	lg->mem_base = init->mem_base;
	lg->mem_size = init->mem_size;
	return 0;

out_free:
	kvfree(lg->pinned);
	lg->pinned = NULL;
out_unaccount:
	account_locked_vm(lg->mm, npages, false);
	return err;
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
	/* Zeroed before other CPUs' walks can reach it (x86 keeps order). */
	WRITE_ONCE(*entry, virt_to_phys(table) | LG_NPT_FLAGS);
	return table;
}

/*H:220
 * Pinning.  The page behind mem_base + gpa belongs to the launcher, which
 * is the thread calling LHREQ_RUN, so current->mm is the right address
 * space and pin_user_pages_fast() faults it in (for writing: the guest
 * may write anything it can read) and keeps it from moving or being
 * swapped while the nested page table points at it.  Everything is
 * unpinned when the file is released.
 *
 * The pin is FOLL_LONGTERM: it lasts as long as the guest, not for the
 * length of an I/O, so the page must not sit where the kernel counts on
 * being able to move memory away (CMA, ZONE_MOVABLE: the pin migrates it
 * first), nor in a file mapping whose writeback would need to see the
 * guest's writes.  (pin_user_pages_unlocked() refuses FOLL_LONGTERM on
 * 6.1, hence the fast variant, which takes mmap_lock itself when it must.)
 */

/*H:225
 * Pinned pages are locked memory, so they count against the launcher's
 * RLIMIT_MEMLOCK, as vfio and io_uring count theirs: the guest decides
 * how much of its RAM it touches, so all of it is charged to the mm at
 * LHREQ_INITIALIZE (it shows in VmLck), which fails with ENOMEM if that
 * goes over the limit, and the charge is given back on release.  A
 * launcher with CAP_IPC_LOCK (root) is charged but never refused.
 *
 * Every CPU of the guest faults pages in, each from its own thread, and
 * two may fault on the same page, or on pages under the same table, at
 * the same moment.  So building the table and pinning is done under one
 * mutex, mem_lock (pinning may sleep), and the one that comes second
 * finds the page there (EEXIST, which svm.c then enters the guest again
 * for, H:475).  A CPU waiting for the mutex waits interruptibly: the one
 * holding it may be a while (pinning allocates, reclaims, or moves a page
 * out of ZONE_MOVABLE first), and a signal still ends the other CPUs' RUN
 * with EINTR, the fault coming again on the next RUN.  Other CPUs'
 * hardware walks read the table meanwhile, without any lock: an entry
 * is written whole, and only once its page is ready.  Nothing is ever
 * unmapped while the guest lives, so nothing needs flushing from other
 * CPUs' TLBs.
 */
static int lg_map_guest_page_locked(struct lguest *lg, u64 gpa)
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
	ret = pin_user_pages_fast(lg->mem_base + (pfn << PAGE_SHIFT), 1,
				  FOLL_WRITE | FOLL_LONGTERM, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	WRITE_ONCE(lg->pinned[pfn], page);
	lg->nr_pinned++;
	WRITE_ONCE(table[pfn & 511],
		   ((u64)page_to_pfn(page) << PAGE_SHIFT) | LG_NPT_FLAGS);
	return 0;
}

int lg_map_guest_page(struct lguest *lg, u64 gpa)
{
	int ret;

	if (mutex_lock_interruptible(&lg->mem_lock))
		return -EINTR;
	ret = lg_map_guest_page_locked(lg, gpa);
	mutex_unlock(&lg->mem_lock);
	return ret;
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

/*H:240
 * On release the tables go, every pinned page is let go (dirty), and the
 * locked-memory charge goes back to the mm, if it still has users: the
 * last close may come after the launcher's exit has torn its memory down
 * (files are closed after the address space), and a dead mm's count no
 * longer matters.
 */
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
	if (mmget_not_zero(lg->mm)) {
		account_locked_vm(lg->mm, npages, false);
		mmput(lg->mm);
	}
}
