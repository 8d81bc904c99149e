// SPDX-License-Identifier: GPL-2.0
/*
 * memlock-run: run a program with a locked-memory limit that applies.
 *
 *	memlock-run KIB PROG [ARGS...]
 *
 * Sets RLIMIT_MEMLOCK to KIB KiB (as ulimit -l would) and runs PROG
 * without CAP_IPC_LOCK, which would go past the limit.  The test VM runs
 * everything as root, and root gets its capabilities back at exec, so
 * the capability leaves the bounding set, which exec cannot add back.
 * busybox's setpriv cannot do that.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rlimit lim;
	unsigned long kib;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: memlock-run KIB PROG [ARGS...]\n");
		return 2;
	}
	errno = 0;
	kib = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end) {
		fprintf(stderr, "memlock-run: bad limit '%s'\n", argv[1]);
		return 2;
	}
	lim.rlim_cur = kib << 10;
	lim.rlim_max = kib << 10;
	if (setrlimit(RLIMIT_MEMLOCK, &lim)) {
		fprintf(stderr, "memlock-run: setrlimit: %s\n", strerror(errno));
		return 2;
	}
	if (prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0)) {
		fprintf(stderr, "memlock-run: dropping CAP_IPC_LOCK: %s\n",
			strerror(errno));
		return 2;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "memlock-run: %s: %s\n", argv[2], strerror(errno));
	return 2;
}
