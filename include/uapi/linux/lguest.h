/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*H:005
 * /dev/lguest: the interface between lg.ko, which runs an x86-64 guest with
 * AMD SVM and nested paging, and the launcher, which loads the guest and
 * provides its devices.  One open file is one guest, with one CPU to
 * begin with and up to LGUEST_MAX_VCPUS of them (LHREQ_CREATE_VCPU gives
 * a file for each further CPU).  This header is the whole contract; the
 * rest of the chapter is what lg.ko does behind it.
 *
 * The launcher maps the guest's RAM in its own address space and tells
 * lg.ko where (LHREQ_INITIALIZE); guest-physical address p is launcher
 * address mem_base + p for p < mem_size, and anything above is MMIO that
 * comes back to the launcher.  It sets the boot registers (LHREQ_SETREGS)
 * and calls LHREQ_RUN in a loop: RUN returns whenever the launcher is
 * needed (port I/O or MMIO it must emulate, the guest halted for good or
 * reset, the guest was killed), or -EINTR when a signal arrived.
 *
 * lg.ko emulates the two 8259 PICs (ports 0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1)
 * and the 8254 PIT (0x40-0x43, 0x61) itself, so timer ticks never wake the
 * launcher, and two kinds of binding keep it out of a device's way too: a
 * guest write that signals an eventfd (LHREQ_IOEVENTFD, H:320) and an
 * eventfd that raises an interrupt (LHREQ_IRQFD, H:330).
 * Documentation/lguest.rst describes the ABI in full.
 */
#ifndef _UAPI_LINUX_LGUEST_H
#define _UAPI_LINUX_LGUEST_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* 0xBD is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define LGUEST_IOCTL_MAGIC	0xBD

/* Guest RAM limits lg.ko accepts. */
#define LGUEST_MIN_MEM		(4ULL << 20)
#define LGUEST_MAX_MEM		(3ULL << 30)	/* RAM ends below the MMIO hole */

/*
 * CPUs per guest.  CPU 0 exists from open(); LHREQ_CREATE_VCPU, on the
 * guest's file, makes CPU @id (its argument, by value: 1 to
 * LGUEST_MAX_VCPUS - 1) and returns a new file descriptor for it
 * (close-on-exec).  EEXIST if that CPU exists, EINVAL if @id is out of
 * range.  On a vCPU's file LHREQ_RUN, LHREQ_GETREGS, LHREQ_SETREGS and
 * LHREQ_GETSTATS act on that CPU, and nothing else is accepted (ENOTTY);
 * on the guest's file they act on CPU 0, except LHREQ_GETSTATS, which
 * there counts for the whole guest (every CPU's counters added up, and
 * those of the timers and irqfds, which belong to no CPU).  Each CPU
 * runs in the thread that calls LHREQ_RUN on it, at the same time as the
 * others.  Every file, guest or vCPU, keeps the guest alive: it goes
 * with the last of them to be closed, in whatever order.
 *
 * How a new CPU starts depends on the guest's interrupt controllers.
 * Without LGUEST_INIT_APIC the guest has the PIC pair alone, wired to
 * CPU 0; interrupt lines (LHREQ_IRQ, irqfds, the PIT) reach CPU 0 only,
 * and a new CPU needs LHREQ_SETREGS before its first RUN (EINVAL before).
 * With LGUEST_INIT_APIC every CPU has a local APIC (xAPIC registers at
 * 0xfee00000, APIC ID = CPU id) and the guest an I/O APIC at 0xfec00000
 * (ID @cpus, 24 pins; interrupt line n is pin n as well as PIC input n,
 * the PIC reaching CPU 0 through LINT0 in virtual-wire mode).  A CPU
 * other than 0 then starts as an AP does on hardware: its RUN sleeps
 * until the guest's INIT and start-up IPIs, and the CPU begins in real
 * mode at the start-up page (CS = vector << 8, IP = 0); LHREQ_SETREGS
 * may still start it directly.  Such a guest has exactly @cpus CPUs:
 * LHREQ_CREATE_VCPU of a higher id is EINVAL, and so is INITIALIZE
 * after one was made.  A reset (LGUEST_EXIT_RESET) resets every APIC
 * and the I/O APIC at once.  An AP that halts with interrupts off
 * sleeps until an INIT or an NMI, as one taken offline does; only CPU 0
 * comes back with LGUEST_EXIT_HALT.  An INIT IPI to CPU 0 resets the
 * guest (LGUEST_EXIT_RESET): there is no firmware at the reset vector.
 *
 * The guest lives and dies as one: a kill on any CPU ends RUN on all of
 * them with LGUEST_EXIT_KILLED and a reason that starts "cpu N: ", and a
 * triple fault on any CPU ends RUN on every CPU with LGUEST_EXIT_RESET
 * (on the others, with the faulting CPU's reason after "cpu N: "); each
 * then needs LHREQ_SETREGS before it runs again.
 */
#define LGUEST_MAX_VCPUS	8

/**
 * struct lguest_init - the guest's memory, for LHREQ_INITIALIZE
 * @mem_base: launcher address of guest-physical 0 (page aligned)
 * @mem_size: bytes of RAM (page multiple, LGUEST_MIN_MEM..LGUEST_MAX_MEM)
 * @flags:    LGUEST_INIT_*
 * @cpus:     with LGUEST_INIT_APIC, how many CPUs the guest will have
 *            (1..LGUEST_MAX_VCPUS): CPUID reports that many, and the
 *            I/O APIC's ID is @cpus; otherwise 0
 */
struct lguest_init {
	__u64 mem_base;
	__u64 mem_size;
	__u32 flags;
	__u32 cpus;
};

/* Local APICs and an I/O APIC (above); a launcher of SMP guests sets it. */
#define LGUEST_INIT_APIC	(1U << 0)

/**
 * struct lguest_segment - a segment register as SVM holds it
 * @base:     linear base
 * @limit:    limit in bytes - 1 (granularity already applied)
 * @selector: the visible selector
 * @attrib:   SVM's packed attributes: type(4) S DPL(2) P AVL L DB G
 * @pad:      0
 */
struct lguest_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 attrib;
	__u64 pad;
};

/**
 * struct lguest_dtable - GDTR or IDTR
 * @base:  linear base
 * @limit: limit in bytes - 1
 * @pad:   0
 */
struct lguest_dtable {
	__u64 base;
	__u16 limit;
	__u16 pad[3];
};

/**
 * struct lguest_regs - the guest CPU state LHREQ_GETREGS/SETREGS move
 *
 * General registers, rip and rflags, control registers, EFER, segments
 * and descriptor tables.  Everything else (MSRs Linux sets up itself, the
 * FPU) starts in its reset state and is not exposed.
 */
struct lguest_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
	__u64 cr0, cr2, cr3, cr4, efer;
	struct lguest_segment cs, ds, es, fs, gs, ss, tr, ldtr;
	struct lguest_dtable gdt, idt;
};

/* Why LHREQ_RUN returned (struct lguest_run.exit_reason). */
enum lguest_exit_reason {
	LGUEST_EXIT_NONE = 0,
	LGUEST_EXIT_IO = 1,	/* port I/O: fill io.data for a read, RUN again */
	LGUEST_EXIT_MMIO = 2,	/* MMIO: fill mmio.data for a read, RUN again */
	LGUEST_EXIT_HALT = 3,	/* HLT with interrupts off: halted for good */
	LGUEST_EXIT_RESET = 4,	/* triple fault (the guest's way to reboot) */
	LGUEST_EXIT_KILLED = 5,	/* killed by lg.ko: see reason */
};

#define LGUEST_REASON_LEN	128

/**
 * struct lguest_run - in and out of LHREQ_RUN
 * @exit_reason: out: enum lguest_exit_reason
 * @pad:         0
 * @io:          LGUEST_EXIT_IO: @port, @size (1, 2 or 4), @is_write and,
 *               for a write, @data; for a read the launcher puts the value
 *               in @data before the next RUN, which completes the IN.
 * @mmio:        LGUEST_EXIT_MMIO: guest-physical @addr, @len (1, 2, 4 or
 *               8), @is_write, @data (little-endian bytes); reads are
 *               completed like port reads.
 * @reason:      LGUEST_EXIT_KILLED: why, as a NUL-terminated sentence
 *               that starts with the CPU that was killed ("cpu 1: ...");
 *               LGUEST_EXIT_RESET: where the guest was when it shut
 *               down (its RIP and CR2, each with the guest-physical
 *               address its page tables give it, CR3 and the event it
 *               was delivering), also NUL-terminated; on the guest's
 *               other CPUs, the same after the faulting CPU's "cpu N: ".
 */
struct lguest_run {
	__u32 exit_reason;
	__u32 pad;
	union {
		struct {
			__u16 port;
			__u8 size;
			__u8 is_write;
			__u32 data;
		} io;
		struct {
			__u64 addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		char reason[LGUEST_REASON_LEN];
	};
};

/**
 * struct lguest_irq - raise or lower an interrupt line, for LHREQ_IRQ
 * @line:  0-15, the PIC input
 * @level: 1 raise, 0 lower, LGUEST_IRQ_PULSE both (an edge)
 */
struct lguest_irq {
	__u32 line;
	__u32 level;
};

#define LGUEST_IRQ_PULSE	2

/**
 * struct lguest_ioeventfd - bind a guest MMIO write to an eventfd
 * @addr:      guest-physical address (outside RAM)
 * @len:       access size that matches: 1, 2, 4 or 8
 * @fd:        the eventfd; LGUEST_IOEVENTFD_DEASSIGN removes the binding
 * @flags:     LGUEST_IOEVENTFD_*
 * @datamatch: with LGUEST_IOEVENTFD_DATAMATCH, only writes of this value
 *
 * A matching write signals the eventfd inside lg.ko and the guest goes on:
 * the launcher never sees it.  This is how a virtio queue notify reaches
 * a vringfd kick (VRINGSETKICKFD) without the launcher.
 */
struct lguest_ioeventfd {
	__u64 addr;
	__u32 len;
	__s32 fd;
	__u32 flags;
	__u32 pad;
	__u64 datamatch;
};

#define LGUEST_IOEVENTFD_DATAMATCH	(1U << 0)
#define LGUEST_IOEVENTFD_DEASSIGN	(1U << 1)

/**
 * struct lguest_irqfd - bind an eventfd to a guest interrupt line
 * @fd:       the eventfd; each signal pulses @line
 * @line:     0-15
 * @flags:    LGUEST_IRQFD_*
 * @pad:      0
 * @isr_addr: with LGUEST_IRQFD_VIRTIO_ISR, the guest-physical address of
 *            a virtio-mmio InterruptStatus register (device base + 0x60):
 *            outside RAM, 4-byte aligned; otherwise 0
 *
 * With VRINGSETCALLFD on the same eventfd, a ring's "used" progress
 * interrupts the guest without the launcher.
 *
 * With LGUEST_IRQFD_VIRTIO_ISR each signal also sets bit 0 ("used
 * buffer") of an interrupt status latch lg.ko keeps for @isr_addr, before
 * pulsing @line.  A guest 4-byte read of @isr_addr returns the latch and a
 * guest 4-byte write to @isr_addr + 4 (InterruptACK) clears the bits it
 * writes, both without an exit to the launcher.  Bindings naming the same
 * @isr_addr (a device's rx and tx queues) share one latch, which goes with
 * the last of them.  LGUEST_IRQFD_DEASSIGN removes the binding of @fd and
 * @line whatever its @isr_addr.
 */
struct lguest_irqfd {
	__s32 fd;
	__u32 line;
	__u32 flags;
	__u32 pad;
	__u64 isr_addr;
};

#define LGUEST_IRQFD_DEASSIGN		(1U << 0)
#define LGUEST_IRQFD_VIRTIO_ISR		(1U << 1)

/*
 * The most LHREQ_IOEVENTFD and LHREQ_IRQFD bindings one guest may hold at
 * a time, each kind counted on its own; one more fails with ENOSPC.  A
 * virtio-net device with 8 queue pairs and a control queue needs 17 of
 * each.
 */
#define LGUEST_MAX_IOEVENTFDS		256
#define LGUEST_MAX_IRQFDS		256

/* Exit counters, indexed by enum lguest_stat. */
enum lguest_stat {
	LGUEST_STAT_EXITS,		/* all VM exits */
	LGUEST_STAT_EXIT_IO,		/* port I/O exits (in kernel or not) */
	LGUEST_STAT_EXIT_IO_USER,	/* ... of which went to the launcher */
	LGUEST_STAT_EXIT_MMIO,		/* nested page faults outside RAM */
	LGUEST_STAT_EXIT_MMIO_USER,	/* ... of which went to the launcher */
	LGUEST_STAT_EXIT_NPF,		/* nested page faults inside RAM */
	LGUEST_STAT_EXIT_HLT,
	LGUEST_STAT_EXIT_CPUID,
	LGUEST_STAT_EXIT_MSR,
	LGUEST_STAT_EXIT_INTR,		/* host interrupts */
	LGUEST_STAT_EXIT_VINTR,		/* interrupt windows */
	LGUEST_STAT_EXIT_EXCEPTION,
	LGUEST_STAT_EXIT_OTHER,
	LGUEST_STAT_IRQS_INJECTED,
	LGUEST_STAT_HALTS,		/* HLTs that slept */
	LGUEST_STAT_IOEVENTFD,		/* writes turned into eventfd signals */
	LGUEST_STAT_IRQFD,		/* eventfd signals turned into irqs */
	LGUEST_STAT_RUNS,		/* LHREQ_RUN calls */
	LGUEST_STAT_ISR_READS,		/* InterruptStatus reads answered */
	LGUEST_STAT_ISR_ACKS,		/* InterruptACK writes consumed */
	LGUEST_STAT_PIT_TIMER,		/* PIT hrtimer expiries on the host */
	LGUEST_STAT_EXIT_DR,		/* debug register accesses */
	LGUEST_STAT_EXIT_CR4,		/* CR4 writes */
	LGUEST_STAT_ASID_FLUSH,		/* our TLB entries flushed on leaving */
	LGUEST_STAT_IBPB,		/* IBPBs: another guest ran here before */
	LGUEST_STAT_EXIT_APIC,		/* APIC and I/O APIC accesses */
	LGUEST_STAT_IPIS,		/* IPIs sent (each target counts) */
	LGUEST_STAT_APIC_TIMER,		/* local APIC hrtimer expiries */
	LGUEST_STAT_NMIS_INJECTED,
	LGUEST_STAT_EXIT_IRET,		/* IRETs watched for the end of an NMI */
	LGUEST_STAT_MAX = 32
};

struct lguest_stats {
	__u64 count[LGUEST_STAT_MAX];
};

/**
 * struct lguest_info - facts about the guest's platform, for LHREQ_GETINFO
 * @tsc_khz:  the guest's TSC frequency in kHz (it is the host's TSC, so
 *            the host's frequency), or 0 if lg.ko does not know it
 * @pad:      0
 * @reserved: 0; room for more facts without a new ioctl
 *
 * A guest kernel measures its TSC against the PIT at boot, which under
 * lg.ko is a VM exit per PIT read and can fail; the launcher can pass
 * tsc_early_khz=@tsc_khz on the guest's command line instead.
 */
struct lguest_info {
	__u32 tsc_khz;
	__u32 pad;
	__u64 reserved[7];
};

#define LHREQ_INITIALIZE _IOW(LGUEST_IOCTL_MAGIC, 0x00, struct lguest_init)
#define LHREQ_GETREGS	_IOR(LGUEST_IOCTL_MAGIC, 0x01, struct lguest_regs)
#define LHREQ_SETREGS	_IOW(LGUEST_IOCTL_MAGIC, 0x02, struct lguest_regs)
#define LHREQ_RUN	_IOWR(LGUEST_IOCTL_MAGIC, 0x03, struct lguest_run)
#define LHREQ_IRQ	_IOW(LGUEST_IOCTL_MAGIC, 0x04, struct lguest_irq)
#define LHREQ_IOEVENTFD	_IOW(LGUEST_IOCTL_MAGIC, 0x05, struct lguest_ioeventfd)
#define LHREQ_IRQFD	_IOW(LGUEST_IOCTL_MAGIC, 0x06, struct lguest_irqfd)
#define LHREQ_GETSTATS	_IOR(LGUEST_IOCTL_MAGIC, 0x07, struct lguest_stats)
#define LHREQ_GETINFO	_IOR(LGUEST_IOCTL_MAGIC, 0x08, struct lguest_info)
#define LHREQ_CREATE_VCPU _IO(LGUEST_IOCTL_MAGIC, 0x09)	/* arg: the CPU's id */

#endif /* _UAPI_LINUX_LGUEST_H */
