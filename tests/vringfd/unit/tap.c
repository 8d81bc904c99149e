// SPDX-License-Identifier: GPL-2.0
/* The TAP runner behind tap.h. */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

bool tap_case_failed;
static char tap_label[160];
static bool tap_label_shown;

static void tap_show_label(void)
{
	if (tap_label[0] && !tap_label_shown)
		printf("#   in: %s\n", tap_label);
	tap_label_shown = true;
}

bool tap_check(const char *file, int line, const char *expr, bool ok)
{
	if (!ok) {
		tap_show_label();
		printf("#   %s:%d: check failed: %s\n", file, line, expr);
		tap_case_failed = true;
	}
	return ok;
}

bool tap_check_eq(const char *file, int line, const char *a_expr,
		  const char *b_expr, long long a, long long b)
{
	if (a != b) {
		tap_show_label();
		printf("#   %s:%d: %s == %s failed: %lld (%#llx) != %lld (%#llx)\n",
		       file, line, a_expr, b_expr, a, a, b, b);
		tap_case_failed = true;
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

int tap_run(const struct tap_test *tests, unsigned int count)
{
	unsigned int i, failed = 0;

	printf("1..%u\n", count);
	for (i = 0; i < count; i++) {
		tap_case_failed = false;
		tap_case("%s", "");
		tests[i].run();
		printf("%s %u - %s\n", tap_case_failed ? "not ok" : "ok",
		       i + 1, tests[i].name);
		failed += tap_case_failed;
		fflush(stdout);
	}
	printf("# %u passed, %u failed\n", count - failed, failed);
	return failed ? 1 : 0;
}
