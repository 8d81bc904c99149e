// SPDX-License-Identifier: GPL-2.0
/*
 * The tests' guest driver: the register sequence of Linux's virtio_mmio
 * probe, and a split ring kept by hand in the fake guest memory.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "launcher_unit.h"

static void set_status(struct test_driver *drv, uint32_t bits)
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
	q->size = TEST_QUEUE_SIZE;
	q->desc_gpa = guest_alloc(16 * TEST_QUEUE_SIZE);
	q->avail_gpa = guest_alloc(6 + 2 * TEST_QUEUE_SIZE);
	q->used_gpa = guest_alloc(6 + 8 * TEST_QUEUE_SIZE);
	q->avail_idx = q->last_used = q->next_desc = 0;
	mmio_write32(drv->win, VIRTIO_MMIO_QUEUE_NUM, q->size);
	write_address(drv->win, VIRTIO_MMIO_QUEUE_DESC_LOW, q->desc_gpa);
	write_address(drv->win, VIRTIO_MMIO_QUEUE_AVAIL_LOW, q->avail_gpa);
	write_address(drv->win, VIRTIO_MMIO_QUEUE_USED_LOW, q->used_gpa);
	mmio_write32(drv->win, VIRTIO_MMIO_QUEUE_READY, 1);
	return mmio_read32(drv->win, VIRTIO_MMIO_QUEUE_READY) == 1;
}

bool driver_probe(struct test_driver *drv, struct fake_window *win,
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
	set_status(drv, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(drv, VIRTIO_CONFIG_S_DRIVER);
	drv->features = read_features(win) & wanted;
	write_features(win, drv->features);
	set_status(drv, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(mmio_read32(win, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return false;
	for (unsigned int i = 0; i < queue_count; i++)
		if (!setup_queue(drv, i))
			return false;
	set_status(drv, VIRTIO_CONFIG_S_DRIVER_OK);
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
		    const struct test_buf *bufs, unsigned int count)
{
	struct test_queue *q = &drv->queues[queue];
	uint16_t head = q->next_desc;

	for (unsigned int i = 0; i < count; i++) {
		uint16_t index = (head + i) % q->size;
		struct vring_desc *desc = desc_entry(drv, queue, index);

		desc->addr = bufs[i].gpa;
		desc->len = bufs[i].len;
		desc->flags = bufs[i].writable ? VRING_DESC_F_WRITE : 0;
		if (i + 1 < count) {
			desc->flags |= VRING_DESC_F_NEXT;
			desc->next = (index + 1) % q->size;
		}
	}
	q->next_desc = (head + count) % q->size;
	/* avail->ring[avail_idx % size] = head, then publish avail->idx. */
	*avail_ring_field(drv, queue, 2 + q->avail_idx % q->size) = head;
	q->avail_idx++;
	__atomic_store_n(avail_ring_field(drv, queue, 1), q->avail_idx,
			 __ATOMIC_RELEASE);
	return head;
}

void driver_kick(struct test_driver *drv, unsigned int queue)
{
	mmio_write32(drv->win, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

bool driver_used(struct test_driver *drv, unsigned int queue, uint32_t *id,
		 uint32_t *len)
{
	struct test_queue *q = &drv->queues[queue];
	uint16_t used = __atomic_load_n(used_ring_field(drv, queue, 1),
					__ATOMIC_ACQUIRE);
	struct vring_used_elem *elem;

	if (used == q->last_used)
		return false;
	elem = host(q->used_gpa + 4 + 8 * (q->last_used % q->size));
	*id = elem->id;
	*len = elem->len;
	q->last_used++;
	return true;
}
