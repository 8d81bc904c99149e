// SPDX-License-Identifier: GPL-2.0
/*
 * Things that happen to a guest from outside the RUN loop: interrupt lines
 * raised by the launcher, by eventfds (irqfd) and by the PIT's hrtimer,
 * guest MMIO writes turned into eventfd signals (ioeventfd), and the
 * virtio-mmio interrupt status registers irqfds keep for the guest.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/virtio_mmio.h>

#include "lg.h"

#ifdef LG_EVENTFD_SIGNAL_NO_COUNT
#define lg_eventfd_signal(ctx) eventfd_signal(ctx)
#else
#define lg_eventfd_signal(ctx) eventfd_signal(ctx, 1)
#endif

struct lg_ioeventfd {
	struct list_head list;
	u64 addr;
	u32 len;
	u32 flags;
	u64 datamatch;
	struct eventfd_ctx *ctx;
};

/* One virtio-mmio InterruptStatus latch, shared by the irqfds naming it. */
struct lg_isr {
	struct list_head list;
	u64 addr;			/* guest-physical InterruptStatus */
	unsigned int users;		/* irqfds bound to it */
	atomic_t status;		/* the bits the guest reads */
};

struct lg_irqfd {
	struct list_head list;
	struct lguest *lg;
	struct eventfd_ctx *ctx;
	unsigned int line;
	struct lg_isr *isr;		/* or NULL */
	wait_queue_entry_t wait;
	wait_queue_head_t *wqh;
	poll_table pt;
};

/*H:300
 * Interrupts.  A guest's interrupts come from the pair of 8259 PICs we
 * emulate (pic.c) and, in a guest with APICs, from the I/O APIC and the
 * local APICs too (H:800).  Anyone may raise a line: the launcher with
 * LHREQ_IRQ from any thread, an irqfd from whatever context signals its
 * eventfd, and our own PIT timer from hard interrupt context.  So the
 * controllers live under a spinlock taken with interrupts off, and after
 * changing a line we wake each vCPU it reached if it sleeps in HLT, and
 * kick it if it is running the guest on another CPU: kick_process()
 * sends that CPU an interrupt, which makes it leave the guest
 * (#VMEXIT(INTR)), and on its way back in svm.c sees the new request.
 * A line goes to the PIC input of its number and, with APICs, to the I/O
 * APIC pin of its number as well, as on a PC.  The PIC's output is wired
 * to the guest's first CPU, vCPU 0 (through its APIC's LINT0 when it has
 * one, H:810), and only that one is woken and kicked for it.
 */

/*H:305
 * Who is in RUN is the vCPU's task, set by that thread as it enters and
 * cleared as it leaves, and nothing here holds a reference to it.  The
 * kicker runs on another CPU, and between reading the pointer and
 * kick_process() the thread can leave RUN, return to the launcher and
 * exit; if it was the last user of its task_struct, that would be freed
 * under us.  A task is freed only an RCU grace period after it is reaped,
 * and the thread clears its vCPU's task before it can even begin to exit,
 * so reading the pointer and kicking inside one RCU read-side section is
 * enough: a task we saw there lives until we are done with it.  (Kicking a
 * task that has left RUN meanwhile costs it one needless interrupt,
 * nothing more.)
 */
/*
 * A kick for a reason the vCPU reads with interrupts off just before it
 * enters the guest (an interrupt under lg->lock; a kill or reset, H:040,
 * H:045): either the vCPU has not looked yet, and will see it, or it has,
 * and the kick's interrupt is held off until VMRUN, which then exits at
 * once.  For that the reason is stored, and then the task read, with a
 * full barrier between, as the vCPU stores its task and then reads the
 * reasons (lg_run()).
 */
void lg_vcpu_kick(struct lg_vcpu *vcpu)
{
	struct task_struct *task;

	wake_up(&vcpu->wq);
	rcu_read_lock();
	task = READ_ONCE(vcpu->task);
	if (task && task != current)
		kick_process(task);
	rcu_read_unlock();
}

/* Every CPU of the guest, out of the guest and out of HLT. */
void lg_kick_all(struct lguest *lg)
{
	struct lg_vcpu *vcpu;
	unsigned int i;

	/* The reason is stored before we look for tasks (H:305). */
	smp_mb();
	for (i = 0; i < LGUEST_MAX_VCPUS; i++) {
		/* Pairs with the release in lguest_create_vcpu(). */
		vcpu = smp_load_acquire(&lg->vcpus[i]);
		if (vcpu)
			lg_vcpu_kick(vcpu);
	}
}

/* Kick the vCPUs whose bits are set, with lg->lock dropped. */
void lg_kick_mask(struct lguest *lg, u32 kick)
{
	struct lg_vcpu *vcpu;
	unsigned int i;

	while (kick) {
		i = __ffs(kick);
		kick &= kick - 1;
		/* Pairs with the release in lguest_create_vcpu(). */
		vcpu = smp_load_acquire(&lg->vcpus[i]);
		if (vcpu)
			lg_vcpu_kick(vcpu);
	}
}

/* Under lock: move a line, and note in *kick who must look. */
void lg_line_locked(struct lguest *lg, unsigned int line, unsigned int level,
		    u32 *kick)
{
	lockdep_assert_held(&lg->lock);
	if (level == LGUEST_IRQ_PULSE) {
		lg_pic_set_line(&lg->pic, line, 1);
		lg_pic_set_line(&lg->pic, line, 0);
		lg_ioapic_line_locked(lg, line, 1, kick);
		lg_ioapic_line_locked(lg, line, 0, kick);
	} else {
		lg_pic_set_line(&lg->pic, line, level);
		lg_ioapic_line_locked(lg, line, level, kick);
	}
	/* The PIC's output is CPU 0's alone (H:036). */
	if (lg_pic_reaches(lg->vcpus[0]))
		*kick |= BIT(0);
}

void lg_set_irq(struct lguest *lg, unsigned int line, unsigned int level)
{
	unsigned long flags;
	u32 kick = 0;

	spin_lock_irqsave(&lg->lock, flags);
	lg_line_locked(lg, line, level, &kick);
	spin_unlock_irqrestore(&lg->lock, flags);
	lg_kick_mask(lg, kick);
}

/* Is a maskable interrupt waiting for this vCPU (PIC, or its APIC)? */
bool lg_interrupt_pending(struct lg_vcpu *vcpu)
{
	struct lguest *lg = vcpu->lg;
	unsigned long flags;
	bool pending;

	if (vcpu->id != 0 && !READ_ONCE(lg->apics))
		return false;
	spin_lock_irqsave(&lg->lock, flags);
	pending = (lg_pic_reaches(vcpu) && lg_pic_has_interrupt(&lg->pic)) ||
		  (lg->apics && lg_lapic_pending(&vcpu->apic) >= 0);
	spin_unlock_irqrestore(&lg->lock, flags);
	return pending;
}

/*H:310
 * The PIT.  pit.c only computes: given the time, how many ticks went by and
 * when the next one is due.  The hrtimer is what makes time pass: it fires
 * at irq_due_ns, pulses IRQ 0 for the ticks that happened (several missed
 * ticks become one edge, as they would on a real PIC) and sets itself for
 * the next one.  Time is CLOCK_MONOTONIC in nanoseconds throughout.
 */

/*H:315
 * Arming the timer happens in one place, lg_pit_update_timer(), always
 * under lg->lock, from the guest's PIT writes and from the timer itself.
 * The timer must not simply move its own expiry and return
 * HRTIMER_RESTART: between the hrtimer core calling us and our taking
 * lg->lock, the vCPU on another CPU may have reprogrammed the PIT and
 * started the timer again, and the expiry of a queued hrtimer may not be
 * changed behind the core's back (its place in the CPU's timer queue is
 * sorted by it).  hrtimer_start() on the other hand is made for this: it
 * takes a queued timer out before putting it back, and from inside the
 * callback it leaves the timer on its CPU.  So the callback calls it like
 * everyone else and returns HRTIMER_NORESTART; the core sees the timer
 * queued again and leaves it be.
 */
static enum hrtimer_restart lg_pit_timer_fn(struct hrtimer *timer)
{
	struct lguest *lg = container_of(timer, struct lguest, pit_timer);
	unsigned long flags;
	u32 kick = 0;

	spin_lock_irqsave(&lg->lock, flags);
	lg->stats[LGUEST_STAT_PIT_TIMER]++;
	if (lg_pit_ticks(&lg->pit, ktime_get_ns()))
		lg_line_locked(lg, 0, LGUEST_IRQ_PULSE, &kick);
	lg_pit_update_timer(lg);
	spin_unlock_irqrestore(&lg->lock, flags);
	lg_kick_mask(lg, kick);
	return HRTIMER_NORESTART;
}

/*
 * After the guest programs the PIT, or the timer fired: (re)arm or stop
 * the timer.  Under lg->lock.  If the PIT stops while the callback runs
 * on another CPU, the cancel cannot stop that run, which then finds
 * nothing due and arms nothing.
 */
void lg_pit_update_timer(struct lguest *lg)
{
	lockdep_assert_held(&lg->lock);
	if (lg->pit.irq_due_ns == U64_MAX)
		hrtimer_try_to_cancel(&lg->pit_timer);
	else
		hrtimer_start(&lg->pit_timer, ns_to_ktime(lg->pit.irq_due_ns),
			      HRTIMER_MODE_ABS);
}

void lg_events_init(struct lguest *lg)
{
	spin_lock_init(&lg->lock);
	mutex_init(&lg->events_lock);
	INIT_LIST_HEAD(&lg->ioeventfds);
	INIT_LIST_HEAD(&lg->irqfds);
	INIT_LIST_HEAD(&lg->isrs);
	lg_pic_reset(&lg->pic);
	lg_pit_reset(&lg->pit);
	hrtimer_init(&lg->pit_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	lg->pit_timer.function = lg_pit_timer_fn;
}

/*H:320
 * ioeventfd.  A virtio device's queue notify is a guest MMIO write of the
 * queue number to a known address.  If the launcher bound that address to
 * an eventfd, we signal the eventfd right here and let the guest go on: the
 * launcher never wakes, and if the eventfd is a vringfd kick, neither does
 * anything else in userspace.
 *
 * Every guest MMIO write walks this list, and every binding is kernel
 * memory and an eventfd reference, so a guest holds at most
 * LGUEST_MAX_IOEVENTFDS of them (and as many irqfds, H:330): a launcher
 * bug or a hostile user gets ENOSPC instead of a list without end.
 */
int lg_ioeventfd(struct lguest *lg, const struct lguest_ioeventfd *args)
{
	struct lg_ioeventfd *ev, *tmp;
	unsigned int count = 0;
	struct eventfd_ctx *ctx;
	int ret = -ENOENT;

	if (args->pad || (args->flags & ~(LGUEST_IOEVENTFD_DATAMATCH |
					  LGUEST_IOEVENTFD_DEASSIGN)))
		return -EINVAL;
	if (args->len != 1 && args->len != 2 && args->len != 4 && args->len != 8)
		return -EINVAL;
	if (lg_gpa_is_ram(lg, args->addr) || args->addr > U64_MAX - args->len)
		return -EINVAL;
	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&lg->events_lock);
	if (args->flags & LGUEST_IOEVENTFD_DEASSIGN) {
		list_for_each_entry_safe(ev, tmp, &lg->ioeventfds, list) {
			if (ev->ctx != ctx || ev->addr != args->addr ||
			    ev->len != args->len)
				continue;
			list_del(&ev->list);
			eventfd_ctx_put(ev->ctx);
			kfree(ev);
			ret = 0;
		}
		goto out;
	}
	list_for_each_entry(ev, &lg->ioeventfds, list) {
		if (ev->addr == args->addr && ev->len == args->len &&
		    (!(ev->flags & LGUEST_IOEVENTFD_DATAMATCH) ||
		     !(args->flags & LGUEST_IOEVENTFD_DATAMATCH) ||
		     ev->datamatch == args->datamatch)) {
			ret = -EEXIST;
			goto out;
		}
		count++;
	}
	if (count >= LGUEST_MAX_IOEVENTFDS) {
		ret = -ENOSPC;
		goto out;
	}
	ev = kzalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev) {
		ret = -ENOMEM;
		goto out;
	}
	ev->addr = args->addr;
	ev->len = args->len;
	ev->flags = args->flags;
	ev->datamatch = args->datamatch;
	ev->ctx = ctx;
	ctx = NULL;
	list_add_tail(&ev->list, &lg->ioeventfds);
	ret = 0;
out:
	mutex_unlock(&lg->events_lock);
	if (ctx)
		eventfd_ctx_put(ctx);
	return ret;
}

/* Called from the RUN loop for every guest MMIO write: true if consumed. */
bool lg_ioeventfd_signal(struct lguest *lg, u64 addr, u32 len, u64 value)
{
	struct lg_ioeventfd *ev;
	bool found = false;

	mutex_lock(&lg->events_lock);
	list_for_each_entry(ev, &lg->ioeventfds, list) {
		if (ev->addr != addr || ev->len != len)
			continue;
		if ((ev->flags & LGUEST_IOEVENTFD_DATAMATCH) &&
		    ev->datamatch != value)
			continue;
		lg_eventfd_signal(ev->ctx);
		found = true;
		break;
	}
	mutex_unlock(&lg->events_lock);
	return found;
}

/*H:330
 * irqfd is the other direction: each signal of the eventfd pulses a guest
 * interrupt line.  We put ourselves on the eventfd's wait queue, the way
 * poll() would, so our wakeup function runs inside eventfd_signal() itself,
 * with the eventfd's lock held and interrupts off: we empty the counter,
 * pulse the line under the PIC's spinlock and kick the vCPU.  Nothing
 * sleeps, nothing is deferred.  When the eventfd is closed we are told with
 * EPOLLHUP; we hold our own reference to its context, so we just stay
 * quiet until the binding is removed.
 */
static void lg_irqfd_fire(struct lg_irqfd *irqfd)
{
	/* The status is set before the line moves: lg_set_irq's lock orders it. */
	if (irqfd->isr)
		atomic_or(VIRTIO_MMIO_INT_VRING, &irqfd->isr->status);
	lg_set_irq(irqfd->lg, irqfd->line, LGUEST_IRQ_PULSE);
}

static int lg_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			   int sync, void *key)
{
	struct lg_irqfd *irqfd = container_of(wait, struct lg_irqfd, wait);
	__poll_t events = key_to_poll(key);
	u64 count;

	if (!(events & EPOLLIN))
		return 0;
	eventfd_ctx_do_read(irqfd->ctx, &count);
	irqfd->lg->stats[LGUEST_STAT_IRQFD]++;
	lg_irqfd_fire(irqfd);
	return 0;
}

static void lg_irqfd_queue(struct file *file, wait_queue_head_t *wqh,
			   poll_table *pt)
{
	struct lg_irqfd *irqfd = container_of(pt, struct lg_irqfd, pt);

	irqfd->wqh = wqh;
	add_wait_queue(wqh, &irqfd->wait);
}

/*H:335
 * Why lg.ko also answers a virtio-mmio device's interrupt status.  The
 * guest's virtio_mmio driver meets every interrupt by reading the device's
 * InterruptStatus register and writing what it read to InterruptACK.  With
 * a ring bound straight to a tap (vringfd + irqfd), those two MMIO accesses
 * would be the only thing left on the packet path that needs the launcher:
 * two exits to userspace and the system calls around them, per interrupt.
 * So an irqfd may name the device's InterruptStatus address.  Each signal
 * sets the "used buffer" bit in a latch kept here before it pulses the
 * line, and svm.c answers the guest's read of the latch and its ACK inside
 * the MMIO exit.  A device's rx and tx irqfds name the same register and
 * share one latch, counted by its users; it goes with the last of them.
 *
 * The bit is set by the eventfd wakeup (atomic context, the eventfd's lock
 * held) while the vCPU reads and clears it, so it is an atomic_t.  The
 * list of latches is under events_lock, which the wakeup never takes: it
 * reaches its latch through its own irqfd, and an irqfd is off the
 * eventfd's wait queue before its latch can go.
 */
#define LG_ISR_ACK_OFFSET \
	(VIRTIO_MMIO_INTERRUPT_ACK - VIRTIO_MMIO_INTERRUPT_STATUS)

static struct lg_isr *lg_isr_find(struct lguest *lg, u64 addr)
{
	struct lg_isr *isr;

	list_for_each_entry(isr, &lg->isrs, list) {
		if (isr->addr == addr)
			return isr;
	}
	return NULL;
}

/* Under events_lock: the latch for addr, shared if it exists. */
static struct lg_isr *lg_isr_get(struct lguest *lg, u64 addr)
{
	struct lg_isr *isr = lg_isr_find(lg, addr);

	if (isr) {
		isr->users++;
		return isr;
	}
	isr = kzalloc(sizeof(*isr), GFP_KERNEL_ACCOUNT);
	if (!isr)
		return NULL;
	isr->addr = addr;
	isr->users = 1;
	atomic_set(&isr->status, 0);
	list_add_tail(&isr->list, &lg->isrs);
	return isr;
}

static void lg_isr_put(struct lg_isr *isr)
{
	if (!isr || --isr->users)
		return;
	list_del(&isr->list);
	kfree(isr);
}

/* Called from the RUN loop for every guest MMIO read: true if answered. */
bool lg_isr_read(struct lguest *lg, u64 addr, u32 len, u32 *value)
{
	struct lg_isr *isr;

	if (len != 4)
		return false;
	mutex_lock(&lg->events_lock);
	isr = lg_isr_find(lg, addr);
	if (isr)
		*value = atomic_read(&isr->status);
	mutex_unlock(&lg->events_lock);
	return isr;
}

/* ... and for every write: an InterruptACK clears the bits it writes. */
bool lg_isr_ack(struct lguest *lg, u64 addr, u32 len, u64 value)
{
	struct lg_isr *isr;

	if (len != 4 || addr < LG_ISR_ACK_OFFSET)
		return false;
	mutex_lock(&lg->events_lock);
	isr = lg_isr_find(lg, addr - LG_ISR_ACK_OFFSET);
	if (isr)
		atomic_andnot((u32)value, &isr->status);
	mutex_unlock(&lg->events_lock);
	return isr;
}

/* Under events_lock, or when nothing else can touch the bindings. */
static void lg_irqfd_free(struct lg_irqfd *irqfd)
{
	u64 count;

	eventfd_ctx_remove_wait_queue(irqfd->ctx, &irqfd->wait, &count);
	lg_isr_put(irqfd->isr);
	eventfd_ctx_put(irqfd->ctx);
	kfree(irqfd);
}

static int lg_irqfd_deassign(struct lguest *lg, const struct lguest_irqfd *args)
{
	struct lg_irqfd *irqfd, *tmp;
	struct eventfd_ctx *ctx;
	int ret = -ENOENT;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&lg->events_lock);
	list_for_each_entry_safe(irqfd, tmp, &lg->irqfds, list) {
		if (irqfd->ctx != ctx || irqfd->line != args->line)
			continue;
		list_del(&irqfd->list);
		lg_irqfd_free(irqfd);
		ret = 0;
	}
	mutex_unlock(&lg->events_lock);
	eventfd_ctx_put(ctx);
	return ret;
}

/*
 * An InterruptStatus address must be one lg.ko sees exits for (outside
 * RAM, so the guest cannot have it mapped; hence only after INITIALIZE),
 * aligned as the register is, with its ACK at +4 still addressable.
 */
static int lg_irqfd_check(struct lguest *lg, const struct lguest_irqfd *args)
{
	u64 addr = args->isr_addr;

	if (args->pad || args->line > 15 ||
	    (args->flags & ~(LGUEST_IRQFD_DEASSIGN | LGUEST_IRQFD_VIRTIO_ISR)))
		return -EINVAL;
	if (args->flags & LGUEST_IRQFD_DEASSIGN)
		return 0;
	if (!(args->flags & LGUEST_IRQFD_VIRTIO_ISR))
		return addr ? -EINVAL : 0;
	if (!READ_ONCE(lg->initialized) || (addr & 3) ||
	    lg_gpa_is_ram(lg, addr) || addr > U64_MAX - 8)
		return -EINVAL;
	return 0;
}

/* Under events_lock: how many irqfds the guest has (H:320). */
static unsigned int lg_irqfd_count(struct lguest *lg)
{
	struct lg_irqfd *irqfd;
	unsigned int count = 0;

	list_for_each_entry(irqfd, &lg->irqfds, list)
		count++;
	return count;
}

int lg_irqfd(struct lguest *lg, const struct lguest_irqfd *args)
{
	struct lg_irqfd *irqfd;
	unsigned long flags;
	struct file *file;
	__poll_t events;
	u64 count;
	int ret;

	ret = lg_irqfd_check(lg, args);
	if (ret)
		return ret;
	if (args->flags & LGUEST_IRQFD_DEASSIGN)
		return lg_irqfd_deassign(lg, args);

	file = fget(args->fd);
	if (!file)
		return -EBADF;
	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd) {
		ret = -ENOMEM;
		goto out_fput;
	}
	irqfd->ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(irqfd->ctx)) {
		ret = PTR_ERR(irqfd->ctx);
		goto out_free;
	}
	irqfd->lg = lg;
	irqfd->line = args->line;
	init_waitqueue_func_entry(&irqfd->wait, lg_irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, lg_irqfd_queue);

	mutex_lock(&lg->events_lock);
	if (lg_irqfd_count(lg) >= LGUEST_MAX_IRQFDS) {
		mutex_unlock(&lg->events_lock);
		ret = -ENOSPC;
		goto out_put_ctx;
	}
	if (args->flags & LGUEST_IRQFD_VIRTIO_ISR) {
		irqfd->isr = lg_isr_get(lg, args->isr_addr);
		if (!irqfd->isr) {
			mutex_unlock(&lg->events_lock);
			ret = -ENOMEM;
			goto out_put_ctx;
		}
	}
	list_add_tail(&irqfd->list, &lg->irqfds);
	events = vfs_poll(file, &irqfd->pt);
	/*
	 * A signal that came before we were listening still counts.  We
	 * empty the counter under the eventfd's lock, as our wakeup would,
	 * and stay under events_lock so a deassign on another thread cannot
	 * free the binding under us.
	 */
	if (events & EPOLLIN) {
		spin_lock_irqsave(&irqfd->wqh->lock, flags);
		eventfd_ctx_do_read(irqfd->ctx, &count);
		spin_unlock_irqrestore(&irqfd->wqh->lock, flags);
		lg_irqfd_fire(irqfd);
	}
	mutex_unlock(&lg->events_lock);
	fput(file);
	return 0;

out_put_ctx:
	eventfd_ctx_put(irqfd->ctx);
out_free:
	kfree(irqfd);
out_fput:
	fput(file);
	return ret;
}

/*H:340
 * When the guest goes, so do its bindings (and with the irqfds, the
 * interrupt status latches they shared) and its timer.
 */
void lg_events_release(struct lguest *lg)
{
	struct lg_ioeventfd *ev, *ev_tmp;
	struct lg_irqfd *irqfd, *irqfd_tmp;

	list_for_each_entry_safe(irqfd, irqfd_tmp, &lg->irqfds, list) {
		list_del(&irqfd->list);
		lg_irqfd_free(irqfd);
	}
	WARN_ON_ONCE(!list_empty(&lg->isrs));
	hrtimer_cancel(&lg->pit_timer);
	list_for_each_entry_safe(ev, ev_tmp, &lg->ioeventfds, list) {
		list_del(&ev->list);
		eventfd_ctx_put(ev->ctx);
		kfree(ev);
	}
}
