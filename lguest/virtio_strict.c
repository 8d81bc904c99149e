// SPDX-License-Identifier: GPL-2.0
/*L:700
 * Strict mode (--virtio-strict).  Everything so far was written to
 * survive a driver that breaks the rules: the walker refuses a bad chain
 * and the device asks for a reset (L:695).  That is the right thing for
 * a guest we run, and useless to someone writing a driver: most rules a
 * driver can break do not hurt the device at all (setting DRIVER before
 * ACKNOWLEDGE, kicking before DRIVER_OK, changing a descriptor the device
 * already read), so nothing would ever tell them.  In strict mode the
 * devices also judge the driver, against every driver-normative statement
 * of virtio 1.2 that a virtio-mmio device with split rings can see, and
 * say which one it broke, where: the statement's section and a short id,
 * the device and queue, and the guest's RIP at the access that showed it
 * (L:705).
 *
 * Each (device, queue, statement) is reported once, when it first
 * happens, and counted after that; the launcher prints the counts when
 * it ends and exits with status 4 if there were any.  With
 * --virtio-strict=fatal the first violation ends the guest at once, for
 * a test that wants the RIP of the first mistake and nothing after it.
 *
 * The checks read the guest's memory on their own, not through the ring
 * walker (R:010): a misreading shared by the walker and its judge would
 * pass unseen.  And they change nothing the device does: a device in
 * strict mode serves the guest exactly as it would without it.
 */
#include <endian.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_device.h"
#include "virtio_strict.h"

/*L:705
 * The statements, with the section of virtio 1.2 that makes them (2.1.1
 * is the driver's half of 2.1 "Device Status Field", 4.2.2.2 the driver's
 * half of the MMIO register layout, and so on).  Most are MUST or MUST
 * NOT; reset-read-zero is a SHOULD in 1.2 for every transport but PCI,
 * and a few are "derived": the spec says them as facts about the ring
 * (a head indexes the table, so it is below the queue size) or as the
 * steps of a procedure (only free descriptors are written), and a driver
 * that breaks them breaks the procedure.  Documentation/ring-conformance.md
 * ("Driver direction") has the table with the wording.
 */
enum strict_id {
	S_STATUS_ORDER,
	S_STATUS_CLEAR,
	S_FAILED_RESET,
	S_FEATURE_NOT_OFFERED,
	S_ACCEPT_VERSION_1,
	S_FEATURES_AFTER_OK,
	S_FEATURES_OK_REREAD,
	S_CONFIG_WRITE_EARLY,
	S_NOTIFY_BEFORE_DRIVER_OK,
	S_RESET_READ_ZERO,
	S_MAGIC_FIRST,
	S_REGISTER_WIDTH,
	S_REGISTER_DIRECTION,
	S_QUEUE_NUM_MAX,
	S_QUEUE_CONFIG_READY,
	S_QUEUE_READY_UNSET,
	S_QUEUE_STOP_READBACK,
	S_INTERRUPT_ACK_BITS,
	S_AVAIL_AHEAD,
	S_NO_DECREMENT,
	S_AVAIL_FLAGS,
	S_HEAD_RANGE,
	S_NEXT_RANGE,
	S_CHAIN_LENGTH,
	S_CHAIN_BYTES,
	S_WRITE_AFTER_READ,
	S_INDIRECT_NEGOTIATED,
	S_INDIRECT_AND_NEXT,
	S_NO_NESTED_INDIRECT,
	S_INDIRECT_LEN,
	S_INDIRECT_NEXT_RANGE,
	S_HEAD_IN_FLIGHT,
	S_DESC_CHANGED,
	S_COUNT
};

struct strict_statement {
	const char *section;
	const char *id;
};

static const struct strict_statement statements[S_COUNT] = {
	[S_STATUS_ORDER]	= { "3.1.1", "status-order" },
	[S_STATUS_CLEAR]	= { "2.1.1", "status-clear" },
	[S_FAILED_RESET]	= { "2.1.1", "failed-reset" },
	[S_FEATURE_NOT_OFFERED]	= { "2.2.1", "feature-not-offered" },
	[S_ACCEPT_VERSION_1]	= { "6.1", "accept-version-1" },
	[S_FEATURES_AFTER_OK]	= { "3.1.1", "features-after-ok" },
	[S_FEATURES_OK_REREAD]	= { "3.1.1", "features-ok-reread" },
	[S_CONFIG_WRITE_EARLY]	= { "3.1.1", "config-write-early" },
	[S_NOTIFY_BEFORE_DRIVER_OK] = { "3.1.1", "notify-before-driver-ok" },
	[S_RESET_READ_ZERO]	= { "2.4.2", "reset-read-zero" },
	[S_MAGIC_FIRST]		= { "4.2.3.1.1", "magic-first" },
	[S_REGISTER_WIDTH]	= { "4.2.2.2", "register-width" },
	[S_REGISTER_DIRECTION]	= { "4.2.2.2", "register-direction" },
	[S_QUEUE_NUM_MAX]	= { "4.2.2.2", "queue-num-max" },
	[S_QUEUE_CONFIG_READY]	= { "4.2.2.2", "queue-config-ready" },
	[S_QUEUE_READY_UNSET]	= { "4.2.3.2", "queue-ready-unset" },
	[S_QUEUE_STOP_READBACK]	= { "4.2.2.2", "queue-stop-readback" },
	[S_INTERRUPT_ACK_BITS]	= { "4.2.2.2", "interrupt-ack-bits" },
	[S_AVAIL_AHEAD]		= { "2.7.13", "avail-ahead" },
	[S_NO_DECREMENT]	= { "2.7.6.1", "no-decrement" },
	[S_AVAIL_FLAGS]		= { "2.7.7.1", "avail-flags" },
	[S_HEAD_RANGE]		= { "2.7.6", "head-range" },
	[S_NEXT_RANGE]		= { "2.7.5", "next-range" },
	[S_CHAIN_LENGTH]	= { "2.7.5.3.1", "chain-length" },
	[S_CHAIN_BYTES]		= { "2.7.5.2", "chain-bytes" },
	[S_WRITE_AFTER_READ]	= { "2.7.4.2", "write-after-read" },
	[S_INDIRECT_NEGOTIATED]	= { "2.7.5.3.1", "indirect-negotiated" },
	[S_INDIRECT_AND_NEXT]	= { "2.7.5.3.1", "indirect-and-next" },
	[S_NO_NESTED_INDIRECT]	= { "2.7.5.3.1", "no-nested-indirect" },
	[S_INDIRECT_LEN]	= { "2.7.5.3", "indirect-len" },
	[S_INDIRECT_NEXT_RANGE]	= { "2.7.5.3", "indirect-next-range" },
	[S_HEAD_IN_FLIGHT]	= { "2.7.13.1", "head-in-flight" },
	[S_DESC_CHANGED]	= { "2.7.13.1", "desc-changed" },
};

/* Queue registers a driver writes before QueueReady (bits of written). */
#define QREG_NUM	(1U << 0)
#define QREG_ALL	0x7fU		/* QueueNum and six address halves */

struct strict_queue {
	struct strict_device *sd;
	unsigned int index;
	unsigned int written;		/* QREG_* since the last reset */
	uint16_t checked;		/* avail entries judged so far */
	unsigned int in_flight_count;
	/*
	 * Chains made available and not yet used, and a digest of what
	 * their descriptors (and indirect tables) said when we judged
	 * them, to compare with when the device gives them back.
	 */
	bool in_flight[VIRTQUEUE_MAX_SIZE];
	uint64_t digest[VIRTQUEUE_MAX_SIZE];
};

struct strict_device {
	struct virtio_device *dev;
	char name[16];			/* "net", from "virtio-net" */
	bool magic_read, version_read, id_read;
	bool reset_unread;		/* 0 written to Status, 0 not read back */
	bool features_ok_unread;	/* FEATURES_OK written, Status not read */
	int stopped_unread;		/* queue stopped, QueueReady not read; or -1 */
	/* Chains judged, and of those through an indirect table: the work seen. */
	unsigned long chains, indirect_chains;
	/* [0] the device's own statements, [1 + q] queue q's. */
	unsigned long counts[1 + VIRTIO_DEVICE_MAX_QUEUES][S_COUNT];
	struct strict_queue queues[VIRTIO_DEVICE_MAX_QUEUES];
	struct strict_device *next;
};

static enum virtio_strict_mode strict_mode;
static struct strict_device *strict_devices;
static FILE *strict_out;
/*
 * =fatal: a violation has claimed the stop and is ending the launcher.
 * The vCPU threads and the I/O thread judge different devices under
 * different locks, so two can find a violation at the same moment; the
 * first to set this ends the launcher, the others say nothing (the run
 * ends at the first violation, and exit() must not run twice at once).
 */
static bool strict_stopping;

void virtio_strict_set_mode(enum virtio_strict_mode mode)
{
	strict_mode = mode;
	__atomic_store_n(&strict_stopping, false, __ATOMIC_RELEASE);
}

enum virtio_strict_mode virtio_strict_mode(void)
{
	return strict_mode;
}

void virtio_strict_set_output(FILE *out)
{
	strict_out = out;
}

static FILE *output(void)
{
	return strict_out ? strict_out : stderr;
}

static const struct virtqueue_observer strict_observer = {
	.started = strict_queue_started,
	.available = strict_ring_check,
	.used = strict_ring_used,
};

struct strict_device *strict_device_create(struct virtio_device *dev)
{
	const char *name = dev->model->name;
	struct strict_device *sd;

	if (strict_mode == VIRTIO_STRICT_OFF)
		return NULL;
	sd = calloc(1, sizeof(*sd));
	if (!sd)
		die("out of memory for --virtio-strict");
	sd->dev = dev;
	sd->stopped_unread = -1;
	if (!strncmp(name, "virtio-", 7))
		name += 7;
	snprintf(sd->name, sizeof(sd->name), "%s", name);
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
		sd->queues[i].sd = sd;
		sd->queues[i].index = i;
		dev->queues[i].strict = &sd->queues[i];
		dev->queues[i].observer = &strict_observer;
	}
	sd->next = strict_devices;
	strict_devices = sd;
	return sd;
}

void strict_device_destroy(struct strict_device *sd)
{
	struct strict_device **p;

	for (p = &strict_devices; *p; p = &(*p)->next) {
		if (*p == sd) {
			*p = sd->next;
			break;
		}
	}
	free(sd);
}

/*
 * One violation: a line the first time this device (or queue) breaks
 * this statement, a count every time.  queue < 0: the device's own.
 */
static void __attribute__((format(printf, 4, 5)))
violation(struct strict_device *sd, int queue, enum strict_id id,
	  const char *fmt, ...)
{
	unsigned long *count = &sd->counts[queue + 1][id];
	char where[32] = "";
	bool have_rip;
	uint64_t rip;
	va_list ap;

	/*
	 * Under =fatal every violation is the first, unless another thread's
	 * is ending the launcher already: then this one is after the end, and
	 * neither counted nor said (its thread goes on until exit() ends it).
	 */
	if (strict_mode == VIRTIO_STRICT_FATAL &&
	    __atomic_exchange_n(&strict_stopping, true, __ATOMIC_ACQ_REL))
		return;
	if ((*count)++)
		return;
	if (queue >= 0)
		snprintf(where, sizeof(where), " queue %d", queue);
	have_rip = guest_rip(&rip);
	/*
	 * The line is written in pieces, and the vCPU thread and the I/O
	 * thread may each be judging a device of their own: the stream's
	 * lock (stdio's own, recursive) keeps each line whole.
	 */
	flockfile(output());
	fprintf(output(), "lguest: virtio-strict: %s%s: %s %s: ", sd->name,
		where, statements[id].section, statements[id].id);
	va_start(ap, fmt);
	vfprintf(output(), fmt, ap);
	va_end(ap);
	if (have_rip)
		fprintf(output(), " (rip %#llx)\n", (unsigned long long)rip);
	else
		fprintf(output(), " (rip unknown: seen on the I/O thread)\n");
	if (strict_mode == VIRTIO_STRICT_FATAL)
		fprintf(output(), "lguest: virtio-strict: stopping the guest at the first violation (--virtio-strict=fatal)\n");
	fflush(output());
	funlockfile(output());
	if (strict_mode == VIRTIO_STRICT_FATAL)
		launcher_exit(LGUEST_STATUS_STRICT);
}

/*L:710
 * The handshake (virtio 1.2, 3.1.1): reset, ACKNOWLEDGE, DRIVER, the
 * features, FEATURES_OK, read Status back to see that the device took
 * them, the device's own setup (queues, config), DRIVER_OK.  The Status
 * register is where a driver shows how far it got, so most of it is
 * judged at Status writes.  Several bits in one write are fine as long as
 * each bit's predecessor is in the same write or already set: the order
 * of the steps within one store is nothing a device could see.  DRIVER_OK
 * needs FEATURES_OK as the device has it, since a refused FEATURES_OK
 * means "stop here".
 */
static const struct {
	uint32_t bit, needs;
	const char *name, *needs_name;
} status_steps[] = {
	{ VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_ACKNOWLEDGE,
	  "DRIVER", "ACKNOWLEDGE" },
	{ VIRTIO_CONFIG_S_FEATURES_OK, VIRTIO_CONFIG_S_DRIVER,
	  "FEATURES_OK", "DRIVER" },
};

static void check_status_order(struct strict_device *sd, uint32_t old,
			       uint32_t value)
{
	uint32_t added = value & ~old;

	for (unsigned int i = 0; i < sizeof(status_steps) / sizeof(status_steps[0]); i++)
		if ((added & status_steps[i].bit) &&
		    !(value & status_steps[i].needs))
			violation(sd, -1, S_STATUS_ORDER,
				  "%s set before %s (Status %#x -> %#x)",
				  status_steps[i].name,
				  status_steps[i].needs_name, old, value);
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK))
		violation(sd, -1, S_STATUS_ORDER,
			  "DRIVER_OK set while the device has no FEATURES_OK (Status %#x -> %#x)",
			  old, value);
}

static void check_features(struct strict_device *sd)
{
	const struct virtio_device *dev = sd->dev;
	uint64_t offered = dev->model->features | VIRTIO_MMIO_TRANSPORT_FEATURES;
	uint64_t unknown = dev->driver_features & ~offered;

	if (unknown)
		violation(sd, -1, S_FEATURE_NOT_OFFERED,
			  "FEATURES_OK with features %#llx the device never offered",
			  (unsigned long long)unknown);
	if (!(dev->driver_features & (1ULL << VIRTIO_F_VERSION_1)))
		violation(sd, -1, S_ACCEPT_VERSION_1,
			  "FEATURES_OK without VIRTIO_F_VERSION_1, which the device offers");
}

/* Before the device's own setup (queues) and before DRIVER_OK. */
static void check_features_ok_read(struct strict_device *sd, const char *what)
{
	if (!sd->features_ok_unread)
		return;
	sd->features_ok_unread = false;
	violation(sd, -1, S_FEATURES_OK_REREAD,
		  "%s without reading Status back after setting FEATURES_OK",
		  what);
}

static void strict_reset(struct strict_device *sd)
{
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
		struct strict_queue *sq = &sd->queues[i];

		sq->written = 0;
		sq->checked = 0;
		sq->in_flight_count = 0;
		memset(sq->in_flight, 0, sizeof(sq->in_flight));
	}
	sd->features_ok_unread = false;
	sd->reset_unread = true;
}

static void write_status(struct strict_device *sd, uint32_t value)
{
	uint32_t old = sd->dev->status;
	uint32_t cleared = old & ~value & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	uint32_t added = value & ~old;

	if (!value) {
		strict_reset(sd);
		return;
	}
	/*
	 * 2.4.2: a reset is over when Status reads 0.  Linux's
	 * virtio_add_status() reads Status before each write anyway.
	 */
	if (sd->reset_unread) {
		sd->reset_unread = false;
		violation(sd, -1, S_RESET_READ_ZERO,
			  "Status %#x written after a reset without reading 0 back first",
			  value);
	}
	if (cleared)
		violation(sd, -1, S_STATUS_CLEAR,
			  "Status %#x -> %#x clears bits %#x without a reset",
			  old, value, cleared);
	if ((old & VIRTIO_CONFIG_S_FAILED) && (added & ~VIRTIO_CONFIG_S_FAILED))
		violation(sd, -1, S_FAILED_RESET,
			  "Status %#x -> %#x goes on after FAILED without a reset",
			  old, value);
	check_status_order(sd, old, value);
	if (added & VIRTIO_CONFIG_S_DRIVER_OK)
		check_features_ok_read(sd, "DRIVER_OK");
	if (added & VIRTIO_CONFIG_S_FEATURES_OK) {
		check_features(sd);
		sd->features_ok_unread = true;
	}
}

/*L:715
 * The register window (4.2.2.2): 32-bit aligned accesses only, each
 * register in its own direction, nothing at an offset the table does not
 * have, no undefined bit in InterruptACK, a stopped queue's QueueReady
 * read back before anything else is written, and MagicValue, Version and
 * DeviceID read before anything else (4.2.3.1.1).  Config space, from 0x100 up, is the device type's: any
 * width there, but no writes while the features are still being chosen
 * (3.1.1, step 4).
 */
enum reg_dir { REG_NONE, REG_R, REG_W, REG_RW };

static enum reg_dir register_direction(uint64_t offset)
{
	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE:
	case VIRTIO_MMIO_VERSION:
	case VIRTIO_MMIO_DEVICE_ID:
	case VIRTIO_MMIO_VENDOR_ID:
	case VIRTIO_MMIO_DEVICE_FEATURES:
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
	case VIRTIO_MMIO_INTERRUPT_STATUS:
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return REG_R;
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
	case VIRTIO_MMIO_DRIVER_FEATURES:
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
	case VIRTIO_MMIO_QUEUE_SEL:
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_NOTIFY:
	case VIRTIO_MMIO_INTERRUPT_ACK:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
	case VIRTIO_MMIO_SHM_SEL:
		return REG_W;
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_STATUS:
		return REG_RW;
	default:
		return REG_NONE;
	}
}

static const char *const dir_names[] = { "no register", "read-only", "write-only", "" };

/* true if the access is a well-formed one to a register (not config). */
static bool check_access(struct strict_device *sd, uint64_t offset,
			 unsigned int len, bool write)
{
	enum reg_dir dir;

	if (offset >= VIRTIO_MMIO_CONFIG)
		return false;
	if (len != 4 || (offset & 3)) {
		violation(sd, -1, S_REGISTER_WIDTH,
			  "%u-byte %s at register offset %#llx", len,
			  write ? "write" : "read", (unsigned long long)offset);
		return false;
	}
	dir = register_direction(offset);
	if (dir == REG_NONE || (write && dir == REG_R) || (!write && dir == REG_W)) {
		violation(sd, -1, S_REGISTER_DIRECTION, "%s of %#llx (%s)",
			  write ? "write" : "read", (unsigned long long)offset,
			  dir_names[dir]);
		return false;
	}
	if (!write && offset == VIRTIO_MMIO_MAGIC_VALUE)
		sd->magic_read = true;
	else if (!write && offset == VIRTIO_MMIO_VERSION)
		sd->version_read = true;
	else if (!write && offset == VIRTIO_MMIO_DEVICE_ID && sd->magic_read &&
		 sd->version_read)
		sd->id_read = true;
	else if (!sd->id_read)
		violation(sd, -1, S_MAGIC_FIRST,
			  "%s of %#llx before MagicValue, Version and DeviceID were read",
			  write ? "write" : "read", (unsigned long long)offset);
	return true;
}

void strict_mmio_read(struct virtio_device *dev, uint64_t offset,
		      unsigned int len, uint32_t value)
{
	struct strict_device *sd = dev->strict;

	if (!sd || !check_access(sd, offset, len, false))
		return;
	if (offset == VIRTIO_MMIO_QUEUE_READY)
		sd->stopped_unread = -1;
	if (offset != VIRTIO_MMIO_STATUS)
		return;
	if (!value)
		sd->reset_unread = false;
	sd->features_ok_unread = false;
}

/*L:720
 * A queue is set up while it is not live (4.2.2.2): QueueNum no bigger
 * than QueueNumMax, and none of its registers touched while QueueReady
 * is 1.  We also want QueueNum and all six address halves written since
 * the reset before QueueReady: 4.2.3.2 gives that order, and a driver
 * that skips one hands the device a ring at whatever address was there.
 */
static unsigned int queue_register_bit(uint64_t offset)
{
	switch (offset) {
	case VIRTIO_MMIO_QUEUE_NUM:		return QREG_NUM;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:	return 1U << 1;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:	return 1U << 2;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:	return 1U << 3;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:	return 1U << 4;
	case VIRTIO_MMIO_QUEUE_USED_LOW:	return 1U << 5;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:	return 1U << 6;
	default:				return 0;
	}
}

static void write_queue_register(struct strict_device *sd, uint64_t offset,
				 uint32_t value)
{
	struct virtio_device *dev = sd->dev;
	unsigned int q = dev->queue_select, bit = queue_register_bit(offset);
	unsigned int max = q < dev->model->queue_count ? VIRTQUEUE_MAX_SIZE : 0;
	struct strict_queue *sq;

	check_features_ok_read(sd, "queue setup");
	if (q >= dev->model->queue_count) {
		if (offset == VIRTIO_MMIO_QUEUE_NUM && value)
			violation(sd, -1, S_QUEUE_NUM_MAX,
				  "QueueNum %u for queue %u, whose QueueNumMax is 0",
				  value, q);
		return;
	}
	sq = &sd->queues[q];
	if (bit && dev->queues[q].ready)
		violation(sd, q, S_QUEUE_CONFIG_READY,
			  "queue register %#llx written while QueueReady is 1",
			  (unsigned long long)offset);
	if (offset == VIRTIO_MMIO_QUEUE_NUM && value > max)
		violation(sd, q, S_QUEUE_NUM_MAX,
			  "QueueNum %u is over QueueNumMax %u", value, max);
	sq->written |= bit;
	/* Stopping a queue is over when QueueReady reads 0 (4.2.2.2). */
	if (offset == VIRTIO_MMIO_QUEUE_READY && !value && dev->queues[q].ready)
		sd->stopped_unread = q;
	if (offset == VIRTIO_MMIO_QUEUE_READY && value &&
	    !dev->queues[q].ready && (sq->written & QREG_ALL) != QREG_ALL)
		violation(sd, q, S_QUEUE_READY_UNSET,
			  "QueueReady set with registers %#x of QueueNum and the ring addresses never written",
			  ~sq->written & QREG_ALL);
}

void strict_mmio_write(struct virtio_device *dev, uint64_t offset,
		       unsigned int len, uint32_t value)
{
	struct strict_device *sd = dev->strict;

	if (!sd)
		return;
	if (offset >= VIRTIO_MMIO_CONFIG) {
		if (!(dev->status & VIRTIO_CONFIG_S_FEATURES_OK))
			violation(sd, -1, S_CONFIG_WRITE_EARLY,
				  "config space written at %#llx before FEATURES_OK",
				  (unsigned long long)(offset - VIRTIO_MMIO_CONFIG));
		return;
	}
	if (!check_access(sd, offset, len, true))
		return;
	if (sd->stopped_unread >= 0) {
		violation(sd, sd->stopped_unread, S_QUEUE_STOP_READBACK,
			  "register %#llx written after QueueReady 0 without reading QueueReady back",
			  (unsigned long long)offset);
		sd->stopped_unread = -1;
	}
	switch (offset) {
	case VIRTIO_MMIO_STATUS:
		write_status(sd, value);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (dev->status & VIRTIO_CONFIG_S_FEATURES_OK)
			violation(sd, -1, S_FEATURES_AFTER_OK,
				  "DriverFeatures written after FEATURES_OK");
		else if (!(dev->status & VIRTIO_CONFIG_S_DRIVER))
			violation(sd, -1, S_STATUS_ORDER,
				  "DriverFeatures written before DRIVER");
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		if (value & ~(VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG))
			violation(sd, -1, S_INTERRUPT_ACK_BITS,
				  "InterruptACK %#x sets undefined bits", value);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (!(dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
			violation(sd, value < dev->model->queue_count ? (int)value : -1,
				  S_NOTIFY_BEFORE_DRIVER_OK,
				  "QueueNotify %u before DRIVER_OK (Status %#x)",
				  value, dev->status);
		break;
	default:
		if (queue_register_bit(offset) || offset == VIRTIO_MMIO_QUEUE_READY)
			write_queue_register(sd, offset, value);
		break;
	}
}

/*L:725
 * The ring.  Every chain the driver makes available is judged once, in
 * the order of the available ring, from our own cursor (checked): at the
 * notify that announces it, so the RIP is the driver's, or when the
 * device goes to take it, for the chains whose notify the driver could
 * leave out.  From then until the device gives it back the chain is "in
 * flight": the driver may not offer its head again, and may not write its
 * descriptors, which are not free (2.7.13.1: buffers go into free
 * descriptors).  A digest of every descriptor and indirect table the
 * chain had when we judged it is compared with the same walk when the
 * device is about to put it in the used ring.
 */
struct strict_walk {
	struct strict_queue *sq;
	const struct virtqueue *vq;
	bool report;		/* judge (first walk) or only digest */
	uint64_t digest;
	unsigned int count;	/* descriptors, direct and indirect */
	uint64_t bytes;
	bool seen_writable;
};

/* FNV-1a, 64 bits: to tell "changed", not to resist anyone. */
static void digest_add(struct strict_walk *w, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		w->digest ^= p[i];
		w->digest *= 0x100000001b3ULL;
	}
}

#define WALK_VIOLATION(w, id, ...) \
	do { \
		if ((w)->report) \
			violation((w)->sq->sd, (w)->sq->index, id, __VA_ARGS__); \
	} while (0)

static bool read_desc(const struct virtqueue *vq, uint64_t gpa,
		      struct vring_desc *desc)
{
	const void *p = guest_ptr(vq->mem, gpa, sizeof(*desc));

	if (!p)
		return false;
	memcpy(desc, p, sizeof(*desc));
	return true;
}

/* One buffer descriptor (not an indirect one); false: stop walking. */
static bool walk_buffer(struct strict_walk *w, const struct vring_desc *desc,
			const char *where, unsigned int index)
{
	uint16_t flags = le16toh(desc->flags);

	if (++w->count > w->vq->size) {
		WALK_VIOLATION(w, S_CHAIN_LENGTH,
			       "chain longer than the queue size %u (a loop?)",
			       w->vq->size);
		return false;
	}
	if (flags & VRING_DESC_F_WRITE)
		w->seen_writable = true;
	else if (w->seen_writable)
		WALK_VIOLATION(w, S_WRITE_AFTER_READ,
			       "%s %u is device-readable after a device-writable one",
			       where, index);
	w->bytes += le32toh(desc->len);
	if (w->bytes > 0xffffffffULL)
		WALK_VIOLATION(w, S_CHAIN_BYTES,
			       "chain of more than 2^32 - 1 bytes at %s %u",
			       where, index);
	return true;
}

static void walk_indirect(struct strict_walk *w, const struct vring_desc *ind,
			  unsigned int index)
{
	uint32_t len = le32toh(ind->len);
	/*
	 * Bytes: the guest puts an indirect table at any address, and a
	 * struct vring_desc pointer to one that is not 8-aligned is
	 * undefined in C even if only memcpy() reads through it.
	 */
	const uint8_t *table;
	unsigned int entries, i = 0;

	if (!len || len % sizeof(struct vring_desc)) {
		WALK_VIOLATION(w, S_INDIRECT_LEN,
			       "descriptor %u: indirect table of %u bytes, not a positive multiple of 16",
			       index, len);
		return;
	}
	entries = len / sizeof(struct vring_desc);
	table = guest_ptr(w->vq->mem, le64toh(ind->addr), len);
	if (!table)
		return;		/* outside RAM: the walker's (R:050), not ours */
	if (w->report)
		w->sq->sd->indirect_chains++;
	for (;;) {
		struct vring_desc desc;
		uint16_t flags;

		memcpy(&desc, table + (size_t)i * sizeof(desc), sizeof(desc));
		digest_add(w, &desc, sizeof(desc));
		flags = le16toh(desc.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			WALK_VIOLATION(w, S_NO_NESTED_INDIRECT,
				       "indirect entry %u of descriptor %u is INDIRECT itself",
				       i, index);
			return;
		}
		if (!walk_buffer(w, &desc, "indirect entry", i))
			return;
		if (!(flags & VRING_DESC_F_NEXT))
			return;
		i = le16toh(desc.next);
		if (i >= entries) {
			WALK_VIOLATION(w, S_INDIRECT_NEXT_RANGE,
				       "indirect entry's next %u is past its table of %u (descriptor %u)",
				       i, entries, index);
			return;
		}
	}
}

static uint64_t walk_chain(struct strict_queue *sq, const struct virtqueue *vq,
			   uint16_t head, bool report)
{
	struct strict_walk w = {
		.sq = sq, .vq = vq, .report = report,
		.digest = 0xcbf29ce484222325ULL,
	};
	unsigned int i = head;
	struct vring_desc desc;

	digest_add(&w, &head, sizeof(head));
	for (;;) {
		uint16_t flags;

		if (!read_desc(vq, vq->desc_gpa + 16ULL * i, &desc))
			break;
		digest_add(&w, &desc, sizeof(desc));
		flags = le16toh(desc.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				WALK_VIOLATION(&w, S_INDIRECT_NEGOTIATED,
					       "descriptor %u is INDIRECT, a feature not negotiated",
					       i);
			else if (flags & VRING_DESC_F_NEXT)
				WALK_VIOLATION(&w, S_INDIRECT_AND_NEXT,
					       "descriptor %u has INDIRECT and NEXT", i);
			else
				walk_indirect(&w, &desc, i);
			break;
		}
		if (!walk_buffer(&w, &desc, "descriptor", i))
			break;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16toh(desc.next);
		if (i >= vq->size) {
			WALK_VIOLATION(&w, S_NEXT_RANGE,
				       "next %u is past the queue size %u (head %u)",
				       i, vq->size, head);
			break;
		}
	}
	return w.digest;
}

static bool read16(const struct virtqueue *vq, uint64_t gpa, uint16_t *val)
{
	const void *p = guest_ptr(vq->mem, gpa, 2);

	if (!p)
		return false;
	*val = le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
	return true;
}

void strict_queue_started(struct virtqueue *vq)
{
	struct strict_queue *sq = vq->strict;

	if (!sq)
		return;
	sq->checked = vq->core.last_avail;
	sq->in_flight_count = 0;
	memset(sq->in_flight, 0, sizeof(sq->in_flight));
}

/* 2.7.7.1: 0 or 1 (NO_INTERRUPT) without EVENT_IDX, 0 with it. */
static void check_avail_flags(struct strict_queue *sq, const struct virtqueue *vq)
{
	uint16_t flags;

	if (!read16(vq, vq->avail_gpa, &flags))
		return;
	if (flags > (vq->event_idx ? 0 : VRING_AVAIL_F_NO_INTERRUPT))
		violation(sq->sd, sq->index, S_AVAIL_FLAGS,
			  "avail flags %#x%s", flags,
			  vq->event_idx ? " with EVENT_IDX (must be 0)" : "");
}

static void check_head(struct strict_queue *sq, const struct virtqueue *vq,
		       uint16_t slot)
{
	uint16_t head;

	if (!read16(vq, vq->avail_gpa + 4 + 2ULL * (slot & (vq->size - 1)), &head))
		return;
	if (head >= vq->size) {
		violation(sq->sd, sq->index, S_HEAD_RANGE,
			  "avail entry %u names head %u, past the queue size %u",
			  slot, head, vq->size);
		return;
	}
	if (sq->in_flight[head]) {
		violation(sq->sd, sq->index, S_HEAD_IN_FLIGHT,
			  "head %u made available again while the device holds it",
			  head);
		return;
	}
	sq->digest[head] = walk_chain(sq, vq, head, true);
	sq->sd->chains++;
	sq->in_flight[head] = true;
	sq->in_flight_count++;
}

void strict_ring_check(struct virtqueue *vq)
{
	struct strict_queue *sq = vq->strict;
	uint16_t idx, fresh;

	if (!sq || !vq->ready)
		return;
	if (!read16(vq, vq->avail_gpa + 2, &idx))
		return;
	check_avail_flags(sq, vq);
	fresh = idx - sq->checked;
	if (!fresh)
		return;
	if (fresh > vq->size - sq->in_flight_count) {
		/* Seen from a 16-bit counter, a step back is a huge step on. */
		if (fresh >= 0x8000)
			violation(sq->sd, sq->index, S_NO_DECREMENT,
				  "avail idx went back from %u to %u",
				  sq->checked, idx);
		else
			violation(sq->sd, sq->index, S_AVAIL_AHEAD,
				  "avail idx %u offers %u more chains with %u in flight, on a queue of %u",
				  idx, fresh, sq->in_flight_count, vq->size);
		sq->checked = idx;
		return;
	}
	for (; sq->checked != idx; sq->checked++)
		check_head(sq, vq, sq->checked);
}

void strict_ring_used(struct virtqueue *vq, uint16_t head)
{
	struct strict_queue *sq = vq->strict;

	if (!sq || head >= vq->size || !sq->in_flight[head])
		return;
	if (walk_chain(sq, vq, head, false) != sq->digest[head])
		violation(sq->sd, sq->index, S_DESC_CHANGED,
			  "the chain of head %u changed while the device held it",
			  head);
	sq->in_flight[head] = false;
	sq->in_flight_count--;
}

/*L:730
 * At the end, one line per (device, queue, statement) with how often, and
 * the exit status: 4 if the driver broke anything, so a script can tell a
 * clean run from one that merely booted.
 */
unsigned long virtio_strict_total(void)
{
	unsigned long total = 0;

	for (struct strict_device *sd = strict_devices; sd; sd = sd->next)
		for (unsigned int q = 0; q <= VIRTIO_DEVICE_MAX_QUEUES; q++)
			for (unsigned int s = 0; s < S_COUNT; s++)
				total += sd->counts[q][s];
	return total;
}

unsigned long virtio_strict_count(const char *id)
{
	unsigned long total = 0;

	for (struct strict_device *sd = strict_devices; sd; sd = sd->next)
		for (unsigned int q = 0; q <= VIRTIO_DEVICE_MAX_QUEUES; q++)
			for (unsigned int s = 0; s < S_COUNT; s++)
				if (!strcmp(statements[s].id, id))
					total += sd->counts[q][s];
	return total;
}

static void print_summary(FILE *out, int status)
{
	unsigned long total = virtio_strict_total(), chains = 0, indirect = 0;
	unsigned int devices = 0;

	for (struct strict_device *sd = strict_devices; sd; sd = sd->next) {
		devices++;
		chains += sd->chains;
		indirect += sd->indirect_chains;
	}
	if (!total) {
		fprintf(out, "lguest: virtio-strict: no violations (%u statements on %u devices; %lu chains judged, %lu through indirect tables)\n",
			S_COUNT, devices, chains, indirect);
		return;
	}
	fprintf(out, "lguest: virtio-strict: %lu violations (the guest's own exit status was %d); by device, queue and statement:\n",
		total, status);
	for (struct strict_device *sd = strict_devices; sd; sd = sd->next)
		for (unsigned int q = 0; q <= VIRTIO_DEVICE_MAX_QUEUES; q++)
			for (unsigned int s = 0; s < S_COUNT; s++) {
				if (!sd->counts[q][s])
					continue;
				fprintf(out, "lguest: virtio-strict:   %s", sd->name);
				if (q)
					fprintf(out, " queue %u", q - 1);
				fprintf(out, ": %s %s: %lu\n", statements[s].section,
					statements[s].id, sd->counts[q][s]);
			}
}

int virtio_strict_finish(FILE *out, int status)
{
	if (strict_mode == VIRTIO_STRICT_OFF)
		return status;
	print_summary(out, status);
	return virtio_strict_total() ? LGUEST_STATUS_STRICT : status;
}
