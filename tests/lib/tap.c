// SPDX-License-Identifier: GPL-2.0
/* The TAP producer behind tap.h. */
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

/* Shared with the children of tap_group(), so the numbering goes on. */
struct tap_counts {
	unsigned int run;
	unsigned int failed;
	unsigned int planned;
	bool plan_printed;
};

static struct tap_counts *tap_counts;

void tap_init(void)
{
	if (tap_counts)
		return;
	/* Line-buffered: the console must see each result as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_counts = mmap(NULL, sizeof(*tap_counts), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tap_counts == MAP_FAILED)
		tap_bail_out("mmap for the test counter: %s", strerror(errno));
}

void tap_bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(2);
}

/*
 * A program that forgot tap_init() still counts right, unless its first
 * check runs in a child: tap_group() initialises before it forks.
 */
static struct tap_counts *tap_counter(void)
{
	tap_init();
	return tap_counts;
}

void tap_plan(unsigned int count)
{
	struct tap_counts *c = tap_counter();

	if (c->plan_printed || c->run) {
		tap_ok(false, "the plan (%u) comes before the results", count);
		return;
	}
	c->planned = count;
	c->plan_printed = true;
	printf("1..%u\n", count);
}

static void tap_vresult(bool cond, const char *directive, const char *fmt,
			va_list ap)
{
	struct tap_counts *c = tap_counter();

	c->run++;
	if (!cond)
		c->failed++;
	printf("%sok %u - ", cond ? "" : "not ", c->run);
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

/* Lines a child printed but could not write are results nobody saw. */
static bool tap_output_lost(void)
{
	return fflush(stdout) != 0 || ferror(stdout);
}

void tap_group(const char *name, void (*fn)(void), unsigned int timeout)
{
	struct tap_counts *c = tap_counter();
	unsigned int before = c->run;
	int status;
	pid_t pid;

	tap_diag("group %s", name);
	pid = fork();
	if (pid < 0) {
		tap_ok(false, "%s: fork: %s", name, strerror(errno));
		return;
	}
	if (pid == 0) {
		alarm(timeout);
		fn();
		_exit(tap_output_lost() ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) < 0) {
		tap_ok(false, "%s: waitpid: %s", name, strerror(errno));
		return;
	}
	if (WIFSIGNALED(status)) {
		tap_ok(false, "%s: died of signal %d (%s) after %u checks",
		       name, WTERMSIG(status), strsignal(WTERMSIG(status)),
		       c->run - before);
	} else if (WEXITSTATUS(status) != 0) {
		tap_ok(false, "%s: exited with status %d", name,
		       WEXITSTATUS(status));
	} else if (c->run == before) {
		tap_ok(false, "%s: ran no checks", name);
	}
}

static bool tap_group_named(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

void tap_run_groups(const struct tap_named_group *groups, unsigned int count,
		    int argc, char **argv)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (tap_group_named(groups[i].name, argc, argv))
			tap_group(groups[i].name, groups[i].fn,
				  groups[i].timeout);
}

int tap_finish(void)
{
	struct tap_counts *c = tap_counter();
	bool short_plan = c->plan_printed && c->run != c->planned;

	if (!c->plan_printed)
		printf("1..%u\n", c->run);
	if (short_plan)
		printf("# planned %u results, printed %u\n", c->planned,
		       c->run);
	if (c->failed)
		printf("# %u of %u checks failed\n", c->failed, c->run);
	if (tap_output_lost()) {
		fprintf(stderr, "tap: the results could not be written out\n");
		return 1;
	}
	return c->failed || short_plan ? 1 : 0;
}

/* ---- Test functions ---- */

static bool tap_test_failed;
static char tap_label[200];
static bool tap_label_shown;

/* The first failure of a sub-case names it. */
static void tap_check_failed(void)
{
	if (tap_label[0] && !tap_label_shown)
		printf("#   in: %s\n", tap_label);
	tap_label_shown = true;
	tap_test_failed = true;
}

bool tap_check(const char *file, int line, const char *expr, bool ok)
{
	if (!ok) {
		tap_check_failed();
		printf("#   %s:%d: check failed: %s\n", file, line, expr);
	}
	return ok;
}

bool tap_check_eq(const char *file, int line, const char *a_expr,
		  const char *b_expr, long long a, long long b)
{
	if (a != b) {
		tap_check_failed();
		printf("#   %s:%d: %s == %s failed: %lld (%#llx) != %lld (%#llx)\n",
		       file, line, a_expr, b_expr, a, a, b, b);
	}
	return a == b;
}

void tap_case(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tap_label, sizeof(tap_label), fmt, ap);
	va_end(ap);
	tap_label_shown = false;
}

void tap_test_begin(void)
{
	tap_test_failed = false;
	tap_case("%s", "");
}

bool tap_test_failing(void)
{
	return tap_test_failed;
}

bool tap_test_end(const char *name)
{
	return tap_ok(!tap_test_failed, "%s", name);
}

bool tap_run_test(const struct tap_test *test)
{
	tap_test_begin();
	test->run();
	return tap_test_end(test->name);
}

int tap_run(const struct tap_test *tests, unsigned int count)
{
	unsigned int i;

	tap_init();
	tap_plan(count);
	for (i = 0; i < count; i++)
		tap_run_test(&tests[i]);
	return tap_finish();
}
