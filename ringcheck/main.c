// SPDX-License-Identifier: GPL-2.0
/*
 * ringcheck [OPTIONS] TARGET...
 *
 * Runs every check (or those -k picks) against each target, a fresh
 * connection per check, and prints the results as TAP (the default),
 * JSON or JUnit XML.  With several targets, --diff prints only the
 * checks whose results differ between them.  Exit status: 0 if nothing
 * failed, 1 if a check failed, 2 if a target could not be reached or the
 * command line was wrong.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>

#include "ringcheck.h"

static const char usage[] =
"usage: ringcheck [OPTIONS] TARGET...\n"
"Check a virtio ring implementation against the virtio specification,\n"
"with ringcheck as the driver.  TARGET:\n"
"  vhost-user:SOCKET   a vhost-user back-end listening on SOCKET\n"
"                      (a virtio-net device whose far end loops frames\n"
"                      back, e.g. dpdk-testpmd --forward-mode=io)\n"
"  vhost-net[:TAP]     Linux's /dev/vhost-net on a new tap (or TAP),\n"
"                      ringcheck looping its frames back (root)\n"
"  vringfd             this project's /dev/vring with the vring_echo\n"
"                      consumer looping transmit into receive\n"
"                      (modprobe vringfd vring_echo)\n"
"Options:\n"
"  -l, --list          list the checks (with -k, those whose ids\n"
"                      contain WORD) and exit\n"
"  -k, --only=WORD     only the check whose id is WORD, or else those\n"
"                      whose ids contain WORD\n"
"  -f, --format=FMT    tap (the default), json or junit\n"
"      --diff          with several targets: only where they disagree\n"
"      --deviations=FILE\n"
"                      known deviations of the target: lines of\n"
"                      'ID REASON'; a check listed there that fails is\n"
"                      reported as one (TAP's TODO), not as a failure\n"
"  -h, --help          this text\n";

static char why_buf[512];
static bool why_own;

/* The first reason given wins; own: it is the statement's own finding. */
static void vwhy(bool own, const char *fmt, va_list ap)
{
	if (why_buf[0])
		return;
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	why_own = own;
}

void rc_why_own(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwhy(true, fmt, ap);
	va_end(ap);
}

void rc_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwhy(false, fmt, ap);
	va_end(ap);
}

const char *rc_why_text(void)
{
	return why_buf;
}

void rc_why_clear(void)
{
	why_buf[0] = '\0';
	why_own = false;
}

void rc_error(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rc_why("%s", line);
	fprintf(stderr, "ringcheck: %s\n", line);
}

struct outcome {
	enum rc_result r;
	char why[512];
	bool own;		/* the failure is the statement's own finding */
	const char *deviation;	/* the listed reason, if any */
};

static const char *const result_name[] = { "pass", "fail", "skip" };

/* --deviations: check id and reason, one per line ('#' comments). */
struct deviation {
	char *id;
	char *reason;
};

static struct deviation *deviations;
static unsigned int ndeviations;

static int read_deviations(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned int lineno = 0;

	if (!f) {
		fprintf(stderr, "ringcheck: --deviations=%s: %m\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *id = line, *reason;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		id += strspn(id, " \t");
		if (!*id || *id == '#')
			continue;
		reason = id + strcspn(id, " \t");
		if (*reason)
			*reason++ = '\0';
		reason += strspn(reason, " \t");
		if (!*reason) {
			fprintf(stderr, "ringcheck: %s:%u: '%s' has no reason (want 'ID REASON')\n",
				path, lineno, id);
			fclose(f);
			return -1;
		}
		deviations = realloc(deviations,
				     (ndeviations + 1) * sizeof(*deviations));
		if (!deviations)
			abort();
		deviations[ndeviations].id = strdup(id);
		deviations[ndeviations].reason = strdup(reason);
		ndeviations++;
	}
	fclose(f);
	return 0;
}

static const char *deviation_of(const char *id)
{
	for (unsigned int i = 0; i < ndeviations; i++)
		if (!strcmp(deviations[i].id, id))
			return deviations[i].reason;
	return NULL;
}

static const struct rc_target_ops *target_kind(const char *spec,
					       const char **arg)
{
	if (!strncmp(spec, "vhost-user:", 11) && spec[11]) {
		*arg = spec + 11;
		return &rc_vhost_user_ops;
	}
	if (!strcmp(spec, "vhost-net") ||
	    (!strncmp(spec, "vhost-net:", 10) && spec[10])) {
		*arg = spec[9] ? spec + 10 : "";
		return &rc_vhost_net_ops;
	}
	if (!strcmp(spec, "vringfd")) {
		*arg = "";
		return &rc_vringfd_ops;
	}
	return NULL;
}

static bool unreachable;

static void run_one(const struct rc_check *c, const char *spec,
		    struct outcome *o)
{
	struct rc_target t = { .fd = -1 };
	const char *arg;

	t.ops = target_kind(spec, &arg);
	t.arg = arg;
	rc_why_clear();
	if (t.ops->open(&t, arg)) {
		o->r = RC_FAIL;
		unreachable = true;
	} else {
		o->r = c->run(&t);
		if (o->r == RC_FAIL && !rc_why_text()[0])
			rc_why("failed (no reason given)");
	}
	t.ops->close(&t);
	snprintf(o->why, sizeof(o->why), "%s",
		 o->r == RC_PASS ? "" : rc_why_text());
	o->own = why_own;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void xml_string(const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '&': fputs("&amp;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		default: putchar(*s);
		}
	}
}

enum format { TAP, JSON, JUNIT };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "only", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'f' },
		{ "diff", no_argument, NULL, 'd' },
		{ "deviations", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct rc_check *checks;	/* static: reachable to the end */
	unsigned int nchecks = rc_split_nchecks + rc_packed_nchecks;
	unsigned int ntargets, n = 0, failed = 0;
	const char *only = NULL;
	enum format fmt = TAP;
	bool list = false, diff = false, only_exact = false, matched = false;
	struct outcome *out;
	int c;

	signal(SIGPIPE, SIG_IGN);
	/* The split ring's checks, then the packed ring's. */
	checks = malloc(nchecks * sizeof(*checks));
	if (!checks)
		return 2;
	memcpy(checks, rc_split_checks, rc_split_nchecks * sizeof(*checks));
	memcpy(checks + rc_split_nchecks, rc_packed_checks,
	       rc_packed_nchecks * sizeof(*checks));
	while ((c = getopt_long(argc, argv, "lk:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case 'k':
			only = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "tap"))
				fmt = TAP;
			else if (!strcmp(optarg, "json"))
				fmt = JSON;
			else if (!strcmp(optarg, "junit"))
				fmt = JUNIT;
			else {
				fprintf(stderr, "ringcheck: --format=%s: want tap, json or junit\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			diff = true;
			break;
		case 'D':
			if (read_deviations(optarg))
				return 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs("Try 'ringcheck --help'.\n", stderr);
			return 2;
		}
	}
	if (list) {
		for (unsigned int i = 0; i < nchecks; i++)
			if (!only || strstr(checks[i].id, only))
				printf("%-10s %-24s %-20s %s\n",
				       checks[i].section, checks[i].id,
				       checks[i].kind, checks[i].text);
		return 0;
	}
	ntargets = argc - optind;
	if (!ntargets) {
		fputs("ringcheck: no target (try vhost-user:SOCKET, vhost-net or vringfd; --help)\n",
		      stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		const char *arg;

		if (!target_kind(argv[i], &arg)) {
			fprintf(stderr, "ringcheck: unknown target '%s' (want vhost-user:SOCKET, vhost-net[:TAP] or vringfd)\n",
				argv[i]);
			return 2;
		}
	}
	if (diff && ntargets < 2) {
		fputs("ringcheck: --diff needs two targets or more\n", stderr);
		return 2;
	}
	/* A target that cannot be reached is said once, not once per check. */
	for (int i = optind; i < argc; i++) {
		struct rc_target t = { .fd = -1 };
		int err;

		t.ops = target_kind(argv[i], &t.arg);
		err = t.ops->open(&t, t.arg);
		t.ops->close(&t);
		if (err)
			return 2;
	}
	/* -k with a whole id picks that check alone (used-id, not used-idx). */
	for (unsigned int i = 0; only && i < nchecks; i++)
		if (!strcmp(checks[i].id, only))
			only_exact = true;
	out = calloc((size_t)nchecks * ntargets, sizeof(*out));
	if (!out)
		return 2;

	if (fmt == JSON)
		printf("{\"results\": [");
	if (fmt == JUNIT)
		printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ringcheck\">\n<testsuite name=\"ringcheck\">\n");
	for (unsigned int i = 0; i < nchecks; i++) {
		const struct rc_check *ck = &checks[i];
		bool differ = false;

		if (only && (only_exact ? strcmp(ck->id, only) :
			     !strstr(ck->id, only)))
			continue;
		matched = true;
		for (unsigned int k = 0; k < ntargets; k++) {
			struct outcome *o = &out[i * ntargets + k];

			run_one(ck, argv[optind + k], o);
			/*
			 * A listed deviation covers the statement's own
			 * finding only, never some other failure on the way.
			 */
			if (o->r == RC_FAIL && o->own)
				o->deviation = deviation_of(ck->id);
			if (o->r != out[i * ntargets].r)
				differ = true;
			if (o->r == RC_FAIL && !o->deviation)
				failed++;
		}
		if (diff && !differ)
			continue;
		for (unsigned int k = 0; k < ntargets; k++) {
			struct outcome *o = &out[i * ntargets + k];
			const char *target = argv[optind + k];

			n++;
			if (fmt == TAP) {
				printf("%s %u - [%s %s] %s (%s)%s%s\n",
				       o->r == RC_FAIL ? "not ok" : "ok", n,
				       ck->section, ck->id, ck->text, target,
				       o->r == RC_SKIP ? " # SKIP " :
				       o->deviation ? " # TODO known deviation: " : "",
				       o->r == RC_SKIP ? o->why :
				       o->deviation ? o->deviation : "");
				if (o->r == RC_FAIL)
					printf("# %s\n", o->why);
			} else if (fmt == JSON) {
				printf("%s\n  {\"section\": ", n > 1 ? "," : "");
				json_string(ck->section);
				printf(", \"id\": ");
				json_string(ck->id);
				printf(", \"kind\": ");
				json_string(ck->kind);
				printf(", \"statement\": ");
				json_string(ck->text);
				printf(", \"target\": ");
				json_string(target);
				printf(", \"result\": \"%s\", \"why\": ",
				       o->r == RC_FAIL && o->deviation ?
				       "deviation" : result_name[o->r]);
				json_string(o->why);
				if (o->deviation) {
					printf(", \"deviation\": ");
					json_string(o->deviation);
				}
				putchar('}');
			} else {
				printf("<testcase classname=\"");
				xml_string(target);
				printf("\" name=\"[%s %s] ", ck->section, ck->id);
				xml_string(ck->text);
				printf("\">");
				if (o->r != RC_PASS) {
					printf(o->r == RC_FAIL && !o->deviation ?
					       "<failure message=\"" :
					       "<skipped message=\"");
					if (o->r == RC_FAIL && o->deviation) {
						printf("known deviation: ");
						xml_string(o->deviation);
						printf(": ");
					}
					xml_string(o->why);
					printf("\"/>");
				}
				printf("</testcase>\n");
			}
		}
	}
	if (only && !matched) {
		fprintf(stderr, "ringcheck: -k %s: no such check (ringcheck -l lists them)\n",
			only);
		free(out);
		return 2;
	}
	if (fmt == TAP)
		printf("1..%u\n", n);
	if (fmt == JSON)
		printf("\n]}\n");
	if (fmt == JUNIT)
		printf("</testsuite>\n</testsuites>\n");
	free(out);
	return unreachable ? 2 : failed ? 1 : 0;
}
