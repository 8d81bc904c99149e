/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_vringfd: the /dev/vring ABI, driven through the vring_echo test
 * consumer.  One file per topic; each topic is a TAP group that runs in
 * its own child process (tap_group()), so a crash or a hang in one shows
 * up as a failure there and the others still run.
 */
#ifndef VRINGFD_TESTS_H
#define VRINGFD_TESTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"
#include "tap.h"

/* The groups, in the order test_vringfd.c runs them. */
void test_setup(void);		/* vringfd_setup.c */
void test_window(void);		/* vringfd_setup.c: base and limit */
void test_echo(void);		/* vringfd_echo.c */
void test_pair(void);		/* vringfd_echo.c */
void test_big_ring(void);	/* vringfd_echo.c */
void test_notify(void);		/* vringfd_notify.c */
void test_suppress(void);	/* vringfd_notify.c */
void test_hostile(void);	/* vringfd_hostile.c */
void test_lifetime(void);	/* vringfd_lifetime.c */
void test_leaks(void);		/* vringfd_lifetime.c */
void test_stall(void);		/* vringfd_stall.c */
void test_workers(void);	/* vringfd_stall.c */
void test_kernel_log(void);	/* vringfd_lifetime.c */

/*
 * Send len pattern bytes (seed) through a self-mode echo on r: one
 * readable buffer at in, one writable buffer of len + slack bytes at out,
 * a write() kick, then check the used entry (head, length = len) and the
 * bytes that came back.  in and out must lie inside r's window.  Returns
 * true when everything matched, printing "# " lines about what did not.
 */
bool echo_roundtrip(struct test_ring *r, uint8_t *in, uint8_t *out,
		    uint32_t len, unsigned int seed);

/* Wait up to timeout_ms for used->idx to reach want: true if it did. */
bool wait_used_idx(const struct test_ring *r, uint16_t want, int timeout_ms);

/* Does the broken reason contain word (case-insensitive)? */
bool status_reason_has(const struct vring_status *st, const char *word);

/* The kernel log as text (malloc'd, NUL-terminated), or NULL. */
char *kernel_log(void);

/*
 * The kernel log's clock (seconds) when test_vringfd started: only lines
 * stamped after it are ours to judge.
 */
extern double kernel_log_start;
/* The timestamp of a kernel log line ("<4>[   12.345678] ..."), or -1. */
double kernel_log_stamp(const char *line);
/* The newest timestamp in the log, or 0. */
double kernel_log_now(void);

/* One field of /proc/meminfo in kB, or -1. */
long meminfo_kb(const char *field);

/* Threads named "vring-<owner>": the ring workers of that owner. */
int ring_workers(int owner);
int ring_workers_gone(int owner, int ms);
/*
 * Threads named "vring-<owner>" (the ring workers of that owner): how
 * many, and in *in_cg how many of them are in the cgroup cg ("" for any).
 */
int ring_workers_in(int owner, const char *cg, int *in_cg);

#endif /* VRINGFD_TESTS_H */
