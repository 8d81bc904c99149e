/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pieces of the launcher core (launcher.c, boot.c, mem.c, io.c,
 * uart.c) tell each other.  Devices see only device.h.
 */
#ifndef LGUEST_LAUNCHER_H
#define LGUEST_LAUNCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "device.h"

/*
 * Exit statuses of the launcher; --help (launcher.c) lists the same.
 *   0   the guest powered off (HLT with interrupts off)
 *   1   a usage or setup error: bad argument, unreadable kernel, no
 *       /dev/lguest or /dev/kvm, ...
 *   2   the hypervisor killed the guest (the reason is printed)
 *   3   the guest rebooted: a triple fault, a keyboard-controller reset,
 *       or a panic (the command line has panic=-1 and reboot=triple)
 *   N   the guest wrote N to the exit port 0xf4
 *   130 three Ctrl-Cs
 */
#define LGUEST_STATUS_OK	0
#define LGUEST_STATUS_ERROR	1
#define LGUEST_STATUS_KILLED	2
#define LGUEST_STATUS_REBOOT	3
#define LGUEST_STATUS_CTRL_C	130

/* A byte written here ends the guest with that byte as exit status. */
#define LGUEST_EXIT_PORT	0xf4
/* The keyboard controller's command port: 0xfe there is a reset. */
#define KBD_COMMAND_PORT	0x64
#define KBD_COMMAND_RESET	0xfe

/* Limits on guest RAM (the lg.ko ABI allows 4 MiB..3 GiB). */
#define GUEST_MEM_MIN		(16ULL << 20)	/* Linux needs more anyway */
#define GUEST_MEM_MAX		(3ULL << 30)

extern bool verbose;
#define verbose_printf(...) \
	do { if (verbose) fprintf(stderr, "lguest: " __VA_ARGS__); } while (0)

/* The I/O APIC of SMP guests (L:195), where both backends put it. */
#define IOAPIC_BASE		0xfec00000U

/* mem.c */
struct guest_mem *guest_mem_create(uint64_t size);

/* boot.c */
struct boot_config {
	const char *kernel;		/* bzImage path */
	const char *initrd;		/* or NULL */
	const char *user_args;		/* the user's kernel arguments, or "" */
	unsigned int nr_cpus;
	bool apic;			/* an MP table too (L:195) */
};
void boot_check(const struct boot_config *config, uint64_t mem_size);
void boot_load(struct guest_mem *mem, const struct boot_config *config,
	       struct cpu_boot_regs *regs);
const char *cmdline_get(void);

/* mptable.c: the MP table for nr_cpus CPUs; returns its address. */
uint64_t mptable_build(struct guest_mem *mem, unsigned int nr_cpus);

/* io.c */
void io_start(void);

/*
 * uart.c: the UART at 0x3f8, and the terminal on stdin.  If is_console,
 * the UART is the guest's console: its output goes to stdout and stdin
 * comes to it.  If not, stdin goes to the fd returned, for the virtio
 * console to read (-1 when is_console), and the UART's output goes to
 * stdout only until console_handover().
 */
int uart_create(bool is_console);
/* -v at exit: how many bytes the guest sent, and how many were lost. */
void uart_print_stats(FILE *out);

/* The terminal (uart.c): raw mode on, and restored at every exit. */
void terminal_restore(void);

#endif /* LGUEST_LAUNCHER_H */
