// SPDX-License-Identifier: GPL-2.0
/*
 * ring_conformance -S: the suite's own machinery, checked on the host
 * with no /dev/vring.  A conformance test that passes proves something
 * only if it would have failed against a device that misbehaved, so here
 * this program plays a misbehaving device itself - writing through the
 * device's view of the arena, filling the used ring with wrong entries -
 * and checks that the audit, the harvest and the page rights catch it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conformance.h"

static void self_result(bool ok, const char *what)
{
	tap_ok(ok, "ring_conformance self-test: %s", what);
}

/* Does touching dev + off (reading, or writing) kill a child process? */
static bool self_faults(struct conf_arena *ar, size_t off, bool write)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		tap_bail_out("fork: %m");
	if (!pid) {
		volatile unsigned char *p = ar->dev + off;

		if (write)
			*p = 1;
		else
			(void)*p;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		tap_bail_out("waitpid: %m");
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

static void self_page_rights(void)
{
	struct conf_arena *ar = arena_new(64 * CONF_PAGE);
	size_t r = arena_buf(ar, 100, CONF_READ, CONF_AT_END);
	size_t w = arena_buf(ar, 100, CONF_WRITE, CONF_AT_START);
	size_t z = arena_buf(ar, 0, CONF_READ, CONF_AT_END);

	self_result(self_faults(ar, r + 100, false),
		    "reading the byte after an end-placed buffer faults");
	self_result(self_faults(ar, w - 1, false),
		    "reading the byte before a start-placed buffer faults");
	self_result(self_faults(ar, z, false),
		    "a zero-length buffer points at a guard page");
	self_result(self_faults(ar, r, true),
		    "writing a readable buffer faults");
	self_result(!self_faults(ar, r + 99, false) &&
		    !self_faults(ar, w + 99, true),
		    "the buffers themselves are accessible as offered");
	arena_free(ar);
}

static void self_audit(void)
{
	struct conf_arena *ar = arena_new(64 * CONF_PAGE);
	size_t r = arena_buf(ar, 100, CONF_READ, CONF_AT_END);
	size_t w = arena_buf(ar, 100, CONF_WRITE, CONF_AT_START);
	bool quiet_failed;

	audit_begin(ar);
	ar->dev[w + 10] ^= 0xff;
	audit_allow(ar, w, 20);
	self_result(!audit_check(ar, "self-test"),
		    "the audit accepts a change in an allowed range");
	audit_begin(ar);
	ar->dev[w + 20] ^= 0xff;
	audit_allow(ar, w, 20);
	conf_quiet = 1;
	quiet_failed = audit_check(ar, "self-test") != 0;
	conf_quiet = 0;
	self_result(quiet_failed, "the audit catches a byte changed one past the allowed range");
	audit_begin(ar);
	ar->drv[r + 50] ^= 1;	/* the device may not write here */
	conf_quiet = 1;
	quiet_failed = audit_check(ar, "self-test") != 0;
	conf_quiet = 0;
	self_result(quiet_failed, "the audit catches a write to a readable buffer");
	arena_free(ar);
}

/*
 * A ring with no device: this program fills in the used ring itself, the
 * way a device would (correctly or not), and runs the harvest over it.
 */
static int self_harvest_with(void (*device)(struct conf_ring *r, int head))
{
	struct conf_ring_opts o = { .num = 8, .no_device = true };
	struct conf_arena *ar = arena_new(64 * CONF_PAGE);
	struct conf_ring r;
	struct conf_seg s[2];
	int head, got;

	ring_new(&r, ar, &o);
	s[0] = (struct conf_seg){ arena_buf(ar, 30, CONF_READ, CONF_AT_END),
				  30, false };
	s[1] = (struct conf_seg){ arena_buf(ar, 40, CONF_WRITE, CONF_AT_START),
				  40, true };
	head = ring_post(&r, s, 2, CONF_DIRECT, 77);
	ring_publish(&r);
	device(&r, head);
	conf_quiet = 1;
	conf_failed = 0;
	got = ring_harvest(&r, NULL);
	conf_quiet = 0;
	ring_close(&r);
	arena_free(ar);
	return got;
}

/* The echo done right: 30 bytes copied, len 30, then idx. */
static void self_device_echo(struct conf_ring *r, int head, uint32_t id,
			     uint32_t len, int corrupt_byte, uint16_t step)
{
	struct conf_chain *c = &r->chains[head];
	uint32_t i;

	for (i = 0; i < 30; i++)
		r->ar->drv[c->segs[1].off + i] = gen_byte(c->seed, i);
	if (corrupt_byte >= 0)
		r->ar->drv[c->segs[1].off + corrupt_byte] ^= 0x40;
	r->used_ring[r->used_seen & (r->num - 1)].id = id;
	r->used_ring[r->used_seen & (r->num - 1)].len = len;
	r->used_hdr[1] = (uint16_t)(r->used_seen + step);
}

static void dev_good(struct conf_ring *r, int h)
{
	self_device_echo(r, h, h, 30, -1, 1);
}

static void dev_wrong_id(struct conf_ring *r, int h)
{
	self_device_echo(r, h, (h + 1) % r->num, 30, -1, 1);
}

static void dev_wrong_len(struct conf_ring *r, int h)
{
	self_device_echo(r, h, h, 31, -1, 1);
}

static void dev_wrong_byte(struct conf_ring *r, int h)
{
	self_device_echo(r, h, h, 30, 29, 1);
}

static void dev_idx_too_far(struct conf_ring *r, int h)
{
	self_device_echo(r, h, h, 30, -1, 2);
}

static void self_harvest(void)
{
	self_result(self_harvest_with(dev_good) == 1,
		    "the harvest accepts a correct used entry");
	self_result(self_harvest_with(dev_wrong_id) < 0 && conf_failed,
		    "the harvest catches an id that is not a head in flight");
	self_result(self_harvest_with(dev_wrong_len) < 0 && conf_failed,
		    "the harvest catches a wrong len");
	self_result(self_harvest_with(dev_wrong_byte) < 0 && conf_failed,
		    "the harvest catches a wrong byte in the written data");
	self_result(self_harvest_with(dev_idx_too_far) < 0 && conf_failed,
		    "the harvest catches used idx moving past what was offered");
}

int conf_selftest(void)
{
	tap_init();
	self_page_rights();
	self_audit();
	self_harvest();
	return tap_finish();
}
