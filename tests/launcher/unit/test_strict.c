// SPDX-License-Identifier: GPL-2.0
/*
 * --virtio-strict (lguest/virtio_strict.c, L:700): a driver that keeps
 * every rule is reported for nothing, and for each statement strict mode
 * judges, a mutant driver that breaks exactly that rule is reported for
 * that statement and nothing else: one line naming the section, the id,
 * the device and queue and the guest's RIP, then a count.  A check that
 * no mutant can make fail proves nothing, so every statement has one.
 */
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher_unit.h"
#include "virtio_device.h"
#include "virtio_mmio.h"
#include "virtio_strict.h"

#define VERSION_1	(1ULL << VIRTIO_F_VERSION_1)
#define INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)

struct strict {
	struct test_driver drv;
	struct fake_window *win;
	FILE *out;
	char *text;
	size_t size;
	uint64_t buf;
};

/* Strict mode on, its lines into a buffer, and a device: rng or console. */
static void strict_begin(struct strict *s, bool console)
{
	memset(s, 0, sizeof(*s));
	virtio_strict_set_mode(VIRTIO_STRICT_REPORT);
	s->out = open_memstream(&s->text, &s->size);
	if (!s->out)
		tap_bail_out("open_memstream: out of memory");
	virtio_strict_set_output(s->out);
	if (console)
		virtio_console_create(&test_mem, -1, -1);
	else
		virtio_rng_create(&test_mem);
	s->win = &fake_windows[0];
	s->drv.win = s->win;
	s->buf = guest_alloc(4096);
}

static void strict_end(struct strict *s)
{
	virtio_strict_set_output(NULL);
	fclose(s->out);
	free(s->text);
}

static unsigned int lines(const char *text)
{
	unsigned int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/*
 * Exactly one statement broken, reported in one line that names it, the
 * place and the RIP (or says there was none); then strict mode's exit
 * status.
 */
static void expect_only(struct strict *s, const char *id, const char *where)
{
	char want[96];

	fflush(s->out);
	snprintf(want, sizeof(want), "lguest: virtio-strict: %s: ", where);
	CHECK(virtio_strict_count(id) >= 1);
	CHECK(virtio_strict_total() == virtio_strict_count(id));
	CHECK(lines(s->text) == 1);
	CHECK(!strncmp(s->text, want, strlen(want)));
	CHECK(strstr(s->text, id) != NULL);
	if (fake_on_io_thread)
		CHECK(strstr(s->text, "(rip unknown: seen on the I/O thread)\n") != NULL);
	else
		CHECK(strstr(s->text, "(rip 0xffffffff81234567)\n") != NULL);
	if (!CHECK(virtio_strict_count(id) >= 1))
		tap_diag("got: %s", s->text);
	CHECK(virtio_strict_finish(s->out, 0) == LGUEST_STATUS_STRICT);
	strict_end(s);
}

static void expect_nothing(struct strict *s)
{
	fflush(s->out);
	if (!CHECK(virtio_strict_total() == 0))
		tap_diag("got: %s", s->text);
	CHECK(s->size == 0);
	CHECK(virtio_strict_finish(s->out, 0) == 0);
	fflush(s->out);
	CHECK(strstr(s->text, "lguest: virtio-strict: no violations") != NULL);
	strict_end(s);
}

static void wr(struct strict *s, uint64_t offset, uint32_t value)
{
	mmio_write32(s->win, offset, value);
}

static uint32_t rd(struct strict *s, uint64_t offset)
{
	return mmio_read32(s->win, offset);
}

/* The start every driver must make: MagicValue, Version, DeviceID, reset. */
static void discover(struct strict *s)
{
	rd(s, VIRTIO_MMIO_MAGIC_VALUE);
	rd(s, VIRTIO_MMIO_VERSION);
	rd(s, VIRTIO_MMIO_DEVICE_ID);
	wr(s, VIRTIO_MMIO_STATUS, 0);
	rd(s, VIRTIO_MMIO_STATUS);
}

static void write_features(struct strict *s, uint64_t features)
{
	wr(s, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(s, VIRTIO_MMIO_DRIVER_FEATURES, features >> 32);
	wr(s, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(s, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
}

/* A live rng (or console) whose driver kept every rule so far. */
static bool probed(struct strict *s, uint64_t wanted, unsigned int queues)
{
	return CHECK(driver_probe(&s->drv, s->win, wanted, queues)) &&
	       CHECK(virtio_strict_total() == 0);
}

/* strict_begin() and probed(): false (and nothing left open) if not. */
static bool live(struct strict *s, bool console, uint64_t wanted,
		 unsigned int queues)
{
	strict_begin(s, console);
	if (probed(s, wanted, queues))
		return true;
	strict_end(s);
	return false;
}

static struct driver_ring *ring(struct strict *s, unsigned int queue)
{
	return &s->drv.queues[queue].ring;
}

static void set_desc(struct strict *s, uint16_t i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	driver_ring_set_desc(ring(s, 0), i, addr, len, flags, next);
}

static void offer(struct strict *s, uint16_t head)
{
	driver_ring_publish_head(ring(s, 0), head);
	driver_kick(&s->drv, 0);
}

/* --- drivers that keep the rules --------------------------------------- */

/*
 * Three times round the rng's ring of 16, direct and indirect chains, a
 * chain of two: every chain made available once, used, offered again.
 */
static void good_driver_reports_nothing(void)
{
	struct vring_desc *table;
	struct strict s;
	uint32_t id, len;

	if (!live(&s, false, ~0ULL, 1))
		return;
	table = host(s.buf + 2048);
	for (unsigned int i = 0; i < 3 * TEST_QUEUE_SIZE; i++) {
		struct driver_buf two[2] = {
			{ s.buf, 16, true }, { s.buf + 16, 16, true } };

		if (i % 3 == 0) {
			driver_desc_fill(&table[0], s.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
			driver_desc_fill(&table[1], s.buf + 8, 8, VRING_DESC_F_WRITE, 0);
			set_desc(&s, 5, s.buf + 2048, 32, VRING_DESC_F_INDIRECT, 0);
			offer(&s, 5);
		} else {
			driver_add(&s.drv, 0, two, i % 3);
			driver_kick(&s.drv, 0);
		}
		CHECK(driver_used(&s.drv, 0, &id, &len));
	}
	/* Interrupts acknowledged, a queue stopped and read back, a reset
	 * read back and a second probe are fine too. */
	wr(&s, VIRTIO_MMIO_INTERRUPT_ACK, rd(&s, VIRTIO_MMIO_INTERRUPT_STATUS));
	wr(&s, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(&s, VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK(rd(&s, VIRTIO_MMIO_QUEUE_READY) == 0);
	CHECK(driver_probe(&s.drv, s.win, ~0ULL, 1));
	expect_nothing(&s);
}

/* The console's receive buffers wait in flight for input: no finding. */
static void buffers_held_by_the_device_report_nothing(void)
{
	struct driver_buf buf;
	struct strict s;

	if (!live(&s, true, ~0ULL, 2))
		return;
	for (unsigned int i = 0; i < TEST_QUEUE_SIZE; i++) {
		buf = (struct driver_buf){ s.buf + 64 * i, 64, true };
		driver_add(&s.drv, 0, &buf, 1);
		driver_kick(&s.drv, 0);
	}
	expect_nothing(&s);
}

/* --- the handshake ---------------------------------------------------------- */

static void status_order(void)
{
	struct strict s;

	strict_begin(&s, false);
	discover(&s);
	wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_DRIVER);
	expect_only(&s, "status-order", "rng");
}

static void status_clear(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	wr(&s, VIRTIO_MMIO_STATUS, rd(&s, VIRTIO_MMIO_STATUS) &
	   ~VIRTIO_CONFIG_S_DRIVER_OK);
	expect_only(&s, "status-clear", "rng");
}

static void failed_reset(void)
{
	struct strict s;

	strict_begin(&s, false);
	discover(&s);
	wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_FAILED);
	wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_DRIVER);
	expect_only(&s, "failed-reset", "rng");
}

/* ACKNOWLEDGE, DRIVER, these features, FEATURES_OK, read back. */
static void negotiate(struct strict *s, uint64_t features)
{
	discover(s);
	driver_set_status(&s->drv, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	driver_set_status(&s->drv, VIRTIO_CONFIG_S_DRIVER);
	write_features(s, features);
	driver_set_status(&s->drv, VIRTIO_CONFIG_S_FEATURES_OK);
}

static void feature_not_offered(void)
{
	struct strict s;

	strict_begin(&s, false);
	negotiate(&s, VERSION_1 | (1ULL << 41));
	CHECK(!(rd(&s, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK));
	expect_only(&s, "feature-not-offered", "rng");
}

static void accept_version_1(void)
{
	struct strict s;

	strict_begin(&s, false);
	negotiate(&s, 0);
	expect_only(&s, "accept-version-1", "rng");
}

static void features_after_ok(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	wr(&s, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	expect_only(&s, "features-after-ok", "rng");
}

/* FEATURES_OK written, then straight on to the queues. */
static void features_ok_reread(void)
{
	struct strict s;

	strict_begin(&s, false);
	discover(&s);
	wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER);
	write_features(&s, VERSION_1);
	wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	wr(&s, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(&s, VIRTIO_MMIO_QUEUE_NUM, TEST_QUEUE_SIZE);
	expect_only(&s, "features-ok-reread", "rng");
}

static void config_write_early(void)
{
	struct strict s;

	strict_begin(&s, false);
	discover(&s);
	driver_set_status(&s.drv, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	driver_set_status(&s.drv, VIRTIO_CONFIG_S_DRIVER);
	wr(&s, VIRTIO_MMIO_CONFIG, 1);
	expect_only(&s, "config-write-early", "rng");
}

static void notify_before_driver_ok(void)
{
	struct driver_buf buf;
	struct strict s;

	strict_begin(&s, false);
	if (!CHECK(driver_probe_until_ready(&s.drv, s.win, ~0ULL, 1)))
		return strict_end(&s);
	buf = (struct driver_buf){ s.buf, 16, true };
	driver_add(&s.drv, 0, &buf, 1);
	driver_kick(&s.drv, 0);
	expect_only(&s, "notify-before-driver-ok", "rng queue 0");
}

static void reset_read_zero(void)
{
	struct strict s;

	strict_begin(&s, false);
	rd(&s, VIRTIO_MMIO_MAGIC_VALUE);
	rd(&s, VIRTIO_MMIO_VERSION);
	rd(&s, VIRTIO_MMIO_DEVICE_ID);
	wr(&s, VIRTIO_MMIO_STATUS, 0);
	wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	expect_only(&s, "reset-read-zero", "rng");
}

static void magic_first(void)
{
	struct strict s;

	strict_begin(&s, false);
	rd(&s, VIRTIO_MMIO_DEVICE_ID);
	expect_only(&s, "magic-first", "rng");
}

static void register_width(void)
{
	struct strict s;
	uint16_t half;

	strict_begin(&s, false);
	discover(&s);
	s.win->ops->read(s.win->opaque, VIRTIO_MMIO_STATUS, &half, 2);
	expect_only(&s, "register-width", "rng");
}

static void register_direction(void)
{
	struct strict s;

	strict_begin(&s, false);
	discover(&s);
	wr(&s, VIRTIO_MMIO_QUEUE_NUM_MAX, 16);
	expect_only(&s, "register-direction", "rng");
}

/* Up to the queue registers, by the book. */
static void before_queues(struct strict *s)
{
	negotiate(s, VERSION_1);
	rd(s, VIRTIO_MMIO_STATUS);
	wr(s, VIRTIO_MMIO_QUEUE_SEL, 0);
}

static void queue_num_max(void)
{
	struct strict s;

	strict_begin(&s, false);
	before_queues(&s);
	wr(&s, VIRTIO_MMIO_QUEUE_NUM, 2 * rd(&s, VIRTIO_MMIO_QUEUE_NUM_MAX));
	expect_only(&s, "queue-num-max", "rng queue 0");
}

static void queue_config_ready(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	wr(&s, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(&s, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	expect_only(&s, "queue-config-ready", "rng queue 0");
}

static void queue_ready_unset(void)
{
	struct strict s;

	strict_begin(&s, false);
	before_queues(&s);
	wr(&s, VIRTIO_MMIO_QUEUE_NUM, TEST_QUEUE_SIZE);
	wr(&s, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x10000);
	wr(&s, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(&s, VIRTIO_MMIO_QUEUE_READY, 1);
	expect_only(&s, "queue-ready-unset", "rng queue 0");
}

static void queue_stop_readback(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	wr(&s, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(&s, VIRTIO_MMIO_QUEUE_READY, 0);
	wr(&s, VIRTIO_MMIO_STATUS, 0);
	expect_only(&s, "queue-stop-readback", "rng queue 0");
}

static void interrupt_ack_bits(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	wr(&s, VIRTIO_MMIO_INTERRUPT_ACK, 0x5);
	expect_only(&s, "interrupt-ack-bits", "rng");
}

/* --- the ring --------------------------------------------------------------- */

static void avail_ahead(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	set_desc(&s, 0, s.buf, 8, VRING_DESC_F_WRITE, 0);
	driver_ring_add_head(ring(&s, 0), 0);
	driver_ring_set_avail_idx(ring(&s, 0), TEST_QUEUE_SIZE + 1);
	driver_kick(&s.drv, 0);
	expect_only(&s, "avail-ahead", "rng queue 0");
}

static void no_decrement(void)
{
	struct strict s;
	uint32_t id, len;

	if (!live(&s, false, ~0ULL, 1))
		return;
	set_desc(&s, 0, s.buf, 8, VRING_DESC_F_WRITE, 0);
	offer(&s, 0);
	CHECK(driver_used(&s.drv, 0, &id, &len));
	driver_ring_set_avail_idx(ring(&s, 0), 0);
	driver_kick(&s.drv, 0);
	expect_only(&s, "no-decrement", "rng queue 0");
}

static void avail_flags(void)
{
	struct strict s;

	if (!live(&s, false, VERSION_1, 1))
		return;
	ring(&s, 0)->vr.avail->flags = 2;
	set_desc(&s, 0, s.buf, 8, VRING_DESC_F_WRITE, 0);
	offer(&s, 0);
	expect_only(&s, "avail-flags", "rng queue 0");
}

static void head_range(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	offer(&s, TEST_QUEUE_SIZE);
	expect_only(&s, "head-range", "rng queue 0");
}

static void next_range(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	set_desc(&s, 0, s.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
		 TEST_QUEUE_SIZE + 4);
	offer(&s, 0);
	expect_only(&s, "next-range", "rng queue 0");
}

static void chain_length(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	set_desc(&s, 0, s.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(&s, 1, s.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	offer(&s, 0);
	expect_only(&s, "chain-length", "rng queue 0");
}

static void chain_bytes(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	set_desc(&s, 0, s.buf, 0x80000000U, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(&s, 1, s.buf, 0x80000000U, VRING_DESC_F_WRITE, 0);
	offer(&s, 0);
	expect_only(&s, "chain-bytes", "rng queue 0");
}

static void write_after_read(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	set_desc(&s, 0, s.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(&s, 1, s.buf + 8, 8, 0, 0);
	offer(&s, 0);
	expect_only(&s, "write-after-read", "rng queue 0");
}

/* Descriptor 0 points at a table of two writable entries at buf + 2048. */
static struct vring_desc *indirect_table(struct strict *s, uint32_t len,
					 uint16_t flags)
{
	struct vring_desc *table = host(s->buf + 2048);

	driver_desc_fill(&table[0], s->buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	driver_desc_fill(&table[1], s->buf + 8, 8, VRING_DESC_F_WRITE, 0);
	set_desc(s, 0, s->buf + 2048, len, VRING_DESC_F_INDIRECT | flags, 1);
	set_desc(s, 1, s->buf + 16, 8, VRING_DESC_F_WRITE, 0);
	return table;
}

static void indirect_negotiated(void)
{
	struct strict s;

	if (!live(&s, false, VERSION_1, 1))
		return;
	indirect_table(&s, 32, 0);
	offer(&s, 0);
	expect_only(&s, "indirect-negotiated", "rng queue 0");
}

static void indirect_and_next(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	indirect_table(&s, 32, VRING_DESC_F_NEXT);
	offer(&s, 0);
	expect_only(&s, "indirect-and-next", "rng queue 0");
}

static void no_nested_indirect(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	indirect_table(&s, 32, 0)[1].flags = VRING_DESC_F_INDIRECT;
	offer(&s, 0);
	expect_only(&s, "no-nested-indirect", "rng queue 0");
}

static void indirect_len(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	indirect_table(&s, 24, 0);
	offer(&s, 0);
	expect_only(&s, "indirect-len", "rng queue 0");
}

static void indirect_next_range(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	indirect_table(&s, 32, 0)[0].next = 2;
	offer(&s, 0);
	expect_only(&s, "indirect-next-range", "rng queue 0");
}

/*
 * A hostile guest's tables, for strict mode's own walker: a loop inside
 * an indirect table ends at the queue size, said as chain-length (the
 * walk is bounded by the queue, not by the table); a table of nearly
 * 4 GiB that RAM cannot hold is read nowhere and judged by nobody but
 * the ring walker, which breaks the ring.
 */
static void indirect_loop(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	indirect_table(&s, 32, 0)[1].flags = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT;
	((struct vring_desc *)host(s.buf + 2048))[1].next = 0;
	offer(&s, 0);
	expect_only(&s, "chain-length", "rng queue 0");
}

static void indirect_huge(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	indirect_table(&s, 0xfffffff0U, 0);
	set_desc(&s, 0, s.buf + 2048, 0xfffffff0U, VRING_DESC_F_INDIRECT, 0);
	offer(&s, 0);
	expect_nothing(&s);
}

/* The console holds receive buffers until input comes. */
static void head_in_flight(void)
{
	struct strict s;

	if (!live(&s, true, ~0ULL, 2))
		return;
	set_desc(&s, 3, s.buf, 64, VRING_DESC_F_WRITE, 0);
	offer(&s, 3);
	offer(&s, 3);
	expect_only(&s, "head-in-flight", "console queue 0");
}

/*
 * A receive buffer shrunk while the console holds it; input arrives on
 * the I/O thread, which finds it there when it gives the buffer back.
 */
static void desc_changed(void)
{
	struct strict s;
	uint32_t id, len;
	int in[2];

	memset(&s, 0, sizeof(s));
	if (!CHECK(pipe2(in, O_NONBLOCK) == 0))
		return;
	virtio_strict_set_mode(VIRTIO_STRICT_REPORT);
	s.out = open_memstream(&s.text, &s.size);
	virtio_strict_set_output(s.out);
	virtio_console_create(&test_mem, -1, in[0]);
	s.win = &fake_windows[0];
	s.buf = guest_alloc(4096);
	if (probed(&s, ~0ULL, 2)) {
		set_desc(&s, 3, s.buf, 64, VRING_DESC_F_WRITE, 0);
		offer(&s, 3);
		set_desc(&s, 3, s.buf, 32, VRING_DESC_F_WRITE, 0);
		fake_on_io_thread = true;
		CHECK(write(in[1], "ab", 2) == 2);
		CHECK(fake_fd_ready(in[0]));
		CHECK(driver_used(&s.drv, 0, &id, &len) && id == 3);
		expect_only(&s, "desc-changed", "console queue 0");
	} else {
		strict_end(&s);
	}
	close(in[0]);
	close(in[1]);
}

/*
 * The guest publishes a chain between strict mode's look at avail->idx
 * and the walker's, as a second vCPU refilling a ring can, or the guest's
 * one vCPU while the I/O thread takes receive buffers: a kick with
 * nothing new, strict mode finds nothing (read 1 at the notify, read 2 in
 * the pop), and the walker's read (3) finds the chain and takes it.  The
 * device uses it at once.  Strict mode must have judged it before then:
 * a chain it judges only after its head came back stays "in flight" in
 * its books for ever, and the driver's next, correct, use of that head
 * is reported as head-in-flight.
 */
static struct strict *race_strict;

static void race_publish(void)
{
	driver_ring_publish_head(ring(race_strict, 0), 0);
}

static void chain_taken_between_reads(void)
{
	struct strict s;
	uint32_t id, len;

	if (!live(&s, false, VERSION_1, 1))
		return;
	set_desc(&s, 0, s.buf, 8, VRING_DESC_F_WRITE, 0);
	race_strict = &s;
	fake_race_gpa = s.drv.queues[0].avail_gpa + 2;
	fake_race_countdown = 3;
	fake_race = race_publish;
	driver_kick(&s.drv, 0);
	CHECK(!fake_race);	/* the guest did publish in between */
	CHECK(driver_used(&s.drv, 0, &id, &len) && id == 0);
	/* The driver has head 0 back and offers it again: all by the book. */
	offer(&s, 0);
	CHECK(driver_used(&s.drv, 0, &id, &len) && id == 0);
	expect_nothing(&s);
}

/* --- reporting ---------------------------------------------------------------- */

/* One line the first time, a count after; the summary has the count. */
static void repeats_are_counted_not_repeated(void)
{
	struct strict s;

	if (!live(&s, false, ~0ULL, 1))
		return;
	for (unsigned int i = 0; i < 3; i++)
		wr(&s, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	fflush(s.out);
	CHECK(lines(s.text) == 1);
	CHECK(virtio_strict_count("features-after-ok") == 3);
	CHECK(virtio_strict_finish(s.out, 7) == LGUEST_STATUS_STRICT);
	fflush(s.out);
	CHECK(strstr(s.text, "lguest: virtio-strict: 3 violations (the guest's own exit status was 7)") != NULL);
	CHECK(strstr(s.text, "lguest: virtio-strict:   rng: 3.1.1 features-after-ok: 3\n") != NULL);
	strict_end(&s);
}

/* --virtio-strict=fatal: the first violation ends the launcher, status 4. */
static void fatal_stops_at_the_first(void)
{
	jmp_buf jump;
	struct strict s;

	strict_begin(&s, false);
	virtio_strict_set_mode(VIRTIO_STRICT_FATAL);
	fake_exit_jump = &jump;
	if (!setjmp(jump)) {
		discover(&s);
		wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_DRIVER);
		CHECK(!"launcher_exit() was called");
	}
	fake_exit_jump = NULL;
	CHECK(fake_exit_status == LGUEST_STATUS_STRICT);
	CHECK(virtio_strict_count("status-order") == 1);
	strict_end(&s);
}

/*
 * =fatal with two threads: the vCPU thread and the I/O thread each judge
 * their own devices, under their own locks, so both can find a violation
 * at once.  The first stops the launcher; the second, on its way while
 * the first is in launcher_exit(), must not print a second line and a
 * second "stopping" line, nor end the launcher a second time (two exit()
 * calls at once run the atexit handlers and tear stdio down from two
 * threads).  The simulated exit returns here, which is what the second
 * thread sees: the stop already under way.
 */
static void fatal_stops_once(void)
{
	struct virtio_device *dev;
	jmp_buf jump;
	struct strict s;
	size_t after_first;

	strict_begin(&s, false);
	dev = s.win->opaque;
	virtio_strict_set_mode(VIRTIO_STRICT_FATAL);
	fake_exit_jump = &jump;
	if (!setjmp(jump)) {
		discover(&s);
		wr(&s, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_DRIVER);
		CHECK(!"launcher_exit() was called");
	}
	/* The real exit never comes back to unlock what it held. */
	pthread_mutex_unlock(&dev->lock);
	fflush(s.out);
	after_first = s.size;
	fake_exit_status = -1;
	if (!setjmp(jump)) {
		/* Another statement, as the other thread would break it. */
		wr(&s, VIRTIO_MMIO_INTERRUPT_ACK, 0x5);
	} else {
		pthread_mutex_unlock(&dev->lock);
	}
	fake_exit_jump = NULL;
	fflush(s.out);
	CHECK(fake_exit_status == -1);
	if (!CHECK(s.size == after_first))
		tap_diag("after the stop: %s", s.text + after_first);
	CHECK(virtio_strict_count("interrupt-ack-bits") == 0);
	CHECK(virtio_strict_count("status-order") == 1);
	strict_end(&s);
}

/* Off (the default): nothing judged, nothing printed, the status kept. */
static void off_judges_nothing(void)
{
	CHECK(virtio_strict_mode() == VIRTIO_STRICT_OFF);
	virtio_rng_create(&test_mem);
	mmio_write32(&fake_windows[0], VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_DRIVER);
	CHECK(virtio_strict_total() == 0);
	CHECK(virtio_strict_finish(stderr, 3) == 3);
}

const struct tap_test strict_tests[] = {
	{ "strict: a driver that keeps the rules is reported for nothing", good_driver_reports_nothing },
	{ "strict: buffers the device holds for input are no finding", buffers_held_by_the_device_report_nothing },
	{ "strict: mutant 3.1.1 status-order (DRIVER before ACKNOWLEDGE)", status_order },
	{ "strict: mutant 2.1.1 status-clear (DRIVER_OK cleared without reset)", status_clear },
	{ "strict: mutant 2.1.1 failed-reset (DRIVER after FAILED)", failed_reset },
	{ "strict: mutant 2.2.1 feature-not-offered (bit 41)", feature_not_offered },
	{ "strict: mutant 6.1 accept-version-1 (FEATURES_OK without it)", accept_version_1 },
	{ "strict: mutant 3.1.1 features-after-ok", features_after_ok },
	{ "strict: mutant 3.1.1 features-ok-reread (queues without reading Status)", features_ok_reread },
	{ "strict: mutant 3.1.1 config-write-early", config_write_early },
	{ "strict: mutant 3.1.1 notify-before-driver-ok", notify_before_driver_ok },
	{ "strict: mutant 2.4.2 reset-read-zero (re-init without reading 0)", reset_read_zero },
	{ "strict: mutant 4.2.3.1.1 magic-first (DeviceID first)", magic_first },
	{ "strict: mutant 4.2.2.2 register-width (2-byte Status read)", register_width },
	{ "strict: mutant 4.2.2.2 register-direction (QueueNumMax written)", register_direction },
	{ "strict: mutant 4.2.2.2 queue-num-max", queue_num_max },
	{ "strict: mutant 4.2.2.2 queue-config-ready", queue_config_ready },
	{ "strict: mutant 4.2.3.2 queue-ready-unset (no avail or used address)", queue_ready_unset },
	{ "strict: mutant 4.2.2.2 queue-stop-readback (reset after QueueReady 0)", queue_stop_readback },
	{ "strict: mutant 4.2.2.2 interrupt-ack-bits (bit 2)", interrupt_ack_bits },
	{ "strict: mutant 2.7.13 avail-ahead (17 chains on a ring of 16)", avail_ahead },
	{ "strict: mutant 2.7.6.1 no-decrement", no_decrement },
	{ "strict: mutant 2.7.7.1 avail-flags (2)", avail_flags },
	{ "strict: mutant 2.7.6 head-range", head_range },
	{ "strict: mutant 2.7.5 next-range", next_range },
	{ "strict: mutant 2.7.5.3.1 chain-length (a loop)", chain_length },
	{ "strict: mutant 2.7.5.2 chain-bytes (4 GiB)", chain_bytes },
	{ "strict: mutant 2.7.4.2 write-after-read", write_after_read },
	{ "strict: mutant 2.7.5.3.1 indirect-negotiated", indirect_negotiated },
	{ "strict: mutant 2.7.5.3.1 indirect-and-next", indirect_and_next },
	{ "strict: mutant 2.7.5.3.1 no-nested-indirect", no_nested_indirect },
	{ "strict: mutant 2.7.5.3 indirect-len (24 bytes)", indirect_len },
	{ "strict: mutant 2.7.5.3 indirect-next-range", indirect_next_range },
	{ "strict: a loop inside an indirect table ends at the queue size (chain-length)", indirect_loop },
	{ "strict: an indirect table of nearly 4 GiB is read nowhere", indirect_huge },
	{ "strict: mutant 2.7.13.1 head-in-flight (a held head offered again)", head_in_flight },
	{ "strict: mutant 2.7.13.1 desc-changed (found on the I/O thread)", desc_changed },
	{ "strict: a chain published between strict's read and the walker's is judged before it is used", chain_taken_between_reads },
	{ "strict: repeats are counted, reported once, summed at exit", repeats_are_counted_not_repeated },
	{ "strict: =fatal stops the guest at the first violation, status 4", fatal_stops_at_the_first },
	{ "strict: =fatal stops once: a racing second violation says nothing", fatal_stops_once },
	{ "strict: off, nothing is judged and the exit status is kept", off_judges_nothing },
	{ NULL, NULL },
};
