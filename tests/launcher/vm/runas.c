// SPDX-License-Identifier: GPL-2.0
/*
 * runas: run a program as a user who is not root, in the test VM (which
 * has no login, su or setpriv --reuid).
 *
 *	runas UID GIDS KIB PROG [ARGS...]
 *
 * GIDS is the primary group, then any supplementary ones, comma-separated
 * ("1000" or "1000,990"); KIB is the locked-memory limit to give (as an
 * administrator's limits.conf would), set while still root.  setuid() to
 * a non-zero uid clears every capability, so PROG runs as an ordinary
 * user does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static unsigned long number(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || (*end && *end != ',')) {
		fprintf(stderr, "runas: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	gid_t gids[16];
	size_t ngids = 0;
	struct rlimit lim;
	uid_t uid;

	if (argc < 5) {
		fprintf(stderr, "usage: runas UID GIDS KIB PROG [ARGS...]\n");
		return 2;
	}
	uid = number(argv[1], "uid");
	for (const char *p = argv[2]; p && ngids < 16; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		gids[ngids++] = number(p, "gid");
	}
	lim.rlim_cur = lim.rlim_max = number(argv[3], "limit") << 10;
	if (!uid || setrlimit(RLIMIT_MEMLOCK, &lim) ||
	    setgroups(ngids - 1, gids + 1) || setgid(gids[0]) || setuid(uid)) {
		fprintf(stderr, "runas: becoming uid %lu: %s\n",
			(unsigned long)uid, uid ? strerror(errno) : "not root");
		return 2;
	}
	execvp(argv[4], argv + 4);
	fprintf(stderr, "runas: %s: %s\n", argv[4], strerror(errno));
	return 2;
}
