/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names for lg.ko's exit counters (enum lguest_stat), as the launcher's -v
 * output and the boot benchmark print them.
 */
#ifndef LGUEST_STATS_H
#define LGUEST_STATS_H

#include <linux/lguest.h>

static const char *const lguest_stat_names[] = {
	[LGUEST_STAT_EXITS] = "exits",
	[LGUEST_STAT_EXIT_IO] = "io",
	[LGUEST_STAT_EXIT_IO_USER] = "io-user",
	[LGUEST_STAT_EXIT_MMIO] = "mmio",
	[LGUEST_STAT_EXIT_MMIO_USER] = "mmio-user",
	[LGUEST_STAT_EXIT_NPF] = "npf",
	[LGUEST_STAT_EXIT_HLT] = "hlt",
	[LGUEST_STAT_EXIT_CPUID] = "cpuid",
	[LGUEST_STAT_EXIT_MSR] = "msr",
	[LGUEST_STAT_EXIT_INTR] = "intr",
	[LGUEST_STAT_EXIT_VINTR] = "vintr",
	[LGUEST_STAT_EXIT_EXCEPTION] = "exception",
	[LGUEST_STAT_EXIT_OTHER] = "other",
	[LGUEST_STAT_IRQS_INJECTED] = "irqs",
	[LGUEST_STAT_HALTS] = "halts",
	[LGUEST_STAT_IOEVENTFD] = "ioeventfd",
	[LGUEST_STAT_IRQFD] = "irqfd",
	[LGUEST_STAT_RUNS] = "runs",
	[LGUEST_STAT_ISR_READS] = "isr-reads",
	[LGUEST_STAT_ISR_ACKS] = "isr-acks",
	[LGUEST_STAT_PIT_TIMER] = "pit-timer",
	[LGUEST_STAT_EXIT_DR] = "dr",
	[LGUEST_STAT_EXIT_CR4] = "cr4",
	[LGUEST_STAT_ASID_FLUSH] = "asid-flush",
	[LGUEST_STAT_IBPB] = "ibpb",
	[LGUEST_STAT_EXIT_APIC] = "apic",
	[LGUEST_STAT_IPIS] = "ipis",
	[LGUEST_STAT_APIC_TIMER] = "apic-timer",
	[LGUEST_STAT_NMIS_INJECTED] = "nmis",
	[LGUEST_STAT_EXIT_IRET] = "iret",
};

#define LGUEST_STAT_NAMES \
	(sizeof(lguest_stat_names) / sizeof(lguest_stat_names[0]))

#endif /* LGUEST_STATS_H */
