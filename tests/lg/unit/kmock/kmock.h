/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel for drivers/lguest/events.c to compile and
 * run in the host unit tests (test_events.c), with two things the kernel
 * does not give a test: timers and tasks whose rules are checked, and
 * "preemption points" where a test makes another CPU act in the middle of
 * a function (between a load and its use, before a lock is taken).
 *
 * hrtimer: the core's documented contract.  A queued timer's expiry may
 * only change through hrtimer_start() (hrtimer_set_expires() on it breaks
 * the queue's order: counted in kmock_violations); a callback returning
 * HRTIMER_RESTART is queued again only if nobody queued it meanwhile;
 * hrtimer_try_to_cancel() cannot stop a running callback.
 *
 * Tasks: a task_struct is freed when it exits, or, if an RCU reader is
 * inside rcu_read_lock() then, when the last reader leaves (a grace
 * period).  kick_process() on a freed task counts in kmock_use_after_free.
 */
#ifndef KMOCK_H
#define KMOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lg_emul_user.h"

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __aligned(n)	__attribute__((aligned(n)))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
/* The lowest set bit's number; word must not be 0, as in the kernel. */
#define __ffs(word)	((unsigned long)__builtin_ctzl(word))

extern unsigned int kmock_violations, kmock_use_after_free, kmock_warnings;
#define WARN_ON_ONCE(c) ({ bool __c = !!(c); if (__c) kmock_warnings++; __c; })

/* ---- preemption points --------------------------------------------------- */

enum kmock_site { KMOCK_AT_LOCK, KMOCK_AT_READ_ONCE };
/* Run fn once, the next time execution passes a point of this kind. */
void kmock_interleave(enum kmock_site site, void (*fn)(void *), void *arg);
void kmock_preempt(enum kmock_site site);

#define READ_ONCE(x) ({ __typeof__(x) __v = *(volatile __typeof__(x) *)&(x); \
			kmock_preempt(KMOCK_AT_READ_ONCE); __v; })
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
/* One thread runs at a time here: ordering is the interleaving's. */
#define smp_mb()			__sync_synchronize()
#define smp_load_acquire(p)		READ_ONCE(*(p))
#define smp_store_release(p, v)		WRITE_ONCE(*(p), (v))

typedef struct { int refs; } refcount_t;

/* ---- memory, errors ------------------------------------------------------ */

#define GFP_KERNEL_ACCOUNT	0
#define kzalloc(n, gfp)		calloc(1, (n))
#define kfree(p)		free(p)
#define ERR_PTR(e)		((void *)(long)(e))
#define PTR_ERR(p)		((long)(p))
#define IS_ERR(p)		((unsigned long)(p) >= (unsigned long)-4095)

typedef struct { int counter; } atomic_t;
#define atomic_set(a, v)	((a)->counter = (v))
#define atomic_read(a)		((a)->counter)
#define atomic_or(v, a)		((a)->counter |= (v))
#define atomic_andnot(v, a)	((a)->counter &= ~(v))

/* ---- lists --------------------------------------------------------------- */

struct list_head { struct list_head *next, *prev; };

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

#define list_entry(p, type, member)	container_of(p, type, member)
#define list_for_each_entry(pos, head, member) \
	for (pos = list_entry((head)->next, __typeof__(*pos), member); \
	     &pos->member != (head); \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, head, member) \
	for (pos = list_entry((head)->next, __typeof__(*pos), member), \
	     n = list_entry(pos->member.next, __typeof__(*pos), member); \
	     &pos->member != (head); \
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

/* ---- locks --------------------------------------------------------------- */

typedef struct { int held; } spinlock_t;
struct mutex { int held; };

void kmock_lock(int *held);
void kmock_unlock(int *held);
/*
 * A kick (wake_up(), kick_process()) while this thread holds a spinlock
 * counts in kmock_kicks_locked: lg->lock is never held across a kick
 * (H:800).  kmock_spinlocks_held is this thread's count; another CPU that
 * acts at a preemption point starts from none of ours.
 */
extern unsigned int kmock_kicks_locked;
extern int kmock_spinlocks_held;
void kmock_kick_check(void);
#define spin_lock_init(l)		((l)->held = 0)
#define spin_lock_irqsave(l, f) \
	((f) = 0, kmock_lock(&(l)->held), kmock_spinlocks_held++)
#define spin_unlock_irqrestore(l, f) \
	((void)(f), kmock_unlock(&(l)->held), kmock_spinlocks_held--)
#define lockdep_assert_held(l) \
	do { if (!(l)->held) kmock_violations++; } while (0)
#define mutex_init(m)		((m)->held = 0)
#define mutex_lock(m)		kmock_lock(&(m)->held)
#define mutex_unlock(m)		kmock_unlock(&(m)->held)

/* ---- RCU and tasks ------------------------------------------------------- */

struct task_struct {
	bool freed;
	unsigned int kicks;
};
struct mm_struct;

extern struct task_struct *current;
void rcu_read_lock(void);
void rcu_read_unlock(void);
void kick_process(struct task_struct *t);
/* The task leaves for good: freed now, or after the RCU readers. */
void kmock_task_exit(struct task_struct *t);

/* ---- wait queues, poll, files, eventfds (enough to compile) -------------- */

struct wait_queue_entry;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq, unsigned int mode,
				 int sync, void *key);
typedef struct wait_queue_entry {
	wait_queue_func_t func;
	struct list_head entry;
} wait_queue_entry_t;
typedef struct {
	spinlock_t lock;
	struct list_head head;
	unsigned int wakeups;
} wait_queue_head_t;

#define init_waitqueue_head(w) \
	do { spin_lock_init(&(w)->lock); INIT_LIST_HEAD(&(w)->head); \
	     (w)->wakeups = 0; } while (0)
#define init_waitqueue_func_entry(e, f) \
	do { (e)->func = (f); INIT_LIST_HEAD(&(e)->entry); } while (0)
#define add_wait_queue(w, e)	list_add_tail(&(e)->entry, &(w)->head)
#define wake_up(w)		(kmock_kick_check(), (w)->wakeups++)

typedef unsigned int __poll_t;
#define EPOLLIN		0x1
#define EPOLLHUP	0x10
#define key_to_poll(k)	((__poll_t)(uintptr_t)(k))

struct file;
typedef struct poll_table_struct {
	void (*qproc)(struct file *f, wait_queue_head_t *w,
		      struct poll_table_struct *pt);
} poll_table;
#define init_poll_funcptr(pt, f)	((pt)->qproc = (f))

struct file *fget(int fd);
void fput(struct file *f);
__poll_t vfs_poll(struct file *f, poll_table *pt);

struct eventfd_ctx;
struct eventfd_ctx *eventfd_ctx_fdget(int fd);
struct eventfd_ctx *eventfd_ctx_fileget(struct file *f);
void eventfd_ctx_put(struct eventfd_ctx *ctx);
void eventfd_ctx_do_read(struct eventfd_ctx *ctx, u64 *cnt);
int eventfd_ctx_remove_wait_queue(struct eventfd_ctx *ctx,
				  wait_queue_entry_t *wait, u64 *cnt);
void eventfd_signal(struct eventfd_ctx *ctx, u64 n);

/* ---- hrtimer ------------------------------------------------------------- */

typedef s64 ktime_t;
enum hrtimer_restart { HRTIMER_NORESTART, HRTIMER_RESTART };
enum hrtimer_mode { HRTIMER_MODE_ABS };

struct hrtimer {
	ktime_t expires;
	bool queued;
	bool running;
	enum hrtimer_restart (*function)(struct hrtimer *t);
};

extern u64 kmock_now_ns;
#define ns_to_ktime(ns)		((ktime_t)(ns))
#define ktime_get_ns()		kmock_now_ns
void hrtimer_init(struct hrtimer *t, clockid_t clock, enum hrtimer_mode mode);
void hrtimer_start(struct hrtimer *t, ktime_t expires, enum hrtimer_mode mode);
int hrtimer_try_to_cancel(struct hrtimer *t);
int hrtimer_cancel(struct hrtimer *t);
void hrtimer_set_expires(struct hrtimer *t, ktime_t expires);
/* The core: the queued timer t expires and its callback runs. */
enum hrtimer_restart kmock_hrtimer_expire(struct hrtimer *t);

#endif /* KMOCK_H */
