// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest: rings that break the rules.  Each must leave the
 * launcher standing (no die(), no out-of-bounds access: AddressSanitizer
 * watches the fake guest memory's edges), publish no used entry for the
 * bad chain, and flag the device DEVICE_NEEDS_RESET with a config
 * interrupt.  A reset then makes the device usable again.
 */
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include <unistd.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

#define INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)

struct hostile {
	struct test_driver drv;
	uint64_t buf;
};

static bool hostile_setup(struct hostile *h, uint64_t wanted)
{
	virtio_rng_create(&test_mem);
	h->buf = guest_alloc(64);
	return CHECK(driver_probe(&h->drv, &fake_windows[0], wanted, 1));
}

static void set_desc(struct hostile *h, unsigned int index, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	driver_ring_set_desc(&h->drv.queues[0].ring, index, addr, len, flags,
			     next);
}

/* Offer head as the next chain, with avail->idx moved by step. */
static void offer(struct hostile *h, uint16_t head, uint16_t step)
{
	struct driver_ring *ring = &h->drv.queues[0].ring;

	driver_ring_add_head(ring, head);
	driver_ring_set_avail_idx(ring, ring->avail_idx - 1 + step);
	driver_kick(&h->drv, 0);
}

static void expect_flagged(struct hostile *h)
{
	uint32_t id, len;

	CHECK(!driver_used(&h->drv, 0, &id, &len));
	CHECK(mmio_read32(h->drv.win, VIRTIO_MMIO_STATUS) &
	       VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK(mmio_read32(h->drv.win, VIRTIO_MMIO_INTERRUPT_STATUS) &
	       VIRTIO_MMIO_INT_CONFIG);
	CHECK(irq_pulses[5] == 1);
	/* Kicks on a broken device do nothing, and report nothing new. */
	driver_kick(&h->drv, 0);
	CHECK(!driver_used(&h->drv, 0, &id, &len));
	CHECK(irq_pulses[5] == 1);
}

/* After a reset and a fresh probe, a good request works again. */
static void expect_recovers(struct hostile *h)
{
	struct driver_buf b = { h->buf, 64, true };
	uint32_t id, len;

	mmio_write32(h->drv.win, VIRTIO_MMIO_STATUS, 0);
	CHECK(!(mmio_read32(h->drv.win, VIRTIO_MMIO_STATUS) &
		 VIRTIO_CONFIG_S_NEEDS_RESET));
	if (!CHECK(driver_probe(&h->drv, h->drv.win, ~0ULL, 1)))
		return;
	driver_add(&h->drv, 0, &b, 1);
	driver_kick(&h->drv, 0);
	CHECK(driver_used(&h->drv, 0, &id, &len) && len == 64);
}

static void descriptor_loop(void)
{
	struct hostile h;

	if (!hostile_setup(&h, ~0ULL))
		return;
	set_desc(&h, 0, h.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(&h, 1, h.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
	expect_recovers(&h);
}

static void head_past_table(void)
{
	struct hostile h;

	if (!hostile_setup(&h, ~0ULL))
		return;
	offer(&h, TEST_QUEUE_SIZE, 1);
	expect_flagged(&h);
}

static void next_past_table(void)
{
	struct hostile h;

	if (!hostile_setup(&h, ~0ULL))
		return;
	set_desc(&h, 0, h.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
		 TEST_QUEUE_SIZE + 3);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void buffer_past_guest_ram(void)
{
	struct hostile h;

	if (!hostile_setup(&h, ~0ULL))
		return;
	/* Starts inside RAM, ends 8 bytes past it. */
	set_desc(&h, 0, GUEST_RAM_SIZE - 8, 16, VRING_DESC_F_WRITE, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void buffer_address_wraps(void)
{
	struct hostile h;

	if (!hostile_setup(&h, ~0ULL))
		return;
	set_desc(&h, 0, ~0ULL - 3, 16, VRING_DESC_F_WRITE, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void avail_idx_too_far_ahead(void)
{
	struct hostile h;

	if (!hostile_setup(&h, ~0ULL))
		return;
	set_desc(&h, 0, h.buf, 8, VRING_DESC_F_WRITE, 0);
	offer(&h, 0, TEST_QUEUE_SIZE + 1);
	expect_flagged(&h);
}

static void readable_after_writable(void)
{
	struct hostile h;

	if (!hostile_setup(&h, ~0ULL))
		return;
	set_desc(&h, 0, h.buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(&h, 1, h.buf + 8, 8, 0, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void indirect_nested(void)
{
	struct hostile h;
	uint64_t table = guest_alloc(32);
	struct vring_desc *entries = host(table);

	if (!hostile_setup(&h, ~0ULL))
		return;
	entries[0] = (struct vring_desc){ table, 32, VRING_DESC_F_INDIRECT, 0 };
	entries[1] = (struct vring_desc){ h.buf, 8, VRING_DESC_F_WRITE, 0 };
	set_desc(&h, 0, table, 32, VRING_DESC_F_INDIRECT, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void indirect_bad_length(void)
{
	struct hostile h;
	uint64_t table = guest_alloc(32);

	if (!hostile_setup(&h, ~0ULL))
		return;
	set_desc(&h, 0, table, 24, VRING_DESC_F_INDIRECT, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

/* More entries than the longest chain we take (256), though few are used. */
static void indirect_table_too_long(void)
{
	struct hostile h;
	uint64_t table = guest_alloc(257 * 16);
	struct vring_desc *entries = host(table);

	if (!hostile_setup(&h, ~0ULL))
		return;
	entries[0] = (struct vring_desc){ h.buf, 8, VRING_DESC_F_WRITE, 0 };
	set_desc(&h, 0, table, 257 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void indirect_loop(void)
{
	struct hostile h;
	uint64_t table = guest_alloc(32);
	struct vring_desc *entries = host(table);

	if (!hostile_setup(&h, ~0ULL))
		return;
	entries[0] = (struct vring_desc){ h.buf, 8,
		VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 };
	entries[1] = (struct vring_desc){ h.buf, 8,
		VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0 };
	set_desc(&h, 0, table, 32, VRING_DESC_F_INDIRECT, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void indirect_table_past_ram(void)
{
	struct hostile h;

	if (!hostile_setup(&h, ~0ULL))
		return;
	set_desc(&h, 0, GUEST_RAM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void indirect_not_negotiated(void)
{
	struct hostile h;
	uint64_t table = guest_alloc(16);
	struct vring_desc *entries = host(table);

	if (!hostile_setup(&h, ~INDIRECT))
		return;
	entries[0] = (struct vring_desc){ h.buf, 8, VRING_DESC_F_WRITE, 0 };
	set_desc(&h, 0, table, 16, VRING_DESC_F_INDIRECT, 0);
	offer(&h, 0, 1);
	expect_flagged(&h);
}

static void ring_outside_ram(void)
{
	struct fake_window *win;

	virtio_rng_create(&test_mem);
	win = &fake_windows[0];
	mmio_write32(win, VIRTIO_MMIO_STATUS, 0);
	mmio_write32(win, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write32(win, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mmio_write32(win, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		     VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_NUM, 16);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x2000);
	/* The used ring's last bytes lie past the end of RAM. */
	mmio_write32(win, VIRTIO_MMIO_QUEUE_USED_LOW, GUEST_RAM_SIZE - 64);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(mmio_read32(win, VIRTIO_MMIO_QUEUE_READY) == 0);
	CHECK(mmio_read32(win, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Not a power of two, and a misaligned descriptor table, likewise. */
	mmio_write32(win, VIRTIO_MMIO_STATUS, 0);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_NUM, 12);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_USED_LOW, 0x3000);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(mmio_read32(win, VIRTIO_MMIO_QUEUE_READY) == 0);
	mmio_write32(win, VIRTIO_MMIO_STATUS, 0);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_NUM, 16);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1008);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(mmio_read32(win, VIRTIO_MMIO_QUEUE_READY) == 0);
}

/*
 * Scribbled descriptor tables: random flags, next, addresses and lengths.
 * Every round must end in used entries or a flagged device, never in
 * silence, a crash or a stray access.  (The devices' complaints go to
 * /dev/null for the duration.)
 */
static void random_scribbles(void)
{
	int saved_stderr = dup(STDERR_FILENO);
	int null_fd = open("/dev/null", O_WRONLY);
	struct hostile h;
	uint32_t seed = 12345, id, len;
	unsigned int answered = 0;

	dup2(null_fd, STDERR_FILENO);
	for (unsigned int round = 0; round < 200; round++) {
		fake_reset();
		if (!hostile_setup(&h, ~0ULL))
			return;
		for (unsigned int i = 0; i < TEST_QUEUE_SIZE; i++) {
			seed = seed * 1103515245 + 12345;
			set_desc(&h, i, (seed >> 4) % (GUEST_RAM_SIZE + 4096),
				 seed % 9000, (seed >> 12) & 7, (seed >> 20) % 20);
		}
		offer(&h, seed % 18, 1 + (seed >> 8) % 3);
		answered += driver_used(&h.drv, 0, &id, &len) ||
			(mmio_read32(h.drv.win, VIRTIO_MMIO_STATUS) &
			 VIRTIO_CONFIG_S_NEEDS_RESET);
	}
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(null_fd);
	CHECK(answered == 200);
}

const struct tap_test hostile_tests[] = {
	{ "hostile: descriptor loop flagged", descriptor_loop },
	{ "hostile: head >= queue size flagged", head_past_table },
	{ "hostile: next >= queue size flagged", next_past_table },
	{ "hostile: buffer past the end of guest RAM flagged", buffer_past_guest_ram },
	{ "hostile: buffer address + len wraps flagged", buffer_address_wraps },
	{ "hostile: avail idx more than queue size ahead flagged", avail_idx_too_far_ahead },
	{ "hostile: readable descriptor after writable flagged", readable_after_writable },
	{ "hostile: nested indirect flagged", indirect_nested },
	{ "hostile: indirect len % 16 != 0 flagged", indirect_bad_length },
	{ "hostile: indirect table of 257 entries flagged", indirect_table_too_long },
	{ "hostile: loop inside an indirect table flagged", indirect_loop },
	{ "hostile: indirect table past guest RAM flagged", indirect_table_past_ram },
	{ "hostile: indirect without the feature flagged", indirect_not_negotiated },
	{ "hostile: ring outside RAM / bad size / misaligned refused", ring_outside_ram },
	{ "hostile: 200 scribbled descriptor tables, no crash", random_scribbles },
	{ NULL, NULL },
};
