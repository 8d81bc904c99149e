/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny 64-bit guests for the /dev/lguest tests, and the helpers that set
 * one up: 4 MiB of RAM mapped by the test, identity page tables (2 MiB
 * pages over RAM and over the MMIO window at 0xfea00000), a GDT, an IDT
 * whose every vector leads to a handler, and long-mode registers.
 *
 * The guests' code is written in assembly inside the test program (the
 * assembler does the encoding) and copied into guest RAM at GUEST_CODE;
 * handlers go at fixed addresses.  They report by port I/O to 0x3f8.
 */
#ifndef LGUEST_TEST_GUEST_H
#define LGUEST_TEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/lguest.h>

#define GUEST_MEM	(4UL << 20)
#define GUEST_CODE	0x10000UL
#define GUEST_STACK	0x80000UL
#define GUEST_DATA	0x9000UL	/* a counter the guests use */
#define GUEST_PORT	0x3f8
#define GUEST_MMIO	0xfeb00000UL

/* Handler slots, 256 bytes each, from GUEST_HANDLERS. */
#define GUEST_HANDLERS	0x20000UL
enum guest_handler {
	HANDLER_DEFAULT,	/* reports 'X' and its vector, halts */
	HANDLER_GP,		/* reports 'G', halts */
	HANDLER_IRQ0,		/* counts in GUEST_DATA, EOI, iretq */
	HANDLER_IRQ5,		/* reports 'I', EOI, iretq */
	HANDLER_SPURIOUS,	/* iretq */
	HANDLER_IRQ3_SLOW,	/* IRQ 3: counts, spins with IF off, EOI (guest.c) */
	HANDLER_UD,		/* #UD: reports 'U', halts */
	HANDLER_DB,		/* #DB: counts in GUEST_DATA + 28, iretq */
	HANDLER_COUNT
};

/* A code blob between two labels in the test program. */
struct guest_code {
	const unsigned char *start, *end;
};

#define GUEST_BLOB(name) \
	extern const unsigned char name##_start[], name##_end[]
#define GUEST_CODE_OF(name) ((struct guest_code){ name##_start, name##_end })

struct guest {
	int fd;
	unsigned char *mem;
	struct lguest_regs regs;
};

/* Open /dev/lguest, map RAM (zeroed) and INITIALIZE: no code, no registers. */
int guest_open(struct guest *g);
/* guest_open(), then load code, build the tables and set registers. */
int guest_create(struct guest *g, struct guest_code code);
void guest_destroy(struct guest *g);
int guest_run(struct guest *g, struct lguest_run *run);
/* Run until the next exit that is not LGUEST_EXIT_NONE; -1 on error. */
int guest_run_expect_io(struct guest *g, struct lguest_run *run,
			uint16_t port, int is_write);
uint32_t guest_read32(struct guest *g, uint64_t gpa);
void guest_write32(struct guest *g, uint64_t gpa, uint32_t val);
/* LGUEST_EXIT_* by name, for messages. */
const char *guest_exit_name(unsigned int reason);
/* CLOCK_MONOTONIC in seconds. */
double guest_now(void);

/*
 * The same, for TAP tests: each reports a failure itself (as "not ok",
 * with what it saw) and returns false or -1.
 */
bool guest_new(struct guest *g, struct guest_code code);
/* RUN and expect exit reason: false (and a "not ok - what") if not. */
bool guest_run_expect(struct guest *g, struct lguest_run *run,
		      unsigned int reason, const char *what);
/*
 * RUN (with *run as the last exit filled it in, to complete a read)
 * until an OUT to GUEST_PORT: its value, or -1.
 */
int64_t guest_run_out_after(struct guest *g, struct lguest_run *run,
			    const char *what);
int64_t guest_run_out(struct guest *g, const char *what);
bool guest_stats(struct guest *g, struct lguest_stats *st);

/*
 * The launcher's own hardware watchpoint, through perf: writes to the 4
 * bytes at addr in this process are counted.  An fd, or -1 (errno set).
 */
int host_watchpoint(const volatile void *addr);
/* How many writes it has counted, or -1. */
long long host_watch_count(int fd);

/*
 * Pages pinned system-wide (FOLL_PIN) now, from /proc/vmstat: what a
 * guest left pinned shows as a difference.
 */
long pinned_now(void);

#endif /* LGUEST_TEST_GUEST_H */
