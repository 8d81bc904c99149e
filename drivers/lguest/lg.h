/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lg.ko's private header: one struct lguest per open /dev/lguest, with a
 * struct lg_vcpu for each of its CPUs, and the functions the four files
 * that use them offer each other.
 *
 *   main.c    the misc device, the ioctls, module load and unload
 *   svm.c     the VMCB, the world switch and the exits
 *   mem.c     guest memory: pinned launcher pages behind nested page tables
 *   events.c  ioeventfd and irqfd (with virtio-mmio interrupt status), the
 *             PIT's hrtimer, interrupt lines
 *   apic.c    the local APICs and the I/O APIC of SMP guests wired to the
 *             vCPUs: messages, their timers, NMIs, INIT and start-up
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
#include <linux/refcount.h>
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
 * launcher's pages pinned behind our nested page tables (H:200); its
 * CPUs, up to LGUEST_MAX_VCPUS of them (H:036); why it died, if it did
 * (H:040), and how often it was reset (H:045); its PIC and PIT (H:500,
 * H:600); and its eventfd bindings (H:320).
 *
 * Each CPU is a struct lg_vcpu: a VMCB (H:100) and what VMRUN keeps
 * elsewhere (the other general registers, the FPU, the debug registers),
 * what an exit left for the launcher to finish (pending, H:490), whether
 * it sleeps in HLT, and its own counters.  One launcher thread runs it,
 * while the guest's other CPUs run in other threads, on other host CPUs.
 *
 * The locks, each for a reason of its own.  A vCPU's run_lock is a mutex
 * around that vCPU: one thread at a time may run it or change its
 * registers.  setup_lock is a mutex around making a vCPU and INITIALIZE.
 * mem_lock is a mutex around the nested page table, which every vCPU's
 * faults fill (H:225).  events_lock is a mutex again, because binding an
 * eventfd may sleep.  lock is a spinlock taken with interrupts off,
 * because interrupt lines are raised from the PIT's hrtimer and from
 * eventfd wakeups as well as from other threads (H:300); it also keeps
 * the kill and reset reasons whole when two CPUs write them at once
 * (H:040, H:045).  They nest in one order only: run_lock, then mem_lock
 * or events_lock (never both), then lock; setup_lock holds none of them.
 */
struct lg_vcpu {
	struct lguest *lg;
	unsigned int id;		/* 0 .. LGUEST_MAX_VCPUS - 1 */

	/* Serialises RUN, SETREGS and GETREGS on this vCPU. */
	struct mutex run_lock;

	struct vmcb *vmcb;
	u64 regs[LG_NR_REGS];		/* rax and rsp live in the VMCB */
	struct lg_fxsave *fpu;
	unsigned long host_cr3;		/* the host's CR3 at the last VMRUN */
	struct task_struct *task;	/* who is in RUN, for kicks */
	wait_queue_head_t wq;		/* HLT sleeps here */
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
	bool needs_regs;		/* new, or reset: no RUN until SETREGS */
	unsigned long resets_seen;	/* lguest.resets when last told (H:045) */
	u64 npf_retry_gpa;		/* a fault another vCPU mapped (H:225) */

	/*
	 * With LGUEST_INIT_APIC (H:800): the local APIC and what its
	 * messages left for this vCPU, all under lg->lock; the APIC timer.
	 */
	struct lg_lapic apic;
	struct hrtimer apic_timer;
	bool nmi_pending;		/* an NMI waits to be injected */
	bool start_pending;		/* a SIPI came: start at start_vector */
	u8 start_vector;
	bool init_reset;		/* an INIT for the boot CPU (H:830) */
	/* This vCPU's own, read and written by its RUN only: */
	bool halt_irqs_off;		/* an AP's HLT with IF clear (H:450) */
	bool nmi_masked;		/* in the guest's NMI handler (H:840) */
	bool nmi_iret;			/* ... whose IRET is at nmi_iret_rip */
	u64 nmi_iret_rip;
	u8 v_tpr;			/* V_TPR as we last set it (H:810) */
#ifdef CONFIG_PREEMPT_NOTIFIERS
	struct preempt_notifier leaving; /* flushes our ASID (H:424) */
#endif
	u64 stats[LGUEST_STAT_MAX];
};

struct lguest {
	/* The process that opened us; no other may use the guest (H:035). */
	struct mm_struct *mm;
	/* The guest's file and every vCPU file hold one (H:036). */
	refcount_t users;

	/* Serialises CREATE_VCPU and INITIALIZE. */
	struct mutex setup_lock;
	bool initialized;		/* read with lg_initialized() */

	/* Guest RAM: launcher address of guest-physical 0, and its size. */
	unsigned long mem_base;
	u64 mem_size;
	struct mutex mem_lock;		/* the nested page table (H:225) */
	struct page **pinned;		/* one slot per guest page, or NULL */
	unsigned long nr_pinned;
	u64 *npt_root;			/* the nested PML4 */
	unsigned long nr_npt_pages;

	/* The guest's CPUs; vcpus[0] from open() on, the rest on demand. */
	struct lg_vcpu *vcpus[LGUEST_MAX_VCPUS];
	u64 id;				/* never reused, for IBPB (H:415) */
	u64 tsc_offset;			/* every vCPU's TSC starts here */

	/*
	 * Set when the guest dies, under lock; RUN on every vCPU gives this
	 * back for ever after.  dead is read with lg_dead().
	 */
	char kill_reason[LGUEST_REASON_LEN];
	bool dead;
	/* Triple faults so far, and what the last one said (H:045). */
	unsigned long resets;
	char reset_reason[LGUEST_REASON_LEN];

	/*
	 * The interrupt controller and the timer.  lock is taken from the
	 * hrtimer, from irqfd wakeups (interrupts off) and from ioctls on
	 * other threads, so always with interrupts disabled.
	 */
	spinlock_t lock;
	struct lg_pic pic;
	struct lg_pit pit;
	struct hrtimer pit_timer;
	/* LGUEST_INIT_APIC: local APICs and this I/O APIC (H:800). */
	bool apics;
	unsigned int nr_cpus;		/* what CPUID tells the guest */
	struct lg_ioapic ioapic;

	/* Event bindings (events.c), under events_lock. */
	struct mutex events_lock;
	struct list_head ioeventfds;
	struct list_head irqfds;
	struct list_head isrs;		/* virtio-mmio InterruptStatus latches */

	/* The counters no vCPU owns: the PIT timer's and the irqfds'. */
	u64 stats[LGUEST_STAT_MAX];
};

static inline bool lg_dead(struct lguest *lg)
{
	/* Has the guest been killed?  Pairs with the release in lg_kill(). */
	return smp_load_acquire(&lg->dead);
}

static inline bool lg_initialized(struct lguest *lg)
{
	/* Has INITIALIZE given it memory?  Pairs with the release there. */
	return smp_load_acquire(&lg->initialized);
}

/* Did another vCPU reset the guest since this one last heard (H:045)? */
static inline bool lg_reset_pending(struct lg_vcpu *vcpu)
{
	return READ_ONCE(vcpu->lg->resets) != vcpu->resets_seen;
}

/* main.c */
void lg_kill(struct lg_vcpu *vcpu, const char *fmt, ...) __printf(2, 3);
void lg_reset_guest(struct lg_vcpu *vcpu, const char *reason);
void lg_reset_exit(struct lg_vcpu *vcpu, struct lguest_run *run);

/* svm.c */
int lg_svm_check_cpu(void);
int lg_svm_init(void);
void lg_svm_exit(void);
int lg_vcpu_create(struct lg_vcpu *vcpu);
void lg_vcpu_destroy(struct lg_vcpu *vcpu);
u64 lg_new_guest_id(void);
void lg_get_regs(struct lg_vcpu *vcpu, struct lguest_regs *regs);
int lg_set_regs(struct lg_vcpu *vcpu, const struct lguest_regs *regs);
int lg_run(struct lg_vcpu *vcpu, struct lguest_run *run);
u64 lg_guest_tsc(struct lg_vcpu *vcpu);
unsigned int lg_tsc_khz(void);

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
bool lg_interrupt_pending(struct lg_vcpu *vcpu);
void lg_vcpu_kick(struct lg_vcpu *vcpu);
void lg_kick_all(struct lguest *lg);
void lg_pit_update_timer(struct lguest *lg);
void lg_line_locked(struct lguest *lg, unsigned int line, unsigned int level,
		    u32 *kick);
void lg_kick_mask(struct lguest *lg, u32 kick);

/* apic.c */
void lg_apic_init_guest(struct lguest *lg, u32 cpus);
void lg_apic_vcpu_init(struct lg_vcpu *vcpu);
void lg_apic_vcpu_release(struct lg_vcpu *vcpu);
void lg_apic_vcpu_reset(struct lg_vcpu *vcpu);
void lg_apic_reset_locked(struct lguest *lg);
void lg_apic_vcpu_started(struct lg_vcpu *vcpu);
void lg_ioapic_line_locked(struct lguest *lg, unsigned int line, int level,
			   u32 *kick);
bool lg_apic_mmio(struct lg_vcpu *vcpu, u64 gpa, unsigned int size,
		  bool is_write, u64 *val);
int lg_apic_msr(struct lg_vcpu *vcpu, u32 msr, bool is_write, u64 *val);
bool lg_pic_reaches(struct lg_vcpu *vcpu);
bool lg_vcpu_event_pending(struct lg_vcpu *vcpu);
bool lg_waits_for_sipi(struct lg_vcpu *vcpu);

#endif /* LG_H */
