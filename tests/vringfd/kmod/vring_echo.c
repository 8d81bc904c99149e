// SPDX-License-Identifier: GPL-2.0
/*
 * vring_echo: the smallest useful vringfd consumer.  It copies the bytes
 * of each available chain into a writable buffer (of the same chain, or of
 * the next chain on a second ring) and hands both back, so the ring code
 * can be tested and measured with no network in the way.  The ABI is in
 * vring_echo.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vringfd.h>

#include "vring_echo.h"

/* How many bytes move per copy; longer chains go in pieces. */
#define VRING_ECHO_CHUNK	(16 * 1024)

struct vring_echo {
	/* Serialises attach and detach; kicks never take it. */
	struct mutex setup;
	/* Serialises everything below, and every call into the rings. */
	struct mutex lock;
	struct vring *in;
	struct vring *out;		/* the same ring as in, in self mode */
	bool stopping;
	struct vring_echo_stats stats;
	u8 *bounce;
};

/*
 * Move one chain's readable bytes into the writable part of @to (which
 * may be the same chain).  Returns the bytes written, or -EIO.
 */
static long vring_echo_copy(struct vring_echo *echo,
			    const struct vring_chain *from,
			    const struct vring_chain *to)
{
	size_t total = from->readable_len;
	size_t room = to->writable_len;
	size_t done = 0;

	while (done < total && done < room) {
		size_t n = min3(total - done, room - done,
				(size_t)VRING_ECHO_CHUNK);
		long got;

		got = vring_copy_from_chain(echo->in, from, done,
					    echo->bounce, n);
		if (got != n)
			return -EIO;
		got = vring_copy_to_chain(echo->out, to, done,
					  echo->bounce, n);
		if (got != n)
			return -EIO;
		done += n;
	}
	echo->stats.truncated += total - done;
	echo->stats.bytes += done;
	echo->stats.chains++;
	return done;
}

/* Self mode: each chain answers itself. */
static bool vring_echo_one_self(struct vring_echo *echo)
{
	struct vring_chain chain;
	long len;

	if (vring_get_chain(echo->in, &chain) <= 0)
		return false;
	len = vring_echo_copy(echo, &chain, &chain);
	if (len < 0)
		return false;
	return vring_add_used(echo->in, chain.head, len) == 0;
}

/*
 * Pair mode: an "out" buffer is needed before an "in" chain can go.  We
 * take the out buffer first and give it back if there is nothing to echo,
 * so neither ring ever loses a buffer.
 */
static bool vring_echo_one_pair(struct vring_echo *echo)
{
	struct vring_chain in_chain, out_chain;
	long len;

	/* Each ring keeps its own segment array: both chains stay valid. */
	if (vring_get_chain(echo->out, &out_chain) <= 0)
		return false;
	if (vring_get_chain(echo->in, &in_chain) <= 0) {
		vring_unget_chains(echo->out, 1);
		return false;
	}
	len = vring_echo_copy(echo, &in_chain, &out_chain);
	if (len < 0)
		return false;
	if (vring_add_used(echo->in, in_chain.head, 0))
		return false;
	return vring_add_used(echo->out, out_chain.head, len) == 0;
}

/* Chains echoed per run before we hand over to the worker and return. */
#define VRING_ECHO_BUDGET	65536

static unsigned int vring_echo_drain(struct vring_echo *echo,
				     unsigned int budget)
{
	bool self = echo->in == echo->out;
	unsigned int done = 0;

	while (done < budget &&
	       (self ? vring_echo_one_self(echo) : vring_echo_one_pair(echo)))
		done++;
	return done;
}

/*
 * The echo loop in the shape every consumer has: turn kicks off while
 * draining, turn them back on, and look once more in case a buffer raced
 * in before the owner saw kicks were wanted again.
 *
 * In pair mode an echo needs a buffer on both rings, so both ask to be
 * kicked and we go round again only if both have work: chains waiting on
 * one ring alone are not work (the kick that brings their partner is).
 * An owner that keeps feeding us cannot keep us here forever: after a
 * budget we leave the rest to the worker and return.
 */
static void vring_echo_run(struct vring_echo *echo)
{
	unsigned int budget = VRING_ECHO_BUDGET, done;
	bool pair = echo->out != echo->in;
	int in_more, out_more;

	echo->stats.kicks++;
	for (;;) {
		if (vring_disable_kicks(echo->in) ||
		    (pair && vring_disable_kicks(echo->out)))
			return;
		done = vring_echo_drain(echo, budget);
		if (done) {
			vring_signal_if_needed(echo->in);
			if (pair)
				vring_signal_if_needed(echo->out);
		}
		budget -= done;
		in_more = vring_enable_kicks(echo->in);
		out_more = pair ? vring_enable_kicks(echo->out) : 1;
		if (in_more <= 0 || out_more <= 0)
			return;
		if (!budget) {
			vring_queue_kick(echo->in);
			return;
		}
		cond_resched();
	}
}

/*
 * Killable: a ring's worker stopped by vring_stop_kicks() must not stay
 * asleep here behind the other ring's kick.
 */
static void vring_echo_kick(struct vring *vr, void *priv)
{
	struct vring_echo *echo = priv;

	if (mutex_lock_killable(&echo->lock))
		return;
	if (!echo->stopping && echo->in)
		vring_echo_run(echo);
	mutex_unlock(&echo->lock);
}

static const struct vring_consumer_ops vring_echo_ops = {
	.kick = vring_echo_kick,
};

static struct vring *vring_echo_attach_fd(int fd, struct vring_echo *echo)
{
	struct vring *vr;
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	vr = vring_attach(file, &vring_echo_ops, echo);
	fput(file);
	return vr;
}

/*
 * Detaching waits for kicks in flight, and a kick takes echo->lock, so
 * never detach with the lock held: mark the echo stopping (kicks then do
 * nothing), drop the lock, detach.  A kick may hold echo->lock while it
 * waits on the owner's memory for ever (a page nobody will fault in), so
 * both rings' worker kicks are stopped before we take the lock.
 */
static void vring_echo_detach(struct vring_echo *echo)
{
	struct vring *in, *out;

	mutex_lock(&echo->setup);
	in = echo->in;
	out = echo->out;
	if (in)
		vring_stop_kicks(in);
	if (out && out != in)
		vring_stop_kicks(out);
	mutex_lock(&echo->lock);
	echo->stopping = true;
	mutex_unlock(&echo->lock);

	if (in)
		vring_detach(in);
	if (out && out != in)
		vring_detach(out);

	mutex_lock(&echo->lock);
	echo->in = NULL;
	echo->out = NULL;
	echo->stopping = false;
	mutex_unlock(&echo->lock);
	mutex_unlock(&echo->setup);
}

static int vring_echo_attach(struct vring_echo *echo,
			     const struct vring_echo_attach __user *uarg)
{
	struct vring_echo_attach arg;
	struct vring *in, *out;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (mutex_lock_killable(&echo->setup))
		return -EINTR;
	if (echo->in) {
		err = -EBUSY;
		goto unlock;
	}

	in = vring_echo_attach_fd(arg.in_fd, echo);
	if (IS_ERR(in)) {
		err = PTR_ERR(in);
		goto unlock;
	}
	if (arg.out_fd == -1 || arg.out_fd == arg.in_fd) {
		out = in;
	} else {
		out = vring_echo_attach_fd(arg.out_fd, echo);
		if (IS_ERR(out)) {
			vring_detach(in);
			err = PTR_ERR(out);
			goto unlock;
		}
	}

	/* No kick of ours runs before both are set: they see echo->in NULL. */
	mutex_lock(&echo->lock);
	echo->in = in;
	echo->out = out;
	mutex_unlock(&echo->lock);

	/* Buffers may already be waiting: run once, in the owner's mm. */
	vring_queue_kick(in);
unlock:
	mutex_unlock(&echo->setup);
	return err;
}

static long vring_echo_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct vring_echo *echo = file->private_data;
	struct vring_echo_stats stats;

	switch (cmd) {
	case VRING_ECHO_ATTACH:
		return vring_echo_attach(echo, (void __user *)arg);
	case VRING_ECHO_DETACH:
		vring_echo_detach(echo);
		return 0;
	case VRING_ECHO_GETSTATS:
		if (mutex_lock_killable(&echo->lock))
			return -EINTR;
		stats = echo->stats;
		mutex_unlock(&echo->lock);
		if (copy_to_user((void __user *)arg, &stats, sizeof(stats)))
			return -EFAULT;
		return 0;
	default:
		return -ENOTTY;
	}
}

static int vring_echo_open(struct inode *inode, struct file *file)
{
	struct vring_echo *echo;

	echo = kzalloc(sizeof(*echo), GFP_KERNEL_ACCOUNT);
	if (!echo)
		return -ENOMEM;
	echo->bounce = kmalloc(VRING_ECHO_CHUNK, GFP_KERNEL_ACCOUNT);
	if (!echo->bounce) {
		kfree(echo);
		return -ENOMEM;
	}
	mutex_init(&echo->setup);
	mutex_init(&echo->lock);
	file->private_data = echo;
	return 0;
}

static int vring_echo_release(struct inode *inode, struct file *file)
{
	struct vring_echo *echo = file->private_data;

	vring_echo_detach(echo);
	kfree(echo->bounce);
	kfree(echo);
	return 0;
}

static const struct file_operations vring_echo_fops = {
	.owner		= THIS_MODULE,
	.open		= vring_echo_open,
	.release	= vring_echo_release,
	.unlocked_ioctl	= vring_echo_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vring_echo_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vring_echo",
	.fops	= &vring_echo_fops,
	.mode	= 0666,
};

module_misc_device(vring_echo_misc);

MODULE_DESCRIPTION("vringfd test consumer: echoes ring buffers");
MODULE_AUTHOR("lguest developers");
MODULE_LICENSE("GPL");
