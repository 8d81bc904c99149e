// SPDX-License-Identifier: GPL-2.0
/*
 * Setting up a tiny long-mode guest on /dev/lguest: see guest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "tap.h"

/* Guest-physical layout of the fixed parts. */
#define PML4		0x1000UL
#define PDPT		0x2000UL
#define PD_LOW		0x3000UL	/* 0..1 GiB */
#define PD_HIGH		0x4000UL	/* 3..4 GiB, for the MMIO window */
#define GDT		0x5000UL
#define IDT		0x6000UL
#define TSS		0x7000UL

/*
 * The handlers.  Each is copied to GUEST_HANDLERS + 256 * slot; they use
 * only relative jumps, so they run anywhere.
 */
GUEST_BLOB(h_default);
GUEST_BLOB(h_gp);
GUEST_BLOB(h_irq0);
GUEST_BLOB(h_irq5);
GUEST_BLOB(h_spurious);
GUEST_BLOB(h_irq3_slow);
GUEST_BLOB(h_ud);
GUEST_BLOB(h_dbcount);
asm(".pushsection .rodata\n"
    "h_default_start:\n"
    "	mov $0x3f8, %dx\n"
    "	mov $'X', %al\n"
    "	out %al, %dx\n"
    "	cli\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "h_default_end:\n"
    "h_gp_start:\n"
    "	mov $0x3f8, %dx\n"
    "	mov $'G', %al\n"
    "	out %al, %dx\n"
    "	cli\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "h_gp_end:\n"
    "h_irq0_start:\n"
    "	push %rax\n"
    "	incl 0x9000\n"
    "	mov $0x20, %al\n"
    "	out %al, $0x20\n"
    "	pop %rax\n"
    "	iretq\n"
    "h_irq0_end:\n"
    "h_irq5_start:\n"
    "	push %rax\n"
    "	push %rdx\n"
    "	mov $0x3f8, %dx\n"
    "	mov $'I', %al\n"
    "	out %al, %dx\n"
    "	mov $0x20, %al\n"
    "	out %al, $0x20\n"
    "	pop %rdx\n"
    "	pop %rax\n"
    "	iretq\n"
    "h_irq5_end:\n"
    "h_spurious_start:\n"
    "	iretq\n"
    "h_spurious_end:\n"
    /*
     * IRQ 3, slowly: GUEST_DATA + 8 is how many of us are running, and an
     * entry that finds one already running counts in GUEST_DATA + 12 (an
     * interrupt gate clears IF, so only a second delivery of the same
     * interrupt can get there).  Then spin GUEST_DATA + 16 times with
     * interrupts off and no exit, count the interrupt in GUEST_DATA + 4,
     * and EOI.
     */
    "h_irq3_slow_start:\n"
    "	push %rax\n"
    "	push %rcx\n"
    "	incl 0x9008\n"
    "	cmpl $1, 0x9008\n"
    "	je 1f\n"
    "	incl 0x900c\n"
    "1:	mov 0x9010, %ecx\n"
    "2:	dec %ecx\n"
    "	jnz 2b\n"
    "	decl 0x9008\n"
    "	incl 0x9004\n"
    "	mov $0x20, %al\n"
    "	out %al, $0x20\n"
    "	pop %rcx\n"
    "	pop %rax\n"
    "	iretq\n"
    "h_irq3_slow_end:\n"
    "h_ud_start:\n"
    "	mov $0x3f8, %dx\n"
    "	mov $'U', %al\n"
    "	out %al, %dx\n"
    "	cli\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "h_ud_end:\n"
    /* A trap: return to the next instruction, TF and all. */
    "h_dbcount_start:\n"
    "	incl 0x901c\n"
    "	iretq\n"
    "h_dbcount_end:\n"
    ".popsection\n");

static void put64(struct guest *g, uint64_t gpa, uint64_t val)
{
	memcpy(g->mem + gpa, &val, sizeof(val));
}

static void load(struct guest *g, uint64_t gpa, struct guest_code code)
{
	memcpy(g->mem + gpa, code.start, code.end - code.start);
}

static uint64_t handler_addr(enum guest_handler h)
{
	return GUEST_HANDLERS + 256 * h;
}

static void set_gate(struct guest *g, unsigned int vector, uint64_t addr)
{
	uint64_t lo, hi;

	lo = (addr & 0xffff) | (0x8ULL << 16) | (0x8eULL << 40) |
		((addr >> 16 & 0xffff) << 48);
	hi = addr >> 32;
	put64(g, IDT + vector * 16, lo);
	put64(g, IDT + vector * 16 + 8, hi);
}

static void build_memory(struct guest *g, struct guest_code code)
{
	unsigned int v;

	put64(g, PML4, PDPT | 3);
	put64(g, PDPT, PD_LOW | 3);
	put64(g, PDPT + 3 * 8, PD_HIGH | 3);
	put64(g, PD_LOW, 0x000000 | 0x83);
	put64(g, PD_LOW + 8, 0x200000 | 0x83);
	put64(g, PD_HIGH + ((GUEST_MMIO >> 21) & 511) * 8,
	      (GUEST_MMIO & ~0x1fffffUL) | 0x83);

	put64(g, GDT + 8, 0x00209a0000000000ULL);	/* 0x08: 64-bit code */
	put64(g, GDT + 16, 0x00cf92000000ffffULL);	/* 0x10: data */

	load(g, handler_addr(HANDLER_DEFAULT), GUEST_CODE_OF(h_default));
	load(g, handler_addr(HANDLER_GP), GUEST_CODE_OF(h_gp));
	load(g, handler_addr(HANDLER_IRQ0), GUEST_CODE_OF(h_irq0));
	load(g, handler_addr(HANDLER_IRQ5), GUEST_CODE_OF(h_irq5));
	load(g, handler_addr(HANDLER_SPURIOUS), GUEST_CODE_OF(h_spurious));
	load(g, handler_addr(HANDLER_IRQ3_SLOW), GUEST_CODE_OF(h_irq3_slow));
	load(g, handler_addr(HANDLER_UD), GUEST_CODE_OF(h_ud));
	load(g, handler_addr(HANDLER_DB), GUEST_CODE_OF(h_dbcount));
	for (v = 0; v < 256; v++)
		set_gate(g, v, handler_addr(HANDLER_DEFAULT));
	set_gate(g, 1, handler_addr(HANDLER_DB));
	set_gate(g, 6, handler_addr(HANDLER_UD));
	set_gate(g, 13, handler_addr(HANDLER_GP));
	set_gate(g, 0x20, handler_addr(HANDLER_IRQ0));
	set_gate(g, 0x23, handler_addr(HANDLER_IRQ3_SLOW));
	set_gate(g, 0x25, handler_addr(HANDLER_IRQ5));
	set_gate(g, 0x27, handler_addr(HANDLER_SPURIOUS));
	set_gate(g, 0x2f, handler_addr(HANDLER_SPURIOUS));

	load(g, GUEST_CODE, code);
}

static struct lguest_segment segment(uint16_t sel, uint16_t attrib,
				     uint64_t base, uint32_t limit)
{
	struct lguest_segment s = {
		.base = base, .limit = limit, .selector = sel, .attrib = attrib,
	};
	return s;
}

/* Long mode, paging on, CPL 0, interrupts off. */
static void build_regs(struct lguest_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->rip = GUEST_CODE;
	r->rsp = GUEST_STACK;
	r->rflags = 0x2;
	r->cr0 = 0x80050033;	/* PG WP NE ET MP PE */
	r->cr3 = PML4;
	r->cr4 = 0x620;		/* OSXMMEXCPT OSFXSR PAE */
	r->efer = 0x500;	/* LMA LME */
	r->cs = segment(0x08, 0x29b, 0, 0xffffffff);	/* L P S code */
	r->ds = segment(0x10, 0xc93, 0, 0xffffffff);
	r->es = r->ds;
	r->ss = r->ds;
	r->fs = r->ds;
	r->gs = r->ds;
	r->tr = segment(0x18, 0x8b, TSS, 0x67);	/* busy 64-bit TSS */
	r->ldtr = segment(0, 0x82, 0, 0xffff);
	r->gdt.base = GDT;
	r->gdt.limit = 3 * 8 - 1;
	r->idt.base = IDT;
	r->idt.limit = 256 * 16 - 1;
}

int guest_open(struct guest *g)
{
	struct lguest_init init;

	memset(g, 0, sizeof(*g));
	g->fd = open("/dev/lguest", O_RDWR);
	if (g->fd < 0)
		return -1;
	g->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED)
		goto fail_close;
	init = (struct lguest_init){
		.mem_base = (uintptr_t)g->mem, .mem_size = GUEST_MEM,
	};
	if (ioctl(g->fd, LHREQ_INITIALIZE, &init))
		goto fail_unmap;
	return 0;

fail_unmap:
	munmap(g->mem, GUEST_MEM);
fail_close:
	close(g->fd);
	g->fd = -1;
	return -1;
}

int guest_create(struct guest *g, struct guest_code code)
{
	if (guest_open(g))
		return -1;
	build_memory(g, code);
	build_regs(&g->regs);
	if (ioctl(g->fd, LHREQ_SETREGS, &g->regs)) {
		guest_destroy(g);
		return -1;
	}
	return 0;
}

void guest_destroy(struct guest *g)
{
	if (g->fd < 0)
		return;
	close(g->fd);
	munmap(g->mem, GUEST_MEM);
	g->fd = -1;
}

int guest_run(struct guest *g, struct lguest_run *run)
{
	return ioctl(g->fd, LHREQ_RUN, run);
}

int guest_run_expect_io(struct guest *g, struct lguest_run *run,
			uint16_t port, int is_write)
{
	if (guest_run(g, run))
		return -1;
	if (run->exit_reason != LGUEST_EXIT_IO || run->io.port != port ||
	    run->io.is_write != is_write)
		return -1;
	return 0;
}

uint32_t guest_read32(struct guest *g, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, g->mem + gpa, sizeof(v));
	return v;
}

void guest_write32(struct guest *g, uint64_t gpa, uint32_t val)
{
	memcpy(g->mem + gpa, &val, sizeof(val));
}

const char *guest_exit_name(unsigned int reason)
{
	static const char * const names[] = {
		"NONE", "IO", "MMIO", "HALT", "RESET", "KILLED",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

double guest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- running a guest, reported through tap.h ---- */

bool guest_new(struct guest *g, struct guest_code code)
{
	if (guest_create(g, code) == 0)
		return true;
	tap_ok(false, "set up a guest (%s)", strerror(errno));
	return false;
}

bool guest_run_expect(struct guest *g, struct lguest_run *run,
		      unsigned int reason, const char *what)
{
	int ret = guest_run(g, run);

	if (ret) {
		tap_ok(false, "%s: RUN failed: %s", what, strerror(errno));
		return false;
	}
	if (run->exit_reason != reason) {
		tap_diag("%s: exit %s, port %#x, data %#x%s%s", what,
			 guest_exit_name(run->exit_reason), run->io.port, run->io.data,
			 run->exit_reason == LGUEST_EXIT_KILLED ? ": " : "",
			 run->exit_reason == LGUEST_EXIT_KILLED ? run->reason : "");
		tap_ok(false, "%s: exit %s", what, guest_exit_name(reason));
		return false;
	}
	return true;
}

/*
 * RUN (with *run as filled in by the last exit, to complete a read) until
 * an OUT to 0x3f8: its value, or -1.
 */
int64_t guest_run_out_after(struct guest *g, struct lguest_run *run,
			    const char *what)
{
	if (!guest_run_expect(g, run, LGUEST_EXIT_IO, what))
		return -1;
	if (run->io.port != GUEST_PORT || !run->io.is_write) {
		tap_diag("%s: I/O to port %#x, write %d", what, run->io.port,
			 run->io.is_write);
		return -1;
	}
	return run->io.data;
}

int64_t guest_run_out(struct guest *g, const char *what)
{
	struct lguest_run run = { 0 };

	return guest_run_out_after(g, &run, what);
}

bool guest_stats(struct guest *g, struct lguest_stats *st)
{
	return ioctl(g->fd, LHREQ_GETSTATS, st) == 0;
}

int host_watchpoint(const volatile void *addr)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_BREAKPOINT;
	attr.size = sizeof(attr);
	attr.bp_type = HW_BREAKPOINT_W;
	attr.bp_addr = (uintptr_t)addr;
	attr.bp_len = HW_BREAKPOINT_LEN_4;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

long long host_watch_count(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	return (long long)v;
}

/*
 * Pages pinned system-wide (FOLL_PIN), from /proc/vmstat.  The counters
 * are per-CPU and batched, so fold them first (stat_refresh), and read
 * both from one snapshot.
 */
long pinned_now(void)
{
	long acquired = -1, released = -1;
	char line[128];
	FILE *f;
	int fd;

	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			tap_diag("stat_refresh: %s", strerror(errno));
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "nr_foll_pin_acquired ", 21))
			acquired = atol(line + 21);
		if (!strncmp(line, "nr_foll_pin_released ", 21))
			released = atol(line + 21);
	}
	fclose(f);
	return acquired - released;
}
