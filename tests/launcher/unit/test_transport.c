// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport: what Linux's virtio_mmio driver does at probe
 * time, feature refusal, reset, interrupts, config space, placement.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

#define VERSION_1	(1ULL << VIRTIO_F_VERSION_1)
#define EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)
#define INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)

static void handshake_like_linux(void)
{
	struct fake_window *win;
	struct test_driver drv;
	uint64_t offered;

	virtio_rng_create(&test_mem);
	CHECK(fake_window_count == 1);
	win = &fake_windows[0];
	CHECK(win->base == VIRTIO_MMIO_BASE && win->len == 0x1000);
	CHECK(strstr(fake_cmdline, "virtio_mmio.device=4K@0xfeb00000:5"));
	CHECK(mmio_read32(win, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976);
	CHECK(mmio_read32(win, VIRTIO_MMIO_VERSION) == 2);
	CHECK(mmio_read32(win, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_RNG);
	mmio_write32(win, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered = (uint64_t)mmio_read32(win, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	mmio_write32(win, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered |= mmio_read32(win, VIRTIO_MMIO_DEVICE_FEATURES);
	CHECK((offered & (VERSION_1 | EVENT_IDX | INDIRECT)) ==
	       (VERSION_1 | EVENT_IDX | INDIRECT));
	CHECK(driver_probe(&drv, win, ~0ULL, 1));
	CHECK(mmio_read32(win, VIRTIO_MMIO_STATUS) ==
	       (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK));
	mmio_write32(win, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK(mmio_read32(win, VIRTIO_MMIO_QUEUE_NUM_MAX) == 256);
	CHECK(mmio_read32(win, VIRTIO_MMIO_QUEUE_READY) == 1);
	/* rng has one queue: queue 1 doesn't exist. */
	mmio_write32(win, VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK(mmio_read32(win, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0);
}

static void refuses_legacy_driver(void)
{
	struct test_driver drv;

	virtio_rng_create(&test_mem);
	CHECK(!driver_probe(&drv, &fake_windows[0], ~VERSION_1, 1));
	CHECK(!(mmio_read32(&fake_windows[0], VIRTIO_MMIO_STATUS) &
		 VIRTIO_CONFIG_S_FEATURES_OK));
}

/*
 * A new rng device, reset, ACKNOWLEDGE and DRIVER set, and the driver's
 * feature bits 32 to 63 written (bit 0 of high is VERSION_1).
 */
static struct fake_window *rng_with_features(uint32_t high)
{
	struct fake_window *win;

	virtio_rng_create(&test_mem);
	win = &fake_windows[0];
	mmio_write32(win, VIRTIO_MMIO_STATUS, 0);
	mmio_write32(win, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		     VIRTIO_CONFIG_S_DRIVER);
	mmio_write32(win, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write32(win, VIRTIO_MMIO_DRIVER_FEATURES, high);
	return win;
}

static void refuses_unoffered_feature(void)
{
	struct fake_window *win = rng_with_features(1 | (1 << 20));

	mmio_write32(win, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		     VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(mmio_read32(win, VIRTIO_MMIO_STATUS) &
		 VIRTIO_CONFIG_S_FEATURES_OK));
}

static void windows_and_irqs_in_order(void)
{
	static const unsigned int irqs[] = { 5, 6, 7, 9, 10 };
	char want[64];

	for (unsigned int i = 0; i < 5; i++)
		virtio_rng_create(&test_mem);
	CHECK(fake_window_count == 5);
	for (unsigned int i = 0; i < 5; i++) {
		CHECK(fake_windows[i].base == VIRTIO_MMIO_BASE + i * 0x1000);
		snprintf(want, sizeof(want), "virtio_mmio.device=4K@0x%llx:%u",
			 VIRTIO_MMIO_BASE + i * 0x1000, irqs[i]);
		CHECK(strstr(fake_cmdline, want));
	}
}

static void rng_request(struct test_driver *drv, uint64_t buf)
{
	struct driver_buf b = { buf, 32, true };

	driver_add(drv, 0, &b, 1);
	driver_kick(drv, 0);
}

static void interrupt_status_and_ack(void)
{
	struct test_driver drv;
	struct fake_window *win;
	uint64_t buf = guest_alloc(32);
	uint32_t id, len;

	virtio_rng_create(&test_mem);
	win = &fake_windows[0];
	CHECK(driver_probe(&drv, win, ~EVENT_IDX, 1));
	CHECK(mmio_read32(win, VIRTIO_MMIO_INTERRUPT_STATUS) == 0);
	rng_request(&drv, buf);
	CHECK(driver_used(&drv, 0, &id, &len) && len == 32);
	CHECK(mmio_read32(win, VIRTIO_MMIO_INTERRUPT_STATUS) ==
	       VIRTIO_MMIO_INT_VRING);
	CHECK(irq_pulses[5] == 1);
	/* A second used buffer before the ack: status already set, no pulse. */
	rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 1);
	mmio_write32(win, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(mmio_read32(win, VIRTIO_MMIO_INTERRUPT_STATUS) == 0);
	rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 2);
}

static void reset_clears_and_recovers(void)
{
	struct test_driver drv;
	struct fake_window *win;
	uint64_t buf = guest_alloc(32);
	uint32_t id, len;

	virtio_rng_create(&test_mem);
	win = &fake_windows[0];
	CHECK(driver_probe(&drv, win, ~0ULL, 1));
	rng_request(&drv, buf);
	mmio_write32(win, VIRTIO_MMIO_STATUS, 0);
	CHECK(mmio_read32(win, VIRTIO_MMIO_STATUS) == 0);
	CHECK(mmio_read32(win, VIRTIO_MMIO_INTERRUPT_STATUS) == 0);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK(mmio_read32(win, VIRTIO_MMIO_QUEUE_READY) == 0);
	/* A kick after reset does nothing. */
	driver_kick(&drv, 0);
	/* Probing again on fresh rings works. */
	CHECK(driver_probe(&drv, win, ~0ULL, 1));
	rng_request(&drv, buf);
	CHECK(driver_used(&drv, 0, &id, &len) && len == 32);
}

static void queue_registers_frozen_while_ready(void)
{
	struct test_driver drv;
	struct fake_window *win;
	uint64_t buf = guest_alloc(32);
	uint32_t id, len;

	virtio_rng_create(&test_mem);
	win = &fake_windows[0];
	CHECK(driver_probe(&drv, win, ~0ULL, 1));
	mmio_write32(win, VIRTIO_MMIO_QUEUE_SEL, 0);
	/* Move the used ring outside guest memory: must be ignored. */
	mmio_write32(win, VIRTIO_MMIO_QUEUE_USED_HIGH, 0x100);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_NUM, 3);
	rng_request(&drv, buf);
	CHECK(driver_used(&drv, 0, &id, &len) && len == 32);
}

#define STATUS_UP	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

/*
 * A driver may not clear a status bit (only reset, 0): a second DRIVER_OK
 * with no reset between would start the device's backend twice.
 */
static void status_bits_stay(void)
{
	struct test_driver drv;
	struct fake_window *win;
	uint64_t buf = guest_alloc(32);
	struct driver_buf b = { buf, 32, true };
	uint32_t id, len;

	virtio_rng_create(&test_mem);
	win = &fake_windows[0];
	CHECK(driver_probe(&drv, win, ~0ULL, 1));
	mmio_write32(win, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		     VIRTIO_CONFIG_S_DRIVER);
	CHECK(mmio_read32(win, VIRTIO_MMIO_STATUS) == STATUS_UP);
	/* DRIVER_OK "again" is nothing new: no start, no kick of queues. */
	driver_add(&drv, 0, &b, 1);
	mmio_write32(win, VIRTIO_MMIO_STATUS, STATUS_UP);
	CHECK(!driver_used(&drv, 0, &id, &len));
	driver_kick(&drv, 0);
	CHECK(driver_used(&drv, 0, &id, &len) && len == 32);
}

/* Neither DRIVER_OK nor a ready queue before FEATURES_OK. */
static void driver_ok_needs_features_ok(void)
{
	struct fake_window *win = rng_with_features(1);

	mmio_write32(win, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_NUM, 8);
	mmio_write32(win, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(mmio_read32(win, VIRTIO_MMIO_QUEUE_READY) == 0);
	mmio_write32(win, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		     VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(mmio_read32(win, VIRTIO_MMIO_STATUS) ==
	      (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER));
}

static void blk_config_space(void)
{
	char path[] = "/tmp/lguest-unit-XXXXXX";
	int fd = mkstemp(path);
	struct fake_window *win;
	uint64_t capacity = 0;
	uint32_t low, high;

	CHECK(fd >= 0 && ftruncate(fd, 5 * 512 + 100) == 0);
	virtio_blk_create(&test_mem, path, false);
	unlink(path);
	close(fd);
	win = &fake_windows[0];
	win->ops->read(win->opaque, 0x100, &capacity, 8);
	CHECK(capacity == 5);
	low = mmio_read32(win, 0x100);
	high = mmio_read32(win, 0x104);
	CHECK(low == 5 && high == 0);
	/* Past the config: zeros, no crash. */
	CHECK(mmio_read32(win, 0xffc) == 0);
}

const struct tap_test transport_tests[] = {
	{ "transport: handshake as Linux's virtio_mmio does it", handshake_like_linux },
	{ "transport: driver without VERSION_1 refused", refuses_legacy_driver },
	{ "transport: feature not offered refused", refuses_unoffered_feature },
	{ "transport: windows and IRQs 5,6,7,9,10 in order", windows_and_irqs_in_order },
	{ "transport: interrupt status, ack, one pulse per new bit", interrupt_status_and_ack },
	{ "transport: status 0 resets device and queues", reset_clears_and_recovers },
	{ "transport: queue registers ignored while ready", queue_registers_frozen_while_ready },
	{ "transport: status bits stay until reset; DRIVER_OK twice starts nothing", status_bits_stay },
	{ "transport: no DRIVER_OK and no ready queue before FEATURES_OK", driver_ok_needs_features_ok },
	{ "transport: blk capacity in config space", blk_config_space },
	{ NULL, NULL },
};
