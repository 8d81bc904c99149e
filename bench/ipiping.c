// SPDX-License-Identifier: GPL-2.0
/*
 * ipiping: the round trip between two processes pinned to two CPUs, in a
 * guest with several CPUs (bench/guest-ipi.sh runs it for bench-ipi).
 *
 *	ipiping [-m pipe|futex] [-t SECONDS] CPU_A CPU_B
 *
 * A parent pinned to CPU_A and a child pinned to CPU_B bounce a token:
 *   pipe   one byte over two pipes (write, then block in read);
 *   futex  a word in a shared page, each side blocking in FUTEX_WAIT
 *          until the word says it is its turn, and waking the other with
 *          FUTEX_WAKE.
 * Neither side spins: whoever waits sleeps in the kernel, so its CPU
 * goes idle (HLT in a guest without cpuidle), and every hop is a wakeup
 * of a task on an idle CPU, which takes an IPI (a reschedule or a
 * call-function one, by the guest's local APIC) and, in a VM, an exit on
 * the sender's side and an injected interrupt on the halted receiver's.
 * So the round trip prices the hypervisor's IPI path twice.  CPU_A ==
 * CPU_B gives the same work with no IPI (a context switch per hop), the
 * baseline that tells the IPI's share.
 *
 * After 100 round trips of warm-up, the parent times each round trip
 * (CLOCK_MONOTONIC) for SECONDS (default 1; a time rather than a count,
 * so that one setting fits a fast host and a nested TCG one alike) and
 * prints one line:
 *   ipiping: MODE cpus A B: N round trips in S s: MEAN us mean, P50 us
 *   median, P99 us p99
 * Exit status 0, or 2 (with a message) when something failed: a CPU that
 * is not online, a system call, a child that died.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 100
/* A cap on the samples kept, far above what a second of round trips gives. */
#define MAX_SAMPLES (1024 * 1024)

enum mode { PIPE, FUTEX };

/* The futex word's values: whose turn it is, or the end. */
enum { TURN_PARENT, TURN_CHILD, TURN_END };

static void fail(const char *what)
{
	fprintf(stderr, "ipiping: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("sched_setaffinity (is the CPU online?)");
	/* The mask takes effect before the call returns, but say so if not. */
	if (sched_getcpu() != cpu) {
		fprintf(stderr, "ipiping: pinned to cpu %d, running on %d\n",
			cpu, sched_getcpu());
		exit(2);
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Shared, not private: the two processes have separate mms. */
static long futex(unsigned int *word, int op, unsigned int val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* wait_turn: sleep until *word is no longer 'not' (the other side's turn). */
static unsigned int wait_turn(unsigned int *word, unsigned int not)
{
	unsigned int v;

	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) == not)
		if (futex(word, FUTEX_WAIT, not) && errno != EAGAIN &&
		    errno != EINTR)
			fail("FUTEX_WAIT");
	return v;
}

static void give_turn(unsigned int *word, unsigned int to)
{
	__atomic_store_n(word, to, __ATOMIC_RELEASE);
	if (futex(word, FUTEX_WAKE, 1) < 0)
		fail("FUTEX_WAKE");
}

struct link {
	enum mode mode;
	int to_child[2], to_parent[2];	/* pipe mode */
	unsigned int *turn;		/* futex mode */
};

/* The child's side: answer every token until the parent says stop. */
static void child(struct link *l, int cpu)
{
	char c;

	pin(cpu);
	if (l->mode == PIPE) {
		ssize_t n;

		close(l->to_child[1]);
		close(l->to_parent[0]);
		while ((n = read(l->to_child[0], &c, 1)) == 1)
			if (write(l->to_parent[1], &c, 1) != 1)
				fail("write");
		if (n < 0)
			fail("read");
		exit(0);
	}
	while (wait_turn(l->turn, TURN_PARENT) != TURN_END)
		give_turn(l->turn, TURN_PARENT);
	exit(0);
}

/* One round trip, from the parent's side. */
static void round_trip(struct link *l)
{
	char c = 'x';

	if (l->mode == PIPE) {
		if (write(l->to_child[1], &c, 1) != 1)
			fail("write");
		switch (read(l->to_parent[0], &c, 1)) {
		case 1:
			return;
		case 0:
			fprintf(stderr, "ipiping: the child ended early\n");
			exit(2);
		default:
			fail("read");
		}
		return;
	}
	give_turn(l->turn, TURN_CHILD);
	wait_turn(l->turn, TURN_CHILD);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: ipiping [-m pipe|futex] [-t SECONDS] CPU_A CPU_B\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct link l = { .mode = PIPE };
	double secs = 1, start, t, *samples;
	size_t n = 0, i;
	int cpu_a, cpu_b, opt, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "m:t:")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "pipe"))
				l.mode = PIPE;
			else if (!strcmp(optarg, "futex"))
				l.mode = FUTEX;
			else
				usage();
			break;
		case 't':
			secs = atof(optarg);
			if (secs <= 0 || secs > 600)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	cpu_a = atoi(argv[optind]);
	cpu_b = atoi(argv[optind + 1]);
	if (cpu_a < 0 || cpu_b < 0 || cpu_a >= CPU_SETSIZE || cpu_b >= CPU_SETSIZE)
		usage();

	samples = malloc(MAX_SAMPLES * sizeof(*samples));
	if (!samples)
		fail("malloc");
	if (l.mode == PIPE) {
		if (pipe(l.to_child) || pipe(l.to_parent))
			fail("pipe");
	} else {
		l.turn = mmap(NULL, sizeof(*l.turn), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (l.turn == MAP_FAILED)
			fail("mmap");
		*l.turn = TURN_PARENT;
	}
	/* A write to a pipe whose child died must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Both CPUs must be online before the child exists: a child that
	 * could not pin itself would leave us waiting on a futex for good.
	 */
	pin(cpu_b);
	pin(cpu_a);

	pid = fork();
	if (pid < 0)
		fail("fork");
	if (!pid)
		child(&l, cpu_b);
	pin(cpu_a);
	if (l.mode == PIPE) {
		close(l.to_child[0]);
		close(l.to_parent[1]);
	}

	for (i = 0; i < WARMUP; i++)
		round_trip(&l);
	start = now_us();
	t = start;
	while (t - start < secs * 1e6 && n < MAX_SAMPLES) {
		double before = t;

		round_trip(&l);
		t = now_us();
		samples[n++] = t - before;
	}

	/* The child ends at EOF or at TURN_END; reap it. */
	if (l.mode == PIPE)
		close(l.to_child[1]);
	else
		give_turn(l.turn, TURN_END);
	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "ipiping: the child on cpu %d failed (status 0x%x)\n",
			cpu_b, status);
		return 2;
	}

	qsort(samples, n, sizeof(*samples), cmp_double);
	printf("ipiping: %s cpus %d %d: %zu round trips in %.3f s: %.1f us mean, %.1f us median, %.1f us p99\n",
	       l.mode == PIPE ? "pipe" : "futex", cpu_a, cpu_b, n,
	       (t - start) / 1e6, (t - start) / n, samples[n / 2],
	       samples[n - 1 - n / 100]);
	free(samples);
	return 0;
}
