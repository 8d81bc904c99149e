// SPDX-License-Identifier: GPL-2.0
/*
 * ring_conformance: the virtio 1.2 split-ring statements, one test each,
 * against vringfd and the echo consumer.  Run it (as root, with
 * vringfd.ko and vring_echo.ko loaded) in the test VM:
 *
 *   ring_conformance            run everything, TAP on stdout
 *   ring_conformance -k WORD    run the statements whose id contains WORD
 *   ring_conformance -l         list the statements
 *   ring_conformance -S         check the suite's own machinery (host)
 *
 * Besides the TAP lines it prints one "# row|..." line per statement,
 * tested or not; tests/conformance/vm/gen-doc.sh turns those into the table
 * in Documentation/ring-conformance.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conformance.h"
#include "conf_env.h"

/*
 * This is a driver's-eye view of virtio's split ring.  Each row
 * below is one normative statement of virtio 1.2 section 2.7 (and two of
 * 2.1.2), paraphrased, with the test that checks it.  Statements about
 * what the *device* must do are tested against vringfd with the echo
 * consumer behind it.  Statements about what the *driver* must do bind
 * this program, not the device: they are listed with how the suite
 * honours them, and where a misbehaving driver is worth simulating the
 * "hostile" tests do exactly that and check the device survives it.
 * Sections are those of "Virtual I/O Device (VIRTIO) Version 1.2".
 */
#define T(sec, id, kind, text, fn) { sec, id, kind, text, fn, NULL }
#define NA(sec, id, kind, text, why) { sec, id, kind, text, NULL, why }

const struct conf_statement conf_statements[] = {
	/* Layout: the table at the top of 2.7. */
	T("2.7", "queue-size", "device",
	  "Queue Size is a power of 2 up to 32768: the device works at every such size",
	  test_queue_size),
	T("2.7", "alignment", "device",
	  "Descriptor table, available and used rings need only 16-, 2- and 4-byte alignment",
	  test_alignment),
	T("2.7", "part-sizes", "device",
	  "The parts are 16*N, 6+2*N and 6+8*N bytes: the device touches nothing beyond them",
	  test_part_sizes),
	T("vringfd", "setup-rejects", "vringfd ABI",
	  "VRINGSETUP refuses sizes, alignments, features and flags the ring cannot have (EINVAL)",
	  test_setup_rejects),
	NA("2.7.1", "driver-align", "driver MUST",
	   "The driver places each part at a multiple of its alignment",
	   "honoured by construction; the device's refusal of misaligned parts is vringfd setup-rejects"),
	NA("2.7.2", "legacy-layout", "transitional MUST",
	   "Legacy interface: one contiguous legacy layout with Queue Align padding",
	   "not applicable: vringfd has no legacy interface, the three parts are placed freely"),
	NA("2.7.3", "legacy-endian", "transitional MUST",
	   "Legacy interface: ring fields in the guest's native endian",
	   "not applicable: no legacy interface (and x86-64 is little-endian anyway)"),

	/* Message framing. */
	T("2.7.4.1", "any-layout", "device MUST NOT",
	  "The device makes no assumption about how a message is split into descriptors",
	  test_any_layout),
	T("2.7.4.1", "zero-length", "device MUST NOT",
	  "No assumption about the arrangement: zero-length descriptors anywhere in a chain",
	  test_zero_length),
	NA("2.7.4.1", "chain-limit", "device MAY",
	   "The device may limit the number of descriptors in a chain",
	   "permission; vringfd's limit is the queue size (2.7.5 max-chain, hostile-loop)"),
	NA("2.7.4.2", "write-after-read", "driver MUST",
	   "Device-writable descriptors come after all device-readable ones",
	   "honoured by construction; a violation is simulated by hostile-read-after-write"),
	NA("2.7.4.2", "few-descriptors", "driver SHOULD NOT",
	   "The driver does not use an excessive number of descriptors for a buffer",
	   "honoured: at most 30 per chain, except max-chain which tests the queue-size bound"),

	/* The descriptor table. */
	T("2.7.5", "max-chain", "device",
	  "The queue size is the longest possible chain: chains of N descriptors are accepted",
	  test_max_chain),
	T("2.7.5", "next-without-flag", "device",
	  "next is meaningful only when NEXT is set: a chain ends at a descriptor without NEXT",
	  test_next_without_flag),
	T("2.7.5", "readable-bounds", "device",
	  "A readable descriptor offers [addr, addr+len): the device reads nothing outside it",
	  test_readable_bounds),
	T("2.7.5", "writable-bounds", "device",
	  "A writable descriptor offers [addr, addr+len): the device writes nothing outside it",
	  test_writable_bounds),
	T("2.7.5.1", "no-write-readable", "device MUST NOT",
	  "The device does not write to a device-readable buffer",
	  test_no_write_readable),
	T("2.7.5.1", "no-read-writable", "device SHOULD NOT",
	  "The device does not read a device-writable buffer (checked where it has nothing to write)",
	  test_no_read_writable),
	NA("2.7.5.1", "debug-read", "device MAY",
	   "The device may read a device-writable buffer for debugging",
	   "permission, nothing to check"),
	NA("2.7.5.2", "chain-bytes", "driver MUST NOT",
	   "No chain longer than 2^32 bytes in total; so no loops",
	   "honoured by construction; simulated by hostile-over-4g and hostile-loop"),
	NA("2.7.5.2", "in-order-next", "driver MUST",
	   "With VIRTIO_F_IN_ORDER, next is x+1 (0 after the last entry)",
	   "not applicable: vringfd does not offer VIRTIO_F_IN_ORDER"),

	/* Indirect descriptors. */
	T("2.7.5.3", "indirect-table", "device",
	  "An indirect table starts at entry 0, continues by next, ends at an entry without NEXT, mixes readable and writable",
	  test_indirect),
	NA("2.7.5.3.1", "indirect-negotiated", "driver MUST NOT",
	   "INDIRECT is set only if VIRTIO_F_INDIRECT_DESC was negotiated",
	   "honoured by construction; simulated by hostile-indirect-unnegotiated"),
	NA("2.7.5.3.1", "no-nested-indirect", "driver MUST NOT",
	   "No INDIRECT flag inside an indirect table",
	   "honoured by construction; simulated by hostile-nested-indirect"),
	NA("2.7.5.3.1", "chain-length", "driver MUST NOT",
	   "No chain longer than the queue size",
	   "honoured by construction; simulated by hostile-indirect-too-long and hostile-loop"),
	NA("2.7.5.3.1", "indirect-and-next", "driver MUST NOT",
	   "Never both INDIRECT and NEXT in one descriptor",
	   "honoured by construction; simulated by hostile-indirect-next"),
	NA("2.7.5.3.1", "in-order-indirect", "driver MUST",
	   "With VIRTIO_F_IN_ORDER, indirect entries are sequential",
	   "not applicable: vringfd does not offer VIRTIO_F_IN_ORDER"),
	T("2.7.5.3.2", "ignore-write-flag", "device MUST",
	  "The device ignores WRITE in a descriptor that points to an indirect table",
	  test_indirect_write_flag),
	T("2.7.5.3.2", "chain-then-indirect", "device MUST",
	  "The device handles zero or more chained descriptors followed by one indirect descriptor",
	  test_chain_then_indirect),

	/* The available ring. */
	T("2.7.6", "avail-ring", "device",
	  "The available ring is only read by the device; its entries up to idx (mod N) are chain heads",
	  test_avail_ring),
	NA("2.7.6.1", "no-decrement", "driver MUST NOT",
	   "The driver never decrements the available idx",
	   "honoured by construction; simulated by hostile-avail-jump"),

	/* Used buffer notification suppression. */
	T("2.7.7.2", "ignore-used-event", "device MUST",
	  "Without EVENT_IDX the device ignores used_event",
	  test_ignore_used_event),
	T("2.7.7.2", "flags0-notify", "device MUST",
	  "Without EVENT_IDX, avail flags 0: the device notifies after using buffers",
	  test_flags0_notify),
	T("2.7.7.2", "flags1-no-notify", "device SHOULD NOT",
	  "Without EVENT_IDX, avail flags 1 (NO_INTERRUPT): the device does not notify",
	  test_flags1_no_notify),
	T("2.7.7.2", "event-ignore-flags", "device MUST",
	  "With EVENT_IDX the device ignores the lower bit of avail flags",
	  test_event_ignore_flags),
	T("2.7.7.2", "event-crossing", "device MUST",
	  "With EVENT_IDX, writing the used entry at index used_event: the device notifies",
	  test_event_crossing),
	T("2.7.7.2", "event-no-crossing", "device SHOULD NOT",
	  "With EVENT_IDX, otherwise the device does not notify",
	  test_event_no_crossing),
	T("2.7.7.2", "event-wrap", "device MUST",
	  "used_event compares modulo 2^16: with used_event 0, notify after buffer 1 and again 65536 later",
	  test_event_wrap),
	NA("2.7.7.1", "avail-flags", "driver MUST",
	   "The driver sets avail flags to 0 or 1, and to 0 with EVENT_IDX",
	   "honoured, except event-ignore-flags, which sets 1 with EVENT_IDX to check the device ignores it"),
	NA("2.7.7.1", "spurious-calls", "driver MUST",
	   "The driver handles spurious notifications",
	   "honoured: notifications are counted only where the device MUST or SHOULD NOT send them"),

	/* The used ring. */
	T("2.7.8", "used-id", "device",
	  "A used entry's id is the head of the descriptor chain it returns",
	  test_used_id),
	T("2.7.8", "used-len", "device",
	  "A used entry's len is the total of bytes written into the buffer",
	  test_used_len),
	T("2.7.8", "used-idx", "device",
	  "used idx is where the device puts the next entry (mod N); it starts at 0 and only increases",
	  test_used_idx),
	T("2.7.8.2", "len-before-idx", "device MUST",
	  "The device sets len before it updates used idx",
	  test_len_before_idx),
	T("2.7.8.2", "data-before-idx", "device MUST",
	  "The device writes at least len bytes before it updates used idx",
	  test_data_before_idx),
	NA("2.7.8.2", "more-than-len", "device MAY",
	   "The device may write more than len bytes",
	   "permission; vring_echo documents len = bytes written, so writes beyond len fail used-len's audit"),
	NA("2.7.8.3", "beyond-len", "driver MUST NOT",
	   "The driver assumes nothing about writable bytes beyond len",
	   "honoured: data is compared only within len; bytes beyond are checked as guard bytes"),
	NA("2.7.9", "in-order", "device",
	   "With VIRTIO_F_IN_ORDER, buffers are used in the order they were made available",
	   "not applicable: vringfd does not offer VIRTIO_F_IN_ORDER (used ids are matched by head, 2.7.8 used-id)"),

	/* Available buffer notification suppression. */
	T("2.7.10.2", "used-flags-values", "device MUST",
	  "Without EVENT_IDX the device sets used flags to 0 or 1",
	  test_used_flags_values),
	T("2.7.10.2", "event-used-flags-zero", "device MUST",
	  "With EVENT_IDX the device sets used flags to 0",
	  test_event_used_flags_zero),
	T("2.7.10.2", "avail-event", "device MAY",
	  "The device may use avail_event (vringfd: the next avail index it will read, when idle)",
	  test_avail_event),
	T("2.7.10.2", "spurious-kick", "device MUST",
	  "The device handles spurious notifications",
	  test_spurious_kick),
	T("2.7.10", "no-missed-kick", "device (derived)",
	  "A driver that kicks only when used flags / avail_event ask for it never stalls",
	  test_no_missed_kick),
	NA("2.7.10.1", "used-flags-init", "driver MUST",
	   "The driver initialises used flags to 0",
	   "honoured by construction"),
	NA("2.7.10.1", "kick-rules", "driver MUST/SHOULD NOT",
	   "The driver kicks after adding buffers unless used flags / avail_event say not to",
	   "honoured in no-missed-kick; elsewhere the suite always kicks, which the device MUST tolerate"),

	/* Supplying buffers, index arithmetic. */
	T("2.7.13", "full-ring", "device",
	  "The 16-bit idx tells a full ring (N buffers outstanding) from an empty one",
	  test_full_ring),
	T("2.7.13.3", "idx-wrap", "device",
	  "idx always increments and wraps naturally at 65536",
	  test_idx_wrap),
	NA("2.7.13.3.1", "barrier-before-idx", "driver MUST",
	   "A memory barrier before the avail idx update",
	   "honoured: avail idx is stored with release ordering"),
	NA("2.7.13.4.1", "barrier-before-check", "driver MUST",
	   "A memory barrier before reading used flags or avail_event",
	   "honoured: a full fence before the check in no-missed-kick"),

	/* The device status analogues. */
	T("2.1.2", "no-use-before-ready", "device MUST NOT",
	  "No buffer is consumed before DRIVER_OK (here: before a consumer is attached)",
	  test_no_use_before_ready),
	T("2.1.2", "needs-reset", "device SHOULD",
	  "An error that needs a reset is signalled (here: broken, EPOLLERR, EIO until VRINGSETUP)",
	  test_needs_reset),

	/* Hostile drivers: the device must not use a malformed chain. */
	T("2.7.5.2", "hostile-loop", "device vs bad driver",
	  "A descriptor loop: the ring breaks, nothing is used or written",
	  test_hostile_loop),
	T("2.7.5", "hostile-next-range", "device vs bad driver",
	  "next beyond the table: the ring breaks, nothing is used or written",
	  test_hostile_next_range),
	T("2.7.6", "hostile-head-range", "device vs bad driver",
	  "An available head beyond the table: the ring breaks, nothing is used or written",
	  test_hostile_head_range),
	T("2.7.6.1", "hostile-avail-jump", "device vs bad driver",
	  "avail idx more than N ahead (or moved back): the ring breaks, nothing is used",
	  test_hostile_avail_jump),
	T("2.7.4.2", "hostile-read-after-write", "device vs bad driver",
	  "A readable descriptor after a writable one: the ring breaks, nothing is written",
	  test_hostile_read_after_write),
	T("2.7.5.2", "hostile-over-4g", "device vs bad driver",
	  "A chain of more than 2^32-1 bytes: the ring breaks, nothing is used",
	  test_hostile_over_4g),
	T("vringfd", "hostile-outside-limit", "device vs bad driver",
	  "A buffer outside [0, limit): the ring breaks, nothing is written",
	  test_hostile_outside_limit),
	T("vringfd", "hostile-base-overflow", "device vs bad driver",
	  "base + addr overflows: the ring breaks, nothing is written",
	  test_hostile_base_overflow),
	T("2.7.5.3.1", "hostile-indirect-unnegotiated", "device vs bad driver",
	  "INDIRECT without the feature: the ring breaks, nothing is written",
	  test_hostile_indirect_unnegotiated),
	T("2.7.5.3.1", "hostile-nested-indirect", "device vs bad driver",
	  "INDIRECT inside an indirect table: the ring breaks, nothing is written",
	  test_hostile_nested_indirect),
	T("2.7.5.3.1", "hostile-indirect-next", "device vs bad driver",
	  "INDIRECT together with NEXT: the ring breaks, nothing is written",
	  test_hostile_indirect_next),
	T("2.7.5.3", "hostile-indirect-len", "device vs bad driver",
	  "An indirect table length of 0 or not a multiple of 16: the ring breaks",
	  test_hostile_indirect_len),
	T("2.7.5.3", "hostile-indirect-loop", "device vs bad driver",
	  "A loop inside an indirect table: the ring breaks, nothing is written",
	  test_hostile_indirect_loop),
	T("2.7.5.3", "hostile-indirect-next-range", "device vs bad driver",
	  "An indirect next beyond its table: the ring breaks, nothing is written",
	  test_hostile_indirect_next_range),
	T("2.7.5.3.1", "hostile-indirect-too-long", "device vs bad driver",
	  "An indirect chain longer than the queue size: the ring breaks",
	  test_hostile_indirect_too_long),
	T("vringfd", "hostile-fault-ring", "device vs bad driver",
	  "An unreadable descriptor table or available ring: the ring breaks (EFAULT), nothing is written",
	  test_hostile_fault_ring),
	T("vringfd", "hostile-fault-used", "device vs bad driver",
	  "An unwritable used ring: the ring breaks (EFAULT)",
	  test_hostile_fault_used),
	T("vringfd", "hostile-fault-buffer", "device vs bad driver",
	  "An inaccessible buffer: the ring breaks (EFAULT), the chain is not used",
	  test_hostile_fault_buffer),
};

const unsigned int conf_nstatements =
	sizeof(conf_statements) / sizeof(conf_statements[0]);

/* ---- Reporting ---- */

int conf_failed;
int conf_quiet;
static char conf_first_failure[240];

void fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!conf_quiet)
		printf("# FAIL: %s\n", buf);
	if (!conf_failed)
		snprintf(conf_first_failure, sizeof(conf_first_failure),
			 "%.230s", buf);
	conf_failed = 1;
	fflush(stdout);
}

static char conf_skip_reason[200];

int conf_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(conf_skip_reason, sizeof(conf_skip_reason), fmt, ap);
	va_end(ap);
	return CONF_SKIP;
}

int conf_open_vring(void)
{
	int fd = open("/dev/vring", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap_bail_out("open /dev/vring: %m (is vringfd.ko loaded?)");
	return fd;
}

static uint32_t conf_rand_state = 1;

void conf_srand(uint32_t seed)
{
	conf_rand_state = seed ? seed : 1;
}

uint32_t conf_rand(void)
{
	uint32_t x = conf_rand_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	conf_rand_state = x;
	return x;
}

/* ---- Running ---- */

enum conf_verdict { V_SKIP, V_PASS, V_FAIL, V_NA };

static const char *const conf_verdict_name[] = {
	"NOT RUN", "PASS", "FAIL", "NOT-APPLICABLE",
};

static double conf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool conf_selected(const struct conf_statement *st, const char *filter)
{
	return !filter || strstr(st->id, filter);
}

/* Table cells must not contain the separator. */
static void conf_print_cell(const char *s)
{
	for (; *s; s++)
		putchar(*s == '|' ? '/' : *s);
}

static void conf_print_row(const struct conf_statement *st,
			   enum conf_verdict v, const char *detail)
{
	printf("# row|%s|%s|%s|", st->section, st->id, st->kind);
	conf_print_cell(st->text);
	printf("|%s|%s|", st->test ? st->id : "-", conf_verdict_name[v]);
	conf_print_cell(detail ? detail : "");
	printf("\n");
}

static enum conf_verdict conf_run_one(const struct conf_statement *st,
				      unsigned int n, char *detail,
				      size_t detail_len)
{
	double t0 = conf_now();
	int rc;

	conf_failed = 0;
	conf_first_failure[0] = '\0';
	conf_skip_reason[0] = '\0';
	conf_srand(n * 2654435761u);
	rc = st->test();
	if (rc == CONF_SKIP && !conf_failed) {
		tap_skip(conf_skip_reason, "[%s %s] %s", st->section, st->id,
			 st->text);
		snprintf(detail, detail_len, "skipped: %s", conf_skip_reason);
		return V_SKIP;
	}
	if (rc && !conf_failed)
		fail("test returned an error without saying why");
	tap_ok(!conf_failed, "[%s %s] %s", st->section, st->id, st->text);
	tap_diag("%s took %.2f s", st->id, conf_now() - t0);
	snprintf(detail, detail_len, "%s", conf_first_failure);
	return conf_failed ? V_FAIL : V_PASS;
}

static void conf_list(void)
{
	unsigned int i;

	for (i = 0; i < conf_nstatements; i++)
		printf("%-10s %-30s %-20s %s\n", conf_statements[i].section,
		       conf_statements[i].id, conf_statements[i].kind,
		       conf_statements[i].test ? "tested" : "not applicable");
}

int main(int argc, char **argv)
{
	static char details[256][240];
	enum conf_verdict verdict[256];
	const char *filter = NULL;
	unsigned int i, n = 0, planned = 0, failed = 0;
	int opt;

	if (conf_nstatements > 256)
		tap_bail_out("too many statements");
	while ((opt = getopt(argc, argv, "k:lS")) != -1) {
		switch (opt) {
		case 'k':
			filter = optarg;
			break;
		case 'l':
			conf_list();
			return 0;
		case 'S':
			return conf_selftest();
		default:
			fprintf(stderr, "usage: %s [-k WORD] [-l] [-S]\n",
				argv[0]);
			return 2;
		}
	}
	tap_init();
	for (i = 0; i < conf_nstatements; i++)
		if (conf_statements[i].test &&
		    conf_selected(&conf_statements[i], filter))
			planned++;
	printf("TAP version 13\n");
	tap_plan(planned);
	for (i = 0; i < conf_nstatements; i++) {
		const struct conf_statement *st = &conf_statements[i];

		details[i][0] = '\0';
		if (!st->test) {
			verdict[i] = V_NA;
			snprintf(details[i], sizeof(details[i]), "%s", st->why);
			continue;
		}
		verdict[i] = V_SKIP;
		if (!conf_selected(st, filter))
			continue;
		verdict[i] = conf_run_one(st, ++n, details[i],
					  sizeof(details[i]));
		failed += verdict[i] == V_FAIL;
	}
	for (i = 0; i < conf_nstatements; i++)
		conf_print_row(&conf_statements[i], verdict[i], details[i]);
	printf("# ring_conformance: %u statements, %u tested, %u failed\n",
	       conf_nstatements, n, failed);
	return tap_finish();
}
