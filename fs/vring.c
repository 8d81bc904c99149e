// SPDX-License-Identifier: GPL-2.0
/*
 * vringfd: /dev/vring, a file descriptor over a virtio split ring that
 * lives in the memory of the process holding the fd.
 */

/*R:200 Why a file descriptor?  A ring in user memory is just bytes; what
 * the kernel adds is somebody on the other end.  The fd is the handle by
 * which the owner describes its ring (VRINGSETUP), wakes that somebody
 * (write), waits for it (poll), and hands the ring to it (tun_vring, or
 * the echo test module, take the fd and attach).  The consumer then walks
 * the ring in place with copy_from_user()/copy_to_user(): no page is
 * pinned, nothing is copied through the owner, and a ring that lies about
 * itself can only break itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/compat.h>
#include <linux/eventfd.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/kthread.h>
#include <linux/miscdevice.h>
#include <linux/lguest_misc.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vringfd.h>
#include <linux/wait.h>

struct vring {
	/* Serialises configuration, attach/detach and kicks. */
	struct mutex lock;
	struct vring_core core;
	bool configured;
	u64 last_used;			/* user address of *last_used, or 0 */
	struct mm_struct *mm;		/* the owner's address space */

	/* poll() waiters, woken by vring_signal() and when the ring breaks. */
	wait_queue_head_t waiters;

	/* The call eventfd: signalled with the poll waiters. */
	spinlock_t call_lock;
	struct eventfd_ctx *call;

	/* The kick eventfd: its wake-up queues a kick for the worker. */
	struct file *kick_file;
	wait_queue_head_t *kick_head;
	wait_queue_entry_t kick_wait;
	poll_table kick_table;

	/* The ring's own worker (R:235), from the first VRINGSETUP on. */
	struct task_struct *worker;
	kuid_t worker_uid;		/* the user it is counted against */
	unsigned long kick_pending;	/* bit 0: a kick for the worker */
	atomic64_t kicks;		/* write()s and eventfd kicks (R:265) */
	u64 runs;			/* consumer runs, under lock */
	bool stopping;			/* kicks cancelled until detach ends */

	/* The consumer, while one is attached. */
	const struct vring_consumer_ops *ops;
	void *priv;
	struct file *file;
};

static const struct file_operations vring_fops;

static struct vring *vring_from_core(struct vring_core *core)
{
	return container_of(core, struct vring, core);
}

/*R:210 The core's windows onto memory.  They are only ever called in
 * the owner's address space: its own system calls check that, and our
 * worker adopts the owner's mm before calling the consumer.
 */
int vring_core_read(struct vring_core *core, void *dst, u64 addr, size_t len)
{
	return copy_from_user(dst, u64_to_user_ptr(addr), len) ? -EFAULT : 0;
}

int vring_core_write(struct vring_core *core, u64 addr, const void *src,
		     size_t len)
{
	return copy_to_user(u64_to_user_ptr(addr), src, len) ? -EFAULT : 0;
}

/*
 * copy_*_user() may move bytes one at a time (rep movsb): a driver polling
 * used->idx while we step it from 0x12ff to 0x1300 could see 0x1200.  The
 * ring words therefore go through get_user()/put_user(), one access each.
 */
int vring_core_get16(struct vring_core *core, u64 addr, __le16 *val)
{
	return get_user(*val, (__le16 __user *)u64_to_user_ptr(addr));
}

int vring_core_put16(struct vring_core *core, u64 addr, __le16 val)
{
	return put_user(val, (__le16 __user *)u64_to_user_ptr(addr));
}

static void vring_signal_call(struct vring *vr)
{
	spin_lock(&vr->call_lock);
	if (vr->call) {
#ifdef VRING_EVENTFD_SIGNAL_NO_COUNT
		eventfd_signal(vr->call);
#else
		eventfd_signal(vr->call, 1);
#endif
	}
	spin_unlock(&vr->call_lock);
}

/*R:220 When the core finds the ring malformed it tells us once.  We say
 * why in the kernel log (rate-limited: a hostile owner must not be able to
 * flood it) and wake everybody waiting, who will now see EPOLLERR.
 */
void vring_core_report(struct vring_core *core)
{
	struct vring *vr = vring_from_core(core);

	pr_warn_ratelimited("ring broken: %s\n", core->broken);
	wake_up_interruptible_poll(&vr->waiters, EPOLLERR);
	vring_signal_call(vr);
}

/* Runs a kick: the caller is in the owner's mm and holds vr->lock. */
static void vring_run_consumer(struct vring *vr)
{
	lockdep_assert_held(&vr->lock);
	if (vr->ops && vr->configured && !vr->core.broken) {
		vr->ops->kick(vr, vr->priv);
		vring_core_count_run(&vr->core);
		/* Who sees the run counted sees its batch filed (R:265). */
		smp_wmb();
		WRITE_ONCE(vr->runs, vr->runs + 1);
	}
}

/*R:230 A kick that arrives through an eventfd (say, a guest's notify that
 * lg.ko turned into an eventfd signal) lands in atomic context on whatever
 * CPU signalled it.  We cannot touch user memory there, so the ring's
 * worker picks it up, borrows the owner's address space for the duration,
 * and runs the consumer as if the owner had called write().
 *
 * A kick that vring_stop_kicks() cancelled does nothing; the signal that
 * stopped an earlier run is cleared first (see R:235).
 */
static void vring_worker_kick(struct vring *vr)
{
	flush_signals(current);
	smp_mb(); /* clear the old signal, then look at the flag */
	if (READ_ONCE(vr->stopping))
		return;
	/* An owner that has exited has no memory left to work on. */
	if (!mmget_not_zero(vr->mm))
		return;
	kthread_use_mm(vr->mm);
	if (!mutex_lock_killable(&vr->lock)) {
		vring_run_consumer(vr);
		mutex_unlock(&vr->lock);
	}
	kthread_unuse_mm(vr->mm);
	mmput(vr->mm);
}

/*R:235 One worker per ring, not one pool for every ring on the host.
 * A consumer working the owner's memory may wait on it for as long as the
 * owner likes: a page behind a userfaultfd nobody answers, a FUSE file
 * that never replies.  On a shared workqueue enough such rings would hold
 * every worker, and every other user's rings would stop.  So each ring
 * gets a kernel thread of its own, created when its owner first sets it
 * up (VRINGSETUP), named after the owner's pid and moved into the owner's
 * cgroups, so the CPU time it spends is the owner's: a ring that never
 * answers stalls only itself.
 *
 * Such a wait must still end when the ring is let go, or closing the fd
 * (and so the owner's exit) would hang with it.  The worker accepts
 * SIGKILL from the kernel, and vring_stop_kicks() sends it: the fault
 * it waits in gives up, the copy fails, the consumer's run ends, and the
 * ring lock is free.  The flag goes up before the signal is sent, and the
 * worker clears old signals before it reads the flag, so a stop is never
 * lost and an old one never spoils a later kick.
 */
static int vring_worker(void *data)
{
	struct vring *vr = data;

	allow_kernel_signal(SIGKILL);
	for (;;) {
		/* TASK_IDLE: a pending signal must not make the sleep spin. */
		set_current_state(TASK_IDLE);
		if (kthread_should_stop())
			break;
		if (!test_and_clear_bit(0, &vr->kick_pending)) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		vring_worker_kick(vr);
		cond_resched();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/*R:236 A thread per ring must not become a way around the limits on
 * threads.  A kernel thread counts against no user's RLIMIT_NPROC, and
 * /dev/vring is open to everyone, so we keep our own count of ring
 * workers per user and hold it to the owner's RLIMIT_NPROC, as fork()
 * would (and with fork()'s exemptions).  Without it any user could fill
 * the host's pid space and kernel memory with idle worker threads.
 */
struct vring_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned long workers;
};

static DEFINE_MUTEX(vring_users_lock);
static DEFINE_HASHTABLE(vring_users, 6);

static struct vring_user *vring_find_user(kuid_t uid)
{
	struct vring_user *user;

	hash_for_each_possible(vring_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

static int vring_charge_user(kuid_t uid)
{
	struct vring_user *user;
	int err = 0;

	mutex_lock(&vring_users_lock);
	user = vring_find_user(uid);
	if (!user) {
		user = kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
		if (!user) {
			err = -ENOMEM;
			goto unlock;
		}
		user->uid = uid;
		hash_add(vring_users, &user->node, __kuid_val(uid));
	}
	if (user->workers >= rlimit(RLIMIT_NPROC) &&
	    !capable(CAP_SYS_RESOURCE) && !capable(CAP_SYS_ADMIN)) {
		err = -EAGAIN;
		if (!user->workers) {
			hash_del(&user->node);
			kfree(user);
		}
		goto unlock;
	}
	user->workers++;
unlock:
	mutex_unlock(&vring_users_lock);
	return err;
}

static void vring_uncharge_user(kuid_t uid)
{
	struct vring_user *user;

	mutex_lock(&vring_users_lock);
	user = vring_find_user(uid);
	if (!WARN_ON_ONCE(!user) && !--user->workers) {
		hash_del(&user->node);
		kfree(user);
	}
	mutex_unlock(&vring_users_lock);
}

static void vring_kick_worker(struct vring *vr)
{
	struct task_struct *worker = READ_ONCE(vr->worker);

	/* No worker before VRINGSETUP: then there is no consumer to run. */
	if (worker && !test_and_set_bit(0, &vr->kick_pending))
		wake_up_process(worker);
}

/* Called by the owner, in VRINGSETUP, with vr->lock held. */
static int vring_start_worker(struct vring *vr)
{
	struct task_struct *worker;
	int err;

	if (vr->worker)
		return 0;
	err = vring_charge_user(current_uid());
	if (err)
		return err;
	worker = kthread_create(vring_worker, vr, "vring-%d", current->tgid);
	if (IS_ERR(worker)) {
		err = PTR_ERR(worker);
		goto uncharge;
	}
	err = cgroup_attach_task_all(current, worker);
	if (err) {
		kthread_stop(worker);
		goto uncharge;
	}
	vr->worker_uid = current_uid();
	WRITE_ONCE(vr->worker, worker);
	wake_up_process(worker);
	return 0;

uncharge:
	vring_uncharge_user(current_uid());
	return err;
}

static int vring_kick_wake(wait_queue_entry_t *wait, unsigned int mode,
			   int sync, void *key)
{
	struct vring *vr = container_of(wait, struct vring, kick_wait);

	if (key_to_poll(key) & EPOLLIN) {
		atomic64_inc(&vr->kicks);
		vring_kick_worker(vr);
	}
	return 0;
}

static void vring_kick_queue_proc(struct file *file, wait_queue_head_t *head,
				  poll_table *table)
{
	struct vring *vr = container_of(table, struct vring, kick_table);

	vr->kick_head = head;
	add_wait_queue(head, &vr->kick_wait);
}

static void vring_clear_kickfd(struct vring *vr)
{
	if (!vr->kick_file)
		return;
	remove_wait_queue(vr->kick_head, &vr->kick_wait);
	fput(vr->kick_file);
	vr->kick_file = NULL;
	vr->kick_head = NULL;
}

static int vring_set_kickfd(struct vring *vr, int fd)
{
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;

	vring_clear_kickfd(vr);
	if (fd == -1)
		return 0;
	file = fget(fd);
	if (!file)
		return -EBADF;
	/* Only an eventfd will do: anything else is refused here. */
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return PTR_ERR(ctx);
	}
	eventfd_ctx_put(ctx);

	vr->kick_file = file;
	events = vfs_poll(file, &vr->kick_table);
	/* Signalled before we listened?  Then that was a kick too. */
	if (events & EPOLLIN) {
		atomic64_inc(&vr->kicks);
		vring_kick_worker(vr);
	}
	return 0;
}

static int vring_set_callfd(struct vring *vr, int fd)
{
	struct eventfd_ctx *ctx = NULL, *old;

	if (fd != -1) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	spin_lock(&vr->call_lock);
	old = vr->call;
	vr->call = ctx;
	spin_unlock(&vr->call_lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/*R:240 VRINGSETUP: the owner tells us where its ring is.  We check what can
 * be checked now (sizes, alignment, that the addresses are user addresses)
 * and keep a segment array big enough for the longest legal chain.  The
 * ring's contents are not checked here: they will change under us anyway,
 * so every field is checked when it is used.
 */
static int vring_setup(struct vring *vr, const struct vring_setup __user *arg)
{
	struct vring_core *core = &vr->core;
	struct vring_seg *segs, *old;
	struct vring_setup setup;
	int err;

	if (copy_from_user(&setup, arg, sizeof(setup)))
		return -EFAULT;
	if (setup.flags)
		return -EINVAL;
	err = vring_core_check_layout(setup.num, setup.features, setup.desc,
				      setup.avail, setup.used);
	if (err)
		return err;
	if (setup.last_used && !IS_ALIGNED(setup.last_used, 2))
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(setup.desc),
		       vring_core_desc_size(setup.num)) ||
	    !access_ok(u64_to_user_ptr(setup.avail),
		       vring_core_avail_size(setup.num)) ||
	    !access_ok(u64_to_user_ptr(setup.used),
		       vring_core_used_size(setup.num)) ||
	    (setup.last_used &&
	     !access_ok(u64_to_user_ptr(setup.last_used), sizeof(u16))))
		return -EFAULT;

	/* Memory we hold for the ring is charged to the owner's cgroup. */
	segs = kvmalloc_array(setup.num, sizeof(*segs), GFP_KERNEL_ACCOUNT);
	if (!segs)
		return -ENOMEM;

	/*
	 * Every lock the owner takes is killable: a worker stuck in the
	 * owner's memory holds it, and the owner must still be able to die.
	 */
	err = mutex_lock_killable(&vr->lock);
	if (err)
		goto free;
	if (vr->ops) {
		err = -EBUSY;
		goto unlock;
	}
	err = vring_start_worker(vr);
	if (err)
		goto unlock;
	old = core->segs;
	core->num = setup.num;
	core->features = setup.features;
	core->desc = setup.desc;
	core->avail = setup.avail;
	core->used = setup.used;
	err = vring_core_init(core, segs, setup.num);
	if (err) {
		core->segs = old;
		vr->configured = false;
		goto unlock;
	}
	vr->last_used = setup.last_used;
	vr->configured = true;
	/* The core's counters start again in vring_core_init(); ours too. */
	atomic64_set(&vr->kicks, 0);
	WRITE_ONCE(vr->runs, 0);
	mutex_unlock(&vr->lock);
	kvfree(old);
	return 0;

unlock:
	mutex_unlock(&vr->lock);
free:
	kvfree(segs);
	return err;
}

static int vring_set_window(struct vring *vr, unsigned int cmd, u64 value)
{
	int err = 0;

	if (mutex_lock_killable(&vr->lock))
		return -EINTR;
	if (vr->ops)
		err = -EBUSY;
	else if (cmd == VRINGSETBASE)
		vr->core.base = value;
	else
		vr->core.limit = value;
	mutex_unlock(&vr->lock);
	return err;
}

static int vring_get_status(struct vring *vr, struct vring_status __user *arg)
{
	struct vring_status status = { };
	const char *reason;

	if (mutex_lock_killable(&vr->lock))
		return -EINTR;
	status.num = vr->configured ? vr->core.num : 0;
	reason = vr->core.broken;
	status.broken = reason ? 1 : 0;
	status.last_avail = vr->core.last_avail;
	status.used_idx = vr->core.used_idx;
	status.attached = vr->ops ? 1 : 0;
	status.base = vr->core.base;
	status.limit = vr->core.limit;
	if (reason)
		strscpy(status.reason, reason, sizeof(status.reason));
	mutex_unlock(&vr->lock);

	return copy_to_user(arg, &status, sizeof(status)) ? -EFAULT : 0;
}

/*R:265 The counters (struct vring_stats) are for watching a ring at
 * work: kicks against runs says how many kicks found the worker already
 * on its way, the batch histogram how much each run got done, signals
 * against suppressed how often the owner asked to be left alone.  They
 * are read without the ring's lock, which a consumer waiting on the
 * owner's memory may hold for as long as the owner likes: each is one
 * word its single writer stores whole.
 */
static int vring_get_stats(struct vring *vr, struct vring_stats __user *arg)
{
	const struct vring_core_stats *core = &vr->core.stats;
	struct vring_stats stats = { };
	unsigned int b;

	BUILD_BUG_ON(VRINGFD_BATCH_BUCKETS != VRING_CORE_BATCH_BUCKETS);
	stats.kicks = atomic64_read(&vr->kicks);
	stats.runs = READ_ONCE(vr->runs);
	smp_rmb(); /* the run count, then what its runs did */
	stats.used = READ_ONCE(core->used);
	stats.signals = READ_ONCE(core->signals);
	stats.suppressed = READ_ONCE(core->suppressed);
	for (b = 0; b < VRINGFD_BATCH_BUCKETS; b++)
		stats.batches[b] = READ_ONCE(core->batches[b]);
	return copy_to_user(arg, &stats, sizeof(stats)) ? -EFAULT : 0;
}

static long vring_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg)
{
	struct vring *vr = file->private_data;
	int err;

	/* The ring's addresses only mean something in the owner's memory. */
	if (current->mm != vr->mm)
		return -EPERM;

	switch (cmd) {
	case VRINGSETUP:
		return vring_setup(vr, (void __user *)arg);
	case VRINGSETBASE:
	case VRINGSETLIMIT:
		return vring_set_window(vr, cmd, arg);
	case VRINGSETKICKFD:
		if (mutex_lock_killable(&vr->lock))
			return -EINTR;
		err = vring_set_kickfd(vr, (int)arg);
		mutex_unlock(&vr->lock);
		return err;
	case VRINGSETCALLFD:
		return vring_set_callfd(vr, (int)arg);
	case VRINGGETSTATUS:
		return vring_get_status(vr, (void __user *)arg);
	case VRINGGETSTATS:
		return vring_get_stats(vr, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

#ifdef CONFIG_COMPAT
/*
 * 32-bit callers: the structures are laid out the same (only __u64 fields
 * after the first two __u32s), so pointers just need widening, and the
 * by-value arguments pass through as they are.
 */
static long vring_compat_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	if (cmd == VRINGSETUP || cmd == VRINGGETSTATUS || cmd == VRINGGETSTATS)
		arg = (unsigned long)compat_ptr(arg);
	else if (cmd == VRINGSETKICKFD || cmd == VRINGSETCALLFD)
		arg = (unsigned long)(int)(u32)arg;
	return vring_ioctl(file, cmd, arg);
}
#endif

/*R:250 write() is the kick, as in the 2008 proposal: "I have added
 * buffers, go and look".  The consumer runs right here, in the owner's
 * context, so a single-threaded owner gets its buffers processed before
 * write() returns.  A broken ring refuses kicks with EIO.
 */
static ssize_t vring_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct vring *vr = file->private_data;
	ssize_t ret = count;

	if (current->mm != vr->mm)
		return -EPERM;
	if (mutex_lock_killable(&vr->lock))
		return -EINTR;
	if (!vr->configured) {
		ret = -EINVAL;
	} else if (vr->core.broken) {
		ret = -EIO;
	} else {
		atomic64_inc(&vr->kicks);
		vring_run_consumer(vr);
	}
	if (ret >= 0 && vr->core.broken)
		ret = -EIO;
	mutex_unlock(&vr->lock);
	return ret;
}

/*R:260 poll() answers "has the consumer used buffers I have not looked
 * at?" by comparing used->idx with the owner's *last_used, both read from
 * the owner's memory now.  That is the whole of the original semantics:
 * the kernel keeps no count of its own, so the owner can catch up by
 * simply advancing its index.
 */
static __poll_t vring_poll(struct file *file, poll_table *wait)
{
	struct vring *vr = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;
	u16 __user *used_idx;
	u16 __user *last_used;
	u16 used, seen;

	poll_wait(file, &vr->waiters, wait);
	if (!READ_ONCE(vr->configured))
		return mask;
	if (READ_ONCE(vr->core.broken))
		return mask | EPOLLERR;
	last_used = u64_to_user_ptr(READ_ONCE(vr->last_used));
	used_idx = u64_to_user_ptr(READ_ONCE(vr->core.used) + 2);
	if (!last_used || current->mm != vr->mm)
		return mask;
	if (get_user(used, used_idx) || get_user(seen, last_used))
		return mask | EPOLLERR;
	if (used != seen)
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static int vring_open(struct inode *inode, struct file *file)
{
	struct vring *vr;

	if (!current->mm)
		return -EPERM;
	vr = kzalloc(sizeof(*vr), GFP_KERNEL_ACCOUNT);
	if (!vr)
		return -ENOMEM;
	mutex_init(&vr->lock);
	init_waitqueue_head(&vr->waiters);
	spin_lock_init(&vr->call_lock);
	init_waitqueue_func_entry(&vr->kick_wait, vring_kick_wake);
	init_poll_funcptr(&vr->kick_table, vring_kick_queue_proc);
	vr->core.limit = TASK_SIZE_MAX;
	vr->mm = current->mm;
	mmgrab(vr->mm);
	file->private_data = vr;
	return 0;
}

/*
 * The last reference is gone: no consumer holds the file any more, so
 * nothing can start a kick except a late eventfd wake-up, which we stop
 * listening to before we stop the worker.
 */
static int vring_release(struct inode *inode, struct file *file)
{
	struct vring *vr = file->private_data;

	vring_clear_kickfd(vr);
	if (vr->worker) {
		vring_stop_kicks(vr);
		kthread_stop(vr->worker);
		vring_uncharge_user(vr->worker_uid);
	}
	vring_set_callfd(vr, -1);
	kvfree(vr->core.segs);
	mmdrop(vr->mm);
	kfree(vr);
	return 0;
}

static const struct file_operations vring_fops = {
	.owner		= THIS_MODULE,
	.open		= vring_open,
	.release	= vring_release,
	.write		= vring_write,
	.poll		= vring_poll,
	.unlocked_ioctl	= vring_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= vring_compat_ioctl,
#endif
	.llseek		= noop_llseek,
};

/*R:300 The consumer API.  A consumer (the echo test module, tun_vring)
 * gets a ring fd from its own user, attaches, and from then on is called
 * back on every kick.  Attaching takes a reference on the file, so the
 * ring outlives the owner closing its fd; detaching stops the worker's
 * kick in flight (R:235), waits for any other to finish, and drops that
 * reference.
 */
struct vring *vring_attach(struct file *file,
			   const struct vring_consumer_ops *ops, void *priv)
{
	struct vring *vr;
	int err = 0;

	if (!file || file->f_op != &vring_fops)
		return ERR_PTR(-EINVAL);
	vr = file->private_data;
	if (mutex_lock_killable(&vr->lock))
		return ERR_PTR(-EINTR);
	if (!vr->configured)
		err = -ENXIO;
	else if (vr->ops)
		err = -EBUSY;
	if (!err) {
		vr->ops = ops;
		vr->priv = priv;
		vr->file = get_file(file);
	}
	mutex_unlock(&vr->lock);
	return err ? ERR_PTR(err) : vr;
}
EXPORT_SYMBOL_GPL(vring_attach);

/*
 * Cancel the worker's kicks until vring_detach(): one running now is
 * interrupted wherever it waits on the owner's memory (that copy fails,
 * which may break the ring), and none starts.  For a consumer whose
 * ->kick() takes a lock of its own that its detach path needs too.
 */
void vring_stop_kicks(struct vring *vr)
{
	struct task_struct *worker = READ_ONCE(vr->worker);

	WRITE_ONCE(vr->stopping, true);
	smp_mb(); /* the flag, then the signal: pairs with vring_worker_kick() */
	if (worker)
		send_sig(SIGKILL, worker, 1);
}
EXPORT_SYMBOL_GPL(vring_stop_kicks);

/* Must not be called from the ring's own ->kick(). */
void vring_detach(struct vring *vr)
{
	struct file *file;

	vring_stop_kicks(vr);
	mutex_lock(&vr->lock);
	vr->ops = NULL;
	vr->priv = NULL;
	file = vr->file;
	vr->file = NULL;
	WRITE_ONCE(vr->stopping, false);
	mutex_unlock(&vr->lock);
	if (file)
		fput(file);
}
EXPORT_SYMBOL_GPL(vring_detach);

void vring_queue_kick(struct vring *vr)
{
	vring_kick_worker(vr);
}
EXPORT_SYMBOL_GPL(vring_queue_kick);

int vring_get_chain(struct vring *vr, struct vring_chain *chain)
{
	return vring_core_next_avail(&vr->core, chain);
}
EXPORT_SYMBOL_GPL(vring_get_chain);

void vring_unget_chains(struct vring *vr, unsigned int n)
{
	vring_core_discard(&vr->core, n);
}
EXPORT_SYMBOL_GPL(vring_unget_chains);

long vring_copy_from_chain(struct vring *vr, const struct vring_chain *chain,
			   size_t offset, void *dst, size_t len)
{
	return vring_core_copy_from_chain(&vr->core, chain, offset, dst, len);
}
EXPORT_SYMBOL_GPL(vring_copy_from_chain);

long vring_copy_to_chain(struct vring *vr, const struct vring_chain *chain,
			 size_t offset, const void *src, size_t len)
{
	return vring_core_copy_to_chain(&vr->core, chain, offset, src, len);
}
EXPORT_SYMBOL_GPL(vring_copy_to_chain);

int vring_add_used(struct vring *vr, u16 head, u32 len)
{
	return vring_core_push_used(&vr->core, head, len);
}
EXPORT_SYMBOL_GPL(vring_add_used);

bool vring_should_signal(struct vring *vr)
{
	return vring_core_need_signal(&vr->core);
}
EXPORT_SYMBOL_GPL(vring_should_signal);

/*R:310 Signalling the owner: wake whoever sleeps in poll() and, if the
 * owner gave us one, signal the call eventfd.  That eventfd is how the
 * signal leaves the owner's hands entirely: lg.ko can turn it straight
 * into a guest interrupt.
 */
void vring_signal(struct vring *vr)
{
	wake_up_interruptible_poll(&vr->waiters, EPOLLIN | EPOLLRDNORM);
	vring_signal_call(vr);
}
EXPORT_SYMBOL_GPL(vring_signal);

void vring_signal_if_needed(struct vring *vr)
{
	if (vring_should_signal(vr))
		vring_signal(vr);
}
EXPORT_SYMBOL_GPL(vring_signal_if_needed);

/* For a consumer that busy-polls the ring with kicks off (N:125). */
int vring_avail_pending(struct vring *vr)
{
	lockdep_assert_held(&vr->lock);
	return vring_core_avail_pending(&vr->core);
}
EXPORT_SYMBOL_GPL(vring_avail_pending);

/*
 * Is this ->kick() running in the ring's worker, rather than in the
 * owner's write()?  Only the worker may take its time (N:125).
 */
bool vring_in_worker(struct vring *vr)
{
	return current == READ_ONCE(vr->worker);
}
EXPORT_SYMBOL_GPL(vring_in_worker);

int vring_disable_kicks(struct vring *vr)
{
	return vring_core_disable_kicks(&vr->core);
}
EXPORT_SYMBOL_GPL(vring_disable_kicks);

int vring_enable_kicks(struct vring *vr)
{
	return vring_core_enable_kicks(&vr->core);
}
EXPORT_SYMBOL_GPL(vring_enable_kicks);

bool vring_is_broken(struct vring *vr)
{
	return READ_ONCE(vr->core.broken);
}
EXPORT_SYMBOL_GPL(vring_is_broken);

void vring_mark_broken(struct vring *vr, const char *why)
{
	vring_core_break(&vr->core, why);
}
EXPORT_SYMBOL_GPL(vring_mark_broken);

u32 vring_num(struct vring *vr)
{
	return vr->core.num;
}
EXPORT_SYMBOL_GPL(vring_num);

/*R:990 You now know the split ring, how it is walked when its every
 * word may be hostile, and how a ring in user memory gets a consumer in
 * the kernel: a vringfd that the owner sets up, kicks with write() or an
 * eventfd, and waits on with poll() or another eventfd.  Next, the
 * consumer that makes it worth doing: tun_vring, which moves a guest's
 * network frames between its rings and a tap, and the launcher's network
 * card, which sets it all up (N:010).
 */
static struct miscdevice vring_misc = {
	.minor	= VRING_MINOR,
	.name	= "vring",
	.fops	= &vring_fops,
	.mode	= 0666,
};

module_misc_device(vring_misc);

MODULE_DESCRIPTION("vringfd: file descriptors over virtio rings in user memory");
MODULE_AUTHOR("lguest developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS_MISCDEV(VRING_MINOR);
MODULE_ALIAS("devname:vring");
