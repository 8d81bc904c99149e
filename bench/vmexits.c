// SPDX-License-Identifier: GPL-2.0
/*
 * vmexits: a running launcher's guest exit counters, right now.
 *
 *	vmexits PID
 *
 * The network benchmark wants the exits of one measurement, not of the
 * guest's whole life (its boot alone exits more than a short transfer),
 * so it reads the counters before and after and takes the difference.
 * For KVM we read its debugfs statistics of the launcher's VM
 * (/sys/kernel/debug/kvm/PID-FD/exits).  For lg.ko we borrow the
 * launcher's /dev/lguest file with pidfd_getfd() and ask LHREQ_GETSTATS;
 * but lg.ko answers its ioctls only to the guest's own process (EIO
 * here), so bench-net reads lg.ko's counters from the launcher itself,
 * which prints them at kill -USR1, and this says so.
 *
 * Prints one line, "lguest NAME=VALUE..." with every lg.ko counter
 * (exits first), or "kvm exits=N ... irqs=N" (irqs: interrupts injected,
 * lg.ko's name for it); either ends with "user=N", the exits
 * that went out to the launcher (lg.ko's io-user + mmio-user; KVM's
 * mmio_exits, which it counts only when it returns to user space): the
 * part of the cost a backend that binds notifications in the kernel
 * should remove.  KVM's io_exits cannot be part of it: SVM counts every
 * port I/O exit there, the in-kernel PIC's too, and those are most of
 * them; so KVM's "user" leaves out the launcher's own ports (the UART),
 * which a network transfer hardly touches.  Status 1 with a message on
 * stderr if PID runs neither.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lguest/lguest_stats.h"

/* The launcher's /dev/lguest file, borrowed; -1 if it has none. */
static int borrow_lguest_fd(int pid)
{
	char dir[64], path[320], target[64];
	struct dirent *e;
	int pidfd, fd = -1;
	DIR *d;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	while (d && fd < 0 && (e = readdir(d))) {
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
	close(pidfd);
	return fd;
}

static int print_lguest(int fd)
{
	struct lguest_stats stats;
	unsigned int i;
	int ret = ioctl(fd, LHREQ_GETSTATS, &stats), err = errno;

	close(fd);
	errno = err;
	if (ret < 0 && errno == EIO) {
		fprintf(stderr, "vmexits: lg.ko answers only the guest's own process; kill -USR1 the launcher, which prints its counters\n");
		return 1;
	}
	if (ret < 0) {
		perror("vmexits: LHREQ_GETSTATS");
		return 1;
	}
	printf("lguest");
	for (i = 0; i < LGUEST_STAT_NAMES; i++)
		printf(" %s=%llu", lguest_stat_names[i],
		       (unsigned long long)stats.count[i]);
	printf(" user=%llu\n", (unsigned long long)
	       (stats.count[LGUEST_STAT_EXIT_IO_USER] +
		stats.count[LGUEST_STAT_EXIT_MMIO_USER]));
	return 0;
}

/* One of KVM's VM-wide counters in the VM's debugfs folder DIR. */
static bool read_kvm_stat(const char *dir, const char *name,
			  unsigned long long *value)
{
	char path[512];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fscanf(f, "%llu", value) == 1;
	fclose(f);
	return ok;
}

/* KVM's VM-wide counters (sums over its vCPUs) in debugfs. */
static const char *const kvm_reasons[] = {
	"halt_exits", "irq_exits", "irq_window_exits", "nmi_window_exits",
	"request_irq_exits", "signal_exits", "insn_emulation", "halt_wakeup",
};

static int print_kvm(int pid)
{
	const char *top = "/sys/kernel/debug/kvm";
	unsigned long long exits, io, mmio, irqs = 0;
	char prefix[32], dir[300];
	struct dirent *e;
	DIR *d = opendir(top);
	bool found = false;

	snprintf(prefix, sizeof(prefix), "%d-", pid);
	while (d && !found && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", top, e->d_name);
		found = true;
	}
	if (d)
		closedir(d);
	if (!found || !read_kvm_stat(dir, "exits", &exits) ||
	    !read_kvm_stat(dir, "io_exits", &io) ||
	    !read_kvm_stat(dir, "mmio_exits", &mmio)) {
		fprintf(stderr, "vmexits: process %d runs no lg.ko guest and no KVM VM in %s\n",
			pid, top);
		return 1;
	}
	/* Interrupts KVM injected (irq_injections), as lg.ko's "irqs". */
	read_kvm_stat(dir, "irq_injections", &irqs);
	printf("kvm exits=%llu io_exits=%llu mmio_exits=%llu irqs=%llu",
	       exits, io, mmio, irqs);
	/* The exits by reason that KVM counts, where this kernel has them. */
	for (unsigned int i = 0; i < sizeof(kvm_reasons) / sizeof(kvm_reasons[0]); i++) {
		unsigned long long value;

		if (read_kvm_stat(dir, kvm_reasons[i], &value))
			printf(" %s=%llu", kvm_reasons[i], value);
	}
	printf(" user=%llu\n", mmio);
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	long pid;
	int fd;

	if (argc != 2 || (pid = strtol(argv[1], &end, 10)) <= 0 || *end) {
		fprintf(stderr, "usage: vmexits PID\n");
		return 1;
	}
	fd = borrow_lguest_fd(pid);
	if (fd >= 0)
		return print_lguest(fd);
	return print_kvm(pid);
}
