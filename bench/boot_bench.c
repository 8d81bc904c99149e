// SPDX-License-Identifier: GPL-2.0
/*
 * boot_bench: how long the launcher takes to boot a guest, and how often
 * an idle guest leaves the CPU, on lg.ko and on KVM, in one run.
 *
 *	boot_bench [--runs=N] [--idle=SECONDS] [--logdir=DIR] [--hv=HV]...
 *		-- LAUNCHER MEM KERNEL [ARGS...]
 *
 * Each round boots the guest once per --hv (default: lguest, then kvm),
 * alternating, so that whatever else the machine does is spread evenly.
 * A boot is timed from just before the launcher is started to the moment
 * the guest's "lguest-guest: ready" line arrives on the launcher's
 * stdout (CLOCK_MONOTONIC; busybox date has no sub-second clock).  The
 * guest must then reach its shell, which we leave with "exit"; init powers
 * off and the launcher must exit 0.
 *
 * In the first round the guest also sits idle in its shell for --idle
 * seconds, and we count its VM exits over that time.  The counters are
 * the hypervisors' own: for lg.ko we borrow the launcher's /dev/lguest
 * file with pidfd_getfd() and read LHREQ_GETSTATS "exits"; for KVM we
 * read its debugfs statistics of the launcher's VM ("exits").  The
 * launcher needs no change for that, and nothing is typed into the
 * guest's console while we measure.
 *
 * Output: one TAP line per boot and per idle measurement, then the
 * "bench:" table (medians, ratio lguest/kvm, idle exits/s).
 * Exit status 0 if every boot worked, 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/lguest.h>
#include "../lguest/lguest_stats.h"

#define MAX_HV 4
#define MAX_RUNS 32
#define MAX_COUNTERS 128
#define BOOT_TIMEOUT_S 180
#define READY_LINE "lguest-guest: ready"
#define SHELL_LINE "lguest-guest: starting a shell"
#define POWEROFF_LINE "lguest-guest: poweroff (status 0)"

/* A snapshot of a hypervisor's named exit counters. */
struct counters {
	unsigned int n;
	char name[MAX_COUNTERS][256];
	uint64_t value[MAX_COUNTERS];
};

/* One launcher process and what it has said so far. */
struct boot {
	pid_t pid;
	int in, out;		/* its stdin (we write), stdout+stderr (we read) */
	FILE *log;
	char line[4096];
	size_t len;
	bool ready, shell, poweroff, exited;
	int status;
	double start, ready_at;
};

struct idle_result {
	bool ok;
	double seconds, exits_per_s;
	uint64_t exits;
	char detail[512];
};

static int test_number;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void tap(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++test_number);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* --- running the launcher -------------------------------------------- */

static void boot_start(struct boot *b, char **argv, const char *logpath)
{
	int in[2], out[2];

	memset(b, 0, sizeof(*b));
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		perror("boot_bench: pipe");
		exit(1);
	}
	b->log = logpath ? fopen(logpath, "w") : NULL;
	b->start = now();
	b->pid = fork();
	if (b->pid < 0) {
		perror("boot_bench: fork");
		exit(1);
	}
	if (b->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execv(argv[0], argv);
		fprintf(stderr, "boot_bench: cannot run %s: %m\n", argv[0]);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	b->in = in[1];
	b->out = out[0];
}

static void boot_line(struct boot *b, double when)
{
	char *line = b->line;
	size_t len = b->len;

	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		line[--len] = '\0';
	if (b->log)
		fprintf(b->log, "%s\n", line);
	if (!b->ready && strncmp(line, READY_LINE, strlen(READY_LINE)) == 0) {
		b->ready = true;
		b->ready_at = when;
	}
	if (strncmp(line, SHELL_LINE, strlen(SHELL_LINE)) == 0)
		b->shell = true;
	if (strncmp(line, POWEROFF_LINE, strlen(POWEROFF_LINE)) == 0)
		b->poweroff = true;
}

/* Read what the launcher says until @until (a monotonic time). */
static void boot_pump(struct boot *b, double until)
{
	char buf[4096];
	double t;

	while (b->out >= 0 && (t = now()) < until) {
		struct pollfd pfd = { .fd = b->out, .events = POLLIN };
		int ms = (int)((until - t) * 1000) + 1;
		ssize_t n, i;

		if (poll(&pfd, 1, ms) <= 0)
			continue;
		n = read(b->out, buf, sizeof(buf));
		if (n <= 0) {
			close(b->out);
			b->out = -1;
			break;
		}
		t = now();
		for (i = 0; i < n; i++) {
			if (b->len < sizeof(b->line) - 1)
				b->line[b->len++] = buf[i];
			if (buf[i] == '\n') {
				b->line[b->len] = '\0';
				boot_line(b, t);
				b->len = 0;
			}
		}
	}
}

/* Pump until @flag is set or @until passes; true if it was set. */
static bool boot_wait_for(struct boot *b, const bool *flag, double until)
{
	while (!*flag && b->out >= 0 && now() < until)
		boot_pump(b, now() + 0.05 < until ? now() + 0.05 : until);
	return *flag;
}

static void boot_send(struct boot *b, const char *text)
{
	if (write(b->in, text, strlen(text)) < 0 && errno != EPIPE)
		perror("boot_bench: writing to the launcher");
}

/* Wait for the launcher to end by @until, killing it after that. */
static void boot_finish(struct boot *b, double until)
{
	pid_t r;

	for (;;) {
		r = waitpid(b->pid, &b->status, WNOHANG);
		if (r == b->pid)
			break;
		if (now() >= until) {
			kill(b->pid, SIGKILL);
			waitpid(b->pid, &b->status, 0);
			break;
		}
		if (b->out >= 0)
			boot_pump(b, now() + 0.1);
		else
			usleep(20000);
	}
	b->exited = WIFEXITED(b->status);
	while (b->out >= 0)
		boot_pump(b, now() + 1);
	close(b->in);
	if (b->log)
		fclose(b->log);
}

/* --- the hypervisors' exit counters ------------------------------------ */

static bool read_lguest_counters(int fd, struct counters *c)
{
	struct lguest_stats stats;
	unsigned int i;

	if (ioctl(fd, LHREQ_GETSTATS, &stats) < 0)
		return false;
	c->n = 0;
	for (i = 0; i < LGUEST_STAT_NAMES; i++) {
		snprintf(c->name[c->n], sizeof(c->name[0]), "%s", lguest_stat_names[i]);
		c->value[c->n++] = stats.count[i];
	}
	return true;
}

/*
 * KVM's statistics for one VM, from debugfs: /sys/kernel/debug/kvm/
 * <pid>-<fd>/ holds one file per counter, the vCPU ones summed over the
 * VM's vCPUs (we have one).  KVM's binary statistics fd would be nicer,
 * but KVM refuses vCPU ioctls from any process but the VM's owner (EIO),
 * so we cannot ask for it through a borrowed vCPU fd.
 */
static bool read_kvm_counters(const char *dir, struct counters *c)
{
	char path[512], text[64];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	c->n = 0;
	while ((e = readdir(d)) && c->n < MAX_COUNTERS) {
		unsigned long long v;
		char *end;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(text, sizeof(text), f)) {
			v = strtoull(text, &end, 10);
			if (end != text && (*end == '\n' || !*end)) {
				snprintf(c->name[c->n], sizeof(c->name[0]), "%s", e->d_name);
				c->value[c->n++] = v;
			}
		}
		fclose(f);
	}
	closedir(d);
	return c->n > 0;
}

/* The launcher's VM in KVM's debugfs: the folder named "<pid>-<vm fd>". */
static bool find_kvm_dir(pid_t pid, char *dir, size_t size)
{
	const char *top = "/sys/kernel/debug/kvm";
	char prefix[32];
	struct dirent *e;
	bool found = false;
	DIR *d = opendir(top);

	if (!d)
		return false;
	snprintf(prefix, sizeof(prefix), "%d-", pid);
	while (!found && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(dir, size, "%s/%s", top, e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/*
 * Borrow the launcher's /dev/lguest file (pidfd_getfd: the same open file,
 * so LHREQ_GETSTATS reads its guest's counters).  Returns the fd or -1.
 */
static int borrow_lguest_fd(pid_t pid)
{
	char dir[64], path[320], target[256];
	struct dirent *e;
	int pidfd, fd = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	d = opendir(dir);
	while (pidfd >= 0 && d && fd < 0 && (e = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "/dev/lguest") == 0)
			fd = syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
	}
	if (d)
		closedir(d);
	if (pidfd >= 0)
		close(pidfd);
	return fd;
}

/* The counters of the launcher's guest, whichever hypervisor runs it. */
struct counter_source {
	int lguest_fd;		/* or -1: KVM, through debugfs */
	char kvm_dir[300];
};

static bool open_counters(pid_t pid, struct counter_source *src)
{
	src->lguest_fd = borrow_lguest_fd(pid);
	return src->lguest_fd >= 0 ||
	       find_kvm_dir(pid, src->kvm_dir, sizeof(src->kvm_dir));
}

static bool read_counters(const struct counter_source *src, struct counters *c)
{
	return src->lguest_fd >= 0 ? read_lguest_counters(src->lguest_fd, c) :
	       read_kvm_counters(src->kvm_dir, c);
}

static uint64_t counter(const struct counters *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return c->value[i];
	return 0;
}

static bool is_time_counter(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && strcmp(name + n - 3, "_ns") == 0;
}

/*
 * "name=delta ..." for the counters that moved, largest first, at most 8
 * (KVM's halt times in ns are not events: left out).
 */
static void describe_deltas(const struct counters *a, const struct counters *b,
			    char *out, size_t size)
{
	bool used[MAX_COUNTERS] = { false };
	size_t off = 0;
	int k;

	out[0] = '\0';
	for (k = 0; k < 8; k++) {
		uint64_t best = 0;
		int best_i = -1;
		unsigned int i;

		for (i = 0; i < b->n; i++) {
			uint64_t d = b->value[i] - counter(a, b->name[i]);

			if (!used[i] && d > best && strcmp(b->name[i], "exits") != 0 &&
			    !is_time_counter(b->name[i])) {
				best = d;
				best_i = i;
			}
		}
		if (best_i < 0)
			break;
		used[best_i] = true;
		off += snprintf(out + off, size - off, "%s%s=%llu", off ? " " : "",
				b->name[best_i], (unsigned long long)best);
		if (off >= size)
			break;
	}
}

/* The guest sits in its shell; count its exits over @seconds. */
static void measure_idle(struct boot *b, double seconds, struct idle_result *r)
{
	struct counters before, after;
	struct counter_source src;
	double t0, t1;
	bool ok;

	memset(r, 0, sizeof(*r));
	if (!open_counters(b->pid, &src)) {
		snprintf(r->detail, sizeof(r->detail),
			 "neither a /dev/lguest fd in the launcher nor its VM in /sys/kernel/debug/kvm");
		return;
	}
	t0 = now();
	ok = read_counters(&src, &before);
	boot_pump(b, t0 + seconds);
	t1 = now();
	ok = ok && read_counters(&src, &after);
	if (src.lguest_fd >= 0)
		close(src.lguest_fd);
	if (!ok) {
		snprintf(r->detail, sizeof(r->detail), "reading the counters failed: %m");
		return;
	}
	r->seconds = t1 - t0;
	r->exits = counter(&after, "exits") - counter(&before, "exits");
	r->exits_per_s = r->exits / r->seconds;
	describe_deltas(&before, &after, r->detail, sizeof(r->detail));
	r->ok = r->exits > 0;
}

/* --- one boot, and the whole benchmark ---------------------------------- */

/*
 * Boot once; returns the time to "ready" in ms, or a negative number if
 * anything failed.  With @idle > 0, measure the idle guest too.
 */
static double boot_once(char **argv, const char *hv, int round,
			const char *logdir, double idle, struct idle_result *ir)
{
	char logpath[512];
	struct boot b;
	double deadline, ms;
	bool ok;
	int tries;

	snprintf(logpath, sizeof(logpath), "%s/%s-%d.out", logdir ? logdir : "",
		 hv, round);
	boot_start(&b, argv, logdir ? logpath : NULL);
	deadline = b.start + BOOT_TIMEOUT_S;
	boot_wait_for(&b, &b.ready, deadline);
	boot_wait_for(&b, &b.shell, deadline);
	/* Let the shell open the console and print its prompt. */
	boot_pump(&b, now() + 1);
	if (b.shell && idle > 0)
		measure_idle(&b, idle, ir);
	/* The UART empties its FIFO when the shell opens it: say it again if
	 * nothing happens.
	 */
	for (tries = 0; b.shell && !b.poweroff && tries < 5 && now() < deadline; tries++) {
		boot_send(&b, "exit\n");
		boot_wait_for(&b, &b.poweroff, now() + 5);
	}
	boot_finish(&b, deadline);
	ms = (b.ready_at - b.start) * 1000;
	ok = b.ready && b.poweroff && b.exited && WEXITSTATUS(b.status) == 0;
	tap(ok, "%s round %d: ready after %.0f ms; shell, exit, status %d%s",
	    hv, round, b.ready ? ms : -1.0,
	    b.exited ? WEXITSTATUS(b.status) : -1,
	    !b.ready ? " (never ready)" : !b.shell ? " (no shell)" :
	    !b.poweroff ? " (no poweroff)" : "");
	if (idle > 0) {
		tap(ir->ok, "%s: idle guest's exits counted: %llu in %.1f s",
		    hv, (unsigned long long)ir->exits, ir->seconds);
		printf("# %s idle exits by kind: %s\n", hv, ir->detail);
	}
	return ok ? ms : -1;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), compare_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(void)
{
	fprintf(stderr, "usage: boot_bench [--runs=N] [--idle=SECONDS] [--logdir=DIR] [--hv=HV]... -- LAUNCHER MEM KERNEL [ARGS...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *hvs[MAX_HV], *logdir = NULL;
	double ms[MAX_HV][MAX_RUNS], idle = 5;
	struct idle_result ir[MAX_HV];
	int nhv = 0, runs = 3, good[MAX_HV] = { 0 };
	int i, h, r, first, failed = 0;
	char *largv[256], hvarg[MAX_HV][32];

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--runs=", 7) == 0)
			runs = atoi(argv[i] + 7);
		else if (strncmp(argv[i], "--idle=", 7) == 0)
			idle = atof(argv[i] + 7);
		else if (strncmp(argv[i], "--logdir=", 9) == 0)
			logdir = argv[i] + 9;
		else if (strncmp(argv[i], "--hv=", 5) == 0 && nhv < MAX_HV)
			hvs[nhv++] = argv[i] + 5;
		else
			usage();
	}
	first = i + 1;
	if (first + 3 > argc || runs < 1 || runs > MAX_RUNS || argc - first > 250)
		usage();
	if (!nhv) {
		hvs[nhv++] = "lguest";
		hvs[nhv++] = "kvm";
	}
	signal(SIGPIPE, SIG_IGN);
	memset(ir, 0, sizeof(ir));

	/* LAUNCHER --hv=HV MEM KERNEL ARGS... */
	largv[0] = argv[first];
	for (i = first + 1; i < argc; i++)
		largv[i - first + 1] = argv[i];
	largv[argc - first + 1] = NULL;

	for (r = 1; r <= runs; r++) {
		for (h = 0; h < nhv; h++) {
			double t;

			snprintf(hvarg[h], sizeof(hvarg[h]), "--hv=%s", hvs[h]);
			largv[1] = hvarg[h];
			t = boot_once(largv, hvs[h], r, logdir, r == 1 ? idle : 0, &ir[h]);
			if (t < 0)
				failed++;
			else
				ms[h][good[h]++] = t;
		}
	}

	printf("bench: guest boot, launcher start to \"%s\" (median of %d), idle guest exits/s (%.0f s in its shell)\n",
	       READY_LINE, runs, idle);
	printf("bench: %-8s %12s %14s\n", "hv", "boot ms", "idle exits/s");
	for (h = 0; h < nhv; h++) {
		char boot[32] = "failed", exits[32] = "failed";

		if (good[h])
			snprintf(boot, sizeof(boot), "%.0f", median(ms[h], good[h]));
		if (ir[h].ok)
			snprintf(exits, sizeof(exits), "%.1f", ir[h].exits_per_s);
		printf("bench: %-8s %12s %14s\n", hvs[h], boot, exits);
	}
	if (nhv == 2 && good[0] && good[1]) {
		printf("bench: ratio %s/%s   %8.2f", hvs[0], hvs[1],
		       median(ms[0], good[0]) / median(ms[1], good[1]));
		if (ir[0].ok && ir[1].ok)
			printf(" %14.2f", ir[0].exits_per_s / ir[1].exits_per_s);
		printf("\n");
	}
	return failed ? 1 : 0;
}
