/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lg.ko's private header: one struct lguest per open /dev/lguest, and the
 * functions the four files that use it offer each other.
 *
 *   main.c    the misc device, the ioctls, module load and unload
 *   svm.c     the VMCB, the world switch and the exits
 *   mem.c     guest memory: pinned launcher pages behind nested page tables
 *   events.c  ioeventfd and irqfd (with virtio-mmio interrupt status), the
 *             PIT's hrtimer, interrupt lines
 *
 * The rest know nothing of struct lguest, so the unit tests build them in
 * userspace: pic.c and pit.c (the PIC and the PIT), decode.c (the MMIO
 * instruction decoder) and walk.c (the guest page table walk), declared
 * in lg_emul.h; and switch.S, the world switch itself.
 */
#ifndef LG_H
#define LG_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <asm/svm.h>

#include "../../include/uapi/linux/lguest.h"
#include "lg_emul.h"

/* Guest general registers in the instruction encoding's order. */
#include "lg_regs.h"

/* What the launcher owes us before the guest can go on. */
enum lg_pending {
	LG_PENDING_NONE,
	LG_PENDING_IN,		/* an IN: run.io.data goes into rax */
	LG_PENDING_MMIO_READ,	/* an MMIO read: run.mmio.data into a reg */
};

/* The guest's x87/SSE registers, as FXSAVE lays them out. */
struct lg_fxsave {
	u8 bytes[512];
} __aligned(16);

/*H:032
 * struct lguest is everything lg.ko knows of one guest, and a map of the
 * chapter: the address space it belongs to (H:035); its memory, the
 * launcher's pages pinned behind our nested page tables (H:200); its CPU,
 * a VMCB (H:100) and what VMRUN keeps elsewhere (the other general
 * registers, the FPU, the debug registers); what an exit left for the
 * launcher to finish (pending, H:490); why it died, if it did (H:040);
 * its PIC and PIT (H:500, H:600); and its eventfd bindings (H:320).
 *
 * Three locks, each for a reason of its own.  run_lock is a mutex around
 * the vCPU: one thread at a time may run it or change its registers.
 * lock is a spinlock taken with interrupts off, because interrupt lines
 * are raised from the PIT's hrtimer and from eventfd wakeups as well as
 * from other threads (H:300).  events_lock is a mutex again, because
 * binding an eventfd may sleep.
 */
struct lguest {
	/* The process that opened us; no other may use the guest (H:035). */
	struct mm_struct *mm;

	/* Serialises RUN, SETREGS, GETREGS and INITIALIZE. */
	struct mutex run_lock;
	bool initialized;

	/* Guest RAM: launcher address of guest-physical 0, and its size. */
	unsigned long mem_base;
	u64 mem_size;
	unsigned long host_cr3;		/* the host's CR3 at the last VMRUN */
	struct page **pinned;		/* one slot per guest page, or NULL */
	unsigned long nr_pinned;
	u64 *npt_root;			/* the nested PML4 */
	unsigned long nr_npt_pages;

	/* The guest CPU. */
	u64 id;				/* never reused, for IBPB (H:415) */
	struct vmcb *vmcb;
	u64 regs[LG_NR_REGS];		/* rax and rsp live in the VMCB */
	struct lg_fxsave *fpu;
	struct task_struct *task;	/* who is in RUN, for kicks */
	bool halted;			/* in HLT, waiting for an interrupt */
	bool irq_handed_over;		/* V_IRQ carries an acked vector (H:400) */
	enum lg_pending pending;
	struct lg_mmio_insn pending_insn;
	u8 pending_io_size;
	u64 pending_next_rip;
	u64 misc_enable;
	u64 tsc_adjust;			/* IA32_TSC_ADJUST (H:442) */
	u64 db[4];			/* the guest's DR0-DR3 (H:495) */
	u64 dr7;			/* and its DR7; DR6 is in the VMCB */
	bool needs_regs;		/* after a triple fault, until SETREGS */
#ifdef CONFIG_PREEMPT_NOTIFIERS
	struct preempt_notifier leaving; /* flushes our ASID (H:424) */
#endif

	/* Set when the guest dies; RUN gives this back for ever after. */
	char kill_reason[LGUEST_REASON_LEN];
	bool dead;

	/*
	 * The interrupt controller and the timer.  lock is taken from the
	 * hrtimer, from irqfd wakeups (interrupts off) and from ioctls on
	 * other threads, so always with interrupts disabled.
	 */
	spinlock_t lock;
	struct lg_pic pic;
	struct lg_pit pit;
	struct hrtimer pit_timer;
	wait_queue_head_t wq;		/* HLT sleeps here */

	/* Event bindings (events.c), under events_lock. */
	struct mutex events_lock;
	struct list_head ioeventfds;
	struct list_head irqfds;
	struct list_head isrs;		/* virtio-mmio InterruptStatus latches */

	u64 stats[LGUEST_STAT_MAX];
};

/* main.c */
void lg_kill(struct lguest *lg, const char *fmt, ...) __printf(2, 3);

/* svm.c */
int lg_svm_check_cpu(void);
int lg_svm_init(void);
void lg_svm_exit(void);
int lg_vcpu_create(struct lguest *lg);
void lg_vcpu_destroy(struct lguest *lg);
void lg_get_regs(struct lguest *lg, struct lguest_regs *regs);
int lg_set_regs(struct lguest *lg, const struct lguest_regs *regs);
int lg_run(struct lguest *lg, struct lguest_run *run);

/* mem.c */
int lg_mem_init(struct lguest *lg, const struct lguest_init *init);
void lg_mem_release(struct lguest *lg);
bool lg_gpa_is_ram(struct lguest *lg, u64 gpa);
int lg_map_guest_page(struct lguest *lg, u64 gpa);
int lg_read_phys(void *ctx, u64 gpa, void *buf, unsigned int len);

/* events.c */
void lg_events_init(struct lguest *lg);
void lg_events_release(struct lguest *lg);
int lg_ioeventfd(struct lguest *lg, const struct lguest_ioeventfd *args);
int lg_irqfd(struct lguest *lg, const struct lguest_irqfd *args);
bool lg_ioeventfd_signal(struct lguest *lg, u64 addr, u32 len, u64 value);
bool lg_isr_read(struct lguest *lg, u64 addr, u32 len, u32 *value);
bool lg_isr_ack(struct lguest *lg, u64 addr, u32 len, u64 value);
void lg_set_irq(struct lguest *lg, unsigned int line, unsigned int level);
bool lg_interrupt_pending(struct lguest *lg);
void lg_pit_update_timer(struct lguest *lg);

#endif /* LG_H */
