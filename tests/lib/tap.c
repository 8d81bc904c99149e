// SPDX-License-Identifier: GPL-2.0
/*
 * TAP output shared by parent and children: see tap.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

struct tap_counts {
	unsigned int run;
	unsigned int failed;
};

static struct tap_counts *tap_counts;

void tap_init(void)
{
	/* Line-buffered: the console must see each result as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_counts = mmap(NULL, sizeof(*tap_counts), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tap_counts == MAP_FAILED) {
		printf("Bail out! mmap for the test counter: %s\n",
		       strerror(errno));
		exit(1);
	}
}

static void tap_vresult(bool cond, const char *directive, const char *fmt,
			va_list ap)
{
	tap_counts->run++;
	if (!cond)
		tap_counts->failed++;
	printf("%sok %u - ", cond ? "" : "not ", tap_counts->run);
	vprintf(fmt, ap);
	printf("%s\n", directive);
	fflush(stdout);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(cond, "", fmt, ap);
	va_end(ap);
	return cond;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void tap_skip(const char *why, const char *fmt, ...)
{
	char directive[256];
	va_list ap;

	snprintf(directive, sizeof(directive), " # SKIP %s", why);
	va_start(ap, fmt);
	tap_vresult(true, directive, fmt, ap);
	va_end(ap);
}

bool tap_ok_call(long ret, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(ret >= 0, "", fmt, ap);
	va_end(ap);
	if (ret < 0)
		tap_diag("  failed: %s", strerror(saved_errno));
	errno = saved_errno;
	return ret >= 0;
}

bool tap_ok_errno(long ret, int err, const char *fmt, ...)
{
	int saved_errno = errno;
	bool good = ret == -1 && saved_errno == err;
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(good, "", fmt, ap);
	va_end(ap);
	if (!good) {
		if (ret == -1)
			tap_diag("  expected %s, got %s", strerror(err),
				 strerror(saved_errno));
		else
			tap_diag("  expected %s, got success (%ld)",
				 strerror(err), ret);
	}
	errno = saved_errno;
	return good;
}

void tap_group(const char *name, void (*fn)(void), unsigned int timeout)
{
	unsigned int before = tap_counts->run;
	int status;
	pid_t pid;

	tap_diag("group %s", name);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tap_ok(false, "%s: fork: %s", name, strerror(errno));
		return;
	}
	if (pid == 0) {
		alarm(timeout);
		fn();
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0) {
		tap_ok(false, "%s: waitpid: %s", name, strerror(errno));
		return;
	}
	if (WIFSIGNALED(status)) {
		tap_ok(false, "%s: died of signal %d (%s) after %u checks",
		       name, WTERMSIG(status), strsignal(WTERMSIG(status)),
		       tap_counts->run - before);
	} else if (WEXITSTATUS(status) != 0) {
		tap_ok(false, "%s: exited with status %d", name,
		       WEXITSTATUS(status));
	} else if (tap_counts->run == before) {
		tap_ok(false, "%s: ran no checks", name);
	}
}

int tap_finish(void)
{
	printf("1..%u\n", tap_counts->run);
	if (tap_counts->failed)
		printf("# %u of %u checks failed\n", tap_counts->failed,
		       tap_counts->run);
	fflush(stdout);
	return tap_counts->failed ? 1 : 0;
}
