// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's several CPUs (H:036): LHREQ_CREATE_VCPU and its errors, two
 * CPUs running at once in two threads on shared memory, each CPU's
 * registers and counters its own, HLT and wakeups per CPU, a kill or a
 * triple fault on one CPU ending RUN on all of them (H:040, H:045), the
 * guest's file closed while a CPU runs, and a vCPU file in another
 * process.  TAP on stdout.
 *
 *   test_vcpu            every group
 *   test_vcpu NAME...    the groups named (see main())
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "tap.h"
#include "vcpu_run.h"

/* Where each CPU's code and stack go: CPU n's code at GUEST_CODE + n * 4K. */
#define VCPU_CODE(n)	(GUEST_CODE + 0x1000UL * (n))
#define VCPU_STACK(n)	(GUEST_STACK - 0x8000UL * (n))

/* Shared words, above what guest.c's handlers use at GUEST_DATA. */
#define SUM		0x9100UL	/* the counter both CPUs lock xadd */
#define HERE(n)		(0x9104UL + 4 * (n))	/* CPU n is running */
#define ROUNDS		0x910cUL	/* how many xadds each */
#define GO		0x9110UL	/* set by the launcher */
#define TOUCH_FROM	0x200000UL	/* fresh pages both CPUs fault in */
#define TOUCH_TO	0x400000UL

GUEST_BLOB(v_xadd);
GUEST_BLOB(v_regs);
GUEST_BLOB(v_irq5);
GUEST_BLOB(v_idle);
GUEST_BLOB(v_spin);
GUEST_BLOB(v_badmmio);
GUEST_BLOB(v_int3);
GUEST_BLOB(v_halt);
GUEST_BLOB(v_wait_go);

#define OUT_EAX "	mov $0x3f8, %dx\n	out %eax, %dx\n"

asm(".pushsection .rodata\n"
    /*
     * RDI is this CPU's number, 0 or 1.  Say we are here and wait until
     * the other CPU is too (if the two could not run at the same time,
     * this would wait for ever); fault in the same fresh pages as the
     * other, in the same order; then lock xadd the shared counter ROUNDS
     * times, report our number and halt.
     */
    "v_xadd_start:\n"
    "	movl $1, 0x9104(,%rdi,4)\n"
    "	mov %rdi, %rsi\n"
    "	xor $1, %rsi\n"
    "1:	pause\n"
    "	cmpl $0, 0x9104(,%rsi,4)\n"
    "	je 1b\n"
    "	mov $0x200000, %ebx\n"
    "2:	movb $1, (%rbx)\n"
    "	add $0x1000, %rbx\n"
    "	cmp $0x400000, %rbx\n"
    "	jb 2b\n"
    "	mov 0x910c, %ecx\n"
    "3:	mov $1, %eax\n"
    "	lock xadd %eax, 0x9100\n"
    "	dec %ecx\n"
    "	jnz 3b\n"
    "	mov %edi, %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "v_xadd_end:\n"

    "v_regs_start:\n"
    "	mov %rbx, %rax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "v_regs_end:\n"

    /* Program the PIC for IRQ 5 only (HANDLER_IRQ5 says 'I'), then idle. */
    "v_irq5_start:\n"
    "	mov $0x11, %al\n	out %al, $0x20\n"
    "	mov $0x20, %al\n	out %al, $0x21\n"
    "	mov $0x04, %al\n	out %al, $0x21\n"
    "	mov $0x01, %al\n	out %al, $0x21\n"
    "	mov $0xff, %al\n	out %al, $0xa1\n"
    "	mov $0xdf, %al\n	out %al, $0x21\n"
    "	movl $1, 0x9018\n"
    "	sti\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "v_irq5_end:\n"

    "v_idle_start:\n"
    "	sti\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "v_idle_end:\n"

    "v_spin_start:\n"
    "1:	pause\n"
    "	jmp 1b\n"
    "v_spin_end:\n"

    /* An MMIO instruction lg.ko does not decode: the guest is killed. */
    "v_badmmio_start:\n"
    "	mov $0xfeb00000, %ebx\n"
    "	add (%rbx), %eax\n"
    "	cli\n"
    "	hlt\n"
    "v_badmmio_end:\n"

    /* With an empty IDT: a triple fault. */
    "v_int3_start:\n"
    "	int3\n"
    "	cli\n"
    "	hlt\n"
    "v_int3_end:\n"

    "v_halt_start:\n"
    "	cli\n"
    "	hlt\n"
    "v_halt_end:\n"

    /* Wait for GO, then fault in 64 fresh pages, say 'C' and halt. */
    "v_wait_go_start:\n"
    "1:	pause\n"
    "	cmpl $0, 0x9110\n"
    "	je 1b\n"
    "	mov $0x200000, %ebx\n"
    "2:	movb $1, (%rbx)\n"
    "	add $0x1000, %rbx\n"
    "	cmp $0x240000, %rbx\n"
    "	jb 2b\n"
    "	mov $'C', %eax\n" OUT_EAX
    "	cli\n"
    "	hlt\n"
    "v_wait_go_end:\n"
    ".popsection\n");

/* ---- helpers ------------------------------------------------------------- */

static void load_code(struct guest *g, uint64_t gpa, struct guest_code code)
{
	memcpy(g->mem + gpa, code.start, code.end - code.start);
}

/*
 * Make CPU n of g, with code at VCPU_CODE(n), g's registers but its own
 * RIP, RSP and RDI = n: its file, or -1 (and a "not ok").
 */
static int vcpu_new(struct guest *g, unsigned int n, struct guest_code code)
{
	struct lguest_regs r = g->regs;
	int fd;

	fd = ioctl(g->fd, LHREQ_CREATE_VCPU, n);
	if (fd < 0) {
		tap_ok(false, "LHREQ_CREATE_VCPU %u: %s", n, strerror(errno));
		return -1;
	}
	load_code(g, VCPU_CODE(n), code);
	r.rip = VCPU_CODE(n);
	r.rsp = VCPU_STACK(n);
	r.rdi = n;
	if (ioctl(fd, LHREQ_SETREGS, &r)) {
		tap_ok(false, "SETREGS on CPU %u: %s", n, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Give CPU 0 (the guest's file) RDI = 0 and the rest as guest_new() set. */
static bool vcpu0_regs(struct guest *g)
{
	g->regs.rdi = 0;
	if (ioctl(g->fd, LHREQ_SETREGS, &g->regs) == 0)
		return true;
	tap_ok(false, "SETREGS on CPU 0: %s", strerror(errno));
	return false;
}

static bool stats_of(int fd, struct lguest_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, LHREQ_GETSTATS, st) == 0;
}

/* ---- making CPUs ---------------------------------------------------------- */

/*
 * Two threads ask for the same CPU at once, for every CPU of 20 guests:
 * one gets it, the other EEXIST.
 */
#define RACE_GUESTS	20

struct create_race {
	int guest_fd;
	unsigned int id;
	int *start;
	int fd, err;
};

static void *create_thread(void *p)
{
	struct create_race *c = p;

	while (!__atomic_load_n(c->start, __ATOMIC_ACQUIRE))
		;
	c->fd = ioctl(c->guest_fd, LHREQ_CREATE_VCPU, c->id);
	c->err = errno;
	return NULL;
}

/* Race for CPU id of the guest on fd: how many got a file (0 on error). */
static int create_race_once(int fd, unsigned int id)
{
	struct create_race c[2];
	int start = 0, made = 0, i;
	pthread_t t[2];

	for (i = 0; i < 2; i++) {
		c[i] = (struct create_race){ fd, id, &start, -1, 0 };
		if (pthread_create(&t[i], NULL, create_thread, &c[i])) {
			__atomic_store_n(&start, 1, __ATOMIC_RELEASE);
			if (i)
				pthread_join(t[0], NULL);
			return 0;
		}
	}
	__atomic_store_n(&start, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		if (c[i].fd >= 0) {
			made++;
			close(c[i].fd);
		} else if (c[i].err != EEXIST) {
			return 0;
		}
	}
	return made;
}

static void create_race(void)
{
	unsigned int n, id, races = 0, bad = 0;
	struct guest g;

	for (n = 0; n < RACE_GUESTS; n++) {
		if (guest_open(&g)) {
			tap_ok(false, "open a guest: %s", strerror(errno));
			return;
		}
		for (id = 1; id < LGUEST_MAX_VCPUS; id++, races++)
			bad += create_race_once(g.fd, id) != 1;
		guest_destroy(&g);
	}
	tap_ok(!bad,
	       "two threads CREATE_VCPU the same CPU at once: one gets a file, the other EEXIST (%u races, %u wrong)",
	       races, bad);
}

static void test_create(void)
{
	struct lguest_run run = { 0 };
	struct lguest_irq irq = { .line = 4, .level = 1 };
	char path[64], link[64] = "";
	struct lguest_regs r;
	int fd1, fd7, flags;
	struct guest g;

	if (!guest_new(&g, GUEST_CODE_OF(v_halt)))
		return;
	TAP_ERRNO(ioctl(g.fd, LHREQ_CREATE_VCPU, 0), EINVAL,
		  "CREATE_VCPU 0 (CPU 0 comes with the guest): EINVAL");
	TAP_ERRNO(ioctl(g.fd, LHREQ_CREATE_VCPU, LGUEST_MAX_VCPUS), EINVAL,
		  "CREATE_VCPU %d (LGUEST_MAX_VCPUS): EINVAL", LGUEST_MAX_VCPUS);
	TAP_ERRNO(ioctl(g.fd, LHREQ_CREATE_VCPU, -1L), EINVAL,
		  "CREATE_VCPU -1: EINVAL");
	fd1 = ioctl(g.fd, LHREQ_CREATE_VCPU, 1);
	if (!TAP_OK_CALL(fd1, "CREATE_VCPU 1 gives a file descriptor"))
		goto out;
	flags = fcntl(fd1, F_GETFD);
	tap_ok(flags >= 0 && (flags & FD_CLOEXEC),
	       "a vCPU's file is close-on-exec");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd1);
	if (readlink(path, link, sizeof(link) - 1) < 0)
		link[0] = '\0';
	tap_ok(!strcmp(link, "anon_inode:lguest-vcpu:1"),
	       "and says which CPU it is (%s)", link);
	TAP_ERRNO(ioctl(g.fd, LHREQ_CREATE_VCPU, 1), EEXIST,
		  "CREATE_VCPU 1 again: EEXIST");
	fd7 = ioctl(g.fd, LHREQ_CREATE_VCPU, LGUEST_MAX_VCPUS - 1);
	TAP_OK_CALL(fd7, "CREATE_VCPU %d, the last there is",
		    LGUEST_MAX_VCPUS - 1);
	TAP_ERRNO(ioctl(fd1, LHREQ_RUN, &run), EINVAL,
		  "RUN on a new CPU before SETREGS: EINVAL");
	TAP_OK_CALL(ioctl(fd1, LHREQ_GETREGS, &r), "GETREGS on a new CPU");
	tap_ok(r.rip == 0xfff0 && r.cs.selector == 0xf000 && r.cr0 == 0x10,
	       "a new CPU is a CPU out of reset (rip %#llx cs %#x cr0 %#llx)",
	       (unsigned long long)r.rip, r.cs.selector,
	       (unsigned long long)r.cr0);
	TAP_ERRNO(ioctl(fd1, LHREQ_CREATE_VCPU, 2), ENOTTY,
		  "CREATE_VCPU on a vCPU's file: ENOTTY");
	TAP_ERRNO(ioctl(fd1, LHREQ_IRQ, &irq), ENOTTY,
		  "LHREQ_IRQ on a vCPU's file: ENOTTY (the guest's file raises lines)");
	TAP_ERRNO(ioctl(fd1, LHREQ_INITIALIZE, &run), ENOTTY,
		  "INITIALIZE on a vCPU's file: ENOTTY");
	if (fd7 >= 0)
		close(fd7);
	close(fd1);
	TAP_ERRNO(ioctl(g.fd, LHREQ_CREATE_VCPU, 1), EEXIST,
		  "a closed vCPU's id stays taken: EEXIST");
	create_race();
	if (guest_run_expect(&g, &run, LGUEST_EXIT_HALT, "CPU 0 after its siblings' files closed"))
		tap_ok(true, "CPU 0 runs on the guest's file as before");
out:
	guest_destroy(&g);
}

/* ---- running at once ------------------------------------------------------ */

#define XADD_ROUNDS	200000

static void test_xadd(void)
{
	struct lguest_stats st0, st1, all;
	struct vcpu_run v0 = { 0 }, v1 = { 0 };
	unsigned long npf;
	bool ok0, ok1;
	struct guest g;
	int fd1;

	vcpu_run_catch_usr1();
	if (!guest_new(&g, GUEST_CODE_OF(v_xadd)) || !vcpu0_regs(&g))
		return;
	guest_write32(&g, ROUNDS, XADD_ROUNDS);
	fd1 = vcpu_new(&g, 1, GUEST_CODE_OF(v_xadd));
	if (fd1 < 0)
		goto out;
	if (!vcpu_run_start(&v0, g.fd))
		goto out_close;
	if (!vcpu_run_start(&v1, fd1)) {
		vcpu_run_stop(&v0);
		goto out_close;
	}
	ok0 = vcpu_run_wait(&v0, 60);
	ok1 = vcpu_run_wait(&v1, 60);
	if (!ok0 || !ok1) {
		tap_diag("CPU 0 %s, CPU 1 %s after 60 s (here: %u %u)",
			 ok0 ? "done" : "still in RUN", ok1 ? "done" : "still in RUN",
			 guest_read32(&g, HERE(0)), guest_read32(&g, HERE(1)));
		vcpu_run_stop(&v0);
		vcpu_run_stop(&v1);
	}
	tap_ok(ok0 && ok1 && vcpu_run_exit_is_out(&v0, 0) && vcpu_run_exit_is_out(&v1, 1),
	       "two CPUs run at the same time, each in its own thread (each waited to see the other running)");
	if (!vcpu_run_exit_is_out(&v0, 0))
		vcpu_run_diag("CPU 0", &v0);
	if (!vcpu_run_exit_is_out(&v1, 1))
		vcpu_run_diag("CPU 1", &v1);
	tap_ok(guest_read32(&g, SUM) == 2 * XADD_ROUNDS,
	       "both lock xadd a shared counter %d times: it reads %u",
	       XADD_ROUNDS, guest_read32(&g, SUM));
	if (stats_of(g.fd, &all) && stats_of(fd1, &st1)) {
		/* The guest's file counts for everyone: CPU 0 is the rest. */
		st0 = all;
		for (int i = 0; i < LGUEST_STAT_MAX; i++)
			st0.count[i] -= st1.count[i];
		npf = all.count[LGUEST_STAT_EXIT_NPF];
		tap_diag("nested page faults: CPU 0 %llu, CPU 1 %llu",
			 (unsigned long long)st0.count[LGUEST_STAT_EXIT_NPF],
			 (unsigned long long)st1.count[LGUEST_STAT_EXIT_NPF]);
		tap_ok(st0.count[LGUEST_STAT_EXIT_NPF] >= 1 &&
		       st1.count[LGUEST_STAT_EXIT_NPF] >= 1 &&
		       npf >= (TOUCH_TO - TOUCH_FROM) / 4096,
		       "both CPUs faulted in the same fresh pages at once, and neither was killed for it (%lu faults for %lu pages)",
		       npf, (TOUCH_TO - TOUCH_FROM) / 4096);
	} else {
		tap_ok(false, "GETSTATS: %s", strerror(errno));
	}
out_close:
	close(fd1);
out:
	guest_destroy(&g);
}

/* ---- each CPU its own ----------------------------------------------------- */

static void test_regs(void)
{
	struct lguest_regs r0, r1;
	struct lguest_stats st0, st1, all;
	struct lguest_run run = { 0 };
	struct guest g;
	int64_t out0;
	int fd1;

	if (!guest_new(&g, GUEST_CODE_OF(v_regs)))
		return;
	g.regs.rbx = 0x2222;
	if (!vcpu0_regs(&g))
		goto out;
	g.regs.rbx = 0x1111;
	fd1 = vcpu_new(&g, 1, GUEST_CODE_OF(v_regs));
	if (fd1 < 0)
		goto out;
	if (ioctl(g.fd, LHREQ_GETREGS, &r0) || ioctl(fd1, LHREQ_GETREGS, &r1)) {
		tap_ok(false, "GETREGS: %s", strerror(errno));
		goto out_close;
	}
	tap_ok(r0.rbx == 0x2222 && r0.rip == VCPU_CODE(0) &&
	       r1.rbx == 0x1111 && r1.rip == VCPU_CODE(1) &&
	       r1.rsp == VCPU_STACK(1) && r1.rdi == 1,
	       "GETREGS on each CPU's file gives that CPU's SETREGS (rbx %#llx %#llx, rip %#llx %#llx)",
	       (unsigned long long)r0.rbx, (unsigned long long)r1.rbx,
	       (unsigned long long)r0.rip, (unsigned long long)r1.rip);
	if (ioctl(fd1, LHREQ_RUN, &run) == 0 && run.exit_reason == LGUEST_EXIT_IO &&
	    run.io.data == 0x1111)
		tap_ok(true, "CPU 1 runs with its own registers (OUT %#x)",
		       run.io.data);
	else
		tap_ok(false, "CPU 1 runs with its own registers (exit %s, %#x)",
		       guest_exit_name(run.exit_reason), run.io.data);
	if (ioctl(fd1, LHREQ_RUN, &run) || run.exit_reason != LGUEST_EXIT_HALT)
		tap_ok(false, "CPU 1 halts");
	if (ioctl(g.fd, LHREQ_GETREGS, &r0) == 0)
		tap_ok(r0.rip == VCPU_CODE(0),
		       "running CPU 1 leaves CPU 0 where it was (rip %#llx)",
		       (unsigned long long)r0.rip);
	out0 = guest_run_out(&g, "CPU 0");
	tap_ok(out0 == 0x2222, "CPU 0 runs with its own registers (OUT %#llx)",
	       (long long)out0);
	if (ioctl(fd1, LHREQ_GETREGS, &r1) == 0)
		tap_ok(r1.rip == VCPU_CODE(1) + (v_regs_end - v_regs_start) &&
		       r1.rax == 0x1111,
		       "and CPU 1's registers are still its own (rip %#llx past its hlt)",
		       (unsigned long long)r1.rip);

	/* Counters: one CPU's on its file, everyone's on the guest's. */
	if (!stats_of(fd1, &st1) || !stats_of(g.fd, &all)) {
		tap_ok(false, "GETSTATS: %s", strerror(errno));
		goto out_close;
	}
	st0 = all;
	for (int i = 0; i < LGUEST_STAT_MAX; i++)
		st0.count[i] -= st1.count[i];
	tap_ok(st1.count[LGUEST_STAT_RUNS] == 2 &&
	       st1.count[LGUEST_STAT_EXIT_IO_USER] == 1 &&
	       st1.count[LGUEST_STAT_EXIT_HLT] == 1,
	       "GETSTATS on CPU 1's file counts CPU 1's 2 RUNs, 1 OUT, 1 HLT (%llu %llu %llu)",
	       (unsigned long long)st1.count[LGUEST_STAT_RUNS],
	       (unsigned long long)st1.count[LGUEST_STAT_EXIT_IO_USER],
	       (unsigned long long)st1.count[LGUEST_STAT_EXIT_HLT]);
	tap_ok(st0.count[LGUEST_STAT_RUNS] == 1 &&
	       st0.count[LGUEST_STAT_EXIT_IO_USER] == 1 &&
	       st0.count[LGUEST_STAT_EXIT_HLT] == 0,
	       "GETSTATS on the guest's file adds CPU 0's 1 RUN and 1 OUT to them (%llu %llu %llu)",
	       (unsigned long long)st0.count[LGUEST_STAT_RUNS],
	       (unsigned long long)st0.count[LGUEST_STAT_EXIT_IO_USER],
	       (unsigned long long)st0.count[LGUEST_STAT_EXIT_HLT]);
out_close:
	close(fd1);
out:
	guest_destroy(&g);
}

/*
 * Both CPUs idle in HLT with interrupts on.  An interrupt line reaches
 * CPU 0 only (until CPUs have local APICs): it wakes, CPU 1 sleeps on,
 * until a signal to its own thread.
 */
static void test_halt(void)
{
	struct lguest_irq irq = { .line = 5, .level = LGUEST_IRQ_PULSE };
	struct vcpu_run v0 = { 0 }, v1 = { 0 };
	struct lguest_stats st1;
	struct guest g;
	double end;
	int fd1;

	vcpu_run_catch_usr1();
	if (!guest_new(&g, GUEST_CODE_OF(v_irq5)))
		return;
	fd1 = vcpu_new(&g, 1, GUEST_CODE_OF(v_idle));
	if (fd1 < 0)
		goto out;
	if (!vcpu_run_start(&v0, g.fd))
		goto out_close;
	if (!vcpu_run_start(&v1, fd1))
		goto out_stop;
	/* Both asleep: CPU 0 with its PIC ready, CPU 1 counted a halt. */
	end = guest_now() + 30;
	while (guest_now() < end &&
	       (!guest_read32(&g, GUEST_DATA + 24) || !stats_of(fd1, &st1) ||
		!st1.count[LGUEST_STAT_HALTS]))
		usleep(10000);
	usleep(200000);
	tap_ok(!vcpu_run_done(&v0) && !vcpu_run_done(&v1) &&
	       st1.count[LGUEST_STAT_HALTS] == 1,
	       "two CPUs sleep in HLT at once, each in its own RUN (CPU 1's halts: %llu)",
	       (unsigned long long)st1.count[LGUEST_STAT_HALTS]);
	ioctl(g.fd, LHREQ_IRQ, &irq);
	if (vcpu_run_wait(&v0, 20) && vcpu_run_exit_is_out(&v0, 'I'))
		tap_ok(true, "an interrupt wakes CPU 0, which takes it");
	else
		tap_ok(false, "an interrupt wakes CPU 0, which takes it");
	usleep(300000);
	stats_of(fd1, &st1);
	tap_ok(!vcpu_run_done(&v1) && st1.count[LGUEST_STAT_HALTS] == 1 &&
	       st1.count[LGUEST_STAT_EXIT_HLT] == 1,
	       "CPU 1 sleeps on: the PIC is CPU 0's (halts %llu, HLT exits %llu)",
	       (unsigned long long)st1.count[LGUEST_STAT_HALTS],
	       (unsigned long long)st1.count[LGUEST_STAT_EXIT_HLT]);
	vcpu_run_stop(&v1);
	tap_ok(v1.ret == -1 && v1.err == EINTR,
	       "a signal to CPU 1's thread wakes CPU 1 alone: its RUN returns EINTR");
	goto out_close;
out_stop:
	vcpu_run_stop(&v0);
out_close:
	close(fd1);
out:
	guest_destroy(&g);
}

/* ---- the guest lives and dies as one -------------------------------------- */

/*
 * CPU 0 sleeps in HLT, CPU 2 spins in the guest, CPU 1 is killed: all
 * three RUNs end with the kill, and its reason names CPU 1.
 */
static void test_kill(void)
{
	struct vcpu_run v0 = { .joined = true }, v1 = { 0 }, v2 = { .joined = true };
	struct lguest_run run = { 0 };
	struct lguest_stats st2;
	struct guest g;
	int fd1, fd2;
	bool ok0, ok2;
	double end;

	vcpu_run_catch_usr1();
	if (!guest_new(&g, GUEST_CODE_OF(v_idle)))
		return;
	fd2 = vcpu_new(&g, 2, GUEST_CODE_OF(v_spin));
	fd1 = vcpu_new(&g, 1, GUEST_CODE_OF(v_badmmio));
	if (fd1 < 0 || fd2 < 0)
		goto out;
	if (!vcpu_run_start(&v0, g.fd) || !vcpu_run_start(&v2, fd2))
		goto out;
	/* CPU 0 asleep in HLT, CPU 2 in the guest. */
	end = guest_now() + 30;
	while (guest_now() < end && (!stats_of(fd2, &st2) ||
				     !st2.count[LGUEST_STAT_EXITS]))
		usleep(10000);
	usleep(200000);
	if (!vcpu_run_start(&v1, fd1))
		goto out_stop;
	if (!vcpu_run_wait(&v1, 30)) {
		tap_ok(false, "CPU 1 is killed");
		goto out_stop;
	}
	v1.run.reason[sizeof(v1.run.reason) - 1] = '\0';
	tap_diag("kill reason: %s", v1.run.reason);
	tap_ok(v1.ret == 0 && v1.run.exit_reason == LGUEST_EXIT_KILLED &&
	       !strncmp(v1.run.reason, "cpu 1: ", 7) &&
	       strstr(v1.run.reason, "decode"),
	       "an undecodable MMIO instruction on CPU 1 kills the guest, and the reason starts with \"cpu 1: \"");
	ok0 = vcpu_run_wait(&v0, 10);
	ok2 = vcpu_run_wait(&v2, 10);
	v0.run.reason[sizeof(v0.run.reason) - 1] = '\0';
	v2.run.reason[sizeof(v2.run.reason) - 1] = '\0';
	tap_ok(ok0 && v0.ret == 0 && v0.run.exit_reason == LGUEST_EXIT_KILLED &&
	       !strcmp(v0.run.reason, v1.run.reason),
	       "CPU 0, asleep in HLT, is woken: its RUN returns the kill, with CPU 1's reason");
	if (!ok0 || v0.run.exit_reason != LGUEST_EXIT_KILLED)
		vcpu_run_diag("CPU 0", &v0);
	tap_ok(ok2 && v2.ret == 0 && v2.run.exit_reason == LGUEST_EXIT_KILLED &&
	       !strcmp(v2.run.reason, v1.run.reason),
	       "CPU 2, running the guest, is kicked out: its RUN returns the kill too");
	if (!ok2 || v2.run.exit_reason != LGUEST_EXIT_KILLED)
		vcpu_run_diag("CPU 2", &v2);
	if (!ok0 || !ok2)
		goto out_stop;
	run.reason[0] = '\0';
	tap_ok(ioctl(g.fd, LHREQ_RUN, &run) == 0 &&
	       run.exit_reason == LGUEST_EXIT_KILLED &&
	       !strcmp(run.reason, v1.run.reason),
	       "the guest stays dead: RUN on CPU 0 again gives CPU 1's reason");
	goto out;
out_stop:
	vcpu_run_stop(&v0);
	vcpu_run_stop(&v2);
out:
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	guest_destroy(&g);
}

/*
 * CPU 0 sleeps in HLT; CPU 1 triple-faults: both RUNs return the reset,
 * and each CPU needs SETREGS before it runs again.
 */
static void test_reset(void)
{
	struct vcpu_run v0 = { 0 };
	struct lguest_run run = { 0 };
	struct lguest_regs r;
	struct guest g;
	int fd1, ret;

	vcpu_run_catch_usr1();
	if (!guest_new(&g, GUEST_CODE_OF(v_idle)))
		return;
	r = g.regs;
	g.regs.idt.base = 0;
	g.regs.idt.limit = 0;
	fd1 = vcpu_new(&g, 1, GUEST_CODE_OF(v_int3));
	g.regs = r;
	if (fd1 < 0)
		goto out;
	if (!vcpu_run_start(&v0, g.fd))
		goto out_close;
	usleep(300000);
	memset(&run, 0, sizeof(run));
	if (ioctl(fd1, LHREQ_RUN, &run) || run.exit_reason != LGUEST_EXIT_RESET) {
		tap_ok(false, "CPU 1's triple fault: exit %s",
		       guest_exit_name(run.exit_reason));
		vcpu_run_stop(&v0);
		goto out_close;
	}
	run.reason[sizeof(run.reason) - 1] = '\0';
	tap_diag("CPU 1: %s", run.reason);
	tap_ok(!strncmp(run.reason, "triple fault: rip ", 18),
	       "an int3 with no IDT on CPU 1: CPU 1's RUN returns LGUEST_EXIT_RESET, saying where");
	if (!vcpu_run_wait(&v0, 10)) {
		tap_ok(false, "CPU 0, asleep in HLT, returns the reset too");
		vcpu_run_stop(&v0);
		vcpu_run_diag("CPU 0", &v0);
		goto out_close;
	}
	v0.run.reason[sizeof(v0.run.reason) - 1] = '\0';
	tap_diag("CPU 0: %s", v0.run.reason);
	tap_ok(v0.ret == 0 && v0.run.exit_reason == LGUEST_EXIT_RESET &&
	       !strncmp(v0.run.reason, "cpu 1: triple fault: rip ", 25),
	       "CPU 0, asleep in HLT, returns LGUEST_EXIT_RESET too, with \"cpu 1: \" and CPU 1's reason");
	TAP_ERRNO(ioctl(g.fd, LHREQ_RUN, &run), EINVAL,
		  "after the reset CPU 0 needs SETREGS: RUN gives EINVAL");
	TAP_ERRNO(ioctl(fd1, LHREQ_RUN, &run), EINVAL,
		  "and so does CPU 1");
	load_code(&g, VCPU_CODE(1), GUEST_CODE_OF(v_halt));
	r = g.regs;
	r.rip = VCPU_CODE(1);
	if (ioctl(g.fd, LHREQ_SETREGS, &g.regs) || ioctl(fd1, LHREQ_SETREGS, &r)) {
		tap_ok(false, "SETREGS after the reset: %s", strerror(errno));
		goto out_close;
	}
	memset(&run, 0, sizeof(run));
	ret = ioctl(fd1, LHREQ_RUN, &run);
	tap_ok(ret == 0 && run.exit_reason == LGUEST_EXIT_HALT,
	       "after SETREGS CPU 1 runs again, with no second reset (exit %s)",
	       guest_exit_name(run.exit_reason));
	load_code(&g, VCPU_CODE(0), GUEST_CODE_OF(v_halt));
	memset(&run, 0, sizeof(run));
	ret = ioctl(g.fd, LHREQ_RUN, &run);
	tap_ok(ret == 0 && run.exit_reason == LGUEST_EXIT_HALT,
	       "and so does CPU 0 (exit %s)", guest_exit_name(run.exit_reason));
out_close:
	close(fd1);
out:
	guest_destroy(&g);
}

/* ---- lifetime and ownership ----------------------------------------------- */

/*
 * The guest's file is closed while CPU 1 runs in another thread: CPU 1
 * goes on (faulting in fresh pages, so using the guest's memory and
 * nested page table) and the guest goes with CPU 1's file.
 */
static void test_close_guest(void)
{
	struct vcpu_run v1 = { 0 };
	long pinned_before, pinned_after;
	struct guest g;
	int fd1;

	vcpu_run_catch_usr1();
	pinned_before = pinned_now();
	if (!guest_new(&g, GUEST_CODE_OF(v_halt)))
		return;
	fd1 = vcpu_new(&g, 1, GUEST_CODE_OF(v_wait_go));
	if (fd1 < 0) {
		guest_destroy(&g);
		return;
	}
	if (!vcpu_run_start(&v1, fd1))
		goto out;
	usleep(300000);
	close(g.fd);
	g.fd = -1;
	usleep(100000);
	guest_write32(&g, GO, 1);
	if (!vcpu_run_wait(&v1, 30)) {
		tap_ok(false, "CPU 1 goes on after the guest's file is closed (still in RUN after 30 s)");
		vcpu_run_stop(&v1);
		goto out;
	}
	tap_ok(vcpu_run_exit_is_out(&v1, 'C'),
	       "the guest's file closed while CPU 1 runs: CPU 1 goes on, faulting in memory, to its OUT");
	if (!vcpu_run_exit_is_out(&v1, 'C'))
		vcpu_run_diag("CPU 1", &v1);
	memset(&v1.run, 0, sizeof(v1.run));
	v1.ret = ioctl(fd1, LHREQ_RUN, &v1.run);
	tap_ok(v1.ret == 0 && v1.run.exit_reason == LGUEST_EXIT_HALT,
	       "and RUN on its file still works (exit %s)",
	       guest_exit_name(v1.run.exit_reason));
out:
	close(fd1);
	pinned_after = pinned_now();
	tap_ok(pinned_after == pinned_before,
	       "closing CPU 1's file, the last, frees the guest: no page stays pinned (%ld before, %ld after)",
	       pinned_before, pinned_after);
	munmap(g.mem, GUEST_MEM);
}

/*
 * A vCPU's file in a child after fork(): every ioctl fails with EIO, as
 * on the guest's file (H:035).  Bit n of the child's status: check n
 * did not.
 */
static void test_owner(void)
{
	struct lguest_run run = { 0 };
	struct lguest_stats st;
	struct lguest_regs r;
	struct guest g;
	int status, fd1;
	pid_t pid;

	if (!guest_new(&g, GUEST_CODE_OF(v_halt)))
		return;
	fd1 = vcpu_new(&g, 1, GUEST_CODE_OF(v_regs));
	if (fd1 < 0)
		goto out;
	pid = fork();
	if (pid == 0) {
		int bad = 0;

		if (ioctl(fd1, LHREQ_RUN, &run) != -1 || errno != EIO)
			bad |= 1;
		if (ioctl(fd1, LHREQ_GETREGS, &r) != -1 || errno != EIO)
			bad |= 2;
		if (ioctl(fd1, LHREQ_SETREGS, &g.regs) != -1 || errno != EIO)
			bad |= 4;
		if (ioctl(fd1, LHREQ_GETSTATS, &st) != -1 || errno != EIO)
			bad |= 8;
		if (ioctl(g.fd, LHREQ_CREATE_VCPU, 2) != -1 || errno != EIO)
			bad |= 16;
		_exit(bad);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		tap_ok(false, "fork a child holding a vCPU's fd");
		goto out_close;
	}
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "in a child after fork(), RUN, GETREGS, SETREGS and GETSTATS on a vCPU's fd and CREATE_VCPU fail with EIO (failed checks: %#x)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 0xff);
	status = ioctl(fd1, LHREQ_RUN, &run);
	tap_ok(status == 0 &&
	       run.exit_reason == LGUEST_EXIT_IO && run.io.data == g.regs.rbx,
	       "the creator still runs CPU 1 (exit %s)",
	       guest_exit_name(run.exit_reason));
out_close:
	close(fd1);
out:
	guest_destroy(&g);
}

int main(int argc, char **argv)
{
	static const struct tap_named_group groups[] = {
		{ "create", test_create, 60 },
		{ "xadd", test_xadd, 150 },
		{ "regs", test_regs, 60 },
		{ "halt", test_halt, 90 },
		{ "kill", test_kill, 90 },
		{ "reset", test_reset, 60 },
		{ "close", test_close_guest, 60 },
		{ "owner", test_owner, 60 },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_init();
	tap_run_groups(groups, sizeof(groups) / sizeof(groups[0]), argc, argv);
	return tap_finish();
}
