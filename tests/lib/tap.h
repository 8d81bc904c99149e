/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP producer for the VM test programs.
 *
 * Each check prints "ok N - name" or "not ok N - name" at once, so a
 * program that dies half-way still leaves its results on the console.
 * Groups of checks can run in a child process (tap_group()): a crash or
 * hang in one group becomes one "not ok" line and the next group runs.
 * The test counter lives in shared memory so children and parent agree.
 */
#ifndef VRING_TAP_H
#define VRING_TAP_H

#include <stdbool.h>

/* Call once, before any check. */
void tap_init(void);
/* Print the plan ("1..N") and return the exit status: 0 if all passed. */
int tap_finish(void);

/* One check: prints ok/not ok with a printf-style name; returns cond. */
bool tap_ok(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
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

/* Shorthands: expect a call to succeed, or to fail with one errno. */
#define TAP_OK_CALL(expr, ...) \
	tap_ok_call((long)(expr), __VA_ARGS__)
#define TAP_ERRNO(expr, err, ...) \
	tap_ok_errno((long)(expr), (err), __VA_ARGS__)

bool tap_ok_call(long ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool tap_ok_errno(long ret, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* VRING_TAP_H */
