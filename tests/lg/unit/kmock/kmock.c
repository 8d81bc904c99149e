// SPDX-License-Identifier: GPL-2.0
/* The checked kernel stand-ins of kmock.h. */
#include "kmock.h"

unsigned int kmock_violations, kmock_use_after_free, kmock_warnings;
unsigned int kmock_kicks_locked;
int kmock_spinlocks_held;
u64 kmock_now_ns;
struct task_struct *current;

static void (*hook_fn)(void *);
static void *hook_arg;
static enum kmock_site hook_site;

void kmock_interleave(enum kmock_site site, void (*fn)(void *), void *arg)
{
	hook_site = site;
	hook_arg = arg;
	hook_fn = fn;
}

void kmock_preempt(enum kmock_site site)
{
	void (*fn)(void *) = hook_fn;
	int held;

	if (!fn || site != hook_site)
		return;
	hook_fn = NULL;
	/* The other CPU holds none of this one's locks. */
	held = kmock_spinlocks_held;
	kmock_spinlocks_held = 0;
	fn(hook_arg);
	kmock_spinlocks_held = held;
}

void kmock_kick_check(void)
{
	if (kmock_spinlocks_held)
		kmock_kicks_locked++;
}

/* A lock is a point where another CPU may get in first. */
void kmock_lock(int *held)
{
	kmock_preempt(KMOCK_AT_LOCK);
	if (*held)
		kmock_violations++;
	*held = 1;
}

void kmock_unlock(int *held)
{
	if (!*held)
		kmock_violations++;
	*held = 0;
}

static unsigned int rcu_depth;
static struct task_struct *rcu_pending_free;

void rcu_read_lock(void)
{
	rcu_depth++;
}

void rcu_read_unlock(void)
{
	if (--rcu_depth == 0 && rcu_pending_free) {
		rcu_pending_free->freed = true;
		rcu_pending_free = NULL;
	}
}

void kmock_task_exit(struct task_struct *t)
{
	if (rcu_depth)
		rcu_pending_free = t;
	else
		t->freed = true;
}

void kick_process(struct task_struct *t)
{
	kmock_kick_check();
	if (t->freed)
		kmock_use_after_free++;
	else
		t->kicks++;
}

struct file *fget(int fd)
{
	(void)fd;
	return NULL;
}

void fput(struct file *f)
{
	(void)f;
}

__poll_t vfs_poll(struct file *f, poll_table *pt)
{
	(void)f;
	(void)pt;
	return 0;
}

struct eventfd_ctx *eventfd_ctx_fdget(int fd)
{
	(void)fd;
	return ERR_PTR(-EBADF);
}

struct eventfd_ctx *eventfd_ctx_fileget(struct file *f)
{
	(void)f;
	return ERR_PTR(-EBADF);
}

void eventfd_ctx_put(struct eventfd_ctx *ctx)
{
	(void)ctx;
}

void eventfd_ctx_do_read(struct eventfd_ctx *ctx, u64 *cnt)
{
	(void)ctx;
	*cnt = 0;
}

int eventfd_ctx_remove_wait_queue(struct eventfd_ctx *ctx,
				  wait_queue_entry_t *wait, u64 *cnt)
{
	(void)ctx;
	(void)wait;
	*cnt = 0;
	return 0;
}

void eventfd_signal(struct eventfd_ctx *ctx, u64 n)
{
	(void)ctx;
	(void)n;
}

void hrtimer_init(struct hrtimer *t, clockid_t clock, enum hrtimer_mode mode)
{
	(void)clock;
	(void)mode;
	t->expires = 0;
	t->queued = false;
	t->running = false;
	t->function = NULL;
}

/* Takes a queued timer out of its queue and puts it back in order. */
void hrtimer_start(struct hrtimer *t, ktime_t expires, enum hrtimer_mode mode)
{
	(void)mode;
	t->expires = expires;
	t->queued = true;
}

int hrtimer_try_to_cancel(struct hrtimer *t)
{
	if (t->running)
		return -1;
	if (!t->queued)
		return 0;
	t->queued = false;
	return 1;
}

int hrtimer_cancel(struct hrtimer *t)
{
	int was = t->queued;

	if (t->running)
		kmock_violations++;	/* would wait for it: not in our tests */
	t->queued = false;
	return was;
}

void hrtimer_set_expires(struct hrtimer *t, ktime_t expires)
{
	if (t->queued)
		kmock_violations++;
	t->expires = expires;
}

enum hrtimer_restart kmock_hrtimer_expire(struct hrtimer *t)
{
	enum hrtimer_restart r;

	if (!t->queued || t->running)
		kmock_violations++;
	t->queued = false;
	t->running = true;
	r = t->function(t);
	t->running = false;
	if (r == HRTIMER_RESTART && !t->queued)
		t->queued = true;
	return r;
}
