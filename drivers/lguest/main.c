// SPDX-License-Identifier: GPL-2.0
/*
 * lg.ko: /dev/lguest, the launcher's handle on a guest.  One open file is
 * one guest, with a further file for each CPU after the first; the
 * ioctls are described in
 * include/uapi/linux/lguest.h and Documentation/lguest.rst.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/lguest_misc.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

#include "lg.h"

static const struct file_operations lguest_vcpu_fops;

static struct lg_vcpu *lguest_new_vcpu(struct lguest *lg, unsigned int id)
{
	struct lg_vcpu *vcpu;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	vcpu->lg = lg;
	vcpu->id = id;
	mutex_init(&vcpu->run_lock);
	init_waitqueue_head(&vcpu->wq);
	/* A reset before it existed is not its news (H:045). */
	vcpu->resets_seen = READ_ONCE(lg->resets);
	if (lg_vcpu_create(vcpu)) {
		kfree(vcpu);
		return NULL;
	}
	lg_apic_vcpu_init(vcpu);
	return vcpu;
}

static void lguest_free_vcpu(struct lg_vcpu *vcpu)
{
	lg_apic_vcpu_release(vcpu);
	lg_vcpu_destroy(vcpu);
	kfree(vcpu);
}

/*H:030
 * Opening /dev/lguest makes a guest: a struct lguest with its first CPU
 * (a struct lg_vcpu and its VMCB), a PIC pair, a PIT, and no memory yet.
 * The launcher then calls LHREQ_INITIALIZE to give it RAM (H:200) and
 * LHREQ_SETREGS to set its CPU the way the kernel it loaded wants to be
 * entered.
 */
static int lguest_open(struct inode *inode, struct file *file)
{
	struct lguest *lg;

	/* Only a process can own a guest (H:035). */
	if (!current->mm)
		return -EINVAL;
	lg = kzalloc(sizeof(*lg), GFP_KERNEL_ACCOUNT);
	if (!lg)
		return -ENOMEM;
	refcount_set(&lg->users, 1);
	mutex_init(&lg->setup_lock);
	mutex_init(&lg->mem_lock);
	lg_events_init(lg);
	lg->id = lg_new_guest_id();
	lg->tsc_offset = -rdtsc();
	lg->vcpus[0] = lguest_new_vcpu(lg, 0);
	if (!lg->vcpus[0]) {
		kfree(lg);
		return -ENOMEM;
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
 * process with another mm fails with EIO, as KVM's do, on the guest's
 * file and on its vCPUs' files alike, and the file is only good for
 * keeping the guest alive (or closing it).
 */

/*H:036
 * More CPUs.  A guest starts with one; LHREQ_CREATE_VCPU adds CPU id and
 * returns a file for it, as KVM_CREATE_VCPU does, so that each CPU can
 * be run by a thread of its own: RUN, GETREGS, SETREGS and GETSTATS on
 * that file are that CPU's, each under the CPU's own run_lock, and the
 * guest's file keeps meaning CPU 0, so a one-CPU launcher never needs to
 * know.  A new CPU is a CPU just out of reset that may not run until
 * SETREGS has said where (H:045), or, in a guest with APICs, an AP that
 * waits for the start-up IPI which says where (H:830).
 *
 * Lifetime is a count: the guest's file holds one reference, every vCPU
 * file another, and the last one to go frees the guest and all its CPUs
 * (lguest_put()).  A CPU is never taken away from a live guest, so the
 * vcpus[] array only ever fills up, and may be read without a lock by
 * whoever must kick every CPU.  A slot is filled last, after everything
 * that can fail: the descriptor is reserved and the file made first, and
 * fd_install() publishes it once the vCPU is in place.
 */
static long lguest_create_vcpu(struct lguest *lg, unsigned long id)
{
	char name[24];
	struct lg_vcpu *vcpu;
	struct file *file;
	int fd, ret;

	if (id == 0 || id >= LGUEST_MAX_VCPUS)
		return -EINVAL;
	/* The launcher's number indexes an array: not even speculatively out. */
	id = array_index_nospec(id, LGUEST_MAX_VCPUS);
	mutex_lock(&lg->setup_lock);
	/* With APICs, only the CPUs the guest's CPUID and tables count. */
	ret = -EINVAL;
	if (lg->apics && id >= lg->nr_cpus)
		goto out_unlock;
	ret = -EEXIST;
	if (lg->vcpus[id])
		goto out_unlock;
	ret = -ENOMEM;
	vcpu = lguest_new_vcpu(lg, id);
	if (!vcpu)
		goto out_unlock;
	/*
	 * Until SETREGS (H:045); or, with APICs, until its start-up IPI
	 * (H:830), for which its APIC waits already.
	 */
	vcpu->needs_regs = !lg->apics;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_free;
	}
	/* As /proc/PID/fd shows it: "anon_inode:lguest-vcpu:1". */
	snprintf(name, sizeof(name), "lguest-vcpu:%lu", id);
	file = anon_inode_getfile(name, &lguest_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_put_fd;
	}
	refcount_inc(&lg->users);
	/* Pairs with the acquire in lg_kick_all(). */
	smp_store_release(&lg->vcpus[id], vcpu);
	fd_install(fd, file);
	mutex_unlock(&lg->setup_lock);
	return fd;

out_put_fd:
	put_unused_fd(fd);
out_free:
	lguest_free_vcpu(vcpu);
out_unlock:
	mutex_unlock(&lg->setup_lock);
	return ret;
}

/*H:040
 * A guest that misbehaves in a way we will not paper over is killed: we
 * remember why, and every RUN from then on returns LGUEST_EXIT_KILLED with
 * that sentence for the launcher to print.  The guest never runs again,
 * on any of its CPUs: the first kill's reason, which starts with the CPU
 * it happened on, is the guest's, and every CPU is kicked out of the
 * guest or out of its HLT sleep to hear it (H:305).  Two CPUs may kill
 * the guest at the same moment; the lock decides which reason stays, and
 * the reason is written before dead says it is there to read.
 */
void lg_kill(struct lg_vcpu *vcpu, const char *fmt, ...)
{
	struct lguest *lg = vcpu->lg;
	char reason[LGUEST_REASON_LEN];
	unsigned long flags;
	bool first = false;
	va_list args;
	int len;

	if (lg_dead(lg))
		return;
	len = scnprintf(reason, sizeof(reason), "cpu %u: ", vcpu->id);
	va_start(args, fmt);
	vsnprintf(reason + len, sizeof(reason) - len, fmt, args);
	va_end(args);
	spin_lock_irqsave(&lg->lock, flags);
	if (!lg->dead) {
		strscpy(lg->kill_reason, reason, sizeof(lg->kill_reason));
		/* The reason before the flag: pairs with lg_dead(). */
		smp_store_release(&lg->dead, true);
		first = true;
	}
	spin_unlock_irqrestore(&lg->lock, flags);
	if (first)
		lg_kick_all(lg);
}

/*H:045
 * A triple fault is the guest's reset (H:485), and a reset is the whole
 * machine's: the CPU that shut down returns LGUEST_EXIT_RESET with what
 * it saw, and every other CPU, kicked out of the guest or out of HLT,
 * returns it too, with that reason after "cpu N: ", so that each of the
 * launcher's threads hears of it.  lg->resets counts resets, and each
 * vCPU remembers how many it has heard of: one behind, it owes its
 * launcher thread a reset exit, at once if it is in RUN, at its next RUN
 * if not.  After that exit a CPU runs only after SETREGS, which also
 * counts as hearing of every reset so far: a launcher that rebooted the
 * guest and set up its CPUs again has no reset left to be told of.
 */
void lg_reset_guest(struct lg_vcpu *vcpu, const char *reason)
{
	struct lguest *lg = vcpu->lg;
	unsigned long flags;

	spin_lock_irqsave(&lg->lock, flags);
	snprintf(lg->reset_reason, sizeof(lg->reset_reason), "cpu %u: %s",
		 vcpu->id, reason);
	lg_apic_reset_locked(lg);
	WRITE_ONCE(lg->resets, lg->resets + 1);
	vcpu->resets_seen = lg->resets;
	spin_unlock_irqrestore(&lg->lock, flags);
	vcpu->needs_regs = true;
	lg_kick_all(lg);
}

/* The reset exit a vCPU owes its launcher thread, another CPU's reset. */
void lg_reset_exit(struct lg_vcpu *vcpu, struct lguest_run *run)
{
	struct lguest *lg = vcpu->lg;
	unsigned long flags;

	memset(run, 0, sizeof(*run));
	run->exit_reason = LGUEST_EXIT_RESET;
	spin_lock_irqsave(&lg->lock, flags);
	strscpy(run->reason, lg->reset_reason, sizeof(run->reason));
	vcpu->resets_seen = lg->resets;
	spin_unlock_irqrestore(&lg->lock, flags);
	vcpu->needs_regs = true;
}

static long lguest_initialize(struct lguest *lg, void __user *arg)
{
	struct lguest_init init;
	unsigned int i;
	int err;

	if (copy_from_user(&init, arg, sizeof(init)))
		return -EFAULT;
	if ((init.flags & ~LGUEST_INIT_APIC) ||
	    (init.flags & LGUEST_INIT_APIC ?
	     !init.cpus || init.cpus > LGUEST_MAX_VCPUS : init.cpus))
		return -EINVAL;
	mutex_lock(&lg->setup_lock);
	err = -EBUSY;
	if (lg->initialized)
		goto out;
	/* No CPU made already may be one the APICs do not count. */
	err = -EINVAL;
	for (i = init.cpus; (init.flags & LGUEST_INIT_APIC) &&
	     i < LGUEST_MAX_VCPUS; i++)
		if (lg->vcpus[i])
			goto out;
	err = lg_mem_init(lg, &init);
	if (err)
		goto out;
	if (init.flags & LGUEST_INIT_APIC)
		lg_apic_init_guest(lg, init.cpus);
	/* The memory is there before anyone may see that it is. */
	smp_store_release(&lg->initialized, true);
out:
	mutex_unlock(&lg->setup_lock);
	return err;
}

static long lguest_run_ioctl(struct lg_vcpu *vcpu, void __user *arg)
{
	struct lguest_run run;
	long ret;

	if (!lg_initialized(vcpu->lg))
		return -EINVAL;
	if (copy_from_user(&run, arg, sizeof(run)))
		return -EFAULT;
	ret = lg_run(vcpu, &run);
	if (ret)
		return ret;
	if (copy_to_user(arg, &run, sizeof(run)))
		return -EFAULT;
	return 0;
}

static long lguest_regs_ioctl(struct lg_vcpu *vcpu, unsigned int cmd,
			      void __user *arg)
{
	struct lguest_regs regs;

	if (cmd == LHREQ_GETREGS) {
		lg_get_regs(vcpu, &regs);
		return copy_to_user(arg, &regs, sizeof(regs)) ? -EFAULT : 0;
	}
	if (copy_from_user(&regs, arg, sizeof(regs)))
		return -EFAULT;
	return lg_set_regs(vcpu, &regs);
}

/* The ioctls that need the vCPU to be still: one at a time. */
static long lguest_vcpu_locked_ioctl(struct lg_vcpu *vcpu, unsigned int cmd,
				     void __user *arg)
{
	long ret;

	if (mutex_lock_interruptible(&vcpu->run_lock))
		return -EINTR;
	if (cmd == LHREQ_RUN)
		ret = lguest_run_ioctl(vcpu, arg);
	else
		ret = lguest_regs_ioctl(vcpu, cmd, arg);
	mutex_unlock(&vcpu->run_lock);
	return ret;
}

/*
 * The counters: one vCPU's, or with sum (the guest's file) every vCPU's
 * and the guest's own.  Other vCPUs may be counting meanwhile: each
 * counter is read once, whole (a u64 on x86-64), never locked.
 */
static long lguest_stats_ioctl(struct lguest *lg, struct lg_vcpu *vcpu,
			       void __user *arg)
{
	struct lguest_stats *st;
	struct lg_vcpu *v;
	unsigned int i, j;
	long ret;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	for (i = 0; i < LGUEST_MAX_VCPUS; i++) {
		/* Pairs with the release in lguest_create_vcpu(). */
		v = vcpu ? (i ? NULL : vcpu) : smp_load_acquire(&lg->vcpus[i]);
		for (j = 0; v && j < LGUEST_STAT_MAX; j++)
			st->count[j] += READ_ONCE(v->stats[j]);
	}
	for (j = 0; !vcpu && j < LGUEST_STAT_MAX; j++)
		st->count[j] += READ_ONCE(lg->stats[j]);
	ret = copy_to_user(arg, st, sizeof(*st)) ? -EFAULT : 0;
	kfree(st);
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
		return lguest_initialize(lg, arg);
	case LHREQ_RUN:
	case LHREQ_GETREGS:
	case LHREQ_SETREGS:
		return lguest_vcpu_locked_ioctl(lg->vcpus[0], cmd, arg);
	case LHREQ_CREATE_VCPU:
		return lguest_create_vcpu(lg, uarg);
	case LHREQ_IRQ:
		return lguest_irq_ioctl(lg, arg);
	case LHREQ_IOEVENTFD:
		if (!lg_initialized(lg))
			return -EINVAL;
		if (copy_from_user(&ioeventfd, arg, sizeof(ioeventfd)))
			return -EFAULT;
		return lg_ioeventfd(lg, &ioeventfd);
	case LHREQ_IRQFD:
		if (copy_from_user(&irqfd, arg, sizeof(irqfd)))
			return -EFAULT;
		return lg_irqfd(lg, &irqfd);
	case LHREQ_GETSTATS:
		return lguest_stats_ioctl(lg, NULL, arg);
	case LHREQ_GETINFO:
		return lguest_info_ioctl(arg);
	}
	return -ENOTTY;
}

static long lguest_vcpu_ioctl(struct file *file, unsigned int cmd,
			      unsigned long uarg)
{
	struct lg_vcpu *vcpu = file->private_data;
	void __user *arg = (void __user *)uarg;

	if (current->mm != vcpu->lg->mm)
		return -EIO;
	switch (cmd) {
	case LHREQ_RUN:
	case LHREQ_GETREGS:
	case LHREQ_SETREGS:
		return lguest_vcpu_locked_ioctl(vcpu, cmd, arg);
	case LHREQ_GETSTATS:
		return lguest_stats_ioctl(vcpu->lg, vcpu, arg);
	}
	return -ENOTTY;
}

/*H:070
 * Closing the last file of a guest (or the launcher dying, even by
 * SIGKILL in the middle of RUN: the ioctl returns before the last
 * reference goes) ends the guest: the eventfd bindings and the timer
 * first, so nothing can poke it any more, then its memory, then its CPUs.
 * Which file is last does not matter: a thread in RUN on a vCPU's file
 * holds that file, and so the guest, whoever closes the guest's file
 * meanwhile; that CPU runs on until it returns.
 */
static void lguest_put(struct lguest *lg)
{
	unsigned int i;

	if (!refcount_dec_and_test(&lg->users))
		return;
	lg_events_release(lg);
	/* Nothing routes an interrupt now: the APIC timers stop for good. */
	for (i = 0; i < LGUEST_MAX_VCPUS; i++)
		if (lg->vcpus[i])
			lg_apic_vcpu_release(lg->vcpus[i]);
	lg_mem_release(lg);
	for (i = 0; i < LGUEST_MAX_VCPUS; i++)
		if (lg->vcpus[i])
			lguest_free_vcpu(lg->vcpus[i]);
	mmdrop(lg->mm);
	kfree(lg);
}

static int lguest_release(struct inode *inode, struct file *file)
{
	lguest_put(file->private_data);
	return 0;
}

static int lguest_vcpu_release(struct inode *inode, struct file *file)
{
	struct lg_vcpu *vcpu = file->private_data;

	lguest_put(vcpu->lg);
	return 0;
}

static const struct file_operations lguest_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = lguest_vcpu_release,
	.unlocked_ioctl = lguest_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static const struct file_operations lguest_fops = {
	.owner = THIS_MODULE,
	.open = lguest_open,
	.release = lguest_release,
	.unlocked_ioctl = lguest_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice lguest_dev = {
	.minor = LGUEST_MINOR,
	.name = "lguest",
	.fops = &lguest_fops,
	.mode = 0600,
};

/*H:990
 * That is lg.ko.  A guest is an open file; its memory is the launcher's
 * pages behind nested page tables; each of its CPUs is a VMCB that VMRUN
 * enters, with what VMRUN does not switch switched by hand around it, and
 * a thread of the launcher's in RUN; and every exit is either finished
 * here (the interrupt controllers, the PIT, HLT, CPUID, MSRs, a bound
 * notify) or handed to the launcher as the return of LHREQ_RUN.
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
MODULE_ALIAS_MISCDEV(LGUEST_MINOR);
MODULE_ALIAS("devname:lguest");
