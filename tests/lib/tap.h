/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP for every C test program of the project, on the host and in the test
 * VM alike.  Two ways to use it, on one numbering:
 *
 *  - Checks that print at once: tap_ok() prints "ok N - name" or
 *    "not ok N - name" as it runs, so a program that dies half-way still
 *    leaves its results on the console.  Groups of checks can run in a
 *    child process (tap_group()): a crash or hang in one group becomes one
 *    "not ok" line and the next group runs.  The VM test programs work so.
 *
 *  - Test functions: each is a function whose CHECKs decide one line for
 *    it; a failed CHECK prints where and what as a "#" comment before that
 *    line.  tap_run() runs a table of them.  The host unit tests work so.
 *
 * The counters live in shared memory so children and parent agree.  The
 * exit status a program returns (tap_finish(), tap_run()) is 1 if any check
 * failed, if the plan and the count disagree, or if the results could not
 * be written out: a result nobody saw is not a pass.
 */
#ifndef TESTS_LIB_TAP_H
#define TESTS_LIB_TAP_H

#include <stdbool.h>

/* Line-buffered output and the shared counters; before any check. */
void tap_init(void);
/* Announce the number of results to come ("1..N"), before the first one. */
void tap_plan(unsigned int count);
/* Print the plan if tap_plan() did not; the exit status (0: all passed). */
int tap_finish(void);

/* One check: prints ok/not ok with a printf-style name; returns cond. */
bool tap_ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The program cannot go on (no memory, no device to test): "Bail out! why"
 * and exit status 2, which the suites tell apart from failed checks (1).
 */
void tap_bail_out(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* A comment line ("# ..."), for diagnostics. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A check that could not run here: "ok N - name # SKIP why". */
void tap_skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Run fn in a child process with a time limit in seconds.  The child's
 * checks print as usual; if it dies or overruns, one "not ok" says so.
 */
void tap_group(const char *name, void (*fn)(void), unsigned int timeout);

/* A group of checks a program runs by name, each under tap_group(). */
struct tap_named_group {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;	/* seconds, generous for TCG */
};

/* The groups named in argv[1..], in table order; all of them if none is. */
void tap_run_groups(const struct tap_named_group *groups, unsigned int count,
		    int argc, char **argv);

/* Shorthands: expect a call to succeed, or to fail with one errno. */
#define TAP_OK_CALL(expr, ...) \
	tap_ok_call((long)(expr), __VA_ARGS__)
#define TAP_ERRNO(expr, err, ...) \
	tap_ok_errno((long)(expr), (err), __VA_ARGS__)

bool tap_ok_call(long ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool tap_ok_errno(long ret, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- Test functions ---- */

struct tap_test {
	const char *name;
	void (*run)(void);
};

/* Each returns whether it held, so a test can stop early. */
#define CHECK(cond)	tap_check(__FILE__, __LINE__, #cond, (cond))
#define CHECK_EQ(a, b)	tap_check_eq(__FILE__, __LINE__, #a, #b, \
				     (long long)(a), (long long)(b))

bool tap_check(const char *file, int line, const char *expr, bool ok);
bool tap_check_eq(const char *file, int line, const char *a_expr,
		  const char *b_expr, long long a, long long b);
/* Names the sub-case that follows; printed only if one of its CHECKs fails. */
void tap_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The line of one test function: tap_test_begin() forgets the last one's
 * failures, tap_test_end() prints its result.  For runners that must do
 * something around each test (fresh fixtures, catching an exit).
 */
void tap_test_begin(void);
bool tap_test_end(const char *name);
/* Has a CHECK failed since tap_test_begin()? */
bool tap_test_failing(void);
/* Both around test->run(); whether it passed. */
bool tap_run_test(const struct tap_test *test);
/* The plan, every test in order, then tap_finish(): the exit status. */
int tap_run(const struct tap_test *tests, unsigned int count);

#endif /* TESTS_LIB_TAP_H */
