/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough TAP for the unit tests: each test is a function, each
 * function's CHECKs decide one "ok N - name" or "not ok N - name" line, and
 * a failed CHECK prints where and what as a "#" comment underneath.
 */
#ifndef TAP_H
#define TAP_H

#include <stdbool.h>

extern bool tap_case_failed;

bool tap_check(const char *file, int line, const char *expr, bool ok);
bool tap_check_eq(const char *file, int line, const char *a_expr,
		  const char *b_expr, long long a, long long b);
/* Names the sub-case that follows; printed only if one of its CHECKs fails. */
void tap_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Each returns whether it held, so a test can stop early. */
#define CHECK(cond)	tap_check(__FILE__, __LINE__, #cond, (cond))
#define CHECK_EQ(a, b)	tap_check_eq(__FILE__, __LINE__, #a, #b, \
				     (long long)(a), (long long)(b))

struct tap_test {
	const char *name;
	void (*run)(void);
};

/* Runs them in order, prints the plan and a line each; exit status. */
int tap_run(const struct tap_test *tests, unsigned int count);

#endif /* TAP_H */
