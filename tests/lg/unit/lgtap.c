// SPDX-License-Identifier: GPL-2.0
/* The TAP runner behind lgtap.h, and the program's main(). */
#include <stdarg.h>
#include <stdio.h>

#include "lgtap.h"

static bool lgtap_failed;
static char lgtap_label[200];
static bool lgtap_label_shown;

static void lgtap_show_label(void)
{
	if (lgtap_label[0] && !lgtap_label_shown)
		printf("#   in: %s\n", lgtap_label);
	lgtap_label_shown = true;
	lgtap_failed = true;
}

bool lgtap_check(const char *file, int line, const char *expr, bool ok)
{
	if (!ok) {
		lgtap_show_label();
		printf("#   %s:%d: check failed: %s\n", file, line, expr);
	}
	return ok;
}

bool lgtap_check_eq(const char *file, int line, const char *a_expr,
		    const char *b_expr, unsigned long long a,
		    unsigned long long b)
{
	if (a != b) {
		lgtap_show_label();
		printf("#   %s:%d: %s == %s failed: %#llx != %#llx\n",
		       file, line, a_expr, b_expr, a, b);
	}
	return a == b;
}

void lgtap_case(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lgtap_label, sizeof(lgtap_label), fmt, ap);
	va_end(ap);
	lgtap_label_shown = false;
}

int lgtap_run(const struct lgtap_test *const *groups,
	      const unsigned int *counts, unsigned int ngroups)
{
	unsigned int g, i, n = 0, total = 0, failed = 0;

	for (g = 0; g < ngroups; g++)
		total += counts[g];
	printf("1..%u\n", total);
	for (g = 0; g < ngroups; g++) {
		for (i = 0; i < counts[g]; i++) {
			lgtap_failed = false;
			lgtap_case("%s", "");
			groups[g][i].run();
			printf("%s %u - %s\n", lgtap_failed ? "not ok" : "ok",
			       ++n, groups[g][i].name);
			failed += lgtap_failed;
			fflush(stdout);
		}
	}
	printf("# %u passed, %u failed\n", total - failed, failed);
	return failed ? 1 : 0;
}

int main(void)
{
	const struct lgtap_test *const groups[] = {
		pic_tests, pit_tests, decode_tests, walk_tests, events_tests,
	};
	const unsigned int counts[] = {
		pic_test_count, pit_test_count, decode_test_count,
		walk_test_count, events_test_count,
	};

	return lgtap_run(groups, counts, sizeof(groups) / sizeof(groups[0]));
}
