/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP runner for the lg.ko emulation tests: each test is a
 * function, its CHECKs decide one "ok N - name" / "not ok N - name" line,
 * and a failed CHECK prints file, line and both values as a "#" comment.
 */
#ifndef LGTAP_H
#define LGTAP_H

#include <stdbool.h>

struct lgtap_test {
	const char *name;
	void (*run)(void);
};

bool lgtap_check(const char *file, int line, const char *expr, bool ok);
bool lgtap_check_eq(const char *file, int line, const char *a_expr,
		    const char *b_expr, unsigned long long a,
		    unsigned long long b);
/* Names the sub-case that follows, printed with its first failure. */
void lgtap_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(cond)	lgtap_check(__FILE__, __LINE__, #cond, (cond))
#define CHECK_EQ(a, b)	lgtap_check_eq(__FILE__, __LINE__, #a, #b, \
				       (unsigned long long)(a), \
				       (unsigned long long)(b))

/* Runs groups of tests in order with one plan; returns the exit status. */
int lgtap_run(const struct lgtap_test *const *groups,
	      const unsigned int *counts, unsigned int ngroups);

extern const struct lgtap_test pic_tests[], pit_tests[], decode_tests[],
	walk_tests[], events_tests[];
extern const unsigned int pic_test_count, pit_test_count, decode_test_count,
	walk_test_count, events_test_count;

#endif /* LGTAP_H */
