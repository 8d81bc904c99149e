/* SPDX-License-Identifier: GPL-2.0 */
/*L:295
 * The launcher's view of a virtual CPU, struct cpu_ops: set the registers
 * the boot protocol fixes, run the guest until it needs us (struct
 * cpu_exit says why: port I/O, MMIO outside RAM, a halt for good, a
 * reset, the hypervisor giving up on it, or just a signal), and raise an
 * interrupt line.  Two more calls bind eventfds inside the hypervisor, so
 * that a device can take itself out of the launcher's path: a guest write
 * that signals an eventfd without an exit to us, and an eventfd whose
 * signal raises an interrupt (N:480 uses both).
 *
 * Two backends implement it: cpu_kvm.c over /dev/kvm and cpu_lguest.c
 * over our own /dev/lguest.  Both keep the PIC and the PIT in the kernel,
 * so the launcher only ever sees the exits it has to emulate, and nothing
 * but main(), which picks one, asks which hypervisor runs the guest.
 */
#ifndef LGUEST_CPU_H
#define LGUEST_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "device.h"

/* Why cpu_run() returned. */
enum cpu_exit_kind {
	CPU_EXIT_IO,		/* port I/O: see exit.io */
	CPU_EXIT_MMIO,		/* MMIO outside RAM: see exit.mmio */
	CPU_EXIT_HALT,		/* HLT with interrupts off: halted for good */
	CPU_EXIT_RESET,		/* triple fault: the guest rebooted */
	CPU_EXIT_KILLED,	/* the hypervisor gave up: see exit.reason */
	CPU_EXIT_SIGNAL,	/* a signal arrived; run again or stop */
};

#define CPU_REASON_LEN 128

/*
 * One exit.  For a read (io or mmio with is_write false) the launcher
 * fills in data before the next cpu_run(), which completes the access.
 */
struct cpu_exit {
	enum cpu_exit_kind kind;
	union {
		struct {
			uint16_t port;
			uint8_t size;		/* 1, 2 or 4 */
			bool is_write;
			uint32_t data;
		} io;
		struct {
			uint64_t addr;
			uint8_t data[8];	/* little-endian */
			uint32_t len;		/* 1, 2, 4 or 8 */
			bool is_write;
		} mmio;
		char reason[CPU_REASON_LEN];
	};
};

/* A flat 64-bit segment, as boot.c describes it to a backend. */
struct cpu_segment {
	uint64_t base;
	uint32_t limit;		/* bytes - 1, granularity applied */
	uint16_t selector;
	uint8_t type;		/* descriptor type (4 bits) */
	bool s, present, l, db, g;
	uint8_t dpl;
};

/* The registers the 64-bit boot protocol fixes; everything else is 0. */
struct cpu_boot_regs {
	uint64_t rip, rsi, rsp, rflags;
	uint64_t cr0, cr3, cr4, efer;
	struct cpu_segment cs, ds, tr, ldtr;
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

struct cpu;

/*
 * A guest has nr_cpus virtual CPUs, numbered from 0 (the boot CPU); the
 * calls that take an index act on one of them, and each index is only
 * ever used from one launcher thread (L:445).  The others act on the
 * guest as a whole and may come from any thread.
 */
struct cpu_ops {
	const char *name;
	int (*set_boot_regs)(struct cpu *cpu, unsigned int index,
			     const struct cpu_boot_regs *r);
	/* Run until an exit the launcher handles; 0, or -1 with errno. */
	int (*run)(struct cpu *cpu, unsigned int index, struct cpu_exit *exit);
	/* level: 0 low, 1 high, 2 a pulse (both). */
	int (*irq_line)(struct cpu *cpu, unsigned int line, int level);
	/*
	 * A guest write of len bytes to addr signals fd (no launcher exit);
	 * with match, only a write of the value datamatch does.
	 */
	int (*bind_ioeventfd)(struct cpu *cpu, uint64_t addr, unsigned int len,
			      int fd, bool match, uint64_t datamatch);
	/*
	 * Signalling fd pulses interrupt line.  isr_addr, if not 0, is a
	 * virtio-mmio InterruptStatus register the hypervisor may serve
	 * itself (lg.ko does; KVM ignores it and leaves it to us).
	 */
	int (*bind_irqfd)(struct cpu *cpu, int fd, unsigned int line,
			  uint64_t isr_addr);
	void (*print_stats)(struct cpu *cpu, FILE *out);
	/*
	 * Where CPU index is (its RIP), from that CPU's own thread while it
	 * is out of the guest; 0, or -1 with errno.
	 */
	int (*get_rip)(struct cpu *cpu, unsigned int index, uint64_t *rip);
	/* One line: where a CPU is (RIP, RSP, RFLAGS, control registers). */
	void (*print_state)(struct cpu *cpu, unsigned int index, FILE *out);
	/* The guest's TSC frequency in kHz, or 0 if the backend cannot tell. */
	unsigned int (*tsc_khz)(struct cpu *cpu);
};

struct cpu {
	const struct cpu_ops *ops;
	struct guest_mem *mem;
	unsigned int nr_cpus;		/* --cpus, 1 to CPU_MAX */
	bool apic;			/* local APICs and an I/O APIC (L:196) */
};

/* --cpus: at most this many (the MP table's and the APIC IDs' limit is ours). */
#define CPU_MAX		8

/*
 * The backends' constructors.  On failure they print one line saying what
 * was wrong and return NULL (the launcher then exits with status 1).
 */
struct cpu *cpu_kvm_create(struct guest_mem *mem, unsigned int nr_cpus,
			   bool apic, bool verbose);
struct cpu *cpu_lguest_create(struct guest_mem *mem, unsigned int nr_cpus,
			      bool apic, bool verbose);

/*
 * The one line both backends' print_state() print (launcher.c); with
 * several CPUs it starts with the CPU's number.
 */
void cpu_print_state(FILE *out, const struct cpu *cpu, unsigned int index,
		     uint64_t rip, uint64_t rsp, uint64_t rflags, uint64_t cr0,
		     uint64_t cr3, uint64_t cr4, uint64_t efer);

/* The running CPU, for irq_pulse() and friends in launcher.c. */
extern struct cpu *the_cpu;

#endif /* LGUEST_CPU_H */
