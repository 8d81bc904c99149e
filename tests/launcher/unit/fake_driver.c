// SPDX-License-Identifier: GPL-2.0
/*
 * The tests' guest driver: the register sequence of Linux's virtio_mmio
 * probe, and split rings in the fake guest memory, kept by
 * tests/lib/driver_ring.c.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "launcher_unit.h"

void driver_set_status(struct test_driver *drv, uint32_t bits)
{
	uint32_t status = mmio_read32(drv->win, VIRTIO_MMIO_STATUS);

	mmio_write32(drv->win, VIRTIO_MMIO_STATUS, status | bits);
}

static uint64_t read_features(struct fake_window *win)
{
	uint64_t features;

	mmio_write32(win, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	features = (uint64_t)mmio_read32(win, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	mmio_write32(win, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return features | mmio_read32(win, VIRTIO_MMIO_DEVICE_FEATURES);
}

static void write_features(struct fake_window *win, uint64_t features)
{
	mmio_write32(win, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write32(win, VIRTIO_MMIO_DRIVER_FEATURES, features >> 32);
	mmio_write32(win, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_write32(win, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
}

static void write_address(struct fake_window *win, uint64_t low_offset,
			  uint64_t gpa)
{
	mmio_write32(win, low_offset, (uint32_t)gpa);
	mmio_write32(win, low_offset + 4, gpa >> 32);
}

static bool setup_queue(struct test_driver *drv, unsigned int index)
{
	struct test_queue *q = &drv->queues[index];

	mmio_write32(drv->win, VIRTIO_MMIO_QUEUE_SEL, index);
	if (mmio_read32(drv->win, VIRTIO_MMIO_QUEUE_READY))
		return false;
	if (mmio_read32(drv->win, VIRTIO_MMIO_QUEUE_NUM_MAX) < TEST_QUEUE_SIZE)
		return false;
	q->desc_gpa = guest_alloc(16 * TEST_QUEUE_SIZE);
	q->avail_gpa = guest_alloc(6 + 2 * TEST_QUEUE_SIZE);
	q->used_gpa = guest_alloc(6 + 8 * TEST_QUEUE_SIZE);
	driver_ring_init(&q->ring, TEST_QUEUE_SIZE, host(q->desc_gpa),
			 host(q->avail_gpa), host(q->used_gpa));
	mmio_write32(drv->win, VIRTIO_MMIO_QUEUE_NUM, TEST_QUEUE_SIZE);
	write_address(drv->win, VIRTIO_MMIO_QUEUE_DESC_LOW, q->desc_gpa);
	write_address(drv->win, VIRTIO_MMIO_QUEUE_AVAIL_LOW, q->avail_gpa);
	write_address(drv->win, VIRTIO_MMIO_QUEUE_USED_LOW, q->used_gpa);
	mmio_write32(drv->win, VIRTIO_MMIO_QUEUE_READY, 1);
	return mmio_read32(drv->win, VIRTIO_MMIO_QUEUE_READY) == 1;
}

bool driver_probe(struct test_driver *drv, struct fake_window *win,
		  uint64_t wanted, unsigned int queue_count)
{
	if (!driver_probe_until_ready(drv, win, wanted, queue_count))
		return false;
	driver_set_status(drv, VIRTIO_CONFIG_S_DRIVER_OK);
	return true;
}

bool driver_probe_until_ready(struct test_driver *drv, struct fake_window *win,
			      uint64_t wanted, unsigned int queue_count)
{
	drv->win = win;
	if (queue_count > TEST_MAX_QUEUES)
		return false;
	if (mmio_read32(win, VIRTIO_MMIO_MAGIC_VALUE) != 0x74726976 ||
	    mmio_read32(win, VIRTIO_MMIO_VERSION) != 2 ||
	    !mmio_read32(win, VIRTIO_MMIO_DEVICE_ID))
		return false;
	mmio_write32(win, VIRTIO_MMIO_STATUS, 0);
	driver_set_status(drv, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	driver_set_status(drv, VIRTIO_CONFIG_S_DRIVER);
	drv->features = read_features(win) & wanted;
	write_features(win, drv->features);
	driver_set_status(drv, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(mmio_read32(win, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return false;
	for (unsigned int i = 0; i < queue_count; i++)
		if (!setup_queue(drv, i))
			return false;
	return true;
}

struct vring_desc *desc_entry(struct test_driver *drv, unsigned int queue,
			      unsigned int index)
{
	return host(drv->queues[queue].desc_gpa + 16 * index);
}

uint16_t *avail_ring_field(struct test_driver *drv, unsigned int queue,
			   unsigned int index)
{
	return host(drv->queues[queue].avail_gpa + 2 * index);
}

uint16_t *used_ring_field(struct test_driver *drv, unsigned int queue,
			  unsigned int index)
{
	return host(drv->queues[queue].used_gpa + 2 * index);
}

uint16_t driver_add(struct test_driver *drv, unsigned int queue,
		    const struct driver_buf *bufs, unsigned int count)
{
	struct driver_ring *ring = &drv->queues[queue].ring;
	uint16_t head = driver_ring_add_chain(ring, bufs, count);

	driver_ring_publish(ring);
	return head;
}

void driver_kick(struct test_driver *drv, unsigned int queue)
{
	mmio_write32(drv->win, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

bool driver_used(struct test_driver *drv, unsigned int queue, uint32_t *id,
		 uint32_t *len)
{
	return driver_ring_get_used(&drv->queues[queue].ring, id, len);
}
