// SPDX-License-Identifier: GPL-2.0
/*
 * Notification suppression: VRING_AVAIL_F_NO_INTERRUPT without EVENT_IDX,
 * used_event/avail_event with it.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "launcher_unit.h"
#include "virtio_mmio.h"

#define EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)

static void one_rng_request(struct test_driver *drv, uint64_t buf)
{
	struct driver_buf b = { buf, 8, true };
	uint32_t id, len;

	driver_add(drv, 0, &b, 1);
	driver_kick(drv, 0);
	CHECK(driver_used(drv, 0, &id, &len) && len == 8);
	/* Ack as the guest's handler would, so each new bit is an edge. */
	mmio_write32(drv->win, VIRTIO_MMIO_INTERRUPT_ACK, 3);
}

static void no_interrupt_flag(void)
{
	struct test_driver drv;
	uint64_t buf = guest_alloc(8);

	virtio_rng_create(&test_mem);
	CHECK(driver_probe(&drv, &fake_windows[0], ~EVENT_IDX, 1));
	*avail_ring_field(&drv, 0, 0) = VRING_AVAIL_F_NO_INTERRUPT;
	one_rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 0);
	*avail_ring_field(&drv, 0, 0) = 0;
	one_rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 1);
}

/*
 * A kick that brings nothing gets no interrupt: the guest's handler would
 * find no work, and Linux turns off a line with too many of those.
 */
static void no_interrupt_for_nothing(void)
{
	struct test_driver drv;
	uint64_t buf = guest_alloc(8);

	virtio_rng_create(&test_mem);
	CHECK(driver_probe(&drv, &fake_windows[0], ~EVENT_IDX, 1));
	one_rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 1);
	driver_kick(&drv, 0);
	CHECK(irq_pulses[5] == 1);
	CHECK(!(mmio_read32(drv.win, VIRTIO_MMIO_INTERRUPT_STATUS) &
	      VIRTIO_MMIO_INT_VRING));
}

static void used_event_suppresses(void)
{
	struct test_driver drv;
	uint64_t buf = guest_alloc(8);
	uint16_t *used_event;

	virtio_rng_create(&test_mem);
	CHECK(driver_probe(&drv, &fake_windows[0], ~0ULL, 1));
	CHECK(drv.features & EVENT_IDX);
	used_event = avail_ring_field(&drv, 0, 2 + TEST_QUEUE_SIZE);
	/* "Interrupt me when used->idx passes 2": after the third entry. */
	*used_event = 2;
	one_rng_request(&drv, buf);
	one_rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 0);
	one_rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 1);
	one_rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 1);
	/* The driver asks for the next one: used_event = current used idx. */
	*used_event = 4;
	one_rng_request(&drv, buf);
	CHECK(irq_pulses[5] == 2);
}

static void avail_event_published(void)
{
	struct test_driver drv;
	uint64_t buf = guest_alloc(8);
	uint16_t *avail_event;

	virtio_rng_create(&test_mem);
	CHECK(driver_probe(&drv, &fake_windows[0], ~0ULL, 1));
	avail_event = used_ring_field(&drv, 0, 2 + 4 * TEST_QUEUE_SIZE);
	one_rng_request(&drv, buf);
	one_rng_request(&drv, buf);
	one_rng_request(&drv, buf);
	/* Idle after three chains: kick me when avail idx passes 3. */
	CHECK(*avail_event == 3);
}

const struct tap_test notify_tests[] = {
	{ "notify: VRING_AVAIL_F_NO_INTERRUPT suppresses the interrupt", no_interrupt_flag },
	{ "notify: a kick that brings nothing gets no interrupt", no_interrupt_for_nothing },
	{ "notify: EVENT_IDX interrupts only when used_event is crossed", used_event_suppresses },
	{ "notify: EVENT_IDX avail_event = next avail index when idle", avail_event_published },
	{ NULL, NULL },
};
