// SPDX-License-Identifier: GPL-2.0
/*
 * lg.ko: /dev/lguest, the launcher's handle on a guest.  One open file is
 * one guest with one CPU; the ioctls are described in
 * include/uapi/linux/lguest.h and Documentation/lguest.rst.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

#include "lg.h"

/*H:030
 * Opening /dev/lguest makes a guest: a struct lguest with its VMCB, a PIC
 * pair, a PIT, and no memory yet.  The launcher then calls
 * LHREQ_INITIALIZE to give it RAM (H:200) and LHREQ_SETREGS to set its CPU
 * the way the kernel it loaded wants to be entered.
 */
static int lguest_open(struct inode *inode, struct file *file)
{
	struct lguest *lg;
	int err;

	/* Only a process can own a guest (H:035). */
	if (!current->mm)
		return -EINVAL;
	lg = kzalloc(sizeof(*lg), GFP_KERNEL_ACCOUNT);
	if (!lg)
		return -ENOMEM;
	mutex_init(&lg->run_lock);
	lg_events_init(lg);
	err = lg_vcpu_create(lg);
	if (err) {
		kfree(lg);
		return err;
	}
	lg->mm = current->mm;
	mmgrab(lg->mm);
	file->private_data = lg;
	return 0;
}

/*H:035
 * A guest belongs to the process that opened /dev/lguest.  Its RAM is that
 * process's memory (H:200): we pin pages and read guest memory through
 * the calling process's page tables, so the same file used from another
 * process (a child after fork(), or a descriptor passed over a Unix
 * socket) would run the guest on a mix of two address spaces, and let one
 * process pour the other's memory into the guest.  So every ioctl from a
 * process with another mm fails with EIO, as KVM's do, and the file is
 * only good for keeping the guest alive (or closing it).
 */

/*H:040
 * A guest that misbehaves in a way we will not paper over is killed: we
 * remember why, and every RUN from then on returns LGUEST_EXIT_KILLED with
 * that sentence for the launcher to print.  The guest never runs again.
 */
void lg_kill(struct lguest *lg, const char *fmt, ...)
{
	va_list args;

	if (lg->dead)
		return;
	va_start(args, fmt);
	vsnprintf(lg->kill_reason, sizeof(lg->kill_reason), fmt, args);
	va_end(args);
	lg->dead = true;
}

static long lguest_initialize(struct lguest *lg, void __user *arg)
{
	struct lguest_init init;
	int err;

	if (copy_from_user(&init, arg, sizeof(init)))
		return -EFAULT;
	if (lg->initialized)
		return -EBUSY;
	err = lg_mem_init(lg, &init);
	if (err)
		return err;
	lg->vmcb->control.nested_cr3 = __pa(lg->npt_root);
	lg->initialized = true;
	return 0;
}

static long lguest_run_ioctl(struct lguest *lg, void __user *arg)
{
	struct lguest_run run;
	long ret;

	if (!lg->initialized || lg->needs_regs)
		return -EINVAL;
	if (copy_from_user(&run, arg, sizeof(run)))
		return -EFAULT;
	lg->stats[LGUEST_STAT_RUNS]++;
	ret = lg_run(lg, &run);
	if (ret)
		return ret;
	if (copy_to_user(arg, &run, sizeof(run)))
		return -EFAULT;
	return 0;
}

static long lguest_regs_ioctl(struct lguest *lg, unsigned int cmd,
			      void __user *arg)
{
	struct lguest_regs regs;

	if (cmd == LHREQ_GETREGS) {
		lg_get_regs(lg, &regs);
		return copy_to_user(arg, &regs, sizeof(regs)) ? -EFAULT : 0;
	}
	if (copy_from_user(&regs, arg, sizeof(regs)))
		return -EFAULT;
	return lg_set_regs(lg, &regs);
}

/* The ioctls that need the vCPU to be still: one at a time. */
static long lguest_vcpu_ioctl(struct lguest *lg, unsigned int cmd,
			      void __user *arg)
{
	long ret;

	if (mutex_lock_interruptible(&lg->run_lock))
		return -EINTR;
	switch (cmd) {
	case LHREQ_INITIALIZE:
		ret = lguest_initialize(lg, arg);
		break;
	case LHREQ_RUN:
		ret = lguest_run_ioctl(lg, arg);
		break;
	default:
		ret = lguest_regs_ioctl(lg, cmd, arg);
		break;
	}
	mutex_unlock(&lg->run_lock);
	return ret;
}

/*H:060
 * These may come from any thread while another one sits in RUN: raising an
 * interrupt line, binding eventfds, reading the counters.  They touch only
 * what has its own lock.
 */
static long lguest_irq_ioctl(struct lguest *lg, void __user *arg)
{
	struct lguest_irq irq;

	if (copy_from_user(&irq, arg, sizeof(irq)))
		return -EFAULT;
	if (irq.line > 15 || irq.level > LGUEST_IRQ_PULSE)
		return -EINVAL;
	lg_set_irq(lg, irq.line, irq.level);
	return 0;
}

/*H:065
 * The launcher builds the guest's kernel command line, and one thing it
 * cannot find out for itself is how fast the guest's TSC ticks.  RDTSC is
 * not intercepted: the guest reads the host's TSC plus the VMCB's offset,
 * so its TSC runs at the host's frequency, which the host kernel measured
 * at its own boot: tsc_khz.
 * Without being told, the guest would measure it against the PIT, where
 * every PIT read is a VM exit; slow enough under nested emulation that
 * Linux gives up ("Unable to calibrate against PIT").
 */
static long lguest_info_ioctl(void __user *arg)
{
	struct lguest_info info = { .tsc_khz = tsc_khz };

	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long lguest_ioctl(struct file *file, unsigned int cmd,
			 unsigned long uarg)
{
	struct lguest *lg = file->private_data;
	void __user *arg = (void __user *)uarg;
	struct lguest_ioeventfd ioeventfd;
	struct lguest_irqfd irqfd;

	if (current->mm != lg->mm)
		return -EIO;
	switch (cmd) {
	case LHREQ_INITIALIZE:
	case LHREQ_RUN:
	case LHREQ_GETREGS:
	case LHREQ_SETREGS:
		return lguest_vcpu_ioctl(lg, cmd, arg);
	case LHREQ_IRQ:
		return lguest_irq_ioctl(lg, arg);
	case LHREQ_IOEVENTFD:
		if (!lg->initialized)
			return -EINVAL;
		if (copy_from_user(&ioeventfd, arg, sizeof(ioeventfd)))
			return -EFAULT;
		return lg_ioeventfd(lg, &ioeventfd);
	case LHREQ_IRQFD:
		if (copy_from_user(&irqfd, arg, sizeof(irqfd)))
			return -EFAULT;
		return lg_irqfd(lg, &irqfd);
	case LHREQ_GETSTATS:
		return copy_to_user(arg, lg->stats, sizeof(struct lguest_stats)) ?
			-EFAULT : 0;
	case LHREQ_GETINFO:
		return lguest_info_ioctl(arg);
	}
	return -ENOTTY;
}

/*H:070
 * Closing the file (or the launcher dying, even by SIGKILL in the middle of
 * RUN: the ioctl returns before the last reference goes) ends the guest:
 * the eventfd bindings and the timer first, so nothing can poke it any
 * more, then its memory, then its CPU.
 */
static int lguest_release(struct inode *inode, struct file *file)
{
	struct lguest *lg = file->private_data;

	lg_events_release(lg);
	lg_mem_release(lg);
	lg_vcpu_destroy(lg);
	mmdrop(lg->mm);
	kfree(lg);
	return 0;
}

static const struct file_operations lguest_fops = {
	.owner = THIS_MODULE,
	.open = lguest_open,
	.release = lguest_release,
	.unlocked_ioctl = lguest_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice lguest_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "lguest",
	.fops = &lguest_fops,
	.mode = 0600,
};

/*H:990
 * That is lg.ko.  A guest is an open file; its memory is the launcher's
 * pages behind nested page tables; its CPU is a VMCB that VMRUN enters,
 * with what VMRUN does not switch switched by hand around it; and every
 * exit is either finished here (the PIC, the PIT, HLT, CPUID, MSRs, a
 * bound notify) or handed to the launcher as the return of LHREQ_RUN.
 * You now know how the host runs a guest, and how it keeps the guest from
 * reaching the host.  Next, the devices behind the MMIO exits lg.ko
 * cannot finish: the launcher's virtio-mmio devices (L:500).
 */
static int __init lguest_init(void)
{
	int err;

	err = lg_svm_check_cpu();
	if (err)
		return err;
	err = lg_svm_init();
	if (err)
		return err;
	err = misc_register(&lguest_dev);
	if (err) {
		lg_svm_exit();
		return err;
	}
	return 0;
}

static void __exit lguest_exit(void)
{
	misc_deregister(&lguest_dev);
	lg_svm_exit();
}

module_init(lguest_init);
module_exit(lguest_exit);
MODULE_DESCRIPTION("lguest: run an x86-64 guest with AMD SVM and nested paging");
MODULE_LICENSE("GPL");
